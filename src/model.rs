//! What the API says: a deployment, the application, log lines, and the deployment list, streamed.
//!
//! Everything is read leniently, as the API is not ours: every field is optional and of any type
//! (nothing but `deploy_number` is needed to track a deployment), unknown fields are ignored, and a
//! list entry that is not an object is skipped. Lists are read as a stream, keeping only the
//! entries asked for, so a 16 MiB answer of a million entries costs no more memory than a short one.

use std::collections::VecDeque;
use std::marker::PhantomData;

use serde::Deserialize;

use crate::escape::{self, redact};
use crate::stream::{Items, Loose, Member, lenient, read};

/// One deployment as listed or returned by the trigger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Deployment {
    /// The deployment's UUID.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Its status (`created`, `available`, …), as sent.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<String>,
    /// Its number within the application: how we recognise ours.
    #[serde(deserialize_with = "lenient")]
    pub deploy_number: Option<u64>,
    /// The commit deployed (git-based apps).
    #[serde(deserialize_with = "lenient")]
    pub git_sha: Option<String>,
    /// The commit message, or `Image: …` for image apps.
    #[serde(deserialize_with = "lenient")]
    pub commit_message: Option<String>,
    /// Who made the commit.
    #[serde(deserialize_with = "lenient")]
    pub committer_name: Option<String>,
    /// `dockerfile`, `prebuilt_image`, …
    #[serde(deserialize_with = "lenient")]
    pub strategy: Option<String>,
    /// The image deployed (pre-built image apps).
    #[serde(deserialize_with = "lenient")]
    pub image_reference: Option<String>,
    /// When it was created.
    #[serde(deserialize_with = "lenient")]
    pub created_at: Option<String>,
    /// When it last changed: for an ended deployment, about when it ended (where the API says).
    #[serde(deserialize_with = "lenient")]
    pub updated_at: Option<String>,
}

impl Deployment {
    /// The deployment with `secret` replaced by `***` in every text field.
    pub fn redacted(&self, secret: &str) -> Deployment {
        // Before and after removing control characters, which could join a split token.
        let clean = |v: &Option<String>| {
            v.as_ref()
                .map(|s| redact(&escape::multi_line(&redact(s, secret)), secret))
        };
        Deployment {
            id: clean(&self.id),
            status: clean(&self.status),
            deploy_number: self.deploy_number,
            git_sha: clean(&self.git_sha),
            commit_message: clean(&self.commit_message),
            committer_name: clean(&self.committer_name),
            strategy: clean(&self.strategy),
            image_reference: clean(&self.image_reference),
            created_at: clean(&self.created_at),
            updated_at: clean(&self.updated_at),
        }
    }

    /// The status, lower-cased for comparison with the configured lists.
    pub fn status_key(&self) -> Option<String> {
        self.status.as_ref().map(|s| s.trim().to_ascii_lowercase())
    }
}

/// What the API says about the application (`GET /applications/:id`), every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Application {
    /// Its name.
    pub name: Option<String>,
    /// Its status (`running`, …).
    pub status: Option<String>,
    /// Its state (`active`, …).
    pub state: Option<String>,
    /// How it deploys (`dockerfile`, `prebuilt_image`, …), when the API says.
    pub strategy: Option<String>,
}

/// The application as sent: how it deploys is `deployment_strategy`, or else `strategy`.
#[derive(Default, Deserialize)]
#[serde(default)]
struct SentApplication {
    #[serde(deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient")]
    status: Option<String>,
    #[serde(deserialize_with = "lenient")]
    state: Option<String>,
    #[serde(deserialize_with = "lenient")]
    deployment_strategy: Option<String>,
    #[serde(deserialize_with = "lenient")]
    strategy: Option<String>,
}

/// One line of the application's runtime log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogLine {
    /// When it was written (ISO 8601), as sent.
    pub ts: Option<String>,
    /// The message.
    pub msg: String,
}

