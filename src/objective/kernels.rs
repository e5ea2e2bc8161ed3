//! Numeric kernels on plain `f32` slices: dot, axpy and the fused logistic step.
//!
//! The bodies are written over 16-lane chunks with independent accumulators so that LLVM
//! vectorises them, and each public kernel is compiled three times (AVX-512, AVX2+FMA, and the
//! portable baseline) by `multiversion`, which picks the best one for the running CPU once, at
//! the first call. No build flag ties the binary to the build machine.
//!
//! `matmul_transposed` (crate-private) is the one matrix product (queries against the
//! vocabulary), a checked wrapper around `matrixmultiply`'s `sgemm`, which also picks its
//! kernel at run time.
#![allow(unsafe_code)] // multiversion's generated dispatch, and the one `sgemm` call below

use multiversion::multiversion;

use crate::config::PositiveSteps;

/// Floats per vector chunk of the kernels (one AVX-512 register, two AVX2 registers).
pub const LANES: usize = 16;

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, cb) = (a[..n].chunks_exact(LANES), b[..n].chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    // One 16-lane accumulator, updated as a whole array: one zmm (or two ymm) multiply and
    // add per chunk. The lanes are then summed pairwise, which halves the dependency chain of
    // an in-order sum; but written directly, that tree makes LLVM's SLP vectoriser split the
    // accumulator of the main loop into 2-lane pieces (seen in the generated code: `vmulps xmm`
    // on 8-byte loads). `black_box` (in `reduce`) keeps the two apart; it only costs a 64-byte
    // spill.
    let mut acc = [0.0f32; LANES];
    for (x, y) in ca.zip(cb) {
        let (x, y): (&[f32; LANES], &[f32; LANES]) = (x.try_into().unwrap(), y.try_into().unwrap());
        acc = std::array::from_fn(|i| acc[i] + x[i] * y[i]);
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    reduce(acc) + tail
}

/// `y += a * x`
#[inline(always)]
fn axpy_body(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Dot product of the common prefix of `a` and `b`.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_body(a, b)
}

/// `c = a · bᵀ` for row-major `a` (`m × k`), `b` (`n × k`) and `c` (`m × n`): row `i` of `c`
/// holds the dot products of row `i` of `a` with every row of `b`.
///
/// # Panics
/// When a slice's length is not its shape's product, or a product or stride does not fit
/// (checked, never wrapped: a wrapped product could pass the length check with shapes that
/// reach outside the slices).
pub(crate) fn matmul_transposed(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
    let size = |x: usize, y: usize| x.checked_mul(y).expect("matrix shape overflows usize");
    assert_eq!(a.len(), size(m, k), "a is not m × k");
    assert_eq!(b.len(), size(n, k), "b is not n × k");
    assert_eq!(c.len(), size(m, n), "c is not m × n");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(0.0);
        return;
    }
    let stride = |x: usize| isize::try_from(x).expect("matrix stride overflows isize");
    let (n_, k_) = (stride(n), stride(k));
    // SAFETY: sgemm reads a[i·k + p] (i < m, p < k), b[j·k + p] (j < n, p < k) and writes
    // c[i·n + j] (i < m, j < n) through the given strides; the asserts above (on products
    // computed without wrapping, strides that fit isize) put every one of those offsets inside
    // its slice. `c` is exclusively borrowed, `a` and `b` shared, so no
    // other reference observes the writes. With beta = 0, c's old contents are never read
    // (matrixmultiply documents that NaNs in c are then ignored).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k_,
            1,
            b.as_ptr(),
            1,
            k_,
            0.0,
            c.as_mut_ptr(),
            n_,
            1,
        );
    }
}

/// `Σ codes[i]·q[i]` over the common prefix: an `i8`-quantised row against an `f32` query
/// (the first pass of the exact nearest-neighbour search, 4× fewer bytes than an `f32` row).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512bw", "x86_64+avx2+fma"))]
pub fn dot_i8(codes: &[i8], q: &[f32]) -> f32 {
    let n = codes.len().min(q.len());
    let (c, q) = (&codes[..n], &q[..n]);
    let mut acc = [0.0f32; LANES];
    let (cc, cq) = (c.chunks_exact(LANES), q.chunks_exact(LANES));
    let (rc, rq) = (cc.remainder(), cq.remainder());
    for (x, y) in cc.zip(cq) {
        for i in 0..LANES {
            acc[i] += x[i] as f32 * y[i];
        }
    }
    let mut tail = 0.0;
    for (x, y) in rc.iter().zip(rq) {
        tail += *x as f32 * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// Quantises `row` to `codes` (`i8`, rounded half away from zero) with the scale
/// `max|row| / 127`, and returns `(scale, ‖row‖)`: `|row[i] − scale·codes[i]| ≤ scale/2`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512bw", "x86_64+avx2+fma"))]
pub fn quantize_i8(row: &[f32], codes: &mut [i8]) -> (f32, f32) {
    let norm = dot_body(row, row).sqrt();
    let max = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
    // `as` saturates, and |x·inv| ≤ 127 anyway; no `round` call, so the loop vectorises.
    for (c, x) in codes.iter_mut().zip(row) {
        let y = x * inv;
        *c = (y + 0.5f32.copysign(y)) as i8;
    }
    (max / 127.0, norm)
}

/// `y += a * x` over the common prefix.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    axpy_body(a, x, y)
}

/// One binary logistic regression step, shared by every loss built on it.
///
/// With score `f = h·o`, label `y ∈ {0, 1}` and `σ` the logistic function, the loss is
/// `ℓ = −y·log σ(f) − (1−y)·log σ(−f)`, whose gradients are `∂ℓ/∂h = (σ(f) − y)·o` and
/// `∂ℓ/∂o = (σ(f) − y)·h`. With `g = lr·(y − σ(f))` the step does, in this order,
/// `grad += g·o` (using `o` *before* its update, as word2vec.c does) and `o += g·h`,
/// and returns `ℓ`. The caller later applies `grad` to the input vector(s).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub fn logistic_step(
    h: &[f32],
    o: &mut [f32],
    grad: &mut [f32],
    label: f32,
    lr: f32,
    sigmoid: &Sigmoid,
) -> f32 {
    let f = dot_body(h, o);
    let g = lr * (label - sigmoid.sigmoid(f));
    for ((gi, oi), hi) in grad.iter_mut().zip(o.iter_mut()).zip(h) {
        *gi += g * *oi;
        *oi += g * hi;
    }
    if label > 0.5 {
        -sigmoid.log_sigmoid(f)
    } else {
        -sigmoid.log_sigmoid(-f)
    }
}

/// One shared-negatives (HogBatch) step: `m` input rows `h` (`m × dim`) each predict the same
/// `n` output rows `u` (`n × dim`), row 0 with label 1 and the others with label 0.
///
/// With scores `S = h·uᵀ` and `G = lr·(Y − σ(S))` (`m × n`, kept in `g`), it writes the input
/// steps `dh = G·u` and the output steps `du = Gᵀ·h`, both from the rows *before* any update
/// (as one minibatch), and returns the summed loss of the `m` predictions,
/// `Σ_i [−log σ(S_i0) − Σ_{r≥1} log σ(−S_ir)]`. The caller adds `dh` and `du` to the rows.
/// The minibatch's σ is computed, not looked up (`Sigmoid::sigmoid_and_log_computed`); the
/// table `sigmoid` serves the positive's steps in turn.
///
/// With `positive` [`PositiveSteps::InTurn`] the negatives (rows `1..n`) stay one minibatch, but the
/// positive row is stepped pair after pair, as word2vec.c steps it: input row `i` is scored
/// against row 0 as the predictions `0..i` left it, so that the positive's steps shrink as it
/// fits the window (`du`'s row 0 is then the sum of those steps).
#[multiversion(targets("x86_64+avx512f+avx512vl+fma", "x86_64+avx2+fma"))]
#[allow(clippy::too_many_arguments)]
pub fn shared_negatives_step(
    h: &[f32],
    u: &[f32],
    dim: usize,
    lr: f32,
    sigmoid: &Sigmoid,
    positive: PositiveSteps,
    g: &mut [f32],
    dh: &mut [f32],
    du: &mut [f32],
) -> f32 {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    let m = h.len().checked_div(dim).unwrap_or(0);
    if positive == PositiveSteps::Batch || m == 0 || u.len() < dim {
        let mut rows = Copied { h, dh, dim };
        return shared_negatives_body::<FMA, _>(&mut rows, u, dim, lr, true, g, du);
    }
    if positive == PositiveSteps::Pairs {
        return pairs_body::<FMA, _>(&mut Copied { h, dh, dim }, u, dim, lr, sigmoid, g, du);
    }
    in_turn_body::<FMA, _>(&mut Copied { h, dh, dim }, u, dim, lr, sigmoid, g, du)
}

