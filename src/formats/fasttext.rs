//! fastText's binary model format, version 12 (`src/fasttext.cc` `saveModel`/`loadModel`,
//! `src/args.cc`, `src/dictionary.cc`, `src/densematrix.cc`), little-endian:
//!
//! ```text
//! i32 magic 793712314, i32 version 12
//! args:  i32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn,
//!        lrUpdateRate; f64 t
//! dict:  i32 size, nwords, nlabels; i64 ntokens, pruneidx_size (-1: not pruned);
//!        size × (word bytes, NUL, i64 count, i8 type 0 word / 1 label);
//!        pruneidx_size × (i32, i32)
//! u8 quantised input (0), input matrix: i64 rows (nwords + bucket), i64 cols (dim), f32 data
//! u8 quantised output (0), output matrix: i64 rows, i64 cols, f32 data
//! ```
//!
//! fastText's word vector is the mean of the word's own input row and the rows of its
//! n-grams (`getWordVector`); an unknown word's is the mean of its n-gram rows.

use std::fs::File;
use std::io::{self as stdio, BufRead, BufReader, Read, Seek, Write};
use std::path::Path;

use crate::config::{Loss, ModelKind, TrainConfig};
use crate::error::{Error, Result};
use crate::formats::atomic::AtomicFile;
use crate::query::embeddings::Embeddings;
use crate::text::subword::NgramSpec;
use crate::text::vocab::Vocab;
use crate::train::TrainOutput;

/// The file's first four bytes, as a little-endian `i32`.
pub const MAGIC: i32 = 793_712_314;
/// The version written (and the newest read).
pub const VERSION: i32 = 12;
/// Longest word accepted in a dictionary (fastText has no limit; this bounds a damaged file).
const MAX_WORD_BYTES: usize = 1 << 16;

/// fastText's `model` field.
pub const MODEL_CBOW: i32 = 1;
/// fastText's `model` field.
pub const MODEL_SKIPGRAM: i32 = 2;
/// fastText's `model` field for supervised (classification) models.
pub const MODEL_SUPERVISED: i32 = 3;
/// fastText's `loss` field.
pub const LOSS_HS: i32 = 1;
/// fastText's `loss` field.
pub const LOSS_NS: i32 = 2;
/// fastText's `loss` field.
pub const LOSS_SOFTMAX: i32 = 3;

/// The training arguments stored in a model (fastText's `Args::save` fields).
#[derive(Clone, Debug, PartialEq)]
pub struct FastTextArgs {
    /// Vector size.
    pub dim: i32,
    /// Window size.
    pub ws: i32,
    /// Epochs.
    pub epoch: i32,
    /// Minimum count.
    pub min_count: i32,
    /// Negatives.
    pub neg: i32,
    /// Word n-grams (supervised models).
    pub word_ngrams: i32,
    /// 1 hs, 2 ns, 3 softmax, 4 one-vs-all.
    pub loss: i32,
    /// 1 cbow, 2 skip-gram, 3 supervised.
    pub model: i32,
    /// Hash buckets.
    pub bucket: i32,
    /// Shortest character n-gram.
    pub minn: i32,
    /// Longest character n-gram (0: none).
    pub maxn: i32,
    /// Words between learning-rate updates.
    pub lr_update_rate: i32,
    /// Subsampling threshold.
    pub t: f64,
}

/// A fastText model: its arguments, dictionary and matrices.
#[derive(Clone, Debug)]
pub struct FastTextModel {
    /// The stored arguments.
    pub args: FastTextArgs,
    /// Dictionary words (labels excluded), most frequent first.
    pub words: Vec<Box<[u8]>>,
    /// Each word's count.
    pub counts: Vec<i64>,
    /// Tokens the dictionary was counted over.
    pub ntokens: i64,
    /// Input rows: one per word, then one per bucket; row-major, `args.dim` floats each.
    pub input: Vec<f32>,
    /// Output rows (one per word), when read with [`read_fasttext`]'s `with_output`.
    pub output: Option<Vec<f32>>,
}

impl FastTextArgs {
    /// The n-gram settings (checked non-negative by the readers).
    pub fn ngram_spec(&self) -> NgramSpec {
        NgramSpec {
            minn: self.minn as usize,
            maxn: self.maxn as usize,
            buckets: self.bucket as usize,
        }
    }
}

