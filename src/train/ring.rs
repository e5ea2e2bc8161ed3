//! The input rows of the positions around a centre word, read once per position.
//!
//! Skip-gram with shared negatives and CBOW both slide a window over a sentence: every
//! position's input row is used by each centre within `window` of it, about six times with the
//! dynamic window. Reading the row from the shared matrix every time and adding every step
//! straight back costs six random reads and six read-modify-writes per position, through the
//! shared matrix's relaxed atomics (which the compiler does not vectorise). [`RowRing`] instead
//! reads a position's row once, when it enters the window, applies every step to that private
//! copy, and adds the sum of the steps (the copy minus the row as read) to the shared matrix
//! once, when it leaves: one read and one read-modify-write per position. (Skip-gram with
//! per-pair negatives, word2vec.c's order, and skip-gram with the other losses still read and
//! add a row per pair.)
//!
//! A word at several live positions shares one copy, so a step to one occurrence is seen by
//! the others and the copy carries the sum of their steps: on one thread this is exactly the
//! sequential update, up to float rounding. Across threads, a copy misses the other threads'
//! updates made while it is live, and they see its steps only when it is written back. A
//! frequent word recurring within every window would keep one copy live for a whole sentence,
//! so a copy older than `2·window + 1` positions is synchronised when another position of its
//! word enters (its steps added, the row read afresh): no copy goes unsynchronised for more than
//! about `4·window + 2` positions. The steps are always added, never stored over another
//! thread's update (`benchsuite/NOTES.md`, "Lost updates"; the ring's cost and effect: "Row ring").

use crate::train::hogwild::Rows;

/// Private copies of the input rows of the live positions of one sentence: a ring of positions
/// (at most `cap = 2·window + 1` are live at once), each pointing at an entry of a pool of
/// copies. Allocated once per worker; [`RowRing::centre_on`] and [`RowRing::finish`] never
/// allocate.
#[derive(Default)]
pub struct RowRing {
    /// Floats per row of the matrix.
    dim: usize,
    /// Floats per copy: `dim` rounded up as the caller's kernels want it; the padding is zero
    /// and stays zero as long as the steps' padding is.
    stride: usize,
    /// The window radius this ring was sized for.
    window: usize,
    /// `entry.len() − 1`: the ring's length is a power of two ≥ `2·window + 1`.
    mask: usize,
    /// Per ring position (`p & mask`): its pool entry.
    entry: Vec<u32>,
    /// Per pool entry: the word id.
    id: Vec<u32>,
    /// Per pool entry: how many live positions use it (0: free).
    refs: Vec<u32>,
    /// Per pool entry: the position at which its row was last read.
    born: Vec<usize>,
    /// Free pool entries.
    free: Vec<u32>,
    /// Per pool entry: the row with this thread's steps applied (`stride` floats).
    rows: Vec<f32>,
    /// Per pool entry: the row as it was read (`stride` floats).
    orig: Vec<f32>,
    /// The steps of one entry, `dim` floats.
    delta: Vec<f32>,
    /// The first live position.
    lo: usize,
    /// The next position to load.
    next: usize,
}

impl RowRing {
    /// Room for the positions within `window` of a centre, rows of `dim` floats kept in
    /// `stride ≥ dim` floats each.
    pub fn new(dim: usize, stride: usize, window: usize) -> Self {
        assert!(stride >= dim, "stride {stride} < dim {dim}");
        let cap = 2 * window + 1;
        let len = cap.next_power_of_two();
        RowRing {
            dim,
            stride,
            window,
            mask: len - 1,
            entry: vec![0; len],
            id: vec![0; cap],
            refs: vec![0; cap],
            born: vec![0; cap],
            free: (0..cap as u32).rev().collect(),
            rows: vec![0.0; cap * stride],
            orig: vec![0.0; cap * stride],
            delta: vec![0.0; dim],
            lo: 0,
            next: 0,
        }
    }

    /// Whether this ring was sized for these rows and this window.
    pub fn fits(&self, dim: usize, stride: usize, window: usize) -> bool {
        (self.dim, self.stride, self.window) == (dim, stride, window)
    }

