//! What a deployment goes through, its [`Stage`]s, and the deployments that exist at start,
//! the [`Seed`]s.

use std::time::Duration;

/// One status in a deployment's lifecycle and how long it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The status shown while in this stage.
    pub status: String,
    /// When the deployment moves on to the next stage.
    pub hold: Hold,
}

impl Stage {
    /// A stage showing `status` until `hold` is over.
    pub fn new(status: &str, hold: Hold) -> Stage {
        Stage {
            status: status.to_string(),
            hold,
        }
    }
}

/// How long a [`Stage`] lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Until this many successful List answers have shown the deployment in this stage.
    Lists(u32),
    /// Until this much wall time has passed since the deployment entered this stage.
    For(Duration),
    /// For good.
    Forever,
}

/// A deployment that already exists when the fake starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// Its deploy number.
    pub deploy_number: u64,
    /// Its status, held forever.
    pub status: String,
    /// The image tag it deployed: a prebuilt-image deployment of the application's image
    /// repository (none: a git deployment).
    pub image_tag: Option<String>,
    /// Its `git_sha` (none: a random one for a git deployment, null for an image).
    pub git_sha: Option<String>,
    /// How long it took: its `updated_at` is its `created_at` plus this (zero: the same time).
    pub took: Duration,
    /// Raw `created_at` and `updated_at` shown instead of the real ones, for timestamps a client
    /// cannot use (none: the real ones). Within, none leaves that field out of the JSON.
    pub timestamps: Option<(Option<String>, Option<String>)>,
}

impl Seed {
    /// An existing git deployment `deploy_number` with `status`.
    pub fn new(deploy_number: u64, status: &str) -> Seed {
        Seed {
            deploy_number,
            status: status.to_string(),
            image_tag: None,
            git_sha: None,
            took: Duration::ZERO,
            timestamps: None,
        }
    }

    /// An existing prebuilt-image deployment `deploy_number` with `status` that deployed
    /// `image_tag`: its `image_reference` is `<Options::image>:<image_tag>`.
    pub fn image(deploy_number: u64, status: &str, image_tag: &str) -> Seed {
        Seed {
            image_tag: Some(image_tag.to_string()),
            ..Seed::new(deploy_number, status)
        }
    }

    /// The same deployment with this `git_sha`.
    pub fn with_git_sha(self, git_sha: &str) -> Seed {
        Seed {
            git_sha: Some(git_sha.to_string()),
            ..self
        }
    }

    /// The same deployment, which took `took`: `updated_at` is `created_at` plus `took`.
    pub fn took(self, took: Duration) -> Seed {
        Seed { took, ..self }
    }

    /// The same deployment showing these raw `created_at` and `updated_at` (none: the field is
    /// absent from its JSON), e.g. `Some("yesterday")`: timestamps that say nothing of how long it
    /// took. They win over [`Seed::took`].
    pub fn with_timestamps(self, created_at: Option<&str>, updated_at: Option<&str>) -> Seed {
        Seed {
            timestamps: Some((
                created_at.map(str::to_string),
                updated_at.map(str::to_string),
            )),
            ..self
        }
    }
}
