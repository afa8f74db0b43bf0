//! Telling a name that does not resolve from every other I/O failure. std reports a failed lookup
//! as an uncategorised I/O error, which would read as a connection that may have carried the
//! request; ureq's own resolver, wrapped, says `HostNotFound` instead, so that a mistyped
//! `api_url` host is a connection that could not be made (SPEC §4: the last line points at it).

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// ureq's resolver, failing with [`ureq::Error::HostNotFound`] for a name that does not resolve.
#[derive(Debug, Default)]
pub struct Resolving(DefaultResolver);

impl Resolver for Resolving {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        // A proxy's own name failing is the proxy's problem, not the API URL's: left as it is.
        let proxy = config.proxy().is_some_and(|p| uri.host() == Some(p.host()));
        match self.0.resolve(uri, config, timeout) {
            Err(ureq::Error::Io(_)) if !proxy => Err(ureq::Error::HostNotFound),
            resolved => resolved,
        }
    }
}
