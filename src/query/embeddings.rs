//! Trained word vectors and the queries people ask of them: nearest neighbours (with
//! positive and negative words), analogies by 3CosAdd or 3CosMul, and cosine similarity.
//!
//! Queries follow gensim's `KeyedVectors` exactly, so that scores agree with it: vectors are
//! compared by cosine, the query is the mean of the unit-length positive vectors minus the
//! negative ones, and the query words never appear among the answers. Vector norms are computed
//! once, on the first query, and kept (4 bytes per word); the matrix itself is never copied.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::formats::fasttext::{MappedRows, MatrixRef, map_fasttext, mean_of_rows};
use crate::formats::word2vec::{self, Format};
use crate::objective::kernels;
use crate::query::search::{self, QUANTIZED_MIN_FLOATS, Quantized};
use crate::text::subword::NgramSpec;

/// Word vectors: `len()` words, each with a `dim()`-float vector, most frequent first when
/// produced by the trainer (and in every word2vec file by convention).
#[derive(Clone, Debug)]
pub struct Embeddings {
    words: Vec<Box<[u8]>>,
    index: FxHashMap<Box<[u8]>, u32>,
    dim: usize,
    data: Vec<f32>,
    norms: OnceLock<Vec<f32>>,
    folded: OnceLock<FxHashMap<Box<[u8]>, u32>>,
    quantized: OnceLock<Quantized>,
    subwords: Option<Arc<SubwordRows>>,
}

/// What gives words outside the vocabulary a vector: a subword model's character n-gram
/// rows. An unknown word's vector is the mean of its n-grams' rows (fastText's rule).
#[derive(Debug)]
pub struct SubwordRows {
    spec: NgramSpec,
    /// The model's input matrix: `skip` word rows, then one row per bucket.
    input: RowStore,
    skip: usize,
    dim: usize,
}

/// Where a [`SubwordRows`]'s matrix lies.
#[derive(Debug)]
enum RowStore {
    /// In memory (a model trained in this process).
    Owned(Vec<f32>),
    /// In a model file mapped into memory (a fastText model read for queries).
    Mapped(MappedRows),
}

impl SubwordRows {
    /// The n-gram rows of a model whose input matrix holds `skip` word rows first, then
    /// `spec.buckets` bucket rows, each `dim` floats.
    ///
    /// # Panics
    /// When `input` is not `(skip + spec.buckets) × dim` floats.
    pub fn new(spec: NgramSpec, input: Vec<f32>, skip: usize, dim: usize) -> Self {
        assert_eq!(
            input.len(),
            (skip + spec.buckets) * dim,
            "subword matrix shape"
        );
        SubwordRows {
            spec,
            input: RowStore::Owned(input),
            skip,
            dim,
        }
    }

    /// The same over a matrix mapped from a model file ([`map_fasttext`]).
    ///
    /// # Panics
    /// When the mapped matrix is not `(skip + spec.buckets) × dim` floats.
    pub fn mapped(spec: NgramSpec, input: MappedRows, skip: usize, dim: usize) -> Self {
        assert_eq!(
            input.bytes().len(),
            (skip + spec.buckets) * dim * 4,
            "subword matrix shape"
        );
        SubwordRows {
            spec,
            input: RowStore::Mapped(input),
            skip,
            dim,
        }
    }

    /// The n-gram settings.
    pub fn spec(&self) -> NgramSpec {
        self.spec
    }

    /// The whole input matrix in memory, the word rows then the bucket rows (row-major);
    /// `None` when it is mapped from a model file.
    pub fn matrix(&self) -> Option<&[f32]> {
        match &self.input {
            RowStore::Owned(v) => Some(v),
            RowStore::Mapped(_) => None,
        }
    }

    /// The matrix, wherever it lies.
    fn rows(&self) -> MatrixRef<'_> {
        match &self.input {
            RowStore::Owned(v) => MatrixRef::Floats(v),
            RowStore::Mapped(m) => MatrixRef::LeBytes(m.bytes()),
        }
    }

    /// How many word rows come before the bucket rows.
    pub fn word_rows(&self) -> usize {
        self.skip
    }

    /// The mean of `word`'s n-gram rows; `None` when it has no n-grams.
    pub fn vector(&self, word: &[u8]) -> Option<Vec<f32>> {
        let mut v = vec![0.0f32; self.dim];
        mean_of_rows(self.rows(), self.skip, self.spec, None, word, &mut v)?;
        Some(v)
    }
}

