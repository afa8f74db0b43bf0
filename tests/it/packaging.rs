//! The action metadata declares exactly the inputs and outputs the program reads and writes (from
//! the same tables), so it cannot drift from the code; and the composite action's two steps are
//! run by bash, with stand-ins for install.sh, cargo and the binary, for what they must do: get the
//! binary as the SPEC says and exec it, with every input as `INPUT_<NAME>`. Every output is the
//! binary's own, the runs of the action check each one, and no expression is expanded in a script
//! of any workflow, and every third-party action is pinned by commit SHA with its version beside it.
//! The live contract test's workflow gives its secrets to the test's step alone.
//! `NODION_UPDATE_GOLDEN=1 cargo test --test it packaging::` rewrites action.yml from the tables.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fake_nodion::Hold;
use nodion_deploy::inputs::{Default, INPUTS};
use nodion_deploy::outputs::OUTPUTS;
use serde_yaml_ng::Value;
use tempfile::TempDir;

use crate::support::{Deploy, fake, shell_commands};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Inputs of the action alone: how it gets the binary (SPEC §2, last paragraph; §8). The binary
/// never reads them.
const ACTION_INPUTS: &[(&str, Option<&str>, &str)] = &[
    (
        "download_url",
        None,
        "a mirror of the release downloads (<mirror>/vX.Y.Z/nodion-deploy-<target> and SHA256SUMS), for GitHub Enterprise or air-gapped runners; given to install.sh as NODION_DEPLOY_DOWNLOAD_URL (default: GitHub's release downloads)",
    ),
    (
        "from_source",
        Some("false"),
        "build nodion-deploy from the action's own source with cargo (the runner needs a Rust toolchain) instead of downloading the release binary; a checkout of the action that is not a release (main, a commit) always builds",
    ),
];

/// Step 1: the binary for this checkout of the action, as `steps.install.outputs.path`.
/// Only `env:` carries expressions; the script reads plain variables.
const INSTALL_SCRIPT: &str = r#"set -euo pipefail
fail() { echo "::error title=nodion-deploy::$1"; exit 1; }
exe=""
if [ "${RUNNER_OS:-}" = Windows ]; then
  exe=.exe
  # Git Bash: C:\... becomes /c/... for the tools below.
  if command -v cygpath >/dev/null 2>&1; then GITHUB_ACTION_PATH=$(cygpath -u "$GITHUB_ACTION_PATH"); fi
fi
# The version of this checkout of the action: install.sh's DEFAULT_VERSION (equal to Cargo.toml's).
version=""
if [ -f "$GITHUB_ACTION_PATH/install.sh" ]; then
  version=$(sed -n 's/^DEFAULT_VERSION=//p' "$GITHUB_ACTION_PATH/install.sh" | tr -d "\"' \r")
  version=${version%%$'\n'*}
fi
case $version in
  "" | *[!0-9A-Za-z.+-]*) fail "no version in $GITHUB_ACTION_PATH/install.sh (DEFAULT_VERSION=); is the action's checkout complete?" ;;
esac
case $(printf '%s' "$FROM_SOURCE" | tr '[:upper:]' '[:lower:]') in
  true | yes | on | 1) from_source=true ;;
  false | no | off | 0 | "") from_source=false ;;
  *) fail "the from_source input must be true or false" ;;
esac
case $version in
  *-*) build=true why="$version is not a release" ;;
  *) build=$from_source why="from_source is true" ;;
