//! The human log: standard error, unbuffered, one whole line per write, in order. Standard output
//! stays free for `result_file=-`.

use std::io::Write;
use std::sync::Mutex;

use crate::sanitize;

/// Where log lines go and how untrusted text is made safe for the platform reading them.
pub struct Log {
    sink: Mutex<Box<dyn Write + Send>>,
    github: bool,
    debug: bool,
}

impl Log {
    /// A log to standard error.
    pub fn stderr(github: bool, debug: bool) -> Log {
        Log::to(Box::new(std::io::stderr()), github, debug)
    }

    /// A log to any writer (tests).
    pub fn to(sink: Box<dyn Write + Send>, github: bool, debug: bool) -> Log {
        Log {
            sink: Mutex::new(sink),
            github,
            debug,
        }
    }

    /// Writes one line of our own text.
    pub fn line(&self, text: &str) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        // A log that cannot be written must not stop the deployment from being gated.
        let _ = sink.write_all(format!("{text}\n").as_bytes());
        let _ = sink.flush();
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

    /// Text from the API, made safe to print inside one of our lines: no control characters and,
    /// under GitHub Actions, nothing the runner could take for a workflow command.
    pub fn untrusted(&self, text: &str) -> String {
        if self.github {
            sanitize::inert_line(text)
        } else {
            sanitize::one_line(text)
        }
    }
}
