//! Extra root certificates (`ca_certificates`, for TLS-intercepting proxies) added to the bundled
//! web PKI roots.
//!
//! ureq takes either its bundled roots or a list of certificates, not both. The bundled roots are
//! trust anchors (subject, key, name constraints), not certificates, so each is written back as a
//! minimal certificate that webpki reads into exactly the same anchor (`tests` check all of them):
//! the bundled roots and the extra ones then go to ureq as one list. Nothing is parsed unless
//! `ca_certificates` is set.

use ureq::tls::{Certificate, PemItem, RootCerts};

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

/// The roots to trust: the bundled web PKI roots, plus `extra` (DER certificates) when given.
pub fn root_certs(extra: &[Vec<u8>]) -> RootCerts {
    if extra.is_empty() {
        return RootCerts::WebPki;
    }
    let mut certs: Vec<Certificate<'static>> = webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .map(|anchor| {
            let der = certificate_for_anchor(
                &anchor.subject,
                &anchor.subject_public_key_info,
                anchor.name_constraints.as_deref(),
            );
            Certificate::from_der(&der).to_owned()
        })
        .collect();
    certs.extend(
        extra
            .iter()
            .map(|der| Certificate::from_der(der).to_owned()),
    );
    RootCerts::new_with_certs(&certs)
}

const SEQUENCE: u8 = 0x30;

/// One DER element: tag, length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A minimal self-issued certificate carrying a trust anchor: webpki reads a trusted root's
/// subject, key and name constraints, and checks neither its signature nor its validity. Without
/// name constraints it is a v1 certificate (no extensions to read); with them, a v3 one holding
/// only the nameConstraints extension.
fn certificate_for_anchor(subject: &[u8], spki: &[u8], name_constraints: Option<&[u8]>) -> Vec<u8> {
    // ecdsa-with-SHA256; any algorithm will do, as long as both places agree.
    let algorithm = tlv(
        SEQUENCE,
        &tlv(0x06, &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]),
    );
    let name = tlv(SEQUENCE, subject);
    let validity = tlv(
        SEQUENCE,
        &[tlv(0x17, b"000101000000Z"), tlv(0x18, b"99991231235959Z")].concat(),
    );
    let mut tbs = Vec::new();
    if name_constraints.is_some() {
        tbs.extend(tlv(0xA0, &tlv(0x02, &[2])));
    }
    tbs.extend(tlv(0x02, &[1]));
    tbs.extend(&algorithm);
    tbs.extend(&name);
    tbs.extend(&validity);
    tbs.extend(&name);
    tbs.extend(tlv(SEQUENCE, spki));
    if let Some(constraints) = name_constraints {
        // id-ce-nameConstraints (2.5.29.30), critical, the NameConstraints sequence.
        let extension = [
            tlv(0x06, &[0x55, 0x1D, 0x1E]),
            tlv(0x01, &[0xFF]),
            tlv(0x04, &tlv(SEQUENCE, constraints)),
        ]
        .concat();
        tbs.extend(tlv(0xA3, &tlv(SEQUENCE, &tlv(SEQUENCE, &extension))));
    }
    tlv(
        SEQUENCE,
        &[tlv(SEQUENCE, &tbs), algorithm, tlv(0x03, &[0])].concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::RootCertStore;
    use rustls::pki_types::CertificateDer;

    /// Every bundled root, written as a certificate, reads back as exactly the same trust anchor.
    #[test]
    fn every_bundled_root_survives_the_round_trip() {
        let mut store = RootCertStore::empty();
        let ders: Vec<Vec<u8>> = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|a| {
                certificate_for_anchor(
                    &a.subject,
                    &a.subject_public_key_info,
                    a.name_constraints.as_deref(),
                )
            })
            .collect();
        let (added, ignored) = store
            .add_parsable_certificates(ders.iter().map(|d| CertificateDer::from(d.as_slice())));
        assert_eq!(ignored, 0);
        assert_eq!(added, webpki_roots::TLS_SERVER_ROOTS.len());
        for (original, read) in webpki_roots::TLS_SERVER_ROOTS.iter().zip(&store.roots) {
            assert_eq!(original.subject.as_ref(), read.subject.as_ref());
            assert_eq!(
                original.subject_public_key_info.as_ref(),
                read.subject_public_key_info.as_ref()
            );
            assert_eq!(
                original.name_constraints.as_deref(),
                read.name_constraints.as_deref()
            );
        }
        assert!(
            webpki_roots::TLS_SERVER_ROOTS
                .iter()
                .any(|a| a.name_constraints.is_some()),
            "the v3 form is exercised too"
        );
    }

    #[test]
    fn long_content_gets_a_long_form_length() {
        assert_eq!(tlv(0x04, &[7; 3])[..2], [0x04, 3]);
        assert_eq!(tlv(0x04, &[7; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[7; 300])[..4], [0x04, 0x82, 1, 44]);
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
