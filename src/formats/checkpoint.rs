//! Checkpoints: the whole state of a training run, written atomically, so that a stopped run
//! continues exactly where it stopped (`w2v train --resume FILE`).
//!
//! # Format (version 1, little-endian)
//! `W2VCKPT\0`; `u32` version; `u64` length of the JSON header, then the header (settings,
//! corpus, and per thread: epoch, corpus position, random-number state, learning rate and loss
//! sums); the vocabulary (per word: `u32` length, the bytes, `u64` count); the input matrix
//! (`input_rows × dim` `f32`: the words' rows, then a subword model's bucket rows; `input_rows`
//! absent means `words`); the output matrix (`output_rows × dim` `f32`); and an FNV-1a 64
//! checksum of every byte before it. Every size is checked against the file's length before
//! anything is allocated, and the checksum before anything is used.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{RunConfig, TrainConfig};
use crate::error::{Error, Result};
use crate::formats::atomic::AtomicFile;
use crate::objective::LossSum;
use crate::text::corpus::{Fingerprint, ShardPos};
use crate::text::vocab::{Vocab, VocabStats};
use crate::train::hogwild::SharedMatrix;

const MAGIC: &[u8; 8] = b"W2VCKPT\0";
const VERSION: u32 = 1;
/// Which generation of defaults the header's unset settings mean: 0 (absent) before 2026-12,
/// when skip-gram held its lr for a third of the run by default; 1 before 2026-12-04, when
/// skip-gram's rare centres reached twice the window however wide; 2 before 2026-12-05, when
/// subword skip-gram had the rare-centre rule.
pub(crate) const DEFAULTS: u32 = 3;

/// Counters a worker accumulates over the run.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct WorkerTotals {
    pub tokens: u64,
    pub words: u64,
    pub oov: u64,
    pub subsampled: u64,
    pub long_tokens: u64,
}

/// One worker thread, parked between two sentences.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct WorkerState {
    /// The epoch it is in (0-based); equal to the number of epochs when it has finished.
    pub epoch: usize,
    /// Where its shard stands in that epoch.
    pub pos: ShardPos,
    pub rng: [u64; 4],
    pub lr: f32,
    /// Words read but not yet added to the shared progress counter.
    pub unsynced: u64,
    pub batch: LossSum,
    pub epoch_loss: LossSum,
    pub run_loss: LossSum,
    pub totals: WorkerTotals,
}

/// The state of the run as the coordinating thread sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct RunState {
    /// The shared progress counter (the learning-rate clock).
    pub processed: u64,
    /// Seconds of training before this checkpoint.
    pub elapsed: f64,
    /// Mean losses of the epochs already reported.
    pub epoch_losses: Vec<f64>,
    /// Per epoch: loss summed over the threads that finished it, and how many did (since
    /// `pending` exists, filled only when every thread has).
    pub per_epoch: Vec<(LossSum, usize)>,
    /// Per epoch and thread: a finished thread's loss not yet in that sum, which is made in
    /// thread order when the epoch's last thread finishes (absent in older checkpoints).
    #[serde(default)]
    pub pending: Vec<Vec<Option<LossSum>>>,
    pub workers: Vec<WorkerState>,
    /// What the counting pass saw, when there was one.
    pub vocab_stats: Option<VocabStats>,
    /// Several MPI ranks: the words the other ranks had trained (with `processed`, this
    /// rank's, the learning rate's clock).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub remote: u64,
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The JSON header.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Header {
    pub config: TrainConfig,
    /// How the run is carried out (threads, deterministic mode, monitoring).
    #[serde(default)]
    pub options: RunConfig,
    pub corpus: PathBuf,
    /// The corpus file's size when training started; resuming on a changed corpus is refused.
    pub corpus_len: u64,
    /// Its modification time and a hash of its ends (absent in older checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus_fingerprint: Option<Fingerprint>,
    pub words: usize,
    /// Rows of the input matrix: `words`, plus the bucket rows of a subword model (0 in
    /// checkpoints written before subwords: `words`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub input_rows: usize,
    pub dim: usize,
    pub output_rows: usize,
    /// Rank 0's run (the only one without MPI).
    pub run: RunState,
    /// Several MPI ranks: the runs of ranks 1, 2, … (each with its own threads' positions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_ranks: Vec<RunState>,
    /// The caller's own description of the job (the command line stores its output path,
    /// format and checkpoint settings here).
    pub job: serde_json::Value,
    /// [`DEFAULTS`] when written; older checkpoints have none (0).
    #[serde(default)]
    pub defaults: u32,
}

