#!/bin/sh
# Installs nodion-deploy: downloads a release binary, checks its SHA-256, then puts it in place.
# The version installed when --version is not given; always equal to Cargo.toml's `version`:
DEFAULT_VERSION=1.0.0-dev
# The SHA-256 of that version's five release binaries, in sha256sum format (SPEC §8, "Pinned
# checksums"): a release commit, the one its tag vX.Y.Z points at, carries them between these
# markers, written by `scripts/set-version X.Y.Z --checksums SHA256SUMS`; a version commit and a
# -dev checkout carry none (PINNED_SHA256SUMS='').
# BEGIN PINNED CHECKSUMS
PINNED_SHA256SUMS=''
# END PINNED CHECKSUMS
#
# Usage:
#   sh install.sh [--version X.Y.Z] [--to DIR] [--target TRIPLE]
#   curl -fsSL <base>/vX.Y.Z/install.sh | sh -s -- --to "$HOME/bin"
#
#   --version X.Y.Z   release to install (`vX.Y.Z` works too); default: DEFAULT_VERSION above
#   --to DIR          where to install: DIR/nodion-deploy (nodion-deploy.exe on Windows); created
#                     if missing. Default: /usr/local/bin if it exists and is writable, else
#                     $HOME/.local/bin
#   --target TRIPLE   asset to install instead of the one for this machine (see uname below):
#                     x86_64-unknown-linux-musl, aarch64-unknown-linux-musl, x86_64-apple-darwin,
#                     aarch64-apple-darwin, x86_64-pc-windows-gnu
#
# Environment:
#   NODION_DEPLOY_DOWNLOAD_URL   a mirror of the release downloads (http:// or https://); default
#                                https://github.com/nodion-deploy/nodion-deploy/releases/download
#
# What it does: <base>/v<version>/nodion-deploy-<target> is downloaded (curl, else wget: GNU or
# busybox) into a private temporary directory inside DIR. Its SHA-256 (sha256sum, else shasum -a
# 256, else openssl) must match the line pinned above when <version> is DEFAULT_VERSION and lines
# are pinned: no SHA256SUMS is downloaded then, so none can vouch for other bytes. Otherwise (a
# -dev or version checkout, or another --version, which gets one note on stderr that this check is
# weaker) it must match its line in <base>/v<version>/SHA256SUMS, downloaded first. And it must
# run and print exactly "nodion-deploy <version>" for `--version` (whatever --target says: a
# binary that does not run here is refused) before it is renamed over DIR/nodion-deploy (an
# atomic rename: an existing binary is either untouched or replaced whole). Transient download
# failures (no connection, timeouts, HTTP 408, 429, 5xx) are tried 3 times, 1 s then 2 s apart;
# HTTP 404 is not retried.
# On any failure or interruption every temporary file is removed, and so is DIR if this script
# created it. Errors are one line on stderr starting with "nodion-deploy install: ".
#
# Exit codes:
#   0   installed (stdout: "installed nodion-deploy <version> to <path>")
#   1   unexpected failure of a tool the script relies on
#   2   usage: unknown option, bad --version / --target / NODION_DEPLOY_DOWNLOAD_URL, no HOME
#   3   unsupported platform (no release binary for what uname reports)
#   4   no downloader: neither curl nor wget
#   5   no SHA-256 tool: none of sha256sum, shasum, openssl
#   6   download failed: network or mirror error (after retries), or an HTTP error other than 404
#   7   not found (HTTP 404/410): no such release, or no such asset in it
#   8   verification failed: checksum mismatch (with the pinned line, else SHA256SUMS's), the
#       asset is not listed there, or the binary's --version does not print exactly
#       "nodion-deploy <version>"
#   9   the downloaded binary does not run on this machine
#   10  DIR cannot be created or written
#   130 / 143  interrupted by SIGINT / SIGTERM

set -eu
umask 022

DEFAULT_BASE=https://github.com/nodion-deploy/nodion-deploy/releases/download
# The release targets (SPEC §8): each has an asset nodion-deploy-<target> (.exe on Windows).
# scripts/set-version and tests/it/release.rs read this line.
TARGETS='x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu'
TRIES=3

tmp=''
created=''
to=''

# One line on stderr; control characters (newlines included) are removed so it stays one line.
say() {
    printf 'nodion-deploy install: %s\n' "$(printf '%s' "$1" | tr -d '\000-\037\177')" >&2
}

die() {
    die_code=$1
    say "$2"
    exit "$die_code"
}

