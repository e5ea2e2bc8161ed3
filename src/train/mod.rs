//! Training: from a corpus file and settings to word vectors.
//!
//! [`train_with`] is a short sequence of steps: open the corpus, count (or take, or resume)
//! the vocabulary, set up the matrices and the objective, run the worker threads under the
//! `coordinator`, and hand back the input vectors. The rooms:
//! - `worker`: a Hogwild worker (its shard, subsampling, the objective, its lr);
//! - `rounds`: deterministic training in rounds over private layers ([`overlay`]);
//! - `coordinator`: progress, per-epoch losses, checkpoints, interruption;
//! - `gate`: where workers park while a checkpoint is written;
//! - `schedule`: the learning-rate schedule;
//! - [`hogwild`]: the shared matrices, the only state threads write together (its module
//!   docs give the soundness argument), and [`ring`], the row ring of a sentence's window;
//! - [`sampler`]: the noise distribution and subsampling;
//! - [`distributed`]: several MPI ranks training one model ([`Cluster`]).

mod coordinator;
pub mod distributed;
mod gate;
pub mod hogwild;
pub mod overlay;
mod replay;
pub mod ring;
mod rounds;
pub mod sampler;
mod schedule;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::config::TokenizerSpec;
use crate::config::{Loss, OutputInit, RareCut, RunConfig, TrainConfig, VectorsFrom};
use crate::error::{Error, Result};
use crate::formats::checkpoint::{Checkpoint, CheckpointPlan, Header, RunState};
use crate::objective::huffman::Huffman;
use crate::objective::kernels::Sigmoid;
use crate::objective::{Input, Model, RARE_CENTRE, RARE_PAIR, SubwordIndex};
use crate::query::embeddings::Embeddings;
use crate::rng::Rng;
use crate::text::corpus::{Corpus, Fingerprint};
use crate::text::spool::{Spool, TokenizeStats};
use crate::text::vocab::{Vocab, VocabStats};
use crate::train::coordinator::{Coordinator, RunInfo, Tracker};
pub use crate::train::distributed::Cluster;
use crate::train::hogwild::{OutOfMemory, SharedMatrix};
use crate::train::sampler::NoiseSampler;
use crate::train::worker::Shared;

/// A progress event, delivered to the callback on the thread that called [`train`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Progress {
    /// The corpus is being tokenised (a tokenizer that rewrites the text: `--tokenizer
    /// unicode`, `--lowercase true`).
    Tokenizing {
        /// The corpus.
        corpus: PathBuf,
    },
    /// The tokenised copy is ready.
    Tokenized {
        /// Where it is.
        path: PathBuf,
        /// What tokenising saw (`None`: a copy written earlier was reused).
        stats: Option<TokenizeStats>,
        /// Seconds spent.
        seconds: f64,
    },
    /// The vocabulary is ready; training starts.
    VocabReady {
        /// Words in the vocabulary.
        words: usize,
        /// Training tokens per epoch (sum of vocabulary counts).
        tokens_per_epoch: u64,
        /// What the counting pass saw.
        stats: VocabStats,
        /// Seconds spent counting.
        seconds: f64,
    },
    /// Periodic update while training (about every 200 ms).
    Tick {
        /// Fraction of all epochs done, in `[0, 1]`.
        fraction: f64,
        /// The epoch the slowest thread is in (1-based).
        epoch: usize,
        /// Training words per second since training started.
        words_per_sec: f64,
        /// The learning rate now.
        lr: f32,
        /// Mean loss per prediction since the previous tick, if any were made.
        recent_loss: Option<f64>,
    },
    /// Every thread has finished an epoch.
    EpochEnd {
        /// 1-based epoch.
        epoch: usize,
        /// Exact mean loss per prediction over the epoch (summed in f64 over all threads).
        loss: f64,
        /// Number of predictions in the epoch.
        predictions: u64,
        /// Seconds since training started.
        elapsed: f64,
        /// Analogy accuracy of the input vectors as they stand when the epoch's last thread
        /// finishes it (only with `eval_analogies`; other threads may have started the next
        /// epoch by then).
        analogy: Option<f64>,
    },
}