/// A checkpoint read back from disk, ready to resume (see [`crate::train::train_with`]).
pub struct Checkpoint {
    pub(crate) header: Header,
    pub(crate) vocab: Vocab,
    pub(crate) input: SharedMatrix,
    pub(crate) output: SharedMatrix,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("corpus", &self.header.corpus)
            .field("words", &self.header.words)
            .field("dim", &self.header.dim)
            .field("epochs_done", &self.epochs_done())
            .finish()
    }
}

impl Checkpoint {
    /// The settings of the run.
    pub fn config(&self) -> &TrainConfig {
        &self.header.config
    }

    /// How the run is carried out (threads resolved to a number).
    pub fn options(&self) -> &RunConfig {
        &self.header.options
    }

    /// The corpus the run trains on.
    pub fn corpus(&self) -> &Path {
        &self.header.corpus
    }

    /// What the caller stored with the run (see [`CheckpointPlan::job`]).
    pub fn job(&self) -> &serde_json::Value {
        &self.header.job
    }

    /// The MPI ranks that trained it (1 without MPI).
    pub fn ranks(&self) -> usize {
        1 + self.header.other_ranks.len()
    }

    /// The checkpoint as rank `rank` of `ranks` resumes it: its own threads' positions and
    /// losses. Refused when it was written by another number of ranks.
    pub(crate) fn for_rank(mut self, rank: usize, ranks: usize) -> Result<Self> {
        if self.ranks() != ranks {
            return Err(Error::Resume(format!(
                "the checkpoint was written by {} MPI rank(s) and this run has {ranks}: resume \
                 it with as many (mpirun -np {})",
                self.ranks(),
                self.ranks()
            )));
        }
        if rank > 0 {
            self.header.run = self.header.other_ranks[rank - 1].clone();
        }
        Ok(self)
    }

    /// Epochs every thread has finished.
    pub fn epochs_done(&self) -> usize {
        self.header.run.epoch_losses.len()
    }

    /// Reads and verifies a checkpoint.
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let cx = Ctx(path);
        let io_err = |e| cx.io(e);
        let file = File::open(path).map_err(|e| Error::io("cannot read checkpoint", path, e))?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io("cannot read checkpoint", path, e))?
            .len();
        let mut r = Hashing::new(BufReader::with_capacity(1 << 20, file));
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic).map_err(io_err)?;
        if &magic != MAGIC {
            return Err(cx.bad("not a w2v checkpoint".into()));
        }
        let version = read_u32(&mut r).map_err(io_err)?;
        if version != VERSION {
            return Err(cx.bad(format!(
                "version {version}; this w2v reads version {VERSION}"
            )));
        }
        let header_len = read_u64(&mut r).map_err(io_err)?;
        // Bytes after the fixed start: the header, the body and the 8-byte checksum.
        let mut left = file_len.saturating_sub(20);
        if header_len > left.saturating_sub(8) {
            return Err(cx.bad("the header is longer than the file".into()));
        }
        let mut json = vec![0u8; header_len as usize];
        r.read_exact(&mut json).map_err(io_err)?;
        left -= header_len;
        let header = cx.header(&json)?;
        let input_rows = header.input_rows.max(header.words);
        let matrix_floats = (input_rows as u128 + header.output_rows as u128) * header.dim as u128;
        // Every vocabulary entry takes at least 12 bytes.
        let need = matrix_floats * 4 + header.words as u128 * 12 + 8;
        if need > left as u128 || header.dim == 0 || header.words == 0 {
            return Err(cx.bad(format!(
                "the file is truncated or damaged: its header declares {} words and {} output \
                 rows of dimension {}, more than the file holds",
                header.words, header.output_rows, header.dim
            )));
        }
        let vocab = cx.vocab(&mut r, header.words, &mut left)?;
        if (left as u128) < matrix_floats * 4 + 8 {
            return Err(cx.bad("the file is truncated".into()));
        }
        // Straight into the training matrices: no second copy of them is ever held.
        let input = read_matrix(&mut r, input_rows, header.dim).map_err(io_err)?;
        let output = read_matrix(&mut r, header.output_rows, header.dim).map_err(io_err)?;
        let computed = r.hash;
        let stored = read_u64(&mut r.inner).map_err(io_err)?;
        if computed != stored {
            return Err(cx.bad("checksum mismatch: the file is damaged".into()));
        }
        if r.inner.read(&mut [0u8; 1]).map_err(io_err)? != 0 {
            return Err(cx.bad("unexpected bytes after the checksum".into()));
        }
        Ok(Checkpoint {
            header,
            vocab,
            input,
            output,
        })
    }
}