impl FastTextModel {
    /// Floats per row.
    pub fn dim(&self) -> usize {
        self.args.dim as usize
    }

    /// The n-gram settings.
    pub fn ngram_spec(&self) -> NgramSpec {
        self.args.ngram_spec()
    }

    /// fastText's vector for `word`: the mean of its own row (when it is in the dictionary,
    /// `index`) and its n-grams' rows; `None` when it has neither.
    pub fn word_vector(&self, word: &[u8], index: Option<usize>, out: &mut [f32]) -> Option<()> {
        let spec = self.ngram_spec();
        mean_of_rows(
            MatrixRef::Floats(&self.input),
            self.words.len(),
            spec,
            index,
            word,
            out,
        )
    }
}

/// An input matrix's rows, wherever they lie: floats in memory, or the little-endian floats
/// of a model file mapped into memory ([`map_fasttext`]; they need not be 4-byte aligned).
#[derive(Clone, Copy)]
pub enum MatrixRef<'a> {
    /// Row-major floats.
    Floats(&'a [f32]),
    /// Row-major little-endian floats, 4 bytes each.
    LeBytes(&'a [u8]),
}

impl MatrixRef<'_> {
    /// Adds row `row` (`out.len()` floats) into `out`.
    #[inline]
    fn add_row(&self, row: usize, out: &mut [f32]) {
        let dim = out.len();
        match *self {
            MatrixRef::Floats(f) => {
                for (o, x) in out.iter_mut().zip(&f[row * dim..(row + 1) * dim]) {
                    *o += x;
                }
            }
            MatrixRef::LeBytes(b) => {
                let bytes = &b[row * dim * 4..(row + 1) * dim * 4];
                for (o, x) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    *o += f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
                }
            }
        }
    }
}

/// fastText's `getWordVector` over an input matrix of `skip` word rows then bucket rows: the
/// mean of row `own` (if any) and the rows of `word`'s n-grams, into `out`; `None` when there
/// is no row to average.
pub fn mean_of_rows(
    input: MatrixRef<'_>,
    skip: usize,
    spec: NgramSpec,
    own: Option<usize>,
    word: &[u8],
    out: &mut [f32],
) -> Option<()> {
    out.fill(0.0);
    let mut rows = 0usize;
    if let Some(i) = own {
        input.add_row(i, out);
        rows += 1;
    }
    spec.for_each(word, |_, b| {
        input.add_row(skip + b as usize, out);
        rows += 1;
    });
    if rows == 0 {
        return None;
    }
    let inv = 1.0 / rows as f32;
    out.iter_mut().for_each(|o| *o *= inv);
    Some(())
}

/// A fastText model's input matrix, mapped from its file: `rows × dim` little-endian floats
/// at byte `start` of the map.
pub struct MappedRows {
    map: memmap2::Mmap,
    start: usize,
    bytes: usize,
}

impl std::fmt::Debug for MappedRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MappedRows({} bytes at {})", self.bytes, self.start)
    }
}

impl MappedRows {
    /// The matrix's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map[self.start..self.start + self.bytes]
    }
}

/// A fastText model read by [`map_fasttext`].
pub struct MappedModel {
    /// The training arguments.
    pub args: FastTextArgs,
    /// Dictionary words (labels excluded), most frequent first.
    pub words: Vec<Box<[u8]>>,
    /// The input matrix: one row per word, then one per bucket.
    pub rows: MappedRows,
}

