//! What the API says about a deployment, read leniently and frugally: every field is optional
//! and of any type (nothing but `deploy_number` is needed to track a deployment, and the API is not
//! ours), and a list is read as a stream, keeping only the entries asked for, so a 16 MiB answer of
//! a million entries costs no more memory than a short one.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Deserialize, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One deployment as listed or returned by the trigger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deployment {
    /// The deployment's UUID.
    pub id: Option<String>,
    /// Its status (`created`, `available`, …), as sent.
    pub status: Option<String>,
    /// Its number within the application: how we recognise ours.
    pub deploy_number: Option<u64>,
    /// The commit deployed (git-based apps).
    pub git_sha: Option<String>,
    /// The commit message, or `Image: …` for image apps.
    pub commit_message: Option<String>,
    /// Who made the commit.
    pub committer_name: Option<String>,
    /// `dockerfile`, `prebuilt_image`, …
    pub strategy: Option<String>,
    /// The image deployed (pre-built image apps).
    pub image_reference: Option<String>,
    /// When it was created.
    pub created_at: Option<String>,
}

impl Deployment {
    /// The deployment with `secret` replaced by `***` in every text field.
    pub fn redacted(&self, secret: &str) -> Deployment {
        // An empty pattern would match between every character.
        if secret.is_empty() {
            return self.clone();
        }
        // Before and after removing control characters, which could join a split token.
        let clean = |v: &Option<String>| {
            v.as_ref().map(|s| {
                crate::escape::multi_line(&s.replace(secret, "***")).replace(secret, "***")
            })
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
        }
    }

    /// The status, lower-cased for comparison with the configured lists.
    pub fn status_key(&self) -> Option<String> {
        self.status.as_ref().map(|s| s.trim().to_ascii_lowercase())
    }
}

/// Why a response body could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

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
}

