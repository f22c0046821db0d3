//! A connection cut while a commit is on its way: the stored state is the old one or the new
//! one, never a mix.

mod common;

use dirsync::{
    model::Person,
    store::{StateChanges, StateStore, SyncState},
};
use dirsync_postgres::PostgresDatabase;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A loopback proxy to the server that counts what clients send and, once armed, cuts every
/// connection when that count passes a limit.
struct Proxy {
    port: u16,
    sent: Arc<AtomicU64>,
    cut_at: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(server_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let port = listener.local_addr().expect("bound").port();
        let sent = Arc::new(AtomicU64::new(0));
        let cut_at = Arc::new(AtomicU64::new(u64::MAX));
        let (s, c) = (sent.clone(), cut_at.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server =
                    TcpStream::connect(("127.0.0.1", server_port)).await.expect("the server");
                tokio::spawn(relay(client, server, s.clone(), c.clone()));
            }
        });
        Proxy { port, sent, cut_at }
    }

    /// Cuts the connections once `bytes` more have been sent by clients.
    fn arm(&self, bytes: u64) {
        self.cut_at.store(self.sent.load(Ordering::SeqCst) + bytes, Ordering::SeqCst);
    }

    fn disarm(&self) {
        self.cut_at.store(u64::MAX, Ordering::SeqCst);
    }
}

async fn relay(client: TcpStream, server: TcpStream, sent: Arc<AtomicU64>, cut_at: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n as u64,
            };
            let before = sent.fetch_add(n, Ordering::SeqCst);
            let limit = cut_at.load(Ordering::SeqCst);
            let pass = if before + n > limit { limit.saturating_sub(before) } else { n };
            let pass = usize::try_from(pass).expect("at most a buffer");
            if server_write.write_all(&buf[..pass]).await.is_err() || pass < n as usize {
                return; // cut: both halves are dropped
            }
        }
    };
    let downstream = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    };
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}

fn changed(state: &SyncState) -> SyncState {
    let mut next = state.clone();
    for link in next.links.values_mut() {
        link.baseline = link.baseline.clone().with_job_title("Senior engineer");
    }
    for i in 0..1000 {
        next.link(
            format!("n{i}").into(),
            format!("b{i}").into(),
            Person::new().with_given_name("New"),
        );
    }
    next
}

#[tokio::test]
async fn a_commit_cut_anywhere_leaves_the_old_state_or_the_new() {
    let Some((direct, server, name)) = common::database().await else { return };
    let proxy = Proxy::start(server.port()).await;
    let url = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let through_proxy =
        PostgresDatabase::open(common::config(&url).max_connections(1)).await.unwrap();
    let store = through_proxy.organisation("acme").await.unwrap();
    let check = direct.organisation("acme").await.unwrap();
    let old = common::linked(1000);
    let new = changed(&old);
    let changes = StateChanges::between(&old, &new);

    // How many bytes one commit sends, whole.
    check.save(&old).await.unwrap();
    let before = proxy.sent.load(Ordering::SeqCst);
    store.commit(&changes).await.unwrap();
    let whole = proxy.sent.load(Ordering::SeqCst) - before;
    assert_eq!(check.load().await.unwrap(), new);

    let mut outcomes = Vec::new();
    for cut in [1, whole / 10, whole / 2, whole * 9 / 10, whole - 40, whole - 5] {
        check.save(&old).await.unwrap();
        store.load().await.unwrap(); // a fresh pooled connection, before arming
        proxy.arm(cut);
        let result = store.commit(&changes).await;
        proxy.disarm();
        let stored = check.load().await.unwrap();
        assert!(stored == old || stored == new, "cut after {cut} of {whole} bytes: a mix");
        if result.is_ok() {
            assert_eq!(stored, new, "a commit that said yes was kept");
        }
        outcomes.push((cut, result.is_ok(), stored == new));
    }
    eprintln!("cut after bytes / commit succeeded / new state stored: {outcomes:?}");
    assert!(
        outcomes.iter().any(|(_, ok, _)| !ok),
        "at least one cut failed the commit: {outcomes:?}"
    );
}