/// A fastText `.bin` model for queries: its arguments, its dictionary's words and its input
/// matrix mapped from the file, not read (the published `cc.*.300.bin` models hold 4.8 GB of
/// bucket rows). Building the words' vectors reads most of the rows, but as file pages that
/// the system shares and can drop again, not as a copy on the heap. Everything before the
/// matrix is read and checked as by [`read_fasttext`].
pub fn map_fasttext(path: &Path) -> Result<MappedModel> {
    let c = Ctx { path };
    let (mut r, len) = open_model(path)?;
    let head = read_head(&mut r, c, len)?;
    let rows = head.words.len() as u64 + head.args.bucket as u64;
    let dim = head.args.dim as u64;
    let (m, n) = (i64_(&mut r, &c)?, i64_(&mut r, &c)?);
    if m < 0 || n < 0 || m as u64 != rows || n as u64 != dim {
        return Err(c.bad(format!(
            "a matrix of {m} × {n} where {rows} × {dim} was expected"
        )));
    }
    let start = r.stream_position().map_err(|e| c.io(e))?;
    let bytes = rows
        .checked_mul(dim)
        .and_then(|f| f.checked_mul(4))
        .filter(|&b| start.checked_add(b).is_some_and(|end| end <= len))
        .ok_or_else(|| c.bad("the file ends early"))?;
    let file = r.into_inner();
    // SAFETY: the map is read-only and private to this process, over a file opened read-only;
    // every read of it is bounds-checked against the length checked above. What no reader of
    // a mapped file can rule out is another process truncating the file while it is mapped
    // (reads past the new end then raise SIGBUS); a model file being queried is an input no
    // one rewrites in place (w2v itself writes through a temporary file and a rename, which
    // leaves a mapped file whole; fastText's own `save_model` does truncate and rewrite the
    // file it names, so training fastText into the file being queried can end the query).
    // Mapping instead of reading keeps a multi-GB model out of the heap (benchsuite/NOTES.md,
    // "fastText models mapped").
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| Error::io("cannot map the fastText model", path, e))?;
    if (map.len() as u64) < start + bytes {
        return Err(c.bad("the file ends early"));
    }
    Ok(MappedModel {
        args: head.args,
        words: head.words,
        rows: MappedRows {
            map,
            start: start as usize,
            bytes: bytes as usize,
        },
    })
}

/// What a reader's errors name.
#[derive(Clone, Copy)]
struct Ctx<'p> {
    path: &'p Path,
}

impl Ctx<'_> {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::Format {
            path: self.path.to_path_buf(),
            format: "fastText",
            reason: reason.into(),
        }
    }

    fn io(&self, e: stdio::Error) -> Error {
        if e.kind() == stdio::ErrorKind::UnexpectedEof {
            return self.bad("the file ends early");
        }
        Error::io("cannot read the fastText model", self.path, e)
    }
}

fn read_array<const N: usize>(r: &mut impl Read, c: &Ctx) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|e| c.io(e))?;
    Ok(b)
}

fn i32_(r: &mut impl Read, c: &Ctx) -> Result<i32> {
    read_array::<4>(r, c).map(i32::from_le_bytes)
}

fn i64_(r: &mut impl Read, c: &Ctx) -> Result<i64> {
    read_array::<8>(r, c).map(i64::from_le_bytes)
}

/// Whether the file at `path` starts with fastText's magic number.
pub fn is_fasttext(path: &Path) -> bool {
    let mut b = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
        && i32::from_le_bytes(b) == MAGIC
}

/// The model file, buffered, and its length in bytes.
fn open_model(path: &Path) -> Result<(BufReader<File>, u64)> {
    let f = File::open(path).map_err(|e| Error::io("cannot read the fastText model", path, e))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    Ok((BufReader::with_capacity(1 << 20, f), len))
}

/// What comes before a model's input matrix.
struct Head {
    args: FastTextArgs,
    words: Vec<Box<[u8]>>,
    counts: Vec<i64>,
    ntokens: i64,
    nlabels: i32,
}