/// When and where a run writes checkpoints.
#[derive(Clone, Debug)]
pub struct CheckpointPlan {
    /// The checkpoint file (replaced atomically each time).
    pub path: PathBuf,
    /// Also write one this often while training.
    pub every: Option<std::time::Duration>,
    /// Also write one whenever every thread has finished an epoch.
    pub at_epoch_end: bool,
    /// Stored in the checkpoint for the caller (e.g. the output path).
    pub job: serde_json::Value,
}

/// Writes a checkpoint atomically (temporary file, fsync, rename). The matrices must not be
/// changing: the trainer calls this while every worker is parked. Input row `r` (fastText's
/// order, as the file holds it) is read from `input` row `input_row(r)`: a subword model
/// trains with its bucket rows in another order (`SubwordIndex::stored_row`).
pub(crate) fn write(
    path: &Path,
    header: &Header,
    vocab: &Vocab,
    (input, input_row): (&SharedMatrix, impl Fn(usize) -> usize),
    output: &SharedMatrix,
) -> Result<()> {
    let json = serde_json::to_vec(header).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        format: "checkpoint",
        reason: format!("cannot encode the header: {e}"),
    })?;
    AtomicFile::create(path)?.commit(|w| {
        let mut h = Hashing::new(w);
        h.write_all(MAGIC)?;
        h.write_all(&VERSION.to_le_bytes())?;
        h.write_all(&(json.len() as u64).to_le_bytes())?;
        h.write_all(&json)?;
        for (word, &count) in vocab.words().iter().zip(vocab.counts()) {
            h.write_all(&(word.len() as u32).to_le_bytes())?;
            h.write_all(word)?;
            h.write_all(&count.to_le_bytes())?;
        }
        let same = |r| r;
        for (m, at) in [
            (input, &input_row as &dyn Fn(usize) -> usize),
            (output, &same),
        ] {
            let mut row = vec![0f32; m.dim()];
            let mut bytes = Vec::with_capacity(4 * m.dim());
            for r in 0..m.rows() {
                m.read_row(at(r), &mut row);
                bytes.clear();
                bytes.extend(row.iter().flat_map(|x| x.to_le_bytes()));
                h.write_all(&bytes)?;
            }
        }
        let sum = h.hash;
        h.inner.write_all(&sum.to_le_bytes())
    })
}

/// The checkpoint being read, for its errors and its parts.
struct Ctx<'p>(&'p Path);

