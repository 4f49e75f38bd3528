//! Okta's bulk operations against one SCIM server, at Okta's pace or faster (`okta-sim load`):
//! assigning many users (the userName pre-check, then POST, or GET + PUT to link a user the app
//! already has), pushing a large group (POST, then membership PATCHes of one `add` operation
//! each), importing the whole org with Okta's paging, profile pushes (GET + PUT) and
//! deactivations (PATCH `active: false`), okta-scim-wire §2–§6.
//!
//! Each is a *task* in Okta's sense: it succeeds only when every answer is right. Every answer
//! is checked, not only timed: a wrong status, a body that is not what Okta reads, or an answer
//! that contradicts the request fails the task, as it would fail in Okta. A 429 is retried by
//! Okta's policy (§9), a request with no answer in 60 s fails its task (§8.4).
//!
//! Memory is bounded however long the run: latencies go into fixed-size histograms, the
//! timeline merges its buckets as it grows, and only a few examples of each failure are kept.
//! What grows is the list of app ids of the users the run creates, which is the size of the
//! load asked for (about 40 bytes a user), not of its length.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};

use super::ids::{OktaIds, OktaUser};
use super::ops::Session;
use super::wire::{Exchange, WireClient};
use crate::scim::list::{resources_of, total_results_of};
use crate::scim::schema::{GROUP_SCHEMA, PATCH_OP_SCHEMA};

/// Examples kept of each failure reason.
const EXAMPLES_PER_REASON: usize = 3;
/// Failure reasons kept apart; more are counted under one line.
const MAX_REASONS: usize = 50;
/// Buckets of the timeline at most; past this, neighbours merge and a bucket spans twice as long.
const MAX_BUCKETS: usize = 600;
/// Pages an import reads at most (a million resources at 100 a page, twice over).
const MAX_IMPORT_PAGES: u64 = 20_000;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Users to assign.
    pub assign: usize,
    /// Members of the group to push (assigned first when the run has fewer users).
    pub push_group: usize,
    /// Members per membership PATCH (UNCONFIRMED: Okta's batch size is not documented).
    pub member_batch: usize,
    /// Import the org: every user and group the target holds, 100 a page.
    pub import: bool,
    /// Profile pushes (GET + PUT) to the users the run assigned.
    pub profile_updates: usize,
    /// Deactivations of the users the run assigned.
    pub deactivate: usize,
    /// Tasks under way at once.
    pub concurrency: usize,
    /// At most this many requests a second, when set.
    pub rate: Option<f64>,
    /// Start no task after this long.
    pub duration: Option<Duration>,
    /// The seed of Okta's users (ids, names, passwords).
    pub seed: u64,
}

impl LoadPlan {
    /// Why the plan cannot run, if so.
    pub fn check(&self) -> Result<(), String> {
        if self.assign + self.push_group + self.profile_updates + self.deactivate == 0
            && !self.import
        {
            return Err("nothing to do: give --assign, --push-group, --import, --profile-updates or --deactivate".into());
        }
        if self.concurrency == 0 || self.concurrency > 1024 {
            return Err("--concurrency must be between 1 and 1024".into());
        }
        if self.member_batch == 0 || self.member_batch > 10_000 {
            return Err("--member-batch must be between 1 and 10000".into());
        }
        if let Some(r) = self.rate
            && !(r.is_finite() && r > 0.0)
        {
            return Err("--rate must be a number of requests per second above 0".into());
        }
        if self
            .assign
            .max(self.push_group)
            .max(self.profile_updates)
            .max(self.deactivate)
            > 10_000_000
        {
            return Err("at most 10,000,000 users a run".into());
        }
        Ok(())
    }

    /// The users the run must assign: those asked for, or more when a later phase needs them.
    pub fn users_needed(&self) -> usize {
        self.assign
            .max(self.push_group)
            .max(self.profile_updates)
            .max(self.deactivate)
    }
}

/// The kinds of request a load sends, as the report names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Request {
    /// `GET /Users?filter=userName eq …`.
    Precheck,
    /// `POST /Users`.
    CreateUser,
    /// `GET /Users/{id}`.
    GetUser,
    /// `PUT /Users/{id}`.
    PutUser,
    /// `PATCH /Users/{id}` with `active: false`.
    Deactivate,
    /// `POST /Groups`.
    CreateGroup,
    /// `PATCH /Groups/{id}` adding members.
    AddMembers,
    /// `GET /Users?startIndex=…&count=100` or the same of `/Groups`.
    ImportPage,
}