/// Reads a model's magic number, version, arguments and dictionary, each checked, up to its
/// input matrix (a file of `len` bytes). (Long: it follows the file's layout field by field,
/// fastText's `Args::load` then `Dictionary::load`, and reads best as one sequence.)
fn read_head(r: &mut BufReader<File>, c: Ctx, len: u64) -> Result<Head> {
    let mut r = r;
    if i32_(&mut r, &c)? != MAGIC {
        return Err(c.bad("not a fastText model (wrong magic number)"));
    }
    let version = i32_(&mut r, &c)?;
    if !(11..=VERSION).contains(&version) {
        return Err(c.bad(format!("version {version} is not supported (11 or 12)")));
    }
    let mut int = || i32_(&mut r, &c);
    // Struct fields are evaluated in the order written: fastText's order.
    let mut args = FastTextArgs {
        dim: int()?,
        ws: int()?,
        epoch: int()?,
        min_count: int()?,
        neg: int()?,
        word_ngrams: int()?,
        loss: int()?,
        model: int()?,
        bucket: int()?,
        minn: int()?,
        maxn: int()?,
        lr_update_rate: int()?,
        t: 0.0,
    };
    args.t = f64::from_le_bytes(read_array::<8>(&mut r, &c)?);
    if version == 11 && args.model == MODEL_SUPERVISED {
        args.maxn = 0;
    }
    let FastTextArgs {
        dim,
        bucket,
        minn,
        maxn,
        ..
    } = args;
    if dim <= 0 || bucket < 0 || minn < 0 || maxn < 0 {
        return Err(c.bad(format!(
            "impossible arguments (dim {dim}, bucket {bucket}, minn {minn}, maxn {maxn})"
        )));
    }
    let size = i32_(&mut r, &c)?;
    let nwords = i32_(&mut r, &c)?;
    let nlabels = i32_(&mut r, &c)?;
    let ntokens = i64_(&mut r, &c)?;
    let pruned = i64_(&mut r, &c)?;
    if size < 0 || nwords < 0 || nlabels < 0 || nwords.checked_add(nlabels) != Some(size) {
        return Err(c.bad(format!(
            "impossible dictionary sizes ({size} entries, {nwords} words, {nlabels} labels)"
        )));
    }
    // Each entry takes at least 10 bytes: a bound on what the file can hold.
    if size as u64 * 10 > len {
        return Err(c.bad(format!("{size} dictionary entries cannot fit in the file")));
    }
    let mut words = Vec::with_capacity(nwords as usize);
    let mut counts = Vec::with_capacity(nwords as usize);
    let mut buf = Vec::new();
    for i in 0..size as usize {
        buf.clear();
        r.by_ref()
            .take(MAX_WORD_BYTES as u64 + 1)
            .read_until(0, &mut buf)
            .map_err(|e| c.io(e))?;
        if buf.pop() != Some(0) {
            return Err(c.bad(format!("dictionary entry {i} is not terminated")));
        }
        let count = i64_(&mut r, &c)?;
        let kind = read_array::<1>(&mut r, &c)?[0];
        match kind {
            0 if i < nwords as usize => {
                words.push(buf.as_slice().into());
                counts.push(count);
            }
            1 if i >= nwords as usize => {}
            _ => return Err(c.bad(format!("dictionary entry {i} has type {kind}"))),
        }
    }
    if pruned > 0 {
        return Err(
            c.bad("pruned (quantised) dictionaries are not supported: use the full .bin model")
        );
    }
    if read_array::<1>(&mut r, &c)?[0] != 0 {
        return Err(c.bad("quantised models (.ftz) are not supported: use the full .bin model"));
    }
    Ok(Head {
        args,
        words,
        counts,
        ntokens,
        nlabels,
    })
}

/// Reads a fastText `.bin` model. The input matrix is read straight into its final vector
/// (no second copy), sized from the header only after the header is checked against the
/// file's length; the output matrix is read when `with_output`, else skipped.
pub fn read_fasttext(path: &Path, with_output: bool) -> Result<FastTextModel> {
    let c = Ctx { path };
    let (mut r, len) = open_model(path)?;
    let Head {
        args,
        words,
        counts,
        ntokens,
        nlabels,
    } = read_head(&mut r, c, len)?;
    let (dim, bucket, model) = (args.dim, args.bucket, args.model);
    let nwords = words.len();
    let rows = nwords as u64 + bucket as u64;
    let input = read_matrix(&mut r, &c, rows, dim as u64, len)?;
    let qout = read_array::<1>(&mut r, &c)?[0];
    if qout != 0 {
        return Err(c.bad("quantised output matrices are not supported"));
    }
    let output = if with_output {
        let out_rows = if model == MODEL_SUPERVISED {
            nlabels as u64
        } else {
            nwords as u64
        };
        Some(read_matrix(&mut r, &c, out_rows, dim as u64, len)?)
    } else {
        None
    };
    Ok(FastTextModel {
        args,
        words,
        counts,
        ntokens,
        input,
        output,
    })
}