/// [`shared_negatives_step`] on input rows that stay where they are: row `i` is
/// `pool[at[i]·stride..][..stride]`, and its step is added to it in place, so that the caller
/// neither copies the rows out nor adds the steps back.
///
/// With `positive` [`PositiveSteps::Batch`] the step `G·u` is added after `du` is computed
/// from the rows as they were: a row named twice in `at` is read as it was for both and
/// receives both steps, and the result is the same to the bit as copying the rows, calling
/// [`shared_negatives_step`] and adding `dh` row by row.
///
/// With [`PositiveSteps::InTurn`] the negatives (rows `1..n` of `u`) are that minibatch first,
/// their steps added to the rows; then the positive row is stepped pair after pair against the
/// rows so stepped (input row `i` scored against row 0 as the predictions `0..i` left it, and
/// stepped by it at once). That is sequential SGD over the window's predictions, negatives
/// before positives; [`shared_negatives_step`] scores the positive on the rows before the
/// negatives' steps instead, which differs by terms of order `lr²` (not the same bits).
///
/// # Panics
/// When an entry of `at` names a row outside `pool`, or `g` or `du` are too short.
#[multiversion(targets("x86_64+avx512f+avx512vl+fma", "x86_64+avx2+fma"))]
#[allow(clippy::too_many_arguments)]
pub fn shared_negatives_step_in_place(
    pool: &mut [f32],
    at: &[u32],
    u: &[f32],
    stride: usize,
    lr: f32,
    sigmoid: &Sigmoid,
    positive: PositiveSteps,
    g: &mut [f32],
    du: &mut [f32],
) -> f32 {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    if positive == PositiveSteps::Batch || at.is_empty() || u.len() < stride {
        let mut rows = InPlace { pool, at, stride };
        return shared_negatives_body::<FMA, _>(&mut rows, u, stride, lr, true, g, du);
    }
    let mut rows = InPlace { pool, at, stride };
    if positive == PositiveSteps::Pairs {
        return pairs_body::<FMA, _>(&mut rows, u, stride, lr, sigmoid, g, du);
    }
    in_turn_body::<FMA, _>(&mut rows, u, stride, lr, sigmoid, g, du)
}

/// The most output rows for which [`pairs_body`] sums the next pair's scores while it steps
/// the rows (the positive and 31 negatives); with more, each pair's scores take their own pass.
const PAIRS_MAX_ROWS: usize = 32;

/// Every output row in turn over any [`Contexts`] ([`PositiveSteps::Pairs`]): for each input
/// row `i` in order, its scores against the `n` rows of `t` (a copy of `u`, row 0 the positive)
/// as the pairs `0..i` left them, then its step `Σ_r g_r·t_r` and each `t_r += g_r·h_i`, as
/// word2vec.c steps one pair. `du` ends as the rows' total steps. (A negative drawn twice for
/// the window is two rows of `t`, each stepped on its own and both steps added to it: the one
/// place where this differs from word2vec.c's order, which sees the first step in the second.)
///
/// One pass over the lanes per pair: while `t` is stepped by pair `i`, the next row's scores
/// against the stepped rows are summed in the same pass (unless the next row is the same row,
/// whose step is not yet known), so that the sequential pairs cost the minibatch's arithmetic.
#[inline(always)]
fn pairs_body<const FMA: bool, C: Contexts>(
    rows: &mut C,
    u: &[f32],
    dim: usize,
    lr: f32,
    sigmoid: &Sigmoid,
    g: &mut [f32],
    du: &mut [f32],
) -> f32 {
    let n = u.len().checked_div(dim).unwrap_or(0);
    let m = rows.len();
    let t = &mut du[..n * dim];
    t.copy_from_slice(&u[..n * dim]);
    // Pair `i`'s scores, then (in place) its step sizes.
    let gs = &mut g[..n];
    let mut acc = [[0.0f32; LANES]; PAIRS_MAX_ROWS];
    let mut scored = false;
    let mut loss = 0.0;
    for i in 0..m {
        if !scored {
            let h = rows.row(i);
            for (r, s) in gs.iter_mut().enumerate() {
                *s = dot_body(h, &t[r * dim..(r + 1) * dim]);
            }
        }
        for (r, gr) in gs.iter_mut().enumerate() {
            let f = *gr;
            let label = if r == 0 { 1.0 } else { 0.0 };
            *gr = lr * (label - sigmoid.sigmoid(f));
            loss -= sigmoid.log_sigmoid(if r == 0 { f } else { -f });
        }
        let fused = n <= PAIRS_MAX_ROWS && i + 1 < m && !rows.same_row(i, i + 1);
        if fused {
            acc[..n].fill([0.0; LANES]);
        }
        let mut j = 0;
        while j < dim {
            let w = LANES.min(dim - j);
            let x0 = rows.chunk(i, j, w);
            let xn = if fused {
                rows.chunk(i + 1, j, w)
            } else {
                [0.0; LANES]
            };
            let mut e = [0.0f32; LANES];
            for (r, &gr) in gs.iter().enumerate() {
                let o = &mut t[r * dim + j..r * dim + j + w];
                // One loop either way: a second pass over `o` for the scores costs ~8%.
                if fused {
                    let a = &mut acc[r];
                    for l in 0..w {
                        e[l] = fmadd::<FMA>(gr, o[l], e[l]);
                        o[l] = fmadd::<FMA>(gr, x0[l], o[l]);
                        a[l] = fmadd::<FMA>(xn[l], o[l], a[l]);
                    }
                } else {
                    for l in 0..w {
                        e[l] = fmadd::<FMA>(gr, o[l], e[l]);
                        o[l] = fmadd::<FMA>(gr, x0[l], o[l]);
                    }
                }
            }
            rows.put_step(i, j, w, &x0, &e);
            j += w;
        }
        if fused {
            for (s, a) in gs.iter_mut().zip(&acc[..n]) {
                *s = a.iter().sum();
            }
        }
        scored = fused;
    }
    for (o, x) in t.iter_mut().zip(u) {
        *o -= x;
    }
    loss
}

/// The positive in turn over any [`Contexts`]: the negatives (rows `1..n` of `u`) as one
/// minibatch with no positive column, then the positive row (row 0) stepped pair after pair,
/// its total step left in `du`'s row 0.
#[inline(always)]
fn in_turn_body<const FMA: bool, C: Contexts>(
    rows: &mut C,
    u: &[f32],
    dim: usize,
    lr: f32,
    sigmoid: &Sigmoid,
    g: &mut [f32],
    du: &mut [f32],
) -> f32 {
    let (u0, negatives) = u.split_at(dim);
    let mut loss = if negatives.len() >= dim {
        shared_negatives_body::<FMA, _>(rows, negatives, dim, lr, false, g, &mut du[dim..])
    } else {
        if !C::ADD {
            for i in 0..rows.len() {
                rows.step(i).fill(0.0);
            }
        }
        0.0
    };
    let t = &mut du[..dim];
    t.copy_from_slice(u0);
    for i in 0..rows.len() {
        loss += rows.step_positive::<FMA>(i, t, lr, sigmoid);
    }
    for (o, x) in t.iter_mut().zip(u0) {
        *o -= x;
    }
    loss
}

/// The positive's score of `h` against the output row `t`: the step size `lr·(1 − σ(f))` and
/// the loss `−log σ(f)`.
#[inline(always)]
fn positive_step_size(h: &[f32], t: &[f32], lr: f32, sigmoid: &Sigmoid) -> (f32, f32) {
    let f = dot_body(h, t);
    (lr * (1.0 - sigmoid.sigmoid(f)), -sigmoid.log_sigmoid(f))
}

