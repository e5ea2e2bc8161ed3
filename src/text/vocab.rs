//! The vocabulary: one counting pass, `--min-count`, `--max-vocab`, deterministic order.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::error::{Error, Result};
use crate::text::corpus::{Corpus, ReadStats, Token};

/// Words kept for training, most frequent first (ties by word bytes, ascending).
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    words: Vec<Box<[u8]>>,
    counts: Vec<u64>,
    /// The words' bytes once more, end to end in id order: a lookup reads the bytes it compares
    /// from here, not through `words`' pointers, and the most frequent words (the first ids,
    /// most lookups) share a few cache lines.
    arena: Vec<u8>,
    /// Where each id's bytes are in `arena`, hashed by the bytes.
    index: HashTable<Slot>,
}

/// One entry of [`Vocab`]'s index: an id and its bytes `arena[start..start + len]`.
#[derive(Clone, Copy, Debug)]
struct Slot {
    id: u32,
    len: u32,
    start: usize,
}

/// Whether two byte strings of the same length are equal: a short word (most are) is compared
/// inline, a byte at a time, rather than through a call to `memcmp` (which was a third of
/// the time of each lookup, and a lookup is made for every token of every epoch).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// What the counting pass saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
///
/// The words' bytes live in one arena and the table holds offsets into it: a few large
/// allocations instead of one small one per word type, so the memory is returned to the system
/// when counting ends (hundreds of thousands of small frees stay in the allocator's heap, and in
/// the process's resident size, for the rest of training).
#[derive(Debug)]
pub struct Counter {
    arena: Vec<u8>,
    table: HashTable<Entry>,
    cap: Option<usize>,
    evict_below: u64,
    pruned: u64,
}

/// One counted word: its bytes `arena[start..start + len]`, count and hash.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: usize,
    len: u32,
    count: u64,
    hash: u64,
}

fn hash_word(word: &[u8]) -> u64 {
    FxBuildHasher.hash_one(word)
}

impl Counter {
    /// A counter holding at most `cap` entries (unbounded with `None`).
    pub fn new(cap: Option<usize>) -> Self {
        Counter {
            arena: Vec::new(),
            table: HashTable::new(),
            cap: cap.map(|c| c.max(1)),
            evict_below: 1,
            pruned: 0,
        }
    }

    /// Distinct words held now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether nothing has been counted (or everything was evicted).
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Counts one occurrence of `word`.
    #[inline]
    pub fn add(&mut self, word: &[u8]) {
        self.add_n(word, 1);
    }

    /// Counts `n` occurrences of `word`.
    #[inline]
    pub fn add_n(&mut self, word: &[u8], n: u64) {
        let hash = hash_word(word);
        let arena = &self.arena;
        let found = self.table.find_mut(hash, |e| {
            e.hash == hash && &arena[e.start..e.start + e.len as usize] == word
        });
        if let Some(e) = found {
            e.count += n;
            return;
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(word);
        self.table.insert_unique(
            hash,
            Entry {
                start,
                len: word.len() as u32,
                count: n,
                hash,
            },
            |e| e.hash,
        );
        if let Some(cap) = self.cap
            && self.table.len() > cap
        {
            self.evict_to(cap / 2);
            self.compact();
        }
    }

    /// Evicts the rarest entries until at most `target` remain, and never fewer: whole tiers
    /// of equal count go while that leaves at least `target`; of the tier that would cross it,
    /// just enough go (in table order, which is deterministic for the same input). So a
    /// `--max-vocab n` run, whose cap is at least `10n`, always keeps at least `5n` candidates,
    /// even on a corpus where every word occurs equally often.
    fn evict_to(&mut self, target: usize) {
        while self.table.len() > target {
            let before = self.table.len();
            let t = self.evict_below;
            let tier = self.table.iter().filter(|e| e.count <= t).count();
            if before - tier >= target {
                self.table.retain(|e| e.count > t);
                self.evict_below += 1;
            } else {
                let mut excess = before - target;
                self.table.retain(|e| {
                    let drop = e.count <= t && excess > 0;
                    excess -= usize::from(drop);
                    !drop
                });
            }
            self.pruned += (before - self.table.len()) as u64;
        }
    }

    /// Rewrites the arena with only the words still in the table.
    fn compact(&mut self) {
        let mut arena = Vec::with_capacity(self.arena.len() / 2);
        for e in self.table.iter_mut() {
            let start = arena.len();
            arena.extend_from_slice(&self.arena[e.start..e.start + e.len as usize]);
            e.start = start;
        }
        self.arena = arena;
    }

    /// Adds every count of `other` (and the words its bound evicted).
    pub fn merge(&mut self, other: Counter) {
        self.pruned += other.pruned;
        for e in other.table.iter() {
            self.add_n(&other.arena[e.start..e.start + e.len as usize], e.count);
        }
    }

    /// The counts as bytes, for another process's [`Counter::add_encoded`]: per word its
    /// count (8 bytes), length (4 bytes, little-endian) and bytes; then the number of words
    /// evicted by the cap (8 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.arena.len() + 12 * self.table.len() + 8);
        for e in self.table.iter() {
            out.extend_from_slice(&e.count.to_le_bytes());
            out.extend_from_slice(&e.len.to_le_bytes());
            out.extend_from_slice(&self.arena[e.start..e.start + e.len as usize]);
        }
        out.extend_from_slice(&self.pruned.to_le_bytes());
        out
    }

