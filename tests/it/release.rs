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

#[test]
fn set_version_changes_every_place_that_names_the_version() {
    // Removed when the test ends, whatever happens.
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
