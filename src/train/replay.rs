//! [`EpochReader`]: one worker's shard of the corpus, epoch after epoch, as sentences of
//! vocabulary ids.
//!
//! The first whole epoch reads the text: splits it into tokens and looks every token up in the
//! vocabulary (a hash-table probe whose cache misses were 5–6% of an epoch's time, more for a
//! gzip corpus, which each epoch would decompress again). While it does, it keeps the ids it
//! produces, when they fit the memory budget; every later epoch replays those ids instead of
//! reading the text again. The sentences, their order and the counters are exactly those of
//! the text, so training is bit-identical with and without the copy; only time and memory
//! differ (4 bytes per in-vocabulary token, plus one per sentence).
//!
//! Checkpoints store positions in the text ([`ShardPos`]), so that a run resumes whether or
//! not its ids were kept. During a replayed epoch the reader therefore keeps the text position
//! every [`MARK_EVERY`] ids, and [`EpochReader::position`] reads forward from the last one to
//! the sentence it stands at (a few thousand tokens of text, at a checkpoint only).

use crate::error::Result;
use crate::text::corpus::{Corpus, ReadStats, Shard, ShardPos};
use crate::text::vocab::Vocab;

/// Marks a sentence's end in the kept ids (no vocabulary is that large: [`EpochReader::new`]
/// keeps nothing otherwise).
const END: u32 = u32::MAX;

/// Ids between two saved text positions (few in tests, so that small corpora cross several).
const MARK_EVERY: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// A shard's ids for one whole epoch, sentence after sentence, each followed by [`END`].
struct Kept {
    ids: Vec<u32>,
    /// `(index in ids of a sentence's first id, the text position before that sentence)`,
    /// in order, the first at 0.
    marks: Vec<(usize, ShardPos)>,
    /// The counters of the whole epoch (set when it ends).
    stats: ReadStats,
    /// Most ids (and ends) this copy may hold.
    budget: usize,
}

impl Kept {
    fn new(budget: usize) -> Self {
        Kept {
            ids: Vec::new(),
            marks: Vec::new(),
            stats: ReadStats::default(),
            budget,
        }
    }

    /// Appends one sentence read from the text at `pos`; `false` (and nothing appended) when
    /// it would pass the budget or the memory is not there.
    fn push(&mut self, pos: ShardPos, sentence: &[u32]) -> bool {
        let need = sentence.len() + 1;
        if self.ids.len() + need > self.budget {
            return false;
        }
        if self.ids.capacity() - self.ids.len() < need {
            // Grows by doubling, never past the budget (a Vec's own growth could double it).
            let target = (self.ids.capacity() * 2)
                .max(1 << 16)
                .max(self.ids.len() + need)
                .min(self.budget);
            if self.ids.try_reserve_exact(target - self.ids.len()).is_err() {
                return false;
            }
        }
        let last_mark = self.marks.last().map(|m| m.0);
        if last_mark.is_none_or(|m| self.ids.len() - m >= MARK_EVERY) {
            self.marks.push((self.ids.len(), pos));
        }
        self.ids.extend_from_slice(sentence);
        self.ids.push(END);
        true
    }
}

/// Where the reader is in the current epoch.
enum Now {
    /// Reading the text; `kept`: its ids so far, when they are being kept (the epoch started
    /// at the shard's start, another follows, and the budget has held so far).
    Text { shard: Shard, kept: Option<Kept> },
    /// Replaying the ids a whole epoch kept, from index `at`.
    Replay { kept: Kept, at: usize },
}

/// One worker's shard, read as text in the first whole epoch and replayed from the ids kept
/// then in later ones (see the module docs).
pub(super) struct EpochReader {
    /// The shard's index and the number of shards.
    part: (usize, usize),
    now: Now,
    /// Longest sentence, in ids.
    max_len: usize,
    /// Most ids the copy may hold (0: none may be kept).
    budget: usize,
    /// A copy passed the budget: this shard reads its text every epoch.
    overflowed: bool,
}