/// The input rows of a [`shared_negatives_body`] minibatch: where row `i` is read, and where
/// its step goes.
trait Contexts {
    /// Whether a step is added to its destination (else stored there).
    const ADD: bool;
    /// How many rows.
    fn len(&self) -> usize;
    /// Row `i` (`dim` floats).
    fn row(&self, i: usize) -> &[f32];
    /// Where row `i`'s step goes (`dim` floats).
    fn step(&mut self, i: usize) -> &mut [f32];
    /// The positive's step in turn for row `i`: row `i` scored against the output row `t`, its
    /// step `g·t` sent where its steps go, `t` stepped by `g` times the row as it was read.
    /// Returns the prediction's loss.
    fn step_positive<const FMA: bool>(
        &mut self,
        i: usize,
        t: &mut [f32],
        lr: f32,
        sigmoid: &Sigmoid,
    ) -> f32;
    /// Lanes `j..j + w` of row `i` (`w ≤ LANES`), the rest zero.
    fn chunk(&self, i: usize, j: usize, w: usize) -> [f32; LANES];
    /// Sends the step `e` of lanes `j..j + w` of row `i` (read as `x`) where its steps go.
    fn put_step(&mut self, i: usize, j: usize, w: usize, x: &[f32; LANES], e: &[f32; LANES]);
    /// Whether rows `i` and `k` are one row (a step to one is seen by a read of the other).
    fn same_row(&self, i: usize, k: usize) -> bool;
}

/// Rows side by side in `h`, steps stored side by side in `dh`.
struct Copied<'a> {
    h: &'a [f32],
    dh: &'a mut [f32],
    dim: usize,
}

impl Contexts for Copied<'_> {
    const ADD: bool = false;
    #[inline(always)]
    fn len(&self) -> usize {
        self.h.len().checked_div(self.dim).unwrap_or(0)
    }
    #[inline(always)]
    fn row(&self, i: usize) -> &[f32] {
        &self.h[i * self.dim..(i + 1) * self.dim]
    }
    #[inline(always)]
    fn step(&mut self, i: usize) -> &mut [f32] {
        &mut self.dh[i * self.dim..(i + 1) * self.dim]
    }
    #[inline(always)]
    fn step_positive<const FMA: bool>(
        &mut self,
        i: usize,
        t: &mut [f32],
        lr: f32,
        sigmoid: &Sigmoid,
    ) -> f32 {
        let hi = &self.h[i * self.dim..(i + 1) * self.dim];
        let dhi = &mut self.dh[i * self.dim..(i + 1) * self.dim];
        let (gi, loss) = positive_step_size(hi, t, lr, sigmoid);
        for ((d, o), x) in dhi.iter_mut().zip(t.iter_mut()).zip(hi) {
            *d = fmadd::<FMA>(gi, *o, *d);
            *o = fmadd::<FMA>(gi, *x, *o);
        }
        loss
    }
    #[inline(always)]
    fn chunk(&self, i: usize, j: usize, w: usize) -> [f32; LANES] {
        let mut x = [0.0; LANES];
        x[..w].copy_from_slice(&self.h[i * self.dim + j..][..w]);
        x
    }
    #[inline(always)]
    fn put_step(&mut self, i: usize, j: usize, w: usize, _x: &[f32; LANES], e: &[f32; LANES]) {
        self.dh[i * self.dim + j..][..w].copy_from_slice(&e[..w]);
    }
    #[inline(always)]
    fn same_row(&self, _i: usize, _k: usize) -> bool {
        false
    }
}

/// Rows of a pool named by entry, steps added to them in place.
struct InPlace<'a> {
    pool: &'a mut [f32],
    at: &'a [u32],
    stride: usize,
}

impl Contexts for InPlace<'_> {
    const ADD: bool = true;
    #[inline(always)]
    fn len(&self) -> usize {
        self.at.len()
    }
    #[inline(always)]
    fn row(&self, i: usize) -> &[f32] {
        let e = self.at[i] as usize * self.stride;
        &self.pool[e..e + self.stride]
    }
    #[inline(always)]
    fn step(&mut self, i: usize) -> &mut [f32] {
        let e = self.at[i] as usize * self.stride;
        &mut self.pool[e..e + self.stride]
    }
    #[inline(always)]
    fn step_positive<const FMA: bool>(
        &mut self,
        i: usize,
        t: &mut [f32],
        lr: f32,
        sigmoid: &Sigmoid,
    ) -> f32 {
        let row = self.step(i);
        let (gi, loss) = positive_step_size(row, t, lr, sigmoid);
        for (x, o) in row.iter_mut().zip(t.iter_mut()) {
            let x0 = *x;
            *x = fmadd::<FMA>(gi, *o, x0);
            *o = fmadd::<FMA>(gi, x0, *o);
        }
        loss
    }
    #[inline(always)]
    fn chunk(&self, i: usize, j: usize, w: usize) -> [f32; LANES] {
        let mut x = [0.0; LANES];
        x[..w].copy_from_slice(&self.pool[self.at[i] as usize * self.stride + j..][..w]);
        x
    }
    #[inline(always)]
    fn put_step(&mut self, i: usize, j: usize, w: usize, x: &[f32; LANES], e: &[f32; LANES]) {
        let row = &mut self.pool[self.at[i] as usize * self.stride + j..][..w];
        for l in 0..w {
            row[l] = x[l] + e[l];
        }
    }
    #[inline(always)]
    fn same_row(&self, i: usize, k: usize) -> bool {
        self.at[i] == self.at[k]
    }
}

/// `c + a·b`, fused where the CPU has FMA (one rounding; one instruction instead of two).
#[inline(always)]
fn fmadd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { c + a * b }
}

/// `acc += x·y` lane by lane (one vector FMA).
#[inline(always)]
fn fma_lanes<const FMA: bool>(acc: &mut [f32; LANES], x: &[f32; LANES], y: &[f32; LANES]) {
    for ((a, &xl), &yl) in acc.iter_mut().zip(x).zip(y) {
        *a = fmadd::<FMA>(xl, yl, *a);
    }
}

/// `acc += w·x` lane by lane (one vector FMA).
#[inline(always)]
fn fma_scalar<const FMA: bool>(acc: &mut [f32; LANES], w: f32, x: &[f32; LANES]) {
    for (a, &xl) in acc.iter_mut().zip(x) {
        *a = fmadd::<FMA>(w, xl, *a);
    }
}

/// Sums 16 lanes as a 4-deep tree (see [`dot_body`] for why through `black_box`).
#[inline(always)]
fn reduce(acc: [f32; LANES]) -> f32 {
    let r = std::hint::black_box(acc);
    let q: [f32; 4] = std::array::from_fn(|i| (r[i] + r[i + 8]) + (r[i + 4] + r[i + 12]));
    (q[0] + q[2]) + (q[1] + q[3])
}

