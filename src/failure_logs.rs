//! The application's latest runtime log lines, shown after our deployment failed or timed out.

use std::time::Instant;

use crate::api::Api;
use crate::escape;
use crate::inputs::Settings;
use crate::log::Log;

/// The longest application log line shown, in characters.
const MAX_LOG_LINE: usize = 500;

/// Shows the application's latest runtime log lines after a failure or a timeout, within the
/// deadline; a failure to read them is a warning, never a change of outcome. Returns the lines.
pub fn show(
    settings: &Settings,
    api: &Api,
    log: &Log,
    deadline: Instant,
    timed_out: bool,
) -> Vec<String> {
    let limit = settings.failure_logs;
    match api.logs(limit, deadline) {
        Ok(lines) => {
            let lines: Vec<String> = lines
                .iter()
                .map(|l| {
                    let line = match &l.ts {
                        Some(ts) => format!("{} {}", ts, l.msg),
                        None => l.msg.clone(),
                    };
                    // A runaway line must not flood the log or the step summary.
                    escape::bounded(&escape::one_line(&line), MAX_LOG_LINE)
                })
                .collect();
            let app = &settings.application_id;
            // The application's own output, not the deployment's: after a timeout it may all
            // come from the version that is still running.
            let which = if timed_out {
                "runtime logs, which may predate this deployment"
            } else {
                "runtime logs"
            };
            log.begin_collapsed_section(
                "nodion_deploy_logs",
                &format!(
                    "── Last {} log line{} of {app} ({which}) ──",
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" },
                ),
            );
            for line in &lines {
                log.line(&format!("  {line}"));
            }
            if lines.is_empty() {
                log.line("  (no log lines)");
            }
            log.line(&format!("── end of {app}'s log lines ──"));
            log.end_section();
            lines
        }
        Err(error) => {
            log.warn(&format!("could not read the application's logs: {}", error));
            Vec::new()
        }
    }
}