usage() {
    printf '%s\n' \
        'Usage: sh install.sh [--version X.Y.Z] [--to DIR] [--target TRIPLE]' \
        '' \
        'Downloads nodion-deploy, checks its SHA-256 (against the checksums this script pins for its' \
        'default version, else the release'"'"'s SHA256SUMS), and installs DIR/nodion-deploy.' \
        '' \
        "  --version X.Y.Z   release to install (default: $DEFAULT_VERSION)" \
        '  --to DIR          install directory (default: /usr/local/bin if writable, else ~/.local/bin)' \
        '  --target TRIPLE   x86_64-unknown-linux-musl, aarch64-unknown-linux-musl, x86_64-apple-darwin,' \
        '                    aarch64-apple-darwin or x86_64-pc-windows-gnu (default: this machine)' \
        '  -h, --help        this help' \
        '' \
        'NODION_DEPLOY_DOWNLOAD_URL names a mirror of the release downloads.'
}

usage_error() {
    die 2 "$1; usage: sh install.sh [--version X.Y.Z] [--to DIR] [--target TRIPLE] (see --help)"
}

# Removes the temporary directory, and DIR (and the parents it needed) when this run created them
# and did not succeed. rmdir only removes empty directories: nothing of anyone else's goes.
cleanup() {
    cleanup_rc=$?
    trap - EXIT INT TERM
    if [ -n "$tmp" ]; then
        rm -rf "$tmp" || true
    fi
    if [ "$cleanup_rc" -ne 0 ] && [ -n "$created" ]; then
        p=$to
        while rmdir "$p" 2>/dev/null; do
            [ "$p" != "$created" ] || break
            q=${p%/*}
            if [ -z "$q" ] || [ "$q" = "$p" ]; then
                break
            fi
            p=$q
        done
    fi
    exit "$cleanup_rc"
}

parse_args() {
    version=$DEFAULT_VERSION
    target=''
    while [ "$#" -gt 0 ]; do
        case $1 in
            -h | --help)
                usage
                exit 0
                ;;
            --version | --to | --target)
                [ "$#" -ge 2 ] || usage_error "$1 needs a value"
                set_option "$1" "$2"
                shift 2
                ;;
            --version=* | --to=* | --target=*)
                set_option "${1%%=*}" "${1#*=}"
                shift
                ;;
            *)
                usage_error "unknown option '$1'"
                ;;
        esac
    done
}

set_option() {
    case $1 in
        --version) version=$2 ;;
        --to) to=$2 ;;
        --target) target=$2 ;;
    esac
    [ -n "$2" ] || usage_error "$1 needs a non-empty value"
}

check_version() {
    version=${version#v}
    case $version in
        *[!0-9A-Za-z.-]* | '')
            usage_error "--version '$version' is not a version like 1.2.3"
            ;;
    esac
    if ! printf '%s\n' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'; then
        usage_error "--version '$version' is not a version like 1.2.3"
    fi
}

# Sets target and exe (".exe" on Windows).
pick_target() {
    if [ -n "$target" ]; then
        known=''
        listed=''
        for t in $TARGETS; do
            [ "$t" != "$target" ] || known=1
            listed=${listed:+$listed, }$t
        done
        [ -n "$known" ] || usage_error "--target '$target' is not one of $listed"
    else
        os=$(uname -s 2>/dev/null) || os=unknown
        arch=$(uname -m 2>/dev/null) || arch=unknown
        case $os in
            Linux)
                case $arch in
                    x86_64 | amd64) target=x86_64-unknown-linux-musl ;;
                    aarch64 | arm64) target=aarch64-unknown-linux-musl ;;
                esac
                ;;
            Darwin)
                case $arch in
                    x86_64)
                        # A shell under Rosetta says x86_64 on Apple silicon: the native build runs.
                        if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
                            target=aarch64-apple-darwin
                        else
                            target=x86_64-apple-darwin
                        fi
                        ;;
                    arm64 | aarch64) target=aarch64-apple-darwin ;;
                esac
                ;;
            MINGW* | MSYS* | CYGWIN* | Windows_NT)
                # Windows on Arm runs x86_64 binaries under emulation.
                case $arch in
                    x86_64 | amd64 | arm64 | aarch64) target=x86_64-pc-windows-gnu ;;
                esac
                ;;
        esac
        if [ -z "$target" ]; then
            die 3 "no release binary for this platform (uname says '$os' '$arch'); supported: Linux x86_64/aarch64, macOS x86_64/arm64, Windows x86_64 (--target picks one explicitly); elsewhere build from source with cargo"
        fi
    fi
    case $target in
        *-windows-*) exe=.exe ;;
        *) exe='' ;;
    esac
}

pick_downloader() {
    if command -v curl >/dev/null 2>&1; then
        downloader=curl
    elif command -v wget >/dev/null 2>&1; then
        if wget --version 2>/dev/null | grep -q 'GNU Wget'; then
            downloader=gnu-wget
        else
            downloader=busybox-wget
            # Busybox wget may lack -T (and some builds crash on it): use it only when advertised.
            wget_read_timeout=''
            if wget --help 2>&1 | grep -q -e '-T SEC'; then
                wget_read_timeout=1
            fi
            # Bound a whole attempt with timeout(1) when there is one that understands `timeout N`.
            use_timeout=''
            if command -v timeout >/dev/null 2>&1 && timeout 5 true >/dev/null 2>&1; then
                use_timeout=1
            fi
        fi
    else
        die 4 "neither curl nor wget is installed; install one (e.g. apt-get install curl, apk add curl, brew install curl) and run this again"
    fi
}

pick_sha256() {
    if printf '' | sha256sum >/dev/null 2>&1; then
        sha256_tool=sha256sum
    elif printf '' | shasum -a 256 >/dev/null 2>&1; then
        sha256_tool=shasum
    elif printf '' | openssl dgst -sha256 >/dev/null 2>&1; then
        sha256_tool=openssl
    else
        die 5 "no SHA-256 tool (sha256sum, shasum or openssl) to verify the download; install coreutils (or perl's shasum, or openssl) and run this again"
    fi
}

# Prints the lowercase hex SHA-256 of file $1.
sha256_of() {
    case $sha256_tool in
        sha256sum) sum=$(sha256sum <"$1") ;;
        shasum) sum=$(shasum -a 256 <"$1") ;;
        openssl) sum=$(openssl dgst -sha256 <"$1") && sum=${sum##* } ;;
    esac || die 1 "$sha256_tool failed on the downloaded file"
    sum=${sum%% *}
    sum=$(printf '%s' "$sum" | tr 'A-F' 'a-f')
    case $sum in
        *[!0-9a-f]* | '') die 1 "$sha256_tool printed no SHA-256 for the downloaded file" ;;
    esac
    [ "${#sum}" -eq 64 ] || die 1 "$sha256_tool printed no SHA-256 for the downloaded file"
    printf '%s\n' "$sum"
}

# The last HTTP status in a downloader's stderr (wget -S headers, busybox's "server returned error").
http_status_in() {
    awk '{ for (i = 1; i < NF; i++) if ($i ~ /^HTTP\/[0-9.]+$/ && $(i + 1) ~ /^[0-9][0-9][0-9]$/) c = $(i + 1) } END { print c }' "$1"
}

# The last non-empty line of file $1, at most 200 characters.
last_line_of() {
    awk '{ sub(/\r$/, "") } NF { l = $0 } END { print substr(l, 1, 200) }' "$1"
}

# One attempt: url $1 to file $2, stderr to $3. Sets status ("" when no HTTP answer) and fetch_rc.
fetch_once() {
    fetch_rc=0
    status=''
    case $downloader in
        curl)
            status=$(curl -sS -L --proto "$curl_proto" --proto-redir "$curl_proto" \
                --connect-timeout 10 --max-time 600 --speed-limit 1 --speed-time 30 \
                -o "$2" -w '%{http_code}' "$1" </dev/null 2>"$3") || fetch_rc=$?
            [ "$status" != 000 ] || status=''
            ;;
        gnu-wget)
            wget -nv -S --tries=1 --connect-timeout=10 --read-timeout=30 \
                -O "$2" "$1" </dev/null 2>"$3" || fetch_rc=$?
            status=$(http_status_in "$3")
            ;;
        busybox-wget)
            fetch_url=$1
            fetch_err=$3
            set -- wget -q -O "$2"
            if [ -n "$wget_read_timeout" ]; then
                set -- "$@" -T 30
            fi
            if [ -n "$use_timeout" ]; then
                set -- timeout 600 "$@"
            fi
            "$@" "$fetch_url" </dev/null 2>"$fetch_err" || fetch_rc=$?
            status=$(http_status_in "$fetch_err")
            ;;
    esac
    if [ "$fetch_rc" -eq 0 ]; then
        case $status in
            2[0-9][0-9] | '') return 0 ;;
        esac
    fi
    return 1
}

# Downloads url $1 to file $2, retrying transient failures; $3 says what a 404 means.
fetch() {
    attempt=1
    pause=1
    while :; do
        if fetch_once "$1" "$2" "$tmp/download.log"; then
            return 0
        fi
        case $status in
            404 | 410)
                die 7 "$1 not found (HTTP $status): $3; check --version (and NODION_DEPLOY_DOWNLOAD_URL if you use a mirror)"
                ;;
            '' | 408 | 429 | 5[0-9][0-9]) ;;
            *)
                die 6 "$1 answered HTTP $status; check --version and NODION_DEPLOY_DOWNLOAD_URL"
                ;;
        esac
        if [ -n "$status" ]; then
            reason="HTTP $status"
        else
            reason=$(last_line_of "$tmp/download.log")
            [ -n "$reason" ] || reason="$downloader exited with $fetch_rc"
        fi
        if [ "$attempt" -ge "$TRIES" ]; then
            die 6 "could not download $1 after $attempt tries ($reason); check the network, proxy and NODION_DEPLOY_DOWNLOAD_URL, then run this again"
        fi
        say "downloading $1 failed ($reason); trying again in ${pause}s"
        sleep "$pause"
        attempt=$((attempt + 1))
        pause=$((pause * 2))
    done
}

# Sets to (no trailing slash, ./-prefixed when relative) and created (the topmost directory this
# run makes, empty when DIR exists), creates DIR, and sets to_abs for messages.
prepare_dir() {
    if [ -z "$to" ]; then
        if [ -d /usr/local/bin ] && [ -w /usr/local/bin ]; then
            to=/usr/local/bin
        elif [ -n "${HOME:-}" ]; then
            to=$HOME/.local/bin
        else
            usage_error "HOME is not set and /usr/local/bin is not writable: pass --to DIR"
        fi
    fi
    while :; do
        case $to in
            ?*/) to=${to%/} ;;
            *) break ;;
        esac
    done
    case $to in
        /* | [A-Za-z]:[/\\]*) ;;
        *) to=./$to ;;
    esac
    if [ ! -d "$to" ]; then
        p=$to
        while [ ! -e "$p" ] && [ ! -L "$p" ]; do
            created=$p
            q=${p%/*}
            if [ -z "$q" ] || [ "$q" = "$p" ]; then
                break
            fi
            p=$q
        done
        mkdir -p "$to" 2>/dev/null ||
            die 10 "cannot create $to; pass --to DIR with a directory you can write to"
    fi
    to_abs=$(cd "$to" && pwd) || die 10 "cannot enter $to; pass --to DIR with a directory you can write to"
}

make_tmp() {
    if command -v mktemp >/dev/null 2>&1; then
        tmp=$(mktemp -d "$to/.nodion-deploy.XXXXXX" 2>/dev/null) || tmp=''
    else
        n=0
        while [ "$n" -lt 20 ] && [ -w "$to" ]; do
            if mkdir -m 700 "$to/.nodion-deploy.$$.$n" 2>/dev/null; then
                tmp=$to/.nodion-deploy.$$.$n
                break
            fi
            n=$((n + 1))
        done
    fi
    [ -n "$tmp" ] ||
        die 10 "cannot write to $to_abs; pass --to DIR with a directory you can write to (or run as a user who can)"
}

# The checksum of $asset in sha256sum-format file $1 (lower case; empty when none).
checksum_in() {
    awk -v name="$asset" '
        { sub(/\r$/, "") }
        NF == 2 {
            f = $2
            sub(/^\*/, "", f)
            if (f == name && length($1) == 64 && $1 ~ /^[0-9A-Fa-f]+$/) { print tolower($1); exit }
        }' "$1" || die 1 "could not read $2"
}

