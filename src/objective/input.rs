//! The input side of the model: a word's input vector is its row of the input matrix or, in a
//! subword model (fastText's), the mean of its own row and the rows of its character n-grams.
//!
//! [`Input`] gives the objectives both through the same [`Rows`] calls, by word id: reading a
//! word's vector composes it from its rows, and a step added to the word's vector is added to
//! *each* of its rows, undivided — fastText's update (`Model::update` adds the hidden gradient
//! to every input row; only supervised models scale it by 1/rows). Since the vector is the
//! mean of the rows, adding the step `d` to each row moves the vector by exactly `d`: the
//! objectives (and the row ring, which keeps one private copy of each word's vector while it
//! is in the window) see a word vector that behaves like a plain row.
//!
//! While training, the bucket rows are not in fastText's order but in the order the
//! vocabulary first uses them (most frequent word first; [`SubwordIndex::stored_row`]): the
//! n-grams of the frequent words pack into a compact block that stays in cache, and the n-grams
//! a word shares with no more frequent word are adjacent rows, read in one burst, instead of
//! ~19 scattered misses per word in an 800 MB matrix. The trainer moves the rows into this
//! order once the matrix exists ([`SubwordIndex::to_training`]) and back before anything
//! leaves it ([`SubwordIndex::to_saved`]; checkpoints read through `stored_row`), so files,
//! checkpoints and every other reader see fastText's order.

use crate::text::subword::NgramSpec;
use crate::train::hogwild::Rows;

/// Each vocabulary word's input rows in a subword model: its own row (its id), then one row
/// per character n-gram (`words + bucket`, fastText's layout and order, repeats kept as
/// fastText keeps them). Built once, before training.
#[derive(Clone, Debug, Default)]
pub struct SubwordIndex {
    /// Word `w`'s rows are `rows[start[w]..start[w + 1]]` (training order).
    start: Vec<u32>,
    rows: Vec<u32>,
    /// The number of words: the rows before the first bucket.
    words: usize,
    /// Bucket `b`'s position among the bucket rows while training (a permutation of
    /// `0..buckets`: first use by the vocabulary, then the buckets no word uses).
    slot: Vec<u32>,
}

impl SubwordIndex {
    /// The rows of each of `words` (word `i` is row `i`; bucket `b` is row `words.len() + b`).
    /// Row numbers are in training order (see the module docs).
    pub fn new<W: AsRef<[u8]>>(words: &[W], spec: NgramSpec) -> Self {
        let skip = words.len() as u32;
        let mut start = Vec::with_capacity(words.len() + 1);
        let mut rows = Vec::with_capacity(words.len() * 16);
        let mut slot = vec![u32::MAX; spec.buckets];
        let mut used = 0u32;
        start.push(0);
        for (i, w) in words.iter().enumerate() {
            rows.push(i as u32);
            spec.for_each(w.as_ref(), |_, b| {
                let s = &mut slot[b as usize];
                if *s == u32::MAX {
                    *s = used;
                    used += 1;
                }
                rows.push(skip + *s);
            });
            start.push(rows.len() as u32);
        }
        for s in slot.iter_mut().filter(|s| **s == u32::MAX) {
            *s = used;
            used += 1;
        }
        SubwordIndex {
            start,
            rows,
            words: words.len(),
            slot,
        }
    }

    /// Where row `r` of the input matrix in fastText's order (words, then buckets) is while
    /// training.
    #[inline]
    pub fn stored_row(&self, r: usize) -> usize {
        match r.checked_sub(self.words) {
            Some(b) if b < self.slot.len() => self.words + self.slot[b] as usize,
            _ => r,
        }
    }

    /// Moves the bucket rows of `m` (words, then buckets, in fastText's order) into training
    /// order. Nothing else may use `m` meanwhile.
    pub fn to_training<M: Rows>(&self, m: &M) {
        self.permute(m, &self.slot);
    }

    /// Moves the bucket rows of `m` back from training order into fastText's. Nothing else may
    /// use `m` meanwhile.
    pub fn to_saved<M: Rows>(&self, m: &M) {
        let mut back = vec![0u32; self.slot.len()];
        for (b, &s) in self.slot.iter().enumerate() {
            back[s as usize] = b as u32;
        }
        self.permute(m, &back);
    }

