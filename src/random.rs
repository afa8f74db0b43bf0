//! A small source of randomness without another dependency: std's per-process random hash keys
//! seed a xorshift generator. Good enough for jitter and heredoc delimiters, not for cryptography.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// A fast pseudo-random generator (xorshift64*).
pub struct Random(u64);

impl Random {
    /// A generator seeded from the process's random hash keys and the time.
    pub fn from_entropy() -> Random {
        let mut hasher = RandomState::new().build_hasher();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        Random::seeded(hasher.finish())
    }

    /// A generator with a fixed seed, for reproducible tests.
    pub fn seeded(seed: u64) -> Random {
        Random(seed | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `[-1.0, 1.0]`.
    pub fn unit_signed(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// `bytes` random bytes as lowercase hex.
    pub fn hex(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes * 2);
        for _ in 0..bytes.div_ceil(8) {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(bytes * 2);
        out
    }
}