/// A log line as sent: one without a `msg` is skipped.
#[derive(Default, Deserialize)]
#[serde(default)]
struct SentLine {
    #[serde(deserialize_with = "lenient")]
    ts: Option<String>,
    #[serde(deserialize_with = "lenient")]
    msg: Option<String>,
}

/// Why a response body could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(String);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which list entries to keep (by `deploy_number`); the others are only counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// None: only the highest number is wanted (the snapshot).
    Nothing,
    /// The entries with this number (ours).
    Number(u64),
    /// The entries with a number above this one (appeared since the snapshot).
    NewerThan(u64),
    /// The one with the highest number (the latest, for a dry run's report).
    Latest,
    /// The [`MAX_KEPT`] with the highest numbers, newest first (the snapshot a rollback's target
    /// and the application's strategy are read from).
    Recent,
}

impl Keep {
    fn wants(self, number: u64) -> bool {
        match self {
            Keep::Nothing => false,
            Keep::Number(n) => number == n,
            Keep::NewerThan(n) => number > n,
            Keep::Latest | Keep::Recent => false,
        }
    }
}

/// At most this many entries are kept from one list: more than a handful already means the answer
/// is ambiguous, and it bounds memory whatever the API sends.
pub const MAX_KEPT: usize = 64;

/// What a list said, as far as it was asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// The highest `deploy_number` listed (0 when none).
    pub highest: u64,
    /// The entries asked for, in the list's order (at most [`MAX_KEPT`]).
    pub kept: Vec<Deployment>,
    /// Whether more entries matched than were kept.
    pub more: bool,
}

impl Listing {
    /// Counts one listed deployment, and keeps it when `keep` asks for it.
    fn add(&mut self, keep: Keep, entry: Deployment) {
        // Without a number an entry can be neither ours, nor newer, nor the latest.
        let Some(number) = entry.deploy_number else {
            return;
        };
        let latest = keep == Keep::Latest && (number > self.highest || self.kept.is_empty());
        self.highest = self.highest.max(number);
        if keep == Keep::Recent {
            self.keep_recent(number, entry);
        } else if latest {
            self.kept = vec![entry];
        } else if keep.wants(number) {
            if self.kept.len() < MAX_KEPT {
                self.kept.push(entry);
            } else {
                self.more = true;
            }
        }
    }
}

impl Listing {
    /// Keeps `entry` (numbered `number`) if it is among the [`MAX_KEPT`] highest numbers so far,
    /// newest first; `more` says that some were left out.
    fn keep_recent(&mut self, number: u64, entry: Deployment) {
        let at = self
            .kept
            .partition_point(|kept| kept.deploy_number.unwrap_or_default() > number);
        if at < MAX_KEPT {
            self.kept.insert(at, entry);
        }
        if self.kept.len() > MAX_KEPT {
            self.kept.truncate(MAX_KEPT);
            self.more = true;
        } else if at >= MAX_KEPT {
            self.more = true;
        }
    }
}

/// Reads the list endpoint's body, keeping only the entries `keep` asks for. Entries that are not
/// objects or have no `deploy_number` are skipped; a body of another shape is unusable.
pub fn parse_list(body: &[u8], keep: Keep) -> Result<Listing, Unusable> {
    let mut listing = Listing::default();
    let entries = Items::new(|entry| listing.add(keep, entry));
    // A bare array is tolerated: nothing in it is ambiguous.
    match read(body, Member::new("deployments", entries).or_array()) {
        Ok(Some(())) => Ok(listing),
        Ok(None) => Err(Unusable("the response has no \"deployments\" list".into())),
        Err(e) => Err(Unusable(format!(
            "the deployment list is not usable JSON ({e})"
        ))),
    }
}

