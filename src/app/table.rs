//! The compact tables under the reference app's store.
//!
//! A resource is kept as its body's compact JSON text plus a few typed fields (version,
//! timestamps, the name its indexes and readers need), not as a tree of maps: about a third
//! of the memory, and a scan reads contiguous bytes. Tables and indexes are split into
//! [`SHARDS`] hash maps, so a map that doubles rehashes a sixty-fourth of the entries and no
//! request stalls while a table grows; creation order (for stable paging) is a list of
//! fixed-size chunks, which grows without copying.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use serde_json::{Map, Value};

/// A hash map with foldhash: randomly seeded per map, like the standard library's, and several
/// times quicker than its SipHash on the short keys stored here (ids, userNames).
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Hash maps per table or index.
pub const SHARDS: usize = 64;
/// Entries per chunk of the creation order.
const CHUNK: usize = 4096;

/// One resource as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its version, for the weak ETag.
    pub version: u64,
    /// Its place in creation order.
    seq: u64,
    /// `meta.created`.
    pub created: Arc<str>,
    /// `meta.lastModified`.
    pub last_modified: Arc<str>,
    /// `userName` of a user, `displayName` of a group: read without decoding the body.
    pub name: Option<Box<str>>,
    /// The client-owned attributes, as compact JSON in schema order.
    json: Box<str>,
    /// Whether that text is ASCII (a scan may then compare it ignoring ASCII case only).
    ascii: bool,
    /// Where `schemas` ends in that text, when the body starts with it and is read as stored
    /// (nothing in it is withheld from readers): it can then be answered without decoding.
    /// 0: it cannot.
    schemas_end: u32,
}

/// Where the `schemas` array that opens `json` ends, if it does open it.
fn schemas_end_of(json: &str) -> u32 {
    const OPEN: &str = "{\"schemas\":[";
    if !json.starts_with(OPEN) {
        return 0;
    }
    // Schema URIs: strings without brackets, quotes or escapes.
    let Some(close) = json[OPEN.len()..].find(']') else {
        return 0;
    };
    let inner = &json[OPEN.len()..OPEN.len() + close];
    if inner.contains('\\') {
        return 0;
    }
    u32::try_from(OPEN.len() + close + 1).unwrap_or(0)
}

impl Stored {
    /// A resource from its body.
    pub fn new(
        version: u64,
        created: &str,
        last_modified: &str,
        name_attr: &str,
        body: &Map<String, Value>,
        read_as_stored: bool,
    ) -> Self {
        // A map of JSON values always serializes.
        let json: Box<str> = serde_json::to_string(body).unwrap_or_default().into();
        Stored {
            schemas_end: if read_as_stored {
                schemas_end_of(&json)
            } else {
                0
            },
            version,
            seq: 0,
            created: created.into(),
            last_modified: last_modified.into(),
            name: body.get(name_attr).and_then(Value::as_str).map(Into::into),
            ascii: json.is_ascii(),
            json,
        }
    }

    /// A resource from a body already in its stored form: compact JSON as [`Stored::new`]
    /// writes it (the caller answers for that), with its name; created and last modified at
    /// `stamp` (shared by every resource made at once).
    pub fn from_json(version: u64, stamp: &Arc<str>, name: Option<&str>, json: String) -> Self {
        Stored {
            schemas_end: schemas_end_of(&json),
            version,
            seq: 0,
            created: Arc::clone(stamp),
            last_modified: Arc::clone(stamp),
            name: name.map(Into::into),
            ascii: json.is_ascii(),
            json: json.into(),
        }
    }

    /// Store a new body under the same id, name attribute and place.
    pub fn set_body(&mut self, name_attr: &str, body: &Map<String, Value>) {
        self.name = body.get(name_attr).and_then(Value::as_str).map(Into::into);
        self.json = serde_json::to_string(body).unwrap_or_default().into();
        self.ascii = self.json.is_ascii();
        self.schemas_end = 0;
    }

    /// The body, decoded.
    pub fn body(&self) -> Map<String, Value> {
        serde_json::from_str(&self.json).unwrap_or_default()
    }

    /// The body's text in two parts, when it can be answered without decoding: up to the end
    /// of `schemas`, and the rest without the closing brace (empty, or starting with a comma).
    pub fn as_read(&self) -> Option<(&str, &str)> {
        let at = self.schemas_end as usize;
        (at > 0 && self.json.ends_with('}'))
            .then(|| (&self.json[..at], &self.json[at..self.json.len() - 1]))
    }