esac
if [ "$build" = true ]; then
  command -v cargo >/dev/null 2>&1 ||
    fail "nodion-deploy $version is built from source here ($why), but cargo is not installed: install Rust (https://rustup.rs) in an earlier step, or use a release tag of the action"
  target_dir=${CARGO_TARGET_DIR:-$GITHUB_ACTION_PATH/target}
  if [ -n "$exe" ] && command -v cygpath >/dev/null 2>&1; then target_dir=$(cygpath -u "$target_dir"); fi
  case $target_dir in
    /*) ;;
    *) target_dir=$PWD/$target_dir ;;
  esac
  echo "::group::Building nodion-deploy $version from source ($why)"
  built=0
  cargo build --release --locked --bin nodion-deploy --manifest-path "$GITHUB_ACTION_PATH/Cargo.toml" --target-dir "$target_dir" || built=$?
  echo "::endgroup::"
  [ "$built" = 0 ] || fail "cargo build failed (exit code $built); the build log above says why"
  bin=$target_dir/release/nodion-deploy$exe
  [ -f "$bin" ] || fail "cargo built no $bin (is CARGO_BUILD_TARGET or build.target set?)"
else
  arch=$(printf '%s' "${RUNNER_ARCH:-}" | tr '[:upper:]' '[:lower:]')
  case "${RUNNER_OS:-}/$arch" in
    Linux/x64) target=x86_64-unknown-linux-musl ;;
    Linux/arm64) target=aarch64-unknown-linux-musl ;;
    macOS/x64) target=x86_64-apple-darwin ;;
    macOS/arm64) target=aarch64-apple-darwin ;;
    # Windows on Arm runs the x64 binary under emulation.
    Windows/x64 | Windows/arm64) target=x86_64-pc-windows-gnu arch=x64 ;;
    *) fail "no release binary of nodion-deploy for ${RUNNER_OS:-this OS} on ${RUNNER_ARCH:-this architecture} (there are for Linux, macOS and Windows, X64 or ARM64); from_source: true builds one with cargo" ;;
  esac
  # The runner's tool cache, so that a self-hosted runner downloads each version once. A cached
  # binary is used only if its SHA-256 equals the one recorded beside it when this step installed
  # it (nodion-deploy.sha256, in sha256sum's format: "<hex>  nodion-deploy") and, then only, it
  # prints exactly "nodion-deploy $version" for --version; otherwise it is installed again over it.
  cache=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-}}
  [ -n "$cache" ] || fail "neither RUNNER_TOOL_CACHE nor RUNNER_TEMP is set: is this a GitHub Actions runner?"
  if [ -n "$exe" ] && command -v cygpath >/dev/null 2>&1; then cache=$(cygpath -u "$cache"); fi
  dir=$cache/nodion-deploy/$version/$arch
  bin=$dir/nodion-deploy$exe
  recorded=$dir/nodion-deploy.sha256
  # SHA-256 as install.sh computes it: sha256sum, else shasum -a 256, else openssl.
  if printf '' | sha256sum >/dev/null 2>&1; then sha=sha256sum
  elif printf '' | shasum -a 256 >/dev/null 2>&1; then sha=shasum
  elif printf '' | openssl dgst -sha256 >/dev/null 2>&1; then sha=openssl
  else fail "no SHA-256 tool (sha256sum, shasum or openssl) to check nodion-deploy in the tool cache; install one in an earlier step"
  fi
  sha256_of() {
    local sum
    case $sha in
      sha256sum) sum=$(sha256sum <"$1") ;;
      shasum) sum=$(shasum -a 256 <"$1") ;;
      openssl) sum=$(openssl dgst -sha256 <"$1") && sum=${sum##* } ;;
    esac || return 1
    sum=$(printf '%s' "${sum%% *}" | tr 'A-F' 'a-f')
    [[ $sum =~ ^[0-9a-f]{64}$ ]] || return 1
    printf '%s\n' "$sum"
  }
  # What a binary printed for --version, said in one line: its first line, at most 100 characters,
  # only letters, digits, space and . _ + - (nothing a terminal or the runner would act on).
  reported() {
    local line=${1%%$'\n'*}
    line=$(printf '%s' "${line:0:100}" | LC_ALL=C tr -cd 'A-Za-z0-9 ._+-')
    case $line in
      "nodion-deploy $version") echo "prints more than 'nodion-deploy $version' for --version" ;;
      "nodion-deploy "?*) echo "reports ${line#nodion-deploy }, not $version" ;;
      "") echo "prints nothing for --version, not 'nodion-deploy $version'" ;;
      *) echo "prints '$line' for --version, not 'nodion-deploy $version'" ;;
    esac
  }
  stale=""
  if [ -f "$bin" ]; then
    want=""
    if [ -f "$recorded" ]; then read -r want _ <"$recorded" || true; fi
    # The bytes first: a binary that is not the one installed here is not even run.
    if [ -z "$want" ]; then
      stale="has no SHA-256 recorded beside it ($recorded)"
    elif ! have=$(sha256_of "$bin"); then
      fail "$sha could not compute the SHA-256 of $bin"
    elif [ "$have" != "$want" ]; then
      stale="is not the binary installed there: its SHA-256 differs from the one recorded in $recorded"
    elif ! printed=$("$bin" --version </dev/null 2>/dev/null); then
      stale="does not run"
    elif [ "$printed" != "nodion-deploy $version" ]; then
      stale=$(reported "$printed")
    fi
  fi
  if [ -f "$bin" ] && [ -z "$stale" ]; then
    echo "nodion-deploy $version from the tool cache: $bin"
  else
    if [ -n "$stale" ]; then echo "the cached nodion-deploy at $bin $stale: installing again"; fi
    if [ -n "$DOWNLOAD_URL" ]; then export NODION_DEPLOY_DOWNLOAD_URL="$DOWNLOAD_URL"; fi
    sh "$GITHUB_ACTION_PATH/install.sh" --version "$version" --target "$target" --to "$dir" ||
      fail "could not install nodion-deploy $version for $target; the line above says why"
    # Record what was installed, once it is known to be exactly $version.
    [ -f "$bin" ] || fail "install.sh put no nodion-deploy at $bin"
    printed=$("$bin" --version </dev/null 2>/dev/null) || fail "the nodion-deploy install.sh put at $bin does not run"
    [ "$printed" = "nodion-deploy $version" ] ||
      fail "the nodion-deploy install.sh put at $bin $(reported "$printed")"
    have=$(sha256_of "$bin") || fail "$sha could not compute the SHA-256 of $bin"
    printf '%s  %s\n' "$have" "nodion-deploy$exe" >"$recorded" || fail "could not write $recorded"
  fi
fi
echo "path=$bin" >>"$GITHUB_OUTPUT"
"#;

/// Step 2: the binary itself, in place of the shell.
const RUN_SCRIPT: &str = "# exec: on cancel, the runner's SIGINT and SIGTERM reach nodion-deploy itself.\n\
                          exec \"$NODION_DEPLOY_BIN\"\n";

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn indented(script: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    script
        .lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{line}\n")
            }
        })
        .collect()
}

fn declare_input(out: &mut String, name: &str, help: &str, default: Option<&str>) {
    out.push_str(&format!("  {name}:\n    description: {}\n", quoted(help)));
    out.push_str(&format!("    required: {}\n", name == "application_id"));
    if let Some(default) = default {
        out.push_str(&format!("    default: {}\n", quoted(default)));
    }
}

/// action.yml as the tables make it.
fn action_yml() -> String {
    let mut out = String::from(
        "# Generated from the input and output tables in src/ (tests/it/packaging.rs checks it).\n\
         # A composite action: the first step gets the binary (install.sh for the runner's platform,\n\
         # kept in the tool cache, or cargo for a checkout that is not a release), the second runs it\n\
         # with every input; the binary writes the outputs itself.\n\
         name: Nodion Deploy\n\
         description: Trigger a Nodion deployment, wait until that deployment finishes, and gate the job on its result.\n\
         author: nodion-deploy\n\
         branding:\n  icon: upload-cloud\n  color: blue\n\
         inputs:\n",
    );
    for input in INPUTS {
        let mut help = input.help.to_string();
        if input.name == "api_token" {
            help.push_str(". Pass it from a secret (for example secrets.NODION_API_TOKEN), never as plain text");
        }
        if let Default::Note(note) = input.default {
            help.push_str(&format!(" (default: {note})"));
        }
        declare_input(&mut out, input.name, &help, input.default_value());
    }
    for (name, default, help) in ACTION_INPUTS {
        declare_input(&mut out, name, help, *default);
    }
    out.push_str("outputs:\n");
    for output in OUTPUTS {
        out.push_str(&format!(
            "  {}:\n    description: {}\n    value: ${{{{ steps.run.outputs.{} }}}}\n",
            output.name,
            quoted(output.help),
            output.name
        ));
    }
    out.push_str(
        "runs:\n  using: composite\n  steps:\n\
         \x20   - name: Get nodion-deploy\n\
         \x20     id: install\n\
         \x20     shell: bash\n\
         \x20     env:\n\
         \x20       DOWNLOAD_URL: ${{ inputs.download_url }}\n\
         \x20       FROM_SOURCE: ${{ inputs.from_source }}\n\
         \x20     run: |\n",
    );
    out.push_str(&indented(INSTALL_SCRIPT, 8));
    out.push_str(
        "    - name: Deploy\n\
         \x20     id: run\n\
         \x20     shell: bash\n\
         \x20     env:\n\
         \x20       NODION_DEPLOY_BIN: ${{ steps.install.outputs.path }}\n",
    );
    for input in INPUTS {
        out.push_str(&format!(
            "        INPUT_{}: ${{{{ inputs.{} }}}}\n",
            input.name.to_ascii_uppercase(),
            input.name
        ));
    }
    out.push_str("      run: |\n");
    out.push_str(&indented(RUN_SCRIPT, 8));
    out
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_default()
}

/// action.yml as checked in; while NODION_UPDATE_GOLDEN rewrites it, what is being written.
fn action_file() -> String {
    if std::env::var_os("NODION_UPDATE_GOLDEN").is_some() {
        action_yml()
    } else {
        read("action.yml")
    }
}

#[test]
fn action_yml_declares_every_input_and_output_from_the_tables() {
    let expected = action_yml();
    let path = format!("{ROOT}/action.yml");
    if std::env::var_os("NODION_UPDATE_GOLDEN").is_some() {
        // Through a rename, so the tests reading action.yml meanwhile never see half a file.
        let temporary = format!("{path}.{}.new", std::process::id());
        std::fs::write(&temporary, &expected).unwrap();
        std::fs::rename(&temporary, &path).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "action.yml differs from the tables; run NODION_UPDATE_GOLDEN=1 cargo test --test it packaging::"
    );
}

// ---------------------------------------------------------------------------------------------
// action.yml and the workflows, read as YAML.

/// A YAML file, parsed (mappings keep their keys in the file's order).
fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("not valid YAML: {e}"))
}

/// The steps under an action's `runs: steps:`.
fn steps(action: &Value) -> &[Value] {
    action["runs"]["steps"]
        .as_sequence()
        .expect("runs: has steps:")
}

/// Each job's `steps:` list in a workflow.
fn step_lists(workflow: &Value) -> Vec<&[Value]> {
    workflow["jobs"]
        .as_mapping()
        .expect("the workflow has jobs:")
        .values()
        .filter_map(|job| job.get("steps")?.as_sequence().map(Vec::as_slice))
        .collect()
}

/// The keys of a mapping, in order.
fn keys(mapping: &Value) -> Vec<&str> {
    mapping
        .as_mapping()
        .into_iter()
        .flat_map(|m| m.keys())
        .map(|k| k.as_str().expect("a string key"))
        .collect()
}

/// A step's `key:`, if it is a string.
fn step_field<'a>(step: &'a Value, key: &str) -> Option<&'a str> {
    step.get(key)?.as_str()
}

/// A step's `env:`, each `NAME: value` as text.
fn step_env(step: &Value) -> Vec<(String, String)> {
    let Some(env) = step.get("env").and_then(Value::as_mapping) else {
        return Vec::new();
    };
    env.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(text) => text.clone(),
                other => serde_yaml_ng::to_string(other)
                    .unwrap()
                    .trim_end()
                    .to_string(),
            };
            (k.as_str().expect("a string key").to_string(), value)
        })
        .collect()
}

/// A step's `run:` script (empty if it runs none).
fn script(step: &Value) -> &str {
    step_field(step, "run").unwrap_or_default()
}

/// Every `run:` script in a YAML file (workflow or action), wherever it stands.
fn run_scripts(yaml: &Value) -> Vec<&str> {
    match yaml {
        Value::Mapping(mapping) => mapping
            .iter()
            .flat_map(|(key, value)| match (key.as_str(), value) {
                (Some("run"), Value::String(script)) => vec![script.as_str()],
                _ => run_scripts(value),
            })
            .collect(),
        Value::Sequence(items) => items.iter().flat_map(run_scripts).collect(),
        Value::Tagged(tagged) => run_scripts(&tagged.value),
        _ => Vec::new(),
    }
}

#[test]
fn the_action_is_composite_and_runs_the_binary_with_every_input_and_output() {
    let action = yaml(&action_file());
    assert_eq!(
        action["runs"]["using"].as_str(),
        Some("composite"),
        "runs: using: composite"
    );

    // Declared: the binary's inputs, then the action's own.
    let declared = keys(&action["inputs"]);
    let expected: Vec<&str> = INPUTS
        .iter()
        .map(|i| i.name)
        .chain(ACTION_INPUTS.iter().map(|(name, _, _)| *name))
        .collect();
    assert_eq!(declared, expected, "inputs: declared");

    // The run step gets every input as INPUT_<NAME> (a composite action does not set them).
    let steps = steps(&action);
    let run = steps
        .iter()
        .find(|s| step_field(s, "id") == Some("run"))
        .expect("a step with id: run");
    assert_eq!(step_field(run, "shell"), Some("bash"));
    let env = step_env(run);
    for input in INPUTS {
        let variable = format!("INPUT_{}", input.name.to_ascii_uppercase());
        let value = env.iter().find(|(k, _)| *k == variable).map(|(_, v)| v);
        assert_eq!(
            value.map(String::as_str),
            Some(format!("${{{{ inputs.{} }}}}", input.name).as_str()),
            "the run step sets {variable}"
        );
    }
    // … and no INPUT_ the binary does not read.
    for (name, _) in &env {
        if let Some(input) = name.strip_prefix("INPUT_") {
            assert!(
                INPUTS.iter().any(|i| i.name.eq_ignore_ascii_case(input)),
                "{name} is no input of the binary"
            );
        }
    }
    // Run as the runner runs it, a script file under bash: the binary takes the shell's process,
    // so the SIGINT and SIGTERM the runner sends on cancel reach it.
    let (shell, binary) = pids_of_run_step(script(run));
    assert_eq!(
        binary, shell,
        "the run step execs the binary (signals on cancel reach it)"
    );

    // Every output is the binary's own, from the run step's GITHUB_OUTPUT.
    let names = keys(&action["outputs"]);
    let expected: Vec<&str> = OUTPUTS.iter().map(|o| o.name).collect();
    assert_eq!(names, expected, "outputs: declared");
    for name in names {
        assert_eq!(
            action["outputs"][name]["value"].as_str(),
            Some(format!("${{{{ steps.run.outputs.{name} }}}}").as_str()),
            "output {name} has value: ${{{{ steps.run.outputs.{name} }}}}"
        );
    }

    // Every step that runs a script says which shell (a composite action must).
    for step in steps {
        if step_field(step, "run").is_some() {
            assert!(step_field(step, "shell").is_some(), "{step:?}");
        }
    }
}

/// Every workflow of `.github/workflows/`, as paths from the repository's root.
fn workflows() -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(Path::new(ROOT).join(".github/workflows"))
        .expect(".github/workflows/ exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        .map(|name| format!(".github/workflows/{name}"))
        .collect();
    files.sort();
    files
}

#[test]
fn no_expression_is_expanded_inside_a_script() {
    // Expressions go into env: only; text pasted into a script could run as code.
    let workflows = workflows();
    for named in ["ci.yml", "example-deploy.yml", "release.yml", "live.yml"] {
        assert!(
            workflows.contains(&format!(".github/workflows/{named}")),
            "{named}"
        );
    }
    let others = ["action.yml".to_owned(), ".ci/act/workflow.yml".to_owned()];
    for file in workflows.iter().chain(&others) {
        let text = read(file);
        assert!(!text.is_empty(), "{file} is missing");
        let parsed = yaml(&text);
        let scripts = run_scripts(&parsed);
        assert!(!scripts.is_empty(), "{file} runs no script");
        for script in scripts {
            assert!(
                !script.contains("${{"),
                "{file}: an expression in run:\n{script}"
            );
        }
    }
}

#[test]
fn every_third_party_action_is_pinned_by_commit_with_its_version() {
    // zizmor's unpinned-uses audit (.ci/run) wants the full SHA; Dependabot and a reader want the
    // version beside it: `owner/repo@<40 hex> # vX.Y.Z`. This repository's own action is `./`.
    let pinned = regex::Regex::new(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$").unwrap();
    let others = ["action.yml".to_owned(), ".ci/act/workflow.yml".to_owned()];
    let mut third_party = 0;
    for file in workflows().iter().chain(&others) {
        for line in read(file).lines() {
            let line = line.trim_start().trim_start_matches("- ");
            let Some(used) = line.strip_prefix("uses:").map(str::trim) else {
                continue;
            };
            if used == "./" {
                continue;
            }
            third_party += 1;
            assert!(
                pinned.is_match(used),
                "{file}: `uses: {used}` is not pinned as owner/repo@<commit SHA> # vX.Y.Z"
            );
        }
    }
    assert!(
        third_party > 0,
        "no third-party action found: the check reads nothing"
    );
}

#[test]
fn the_live_workflow_runs_nightly_one_at_a_time_and_gives_its_secrets_to_the_test_alone() {
    let text = read(".github/workflows/live.yml");
    let workflow = yaml(&text);
    assert_eq!(keys(&workflow["on"]), ["schedule", "workflow_dispatch"]);
    assert_eq!(workflow["permissions"], yaml("contents: read"));
    // Two runs never deploy at once, and none is cancelled in the middle of a deploy.
    let concurrency = &workflow["concurrency"];
    assert!(concurrency["group"].as_str().is_some_and(|g| !g.is_empty()));
    assert_eq!(concurrency["cancel-in-progress"], Value::Bool(false));
    // The secrets reach the env: of the step that runs the live test, and nothing else.
    let secrets = ["NODION_LIVE_API_TOKEN", "NODION_LIVE_APPLICATION_ID"];
    let mut given = Vec::new();
    for step in step_lists(&workflow).concat() {
        let runs_live = shell_commands(script(&step)).iter().any(|words| {
            words.starts_with(&["cargo".to_owned(), "test".to_owned()])
                && words.windows(2).any(|w| w == ["--test", "live"])
                && !words.contains(&"--no-run".to_owned())
        });
        for (name, value) in step_env(&step) {
            if value.contains("secrets.") {
                assert!(runs_live, "{name}: a step that does not run the live test");
                assert_eq!(value, format!("${{{{ secrets.{name} }}}}"));
                given.push(name);
            }
        }
    }
    assert_eq!(given, secrets, "the test step gets both secrets, once");
    assert_eq!(
        text.matches("secrets.").count(),
        2,
        "no other use of a secret"
    );
}

#[test]
fn the_action_gets_the_binary_as_the_spec_says() {
    let runners = [
        ("Linux", "X64", "x86_64-unknown-linux-musl", "x64", ""),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl", "arm64", ""),
        ("macOS", "X64", "x86_64-apple-darwin", "x64", ""),
        ("macOS", "ARM64", "aarch64-apple-darwin", "arm64", ""),
        ("Windows", "X64", "x86_64-pc-windows-gnu", "x64", ".exe"),
        // Windows on Arm runs the x64 binary under emulation.
        ("Windows", "ARM64", "x86_64-pc-windows-gnu", "x64", ".exe"),
    ];
    for (os, arch, target, dir, exe) in runners {
        let step = InstallStep::new(Some("9.8.7"));
        let cache = step.path("cache");
        let to = format!("{cache}/nodion-deploy/9.8.7/{dir}");
        // A release: install.sh from the action's checkout, into the runner's tool cache.
        let ran = step.run(&[("RUNNER_OS", os), ("RUNNER_ARCH", arch)]);
        assert_eq!(ran.code, Some(0), "{os}/{arch}: {}", ran.stdout);
        assert_eq!(
            ran.calls,
            [format!(
                "install.sh --version 9.8.7 --target {target} --to {to} (download url: unset)"
            )],
            "{os}/{arch}"
        );
        assert_eq!(ran.output, format!("path={to}/nodion-deploy{exe}\n"));
        // Its SHA-256 is recorded beside it, in sha256sum's format.
        assert_eq!(
            fs::read_to_string(format!("{to}/nodion-deploy.sha256")).unwrap(),
            format!(
                "{}  nodion-deploy{exe}\n",
                sha256_of(&format!("{to}/nodion-deploy{exe}"))
            ),
            "{os}/{arch}"
        );
        // Once there, the cached binary is used: nothing is downloaded again.
        let again = step.run(&[("RUNNER_OS", os), ("RUNNER_ARCH", arch)]);
        assert_eq!(again.code, Some(0), "{os}/{arch}: {}", again.stdout);
        assert!(again.calls.is_empty(), "{os}/{arch}: {:?}", again.calls);
        assert_eq!(again.output, ran.output, "{os}/{arch}");
        assert_eq!(
            again.stdout,
            format!("nodion-deploy 9.8.7 from the tool cache: {to}/nodion-deploy{exe}\n"),
            "{os}/{arch}"
        );
    }

    // download_url reaches install.sh as NODION_DEPLOY_DOWNLOAD_URL.
    let step = InstallStep::new(Some("9.8.7"));
    let ran = step.run(&[("DOWNLOAD_URL", "http://127.0.0.1:9/mirror")]);
    assert_eq!(ran.code, Some(0), "{}", ran.stdout);
    assert!(
        ran.calls[0].ends_with("(download url: http://127.0.0.1:9/mirror)"),
        "{:?}",
        ran.calls
    );

    // No release for this platform: a clear error, nothing run, no path.
    let ran = step.run(&[("RUNNER_ARCH", "PPC64")]);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stdout.starts_with(
            "::error title=nodion-deploy::no release binary of nodion-deploy for Linux on PPC64"
        ),
        "{}",
        ran.stdout
    );
    assert!(ran.calls.is_empty() && ran.output.is_empty());

    // Not a release, or from_source: cargo builds the action's own source.
    for (version, from_source) in [("9.8.7-rc.1", "false"), ("9.8.7", "true"), ("9.8.7", "Yes")] {
        let step = InstallStep::new(Some(version)).with_cargo();
        let ran = step.run(&[("FROM_SOURCE", from_source)]);
        assert_eq!(ran.code, Some(0), "{version} {from_source}: {}", ran.stdout);
        let checkout = step.path("checkout");
        assert_eq!(
            ran.calls,
            [format!(
                "cargo build --release --locked --bin nodion-deploy --manifest-path {checkout}/Cargo.toml --target-dir {checkout}/target"
            )],
            "{version} {from_source}"
        );
        assert_eq!(
            ran.output,
            format!("path={checkout}/target/release/nodion-deploy\n")
        );
    }

    // Without cargo, or with a from_source that is no boolean, it says so and gets nothing.
    let ran = InstallStep::new(Some("9.8.7-rc.1")).run(&[]);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stdout.contains("but cargo is not installed"),
        "{}",
        ran.stdout
    );
    let ran = InstallStep::new(Some("9.8.7")).run(&[("FROM_SOURCE", "maybe")]);
    assert_eq!(ran.code, Some(1));
    assert_eq!(
        ran.stdout,
        "::error title=nodion-deploy::the from_source input must be true or false\n"
    );
    assert!(ran.calls.is_empty() && ran.output.is_empty());

    // The run step gets the binary from this step.
    let action = yaml(&action_file());
    let steps = steps(&action);
    let install = steps
        .iter()
        .find(|s| step_field(s, "id") == Some("install"))
        .expect("a step with id: install");
    let env = step_env(install);
    assert!(env.contains(&(
        "DOWNLOAD_URL".to_string(),
        "${{ inputs.download_url }}".to_string()
    )));
    assert!(env.contains(&(
        "FROM_SOURCE".to_string(),
        "${{ inputs.from_source }}".to_string()
    )));
    assert_eq!(
        step_env(
            steps
                .iter()
                .find(|s| step_field(s, "id") == Some("run"))
                .unwrap()
        )
        .iter()
        .find(|(k, _)| k == "NODION_DEPLOY_BIN")
        .map(|(_, v)| v.as_str()),
        Some("${{ steps.install.outputs.path }}")
    );
}

/// A cached binary that reports `9.8.7` and writes to `$CALLS` when it runs.
const CACHED_9_8_7: &str =
    "#!/bin/sh\necho 'cached binary ran' >>\"$CALLS\"\necho nodion-deploy 9.8.7\n";

/// A tool cache holding, for a 9.8.7 action on Linux X64, the binary `script` and, beside it, the
/// record `record` makes of the binary's own SHA-256 (None: no record). Returns (binary, record).
fn seed_cache(
    step: &InstallStep,
    script: &str,
    record: Option<&dyn Fn(&str) -> String>,
) -> (String, String) {
    let dir = format!("{}/nodion-deploy/9.8.7/x64", step.path("cache"));
    fs::create_dir_all(&dir).unwrap();
    let bin = format!("{dir}/nodion-deploy");
    crate::support::write_executable(Path::new(&bin), script);
    let recorded = format!("{dir}/nodion-deploy.sha256");
    if let Some(record) = record {
        fs::write(&recorded, record(&sha256_of(&bin))).unwrap();
    }
    (bin, recorded)
}

/// The record the step writes for a binary whose SHA-256 is `hex`.
fn true_record(hex: &str) -> String {
    format!("{hex}  nodion-deploy\n")
}

/// Checks that a run installed 9.8.7 again over the cached `bin`, saying `why` in one line, and
/// recorded the new binary's SHA-256.
fn assert_installed_again(ran: &Installed, bin: &str, why: &str, what: &str) {
    assert_eq!(ran.code, Some(0), "{what}: {}", ran.stdout);
    assert_eq!(
        ran.stdout,
        format!("the cached nodion-deploy at {bin} {why}: installing again\n"),
        "{what}"
    );
    let dir = bin.strip_suffix("/nodion-deploy").unwrap();
    assert_eq!(
        ran.calls,
        [format!(
            "install.sh --version 9.8.7 --target x86_64-unknown-linux-musl --to {dir} (download url: unset)"
        )],
        "{what}: install.sh is called (and a cached binary whose bytes are not the recorded ones is not run)"
    );
    assert!(
        fs::read_to_string(bin)
            .unwrap()
            .contains("installed by install.sh"),
        "{what}: installed over"
    );
    assert_eq!(
        fs::read_to_string(format!("{dir}/nodion-deploy.sha256")).unwrap(),
        true_record(&sha256_of(bin)),
        "{what}: the new binary's SHA-256 is recorded"
    );
    assert_eq!(ran.output, format!("path={bin}\n"), "{what}");
}

#[test]
fn a_cached_binary_of_the_version_with_its_recorded_sha256_is_used() {
    let step = InstallStep::new(Some("9.8.7"));
    let (bin, recorded) = seed_cache(&step, CACHED_9_8_7, Some(&true_record));

    let ran = step.run(&[]);

    assert_eq!(ran.code, Some(0), "{}", ran.stdout);
    assert_eq!(ran.calls, ["cached binary ran"], "install.sh is not called");
    assert_eq!(
        ran.stdout,
        format!("nodion-deploy 9.8.7 from the tool cache: {bin}\n")
    );
    assert_eq!(ran.output, format!("path={bin}\n"));
    assert_eq!(fs::read_to_string(&bin).unwrap(), CACHED_9_8_7, "untouched");
    assert_eq!(
        fs::read_to_string(&recorded).unwrap(),
        true_record(&sha256_of(&bin))
    );
}

#[test]
fn a_cached_binary_that_reports_another_version_is_installed_over() {
    // The record matches the bytes: only what the binary prints makes it wrong.
    let cases = [
        ("nodion-deploy 9.8.7-dev", "reports 9.8.7-dev, not 9.8.7"),
        ("nodion-deploy 9.8.70", "reports 9.8.70, not 9.8.7"),
        (
            "9.8.7",
            "prints '9.8.7' for --version, not 'nodion-deploy 9.8.7'",
        ),
        (
            "",
            "prints nothing for --version, not 'nodion-deploy 9.8.7'",
        ),
        (
            "nodion-deploy 9.8.7\nnodion-deploy 9.8.7-dev",
            "prints more than 'nodion-deploy 9.8.7' for --version",
        ),
        // What it printed is shown on one line, bounded, with nothing the runner acts on.
        (
            "\u{1b}]0;title\u{7}::warning::##[error]x\r\nsecond line",
            "prints '0titlewarningerrorx' for --version, not 'nodion-deploy 9.8.7'",
        ),
        (
            &format!("nodion-deploy 9.8.7-{}", "x".repeat(300)),
            &format!("reports 9.8.7-{}, not 9.8.7", "x".repeat(80)),
        ),
    ];
    for (printed, why) in cases {
        let what = format!("printing {printed:?}");
        let step = InstallStep::new(Some("9.8.7"));
        let script = format!("#!/bin/sh\nprintf '%s\\n' '{printed}'\n");
        let (bin, _) = seed_cache(&step, &script, Some(&true_record));

        let ran = step.run(&[]);

        assert_installed_again(&ran, &bin, why, &what);
    }

    // One that does not run at all.
    let step = InstallStep::new(Some("9.8.7"));
    let (bin, _) = seed_cache(&step, "#!/bin/sh\nexit 3\n", Some(&true_record));
    assert_installed_again(&step.run(&[]), &bin, "does not run", "exit 3");
}

#[test]
fn a_cached_binary_whose_bytes_are_not_the_ones_recorded_is_installed_over_without_running() {
    let differs = "is not the binary installed there: its SHA-256 differs from the one recorded in";

    // Changed since its SHA-256 was recorded (same version, other bytes).
    let step = InstallStep::new(Some("9.8.7"));
    let (bin, recorded) = seed_cache(&step, CACHED_9_8_7, Some(&true_record));
    fs::write(&bin, format!("{CACHED_9_8_7}# changed\n")).unwrap();
    let ran = step.run(&[]);
    assert_installed_again(&ran, &bin, &format!("{differs} {recorded}"), "changed");

    // Another binary's SHA-256 recorded.
    let step = InstallStep::new(Some("9.8.7"));
    let other = |_: &str| true_record(&"0".repeat(64));
    let (bin, recorded) = seed_cache(&step, CACHED_9_8_7, Some(&other));
    let ran = step.run(&[]);
    assert_installed_again(&ran, &bin, &format!("{differs} {recorded}"), "other");

    // No record, or an empty one.
    let empty = |_: &str| String::new();
    for (what, record) in [
        ("no record", None),
        ("an empty record", Some(&empty as &dyn Fn(&str) -> String)),
    ] {
        let step = InstallStep::new(Some("9.8.7"));
        let (bin, recorded) = seed_cache(&step, CACHED_9_8_7, record);
        let ran = step.run(&[]);
        let why = format!("has no SHA-256 recorded beside it ({recorded})");
        assert_installed_again(&ran, &bin, &why, what);
    }
}

#[test]
fn the_sha256_comes_from_sha256sum_shasum_or_openssl_and_without_one_the_step_fails() {
    for tool in ["sha256sum", "shasum", "openssl"] {
        let step = InstallStep::new(Some("9.8.7")).with_sha256_tool(Some(tool));
        let (bin, recorded) = seed_cache(&step, CACHED_9_8_7, None);

        let ran = step.run(&[]);

        assert_installed_again(
            &ran,
            &bin,
            &format!("has no SHA-256 recorded beside it ({recorded})"),
            tool,
        );
        let again = step.run(&[]);
        assert_eq!(again.code, Some(0), "{tool}: {}", again.stdout);
        assert!(
            again.calls.is_empty(),
            "{tool}: the cache is used: {:?}",
            again.calls
        );
    }

    // No tool: the check is not skipped.
    let step = InstallStep::new(Some("9.8.7")).with_sha256_tool(None);
    let (bin, _) = seed_cache(&step, CACHED_9_8_7, Some(&true_record));
    let ran = step.run(&[]);
    assert_eq!(ran.code, Some(1), "{}", ran.stdout);
    assert_eq!(
        ran.stdout,
        "::error title=nodion-deploy::no SHA-256 tool (sha256sum, shasum or openssl) to check nodion-deploy in the tool cache; install one in an earlier step\n"
    );
    assert!(
        ran.calls.is_empty() && ran.output.is_empty(),
        "{:?}",
        ran.calls
    );
    assert_eq!(fs::read_to_string(&bin).unwrap(), CACHED_9_8_7);
}

#[test]
fn a_binary_installed_as_another_version_is_refused_and_not_recorded() {
    let step = InstallStep::new(Some("9.8.7"));
    let ran = step.run(&[("INSTALLS", "9.8.7-dev")]);
    let dir = format!("{}/nodion-deploy/9.8.7/x64", step.path("cache"));
    assert_eq!(ran.code, Some(1), "{}", ran.stdout);
    assert_eq!(
        ran.stdout,
        format!(
            "::error title=nodion-deploy::the nodion-deploy install.sh put at {dir}/nodion-deploy reports 9.8.7-dev, not 9.8.7\n"
        )
    );
    assert!(ran.output.is_empty());
    assert!(
        !Path::new(&format!("{dir}/nodion-deploy.sha256")).exists(),
        "no record"
    );
}

#[test]
fn the_runs_of_the_action_check_every_output() {
    // The workflows that run the action for real (CI on four runners, act in .ci/run): each step
    // that runs the check script is given every output of a step of its job that uses the action.
    const CHECK: [&str; 2] = ["bash", ".ci/act/check-outputs.sh"];
    for file in [".github/workflows/ci.yml", ".ci/act/workflow.yml"] {
        let workflow = yaml(&read(file));
        let mut checks = 0;
        for steps in step_lists(&workflow) {
            let actions: Vec<&str> = steps
                .iter()
                .filter(|s| step_field(s, "uses") == Some("./"))
                .filter_map(|s| step_field(s, "id"))
                .collect();
            for step in steps {
                if !shell_commands(script(step))
                    .iter()
                    .any(|words| words[..] == CHECK)
                {
                    continue;
                }
                checks += 1;
                let env = step_env(step);
                for output in OUTPUTS {
                    let variable = output.name.to_ascii_uppercase();
                    let value = env.iter().find(|(k, _)| *k == variable).map(|(_, v)| v);
                    let from = value.and_then(|v| {
                        v.strip_prefix("${{ steps.")?
                            .strip_suffix(&format!(".outputs.{} }}}}", output.name))
                    });
                    assert!(
                        from.is_some_and(|id| actions.contains(&id)),
                        "{file}: the check step gets {variable} from the action's {}: {value:?}",
                        output.name
                    );
                }
            }
        }
        assert!(checks > 0, "{file} runs .ci/act/check-outputs.sh");
    }

    // The script passes the outputs of a real run (the fake's application, a git app built from
    // its Dockerfile, as CI deploys it), and fails when any one of them is not what it should be.
    let api = fake(&[
        ("created", Hold::Lists(1)),
        ("deploying", Hold::Lists(1)),
        ("available", Hold::Forever),
    ]);
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let outputs: Vec<(String, String)> = OUTPUTS
        .iter()
        .map(|o| (o.name.to_ascii_uppercase(), ran.output(o.name)))
        .collect();
    let check = |outputs: &[(String, String)]| {
        Command::new(host_tool("bash"))
            .arg(format!("{ROOT}/.ci/act/check-outputs.sh"))
            .env_clear()
            .envs(outputs.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    };
    let passed = check(&outputs);
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stdout)
    );
    for (at, (name, value)) in outputs.iter().enumerate() {
        let mut wrong = outputs.clone();
        wrong[at].1 = if value.is_empty() { "unexpected" } else { "" }.to_string();
        assert!(
            !check(&wrong).status.success(),
            ".ci/act/check-outputs.sh checks {name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The action's two steps, run by bash as the runner runs them.

/// The run step's script run as the runner runs it (a file under `bash -eo pipefail`), with a
/// stand-in binary that prints its process id: (the shell's pid, the binary's).
fn pids_of_run_step(script: &str) -> (u32, u32) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("step.sh");
    fs::write(&file, script).unwrap();
    let binary = executable(dir.path(), "nodion-deploy", "#!/bin/sh\necho $$\n");
    let shell = Command::new(host_tool("bash"))
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&file)
        .env_clear()
        .env("NODION_DEPLOY_BIN", &binary)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = shell.id();
    let out = shell.wait_with_output().unwrap();
    assert!(out.status.success(), "the run step failed");
    let printed = String::from_utf8(out.stdout).unwrap();
    (pid, printed.trim().parse().expect("the binary's pid"))
}

/// The action's install step (from action.yml) in a sandbox: a checkout of the action whose
/// `install.sh` is a stand-in with a `DEFAULT_VERSION=` line, a tool cache, and a `PATH` of the
/// few tools the step uses, plus a stand-in `cargo` when asked. The stand-ins write how they were
/// called, so a case shows what the step does rather than what its text says.
pub(crate) struct InstallStep {
    dir: TempDir,
}

/// What one run of the install step did.
pub(crate) struct Installed {
    /// The exit code.
    pub code: Option<i32>,
    /// Its standard output, where its `::error` goes.
    pub stdout: String,
    /// The calls of install.sh and cargo, one line each.
    pub calls: Vec<String>,
    /// What it wrote to `GITHUB_OUTPUT`.
    pub output: String,
}

/// The stand-in install.sh after its `DEFAULT_VERSION=` line: installs where `--to` says a binary
/// that answers `--version` with `nodion-deploy <--version>` (or `$INSTALLS`, when set).
const INSTALL_SH: &str = r#"echo "install.sh $* (download url: ${NODION_DEPLOY_DOWNLOAD_URL-unset})" >>"$CALLS"
while [ $# -gt 0 ]; do
  case $1 in
    --to) to=$2; shift ;;
    --target) target=$2; shift ;;
    --version) v=$2; shift ;;
  esac
  shift
done
case $target in *windows*) exe=.exe ;; *) exe="" ;; esac
mkdir -p "$to"
printf '#!/bin/sh\n# installed by install.sh\necho nodion-deploy %s\n' "${INSTALLS:-$v}" >"$to/nodion-deploy$exe"
chmod +x "$to/nodion-deploy$exe"
"#;

/// The stand-in cargo: builds a binary where `--target-dir` says.
const CARGO: &str = r#"#!/bin/sh
echo "cargo $*" >>"$CALLS"
while [ $# -gt 0 ]; do
  case $1 in --target-dir) dir=$2; shift ;; esac
  shift
done
mkdir -p "$dir/release"
printf '#!/bin/sh\n' >"$dir/release/nodion-deploy"
chmod +x "$dir/release/nodion-deploy"
"#;

impl InstallStep {
    /// A sandbox whose install.sh names `version` (none: a checkout without install.sh).
    pub(crate) fn new(version: Option<&str>) -> InstallStep {
        let dir = tempfile::Builder::new()
            .prefix("nodion-deploy-action-")
            .tempdir()
            .unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir_all(dir.path().join("checkout")).unwrap();
        fs::create_dir(&bin).unwrap();
        for tool in ["sh", "sed", "tr", "mkdir", "chmod", "sha256sum"] {
            std::os::unix::fs::symlink(host_tool(tool), bin.join(tool)).unwrap();
        }
        if let Some(version) = version {
            let script = format!("#!/bin/sh\nDEFAULT_VERSION={version}\n{INSTALL_SH}");
            fs::write(dir.path().join("checkout/install.sh"), script).unwrap();
        }
        let step = InstallStep { dir };
        let action = yaml(&action_file());
        let install = steps(&action)
            .iter()
            .find(|s| step_field(s, "id") == Some("install"))
            .expect("a step with id: install");
        fs::write(step.dir.path().join("step.sh"), script(install)).unwrap();
        step
    }

    /// With a `cargo` on `PATH`.
    pub(crate) fn with_cargo(self) -> InstallStep {
        executable(&self.dir.path().join("bin"), "cargo", CARGO);
        self
    }

    /// With `tool` (`sha256sum`, `shasum`, `openssl`; none: no SHA-256 tool) on `PATH` in place
    /// of `sha256sum`.
    fn with_sha256_tool(self, tool: Option<&str>) -> InstallStep {
        let bin = self.dir.path().join("bin");
        fs::remove_file(bin.join("sha256sum")).unwrap();
        if let Some(tool) = tool {
            std::os::unix::fs::symlink(host_tool(tool), bin.join(tool)).unwrap();
        }
        self
    }

    /// A path in the sandbox: `checkout` (`GITHUB_ACTION_PATH`), `cache` (the tool cache).
    pub(crate) fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// Runs the step on a Linux X64 runner with the inputs' defaults, changed by `env`.
    pub(crate) fn run(&self, env: &[(&str, &str)]) -> Installed {
        let (calls, output) = (self.path("calls"), self.path("github_output"));
        fs::write(&calls, "").unwrap();
        fs::write(&output, "").unwrap();
        let mut vars = vec![
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("RUNNER_TOOL_CACHE", self.path("cache")),
            ("GITHUB_ACTION_PATH", self.path("checkout")),
            ("GITHUB_OUTPUT", output.clone()),
            ("DOWNLOAD_URL", String::new()),
            ("FROM_SOURCE", "false".to_string()),
            ("PATH", self.path("bin")),
            ("HOME", self.path("")),
            ("CALLS", calls.clone()),
        ];
        for (name, value) in env {
            vars.retain(|(n, _)| n != name);
            vars.push((name, value.to_string()));
        }
        let out = Command::new(host_tool("bash"))
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(self.path("step.sh"))
            .env_clear()
            .envs(vars)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Installed {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            calls: fs::read_to_string(&calls)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect(),
            output: fs::read_to_string(&output).unwrap(),
        }
    }
}

/// Writes an executable script.
fn executable(dir: &Path, name: &str, script: &str) -> PathBuf {
    let path = dir.join(name);
    crate::support::write_executable(&path, script);
    path
}

/// The SHA-256 of the file at `path`, as this machine's sha256sum prints it.
fn sha256_of(path: &str) -> String {
    let out = Command::new(host_tool("sha256sum"))
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "sha256sum {path}");
    let hex = String::from_utf8(out.stdout).unwrap()[..64].to_string();
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{hex}");
    hex
}

/// Where this machine keeps a tool.
fn host_tool(name: &str) -> PathBuf {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("this test needs {name}"))
}
