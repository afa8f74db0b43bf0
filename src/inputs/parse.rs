//! The value parsers: each turns one input's trimmed text into its typed value, or into the
//! message of a problem (which shows the value bounded and on one line, never the token).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ureq::http::Uri;

use super::table::DEFAULT_API_URL;
use crate::problem::shown;

/// Parses a boolean: `true/false/yes/no/on/off/1/0`, any case.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!(
            "{} is not a boolean: use true/false, yes/no, on/off or 1/0",
            shown(value)
        )),
    }
}

/// Parses a positive duration in humantime's grammar (`90s`, `15m`, `1h 30m`).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    match humantime::parse_duration(value) {
        Ok(d) if d.is_zero() => Err(format!("{} must be longer than zero", shown(value))),
        Ok(d) if d > Duration::from_secs(7 * 24 * 3600) => {
            Err(format!("{} is longer than a week", shown(value)))
        }
        Ok(d) => Ok(d),
        Err(_) => Err(format!(
            "{} is not a duration: use e.g. 90s, 15m or 1h 30m",
            shown(value)
        )),
    }
}

/// Parses an application or project id: 1-128 of `A-Z a-z 0-9 _ -`, so it is safe in a URL path.
pub(super) fn parse_identifier(value: &str) -> Result<String, String> {
    if value.len() > 128
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Err(format!(
            "{} is not an id: use 1-128 of A-Z a-z 0-9 _ -",
            shown(value)
        ))
    } else {
        Ok(value.to_string())
    }
}

/// Parses a comma-separated status list into lower-cased names; it must name at least one.
pub(super) fn parse_statuses(value: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() {
        Err("names no status".to_string())
    } else {
        Ok(list)
    }
}

/// Parses a Docker image tag: 1-128 of `A-Z a-z 0-9 _ . -`, not starting with `.` or `-`.
pub(super) fn parse_image_tag(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{} is not a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
            shown(value)
        ))
    }
}

/// Parses a deploy number: an integer from 1.
pub(super) fn parse_deploy_number(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{} is not a deploy number (an integer >= 1)",
            shown(value)
        )),
    }
}

/// Parses how many log lines to show on failure: 0 to 2500.
pub(super) fn parse_failure_logs(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n <= 2500 => Ok(n),
        _ => Err(format!(
            "{} is not a line count from 0 to 2500",
            shown(value)
        )),
    }
}

/// Takes the text as it is: for paths, whose checks happen when they are used.
pub(super) fn text(value: &str) -> Result<String, String> {
    Ok(value.to_string())
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// The Nodion API's own host, whose one base is [`DEFAULT_API_URL`].
const NODION_API_HOST: &str = "api.nodion.com";

/// `value` as an absolute URL (a scheme and a host), or why it is not one.
fn absolute(value: &str) -> Result<Uri, &'static str> {
    let uri = value.parse::<Uri>().map_err(|_| "is not a URL")?;
    match (uri.scheme_str(), uri.authority()) {
        (Some(_), Some(_)) => Ok(uri),
        _ => Err("is not an absolute http(s) URL"),
    }
}

/// The URL that `value`, written without a scheme, probably meant: `https://` before it
/// (`http://` before a loopback host), as `valid` takes it; `None` for text with a scheme, or
/// that is no URL with one either.
fn with_scheme(value: &str, valid: impl Fn(&str) -> Option<String>) -> Option<String> {
    if value.contains("://") || value.starts_with('/') {
        return None;
    }
    let host = value.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let scheme = if is_loopback(host) { "http" } else { "https" };
    valid(&format!("{scheme}://{value}"))
}

/// Why `value` is not a URL: what it probably meant, when it lacks only its scheme (`valid` says
/// which URLs the input takes), else `why`.
fn not_absolute(
    value: &str,
    why: &str,
    example: &str,
    valid: impl Fn(&str) -> Option<String>,
) -> String {
    match with_scheme(value, valid) {
        Some(meant) => format!("{} has no scheme: did you mean {meant}?", shown(value)),
        None => format!("{} {why}, such as {example}", shown(value)),
    }
}

