//! `install.sh`, run for real by `dash` and by `busybox sh` against a release mirror on loopback.
//!
//! Every run gets a clean environment (`PATH` made of symlinks to chosen tools only, `HOME` in a
//! temporary directory, the mirror in `NODION_DEPLOY_DOWNLOAD_URL`, nothing else), so each case
//! proves what the script does with exactly the tools it is given: the busybox cases have nothing
//! but busybox applets on `PATH`, as on an Alpine image.
//!
//! Most cases publish a tiny shell script as the release binary (it answers `--version` like the
//! real one); the success cases publish the real built binary.

#![cfg(unix)]

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A release checkout's install.sh, which pins its version's checksums.
mod pinned;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/install.sh");
const BIN: &str = env!("CARGO_BIN_EXE_nodion-deploy");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const PREFIX: &str = "nodion-deploy install: ";

/// The five release targets, and whether their asset ends in `.exe`.
const TARGETS: [(&str, bool); 5] = [
    ("x86_64-unknown-linux-musl", false),
    ("aarch64-unknown-linux-musl", false),
    ("x86_64-apple-darwin", false),
    ("aarch64-apple-darwin", false),
    ("x86_64-pc-windows-gnu", true),
];

// ---------------------------------------------------------------------------------------------
// Temporary directories

/// A fresh directory, removed with everything in it when dropped.
fn temp_dir(label: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("nodion-install-{label}-"))
        .tempdir()
        .expect("a temporary directory")
}

// ---------------------------------------------------------------------------------------------
// The mirror: a static HTTP/1.1 server on 127.0.0.1

#[derive(Clone)]
enum Body {
    File(PathBuf),
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Request {
    path: String,
    status: u16,
    user_agent: String,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Body>,
    /// Statuses answered (in order) before a path is served normally.
    failures: HashMap<String, VecDeque<u16>>,
    /// A path whose answer stops halfway: (path, told when reached, holds until released).
    stall: Option<(String, mpsc::Sender<()>, mpsc::Receiver<()>)>,
    log: Vec<Request>,
}

struct Mirror {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    releases: Mutex<Vec<mpsc::Sender<()>>>,
}

impl Mirror {
    fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let state = state.clone();
                        thread::spawn(move || serve(stream, &state));
                    }
                }
            })
        };
        Mirror {
            addr,
            state,
            stop,
            accept: Some(accept),
            releases: Mutex::new(Vec::new()),
        }
    }

    /// The base URL, with a trailing slash (the script must strip it).
    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn put(&self, path: &str, body: Body) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path.to_string(), body);
    }

    /// Publishes release `version` with `assets` (name, body) and a correct SHA256SUMS.
    fn publish(&self, version: &str, assets: &[(String, Body)]) {
        let mut sums = String::new();
        for (name, body) in assets {
            sums.push_str(&format!("{}  {name}\n", sha256(body)));
            self.put(&format!("/v{version}/{name}"), body.clone());
        }
        self.put(
            &format!("/v{version}/SHA256SUMS"),
            Body::Bytes(sums.into_bytes()),
        );
    }

    /// `path` answers `status` `times` times before it is served normally.
    fn fail_first(&self, path: &str, status: u16, times: usize) {
        self.state.lock().unwrap().failures.insert(
            path.to_string(),
            std::iter::repeat_n(status, times).collect(),
        );
    }

    /// `path` sends its headers and half its body, then holds the connection open until the
    /// mirror is dropped. The receiver hears when that point is reached.
    fn stall(&self, path: &str) -> mpsc::Receiver<()> {
        let (reached_tx, reached_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        self.releases.lock().unwrap().push(release_tx);
        self.state.lock().unwrap().stall = Some((path.to_string(), reached_tx, release_rx));
        reached_rx
    }

    fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().log.clone()
    }

    /// The statuses answered for `path`, in order.
    fn statuses(&self, path: &str) -> Vec<u16> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| r.status)
            .collect()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.releases.lock().unwrap().clear();
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let user_agent = lines
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("user-agent")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();

    let (status, body, stall) = {
        let mut state = state.lock().unwrap();
        let stall = match &state.stall {
            Some((stalled, ..)) if *stalled == path => state.stall.take(),
            _ => None,
        };
        let failure = state
            .failures
            .get_mut(&path)
            .and_then(|queue| queue.pop_front());
        let (status, body) = match (failure, state.files.get(&path)) {
            (Some(status), _) => (status, None),
            (None, Some(body)) => (200, Some(body.clone())),
            (None, None) => (404, None),
        };
        state.log.push(Request {
            path,
            status,
            user_agent,
        });
        (status, body, stall)
    };

    let bytes = match body {
        Some(Body::File(path)) => fs::read(path).expect("read a mirrored file"),
        Some(Body::Bytes(bytes)) => bytes,
        None => format!("{status}\n").into_bytes(),
    };
    let reason = match status {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Whatever",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    );
    let _ = stream.write_all(head.as_bytes());
    match stall {
        Some((_, reached, release)) => {
            let _ = stream.write_all(&bytes[..bytes.len() / 2]);
            let _ = stream.flush();
            let _ = reached.send(());
            let _ = release.recv();
        }
        None => {
            let _ = stream.write_all(&bytes);
            let _ = stream.shutdown(Shutdown::Write);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checksums and release assets

fn sha256(body: &Body) -> String {
    static REAL: OnceLock<String> = OnceLock::new();
    match body {
        Body::File(path) if path == Path::new(BIN) => {
            REAL.get_or_init(|| sha256_of(|cmd| cmd.arg(BIN))).clone()
        }
        Body::File(path) => sha256_of(|cmd| cmd.arg(path)),
        Body::Bytes(bytes) => {
            let scratch = temp_dir("sum");
            let file = scratch.path().join("bytes");
            fs::write(&file, bytes).unwrap();
            sha256_of(|cmd| cmd.arg(&file))
        }
    }
}

/// The SHA-256 the host's `sha256sum` prints for the file `with` names.
fn sha256_of(with: impl FnOnce(&mut Command) -> &mut Command) -> String {
    let mut cmd = Command::new(host_tool("sha256sum").expect("the host has sha256sum"));
    let out = with(&mut cmd).output().expect("run sha256sum");
    assert!(out.status.success(), "sha256sum failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let hex = text.split_whitespace().next().unwrap().to_string();
    assert_eq!(hex.len(), 64, "sha256sum printed {text:?}");
    hex
}

fn asset(target: &str) -> String {
    let exe = if target.contains("windows") {
        ".exe"
    } else {
        ""
    };
    format!("nodion-deploy-{target}{exe}")
}

/// A stand-in release binary: a script that answers `--version` like the real one.
fn stub(version: &str, tag: &str) -> Body {
    Body::Bytes(
        format!("#!/bin/sh\n# {tag}\nprintf 'nodion-deploy %s\\n' '{version}'\n").into_bytes(),
    )
}

fn bytes_of(body: &Body) -> Vec<u8> {
    match body {
        Body::File(path) => fs::read(path).unwrap(),
        Body::Bytes(bytes) => bytes.clone(),
    }
}

fn real_binary() -> Body {
    Body::File(PathBuf::from(BIN))
}

/// The release target of the machine running the tests, when it has one.
fn host_target() -> Option<&'static str> {
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        Some("x86_64-unknown-linux-musl")
    } else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
        Some("aarch64-unknown-linux-musl")
    } else if cfg!(all(target_os = "macos", target_arch = "x86_64")) {
        Some("x86_64-apple-darwin")
    } else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
        Some("aarch64-apple-darwin")
    } else {
        None
    }
}