# Sets expected from the lines pinned above (DEFAULT_VERSION's): no SHA256SUMS is downloaded.
expected_pinned() {
    checked_by=pinned
    printf '%s\n' "$PINNED_SHA256SUMS" >"$tmp/PINNED" || die 1 "could not write to $to_abs"
    expected=$(checksum_in "$tmp/PINNED" "the pinned checksums")
    [ -n "$expected" ] ||
        die 8 "this install.sh pins no checksum for $asset v$version, so it cannot be verified and was not installed; check --target"
}

# Sets expected from the release's SHA256SUMS, downloaded; says once when this install.sh pins
# checksums for another version (a SHA256SUMS served beside the binary is a weaker check).
expected_downloaded() {
    checked_by=SHA256SUMS
    if [ -n "$PINNED_SHA256SUMS" ]; then
        say "note: v$version is not the version this install.sh pins checksums for (v$DEFAULT_VERSION), so its binary is checked against the SHA256SUMS served beside it, a weaker check (whoever can replace the binary can replace that list); for a pinned check use the install.sh of v$version"
    fi
    fetch "$release/SHA256SUMS" "$tmp/SHA256SUMS" "there is no release v$version"
    expected=$(checksum_in "$tmp/SHA256SUMS" SHA256SUMS)
    [ -n "$expected" ] ||
        die 8 "SHA256SUMS of v$version has no checksum for $asset, so it cannot be verified and was not installed; check --target and the mirror"
}

