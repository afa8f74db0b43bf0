//! What the fake remembers, and how it answers a request that no fault intercepts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use crate::http::{Request, Response};
use crate::lag::Lag;
use crate::source::Source;
use crate::text::{Rng, iso8601, wall_time_of};
use crate::{Fault, Hold, Options, Recorded, Route, Stage};

/// The real API's limits for the logs endpoint.
const DEFAULT_LOG_LIMIT: usize = 200;
const MAX_LOG_LIMIT: usize = 2500;
/// Enough canned lines that the default limit cuts some off, as it would on a busy app.
const CANNED_LOG_LINES: usize = 300;
/// What a prebuilt-image application deploys when a trigger names no tag.
const DEFAULT_IMAGE_TAG: &str = "latest";

pub(crate) struct State {
    pub token: String,
    pub application_id: String,
    app_name: String,
    image: Option<String>,
    commit_message: String,
    committer_name: String,
    pub log_requests: bool,
    lifecycle: Vec<Stage>,
    queued_lifecycles: VecDeque<Vec<Stage>>,
    tag_lifecycles: BTreeMap<String, Vec<Stage>>,
    deployments: Vec<Deployment>,
    pub requests: Vec<Recorded>,
    faults: HashMap<Route, VecDeque<Fault>>,
    log_messages: Option<Vec<String>>,
    rng: Rng,
    /// A List that lags behind the trigger.
    lag: Lag,
}

struct Deployment {
    number: u64,
    /// Every published field except the two that change over time.
    fields: Map<String, Value>,
    stages: Vec<Stage>,
    stage: usize,
    entered: Instant,
    /// Successful List answers that showed this deployment in its current stage.
    lists_seen: u32,
    updated_at: SystemTime,
    /// Fields a test forced; they win over everything else when rendering.
    overrides: Map<String, Value>,
    /// Fields a test left out of the JSON.
    left_out: Vec<String>,
    /// The first successful List answer that showed it in its last stage.
    noticed: Option<Instant>,
}

impl Deployment {
    fn status(&self) -> &str {
        self.stages
            .get(self.stage)
            .map_or("created", |s| s.status.as_str())
    }

    /// Moves through every stage whose hold is over; a For hold ends at its exact deadline so
    /// chained timed stages do not drift with the polling rate.
    fn advance(&mut self, now: Instant) {
        while self.stage + 1 < self.stages.len() {
            let ended = match self.stages[self.stage].hold {
                Hold::Lists(n) if self.lists_seen >= n => now,
                Hold::For(d) => match self.entered.checked_add(d) {
                    Some(deadline) if deadline <= now => deadline,
                    _ => break,
                },
                _ => break,
            };
            self.stage += 1;
            self.entered = ended;
            self.lists_seen = 0;
            self.updated_at = wall_time_of(ended, now);
        }
    }

    fn hold_forever(&mut self, status: &str) {
        self.stages = vec![Stage::new(status, Hold::Forever)];
        self.stage = 0;
        self.entered = Instant::now();
        self.lists_seen = 0;
        self.updated_at = SystemTime::now();
        self.noticed = None;
    }

    fn in_last_stage(&self) -> bool {
        self.stage + 1 >= self.stages.len()
    }

    /// How long after entering its last stage a List answer first showed it there.
    fn noticed_after(&self) -> Option<Duration> {
        let noticed = self.noticed?;
        self.in_last_stage()
            .then(|| noticed.saturating_duration_since(self.entered))
    }

    /// Shows raw timestamps instead of the real ones; none leaves the field out.
    fn force_timestamps(&mut self, created_at: Option<&String>, updated_at: Option<&String>) {
        for (field, value) in [("created_at", created_at), ("updated_at", updated_at)] {
            match value {
                Some(raw) => {
                    self.overrides.insert(field.into(), raw.as_str().into());
                }
                None => self.left_out.push(field.into()),
            }
        }
    }

    fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        out.insert("status".into(), self.status().into());
        out.insert("updated_at".into(), iso8601(self.updated_at).into());
        out.extend(self.overrides.clone());
        for field in &self.left_out {
            out.remove(field);
        }
        Value::Object(out)
    }
}

impl State {
    pub fn new(opts: &Options) -> State {
        let mut state = State {
            token: opts.token.clone(),
            application_id: opts.application_id.clone(),
            app_name: opts.app_name.clone(),
            image: opts.image.clone(),
            commit_message: opts.commit_message.clone(),
            committer_name: opts.committer_name.clone(),
            log_requests: opts.log_requests,
            lifecycle: opts.lifecycle.clone(),
            queued_lifecycles: opts.lifecycles.iter().cloned().collect(),
            tag_lifecycles: opts.tag_lifecycles.clone(),
            deployments: Vec::new(),
            requests: Vec::new(),
            faults: HashMap::new(),
            log_messages: None,
            rng: Rng::new(),
            lag: Lag::default(),
        };
        let now = SystemTime::now();
        let newest_seed = opts.existing.iter().map(|s| s.deploy_number).max();
        for seed in &opts.existing {
            // Older deployments an hour apart, so their timestamps sort like their numbers.
            let hours_ago = newest_seed.unwrap_or(0) - seed.deploy_number + 1;
            let created = now
                .checked_sub(Duration::from_secs(hours_ago * 3600))
                .unwrap_or(now);
            let message = format!("Earlier change #{}", seed.deploy_number);
            let source = state.source(seed.image_tag.as_deref(), seed.git_sha.clone(), message);
            let stages = vec![Stage::new(&seed.status, Hold::Forever)];
            let d = state.insert(seed.deploy_number, source, created, stages);
            d.updated_at = created.checked_add(seed.took).unwrap_or(created);
            if let Some((created_at, updated_at)) = &seed.timestamps {
                d.force_timestamps(created_at.as_ref(), updated_at.as_ref());
            }
        }
        state
    }

    fn insert(
        &mut self,
        number: u64,
        source: Source,
        created: SystemTime,
        stages: Vec<Stage>,
    ) -> &mut Deployment {
        let fields = source.fields(&mut self.rng, number, created);
        self.deployments.push(Deployment {
            number,
            fields,
            stages,
            stage: 0,
            entered: Instant::now(),
            lists_seen: 0,
            updated_at: created,
            overrides: Map::new(),
            left_out: Vec::new(),
            noticed: None,
        });
        let last = self.deployments.len() - 1;
        &mut self.deployments[last]
    }

    fn find(&mut self, deploy_number: u64) -> &mut Deployment {
        self.deployments
            .iter_mut()
            .find(|d| d.number == deploy_number)
            .unwrap_or_else(|| panic!("fake-nodion has no deployment #{deploy_number}"))
    }

    /// Advances every deployment and renders them newest first.
    pub fn deployments(&mut self) -> Vec<Value> {
        let now = Instant::now();
        for d in &mut self.deployments {
            d.advance(now);
        }
        let mut order: Vec<&Deployment> = self.deployments.iter().collect();
        order.sort_by_key(|d| std::cmp::Reverse(d.number));
        order.into_iter().map(Deployment::to_json).collect()
    }

    pub fn set_lifecycle(&mut self, lifecycle: Vec<Stage>) {
        self.lifecycle = lifecycle;
    }

    pub fn queue_lifecycle(&mut self, lifecycle: Vec<Stage>) {
        self.queued_lifecycles.push_back(lifecycle);
    }

    pub fn set_tag_lifecycle(&mut self, image_tag: &str, lifecycle: Vec<Stage>) {
        self.tag_lifecycles.insert(image_tag.to_string(), lifecycle);
    }