    /// Bucket row `b` moves to bucket row `to[b]`, in place: one cycle of the permutation at a
    /// time, carrying the displaced row forward (two rows of scratch; O(buckets) moves).
    fn permute<M: Rows>(&self, m: &M, to: &[u32]) {
        let dim = m.dim();
        let (mut carry, mut displaced) = (vec![0.0; dim], vec![0.0; dim]);
        let mut done = vec![false; to.len()];
        for first in 0..to.len() {
            if done[first] || to[first] as usize == first {
                continue;
            }
            m.read_row(self.words + first, &mut carry);
            let mut at = first;
            loop {
                let next = to[at] as usize;
                m.read_row(self.words + next, &mut displaced);
                m.write_row(self.words + next, &carry);
                std::mem::swap(&mut carry, &mut displaced);
                done[next] = true;
                at = next;
                if next == first {
                    break;
                }
            }
        }
    }

    /// Word `w`'s rows: its own, then its n-grams'.
    #[inline]
    pub fn rows_of(&self, w: usize) -> &[u32] {
        &self.rows[self.start[w] as usize..self.start[w + 1] as usize]
    }

    /// The rows of every word, counted with repeats.
    pub fn total_rows(&self) -> usize {
        self.rows.len()
    }
}

/// The input matrix as the objectives reach it, by word id: `rows` itself, or, with
/// `subwords`, each word's vector composed from its rows (see the module docs).
pub struct Input<'a, M> {
    /// The input matrix: one row per word, then (subwords) one per bucket.
    pub rows: &'a M,
    /// Each word's rows, in a subword model.
    pub subwords: Option<&'a SubwordIndex>,
}

impl<M> Clone for Input<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M> Copy for Input<'_, M> {}

impl<'a, M: Rows> Input<'a, M> {
    /// The input matrix with one row per word.
    pub fn plain(rows: &'a M) -> Self {
        Input {
            rows,
            subwords: None,
        }
    }

    /// How many rows word `w`'s vector is the mean of (1 without subwords): fastText's CBOW
    /// averages the rows of all context words together, so a word weighs by its rows.
    #[inline]
    pub fn weight(&self, w: usize) -> f32 {
        self.subwords.map_or(1.0, |s| s.rows_of(w).len() as f32)
    }
}