/// Counters of a finished run.
#[derive(Clone, Debug, Default)]
pub struct TrainStats {
    /// What the counting pass saw (absent when a vocabulary was supplied).
    pub vocab: Option<VocabStats>,
    /// Tokens read over all epochs.
    pub tokens_read: u64,
    /// In-vocabulary tokens read over all epochs (the lr schedule's clock).
    pub words_trained: u64,
    /// Tokens not in the vocabulary, over all epochs.
    pub oov: u64,
    /// Words removed by subsampling, over all epochs.
    pub subsampled: u64,
    /// Tokens skipped as too long, over all epochs.
    pub long_tokens: u64,
    /// Seconds spent training (after the vocabulary pass).
    pub train_seconds: f64,
    /// `words_trained / train_seconds`.
    pub words_per_sec: f64,
    /// Mean loss per prediction of every epoch.
    pub epoch_losses: Vec<f64>,
    /// The MPI ranks that trained together (1 without MPI); the counters above are theirs.
    pub mpi_ranks: usize,
}

/// The result of [`train`].
pub struct TrainOutput {
    /// The input vectors, one per vocabulary word, in vocabulary order.
    pub embeddings: Embeddings,
    /// The vocabulary with its counts.
    pub vocab: Vocab,
    /// Counters.
    pub stats: TrainStats,
    /// A subword model's output matrix (row-major, `dim` floats per row), kept because its
    /// fastText `.bin` file holds it ([`crate::formats::fasttext::write_trained`]); `None` otherwise.
    pub output: Option<Vec<f32>>,
}

/// What [`train_with`] takes beyond the settings.
#[derive(Default)]
pub struct TrainOptions<'a> {
    /// How the run is carried out: threads, deterministic mode, monitoring. When resuming,
    /// the checkpoint's ([`Checkpoint::options`]).
    pub run: RunConfig,
    /// Train with this vocabulary instead of counting the corpus.
    pub vocab: Option<Vocab>,
    /// Write checkpoints (and, on interrupt, one last one).
    pub checkpoint: Option<CheckpointPlan>,
    /// Continue the run saved in this checkpoint: its vocabulary, matrices, positions, random
    /// states and learning rate. `config` must be the checkpoint's ([`Checkpoint::config`]).
    pub resume: Option<Checkpoint>,
    /// When this becomes true, training stops within a second: every worker parks at its next
    /// sentence boundary, a checkpoint is written if one is planned, and
    /// [`Error::Interrupted`] is returned.
    pub interrupt: Option<&'a AtomicBool>,
    /// Train together with the other ranks of this MPI world (`Cluster::mpi`, the `mpi`
    /// feature): every rank calls [`train_with`] with the same settings, trains on its part of
    /// the corpus, and gets the same vectors back. `None`: this process alone.
    pub cluster: Option<&'a Cluster>,
}

