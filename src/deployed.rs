//! Whether what Nodion deployed is what the pipeline asked for (SPEC §3 step 6): the commit of a
//! git-based deployment against the pipeline's own, the tag of an image deployment against
//! `image_tag`. Nodion deploys the head of the application's connected branch, which need not be
//! the commit the pipeline runs for; a [`Mismatch`] is said (a warning, a clause of the summary
//! line), never a reason to change the exit code.

use std::fmt;

use crate::escape::{self, shown};
use crate::model::Deployment;

/// What Nodion deployed, when it is not what the pipeline asked for. Every part is already as
/// shown: the deployment's come from the API, untrusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// A git-based deployment of another commit than the pipeline's.
    Commit {
        /// The short SHA deployed.
        deployed: String,
        /// The pipeline's own, short.
        ours: String,
    },
    /// An image deployment whose tag is not the `image_tag` asked for.
    ImageTag {
        /// The tag deployed.
        deployed: String,
        /// The tag asked for.
        asked: String,
    },
}

impl Mismatch {
    /// What `deployment` deploys against what the pipeline asked for: its commit against
    /// `commit` (the pipeline's, when its platform names one: never a pull request's merge
    /// commit), or its image's tag against `image_tag`. `None` when they agree, or when either
    /// side is unknown (no commit named, a SHA that is none, an image pinned by digest alone).
    pub fn of(
        deployment: &Deployment,
        commit: Option<&str>,
        image_tag: Option<&str>,
    ) -> Option<Mismatch> {
        let present = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        if let Some(image) = present(&deployment.image_reference) {
            let (deployed, asked) = (tag_of(&image)?, image_tag?.trim());
            return (deployed != asked).then(|| Mismatch::ImageTag {
                deployed: shown(deployed),
                asked: shown(asked),
            });
        }
        let (deployed, ours) = (present(&deployment.git_sha)?, commit?);
        let sha = |s: &str| s.trim().len() >= 7 && s.trim().bytes().all(|b| b.is_ascii_hexdigit());
        (sha(&deployed) && sha(ours) && !same_commit(&deployed, ours)).then(|| Mismatch::Commit {
            deployed: short_sha(deployed.trim()),
            ours: short_sha(ours.trim()),
        })
    }

    /// The warning the log gives (once, a `::warning` annotation on GitHub), also a line of the
    /// step summary.
    pub fn warning(&self) -> String {
        match self {
            Mismatch::Commit { deployed, ours } => format!(
                "Nodion deployed commit {deployed}, not this pipeline's {ours}: it deploys the head of the application's connected branch, not the commit a pipeline runs for"
            ),
            Mismatch::ImageTag { deployed, asked } => format!(
                "Nodion deployed image tag {deployed}, not the {asked} asked for (image_tag)"
            ),
        }
    }

    /// The warning annotation's title.
    pub fn title(&self) -> &'static str {
        match self {
            Mismatch::Commit { .. } => "Nodion deployed another commit",
            Mismatch::ImageTag { .. } => "Nodion deployed another image tag",
        }
    }

    /// The mismatch with `secret` replaced by `***` in what the API sent.
    pub fn redacted(&self, secret: &str) -> Mismatch {
        let r = |text: &String| escape::redact(text, secret);
        match self {
            Mismatch::Commit { deployed, ours } => Mismatch::Commit {
                deployed: r(deployed),
                ours: r(ours),
            },
            Mismatch::ImageTag { deployed, asked } => Mismatch::ImageTag {
                deployed: r(deployed),
                asked: r(asked),
            },
        }
    }
}

/// The clause the summary line ends with: `it deploys commit abc1234, not this pipeline's def5678`.
impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Commit { deployed, ours } => {
                write!(
                    f,
                    "it deploys commit {deployed}, not this pipeline's {ours}"
                )
            }
            Mismatch::ImageTag { deployed, asked } => {
                write!(
                    f,
                    "it deploys image tag {deployed}, not the {asked} asked for"
                )
            }
        }
    }
}

/// An image reference's tag: after the last `:` that follows the last `/`, before any `@` digest
/// (`registry:5000/shop:1.4` → `1.4`). A reference pinned by digest alone (`shop@sha256:…`), or
/// without a tag, has none.
pub fn tag_of(reference: &str) -> Option<&str> {
    let named = reference.trim().split('@').next()?;
    let last = named.rsplit('/').next()?;
    let (_, tag) = last.rsplit_once(':')?;
    (!tag.is_empty()).then_some(tag)
}

/// Whether two commit SHAs name the same commit: equal, or one abbreviates the other (7 or more
/// hex digits), ignoring case.
pub fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let shorter = a.len().min(b.len());
    shorter >= 7 && hex(&a) && hex(&b) && a.as_bytes()[..shorter] == b.as_bytes()[..shorter]
}

