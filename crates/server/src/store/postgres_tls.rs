//! PostgreSQL over TLS: the store URL's `sslmode` and `sslrootcert` (libpq's names and meanings),
//! taken off the URL before tokio-postgres reads the rest, and the rustls connector they ask for.
//!
//! - `disable`: in clear. `require`: encrypted, the certificate not checked (with `sslrootcert`,
//!   as libpq does, it is `verify-ca`). `verify-ca`: the chain checked against the roots, not the
//!   name. `verify-full`: the chain and the host name.
//! - The roots: `sslrootcert`'s PEM file, else the platform's (`rustls-native-certs`).
//! - A host that is not loopback (or a Unix socket) needs an `sslmode`: `disable` must be said.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;

/// libpq's `sslmode`, as far as this server speaks it (`allow` and `prefer` would fall back to clear
/// text without a word, so they are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, StoreError> {
        match s {
            "disable" => Ok(SslMode::Disable),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            _ => Err(unavailable(
                "store: sslmode must be disable, require, verify-ca or verify-full",
            )),
        }
    }
}

fn unavailable(message: &str) -> StoreError {
    StoreError::Unavailable(message.into())
}

/// What the store URL asks of TLS: `sslmode` (if given) and `sslrootcert`, and the URL without them.
#[derive(Debug)]
pub struct Asked {
    pub rest: String,
    pub mode: Option<SslMode>,
    pub root: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` off a `postgres://` URL's query. Errors never quote the URL
/// (it may hold a password).
pub fn split(url: &str) -> Result<Asked, StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(Asked {
            rest: url.to_string(),
            mode: None,
            root: None,
        });
    };
    let mut mode = None;
    let mut root = None;
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => root = Some(PathBuf::from(value.as_ref())),
            // tokio-postgres would read these as files of a client certificate it cannot use.
            "sslcert" | "sslkey" | "sslnegotiation" => {
                return Err(unavailable(&format!(
                    "store: {key} is not supported (the server authenticates by password)"
                )))
            }
            _ => {
                kept.append_pair(&key, &value);
                any = true;
            }
        }
    }
    let rest = if any {
        format!("{base}?{}", kept.finish())
    } else {
        base.to_string()
    };
    Ok(Asked { rest, mode, root })
}

/// Whether every host of `config` is this machine (a loopback address, `localhost`, a Unix socket).
fn all_local(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => true,
    }) && config.get_hostaddrs().iter().all(|ip| ip.is_loopback())
}

/// The mode in force: the URL's, else `disable` for a database on this machine; a remote one without
/// `sslmode` is refused.
pub fn mode_for(
    asked: Option<SslMode>,
    config: &tokio_postgres::Config,
) -> Result<SslMode, StoreError> {
    match asked {
        Some(m) => Ok(m),
        None if all_local(config) => Ok(SslMode::Disable),
        None => Err(unavailable(
            "store: the database is not on this machine, so its URL needs sslmode: add ?sslmode=verify-full (and &sslrootcert=/path/to/ca.pem for a private CA), require or verify-ca; or sslmode=disable to send everything in clear",
        )),
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The roots a certificate is checked against: `sslrootcert`'s, else the platform's.
fn roots(root: Option<&PathBuf>) -> Result<RootCertStore, StoreError> {
    let mut store = RootCertStore::empty();
    match root {
        Some(path) => {
            let shown = path.display();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| unavailable(&format!("store: sslrootcert {shown}: {e}")))?
                .collect::<Result<_, _>>()
                .map_err(|e| unavailable(&format!("store: sslrootcert {shown}: {e}")))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(unavailable(&format!(
                    "store: sslrootcert {shown} holds no certificate"
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(unavailable(
                    "store: no system root certificates found; give sslrootcert=/path/to/ca.pem",
                ));
            }
        }
    }
    Ok(store)
}

/// The connector for `mode`, and the tokio-postgres mode that goes with it.
pub fn connector(
    mode: SslMode,
    root: Option<&PathBuf>,
) -> Result<(tokio_postgres::config::SslMode, MakeRustlsConnect), StoreError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| unavailable(&format!("store: TLS: {e}")))?;
    let bad = |e: rustls::server::VerifierBuilderError| unavailable(&format!("store: TLS: {e}"));
    // libpq: `require` with a root certificate checks the chain, as `verify-ca`.
    let mode = match (mode, root) {
        (SslMode::Require, Some(_)) => SslMode::VerifyCa,
        (m, _) => m,
    };
    let config = match mode {
        SslMode::Disable => {
            let config = builder
                .with_root_certificates(RootCertStore::empty())
                .with_no_client_auth();
            return Ok((
                tokio_postgres::config::SslMode::Disable,
                MakeRustlsConnect::new(config),
            ));
        }
        SslMode::VerifyFull => builder
            .with_root_certificates(roots(root)?)
            .with_no_client_auth(),
        SslMode::VerifyCa => {
            let inner =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots(root)?), provider())
                    .build()
                    .map_err(bad)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
                .with_no_client_auth()
        }
        SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth(),
    };
    Ok((
        tokio_postgres::config::SslMode::Require,
        MakeRustlsConnect::new(config),
    ))
}

/// `verify-ca`: the chain to a root, any name.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `require`: encrypted, whoever answers (libpq's meaning); the handshake's signatures still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
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
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_come_off_the_url_and_the_rest_stays() {
        let a = split("postgres://u:pw@db.example:5432/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x")
            .expect("split");
        assert_eq!(a.mode, Some(SslMode::VerifyFull));
        assert_eq!(a.root, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            a.rest,
            "postgres://u:pw@db.example:5432/shop?application_name=x"
        );
        let plain = split("postgres://u@127.0.0.1/shop").expect("split");
        assert_eq!(
            (plain.mode, plain.rest.as_str()),
            (None, "postgres://u@127.0.0.1/shop")
        );
        for bad in ["prefer", "allow", "VERIFY-FULL", ""] {
            let e = split(&format!("postgres://u:secretpw@h/d?sslmode={bad}")).expect_err(bad);
            assert!(!e.to_string().contains("secretpw"), "{e}");
        }
        assert!(split("postgres://h/d?sslcert=/c.pem").is_err());
    }

    #[test]
    fn a_remote_host_needs_sslmode_and_this_machine_does_not() {
        let cfg = |url: &str| url.parse::<tokio_postgres::Config>().expect("url");
        for local in [
            "postgres://u@127.0.0.1/d",
            "postgres://u@localhost/d",
            "postgres://u@[::1]/d",
        ] {
            assert_eq!(mode_for(None, &cfg(local)).expect(local), SslMode::Disable);
        }
        for remote in ["postgres://u@db.internal/d", "postgres://u@10.0.0.5/d"] {
            let e = mode_for(None, &cfg(remote)).expect_err(remote).to_string();
            assert!(e.contains("sslmode"), "{e}");
            assert_eq!(
                mode_for(Some(SslMode::Disable), &cfg(remote)).expect("said"),
                SslMode::Disable
            );
        }
    }
}
