//! Serves the fake Nodion API on a local port, to try `nodion-deploy` by hand.
//!
//! `cargo run --example fake-nodion -- --port 8080 --lifecycle created:2s,waiting:3s,deploying:5s,available`
//!
//! A prebuilt-image application whose 1.5.0 fails, to try a rollback to 1.4.2:
//! `cargo run --example fake-nodion -- --port 8080 --image registry.example.com/shop
//! --existing 0 --existing-images 1.4.2=available,1.4.3=failed
//! --tag-lifecycle 1.5.0=created:2s,deploying:3s,failed`

use std::process::ExitCode;
use std::time::Duration;

use fake_nodion::{FakeNodion, Hold, Options, Seed, Stage};

const USAGE: &str = "\
Serve a fake Nodion API on 127.0.0.1 until interrupted.

Usage: cargo run --example fake-nodion -- [OPTIONS]

Options:
  --port N          port to listen on (default 0: any free port)
  --token T         bearer token to accept (default test-token)
  --app ID          application id to serve (default app-1)
  --existing N      git deployments #1..#N already exist as available (default 2)
  --existing-took D each of them took D (Ns, Nms or Nm) from created_at to updated_at;
                    with 3 or more, nodion-deploy learns when to look from them
                    (default 0s: they show nothing to learn from)
  --image REPO      serve a prebuilt-image application of this image repository, e.g.
                    registry.example.com/shop: a trigger deploys REPO:TAG from its image_tag
                    (REPO:latest without one); without it, a git-based application
  --existing-images TAG=STATUS,...
                    image deployments that already exist after the --existing ones, oldest
                    first, e.g. 1.4.2=available,1.4.3=failed
  --lifecycle SPEC  statuses a new deployment goes through, comma-separated, each
                    STATUS:HOLD with HOLD as Ns, Nms or Nlists; the last may omit HOLD
                    to stay forever
                    (default created:2s,waiting:3s,deploying:5s,available)
  --tag-lifecycle TAG=SPEC
                    the lifecycle of deployments triggered with image tag TAG instead,
                    SPEC as for --lifecycle; may be given once per tag
  -h, --help        print this help";

const DEFAULT_LIFECYCLE: &str = "created:2s,waiting:3s,deploying:5s,available";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fake-nodion: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // A port still held by an earlier fake is the usual first-try mistake: say so in one line.
    if opts.port != 0
        && let Err(e) = std::net::TcpListener::bind(("127.0.0.1", opts.port))
    {
        eprintln!(
            "fake-nodion: cannot listen on port {}: {e}; is another fake still running? Stop it (Ctrl-C) or pick another --port",
            opts.port
        );
        return ExitCode::from(1);
    }
    let mut lifecycles = vec![format!(
        "  lifecycle:      {}",
        describe_lifecycle(&opts.lifecycle)
    )];
    for (tag, stages) in &opts.tag_lifecycles {
        lifecycles.push(format!(
            "    with tag {tag}: {}",
            describe_lifecycle(stages)
        ));
    }
    let image = opts.image.clone();
    let fake = FakeNodion::start(opts);
    let (url, token, app) = (fake.url(), fake.token(), fake.application_id());
    println!("Fake Nodion API listening on {url}");
    println!("  token:          {token}");
    println!("  application id: {app}");
    if let Some(image) = image {
        println!("  image:          {image} (a prebuilt-image application)");
    }
    println!("{}", lifecycles.join("\n"));
    println!();
    println!("Point nodion-deploy at it:");
    println!("  export NODION_API_URL={url}");
    println!("  export NODION_API_TOKEN={token}");
    println!("  export NODION_APPLICATION_ID={app}");
    println!();
    println!("Requests are logged to standard error. Stop with Ctrl-C.");
    fake.wait();
    ExitCode::SUCCESS
}

