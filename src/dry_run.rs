//! A dry run: the token and the application checked with read-only requests, retried like any
//! request before a deployment is ours; nothing is triggered.

use std::time::Instant;

use crate::api::Api;
use crate::escape::shown;
use crate::inputs::Settings;
use crate::log::Log;
use crate::model::Keep;
use crate::retry::{Retrier, Stop};

/// Reads the application and the latest deployment and says what a real run would meet.
pub fn check(
    settings: &Settings,
    api: &Api,
    log: &Log,
    retrier: &Retrier,
    deadline: Instant,
) -> Result<(), Stop> {
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
        api.list(deadline, attempt, Keep::Latest)
    })?;
    match listing.kept.first() {
        Some(latest) => log.line(&format!(
            "Latest deployment: #{} {}{}",
            latest.deploy_number.unwrap_or_default(),
            shown(latest.status.as_deref().unwrap_or("(no status)")),
            latest
                .created_at
                .as_deref()
                .map(|at| format!(", created {}", shown(at)))
                .unwrap_or_default()
        )),
        None => log.line("No deployments yet"),
    }
    if let (Some(tag), Some(strategy)) = (&settings.image_tag, &application.strategy)
        && !strategy.to_ascii_lowercase().contains("image")
    {
        log.warn(&format!(
            "image_tag {tag} is set, but {app} deploys with strategy {}: the API will refuse the tag",
            shown(strategy)
        ));
    }
    if let Some(number) = settings.deploy_number
        && number > listing.highest
    {
        log.warn(&format!(
            "deploy_number {number} is not listed (the latest is #{})",
            listing.highest
        ));
    }
    Ok(())
}
