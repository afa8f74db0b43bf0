//! What a deployment deploys, a commit or an image, and the published fields that say so.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use crate::text::{Rng, iso8601};

/// What a deployment deploys.
pub(crate) enum Source {
    /// A commit of the connected repository (a random `git_sha` when none is given).
    Commit {
        sha: Option<String>,
        message: String,
        committer: String,
    },
    /// A prebuilt image by its full reference; `git_sha` is null unless one is given.
    Image {
        reference: String,
        sha: Option<String>,
    },
}

impl Source {
    /// Every published field of deployment `number` but the two that change over time
    /// (`status`, `updated_at`).
    pub fn fields(self, rng: &mut Rng, number: u64, created: SystemTime) -> Map<String, Value> {
        let created_at = iso8601(created);
        let fields = match self {
            Source::Image { reference, sha } => json!({
                "id": rng.uuid(),
                "deploy_number": number,
                "git_sha": sha,
                // As the published example names `docker.io/nginx:1.25`: "Image: nginx:1.25".
                "commit_message": format!(
                    "Image: {}",
                    reference.strip_prefix("docker.io/").unwrap_or(&reference)
                ),
                "committer_name": "Container Registry",
                "committer_email": "deploy@nodion.com",
                "committer_username": "Container Registry",
                "commit_timestamp": created_at,
                "strategy": "prebuilt_image",
                "image_reference": reference,
                "created_at": created_at,
            }),
            Source::Commit {
                sha,
                message,
                committer,
            } => {
                let (email, username) = committer_handles(&committer);
                // The commit is pushed a little before the deployment that builds it.
                let committed = created
                    .checked_sub(Duration::from_secs(7 * 60))
                    .unwrap_or(created);
                json!({
                    "id": rng.uuid(),
                    "deploy_number": number,
                    "git_sha": sha.unwrap_or_else(|| rng.git_sha()),
                    "commit_message": message,
                    "committer_name": committer,
                    "committer_email": email,
                    "committer_username": username,
                    "commit_timestamp": iso8601(committed),
                    "strategy": "dockerfile",
                    "image_reference": null,
                    "created_at": created_at,
                })
            }
        };
        let Value::Object(fields) = fields else {
            unreachable!("json! of an object literal is an object")
        };
        fields
    }
}

/// `Jane Doe` → (`jane.doe@example.com`, `janedoe`), so the committer fields agree with each other.
fn committer_handles(name: &str) -> (String, String) {
    let words: Vec<String> = name
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let local = if words.is_empty() {
        "committer".to_string()
    } else {
        words.join(".")
    };
    (format!("{local}@example.com"), local.replace('.', ""))
}
