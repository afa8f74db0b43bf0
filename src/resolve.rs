//! How names are looked up, and a lookup that fails told apart from every other failure without
//! reading error messages: for the API (a mistyped `api_url` host is a connection that could not
//! be made, SPEC §4) and for the check of the app (a mistyped `verify_url` host stops early, §3).
//!
//! ureq 3 reports a name that does not resolve as the error of std's `to_socket_addrs`
//! (`ureq::Error::Io`, of a kind std leaves unnamed: "failed to lookup address information: Name or
//! service not known"), and `ureq::Error::HostNotFound` only for a lookup that gave no address. So
//! both clients look names up through [`OwnHost`], a resolver around ureq's own that turns a failed
//! lookup of their own host into `HostNotFound`, which they can match.
//!
//! ureq's resolver interface is in its `unversioned` module, outside its semver promise: a ureq
//! update may change it, and then this file is what fails to compile.

use std::fmt;
use std::sync::Arc;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How names are looked up: the system's resolver (ureq's own), unless a test puts in one that
/// answers on this machine.
#[derive(Clone)]
pub struct Lookup(Arc<dyn Resolver>);

impl Lookup {
    /// Names looked up by `resolver`.
    pub fn by(resolver: impl Resolver) -> Lookup {
        Lookup(Arc::new(resolver))
    }
}

impl Default for Lookup {
    fn default() -> Lookup {
        Lookup::by(DefaultResolver::default())
    }
}

impl fmt::Debug for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The lookup of one client's requests: `host` (`api_url`'s, or `verify_url`'s) failing to
/// resolve is `HostNotFound`; every other host's lookup (a redirect's, a proxy's: then the proxy
/// is what does not resolve) is passed on as it is.
#[derive(Debug)]
pub struct OwnHost {
    /// The client's own host.
    pub host: String,
    /// How names are looked up.
    pub lookup: Lookup,
}

impl Resolver for OwnHost {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match self.lookup.0.resolve(uri, config, timeout) {
            Err(ureq::Error::Io(_)) if uri.host() == Some(self.host.as_str()) => {
                Err(ureq::Error::HostNotFound)
            }
            resolved => resolved,
        }
    }
}

/// The host of `url`, as the resolver is asked for it (`None` for a URL without one).
pub fn host_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    uri.host().map(str::to_string)
}

#[cfg(test)]
pub(super) mod tests {
    use std::io;

    use super::*;

    /// Fails every lookup as std's does for a name that does not exist (what ureq passes on), on
    /// this machine: no resolver is asked.
    #[derive(Debug)]
    pub struct Nxdomain;

    impl Resolver for Nxdomain {
        fn resolve(
            &self,
            _: &Uri,
            _: &Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            let gai = "failed to lookup address information: Name or service not known";
            Err(ureq::Error::Io(io::Error::other(gai)))
        }
    }

    fn resolve(app: &OwnHost, url: &str) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        app.resolve(&uri, &Config::default(), NextTimeout::default())
    }

    /// A failed lookup of the client's own host is `HostNotFound`, which it can match; one of any
    /// other host (a redirect's, a proxy's) is passed on as ureq gave it.
    #[test]
    fn only_a_failed_lookup_of_the_clients_own_host_is_host_not_found() {
        let url = "https://my-app.exmaple.invalid/version";
        let host = host_of(url).unwrap();
        assert_eq!(host, "my-app.exmaple.invalid");
        let app = OwnHost {
            host,
            lookup: Lookup::by(Nxdomain),
        };
        assert!(matches!(resolve(&app, url), Err(ureq::Error::HostNotFound)));
        let other = resolve(&app, "https://login.exmaple.invalid/");
        assert!(matches!(other, Err(ureq::Error::Io(_))), "{other:?}");
    }
}
