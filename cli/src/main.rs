//! The `paicha` command line (being built).

fn main() {
    eprintln!("paicha: not built yet");
    std::process::exit(2);
}
