#!/usr/bin/env python3
"""The footprint benchmark: nodion-deploy's static release binary against what teams use instead.

Each tool does the same full run against the fake Nodion API on loopback, with a deployment that
is available at once: snapshot the list, trigger, poll once for that deployment. Runs alternate
between the tools, after a warm-up; wall time is measured around each run, and peak RSS in separate
runs under GNU time (`-f %M`), which reports the tool's own rusage — a child started straight from
this (larger) Python process would be charged Python's memory too.

    python3 bench/run.py            # the full benchmark (15 runs of each)
    python3 bench/run.py --quick    # CI: 5 runs; fails on a binary over 2 MiB or RSS over 4 MiB

Gates: the binary's size and peak RSS. Speed ratios are reported, not gated (noisy on shared
machines).
"""
import argparse
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = "x86_64-unknown-linux-musl"
BINARY = ROOT / "target" / TARGET / "release" / "nodion-deploy"
FAKE = ROOT / "target" / "release" / "examples" / "fake-nodion"
GNU_TIME = "/usr/bin/time"
MAX_SIZE = 2 * 1024 * 1024
MAX_RSS_KIB = 4 * 1024
TARGETS = {"curl + jq": 10.0, "node fetch": 25.0}

TOOLS = {
    "nodion-deploy": [str(BINARY)],
    "curl + jq": ["sh", str(ROOT / "bench" / "curl-jq.sh")],
    "node fetch": ["node", str(ROOT / "bench" / "node-fetch.mjs")],
}


def build():
    """The static binary as the release builds it (cargo zigbuild) where zig is installed, else
    with musl-gcc; and the fake API."""
    cargo = ["cargo", "build", "--quiet", "--release", "--locked"]
    static = ["cargo", "zigbuild"] + cargo[2:] if shutil.which("cargo-zigbuild") else cargo
    subprocess.run(static + ["--target", TARGET, "--bin", "nodion-deploy"], cwd=ROOT, check=True)
    subprocess.run(cargo + ["--example", "fake-nodion"], cwd=ROOT, check=True)


def start_fake():
    """A fresh fake API (so the list stays short) whose new deployments are available at once."""
    proc = subprocess.Popen(
        [str(FAKE), "--port", "0", "--lifecycle", "created:0lists,available"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in proc.stdout:
        if "listening on" in line:
            return proc, line.split("listening on")[1].strip()
    sys.exit("the fake API did not start")


def environment(url):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NODION_API_URL": url,
        "NODION_API_TOKEN": "test-token",
        "NODION_APPLICATION_ID": "app-1",
        # The first poll as soon as possible: the same three requests as the baselines.
        "NODION_POLL_INTERVAL": "1ms",
        "NODION_MAX_POLL_INTERVAL": "1ms",
    }


def timed(command, env):
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{command} failed: {result.stderr.decode()[-500:]}")
    return elapsed


def peak_rss_kib(command, env):
    with tempfile.NamedTemporaryFile("r") as out:
        result = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", out.name] + command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if result.returncode != 0:
            sys.exit(f"{command} failed: {result.stderr.decode()[-500:]}")
        return int(out.read().strip().splitlines()[-1])


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs; for CI")
    parser.add_argument("--runs", type=int, help="measured runs of each tool (default 15)")
    args = parser.parse_args()
    runs = args.runs or (5 if args.quick else 15)
    warmup = 2

    for tool in ("curl", "jq", "node"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (bench/run.sh installs it)")
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"GNU time is needed at {GNU_TIME} (bench/run.sh installs it)")
    build()

    times = {name: [] for name in TOOLS}
    rss = {name: [] for name in TOOLS}
    names = list(TOOLS)
    for round_ in range(warmup + runs):
        fake, url = start_fake()
        try:
            env = environment(url)
            # Alternate the order so no tool always runs first (or after the same one).
            order = names[round_ % len(names):] + names[: round_ % len(names)]
            for name in order:
                elapsed = timed(TOOLS[name], env)
                kib = peak_rss_kib(TOOLS[name], env)
                if round_ >= warmup:
                    times[name].append(elapsed)
                    rss[name].append(kib)
        finally:
            fake.terminate()
            fake.wait()

    size = BINARY.stat().st_size
    ours_ms = statistics.median(times["nodion-deploy"]) * 1000
    ours_rss = max(rss["nodion-deploy"])
    print(f"\nFull deploy (snapshot, trigger, one poll) against the fake API on loopback")
    print(f"machine: {machine()}; {runs} runs of each after {warmup} warm-up rounds, alternated\n")
    print("| tool | median wall time | peak RSS (max) | nodion-deploy is faster by | uses less memory by |")
    print("|---|---|---|---|---|")
    for name in names:
        ms = statistics.median(times[name]) * 1000
        kib = max(rss[name])
        if name == "nodion-deploy":
            print(f"| {name} | {ms:.1f} ms | {kib / 1024:.1f} MiB | — | — |")
        else:
            print(
                f"| {name} | {ms:.1f} ms | {kib / 1024:.1f} MiB | {ms / ours_ms:.1f}× "
                f"(target {TARGETS[name]:.0f}×) | {kib / ours_rss:.1f}× |"
            )
    print(f"\nstatic binary ({TARGET}): {size} bytes = {size / 1048576:.2f} MiB (limit 2 MiB)")
    print(f"nodion-deploy peak RSS: {ours_rss} KiB = {ours_rss / 1024:.2f} MiB (limit 4 MiB)\n")
    subprocess.run(["cargo", "run", "--quiet", "--release", "--locked", "--example", "request-economy"],
                   cwd=ROOT, check=True)

    failed = []
    if size > MAX_SIZE:
        failed.append(f"the binary is {size} bytes, over 2 MiB")
    if ours_rss > MAX_RSS_KIB:
        failed.append(f"peak RSS is {ours_rss} KiB, over 4 MiB")
    for name, target in TARGETS.items():
        ratio = statistics.median(times[name]) * 1000 / ours_ms
        if ratio < target:
            print(f"note: {ratio:.1f}× faster than {name}, below the {target:.0f}× target (not gated)")
    if failed:
        print("FAILED: " + "; ".join(failed))
        sys.exit(1)
    print("footprint gates passed: binary <= 2 MiB, peak RSS <= 4 MiB")


if __name__ == "__main__":
    main()
