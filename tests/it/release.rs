//! Everything that names the version agrees (SPEC §8): Cargo.toml, install.sh's default, the
//! GitLab component's default image and the action (which reads install.sh from its own checkout);
//! and `scripts/set-version`, the one step a release takes to change it, changes every one.

use std::path::Path;
use std::process::Command;

use crate::packaging::InstallStep;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Each place that names the version, with the version it names there.
fn versions_named(root: &Path) -> Vec<(&'static str, Option<String>)> {
    let read = |file: &str| std::fs::read_to_string(root.join(file)).unwrap_or_default();
    let cargo_toml = read("Cargo.toml");
    let package = cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_string());
    let cargo_lock = read("Cargo.lock");
    let locked = cargo_lock
        .split("\n[[package]]\n")
        .find(|block| block.starts_with("name = \"nodion-deploy\"\n"))
        .and_then(|block| block.lines().nth(1)?.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_string());
    let install_sh = read("install.sh");
    let defaults: Vec<&str> = install_sh
        .lines()
        .filter_map(|l| l.strip_prefix("DEFAULT_VERSION="))
        .collect();
    // One unquoted line, which the action and scripts/set-version read and write.
    let install = match defaults[..] {
        [one] => Some(one.to_string()),
        _ => None,
    };
    let image = read("templates/deploy.yml")
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("default: \"ghcr.io/nodion-deploy/nodion-deploy:")
        })
        .and_then(|tag| tag.strip_suffix("-shell\""))
        .map(str::to_string);
    vec![
        ("Cargo.toml", package),
        ("Cargo.lock", locked),
        ("install.sh DEFAULT_VERSION", install),
        ("the GitLab component's default image", image),
    ]
}

#[test]
fn every_file_that_names_the_version_agrees_with_cargo_toml() {
    for (place, version) in versions_named(Path::new(ROOT)) {
        assert_eq!(
            version.as_deref(),
            Some(env!("CARGO_PKG_VERSION")),
            "{place} names another version (scripts/set-version sets them all)"
        );
    }
}

