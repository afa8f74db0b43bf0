//! `nodion-deploy`: trigger a deployment on Nodion from a CI pipeline, wait for *that* deployment to
//! finish, write the job's outputs and gate the pipeline with the exit code.
//!
//! The binary (`main.rs`) owns the process — arguments, the signal handlers, the panic hook, the
//! exit code; everything else lives here, and the binary, the demo and the tests all run it through
//! one entry point, [`session::run`]. Read top-down: `session` → `inputs` → `run` (with `trigger`,
//! `watch` and `verify` polled by `poll`, `dry_run`) → `ending` and `report` (with `deployed`) →
//! `outputs`, over `api` (on `http`) and `model`, with `escape`, `duration` and `log` for
//! everything shown.

pub mod api;
pub mod clock;
pub mod deployed;
pub mod duration;
pub mod ending;
pub mod env;
pub mod escape;
pub mod failure_logs;
pub mod help;
pub mod history;
pub mod http;
pub mod inputs;
pub mod log;
pub mod model;
pub mod outputs;
pub mod platform;
pub mod poll;
pub mod problem;
pub mod proxy;
pub mod report;
pub mod resolve;
pub mod retry;
pub mod run;
pub mod schedule;
pub mod session;
pub mod signals;
mod stream;
pub mod tls;
pub mod trigger;
pub mod unknown;
pub mod verify;
pub mod watch;

/// The version printed by `--version` and sent in the `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
