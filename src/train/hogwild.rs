//! [`SharedMatrix`]: the one place where training threads share mutable state (Hogwild).
//!
//! # Soundness
//! Hogwild SGD lets every thread read and write the parameter matrices without locks, accepting
//! that concurrent updates of the same row may be lost or mixed. In C (word2vec.c, fastText)
//! and in Rust crates that share a `&mut` through `UnsafeCell` (finalfrontier) this is a data
//! race, which is undefined behaviour: the compiler may assume it does not happen.
//!
//! Here every element is held in an atomic integer (two `f32` per [`AtomicU64`](std::sync::atomic::AtomicU64)), accessed only with
//! `Ordering::Relaxed` loads and stores. Concurrent access to atomics is never a data race, so
//! no element is ever touched by `unsafe` code. The `unsafe` blocks here are the x86-64
//! cache-prefetch hint in [`SharedMatrix::prefetch_row`], which reads and writes no memory, and
//! the calls of the row kernels' SSE2 blocks (SSE2 is in every x86-64 processor; the blocks
//! reach the matrix only through relaxed atomics). The crate denies `unsafe` everywhere else
//! but in the dispatch code that `multiversion` generates for `kernels`. A lost update is still
//! possible (load, add, store is not one atomic read-modify-write); that is the algorithmic race
//! Hogwild accepts, now with defined behaviour. On x86-64 a relaxed load or store of a `u64` is
//! a plain `mov`, so the cost is only that loops over atomics are not auto-vectorised: rows are
//! therefore copied into thread-local buffers ([`SharedMatrix::read_row`]), all arithmetic runs
//! on plain `&mut [f32]` with SIMD kernels, and results are stored back
//! ([`SharedMatrix::write_row`]). `into_vec` runs after all threads have been joined, which
//! gives it a happens-before edge to every store.

pub use sound::SharedMatrix;

/// A matrix of this many bytes could not be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory(pub u128);

impl From<OutOfMemory> for std::io::Error {
    fn from(e: OutOfMemory) -> Self {
        std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            format!("cannot allocate a matrix of {} bytes", e.0),
        )
    }
}

/// Row access to a training matrix, as the objectives in [`crate::objective`] use it: the shared
/// Hogwild matrix itself, or one thread's private layer over it ([`crate::train::overlay::Overlay`],
/// for `--deterministic`). Rows are copied in and out; the arithmetic runs on the copies.
pub trait Rows {
    /// Row length.
    fn dim(&self) -> usize;
    /// Number of rows.
    fn rows(&self) -> usize;
    /// Copies row `r` into `out` (`out.len() == dim`).
    fn read_row(&self, r: usize, out: &mut [f32]);
    /// Overwrites row `r` with `src` (`src.len() == dim`).
    fn write_row(&self, r: usize, src: &[f32]);
    /// Adds `src` to row `r` element-wise.
    fn add_to_row(&self, r: usize, src: &[f32]);
    /// Adds row `r` to `out` element-wise (`out.len() == dim`).
    fn add_row_into(&self, r: usize, out: &mut [f32]);
    /// Starts loading row `r` into cache (a hint; may do nothing).
    fn prefetch_row(&self, r: usize);
}

impl Rows for SharedMatrix {
    #[inline(always)]
    fn dim(&self) -> usize {
        SharedMatrix::dim(self)
    }
    #[inline(always)]
    fn rows(&self) -> usize {
        SharedMatrix::rows(self)
    }
    #[inline(always)]
    fn read_row(&self, r: usize, out: &mut [f32]) {
        SharedMatrix::read_row(self, r, out)
    }
    #[inline(always)]
    fn write_row(&self, r: usize, src: &[f32]) {
        SharedMatrix::write_row(self, r, src)
    }
    #[inline(always)]
    fn add_to_row(&self, r: usize, src: &[f32]) {
        SharedMatrix::add_to_row(self, r, src)
    }
    #[inline(always)]
    fn add_row_into(&self, r: usize, out: &mut [f32]) {
        SharedMatrix::add_row_into(self, r, out)
    }
    #[inline(always)]
    fn prefetch_row(&self, r: usize) {
        SharedMatrix::prefetch_row(self, r)
    }
}