/// Trains word vectors on the corpus at `corpus_path`.
///
/// With `vocab = None` the vocabulary is counted from the corpus first. Every core trains (see
/// [`TrainOptions::run`] for other run options). `progress` is called on this thread; the
/// library never prints.
pub fn train(
    corpus_path: &Path,
    config: &TrainConfig,
    vocab: Option<Vocab>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutput> {
    let opts = TrainOptions {
        vocab,
        ..TrainOptions::default()
    };
    train_with(corpus_path, config, opts, progress)
}

/// Trains word vectors, with the options of [`TrainOptions`] (threads and the other run
/// options, checkpoints, resuming, interruption, a given vocabulary).
pub fn train_with(
    corpus_path: &Path,
    config: &TrainConfig,
    opts: TrainOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutput> {
    let TrainOptions {
        run: options,
        vocab,
        checkpoint: plan,
        resume,
        interrupt,
        cluster,
    } = opts;
    let solo = Cluster::solo();
    let cluster = cluster.unwrap_or(&solo);
    // Every rank fails together: one rank's bad file or setting stops them all, not a hang.
    let (raw, questions) = cluster.agree((|| {
        config.validate()?;
        options.validate()?;
        check_ranks(cluster, config, &options)?;
        Ok((Corpus::open(corpus_path)?, read_questions(&options)?))
    })())?;
    check_same_settings(cluster, config, &options, &raw, vocab.as_ref())?;
    let spec = config.tokenizer_spec();
    // Stored in checkpoints, so that a resumed run can tell a changed corpus; part of the
    // tokenised copy's name.
    let fingerprint = match (&plan, &resume) {
        (None, None) if !spec.rewrites() => None,
        _ => Some(raw.fingerprint()?),
    };
    let threads = options.effective_threads();
    let mut spool = match fingerprint {
        Some(fp) if spec.rewrites() => {
            Some(tokenized(&raw, &fp, spec, &options, interrupt, progress)?)
        }
        _ => None,
    };
    let text = match &spool {
        Some(s) => Corpus::open(s.path())?,
        None => raw.clone(),
    };
    let setup = Setup {
        raw: &raw,
        text: &text,
        corpus_path,
        fingerprint,
        questions,
        plan,
        interrupt,
        options: &options,
        threads,
        cluster,
        t0: Instant::now(),
    };
    let result = (|| {
        let (vocab, vocab_stats, resumed) = setup.vocabulary(config, resume, vocab)?;
        train_vocab(config, vocab, vocab_stats, resumed, setup, progress)
    })();
    if let (
        Some(s),
        Err(Error::Interrupted {
            checkpoint: Some(_),
        }),
    ) = (&mut spool, &result)
    {
        // `--resume` trains from the same copy.
        s.keep();
    }
    result
}

/// On several ranks: every rank was given the same settings, corpus size and vocabulary (an
/// error names the first difference).
fn check_same_settings(
    cluster: &Cluster,
    config: &TrainConfig,
    options: &RunConfig,
    raw: &Corpus,
    vocab: Option<&Vocab>,
) -> Result<()> {
    if cluster.size() == 1 {
        return Ok(());
    }
    let mut settings = serde_json::to_value(config).unwrap_or_default();
    if let Some(s) = settings.as_object_mut() {
        s.insert("threads".into(), options.effective_threads().into());
        s.insert("sync-every".into(), options.effective_sync_every().into());
        s.insert("corpus size".into(), raw.file_len().into());
        let given = vocab.map(|v| (v.len(), v.total()));
        s.insert("vocabulary given".into(), serde_json::json!(given));
    }
    cluster.check_same(&settings)
}

/// A run's inputs once its text is ready (see [`train_with`]).
struct Setup<'a> {
    /// The corpus as given (its size and fingerprint go into checkpoints).
    raw: &'a Corpus,
    /// What the epochs read: the corpus, or its tokenised copy.
    text: &'a Corpus,
    corpus_path: &'a Path,
    fingerprint: Option<Fingerprint>,
    questions: Option<(PathBuf, Vec<u8>)>,
    plan: Option<CheckpointPlan>,
    interrupt: Option<&'a AtomicBool>,
    options: &'a RunConfig,
    threads: usize,
    cluster: &'a Cluster,
    t0: Instant,
}

impl Setup<'_> {
    /// The vocabulary: the checkpoint's when resuming, else counted from the text (or the
    /// one given).
    fn vocabulary(
        &self,
        config: &TrainConfig,
        resume: Option<Checkpoint>,
        given: Option<Vocab>,
    ) -> Result<(Vocab, Option<VocabStats>, Option<Resumed>)> {
        let cluster = self.cluster;
        match resume {
            Some(ck) => {
                let ck = ck.for_rank(cluster.rank(), cluster.size());
                cluster.agree(ck.and_then(|ck| {
                    resume_vocab(ck, self.raw, self.fingerprint, config, self.options)
                }))
            }
            None => {
                let (v, stats) = count_vocab(
                    self.text,
                    config,
                    self.threads,
                    given,
                    self.interrupt,
                    cluster,
                )
                .map_err(|e| e.naming_corpus(self.raw.path()))?;
                Ok((v, stats, None))
            }
        }
    }
}

