//! HTTPS for the emulator: its own CA and a leaf certificate for `localhost`/`127.0.0.1`/`::1`
//! signed by it, because azure_identity (and rustls in general) refuse a self-signed leaf.
//! The CA's PEM is written to a private temporary directory so that clients can trust it
//! (`AZML_CA_FILE`, `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`).

use std::io;
use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

pub(crate) struct TlsMaterial {
    pub ca_path: PathBuf,
    dir: PathBuf,
    cert_pem: String,
    key_pem: String,
}

fn tls_err(e: rcgen::Error) -> io::Error {
    io::Error::other(format!(
        "cannot generate the emulator's TLS certificate: {e}"
    ))
}

impl TlsMaterial {
    pub(crate) fn generate(port: u16) -> io::Result<Self> {
        let ca_key = KeyPair::generate().map_err(tls_err)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "azml emulator local CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().map_err(tls_err)?;
        let mut leaf_params = CertificateParams::new(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])
        .map_err(tls_err)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).map_err(tls_err)?;

        let dir = std::env::temp_dir().join(format!(
            "azml-emulator-{}-{}-{}",
            std::process::id(),
            port,
            crate::ids::random_hex(4)
        ));
        std::fs::create_dir_all(&dir)?;
        let ca_path = dir.join("ca.pem");
        std::fs::write(&ca_path, ca_cert.pem())?;
        Ok(TlsMaterial {
            ca_path,
            dir,
            // The chain served: leaf then CA.
            cert_pem: format!("{}{}", leaf.pem(), ca_cert.pem()),
            key_pem: leaf_key.serialize_pem(),
        })
    }

    pub(crate) async fn rustls_config(&self) -> io::Result<axum_server::tls_rustls::RustlsConfig> {
        // ring is the one rustls provider compiled in (Cargo.toml says why); installing it
        // fails only when someone installed one before us, whose choice then stands.
        let _ = rustls::crypto::ring::default_provider().install_default();
        axum_server::tls_rustls::RustlsConfig::from_pem(
            self.cert_pem.clone().into_bytes(),
            self.key_pem.clone().into_bytes(),
        )
        .await
    }
}

impl Drop for TlsMaterial {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
