//! A release checkout's `install.sh` (SPEC §8, "Pinned checksums"): made by `scripts/set-version
//! 9.9.9 --checksums SHA256SUMS` in a scratch copy, it installs for 9.9.9 only the bytes it pins,
//! whatever the mirror's `SHA256SUMS` says, and downloads no `SHA256SUMS` for it; another
//! `--version` is checked against that release's `SHA256SUMS`, with one note that this is weaker.
//! The binaries are stand-ins (scripts answering `--version`); `bash .ci/run pinned` does the same
//! with the real 9.9.9 binary.

use super::*;

const PINNED: &str = "9.9.9";
const OTHER: &str = "9.9.8";

/// The stand-in released as `target`'s binary of PINNED.
fn genuine(target: &str) -> Body {
    stub(PINNED, target)
}

/// A scratch checkout at PINNED whose install.sh pins the five `genuine` binaries; removed when
/// dropped.
struct ReleaseCheckout {
    dir: TempDir,
}

impl ReleaseCheckout {
    fn new() -> ReleaseCheckout {
        let dir = crate::release::scratch_checkout();
        let sums: String = TARGETS
            .iter()
            .map(|(target, _)| format!("{}  {}\n", sha256(&genuine(target)), asset(target)))
            .collect();
        fs::write(dir.path().join("SHA256SUMS"), sums).unwrap();
        let ran = Command::new("sh")
            .arg(dir.path().join("scripts/set-version"))
            .args([PINNED, "--checksums", "SHA256SUMS"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "set-version --checksums: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
        ReleaseCheckout { dir }
    }

    fn script(&self) -> PathBuf {
        self.dir.path().join("install.sh")
    }
}

impl Sandbox {
    fn run_script(&self, script: &Path, mirror: &Mirror, args: &[&str]) -> Outcome {
        Running::start(self.command_of(script, mirror, args)).wait()
    }
}

/// The paths requested of `mirror` since it had answered `before` requests.
fn paths_since(mirror: &Mirror, before: usize) -> Vec<String> {
    mirror.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect()
}

#[test]
fn a_release_checkout_installs_the_binary_it_pins_without_reading_sha256sums() {
    let Some(host) = host_or_skip() else { return };
    let checkout = ReleaseCheckout::new();
    let script = checkout.script();
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let mirror = Mirror::start();
        let assets: Vec<(String, Body)> = TARGETS
            .iter()
            .map(|(target, _)| (asset(target), genuine(target)))
            .collect();
        mirror.publish(PINNED, &assets);
        // The default version; asked for by name, as the action does; and as a tag.
        for asked in [None, Some(PINNED), Some("v9.9.9")] {
            let what = format!("{setup:?}, --version {asked:?}");
            let sandbox = Sandbox::new(setup);
            let dir = sandbox.dir("to");
            let mut args = vec!["--to", path_str(&dir)];
            if let Some(version) = asked {
                args.extend(["--version", version]);
            }
            let before = mirror.requests().len();

            let out = sandbox.run_script(&script, &mirror, &args);

            let installed = assert_installed(&out, &dir, "nodion-deploy", PINNED, &what);
            assert!(
                fs::read(installed).unwrap() == bytes_of(&genuine(host)),
                "{what}: the pinned binary"
            );
            assert_eq!(
                paths_since(&mirror, before),
                vec![asset_path(PINNED, host)],
                "{what}: the binary alone is downloaded"
            );
        }
    }
}

#[test]
fn a_swapped_binary_is_refused_though_sha256sums_agrees_and_nothing_is_installed() {
    let Some(host) = host_or_skip() else { return };
    let checkout = ReleaseCheckout::new();
    let script = checkout.script();
    let swapped = stub(PINNED, "swapped");
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX, Setup::DASH_WGET]) {
        let what = format!("{setup:?}");
        // The binary replaced, and SHA256SUMS rewritten to match it.
        let mirror = Mirror::start();
        mirror.publish(PINNED, &[(asset(host), swapped.clone())]);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("new/dir");

        let out = sandbox.run_script(&script, &mirror, &["--to", path_str(&dir)]);

        out.assert_code(8, &what);
        let line = out.error_line(&what);
        assert_says(
            &line,
            &[
                "checksum mismatch",
                &asset(host),
                "v9.9.9",
                &format!("this install.sh pins {}", sha256(&genuine(host))),
                &format!("the download is {}", sha256(&swapped)),
                "whatever the mirror's SHA256SUMS says",
                "not installed",
            ],
            &what,
        );
        assert_absent(&dir, &what);
        assert_absent(&sandbox.dir("new"), &what);
    }

    // A SHA256SUMS that disagrees with the genuine binary changes nothing either way.
    let [setup] = available(&[Setup::DASH_CURL])[..] else {
        return;
    };
    let mirror = Mirror::start();
    mirror.publish(PINNED, &[(asset(host), genuine(host))]);
    mirror.put(&sums_path(PINNED), Body::Bytes(b"garbage\n".to_vec()));
    let sandbox = Sandbox::new(setup);
    let dir = sandbox.dir("to");
    let out = sandbox.run_script(&script, &mirror, &["--to", path_str(&dir)]);
    assert_installed(&out, &dir, "nodion-deploy", PINNED, "a wrong SHA256SUMS");
}