#[test]
fn the_action_takes_its_version_from_install_sh_in_its_own_checkout() {
    // The action's install step, run: the version it asks for is the one its checkout's
    // install.sh names, and without one it stops rather than guess.
    for version in ["3.1.4", "0.9.0"] {
        let step = InstallStep::new(Some(version));
        let ran = step.run(&[]);
        assert_eq!(ran.code, Some(0), "{}", ran.stdout);
        let asked = ran.calls[0].split_whitespace().nth(2);
        assert_eq!(asked, Some(version), "{:?}", ran.calls);
    }
    let ran = InstallStep::new(None).run(&[]);
    assert_eq!(ran.code, Some(1));
    assert!(ran.stdout.contains("no version in"), "{}", ran.stdout);
    assert!(ran.calls.is_empty() && ran.output.is_empty());

    let action = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    assert!(
        !action.contains(env!("CARGO_PKG_VERSION")),
        "the action names no version of its own, so it cannot drift"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A scratch copy of what `scripts/set-version` reads and edits (and cargo needs to read the
/// workspace), removed when dropped.
pub(crate) fn scratch_checkout() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("nodion-deploy-set-version-")
        .tempdir()
        .unwrap();
    let root = Path::new(ROOT);
    // What cargo needs to read the workspace, and the files the script edits.
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "install.sh",
        "fake-nodion/Cargo.toml",
    ] {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(root.join(file), target).unwrap();
    }
    for tree in ["src", "fake-nodion/src", "templates", "scripts"] {
        copy_tree(&root.join(tree), &dir.path().join(tree));
    }
    dir
}

#[test]
fn set_version_changes_every_place_that_names_the_version() {
    // Removed when the test ends, whatever happens.
    let dir = scratch_checkout();
    let ran = Command::new("sh")
        .arg(dir.path().join("scripts/set-version"))
        .arg("2.3.4-rc.1")
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    for (place, version) in versions_named(dir.path()) {
        assert_eq!(version.as_deref(), Some("2.3.4-rc.1"), "{place}");
    }
    // A word that is not a version changes nothing.
    let refused = Command::new("sh")
        .arg(dir.path().join("scripts/set-version"))
        .arg("latest")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    for (place, version) in versions_named(dir.path()) {
        assert_eq!(version.as_deref(), Some("2.3.4-rc.1"), "{place}");
    }
}

// ---------------------------------------------------------------------------------------------
// Pinned checksums (SPEC §8): install.sh's block, which scripts/set-version --checksums writes

const BEGIN: &str = "# BEGIN PINNED CHECKSUMS";
const END: &str = "# END PINNED CHECKSUMS";

/// The release assets, from install.sh's `TARGETS=` line (which its --target check and
/// scripts/set-version read too): `nodion-deploy-<target>`, `.exe` on Windows.
pub(crate) fn release_assets(install_sh: &str) -> Vec<String> {
    let line = install_sh
        .lines()
        .find_map(|l| l.strip_prefix("TARGETS="))
        .expect("install.sh has a TARGETS= line");
    line.trim_matches(|c| c == '\'' || c == '"')
        .split_whitespace()
        .map(|t| {
            let exe = if t.contains("windows") { ".exe" } else { "" };
            format!("nodion-deploy-{t}{exe}")
        })
        .collect()
}

/// The `sha256sum` lines pinned in install.sh's block, as (hex, name); empty when it pins none.
/// Panics unless the markers are there once each, around one `PINNED_SHA256SUMS=` assignment.
pub(crate) fn pinned_lines(install_sh: &str) -> Vec<(String, String)> {
    let count = |marker: &str| install_sh.lines().filter(|l| *l == marker).count();
    assert_eq!((count(BEGIN), count(END)), (1, 1), "install.sh's markers");
    let block = install_sh
        .split_once(&format!("{BEGIN}\n"))
        .and_then(|(_, rest)| rest.split_once(&format!("\n{END}\n")))
        .map(|(block, _)| block)
        .expect("BEGIN before END");
    if block == "PINNED_SHA256SUMS=''" {
        return Vec::new();
    }
    let lines = block
        .strip_prefix("PINNED_SHA256SUMS='\n")
        .and_then(|b| b.strip_suffix("\n'"))
        .unwrap_or_else(|| panic!("the block is one quoted PINNED_SHA256SUMS: {block:?}"));
    lines
        .lines()
        .map(|line| {
            let (hex, name) = line.split_once("  ").expect("sha256sum's two spaces");
            assert!(
                hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                "{line:?}"
            );
            (hex.to_string(), name.to_string())
        })
        .collect()
}

#[test]
fn the_pinned_block_when_present_names_exactly_the_five_release_assets() {
    let install_sh = std::fs::read_to_string(Path::new(ROOT).join("install.sh")).unwrap();
    let assets = release_assets(&install_sh);
    // The release script builds the same five, so the list cannot drift.
    let release = std::fs::read_to_string(Path::new(ROOT).join("scripts/release")).unwrap();
    let built = release
        .lines()
        .find_map(|l| l.strip_prefix("TARGETS=\""))
        .expect("scripts/release names its TARGETS");
    for asset in &assets {
        let target = asset
            .trim_start_matches("nodion-deploy-")
            .trim_end_matches(".exe");
        assert!(
            built.split(['"', ' ']).any(|t| t == target),
            "scripts/release builds no {target}"
        );
    }
    assert_eq!(assets.len(), 5, "{assets:?}");

    let pinned = pinned_lines(&install_sh);
    if env!("CARGO_PKG_VERSION").contains('-') {
        assert!(pinned.is_empty(), "a pre-release checkout pins nothing");
    }
    if !pinned.is_empty() {
        let names: Vec<&String> = pinned.iter().map(|(_, name)| name).collect();
        assert_eq!(
            names,
            assets.iter().collect::<Vec<_>>(),
            "one line per asset"
        );
    }
}

#[test]
fn set_version_checksums_pins_the_five_assets_and_refuses_anything_else() {
    let dir = scratch_checkout();
    let install = dir.path().join("install.sh");
    let read = || std::fs::read_to_string(&install).unwrap();
    let set_version = |args: &[&str]| {
        Command::new("sh")
            .arg(dir.path().join("scripts/set-version"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let assets = release_assets(&read());
    let hex = |i: usize| format!("{i:x}").repeat(64)[..64].to_string();
    // sha256sum's output for the release: the five, and install.sh, which cannot pin itself.
    let mut sums: String = assets
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{}  {a}\n", hex(i + 1)))
        .collect();
    sums.push_str(&format!("{}  install.sh\n", hex(9)));
    std::fs::write(dir.path().join("SHA256SUMS"), &sums).unwrap();

    let ran = set_version(&["2.3.4", "--checksums", "SHA256SUMS"]);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let pinned = read();
    let expected: Vec<(String, String)> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| (hex(i + 1), a.clone()))
        .collect();
    assert_eq!(pinned_lines(&pinned), expected);
    for (place, version) in versions_named(dir.path()) {
        assert_eq!(version.as_deref(), Some("2.3.4"), "{place}");
    }
    let parses = Command::new("sh")
        .args(["-n"])
        .arg(&install)
        .status()
        .unwrap();
    assert!(parses.success(), "the pinned install.sh parses");
    // Again: the same file.
    assert!(
        set_version(&["2.3.4", "--checksums", "SHA256SUMS"])
            .status
            .success()
    );
    assert_eq!(read(), pinned, "set-version is idempotent");

    // Anything else is refused, and nothing changes.
    let first = sums.lines().next().unwrap().to_string();
    let refused = [
        sums.replace(&first, &first.replace("  ", " *")),
        sums.replace(&first, &first.replace(&hex(1), &hex(1)[..63])),
        sums.replace(&first, &format!("{}  nodion-deploy-riscv64", hex(1))),
        sums.replacen(&format!("{first}\n"), "", 1),
        format!("{sums}{first}\n"),
        format!("{sums}{}  ../evil'\n", hex(7)),
        String::new(),
    ];
    for bad in refused {
        std::fs::write(dir.path().join("BAD"), &bad).unwrap();
        let ran = set_version(&["2.3.5", "--checksums", "BAD"]);
        assert_eq!(ran.status.code(), Some(2), "{bad:?}");
        assert!(String::from_utf8_lossy(&ran.stderr).starts_with("set-version: "));
        assert_eq!(read(), pinned, "{bad:?} changed install.sh");
    }
    assert_eq!(
        set_version(&["2.3.5", "--checksums"]).status.code(),
        Some(2)
    );

    // A version commit pins nothing.
    assert!(set_version(&["2.4.0-dev"]).status.success());
    assert!(pinned_lines(&read()).is_empty());
    let original = std::fs::read_to_string(Path::new(ROOT).join("install.sh")).unwrap();
    if pinned_lines(&original).is_empty() {
        let back = set_version(&[env!("CARGO_PKG_VERSION")]);
        assert!(back.status.success());
        assert_eq!(read(), original, "back where it started");
    }
}
