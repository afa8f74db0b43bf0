//! Runs the compiled binary in an isolated environment against a fake API on loopback.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fake_nodion::{FakeNodion, Hold, Options, Seed, Stage};
use nodion_deploy::session::{self, Surroundings};
use nodion_deploy::verify::Lookup;
use serde_json::Value;
use tempfile::TempDir;

/// A fake API where #1 (available) and #2 (failed) already exist and a new deployment goes
/// through `lifecycle`.
pub fn fake(lifecycle: &[(&str, Hold)]) -> FakeNodion {
    FakeNodion::start(Options {
        existing: vec![Seed::new(1, "available"), Seed::new(2, "failed")],
        lifecycle: lifecycle
            .iter()
            .map(|(status, hold)| Stage::new(status, *hold))
            .collect(),
        ..Options::default()
    })
}

/// created → waiting → available, one list each.
pub fn happy() -> FakeNodion {
    fake(&[
        ("created", Hold::Lists(1)),
        ("waiting", Hold::Lists(1)),
        ("available", Hold::Forever),
    ])
}

/// created → failed, with three log lines, one of them hostile (escapes, forged commands).
pub fn failing() -> FakeNodion {
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    api.set_log_messages(vec![
        "starting server".into(),
        "listening on :8080".into(),
        "\u{1b}[31mpanic: database unreachable\u{1b}[0m ::error::forged ##[set-output x]".into(),
    ]);
    api
}

/// The id the fake gave deployment `number`.
pub fn id_of(fake: &FakeNodion, number: u64) -> String {
    fake.deployments()
        .into_iter()
        .find(|d| d["deploy_number"] == number)
        .and_then(|d| d["id"].as_str().map(str::to_string))
        .expect("the deployment exists")
}

/// Returns once the fake has answered a request of ours made now, after everything a finished run
/// sent it: the fake accepts connections in order, and a request of the run's was already whole in
/// its socket when the run exited. So a check of what the fake received that follows sees it all,
/// without sleeping on the chance that something is still on its way.
pub fn settle(fake: &FakeNodion) {
    let mut stream = TcpStream::connect(("127.0.0.1", fake.port())).expect("the fake listens");
    stream
        .write_all(b"GET /v1/settle HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 "), "the fake answered");
}

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_nodion-deploy");

/// A fresh, empty directory for one run's files, removed with them when dropped.
pub fn scratch_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("nodion-deploy-test-")
        .tempdir()
        .expect("a temporary directory")
}

/// One run of the binary, built fluently. It owns the run's directory, which goes when the test
/// ends (through [`Running`] and [`Ran`], which take it over), pass or fail.
pub struct Deploy {
    env: Vec<(String, String)>,
    args: Vec<String>,
    dir: TempDir,
}

impl Deploy {
    /// A run with no inputs at all.
    pub fn bare() -> Deploy {
        Deploy {
            env: Vec::new(),
            args: Vec::new(),
            dir: scratch_dir(),
        }
    }

    /// A run against `fake` with its token and application, and short intervals so tests are fast.
    pub fn against(fake: &FakeNodion) -> Deploy {
        Deploy::bare()
            .env("NODION_API_URL", &fake.url())
            .env("NODION_API_TOKEN", &fake.token())
            .env("NODION_APPLICATION_ID", &fake.application_id())
            .env("NODION_POLL_INTERVAL", "20ms")
            .env("NODION_MAX_POLL_INTERVAL", "100ms")
            .env("NODION_TIMEOUT", "20s")
    }