/// `Ok(None)` means help was asked for.
fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut opts = Options {
        log_requests: true,
        lifecycle: parse_lifecycle("--lifecycle", DEFAULT_LIFECYCLE)?,
        ..Options::default()
    };
    let (mut git_seeds, mut image_seeds, mut took) = (2, Vec::new(), Duration::ZERO);
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        // Both `--flag value` and `--flag=value`, as most command lines accept.
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (flag.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--port" => {
                let v = value()?;
                opts.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--token" => opts.token = non_empty(name, value()?)?,
            "--app" => opts.application_id = non_empty(name, value()?)?,
            "--existing" => {
                let v = value()?;
                let n = v
                    .parse()
                    .map_err(|_| format!("--existing: not a count: {v}"))?;
                git_seeds = n;
            }
            "--existing-took" => {
                let v = value()?;
                took = match parse_hold(name, &v)? {
                    Hold::For(d) => d,
                    _ => return Err(format!("{name}: `{v}` is not a duration (Ns, Nms or Nm)")),
                };
            }
            "--image" => opts.image = Some(non_empty(name, value()?)?),
            "--existing-images" => image_seeds = parse_image_seeds(&value()?)?,
            "--lifecycle" => opts.lifecycle = parse_lifecycle(name, &value()?)?,
            "--tag-lifecycle" => {
                let v = value()?;
                let (tag, spec) = tag_and(name, &v)?;
                opts.tag_lifecycles
                    .insert(tag, parse_lifecycle(name, spec)?);
            }
            _ => return Err(format!("unknown argument: {flag}")),
        }
    }
    opts.existing = seeds(git_seeds, took);
    for (n, (tag, status)) in (git_seeds + 1..).zip(image_seeds) {
        opts.existing.push(Seed::image(n, &status, &tag));
    }
    Ok(Some(opts))
}

/// `TAG=REST` → (TAG, REST), both non-empty.
fn tag_and<'a>(name: &str, value: &'a str) -> Result<(String, &'a str), String> {
    match value.split_once('=') {
        Some((tag, rest)) if !tag.trim().is_empty() && !rest.trim().is_empty() => {
            Ok((tag.trim().to_string(), rest.trim()))
        }
        _ => Err(format!("{name}: expected TAG=…, got `{value}`")),
    }
}

/// `1.4.2=available,1.4.3=failed` → (tag, status) pairs, oldest first.
fn parse_image_seeds(spec: &str) -> Result<Vec<(String, String)>, String> {
    spec.split(',')
        .map(|part| tag_and("--existing-images", part).map(|(t, s)| (t, s.to_string())))
        .collect()
}

fn non_empty(name: &str, value: String) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(format!("{name} must not be empty"))
    } else {
        Ok(value)
    }
}

fn seeds(count: u64, took: Duration) -> Vec<Seed> {
    (1..=count)
        .map(|n| Seed::new(n, "available").took(took))
        .collect()
}

/// `created:2s,waiting:3lists,available` → stages; only the last may leave out its hold.
fn parse_lifecycle(flag: &str, spec: &str) -> Result<Vec<Stage>, String> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    let mut stages = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (status, hold) = match part.split_once(':') {
            Some((status, hold)) => (status.trim(), parse_hold(flag, hold.trim())?),
            None if last => (*part, Hold::Forever),
            None => {
                return Err(format!(
                    "{flag}: stage `{part}` needs a hold, e.g. {part}:5s"
                ));
            }
        };
        if status.is_empty() {
            return Err(format!("{flag}: empty status in `{spec}`"));
        }
        stages.push(Stage::new(status, hold));
    }
    Ok(stages)
}

fn parse_hold(flag: &str, hold: &str) -> Result<Hold, String> {
    let digits = hold.len() - hold.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (number, unit) = hold.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{flag}: `{hold}` does not start with a number"))?;
    match unit {
        "ms" => Ok(Hold::For(Duration::from_millis(number))),
        "s" => Ok(Hold::For(Duration::from_secs(number))),
        "m" => Ok(Hold::For(Duration::from_secs(number * 60))),
        "list" | "lists" => u32::try_from(number)
            .map(Hold::Lists)
            .map_err(|_| format!("{flag}: too many lists: {number}")),
        _ => Err(format!(
            "{flag}: unknown unit in `{hold}` (use ms, s, m or lists)"
        )),
    }
}

fn describe_lifecycle(stages: &[Stage]) -> String {
    let described: Vec<String> = stages
        .iter()
        .map(|s| match s.hold {
            Hold::Lists(n) => format!("{} ({n} lists)", s.status),
            Hold::For(d) => format!("{} ({d:?})", s.status),
            Hold::Forever => s.status.clone(),
        })
        .collect();
    described.join(" -> ")
}
