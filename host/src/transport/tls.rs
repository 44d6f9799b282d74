//! TLS to a daemon on `tcp://…` / `https://…` (rustls with the ring provider).
//!
//! docker-py's semantics (API-INVENTORY §4.3): `verify = true` checks the daemon's
//! certificate against the CA file when one is given (and only against it), else
//! against the webpki roots; `verify = false` still speaks TLS and still sends the
//! client certificate, but accepts any server certificate — the handshake signatures
//! are verified all the same, so the peer must hold the key of the certificate it
//! shows. Host names may be IP addresses (checked against IP SANs).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// What TLS to speak to the daemon, by file path (`DOCKER_CERT_PATH`, a context's TLS
/// directory, or given by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// CA bundle to trust when `verify` is true; `None` trusts the webpki roots.
    /// Ignored when `verify` is false.
    pub ca: Option<PathBuf>,
    /// Client certificate chain and private key (PEM), sent when the daemon asks.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Verify the daemon's certificate and name.
    pub verify: bool,
    /// The name to check the certificate against, when it differs from the host
    /// connected to.
    pub server_name: Option<String>,
}

/// Why a TLS configuration could not be built. Every variant names the file at fault.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The file could not be read (missing, a directory, no permission).
    Read {
        /// Which file this is, e.g. `CA certificate file`.
        role: &'static str,
        /// The file.
        path: PathBuf,
        /// The error of the read.
        source: io::Error,
    },
    /// The file is not well-formed PEM.
    BadPem {
        /// Which file this is.
        role: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM parser said.
        detail: String,
    },
    /// The file holds no `CERTIFICATE` block.
    NoCertificate {
        /// Which file this is.
        role: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no unencrypted private key (PKCS#1, PKCS#8 or SEC1).
    NoPrivateKey {
        /// The key file.
        path: PathBuf,
        /// The file holds an encrypted key, which berth cannot use.
        encrypted: bool,
    },
    /// The CA file holds certificates, but none is usable as a trust anchor.
    NoUsableCa {
        /// The CA file.
        path: PathBuf,
    },
    /// The client certificate and key cannot be used together (mismatched key,
    /// unsupported key type).
    ClientCert {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        detail: String,
    },
    /// rustls refused the configuration for another reason.
    Rustls(String),
}

const CA_FILE: &str = "CA certificate file";
const CERT_FILE: &str = "client certificate file";
const KEY_FILE: &str = "client key file";

const HINT: &str = "check DOCKER_CERT_PATH (a directory with ca.pem, cert.pem and key.pem) \
                    or the TLS files given to berth";

impl TlsConfigError {
    /// The file at fault (the certificate file for [`TlsConfigError::ClientCert`]).
    pub fn path(&self) -> Option<&Path> {
        match self {
            TlsConfigError::Read { path, .. }
            | TlsConfigError::BadPem { path, .. }
            | TlsConfigError::NoCertificate { path, .. }
            | TlsConfigError::NoPrivateKey { path, .. }
            | TlsConfigError::NoUsableCa { path } => Some(path),
            TlsConfigError::ClientCert { cert, .. } => Some(cert),
            TlsConfigError::Rustls(_) => None,
        }
    }
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::Read { role, path, source } => write!(
                f,
                "cannot read the TLS {role} {}: {source}; {HINT}",
                path.display()
            ),
            TlsConfigError::BadPem { role, path, detail } => write!(
                f,
                "the TLS {role} {} is not valid PEM ({detail}); {HINT}",
                path.display()
            ),
            TlsConfigError::NoCertificate { role, path } => write!(
                f,
                "the TLS {role} {} contains no PEM certificate (-----BEGIN CERTIFICATE-----); \
                 {HINT}",
                path.display()
            ),
            TlsConfigError::NoPrivateKey {
                path,
                encrypted: true,
            } => write!(
                f,
                "the TLS {KEY_FILE} {} holds an encrypted private key, which berth cannot \
                 use; decrypt it (openssl pkey -in KEY -out key.pem)",
                path.display()
            ),
            TlsConfigError::NoPrivateKey {
                path,
                encrypted: false,
            } => write!(
                f,
                "the TLS {KEY_FILE} {} contains no PEM private key (PKCS#1, PKCS#8 or SEC1); \
                 {HINT}",
                path.display()
            ),
            TlsConfigError::NoUsableCa { path } => write!(
                f,
                "the TLS {CA_FILE} {} contains no certificate usable as a CA; {HINT}",
                path.display()
            ),
            TlsConfigError::ClientCert { cert, key, detail } => write!(
                f,
                "the TLS client certificate {} and key {} cannot be used together: {detail}",
                cert.display(),
                key.display()
            ),
            TlsConfigError::Rustls(detail) => write!(f, "cannot configure TLS: {detail}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Builds the rustls client configuration for `settings`, reading the PEM files.
///
/// Uses the ring provider explicitly, so no process-wide default provider is needed.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
    let builder = if settings.verify {
        let roots = match &settings.ca {
            Some(ca) => load_roots(ca)?,
            None => webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect(),
        };
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert::new(&provider)))
    };
    let config = match &settings.client_cert {
        Some((cert, key)) => {
            let chain = load_certs(cert, CERT_FILE)?;
            let private_key = load_key(key)?;
            builder
                .with_client_auth_cert(chain, private_key)
                .map_err(|e| TlsConfigError::ClientCert {
                    cert: cert.clone(),
                    key: key.clone(),
                    detail: match e {
                        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                            "the private key does not belong to the certificate".to_owned()
                        }
                        e => e.to_string(),
                    },
                })?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Runs the TLS handshake over `tcp`, checking the certificate against `host` (a DNS
/// name or an IP address; an IPv6 address may be in brackets).
///
/// Handshake failures keep rustls' error as the source and say what to check.
pub async fn connect(
    tcp: TcpStream,
    cfg: Arc<ClientConfig>,
    host: &str,
) -> io::Result<TlsStream<TcpStream>> {
    let name = server_name(host)?;
    TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .map_err(|e| explain_handshake(host, e))
}

fn server_name(host: &str) -> io::Result<ServerName<'static>> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(bare.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("\"{host}\" cannot be checked against a TLS certificate: {e}"),
        )
    })
}