    /// The run's directory (its working directory, where its files land).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sets a variable.
    pub fn env(mut self, name: &str, value: &str) -> Deploy {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Removes a variable.
    pub fn unset(mut self, name: &str) -> Deploy {
        self.env.retain(|(k, _)| k != name);
        self
    }

    /// Adds a command-line argument.
    pub fn arg(mut self, arg: &str) -> Deploy {
        self.args.push(arg.to_string());
        self
    }

    /// As a GitHub Actions step, with `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` in the run's
    /// directory.
    pub fn github(self) -> Deploy {
        let output = self.dir().join("github_output");
        let summary = self.dir().join("step_summary.md");
        self.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", output.to_str().unwrap())
            .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
    }

    /// As a GitLab CI job (the dotenv report lands in the run's directory).
    pub fn gitlab(self) -> Deploy {
        self.env("GITLAB_CI", "true")
    }

    /// On the named platform: `github`, `gitlab`, or anything else for a plain pipeline.
    pub fn on(self, platform: &str) -> Deploy {
        match platform {
            "github" => self.github(),
            "gitlab" => self.gitlab(),
            _ => self,
        }
    }

    /// With a JSON result file in the run's directory.
    pub fn result_file(self) -> Deploy {
        let path = self.dir().join("result.json");
        self.env("NODION_RESULT_FILE", path.to_str().unwrap())
    }

    /// Runs the binary with nothing inherited from this machine's environment (no proxies, no
    /// `GITHUB_*`, `GITLAB_CI` or `NODION_*`), in the run's directory, and waits for it.
    pub fn run(self) -> Ran {
        self.spawn().wait()
    }

    /// Runs it as [`Deploy::run`] does, under GNU time, which reports the binary's own peak RSS
    /// in [`Ran::peak_rss_kib`]. Without a usable GNU time ([`gnu_time`] says why) it runs without
    /// it, says the memory check is skipped and leaves that empty; except under CI on Linux, where
    /// it fails instead (`.ci/run` installs GNU time): a skipped check there would pass unseen.
    ///
    /// A child started straight from the test process would be charged the test process's memory
    /// (the kernel counts the address space it had before `exec`); GNU time is a small process, so
    /// what it reports is the binary's, give or take time's own ~2 MiB.
    pub fn run_measured(mut self) -> Ran {
        let time = match gnu_time() {
            Ok(time) => time,
            Err(why) if std::env::var_os("CI").is_some() && cfg!(target_os = "linux") => {
                panic!("the peak-memory check cannot run under CI: {why}")
            }
            Err(why) => {
                eprintln!("skipped the peak-memory check: {why}");
                return self.run();
            }
        };
        let rss = self.dir().join("peak_rss_kib");
        let mut args = vec![
            "-f".to_string(),
            "%M".to_string(),
            "-o".to_string(),
            rss.to_str().unwrap().to_string(),
            BIN.to_string(),
        ];
        args.append(&mut self.args);
        self.args = args;
        let mut ran = self.spawn_program(&time).wait();
        let kib = std::fs::read_to_string(&rss).expect("GNU time wrote the peak RSS");
        ran.peak_rss_kib = Some(kib.trim().parse().expect("a number of KiB"));
        ran
    }

    /// Runs `script` with `shell` (`bash`, `sh`) as [`Deploy::run`] runs the binary, with the
    /// binary's path in `DEPLOY_BIN`: a CI step that runs it, as the platform runs steps.
    pub fn run_in(self, shell: &str, script: &str) -> Ran {
        let shell = ["/usr/bin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(shell))
            .find(|path| path.is_file())
            .unwrap_or_else(|| panic!("{shell} is installed"));
        let mut deploy = self.env("DEPLOY_BIN", BIN).env("PATH", "/usr/bin:/bin");
        deploy.args = vec!["-c".into(), script.into()];
        deploy.spawn_program(&shell).wait()
    }

    /// Runs what the binary runs (`session::run`) in this process, with `lookup` looking up names
    /// for the check of `verify_url`: for a fault that cannot be brought about on loopback, such as
    /// a name that does not resolve (a real lookup may ask a nameserver elsewhere). See
    /// [`Deploy::run_in_process_with`].
    pub fn run_in_process(self, lookup: Lookup) -> Ran {
        self.run_in_process_with(|around| Surroundings { lookup, ..around })
    }

    /// Runs what the binary runs (`session::run`) in this process, in surroundings that `change`
    /// makes from the binary's (a clock, a cancellation, what to do when ready). Only the variables
    /// set here are read, and paths must be absolute (the run's directory is not this process's).
    /// Proxies are bypassed (`NO_PROXY=*`), since ureq would otherwise read this process's
    /// `HTTPS_PROXY`.
    pub fn run_in_process_with(
        self,
        change: impl FnOnce(Surroundings<'_>) -> Surroundings<'_>,
    ) -> Ran {
        let started = Instant::now();
        let mut env: HashMap<String, String> = self.env.into_iter().collect();
        env.insert("NO_PROXY".into(), "*".into());
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = Box::new(Sink(Arc::clone(&captured)));
        let ended = session::run(change(Surroundings::new(&env, sink)));
        let ended_at = Instant::now();
        let stderr = String::from_utf8_lossy(&captured.lock().unwrap()).into_owned();
        Ran {
            code: ended.code.into(),
            stdout: String::new(),
            stderr,
            took: ended_at.duration_since(started),
            ended: ended_at,
            peak_rss_kib: None,
            dir: self.dir.path().to_path_buf(),
            _scratch: self.dir,
        }
    }

    /// Starts the binary (as [`Deploy::run`] does) without waiting for it.
    pub fn spawn(self) -> Running {
        self.spawn_program(Path::new(BIN))
    }

    // Reaped by `waitpid` in `Running::wait`, which also lets `Running::signal` use the pid.
    #[allow(clippy::zombie_processes)]
    fn spawn_program(self, program: &Path) -> Running {
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let (stdout, stdout_reader) = drain(child.stdout.take().unwrap());
        let (stderr, stderr_reader) = drain(child.stderr.take().unwrap());
        Running {
            pid: child.id() as libc::pid_t,
            started,
            stdout,
            stderr,
            readers: [stdout_reader, stderr_reader],
            dir: self.dir,
        }
    }
}

/// Where an in-process run's log goes.
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a pipe has carried so far, readable while the child runs.
#[derive(Default)]
struct Captured {
    text: Mutex<(Vec<u8>, bool)>,
    grew: Condvar,
}

impl Captured {
    fn text(&self) -> String {
        let (bytes, _) = &*self.text.lock().unwrap();
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Reads the pipe to its end in a thread, keeping what came in [`Captured`], with a signal per read.
fn drain(mut pipe: impl Read + Send + 'static) -> (Arc<Captured>, JoinHandle<()>) {
    let captured = Arc::new(Captured::default());
    let filling = Arc::clone(&captured);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            let n = match pipe.read(&mut chunk) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                read => read.unwrap_or(0),
            };
            let (bytes, ended) = &mut *filling.text.lock().unwrap();
            bytes.extend_from_slice(&chunk[..n]);
            *ended = n == 0;
            filling.grew.notify_all();
            if n == 0 {
                return;
            }
        }
    });
    (captured, reader)
}

/// A run under way.
pub struct Running {
    pid: libc::pid_t,
    started: Instant,
    stdout: Arc<Captured>,
    stderr: Arc<Captured>,
    readers: [JoinHandle<()>; 2],
    dir: TempDir,
}

impl Running {
    /// Sends a signal (`libc::SIGTERM`, `libc::SIGINT`).
    pub fn signal(&self, signal: libc::c_int) -> Instant {
        // SAFETY: kill(2) on a child we have not yet reaped, so the pid is still ours.
        assert_eq!(unsafe { libc::kill(self.pid, signal) }, 0);
        Instant::now()
    }