/// Dot products of `a` with the `B` consecutive rows in `b` (`a.len()` floats each) at once:
/// each chunk of `a` is loaded once, and the `B` accumulators are independent chains (a single
/// dot product of 100 floats is latency-bound).
#[inline(always)]
fn dots<const FMA: bool, const B: usize>(a: &[f32], b: &[f32]) -> [f32; B] {
    let n = a.len();
    let b = &b[..B * n];
    let xs = a.as_chunks::<LANES>().0;
    let full = xs.len() * LANES;
    let mut acc = [[0.0f32; LANES]; B];
    if n.is_multiple_of(LANES) {
        // Rows of whole chunks (the padded rows of the training step): chunk `j` of row `k` is
        // chunk `k·n/16 + j` of `b`, one compare to check. (Sliced as `b[k·n + c..][..16]`
        // each chunk took an overflow test and two compares: with six rows, more instructions
        // than the chunk's twelve FMAs.)
        let (bc, nc) = (b.as_chunks::<LANES>().0, xs.len());
        for (j, x) in xs.iter().enumerate() {
            for (k, acc) in acc.iter_mut().enumerate() {
                fma_lanes::<FMA>(acc, x, &bc[k * nc + j]);
            }
        }
    } else {
        for (j, x) in xs.iter().enumerate() {
            let c = j * LANES;
            for (k, acc) in acc.iter_mut().enumerate() {
                let y: &[f32; LANES] = b[k * n + c..k * n + c + LANES].try_into().expect("chunk");
                fma_lanes::<FMA>(acc, x, y);
            }
        }
    }
    // The lanes summed in halves, every accumulator at once: the tree of [`reduce`] (so the
    // same bits), but each stage one vector add per accumulator, with no trip through memory.
    // (Through `reduce`, the `black_box` spill and the 2-float reloads of each of the six
    // accumulators were a sixth of the AVX2 kernel's time on Zen 3: benchsuite/NOTES.md,
    // "The skip-gram step's overheads on AVX2".)
    let mut half = [[0.0f32; 8]; B];
    for (h, lanes) in half.iter_mut().zip(&acc) {
        for (i, x) in h.iter_mut().enumerate() {
            *x = lanes[i] + lanes[i + 8];
        }
    }
    let mut out = [0.0f32; B];
    for (k, (o, h)) in out.iter_mut().zip(&half).enumerate() {
        let tail: f32 = (full..n).map(|t| a[t] * b[k * n + t]).sum();
        let q = [h[0] + h[4], h[1] + h[5], h[2] + h[6], h[3] + h[7]];
        *o = ((q[0] + q[2]) + (q[1] + q[3])) + tail;
    }
    out
}

/// `out = Σ_j w[j·stride]·rows[j]` (or `out +=` that sum, with `add`) over `rows` (`dim`
/// floats each), up to [`ROW_CHUNKS`] 16-lane chunks of `out` at a time in registers: one pass
/// over the rows per group of chunks, each chunk its own accumulator (independent chains; one
/// store per chunk). Every chunk sums its rows in row order, so the grouping does not change
/// the result, and with `add` the sum is added to `out` once, as `axpy(1.0, sum, out)` would.
/// (Before, the chunks past the first four took one pass each, a chain of dependent FMAs: at
/// dim 100 three such passes were most of the kernel's time; benchsuite/NOTES.md, "The
/// kernel's latency-bound row sums".)
#[inline(always)]
fn weighted_rows<'r, const FMA: bool>(
    w: &[f32],
    stride: usize,
    rows: impl Iterator<Item = &'r [f32]> + Clone,
    dim: usize,
    add: bool,
    out: &mut [f32],
) {
    let full = dim / LANES * LANES;
    let mut c = 0;
    while c + ROW_CHUNKS * LANES <= full {
        weighted_chunks::<FMA, ROW_CHUNKS>(w, stride, rows.clone(), c, add, out);
        c += ROW_CHUNKS * LANES;
    }
    match (full - c) / LANES {
        1 => weighted_chunks::<FMA, 1>(w, stride, rows.clone(), c, add, out),
        2 => weighted_chunks::<FMA, 2>(w, stride, rows.clone(), c, add, out),
        3 => weighted_chunks::<FMA, 3>(w, stride, rows.clone(), c, add, out),
        4 => weighted_chunks::<FMA, 4>(w, stride, rows.clone(), c, add, out),
        5 => weighted_chunks::<FMA, 5>(w, stride, rows.clone(), c, add, out),
        6 => weighted_chunks::<FMA, 6>(w, stride, rows.clone(), c, add, out),
        _ => {}
    }
    for t in full..dim {
        let sum: f32 = rows
            .clone()
            .zip(w.iter().step_by(stride))
            .map(|(row, &wj)| wj * row[t])
            .sum();
        if add {
            out[t] += sum;
        } else {
            out[t] = sum;
        }
    }
}

/// The most 16-lane chunks [`weighted_rows`] keeps in registers at once: 7 covers a row of
/// dim 100 (padded to 112) in one pass, and 7 accumulators fit the AVX2 clone's 16 registers
/// (two each) with room for the broadcast weight.
const ROW_CHUNKS: usize = 7;

/// `out[c .. c + C·16] (+)= Σ_j w[j·stride]·rows[j][c .. c + C·16]`, `C` accumulators.
#[inline(always)]
fn weighted_chunks<'r, const FMA: bool, const C: usize>(
    w: &[f32],
    stride: usize,
    rows: impl Iterator<Item = &'r [f32]>,
    c: usize,
    add: bool,
    out: &mut [f32],
) {
    let mut acc = [[0.0f32; LANES]; C];
    for (row, &wj) in rows.zip(w.iter().step_by(stride)) {
        let row = &row[c..c + C * LANES];
        for (k, a) in acc.iter_mut().enumerate() {
            let x: &[f32; LANES] = row[k * LANES..(k + 1) * LANES].try_into().expect("chunk");
            fma_scalar::<FMA>(a, wj, x);
        }
    }
    for (k, a) in acc.iter().enumerate() {
        let o = &mut out[c + k * LANES..c + (k + 1) * LANES];
        if add {
            for (o, &x) in o.iter_mut().zip(a) {
                *o += x;
            }
        } else {
            o.copy_from_slice(a);
        }
    }
}

/// Writes the dot products of `a` with rows `r..r + B` of `u` (`a.len()` floats each) to
/// `out[r..r + B]`.
#[inline(always)]
fn dots_into<const FMA: bool, const B: usize>(a: &[f32], u: &[f32], r: usize, out: &mut [f32]) {
    let d = a.len();
    let s = dots::<FMA, B>(a, &u[r * d..(r + B) * d]);
    out[r..r + B].copy_from_slice(&s);
}

/// `S = h·uᵀ` into `g` (`m × n`, row `i` the scores of input row `i` against the `n` rows of
/// `u`), several output rows at a time.
#[inline(always)]
fn scores_into<const FMA: bool, C: Contexts>(h: &C, u: &[f32], n: usize, g: &mut [f32]) {
    for (i, si) in g.chunks_exact_mut(n).enumerate() {
        let hi = h.row(i);
        let mut r = 0;
        // Six at a time first: the centre and word2vec's five negatives in one pass.
        while r + 6 <= n {
            dots_into::<FMA, 6>(hi, u, r, si);
            r += 6;
        }
        if r + 4 <= n {
            dots_into::<FMA, 4>(hi, u, r, si);
            r += 4;
        }
        if r + 2 <= n {
            dots_into::<FMA, 2>(hi, u, r, si);
            r += 2;
        }
        if r < n {
            dots_into::<FMA, 1>(hi, u, r, si);
        }
    }
}

/// The body of [`shared_negatives_step`] and [`shared_negatives_step_in_place`], with `FMA`
/// telling whether the clone it is inlined into has fused multiply-add.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn shared_negatives_body<const FMA: bool, C: Contexts>(
    h: &mut C,
    u: &[f32],
    dim: usize,
    lr: f32,
    labelled: bool,
    g: &mut [f32],
    du: &mut [f32],
) -> f32 {
    let m = h.len();
    if dim == 0 || m == 0 || u.len() < dim {
        return 0.0; // no prediction
    }
    let n = u.len() / dim;
    let g = &mut g[..m * n];
    scores_into::<FMA, C>(h, u, n, g);
    // The positive's loss is −log σ(f) and a negative's −log σ(−f) = f − log σ(f): every score
    // adds f − log σ(f) below, so the positives' f is taken off first. Then G = lr·(Y − σ(S)),
    // the label added to column 0 afterwards, so that the pass over S is one branch-free loop.
    // (`labelled` false: every row is a negative; the caller handles the positive.)
    let mut loss = if labelled {
        -g.iter().step_by(n).sum::<f32>()
    } else {
        0.0
    };
    // Eight scores at a time (one AVX2 register), so that the scalar remainder is short.
    let mut lanes = [0.0f32; 8];
    let mut chunks = g.chunks_exact_mut(8);
    for c in &mut chunks {
        for (x, acc) in c.iter_mut().zip(lanes.iter_mut()) {
            let f = *x;
            let (p, log_p) = Sigmoid::sigmoid_and_log_computed(f);
            *acc += f - log_p;
            *x = -lr * p;
        }
    }
    for x in chunks.into_remainder() {
        let f = *x;
        let (p, log_p) = Sigmoid::sigmoid_and_log_computed(f);
        loss += f - log_p;
        *x = -lr * p;
    }
    loss += ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6]))
        + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    if labelled {
        for gi in g.iter_mut().step_by(n) {
            *gi += lr;
        }
    }
    // du_r = Σ_i G[i,r]·h_i, then dh_i = Σ_r G[i,r]·u_r (in that order: with `Contexts::ADD`
    // the steps go into the rows that du reads).
    for (r, dur) in du.chunks_exact_mut(dim).take(n).enumerate() {
        let rows = (0..m).map(|i| h.row(i));
        weighted_rows::<FMA>(&g[r..], n, rows, dim, false, dur);
    }
    for i in 0..m {
        let rows = u.chunks_exact(dim).take(n);
        weighted_rows::<FMA>(&g[i * n..(i + 1) * n], 1, rows, dim, C::ADD, h.step(i));
    }
    loss
}