/// The tokenised copy of `raw` (written now, or reused), announced through `progress`.
fn tokenized(
    raw: &Corpus,
    fp: &Fingerprint,
    spec: TokenizerSpec,
    options: &RunConfig,
    interrupt: Option<&AtomicBool>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Spool> {
    let never = AtomicBool::new(false);
    let t = Instant::now();
    progress(&Progress::Tokenizing {
        corpus: raw.path().to_path_buf(),
    });
    let spool = Spool::prepare(
        raw,
        fp,
        spec,
        options.tokens_dir.as_deref(),
        options.effective_threads(),
        interrupt.unwrap_or(&never),
    )?;
    progress(&Progress::Tokenized {
        path: spool.path().to_path_buf(),
        stats: spool.stats(),
        seconds: t.elapsed().as_secs_f64(),
    });
    Ok(spool)
}

/// Training once the vocabulary is known: the matrices, the objective, the workers under the
/// coordinator, and the vectors handed back. (Long: the training state is a stack of borrows,
/// matrices and sampler under the model, the model under `Shared`, all of them under the
/// coordinator, that has to live in one frame.)
fn train_vocab(
    config: &TrainConfig,
    vocab: Vocab,
    vocab_stats: Option<VocabStats>,
    resumed: Option<Resumed>,
    setup: Setup,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutput> {
    let Setup {
        raw,
        text,
        corpus_path,
        fingerprint,
        questions,
        plan,
        interrupt,
        options,
        threads,
        cluster,
        t0,
    } = setup;
    if config.loss == Loss::Hs && vocab.len() < 2 {
        return Err(Error::config(
            "loss",
            "hierarchical softmax needs at least 2 words in the vocabulary",
        ));
    }
    progress(&Progress::VocabReady {
        words: vocab.len(),
        tokens_per_epoch: vocab.total(),
        stats: vocab_stats.unwrap_or_default(),
        seconds: t0.elapsed().as_secs_f64(),
    });
    let tree = (config.loss == Loss::Hs).then(|| Huffman::new(vocab.counts()));
    // Output rows: one per word, or one per inner node of the Huffman tree.
    let output_rows = tree.as_ref().map_or(vocab.len(), |t| t.inner_nodes());
    let subwords = config
        .ngram_spec()
        .map(|spec| SubwordIndex::new(vocab.words(), spec));
    let (input, output, run) = cluster.agree(matrices(config, &vocab, output_rows, resumed))?;
    if let Some(s) = &subwords {
        s.to_training(&input);
    }
    let noise = NoiseSampler::new(vocab.counts(), config.ns_power);
    let sigmoid = Sigmoid::new();
    let rare = rare_flags(config, &vocab);
    let model = model(
        config,
        Input {
            rows: &input,
            subwords: subwords.as_ref(),
        },
        &output,
        &noise,
        &sigmoid,
        tree.as_ref(),
        &rare,
    );
    let ranks = (cluster.rank(), cluster.size());
    let mut shared = Shared::new(text, config, &vocab, model, run.as_ref(), threads, ranks);
    shared.replay_bytes = options.effective_id_cache_bytes(available_memory()) / threads as u64;
    let tracker = Tracker::new(config.epochs, threads, run.as_ref())?;
    let coordinator = Coordinator {
        sh: &shared,
        config,
        vocab: &vocab,
        input: &input,
        output: &output,
        questions: questions.as_ref(),
        plan: plan.as_ref(),
        interrupt,
        deterministic: options.deterministic,
        cluster,
        sync_every: options.effective_sync_every(),
        info: RunInfo {
            corpus: std::path::absolute(corpus_path).unwrap_or_else(|_| corpus_path.into()),
            corpus_len: raw.file_len(),
            tokens_dir: options.tokens_dir.clone(),
            id_cache_mib: options.id_cache_mib,
            fingerprint,
            output_rows,
            vocab_stats,
            elapsed_before: run.as_ref().map_or(0.0, |r| r.elapsed),
            processed_before: run.as_ref().map_or(0, |r| r.processed),
        },
    };
    let (mut tracker, train_seconds) = coordinator.run(tracker, progress);
    if let Some(e) = tracker.first_error {
        return Err(e);
    }
    // Every rank's counters: the run's, not this rank's share.
    tracker.totals = distributed::sum_totals(cluster, tracker.totals);
    drop(shared);
    if let Some(s) = &subwords {
        s.to_saved(&input);
    }
    if config.vectors_from == VectorsFrom::InputPlusOutput {
        add_output_rows(&input, &output, vocab.len());
    }
    // A subword model keeps its output matrix (its .bin file holds it); otherwise it is freed
    // before the input is copied out, so the copy does not raise the peak memory above the
    // two training matrices.
    let output = config.subwords.then(|| output.into_vec());
    let mut trained = finish(config, vocab, vocab_stats, input, tracker, train_seconds)?;
    trained.output = output;
    trained.stats.mpi_ranks = cluster.size();
    Ok(trained)
}

/// The analogy questions of `eval_analogies`, read now: a missing file fails before any work.
fn read_questions(options: &RunConfig) -> Result<Option<(PathBuf, Vec<u8>)>> {
    options
        .eval_analogies
        .as_ref()
        .map(|p| {
            let text = std::fs::read(p)
                .map_err(|e| Error::io("cannot read analogy questions from", p, e))?;
            Ok((p.clone(), text))
        })
        .transpose()
}

/// The vocabulary given, or counted from the corpus on `threads` threads (stopping early on an
/// interrupt), with what the counting pass saw.
fn count_vocab(
    corpus: &Corpus,
    config: &TrainConfig,
    threads: usize,
    given: Option<Vocab>,
    interrupt: Option<&AtomicBool>,
    cluster: &Cluster,
) -> Result<(Vocab, Option<VocabStats>)> {
    match given {
        Some(v) if v.is_empty() => Err(Error::EmptyVocab {
            path: corpus.path().to_path_buf(),
            min_count: config.min_count,
            tokens: 0,
        }),
        Some(v) => Ok((v, None)),
        None => {
            let never = AtomicBool::new(false);
            let stop = interrupt.unwrap_or(&never);
            let (v, s) = if cluster.size() > 1 {
                distributed::count_vocab(cluster, corpus, config.min_count, config.max_vocab, stop)?
            } else {
                Vocab::build_until(corpus, config.min_count, config.max_vocab, threads, stop)?
            };
            Ok((v, Some(s)))
        }
    }
}

/// The matrices and run state of a checkpoint being resumed.
type Resumed = (Header, SharedMatrix, SharedMatrix);

/// What several MPI ranks cannot do yet, refused before any work (nothing to check with one).
fn check_ranks(cluster: &Cluster, config: &TrainConfig, options: &RunConfig) -> Result<()> {
    if cluster.size() == 1 {
        return Ok(());
    }
    let refuse = |field: &'static str, what: &str| {
        Err(Error::config(
            field,
            format!("{what} is not supported with several MPI ranks"),
        ))
    };
    if options.deterministic {
        return refuse("deterministic", "training in rounds");
    }
    if config.tokenizer_spec().rewrites() {
        return refuse(
            "tokenizer",
            "a tokenizer that rewrites the text (run `w2v tokenize` once, then train on its \
             output with the whitespace tokenizer)",
        );
    }
    Ok(())
}

/// The vocabulary of the checkpoint being resumed, once the checkpoint is found to fit the
/// settings and the corpus it was written for.
fn resume_vocab(
    ck: Checkpoint,
    corpus: &Corpus,
    now: Option<Fingerprint>,
    config: &TrainConfig,
    options: &RunConfig,
) -> Result<(Vocab, Option<VocabStats>, Option<Resumed>)> {
    let h = &ck.header;
    if &h.config != config {
        return Err(Error::Resume(
            "the settings differ from the checkpoint's".into(),
        ));
    }
    if h.options.deterministic != options.deterministic {
        return Err(Error::Resume(
            "--deterministic differs from the checkpoint's run".into(),
        ));
    }
    let threads = options.effective_threads();
    let path = corpus.path();
    if h.corpus_len != corpus.file_len() {
        return Err(Error::Resume(format!(
            "the corpus {} has changed since the checkpoint ({} bytes then, {} now)",
            path.display(),
            h.corpus_len,
            corpus.file_len()
        )));
    }
    if let (Some(then), Some(now)) = (h.corpus_fingerprint, now) {
        if now.head_tail_fnv != then.head_tail_fnv {
            return Err(Error::Resume(format!(
                "the corpus {} has changed since the checkpoint: its content differs",
                path.display()
            )));
        }
        if let (Some(t), true) = (then.modified_ns, now.modified_ns != then.modified_ns) {
            // Same size and same ends: most likely the same text copied without its time, but
            // the middle of a large file is only covered by the time. Say how to vouch for it.
            return Err(Error::Resume(format!(
                "the corpus {p} has changed since the checkpoint: it was modified (its \
                 modification time differs; size and ends are the same). If it is the same \
                 text, copied without its time, restore the time: touch -d @{}.{:09} {p}",
                t / 1_000_000_000,
                t % 1_000_000_000,
                p = path.display()
            )));
        }
    }
    if h.run.workers.len() != threads || h.dim != config.dim {
        return Err(Error::Resume(
            "the checkpoint's threads or dimension do not match its settings".into(),
        ));
    }
    let stats = h.run.vocab_stats;
    let Checkpoint {
        header,
        vocab,
        input,
        output,
    } = ck;
    Ok((vocab, stats, Some((header, input, output))))
}

/// The input and output matrices: the resumed run's (checked against the vocabulary and the
/// settings), or new ones (input uniform in ±0.5/dim, a subword model's bucket rows too;
/// output zero or uniform in ±1/dim).
fn matrices(
    config: &TrainConfig,
    vocab: &Vocab,
    output_rows: usize,
    resumed: Option<Resumed>,
) -> Result<(SharedMatrix, SharedMatrix, Option<RunState>)> {
    let dim = config.dim;
    let input_rows = vocab.len() + config.ngram_spec().map_or(0, |s| s.buckets);
    if let Some((header, input, output)) = resumed {
        if header.output_rows != output_rows || header.words != vocab.len() {
            return Err(Error::Resume(
                "the checkpoint's matrices do not fit its vocabulary".into(),
            ));
        }
        if input.dim() != dim || output.dim() != dim || input.rows() != input_rows {
            return Err(Error::Resume(
                "the checkpoint's matrices do not fit its settings".into(),
            ));
        }
        return Ok((input, output, Some(header.run)));
    }
    if config.subwords {
        check_memory(input_rows + output_rows, dim, config)?;
    }
    let oom = |what| move |e: OutOfMemory| Error::OutOfMemory { what, bytes: e.0 };
    let mut init_rng = Rng::new(config.seed, u64::MAX);
    let input =
        SharedMatrix::try_from_fn(input_rows, dim, || (init_rng.next_f32() - 0.5) / dim as f32)
            .map_err(oom("the input vectors"))?;
    let output = match config.effective_output_init() {
        OutputInit::Zero => SharedMatrix::try_from_fn(output_rows, dim, || 0.0),
        OutputInit::Uniform => SharedMatrix::try_from_fn(output_rows, dim, || {
            2.0 * (init_rng.next_f32() - 0.5) / dim as f32
        }),
    }
    .map_err(oom("the output vectors"))?;
    Ok((input, output, None))
}

/// Per word: [`RARE_PAIR`] and [`RARE_CENTRE`] flags from the rare thresholds (`None` when
/// both rules are off).
fn rare_flags(config: &TrainConfig, vocab: &Vocab) -> Option<Vec<u8>> {
    let total = vocab.total() as f64;
    let pair_below = config.effective_rare_pair_threshold() * total;
    let centre_below = config.rare_centre_below(vocab.total());
    (pair_below > 0.0 || centre_below > 0.0).then(|| {
        vocab
            .counts()
            .iter()
            .map(|&c| {
                let c = c as f64;
                let pair = if c < pair_below { RARE_PAIR } else { 0 };
                let centre = if c < centre_below { RARE_CENTRE } else { 0 };
                pair | centre
            })
            .collect()
    })
}

/// A subword model's matrices of `rows × dim` floats, checked against the memory available
/// before anything is allocated (the bucket rows alone are 800 MB at fastText's defaults): an
/// error that says which setting to lower, not an allocation the system kills later.
fn check_memory(rows: usize, dim: usize, config: &TrainConfig) -> Result<()> {
    let bytes = rows as u128 * dim.div_ceil(2) as u128 * 8;
    match available_memory() {
        Some(available) if bytes > available as u128 => Err(Error::SubwordMemory {
            bytes,
            available,
            buckets: config.buckets,
            dim,
        }),
        _ => Ok(()),
    }
}

/// The memory the system can give without swapping (`MemAvailable` of `/proc/meminfo`, on
/// Linux; `None` elsewhere or when it cannot be read).
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The objective over the shared matrices, as the settings describe it.
fn model<'a>(
    config: &TrainConfig,
    input: Input<'a, SharedMatrix>,
    output: &'a SharedMatrix,
    noise: &'a NoiseSampler,
    sigmoid: &'a Sigmoid,
    tree: Option<&'a Huffman>,
    rare: &'a Option<Vec<u8>>,
) -> Model<'a> {
    Model {
        input,
        output,
        noise,
        sigmoid,
        negative: if config.loss == Loss::Ns {
            config.negative
        } else {
            0
        },
        loss: config.loss,
        tree,
        shared_negatives: config.effective_shared_negatives(),
        positive_steps: config.effective_positive_steps(),
        batch_contexts: config.effective_batch_contexts(),
        rare: rare.as_deref(),
        // Only rare centres widen the window: without them, no wider ring either.
        rare_radius: if config.effective_rare_centre_cut() != RareCut::Off {
            config.effective_rare_centre_radius()
        } else {
            0
        },
    }
}