/// Reads `GET /applications/:id`: `{"application": {...}}`.
pub fn parse_application(body: &[u8]) -> Result<Application, Unusable> {
    let sent = read(
        body,
        Member::new("application", PhantomData::<Loose<SentApplication>>),
    )
    .map_err(|_| Unusable("the application answer is not a JSON object".into()))?
    .ok_or_else(|| Unusable("the answer has no \"application\"".into()))?
    .object()
    .unwrap_or_default();
    Ok(Application {
        name: sent.name,
        status: sent.status,
        state: sent.state,
        strategy: sent.deployment_strategy.or(sent.strategy),
    })
}

/// Reads `GET /applications/:id/logs`: `{"logs": [{"ts", "msg", …}]}`, oldest first, keeping at
/// most the last `limit` lines whatever the API sends.
pub fn parse_logs(body: &[u8], limit: usize) -> Result<Vec<LogLine>, Unusable> {
    let mut lines = VecDeque::new();
    let each = |sent: SentLine| {
        if let Some(msg) = sent.msg {
            lines.push_back(LogLine { ts: sent.ts, msg });
            if lines.len() > limit {
                lines.pop_front();
            }
        }
    };
    read(body, Member::new("logs", Items::new(each)))
        .map_err(|_| Unusable("the logs answer is not usable JSON".into()))?
        .ok_or_else(|| Unusable("the answer has no \"logs\" list".into()))?;
    Ok(lines.into())
}