/// Transparent huge pages for the matrices. Training reads rows at random: with 4 KiB pages
/// nearly every row of a large matrix (a subword model's bucket rows: 800 MB) costs a TLB miss
/// and a page walk besides its cache misses; with 2 MiB pages the whole matrix fits the TLB.
/// Linux gives huge pages to anonymous memory only where asked (`madvise` is the common
/// default of `/sys/kernel/mm/transparent_hugepage/enabled`); asked before the first write,
/// the pages are huge from the start (measured: benchsuite/NOTES.md, "Huge pages").
mod huge_pages {
    /// Matrices smaller than this are left alone (a few TLB entries cover them).
    const MIN_BYTES: usize = 8 << 20;

    /// Asks for huge pages over the whole 2 MiB pages inside `len` bytes at `ptr` (a hint:
    /// nothing happens where the kernel cannot or will not).
    #[cfg(target_os = "linux")]
    pub(super) fn advise(ptr: *const u8, len: usize) {
        const HUGE: usize = 2 << 20;
        if len < MIN_BYTES {
            return;
        }
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + len) / HUGE * HUGE;
        if end <= start {
            return;
        }
        // SAFETY: madvise(MADV_HUGEPAGE) changes only how the kernel backs the range with
        // physical pages, never its contents or its mapping; the range [start, end) lies
        // inside one live allocation of `len` bytes that this thread owns (the Vec reserved
        // just before), so no other memory is affected. A failure (e.g. a kernel without
        // THP) is ignored: the hint is optional.
        #[allow(unsafe_code)]
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn advise(_ptr: *const u8, _len: usize) {}
}

mod sound {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use super::OutOfMemory;

    /// A `rows × dim` matrix of `f32` that many threads may read and write at once.
    ///
    /// Elements are stored in pairs, one [`AtomicU64`] per two floats, which halves the number of
    /// load and store instructions of a row copy (measured: see `benchsuite/NOTES.md`). All accesses
    /// are 64-bit, never mixed-size. An odd `dim` gets one padding float per row, never exposed.
    pub struct SharedMatrix {
        data: Box<[AtomicU64]>,
        dim: usize,
        /// Atomic words per row: `ceil(dim / 2)`.
        words: usize,
    }

    #[inline(always)]
    fn pack(lo: f32, hi: f32) -> u64 {
        lo.to_bits() as u64 | ((hi.to_bits() as u64) << 32)
    }

    #[inline(always)]
    fn unpack(x: u64) -> (f32, f32) {
        (f32::from_bits(x as u32), f32::from_bits((x >> 32) as u32))
    }

    /// Atomic words per block of the row kernels: 64 bytes, a cache line's worth.
    const BLOCK_WORDS: usize = 8;
    /// Floats per block.
    const BLOCK_FLOATS: usize = 2 * BLOCK_WORDS;

    /// The row kernels' work on one block (8 atomic words, 16 floats): `copy` (the block's
    /// floats into `out`), `add_into` (into `out`, added) and `add_to` (`src` added to the
    /// block). Every word is loaded and stored alone, relaxed; only the arithmetic is
    /// vectorised.
    ///
    /// On x86-64 the blocks are written in SSE2 instructions: left to itself, the compiler
    /// splits each loaded word into its two floats in general registers and adds them one at
    /// a time (about ten instructions per pair), where two words can go into one vector
    /// register with two moves (measured: benchsuite/NOTES.md, "Row kernels in SSE2").
    #[cfg(target_arch = "x86_64")]
    use sse2 as block;

    #[cfg(not(target_arch = "x86_64"))]
    use portable as block;

    #[cfg(target_arch = "x86_64")]
    mod sse2 {
        use std::arch::x86_64::{
            __m128, _mm_add_ps, _mm_castps_si128, _mm_castsi128_ps, _mm_cvtsi128_si64,
            _mm_set_epi64x, _mm_unpackhi_epi64,
        };
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

        use super::{BLOCK_FLOATS, BLOCK_WORDS};

