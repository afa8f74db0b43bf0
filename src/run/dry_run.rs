//! A dry run: the token and the application checked with read-only requests, retried like any
//! request before a deployment is ours; nothing is triggered.

use std::time::Instant;

use crate::api::Api;
use crate::ending::Ending;
use crate::escape::shown;
use crate::inputs::{DEPLOY_NUMBER, IMAGE_TAG, Settings};
use crate::log::Log;
use crate::model::Keep;
use crate::retry::Retrier;

use super::rollback;

/// Reads the application and the latest deployment and says what a real run would meet.
pub fn check(
    settings: &Settings,
    api: &Api,
    log: &Log,
    retrier: &Retrier,
    deadline: Instant,
) -> Result<(), Ending> {
    let app = &settings.application_id;
    log.line("Dry run: checking the token and the application with read-only requests; nothing is triggered");
    let application = retrier.request("read the application", |attempt| {
        api.application(deadline, attempt)
    })?;
    let described = [
        ("status", &application.status),
        ("state", &application.state),
        ("strategy", &application.strategy),
    ]
    .iter()
    .filter_map(|(what, v)| v.as_deref().map(|v| format!("{what} {}", shown(v))))
    .collect::<Vec<_>>()
    .join(", ");
    log.line(&format!(
        "Application {app}: \"{}\" ({described})",
        shown(application.name.as_deref().unwrap_or("unnamed"))
    ));
    retrier.restart();
    let listing = retrier.request("list deployments", |attempt| {
        let keep = match settings.rollback {
            true => Keep::Recent,
            false => Keep::Latest,
        };
        api.list(deadline, attempt, keep)
    })?;
    match listing.kept.first() {
        Some(latest) => log.line(&format!(
            "Latest deployment: #{}, status {}{}",
            latest.deploy_number.unwrap_or_default(),
            shown(latest.status.as_deref().unwrap_or("unknown")),
            latest
                .created_at
                .as_deref()
                .map(|at| format!(", created at {}", shown(at)))
                .unwrap_or_default()
        )),
        None => log.line("No deployments yet"),
    }
    let strategy = application.strategy.as_deref();
    let mut refused = refusals(settings, strategy, listing.highest, log);
    if settings.rollback {
        let latest = listing.kept.first().and_then(|d| d.strategy.as_deref());
        match rollback::refusal(settings, strategy.or(latest)) {
            Some(problem) => refused.push(problem),
            None => log.line(&rollback::describe(
                settings,
                rollback::target(&listing, &settings.success_statuses).as_ref(),
            )),
        }
    }
    if !refused.is_empty() {
        return Err(Ending::Invalid(refused.join("; ")));
    }
    Ok(())
}

/// What was read that shows the real deploy would be refused: the dry run fails, as the run
/// would. Where the API does not say, the log says what could not be checked.
fn refusals(settings: &Settings, strategy: Option<&str>, newest: u64, log: &Log) -> Vec<String> {
    let app = &settings.application_id;
    let mut refused = Vec::new();
    if let Some(tag) = &settings.image_tag {
        match strategy {
            Some(strategy) if !strategy.to_ascii_lowercase().contains("image") => {
                refused.push(format!(
                    "image_tag {tag} is set, but {app} deploys with strategy {}, which takes no image tag: unset {}",
                    shown(strategy),
                    settings.names.name(&IMAGE_TAG)
                ));
            }
            Some(_) => {}
            None => log.warn(&format!(
                "could not check image_tag {tag}: the API did not say how {app} deploys"
            )),
        }
    }
    if let Some(number) = settings.deploy_number
        && number > newest
    {
        refused.push(format!(
            "deploy_number {number} is not listed (the newest is #{newest}): check {}",
            settings.names.name(&DEPLOY_NUMBER)
        ));
    }
    refused
}