# What a binary printed, fit to quote in one line: its first line, at most 100 characters, only
# letters, digits, space and . _ + - (no control character, nor anything a CI log reads as a command).
shown_of() {
    printf '%s\n' "$1" | LC_ALL=C awk 'NR == 1 { print substr($0, 1, 100) }' | LC_ALL=C tr -cd 'A-Za-z0-9 ._+-'
}

# The downloaded binary must run here and print exactly "nodion-deploy <version>" for --version
# before it is put in place. It is run whatever the target: a --target for another platform whose
# binary does not run here is refused (exit 9) like any other, so every installed binary was checked.
check_runs_as_version() {
    if ! ran=$("$tmp/$bin" --version </dev/null 2>"$tmp/version.log"); then
        why=$(awk 'NF { print substr($0, 1, 120); exit }' "$tmp/version.log")
        [ -n "$why" ] || why=$(printf '%s\n' "$ran" | awk 'NF { print substr($0, 1, 120); exit }')
        die 9 "the downloaded $asset does not run on this machine (${why:-no output}) and was not installed; check --target"
    fi
    [ "$ran" != "nodion-deploy $version" ] || return 0
    shown=$(shown_of "$ran")
    case $shown in
        "nodion-deploy $version") reported="prints more than 'nodion-deploy $version' for --version" ;;
        "nodion-deploy "?*) reported="reports version ${shown#nodion-deploy }, not $version" ;;
        '') reported="prints nothing for --version, not 'nodion-deploy $version'" ;;
        *) reported="prints '$shown' for --version, not 'nodion-deploy $version'" ;;
    esac
    die 8 "the downloaded $asset $reported, so it was not installed; the release v$version serves another version's binary (check NODION_DEPLOY_DOWNLOAD_URL if it names a mirror)"
}

