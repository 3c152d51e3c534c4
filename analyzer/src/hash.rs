//! The one stable hasher: FNV-1a, in the 64-bit width finding fingerprints use and the 128-bit
//! width cache keys and the rule-data fingerprint use.
//!
//! `std`'s hashers may change between Rust releases and are seeded per process; fingerprints are
//! compared across runs (baselines, merged fragments) and cache keys across releases, so both
//! need a hash whose value is fixed by its definition. Both widths share one loop; only the
//! offset basis and the prime differ, as the FNV specification publishes them.

use std::ops::BitXorAssign;

/// One FNV width: its offset basis, its prime and the multiplication that wraps at its size.
pub trait Width: Copy + BitXorAssign + From<u8> {
    /// The hash of the empty input.
    const OFFSET_BASIS: Self;
    /// Multiplies by the width's FNV prime, wrapping.
    fn times_prime(self) -> Self;
}

impl Width for u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    fn times_prime(self) -> u64 {
        self.wrapping_mul(0x0000_0100_0000_01b3)
    }
}

impl Width for u128 {
    const OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    fn times_prime(self) -> u128 {
        self.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b)
    }
}

/// FNV-1a of width `W`, fed in pieces.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a<W: Width>(W);

impl<W: Width> Default for Fnv1a<W> {
    fn default() -> Self {
        Fnv1a(W::OFFSET_BASIS)
    }
}

impl<W: Width> Fnv1a<W> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= W::from(*byte);
            self.0 = self.0.times_prime();
        }
    }

    /// Writes a length-prefixed piece, so that consecutive pieces cannot run into each other.
    pub fn piece(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }

    pub fn finish(&self) -> W {
        self.0
    }
}

/// The 128-bit hasher of cache keys, file contents and the rule-data fingerprint: wide enough
/// that a collision is not a practical concern (an entry stores its key material anyway).
pub type StableHasher = Fnv1a<u128>;

/// FNV-1a, 64 bits, of one text: the finding fingerprint.
pub fn fnv1a(text: &str) -> u64 {
    let mut hasher = Fnv1a::<u64>::new();
    hasher.write(text.as_bytes());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_widths_give_the_published_values() {
        // The empty input hashes to the offset basis; "a" and "foobar" are the FNV test vectors.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
        let mut wide = StableHasher::new();
        assert_eq!(wide.finish(), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        wide.write(b"a");
        assert_eq!(wide.finish(), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
    }

    #[test]
    fn pieces_do_not_run_into_each_other() {
        let mut one = StableHasher::new();
        one.piece(b"ab");
        one.piece(b"c");
        let mut two = StableHasher::new();
        two.piece(b"a");
        two.piece(b"bc");
        assert_ne!(one.finish(), two.finish());
    }

    #[test]
    fn writing_in_parts_equals_writing_at_once() {
        let mut parts = Fnv1a::<u64>::new();
        parts.write(b"foo");
        parts.write(b"bar");
        assert_eq!(parts.finish(), fnv1a("foobar"));
    }
}
