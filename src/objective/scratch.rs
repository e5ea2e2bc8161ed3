//! Thread-local buffers of the objectives, allocated once per worker so that the hot loop
//! never allocates, and the row gathers and scatters of a window.

use crate::objective::kernels::{LANES, axpy};
use crate::train::hogwild::Rows;
use crate::train::ring::RowRing;

/// Thread-local buffers, allocated once per worker so the hot loop never allocates.
pub struct Scratch {
    /// The hidden vector (skip-gram: the context word's input row; CBOW: the context mean).
    pub(crate) h: Vec<f32>,
    /// Accumulated input gradient (already multiplied by `lr`).
    pub(crate) grad: Vec<f32>,
    /// A scratch row (the full softmax's output rows).
    pub(crate) o: Vec<f32>,
    /// A copy of the target's output row.
    pub(crate) t: Vec<f32>,
    /// Output rows of the current prediction.
    pub(crate) block: Block,
    /// Scores of every word (full softmax only; empty otherwise).
    pub(crate) scores: Vec<f32>,
    /// Output rows of one Huffman path (hierarchical softmax only; empty otherwise).
    pub(crate) path: Vec<f32>,
    /// Buffers of one shared-negatives window (skip-gram with `shared_negatives` only; empty
    /// otherwise).
    pub(crate) window: Window,
    /// The input rows around the centre (CBOW, and skip-gram with shared negatives; sized by
    /// the first sentence).
    pub(crate) ring: RowRing,
}

/// The rows of one skip-gram window trained with shared negatives: the context words' input
/// rows (copied from the [`RowRing`]) and the centre's and negatives' output rows, with their
/// steps.
///
/// Each row occupies `stride` floats, `dim` rounded up to the kernels' vector width, the
/// padding zero: the step then runs on whole vectors, with no scalar tail loop (for dim 100,
/// 7 vector chunks instead of 6 and a 4-float tail per dot product and per weighted row sum).
#[derive(Default)]
pub struct Window {
    /// Floats per row in the buffers below.
    pub(crate) stride: usize,
    /// The [`RowRing`] entries of the context positions.
    pub(crate) ctx: Vec<u32>,
    /// Output row ids: the centre, then the negatives.
    pub(crate) out_ids: Vec<u32>,
    /// The next centre's output row ids, drawn (and their rows prefetched) one centre ahead.
    pub(crate) next_ids: Vec<u32>,
    /// For each output row, the index of the first occurrence of its id.
    pub(crate) out_slot: Vec<u32>,
    /// Copies of the output rows.
    pub(crate) u: Vec<f32>,
    /// Their steps.
    pub(crate) du: Vec<f32>,
    /// The `contexts × (1 + negatives)` step sizes.
    pub(crate) g: Vec<f32>,
}

impl Window {
    /// Room for windows of radius up to `window` with `negative` negatives.
    pub fn new(dim: usize, negative: usize, window: usize) -> Self {
        let (m, n) = (2 * window, 1 + negative);
        let stride = dim.next_multiple_of(LANES);
        Window {
            stride,
            ctx: Vec::with_capacity(m),
            out_ids: Vec::with_capacity(n),
            next_ids: Vec::with_capacity(n),
            out_slot: Vec::with_capacity(n),
            u: vec![0.0; n * stride],
            du: vec![0.0; n * stride],
            g: vec![0.0; m * n],
        }
    }
}

/// The output rows of the negatives of one prediction.
pub struct Block {
    /// Row ids of the negatives.
    pub(crate) ids: Vec<u32>,
    /// The next centre's negatives, drawn one centre ahead (CBOW).
    pub(crate) next: Vec<u32>,
    /// For each entry of `ids`, the index of its first occurrence.
    pub(crate) slot: Vec<u32>,
    /// Copies of the rows, `dim` floats per entry of `ids`.
    pub(crate) rows: Vec<f32>,
}

impl Block {
    /// Room for `negative` rows of length `dim`.
    pub fn new(dim: usize, negative: usize) -> Self {
        Block {
            ids: Vec::with_capacity(negative),
            next: Vec::with_capacity(negative),
            slot: Vec::with_capacity(negative),
            rows: vec![0.0; negative * dim],
        }
    }
}

impl Scratch {
    /// The same buffers with `window` for skip-gram's shared negatives.
    pub fn with_window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Buffers for vectors of length `dim`, `negative` negatives per prediction and, for the
    /// full softmax, `softmax_words` scores (0 otherwise).
    pub fn new(dim: usize, negative: usize, softmax_words: usize) -> Self {
        Scratch {
            h: vec![0.0; dim],
            grad: vec![0.0; dim],
            o: vec![0.0; dim],
            t: vec![0.0; dim],
            block: Block::new(dim, negative),
            scores: vec![0.0; softmax_words],
            path: Vec::new(),
            window: Window::default(),
            ring: RowRing::default(),
        }
    }
}

/// Copies the rows `ids` of `mat` into `rows`, row `j` at `rows[j·stride..]` (`stride ≥ dim`;
/// the floats past `dim` are left as they are), reading a repeated id once and copying it from
/// its first occurrence; `slot[j]` is that first occurrence.
#[inline]
pub(super) fn gather_rows<M: Rows>(
    mat: &M,
    ids: &[u32],
    slot: &mut Vec<u32>,
    rows: &mut [f32],
    stride: usize,
) {
    let dim = mat.dim();
    slot.clear();
    for (j, &id) in ids.iter().enumerate() {
        let first = ids[..j].iter().position(|&x| x == id).unwrap_or(j);
        slot.push(first as u32);
        let at = j * stride;
        if first == j {
            mat.read_row(id as usize, &mut rows[at..at + dim]);
        } else {
            rows.copy_within(first * stride..first * stride + dim, at);
        }
    }
}

/// Adds each step in `delta` to the first occurrence of its row in `rows` and stores the rows
/// back, once per distinct id (the inverse of [`gather_rows`], same layout).
#[inline]
pub(super) fn scatter_rows<M: Rows>(
    mat: &M,
    ids: &[u32],
    slot: &[u32],
    rows: &mut [f32],
    delta: &[f32],
    stride: usize,
) {
    let dim = mat.dim();
    for (j, &first) in slot.iter().enumerate() {
        let (f, at) = (first as usize * stride, j * stride);
        axpy(1.0, &delta[at..at + dim], &mut rows[f..f + dim]);
    }
    for (j, (&id, &first)) in ids.iter().zip(slot).enumerate() {
        if first as usize == j {
            mat.write_row(id as usize, &rows[j * stride..j * stride + dim]);
        }
    }
}