/// The host target, or None after saying why the test is skipped.
fn host_or_skip() -> Option<&'static str> {
    let target = host_target();
    if target.is_none() {
        eprintln!("skipped: no nodion-deploy release target matches this host");
    }
    target
}

// ---------------------------------------------------------------------------------------------
// Sandboxes: a shell, the tools on its PATH, a HOME

fn host_tool(name: &str) -> Option<PathBuf> {
    ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Shell {
    Dash,
    Busybox,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Downloader {
    Curl,
    GnuWget,
    BusyboxWget,
    Nothing,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sha {
    Sha256sum,
    Shasum,
    Openssl,
    Nothing,
}

#[derive(Clone, Copy, Debug)]
struct Setup {
    shell: Shell,
    downloader: Downloader,
    sha: Sha,
}

impl Setup {
    /// dash with curl (GNU wget is on PATH too: curl comes first) and sha256sum.
    const DASH_CURL: Setup = Setup {
        shell: Shell::Dash,
        downloader: Downloader::Curl,
        sha: Sha::Sha256sum,
    };
    const DASH_WGET: Setup = Setup {
        shell: Shell::Dash,
        downloader: Downloader::GnuWget,
        sha: Sha::Sha256sum,
    };
    /// Nothing but busybox applets.
    const BUSYBOX: Setup = Setup {
        shell: Shell::Busybox,
        downloader: Downloader::BusyboxWget,
        sha: Sha::Sha256sum,
    };

    fn with(self, downloader: Downloader, sha: Sha) -> Setup {
        Setup {
            downloader,
            sha,
            ..self
        }
    }

    /// The tools on PATH: (name on PATH, program it runs).
    fn tools(&self) -> Result<Vec<(String, PathBuf)>, String> {
        let mut tools = Vec::new();
        match self.shell {
            Shell::Dash => {
                let mut names = vec![
                    "uname", "mkdir", "rmdir", "rm", "mv", "chmod", "mktemp", "awk", "grep", "tr",
                    "sleep", "timeout", "cat",
                ];
                match self.downloader {
                    Downloader::Curl => names.push("curl"),
                    Downloader::GnuWget => names.push("wget"),
                    Downloader::Nothing => {}
                    Downloader::BusyboxWget => return Err("busybox wget under dash".into()),
                }
                match self.sha {
                    Sha::Sha256sum => names.push("sha256sum"),
                    Sha::Shasum => names.push("shasum"),
                    Sha::Openssl => names.push("openssl"),
                    Sha::Nothing => {}
                }
                for name in names {
                    let path = host_tool(name).ok_or(format!("the host has no {name}"))?;
                    tools.push((name.to_string(), path));
                }
                let gnu_wget = host_tool("wget").filter(|wget| {
                    Command::new(wget)
                        .arg("--version")
                        .output()
                        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("GNU Wget"))
                });
                match (self.downloader, gnu_wget) {
                    // With both on PATH, curl must be the one used.
                    (Downloader::Curl, Some(wget)) => tools.push(("wget".into(), wget)),
                    (Downloader::GnuWget, None) => return Err("the host has no GNU wget".into()),
                    _ => {}
                }
            }
            Shell::Busybox => {
                let busybox = busybox().ok_or("busybox is not installed")?;
                let mut names = vec![
                    "sh", "uname", "mkdir", "rmdir", "rm", "mv", "chmod", "mktemp", "awk", "grep",
                    "tr", "sleep", "timeout", "cat", "sed", "head", "cut", "ls", "cp", "env",
                ];
                match self.downloader {
                    Downloader::BusyboxWget => names.push("wget"),
                    Downloader::Nothing => {}
                    other => return Err(format!("{other:?} in a busybox-only sandbox")),
                }
                match self.sha {
                    Sha::Sha256sum => names.push("sha256sum"),
                    Sha::Nothing => {}
                    other => return Err(format!("{other:?} in a busybox-only sandbox")),
                }
                tools.extend(names.iter().map(|n| (n.to_string(), busybox.clone())));
            }
        }
        Ok(tools)
    }

    fn shell_command(&self) -> Result<Command, String> {
        match self.shell {
            Shell::Dash => {
                let dash = host_tool("dash").ok_or("dash is not installed")?;
                Ok(Command::new(dash))
            }
            Shell::Busybox => {
                let mut cmd = Command::new(busybox().ok_or("busybox is not installed")?);
                cmd.arg("sh");
                Ok(cmd)
            }
        }
    }
}

fn busybox() -> Option<PathBuf> {
    host_tool("busybox")
}

/// The setups among `wanted` this host can run; says which are skipped and why.
fn available(wanted: &[Setup]) -> Vec<Setup> {
    wanted
        .iter()
        .filter(
            |setup| match setup.tools().and_then(|_| setup.shell_command()) {
                Ok(_) => true,
                // CI installs every tool (.ci/run): a case skipped there would pass without running.
                Err(why) if std::env::var_os("CI").is_some() => {
                    panic!("the {setup:?} case cannot run under CI: {why}")
                }
                Err(why) => {
                    eprintln!("skipped the {setup:?} case: {why}");
                    false
                }
            },
        )
        .copied()
        .collect()
}

/// One sandbox: `bin/` (the only PATH), `home/` (HOME), and room for install directories.
struct Sandbox {
    setup: Setup,
    root: TempDir,
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Sandbox {
    fn new(setup: Setup) -> Sandbox {
        Sandbox::new_in(setup, temp_dir("sandbox"))
    }

    /// A sandbox that another user can reach: in a directory whose every ancestor others may
    /// enter. `TMPDIR` may be private (a fresh `mktemp -d` is 0700): then the target directory's
    /// own temporary directory, `/tmp` or `/var/tmp`. `None` when none is.
    fn reachable_by_others(setup: Setup) -> Option<Sandbox> {
        let candidates = [
            std::env::temp_dir(),
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
            PathBuf::from("/tmp"),
            PathBuf::from("/var/tmp"),
        ];
        let others_may_enter = |dir: &Path| {
            dir.ancestors().all(|d| {
                fs::metadata(d).is_ok_and(|m| m.is_dir() && m.permissions().mode() & 0o001 != 0)
            })
        };
        let base = candidates.into_iter().find(|d| others_may_enter(d))?;
        let root = tempfile::Builder::new()
            .prefix("nodion-install-sandbox-")
            .tempdir_in(base)
            .expect("a temporary directory");
        Some(Sandbox::new_in(setup, root))
    }

    fn new_in(setup: Setup, root: TempDir) -> Sandbox {
        let bin = root.path().join("bin");
        fs::create_dir(&bin).unwrap();
        fs::create_dir(root.path().join("home")).unwrap();
        for (name, program) in setup.tools().expect("an available setup") {
            symlink(&program, bin.join(&name)).unwrap();
        }
        Sandbox { setup, root }
    }

    fn bin(&self) -> PathBuf {
        self.root.path().join("bin")
    }

    /// A directory in the sandbox that does not exist yet.
    fn dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Replaces `uname` with a script that answers `-s` with `os` and `-m` with `arch`.
    fn fake_uname(&self, os: &str, arch: &str) {
        let path = self.bin().join("uname");
        let _ = fs::remove_file(&path);
        crate::support::write_executable(
            &path,
            &format!("#!/bin/sh\ncase \"$1\" in -m) echo '{arch}' ;; *) echo '{os}' ;; esac\n"),
        );
    }

    fn command(&self, mirror: &Mirror, args: &[&str]) -> Command {
        self.command_of(Path::new(SCRIPT), mirror, args)
    }

    /// `script` (an install.sh) run in the sandbox.
    fn command_of(&self, script: &Path, mirror: &Mirror, args: &[&str]) -> Command {
        let mut cmd = self.setup.shell_command().unwrap();
        cmd.arg(script)
            .args(args)
            .env_clear()
            .env("PATH", self.bin())
            .env("HOME", self.root.path().join("home"))
            .env("NODION_DEPLOY_DOWNLOAD_URL", mirror.url())
            .current_dir(self.root.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // A shell cannot trap a signal ignored when it starts (POSIX), and a test run started in
        // the background (`cargo test &`) ignores SIGINT: start the script as a runner would.
        // SAFETY: signal(2) is async-signal-safe, as code between fork and exec must be.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        cmd
    }

    fn spawn(&self, mirror: &Mirror, args: &[&str]) -> Running {
        Running::start(self.command(mirror, args))
    }

    fn run(&self, mirror: &Mirror, args: &[&str]) -> Outcome {
        self.spawn(mirror, args).wait()
    }

    /// Runs the script as `nobody` (65534), owner of the sandbox, from a process that is root.
    fn run_unprivileged(&self, mirror: &Mirror, args: &[&str]) -> Outcome {
        const NOBODY: u32 = 65534;
        fn chown_all(path: &Path) {
            std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
            if path.is_dir() && !path.is_symlink() {
                for entry in fs::read_dir(path).unwrap() {
                    chown_all(&entry.unwrap().path());
                }
            }
        }
        chown_all(self.root.path());
        let mut cmd = self.command(mirror, args);
        cmd.uid(NOBODY).gid(NOBODY);
        Running::start(cmd).wait()
    }
}

struct Running {
    pid: i32,
    rx: mpsc::Receiver<std::io::Result<Output>>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let child = cmd.spawn().expect("start install.sh");
        let pid = child.id() as i32;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        Running { pid, rx }
    }

    /// Sends `signal` to the script and everything it started.
    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the process group this test started; no memory is involved.
        unsafe {
            libc::kill(-self.pid, signal);
        }
    }

    fn wait(self) -> Outcome {
        match self.rx.recv_timeout(Duration::from_secs(60)) {
            Ok(output) => {
                let output = output.expect("wait for install.sh");
                Outcome {
                    code: output.status.code(),
                    stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                }
            }
            Err(_) => {
                self.signal(libc::SIGKILL);
                panic!("install.sh did not finish within 60 s");
            }
        }
    }
}

impl Outcome {
    fn assert_code(&self, code: i32, what: &str) -> &Outcome {
        assert_eq!(
            self.code,
            Some(code),
            "{what}: exit code\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The one line a failure prints: stdout empty, exactly one line on stderr, prefixed.
    fn error_line(&self, what: &str) -> String {
        assert_eq!(self.stdout, "", "{what}: nothing on stdout");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{what}: exactly one line on stderr: {:?}",
            self.stderr
        );
        assert!(
            lines[0].starts_with(PREFIX),
            "{what}: the line starts with {PREFIX:?}: {:?}",
            lines[0]
        );
        lines[0].to_string()
    }
}

fn assert_says(line: &str, words: &[&str], what: &str) {
    for word in words {
        assert!(
            line.contains(word),
            "{what}: {line:?} should mention {word:?}"
        );
    }
}

fn assert_absent(path: &Path, what: &str) {
    assert!(
        fs::symlink_metadata(path).is_err(),
        "{what}: {} should not exist",
        path.display()
    );
}

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn asset_path(version: &str, target: &str) -> String {
    format!("/v{version}/{}", asset(target))
}

fn sums_path(version: &str) -> String {
    format!("/v{version}/SHA256SUMS")
}

/// Checks a successful install of `version` into `dir`, returning the installed file.
fn assert_installed(out: &Outcome, dir: &Path, name: &str, version: &str, what: &str) -> PathBuf {
    out.assert_code(0, what);
    let installed = dir.join(name);
    assert_eq!(
        out.stdout,
        format!(
            "installed nodion-deploy {version} to {}\n",
            installed.display()
        ),
        "{what}: stdout names the version and the path"
    );
    let meta = fs::metadata(&installed).expect("the binary is installed");
    assert!(meta.is_file(), "{what}: a regular file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o755, "{what}: mode 755");
    assert_eq!(
        entries(dir),
        vec![name.to_string()],
        "{what}: nothing else is left in the directory"
    );
    assert!(
        !out.stderr.lines().any(|l| !l.contains("is not on PATH")),
        "{what}: no complaint on stderr: {:?}",
        out.stderr
    );
    installed
}

// ---------------------------------------------------------------------------------------------
// The promises

#[test]
fn installs_a_verified_runnable_binary_from_a_mirror() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX, Setup::DASH_WGET]) {
        let what = format!("{setup:?}");
        // The real binary is big (a debug build): GNU wget, tested as much elsewhere, gets a stub.
        let real = setup.downloader != Downloader::GnuWget;
        let body = if real {
            real_binary()
        } else {
            stub(VERSION, "wget")
        };
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), body.clone())]);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("made/for/it");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        let installed = assert_installed(&out, &dir, "nodion-deploy", VERSION, &what);
        let ran = Command::new(&installed)
            .arg("--version")
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ran.stdout).trim(),
            format!("nodion-deploy {VERSION}"),
            "{what}: the installed binary runs"
        );
        assert!(
            fs::read(&installed).unwrap() == bytes_of(&body),
            "{what}: it is the published binary"
        );
        // The default version, from the mirror (the trailing slash of its URL stripped).
        let requests = mirror.requests();
        let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![sums_path(VERSION), asset_path(VERSION, host)],
            "{what}: SHA256SUMS, then the asset"
        );
        let agent = &requests[0].user_agent;
        let expected_agent = match setup.downloader {
            Downloader::Curl => agent.starts_with("curl/"),
            Downloader::GnuWget => agent.starts_with("Wget/"),
            Downloader::BusyboxWget => !agent.starts_with("curl/") && agent.contains("Wget"),
            Downloader::Nothing => false,
        };
        assert!(
            expected_agent,
            "{what}: downloaded by {:?}, not {agent:?}",
            setup.downloader
        );
    }
}