    /// Whether the body's compact JSON holds each of `needles` (searchers for lower-case ASCII,
    /// built once per scan), ignoring ASCII case; always true for a body that is not ASCII,
    /// which only decoding can tell.
    /// `buf` is scratch space kept between calls.
    pub fn may_hold(&self, needles: &[memchr::memmem::Finder], buf: &mut Vec<u8>) -> bool {
        if needles.is_empty() || !self.ascii {
            return true;
        }
        // Written in place over a buffer of the right length: the loop vectorises.
        let text = self.json.as_bytes();
        buf.resize(text.len(), 0);
        for (d, s) in buf.iter_mut().zip(text) {
            *d = s.to_ascii_lowercase();
        }
        needles.iter().all(|n| n.find(buf).is_some())
    }

    /// The weak ETag of this version (RFC 7644 §3.14).
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// A hash map split into [`SHARDS`] maps by the key's hash.
#[derive(Debug)]
pub struct Sharded<K, V> {
    shards: Box<[HashMap<K, V>]>,
    hasher: foldhash::fast::RandomState,
}

/// The shard of `key` under `hasher`: one rule for a table's lookups and for its buckets.
fn shard_for<Q: Hash + ?Sized>(hasher: &foldhash::fast::RandomState, key: &Q) -> usize {
    (hasher.hash_one(key) as usize) % SHARDS
}

/// Keyed items sorted into the shards of a [`Sharded`] as they are pushed, each numbered in
/// the order it came: filled while the items are made, so no list of them all is kept first.
pub struct Buckets<K, T> {
    buckets: Vec<Vec<(usize, K, T)>>,
    hasher: foldhash::fast::RandomState,
    len: usize,
}

impl<K: Hash, T> Buckets<K, T> {
    /// Add an item, numbered by the order it came in.
    pub fn push(&mut self, key: K, item: T) {
        let s = shard_for(&self.hasher, &key);
        self.buckets[s].push((self.len, key, item));
        self.len += 1;
    }
}

impl<K, V> Default for Sharded<K, V> {
    fn default() -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| HashMap::default()).collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    fn shard_of<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        shard_for(&self.hasher, key)
    }

    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[self.shard_of(key)].get(key)
    }

    /// The key as stored, and its value.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[self.shard_of(key)].get_key_value(key)
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let s = self.shard_of(key);
        self.shards[s].get_mut(key)
    }

    /// Set `key`'s value; the old one, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let s = self.shard_of(&key);
        self.shards[s].insert(key, value)
    }

    /// Take `key` out.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let s = self.shard_of(key);
        self.shards[s].remove(key)
    }

    /// `key`'s value, made with `make` when there is none.
    pub fn entry_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let s = self.shard_of(&key);
        self.shards[s].entry(key).or_insert_with(make)
    }

    /// An empty [`Buckets`] for about `n` items, for [`Sharded::apply`].
    pub fn buckets<T>(&self, n: usize) -> Buckets<K, T> {
        // Sized for an even spread and a little more, so they are seldom grown (and copied).
        let each = n / SHARDS + n / SHARDS / 8 + 1;
        Buckets {
            buckets: (0..SHARDS).map(|_| Vec::with_capacity(each)).collect(),
            hasher: self.hasher.clone(),
            len: 0,
        }
    }

    /// Apply `f` to each item in its key's shard, the shards shared out among the cores; a
    /// shard's items in their order. Returns what `f` said of each item, in the items' order.
    pub fn apply<T: Send>(
        &mut self,
        buckets: Buckets<K, T>,
        f: impl Fn(&mut HashMap<K, V>, K, T) -> bool + Sync,
    ) -> Vec<bool>
    where
        K: Send,
        V: Send,
    {
        let n = buckets.len;
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let per = SHARDS.div_ceil(threads.clamp(1, SHARDS));
        let f = &f;
        let mut buckets = buckets.buckets.into_iter();
        let said: Vec<Vec<(usize, bool)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = self
                .shards
                .chunks_mut(per)
                .map(|maps| {
                    let mine: Vec<_> = buckets.by_ref().take(maps.len()).collect();
                    scope.spawn(move || {
                        let mut out = Vec::with_capacity(mine.iter().map(Vec::len).sum());
                        for (map, bucket) in maps.iter_mut().zip(mine) {
                            for (i, k, t) in bucket {
                                out.push((i, f(map, k, t)));
                            }
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        let mut flags = vec![false; n];
        for (i, b) in said.into_iter().flatten() {
            flags[i] = b;
        }
        flags
    }

    /// Every entry, shard after shard.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.shards.iter().flatten()
    }

    /// Room for about `n` more entries.
    pub fn reserve(&mut self, n: usize) {
        let each = n.div_ceil(SHARDS);
        for s in self.shards.iter_mut() {
            s.reserve(each);
        }
    }
}

/// Set `key`'s value in `map` unless it has one: whether it was set.
pub fn insert_vacant<K: Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) -> bool {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(_) => false,
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(value);
            true
        }
    }
}

