//! `test-ca DIR`: writes a test certificate authority (`ca.pem`) and a
//! server certificate and key it signed (`server.pem`, `server.key`) into
//! DIR, for the bindings tests of HTTPS with a district's own CA.

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: test-ca DIR");
        std::process::exit(2);
    };
    let written = paicha_scenarios::tls::district_ca().map_err(|e| e.to_string()).and_then(|ca| {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        for (name, text) in [("ca.pem", &ca.ca_pem), ("server.pem", &ca.cert_pem), ("server.key", &ca.key_pem)] {
            std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    });
    if let Err(e) = written {
        eprintln!("test-ca: {e}");
        std::process::exit(1);
    }
}