#[test]
fn each_platform_uname_reports_gets_its_own_asset() {
    let cases = [
        ("Linux", "x86_64", "x86_64-unknown-linux-musl"),
        ("Linux", "amd64", "x86_64-unknown-linux-musl"),
        ("Linux", "aarch64", "aarch64-unknown-linux-musl"),
        ("Linux", "arm64", "aarch64-unknown-linux-musl"),
        ("Darwin", "x86_64", "x86_64-apple-darwin"),
        ("Darwin", "arm64", "aarch64-apple-darwin"),
        ("MINGW64_NT-10.0-19045", "x86_64", "x86_64-pc-windows-gnu"),
        ("MSYS_NT-10.0-22631", "x86_64", "x86_64-pc-windows-gnu"),
        ("CYGWIN_NT-10.0", "x86_64", "x86_64-pc-windows-gnu"),
        ("Windows_NT", "arm64", "x86_64-pc-windows-gnu"),
    ];
    // One release with every asset; SHA256SUMS in every form sha256sum writes or reads: text
    // and binary mode, upper-case hex, CRLF line ends, and lines to ignore.
    let mirror = Mirror::start();
    let mut sums = String::from("# checksums of nodion-deploy\n\n");
    for (i, (target, _)) in TARGETS.iter().enumerate() {
        let body = stub(VERSION, target);
        let hex = sha256(&body);
        let name = asset(target);
        sums.push_str(&match i {
            0 => format!("{hex}  {name}\n"),
            1 => format!("{hex} *{name}\n"),
            2 => format!("{}  {name}\n", hex.to_uppercase()),
            3 => format!("{hex}  {name}\r\n"),
            _ => format!("{hex}  {name}.sig-not-this\n{hex} *{name}\n"),
        });
        mirror.put(&asset_path(VERSION, target), body);
    }
    mirror.put(&sums_path(VERSION), Body::Bytes(sums.into_bytes()));

    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        for (i, (os, arch, target)) in cases.into_iter().enumerate() {
            // Every case under dash; a sample (one of each OS) is enough under busybox too.
            if setup.shell == Shell::Busybox && ![0, 5, 6].contains(&i) {
                continue;
            }
            let what = format!("{setup:?} on {os} {arch}");
            let sandbox = Sandbox::new(setup);
            sandbox.fake_uname(os, arch);
            let dir = sandbox.dir("bin-dir");
            let before = mirror.requests().len();

            let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

            let name = if target.contains("windows") {
                "nodion-deploy.exe"
            } else {
                "nodion-deploy"
            };
            let installed = assert_installed(&out, &dir, name, VERSION, &what);
            assert!(
                fs::read(installed).unwrap() == bytes_of(&stub(VERSION, target)),
                "{what}: the {target} asset"
            );
            let last = mirror.requests().pop().unwrap();
            assert_eq!(last.path, asset_path(VERSION, target), "{what}");
            assert_eq!(mirror.requests().len(), before + 2, "{what}: two downloads");
        }
    }
}