/// The first seven characters of a commit SHA, as shown.
pub fn short_sha(sha: &str) -> String {
    shown(&sha.chars().take(7).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "d77ead8c6b2f4e1a9c0b3d5e7f9a1b2c3d4e5f60";
    const THEIRS: &str = "0123456789abcdef0123456789abcdef01234567";

    fn git(sha: Option<&str>) -> Deployment {
        Deployment {
            deploy_number: Some(3),
            git_sha: sha.map(String::from),
            ..Deployment::default()
        }
    }

    fn image(reference: &str) -> Deployment {
        Deployment {
            deploy_number: Some(3),
            image_reference: Some(reference.into()),
            ..Deployment::default()
        }
    }

    #[test]
    fn commits_match_when_one_abbreviates_the_other() {
        assert!(same_commit(OURS, &OURS[..7]));
        assert!(same_commit(&OURS.to_ascii_uppercase(), OURS));
        assert!(!same_commit(OURS, &OURS[..6]));
        assert!(!same_commit(OURS, "d77ead8d"));
        assert!(!same_commit("main", "main"));
    }

    #[test]
    fn the_pipelines_commit_is_no_mismatch_whichever_side_abbreviates() {
        for (deployed, ours) in [(OURS, OURS), (&OURS[..7], OURS), (OURS, &OURS[..12])] {
            assert_eq!(Mismatch::of(&git(Some(deployed)), Some(ours), None), None);
        }
        let upper = OURS.to_ascii_uppercase();
        assert_eq!(Mismatch::of(&git(Some(&upper)), Some(OURS), None), None);
    }

    #[test]
    fn another_commit_is_said_with_both_short_shas() {
        let mismatch = Mismatch::of(&git(Some(THEIRS)), Some(OURS), None).unwrap();
        assert_eq!(
            mismatch,
            Mismatch::Commit {
                deployed: "0123456".into(),
                ours: "d77ead8".into(),
            }
        );
        assert_eq!(
            mismatch.to_string(),
            "it deploys commit 0123456, not this pipeline's d77ead8"
        );
        assert_eq!(
            mismatch.warning(),
            "Nodion deployed commit 0123456, not this pipeline's d77ead8: it deploys the head of the application's connected branch, not the commit a pipeline runs for"
        );
        // An image tag asked for changes nothing for a git-based deployment.
        let with_tag = Mismatch::of(&git(Some(THEIRS)), Some(OURS), Some("1.4"));
        assert_eq!(with_tag, Some(mismatch));
    }

    #[test]
    fn another_image_tag_is_said_with_both_tags() {
        let deployed = image("registry.example.com:5000/team/shop:1.4.1");
        let mismatch = Mismatch::of(&deployed, Some(OURS), Some("1.4.2")).unwrap();
        assert_eq!(
            mismatch.to_string(),
            "it deploys image tag 1.4.1, not the 1.4.2 asked for"
        );
        assert_eq!(
            mismatch.warning(),
            "Nodion deployed image tag 1.4.1, not the 1.4.2 asked for (image_tag)"
        );
        assert_eq!(Mismatch::of(&deployed, None, Some("1.4.1")), None);
        let pinned = image("docker.io/shop:1.4.1@sha256:0123abcd");
        assert!(Mismatch::of(&pinned, None, Some("1.4.2")).is_some());
    }

    #[test]
    fn an_image_without_a_tag_or_pinned_by_digest_alone_says_nothing() {
        for reference in [
            "docker.io/shop@sha256:0123456789abcdef",
            "registry.example.com:5000/shop",
            "shop:",
            "",
        ] {
            assert_eq!(tag_of(reference), None, "{reference}");
            assert_eq!(Mismatch::of(&image(reference), None, Some("1.4")), None);
        }
        assert_eq!(tag_of("shop:latest"), Some("latest"));
    }

    #[test]
    fn what_is_unknown_on_either_side_says_nothing() {
        // No commit named (a pull request, a plain pipeline), no SHA listed, a SHA that is none.
        assert_eq!(Mismatch::of(&git(Some(THEIRS)), None, None), None);
        assert_eq!(Mismatch::of(&git(None), Some(OURS), None), None);
        for sha in ["", "  ", "main", "0123"] {
            assert_eq!(Mismatch::of(&git(Some(sha)), Some(OURS), None), None);
        }
        // An image deployment without an image_tag asked for: nothing to compare.
        assert_eq!(Mismatch::of(&image("shop:1.4"), Some(OURS), None), None);
        assert_eq!(
            Mismatch::of(&Deployment::default(), Some(OURS), Some("1")),
            None
        );
    }

    #[test]
    fn api_text_is_shown_and_redacted() {
        let hostile = image("shop:1.4\u{1b}[31m\ntok-123");
        let mismatch = Mismatch::of(&hostile, None, Some("1.5")).unwrap();
        let text = mismatch.redacted("tok-123").warning();
        assert!(!text.contains('\u{1b}') && !text.contains('\n'), "{text:?}");
        assert!(text.contains("image tag 1.4[31m ***, not"), "{text}");
    }
}