/// A query word: a row of the matrix, or (a subword model's unknown word) a vector.
pub(crate) enum QueryWord {
    Row(usize),
    Vector(Vec<f32>),
}

impl PartialEq for Embeddings {
    fn eq(&self, other: &Self) -> bool {
        self.words == other.words && self.dim == other.dim && self.data == other.data
    }
}

/// How to score analogy candidates `d` for "a is to b as c is to d".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum AnalogyMethod {
    /// 3CosAdd (Mikolov et al. 2013): `cos(d, b − a + c)`, as gensim's `most_similar`.
    #[default]
    #[serde(rename = "3cosadd")]
    #[cfg_attr(feature = "cli", value(name = "3cosadd"))]
    CosAdd,
    /// 3CosMul (Levy & Goldberg 2014): `cos'(d,b)·cos'(d,c) / (cos'(d,a) + 1e-6)` with
    /// `cos' = (cos + 1)/2`, as gensim's `most_similar_cosmul`.
    #[serde(rename = "3cosmul")]
    #[cfg_attr(feature = "cli", value(name = "3cosmul"))]
    CosMul,
}

/// The ε of 3CosMul's denominator (gensim's value).
pub const COSMUL_EPSILON: f32 = 1e-6;

/// Options for [`Embeddings::load_with`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The file format; `None` picks binary for `.bin`, text otherwise.
    pub format: Option<Format>,
    /// Load only the first `N` vectors (the most frequent words, by convention).
    pub limit: Option<usize>,
    /// Replace invalid UTF-8 in words by U+FFFD (as gensim's `unicode_errors="replace"`), for
    /// files such as GoogleNews' whose words were cut inside a multi-byte character. Without
    /// it words are kept as the exact bytes of the file.
    pub lossy_utf8: bool,
}

impl Embeddings {
    /// Builds embeddings from words and a row-major `words.len() × dim` matrix. A repeated word
    /// keeps its first vector for lookups.
    ///
    /// # Panics
    /// When `data.len() != words.len() * dim`.
    pub fn new(words: Vec<Box<[u8]>>, dim: usize, data: Vec<f32>) -> Self {
        assert_eq!(words.len() * dim, data.len(), "matrix shape");
        let mut index = FxHashMap::default();
        index.reserve(words.len());
        for (i, w) in words.iter().enumerate() {
            index.entry(w.clone()).or_insert(i as u32);
        }
        Embeddings {
            words,
            index,
            dim,
            data,
            norms: OnceLock::new(),
            folded: OnceLock::new(),
            quantized: OnceLock::new(),
            subwords: None,
        }
    }

    /// These embeddings with `rows` giving unknown words vectors from their n-grams (queries
    /// and evaluations then accept words outside the vocabulary).
    pub fn with_subwords(mut self, rows: SubwordRows) -> Self {
        assert_eq!(rows.dim, self.dim, "subword rows of another dimension");
        self.subwords = Some(Arc::new(rows));
        self
    }

    /// The n-gram rows, for a subword model.
    pub fn subwords(&self) -> Option<&SubwordRows> {
        self.subwords.as_deref()
    }

