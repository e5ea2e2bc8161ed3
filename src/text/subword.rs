//! Character n-grams, as fastText computes them (`src/dictionary.cc`: `hash`,
//! `computeSubwords`), so that a word gets the same bucket rows in both tools.
//!
//! A word `w` is wrapped as `<w>`; its n-grams are the substrings of `minn..=maxn` UTF-8
//! characters (a continuation byte never starts one), except the single characters `<` and
//! `>` themselves; each is hashed with fastText's FNV-1a (which XORs each byte as a *signed*
//! char: bytes ≥ 0x80 are sign-extended, as every published fastText model was trained) and
//! taken modulo the number of buckets. The end-of-sentence token `</s>` has no n-grams.

/// fastText's end-of-sentence token, which has no n-grams.
pub const EOS: &[u8] = b"</s>";

/// fastText's FNV-1a variant: each byte XORed as a sign-extended `int8`.
pub fn fasttext_hash(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for &b in bytes {
        h ^= b as i8 as i32 as u32;
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// The n-gram settings of a subword model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NgramSpec {
    /// Shortest n-gram, in characters.
    pub minn: usize,
    /// Longest n-gram, in characters (0: no n-grams).
    pub maxn: usize,
    /// Hash buckets (rows shared by all n-grams).
    pub buckets: usize,
}

impl NgramSpec {
    /// Calls `f(ngram_bytes, bucket)` for each n-gram of `word` in fastText's order (by start
    /// character, then by length).
    pub fn for_each(&self, word: &[u8], mut f: impl FnMut(&[u8], u32)) {
        if word == EOS || self.maxn == 0 || self.buckets == 0 {
            return;
        }
        let mut w = Vec::with_capacity(word.len() + 2);
        w.push(b'<');
        w.extend_from_slice(word);
        w.push(b'>');
        let cont = |b: u8| b & 0xC0 == 0x80;
        for i in 0..w.len() {
            if cont(w[i]) {
                continue;
            }
            let (mut j, mut n) = (i, 1);
            while j < w.len() && n <= self.maxn {
                j += 1;
                while j < w.len() && cont(w[j]) {
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == w.len())) {
                    let gram = &w[i..j];
                    f(gram, fasttext_hash(gram) % self.buckets as u32);
                }
                n += 1;
            }
        }
    }

    /// The buckets of `word`'s n-grams, appended to `out` (fastText's order; repeats kept, as
    /// fastText keeps them).
    pub fn buckets_of(&self, word: &[u8], out: &mut Vec<u32>) {
        self.for_each(word, |_, b| out.push(b));
    }

    /// The n-grams of `word` as strings (for tests and inspection).
    pub fn ngrams(&self, word: &[u8]) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        self.for_each(word, |g, _| v.push(g.to_vec()));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: NgramSpec = NgramSpec {
        minn: 3,
        maxn: 6,
        buckets: 2_000_000,
    };

    #[test]
    fn ngrams_of_an_ascii_word_are_fasttexts() {
        let got: Vec<String> = SPEC
            .ngrams(b"where")
            .into_iter()
            .map(|g| String::from_utf8(g).unwrap())
            .collect();
        let want = [
            "<wh", "<whe", "<wher", "<where", "whe", "wher", "where", "where>", "her", "here",
            "here>", "ere", "ere>", "re>",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn ngrams_start_only_at_character_boundaries() {
        // Two-byte Cyrillic letters: every n-gram is whole characters.
        for g in SPEC.ngrams("мир".as_bytes()) {
            assert!(std::str::from_utf8(&g).is_ok());
        }
        assert_eq!(SPEC.ngrams("мир".as_bytes()).len(), 6);
        assert!(SPEC.ngrams(EOS).is_empty());
        let unigrams = NgramSpec {
            minn: 1,
            maxn: 1,
            ..SPEC
        };
        // `<` and `>` alone are not n-grams.
        assert_eq!(unigrams.ngrams(b"ab"), vec![b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn the_hash_sign_extends_bytes_above_0x7f() {
        assert_eq!(fasttext_hash(b""), 2_166_136_261);
        // FNV-1a of "a" (no high bytes: the standard value).
        assert_eq!(fasttext_hash(b"a"), 0xE40C_292C);
        // 0xC3 sign-extends to 0xFFFFFFC3, unlike the standard FNV-1a.
        let standard = (2_166_136_261u32 ^ 0xC3).wrapping_mul(16_777_619);
        assert_ne!(fasttext_hash(&[0xC3]), standard);
        let signed = (2_166_136_261u32 ^ 0xFFFF_FFC3).wrapping_mul(16_777_619);
        assert_eq!(fasttext_hash(&[0xC3]), signed);
    }
}