fn explain_handshake(host: &str, e: io::Error) -> io::Error {
    use rustls::{AlertDescription, CertificateError};

    let hint = match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            "the daemon's certificate is not signed by a trusted CA: check the CA file \
             (ca.pem in DOCKER_CERT_PATH), or turn verification off (DOCKER_TLS_VERIFY unset)"
        }
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => {
            "the daemon's certificate does not name this host: connect by a name or IP \
             address listed in its subjectAltName"
        }
        Some(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA,
        )) => {
            "the daemon refused the client certificate: give a cert.pem/key.pem signed by a CA \
             the daemon trusts (--tlscacert)"
        }
        _ => "check that the daemon speaks TLS on this port and the TLS settings",
    };
    io::Error::new(
        e.kind(),
        format!("TLS handshake with {host} failed: {e}; {hint}"),
    )
}

fn read_file(path: &Path, role: &'static str) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|source| TlsConfigError::Read {
        role,
        path: path.to_owned(),
        source,
    })
}

fn bad_pem(path: &Path, role: &'static str, e: &pem::Error) -> TlsConfigError {
    TlsConfigError::BadPem {
        role,
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

fn load_certs(
    path: &Path,
    role: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let bytes = read_file(path, role)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(path, role, &e))?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate {
            role,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn load_roots(path: &Path) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(load_certs(path, CA_FILE)?);
    if added == 0 {
        return Err(TlsConfigError::NoUsableCa {
            path: path.to_owned(),
        });
    }
    Ok(roots)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let bytes = read_file(path, KEY_FILE)?;
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(TlsConfigError::NoPrivateKey {
            path: path.to_owned(),
            encrypted: bytes.windows(9).any(|w| w == b"ENCRYPTED"),
        }),
        Err(e) => Err(bad_pem(path, KEY_FILE, &e)),
    }
}

/// docker-py's "TLS without verification": any certificate and name are accepted, but
/// the handshake signatures are still checked with the provider's algorithms.
#[derive(Debug)]
struct AcceptAnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnyServerCert {
    fn new(provider: &CryptoProvider) -> AcceptAnyServerCert {
        AcceptAnyServerCert {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests;
