#![no_main]

// src/http.rs is not part of the lib (which must stay paicha-core and std
// only); it finds the lib's fixture as `super::fuzz_bodies`.
use paicha_fuzz as fuzz_bodies;

#[allow(dead_code)]
#[path = "../src/http.rs"]
mod http;

libfuzzer_sys::fuzz_target!(|data: &[u8]| http::run_http_sync(data));