/// One dense matrix: its shape (checked against `rows × cols` and the file's length), then
/// its floats read into a vector allocated once.
fn read_matrix(r: &mut impl Read, c: &Ctx, rows: u64, cols: u64, len: u64) -> Result<Vec<f32>> {
    let (m, n) = (i64_(r, c)?, i64_(r, c)?);
    if m < 0 || n < 0 || m as u64 != rows || n as u64 != cols {
        return Err(c.bad(format!(
            "a matrix of {m} × {n} where {rows} × {cols} was expected"
        )));
    }
    let floats = rows
        .checked_mul(cols)
        .filter(|f| f.saturating_mul(4) <= len)
        .ok_or_else(|| c.bad(format!("a {rows} × {cols} matrix cannot fit in the file")))?;
    let mut data: Vec<f32> = Vec::new();
    data.try_reserve_exact(floats as usize)
        .map_err(|_| Error::OutOfMemory {
            what: "the fastText input matrix",
            bytes: floats as u128 * 4,
        })?;
    data.resize(floats as usize, 0.0);
    r.read_exact(bytemuck::cast_slice_mut(&mut data))
        .map_err(|e| c.io(e))?;
    if cfg!(target_endian = "big") {
        for x in &mut data {
            *x = f32::from_bits(u32::from_le(x.to_bits()));
        }
    }
    Ok(data)
}

/// Writes `model` as a fastText version-12 `.bin`, atomically (fastText and gensim's
/// `load_facebook_model` read it). The output matrix is required.
pub fn write_fasttext(path: &Path, model: &FastTextModel) -> Result<()> {
    let parts = Parts {
        args: &model.args,
        words: &model.words,
        counts: &mut model.counts.iter().copied(),
        ntokens: model.ntokens,
        input: &model.input,
        output: &[model.output.as_deref().unwrap_or(&[])],
    };
    AtomicFile::create(path)?.commit(|w| write_parts(w, parts))
}

/// Writes a subword model that w2v trained as a fastText `.bin` (its arguments from `config`,
/// its dictionary from the vocabulary, its matrices as trained), atomically, without copying
/// the matrices. Hierarchical softmax's tree is fastText's (the same construction as
/// word2vec.c's, inner node `a` in output row `a`); its rows are negated, because fastText
/// labels the branch coded 1 as the positive class where word2vec.c labels it 0, and padded to
/// one row per word as fastText sizes its output matrix.
///
/// # Errors
/// [`Error::InvalidConfig`] when `trained` is not a subword model.
pub fn write_trained(path: &Path, config: &TrainConfig, trained: &TrainOutput) -> Result<()> {
    if !is_subword_model(config, trained) {
        return Err(Error::config(
            "subwords",
            "only a model trained with --subwords can be written in fastText's format",
        ));
    }
    AtomicFile::create(path)?.commit(|w| write_trained_to(w, config, trained))
}

/// Whether `trained` (trained with `config`) is a subword model that [`write_trained`] can write.
pub fn is_subword_model(config: &TrainConfig, trained: &TrainOutput) -> bool {
    trained.embeddings.subwords().is_some()
        && config.ngram_spec().is_some()
        && trained.output.is_some()
}

/// [`write_trained`] to any writer (an `InvalidInput` error for a model without subwords).
pub fn write_trained_to(
    w: &mut impl Write,
    config: &TrainConfig,
    trained: &TrainOutput,
) -> stdio::Result<()> {
    let output = trained.output.as_deref().unwrap_or(&[]);
    write_subword_model(w, config, &trained.embeddings, &trained.vocab, output)
}