main() {
    parse_args "$@"
    check_version
    base=${NODION_DEPLOY_DOWNLOAD_URL:-$DEFAULT_BASE}
    while :; do
        case $base in
            */) base=${base%/} ;;
            *) break ;;
        esac
    done
    case $base in
        https://?*) curl_proto='=https' ;;
        http://?*) curl_proto='=http,https' ;;
        *) usage_error "NODION_DEPLOY_DOWNLOAD_URL '$base' is not an http:// or https:// URL" ;;
    esac
    pick_target
    pick_downloader
    pick_sha256

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    prepare_dir
    make_tmp

    asset=nodion-deploy-$target$exe
    bin=nodion-deploy$exe
    release=$base/v$version

    if [ -n "$PINNED_SHA256SUMS" ] && [ "$version" = "$DEFAULT_VERSION" ]; then
        expected_pinned
    else
        expected_downloaded
    fi

    fetch "$release/$asset" "$tmp/$bin" "release v$version has no $asset"
    actual=$(sha256_of "$tmp/$bin")
    if [ "$actual" != "$expected" ] && [ "$checked_by" = pinned ]; then
        die 8 "checksum mismatch for $asset v$version (this install.sh pins $expected, the download is $actual): it is not the binary released as v$version, whatever the mirror's SHA256SUMS says, and was not installed; check the mirror (NODION_DEPLOY_DOWNLOAD_URL), then run this again"
    fi
    [ "$actual" = "$expected" ] ||
        die 8 "checksum mismatch for $asset v$version (SHA256SUMS says $expected, the download is $actual): it is corrupt or was tampered with and was not installed; run this again, and check the mirror if it persists"

    chmod 755 "$tmp/$bin"
    check_runs_as_version

    if [ -d "$to/$bin" ]; then
        die 10 "$to_abs/$bin is a directory; remove it or pass another --to DIR"
    fi
    mv -f "$tmp/$bin" "$to/$bin" ||
        die 10 "cannot write $to_abs/$bin; pass --to DIR with a directory you can write to"
    rm -rf "$tmp"
    tmp=''

    printf 'installed nodion-deploy %s to %s\n' "$version" "$to_abs/$bin"
    case ":${PATH:-}:" in
        *":$to_abs:"* | *":$to:"*) ;;
        *) say "note: $to_abs is not on PATH; add it to run nodion-deploy by name" ;;
    esac
}

main "$@"
