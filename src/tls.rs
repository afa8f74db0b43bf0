//! What TLS trusts: the web PKI roots, bundled (so a `FROM scratch` image works), plus
//! `ca_certificates` for TLS-intercepting proxies; with ring as rustls's crypto.

use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// Reads the PEM certificates in `pem` (DER each); an error when there is none or one is broken.
pub fn parse_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => {
                // ureq would silently drop a certificate it cannot read: check it here instead.
                let der = rustls::pki_types::CertificateDer::from(cert.der());
                if rustls::RootCertStore::empty().add(der).is_err() {
                    return Err(format!(
                        "holds a certificate that is not a valid X.509 certificate (number {})",
                        certs.len() + 1
                    ));
                }
                certs.push(cert.der().to_vec());
            }
            Ok(_) => {}
            Err(e) => return Err(format!("not valid PEM: {e}")),
        }
    }
    if certs.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// The TLS configuration for the agent: [`root_certs`], verified with ring.
pub fn config(extra: &[Vec<u8>]) -> TlsConfig {
    // Given here rather than installed process-wide: ureq is built without a default provider.
    let ring = Arc::new(rustls::crypto::ring::default_provider());
    TlsConfig::builder()
        .root_certs(root_certs(extra))
        .unversioned_rustls_crypto_provider(ring)
        .build()
}

/// The roots to trust: the bundled web PKI roots, then `extra` (DER certificates).
pub fn root_certs(extra: &[Vec<u8>]) -> RootCerts {
    // Certificates, as curl's bundle and the system stores have them: Mozilla's one constraint kept
    // outside a certificate (TUBITAK's root, for `.tr` names only) is not applied.
    let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|cert| Certificate::from_der(cert.as_ref()));
    let extra = extra
        .iter()
        .map(|der| Certificate::from_der(der).to_owned());
    RootCerts::from(bundled.chain(extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::RootCertStore;
    use rustls::pki_types::CertificateDer;

    /// Every bundled root reads as a trust anchor, and the extra ones come after them.
    #[test]
    fn every_bundled_root_is_trusted_and_the_extra_ones_beside_them() {
        let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        assert!(bundled.len() > 100, "the whole web PKI: {}", bundled.len());
        let pem = include_str!("../fake-nodion/testdata/ca.pem");
        let extra = parse_certificates(pem.as_bytes()).unwrap();
        let RootCerts::Specific(roots) = root_certs(&extra) else {
            panic!("a list of certificates");
        };
        assert_eq!(roots.len(), bundled.len() + 1);
        let mut store = RootCertStore::empty();
        let (added, ignored) =
            store.add_parsable_certificates(roots.iter().map(|c| CertificateDer::from(c.der())));
        assert_eq!((added, ignored), (bundled.len() + 1, 0));
        assert_eq!(roots.last().unwrap().der(), extra[0]);
        let RootCerts::Specific(plain) = root_certs(&[]) else {
            panic!("a list of certificates");
        };
        assert_eq!(plain.len(), bundled.len());
    }

    #[test]
    fn pem_files_are_read_or_refused_clearly() {
        let pem = include_str!("../fake-nodion/testdata/ca.pem");
        assert_eq!(parse_certificates(pem.as_bytes()).unwrap().len(), 1);
        assert!(parse_certificates(b"hello").is_err());
        let garbage = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        let err = parse_certificates(garbage.as_bytes()).unwrap_err();
        assert!(err.contains("not a valid X.509 certificate"), "{err}");
        assert!(parse_certificates(b"").is_err());
    }
}