#[test]
fn the_target_option_picks_the_asset_and_accepts_only_release_targets() {
    let mirror = Mirror::start();
    let assets: Vec<(String, Body)> = TARGETS
        .iter()
        .map(|(target, _)| (asset(target), stub(VERSION, target)))
        .collect();
    mirror.publish(VERSION, &assets);
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        for (i, (target, exe)) in TARGETS.into_iter().enumerate() {
            if setup.shell == Shell::Busybox && i < 3 {
                continue;
            }
            let what = format!("{setup:?} --target {target}");
            let sandbox = Sandbox::new(setup);
            // uname is not asked: --target wins even on a platform without a release.
            sandbox.fake_uname("Plan9", "mips");
            let dir = sandbox.dir("d");
            let out = sandbox.run(&mirror, &["--target", target, "--to", path_str(&dir)]);
            let name = if exe {
                "nodion-deploy.exe"
            } else {
                "nodion-deploy"
            };
            assert_installed(&out, &dir, name, VERSION, &what);
            assert_eq!(
                mirror.requests().pop().unwrap().path,
                asset_path(VERSION, target)
            );
        }

        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");
        let before = mirror.requests().len();
        let out = sandbox.run(
            &mirror,
            &[
                "--target",
                "riscv64gc-unknown-linux-gnu",
                "--to",
                path_str(&dir),
            ],
        );
        let what = format!("{setup:?} with an unknown --target");
        out.assert_code(2, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &["riscv64gc-unknown-linux-gnu", "x86_64-unknown-linux-musl"],
            &what,
        );
        assert_absent(&dir, &what);
        assert_eq!(
            mirror.requests().len(),
            before,
            "{what}: nothing downloaded"
        );
    }
}

