//! The value parsers: each turns one input's trimmed text into its typed value, or into the
//! message of a problem (which shows the value bounded and on one line, never the token).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::escape;

/// How a value is shown in a problem: trimmed of control characters and bounded.
pub(super) fn shown(value: &str) -> String {
    format!("'{}'", escape::bounded(&escape::one_line(value), 80))
}

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

/// Checks the API base URL: https, or http to a loopback host; no credentials (they belong in
/// `token`, the token input's name), query or fragment.
pub fn parse_api_url(value: &str, token: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("{} {why}", shown(value)));
    let Ok(uri) = value.parse::<ureq::http::Uri>() else {
        return bad("is not a URL");
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return bad("is not an absolute http(s) URL");
    };
    if authority.host().is_empty() {
        return bad("has no host");
    }
    if authority.as_str().contains('@') {
        return bad(&format!("must not hold credentials: set {token}"));
    }
    if uri.query().is_some() || value.contains('#') {
        return bad("must not have a query or fragment");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(authority.host()) => {}
        "http" => {
            return bad("must use https (http is allowed only to localhost, 127.0.0.0/8 or ::1)");
        }
        _ => return bad("must be an https URL"),
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// Checks `verify_url`, the user's own application: http or https to any host; no credentials
/// (they would be sent as an Authorization header, and none is ever sent there) and no fragment.
pub(super) fn parse_verify_url(value: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("{} {why}", shown(value)));
    let Ok(uri) = value.parse::<ureq::http::Uri>() else {
        return bad("is not a URL");
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return bad("is not an absolute http(s) URL, such as https://my-app.example.com/health");
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return bad("must be an http or https URL");
    }
    if authority.host().is_empty() {
        return bad("has no host");
    }
    if authority.as_str().contains('@') {
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