    /// A word's vector: its row, else (a subword model) the mean of its n-gram rows.
    pub fn vector_for(&self, word: &[u8]) -> Option<Cow<'_, [f32]>> {
        match self.resolve(word).ok()? {
            QueryWord::Row(i) => Some(Cow::Borrowed(self.row(i))),
            QueryWord::Vector(v) => Some(Cow::Owned(v)),
        }
    }

    /// A query word: its row (as by [`Embeddings::lookup`]), else its n-gram vector.
    pub(crate) fn resolve(&self, word: &[u8]) -> Result<QueryWord> {
        if let Some(i) = self.lookup(word) {
            return Ok(QueryWord::Row(i));
        }
        self.subwords
            .as_ref()
            .and_then(|s| s.vector(word))
            .map(QueryWord::Vector)
            .ok_or_else(|| unknown(word))
    }

    /// `word`'s unit vector added `weight` times into `acc`; its row, if it has one.
    fn add_unit_word(&self, w: &QueryWord, weight: f32, acc: &mut [f32]) -> Option<usize> {
        match w {
            QueryWord::Row(i) => {
                self.add_unit(*i, weight, acc);
                Some(*i)
            }
            QueryWord::Vector(v) => {
                let n = kernels::dot(v, v).sqrt();
                if n > 0.0 {
                    kernels::axpy(weight / n, v, acc);
                }
                None
            }
        }
    }

    /// Loads a word2vec file; `format` `None` picks binary for `.bin`, text otherwise.
    pub fn load(path: impl AsRef<Path>, format: Option<Format>) -> Result<Self> {
        Self::load_with(
            path,
            &LoadOptions {
                format,
                ..Default::default()
            },
        )
    }

    /// Loads a word2vec file with [`LoadOptions`], or a fastText `.bin` model (found by its
    /// magic number), whose unknown words then get vectors from their n-grams.
    pub fn load_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Self> {
        let path = path.as_ref();
        if crate::formats::fasttext::is_fasttext(path) {
            // The input matrix is mapped, not read; only the (first `limit`) words' vectors
            // are computed into memory.
            let crate::formats::fasttext::MappedModel {
                args,
                mut words,
                rows,
            } = map_fasttext(path)?;
            let (skip, dim) = (words.len(), args.dim as usize);
            if let Some(limit) = opts.limit {
                words.truncate(limit);
            }
            let mut data: Vec<f32> = Vec::new();
            data.try_reserve_exact(words.len() * dim)
                .map_err(|_| Error::OutOfMemory {
                    what: "the fastText model's word vectors",
                    bytes: words.len() as u128 * dim as u128 * 4,
                })?;
            data.resize(words.len() * dim, 0.0);
            let rows = SubwordRows::mapped(args.ngram_spec(), rows, skip, dim);
            return Ok(Embeddings::subword_vectors_into(words, rows, data));
        }
        let format = opts.format.unwrap_or_else(|| Format::from_path(path));
        let mut e = word2vec::read_word2vec(path, format, opts.limit)?;
        if opts.lossy_utf8 {
            let words = std::mem::take(&mut e.words)
                .into_iter()
                .map(|w| match String::from_utf8_lossy(&w) {
                    Cow::Borrowed(_) => w,
                    Cow::Owned(s) => s.into_bytes().into_boxed_slice(),
                })
                .collect();
            e = Embeddings::new(words, e.dim, e.data);
        }
        Ok(e)
    }

    /// A fastText model's word vectors (each the mean of the word's row and its n-grams'
    /// rows, as fastText's `getWordVector`), keeping the n-gram rows for unknown words. The
    /// model's input matrix is moved, not copied.
    pub fn from_fasttext(model: crate::formats::fasttext::FastTextModel) -> Embeddings {
        let (dim, spec) = (model.dim(), model.ngram_spec());
        Embeddings::from_subword_matrix(model.words, spec, model.input, dim)
    }

    /// The word vectors of a subword model whose input matrix (`input`, row-major, `dim`
    /// floats per row) holds one row per word of `words`, then `spec.buckets` n-gram rows:
    /// each word's vector is the mean of its row and its n-grams' rows; the matrix is kept
    /// (moved, not copied) for unknown words.
    pub fn from_subword_matrix(
        words: Vec<Box<[u8]>>,
        spec: NgramSpec,
        input: Vec<f32>,
        dim: usize,
    ) -> Embeddings {
        let n = words.len();
        Embeddings::from_subword_rows(words, SubwordRows::new(spec, input, n, dim))
    }

    /// The word vectors of the first `words` of a subword model's dictionary (word `i` has row
    /// `i` of `rows`, `words.len() ≤ rows.word_rows()`), each the mean of its row and its
    /// n-grams' rows, computed on every core; `rows` kept for unknown words.
    ///
    /// # Panics
    /// When there are more words than word rows.
    pub fn from_subword_rows(words: Vec<Box<[u8]>>, rows: SubwordRows) -> Embeddings {
        let data = vec![0.0f32; words.len() * rows.dim];
        Embeddings::subword_vectors_into(words, rows, data)
    }

    /// [`Embeddings::from_subword_rows`] into `data` (`words × dim` floats).
    fn subword_vectors_into(
        words: Vec<Box<[u8]>>,
        rows: SubwordRows,
        mut data: Vec<f32>,
    ) -> Embeddings {
        assert!(words.len() <= rows.word_rows(), "more words than word rows");
        let (n, dim, spec, skip) = (words.len(), rows.dim, rows.spec, rows.skip);
        assert_eq!(data.len(), n * dim, "word vectors' shape");
        let threads = if n * dim < (1 << 20) {
            1
        } else {
            available_threads()
        };
        let per = n.div_ceil(threads).max(1);
        let input = rows.rows();
        std::thread::scope(|s| {
            for (t, out) in data.chunks_mut(per * dim).enumerate() {
                let words = &words;
                s.spawn(move || {
                    for (k, row) in out.chunks_exact_mut(dim).enumerate() {
                        let i = t * per + k;
                        let _ = mean_of_rows(input, skip, spec, Some(i), &words[i], row);
                    }
                });
            }
        });
        let e = Embeddings::new(words, dim, data);
        e.with_subwords(rows)
    }

    /// Saves in word2vec format, atomically (temp file + rename).
    pub fn save(&self, path: impl AsRef<Path>, format: Format) -> Result<()> {
        word2vec::write_word2vec(path.as_ref(), self, format)
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The words, in file order.
    pub fn words(&self) -> &[Box<[u8]>] {
        &self.words
    }

    /// The whole row-major matrix.
    pub fn matrix(&self) -> &[f32] {
        &self.data
    }

    /// The index of exactly `word`.
    pub fn index_of(&self, word: &[u8]) -> Option<usize> {
        self.index.get(word).map(|&i| i as usize)
    }

    /// The index of `word`, else of the most frequent word equal to it ignoring case.
    pub fn lookup(&self, word: &[u8]) -> Option<usize> {
        self.index_of(word).or_else(|| self.index_of_folded(word))
    }

    /// The index of the first (most frequent) word whose upper-case form equals `word`'s —
    /// gensim's case-insensitive lookup.
    pub fn index_of_folded(&self, word: &[u8]) -> Option<usize> {
        self.folded_index()
            .get(&*fold_case(word))
            .map(|&i| i as usize)
    }

    fn folded_index(&self) -> &FxHashMap<Box<[u8]>, u32> {
        self.folded.get_or_init(|| {
            let mut m = FxHashMap::default();
            m.reserve(self.words.len());
            for (i, w) in self.words.iter().enumerate() {
                m.entry(fold_case(w).into_owned().into_boxed_slice())
                    .or_insert(i as u32);
            }
            m
        })
    }

    /// The vector of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The vector of exactly `word`.
    pub fn vector(&self, word: &[u8]) -> Option<&[f32]> {
        self.index_of(word).map(|i| self.row(i))
    }

    /// The Euclidean norm of every row (computed on first use, then kept).
    pub fn norms(&self) -> &[f32] {
        self.norms.get_or_init(|| {
            let mut norms = vec![0.0f32; self.len()];
            let dim = self.dim.max(1);
            let fill = |rows: &[f32], out: &mut [f32]| {
                for (n, r) in out.iter_mut().zip(rows.chunks_exact(dim)) {
                    *n = kernels::dot(r, r).sqrt();
                }
            };
            let threads = if self.data.len() < (1 << 22) {
                1
            } else {
                available_threads()
            };
            let per = self.len().div_ceil(threads).max(1);
            std::thread::scope(|s| {
                for (rows, out) in self.data.chunks(per * dim).zip(norms.chunks_mut(per)) {
                    s.spawn(move || fill(rows, out));
                }
            });
            norms
        })
    }

    /// Prepares what queries need, in one pass on all cores: the row norms and, for matrices
    /// of 16M floats or more, the `i8` copy that nearest-neighbour search scans first (a
    /// quarter of the matrix's memory). The first query does it otherwise; call it after
    /// loading to keep that query as fast as the rest.
    pub fn prepare_queries(&self) {
        if self.data.len() >= QUANTIZED_MIN_FLOATS {
            if self.quantized.get().is_none() {
                let (q, norms) = Quantized::with_norms(&self.data, self.dim);
                let _ = self.norms.set(norms);
                let _ = self.quantized.set(q);
            }
        } else {
            self.norms();
        }
    }

    /// Row `i` scaled to unit length (zero stays zero), added `weight` times into `acc`.
    pub(crate) fn add_unit(&self, i: usize, weight: f32, acc: &mut [f32]) {
        let n = self.norms()[i];
        if n > 0.0 {
            kernels::axpy(weight / n, self.row(i), acc);
        }
    }

    /// Cosine similarity of two words (looked up as by [`Embeddings::lookup`]; a subword
    /// model's unknown words by their n-grams).
    pub fn similarity(&self, a: &[u8], b: &[u8]) -> Result<f32> {
        let va = self.vector_for(a).ok_or_else(|| unknown(a))?;
        let vb = self.vector_for(b).ok_or_else(|| unknown(b))?;
        Ok(cosine(&va, &vb))
    }

    /// The `k` words closest to `word` by cosine similarity, the word itself excluded.
    pub fn most_similar(&self, word: &[u8], k: usize) -> Result<Vec<(&[u8], f32)>> {
        self.most_similar_to(&[word], &[], k)
    }

    /// gensim's `most_similar(positive, negative, topn=k)`: the `k` words closest by cosine to
    /// the mean of the unit vectors of `positive` minus those of `negative`, every query word
    /// excluded. Words are looked up as by [`Embeddings::lookup`].
    pub fn most_similar_to(
        &self,
        positive: &[&[u8]],
        negative: &[&[u8]],
        k: usize,
    ) -> Result<Vec<(&[u8], f32)>> {
        if positive.is_empty() && negative.is_empty() {
            return Err(Error::config("query", "give at least one word"));
        }
        let mut q = vec![0.0f32; self.dim];
        let mut exclude = Vec::new();
        for (words, weight) in [(positive, 1.0), (negative, -1.0)] {
            for w in words {
                let w = self.resolve(w)?;
                exclude.extend(self.add_unit_word(&w, weight, &mut q));
            }
        }
        Ok(self.named(self.nearest_to_vector(&q, k, &exclude, None)))
    }

    /// "`a` is to `b` as `c` is to ?": the `k` best answers by `method`, the three input words
    /// excluded.
    pub fn analogy(
        &self,
        a: &[u8],
        b: &[u8],
        c: &[u8],
        k: usize,
        method: AnalogyMethod,
    ) -> Result<Vec<(&[u8], f32)>> {
        match method {
            AnalogyMethod::CosAdd => self.most_similar_to(&[b, c], &[a], k),
            AnalogyMethod::CosMul => {
                let mut idx = Vec::new();
                let mut units: Vec<Vec<f32>> = Vec::new();
                for w in [a, b, c] {
                    let mut u = vec![0.0f32; self.dim];
                    idx.extend(self.add_unit_word(&self.resolve(w)?, 1.0, &mut u));
                    units.push(u);
                }
                let mut scores = vec![0.0f32; self.len()];
                let norms = self.norms();
                for (j, s) in scores.iter_mut().enumerate() {
                    let v = self.row(j);
                    let cos = |u: &[f32]| {
                        let n = norms[j];
                        let c = if n > 0.0 { kernels::dot(u, v) / n } else { 0.0 };
                        (1.0 + c) / 2.0
                    };
                    *s = cos(&units[1]) * cos(&units[2]) / (cos(&units[0]) + COSMUL_EPSILON);
                }
                let mut top = TopK::new(k);
                for (j, &s) in scores.iter().enumerate() {
                    if !idx.contains(&j) {
                        top.offer(s, j);
                    }
                }
                Ok(self.named(top.into_sorted()))
            }
        }
    }

    /// The `k` rows closest by cosine to the vector `q` among the first `restrict` rows (all when
    /// `None`), rows in `exclude` left out; best first, ties to the lower index. Scans with all
    /// cores when the matrix is large, and above 16M floats through an `i8` copy of the matrix
    /// (built on first use, a quarter of its size) with exact rescoring: see [`crate::query::search`].
    pub fn nearest_to_vector(
        &self,
        q: &[f32],
        k: usize,
        exclude: &[usize],
        restrict: Option<usize>,
    ) -> Vec<(usize, f32)> {
        let n = restrict.map_or(self.len(), |r| r.min(self.len()));
        let qn = kernels::dot(q, q).sqrt();
        self.prepare_queries();
        let norms = self.norms();
        if let Some(quant) = self.quantized.get() {
            let mut top =
                search::top_by_cosine(quant, |j| self.row(j), norms, q, n, k + exclude.len());
            top.items.retain(|&(_, j)| !exclude.contains(&j));
            let mut v = top.into_sorted();
            v.truncate(k);
            return v;
        }
        let scan = |lo: usize, hi: usize| {
            let mut top = TopK::new(k + exclude.len());
            for (j, &nj) in norms.iter().enumerate().take(hi).skip(lo) {
                let d = nj * qn;
                let s = if d > 0.0 {
                    kernels::dot(q, self.row(j)) / d
                } else {
                    0.0
                };
                top.offer(s, j);
            }
            top
        };
        let threads = if n * self.dim < (1 << 22) {
            1
        } else {
            available_threads()
        };
        let mut top = if threads == 1 {
            scan(0, n)
        } else {
            let chunk = n.div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let scan = &scan;
                        s.spawn(move || scan((t * chunk).min(n), ((t + 1) * chunk).min(n)))
                    })
                    .collect();
                let mut all = TopK::new(k + exclude.len());
                for h in handles {
                    for (j, s) in h.join().expect("scan thread panicked").into_sorted() {
                        all.offer(s, j);
                    }
                }
                all
            })
        };
        top.items.retain(|&(_, j)| !exclude.contains(&j));
        let mut v = top.into_sorted();
        v.truncate(k);
        v
    }

    fn named(&self, v: Vec<(usize, f32)>) -> Vec<(&[u8], f32)> {
        v.into_iter().map(|(i, s)| (&*self.words[i], s)).collect()
    }
}