#[test]
fn a_tampered_binary_is_refused_and_nothing_is_installed() {
    let Some(host) = host_or_skip() else { return };
    let setups = [
        Setup::DASH_CURL,
        Setup::BUSYBOX,
        Setup::DASH_WGET,
        Setup::DASH_CURL.with(Downloader::Curl, Sha::Shasum),
        Setup::DASH_CURL.with(Downloader::Curl, Sha::Openssl),
    ];
    for setup in available(&setups) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "genuine"))]);
        mirror.put(&asset_path(VERSION, host), stub(VERSION, "tampered"));
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("new/dir");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(8, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &["checksum mismatch", "not installed", "again"],
            &what,
        );
        assert_absent(&dir, &what);
        assert_absent(&sandbox.dir("new"), &what);
    }
}

#[test]
fn a_failed_install_leaves_an_installed_binary_untouched_and_a_good_one_replaces_it() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "genuine"))]);
        mirror.put(&asset_path(VERSION, host), stub(VERSION, "tampered"));
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("existing");
        fs::create_dir(&dir).unwrap();
        let old = dir.join("nodion-deploy");
        crate::support::write_executable(&old, "#!/bin/sh\necho nodion-deploy 0.9.0\n");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(8, &what);
        assert_eq!(
            entries(&dir),
            vec!["nodion-deploy"],
            "{what}: no temporary file left"
        );
        assert_eq!(
            fs::read_to_string(&old).unwrap(),
            "#!/bin/sh\necho nodion-deploy 0.9.0\n",
            "{what}: the installed binary is untouched"
        );

        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "genuine"))]);
        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);
        assert_installed(&out, &dir, "nodion-deploy", VERSION, &what);
        assert!(
            fs::read_to_string(&old).unwrap().contains("genuine"),
            "{what}: replaced"
        );
    }
}

