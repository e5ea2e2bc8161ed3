//! The vocabulary: one counting pass, `--min-count`, `--max-vocab`, deterministic order.

use std::io::{BufRead, Write};
use std::path::Path;

use rustc_hash::FxHashMap;

use crate::corpus::{Corpus, ReadStats, Token};
use crate::error::{Error, Result};

/// Words kept for training, most frequent first (ties by word bytes, ascending).
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    words: Vec<Box<[u8]>>,
    counts: Vec<u64>,
    index: FxHashMap<Box<[u8]>, u32>,
}

/// What the counting pass saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VocabStats {
    /// Tokens read from the corpus.
    pub tokens: u64,
    /// Distinct word types seen (a lower bound when counting had to prune, see `pruned`).
    pub types: u64,
    /// Types dropped for occurring fewer than `--min-count` times.
    pub below_min_count: u64,
    /// Types dropped to respect `--max-vocab`.
    pub beyond_max_vocab: u64,
    /// Rare types evicted while counting to bound memory (only with `--max-vocab`).
    pub pruned: u64,
    /// Tokens skipped as too long.
    pub long_tokens: u64,
}

impl VocabStats {
    /// All word types dropped from the vocabulary.
    pub fn dropped(&self) -> u64 {
        self.below_min_count + self.beyond_max_vocab + self.pruned
    }
}

/// Counts words; with a cap, evicts the rarest entries whenever the table outgrows it (as
/// word2vec.c's `ReduceVocab` does), so memory stays bounded on any corpus.
#[derive(Debug)]
pub struct Counter {
    counts: FxHashMap<Box<[u8]>, u64>,
    cap: Option<usize>,
    evict_below: u64,
    pruned: u64,
}

impl Counter {
    /// A counter holding at most `cap` entries (unbounded with `None`).
    pub fn new(cap: Option<usize>) -> Self {
        Counter {
            counts: FxHashMap::default(),
            cap: cap.map(|c| c.max(1)),
            evict_below: 1,
            pruned: 0,
        }
    }

    /// Counts one occurrence of `word`.
    #[inline]
    pub fn add(&mut self, word: &[u8]) {
        if let Some(c) = self.counts.get_mut(word) {
            *c += 1;
            return;
        }
        self.counts.insert(word.into(), 1);
        if let Some(cap) = self.cap
            && self.counts.len() > cap
        {
            while self.counts.len() > cap / 2 {
                let before = self.counts.len();
                let t = self.evict_below;
                self.counts.retain(|_, c| *c > t);
                self.pruned += (before - self.counts.len()) as u64;
                self.evict_below += 1;
            }
        }
    }

    /// Keeps words with `count >= min_count`, ordered by count descending then bytes
    /// ascending, and at most `max_vocab` of them.
    pub fn finish(self, min_count: u64, max_vocab: Option<usize>) -> (Vocab, VocabStats) {
        let types = self.counts.len() as u64;
        let mut entries: Vec<(Box<[u8]>, u64)> = self
            .counts
            .into_iter()
            .filter(|&(_, c)| c >= min_count)
            .collect();
        let below = types - entries.len() as u64;
        entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut beyond = 0;
        if let Some(m) = max_vocab
            && entries.len() > m
        {
            beyond = (entries.len() - m) as u64;
            entries.truncate(m);
        }
        let stats = VocabStats {
            types: types + self.pruned,
            below_min_count: below,
            beyond_max_vocab: beyond,
            pruned: self.pruned,
            ..Default::default()
        };
        (Vocab::from_counts(entries), stats)
    }
}

impl Vocab {
    /// Builds a vocabulary from `(word, count)` pairs, kept in the given order.
    pub fn from_counts(entries: Vec<(Box<[u8]>, u64)>) -> Self {
        let mut v = Vocab {
            words: Vec::with_capacity(entries.len()),
            counts: Vec::with_capacity(entries.len()),
            index: FxHashMap::default(),
        };
        v.index.reserve(entries.len());
        for (w, c) in entries {
            let id = v.words.len() as u32;
            if v.index.insert(w.clone(), id).is_none() {
                v.words.push(w);
                v.counts.push(c);
            }
        }
        v
    }

