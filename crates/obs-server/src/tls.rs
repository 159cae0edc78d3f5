//! TLS termination (docs/reference/routes.md, `server.tls_cert_file` / `server.tls_key_file`): rustls with the
//! aws-lc-rs provider, the PEM certificate chain and key read once at start-up, HTTP/2 and HTTP/1.1 offered by ALPN
//! (hyper-util's auto builder then serves whichever the client speaks). AWS SDKs send a Bedrock bearer token only
//! over HTTPS, so this is what lets them use a gateway key.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The acceptor for a certificate chain and its key, or why they cannot be used (naming the file, never its
/// contents).
pub(crate) fn acceptor(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("server.tls_cert_file {}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!("server.tls_cert_file {}: no certificate in the file", cert_file.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("server.tls_key_file {}: {e}", key_file.display()))?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("server.tls_cert_file / server.tls_key_file: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