#[test]
fn an_asset_missing_from_sha256sums_is_refused_and_nothing_is_installed() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish(
            VERSION,
            &[(asset("x86_64-pc-windows-gnu"), stub(VERSION, "w"))],
        );
        mirror.put(&asset_path(VERSION, host), stub(VERSION, "unlisted"));
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(8, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &["SHA256SUMS", &asset(host), "not installed", "--target"],
            &what,
        );
        assert_absent(&dir, &what);
        assert!(
            mirror.statuses(&asset_path(VERSION, host)).is_empty(),
            "{what}: an unverifiable binary is not even downloaded"
        );
    }
}

#[test]
fn a_missing_asset_says_404_and_nothing_is_installed() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX, Setup::DASH_WGET]) {
        // The release exists and lists the asset, but the asset itself is missing.
        let what = format!("{setup:?}, asset missing");
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "x"))]);
        mirror
            .state
            .lock()
            .unwrap()
            .files
            .remove(&asset_path(VERSION, host));
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(7, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &[
                "404",
                &asset(host),
                "--version",
                "NODION_DEPLOY_DOWNLOAD_URL",
            ],
            &what,
        );
        assert_absent(&dir, &what);
        assert_eq!(
            mirror.statuses(&asset_path(VERSION, host)),
            vec![404],
            "{what}: no retry"
        );

        // No such release at all.
        let what = format!("{setup:?}, release missing");
        let out = sandbox.run(&mirror, &["--version", "9.9.9", "--to", path_str(&dir)]);
        out.assert_code(7, &what);
        let line = out.error_line(&what);
        assert_says(&line, &["404", "no release v9.9.9", "--version"], &what);
        assert_absent(&dir, &what);
        assert_eq!(
            mirror.statuses(&sums_path("9.9.9")),
            vec![404],
            "{what}: no retry"
        );
    }
}

#[test]
fn other_http_errors_are_not_retried() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX, Setup::DASH_WGET]) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "x"))]);
        mirror.fail_first(&asset_path(VERSION, host), 403, 1);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(6, &what);
        let line = out.error_line(&what);
        assert_says(&line, &["HTTP 403", "NODION_DEPLOY_DOWNLOAD_URL"], &what);
        assert_absent(&dir, &what);
        assert_eq!(
            mirror.statuses(&asset_path(VERSION, host)),
            vec![403],
            "{what}"
        );
    }
}

#[test]
fn a_transient_503_is_retried() {
    let Some(host) = host_or_skip() else { return };
    // The pause before a retry is one second: run the shells side by side.
    let runs: Vec<_> = available(&[Setup::DASH_CURL, Setup::BUSYBOX, Setup::DASH_WGET])
        .into_iter()
        .map(|setup| {
            thread::spawn(move || {
                let what = format!("{setup:?}");
                let mirror = Mirror::start();
                mirror.publish(VERSION, &[(asset(host), stub(VERSION, "x"))]);
                mirror.fail_first(&asset_path(VERSION, host), 503, 1);
                let sandbox = Sandbox::new(setup);
                let dir = sandbox.dir("d");

                let started = Instant::now();
                let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

                out.assert_code(0, &what);
                assert!(
                    started.elapsed() >= Duration::from_millis(900),
                    "{what}: a pause before the retry"
                );
                assert!(dir.join("nodion-deploy").is_file(), "{what}: installed");
                assert_eq!(
                    mirror.statuses(&asset_path(VERSION, host)),
                    vec![503, 200],
                    "{what}: one retry"
                );
                assert_says(&out.stderr, &["HTTP 503", "trying again in 1s"], &what);
            })
        })
        .collect();
    for run in runs {
        run.join().expect("a retry case passed");
    }
}

#[test]
fn an_unknown_platform_is_refused_and_nothing_is_installed() {
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        for (os, arch) in [
            ("FreeBSD", "amd64"),
            ("Linux", "riscv64"),
            ("Darwin", "ppc"),
        ] {
            let what = format!("{setup:?} on {os} {arch}");
            let mirror = Mirror::start();
            let sandbox = Sandbox::new(setup);
            sandbox.fake_uname(os, arch);
            let dir = sandbox.dir("d");

            let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

            out.assert_code(3, &what);
            let line = out.error_line(&what);
            assert_says(
                &line,
                &[os, arch, "supported", "Linux x86_64/aarch64", "--target"],
                &what,
            );
            assert_absent(&dir, &what);
            assert!(mirror.requests().is_empty(), "{what}: nothing downloaded");
        }
    }
}

