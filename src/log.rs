//! The human log: standard error, unbuffered, one whole line per write, in order. Standard output
//! stays free for `result_file=-`. Every line is sanitised and redacted here, at the boundary; the
//! only lines that may act on the CI are the platform commands this module writes itself.

use std::io::Write;
use std::sync::Mutex;
use std::thread::{self, ThreadId};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::escape;
use crate::platform::Platform;

/// Which CI reads the log, and so which commands it understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// A plain terminal or CI log.
    Plain,
    /// GitHub Actions: workflow commands (`::group::`, `::error::`, `::add-mask::`).
    GitHub,
    /// GitLab CI: collapsible sections.
    GitLab,
    /// Azure Pipelines: `##[group]` and `##vso[…]` commands.
    Azure,
}

impl From<&Platform> for Flavor {
    fn from(platform: &Platform) -> Flavor {
        match platform {
            Platform::GitHub { .. } => Flavor::GitHub,
            Platform::GitLab => Flavor::GitLab,
            Platform::Azure => Flavor::Azure,
            Platform::Plain | Platform::CircleCi { .. } | Platform::Bitbucket { .. } => {
                Flavor::Plain
            }
        }
    }
}

/// How grave an annotation is.
#[derive(Clone, Copy)]
enum Level {
    Error,
    Warning,
}

struct Sink {
    out: Box<dyn Write + Send>,
    /// Once set, only this thread may still write (the one writing the run's last words).
    only: Option<ThreadId>,
    /// The collapsible section now open, if any.
    section: Option<String>,
}

/// Where log lines go and how untrusted text is made safe for the platform reading them.
pub struct Log {
    sink: Mutex<Sink>,
    flavor: Flavor,
    debug: bool,
    /// The token to redact from every line; empty until [`Log::redacting`].
    secret: String,
}

impl Log {
    /// A log to standard error.
    pub fn stderr(flavor: Flavor, debug: bool) -> Log {
        Log::to(Box::new(std::io::stderr()), flavor, debug)
    }

    /// A log to any writer (tests).
    pub fn to(sink: Box<dyn Write + Send>, flavor: Flavor, debug: bool) -> Log {
        Log {
            sink: Mutex::new(Sink {
                out: sink,
                only: None,
                section: None,
            }),
            flavor,
            debug,
            secret: String::new(),
        }
    }

    /// Replaces `secret` with `***` in every line from now on, whatever its source (an API that
    /// echoes the token back in an error, say).
    pub fn redacting(mut self, secret: &str) -> Log {
        self.secret = secret.to_string();
        self
    }

    /// Tells the GitHub runner to mask `secret` in everything that follows: the one line that
    /// carries it, by design.
    pub fn add_mask(&self, secret: &str) {
        if self.flavor == Flavor::GitHub {
            self.write(&format!("::add-mask::{}", escape::github_data(secret)));
        }
    }

    /// Writes one line. Whatever API text it holds, the line goes out without control characters,
    /// without the token, and (under GitHub Actions) unable to act as a workflow command.
    pub fn line(&self, text: &str) {
        self.write(&self.clean(text));
    }

    fn clean(&self, text: &str) -> String {
        // Redacted before and after: removing control characters could join a split token.
        let line = escape::log_line(&self.redact(text), self.flavor == Flavor::GitHub);
        let line = if self.flavor == Flavor::Azure {
            escape::azure_inert(&line)
        } else {
            line
        };
        self.redact(&line)
    }

    fn redact(&self, text: &str) -> String {
        escape::redact(text, &self.secret)
    }