/// The resources of one type, by id, in creation order.
#[derive(Debug, Default)]
pub struct Table {
    by_id: Sharded<Arc<str>, Stored>,
    /// (seq, id) in creation order, in chunks of at most [`CHUNK`]; no chunk is empty.
    order: Vec<Vec<(u64, Arc<str>)>>,
    next_seq: u64,
}

impl Table {
    /// How many resources.
    pub fn len(&self) -> usize {
        self.order.iter().map(Vec::len).sum()
    }

    /// The resource with this id.
    pub fn get(&self, id: &str) -> Option<&Stored> {
        self.by_id.get(id)
    }

    /// The resource with this id, to change in place.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Stored> {
        self.by_id.get_mut(id)
    }

    /// The id as the table holds it (shared with the indexes), and the resource.
    pub fn get_key_value(&self, id: &str) -> Option<(&Arc<str>, &Stored)> {
        self.by_id.get_key_value(id)
    }

    /// Whether a resource has this id.
    pub fn contains_key(&self, id: &str) -> bool {
        self.by_id.get(id).is_some()
    }

    /// Add a new resource at the end of the order, or replace the one with this id where it
    /// stands.
    pub fn insert(&mut self, id: Arc<str>, mut stored: Stored) {
        let s = self.by_id.shard_of(&id);
        let slot = match self.by_id.shards[s].entry(Arc::clone(&id)) {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                stored.seq = o.get().seq;
                o.insert(stored);
                return;
            }
            std::collections::hash_map::Entry::Vacant(v) => v,
        };
        stored.seq = self.next_seq;
        self.next_seq += 1;
        match self.order.last_mut() {
            Some(c) if c.len() < CHUNK => c.push((stored.seq, Arc::clone(&id))),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push((stored.seq, Arc::clone(&id)));
                self.order.push(c);
            }
        }
        slot.insert(stored);
    }

    /// Add resources whose ids are new to the table (fresh random ids), at the end of the
    /// order, in theirs; the maps filled on every core.
    /// About `n` of them, taken as `rows` makes them: no list of them all is kept first.
    pub fn insert_many_new(&mut self, n: usize, rows: impl Iterator<Item = (Arc<str>, Stored)>) {
        let mut buckets = self.by_id.buckets(n);
        for (id, mut stored) in rows {
            stored.seq = self.next_seq;
            self.next_seq += 1;
            match self.order.last_mut() {
                Some(c) if c.len() < CHUNK => c.push((stored.seq, Arc::clone(&id))),
                _ => {
                    let mut c = Vec::with_capacity(CHUNK);
                    c.push((stored.seq, Arc::clone(&id)));
                    self.order.push(c);
                }
            }
            buckets.push(id, stored);
        }
        self.by_id.apply(buckets, |m, id, stored| {
            m.insert(id, stored);
            true
        });
    }

    /// Take a resource out; the later ones move up one place.
    pub fn remove(&mut self, id: &str) -> Option<Stored> {
        let stored = self.by_id.remove(id)?;
        let seq = stored.seq;
        let c = self
            .order
            .partition_point(|c| c.last().is_some_and(|(s, _)| *s < seq));
        if let Some(chunk) = self.order.get_mut(c)
            && let Ok(i) = chunk.binary_search_by_key(&seq, |(s, _)| *s)
        {
            chunk.remove(i);
            if chunk.is_empty() {
                self.order.remove(c);
            }
        }
        Some(stored)
    }

    /// The id at position `i` of the creation order, and its resource.
    pub fn get_index(&self, mut i: usize) -> Option<(&Arc<str>, &Stored)> {
        for c in &self.order {
            if i < c.len() {
                let id = &c[i].1;
                return self.by_id.get(&**id).map(|s| (id, s));
            }
            i -= c.len();
        }
        None
    }

    /// The (seq, id) of every resource `keep` accepts, in no particular order. Bodies are
    /// visited in batches whose text is first touched at every cache line, so their memory
    /// is fetched side by side rather than one miss after another.
    pub fn select(&self, mut keep: impl FnMut(&Arc<str>, &Stored) -> bool) -> Vec<(u64, Arc<str>)> {
        const BATCH: usize = 16;
        let mut found = Vec::new();
        let mut batch: Vec<(&Arc<str>, &Stored)> = Vec::with_capacity(BATCH);
        let mut run = |batch: &mut Vec<(&Arc<str>, &Stored)>| {
            let mut sum = 0u8;
            for (_, s) in batch.iter() {
                for b in s.json.as_bytes().iter().step_by(64) {
                    sum ^= *b;
                }
            }
            std::hint::black_box(sum);
            for (id, s) in batch.drain(..) {
                if keep(id, s) {
                    found.push((s.seq, Arc::clone(id)));
                }
            }
        };
        for entry in self.by_id.iter() {
            batch.push(entry);
            if batch.len() == BATCH {
                run(&mut batch);
            }
        }
        run(&mut batch);
        found
    }

    /// Every resource, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Stored)> + '_ {
        self.order
            .iter()
            .flatten()
            .filter_map(|(_, id)| self.by_id.get(&**id).map(|s| (id, s)))
    }

    /// A resource's place in creation order, to sort matches by.
    pub fn seq_of(&self, id: &str) -> Option<u64> {
        self.by_id.get(id).map(|s| s.seq)
    }

    /// Room for about `n` more resources.
    pub fn reserve(&mut self, n: usize) {
        self.by_id.reserve(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(name: &str) -> Stored {
        let body = json!({"userName": name}).as_object().cloned().unwrap();
        Stored::new(1, "t", "t", "userName", &body, true)
    }

    #[test]
    fn order_survives_growth_removal_and_replacement() {
        let mut t = Table::default();
        for i in 0..10_000 {
            t.insert(format!("id{i}").into(), stored(&format!("u{i}")));
        }
        assert_eq!(t.len(), 10_000);
        assert_eq!(&**t.get_index(5000).unwrap().0, "id5000");
        t.remove("id0");
        t.remove("id4096");
        assert_eq!(t.len(), 9_998);
        assert_eq!(&**t.get_index(0).unwrap().0, "id1");
        assert_eq!(&**t.get_index(4095).unwrap().0, "id4097");
        // Replacing keeps the place.
        t.insert("id1".into(), stored("renamed"));
        assert_eq!(&**t.get_index(0).unwrap().0, "id1");
        assert_eq!(t.get("id1").unwrap().name.as_deref(), Some("renamed"));
        let ids: Vec<&str> = t.iter().map(|(id, _)| &**id).take(3).collect();
        assert_eq!(ids, ["id1", "id2", "id3"]);
        // Emptying a whole chunk drops it.
        for i in 1..4096 {
            t.remove(&format!("id{i}"));
        }
        assert_eq!(&**t.get_index(0).unwrap().0, "id4097");
        assert_eq!(t.iter().count(), t.len());
        assert!(t.get_index(t.len()).is_none());
    }

    #[test]
    fn select_visits_every_resource_once_across_batches() {
        let mut t = Table::default();
        for i in 0..37 {
            t.insert(format!("id{i}").into(), stored(&format!("u{i}")));
        }
        let mut seen = 0;
        let mut found = t.select(|_, s| {
            seen += 1;
            s.name.as_deref().is_some_and(|n| n.ends_with('3'))
        });
        assert_eq!(seen, 37);
        found.sort();
        let ids: Vec<&str> = found.iter().map(|(_, id)| &**id).collect();
        assert_eq!(ids, ["id3", "id13", "id23", "id33"]);
        assert!(Table::default().select(|_, _| true).is_empty());
    }

    #[test]
    fn bodies_round_trip_in_schema_order() {
        let body = json!({"schemas": ["s"], "userName": "A\"b", "name": {"givenName": "Ü"}, "active": true})
            .as_object()
            .cloned()
            .unwrap();
        let s = Stored::new(3, "c", "m", "userName", &body, true);
        assert_eq!(
            s.as_read(),
            Some((
                r#"{"schemas":["s"]"#,
                r#","userName":"A\"b","name":{"givenName":"Ü"},"active":true"#
            ))
        );
        assert_eq!(s.body(), body);
        assert_eq!(s.name.as_deref(), Some("A\"b"));
        assert_eq!(s.etag(), "W/\"3\"");
        let keys: Vec<String> = s.body().keys().cloned().collect();
        assert_eq!(keys, ["schemas", "userName", "name", "active"]);
    }

    #[test]
    fn the_scan_prefilter_ignores_ascii_case_only_and_passes_what_it_cannot_judge() {
        let mut buf = Vec::new();
        let f = memchr::memmem::Finder::new;
        let ascii = stored("Ada@Example.COM");
        assert!(ascii.may_hold(&[f("ada@example.com")], &mut buf));
        assert!(!ascii.may_hold(&[f("bob@example.com")], &mut buf));
        assert!(ascii.may_hold(&[], &mut buf));
        // Not ASCII: only decoding can say (the Kelvin sign lower-cases to "k").
        let other = stored("\u{212A}ate@example.com");
        assert!(other.may_hold(&[f("kate@example.com")], &mut buf));
    }
}