const TABLE_MAX: f32 = 8.0;
const TABLE_N: usize = 2048;
const TABLE_SCALE: f32 = TABLE_N as f32 / (2.0 * TABLE_MAX);

/// `σ(x)` and `log σ(x)` by linear interpolation in a 2049-entry table over `[-8, 8]`
/// (absolute error below 1e-6 for `σ`); outside it `σ` is 0 or 1, as in word2vec.c, and
/// `log σ(x)` is `x` below −8 and 0 above 8 (error below 3.4e-4).
pub struct Sigmoid {
    sig: Box<[f32; TABLE_N + 1]>,
    logsig: Box<[f32; TABLE_N + 1]>,
}

impl Default for Sigmoid {
    fn default() -> Self {
        Self::new()
    }
}

impl Sigmoid {
    /// Builds the tables.
    pub fn new() -> Self {
        let mut sig = Box::new([0f32; TABLE_N + 1]);
        let mut logsig = Box::new([0f32; TABLE_N + 1]);
        for i in 0..=TABLE_N {
            let x = (i as f64 / TABLE_SCALE as f64) - TABLE_MAX as f64;
            sig[i] = (1.0 / (1.0 + (-x).exp())) as f32;
            logsig[i] = -((-x).exp().ln_1p()) as f32;
        }
        Sigmoid { sig, logsig }
    }

    #[inline(always)]
    fn lerp(table: &[f32; TABLE_N + 1], x: f32) -> f32 {
        let t = (x + TABLE_MAX) * TABLE_SCALE;
        let i = (t as usize).min(TABLE_N - 1);
        let frac = t - i as f32;
        table[i] + frac * (table[i + 1] - table[i])
    }

    /// The logistic function `1 / (1 + e^{−x})`.
    #[inline(always)]
    pub fn sigmoid(&self, x: f32) -> f32 {
        if x >= TABLE_MAX {
            1.0
        } else if x > -TABLE_MAX {
            Self::lerp(&self.sig, x)
        } else {
            0.0 // also for NaN, which the loss check reports
        }
    }

    /// `(σ(x), log σ(x))` from one table position.
    #[inline(always)]
    pub fn sigmoid_and_log(&self, x: f32) -> (f32, f32) {
        if x >= TABLE_MAX {
            (1.0, 0.0)
        } else if x > -TABLE_MAX {
            let t = (x + TABLE_MAX) * TABLE_SCALE;
            let i = (t as usize).min(TABLE_N - 1);
            let frac = t - i as f32;
            let (s, l) = (&self.sig, &self.logsig);
            (
                s[i] + frac * (s[i + 1] - s[i]),
                l[i] + frac * (l[i + 1] - l[i]),
            )
        } else {
            (0.0, x) // NaN gives (0, NaN), which the loss check reports
        }
    }

    /// `(σ(x), log σ(x))` computed rather than looked up, for the minibatch step's pass over
    /// its scores: plain arithmetic and selects, so that the loop vectorises (the table's four
    /// lookups per score compiled to scalar code, about 30 instructions a score, as much time
    /// as the scores' dot products: benchsuite/NOTES.md, "The skip-gram step's overheads on
    /// AVX2"). The same convention as the table outside `(−8, 8)`: `(1, 0)` at 8 and above,
    /// `(0, x)` at −8 and below, `(0, NaN)` for NaN; inside, `σ` within 2e-7 and `log σ`
    /// within 1e-6 of the exact values (the table's `σ` is within 2e-6).
    #[inline(always)]
    fn sigmoid_and_log_computed(x: f32) -> (f32, f32) {
        // e = exp(−|x|) ∈ [e^−8, 1] on the clamped x.
        let e = exp_nonpositive(-x.clamp(-TABLE_MAX, TABLE_MAX).abs());
        let inv = 1.0 / (1.0 + e);
        let p = if x >= 0.0 { inv } else { e * inv };
        // log σ(x) = min(x, 0) − log(1 + e), and log(1 + e) = 2·atanh(z) with
        // z = e / (2 + e) ∈ (0, 1/3]: the odd series to z¹¹ (remainder below 1e-7).
        let z = e / (2.0 + e);
        let z2 = z * z;
        let series = 1.0
            + z2 * (1.0 / 3.0 + z2 * (1.0 / 5.0 + z2 * (1.0 / 7.0 + z2 * (1.0 / 9.0 + z2 / 11.0))));
        let lp = if x < 0.0 { x } else { 0.0 } - 2.0 * z * series;
        let hi = x >= TABLE_MAX;
        let inside = x > -TABLE_MAX;
        (
            if hi {
                1.0
            } else if inside {
                p
            } else {
                0.0
            },
            if hi {
                0.0
            } else if inside {
                lp
            } else {
                x
            },
        )
    }

    /// `log σ(x)`.
    #[inline(always)]
    pub fn log_sigmoid(&self, x: f32) -> f32 {
        if x >= TABLE_MAX {
            0.0
        } else if x > -TABLE_MAX {
            Self::lerp(&self.logsig, x)
        } else {
            x
        }
    }
}

