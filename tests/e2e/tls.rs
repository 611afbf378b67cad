//! TLS in front of the broker: a certificate authority made for the test,
//! and a TLS terminator that forwards to Tansu's plaintext port.
//!
//! Tansu 0.6 takes `--cert` and `--key` but serves plaintext whatever they
//! say, so the test puts a real TLS server (rustls) in front of it, as a
//! load balancer or a service mesh would in production. Tansu advertises the
//! terminator's address, so every connection a client makes goes through
//! TLS. With a client CA, the terminator requires and checks a client
//! certificate (mutual TLS).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A certificate authority and what it signed, as PEM files in a folder.
pub struct Pki {
    pub ca_pem: PathBuf,
    pub server_cert: CertificateDer<'static>,
    server_key: Vec<u8>,
    pub ca_der: CertificateDer<'static>,
    /// A client certificate and key signed by the CA, for mutual TLS.
    pub client_pem: PathBuf,
    pub client_key_pem: PathBuf,
}

impl Pki {
    /// A new CA named `name`, a server certificate for 127.0.0.1 and
    /// localhost, and a client certificate, written under `dir`.
    pub fn new(dir: &Path, name: &str) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let server_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        let server = server_params.signed_by(&server_key, &ca).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "earshot");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params.signed_by(&client_key, &ca).unwrap();

        let write = |file: &str, text: &str| {
            let p = dir.join(format!("{name}-{file}"));
            std::fs::write(&p, text).unwrap();
            p
        };
        Pki {
            ca_pem: write("ca.pem", &ca.pem()),
            ca_der: ca.der().clone(),
            server_cert: server.der().clone(),
            server_key: server_key.serialize_der(),
            client_pem: write("client.pem", &client.pem()),
            client_key_pem: write("client.key", &client_key.serialize_pem()),
        }
    }

    fn server_config(&self, client_ca: Option<&CertificateDer<'static>>) -> ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.clone()).unwrap();
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        builder
            .with_single_cert(vec![self.server_cert.clone()], key)
            .unwrap()
    }
}

/// A TLS terminator on a free port of 127.0.0.1, forwarding to `upstream`,
/// on its own runtime thread so blocking tests can use it.
pub struct Terminator {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Terminator {
    /// Serves `pki`'s server certificate; with `require_client_cert`, only
    /// clients with a certificate signed by the same CA get through.
    pub fn start(pki: &Pki, upstream: SocketAddr, require_client_cert: bool) -> Terminator {
        let config = pki.server_config(require_client_cert.then_some(&pki.ca_der));
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let serve = async {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            // A refused handshake (wrong CA, no client
                            // certificate) just ends the connection.
                            let Ok(mut tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let Ok(mut up) = TcpStream::connect(upstream).await else {
                                return;
                            };
                            let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stop_rx => {}
                }
            });
        });
        Terminator {
            addr,
            stop: Some(stop),
        }
    }
}

impl Drop for Terminator {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}
