//! The integration tests, linked into one binary (as `just` does): one build, one link, and the
//! test harness runs every module's tests in parallel.

mod ci_steps;
mod component;
mod deploy;
mod deployed;
mod detection;
mod doc_names;
mod dry_run;
mod economy;
mod failure_logs;
mod github_output;
mod install;
mod messages;
mod modules;
mod network;
mod never_twice;
mod outputs_lost;
mod packaging;
mod pipelines;
mod platform_outputs;
mod platforms;
mod properties;
mod readme;
mod refusals;
mod release;
mod reliability;
mod rollback;
mod schedule;
mod session;
mod support;
mod try_it;
mod verify;