impl EpochReader {
    /// Shard `part = (index, count)` of `corpus`, from its start or from `pos` (a checkpoint's),
    /// keeping at most `budget_bytes` of ids (0: read the text every epoch) when `more_epochs`
    /// follow this one (a last epoch keeps nothing: nothing would replay it).
    pub(super) fn new(
        corpus: &Corpus,
        part: (usize, usize),
        pos: Option<&ShardPos>,
        vocab: &Vocab,
        max_len: usize,
        (budget_bytes, more_epochs): (u64, bool),
    ) -> Result<Self> {
        let (index, count) = part;
        let fresh = corpus.shard(index, count)?;
        // A resumed epoch is kept only when it resumes at the shard's start.
        let (shard, whole) = match pos {
            Some(p) if *p != fresh.position() => (corpus.shard_at(index, count, p)?, false),
            _ => (fresh, true),
        };
        let budget = if vocab.len() < END as usize {
            usize::try_from(budget_bytes / 4).unwrap_or(usize::MAX)
        } else {
            0
        };
        let keeping = whole && more_epochs && budget > 0;
        Ok(EpochReader {
            part,
            now: Now::Text {
                shard,
                kept: keeping.then(|| Kept::new(budget)),
            },
            max_len,
            budget,
            overflowed: false,
        })
    }

    /// Reads the next sentence into `out` (as [`Shard::next_sentence`]); `false` at the end of
    /// the epoch.
    pub(super) fn next_sentence(&mut self, vocab: &Vocab, out: &mut Vec<u32>) -> Result<bool> {
        match &mut self.now {
            Now::Text { shard, kept } => {
                let pos = match kept {
                    Some(_) => shard.position(),
                    None => ShardPos::default(),
                };
                let more = shard.next_sentence(|w| vocab.id(w), self.max_len, out)?;
                if let Some(k) = kept {
                    if !more {
                        k.stats = shard.stats();
                    } else if !k.push(pos, out) {
                        // Over the budget: this shard reads its text every epoch.
                        *kept = None;
                        self.overflowed = true;
                    }
                }
                Ok(more)
            }
            Now::Replay { kept, at } => {
                out.clear();
                let rest = &kept.ids[*at..];
                let Some(end) = rest.iter().position(|&id| id == END) else {
                    return Ok(false);
                };
                out.extend_from_slice(&rest[..end]);
                *at += end + 1;
                Ok(true)
            }
        }
    }

    /// The counters of the epoch that has just ended.
    pub(super) fn stats(&self) -> ReadStats {
        match &self.now {
            Now::Text { shard, .. } => shard.stats(),
            Now::Replay { kept, .. } => kept.stats,
        }
    }

    /// Starts the next epoch: a replay when the last one kept every id, else the text again,
    /// kept when `more_epochs` follow it and no copy has passed the budget (an epoch resumed
    /// mid-shard kept nothing; the one after it does).
    pub(super) fn next_epoch(&mut self, corpus: &Corpus, more_epochs: bool) -> Result<()> {
        // A whole epoch's ids, when the one that ended kept (or replayed) them all.
        let complete = match &mut self.now {
            Now::Text { kept, .. } => kept.take(),
            Now::Replay { kept, .. } => Some(std::mem::replace(kept, Kept::new(0))),
        };
        self.now = match complete {
            Some(kept) => Now::Replay { kept, at: 0 },
            None => {
                let keeping = more_epochs && !self.overflowed && self.budget > 0;
                let (index, count) = self.part;
                Now::Text {
                    shard: corpus.shard(index, count)?,
                    kept: keeping.then(|| Kept::new(self.budget)),
                }
            }
        };
        Ok(())
    }

    /// Whether this epoch replays kept ids.
    #[cfg(test)]
    fn replaying(&self) -> bool {
        matches!(self.now, Now::Replay { .. })
    }

    /// Whether this epoch keeps the ids it reads.
    #[cfg(test)]
    fn keeping(&self) -> bool {
        matches!(self.now, Now::Text { kept: Some(_), .. })
    }