        /// The four floats of words `w[0]` and `w[1]` (each loaded relaxed), in order.
        #[inline]
        #[target_feature(enable = "sse2")]
        fn load4(w: &[AtomicU64; 2]) -> __m128 {
            let (lo, hi) = (w[0].load(Relaxed), w[1].load(Relaxed));
            _mm_castsi128_ps(_mm_set_epi64x(hi as i64, lo as i64))
        }

        /// Stores four floats into words `w[0]` and `w[1]`, one relaxed store each.
        #[inline]
        #[target_feature(enable = "sse2")]
        fn store4(w: &[AtomicU64; 2], v: __m128) {
            let v = _mm_castps_si128(v);
            w[0].store(_mm_cvtsi128_si64(v) as u64, Relaxed);
            w[1].store(_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)) as u64, Relaxed);
        }

        #[inline]
        #[target_feature(enable = "sse2")]
        fn add_into_sse2(w: &[AtomicU64; BLOCK_WORDS], out: &mut [f32; BLOCK_FLOATS], add: bool) {
            for (w, o) in w.as_chunks::<2>().0.iter().zip(out.as_chunks_mut::<4>().0) {
                let x = load4(w);
                let x = if add {
                    _mm_add_ps(bytemuck::cast(*o), x)
                } else {
                    x
                };
                *o = bytemuck::cast(x);
            }
        }

        #[inline]
        #[target_feature(enable = "sse2")]
        fn add_to_sse2(w: &[AtomicU64; BLOCK_WORDS], src: &[f32; BLOCK_FLOATS]) {
            for (w, s) in w.as_chunks::<2>().0.iter().zip(src.as_chunks::<4>().0) {
                store4(w, _mm_add_ps(load4(w), bytemuck::cast(*s)));
            }
        }

        // SAFETY (the three blocks below): each calls a function compiled for SSE2, which is
        // part of the x86-64 baseline: every processor this code can run on has it. The
        // functions reach memory only through their safe reference arguments (relaxed
        // atomics and plain floats), so nothing else is claimed.

        /// `out` = the block's floats.
        #[inline(always)]
        pub(super) fn copy(w: &[AtomicU64; BLOCK_WORDS], out: &mut [f32; BLOCK_FLOATS]) {
            #[allow(unsafe_code)]
            unsafe {
                add_into_sse2(w, out, false)
            }
        }

        /// `out` += the block's floats.
        #[inline(always)]
        pub(super) fn add_into(w: &[AtomicU64; BLOCK_WORDS], out: &mut [f32; BLOCK_FLOATS]) {
            #[allow(unsafe_code)]
            unsafe {
                add_into_sse2(w, out, true)
            }
        }

        /// The block += `src`.
        #[inline(always)]
        pub(super) fn add_to(w: &[AtomicU64; BLOCK_WORDS], src: &[f32; BLOCK_FLOATS]) {
            #[allow(unsafe_code)]
            unsafe {
                add_to_sse2(w, src)
            }
        }
    }

    /// The row kernels' blocks elsewhere: the words loaded into an array, read as floats, the
    /// arithmetic left to the compiler. (Built on x86-64 too for the tests, which hold the SSE2
    /// blocks to these.)
    #[cfg(any(not(target_arch = "x86_64"), test))]
    mod portable {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

        use super::{BLOCK_FLOATS, BLOCK_WORDS, pack, unpack};

        /// The block's floats: its words loaded one by one (relaxed), then read as floats.
        #[inline(always)]
        fn load(w: &[AtomicU64; BLOCK_WORDS]) -> [f32; BLOCK_FLOATS] {
            let b: [u64; BLOCK_WORDS] = std::array::from_fn(|i| w[i].load(Relaxed));
            if cfg!(target_endian = "little") {
                bytemuck::cast(b)
            } else {
                std::array::from_fn(|i| {
                    let (lo, hi) = unpack(b[i / 2]);
                    if i % 2 == 0 { lo } else { hi }
                })
            }
        }

        /// `out` = the block's floats.
        #[inline(always)]
        pub(super) fn copy(w: &[AtomicU64; BLOCK_WORDS], out: &mut [f32; BLOCK_FLOATS]) {
            *out = load(w);
        }

        /// `out` += the block's floats.
        #[inline(always)]
        pub(super) fn add_into(w: &[AtomicU64; BLOCK_WORDS], out: &mut [f32; BLOCK_FLOATS]) {
            for (o, x) in out.iter_mut().zip(load(w)) {
                *o += x;
            }
        }

        /// The block += `src`: one relaxed store per word.
        #[inline(always)]
        pub(super) fn add_to(w: &[AtomicU64; BLOCK_WORDS], src: &[f32; BLOCK_FLOATS]) {
            let mut f = load(w);
            for (f, x) in f.iter_mut().zip(src) {
                *f += x;
            }
            let b: [u64; BLOCK_WORDS] = if cfg!(target_endian = "little") {
                bytemuck::cast(f)
            } else {
                std::array::from_fn(|i| pack(f[2 * i], f[2 * i + 1]))
            };
            for (a, b) in w.iter().zip(b) {
                a.store(b, Relaxed);
            }
        }
    }

    impl SharedMatrix {
        /// Wraps a row-major matrix of `data.len() / dim` rows.
        pub fn from_vec(data: Vec<f32>, dim: usize) -> Self {
            assert!(dim > 0 && data.len().is_multiple_of(dim), "matrix shape");
            let words = dim.div_ceil(2);
            let mut cells = Vec::with_capacity(data.len() / dim * words);
            for row in data.chunks_exact(dim) {
                let pairs = row.chunks_exact(2);
                let odd = pairs.remainder().first().copied();
                cells.extend(pairs.map(|p| AtomicU64::new(pack(p[0], p[1]))));
                if let Some(last) = odd {
                    cells.push(AtomicU64::new(pack(last, 0.0)));
                }
            }
            SharedMatrix {
                data: cells.into_boxed_slice(),
                dim,
                words,
            }
        }

        /// A matrix of zeros.
        pub fn zeros(rows: usize, dim: usize) -> Self {
            Self::from_fn(rows, dim, || 0.0)
        }

        /// Storage for `rows` rows of `words` cells, or an error (never an abort) when the
        /// size overflows or the memory is not there.
        fn alloc(rows: usize, words: usize) -> Result<Vec<AtomicU64>, OutOfMemory> {
            let bytes = (rows as u128) * (words as u128) * 8;
            let mut cells: Vec<AtomicU64> = Vec::new();
            let n = rows.checked_mul(words).ok_or(OutOfMemory(bytes))?;
            cells.try_reserve_exact(n).map_err(|_| OutOfMemory(bytes))?;
            super::huge_pages::advise(cells.as_ptr().cast(), n * 8);
            Ok(cells)
        }

        /// A `rows × dim` matrix filled in row-major order by `f`, without an intermediate
        /// `Vec<f32>` (which would double the peak memory of a large matrix).
        ///
        /// # Panics
        /// When the memory cannot be allocated; [`SharedMatrix::try_from_fn`] returns an error.
        pub fn from_fn(rows: usize, dim: usize, f: impl FnMut() -> f32) -> Self {
            Self::try_from_fn(rows, dim, f).expect("memory for the matrix")
        }

        /// [`SharedMatrix::from_fn`], or [`OutOfMemory`] (with the bytes asked for) when the
        /// allocation fails.
        pub fn try_from_fn(
            rows: usize,
            dim: usize,
            mut f: impl FnMut() -> f32,
        ) -> Result<Self, OutOfMemory> {
            assert!(dim > 0, "matrix shape");
            let words = dim.div_ceil(2);
            let mut cells = Self::alloc(rows, words)?;
            for _ in 0..rows {
                for i in 0..words {
                    let lo = f();
                    let hi = if 2 * i + 1 < dim { f() } else { 0.0 };
                    cells.push(AtomicU64::new(pack(lo, hi)));
                }
            }
            Ok(SharedMatrix {
                data: cells.into_boxed_slice(),
                dim,
                words,
            })
        }

        /// A `rows × dim` matrix whose rows `fill` writes one at a time into a buffer, without
        /// an intermediate `Vec<f32>` of the whole matrix; stops at the first error.
        pub fn try_from_rows<E>(
            rows: usize,
            dim: usize,
            mut fill: impl FnMut(&mut [f32]) -> Result<(), E>,
        ) -> Result<Self, E>
        where
            E: From<OutOfMemory>,
        {
            assert!(dim > 0, "matrix shape");
            let words = dim.div_ceil(2);
            let mut cells = Self::alloc(rows, words)?;
            let mut row = vec![0f32; 2 * words];
            for _ in 0..rows {
                fill(&mut row[..dim])?;
                cells.extend(
                    row.chunks_exact(2)
                        .map(|p| AtomicU64::new(pack(p[0], p[1]))),
                );
            }
            Ok(SharedMatrix {
                data: cells.into_boxed_slice(),
                dim,
                words,
            })
        }

        /// Row length.
        pub fn dim(&self) -> usize {
            self.dim
        }

        /// Number of rows.
        pub fn rows(&self) -> usize {
            self.data.len() / self.words
        }

        #[inline(always)]
        fn row(&self, r: usize) -> &[AtomicU64] {
            &self.data[r * self.words..(r + 1) * self.words]
        }

        /// Copies row `r` into `out` (`out.len() == dim`).
        #[inline]
        pub fn read_row(&self, r: usize, out: &mut [f32]) {
            self.combine_into(r, out, block::copy, |o, x| *o = x);
        }

        /// Adds row `r` to `out` (`out.len() == dim`).
        #[inline]
        pub fn add_row_into(&self, r: usize, out: &mut [f32]) {
            self.combine_into(r, out, block::add_into, |o, x| *o += x);
        }

        /// `op(out[i], row r's float i)` for every `i < out.len()`: `block_op` a block at a
        /// time, then `op` on the tail, per pair.
        #[inline(always)]
        fn combine_into(
            &self,
            r: usize,
            out: &mut [f32],
            block_op: impl Fn(&[AtomicU64; BLOCK_WORDS], &mut [f32; BLOCK_FLOATS]),
            op: impl Fn(&mut f32, f32),
        ) {
            let (body, rest) = out.as_chunks_mut::<BLOCK_FLOATS>();
            let (blocks, tail) = self.row(r).split_at(body.len() * BLOCK_WORDS);
            for (w, o) in blocks.as_chunks::<BLOCK_WORDS>().0.iter().zip(body) {
                block_op(w, o);
            }
            for (k, a) in tail.iter().enumerate() {
                let (lo, hi) = unpack(a.load(Relaxed));
                op(&mut rest[2 * k], lo);
                if let Some(o) = rest.get_mut(2 * k + 1) {
                    op(o, hi);
                }
            }
        }

        /// Overwrites row `r` with `src` (`src.len() == dim`).
        #[inline]
        pub fn write_row(&self, r: usize, src: &[f32]) {
            let row = self.row(r);
            let pairs = src.chunks_exact(2);
            if let [last] = pairs.remainder() {
                row[self.words - 1].store(pack(*last, 0.0), Relaxed);
            }
            for (a, s) in row.iter().zip(pairs) {
                a.store(pack(s[0], s[1]), Relaxed);
            }
        }

        /// Adds `src` to row `r` element-wise (load, add, store: concurrent adds may be lost, as in
        /// every Hogwild trainer, but only those within one element's load and store). Works
        /// [`BLOCK_FLOATS`] floats at a time: the atomic words are loaded and stored whole
        /// (64-bit moves, no per-float unpacking) and the additions are vector instructions
        /// (measured: benchsuite/NOTES.md, "Lost updates", "Row kernels in blocks" and "Row
        /// kernels in SSE2").
        #[inline]
        pub fn add_to_row(&self, r: usize, src: &[f32]) {
            let (body, rest) = src.as_chunks::<BLOCK_FLOATS>();
            let (blocks, tail) = self.row(r).split_at(body.len() * BLOCK_WORDS);
            for (w, s) in blocks.as_chunks::<BLOCK_WORDS>().0.iter().zip(body) {
                block::add_to(w, s);
            }
            for (k, a) in tail.iter().enumerate() {
                let (lo, hi) = unpack(a.load(Relaxed));
                let hi = hi + rest.get(2 * k + 1).copied().unwrap_or(0.0);
                a.store(pack(lo + rest[2 * k], hi), Relaxed);
            }
        }

        /// Starts loading row `r` into cache. On x86-64, one `prefetcht0` per 64-byte line: a
        /// hint that retires at once, so the loads overlap with the work before the row is used.
        /// Elsewhere, one relaxed load per line, so that at least the misses of several rows
        /// overlap instead of being paid one row at a time.
        #[inline]
        pub fn prefetch_row(&self, r: usize) {
            let row = self.row(r);
            #[cfg(target_arch = "x86_64")]
            for a in row.iter().step_by(8).chain(row.last()) {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                // SAFETY: `prefetcht0` (SSE, which every x86-64 CPU has) only hints the cache:
                // it has no architectural effect and never faults, whatever the address; here
                // the address is inside a live row besides. No memory is read or written, so
                // it cannot race with the relaxed accesses of other threads.
                #[allow(unsafe_code)]
                unsafe {
                    _mm_prefetch::<_MM_HINT_T0>(a.as_ptr().cast::<i8>().cast_const())
                };
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                let mut x = 0u64;
                for a in row.iter().step_by(8) {
                    x ^= a.load(Relaxed);
                }
                std::hint::black_box(x);
            }
        }

        /// The matrix as plain floats, once no other thread holds a reference.
        ///
        /// The floats go into a zeroed allocation (whose pages the system provides only when
        /// written), filled from the last rows, and the atomic storage is shrunk behind them
        /// block by block: the peak memory is one matrix and a block, not two matrices (a
        /// subword model's 800 MB of bucket rows would otherwise be held twice).
        pub fn into_vec(self) -> Vec<f32> {
            const BLOCK_BYTES: usize = 64 << 20;
            let (dim, words) = (self.dim, self.words);
            let rows = self.rows();
            let mut out = vec![0f32; rows * dim];
            let mut cells = self.data.into_vec();
            let block = (BLOCK_BYTES / (words * 8)).max(1);
            let mut end = rows;
            while end > 0 {
                let start = end.saturating_sub(block);
                let src = cells[start * words..end * words].chunks_exact(words);
                for (row, dst) in src.zip(out[start * dim..end * dim].chunks_exact_mut(dim)) {
                    for (i, a) in row.iter().enumerate() {
                        let (lo, hi) = unpack(a.load(Relaxed));
                        dst[2 * i] = lo;
                        if 2 * i + 1 < dim {
                            dst[2 * i + 1] = hi;
                        }
                    }
                }
                cells.truncate(start * words);
                cells.shrink_to_fit();
                end = start;
            }
            out
        }
    }

    /// The SSE2 blocks give the portable blocks' bits, for floats of every kind of bit pattern
    /// (signs, subnormal, huge, infinite) in every position of a block. NaNs are left out:
    /// which operand's payload an addition keeps is the compiler's choice in both.
    #[cfg(all(test, target_arch = "x86_64"))]
    #[test]
    fn sse2_blocks_equal_the_portable_ones() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut float = move || {
            let f = f32::from_bits(next() as u32);
            if f.is_nan() { f32::INFINITY } else { f }
        };
        let bits = |f: &[f32]| f.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let words = |a: &[AtomicU64; BLOCK_WORDS]| a.each_ref().map(|w| w.load(Relaxed));
        for _ in 0..500 {
            let w: [u64; BLOCK_WORDS] = std::array::from_fn(|_| pack(float(), float()));
            let src: [f32; BLOCK_FLOATS] = std::array::from_fn(|_| float());
            let out: [f32; BLOCK_FLOATS] = std::array::from_fn(|i| (i as f32 - 7.5) * 0.37);
            let atoms = |w: &[u64; BLOCK_WORDS]| w.map(AtomicU64::new);
            let (a, b) = (atoms(&w), atoms(&w));
            sse2::add_to(&a, &src);
            portable::add_to(&b, &src);
            assert_eq!(words(&a), words(&b));
            let (mut o1, mut o2) = (out, out);
            sse2::add_into(&a, &mut o1);
            portable::add_into(&a, &mut o2);
            assert_eq!(bits(&o1), bits(&o2));
            sse2::copy(&a, &mut o1);
            portable::copy(&a, &mut o2);
            assert_eq!(bits(&o1), bits(&o2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{OutOfMemory, SharedMatrix};

    #[test]
    fn a_matrix_too_large_for_memory_is_an_error_not_an_abort() {
        // rows × words overflows usize.
        let r = SharedMatrix::try_from_fn(usize::MAX / 2, 100, || 0.0);
        assert!(matches!(r, Err(OutOfMemory(_))));
        // Fits in usize, but no machine has 8 PiB.
        let r = SharedMatrix::try_from_fn(1 << 40, 2_000, || 0.0);
        assert_eq!(r.err(), Some(OutOfMemory((1u128 << 40) * 1_000 * 8)));
    }

    #[test]
    fn rows_round_trip_and_threads_can_share() {
        let m = SharedMatrix::zeros(4, 8);
        std::thread::scope(|s| {
            for t in 0..2 {
                let m = &m;
                s.spawn(move || {
                    let mut buf = [0f32; 8];
                    for _ in 0..100 {
                        m.read_row(t, &mut buf);
                        buf.iter_mut().for_each(|x| *x += 1.0);
                        m.write_row(t, &buf);
                        m.add_to_row(2 + t, &[0.5; 8]);
                    }
                });
            }
        });
        let v = m.into_vec();
        assert!(v[..16].iter().all(|&x| x == 100.0));
        assert!(v[16..].iter().all(|&x| x == 50.0));
    }

    #[test]
    fn odd_dimensions_round_trip() {
        for dim in [1, 3, 5, 15, 16, 17, 31, 32, 33, 47, 48, 49, 100, 101] {
            let data: Vec<f32> = (0..3 * dim).map(|i| i as f32 - 7.5).collect();
            let m = SharedMatrix::from_vec(data.clone(), dim);
            let mut it = data.iter().copied();
            let same = SharedMatrix::from_fn(3, dim, || it.next().unwrap());
            assert_eq!(same.into_vec(), data);
            let mut rows = data.chunks_exact(dim);
            let filled = SharedMatrix::try_from_rows(3, dim, |r| {
                r.copy_from_slice(rows.next().unwrap());
                Ok::<(), OutOfMemory>(())
            });
            assert_eq!(filled.unwrap().into_vec(), data);
            let mut calls = 0;
            let failed = SharedMatrix::try_from_rows(3, dim, |_| {
                calls += 1;
                if calls == 2 {
                    Err(OutOfMemory(7))
                } else {
                    Ok(())
                }
            });
            assert_eq!(failed.err(), Some(OutOfMemory(7)));
            assert_eq!(calls, 2);
            assert_eq!(m.rows(), 3);
            let mut buf = vec![0f32; dim];
            m.read_row(1, &mut buf);
            assert_eq!(buf, data[dim..2 * dim]);
            // Blocks and the tail both reach every float, and only the row's own.
            let mut sum: Vec<f32> = (0..dim).map(|i| i as f32 * 0.25).collect();
            m.add_row_into(1, &mut sum);
            assert!(
                sum.iter()
                    .enumerate()
                    .all(|(i, &x)| x == i as f32 * 0.25 + data[dim + i])
            );
            let step: Vec<f32> = (0..dim).map(|i| 1.0 + i as f32 * 0.5).collect();
            m.add_to_row(2, &step);
            m.write_row(0, &vec![2.0; dim]);
            m.prefetch_row(2);
            let v = m.into_vec();
            assert!(v[..dim].iter().all(|&x| x == 2.0));
            assert_eq!(v[dim..2 * dim], data[dim..2 * dim]);
            assert!(
                v[2 * dim..]
                    .iter()
                    .zip(&data[2 * dim..])
                    .zip(&step)
                    .all(|((a, b), s)| *a == b + s)
            );
        }
    }
}