impl Keep {
    fn wants(self, number: u64) -> bool {
        match self {
            Keep::Nothing => false,
            Keep::Number(n) => number == n,
            Keep::NewerThan(n) => number > n,
            Keep::Latest => false,
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

/// One string-ish field: strings as they are, numbers and booleans as text, anything else absent.
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
        Ok(Text(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
        Ok(Text(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Text, E> {
        Ok(Text(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

/// Streams the entries of a `deployments` array into a [`Listing`].
struct Entries<'a> {
    keep: Keep,
    listing: &'a mut Listing,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of deployments")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // An entry that is not an object reads as no fields, and so has no number to keep it by.
        while let Some(fields) = seq.next_element::<Fields>()? {
            let entry = Some(Deployment::from(fields));
            let Some(number) = entry.as_ref().and_then(|d| d.deploy_number) else {
                continue;
            };
            if self.keep == Keep::Latest
                && (number > self.listing.highest || self.listing.kept.is_empty())
            {
                self.listing.kept = Vec::from_iter(entry.clone());
            }
            self.listing.highest = self.listing.highest.max(number);
            if self.keep.wants(number) {
                if self.listing.kept.len() < MAX_KEPT {
                    self.listing.kept.extend(entry);
                } else {
                    self.listing.more = true;
                }
            }
        }
        Ok(())
    }
}

/// The top of a list answer: `{"deployments": [...]}`, or a bare array.
struct ListBody<'a> {
    keep: Keep,
    listing: &'a mut Listing,
}

impl<'de> Visitor<'de> for ListBody<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a \"deployments\" list")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<Text>()? {
            if key.0.as_deref() == Some("deployments") && !found {
                found = true;
                map.next_value_seed(Entries {
                    keep: self.keep,
                    listing: &mut *self.listing,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        // Tolerate a bare array: nothing in it is ambiguous.
        Entries {
            keep: self.keep,
            listing: self.listing,
        }
        .visit_seq(seq)
        .map(|()| true)
    }
}

/// Reads the list endpoint's body, keeping only the entries `keep` asks for. Entries that are not
/// objects or have no `deploy_number` are skipped; a body of another shape is unusable.
pub fn parse_list(body: &[u8], keep: Keep) -> Result<Listing, Unusable> {
    let mut listing = Listing::default();
    let mut reader = serde_json::Deserializer::from_slice(body);
    let found = reader
        .deserialize_any(ListBody {
            keep,
            listing: &mut listing,
        })
        .and_then(|found| reader.end().map(|()| found))
        .map_err(|e| Unusable(format!("the deployment list is not usable JSON ({e})")))?;
    if found {
        Ok(listing)
    } else {
        Err(Unusable("the response has no \"deployments\" list".into()))
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

impl From<Fields> for Deployment {
    fn from(mut f: Fields) -> Deployment {
        Deployment {
            id: f.take("id"),
            status: f.take("status"),
            deploy_number: f.take("deploy_number").and_then(|n| n.trim().parse().ok()),
            git_sha: f.take("git_sha"),
            commit_message: f.take("commit_message"),
            committer_name: f.take("committer_name"),
            strategy: f.take("strategy"),
            image_reference: f.take("image_reference"),
            created_at: f.take("created_at"),
        }
    }
}

/// The top of an application answer: `{"application": {...}}`.
struct ApplicationBody;

impl<'de> Visitor<'de> for ApplicationBody {
    type Value = Option<Application>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with an \"application\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Application>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Text>()? {
            if key.0.as_deref() == Some("application") && found.is_none() {
                found = Some(map.next_value::<Fields>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found.map(|mut f| Application {
            name: f.take("name"),
            status: f.take("status"),
            state: f.take("state"),
            strategy: f.take("deployment_strategy").or_else(|| f.take("strategy")),
        }))
    }
}

/// The string-ish fields of an object we care about (names known in advance); anything that is
/// not an object reads as no fields.
struct Fields(Vec<(String, String)>);

impl Fields {
    /// Every key read from any object: a deployment's, an application's, a log line's.
    const WANTED: [&'static str; 14] = [
        "id",
        "status",
        "deploy_number",
        "git_sha",
        "commit_message",
        "committer_name",
        "strategy",
        "image_reference",
        "created_at",
        "name",
        "state",
        "deployment_strategy",
        "ts",
        "msg",
    ];

    fn take(&mut self, key: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.swap_remove(at).1)
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        d.deserialize_any(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<Text>()? {
            match key.0 {
                Some(key) if Fields::WANTED.contains(&key.as_str()) => {
                    // The last value of a repeated key counts, as in any JSON reader.
                    fields.retain(|(k, _): &(String, String)| *k != key);
                    if let Some(value) = map.next_value::<Text>()?.0 {
                        fields.push((key, value));
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Fields(fields))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Fields, A::Error> {
        TextVisitor.visit_seq(seq).map(|_| Fields(Vec::new()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Fields, E> {
        Ok(Fields(Vec::new()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Fields, E> {
        Ok(Fields(Vec::new()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Fields, E> {
        Ok(Fields(Vec::new()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Fields, E> {
        Ok(Fields(Vec::new()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Fields, E> {
        Ok(Fields(Vec::new()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Fields, E> {
        Ok(Fields(Vec::new()))
    }
}

/// Reads `GET /applications/:id`: `{"application": {...}}`.
pub fn parse_application(body: &[u8]) -> Result<Application, Unusable> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    reader
        .deserialize_map(ApplicationBody)
        .and_then(|a| reader.end().map(|()| a))
        .map_err(|_| Unusable("the application answer is not a JSON object".into()))?
        .ok_or_else(|| Unusable("the answer has no \"application\"".into()))
}

/// One line of the application's runtime log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogLine {
    /// When it was written (ISO 8601), as sent.
    pub ts: Option<String>,
    /// The message.
    pub msg: String,
}

/// The `logs` array, keeping only the last `limit` lines.
struct LogLines {
    limit: usize,
}

impl<'de> DeserializeSeed<'de> for LogLines {
    type Value = std::collections::VecDeque<LogLine>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LogLines {
    type Value = std::collections::VecDeque<LogLine>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of log lines")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut lines = std::collections::VecDeque::new();
        while let Some(mut fields) = seq.next_element::<Fields>()? {
            let Some(msg) = fields.take("msg") else {
                continue;
            };
            if lines.len() == self.limit {
                lines.pop_front();
            }
            lines.push_back(LogLine {
                ts: fields.take("ts"),
                msg,
            });
        }
        Ok(lines)
    }
}

/// The top of a logs answer: `{"logs": [...]}`.
struct LogsBody {
    limit: usize,
}

impl<'de> Visitor<'de> for LogsBody {
    type Value = Option<Vec<LogLine>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a \"logs\" list")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Text>()? {
            if key.0.as_deref() == Some("logs") && found.is_none() {
                let lines = map.next_value_seed(LogLines { limit: self.limit })?;
                found = Some(lines.into_iter().collect());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Reads `GET /applications/:id/logs`: `{"logs": [{"ts", "msg", …}]}`, oldest first, keeping at
/// most the last `limit` lines whatever the API sends.
pub fn parse_logs(body: &[u8], limit: usize) -> Result<Vec<LogLine>, Unusable> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    reader
        .deserialize_map(LogsBody { limit })
        .and_then(|l| reader.end().map(|()| l))
        .map_err(|_| Unusable("the logs answer is not usable JSON".into()))?
        .ok_or_else(|| Unusable("the answer has no \"logs\" list".into()))
}

/// The top of a trigger answer: `{"deployment": {...}}`.
struct TriggerBody;

impl<'de> Visitor<'de> for TriggerBody {
    type Value = Option<Deployment>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a \"deployment\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Deployment>, A::Error> {
        let mut deployment = None;
        while let Some(key) = map.next_key::<Text>()? {
            if key.0.as_deref() == Some("deployment") && deployment.is_none() {
                deployment = Some(Deployment::from(map.next_value::<Fields>()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(deployment)
    }
}

/// Reads the trigger's body: `{"deployment": {...}}` with at least a `deploy_number`.
pub fn parse_triggered(body: &[u8]) -> Result<Deployment, Unusable> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let deployment = reader
        .deserialize_map(TriggerBody)
        .and_then(|d| reader.end().map(|()| d))
        .map_err(|_| Unusable("the trigger's answer is not a JSON object".into()))?
        .ok_or_else(|| Unusable("the trigger's answer has no \"deployment\"".into()))?;
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
    }
}