    /// The lifecycle of the deployment a trigger creates now: the next queued one, else its
    /// image tag's, else the default.
    fn next_lifecycle(&mut self, image_tag: Option<&str>) -> Vec<Stage> {
        if let Some(queued) = self.queued_lifecycles.pop_front() {
            return queued;
        }
        image_tag
            .and_then(|tag| self.tag_lifecycles.get(tag))
            .unwrap_or(&self.lifecycle)
            .clone()
    }

    /// What a deployment deploys: with an image tag, `<repository>:<tag>` of the application's
    /// image repository (for a git-based application, one named after it on Docker Hub); without
    /// one, a commit with this message.
    fn source(&self, image_tag: Option<&str>, sha: Option<String>, message: String) -> Source {
        match (image_tag, &self.image) {
            (Some(tag), Some(repository)) => Source::Image {
                reference: format!("{repository}:{tag}"),
                sha,
            },
            (Some(tag), None) => Source::Image {
                reference: format!("docker.io/{}:{tag}", self.app_name),
                sha,
            },
            (None, _) => Source::Commit {
                sha,
                message,
                committer: self.committer_name.clone(),
            },
        }
    }

    /// How long after deployment `deploy_number` entered its last stage a List answer first
    /// showed it there; none while none has (or there is no such deployment).
    pub fn noticed_after(&self, deploy_number: u64) -> Option<Duration> {
        self.deployments
            .iter()
            .find(|d| d.number == deploy_number)
            .and_then(Deployment::noticed_after)
    }

    pub fn set_status(&mut self, deploy_number: u64, status: &str) {
        self.find(deploy_number).hold_forever(status);
    }

    pub fn set_field(&mut self, deploy_number: u64, field: &str, value: Value) {
        let d = self.find(deploy_number);
        d.left_out.retain(|f| f != field);
        d.overrides.insert(field.to_string(), value);
    }

    pub fn set_log_messages(&mut self, messages: Vec<String>) {
        self.log_messages = Some(messages);
    }

    pub fn push_fault(&mut self, route: Route, fault: Fault) {
        self.faults.entry(route).or_default().push_back(fault);
    }

    pub fn take_fault(&mut self, route: Route) -> Option<Fault> {
        self.faults.get_mut(&route)?.pop_front()
    }

    /// The next scripted fault for a route, left in place.
    pub fn peek_fault(&self, route: Route) -> Option<&Fault> {
        self.faults.get(&route)?.front()
    }

    /// The normal answer: auth, then the application, then the route.
    pub fn handle(&mut self, req: &Request, route: Route) -> Response {
        let expected = format!("Bearer {}", self.token);
        if req.header("authorization") != Some(expected.as_str()) {
            return Response::error(401, "Invalid API token");
        }
        if route == Route::Other {
            return Response::error(404, "Not found");
        }
        let app_id = req.path.split('/').nth(3).unwrap_or_default();
        if app_id != self.application_id {
            return Response::error(404, "Application not found");
        }
        match route {
            Route::List => self.list(),
            Route::Trigger => self.trigger(&req.body),
            Route::Application => self.application(),
            Route::Logs => self.logs(req.query_param("limit")),
            Route::Other => Response::error(404, "Not found"),
        }
    }

    /// Deployments created from now on are missing from the next `answers` List answers.
    pub fn lag_list(&mut self, answers: u32) {
        let existing = self.deployments.iter().map(|d| d.number);
        self.lag.set(answers, existing);
    }

    fn list(&mut self) -> Response {
        let mut deployments = self.deployments();
        let missing = self.lag.answer(self.deployments.iter().map(|d| d.number));
        deployments.retain(|d| {
            !d["deploy_number"]
                .as_u64()
                .is_some_and(|n| missing.contains(&n))
        });
        // Counted after rendering: the list that shows a stage is one of the lists it holds for.
        let now = Instant::now();
        for d in &mut self.deployments {
            if !missing.contains(&d.number) {
                d.lists_seen = d.lists_seen.saturating_add(1);
                if d.in_last_stage() && d.noticed.is_none() {
                    d.noticed = Some(now);
                }
            }
        }
        Response::json(200, &json!({ "deployments": deployments }))
    }

