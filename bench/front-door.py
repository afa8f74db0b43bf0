#!/usr/bin/env python3
"""The front-door benchmark: what a pipeline waits for before nodion-deploy sends its first request.

Three figures, side by side:
  1. install.sh from a loopback mirror to a verified, runnable binary (download, SHA-256 check,
     atomic move, `--version`): what the composite action and `curl | sh` cost;
  2. `cargo build --release --locked` from clean: what the old `image: Dockerfile` action cost on
     every run before the first request (not counting the pull of the Rust image);
  3. the binary's own full deploy run against the fake API on loopback.

    python3 bench/front-door.py            # all three (the clean build takes a minute or two)
    python3 bench/front-door.py --quick    # CI: 1 and 3 only; fails if an install takes 3 s or more

The mirror is Python's http.server on 127.0.0.1 holding the static musl binary and its SHA256SUMS
in the release layout (SPEC §8). Nothing leaves the machine.
"""
import argparse
import functools
import hashlib
import http.server
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run  # noqa: E402  (the footprint benchmark: the same build, fake API and timing)

ROOT = run.ROOT
MAX_INSTALL_SECONDS = 3.0


def version():
    for line in (ROOT / "install.sh").read_text().splitlines():
        if line.startswith("DEFAULT_VERSION="):
            return line.split("=", 1)[1].strip()
    sys.exit("install.sh has no DEFAULT_VERSION line")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_mirror(directory):
    """A release mirror on loopback; returns (server, base URL)."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def lay_out_mirror(directory, ver):
    """<base>/v<ver>/nodion-deploy-<target> and SHA256SUMS beside it."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "amd64"):
        sys.exit("the mirror holds the x86_64 Linux binary; run this on x86_64 Linux")
    release = directory / f"v{ver}"
    release.mkdir(parents=True)
    asset = release / f"nodion-deploy-{run.TARGET}"
    shutil.copy2(run.BINARY, asset)
    digest = hashlib.sha256(asset.read_bytes()).hexdigest()
    (release / "SHA256SUMS").write_text(f"{digest}  {asset.name}\n")


def time_installs(base, ver, runs, scratch):
    times = []
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "NODION_DEPLOY_DOWNLOAD_URL": base,
    }
    for i in range(runs):
        to = scratch / f"bin-{i}"
        started = time.perf_counter()
        result = subprocess.run(
            ["sh", str(ROOT / "install.sh"), "--version", ver, "--to", str(to)],
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"install.sh failed: {result.stderr.strip()}")
        printed = subprocess.run(
            [str(to / "nodion-deploy"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        if printed != f"nodion-deploy {ver}":
            sys.exit(f"the installed binary says {printed!r}, not nodion-deploy {ver}")
        times.append(elapsed)
        shutil.rmtree(to)
    return times


def time_deploys(runs):
    times = []
    for _ in range(runs):
        fake, url = run.start_fake()
        try:
            times.append(run.timed([str(run.BINARY)], run.environment(url)))
        finally:
            fake.terminate()
            fake.wait()
    return times


def time_clean_build(scratch):
    """`cargo build --release --locked` of a fresh copy of the tracked sources, with an empty
    target directory (crates already downloaded: a Docker layer cache would hold them too)."""
    source = scratch / "src-copy"
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.is_file():
            (source / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name.decode())
    env = dict(os.environ, CARGO_TARGET_DIR=str(scratch / "target"))
    started = time.perf_counter()
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--locked", "--bin", "nodion-deploy"],
        cwd=source,
        env=env,
        check=True,
    )
    return time.perf_counter() - started


def seconds(value):
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no clean build; fewer runs; for CI")
    args = parser.parse_args()
    runs = 5 if args.quick else 15
    run.build()
    ver = version()
    with tempfile.TemporaryDirectory(prefix="nodion-front-door-") as tmp:
        scratch = pathlib.Path(tmp)
        mirror = scratch / "mirror"
        lay_out_mirror(mirror, ver)
        server, base = serve_mirror(mirror)
        try:
            time_installs(base, ver, 2, scratch)  # warm-up
            installs = time_installs(base, ver, runs, scratch)
        finally:
            server.shutdown()
        deploys = time_deploys(runs)
        build = None if args.quick else time_clean_build(scratch)

    print("\nFront door: from nothing to the first request")
    print(f"machine: {run.machine()}; medians of {runs} runs\n")
    print("| what the pipeline waits for | time |")
    print("|---|---|")
    print(f"| install.sh from a loopback mirror to a verified, runnable binary | "
          f"{seconds(statistics.median(installs))} (max {seconds(max(installs))}) |")
    if build is not None:
        print(f"| `cargo build --release --locked` from clean (the old `image: Dockerfile`, "
              f"before the image pull) | {seconds(build)} |")
    print(f"| the binary's whole deploy run against the fake API | "
          f"{seconds(statistics.median(deploys))} |")
    if max(installs) >= MAX_INSTALL_SECONDS:
        sys.exit(f"FAILED: an install took {max(installs):.2f} s, not under {MAX_INSTALL_SECONDS} s")


if __name__ == "__main__":
    main()