/// Runs each setup against an empty mirror: the script must stop with `code` and one line saying
/// `says`, before downloading or creating anything.
fn refused_before_any_download(setups: &[Setup], code: i32, says: &[&str]) {
    for setup in available(setups) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(code, &what);
        let line = out.error_line(&what);
        assert_says(&line, says, &what);
        assert_absent(&dir, &what);
        assert!(mirror.requests().is_empty(), "{what}: nothing downloaded");
    }
}

#[test]
fn no_downloader_is_refused_and_nothing_is_installed() {
    refused_before_any_download(
        &[
            Setup::DASH_CURL.with(Downloader::Nothing, Sha::Sha256sum),
            Setup::BUSYBOX.with(Downloader::Nothing, Sha::Sha256sum),
        ],
        4,
        &["neither curl nor wget", "install one"],
    );
}

#[test]
fn no_checksum_tool_is_refused_and_nothing_is_installed() {
    refused_before_any_download(
        &[
            Setup::DASH_CURL.with(Downloader::Curl, Sha::Nothing),
            Setup::BUSYBOX.with(Downloader::BusyboxWget, Sha::Nothing),
        ],
        5,
        &["sha256sum", "shasum", "openssl", "install"],
    );
}

#[test]
fn shasum_or_openssl_verify_when_there_is_no_sha256sum() {
    let Some(host) = host_or_skip() else { return };
    let setups = [
        Setup::DASH_CURL.with(Downloader::Curl, Sha::Shasum),
        Setup::DASH_CURL.with(Downloader::Curl, Sha::Openssl),
    ];
    for setup in available(&setups) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "x"))]);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");
        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);
        assert_installed(&out, &dir, "nodion-deploy", VERSION, &what);
    }
}

#[test]
fn the_version_option_installs_that_release() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let mirror = Mirror::start();
        mirror.publish("9.8.7", &[(asset(host), stub("9.8.7", "old release"))]);
        for args in [
            &["--version", "9.8.7"][..],
            &["--version", "v9.8.7"],
            &["--version=9.8.7"],
        ] {
            let what = format!("{setup:?} {args:?}");
            let sandbox = Sandbox::new(setup);
            let dir = sandbox.dir("d");
            let mut all = args.to_vec();
            all.extend(["--to", path_str(&dir)]);
            let out = sandbox.run(&mirror, &all);
            assert_installed(&out, &dir, "nodion-deploy", "9.8.7", &what);
            assert_eq!(
                mirror.requests().pop().unwrap().path,
                asset_path("9.8.7", host)
            );
        }
        for bad in ["latest", "9.8", "1.2.3;rm", "1.2.3\nx"] {
            let what = format!("{setup:?} --version {bad:?}");
            let sandbox = Sandbox::new(setup);
            let out = sandbox.run(&mirror, &["--version", bad]);
            out.assert_code(2, &what);
            let line = out.error_line(&what);
            assert_says(&line, &["is not a version like 1.2.3"], &what);
        }
    }
}

#[test]
fn a_binary_that_does_not_run_is_refused_and_nothing_is_installed() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        let garbage =
            Body::Bytes(b"\x7fELF\x02\x01\x01 this is no program for this machine".to_vec());
        mirror.publish(VERSION, &[(asset(host), garbage)]);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("fresh");

        let out = sandbox.run(&mirror, &["--to", path_str(&dir)]);

        out.assert_code(9, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &["does not run on this machine", "not installed", "--target"],
            &what,
        );
        assert_absent(&dir, &what);
    }
}

#[test]
fn a_binary_that_reports_another_version_is_refused_and_nothing_is_installed() {
    let Some(host) = host_or_skip() else { return };
    // What the served binary prints for --version (its SHA256SUMS line is right), and what the
    // one error line says of it.
    let cases = [
        (
            "nodion-deploy 9.8.7-dev",
            "reports version 9.8.7-dev, not 9.8.7,",
        ),
        ("nodion-deploy 9.8.70", "reports version 9.8.70, not 9.8.7,"),
        (
            "9.8.7",
            "prints '9.8.7' for --version, not 'nodion-deploy 9.8.7',",
        ),
        (
            "",
            "prints nothing for --version, not 'nodion-deploy 9.8.7',",
        ),
        (
            "nodion-deploy 9.8.7\nnodion-deploy 9.8.7-dev",
            "prints more than 'nodion-deploy 9.8.7' for --version,",
        ),
        // Its first line only, bounded, without control characters or anything a CI log acts on.
        (
            "\u{1b}]0;title\u{7}::warning::##[error]x\r\nsecond line",
            "prints '0titlewarningerrorx' for --version, not 'nodion-deploy 9.8.7',",
        ),
        (
            &format!("nodion-deploy 9.8.7-{}", "x".repeat(300)),
            &format!("reports version 9.8.7-{}, not 9.8.7,", "x".repeat(80)),
        ),
    ];
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        for (printed, says) in cases {
            let what = format!("{setup:?} printing {printed:?}");
            let mirror = Mirror::start();
            let script = format!("#!/bin/sh\nprintf '%s\\n' '{printed}'\n");
            mirror.publish("9.8.7", &[(asset(host), Body::Bytes(script.into_bytes()))]);
            let sandbox = Sandbox::new(setup);

            // Into a directory the script creates: it goes again.
            let dir = sandbox.dir("new/dir");
            let out = sandbox.run(&mirror, &["--version", "9.8.7", "--to", path_str(&dir)]);
            out.assert_code(8, &what);
            let line = out.error_line(&what);
            assert_says(
                &line,
                &[&format!(
                    "the downloaded {} {says} so it was not installed",
                    asset(host)
                )],
                &what,
            );
            assert!(
                !line.contains("second line") && !line.contains("::") && !line.contains("##["),
                "{what}: {line:?}"
            );
            assert_absent(&sandbox.dir("new"), &what);

            // Over an installed binary: it stays, and nothing else is left.
            let dir = sandbox.dir("existing");
            fs::create_dir(&dir).unwrap();
            let old = dir.join("nodion-deploy");
            crate::support::write_executable(&old, "#!/bin/sh\necho nodion-deploy 9.8.6\n");
            let out = sandbox.run(&mirror, &["--version", "9.8.7", "--to", path_str(&dir)]);
            out.assert_code(8, &what);
            assert_eq!(entries(&dir), vec!["nodion-deploy"], "{what}: nothing left");
            assert_eq!(
                fs::read_to_string(&old).unwrap(),
                "#!/bin/sh\necho nodion-deploy 9.8.6\n",
                "{what}: the installed binary is untouched"
            );
        }
    }

    // Issue 15: the real binary (this build, 1.0.0-dev or so) served as another release.
    for setup in available(&[Setup::DASH_CURL]) {
        let what = format!("{setup:?} with the real binary");
        let mirror = Mirror::start();
        mirror.publish("9.9.9", &[(asset(host), real_binary())]);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("d");
        let out = sandbox.run(&mirror, &["--version", "9.9.9", "--to", path_str(&dir)]);
        out.assert_code(8, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &[&format!("reports version {VERSION}, not 9.9.9,")],
            &what,
        );
        assert_absent(&dir, &what);
    }
}