impl Ctx<'_> {
    fn bad(&self, reason: String) -> Error {
        Error::Format {
            path: self.0.to_path_buf(),
            format: "checkpoint",
            reason,
        }
    }

    fn io(&self, e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            self.bad("the file is truncated".into())
        } else {
            Error::io("cannot read checkpoint", self.0, e)
        }
    }

    /// The JSON header. Checkpoints written before the run options were kept apart hold them
    /// in `config`: they are taken out into `options`.
    fn header(&self, json: &[u8]) -> Result<Header> {
        let unreadable = |e: serde_json::Error| self.bad(format!("unreadable header: {e}"));
        let mut value: serde_json::Value = serde_json::from_slice(json).map_err(unreadable)?;
        let legacy = value
            .get_mut("config")
            .and_then(RunConfig::split_legacy)
            .transpose()
            .map_err(unreadable)?;
        let mut header: Header = serde_json::from_value(value).map_err(unreadable)?;
        if let Some(options) = legacy {
            header.options = options;
        }
        if header.defaults < 1 {
            header.config.pin_defaults_of_2026_11();
        }
        if header.defaults < 2 {
            header.config.pin_defaults_of_2026_12_03();
        }
        if header.defaults < 3 {
            header.config.pin_defaults_of_2026_12_04();
        }
        Ok(header)
    }

    /// The vocabulary's `words` entries, each checked against the `left` bytes of the file.
    fn vocab(&self, r: &mut impl Read, words: usize, left: &mut u64) -> Result<Vocab> {
        let mut entries = Vec::with_capacity(words);
        for i in 0..words {
            let len = read_u32(r).map_err(|e| self.io(e))? as u64;
            if len + 12 > *left {
                return Err(self.bad(format!(
                    "vocabulary entry {} is longer than the file",
                    i + 1
                )));
            }
            *left -= len + 12;
            let mut w = vec![0u8; len as usize];
            r.read_exact(&mut w).map_err(|e| self.io(e))?;
            let count = read_u64(r).map_err(|e| self.io(e))?;
            entries.push((w.into_boxed_slice(), count));
        }
        let vocab = Vocab::from_counts(entries);
        if vocab.len() != words {
            return Err(self.bad("the vocabulary lists a word twice".into()));
        }
        Ok(vocab)
    }
}

/// Passes bytes through, hashing them (FNV-1a, 64-bit).
struct Hashing<T> {
    inner: T,
    hash: u64,
}