    /// Adds the counts of [`Counter::encode`]'s `bytes`; `None` when they are malformed.
    pub fn add_encoded(&mut self, bytes: &[u8]) -> Option<()> {
        let (body, pruned) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        self.pruned += u64::from_le_bytes(pruned.try_into().ok()?);
        let mut rest = body;
        while !rest.is_empty() {
            let (count, r) = rest.split_at_checked(8)?;
            let (len, r) = r.split_at_checked(4)?;
            let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
            let (word, r) = r.split_at_checked(len)?;
            self.add_n(word, u64::from_le_bytes(count.try_into().ok()?));
            rest = r;
        }
        Some(())
    }

    /// Keeps words with `count >= min_count`, ordered by count descending then bytes
    /// ascending, and at most `max_vocab` of them.
    pub fn finish(self, min_count: u64, max_vocab: Option<usize>) -> (Vocab, VocabStats) {
        let types = self.table.len() as u64;
        let arena = &self.arena;
        let word = |e: &Entry| &arena[e.start..e.start + e.len as usize];
        let mut kept: Vec<Entry> = self
            .table
            .iter()
            .filter(|e| e.count >= min_count)
            .copied()
            .collect();
        let below = types - kept.len() as u64;
        kept.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| word(a).cmp(word(b))));
        let mut beyond = 0;
        if let Some(m) = max_vocab
            && kept.len() > m
        {
            beyond = (kept.len() - m) as u64;
            kept.truncate(m);
        }
        let stats = VocabStats {
            types: types + self.pruned,
            below_min_count: below,
            beyond_max_vocab: beyond,
            pruned: self.pruned,
            ..Default::default()
        };
        // Copy the kept words out and free the counting arena and table *before* the
        // vocabulary's own allocations: otherwise those land above the freed counting memory,
        // which then cannot be given back and stays in the resident size through training.
        let mut bytes = Vec::with_capacity(kept.iter().map(|e| e.len as usize).sum());
        let spans: Vec<(usize, u64)> = kept
            .iter()
            .map(|e| {
                bytes.extend_from_slice(word(e));
                (bytes.len(), e.count)
            })
            .collect();
        drop(kept);
        drop(self);
        let mut start = 0;
        let entries = spans
            .iter()
            .map(|&(end, count)| {
                let w: Box<[u8]> = bytes[start..end].into();
                start = end;
                (w, count)
            })
            .collect();
        (Vocab::from_counts(entries), stats)
    }
}