impl Request {
    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Request::Precheck => "userName pre-check",
            Request::CreateUser => "POST /Users",
            Request::GetUser => "GET /Users/{id}",
            Request::PutUser => "PUT /Users/{id}",
            Request::Deactivate => "PATCH deactivate",
            Request::CreateGroup => "POST /Groups",
            Request::AddMembers => "PATCH /Groups members",
            Request::ImportPage => "import page",
        }
    }
}

/// The task kinds, as Okta names them in the Tasks view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    /// Push a new user (assignment).
    Assign,
    /// Push a group: create it.
    PushGroup,
    /// Push group memberships (one batch).
    PushMembers,
    /// Import users and groups.
    Import,
    /// Push a profile update.
    ProfileUpdate,
    /// Deactivate a user.
    Deactivate,
}

impl TaskKind {
    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Assign => "assign user",
            TaskKind::PushGroup => "push group",
            TaskKind::PushMembers => "push memberships",
            TaskKind::Import => "import",
            TaskKind::ProfileUpdate => "push profile",
            TaskKind::Deactivate => "deactivate user",
        }
    }
}

#[derive(Default)]
struct Stats {
    per_request: BTreeMap<Request, RequestStats>,
    tasks: BTreeMap<TaskKind, TaskStats>,
    /// Failure reason -> (count, examples).
    failures: BTreeMap<String, (u64, Vec<String>)>,
    other_failures: u64,
    timeline: Timeline,
}

struct RequestStats {
    latency_us: Histogram<u64>,
    /// Status (0: no answer) -> count.
    statuses: BTreeMap<u16, u64>,
    retried_429: u64,
}

impl RequestStats {
    fn new() -> Self {
        RequestStats {
            // 1 µs to 10 min at 3 significant digits: about 170 KB, whatever the run's length.
            latency_us: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"),
            statuses: BTreeMap::new(),
            retried_429: 0,
        }
    }
}

#[derive(Default, Clone, Copy, Serialize)]
struct TaskStats {
    ok: u64,
    failed: u64,
}

/// Requests completed and their latency, per time bucket; neighbours merge past
/// [`MAX_BUCKETS`].
#[derive(Clone, Serialize)]
pub struct Timeline {
    /// Seconds each bucket spans.
    pub bucket_secs: f64,
    /// Per bucket: requests answered, mean and worst latency in ms.
    pub buckets: Vec<Bucket>,
}

/// One stretch of the timeline.
#[derive(Clone, Copy, Default, Serialize)]
pub struct Bucket {
    /// Requests answered.
    pub requests: u64,
    /// Errors among them (the task failed on them).
    pub errors: u64,
    /// Sum of latencies, ms.
    pub latency_sum_ms: f64,
    /// Worst latency, ms.
    pub latency_max_ms: f64,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            bucket_secs: 0.25,
            buckets: Vec::new(),
        }
    }
}

impl Timeline {
    fn add(&mut self, at: f64, ms: f64, error: bool) {
        let mut i = (at / self.bucket_secs) as usize;
        while i >= MAX_BUCKETS {
            self.buckets = self
                .buckets
                .chunks(2)
                .map(|p| {
                    let mut b = p[0];
                    if let Some(c) = p.get(1) {
                        b.requests += c.requests;
                        b.errors += c.errors;
                        b.latency_sum_ms += c.latency_sum_ms;
                        b.latency_max_ms = b.latency_max_ms.max(c.latency_max_ms);
                    }
                    b
                })
                .collect();
            self.bucket_secs *= 2.0;
            i = (at / self.bucket_secs) as usize;
        }
        if self.buckets.len() <= i {
            self.buckets.resize(i + 1, Bucket::default());
        }
        let b = &mut self.buckets[i];
        b.requests += 1;
        b.errors += u64::from(error);
        b.latency_sum_ms += ms;
        b.latency_max_ms = b.latency_max_ms.max(ms);
    }
}

/// Live counters a progress bar reads.
#[derive(Default)]
pub struct Progress {
    /// Tasks planned so far (phases add theirs as they start).
    pub planned: AtomicUsize,
    /// Tasks finished.
    pub done: AtomicUsize,
    /// Tasks failed.
    pub failed: AtomicUsize,
    /// Requests answered.
    pub requests: AtomicU64,
    /// The phase under way.
    pub phase: Mutex<&'static str>,
}

/// A load run's shared state.
struct Run {
    wire: WireClient,
    plan: LoadPlan,
    stats: Mutex<Stats>,
    start: Instant,
    /// When the next request may go (`--rate`).
    next_slot: Mutex<Instant>,
    /// Tasks never started because the duration ran out.
    not_started: AtomicUsize,
    progress: Arc<Progress>,
}