#[test]
fn another_version_is_checked_against_its_sha256sums_with_one_note() {
    let Some(host) = host_or_skip() else { return };
    let checkout = ReleaseCheckout::new();
    let script = checkout.script();
    let note = format!(
        "{PREFIX}note: v{OTHER} is not the version this install.sh pins checksums for (v{PINNED}), \
         so its binary is checked against the SHA256SUMS served beside it, a weaker check"
    );
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish(OTHER, &[(asset(host), stub(OTHER, "other"))]);
        // `install.sh --version OTHER` into a fresh sandbox: where it installs, what it said.
        let install_other = || {
            let sandbox = Sandbox::new(setup);
            let dir = sandbox.dir("to");
            let out = sandbox.run_script(
                &script,
                &mirror,
                &["--version", OTHER, "--to", path_str(&dir)],
            );
            (sandbox, dir, out)
        };

        let (_sandbox, dir, out) = install_other();
        out.assert_code(0, &what);
        assert_eq!(
            out.stdout,
            format!(
                "installed nodion-deploy {OTHER} to {}\n",
                dir.join("nodion-deploy").display()
            ),
            "{what}"
        );
        let notes: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("weaker"))
            .collect();
        assert_eq!(notes.len(), 1, "{what}: one note: {:?}", out.stderr);
        assert!(notes[0].starts_with(&note), "{what}: {:?}", notes[0]);
        assert_eq!(
            paths_since(&mirror, 0),
            vec![sums_path(OTHER), asset_path(OTHER, host)],
            "{what}: SHA256SUMS, then the binary"
        );

        // That SHA256SUMS still refuses a binary it does not list.
        mirror.put(&asset_path(OTHER, host), stub(OTHER, "tampered"));
        let (_sandbox, dir, out) = install_other();
        out.assert_code(8, &what);
        let last = out.stderr.lines().last().unwrap_or_default();
        assert_says(last, &["checksum mismatch", "SHA256SUMS says"], &what);
        assert_absent(&dir, &what);
    }
}

#[test]
fn a_checkout_that_pins_nothing_says_no_note_for_another_version() {
    let Some(host) = host_or_skip() else { return };
    let own = fs::read_to_string(SCRIPT).unwrap();
    if !crate::release::pinned_lines(&own).is_empty() {
        eprintln!("skipped: this checkout is a release commit; it pins");
        return;
    }
    for setup in available(&[Setup::DASH_CURL, Setup::BUSYBOX]) {
        let what = format!("{setup:?}");
        let mirror = Mirror::start();
        mirror.publish("3.1.4", &[(asset(host), stub("3.1.4", "old"))]);
        let sandbox = Sandbox::new(setup);
        let dir = sandbox.dir("to");
        let out = sandbox.run(&mirror, &["--version", "3.1.4", "--to", path_str(&dir)]);
        // No line on stderr but the PATH note.
        assert_installed(&out, &dir, "nodion-deploy", "3.1.4", &what);
    }
}
