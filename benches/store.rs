//! Indexed lookups of the reference app's store: `id`, `userName eq`, `externalId eq` and
//! `displayName eq` cost the same for a thousand resources as for a million; a filter no
//! index answers scans everything (shown for contrast).
//!
//! Run: `cargo bench --bench store` (building the million-resource stores takes a while).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use divan::Bencher;
use okta_sim::app::{AppProfile, Store};
use okta_sim::scim::list::ListQuery;
use okta_sim::scim::resource::Projection;
use okta_sim::scim::schema::ResourceKind;
use serde_json::json;

fn main() {
    divan::main();
}

const BASE: &str = "http://127.0.0.1/scim/v2";
const SIZES: [usize; 2] = [1_000, 1_000_000];

struct Fixture {
    store: Store,
    middle_user_id: String,
}

/// One store per size, built once and shared by every benchmark.
fn fixture(n: usize) -> &'static Fixture {
    static CACHE: OnceLock<Mutex<HashMap<usize, &'static Fixture>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    cache.entry(n).or_insert_with(|| {
        let store = Store::new(AppProfile::default());
        let mut middle_user_id = String::new();
        for i in 0..n {
            let u = store
                .create(ResourceKind::User, &json!({"userName": format!("user{i}@example.com"), "externalId": format!("00u{i:017}"), "active": true}), BASE)
                .unwrap();
            if i == n / 2 {
                middle_user_id = u.id;
            }
            store.create(ResourceKind::Group, &json!({"displayName": format!("Group {i}")}), BASE).unwrap();
        }
        Box::leak(Box::new(Fixture { store, middle_user_id }))
    })
}

fn query(kind: ResourceKind, filter: &str) -> ListQuery {
    let raw = format!(
        "filter={}&startIndex=1&count=100",
        form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    ListQuery::parse(kind, Some(&raw)).unwrap()
}

#[divan::bench(args = SIZES)]
fn user_by_id(bencher: Bencher, n: usize) {
    let f = fixture(n);
    bencher.bench(|| {
        f.store
            .get(
                ResourceKind::User,
                &f.middle_user_id,
                BASE,
                &Projection::default(),
            )
            .unwrap()
    });
}

#[divan::bench(args = SIZES)]
fn user_name_eq(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let q = query(
        ResourceKind::User,
        &format!("userName eq \"USER{}@example.com\"", n / 2),
    );
    bencher.bench(|| {
        let (total, _) = f.store.list(ResourceKind::User, &q, BASE);
        assert_eq!(total, 1);
    });
}

#[divan::bench(args = SIZES)]
fn external_id_eq(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let q = query(
        ResourceKind::User,
        &format!("externalId eq \"00u{:017}\"", n / 2),
    );
    bencher.bench(|| {
        let (total, _) = f.store.list(ResourceKind::User, &q, BASE);
        assert_eq!(total, 1);
    });
}

#[divan::bench(args = SIZES)]
fn display_name_eq(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let q = query(
        ResourceKind::Group,
        &format!("displayName eq \"group {}\"", n / 2),
    );
    bencher.bench(|| {
        let (total, _) = f.store.list(ResourceKind::Group, &q, BASE);
        assert_eq!(total, 1);
    });
}

#[divan::bench(args = SIZES)]
fn page_of_100_deep_in_the_list(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let raw = format!("startIndex={}&count=100", n / 2);
    let q = ListQuery::parse(ResourceKind::User, Some(&raw)).unwrap();
    bencher.bench(|| f.store.list(ResourceKind::User, &q, BASE));
}

/// Not indexed: a full scan, for contrast.
#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn user_name_sw_scan(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let q = query(ResourceKind::User, "userName sw \"nobody\"");
    bencher.bench(|| f.store.list(ResourceKind::User, &q, BASE));
}