#[test]
fn an_unknown_option_is_a_one_line_usage_error() {
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let mirror = Mirror::start();
        let sandbox = Sandbox::new(setup);
        for (args, mentions) in [
            (&["--bogus"][..], "unknown option '--bogus'"),
            (&["extra"], "unknown option 'extra'"),
            (&["--to"], "--to needs a value"),
            (&["--version", ""], "--version needs a non-empty value"),
            (
                &["--bad\u{1b}[31m\nsecond line"],
                "unknown option '--bad[31msecond line'",
            ),
        ] {
            let what = format!("{setup:?} {args:?}");
            let out = sandbox.run(&mirror, args);
            out.assert_code(2, &what);
            let line = out.error_line(&what);
            assert_says(&line, &[mentions, "usage: sh install.sh", "--help"], &what);
        }
        let out = sandbox.run(&mirror, &["--help"]);
        out.assert_code(0, "--help");
        assert!(
            out.stdout
                .starts_with("Usage: sh install.sh [--version X.Y.Z] [--to DIR]")
        );
        assert_eq!(out.stderr, "");
        assert!(mirror.requests().is_empty());
        assert_eq!(
            entries(sandbox.root.path()),
            vec!["bin", "home"],
            "nothing made"
        );
    }
}

#[test]
fn without_to_it_installs_into_home_local_bin() {
    let Some(host) = host_or_skip() else { return };
    // SAFETY: access(2) with a NUL-terminated path; geteuid(2) takes nothing.
    let writable = unsafe { libc::access(c"/usr/local/bin".as_ptr(), libc::W_OK) } == 0;
    let root = unsafe { libc::geteuid() } == 0;
    if writable && !root {
        eprintln!("skipped: /usr/local/bin is writable for this user, so it would be the default");
        return;
    }
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let mirror = Mirror::start();
        mirror.publish(VERSION, &[(asset(host), stub(VERSION, "x"))]);
        // As root (CI), the script runs as `nobody`, for whom /usr/local/bin is not writable; its
        // sandbox must be reachable for nobody, wherever TMPDIR is.
        let (sandbox, out) = if root {
            let Some(sandbox) = Sandbox::reachable_by_others(setup) else {
                eprintln!("skipped: no temporary directory that `nobody` can reach");
                return;
            };
            let out = sandbox.run_unprivileged(&mirror, &[]);
            (sandbox, out)
        } else {
            let sandbox = Sandbox::new(setup);
            let out = sandbox.run(&mirror, &[]);
            (sandbox, out)
        };
        let dir = sandbox.root.path().join("home/.local/bin");
        assert_installed(&out, &dir, "nodion-deploy", VERSION, &format!("{setup:?}"));
    }
}

#[test]
fn an_interrupted_install_leaves_nothing_behind() {
    let Some(host) = host_or_skip() else { return };
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX, Setup::DASH_WGET]) {
        for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
            let what = format!("{setup:?} signal {signal}");
            let mirror = Mirror::start();
            mirror.publish(VERSION, &[(asset(host), stub(VERSION, "x"))]);
            let reached = mirror.stall(&asset_path(VERSION, host));
            let sandbox = Sandbox::new(setup);
            let dir = sandbox.dir("new/dir");

            let running = sandbox.spawn(&mirror, &["--to", path_str(&dir)]);
            reached
                .recv_timeout(Duration::from_secs(30))
                .expect("the download started");
            assert_eq!(
                entries(&dir).len(),
                1,
                "{what}: mid-download, one temporary directory"
            );
            running.signal(signal);
            let out = running.wait();

            assert_eq!(out.code, Some(code), "{what}: {}", out.stderr);
            assert_absent(&sandbox.dir("new"), &what);
        }
    }
}