impl<M: Rows> Rows for Input<'_, M> {
    #[inline(always)]
    fn dim(&self) -> usize {
        self.rows.dim()
    }

    /// Rows of the underlying matrix (words, then buckets).
    #[inline(always)]
    fn rows(&self) -> usize {
        self.rows.rows()
    }

    /// Word `r`'s vector: its row, or the mean of its rows.
    #[inline]
    fn read_row(&self, r: usize, out: &mut [f32]) {
        let Some(s) = self.subwords else {
            return self.rows.read_row(r, out);
        };
        let rows = s.rows_of(r);
        self.rows.read_row(rows[0] as usize, out);
        for &g in &rows[1..] {
            self.rows.add_row_into(g as usize, out);
        }
        if rows.len() > 1 {
            let inv = 1.0 / rows.len() as f32;
            out.iter_mut().for_each(|x| *x *= inv);
        }
    }

    /// Makes word `r`'s vector `src`: without subwords its row; with them, the difference is
    /// added to each of its rows (which moves their mean by exactly that difference).
    fn write_row(&self, r: usize, src: &[f32]) {
        let Some(s) = self.subwords else {
            return self.rows.write_row(r, src);
        };
        let mut now = vec![0.0; src.len()];
        self.read_row(r, &mut now);
        now.iter_mut().zip(src).for_each(|(n, x)| *n = x - *n);
        self.add_to_row(r, &now);
        debug_assert!(!s.rows_of(r).is_empty());
    }

    /// Adds `src` to word `r`'s vector: to its row, or to each of its rows.
    #[inline]
    fn add_to_row(&self, r: usize, src: &[f32]) {
        let Some(s) = self.subwords else {
            return self.rows.add_to_row(r, src);
        };
        for &g in s.rows_of(r) {
            self.rows.add_to_row(g as usize, src);
        }
    }

    /// `out += ` word `r`'s vector.
    fn add_row_into(&self, r: usize, out: &mut [f32]) {
        let mut v = vec![0.0; out.len()];
        self.read_row(r, &mut v);
        out.iter_mut().zip(&v).for_each(|(o, x)| *o += x);
    }

    #[inline]
    fn prefetch_row(&self, r: usize) {
        match self.subwords {
            None => self.rows.prefetch_row(r),
            Some(s) => {
                for &g in s.rows_of(r) {
                    self.rows.prefetch_row(g as usize);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::hogwild::SharedMatrix;

    fn spec() -> NgramSpec {
        NgramSpec {
            minn: 3,
            maxn: 4,
            buckets: 1009,
        }
    }

    #[test]
    fn a_word_vector_is_the_mean_of_its_rows_and_steps_reach_each_row() {
        let words = ["ab", "abc"];
        let idx = SubwordIndex::new(&words, spec());
        let rows = idx.rows_of(1).to_vec();
        assert_eq!(rows[0], 1);
        let mut grams = Vec::new();
        spec().buckets_of(b"abc", &mut grams);
        assert_eq!(
            rows[1..],
            grams
                .iter()
                .map(|&b| idx.stored_row(2 + b as usize) as u32)
                .collect::<Vec<_>>()[..]
        );
        let mut distinct = grams.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            grams.len(),
            "no two n-grams share a bucket here"
        );
        let dim = 2;
        let m = SharedMatrix::from_vec((0..1011 * dim).map(|i| i as f32 / 1024.0).collect(), dim);
        let input = Input {
            rows: &m,
            subwords: Some(&idx),
        };
        let mut v = [0.0; 2];
        input.read_row(1, &mut v);
        let mean = |m: &SharedMatrix, j: usize| {
            let mut r = [0.0; 2];
            rows.iter()
                .map(|&g| {
                    m.read_row(g as usize, &mut r);
                    r[j]
                })
                .sum::<f32>()
                / rows.len() as f32
        };
        assert!((v[0] - mean(&m, 0)).abs() < 1e-5 && (v[1] - mean(&m, 1)).abs() < 1e-5);
        assert_eq!(input.weight(1), rows.len() as f32);
        // A step to the word moves its vector by the step (each row gets it whole; a row that
        // two of a word's n-grams share would get it twice, as in fastText).
        input.add_to_row(1, &[1.0, -2.0]);
        let mut after = [0.0; 2];
        input.read_row(1, &mut after);
        assert!((after[0] - v[0] - 1.0).abs() < 1e-5 && (after[1] - v[1] + 2.0).abs() < 1e-5);
        let mut own = [0.0; 2];
        m.read_row(1, &mut own);
        assert_eq!(
            own,
            [2.0 / 1024.0 + 1.0, 3.0 / 1024.0 - 2.0],
            "the word's own row got the whole step"
        );
        input.write_row(1, &[10.0, 20.0]);
        input.read_row(1, &mut after);
        assert!((after[0] - 10.0).abs() < 1e-4 && (after[1] - 20.0).abs() < 1e-4);
        // Without subwords, a plain row.
        let plain = Input::plain(&m);
        plain.read_row(0, &mut v);
        assert_eq!(v, [0.0, 1.0 / 1024.0]);
        assert_eq!(plain.weight(0), 1.0);
    }

    #[test]
    fn buckets_train_in_first_use_order_and_go_back_to_fasttexts() {
        let words = ["abc", "abd", "xyz"];
        let idx = SubwordIndex::new(&words, spec());
        let buckets = spec().buckets;
        // First use: the first word's n-grams take the first bucket rows, in its order.
        let mut grams = Vec::new();
        spec().buckets_of(b"abc", &mut grams);
        let mut first = grams.clone();
        first.dedup();
        for (k, &b) in first.iter().enumerate() {
            assert_eq!(idx.stored_row(3 + b as usize), 3 + k);
        }
        assert_eq!(idx.stored_row(1), 1, "word rows stay where they are");
        let mut seen: Vec<usize> = (3..3 + buckets).map(|r| idx.stored_row(r)).collect();
        seen.sort_unstable();
        assert_eq!(seen, (3..3 + buckets).collect::<Vec<_>>(), "a permutation");
        // Moved into training order, row r is found at stored_row(r); moved back, in place.
        let dim = 3;
        let original: Vec<f32> = (0..(3 + buckets) * dim).map(|i| i as f32).collect();
        let m = SharedMatrix::from_vec(original.clone(), dim);
        idx.to_training(&m);
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        let o = SharedMatrix::from_vec(original.clone(), dim);
        for r in 0..3 + buckets {
            o.read_row(r, &mut a);
            m.read_row(idx.stored_row(r), &mut b);
            assert_eq!(a, b, "row {r}");
        }
        idx.to_saved(&m);
        assert_eq!(m.into_vec(), original);
    }
}
