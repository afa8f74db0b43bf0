//! `nodion-deploy`: trigger a deployment on Nodion from a CI pipeline, wait for *that* deployment to
//! finish, write the job's outputs and gate the pipeline with the exit code.
//!
//! The binary (`main.rs`) only maps [`run::main`]'s outcome to a process exit code; everything else
//! lives here so tests and the demo can drive it without a process.

pub mod api;
pub mod clock;
pub mod help;
pub mod inputs;
pub mod log;
pub mod model;
pub mod outcome;
pub mod outputs;
pub mod platform;
pub mod random;
pub mod run;
pub mod sanitize;
pub mod schedule;
pub mod signals;
pub mod tls;
pub mod watch;

/// The version printed by `--version` and sent in the `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