impl Vocab {
    /// Builds a vocabulary from `(word, count)` pairs, kept in the given order.
    pub fn from_counts(entries: Vec<(Box<[u8]>, u64)>) -> Self {
        let mut v = Vocab {
            words: Vec::with_capacity(entries.len()),
            counts: Vec::with_capacity(entries.len()),
            arena: Vec::with_capacity(entries.iter().map(|(w, _)| w.len()).sum()),
            index: HashTable::with_capacity(entries.len()),
        };
        for (w, c) in entries {
            if v.id(&w).is_some() {
                continue;
            }
            let slot = Slot {
                id: v.words.len() as u32,
                // A word of 4 GiB or more (only a vocabulary file could hold one) is never
                // found, and never read outside its bytes.
                len: u32::try_from(w.len()).unwrap_or(u32::MAX),
                start: v.arena.len(),
            };
            v.arena.extend_from_slice(&w);
            let arena = &v.arena;
            v.index.insert_unique(hash_word(&w), slot, |s| {
                hash_word(&arena[s.start..s.start + s.len as usize])
            });
            v.words.push(w);
            v.counts.push(c);
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
        Self::build_until(corpus, min_count, max_vocab, 1, &AtomicBool::new(false))
    }

    /// [`Vocab::build`] on `threads` threads, each counting one part of the corpus (the byte
    /// ranges of [`Corpus::shard`]) before the counts are summed, stopping with
    /// [`Error::Interrupted`] within a few thousand tokens of `stop` becoming true (Ctrl-C
    /// during the counting pass). The vocabulary is the same for every thread count.
    ///
    /// With `max_vocab` the count runs on one thread: the cap is there to bound counting
    /// memory, and one bounded counter per thread would multiply it (and prune each part by
    /// its own rare words, so that the vocabulary would depend on the thread count).
    pub fn build_until(
        corpus: &Corpus,
        min_count: u64,
        max_vocab: Option<usize>,
        threads: usize,
        stop: &AtomicBool,
    ) -> Result<(Vocab, VocabStats)> {
        let threads = if max_vocab.is_some() {
            1
        } else {
            threads.max(1)
        };
        let (counter, stats) = if threads == 1 {
            Self::count_part(corpus, 0, 1, max_vocab, stop)?
        } else {
            let parts: Vec<Result<(Counter, ReadStats)>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|i| {
                        scope.spawn(move || Self::count_part(corpus, i, threads, max_vocab, stop))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            let mut merged: Option<(Counter, ReadStats)> = None;
            for part in parts {
                let (counter, stats) = part?;
                match &mut merged {
                    None => merged = Some((counter, stats)),
                    Some((all, total)) => {
                        all.merge(counter);
                        total.tokens += stats.tokens;
                        total.long_tokens += stats.long_tokens;
                        total.oov += stats.oov;
                    }
                }
            }
            merged.expect("at least one part")
        };
        Self::from_counter(corpus, counter, stats, min_count, max_vocab)
    }

    /// Counts the words of part `index` of `count` of `corpus` (the byte ranges of
    /// [`Corpus::shard`]) into a counter bounded as [`Vocab::build`] says, stopping with
    /// [`Error::Interrupted`] soon after `stop` becomes true.
    pub fn count_part(
        corpus: &Corpus,
        index: usize,
        count: usize,
        max_vocab: Option<usize>,
        stop: &AtomicBool,
    ) -> Result<(Counter, ReadStats)> {
        /// Tokens counted between two looks at `stop` (a relaxed load: free at this rate).
        const CHECK_EVERY: u32 = 1 << 12;
        let mut counter = Counter::new(Self::counting_cap(max_vocab));
        let mut shard = corpus.shard(index, count)?;
        let mut until_check = 0u32;
        loop {
            if until_check == 0 {
                if stop.load(Relaxed) {
                    return Err(Error::Interrupted { checkpoint: None });
                }
                until_check = CHECK_EVERY;
            }
            until_check -= 1;
            match shard.next_token()? {
                Token::Word => counter.add(shard.word()),
                Token::EndOfSentence => {}
                Token::End => break,
            }
        }
        Ok((counter, shard.stats()))
    }

    /// The most entries a counter holds for `--max-vocab` (unbounded without it).
    pub fn counting_cap(max_vocab: Option<usize>) -> Option<usize> {
        max_vocab.map(|n| n.saturating_mul(10).max(1 << 20))
    }

    /// The vocabulary of a finished count of `corpus` (`stats`: what reading it saw).
    pub fn from_counter(
        corpus: &Corpus,
        counter: Counter,
        stats: ReadStats,
        min_count: u64,
        max_vocab: Option<usize>,
    ) -> Result<(Vocab, VocabStats)> {
        let ReadStats {
            tokens,
            long_tokens,
            ..
        } = stats;
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
        let arena = &self.arena;
        self.index
            .find(hash_word(word), |s| {
                s.len as usize == word.len()
                    && same_bytes(&arena[s.start..s.start + s.len as usize], word)
            })
            .map(|s| s.id)
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

    /// Reads a vocabulary file (`word count` per line, as [`Vocab::write`] and word2vec.c's
    /// `-save-vocab` write it) and selects from it as counting would: words with
    /// `count >= min_count`, most frequent first (ties by bytes), at most `max_vocab`. A word
    /// listed twice keeps its first count.
    pub fn load(path: &Path, min_count: u64, max_vocab: Option<usize>) -> Result<Vocab> {
        let file =
            std::fs::File::open(path).map_err(|e| Error::io("cannot open vocabulary", path, e))?;
        let v = Vocab::read(std::io::BufReader::new(file), path)?;
        let v = v.select(min_count, max_vocab);
        if v.is_empty() {
            return Err(Error::Format {
                path: path.to_path_buf(),
                format: "vocabulary",
                reason: format!("no word has a count of at least --min-count {min_count}"),
            });
        }
        Ok(v)
    }

    /// The words with `count >= min_count`, ordered by count descending then bytes ascending,
    /// at most `max_vocab` of them (the selection [`Counter::finish`] makes).
    pub fn select(self, min_count: u64, max_vocab: Option<usize>) -> Vocab {
        let mut entries: Vec<(Box<[u8]>, u64)> = self
            .words
            .into_iter()
            .zip(self.counts)
            .filter(|&(_, c)| c >= min_count)
            .collect();
        entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if let Some(m) = max_vocab {
            entries.truncate(m);
        }
        Vocab::from_counts(entries)
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

    proptest::proptest! {
        /// The arena-backed counter counts exactly what a plain map counts, in the vocabulary's
        /// order, and every word is found again by `id`.
        #[test]
        fn counter_matches_a_plain_map(
            tokens in proptest::collection::vec(proptest::collection::vec(0u8..6, 1..4), 0..300),
        ) {
            let mut c = Counter::new(None);
            let mut naive = std::collections::HashMap::<Vec<u8>, u64>::new();
            for t in &tokens {
                c.add(t);
                *naive.entry(t.clone()).or_default() += 1;
            }
            let mut expected: Vec<(Vec<u8>, u64)> = naive.into_iter().collect();
            expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let (v, stats) = c.finish(1, None);
            let got: Vec<(Vec<u8>, u64)> =
                (0..v.len()).map(|i| (v.word(i).to_vec(), v.counts()[i])).collect();
            proptest::prop_assert_eq!(&got, &expected);
            proptest::prop_assert_eq!(stats.types as usize, expected.len());
            for (i, (w, _)) in expected.iter().enumerate() {
                proptest::prop_assert_eq!(v.id(w), Some(i as u32));
            }
            proptest::prop_assert_eq!(v.id(b"absent"), None);
        }
    }

    #[test]
    fn counting_stops_when_asked() {
        // Ctrl-C during the counting pass was ignored until counting ended.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.txt");
        std::fs::write(&path, "a b c a b a\n".repeat(10_000)).unwrap();
        let corpus = Corpus::open(&path).unwrap();
        let stop = AtomicBool::new(true);
        let r = Vocab::build_until(&corpus, 1, None, 2, &stop);
        assert!(matches!(r, Err(Error::Interrupted { checkpoint: None })));
        stop.store(false, Relaxed);
        let (v, _) = Vocab::build_until(&corpus, 1, None, 2, &stop).unwrap();
        assert_eq!(v.len(), 3);
    }

    /// Counting in parts on several threads gives one thread's vocabulary, counts and
    /// statistics, from plain text and from gzip, with more threads than lines too.
    #[test]
    fn counting_on_threads_equals_one_thread() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for i in 0..3_000u32 {
            text.push_str(&format!(
                "w{} the w{} of {}\n",
                i % 97,
                i % 13,
                "x".repeat(i as usize % 7)
            ));
        }
        text.push_str(&"y".repeat(5_000)); // one token too long to count
        let plain = dir.path().join("c.txt");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.path().join("c.txt.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let short = dir.path().join("short.txt");
        std::fs::write(&short, "a b a\n").unwrap();
        let never = AtomicBool::new(false);
        for path in [&plain, &gz, &short] {
            let corpus = Corpus::open(path).unwrap();
            let (one, one_stats) = Vocab::build_until(&corpus, 2, None, 1, &never).unwrap();
            assert!(!one.is_empty());
            for threads in [2, 3, 8] {
                let (v, stats) = Vocab::build_until(&corpus, 2, None, threads, &never).unwrap();
                assert_eq!(v.words(), one.words(), "{threads} threads, {path:?}");
                assert_eq!(v.counts(), one.counts(), "{threads} threads, {path:?}");
                assert_eq!(
                    format!("{stats:?}"),
                    format!("{one_stats:?}"),
                    "{threads} threads, {path:?}"
                );
            }
        }
    }

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

    /// Every word is found under its own id and nothing else is found: words of one length
    /// that differ in one byte, a prefix of a word, words longer than the inline comparison,
    /// the empty word, bytes that are not UTF-8.
    #[test]
    fn lookups_find_exactly_the_words() {
        let long = "x".repeat(40);
        let mut words: Vec<Vec<u8>> = vec![
            b"cat".to_vec(),
            b"cab".to_vec(),
            b"ca".to_vec(),
            b"abcdefghijklmnop".to_vec(),
            b"abcdefghijklmnoq".to_vec(),
            long.clone().into_bytes(),
            b"\xff\xfe".to_vec(),
        ];
        words.extend((0..500).map(|i| format!("w{i}").into_bytes()));
        let v = Vocab::from_counts(
            words
                .iter()
                .map(|w| (w.clone().into_boxed_slice(), 1))
                .collect(),
        );
        for (i, w) in words.iter().enumerate() {
            assert_eq!(v.id(w), Some(i as u32), "{}", String::from_utf8_lossy(w));
            assert_eq!(v.word(i), &w[..]);
        }
        let mut longer = long.into_bytes();
        longer[39] = b'y';
        for absent in [
            &b"cas"[..],
            b"c",
            b"",
            b"abcdefghijklmnoz",
            &longer,
            b"w500",
            b"\xff",
        ] {
            assert_eq!(v.id(absent), None, "{}", String::from_utf8_lossy(absent));
        }
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
        assert!(c.len() <= 100);
        assert!(c.pruned > 99_000);
        let (v, _) = c.finish(1, Some(2));
        assert_eq!(v.word(0), b"common");
        assert_eq!(v.word(1), b"half");
        assert!(v.counts()[0] > 99_000);
    }

    #[test]
    fn bounded_counter_never_evicts_below_half_its_cap() {
        // Every word occurs exactly twice, back to back: evicting whole tiers (as word2vec.c's
        // ReduceVocab does) would empty the table at every overflow; partial tiers keep 50.
        let mut c = Counter::new(Some(100));
        for i in 0..10_000u32 {
            let w = format!("w{i}");
            c.add(w.as_bytes());
            c.add(w.as_bytes());
        }
        assert!(c.len() <= 100);
        let (v, s) = c.finish(2, Some(40));
        assert_eq!(v.len(), 40, "--max-vocab 40 gives exactly 40 words");
        assert!(v.counts().iter().all(|&n| n == 2));
        // Types held when counting ended: the kept, the cut and the below-min-count ones.
        assert_eq!(
            s.beyond_max_vocab + 40 + s.below_min_count,
            s.types - s.pruned
        );
    }

    #[test]
    fn select_orders_filters_and_caps_like_counting() {
        let v = Vocab::from_counts(vec![
            (b"b".as_slice().into(), 3),
            (b"rare".as_slice().into(), 1),
            (b"a".as_slice().into(), 3),
            (b"top".as_slice().into(), 9),
            (b"c".as_slice().into(), 2),
        ]);
        let s = v.select(2, Some(3));
        assert_eq!(
            s.words(),
            [
                b"top".as_slice().into(),
                b"a".as_slice().into(),
                b"b".as_slice().into()
            ]
        );
        assert_eq!(s.counts(), [9, 3, 3]);
        assert_eq!(s.id(b"b"), Some(2));
        assert_eq!(s.id(b"rare"), None);
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