    fn trigger(&mut self, body: &[u8]) -> Response {
        // The published docs make the body optional, so an empty one means "no parameters".
        let params = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice(body) {
                Ok(Value::Object(params)) => params,
                _ => return Response::error(400, "Invalid request body"),
            }
        };
        let image_tag = match params.get("image_tag") {
            None | Some(Value::Null) => None,
            Some(Value::String(tag)) if !tag.is_empty() => Some(tag.clone()),
            Some(_) => return Response::error(400, "Image tag is invalid"),
        };
        // A prebuilt-image application deploys its default tag when none is given.
        let image_tag = image_tag.or_else(|| self.image.as_ref().map(|_| DEFAULT_IMAGE_TAG.into()));
        let number = self.deployments.iter().map(|d| d.number).max().unwrap_or(0) + 1;
        let stages = self.next_lifecycle(image_tag.as_deref());
        let source = self.source(image_tag.as_deref(), None, self.commit_message.clone());
        let created = self.insert(number, source, SystemTime::now(), stages);
        Response::json(200, &json!({ "deployment": created.to_json() }))
    }

    fn application(&self) -> Response {
        let mut application = json!({
            "id": self.application_id,
            "name": self.app_name,
            "status": "running",
            "state": "active",
            "deployment_strategy": "dockerfile",
        });
        if let Some(image) = &self.image {
            application["deployment_strategy"] = "prebuilt_image".into();
            application["image_name"] = image.as_str().into();
            application["image_tag"] = DEFAULT_IMAGE_TAG.into();
        }
        Response::json(200, &json!({ "application": application }))
    }

    fn logs(&self, limit: Option<&str>) -> Response {
        let limit = limit
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(DEFAULT_LOG_LIMIT)
            .min(MAX_LOG_LIMIT);
        let messages: Vec<String> = match &self.log_messages {
            Some(messages) => messages.clone(),
            None => (0..CANNED_LOG_LINES).map(canned_log_line).collect(),
        };
        let skip = messages.len().saturating_sub(limit);
        let now = SystemTime::now();
        let count = messages.len() as u64;
        let logs: Vec<Value> = messages
            .into_iter()
            .enumerate()
            .skip(skip)
            .map(|(i, msg)| {
                // Ten seconds apart, the last one just now, so they fit in the default last hour.
                let age = Duration::from_secs((count - i as u64 - 1) * 10);
                json!({
                    "ts": iso8601(now.checked_sub(age).unwrap_or(now)),
                    "msg": msg,
                    "instance_id": if i % 3 == 0 { "inst-7f3a9c" } else { "inst-2b81d4" },
                })
            })
            .collect();
        Response::json(200, &json!({ "logs": logs }))
    }
}

/// Line `i` of a plausible web app's runtime log; the last lines show it failing, as logs
/// fetched after a failed deployment would.
fn canned_log_line(i: usize) -> String {
    match i {
        0 => "Booting app (pid 1)".to_string(),
        1 => "Listening on 0.0.0.0:8080".to_string(),
        i if i + 3 == CANNED_LOG_LINES => "ERROR database connection refused (db:5432)".to_string(),
        i if i + 2 == CANNED_LOG_LINES => "ERROR health check /health failed: 503".to_string(),
        i if i + 1 == CANNED_LOG_LINES => "Process exited with status 1".to_string(),
        i => match i % 4 {
            0 => format!("GET /health 200 {}ms", i % 7 + 1),
            1 => format!("GET / 200 {}ms", i % 40 + 5),
            2 => format!("POST /login 302 {}ms", i % 30 + 20),
            _ => format!("GET /assets/app-{i:04}.js 304 1ms"),
        },
    }
}