/// A subword model as fastText's `.bin`: the settings it was trained with, its vectors (whose
/// n-gram rows hold the whole input matrix), its vocabulary and its output matrix.
pub fn write_subword_model(
    w: &mut impl Write,
    config: &TrainConfig,
    embeddings: &Embeddings,
    vocab: &Vocab,
    output: &[f32],
) -> stdio::Result<()> {
    let (Some(sub), Some(spec)) = (embeddings.subwords(), config.ngram_spec()) else {
        return Err(stdio::Error::new(
            stdio::ErrorKind::InvalidInput,
            "not a subword model",
        ));
    };
    let rows = |floats: usize| floats / config.dim.max(1);
    let expected = if config.loss == Loss::Hs {
        vocab.len().saturating_sub(1)
    } else {
        vocab.len()
    };
    if sub.word_rows() != vocab.len() || rows(output.len()) != expected {
        return Err(stdio::Error::new(
            stdio::ErrorKind::InvalidInput,
            "the model's matrices do not fit its vocabulary",
        ));
    }
    let clamp = |x: u64| i32::try_from(x).unwrap_or(i32::MAX);
    let args = FastTextArgs {
        dim: clamp(config.dim as u64),
        ws: clamp(config.window as u64),
        epoch: clamp(config.epochs as u64),
        min_count: clamp(config.min_count),
        neg: clamp(config.negative as u64),
        word_ngrams: 1,
        loss: match config.loss {
            Loss::Hs => LOSS_HS,
            Loss::Ns => LOSS_NS,
            Loss::Softmax => LOSS_SOFTMAX,
        },
        model: match config.model {
            ModelKind::Cbow => MODEL_CBOW,
            ModelKind::SkipGram => MODEL_SKIPGRAM,
        },
        bucket: clamp(spec.buckets as u64),
        minn: clamp(spec.minn as u64),
        maxn: clamp(spec.maxn as u64),
        lr_update_rate: 100,
        t: config.sample,
    };
    let dim = config.dim;
    let negated: Vec<f32>;
    let padding = vec![0.0f32; dim];
    let out: [&[f32]; 2] = if config.loss == Loss::Hs {
        negated = output.iter().map(|x| -x).collect();
        [&negated, &padding]
    } else {
        [output, &[]]
    };
    let parts = Parts {
        args: &args,
        words: vocab.words(),
        counts: &mut vocab
            .counts()
            .iter()
            .map(|&c| c.min(i64::MAX as u64) as i64),
        ntokens: vocab.total().min(i64::MAX as u64) as i64,
        input: sub.matrix().ok_or_else(|| {
            stdio::Error::new(
                stdio::ErrorKind::InvalidInput,
                "the model's input matrix is mapped from a model file, not trained here",
            )
        })?,
        output: &out,
    };
    write_parts(w, parts)
}

/// What a fastText file holds, borrowed (the output matrix in pieces, written one after the
/// other).
struct Parts<'a> {
    args: &'a FastTextArgs,
    words: &'a [Box<[u8]>],
    counts: &'a mut dyn Iterator<Item = i64>,
    ntokens: i64,
    input: &'a [f32],
    output: &'a [&'a [f32]],
}