/// The number of threads queries may use: the available cores.
pub(crate) fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The best `k` (score, index) pairs offered, ties to the lower index.
pub(crate) struct TopK {
    k: usize,
    items: Vec<(f32, usize)>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            // Grows as items arrive: a huge k must not reserve memory for candidates that
            // do not exist.
            items: Vec::with_capacity(k.min(1 << 12) + 1),
        }
    }

    #[inline]
    pub(crate) fn offer(&mut self, score: f32, index: usize) {
        if self.k == 0 || score.is_nan() {
            return;
        }
        if self.items.len() == self.k {
            let (ls, li) = self.items[self.k - 1];
            if score < ls || (score == ls && index > li) {
                return;
            }
            self.items.pop();
        }
        let pos = self
            .items
            .partition_point(|&(s, i)| s > score || (s == score && i < index));
        self.items.insert(pos, (score, index));
    }

    /// The lowest score kept, once `k` items are kept.
    pub(crate) fn worst(&self) -> Option<f32> {
        if self.items.len() == self.k && self.k > 0 {
            self.items.last().map(|&(s, _)| s)
        } else {
            None
        }
    }

    /// (index, score), best first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, f32)> + '_ {
        self.items.iter().map(|&(s, i)| (i, s))
    }

    /// (index, score), best first.
    pub(crate) fn into_sorted(self) -> Vec<(usize, f32)> {
        self.items.into_iter().map(|(s, i)| (i, s)).collect()
    }
}

