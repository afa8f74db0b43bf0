//! Whether a host is reached directly or through the proxy: `NO_PROXY` by curl's rules, which
//! both clients (the API's and the check of `verify_url`) decide before building their agent.
//! Hand-written: ureq honours `NO_PROXY` only word for word, and no small crate matches curl's
//! rules (domains covering subdomains, CIDR ranges, ports ignored).

/// Whether `NO_PROXY` (curl's rules: comma-separated, trimmed, `*` for all, a domain covering its
/// subdomains, an IPv4 address or CIDR range, any port) says to reach `url`'s host directly.
pub fn bypasses_proxy(no_proxy: &str, url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else { return false };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry.to_ascii_lowercase();
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            let (Ok(net), Ok(bits), Ok(ip)) = (
                net.parse::<std::net::Ipv4Addr>(),
                bits.parse::<u32>(),
                host.parse::<std::net::Ipv4Addr>(),
            ) else {
                return false;
            };
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits.min(32))
            };
            return u32::from(net) & mask == u32::from(ip) & mask;
        }
        // A port in the entry is ignored, as curl does for matching purposes here.
        let name = match entry.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') && port.parse::<u16>().is_ok() => name,
            _ => entry.as_str(),
        };
        let name = name.trim_start_matches("*.").trim_start_matches('.');
        host == name || host.ends_with(&format!(".{name}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_follows_curls_rules() {
        let api = "https://api.nodion.com/v1";
        for list in [
            "*",
            "nodion.com",
            ".nodion.com",
            " example.org , api.nodion.com ",
            "*.nodion.com",
            "api.nodion.com:443",
        ] {
            assert!(bypasses_proxy(list, api), "{list}");
        }
        for list in [
            "",
            "example.org",
            "odion.com",
            "api.nodion.co",
            "10.0.0.0/8",
        ] {
            assert!(!bypasses_proxy(list, api), "{list}");
        }
        assert!(bypasses_proxy(
            "localhost, 127.0.0.0/8",
            "http://127.0.0.1:8080/v1"
        ));
        assert!(bypasses_proxy("127.0.0.1", "http://127.0.0.1:8080/v1"));
        assert!(!bypasses_proxy("127.0.0.2", "http://127.0.0.1:8080/v1"));
        assert!(bypasses_proxy("::1", "http://[::1]:8080/v1"));
    }
}