fn write_parts(w: &mut impl Write, m: Parts) -> stdio::Result<()> {
    let a = m.args;
    let mut w = stdio::BufWriter::with_capacity(1 << 20, w);
    for x in [MAGIC, VERSION] {
        w.write_all(&x.to_le_bytes())?;
    }
    for x in [
        a.dim,
        a.ws,
        a.epoch,
        a.min_count,
        a.neg,
        a.word_ngrams,
        a.loss,
        a.model,
        a.bucket,
        a.minn,
        a.maxn,
        a.lr_update_rate,
    ] {
        w.write_all(&x.to_le_bytes())?;
    }
    w.write_all(&a.t.to_le_bytes())?;
    let n = m.words.len() as i32;
    for x in [n, n, 0] {
        w.write_all(&x.to_le_bytes())?;
    }
    w.write_all(&m.ntokens.to_le_bytes())?;
    w.write_all(&(-1i64).to_le_bytes())?;
    for (word, count) in m.words.iter().zip(m.counts) {
        w.write_all(word)?;
        w.write_all(&[0])?;
        w.write_all(&count.to_le_bytes())?;
        w.write_all(&[0])?;
    }
    let dim = a.dim as i64;
    let out_len: usize = m.output.iter().map(|p| p.len()).sum();
    for (rows, pieces) in [
        (m.input.len() as i64 / dim, std::slice::from_ref(&m.input)),
        (out_len as i64 / dim, m.output),
    ] {
        w.write_all(&[0u8])?;
        w.write_all(&rows.to_le_bytes())?;
        w.write_all(&dim.to_le_bytes())?;
        for data in pieces {
            if cfg!(target_endian = "little") {
                w.write_all(bytemuck::cast_slice(data))?;
            } else {
                for x in data.iter() {
                    w.write_all(&x.to_le_bytes())?;
                }
            }
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> FastTextModel {
        let dim = 3;
        let words: Vec<Box<[u8]>> = vec![b"</s>".as_slice().into(), b"cat".as_slice().into()];
        let bucket = 11;
        let rows = words.len() + bucket;
        FastTextModel {
            args: FastTextArgs {
                dim: dim as i32,
                ws: 5,
                epoch: 5,
                min_count: 1,
                neg: 5,
                word_ngrams: 1,
                loss: LOSS_NS,
                model: MODEL_SKIPGRAM,
                bucket: bucket as i32,
                minn: 3,
                maxn: 6,
                lr_update_rate: 100,
                t: 1e-4,
            },
            counts: vec![7, 3],
            words,
            ntokens: 10,
            input: (0..rows * dim).map(|i| i as f32 * 0.5).collect(),
            output: Some(vec![0.25; 2 * dim]),
        }
    }

    #[test]
    fn a_written_model_reads_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.bin");
        let m = model();
        write_fasttext(&path, &m).unwrap();
        assert!(is_fasttext(&path));
        let back = read_fasttext(&path, true).unwrap();
        assert_eq!(back.args, m.args);
        assert_eq!(back.words, m.words);
        assert_eq!(back.counts, m.counts);
        assert_eq!(back.input, m.input);
        assert_eq!(back.output, m.output);
        assert!(read_fasttext(&path, false).unwrap().output.is_none());
    }

    #[test]
    fn word_vectors_are_the_mean_of_the_word_and_ngram_rows() {
        let m = model();
        let mut v = [0.0f32; 3];
        m.word_vector(b"cat", Some(1), &mut v).unwrap();
        let mut rows = vec![1usize];
        m.ngram_spec()
            .for_each(b"cat", |_, b| rows.push(2 + b as usize));
        let want: Vec<f32> = (0..3)
            .map(|j| rows.iter().map(|r| m.input[r * 3 + j]).sum::<f32>() / rows.len() as f32)
            .collect();
        assert_eq!(v.to_vec(), want);
        // EOS has no n-grams: its own row only; an unknown word its n-grams only.
        m.word_vector(b"</s>", Some(0), &mut v).unwrap();
        assert_eq!(v, [0.0, 0.5, 1.0]);
        assert!(m.word_vector(b"dog", None, &mut v).is_some());
        let mut m2 = m.clone();
        m2.args.maxn = 0;
        assert!(m2.word_vector(b"dog", None, &mut v).is_none());
    }

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.bin");
        write_fasttext(&path, &model()).unwrap();
        let full = std::fs::read(&path).unwrap();
        // Every truncation, and a flipped byte in every header position.
        // Mapped for queries, the file is read up to the end of its input matrix (then come
        // the quantisation flag, the output matrix's shape and its rows).
        let m = model();
        let input_end = full.len() - 1 - 16 - m.output.as_ref().unwrap().len() * 4;
        for cut in 0..full.len() {
            let p = dir.path().join("cut.bin");
            std::fs::write(&p, &full[..cut]).unwrap();
            assert!(read_fasttext(&p, true).is_err(), "cut at {cut}");
            assert_eq!(
                map_fasttext(&p).is_err(),
                cut < input_end,
                "mapped, cut at {cut}"
            );
            let _ = Embeddings::load(&p, None);
        }
        for i in 0..120.min(full.len()) {
            let mut bad = full.clone();
            bad[i] ^= 0x80;
            let p = dir.path().join("flip.bin");
            std::fs::write(&p, &bad).unwrap();
            let _ = read_fasttext(&p, true);
            let _ = Embeddings::load(&p, None);
        }
        // The mapped model's vectors are the read model's, for known and unknown words.
        let read = Embeddings::from_fasttext(read_fasttext(&path, false).unwrap());
        let mapped = Embeddings::load(&path, None).unwrap();
        assert_eq!(read, mapped);
        assert!(mapped.subwords().unwrap().matrix().is_none());
        for w in [&b"dog"[..], b"cats", "мир".as_bytes()] {
            assert_eq!(
                read.subwords().unwrap().vector(w),
                mapped.subwords().unwrap().vector(w)
            );
        }
    }
}