/// A task's failure: the reason (grouped in the report) and what was seen.
struct Failed {
    reason: String,
    detail: String,
}

fn failed(reason: impl Into<String>, detail: impl Into<String>) -> Failed {
    Failed {
        reason: reason.into(),
        detail: detail.into(),
    }
}

impl Run {
    fn over_time(&self) -> bool {
        self.plan
            .duration
            .is_some_and(|d| self.start.elapsed() >= d)
    }

    async fn pace(&self) {
        let Some(rate) = self.plan.rate else { return };
        let wait = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + Duration::from_secs_f64(1.0 / rate);
            at - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Send one request; record its latency, status and 429 retries. Returns the exchange and,
    /// when Okta would fail the task on it (any status but those `ok` lists), why.
    async fn send(
        &self,
        kind: Request,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        ok: &[u16],
    ) -> Result<Exchange, Failed> {
        self.pace().await;
        let req = self.wire.request(method, path, query, body);
        let ex = self.wire.send(kind.name(), req).await;
        let status = ex.status().unwrap_or(0);
        let good = ok.contains(&status);
        {
            let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
            let at = self.start.elapsed().as_secs_f64();
            let rs = s.per_request.entry(kind).or_insert_with(RequestStats::new);
            let us = (ex.elapsed_ms * 1000.0).round().max(1.0) as u64;
            rs.latency_us.saturating_record(us);
            *rs.statuses.entry(status).or_default() += 1;
            rs.retried_429 += u64::from(ex.attempt.saturating_sub(1));
            s.timeline.add(at, ex.elapsed_ms, !good);
        }
        self.progress.requests.fetch_add(1, Ordering::Relaxed);
        if good {
            return Ok(ex);
        }
        let what = format!("{method} {path}");
        Err(match (status, &ex.error) {
            (0, Some(e)) if e.contains("timed out") || e.contains("timeout") => failed(
                format!(
                    "{} got no answer in time (Okta fails a request after 60 s of silence)",
                    kind.name()
                ),
                format!("{what}: {e}"),
            ),
            (0, e) => failed(
                format!("{} got no answer", kind.name()),
                format!("{what}: {}", e.as_deref().unwrap_or("no response")),
            ),
            (429, _) => failed(
                format!(
                    "{} still answered 429 after {} tries (Okta's limit: the task fails)",
                    kind.name(),
                    ex.attempt
                ),
                format!("{what}: {}", ex.got()),
            ),
            (s, _) => failed(
                format!("{} answered {s}", kind.name()),
                format!("{what}: {}", ex.got()),
            ),
        })
    }

    fn task_done(&self, kind: TaskKind, outcome: Result<(), Failed>) {
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let t = s.tasks.entry(kind).or_default();
        match outcome {
            Ok(()) => t.ok += 1,
            Err(f) => {
                t.failed += 1;
                self.progress.failed.fetch_add(1, Ordering::Relaxed);
                let reason = format!("{}: {}", kind.name(), f.reason);
                if s.failures.len() >= MAX_REASONS && !s.failures.contains_key(&reason) {
                    s.other_failures += 1;
                } else {
                    let e = s.failures.entry(reason).or_default();
                    e.0 += 1;
                    if e.1.len() < EXAMPLES_PER_REASON {
                        e.1.push(crate::text::brief(&f.detail, 300));
                    }
                }
            }
        }
        drop(s);
        self.progress.done.fetch_add(1, Ordering::Relaxed);
    }

    /// The progress bar shows phase `name`, with `tasks` more tasks planned.
    fn begin(&self, name: &'static str, tasks: usize) {
        *self
            .progress
            .phase
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = name;
        self.progress.planned.fetch_add(tasks, Ordering::Relaxed);
    }

    /// Run `f` on the first `count` users the run assigned, as a phase; a user whose
    /// assignment failed fails its task here too.
    async fn on_assigned<F, Fut>(
        self: &Arc<Self>,
        name: &'static str,
        kind: TaskKind,
        ids: &Arc<Vec<Option<String>>>,
        count: usize,
        f: F,
    ) where
        F: Fn(Arc<Run>, usize, String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), Failed>> + Send,
    {
        let ids = Arc::clone(ids);
        let count = count.min(ids.len());
        let f = Arc::new(f);
        self.phase(name, kind, count, move |run, i| {
            let (id, f) = (ids[i].clone(), Arc::clone(&f));
            async move {
                match id {
                    Some(id) => f(run, i, id).await,
                    None => Err(failed("the user was never assigned", format!("user {i}"))),
                }
            }
        })
        .await;
    }

    /// Run `n` tasks, `concurrency` at a time, the `i`th by `task(i)`; stops starting tasks
    /// once the duration is over. Returns what each task gave back (None: not run or failed).
    async fn phase<T, F, Fut>(
        self: &Arc<Self>,
        name: &'static str,
        kind: TaskKind,
        n: usize,
        task: F,
    ) -> Vec<Option<T>>
    where
        T: Send + 'static,
        F: Fn(Arc<Run>, usize) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, Failed>> + Send,
    {
        self.begin(name, n);
        let next = Arc::new(AtomicUsize::new(0));
        let results: Arc<Mutex<Vec<Option<T>>>> =
            Arc::new(Mutex::new((0..n).map(|_| None).collect()));
        let task = Arc::new(task);
        let workers: Vec<_> = (0..self.plan.concurrency.min(n.max(1)))
            .map(|_| {
                let (run, next, results, task) = (
                    Arc::clone(self),
                    Arc::clone(&next),
                    Arc::clone(&results),
                    Arc::clone(&task),
                );
                tokio::spawn(async move {
                    loop {
                        if run.over_time() {
                            return;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return;
                        }
                        match task(Arc::clone(&run), i).await {
                            Ok(v) => {
                                run.task_done(kind, Ok(()));
                                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(v);
                            }
                            Err(f) => run.task_done(kind, Err(f)),
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.await;
        }
        let started = next.load(Ordering::Relaxed).min(n);
        self.progress
            .planned
            .fetch_sub(n - started, Ordering::Relaxed);
        self.not_started.fetch_add(n - started, Ordering::Relaxed);
        std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The Okta user number `i` of a run: ids and password from the seed, a login unique in the run.
fn okta_user(seed: u64, i: usize) -> OktaUser {
    let mut ids = OktaIds::new(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut u = ids.user();
    u.login = format!(
        "{}.{}{}.{i}@atko.com",
        u.given_name,
        u.family_name,
        seed % 1000
    )
    .to_lowercase();
    u
}

fn id_of(ex: &Exchange) -> Option<String> {
    ex.json()?
        .get("id")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Assign the run's user `i`; its id in the app.
async fn assign(run: Arc<Run>, i: usize) -> Result<String, Failed> {
    let user = okta_user(run.plan.seed, i);
    let filter = format!("userName eq \"{}\"", user.login);
    let pre = run
        .send(
            Request::Precheck,
            "GET",
            "/Users",
            &[("filter", &filter), ("startIndex", "1"), ("count", "100")],
            None,
            &[200],
        )
        .await?;
    let body = pre.json().ok_or_else(|| {
        failed(
            "the pre-check's answer is not JSON",
            format!(
                "Error while verifying if user {} exists: {}",
                user.login,
                pre.got()
            ),
        )
    })?;
    let (Some(total), Some(items)) = (total_results_of(&body), resources_of(&body)) else {
        return Err(failed(
            "the pre-check's answer is not a ListResponse (totalResults, Resources)",
            pre.got(),
        ));
    };
    let found: Vec<&Value> = items
        .iter()
        .filter(|r| {
            r.get("userName")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(&user.login))
        })
        .collect();
    if total as usize != items.len() && items.len() < 100 {
        return Err(failed(
            "the pre-check's totalResults disagrees with its Resources",
            format!("totalResults {total}, {} resources", items.len()),
        ));
    }
    if items.len() != found.len() {
        return Err(failed(
            "the pre-check returned users with another userName",
            pre.got(),
        ));
    }
    if let Some(existing) = found.first() {
        // Okta links the user the app already has: GET, then PUT of Okta's profile over it.
        let id = existing
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        push_profile(&run, &user, &id, &user.given_name).await?;
        return Ok(id);
    }
    let ex = run
        .send(
            Request::CreateUser,
            "POST",
            "/Users",
            &[],
            Some(&Session::create_body(&user)),
            &[201],
        )
        .await?;
    let Some(id) = id_of(&ex) else {
        return Err(failed(
            "Create new user returned empty user.",
            format!("POST /Users for {}: {}", user.login, ex.got()),
        ));
    };
    let name = ex
        .json()
        .and_then(|b| b.get("userName").and_then(Value::as_str).map(String::from));
    if !name.is_some_and(|n| n.eq_ignore_ascii_case(&user.login)) {
        return Err(failed(
            "POST /Users answered with another userName than it was sent",
            ex.got(),
        ));
    }
    Ok(id)
}

/// GET then PUT of Okta's profile (with `given` as the first name) over the app's user.
async fn push_profile(run: &Run, user: &OktaUser, id: &str, given: &str) -> Result<(), Failed> {
    let path = format!("/Users/{id}");
    let got = run
        .send(Request::GetUser, "GET", &path, &[], None, &[200])
        .await?;
    let Some(server) = got
        .json()
        .filter(|b| b.get("id").and_then(Value::as_str) == Some(id))
    else {
        return Err(failed(
            "GET /Users/{id} answered without the user (its id)",
            got.got(),
        ));
    };
    let mut okta = user.clone();
    okta.given_name = given.to_string();
    let body = Session::merge_profile(&server, &okta);
    let put = run
        .send(Request::PutUser, "PUT", &path, &[], Some(&body), &[200])
        .await?;
    let given_back = put.json().and_then(|b| {
        b.pointer("/name/givenName")
            .and_then(Value::as_str)
            .map(String::from)
    });
    if given_back.as_deref() != Some(given) {
        return Err(failed(
            "PUT /Users/{id} answered 200 without the pushed profile (name.givenName)",
            format!("sent givenName {given:?}, got {}", put.got()),
        ));
    }
    Ok(())
}

async fn update_profile(run: Arc<Run>, i: usize, id: String) -> Result<(), Failed> {
    let user = okta_user(run.plan.seed, i);
    let given = format!("{}-updated", user.given_name);
    push_profile(&run, &user, &id, &given).await
}

async fn deactivate(run: Arc<Run>, id: String) -> Result<(), Failed> {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let ex = run
        .send(
            Request::Deactivate,
            "PATCH",
            &format!("/Users/{id}"),
            &[],
            Some(&body),
            &[200, 204],
        )
        .await?;
    if ex.status() == Some(200)
        && let Some(b) = ex.json()
        && b.get("active").is_some_and(|a| a != &Value::Bool(false))
    {
        return Err(failed(
            "PATCH active:false answered 200 with the user still active",
            ex.got(),
        ));
    }
    Ok(())
}

async fn import_all(run: &Run, endpoint: &str) -> Result<u64, Failed> {
    let mut start: u64 = 1;
    let mut seen: u64 = 0;
    for _ in 0..MAX_IMPORT_PAGES {
        let s = start.to_string();
        let ex = run
            .send(
                Request::ImportPage,
                "GET",
                endpoint,
                &[("startIndex", &s), ("count", "100")],
                None,
                &[200],
            )
            .await?;
        let body = ex.json();
        let (Some(total), Some(items)) = (
            body.as_ref().and_then(total_results_of),
            body.as_ref().and_then(resources_of),
        ) else {
            return Err(failed(
                format!("an import page of {endpoint} is not a ListResponse"),
                format!("startIndex={start}: {}", ex.got()),
            ));
        };
        if items.len() > 100 {
            return Err(failed(
                format!("an import page of {endpoint} holds more than the 100 asked for"),
                format!("startIndex={start}: {} resources", items.len()),
            ));
        }
        seen += items.len() as u64;
        start += 100;
        if start > total || items.is_empty() {
            if seen < total.min(start - 1) {
                return Err(failed(
                    format!("import of {endpoint} read fewer resources than totalResults"),
                    format!("read {seen}, totalResults {total}"),
                ));
            }
            return Ok(seen);
        }
    }
    Err(failed(
        format!("import of {endpoint} did not end"),
        format!("{MAX_IMPORT_PAGES} pages read"),
    ))
}

async fn push_group(run: &Run, size: usize) -> Result<(String, String), Failed> {
    let name = format!("okta-sim load {} {size}", run.plan.seed);
    let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": []});
    let ex = run
        .send(
            Request::CreateGroup,
            "POST",
            "/Groups",
            &[],
            Some(&body),
            &[201],
        )
        .await?;
    let Some(id) = id_of(&ex) else {
        return Err(failed("POST /Groups answered without an id", ex.got()));
    };
    Ok((id, name))
}

async fn add_members(
    run: Arc<Run>,
    group: Arc<str>,
    members: Vec<(String, String)>,
) -> Result<(), Failed> {
    let value: Vec<Value> = members
        .iter()
        .map(|(id, login)| json!({"value": id, "display": login}))
        .collect();
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": value}]});
    run.send(
        Request::AddMembers,
        "PATCH",
        &format!("/Groups/{group}"),
        &[],
        Some(&body),
        &[200, 204],
    )
    .await
    .map(|_| ())
}

/// The outcome of a load run.
#[derive(Serialize)]
pub struct LoadReport {
    /// The SCIM base URL loaded.
    pub target: String,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Requests answered (or given up), all kinds.
    pub requests: u64,
    /// Requests a second over the run.
    pub throughput: f64,
    /// Per request kind.
    pub per_request: Vec<RequestReport>,
    /// Per task kind: done and failed.
    pub tasks: Vec<TaskReport>,
    /// Why tasks failed, most frequent first, with examples.
    pub failures: Vec<FailureReport>,
    /// Failures beyond the reasons kept apart.
    pub other_failures: u64,
    /// Tasks never started because `--duration` ran out.
    pub not_started: usize,
    /// Resources an import read.
    pub imported: Option<(u64, u64)>,
    /// Requests and latency over time.
    pub timeline: Timeline,
}

/// One request kind's figures.
#[derive(Serialize)]
pub struct RequestReport {
    /// The request.
    pub request: &'static str,
    /// How many.
    pub count: u64,
    /// Latency percentiles, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Worst, ms.
    pub max_ms: f64,
    /// Answers by status (0: none).
    pub statuses: BTreeMap<u16, u64>,
    /// Tries repeated after a 429.
    pub retried_429: u64,
}

/// One task kind's outcome.
#[derive(Serialize)]
pub struct TaskReport {
    /// The task.
    pub task: &'static str,
    /// Succeeded.
    pub ok: u64,
    /// Failed, as Okta would show them in Dashboard > Tasks.
    pub failed: u64,
}

/// One reason tasks failed.
#[derive(Serialize)]
pub struct FailureReport {
    /// The reason.
    pub reason: String,
    /// How many tasks.
    pub count: u64,
    /// What was seen, for a few of them.
    pub examples: Vec<String>,
}

impl LoadReport {
    /// Tasks Okta would fail.
    pub fn failed_tasks(&self) -> u64 {
        self.tasks.iter().map(|t| t.failed).sum()
    }
}

/// Run the plan against the target `wire` speaks to.
pub async fn run(wire: WireClient, plan: LoadPlan, progress: Arc<Progress>) -> LoadReport {
    let target = wire.base_url().to_string();
    let run = Arc::new(Run {
        wire,
        plan: plan.clone(),
        stats: Mutex::new(Stats::default()),
        start: Instant::now(),
        next_slot: Mutex::new(Instant::now()),
        not_started: AtomicUsize::new(0),
        progress,
    });
    let mut imported = None;
    if plan.import {
        run.begin("import", 1);
        let users = import_all(&run, "/Users").await;
        let outcome = match users {
            Ok(u) => import_all(&run, "/Groups").await.map(|g| (u, g)),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(counts) => {
                imported = Some(counts);
                run.task_done(TaskKind::Import, Ok(()));
            }
            Err(f) => run.task_done(TaskKind::Import, Err(f)),
        }
    }
    let n = plan.users_needed();
    let assigned: Vec<Option<String>> = run.phase("assign", TaskKind::Assign, n, assign).await;
    if plan.push_group > 0 && !run.over_time() {
        run.begin("push group", 1);
        match push_group(&run, plan.push_group).await {
            Ok((gid, _)) => {
                run.task_done(TaskKind::PushGroup, Ok(()));
                let members: Vec<(String, String)> = assigned
                    .iter()
                    .take(plan.push_group)
                    .enumerate()
                    .filter_map(|(i, id)| id.clone().map(|id| (id, okta_user(plan.seed, i).login)))
                    .collect();
                let batches: Arc<Vec<Vec<(String, String)>>> = Arc::new(
                    members
                        .chunks(plan.member_batch)
                        .map(<[_]>::to_vec)
                        .collect(),
                );
                let gid: Arc<str> = gid.into();
                run.phase(
                    "push memberships",
                    TaskKind::PushMembers,
                    batches.len(),
                    move |run, i| add_members(run, Arc::clone(&gid), batches[i].clone()),
                )
                .await;
            }
            Err(f) => run.task_done(TaskKind::PushGroup, Err(f)),
        }
    }
    let ids: Arc<Vec<Option<String>>> = Arc::new(assigned);
    if plan.profile_updates > 0 {
        run.on_assigned(
            "push profiles",
            TaskKind::ProfileUpdate,
            &ids,
            plan.profile_updates,
            update_profile,
        )
        .await;
    }
    if plan.deactivate > 0 {
        run.on_assigned(
            "deactivate",
            TaskKind::Deactivate,
            &ids,
            plan.deactivate,
            |run, _, id| deactivate(run, id),
        )
        .await;
    }
    report(&run, target, imported)
}

fn report(run: &Run, target: String, imported: Option<(u64, u64)>) -> LoadReport {
    let s = run.stats.lock().unwrap_or_else(|e| e.into_inner());
    let seconds = run.start.elapsed().as_secs_f64();
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let per_request: Vec<RequestReport> = s
        .per_request
        .iter()
        .map(|(k, r)| RequestReport {
            request: k.name(),
            count: r.latency_us.len(),
            p50_ms: ms(&r.latency_us, 0.5),
            p90_ms: ms(&r.latency_us, 0.9),
            p99_ms: ms(&r.latency_us, 0.99),
            max_ms: r.latency_us.max() as f64 / 1000.0,
            statuses: r.statuses.clone(),
            retried_429: r.retried_429,
        })
        .collect();
    let requests = per_request.iter().map(|r| r.count).sum();
    let mut failures: Vec<FailureReport> = s
        .failures
        .iter()
        .map(|(reason, (count, examples))| FailureReport {
            reason: reason.clone(),
            count: *count,
            examples: examples.clone(),
        })
        .collect();
    failures.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    let not_started = run.not_started.load(Ordering::Relaxed);
    LoadReport {
        target,
        seconds,
        requests,
        throughput: requests as f64 / seconds.max(1e-9),
        per_request,
        tasks: s
            .tasks
            .iter()
            .map(|(k, t)| TaskReport {
                task: k.name(),
                ok: t.ok,
                failed: t.failed,
            })
            .collect(),
        failures,
        other_failures: s.other_failures,
        not_started,
        imported,
        timeline: s.timeline.clone(),
    }
}

impl LoadReport {
    /// The final table, as printed.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{} requests in {:.1} s: {:.0} requests/s against {}",
            self.requests, self.seconds, self.throughput, self.target
        );
        let _ = writeln!(
            out,
            "\n{:<24} {:>9} {:>9} {:>9} {:>9} {:>9}  statuses",
            "request", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        for r in &self.per_request {
            let statuses: Vec<String> = r
                .statuses
                .iter()
                .map(|(s, n)| match s {
                    0 => format!("no answer ×{n}"),
                    s => format!("{s} ×{n}"),
                })
                .collect();
            let retried = if r.retried_429 > 0 {
                format!(", {} retried after 429", r.retried_429)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{:<24} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {}{retried}",
                r.request,
                r.count,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.max_ms,
                statuses.join(", ")
            );
        }
        let _ = writeln!(out, "\n{:<24} {:>9} {:>9}", "task", "ok", "failed");
        for t in &self.tasks {
            let _ = writeln!(out, "{:<24} {:>9} {:>9}", t.task, t.ok, t.failed);
        }
        if let Some((u, g)) = self.imported {
            let _ = writeln!(out, "\nimport read {u} users and {g} groups");
        }
        if self.not_started > 0 {
            let _ = writeln!(
                out,
                "\n{} tasks not started: --duration ran out",
                self.not_started
            );
        }
        let failed = self.failed_tasks();
        if failed == 0 {
            let _ = writeln!(out, "\nverdict: Okta would complete every task");
        } else {
            let _ = writeln!(
                out,
                "\nverdict: Okta would FAIL {failed} task(s) (shown in Dashboard > Tasks, retried only when an admin resubmits them):"
            );
            for f in &self.failures {
                let _ = writeln!(out, "  {} × {}", f.count, f.reason);
                for e in &f.examples {
                    let _ = writeln!(out, "      e.g. {e}");
                }
            }
            if self.other_failures > 0 {
                let _ = writeln!(out, "  {} × other reasons", self.other_failures);
            }
        }
        out
    }
}

/// One line of a plot: its legend, colour, width and points.
struct Line {
    label: &'static str,
    color: plotters::style::RGBColor,
    width: u32,
    points: Vec<(f64, f64)>,
}

/// One panel of the plot: time across, `y_desc` up to `y_max`, the lines with a legend.
fn panel(
    area: &plotters::drawing::DrawingArea<
        plotters::prelude::SVGBackend<'_>,
        plotters::coord::Shift,
    >,
    caption: Option<String>,
    x_end: f64,
    y_max: f64,
    y_desc: &str,
    lines: Vec<Line>,
) -> Result<(), String> {
    use plotters::prelude::*;
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let mut builder = ChartBuilder::on(area);
    if let Some(c) = caption {
        builder.caption(c, ("sans-serif", 20));
    }
    let mut chart = builder
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_end, 0.0..y_max * 1.1)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc(y_desc)
        .draw()
        .map_err(|x| e(&x))?;
    for line in lines {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(line.points, color.stroke_width(line.width)))
            .map_err(|x| e(&x))?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|x| e(&x))
}

impl LoadReport {
    /// The plot of the run as SVG: requests answered per second (errors apart) above, mean and
    /// worst latency below, both against time.
    pub fn write_svg(&self, path: &std::path::Path) -> Result<(), String> {
        use plotters::prelude::*;
        let t = &self.timeline;
        let at = |i: usize| i as f64 * t.bucket_secs;
        let end = (t.buckets.len().max(1) as f64) * t.bucket_secs;
        let per_sec = |n: u64| n as f64 / t.bucket_secs;
        // Every bucket, or those with an answer (a latency of nothing is not 0).
        let all = |f: &dyn Fn(&Bucket) -> f64| -> Vec<(f64, f64)> {
            t.buckets
                .iter()
                .enumerate()
                .map(|(i, b)| (at(i), f(b)))
                .collect()
        };
        let answered = |f: &dyn Fn(&Bucket) -> f64| -> Vec<(f64, f64)> {
            t.buckets
                .iter()
                .enumerate()
                .filter(|(_, b)| b.requests > 0)
                .map(|(i, b)| (at(i), f(b)))
                .collect()
        };
        let top = |f: &dyn Fn(&Bucket) -> f64| t.buckets.iter().map(f).fold(1.0, f64::max);
        let root = SVGBackend::new(path, (1000, 700)).into_drawing_area();
        let e = |x: &dyn std::fmt::Display| format!("cannot draw {}: {x}", path.display());
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let (upper, lower) = root.split_vertically(350);
        panel(
            &upper,
            Some(format!(
                "okta-sim load: {} requests, {:.0}/s, {} tasks failed",
                self.requests,
                self.throughput,
                self.failed_tasks()
            )),
            end,
            top(&|b| per_sec(b.requests)),
            "requests / s",
            vec![
                Line {
                    label: "answered",
                    color: BLUE,
                    width: 2,
                    points: all(&|b| per_sec(b.requests)),
                },
                Line {
                    label: "failing a task",
                    color: RED,
                    width: 2,
                    points: all(&|b| per_sec(b.errors)),
                },
            ],
        )
        .map_err(|x| e(&x))?;
        panel(
            &lower,
            None,
            end,
            top(&|b| b.latency_max_ms),
            "latency ms",
            vec![
                Line {
                    label: "mean",
                    color: GREEN,
                    width: 2,
                    points: answered(&|b| b.latency_sum_ms / b.requests as f64),
                },
                Line {
                    label: "worst",
                    color: MAGENTA,
                    width: 1,
                    points: answered(&|b| b.latency_max_ms),
                },
            ],
        )
        .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_stays_bounded_and_keeps_every_request_however_long_the_run() {
        let mut t = Timeline::default();
        // A request every 10 ms for two hours.
        for i in 0..720_000u64 {
            t.add(i as f64 * 0.01, 2.0, i % 1000 == 0);
        }
        assert!(t.buckets.len() <= MAX_BUCKETS, "{}", t.buckets.len());
        assert_eq!(t.buckets.iter().map(|b| b.requests).sum::<u64>(), 720_000);
        assert_eq!(t.buckets.iter().map(|b| b.errors).sum::<u64>(), 720);
        assert!(t.bucket_secs >= 7200.0 / MAX_BUCKETS as f64);
        assert!(t.buckets.iter().all(|b| b.latency_max_ms == 2.0));
    }

    #[test]
    fn plans_that_cannot_run_say_why() {
        let plan = LoadPlan {
            assign: 0,
            push_group: 0,
            member_batch: 100,
            import: false,
            profile_updates: 0,
            deactivate: 0,
            concurrency: 4,
            rate: None,
            duration: None,
            seed: 1,
        };
        assert!(plan.check().unwrap_err().contains("nothing to do"));
        let more = LoadPlan {
            assign: 10,
            push_group: 50,
            deactivate: 20,
            ..plan.clone()
        };
        assert!(more.check().is_ok());
        assert_eq!(more.users_needed(), 50);
        assert!(
            LoadPlan {
                member_batch: 0,
                ..more.clone()
            }
            .check()
            .is_err()
        );
        assert!(
            LoadPlan {
                rate: Some(f64::NAN),
                ..more
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn a_runs_users_are_the_same_for_a_seed_and_their_logins_unique() {
        assert_eq!(okta_user(7, 3).login, okta_user(7, 3).login);
        assert_eq!(okta_user(7, 3).id, okta_user(7, 3).id);
        let logins: std::collections::HashSet<String> =
            (0..10_000).map(|i| okta_user(7, i).login).collect();
        assert_eq!(logins.len(), 10_000);
        assert!(okta_user(7, 0).id.starts_with("00u"));
    }
}