/// `--vectors-from input+output`: adds each word's output row to its input row (Levy,
/// Goldberg & Dagan 2015's w + c). Every worker has returned, so nothing else writes the rows.
fn add_output_rows(input: &SharedMatrix, output: &SharedMatrix, words: usize) {
    let mut row = vec![0.0; output.dim()];
    for w in 0..words {
        output.read_row(w, &mut row);
        input.add_to_row(w, &row);
    }
}

/// The trained input vectors and the run's counters, once every worker has returned.
fn finish(
    config: &TrainConfig,
    vocab: Vocab,
    vocab_stats: Option<VocabStats>,
    input: SharedMatrix,
    tracker: Tracker,
    train_seconds: f64,
) -> Result<TrainOutput> {
    let data = input.into_vec();
    if data.iter().any(|x| !x.is_finite()) {
        return Err(Error::Diverged {
            epoch: config.epochs,
        });
    }
    let totals = tracker.totals;
    let stats = TrainStats {
        vocab: vocab_stats,
        tokens_read: totals.tokens,
        words_trained: totals.words,
        oov: totals.oov,
        subsampled: totals.subsampled,
        long_tokens: totals.long_tokens,
        train_seconds,
        words_per_sec: totals.words as f64 / train_seconds.max(1e-9),
        epoch_losses: tracker.epoch_losses,
        mpi_ranks: 1,
    };
    let embeddings = match config.ngram_spec() {
        None => Embeddings::new(vocab.words().to_vec(), config.dim, data),
        Some(spec) => {
            Embeddings::from_subword_matrix(vocab.words().to_vec(), spec, data, config.dim)
        }
    };
    Ok(TrainOutput {
        embeddings,
        vocab,
        stats,
        output: None,
    })
}