/// Checks the API base URL: https, or http to a loopback host; no credentials (they belong in
/// `token`, the token input's name), query or fragment.
pub fn parse_api_url(value: &str, token: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("{} {why}", shown(value)));
    let uri = absolute(value).map_err(|why| {
        not_absolute(value, why, DEFAULT_API_URL, |url| {
            let official = url.parse::<Uri>().is_ok_and(|u| {
                u.host()
                    .is_some_and(|h| h.eq_ignore_ascii_case(NODION_API_HOST))
            });
            match parse_api_url(url, token) {
                Ok(url) => Some(url),
                Err(_) => official.then(|| DEFAULT_API_URL.to_string()),
            }
        })
    })?;
    let (scheme, authority) = (uri.scheme_str().unwrap_or_default(), uri.authority());
    let host = authority.map(|a| a.host()).unwrap_or_default();
    if host.is_empty() {
        return bad("has no host");
    }
    if authority.is_some_and(|a| a.as_str().contains('@')) {
        return bad(&format!("must not hold credentials: set {token}"));
    }
    if uri.query().is_some() || value.contains('#') {
        return bad("must not have a query or fragment");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return bad("must use https (http is allowed only to localhost, 127.0.0.0/8 or ::1)");
        }
        _ => return bad("must be an https URL"),
    }
    // The Nodion API itself has one base, so another path there is a mistake, said before anything
    // is sent. Any other host may be a proxy or a mirror that maps a path of its own to the API:
    // there a 404 is what shows the path is wrong, and its message names this input (retry.rs).
    if host.eq_ignore_ascii_case(NODION_API_HOST) && uri.path().trim_end_matches('/') != "/v1" {
        return bad(&format!(
            "is not the Nodion API's base: did you mean {DEFAULT_API_URL}?"
        ));
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// Checks `verify_url`, the user's own application: http or https to any host; no credentials
/// (they would be sent as an Authorization header, and none is ever sent there) and no fragment.
pub(super) fn parse_verify_url(value: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("{} {why}", shown(value)));
    let uri = absolute(value).map_err(|why| {
        not_absolute(value, why, "https://my-app.example.com/health", |url| {
            parse_verify_url(url).ok()
        })
    })?;
    let scheme = uri.scheme_str().unwrap_or_default();
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return bad("must be an http or https URL");
    }
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    if uri.host().unwrap_or_default().is_empty() {
        return bad("has no host");
    }
    if authority.contains('@') {
        return bad("must not hold credentials: no Authorization is ever sent to the application");
    }
    if value.contains('#') {
        return bad("must not have a fragment");
    }
    Ok(value.to_string())
}

/// Checks `verify_contains`: one line of at most 1024 characters, to find in the body.
pub(super) fn parse_verify_contains(value: &str) -> Result<String, String> {
    if value.chars().count() > 1024 || value.chars().any(char::is_control) {
        return Err(format!(
            "{} must be one line of at most 1024 characters",
            shown(value)
        ));
    }
    Ok(value.to_string())
}