    fn write(&self, text: &str) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        Self::write_locked(&mut sink, text);
    }

    fn write_locked(sink: &mut Sink, text: &str) {
        if sink.only.is_some_and(|only| only != thread::current().id()) {
            return;
        }
        // A log that cannot be written must not stop the deployment from being gated.
        let _ = sink.out.write_all(format!("{text}\n").as_bytes());
        let _ = sink.out.flush();
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

    /// Opens a collapsible section (a GitHub or Azure group, a GitLab section) titled `title`;
    /// `name` is GitLab's section id (`[a-z0-9_]`).
    pub fn begin_section(&self, name: &str, title: &str) {
        self.open_section(name, title, false);
    }

    /// Like [`Log::begin_section`], but collapsed from the start on GitLab too (GitHub and Azure
    /// groups always start collapsed).
    pub fn begin_collapsed_section(&self, name: &str, title: &str) {
        self.open_section(name, title, true);
    }

    fn open_section(&self, name: &str, title: &str, collapsed: bool) {
        let title = self.clean(title);
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let line = match self.flavor {
            Flavor::GitHub => format!("::group::{}", escape::github_data(&title)),
            Flavor::GitLab => format!(
                "\u{1b}[0Ksection_start:{}:{name}{}\r\u{1b}[0K{title}",
                unix_now(),
                if collapsed { "[collapsed=true]" } else { "" }
            ),
            Flavor::Azure => format!("##[group]{title}"),
            Flavor::Plain => title,
        };
        Self::write_locked(&mut sink, &line);
        sink.section = Some(name.to_string());
    }

    /// Closes the open section, if any.
    pub fn end_section(&self) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let Some(name) = sink.section.take() else {
            return;
        };
        match self.flavor {
            Flavor::GitHub => Self::write_locked(&mut sink, "::endgroup::"),
            Flavor::Azure => Self::write_locked(&mut sink, "##[endgroup]"),
            Flavor::GitLab => {
                let line = format!("\u{1b}[0Ksection_end:{}:{name}\r\u{1b}[0K", unix_now());
                Self::write_locked(&mut sink, &line);
            }
            Flavor::Plain => {}
        }
    }

    /// One error annotation on the run (GitHub `::error`, Azure `task.logissue`); elsewhere the
    /// summary line says it.
    pub fn error_annotation(&self, title: &str, message: &str) {
        self.annotation(Level::Error, title, &[message]);
    }

    /// A warning the run goes on after: a `::warning` annotation under GitHub, a warning issue
    /// under Azure, elsewhere a `warning:` line.
    pub fn warning_annotation(&self, title: &str, message: &str) {
        match self.flavor {
            Flavor::GitHub | Flavor::Azure => self.annotation(Level::Warning, title, &[message]),
            Flavor::GitLab | Flavor::Plain => self.warn(message),
        }
    }

    /// An annotation whose message spans `lines`, each made safe on its own and joined by line
    /// breaks escaped as the runner requires.
    fn annotation(&self, level: Level, title: &str, lines: &[&str]) {
        let title = self.clean(title);
        let message = lines
            .iter()
            .map(|line| self.clean(line))
            .collect::<Vec<_>>()
            .join("\n");
        let level = match level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        match self.flavor {
            Flavor::GitHub => self.write(&format!(
                "::{level} title={}::{}",
                escape::github_property(&title),
                escape::github_data(&message)
            )),
            Flavor::Azure => self.write(&format!(
                "##vso[task.logissue type={level}]{}: {}",
                escape::azure_data(&title),
                escape::azure_data(&message)
            )),
            Flavor::GitLab | Flavor::Plain => {}
        }
    }

    /// The run's last words: `details` (the lines that explain it), then `summary`, the one line
    /// that ends the log. A run that did not succeed (`failed`: the annotation's title) says why
    /// once: under GitHub its `::error` annotation, carrying the summary and the details, is the
    /// last line; elsewhere the plain summary line is, after Azure's issue.
    pub fn conclude(&self, failed: Option<&str>, summary: &str, details: &[String]) {
        if let (Some(title), Flavor::GitHub) = (failed, self.flavor) {
            let lines: Vec<&str> = std::iter::once(summary)
                .chain(details.iter().map(String::as_str))
                .collect();
            return self.annotation(Level::Error, title, &lines);
        }
        for line in details {
            self.line(line);
        }
        if let Some(title) = failed {
            self.error_annotation(title, summary);
        }
        self.line(summary);
    }

    /// Writes a platform command built elsewhere with every value escaped (Azure's
    /// `task.setvariable` lines), as is.
    pub fn command(&self, line: &str) {
        self.write(&self.redact(line));
    }

    /// From now on, only the calling thread writes: a cancelled run's work, still under way on
    /// another thread, must not add lines after its summary.
    pub fn keep_only_this_thread(&self) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        sink.only = Some(thread::current().id());
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex as StdMutex};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<StdMutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn log(flavor: Flavor) -> (Log, Captured) {
        let captured = Captured::default();
        let log = Log::to(Box::new(captured.clone()), flavor, false).redacting("secret-token");
        (log, captured)
    }

    fn text(c: &Captured) -> String {
        String::from_utf8(c.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn github_groups_wrap_the_section() {
        let (log, out) = log(Flavor::GitHub);
        log.begin_section("wait", "Waiting for #3");
        log.line("[ 0s] #3 created");
        log.end_section();
        log.end_section();
        assert_eq!(
            text(&out),
            "::group::Waiting for #3\n[ 0s] #3 created\n::endgroup::\n"
        );
    }

    #[test]
    fn gitlab_sections_have_matching_markers() {
        let (log, out) = log(Flavor::GitLab);
        log.begin_section("nodion_deploy_wait", "Waiting for #3");
        log.line("inside");
        log.end_section();
        let text = text(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let start = lines[0]
            .strip_prefix("\u{1b}[0Ksection_start:")
            .expect("start marker");
        let (time, rest) = start.split_once(':').unwrap();
        assert!(time.parse::<u64>().unwrap() > 1_700_000_000);
        assert_eq!(rest, "nodion_deploy_wait\r\u{1b}[0KWaiting for #3");
        let end = lines[2]
            .strip_prefix("\u{1b}[0Ksection_end:")
            .expect("end marker");
        assert!(end.ends_with(":nodion_deploy_wait\r\u{1b}[0K"), "{end:?}");
    }

    #[test]
    fn a_collapsed_gitlab_section_says_so() {
        let (log, out) = log(Flavor::GitLab);
        log.begin_collapsed_section("logs", "Last lines");
        log.end_section();
        let text = text(&out);
        assert!(
            text.contains(":logs[collapsed=true]\r\u{1b}[0KLast lines\n"),
            "{text:?}"
        );
    }

    #[test]
    fn plain_sections_are_just_a_title() {
        let (log, out) = log(Flavor::Plain);
        log.begin_section("wait", "Waiting");
        log.end_section();
        log.error_annotation("t", "m");
        log.add_mask("secret-token");
        assert_eq!(text(&out), "Waiting\n");
    }

    #[test]
    fn the_error_annotation_escapes_its_title_and_message() {
        let (log, out) = log(Flavor::GitHub);
        log.error_annotation("Deploy: failed, badly", "50% done\nline ::x secret-token");
        assert_eq!(
            text(&out),
            "::error title=Deploy%3A failed%2C badly::50%25 done line ::x ***\n"
        );
    }

    #[test]
    fn a_failed_github_run_ends_with_its_annotation_alone() {
        let (log, out) = log(Flavor::GitHub);
        let details = ["  - A: 50% off".to_string(), "  - B: ::x".to_string()];
        log.conclude(
            Some("Failed"),
            "nodion-deploy: error: secret-token",
            &details,
        );
        assert_eq!(
            text(&out),
            "::error title=Failed::nodion-deploy: error: ***%0A  - A: 50%25 off%0A  - B: ::x\n"
        );
    }

    #[test]
    fn elsewhere_the_summary_line_ends_the_log_after_the_details() {
        let (plain, out) = log(Flavor::Plain);
        plain.conclude(
            Some("Failed"),
            "nodion-deploy: error",
            &["  - A".to_string()],
        );
        assert_eq!(text(&out), "  - A\nnodion-deploy: error\n");
        let (azure, out) = log(Flavor::Azure);
        azure.conclude(Some("Failed"), "nodion-deploy: error", &[]);
        assert_eq!(
            text(&out),
            "##vso[task.logissue type=error]Failed: nodion-deploy: error\nnodion-deploy: error\n"
        );
        let (github, out) = log(Flavor::GitHub);
        github.conclude(None, "nodion-deploy: success", &[]);
        assert_eq!(text(&out), "nodion-deploy: success\n");
    }

    #[test]
    fn a_warning_is_an_annotation_where_the_platform_has_them_and_a_line_elsewhere() {
        let said = |flavor| {
            let (log, out) = log(flavor);
            log.warning_annotation("Inputs: check", "NODION_X is not an input, 50%");
            text(&out)
        };
        assert_eq!(
            said(Flavor::GitHub),
            "::warning title=Inputs%3A check::NODION_X is not an input, 50%25\n"
        );
        assert_eq!(
            said(Flavor::Azure),
            "##vso[task.logissue type=warning]Inputs: check: NODION_X is not an input, 50%AZP25\n"
        );
        for flavor in [Flavor::Plain, Flavor::GitLab] {
            assert_eq!(said(flavor), "warning: NODION_X is not an input, 50%\n");
        }
    }

    #[test]
    fn lines_are_redacted_and_cannot_be_commands() {
        let (log, out) = log(Flavor::GitHub);
        log.line("::error::secret-token\u{1b}[31m");
        assert_eq!(text(&out), ": :error::***[31m\n");
    }
}
