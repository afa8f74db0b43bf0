//! The human log: standard error, unbuffered, one whole line per write, in order. Standard output
//! stays free for `result_file=-`.

use std::io::Write;
use std::sync::Mutex;
use std::thread::{self, ThreadId};

use crate::sanitize;

struct Sink {
    out: Box<dyn Write + Send>,
    /// Once set, only this thread may still write (the one writing the run's last words).
    only: Option<ThreadId>,
}

/// Where log lines go and how untrusted text is made safe for the platform reading them.
pub struct Log {
    sink: Mutex<Sink>,
    github: bool,
    debug: bool,
    secret: Option<String>,
}

impl Log {
    /// A log to standard error.
    pub fn stderr(github: bool, debug: bool) -> Log {
        Log::to(Box::new(std::io::stderr()), github, debug)
    }

    /// A log to any writer (tests).
    pub fn to(sink: Box<dyn Write + Send>, github: bool, debug: bool) -> Log {
        Log {
            sink: Mutex::new(Sink {
                out: sink,
                only: None,
            }),
            github,
            debug,
            secret: None,
        }
    }

    /// Replaces `secret` with `***` in every line from now on, whatever its source (an API that
    /// echoes the token back in an error, say).
    pub fn redacting(mut self, secret: &str) -> Log {
        // A very short "secret" would mangle the log; no real token is that short.
        if secret.len() >= 4 {
            self.secret = Some(secret.to_string());
        }
        self
    }

    /// Tells the GitHub runner to mask `secret` in everything that follows: the one line that
    /// carries it, by design.
    pub fn add_mask(&self, secret: &str) {
        self.write(&format!("::add-mask::{secret}"));
    }

    /// Writes one line. Whatever API text it holds, the line goes out without control characters,
    /// without the token, and (under GitHub Actions) unable to act as a workflow command.
    pub fn line(&self, text: &str) {
        // Redacted before and after: removing control characters could join a split token.
        let line = sanitize::log_line(&self.redact(text), self.github);
        self.write(&self.redact(&line));
    }

    fn redact(&self, text: &str) -> String {
        match &self.secret {
            Some(secret) => text.replace(secret.as_str(), "***"),
            None => text.to_string(),
        }
    }

    fn write(&self, text: &str) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if sink.only.is_some_and(|only| only != thread::current().id()) {
            return;
        }
        // A log that cannot be written must not stop the deployment from being gated.
        let _ = sink.out.write_all(format!("{text}\n").as_bytes());
        let _ = sink.out.flush();
    }

    /// From now on, only the calling thread writes: a cancelled run's work, still under way on
    /// another thread, must not add lines after its summary.
    pub fn keep_only_this_thread(&self) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        sink.only = Some(thread::current().id());
    }

    /// Writes a warning.
    pub fn warn(&self, text: &str) {
        self.line(&format!("warning: {text}"));
    }

    /// Writes a debug line, when debug logging is on.
    pub fn debug(&self, text: &str) {
        if self.debug {
            self.line(&format!("debug: {text}"));
        }
    }
}
