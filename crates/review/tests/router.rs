//! The page's rules, request by request against the Router (no server, no browser): the token,
//! the host name, the same-origin rule, tampered forms, an older plan, one apply per plan.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use dirsync::{
    directory::{InMemoryDirectory, Record},
    model::Person,
    store::MemoryStore,
};
use dirsync_review::{Access, AccessToken, Review, Reviewing};
use std::sync::Arc;
use tower::ServiceExt as _;

struct Fixture {
    huma: Arc<InMemoryDirectory>,
    azure: Arc<InMemoryDirectory>,
    reviewing: Reviewing,
    token: AccessToken,
}

/// Ada's job title differs, Bo is only in Huma.
async fn fixture() -> Fixture {
    let p = |email: &str, title: &str| Person::new().with_email(email).with_job_title(title);
    let huma = Arc::new(
        InMemoryDirectory::new([
            Record::new("h1", p("ada@example.com", "CTO")),
            Record::new("h2", p("bo@example.com", "Chef")),
        ])
        .with_name("Huma"),
    );
    let azure = Arc::new(
        InMemoryDirectory::new([Record::new("a1", p("ada@example.com", "Engineer"))])
            .with_name("Azure AD"),
    );
    let token = AccessToken::random();
    let reviewing = Review::new(huma.clone(), azure.clone(), Arc::new(MemoryStore::new()))
        .with_access(Access::local(token.clone()))
        .start();
    reviewing.plan().await.expect("planned");
    Fixture { huma, azure, reviewing, token }
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{path}?token={}", self.token.reveal())
    }

    /// Plans again (the plan is number 2 then), and gives Ada's job title's id.
    async fn conflict_id(&self) -> String {
        let plan = self.reviewing.plan().await.expect("planned");
        plan.changes[0].id.to_string()
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.reviewing.router().oneshot(request).await.expect("a response");
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("a body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let request = Request::get(self.url(path)).header(header::HOST, "127.0.0.1:4000");
        self.send(request.body(Body::empty()).expect("a request")).await
    }

    async fn post(&self, path: &str, form: &str) -> (StatusCode, String) {
        let request = Request::post(self.url(path))
            .header(header::HOST, "127.0.0.1:4000")
            .header(header::ORIGIN, "http://127.0.0.1:4000")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(request.body(Body::from(form.to_owned())).expect("a request")).await
    }

    fn nothing_written(&self) {
        let titles = |d: &InMemoryDirectory| -> Vec<String> {
            d.records().iter().filter_map(|r| r.person.job_title().map(str::to_owned)).collect()
        };
        assert_eq!(titles(&self.huma), ["CTO", "Chef"]);
        assert_eq!(titles(&self.azure), ["Engineer"]);
    }
}

