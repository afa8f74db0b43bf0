//! The integration tests, linked into one binary (as `just` does): one build, one link, and the
//! test harness runs every module's tests in parallel.

mod ci_steps;
mod component;
mod deploy;
mod economy;
mod features;
mod first_hour;
mod github_output;
mod install;
mod messages;
mod network;
mod packaging;
mod pipelines;
mod platforms;
mod properties;
mod readme;
mod release;
mod reliability;
mod support;
mod verify;