    /// Makes positions `i − window ..= i + window` of `sentence` live (the ones before are
    /// released, adding their steps to `input`) and starts loading the row that enters next.
    /// Call with `i = 0, 1, 2, …` (each once, in order) for one sentence, then
    /// [`RowRing::finish`]; `i = 0` also finishes a sentence left unfinished.
    #[inline]
    pub fn centre_on<M: Rows>(&mut self, i: usize, sentence: &[u32], input: &M) {
        if i == 0 {
            self.finish(input);
            (self.lo, self.next) = (0, 0);
        }
        while self.lo + self.window < i {
            self.release(self.lo, input);
            self.lo += 1;
        }
        let end = (i + self.window + 1).min(sentence.len());
        while self.next < end {
            self.acquire(self.next, sentence[self.next], input);
            self.next += 1;
        }
        if let Some(&w) = sentence.get(self.next) {
            input.prefetch_row(w as usize);
        }
    }

    /// Releases every live position, adding the remaining steps to `input`.
    pub fn finish<M: Rows>(&mut self, input: &M) {
        while self.lo < self.next {
            self.release(self.lo, input);
            self.lo += 1;
        }
    }

    /// Position `p` (word `id`) enters: it shares the entry of a live position with the same
    /// word (synchronising the entry first if it was read more than `2·window` positions ago),
    /// or its row is read from `input` into a free entry.
    #[inline]
    fn acquire<M: Rows>(&mut self, p: usize, id: u32, input: &M) {
        let live = (0..self.refs.len()).find(|&e| self.refs[e] != 0 && self.id[e] == id);
        let e = match live {
            Some(e) => {
                if p - self.born[e] > 2 * self.window {
                    self.write_back(e, input);
                    self.read(e, p, input);
                }
                e
            }
            None => {
                // At most 2·window + 1 positions are live, one per pool entry at most.
                let e = self.free.pop().expect("a free pool entry") as usize;
                self.id[e] = id;
                self.read(e, p, input);
                e
            }
        };
        self.refs[e] += 1;
        self.entry[p & self.mask] = e as u32;
    }

    /// Reads entry `e`'s row from `input` into its copy and its original, at position `p`.
    #[inline]
    fn read<M: Rows>(&mut self, e: usize, p: usize, input: &M) {
        let (d, at) = (self.dim, e * self.stride);
        input.read_row(self.id[e] as usize, &mut self.rows[at..at + d]);
        self.orig[at..at + d].copy_from_slice(&self.rows[at..at + d]);
        self.born[e] = p;
    }

    /// Adds entry `e`'s steps (its copy minus its original) to `input`.
    #[inline]
    fn write_back<M: Rows>(&mut self, e: usize, input: &M) {
        let at = e * self.stride;
        let (rows, orig) = (&self.rows[at..], &self.orig[at..]);
        for ((d, &r), &o) in self.delta.iter_mut().zip(rows).zip(orig) {
            *d = r - o;
        }
        input.add_to_row(self.id[e] as usize, &self.delta);
    }

    /// Position `p` leaves: once no live position uses its entry, the entry's steps are
    /// added to `input` and the entry is freed.
    #[inline]
    fn release<M: Rows>(&mut self, p: usize, input: &M) {
        let e = self.entry[p & self.mask] as usize;
        self.refs[e] -= 1;
        if self.refs[e] == 0 {
            self.write_back(e, input);
            self.free.push(e as u32);
        }
    }

    /// The pool entry of live position `p`: its row is [`RowRing::entry_row`] of it, and
    /// `pool_mut()[entry · stride..][..stride]`.
    #[inline]
    pub fn entry(&self, p: usize) -> u32 {
        self.entry[p & self.mask]
    }

    /// The copies of every pool entry, `stride` floats each (to step several in place).
    #[inline]
    pub fn pool_mut(&mut self) -> &mut [f32] {
        &mut self.rows
    }

    /// The copy of pool entry `e`'s row (`stride` floats).
    #[inline]
    pub fn entry_row(&self, e: u32) -> &[f32] {
        let at = e as usize * self.stride;
        &self.rows[at..at + self.stride]
    }

