//! The process: arguments, `--help`/`--version`, the signal handlers, the panic hook, and the exit
//! code. The run itself, from the inputs to the outputs written exactly once, is the library's
//! `session::run`, which the demo and the tests run too.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use nodion_deploy::ending::{EXIT_INPUT, EXIT_SUCCESS};
use nodion_deploy::env::ProcessEnv;
use nodion_deploy::session::{self, Finish, Surroundings};
use nodion_deploy::{help, signals};

fn main() -> ExitCode {
    if let Some(code) = arguments() {
        return ExitCode::from(code);
    }
    let ended = session::run(Surroundings {
        cancelled: Arc::new(signals::received),
        ready: Box::new(ready),
        ..Surroundings::new(&ProcessEnv, Box::new(std::io::stderr()))
    });
    ExitCode::from(ended.code)
}

/// Once the inputs are accepted: the signal handlers (a cancelled job), then the panic hook.
fn ready(finish: &Finish) {
    if let Err(e) = signals::install() {
        finish.log().warn(&format!(
            "cannot handle SIGINT/SIGTERM ({e}): a cancelled job may lose its outputs"
        ));
    }
    let finish = finish.clone();
    // A bug must not cost the pipeline its outputs: on a panic (the release build aborts on one),
    // the hook writes them with `result=error` and exits 4 before the process would die.
    std::panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        match finish.internal_error(&format!("nodion-deploy: internal error{place}: {info}")) {
            Some(code) => std::process::exit(i32::from(code)),
            // Another thread wrote the outputs (a signal came first) and ends the process.
            None => loop {
                std::thread::park();
            },
        }
    }));
}

/// Handles the arguments: `--help` and `--version` answer and exit; anything else is a usage error
/// that never echoes the argument (it may be a token pasted in the wrong place). `None`: run.
fn arguments() -> Option<u8> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let first = args.first()?;
    // A closed pipe (`--help | head`) is not the tool's failure.
    let mut out = std::io::stdout();
    match first.to_str() {
        Some("--help" | "-h") if args.len() == 1 => {
            let _ = out.write_all(help::text().as_bytes());
            Some(EXIT_SUCCESS)
        }
        Some("--version" | "-V") if args.len() == 1 => {
            let _ = writeln!(out, "nodion-deploy {}", nodion_deploy::VERSION);
            Some(EXIT_SUCCESS)
        }
        _ => {
            eprintln!(
                "nodion-deploy: unexpected argument (not shown: it may be a secret); inputs come from environment variables: see --help"
            );
            Some(EXIT_INPUT)
        }
    }
}
