//! What encryption at rest costs on the tablet, against an unencrypted
//! store in the same process (docs/performance.md). Prints one line per
//! figure, `name value unit`:
//!
//! ```sh
//! cargo bench -p paicha-store --bench encryption          # 300 reports each
//! cargo bench -p paicha-store --bench encryption -- 1000  # another count
//! ```
//!
//! The two stores take turns, report by report, so a noisy neighbour slows
//! both alike; medians throughout.

use paicha_core::demo;
use paicha_core::photo::PhotoRole;
use paicha_core::time::Timestamp;
use paicha_store::{Error, NewHazard, Store, StoreKey};
use std::path::Path;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn report(store: &Store, i: usize, photo: &Path) -> Result<f64, Error> {
    let p = store.import_photo(photo, PhotoRole::Before, None, None)?;
    let t = Instant::now();
    store.report_hazard(
        "insp-wang",
        NewHazard {
            enterprise: demo::credit_code(1),
            location: format!("车间{}", i % 17),
            description: Some(format!("隐患描述 {i}：除尘系统未设置泄爆装置")),
            before_photos: vec![p],
            co_inspectors: vec!["insp-li".into()],
            ..NewHazard::default()
        },
        Timestamp::now(),
    )?;
    Ok(ms(t))
}

fn run(dir: &Path, n: usize) -> Result<(), Error> {
    let key = StoreKey::generate();
    let plain = Store::create(&dir.join("plain"), "bench-plain")?;
    let sealed = Store::create_encrypted(&dir.join("sealed"), "bench-sealed", &key)?;
    for s in [&plain, &sealed] {
        s.seed_demo_district()?;
    }
    let photo = dir.join("photo.jpg");
    let mut bytes = b"\xFF\xD8\xFF\xE0".to_vec();
    bytes.extend((0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&photo, &bytes).map_err(|e| Error::Io { path: photo.clone(), source: e })?;
    let (mut rp, mut rs) = (vec![], vec![]);
    for i in 0..n {
        rp.push(report(&plain, i, &photo)?);
        rs.push(report(&sealed, i, &photo)?);
    }
    let (p, s) = (median(rp), median(rs));
    println!("report_hazard_plain_median {p:.3} ms");
    println!("report_hazard_encrypted_median {s:.3} ms");
    println!("report_hazard_encrypted_ratio {:.2} x", s / p);

    // A 1 MB photo: import (hash, seal, write, fsync) and read back (open, check).
    let (mut ip, mut is, mut bp, mut bs) = (vec![], vec![], vec![], vec![]);
    for i in 0..21u32 {
        let mut b = bytes.clone();
        b.extend_from_slice(&i.to_le_bytes());
        std::fs::write(&photo, &b).map_err(|e| Error::Io { path: photo.clone(), source: e })?;
        for (store, import, read) in [(&plain, &mut ip, &mut bp), (&sealed, &mut is, &mut bs)] {
            let t = Instant::now();
            let r = store.import_photo(&photo, PhotoRole::Before, None, None)?;
            import.push(ms(t));
            let t = Instant::now();
            store.photo_bytes(&r.sha256)?;
            read.push(ms(t));
        }
    }
    println!("photo_1mb_import_plain_median {:.2} ms", median(ip));
    println!("photo_1mb_import_encrypted_median {:.2} ms", median(is));
    println!("photo_1mb_read_plain_median {:.2} ms", median(bp));
    println!("photo_1mb_read_encrypted_median {:.2} ms", median(bs));

    // Opening: the key check, the key, quick_check and the schema check.
    drop(plain);
    drop(sealed);
    let (mut op, mut os) = (vec![], vec![]);
    for _ in 0..11 {
        let t = Instant::now();
        drop(Store::open(&dir.join("plain"))?);
        op.push(ms(t));
        let t = Instant::now();
        drop(Store::open_encrypted(&dir.join("sealed"), &key)?);
        os.push(ms(t));
    }
    println!("open_plain_median {:.2} ms", median(op));
    println!("open_encrypted_median {:.2} ms", median(os));
    Ok(())
}

fn main() {
    let n = std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok()).unwrap_or(300);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no temp dir: {e}");
            std::process::exit(1);
        }
    };
    println!("reports {n} per_store");
    if let Err(e) = run(dir.path(), n) {
        eprintln!("encryption bench failed: {e}");
        std::process::exit(1);
    }
}