    /// The copy of pool entry `e`'s row (`stride` floats), to add a step to.
    #[inline]
    pub fn entry_row_mut(&mut self, e: u32) -> &mut [f32] {
        let at = e as usize * self.stride;
        &mut self.rows[at..at + self.stride]
    }

    /// The copy of live position `p`'s row (`stride` floats).
    #[inline]
    pub fn row(&self, p: usize) -> &[f32] {
        self.entry_row(self.entry(p))
    }

    /// The copy of live position `p`'s row (`stride` floats), to add a step to.
    #[inline]
    pub fn row_mut(&mut self, p: usize) -> &mut [f32] {
        self.entry_row_mut(self.entry(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::hogwild::SharedMatrix;

    /// Every position is loaded once per entry, a repeated word shares its copy, and the
    /// steps reach the matrix exactly once, when the last position using them leaves.
    #[test]
    fn steps_reach_the_matrix_once_when_the_word_leaves() {
        let dim = 3;
        let m = SharedMatrix::from_vec((0..4 * dim).map(|i| i as f32).collect(), dim);
        let mut ring = RowRing::new(dim, 4, 1);
        let sentence = [1u32, 2, 1, 3];
        ring.centre_on(0, &sentence, &m);
        assert_eq!(ring.row(0), [3.0, 4.0, 5.0, 0.0]);
        ring.row_mut(0)[0] += 10.0;
        ring.centre_on(1, &sentence, &m);
        // Position 2 is word 1 again: it shares position 0's copy, step included.
        assert_eq!(ring.row(2), [13.0, 4.0, 5.0, 0.0]);
        ring.row_mut(2)[1] += 100.0;
        assert_eq!(ring.row(0), [13.0, 104.0, 5.0, 0.0]);
        // Nothing has reached the matrix yet.
        assert_eq!(m.into_vec()[dim..2 * dim], [3.0, 4.0, 5.0]);
        let m = SharedMatrix::from_vec((0..4 * dim).map(|i| i as f32).collect(), dim);
        let mut ring = RowRing::new(dim, 4, 1);
        for i in 0..sentence.len() {
            ring.centre_on(i, &sentence, &m);
            ring.row_mut(i)[2] += 1.0;
        }
        // Another thread's update meanwhile survives: steps are added, not stored over it.
        m.add_to_row(3, &[0.5; 3]);
        ring.finish(&m);
        let v = m.into_vec();
        assert_eq!(v[..dim], [0.0, 1.0, 2.0], "word 0 never occurs");
        assert_eq!(v[dim..2 * dim], [3.0, 4.0, 7.0], "word 1: both steps");
        assert_eq!(v[2 * dim..3 * dim], [6.0, 7.0, 9.0]);
        assert_eq!(v[3 * dim..], [9.5, 10.5, 12.5]);
    }

    /// A word in every window keeps one copy live for the whole sentence, but the copy is
    /// synchronised: its steps reach the matrix and another thread's update reaches the copy
    /// once a position of the word enters more than `2·window` positions after the last read.
    #[test]
    fn a_word_in_every_window_is_synchronised() {
        let dim = 2;
        let m = SharedMatrix::from_vec(vec![0.0; 2 * dim], dim);
        let mut ring = RowRing::new(dim, dim, 1);
        let sentence = [1u32; 20];
        ring.centre_on(0, &sentence, &m);
        ring.row_mut(0)[0] += 1.0;
        m.add_to_row(1, &[0.0, 5.0]); // another thread
        let mut row = [0.0; 2];
        ring.centre_on(1, &sentence, &m);
        assert_eq!(ring.row(2), [1.0, 0.0], "read 2 positions ago: not yet");
        m.read_row(1, &mut row);
        assert_eq!(row, [0.0, 5.0]);
        ring.centre_on(2, &sentence, &m);
        assert_eq!(
            ring.row(3),
            [1.0, 5.0],
            "read 3 positions ago: synchronised"
        );
        m.read_row(1, &mut row);
        assert_eq!(row, [1.0, 5.0]);
        ring.row_mut(3)[1] += 1.0;
        ring.finish(&m);
        m.read_row(1, &mut row);
        assert_eq!(row, [1.0, 6.0], "every step exactly once");
    }
}