    /// Counts the words of `corpus` in one pass and keeps those reaching `min_count`.
    ///
    /// With `max_vocab = Some(n)` counting holds at most `max(10n, 1M)` entries.
    pub fn build(
        corpus: &Corpus,
        min_count: u64,
        max_vocab: Option<usize>,
    ) -> Result<(Vocab, VocabStats)> {
        let cap = max_vocab.map(|n| n.saturating_mul(10).max(1 << 20));
        let mut counter = Counter::new(cap);
        let mut shard = corpus.whole()?;
        loop {
            match shard.next_token()? {
                Token::Word => counter.add(shard.word()),
                Token::EndOfSentence => {}
                Token::End => break,
            }
        }
        let ReadStats {
            tokens,
            long_tokens,
            ..
        } = shard.stats();
        if tokens == 0 {
            return Err(Error::EmptyCorpus(corpus.path().to_path_buf()));
        }
        let (vocab, mut stats) = counter.finish(min_count, max_vocab);
        stats.tokens = tokens;
        stats.long_tokens = long_tokens;
        if vocab.is_empty() {
            return Err(Error::EmptyVocab {
                path: corpus.path().to_path_buf(),
                min_count,
                tokens,
            });
        }
        Ok((vocab, stats))
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of `word`.
    #[inline]
    pub fn id(&self, word: &[u8]) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// The bytes of word `id`.
    pub fn word(&self, id: usize) -> &[u8] {
        &self.words[id]
    }

    /// All words, in id order.
    pub fn words(&self) -> &[Box<[u8]>] {
        &self.words
    }

    /// Corpus counts, in id order.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Sum of the counts: the number of training tokens in one epoch.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Writes `word count` per line (the format of word2vec.c's `-save-vocab`).
    pub fn write(&self, w: &mut impl Write) -> std::io::Result<()> {
        for (word, c) in self.words.iter().zip(&self.counts) {
            w.write_all(word)?;
            writeln!(w, " {c}")?;
        }
        Ok(())
    }

    /// Reads the format of [`Vocab::write`]; order is kept as in the file.
    pub fn read(r: impl BufRead, path: &Path) -> Result<Vocab> {
        let mut entries = vec![];
        for (i, line) in r.split(b'\n').enumerate() {
            let line = line.map_err(|e| Error::io("cannot read vocabulary", path, e))?;
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.is_empty() {
                continue;
            }
            let bad = || Error::Format {
                path: path.to_path_buf(),
                format: "vocabulary",
                reason: format!("line {}: expected `word count`", i + 1),
            };
            let sp = line.iter().rposition(|&b| b == b' ').ok_or_else(bad)?;
            let count = std::str::from_utf8(&line[sp + 1..])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(bad)?;
            entries.push((line[..sp].into(), count));
        }
        Ok(Vocab::from_counts(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(text: &str, min: u64, max: Option<usize>) -> (Vec<(String, u64)>, VocabStats) {
        let mut c = Counter::new(None);
        for w in text.split_whitespace() {
            c.add(w.as_bytes());
        }
        let (v, s) = c.finish(min, max);
        let list = v
            .words()
            .iter()
            .zip(v.counts())
            .map(|(w, &c)| (String::from_utf8(w.to_vec()).unwrap(), c))
            .collect();
        (list, s)
    }

    #[test]
    fn order_is_count_desc_then_bytes_asc() {
        let (v, s) = counted("b a c b a d d d e", 1, None);
        let names: Vec<_> = v.iter().map(|(w, c)| format!("{w}{c}")).collect();
        assert_eq!(names, ["d3", "a2", "b2", "c1", "e1"]);
        assert_eq!(s.types, 5);
        assert_eq!(s.dropped(), 0);
    }

    #[test]
    fn min_count_and_max_vocab_prune_and_report() {
        let (v, s) = counted("x x x y y z w w q", 2, Some(2));
        assert_eq!(v, [("x".to_string(), 3), ("w".to_string(), 2)]);
        assert_eq!(s.below_min_count, 2); // z, q
        assert_eq!(s.beyond_max_vocab, 1); // y
        assert_eq!(s.dropped(), 3);
    }

    #[test]
    fn bounded_counter_keeps_frequent_words() {
        let mut c = Counter::new(Some(100));
        for i in 0..100_000u32 {
            c.add(format!("rare{i}").as_bytes());
            c.add(b"common");
            if i % 2 == 0 {
                c.add(b"half");
            }
        }
        assert!(c.counts.len() <= 100);
        assert!(c.pruned > 99_000);
        let (v, _) = c.finish(1, Some(2));
        assert_eq!(v.word(0), b"common");
        assert_eq!(v.word(1), b"half");
        assert!(v.counts()[0] > 99_000);
    }

    #[test]
    fn vocab_file_round_trip_with_odd_bytes() {
        let v = Vocab::from_counts(vec![
            (b"caf\xc3\xa9".as_slice().into(), 9),
            (b"\xff\xfe".as_slice().into(), 3),
        ]);
        let mut buf = vec![];
        v.write(&mut buf).unwrap();
        let back = Vocab::read(&buf[..], Path::new("v")).unwrap();
        assert_eq!(back.words(), v.words());
        assert_eq!(back.counts(), v.counts());
        assert_eq!(back.id(b"\xff\xfe"), Some(1));
    }
}