    /// Waits until the log (stderr) has a line containing `needle`: the event a test acts on, such
    /// as the flow reaching its wait loop. Panics if the run ends or `within` passes first.
    pub fn wait_for_log(&self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let mut text = self.stderr.text.lock().unwrap();
        loop {
            let (bytes, ended) = &*text;
            let log = String::from_utf8_lossy(bytes);
            if log.lines().any(|line| line.contains(needle)) {
                return;
            }
            let now = Instant::now();
            assert!(
                !ended && now < deadline,
                "the log never said {needle:?} (within {within:?}):\n{log}"
            );
            text = self
                .stderr
                .grew
                .wait_timeout(text, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Waits for the exit.
    pub fn wait(self) -> Ran {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid on our own unreaped child, with a valid status pointer.
        let reaped = unsafe { libc::waitpid(self.pid, &mut status, 0) };
        assert_eq!(reaped, self.pid, "waitpid");
        let ended = Instant::now();
        for reader in self.readers {
            reader.join().unwrap();
        }
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        };
        Ran {
            code,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
            took: ended.duration_since(self.started),
            ended,
            peak_rss_kib: None,
            dir: self.dir.path().to_path_buf(),
            _scratch: self.dir,
        }
    }
}

/// What a run did.
pub struct Ran {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error (the log).
    pub stderr: String,
    /// Wall time.
    pub took: Duration,
    /// When it exited.
    pub ended: Instant,
    /// Peak resident memory of the binary, KiB (only from [`Deploy::run_measured`], and only where
    /// GNU time could measure it).
    pub peak_rss_kib: Option<u64>,
    /// The run's directory.
    pub dir: PathBuf,
    /// Owns [`Ran::dir`]: removed when the `Ran` is dropped.
    _scratch: TempDir,
}

impl Ran {
    /// Asserts that the log (stderr) contains `text`; a failure prints what was looked for and the
    /// whole log.
    #[track_caller]
    pub fn assert_says(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "the log does not say {text:?}; the whole log:\n{}",
            self.stderr
        );
    }

    /// Asserts that the log (stderr) nowhere contains `text`; a failure prints what was found and
    /// the whole log.
    #[track_caller]
    pub fn assert_never_says(&self, text: &str) {
        assert!(
            !self.stderr.contains(text),
            "the log says {text:?}, which it must not; the whole log:\n{}",
            self.stderr
        );
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nlog:\n{}", self.stderr))
    }

    /// `GITHUB_OUTPUT` read with the runner's rules.
    pub fn github_outputs(&self) -> Vec<(String, String)> {
        crate::github_output::read_github_output(&self.read("github_output")).unwrap()
    }

    /// One GitHub output (panics if absent or repeated).
    pub fn output(&self, name: &str) -> String {
        let all: Vec<String> = self
            .github_outputs()
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(all.len(), 1, "output {name} in {all:?}");
        all[0].clone()
    }

    /// Asserts that `GITHUB_OUTPUT` holds every output exactly once.
    #[track_caller]
    pub fn assert_each_output_once(&self) {
        let names: Vec<String> = self.github_outputs().into_iter().map(|(k, _)| k).collect();
        for output in nodion_deploy::outputs::OUTPUTS {
            let times = names.iter().filter(|n| *n == output.name).count();
            assert_eq!(times, 1, "{} written {times} times: {names:?}", output.name);
        }
    }

    /// The GitHub step summary.
    pub fn summary(&self) -> String {
        self.read("step_summary.md")
    }

    /// The dotenv report's lines as key/value pairs.
    pub fn dotenv(&self) -> Vec<(String, String)> {
        self.read("nodion-deploy.env")
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('=').expect("KEY=value");
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    /// The JSON result file.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.read("result.json")).unwrap()
    }

    /// Everything the run printed or wrote: stdout, stderr and every file in its directory.
    pub fn everything(&self) -> String {
        let mut all = format!("{}\n{}\n", self.stdout, self.stderr);
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            let path = entry.unwrap().path();
            all.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
        all
    }

    /// Whether the directory holds a file of that name.
    pub fn has_file(&self, name: &str) -> bool {
        Path::new(&self.dir).join(name).exists()
    }
}

/// The lines of the log that are GitHub `::error` annotations.
pub fn annotations(ran: &Ran) -> Vec<&str> {
    ran.stderr
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect()
}

/// The log's last line.
pub fn last_line(ran: &Ran) -> &str {
    ran.stderr.lines().last().unwrap_or_default()
}

/// Azure's rule: a line holding `##vso[` is a logging command, wherever it stands.
pub fn vso_commands(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.to_ascii_lowercase().contains("##vso["))
        .collect()
}

/// What `$BASH_ENV` sets when bash sources it.
pub fn sourced(path: &std::path::Path) -> HashMap<String, String> {
    let script = format!(
        "source '{}' && env -0",
        path.display().to_string().replace('\'', "'\\''")
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env_clear()
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            let (k, v) = kv.split_once('=')?;
            k.starts_with("NODION_")
                .then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// GNU time, for measuring a run's peak memory, or why it cannot be used on this machine.
///
/// Only GNU time writes a child's peak RSS in KiB with `-f %M -o FILE`. On macOS `/usr/bin/time`
/// is BSD's, with other flags, and even GNU time (Homebrew's `gtime`) passes on the kernel's
/// `ru_maxrss`, which counts bytes there, as KiB: the check runs on Linux, as CI does.
fn gnu_time() -> Result<PathBuf, String> {
    if cfg!(target_os = "macos") {
        return Err(
            "it needs GNU time on Linux: on macOS no `time` reports peak memory in KiB \
             (`ru_maxrss` counts bytes there); CI runs it on Linux"
                .into(),
        );
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates = std::iter::once(PathBuf::from("/usr/bin/time"))
        .chain(std::env::split_paths(&path).map(|dir| dir.join("time")));
    candidates
        .filter(|time| time.is_file())
        .find(|time| is_gnu_time(time))
        .ok_or_else(|| {
            "it needs GNU time, and no `time` on PATH or at /usr/bin/time is GNU's \
             (Debian/Ubuntu: apt-get install time; Fedora: dnf install time)"
                .into()
        })
}

/// Whether `time` is GNU time: its `--version` says so. BSD's and busybox's `time` take
/// `--version` for the command to run, and fail.
fn is_gnu_time(time: &Path) -> bool {
    Command::new(time)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| {
            says_gnu_time(&String::from_utf8_lossy(&[out.stdout, out.stderr].concat()))
        })
}

/// Whether `time --version` printed GNU time's banner.
fn says_gnu_time(version: &str) -> bool {
    version.to_lowercase().contains("gnu time")
}

#[test]
fn only_gnu_time_is_taken_to_measure_peak_memory() {
    // GNU time 1.7 (older Debian), 1.9, and Debian's 1.9 build: GNU's.
    for gnu in [
        "GNU time 1.7",
        "time (GNU Time) 1.9",
        "time (GNU Time) UNKNOWN\nCopyright",
    ] {
        assert!(says_gnu_time(gnu), "{gnu}");
    }
    // macOS's BSD time and busybox's run `--version` as the command; a shell or coreutils tool
    // that got there by mistake is not time either.
    for other in [
        "time: --version: No such file or directory",
        "time: can't execute '--version': No such file or directory",
        "GNU bash, version 5.2.15(1)-release",
        "true (GNU coreutils) 9.1",
    ] {
        assert!(!says_gnu_time(other), "{other}");
    }
    assert!(!is_gnu_time(Path::new("/nonexistent/time")));
}

/// The simple commands of a shell script, each as its words with quotes removed: enough of the
/// shell's grammar (quotes, escapes, comments, continued lines, `;` `|` `&&` `||` `&`) to find what
/// a script runs, not what its comments or strings mention. Leading reserved words (`then`, `do`,
/// `if`, `!`, `{` …) are dropped, so the command itself comes first. `shlex` splits each command
/// into words as the shell does.
pub fn shell_commands(script: &str) -> Vec<Vec<String>> {
    const RESERVED: [&str; 8] = ["then", "do", "else", "if", "while", "until", "!", "{"];
    command_texts(script)
        .iter()
        .filter_map(|text| {
            let words = shlex::split(text).unwrap_or_else(|| panic!("unbalanced quotes: {text}"));
            let start = words.iter().position(|w| !RESERVED.contains(&w.as_str()))?;
            Some(words[start..].to_vec())
        })
        .collect()
}

/// The text of each command of a script, quotes and escapes kept, comments dropped: cut at `;`,
/// `|`, `||`, `&`, `&&` and newlines outside quotes. By hand, as shlex splits words only: it reads
/// these operators as parts of words, and newlines as spaces.
fn command_texts(script: &str) -> Vec<String> {
    let mut texts = vec![String::new()];
    // Whether the next character starts a word (where `#` starts a comment).
    let mut word_start = true;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        let text = texts.last_mut().unwrap();
        match c {
            '\'' => {
                text.push(c);
                for c in chars.by_ref() {
                    text.push(c);
                    if c == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                text.push(c);
                while let Some(c) = chars.next() {
                    text.push(c);
                    match c {
                        '"' => break,
                        '\\' => text.extend(chars.next()),
                        _ => {}
                    }
                }
            }
            // A continued line is one line (shlex would make `\<newline>` an empty word).
            '\\' if chars.next_if_eq(&'\n').is_some() => continue,
            '\\' => {
                text.push(c);
                text.extend(chars.next());
            }
            '#' if word_start => {
                chars.by_ref().find(|&c| c == '\n');
                texts.push(String::new());
                word_start = true;
                continue;
            }
            // A redirection such as `2>&1` or `>&2` keeps its `&`.
            '&' if text.ends_with(['>', '<']) => text.push(c),
            ';' | '|' | '&' | '\n' => {
                if (c == '|' || c == '&') && chars.peek() == Some(&c) {
                    chars.next();
                }
                texts.push(String::new());
                word_start = true;
                continue;
            }
            c => text.push(c),
        }
        word_start = c.is_whitespace();
    }
    texts
}

#[test]
fn shell_commands_are_found_as_the_shell_reads_them() {
    let script = "set -eu # strict\n# cargo test in a comment\nstep \"tests (cargo test)\"\n\
                  cargo test --workspace 2>&1 | tee log\nif [ -x a ]; then exec \"$B\" 'x y'; fi\n\
                  cargo run \\\n  --example demo && echo a\\ b";
    let commands: Vec<String> = shell_commands(script)
        .iter()
        .map(|words| words.join(" "))
        .collect();
    assert_eq!(
        commands,
        [
            "set -eu",
            "step tests (cargo test)",
            "cargo test --workspace 2>&1",
            "tee log",
            "[ -x a ]",
            "exec $B x y",
            "fi",
            "cargo run --example demo",
            "echo a b",
        ]
    );
}

/// Runs `case` for each of `cases` on its own thread, all at once: independent end-to-end runs
/// whose waits are real time overlap instead of adding up. A failing case fails the test.
pub fn each_in_parallel<T: Send>(cases: impl IntoIterator<Item = T>, case: impl Fn(T) + Sync) {
    std::thread::scope(|scope| {
        for each in cases {
            let case = &case;
            scope.spawn(move || case(each));
        }
    });
}

/// Writes an executable script at `path`. A child process writes it: were the test process to
/// hold the file open for writing, a process another test thread forks at that moment would
/// inherit the descriptor, and running the script could then fail with "Text file busy".
pub fn write_executable(path: &Path, script: &str) {
    let mut child = Command::new("/bin/sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sh writes the script");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), script.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "{}", path.display());
}