/// Reads the PEM file of extra root certificates into DER certificates.
pub(super) fn read_certificates(path: &str) -> Result<Vec<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(pem) => {
            crate::tls::parse_certificates(&pem).map_err(|why| format!("{} {why}", shown(path)))
        }
        Err(e) => Err(format!("cannot read {}: {e}", shown(path))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "NODION_API_TOKEN";

    #[test]
    fn booleans_accept_the_spec_words_and_nothing_else() {
        for (word, want) in [
            ("YES", true),
            ("on", true),
            ("1", true),
            ("Off", false),
            ("no", false),
            ("0", false),
        ] {
            assert_eq!(parse_bool(word), Ok(want), "{word}");
        }
        assert!(parse_bool("maybe").is_err());
        assert!(parse_bool("y").is_err());
    }

    #[test]
    fn durations_must_be_positive_humantime() {
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        for bad in ["soon", "0s", "-5s", "15"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verify_url_takes_http_or_https_to_any_host_without_credentials() {
        for good in [
            "https://my-app.example.com/health",
            "http://example.com:8080/version?x=1",
            "http://127.0.0.1:9/",
        ] {
            assert_eq!(parse_verify_url(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "my-app.example.com",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#top",
            "https:///path",
            "not a url",
        ] {
            assert!(parse_verify_url(bad).is_err(), "{bad}");
        }
        assert!(parse_verify_contains("v1.2.3").is_ok());
        assert!(parse_verify_contains("a\nb").is_err());
        assert!(parse_verify_contains(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn api_url_allows_http_only_to_loopback() {
        for good in [
            "https://api.nodion.com/v1",
            "http://127.0.0.1:8080/v1/",
            "http://127.1.2.3/v1",
            "http://localhost:9/v1",
            "http://[::1]:9/v1",
            "http://[0:0:0:0:0:0:0:1]/v1",
        ] {
            assert!(parse_api_url(good, TOKEN).is_ok(), "{good}");
        }
        assert_eq!(
            parse_api_url("http://127.0.0.1:8080/v1/", TOKEN).unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        for bad in [
            "http://api.nodion.com/v1",
            "http://10.0.0.1/v1",
            "http://localhost.evil.com/v1",
            "ftp://api.nodion.com",
            "not a url",
            "api.nodion.com/v1",
            "https://user:pw@api.nodion.com/v1",
            "https://api.nodion.com/v1?x=1",
            "https://:443/v1",
            "https://api.nodion.com",
            "https://api.nodion.com/v2",
        ] {
            assert!(parse_api_url(bad, TOKEN).is_err(), "{bad}");
        }
        assert_eq!(
            parse_api_url("https://user:pw@api.nodion.com/v1", "api_token"),
            Err(
                "'https://user:pw@api.nodion.com/v1' must not hold credentials: set api_token"
                    .into()
            )
        );
    }

    #[test]
    fn a_url_without_a_scheme_is_told_the_url_it_probably_meant() {
        for (written, meant) in [
            ("api.nodion.com/v1", "https://api.nodion.com/v1"),
            ("api.nodion.com/v1/", "https://api.nodion.com/v1"),
            ("api.nodion.com", "https://api.nodion.com/v1"),
            (
                "proxy.example.com:8443/nodion/v1",
                "https://proxy.example.com:8443/nodion/v1",
            ),
            ("127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
            ("localhost/v1", "http://localhost/v1"),
        ] {
            assert_eq!(
                parse_api_url(written, TOKEN),
                Err(format!("'{written}' has no scheme: did you mean {meant}?")),
                "{written}"
            );
        }
        assert_eq!(
            parse_verify_url("my-app.example.com/health"),
            Err("'my-app.example.com/health' has no scheme: did you mean https://my-app.example.com/health?".into())
        );
        // Nothing is guessed for what no scheme would mend.
        for written in ["not a url", "/v1", "example.com/v1?x=1"] {
            let refused = parse_api_url(written, TOKEN).unwrap_err();
            assert!(!refused.contains("did you mean"), "{refused}");
        }
    }

    #[test]
    fn the_nodion_api_is_told_its_one_base() {
        for written in [
            "https://api.nodion.com",
            "https://API.nodion.com/",
            "https://api.nodion.com/api",
        ] {
            assert_eq!(
                parse_api_url(written, TOKEN),
                Err(format!(
                    "'{written}' is not the Nodion API's base: did you mean https://api.nodion.com/v1?"
                )),
            );
        }
        // Another host may map a path of its own to the API: only a 404 can tell.
        assert!(parse_api_url("https://proxy.example.com/nodion", TOKEN).is_ok());
    }

    #[test]
    fn image_tags_follow_the_docker_grammar() {
        for good in ["v2.0.0", "latest", "_x", "A-1.b_c"] {
            assert!(parse_image_tag(good).is_ok(), "{good}");
        }
        let long = "a".repeat(129);
        for bad in ["v 2", ".x", "-x", "a/b", "a:b", long.as_str()] {
            assert!(parse_image_tag(bad).is_err(), "{bad}");
        }
    }
}