    /// Where the reader stands, as a position in the text (for a checkpoint): during a replay,
    /// found by reading the text forward from the last position kept before it.
    pub(super) fn position(&self, corpus: &Corpus, vocab: &Vocab) -> Result<ShardPos> {
        let (at, kept) = match &self.now {
            Now::Text { shard, .. } => return Ok(shard.position()),
            Now::Replay { kept, at } => (*at, kept),
        };
        let m = kept.marks.partition_point(|(start, _)| *start <= at);
        let Some((start, pos)) = m.checked_sub(1).map(|m| &kept.marks[m]) else {
            return Ok(ShardPos::default());
        };
        let sentences = kept.ids[*start..at].iter().filter(|&&id| id == END).count();
        let (index, count) = self.part;
        let mut shard = corpus.shard_at(index, count, pos)?;
        let mut buf = Vec::with_capacity(self.max_len);
        for _ in 0..sentences {
            shard.next_sentence(|w| vocab.id(w), self.max_len, &mut buf)?;
        }
        Ok(shard.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(dir: &tempfile::TempDir, text: &str) -> (Corpus, Vocab) {
        let p = dir.path().join("c.txt");
        std::fs::write(&p, text).unwrap();
        let c = Corpus::open(&p).unwrap();
        let (v, _) = Vocab::build(&c, 1, None).unwrap();
        (c, v)
    }

    fn text() -> String {
        let mut t = String::new();
        for i in 0..20_000 {
            t.push_str(&format!("w{} ", (i * 7919) % 301));
            if i % 17 == 0 {
                t.push('\n');
            }
        }
        t
    }

    fn epoch(r: &mut EpochReader, v: &Vocab) -> (Vec<Vec<u32>>, ReadStats) {
        let (mut out, mut all) = (Vec::new(), Vec::new());
        while r.next_sentence(v, &mut out).unwrap() {
            all.push(out.clone());
        }
        (all, r.stats())
    }

    #[test]
    fn replayed_epochs_equal_the_text() {
        let d = tempfile::tempdir().unwrap();
        let (c, v) = corpus(&d, &text());
        for budget in [0, 4 * 1_000, 1 << 30] {
            let mut r = EpochReader::new(&c, (1, 3), None, &v, 5, (budget, true)).unwrap();
            let first = epoch(&mut r, &v);
            assert!(!first.0.is_empty());
            for _ in 0..2 {
                r.next_epoch(&c, true).unwrap();
                assert_eq!(r.replaying(), budget == 1 << 30, "budget {budget}");
                assert_eq!(epoch(&mut r, &v), first);
            }
        }
    }

    #[test]
    fn positions_in_a_replay_are_those_of_the_text() {
        let d = tempfile::tempdir().unwrap();
        let (c, v) = corpus(&d, &text());
        let mut text_reader = c.shard(0, 2).unwrap();
        let mut r = EpochReader::new(&c, (0, 2), None, &v, 5, (1 << 30, true)).unwrap();
        epoch(&mut r, &v);
        r.next_epoch(&c, true).unwrap();
        assert!(r.replaying());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut n = 0;
        loop {
            assert_eq!(r.position(&c, &v).unwrap(), text_reader.position(), "{n}");
            let more = r.next_sentence(&v, &mut a).unwrap();
            assert_eq!(
                more,
                text_reader.next_sentence(|w| v.id(w), 5, &mut b).unwrap()
            );
            assert_eq!(a, b);
            if !more {
                break;
            }
            n += 1;
        }
        assert!(
            n > MARK_EVERY / 5,
            "the test must cross a mark: {n} sentences"
        );
        // A reader resumed there (mid-epoch) reads the same rest and keeps nothing; it keeps
        // the next epoch, which the one after replays.
        let mut r = EpochReader::new(&c, (0, 2), None, &v, 5, (1 << 30, true)).unwrap();
        for _ in 0..100 {
            r.next_sentence(&v, &mut a).unwrap();
        }
        let pos = r.position(&c, &v).unwrap();
        let mut resumed = EpochReader::new(&c, (0, 2), Some(&pos), &v, 5, (1 << 30, true)).unwrap();
        let rest = epoch(&mut r, &v);
        assert_eq!(epoch(&mut resumed, &v), rest);
        resumed.next_epoch(&c, true).unwrap();
        assert!(!resumed.replaying());
        let whole = epoch(&mut resumed, &v);
        resumed.next_epoch(&c, true).unwrap();
        assert!(resumed.replaying());
        assert_eq!(epoch(&mut resumed, &v), whole);
        // A last epoch keeps nothing.
        let mut last = EpochReader::new(&c, (0, 2), None, &v, 5, (1 << 30, false)).unwrap();
        assert!(!last.keeping());
        epoch(&mut last, &v);
        last.next_epoch(&c, false).unwrap();
        assert!(!last.replaying() && !last.keeping());
    }
}