#[tokio::test]
async fn every_request_without_the_token_is_refused() {
    let f = fixture().await;
    let request = |uri: &str| {
        Request::get(uri).header(header::HOST, "127.0.0.1:4000").body(Body::empty()).expect("req")
    };
    for uri in ["/", "/assets/dirsync.css", "/events", "/report", "/?token=wrong"] {
        let (status, body) = f.send(request(uri)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(body.contains("open the whole address"), "{body}");
        assert!(!body.contains(f.token.reveal()));
    }
    let (status, body) = f.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Conflicts and missing values"), "{body}");
}

#[tokio::test]
async fn a_host_name_other_than_loopback_is_refused_even_with_the_token() {
    let f = fixture().await;
    let request = Request::get(f.url("/"))
        .header(header::HOST, "attacker.example:4000")
        .body(Body::empty())
        .expect("a request");
    let (status, body) = f.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("127.0.0.1 or localhost"), "{body}");
    let localhost = Request::get(f.url("/")).header(header::HOST, "localhost:4000");
    assert_eq!(f.send(localhost.body(Body::empty()).expect("req")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_form_from_another_site_is_refused_and_writes_nothing() {
    let f = fixture().await;
    let id = f.conflict_id().await;
    let form = format!("plan=1&{id}=hr&next=1");
    for (origin, site) in [("https://attacker.example", "cross-site"), ("null", "cross-site")] {
        let request = Request::post(f.url("/decisions"))
            .header(header::HOST, "127.0.0.1:4000")
            .header(header::ORIGIN, origin)
            .header("sec-fetch-site", site)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.clone()))
            .expect("a request");
        let (status, body) = f.send(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}");
        assert!(body.contains("another site"), "{body}");
    }
    let cross_origin_only = Request::post(f.url("/decisions"))
        .header(header::HOST, "127.0.0.1:4000")
        .header(header::ORIGIN, "http://127.0.0.1:9999")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("a request");
    assert_eq!(f.send(cross_origin_only).await.0, StatusCode::FORBIDDEN);
    let plan = f.reviewing.plan().await.expect("planned");
    assert!(plan.changes[0].settled.is_none(), "nothing was decided");
}

#[tokio::test]
async fn a_tampered_form_is_a_400_that_says_what_was_wrong_and_decides_nothing() {
    let f = fixture().await;
    let id = f.conflict_id().await;
    let cases = [
        ("/decisions", "plan=2&chg-0000000000000000=hr".to_owned(), "chg-0000000000000000"),
        ("/decisions", format!("plan=2&{id}=everyone"), "\"everyone\" is not a choice"),
        ("/decisions", format!("plan=2&{id}=hr&all=both"), "\"both\" is not a side"),
        (
            "/creations",
            "plan=2&create=new-0000000000000000&apply=1".to_owned(),
            "new-0000000000000000",
        ),
        ("/creations", "plan=2&delete=everyone".to_owned(), "unknown field \"delete\""),
        ("/release", "plan=2&id=held-0000000000000000".to_owned(), "held-0000000000000000"),
        ("/decisions", format!("plan=two&{id}=hr"), "is not a number"),
    ];
    for (path, form, said) in cases {
        let (status, body) = f.post(path, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {form}: {body}");
        assert!(body.contains(&said.replace('"', "&quot;")), "{form}: {body}");
    }
    let plan = f.reviewing.plan().await.expect("planned");
    assert!(plan.changes.iter().all(|c| c.settled.is_none()), "nothing was decided");
    f.nothing_written();
}

#[tokio::test]
async fn a_form_for_an_older_plan_is_refused() {
    let f = fixture().await;
    let id = f.conflict_id().await; // plans again: the plan is number 2 now
    let (status, body) = f.post("/decisions", &format!("plan=1&{id}=hr")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("older plan"), "{body}");
}

#[tokio::test]
async fn one_plan_is_applied_once_whatever_the_tabs_send() {
    let f = fixture().await;
    let id = f.conflict_id().await;
    let (status, _) = f.post("/decisions", &format!("plan=2&{id}=hr&next=1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let synchronize = "plan=2&apply=1";
    let (first, second) =
        tokio::join!(f.post("/creations", synchronize), f.post("/creations", synchronize));
    assert_eq!((first.0, second.0), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    f.reviewing.idle().await;
    let finished = f.reviewing.take_finished().expect("applied once");
    let report = finished.result.expect("synced").report;
    assert_eq!(report.counts.updated_in_idp, 1);
    assert!(f.reviewing.take_finished().is_none(), "no second apply");
    let titles: Vec<_> =
        f.azure.records().iter().filter_map(|r| r.person.job_title().map(str::to_owned)).collect();
    assert_eq!(titles, ["CTO"]);
}

#[tokio::test]
async fn serving_stops_when_asked_before_any_apply_with_nothing_finished() {
    let fixture = fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let finished = fixture.reviewing.serve(listener, async {}).await;
    assert!(finished.is_none(), "nothing was applied");
    assert_eq!(fixture.azure.records().len(), 1, "nobody created");
}
