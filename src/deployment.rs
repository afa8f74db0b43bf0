//! What the API says about a deployment, read leniently: every field is optional and of any type,
//! because nothing but `deploy_number` is needed to track it and the API is not ours.

use serde_json::Value;

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

/// Why a response body could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

impl Deployment {
    /// Reads one deployment object; anything that is not an object gives `None`.
    pub fn from_value(value: &Value) -> Option<Deployment> {
        let object = value.as_object()?;
        let text = |key: &str| match object.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        };
        let deploy_number = match object.get("deploy_number") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        Some(Deployment {
            id: text("id"),
            status: text("status"),
            deploy_number,
            git_sha: text("git_sha"),
            commit_message: text("commit_message"),
            committer_name: text("committer_name"),
            strategy: text("strategy"),
            image_reference: text("image_reference"),
            created_at: text("created_at"),
        })
    }

    /// The deployment with `secret` replaced by `***` in every text field.
    pub fn redacted(&self, secret: &str) -> Deployment {
        if secret.len() < 4 {
            return self.clone();
        }
        // Before and after removing control characters, which could join a split token.
        let clean = |v: &Option<String>| {
            v.as_ref().map(|s| {
                crate::sanitize::multi_line(&s.replace(secret, "***")).replace(secret, "***")
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

/// Reads the list endpoint's body: `{"deployments": [...]}`. Entries that are not objects are
/// skipped; a body of another shape is unusable.
pub fn parse_list(body: &[u8]) -> Result<Vec<Deployment>, Unusable> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Unusable(format!("the deployment list is not JSON ({e})")))?;
    let items = match &value {
        Value::Object(map) => match map.get("deployments") {
            Some(Value::Array(items)) => items,
            _ => return Err(Unusable("the response has no \"deployments\" list".into())),
        },
        // Tolerate a bare array: nothing in it is ambiguous.
        Value::Array(items) => items,
        _ => return Err(Unusable("the response has no \"deployments\" list".into())),
    };
    Ok(items.iter().filter_map(Deployment::from_value).collect())
}

/// Reads the trigger's body: `{"deployment": {...}}` with at least a `deploy_number`.
pub fn parse_triggered(body: &[u8]) -> Result<Deployment, Unusable> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Unusable("the trigger's answer is not JSON".into()))?;
    let deployment = value
        .get("deployment")
        .and_then(Deployment::from_value)
        .ok_or_else(|| Unusable("the trigger's answer has no \"deployment\"".into()))?;
    match deployment.deploy_number {
        Some(n) if n >= 1 => Ok(deployment),
        _ => Err(Unusable(
            "the trigger's answer has no usable \"deploy_number\"".into(),
        )),
    }
}

/// The highest `deploy_number` in a list (0 when empty).
pub fn highest_number(list: &[Deployment]) -> u64 {
    list.iter()
        .filter_map(|d| d.deploy_number)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHED_LIST: &str = r#"{"deployments":[{"id":"92955d4f-2e44-4e48-8cb6-9c6c434afebb","status":"available","deploy_number":2,"git_sha":"d77ead8cbbdc37d04aa8c3466c6e35b7c55a508e","commit_message":"test","committer_name":"John Doe","committer_email":"info@nodion.com","committer_username":"nodion","commit_timestamp":"2022-09-17T18:12:37.000+02:00","strategy":"dockerfile","image_reference":null,"created_at":"2023-04-18T18:32:25.018+02:00"},{"id":"5ff9b89f-c839-465d-88b9-32508a87a586","status":"available","deploy_number":1,"git_sha":null,"commit_message":"Image: nginx:1.25","strategy":"prebuilt_image","image_reference":"docker.io/nginx:1.25","created_at":"2025-02-01T14:35:00.000+01:00"}]}"#;

    #[test]
    fn reads_the_published_list_example() {
        let list = parse_list(PUBLISHED_LIST.as_bytes()).unwrap();
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
        assert_eq!(highest_number(&list), 2);
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
        let list = parse_list(body.as_bytes()).unwrap();
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
        ] {
            assert!(parse_list(body.as_bytes()).is_err(), "{body}");
        }
    }
}
