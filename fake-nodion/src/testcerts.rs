//! Test-only TLS material from `testdata/` (see its README for how it was made): a CA, and a
//! server certificate it signed for `127.0.0.1` and `localhost`. The keys are public; never
//! trust this CA outside tests.

use crate::TlsIdentity;

/// The test CA's certificate ("nodion-deploy test CA"): the root a client must trust.
pub const CA_PEM: &str = include_str!("../testdata/ca.pem");

/// The server certificate (CN and SANs `IP:127.0.0.1`, `DNS:localhost`), signed by [`CA_PEM`].
pub const SERVER_CERT_PEM: &str = include_str!("../testdata/server.pem");

/// The server certificate's ECDSA P-256 private key, PKCS#8.
pub const SERVER_KEY_PEM: &str = include_str!("../testdata/server.key");

/// The server identity for [`crate::Options::tls`].
pub fn identity() -> TlsIdentity {
    TlsIdentity {
        cert_chain_pem: SERVER_CERT_PEM.into(),
        key_pem: SERVER_KEY_PEM.into(),
    }
}