/// `e^y` for `y ∈ [−8, 0]` (any other input gives some finite or NaN value, never a panic):
/// `y = n·ln 2 + r` with `|r| ≤ ln 2 / 2`, `e^r` by Cephes' `expf` polynomial (relative error
/// about 1e-7), `2^n` built in the exponent bits. Arithmetic only, so loops over it vectorise.
#[inline(always)]
fn exp_nonpositive(y: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two, so that n·LN2_HI is exact for the small n here.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2²³ rounds to an integer, which the low mantissa bits then hold.
    const ROUND: f32 = 12_582_912.0;
    let shifted = y * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    let poly = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
        * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let er = poly * r * r + r + 1.0;
    // n is the low bits of `shifted` as a two's-complement integer; 2^n = (n + 127) << 23.
    let k = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f32::from_bits(k.wrapping_add(127) << 23);
    er * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "overflows")]
    fn shapes_whose_products_wrap_are_rejected_not_passed_to_sgemm() {
        // 2^32 × 2^32 wraps to 0 in usize: with wrapping arithmetic the empty slices passed the
        // length checks and sgemm read and wrote far outside them.
        let big = 1usize << 32;
        matmul_transposed(&[], &[], &mut [], big, big, big);
    }

    fn naive_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
    }

    #[test]
    fn kernels_match_naive_loops_at_many_lengths() {
        for n in [0, 1, 3, 15, 16, 17, 31, 100, 300, 1001] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
                .collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 104_729) % 89) as f32 / 89.0 - 0.5)
                .collect();
            let d = dot(&a, &b) as f64;
            assert!((d - naive_dot(&a, &b)).abs() < 1e-4, "n={n}");
            let mut y = b.clone();
            axpy(0.5, &a, &mut y);
            for i in 0..n {
                assert_eq!(y[i], b[i] + 0.5 * a[i]);
            }
        }
    }

    #[test]
    fn sigmoid_table_is_accurate() {
        let s = Sigmoid::new();
        let mut x = -12.0f64;
        while x < 12.0 {
            let exact = 1.0 / (1.0 + (-x).exp());
            assert!((s.sigmoid(x as f32) as f64 - exact).abs() < 4e-4, "x={x}");
            if x.abs() < 8.0 {
                assert!((s.sigmoid(x as f32) as f64 - exact).abs() < 2e-6, "x={x}");
            }
            let exact_log = -((-x).exp().ln_1p());
            assert!(
                (s.log_sigmoid(x as f32) as f64 - exact_log).abs() < 4e-4,
                "x={x}"
            );
            x += 0.0137;
        }
    }

    #[test]
    fn computed_sigmoid_is_accurate_and_keeps_the_tables_edges() {
        let grid = (0..160_001).map(|i| -8.0 + i as f32 * 1e-4);
        for x in grid {
            let (p, lp) = Sigmoid::sigmoid_and_log_computed(x);
            if x >= 8.0 {
                assert_eq!((p, lp), (1.0, 0.0), "x={x}");
                continue;
            }
            if x <= -8.0 {
                assert_eq!((p, lp), (0.0, x), "x={x}");
                continue;
            }
            let x64 = x as f64;
            let exact = 1.0 / (1.0 + (-x64).exp());
            let exact_log = x64.min(0.0) - (-x64.abs()).exp().ln_1p();
            assert!(
                (p as f64 - exact).abs() < 2e-7,
                "x={x}: {p} against {exact}"
            );
            assert!(
                (lp as f64 - exact_log).abs() < 1e-6,
                "x={x}: {lp} against {exact_log}"
            );
        }
        let s = Sigmoid::new();
        for x in [
            8.0f32,
            9.5,
            1e30,
            f32::INFINITY,
            -8.0,
            -8.5,
            -1e30,
            f32::NEG_INFINITY,
        ] {
            assert_eq!(
                Sigmoid::sigmoid_and_log_computed(x),
                s.sigmoid_and_log(x),
                "x={x}"
            );
        }
        let (p, lp) = Sigmoid::sigmoid_and_log_computed(f32::NAN);
        assert!(p == 0.0 && lp.is_nan());
    }

    #[test]
    fn exp_of_nonpositive_arguments_is_accurate() {
        for i in 0..=80_000 {
            let y = -(i as f32) * 1e-4;
            let (got, want) = (exp_nonpositive(y) as f64, (y as f64).exp());
            assert!(
                ((got - want) / want).abs() < 3e-7,
                "y={y}: {got} against {want}"
            );
        }
    }

    #[test]
    fn shared_negatives_step_without_rows_or_width_is_no_prediction() {
        let s = Sigmoid::new();
        let (mut g, mut dh, mut du) = (vec![0.0; 4], vec![0.0; 8], vec![0.0; 8]);
        let u = [0.5; 8];
        let cases: [(&[f32], &[f32], usize); 3] = [(&[], &u, 4), (&u, &[], 4), (&u, &u, 0)];
        for positive in [PositiveSteps::Batch, PositiveSteps::InTurn] {
            for (h, o, dim) in cases {
                let loss =
                    shared_negatives_step(h, o, dim, 0.1, &s, positive, &mut g, &mut dh, &mut du);
                assert_eq!(loss, 0.0, "{positive:?}, dim {dim}");
            }
        }
        assert_eq!(dh, [0.0; 8]);
    }

    /// Rows padded with zeros to a whole number of vectors (as `model::Window` holds them)
    /// give the same loss and steps as the unpadded rows, the padding's steps zero.
    /// The minibatch step against a scalar f64 reference, at widths that take every grouping of
    /// `weighted_rows`' chunks (1 to 7 chunks in the last group, several groups, a scalar tail)
    /// and every grouping of the score rows (6, 4, 2, 1).
    #[test]
    fn shared_negatives_step_matches_a_scalar_reference_at_many_shapes() {
        let s = Sigmoid::new();
        let lr = 0.05f32;
        for dim in [1, 16, 17, 32, 48, 64, 80, 96, 100, 112, 128, 130, 224, 300] {
            for (m, n) in [(1, 1), (2, 3), (5, 6), (7, 11), (12, 6), (3, 9)] {
                let h: Vec<f32> = (0..m * dim)
                    .map(|i| ((i as f32) * 0.37).sin() * 0.3)
                    .collect();
                let u: Vec<f32> = (0..n * dim)
                    .map(|i| ((i as f32) * 0.71).cos() * 0.3)
                    .collect();
                let (mut g, mut dh, mut du) =
                    (vec![0.0; m * n], vec![9.0; m * dim], vec![9.0; n * dim]);
                shared_negatives_step(
                    &h,
                    &u,
                    dim,
                    lr,
                    &s,
                    PositiveSteps::Batch,
                    &mut g,
                    &mut dh,
                    &mut du,
                );
                let mut gr = vec![0.0f64; m * n];
                for i in 0..m {
                    for r in 0..n {
                        let f = naive_dot(&h[i * dim..(i + 1) * dim], &u[r * dim..(r + 1) * dim]);
                        let label = if r == 0 { 1.0 } else { 0.0 };
                        gr[i * n + r] = lr as f64 * (label - 1.0 / (1.0 + (-f).exp()));
                    }
                }
                let close = |a: f32, b: f64| (a as f64 - b).abs() < 1e-5;
                for i in 0..m {
                    for d in 0..dim {
                        let want: f64 = (0..n).map(|r| gr[i * n + r] * u[r * dim + d] as f64).sum();
                        assert!(close(dh[i * dim + d], want), "dim {dim} m {m} n {n} dh");
                    }
                }
                for r in 0..n {
                    for d in 0..dim {
                        let want: f64 = (0..m).map(|i| gr[i * n + r] * h[i * dim + d] as f64).sum();
                        assert!(close(du[r * dim + d], want), "dim {dim} m {m} n {n} du");
                    }
                }
            }
        }
    }

    #[test]
    fn shared_negatives_step_on_padded_rows_matches_unpadded() {
        let s = Sigmoid::new();
        let (m, n, dim, st) = (5, 6, 100, 112);
        let h: Vec<f32> = (0..m * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.3)
            .collect();
        let u: Vec<f32> = (0..n * dim)
            .map(|i| ((i as f32) * 0.71).cos() * 0.3)
            .collect();
        let pad = |v: &[f32], rows: usize| {
            let mut p = vec![0.0; rows * st];
            for r in 0..rows {
                p[r * st..r * st + dim].copy_from_slice(&v[r * dim..(r + 1) * dim]);
            }
            p
        };
        let (mut g, mut dh, mut du) = (vec![0.0; m * n], vec![0.0; m * dim], vec![0.0; n * dim]);
        let loss = shared_negatives_step(
            &h,
            &u,
            dim,
            0.05,
            &s,
            PositiveSteps::Batch,
            &mut g,
            &mut dh,
            &mut du,
        );
        let (mut g2, mut dh2, mut du2) = (vec![0.0; m * n], vec![1.0; m * st], vec![1.0; n * st]);
        let (hp, up) = (pad(&h, m), pad(&u, n));
        let loss2 = shared_negatives_step(
            &hp,
            &up,
            st,
            0.05,
            &s,
            PositiveSteps::Batch,
            &mut g2,
            &mut dh2,
            &mut du2,
        );
        assert!((loss - loss2).abs() < 1e-5, "{loss} vs {loss2}");
        let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
        for (rows, padded, k) in [(&dh, &dh2, m), (&du, &du2, n)] {
            for r in 0..k {
                for d in 0..st {
                    let want = if d < dim { rows[r * dim + d] } else { 0.0 };
                    assert!(close(padded[r * st + d], want), "row {r} float {d}");
                }
            }
        }
    }

    /// Stepping the rows in place in a pool gives the bits of copying them out, stepping the
    /// copies and adding each step back in order, also where an entry is named twice (a word
    /// at two positions of one window shares its row) and at widths with a scalar tail.
    #[test]
    fn shared_negatives_step_in_place_equals_copy_step_and_add() {
        let s = Sigmoid::new();
        for (dim, n) in [(112, 6), (100, 6), (37, 3), (16, 1)] {
            let pool0: Vec<f32> = (0..5 * dim)
                .map(|i| ((i as f32) * 0.37).sin() * 0.4)
                .collect();
            let u: Vec<f32> = (0..n * dim)
                .map(|i| ((i as f32) * 0.71).cos() * 0.4)
                .collect();
            let at = [3u32, 0, 3, 4, 1];
            let m = at.len();
            // Reference: copy, step, add back.
            let mut h = Vec::new();
            for &e in &at {
                h.extend_from_slice(&pool0[e as usize * dim..][..dim]);
            }
            let (mut g, mut dh, mut du) =
                (vec![0.0; m * n], vec![0.0; m * dim], vec![0.0; n * dim]);
            let b = PositiveSteps::Batch;
            let loss = shared_negatives_step(&h, &u, dim, 0.3, &s, b, &mut g, &mut dh, &mut du);
            let mut want = pool0.clone();
            for (d, &e) in dh.chunks_exact(dim).zip(&at) {
                axpy(1.0, d, &mut want[e as usize * dim..][..dim]);
            }
            let mut pool = pool0.clone();
            let (mut g2, mut du2) = (vec![0.0; m * n], vec![9.0; n * dim]);
            let loss2 = shared_negatives_step_in_place(
                &mut pool, &at, &u, dim, 0.3, &s, b, &mut g2, &mut du2,
            );
            assert_eq!(loss.to_bits(), loss2.to_bits(), "dim {dim}: loss");
            assert_eq!(du, du2, "dim {dim}: output steps");
            assert_eq!(pool, want, "dim {dim}: input rows");
            assert_ne!(pool, pool0, "dim {dim}: the rows were stepped");
        }
    }

    /// In place with the positive in turn: the negatives are one minibatch of the rows before
    /// the window, their steps added; then the positive row is stepped pair after pair against
    /// the rows so stepped, each row stepped at once (a row named twice is scored the second
    /// time as its first positive step left it). Checked against a scalar reference, at widths
    /// with and without a scalar tail and with no negatives.
    #[test]
    fn shared_negatives_step_in_place_in_turn_is_sequential_sgd() {
        let s = Sigmoid::new();
        let lr = 0.5; // large, so that the order of the steps shows
        let dotf = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
        for (dim, n) in [(112, 6), (37, 3), (16, 1)] {
            let pool0: Vec<f32> = (0..5 * dim)
                .map(|i| ((i as f32) * 0.37).sin() * 0.4)
                .collect();
            let u: Vec<f32> = (0..n * dim)
                .map(|i| ((i as f32) * 0.71).cos() * 0.4)
                .collect();
            let at = [3u32, 0, 3, 4, 1];
            let row = |p: &[f32], e: u32| p[e as usize * dim..][..dim].to_vec();
            let (mut want, mut want_du, mut want_loss) =
                (pool0.clone(), vec![0.0f32; n * dim], 0.0f32);
            for &e in &at {
                let hi = row(&pool0, e);
                for r in 1..n {
                    let ur = &u[r * dim..(r + 1) * dim];
                    let f = dotf(&hi, ur);
                    let g = -lr * sig(f);
                    want_loss += f.exp().ln_1p();
                    for d in 0..dim {
                        want[e as usize * dim + d] += g * ur[d];
                        want_du[r * dim + d] += g * hi[d];
                    }
                }
            }
            let mut t = u[..dim].to_vec();
            for &e in &at {
                let hi = row(&want, e);
                let f = dotf(&hi, &t);
                let g = lr * (1.0 - sig(f));
                want_loss += (-f).exp().ln_1p();
                for d in 0..dim {
                    want[e as usize * dim + d] += g * t[d];
                    t[d] += g * hi[d];
                }
            }
            for d in 0..dim {
                want_du[d] = t[d] - u[d];
            }
            let mut pool = pool0.clone();
            let (mut g, mut du) = (vec![0.0; at.len() * n], vec![9.0; n * dim]);
            let it = PositiveSteps::InTurn;
            let loss = shared_negatives_step_in_place(
                &mut pool, &at, &u, dim, lr, &s, it, &mut g, &mut du,
            );
            assert!(
                (loss - want_loss).abs() < 1e-3,
                "dim {dim}: {loss} vs {want_loss}"
            );
            for (name, got, want) in [("rows", &pool, &want), ("du", &du, &want_du)] {
                for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
                    assert!((a - b).abs() < 1e-4, "dim {dim}: {name}[{k}]: {a} vs {b}");
                }
            }
            // Not the minibatch's steps for the positive.
            let (mut pool2, mut g2, mut du2) = (pool0.clone(), g.clone(), du.clone());
            let b = PositiveSteps::Batch;
            shared_negatives_step_in_place(&mut pool2, &at, &u, dim, lr, &s, b, &mut g2, &mut du2);
            assert!((0..dim).any(|d| (du2[d] - du[d]).abs() > 1e-3), "dim {dim}");
        }
    }

    /// [`PositiveSteps::Pairs`] is word2vec.c's per-pair SGD over the window's shared output
    /// rows, in place and on copied rows, checked against a scalar reference.
    #[test]
    fn shared_negatives_step_pairs_is_per_pair_sgd() {
        let s = Sigmoid::new();
        let lr = 0.5; // large, so that the order of the steps shows
        let dotf = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
        for (dim, n) in [(112, 6), (37, 3), (16, 1), (24, 40)] {
            let pool0: Vec<f32> = (0..5 * dim)
                .map(|i| ((i as f32) * 0.37).sin() * 0.4)
                .collect();
            let u: Vec<f32> = (0..n * dim)
                .map(|i| ((i as f32) * 0.71).cos() * 0.4)
                .collect();
            // Row 3 twice in a row (its second pair reads the first's step) and once more.
            let at = [3u32, 3, 0, 4, 1, 3];
            // The reference: rows read as earlier pairs left them (`in_place`) or as given.
            for in_place in [true, false] {
                let mut rows = pool0.clone();
                let mut steps = vec![0.0f32; at.len() * dim];
                let (mut t, mut want_loss) = (u.clone(), 0.0f32);
                for (i, &e) in at.iter().enumerate() {
                    let src = if in_place { &rows } else { &pool0 };
                    let h = src[e as usize * dim..][..dim].to_vec();
                    let mut acc = vec![0.0f32; dim];
                    for r in 0..n {
                        let tr = &mut t[r * dim..(r + 1) * dim];
                        let f = dotf(&h, tr);
                        let label = if r == 0 { 1.0 } else { 0.0 };
                        let g = lr * (label - sig(f));
                        want_loss += if r == 0 {
                            (-f).exp().ln_1p()
                        } else {
                            f.exp().ln_1p()
                        };
                        for d in 0..dim {
                            acc[d] += g * tr[d];
                            tr[d] += g * h[d];
                        }
                    }
                    if in_place {
                        for d in 0..dim {
                            rows[e as usize * dim + d] += acc[d];
                        }
                    }
                    steps[i * dim..(i + 1) * dim].copy_from_slice(&acc);
                }
                let want_du: Vec<f32> = t.iter().zip(&u).map(|(a, b)| a - b).collect();
                let (mut g, mut du) = (vec![0.0; at.len() * n], vec![9.0; n * dim]);
                let p = PositiveSteps::Pairs;
                let (loss, got, want) = if in_place {
                    let mut pool = pool0.clone();
                    let loss = shared_negatives_step_in_place(
                        &mut pool, &at, &u, dim, lr, &s, p, &mut g, &mut du,
                    );
                    (loss, pool, rows)
                } else {
                    let h: Vec<f32> = at
                        .iter()
                        .flat_map(|&e| pool0[e as usize * dim..][..dim].to_vec())
                        .collect();
                    let mut dh = vec![9.0; at.len() * dim];
                    let loss =
                        shared_negatives_step(&h, &u, dim, lr, &s, p, &mut g, &mut dh, &mut du);
                    (loss, dh, steps)
                };
                assert!(
                    (loss - want_loss).abs() < 1e-3,
                    "dim {dim}: {loss} vs {want_loss}"
                );
                for (name, got, want) in [("rows", &got, &want), ("du", &du, &want_du)] {
                    for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
                        assert!((a - b).abs() < 1e-4, "dim {dim}: {name}[{k}]: {a} vs {b}");
                    }
                }
            }
        }
    }

    /// With the positive in turn, the negatives are the minibatch of the rows before the window
    /// and the positive row is stepped pair after pair, checked against a scalar reference.
    #[test]
    fn shared_negatives_step_in_turn_steps_the_positive_pair_after_pair() {
        let s = Sigmoid::new();
        let (m, n, dim) = (3, 4, 7);
        let h: Vec<f32> = (0..m * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.9)
            .collect();
        let u: Vec<f32> = (0..n * dim)
            .map(|i| ((i as f32) * 0.71).cos() * 0.9)
            .collect();
        let lr = 0.5; // large, so that stepping in turn differs clearly from one minibatch
        let dotf = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
        let (mut want_dh, mut want_du, mut want_loss) =
            (vec![0.0f32; m * dim], vec![0.0f32; n * dim], 0.0f32);
        let mut t = u[..dim].to_vec();
        for i in 0..m {
            let hi = &h[i * dim..(i + 1) * dim];
            for r in 1..n {
                let ur = &u[r * dim..(r + 1) * dim];
                let f = dotf(hi, ur);
                let g = -lr * sig(f);
                want_loss += (f.exp()).ln_1p();
                for d in 0..dim {
                    want_dh[i * dim + d] += g * ur[d];
                    want_du[r * dim + d] += g * hi[d];
                }
            }
            let f = dotf(hi, &t);
            let g = lr * (1.0 - sig(f));
            want_loss += (-f).exp().ln_1p();
            for d in 0..dim {
                want_dh[i * dim + d] += g * t[d];
                t[d] += g * hi[d];
            }
        }
        for d in 0..dim {
            want_du[d] = t[d] - u[d];
        }
        let (mut g, mut dh, mut du) = (vec![0.0; m * n], vec![9.0; m * dim], vec![9.0; n * dim]);
        let loss = shared_negatives_step(
            &h,
            &u,
            dim,
            lr,
            &s,
            PositiveSteps::InTurn,
            &mut g,
            &mut dh,
            &mut du,
        );
        assert!((loss - want_loss).abs() < 1e-4, "{loss} vs {want_loss}");
        for (got, want, name) in [(&dh, &want_dh, "dh"), (&du, &want_du, "du")] {
            for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
                assert!((a - b).abs() < 1e-5, "{name}[{k}]: {a} vs {b}");
            }
        }
        // One minibatch gives other steps for the positive, the same for the negatives.
        let (mut g2, mut dh2, mut du2) = (vec![0.0; m * n], vec![0.0; m * dim], vec![0.0; n * dim]);
        shared_negatives_step(
            &h,
            &u,
            dim,
            lr,
            &s,
            PositiveSteps::Batch,
            &mut g2,
            &mut dh2,
            &mut du2,
        );
        assert!((0..dim).any(|d| (du2[d] - du[d]).abs() > 1e-3));
        assert!((dim..n * dim).all(|k| (du2[k] - du[k]).abs() < 1e-5));
        // Without negatives, only the positive.
        let (mut g3, mut dh3, mut du3) = (vec![0.0; m], vec![9.0; m * dim], vec![9.0; dim]);
        let l3 = shared_negatives_step(
            &h,
            &u[..dim],
            dim,
            lr,
            &s,
            PositiveSteps::InTurn,
            &mut g3,
            &mut dh3,
            &mut du3,
        );
        assert!(l3 > 0.0 && dh3.iter().all(|x| x.abs() < 5.0));
    }

    /// The shared-negatives step's `dh` and `du` are `−lr` times the gradient of the summed
    /// loss of its `m` predictions, checked by finite differences.
    #[test]
    fn shared_negatives_step_gradient_matches_finite_differences() {
        let s = Sigmoid::new();
        let (m, n, dim) = (3, 7, 7); // n = 7: score blocks of 4, 2 and 1 rows
        let h: Vec<f32> = (0..m * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.5)
            .collect();
        let u: Vec<f32> = (0..n * dim)
            .map(|i| ((i as f32) * 0.71).cos() * 0.5)
            .collect();
        let exact = |h: &[f64], u: &[f64]| {
            let mut l = 0.0;
            for i in 0..m {
                for r in 0..n {
                    let f: f64 = (0..dim).map(|d| h[i * dim + d] * u[r * dim + d]).sum();
                    let x = if r == 0 { f } else { -f };
                    l += (-x).exp().ln_1p();
                }
            }
            l
        };
        let lr = 0.01;
        let (mut g, mut dh, mut du) = (vec![0.0; m * n], vec![0.0; m * dim], vec![0.0; n * dim]);
        let loss = shared_negatives_step(
            &h,
            &u,
            dim,
            lr,
            &s,
            PositiveSteps::Batch,
            &mut g,
            &mut dh,
            &mut du,
        );
        let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
        let ud: Vec<f64> = u.iter().map(|&x| x as f64).collect();
        assert!((loss as f64 - exact(&hd, &ud)).abs() < 1e-4, "{loss}");
        let eps = 1e-5;
        let fd = |v: &[f64], i: usize, is_h: bool| {
            let (mut p, mut q) = (v.to_vec(), v.to_vec());
            p[i] += eps;
            q[i] -= eps;
            let (lp, lq) = if is_h {
                (exact(&p, &ud), exact(&q, &ud))
            } else {
                (exact(&hd, &p), exact(&hd, &q))
            };
            (lp - lq) / (2.0 * eps)
        };
        for (i, &d) in dh.iter().enumerate() {
            assert!(
                (d as f64 + lr as f64 * fd(&hd, i, true)).abs() < 1e-6,
                "dh[{i}]"
            );
        }
        for (i, &d) in du.iter().enumerate() {
            assert!(
                (d as f64 + lr as f64 * fd(&ud, i, false)).abs() < 1e-6,
                "du[{i}]"
            );
        }
    }

    /// The step's updates are `−lr` times the loss gradient, checked by finite differences of
    /// the exact loss.
    #[test]
    fn logistic_step_gradient_matches_finite_differences() {
        let s = Sigmoid::new();
        let exact_loss = |h: &[f64], o: &[f64], y: f64| {
            let f: f64 = h.iter().zip(o).map(|(a, b)| a * b).sum();
            let sig = 1.0 / (1.0 + (-f).exp());
            -(y * sig.ln() + (1.0 - y) * (1.0 - sig).ln())
        };
        let dim = 19;
        for (label, scale) in [(1.0f32, 0.3f32), (0.0, 0.3), (1.0, -0.2), (0.0, 0.05)] {
            let h: Vec<f32> = (0..dim)
                .map(|i| scale * ((i as f32 * 0.37).sin()))
                .collect();
            let o0: Vec<f32> = (0..dim)
                .map(|i| scale * ((i as f32 * 0.71).cos()))
                .collect();
            let mut o = o0.clone();
            let mut grad = vec![0f32; dim];
            let lr = 0.01;
            let loss = logistic_step(&h, &mut o, &mut grad, label, lr, &s);
            let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
            let od: Vec<f64> = o0.iter().map(|&x| x as f64).collect();
            let y = label as f64;
            assert!((loss as f64 - exact_loss(&hd, &od, y)).abs() < 1e-5);
            let eps = 1e-5;
            for i in 0..dim {
                // d loss / d h_i  <->  grad_i = -lr * dL/dh_i
                let (mut hp, mut hm) = (hd.clone(), hd.clone());
                hp[i] += eps;
                hm[i] -= eps;
                let dh = (exact_loss(&hp, &od, y) - exact_loss(&hm, &od, y)) / (2.0 * eps);
                assert!((grad[i] as f64 + lr as f64 * dh).abs() < 1e-6, "dh[{i}]");
                let (mut op, mut om) = (od.clone(), od.clone());
                op[i] += eps;
                om[i] -= eps;
                let d_o = (exact_loss(&hd, &op, y) - exact_loss(&hd, &om, y)) / (2.0 * eps);
                let step = (o[i] - o0[i]) as f64;
                assert!((step + lr as f64 * d_o).abs() < 1e-6, "do[{i}]");
            }
        }
    }
}
