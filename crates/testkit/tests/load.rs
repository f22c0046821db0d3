//! A load smoke test: 100k users on each fake, read the way a sync reads them. Ignored by default
//! (run with `cargo test -p testkit --release --test load -- --ignored --nocapture`); it prints
//! timings and asserts only on what was read.
#![allow(clippy::unwrap_used)]

mod common;

use common::{graph_token, huma_token};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaUser, Route};

const USERS: usize = 100_000;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load smoke test; run on demand"]
async fn graph_100k_users_in_pages_of_999() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let started = Instant::now();
    graph
        .insert_users((0..USERS).map(|i| {
            let mut user = GraphUser::new(format!("user{i}@example.com"));
            user.employee_id = Some(i.to_string());
            user
        }))
        .unwrap();
    println!("seeded {USERS} Graph users in {:?}", started.elapsed());
    graph.set_latency(Duration::from_millis(20));
    let client = reqwest::Client::new();
    let token = graph_token(&graph).await;
    let started = Instant::now();
    let mut url = format!(
        "{}/users?$select=id,employeeId,givenName,surname,mobilePhone,streetAddress,postalCode,city,country,jobTitle,employeeHireDate,mail,userPrincipalName&$top=999",
        graph.api_url()
    );
    let mut read = 0;
    loop {
        let page: Value =
            client.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        read += page["value"].as_array().unwrap().len();
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    println!("read {read} Graph users in {:?}", started.elapsed());
    assert_eq!(read, USERS);
    assert_eq!(graph.counts().get(Route::ListUsers), USERS.div_ceil(999) as u64);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load smoke test; run on demand"]
async fn huma_100k_users_listed_then_read_in_detail_64_at_a_time() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let started = Instant::now();
    huma.insert_users(
        (0..USERS).map(|i| HumaUser::new(format!("p{i}@example.com"), format!("G{i}"), "F")),
    )
    .unwrap();
    println!("seeded {USERS} Huma users in {:?}", started.elapsed());
    huma.set_latency(Duration::from_millis(20));
    let client = reqwest::Client::new();
    let token = Arc::new(huma_token(&huma).await);
    let base = Arc::new(huma.uri());
    let limit = Arc::new(tokio::sync::Semaphore::new(64));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for page in 0..USERS.div_ceil(50) {
        let (client, token, base, limit) =
            (client.clone(), token.clone(), base.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let url = format!("{base}/users?limit=50&offset={}", page * 50);
            let page: Value =
                client.get(url).bearer_auth(&*token).send().await.unwrap().json().await.unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        });
    }
    let mut ids = Vec::new();
    while let Some(page) = tasks.join_next().await {
        ids.extend(page.unwrap());
    }
    println!("listed {} Huma users in {:?}", ids.len(), started.elapsed());
    let started = Instant::now();
    for id in ids {
        let (client, token, base, limit) =
            (client.clone(), token.clone(), base.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let response =
                client.get(format!("{base}/users/{id}")).bearer_auth(&*token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap();
            Vec::new()
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    println!("read {USERS} Huma user details in {:?}", started.elapsed());
    assert_eq!(huma.counts().get(Route::GetUser), USERS as u64);
}
