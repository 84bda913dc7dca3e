#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paicha_fuzz::run_wire_decode(data));
