#!/usr/bin/env bash
# One command for the footprint benchmark: installs what it needs (jq, curl, GNU time, the musl
# target), then runs bench/run.py with the arguments given (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
missing=""
command -v jq >/dev/null || missing="$missing jq"
command -v curl >/dev/null || missing="$missing curl"
[ -x /usr/bin/time ] || missing="$missing time"
command -v musl-gcc >/dev/null || missing="$missing musl-tools"
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq $missing
fi
command -v node >/dev/null || { echo "node is needed for the Node baseline"; exit 1; }
rustup target add x86_64-unknown-linux-musl >/dev/null
exec python3 bench/run.py "$@"
