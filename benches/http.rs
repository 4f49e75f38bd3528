//! Throughput of the reference app over HTTP/1.1 on loopback: Okta's userName pre-check, an
//! import page of 100 users, and user creation; one request at a time and 32 at once.
//!
//! Run: `cargo bench --bench http`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use divan::Bencher;
use divan::counter::ItemsCount;
use okta_sim::ReferenceApp;
use tokio::runtime::Runtime;

fn main() {
    divan::main();
}

struct Fixture {
    rt: Runtime,
    client: reqwest::Client,
    base: String,
    auth: String,
    _app: ReferenceApp,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let app = rt
            .block_on(ReferenceApp::builder().seed_users(1000).start())
            .unwrap();
        Fixture {
            client: reqwest::Client::new(),
            base: app.base_url().to_string(),
            auth: format!("Bearer {}", app.token()),
            rt,
            _app: app,
        }
    })
}

async fn get(f: &Fixture, path: &str) {
    let r = f
        .client
        .get(format!("{}{path}", f.base))
        .header("Authorization", &f.auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();
}

const PRECHECK: &str =
    "/Users?filter=userName%20eq%20%22grace.lovelace502%40example.com%22&startIndex=1&count=100";
const PAGE: &str = "/Users?startIndex=101&count=100";

#[divan::bench]
fn user_name_precheck(bencher: Bencher) {
    let f = fixture();
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| f.rt.block_on(get(f, PRECHECK)));
}

#[divan::bench]
fn user_name_precheck_32_concurrent(bencher: Bencher) {
    let f = fixture();
    bencher.counter(ItemsCount::new(32usize)).bench(|| {
        f.rt.block_on(async {
            let all = (0..32).map(|_| get(f, PRECHECK));
            futures_join_all(all).await;
        })
    });
}

#[divan::bench]
fn import_page_of_100(bencher: Bencher) {
    let f = fixture();
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| f.rt.block_on(get(f, PAGE)));
}

#[divan::bench]
fn create_user(bencher: Bencher) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let f = fixture();
    bencher.counter(ItemsCount::new(1usize)).bench(|| {
        let i = N.fetch_add(1, Ordering::Relaxed);
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bench{i}@example.com","name":{{"givenName":"B","familyName":"U"}},"emails":[{{"primary":true,"value":"bench{i}@example.com","type":"work"}}],"active":true}}"#
        );
        f.rt.block_on(async {
            let r = f
                .client
                .post(format!("{}/Users", f.base))
                .header("Authorization", &f.auth)
                .header("Content-Type", "application/scim+json; charset=utf-8")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        })
    });
}

async fn futures_join_all<F: std::future::Future<Output = ()> + Send + 'static>(
    futs: impl Iterator<Item = F>,
) {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    for h in handles {
        h.await.unwrap();
    }
}