impl<T> Hashing<T> {
    fn new(inner: T) -> Self {
        Hashing {
            inner,
            hash: crate::text::corpus::FNV1A_START,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.hash = crate::text::corpus::fnv1a(self.hash, bytes);
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.update(&buf[..n]);
        Ok(n)
    }
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_matrix(r: &mut impl Read, rows: usize, dim: usize) -> io::Result<SharedMatrix> {
    SharedMatrix::try_from_rows(rows, dim, |row| {
        r.read_exact(bytemuck::cast_slice_mut(row))?;
        for x in row {
            *x = f32::from_bits(u32::from_le(x.to_bits()));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> (PathBuf, Header, Vocab, Vec<f32>, Vec<f32>) {
        let vocab = Vocab::from_counts(vec![
            (b"the".as_slice().into(), 9),
            (b"caf\xc3\xa9".as_slice().into(), 4),
            (b"\xff\x00odd".as_slice().into(), 2),
        ]);
        let dim = 3;
        let input: Vec<f32> = (0..9).map(|i| i as f32 * 0.25 - 1.0).collect();
        let output: Vec<f32> = (0..6).map(|i| -(i as f32) / 7.0).collect();
        let header = Header {
            config: TrainConfig::default(),
            options: RunConfig {
                threads: Some(2),
                ..RunConfig::default()
            },
            corpus: PathBuf::from("corpus.txt"),
            corpus_len: 1234,
            corpus_fingerprint: None,
            words: 3,
            input_rows: 0,
            dim,
            output_rows: 2,
            run: RunState {
                processed: 77,
                elapsed: 1.5,
                epoch_losses: vec![2.5, 0.1 + 0.2],
                per_epoch: vec![(LossSum::default(), 0); 5],
                pending: Vec::new(),
                workers: vec![WorkerState {
                    epoch: 2,
                    rng: [1, u64::MAX, 3, 4],
                    lr: 0.024_999_9,
                    ..WorkerState::default()
                }],
                vocab_stats: None,
                remote: 0,
            },
            other_ranks: Vec::new(),
            job: serde_json::json!({"output": "v.bin"}),
            defaults: DEFAULTS,
        };
        let path = dir.join("c.ckpt");
        write(
            &path,
            &header,
            &vocab,
            (&SharedMatrix::from_vec(input.clone(), dim), |r| r),
            &SharedMatrix::from_vec(output.clone(), dim),
        )
        .unwrap();
        (path, header, vocab, input, output)
    }

    #[test]
    fn round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let (path, header, vocab, input, output) = sample(dir.path());
        let ck = Checkpoint::load(&path).unwrap();
        assert_eq!(ck.vocab.words(), vocab.words());
        assert_eq!(ck.vocab.counts(), vocab.counts());
        assert_eq!(ck.header.config, header.config);
        assert_eq!(ck.header.run.processed, 77);
        assert_eq!(ck.header.run.epoch_losses, [2.5, 0.1 + 0.2]);
        assert_eq!(ck.header.run.workers[0].rng, [1, u64::MAX, 3, 4]);
        assert_eq!(ck.header.run.workers[0].lr, 0.024_999_9);
        assert_eq!(ck.job()["output"], "v.bin");
        assert_eq!(ck.epochs_done(), 2);
        assert_eq!(ck.input.into_vec(), input);
        assert_eq!(ck.output.into_vec(), output);
    }

    #[test]
    fn a_checkpoint_from_before_2026_12_resumes_with_the_defaults_it_ran() {
        // Skip-gram's default hold was 1/3 then and is 0 now: an unset hold in an older
        // checkpoint (no `defaults` in its header) means 1/3; in a new one, 0.
        let dir = tempfile::tempdir().unwrap();
        let (_, mut header, vocab, input, output) = sample(dir.path());
        assert_eq!(header.config.lr_hold, None);
        // Writes `header` as a checkpoint of defaults generation `defaults` and loads it back.
        let saved_as = |header: &mut Header, defaults: u32, name: &str| {
            header.defaults = defaults;
            let path = dir.path().join(format!("{name}{defaults}.ckpt"));
            let m = |v, d| SharedMatrix::from_vec(v, d);
            let (i, o) = (m(input.clone(), 3), m(output.clone(), 3));
            write(&path, header, &vocab, (&i, |r| r), &o).unwrap();
            Checkpoint::load(&path).unwrap()
        };
        for (defaults, want) in [(0, Some(1.0 / 3.0)), (1, None), (DEFAULTS, None)] {
            let ck = saved_as(&mut header, defaults, "d");
            assert_eq!(ck.config().lr_hold, want, "defaults {defaults}");
            // And the rare-centre cut of the time: relative 1.5e-5, now 250 occurrences.
            let cut = want.map(|_| crate::config::defaults::RARE_CENTRE_THRESHOLD);
            assert_eq!(
                ck.config().rare_centre_threshold,
                cut,
                "defaults {defaults}"
            );
            // Before 2026-12-04 a rare centre reached twice the window however wide.
            let radius = (defaults < 2).then_some(2 * header.config.window);
            assert_eq!(
                ck.config().rare_centre_radius,
                radius,
                "defaults {defaults}"
            );
        }
        // Before 2026-12-05 subword skip-gram cut its rare centres at 250 occurrences; now the
        // rule is off for it.
        header.config.subwords = true;
        use crate::config::RareCut::{Count, Off};
        for (defaults, want) in [(2, Count(250)), (DEFAULTS, Off)] {
            let ck = saved_as(&mut header, defaults, "s");
            assert_eq!(
                ck.config().effective_rare_centre_cut(),
                want,
                "defaults {defaults}"
            );
        }
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let (path, ..) = sample(dir.path());
        let good = std::fs::read(&path).unwrap();
        let bad = dir.path().join("bad.ckpt");
        for cut in 0..good.len() {
            std::fs::write(&bad, &good[..cut]).unwrap();
            let e = Checkpoint::load(&bad).unwrap_err().to_string();
            assert!(e.contains("checkpoint"), "cut {cut}: {e}");
        }
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x10;
            std::fs::write(&bad, &b).unwrap();
            assert!(
                Checkpoint::load(&bad).is_err(),
                "byte {i} flipped was accepted"
            );
        }
        let mut longer = good.clone();
        longer.push(0);
        std::fs::write(&bad, &longer).unwrap();
        assert!(Checkpoint::load(&bad).is_err());
    }
}
