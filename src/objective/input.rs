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

use crate::text::subword::NgramSpec;
use crate::train::hogwild::Rows;

/// Each vocabulary word's input rows in a subword model: its own row (its id), then one row
/// per character n-gram (`words + bucket`, fastText's layout and order, repeats kept as
/// fastText keeps them). Built once, before training.
#[derive(Clone, Debug, Default)]
pub struct SubwordIndex {
    /// Word `w`'s rows are `rows[start[w]..start[w + 1]]`.
    start: Vec<u32>,
    rows: Vec<u32>,
}

impl SubwordIndex {
    /// The rows of each of `words` (word `i` is row `i`; bucket `b` is row `words.len() + b`).
    pub fn new<W: AsRef<[u8]>>(words: &[W], spec: NgramSpec) -> Self {
        let skip = words.len() as u32;
        let mut start = Vec::with_capacity(words.len() + 1);
        let mut rows = Vec::with_capacity(words.len() * 16);
        start.push(0);
        for (i, w) in words.iter().enumerate() {
            rows.push(i as u32);
            spec.for_each(w.as_ref(), |_, b| rows.push(skip + b));
            start.push(rows.len() as u32);
        }
        SubwordIndex { start, rows }
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
            grams.iter().map(|b| 2 + b).collect::<Vec<_>>()[..]
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
}
