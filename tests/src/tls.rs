//! A test certificate authority, like a district's own: a CA certificate
//! and a server certificate for 127.0.0.1 and localhost signed by it.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// PEM texts of a test CA and of a server certificate and key it signed.
pub struct DistrictCa {
    /// The CA's certificate: what tablets are told to trust.
    pub ca_pem: String,
    /// The server's certificate (`--tls-cert`).
    pub cert_pem: String,
    /// The server's private key (`--tls-key`).
    pub key_pem: String,
}

/// Makes a new CA and a server certificate signed by it.
pub fn district_ca() -> Result<DistrictCa, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Test District Emergency Management CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
    params.distinguished_name.push(DnType::CommonName, "paicha.district.example");
    let cert = params.signed_by(&key, &issuer)?;
    Ok(DistrictCa { ca_pem: ca_cert.pem(), cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}