/// Reads the trigger's body: `{"deployment": {...}}` with at least a `deploy_number`.
pub fn parse_triggered(body: &[u8]) -> Result<Deployment, Unusable> {
    let deployment = read(
        body,
        Member::new("deployment", PhantomData::<Loose<Deployment>>),
    )
    .map_err(|_| Unusable("the trigger's answer is not a JSON object".into()))?
    .ok_or_else(|| Unusable("the trigger's answer has no \"deployment\"".into()))?
    .object()
    .unwrap_or_default();
    match deployment.deploy_number {
        Some(n) if n >= 1 => Ok(deployment),
        _ => Err(Unusable(
            "the trigger's answer has no usable \"deploy_number\"".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHED_LIST: &str = r#"{"deployments":[{"id":"92955d4f-2e44-4e48-8cb6-9c6c434afebb","status":"available","deploy_number":2,"git_sha":"d77ead8cbbdc37d04aa8c3466c6e35b7c55a508e","commit_message":"test","committer_name":"John Doe","committer_email":"info@nodion.com","committer_username":"nodion","commit_timestamp":"2022-09-17T18:12:37.000+02:00","strategy":"dockerfile","image_reference":null,"created_at":"2023-04-18T18:32:25.018+02:00"},{"id":"5ff9b89f-c839-465d-88b9-32508a87a586","status":"available","deploy_number":1,"git_sha":null,"commit_message":"Image: nginx:1.25","strategy":"prebuilt_image","image_reference":"docker.io/nginx:1.25","created_at":"2025-02-01T14:35:00.000+01:00"}]}"#;

    #[test]
    fn reads_the_published_list_example() {
        let listing = parse_list(PUBLISHED_LIST.as_bytes(), Keep::NewerThan(0)).unwrap();
        let list = &listing.kept;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].deploy_number, Some(2));
        assert_eq!(
            list[0].git_sha.as_deref(),
            Some("d77ead8cbbdc37d04aa8c3466c6e35b7c55a508e")
        );
        assert_eq!(list[0].image_reference, None);
        assert_eq!(
            list[1].image_reference.as_deref(),
            Some("docker.io/nginx:1.25")
        );
        assert_eq!(list[0].status.as_deref(), Some("available"));
        assert_eq!(list[0].commit_message.as_deref(), Some("test"));
        assert_eq!(list[0].committer_name.as_deref(), Some("John Doe"));
        assert_eq!(list[0].strategy.as_deref(), Some("dockerfile"));
        assert_eq!(
            list[0].id.as_deref(),
            Some("92955d4f-2e44-4e48-8cb6-9c6c434afebb")
        );
        assert_eq!(
            list[0].created_at.as_deref(),
            Some("2023-04-18T18:32:25.018+02:00")
        );
        assert_eq!(listing.highest, 2);
    }

    #[test]
    fn reads_the_published_trigger_example() {
        let body = r#"{"deployment":{"id":"c3f85434-5470-46de-bbeb-ce668ca2c351","status":"created","deploy_number":3,"strategy":"dockerfile"}}"#;
        let d = parse_triggered(body.as_bytes()).unwrap();
        assert_eq!(d.deploy_number, Some(3));
        assert_eq!(d.status.as_deref(), Some("created"));
        let body = r#"{"deployment":{"deploy_number":3,"created_at":"2023-04-25T08:58:59.771+02:00","updated_at":"2023-04-25T08:58:59.771+02:00"}}"#;
        let d = parse_triggered(body.as_bytes()).unwrap();
        assert_eq!(
            d.updated_at.as_deref(),
            Some("2023-04-25T08:58:59.771+02:00")
        );
    }

    #[test]
    fn a_trigger_answer_without_deploy_number_is_unusable() {
        for body in [
            "<html>ok</html>",
            "{}",
            r#"{"deployment":{"id":"x"}}"#,
            r#"{"deployment":{"deploy_number":0}}"#,
            r#"{"deployment":"3"}"#,
        ] {
            assert!(parse_triggered(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn odd_entries_are_skipped_and_odd_types_tolerated() {
        let body = r#"{"deployments":[1,"x",null,{"deploy_number":"7","status":"Available"}]}"#;
        let list = parse_list(body.as_bytes(), Keep::Number(7)).unwrap().kept;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].deploy_number, Some(7));
        assert_eq!(list[0].status_key().as_deref(), Some("available"));
    }

    #[test]
    fn a_list_of_another_shape_is_unusable() {
        for body in [
            "",
            "null",
            "{\"deployments\":{}}",
            "{\"errors\":[]}",
            "{\"deploy",
            "{\"deployments\":[]} trailing",
        ] {
            assert!(
                parse_list(body.as_bytes(), Keep::Nothing).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn only_the_entries_asked_for_are_kept() {
        let body = r#"{"deployments":[{"deploy_number":5},{"deploy_number":3},{"deploy_number":4},{"x":1}]}"#;
        let numbers = |keep| {
            let listing = parse_list(body.as_bytes(), keep).unwrap();
            assert_eq!(listing.highest, 5);
            listing
                .kept
                .iter()
                .map(|d| d.deploy_number.unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(Keep::Nothing), Vec::<u64>::new());
        assert_eq!(numbers(Keep::Number(3)), [3]);
        assert_eq!(numbers(Keep::NewerThan(3)), [5, 4]);
        assert_eq!(numbers(Keep::Latest), [5]);
    }

    #[test]
    fn a_list_of_a_million_entries_keeps_at_most_max_kept() {
        let body = format!(
            "{{\"deployments\":[{}{{\"deploy_number\":9}}]}}",
            "{\"deploy_number\":2},".repeat(1_000_000)
        );
        let listing = parse_list(body.as_bytes(), Keep::NewerThan(1)).unwrap();
        assert_eq!(listing.kept.len(), MAX_KEPT);
        assert!(listing.more);
        assert_eq!(listing.highest, 9);
    }

    #[test]
    fn a_trigger_answer_ignores_what_it_does_not_need() {
        let body = format!(
            "{{\"deployment\":{{\"deploy_number\":4,\"extra\":[{}1]}},\"meta\":{{}}}}",
            "[],".repeat(100_000)
        );
        assert_eq!(
            parse_triggered(body.as_bytes()).unwrap().deploy_number,
            Some(4)
        );
    }

    #[test]
    fn reads_an_application_leniently() {
        let body = r#"{"application":{"id":"a","name":"Shop","status":"running","state":"active","deployment_strategy":"prebuilt_image","extra":[1,2]}}"#;
        let app = parse_application(body.as_bytes()).unwrap();
        assert_eq!(app.name.as_deref(), Some("Shop"));
        assert_eq!(app.status.as_deref(), Some("running"));
        assert_eq!(app.strategy.as_deref(), Some("prebuilt_image"));
        assert!(parse_application(b"{}").is_err());
        assert!(parse_application(b"[1]").is_err());
    }

    #[test]
    fn reads_only_the_last_log_lines() {
        let body = r#"{"logs":[{"ts":"t1","msg":"one"},{"msg":2},{"ts":"t3"},{"ts":"t4","msg":"four","instance_id":"i"}]}"#;
        let lines = parse_logs(body.as_bytes(), 2).unwrap();
        let messages: Vec<&str> = lines.iter().map(|l| l.msg.as_str()).collect();
        assert_eq!(messages, ["2", "four"]);
        assert_eq!(lines[1].ts.as_deref(), Some("t4"));
        let many = format!(
            "{{\"logs\":[{}{{\"msg\":\"last\"}}]}}",
            "{\"msg\":\"x\"},".repeat(100_000)
        );
        let lines = parse_logs(many.as_bytes(), 50).unwrap();
        assert_eq!(lines.len(), 50);
        assert_eq!(lines[49].msg, "last");
        assert_eq!(parse_logs(many.as_bytes(), 0).unwrap(), []);
    }

    #[test]
    fn a_field_of_any_type_reads_as_its_text_or_as_absent() {
        let body = r#"{"deployment":{"deploy_number":" 7 ","id":1.5,"status":true,"git_sha":12,"commit_message":[1],"committer_name":{"a":1},"strategy":null,"image_reference":" x "}}"#;
        let d = parse_triggered(body.as_bytes()).unwrap();
        assert_eq!(d.deploy_number, Some(7));
        assert_eq!(d.id.as_deref(), Some("1.5"));
        assert_eq!(d.status.as_deref(), Some("true"));
        assert_eq!(d.git_sha.as_deref(), Some("12"));
        assert_eq!(d.commit_message, None);
        assert_eq!(d.committer_name, None);
        assert_eq!(d.strategy, None);
        assert_eq!(
            d.image_reference.as_deref(),
            Some(" x "),
            "text is kept as sent"
        );
        for number in ["7.0", "7", "\"7\""] {
            let body = format!("{{\"deployment\":{{\"deploy_number\":{number}}}}}");
            assert_eq!(
                parse_triggered(body.as_bytes()).unwrap().deploy_number,
                Some(7)
            );
        }
        for number in ["-1", "true", "\"7x\"", "[7]", "{}", "18446744073709551616"] {
            let body = format!("{{\"deployment\":{{\"deploy_number\":{number}}}}}");
            assert!(parse_triggered(body.as_bytes()).is_err(), "{number}");
        }
    }

    #[test]
    fn an_entry_given_as_an_array_is_not_read_by_position() {
        let body = r#"{"deployments":[["id","available",7],{"deploy_number":8}]}"#;
        let listing = parse_list(body.as_bytes(), Keep::NewerThan(0)).unwrap();
        assert_eq!(listing.highest, 8);
        assert_eq!(listing.kept.len(), 1);
        assert!(parse_triggered(br#"{"deployment":["id","created",3]}"#).is_err());
    }

    #[test]
    fn a_repeated_field_in_an_object_makes_the_answer_unusable() {
        // As with any derived serde reader; a repeated top-level member is skipped instead.
        let body = r#"{"deployments":[{"deploy_number":3,"status":"a","status":"b"}]}"#;
        assert!(parse_list(body.as_bytes(), Keep::Number(3)).is_err());
        let body = r#"{"deployments":[{"deploy_number":3}],"deployments":[{"deploy_number":4}]}"#;
        assert_eq!(
            parse_list(body.as_bytes(), Keep::Nothing).unwrap().highest,
            3
        );
    }
}