fn unknown(w: &[u8]) -> Error {
    Error::UnknownWord(String::from_utf8_lossy(w).into_owned())
}

/// The upper-case form of a word, as Python's `str.upper()` for UTF-8 words (gensim's
/// case-insensitive evaluation), ASCII upper-casing for words that are not UTF-8.
pub fn fold_case(w: &[u8]) -> Cow<'_, [u8]> {
    if !w.iter().any(|b| b.is_ascii_lowercase() || *b >= 0x80) {
        return Cow::Borrowed(w);
    }
    match std::str::from_utf8(w) {
        Ok(s) if !s.is_ascii() => Cow::Owned(s.to_uppercase().into_bytes()),
        _ => Cow::Owned(w.to_ascii_uppercase()),
    }
}

/// Cosine similarity (0 when either vector is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let d = (kernels::dot(a, a) * kernels::dot(b, b)).sqrt();
    if d > 0.0 { kernels::dot(a, b) / d } else { 0.0 }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Embeddings from string words and a row-major matrix.
    pub(crate) fn emb(words: &[&str], dim: usize, data: Vec<f32>) -> Embeddings {
        Embeddings::new(
            words.iter().map(|w| w.as_bytes().into()).collect(),
            dim,
            data,
        )
    }

    #[test]
    fn most_similar_ranks_by_cosine_and_excludes_the_query() {
        let e = emb(
            &["a", "b", "c", "d"],
            2,
            vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0, -1.0, 0.0],
        );
        let r = e.most_similar(b"a", 2).unwrap();
        assert_eq!(r[0].0, b"b");
        assert_eq!(r[1].0, b"c");
        assert!((r[1].1 - 0.0).abs() < 1e-6);
        assert!((e.similarity(b"a", b"d").unwrap() + 1.0).abs() < 1e-6);
        assert!(matches!(
            e.most_similar(b"zz", 2),
            Err(Error::UnknownWord(_))
        ));
    }

    #[test]
    fn analogy_solves_a_planted_parallelogram() {
        // king − man + woman = queen, with distractors near each input.
        let e = emb(
            &["man", "woman", "king", "queen", "boy", "prince"],
            3,
            vec![
                1.0, 0.0, 0.0, //
                1.0, 1.0, 0.0, //
                1.0, 0.0, 1.0, //
                1.0, 1.0, 1.0, //
                1.0, -0.1, 0.1, //
                1.0, 0.1, 0.9, //
            ],
        );
        for m in [AnalogyMethod::CosAdd, AnalogyMethod::CosMul] {
            let r = e.analogy(b"man", b"woman", b"king", 3, m).unwrap();
            assert_eq!(r[0].0, b"queen", "{m:?}");
            assert!(
                r.iter()
                    .all(|(w, _)| !matches!(*w, b"man" | b"woman" | b"king"))
            );
        }
        // 3CosAdd's score is the cosine with the normalised query, as gensim reports it.
        let r = e
            .analogy(b"man", b"woman", b"king", 1, AnalogyMethod::CosAdd)
            .unwrap();
        let h = 0.5f32.sqrt();
        let q = [2.0 * h - 1.0, h, h]; // woman/|woman| + king/|king| − man/|man|
        let want = cosine(&q, &[1.0, 1.0, 1.0]);
        assert!((r[0].1 - want).abs() < 1e-6, "{} vs {want}", r[0].1);
    }

    #[test]
    fn case_insensitive_lookup_prefers_the_most_frequent_variant() {
        let e = emb(&["Paris", "paris", "straße"], 1, vec![1.0, 2.0, 3.0]);
        assert_eq!(e.lookup(b"paris"), Some(1));
        assert_eq!(e.lookup(b"PARIS"), Some(0));
        assert_eq!(e.index_of_folded(b"paris"), Some(0));
        assert_eq!(e.lookup("STRASSE".as_bytes()), Some(2));
        assert_eq!(&*fold_case(b"\xffab"), b"\xffAB");
    }

    #[test]
    fn top_k_keeps_the_best_with_ties_to_the_lower_index() {
        let mut t = TopK::new(3);
        for (i, s) in [0.5, 0.9, 0.5, 0.1, 0.9, f32::NAN, 0.7]
            .into_iter()
            .enumerate()
        {
            t.offer(s, i);
        }
        assert_eq!(t.into_sorted(), vec![(1, 0.9), (4, 0.9), (6, 0.7)]);
    }

    #[test]
    fn parallel_scan_matches_the_serial_one() {
        let (n, d) = (50_000, 100);
        let data: Vec<f32> = (0..n * d)
            .map(|i| ((i * 7919) % 1000) as f32 - 500.0)
            .collect();
        let words = (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>();
        let e = Embeddings::new(words.iter().map(|w| w.as_bytes().into()).collect(), d, data);
        let q = e.row(17).to_vec();
        let got = e.nearest_to_vector(&q, 5, &[17], None);
        let mut want: Vec<(usize, f32)> = (0..n)
            .filter(|&j| j != 17)
            .map(|j| (j, cosine(&q, e.row(j))))
            .collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(got.len(), 5);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0);
            assert!((g.1 - w.1).abs() < 1e-5);
        }
    }
}
