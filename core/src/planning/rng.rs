//! The plan's random numbers: a counter-mode generator over SHA-256.
//!
//! A published plan must be checkable by anyone, in any language, for as long
//! as the plan is kept (R16). So the generator is not a library's PRNG (whose
//! output may change between versions) but a few lines written down in
//! docs/planning.md:
//!
//! - block `i` (i = 0, 1, 2, ...) is `SHA-256(utf8(seed) || 0x00 || u64_be(i))`;
//! - each block gives four u64 values, read big-endian from bytes 0..8, 8..16,
//!   16..24 and 24..32, in that order; the stream of draws is block 0's four
//!   values, then block 1's, and so on; no bytes are skipped;
//! - a uniform integer in `[0, n)` is drawn by rejection: let
//!   `limit = 2^64 - (2^64 mod n)`; draw `x` until `x < limit`; return
//!   `x mod n`. Every call draws at least once, even for `n = 1`.
//!
//! Test vectors (also in docs/planning.md and core/tests/golden_plan.rs):
//!
//! ```
//! use paicha_core::planning::rng::SeedStream;
//! let mut s = SeedStream::new("abc");
//! let first: Vec<u64> = (0..5).map(|_| s.next_u64()).collect();
//! assert_eq!(
//!     first,
//!     [0xaa6d11d09d940063, 0x80cda0a628045e79, 0x82484af82071927c, 0x469c96b389e0e2f8, 0x75b8a0b69b58b398]
//! );
//! let mut s = SeedStream::new("paicha-example");
//! let u: Vec<u64> = [1u64, 3, 2, 10, 1000]
//!     .iter()
//!     .filter_map(|n| std::num::NonZeroU64::new(*n))
//!     .map(|n| s.uniform(n))
//!     .collect();
//! assert_eq!(u, [0, 2, 1, 6, 853]);
//! ```

use sha2::{Digest, Sha256};
use std::num::NonZeroU64;

/// The deterministic random stream of one plan, derived from its published seed.
///
/// The same seed gives the same stream on every machine and in every version
/// of paicha: the stream is part of the published algorithm, not an
/// implementation detail.
#[derive(Debug, Clone)]
pub struct SeedStream {
    seed: Vec<u8>,
    counter: u64,
    block: [u64; 4],
    used: usize,
    draws: u64,
}

impl SeedStream {
    /// Starts the stream of `seed` (its UTF-8 bytes, exactly as given).
    pub fn new(seed: &str) -> SeedStream {
        SeedStream { seed: seed.as_bytes().to_vec(), counter: 0, block: [0; 4], used: 4, draws: 0 }
    }

    /// The next u64 of the stream.
    pub fn next_u64(&mut self) -> u64 {
        if self.used == 4 {
            self.block = block(&self.seed, self.counter);
            // 2^64 blocks cannot be used up by any plan; wrapping keeps this total.
            self.counter = self.counter.wrapping_add(1);
            self.used = 0;
        }
        let v = self.block[self.used];
        self.used += 1;
        self.draws += 1;
        v
    }

    /// A uniform integer in `[0, n)` without modulo bias (rejection sampling).
    ///
    /// `n` is non-zero by type, so there is no empty range to panic on.
    pub fn uniform(&mut self, n: NonZeroU64) -> u64 {
        let n = u128::from(n.get());
        let span = 1u128 << 64;
        let limit = span - span % n;
        loop {
            let x = u128::from(self.next_u64());
            if x < limit {
                // x < 2^64, so the remainder fits a u64.
                return u64::try_from(x % n).unwrap_or(0);
            }
        }
    }

    /// How many u64 values have been drawn so far (for tests and audits).
    pub fn draws(&self) -> u64 {
        self.draws
    }
}

/// Block `i` of the stream of `seed`, as four big-endian u64 values.
fn block(seed: &[u8], i: u64) -> [u64; 4] {
    let mut h = Sha256::new();
    h.update(seed);
    h.update([0u8]);
    h.update(i.to_be_bytes());
    let d = h.finalize();
    let mut out = [0u64; 4];
    for (k, chunk) in d.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        out[k] = u64::from_be_bytes(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u64) -> NonZeroU64 {
        NonZeroU64::new(n).unwrap()
    }

    #[test]
    fn block_zero_is_sha256_of_seed_nul_and_counter() {
        // SHA-256("abc" 00 00 00 00 00 00 00 00 00) computed independently of SeedStream.
        let mut h = Sha256::new();
        h.update(b"abc\0\0\0\0\0\0\0\0\0");
        let d = h.finalize();
        let mut s = SeedStream::new("abc");
        let first = s.next_u64();
        assert_eq!(first.to_be_bytes(), d[0..8]);
        assert_eq!(s.next_u64().to_be_bytes(), d[8..16]);
        assert_eq!(s.next_u64().to_be_bytes(), d[16..24]);
        assert_eq!(s.next_u64().to_be_bytes(), d[24..32]);
        // the fifth value comes from block 1
        let mut h = Sha256::new();
        h.update(b"abc\0\0\0\0\0\0\0\0\x01");
        assert_eq!(s.next_u64().to_be_bytes(), h.finalize()[0..8]);
        assert_eq!(s.draws(), 5);
    }

    #[test]
    fn uniform_of_one_draws_once_and_returns_zero() {
        let mut s = SeedStream::new("x");
        assert_eq!(s.uniform(nz(1)), 0);
        assert_eq!(s.draws(), 1);
    }

    #[test]
    fn uniform_stays_in_range() {
        let mut s = SeedStream::new("range");
        for n in [1u64, 2, 3, 7, 10, 1000, u64::MAX] {
            for _ in 0..50 {
                assert!(s.uniform(nz(n)) < n);
            }
        }
    }

    #[test]
    fn uniform_rejects_the_biased_tail() {
        // n = 2^63 + 1: limit = 2^63 + 1, so about half of all draws are
        // rejected; a value is returned only from an accepted draw.
        let n = (1u64 << 63) + 1;
        let mut s = SeedStream::new("reject");
        let mut copy = s.clone();
        let v = s.uniform(nz(n));
        let mut expected = None;
        while expected.is_none() {
            let x = copy.next_u64();
            if x <= (1u64 << 63) {
                expected = Some(x % n);
            }
        }
        assert_eq!(Some(v), expected);
        assert_eq!(s.draws(), copy.draws());
    }
}
