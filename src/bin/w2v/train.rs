//! `w2v train`: the settings and the job (what is written where), the interrupt handling,
//! the call into the library, and the files written after it.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use w2v::formats::atomic::AtomicFile;
use w2v::{Format, Progress, RunConfig, TrainConfig};

use crate::EXIT_INTERRUPTED;
use crate::progress::Reporter;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Corpus: whitespace-separated tokens, one sentence per line; may be gzip-compressed.
    #[arg(required_unless_present = "resume")]
    corpus: Option<PathBuf>,
    /// Where to write the vectors. With --subwords, the stem of two files: STEM.bin, the model
    /// in fastText's format (fastText, gensim and every w2v command read it, unknown words
    /// included), and STEM.vec, the word vectors as word2vec text (a .bin or .vec extension
    /// given is replaced).
    #[arg(short, long, required_unless_present = "resume")]
    output: Option<PathBuf>,
    /// Output format [default: bin for a .bin extension, else text].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Also write the vocabulary (`word count` per line) to this file.
    #[arg(long, value_name = "FILE")]
    save_vocab: Option<PathBuf>,
    /// Take the vocabulary from this file (`word count` per line, as --save-vocab and
    /// word2vec.c write it) instead of counting the corpus; --min-count and --max-vocab still
    /// apply. The counts drive subsampling, the noise distribution and the lr schedule, so they
    /// should come from this corpus.
    #[arg(long, value_name = "FILE")]
    read_vocab: Option<PathBuf>,
    /// Save the whole run (matrices, vocabulary, settings, positions, random states, lr) to
    /// this file at every epoch end and every --checkpoint-every, atomically. Without it, an
    /// interrupted run (Ctrl-C, SIGTERM) still saves itself to OUTPUT.ckpt.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// How often to checkpoint while training: a number with s, m or h (e.g. 30s, 10m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    checkpoint_every: Duration,
    /// Continue the run saved in this checkpoint; the corpus, output and every setting come
    /// from it (no other setting may be given with it).
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// Stop after this many epochs as Ctrl-C would (checkpoint, exit status 130): a run in
    /// slices, and a deterministic interruption for tests.
    #[arg(long, value_name = "N", hide = true)]
    stop_after_epoch: Option<usize>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Several MPI ranks: every rank writes its vectors, rank N > 0 to OUTPUT.rankN (tests:
    /// the ranks must end with the same model).
    #[arg(long, hide = true)]
    write_every_rank: bool,
    #[command(flatten)]
    config: TrainConfig,
    #[command(flatten)]
    run: RunConfig,
}

/// What a run writes where: stored in its checkpoints, so `--resume` needs nothing else.
#[derive(serde::Serialize, serde::Deserialize)]
struct Job {
    corpus: PathBuf,
    output: PathBuf,
    format: Format,
    save_vocab: Option<PathBuf>,
    /// A subword model's word vectors as word2vec text (its model goes to `output`).
    #[serde(default)]
    vec_output: Option<PathBuf>,
    /// The checkpoint file, and whether the user asked for it (then it is kept and written
    /// periodically; otherwise it is written only on interrupt and removed after success).
    checkpoint: PathBuf,
    checkpoint_asked: bool,
    checkpoint_every_secs: f64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 10m or 1h"))?;
    let secs = match unit {
        "s" | "sec" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: the unit must be s, m or h")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
        return Err(format!("`{s}` must be a positive duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Installs the Ctrl-C / SIGTERM handling of `train`: the first signal sets the returned flag
/// (the library stops at its next check, within a second, in every phase); a second one
/// removes `temps` (the temporary files this run may be writing) and exits with status 130
/// at once.
pub(crate) fn on_interrupt(
    temps: Vec<PathBuf>,
) -> anyhow::Result<&'static std::sync::atomic::AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    // One flag for the process's life: the signal thread holds it until the process ends.
    let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        // Counted here, not read from the flag: `--stop-after-epoch` sets the flag too, and a
        // first Ctrl-C after it must still save a checkpoint.
        for (n, _) in signals.forever().enumerate() {
            flag.store(true, Relaxed);
            if n >= 1 {
                for t in &temps {
                    let _ = std::fs::remove_file(t);
                }
                // No message: printing needs the stderr lock, which the main thread may hold.
                std::process::exit(EXIT_INTERRUPTED.into());
            }
        }
    });
    Ok(flag)
}

/// A path made absolute against the working directory: checkpoints store paths that still
/// mean the same files when the run is resumed from another directory.
fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `--resume` takes everything from the checkpoint: any other setting given is refused by
/// name rather than silently ignored.
fn check_resume_flags(given: &[String]) -> anyhow::Result<()> {
    let extra: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|f| {
            ![
                "--resume",
                "--quiet",
                "--stop-after-epoch",
                "--write-every-rank",
            ]
            .contains(f)
        })
        .collect();
    if !extra.is_empty() {
        anyhow::bail!(
            "--resume takes the corpus, the output and every setting from the checkpoint; \
             remove {} (or start a new run without --resume)",
            extra.join(", ")
        );
    }
    Ok(())
}

/// The model's settings and the run's options.
type Settings = (TrainConfig, RunConfig);

/// The job, settings and checkpoint of a resumed run.
fn resumed_job(path: &std::path::Path) -> anyhow::Result<(Job, Settings, w2v::Checkpoint)> {
    let ck = w2v::Checkpoint::load(path)?;
    let mut job: Job = serde_json::from_value(ck.job().clone()).map_err(|e| {
        anyhow::anyhow!(
            "{}: the checkpoint has no readable job: {e}",
            path.display()
        )
    })?;
    // Keep checkpointing to the file the run was resumed from.
    job.checkpoint = absolute(path);
    let settings = (ck.config().clone(), ck.options().clone());
    Ok((job, settings, ck))
}

/// The job of a new run, every path made absolute.
fn new_job(a: &TrainArgs) -> anyhow::Result<Job> {
    let (Some(corpus), Some(output)) = (a.corpus.as_deref(), a.output.as_deref()) else {
        anyhow::bail!("a corpus and --output are needed (or --resume FILE)");
    };
    let (corpus, mut output) = (absolute(corpus), absolute(output));
    let mut vec_output = None;
    if a.config.subwords {
        // fastText's naming: the model STEM.bin and its word vectors STEM.vec.
        let stem = match output.extension().and_then(|e| e.to_str()) {
            Some("bin" | "vec") => output.with_extension(""),
            _ => output.clone(),
        };
        output = suffixed(&stem, ".bin");
        vec_output = Some(suffixed(&stem, ".vec"));
        if a.format.is_some() {
            anyhow::bail!(
                "--format does not apply to --subwords: the model is written in fastText's \
                 format ({}) and the word vectors as text ({})",
                output.display(),
                suffixed(&stem, ".vec").display()
            );
        }
    }
    let format = a.format.unwrap_or_else(|| Format::from_path(&output));
    let checkpoint = a
        .checkpoint
        .as_deref()
        .map_or_else(|| suffixed(&output, ".ckpt"), absolute);
    Ok(Job {
        corpus,
        output,
        format,
        save_vocab: a.save_vocab.as_deref().map(absolute),
        vec_output,
        checkpoint,
        checkpoint_asked: a.checkpoint.is_some(),
        checkpoint_every_secs: a.checkpoint_every.as_secs_f64(),
    })
}

/// `path` with `suffix` appended to its name (`v.bin` → `v.bin.json`).
fn suffixed(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The job and its settings: from the command line, or from the checkpoint being resumed.
fn job_and_settings(
    a: &TrainArgs,
    given: &[String],
) -> anyhow::Result<(Job, (TrainConfig, RunConfig), Option<w2v::Checkpoint>)> {
    Ok(match &a.resume {
        Some(path) => {
            check_resume_flags(given)?;
            let (job, settings, ck) = resumed_job(path)?;
            (job, settings, Some(ck))
        }
        None => {
            let mut run = a.run.clone();
            // Stored in checkpoints: the same file when resumed from another directory.
            run.eval_analogies = run.eval_analogies.as_deref().map(absolute);
            (new_job(a)?, (a.config.clone(), run), None)
        }
    })
}

pub fn train(a: TrainArgs, given: &[String]) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let (job, (config, run), resume) = job_and_settings(&a, given)?;
    config.validate()?;
    run.validate()?;
    let cluster = cluster()?;
    let root = cluster.is_root();
    // The model card: how these vectors were trained (config, loss, per-epoch losses).
    let card_path = suffixed(&job.output, ".json");
    let Prepared {
        interrupt,
        outputs,
        vocab,
        plan,
    } = prepare_every_rank(&a, &job, &config, &run, &card_path, &cluster)?;
    if let Some(ck) = &resume
        && !a.quiet
    {
        eprintln!(
            "resuming {} from {} ({} of {} epochs done)",
            job.output.display(),
            job.checkpoint.display(),
            ck.epochs_done(),
            config.epochs
        );
    }
    let opts = w2v::TrainOptions {
        run: run.clone(),
        vocab,
        checkpoint: Some(plan),
        resume,
        interrupt: Some(interrupt),
        cluster: Some(&cluster),
    };
    // Rank 0 reports and writes; the other ranks print only errors.
    let mut rep = Reporter::new(a.quiet || !root);
    let softmax = config.loss == w2v::Loss::Softmax;
    let result = w2v::train_with(&job.corpus, &config, opts, &mut |p| {
        rep.event(p);
        if let Progress::EpochEnd { epoch, .. } = p
            && a.stop_after_epoch == Some(*epoch)
        {
            interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let Progress::VocabReady { words, .. } = p
            && softmax
            && *words > w2v::config::SOFTMAX_WARN_WORDS
        {
            rep.line(&format!(
                "warning: --loss softmax costs O(V) per prediction: with {words} words each one \
                 touches every output row, hundreds of times the work of --loss ns or hs"
            ));
        }
    });
    rep.finish();
    if let Err(w2v::Error::Interrupted {
        checkpoint: Some(p),
    }) = &result
        && cluster.size() > 1
        && root
    {
        eprintln!(
            "several MPI ranks: continue with `mpirun -np {} w2v train --resume {}`",
            cluster.size(),
            p.display()
        );
    }
    let trained = result?;
    let Some(files) = outputs else {
        return Ok(());
    };
    if !write_outputs(files, &job, &config, &run, &trained)? {
        return Ok(());
    }
    rep.line(&summary(&job, &config, &trained, t0));
    if cluster.size() > 1 {
        rep.line(&traffic(&cluster, trained.stats.train_seconds));
    }
    Ok(())
}

/// The files rank 0 claimed before training, written once it has ended.
struct Outputs {
    out: AtomicFile,
    vec_out: Option<AtomicFile>,
    card: Option<AtomicFile>,
    vocab_out: Option<AtomicFile>,
}

/// Writes the vectors (fastText's model and `.vec` for subwords), the model card and the
/// vocabulary, each through its claimed temporary file, and removes a checkpoint that only an
/// earlier interruption asked for. False for a rank that writes its own vectors and nothing
/// else (`--write-every-rank`).
fn write_outputs(
    files: Outputs,
    job: &Job,
    config: &TrainConfig,
    run: &RunConfig,
    trained: &w2v::TrainOutput,
) -> anyhow::Result<bool> {
    let Outputs {
        out,
        vec_out,
        card,
        vocab_out,
    } = files;
    if config.subwords {
        out.commit(|w| w2v::formats::fasttext::write_trained_to(w, config, trained))?;
    } else {
        out.commit(|w| {
            w2v::formats::word2vec::write_for(&job.output, w, &trained.embeddings, job.format)
        })?;
    }
    let Some(card) = card else {
        return Ok(false);
    };
    if let (Some(v), Some(path)) = (vec_out, &job.vec_output) {
        v.commit(|w| {
            w2v::formats::word2vec::write_for(path, w, &trained.embeddings, Format::Text)
        })?;
    }
    let source = w2v::formats::card::CardSource {
        corpus: Some(&job.corpus),
        vectors: Some(&job.output),
        format: job.format,
    };
    let info = w2v::formats::card::model_card(&source, config, run, trained);
    card.commit(|w| {
        serde_json::to_writer_pretty(&mut *w, &info)?;
        w.write_all(b"\n")
    })?;
    if let Some(v) = vocab_out {
        v.commit(|w| trained.vocab.write(w))?;
    }
    if !job.checkpoint_asked {
        // Written only because an earlier run of this job was interrupted: done with it now.
        let _ = std::fs::remove_file(&job.checkpoint);
    }
    Ok(true)
}

/// The MPI world this process runs in (a build with the `mpi` feature), else this process
/// alone.
fn cluster() -> anyhow::Result<w2v::Cluster> {
    #[cfg(feature = "mpi")]
    return Ok(w2v::Cluster::mpi()?);
    #[cfg(not(feature = "mpi"))]
    {
        // Started by mpirun (OpenMPI's or MPICH's variable) as one of several copies, a build
        // without MPI would train alone, each copy on the whole corpus, into the same files.
        let ranks = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
            .iter()
            .find_map(|v| std::env::var(v).ok()?.parse::<usize>().ok());
        if let Some(n) = ranks.filter(|&n| n > 1) {
            anyhow::bail!(
                "this w2v was built without MPI, and mpirun started {n} copies of it; build it \
                 with `cargo install --path . --features mpi` to train on several ranks"
            );
        }
        Ok(w2v::Cluster::solo())
    }
}

/// What a run has ready before training: the interrupt flag, the output files claimed (on rank
/// 0, which writes them), the vocabulary given, the checkpoint plan.
struct Prepared {
    interrupt: &'static std::sync::atomic::AtomicBool,
    /// None on a rank that writes nothing.
    outputs: Option<Outputs>,
    vocab: Option<w2v::Vocab>,
    plan: w2v::CheckpointPlan,
}

/// [`prepare`] on every rank, then they agree: one rank's failure stops every rank.
fn prepare_every_rank(
    a: &TrainArgs,
    job: &Job,
    config: &TrainConfig,
    run: &RunConfig,
    card_path: &std::path::Path,
    cluster: &w2v::Cluster,
) -> anyhow::Result<Prepared> {
    let prepared = prepare(a, job, config, run, card_path, cluster.rank());
    if let Err(e) = cluster.agree(prepared.as_ref().map(|_| ()).map_err(|e| w2v::Error::Rank {
        rank: cluster.rank(),
        message: e.to_string(),
    })) {
        prepared?;
        return Err(e.into());
    }
    prepared
}

/// Prepares the run: installs the interrupt handling and, on rank 0, claims every output file,
/// so that an unwritable path fails now, not after training.
fn prepare(
    a: &TrainArgs,
    job: &Job,
    config: &TrainConfig,
    run: &RunConfig,
    card_path: &std::path::Path,
    rank: usize,
) -> anyhow::Result<Prepared> {
    let root = rank == 0;
    // Ctrl-C or SIGTERM: counting stops, or the trainer parks its threads, saves a checkpoint
    // and returns; a second signal removes this run's temporary files and ends the process.
    // Installed before any temporary file exists, so that none can be left behind.
    let tokens = tokens_path(job, config, run)?;
    let interrupt = on_interrupt(temp_files(job, card_path, tokens.as_deref()))?;
    let claim =
        |p: Option<&std::path::Path>| p.filter(|_| root).map(AtomicFile::create).transpose();
    let out = if root || !a.write_every_rank {
        claim(Some(&job.output))?
    } else {
        Some(AtomicFile::create(&suffixed(
            &job.output,
            &format!(".rank{rank}"),
        ))?)
    };
    // Only rank 0 claims these: where `out` is None, so are they.
    let (vec_out, card, vocab_out) = (
        claim(job.vec_output.as_deref())?,
        claim(Some(card_path))?,
        claim(job.save_vocab.as_deref())?,
    );
    Ok(Prepared {
        interrupt,
        outputs: out.map(|out| Outputs {
            out,
            vec_out,
            card,
            vocab_out,
        }),
        vocab: a
            .read_vocab
            .as_deref()
            .map(|p| w2v::Vocab::load(p, config.min_count, config.max_vocab))
            .transpose()?,
        plan: checkpoint_plan(job)?,
    })
}

/// The cost of training on several ranks: syncs, bytes sent and time in MPI, for this rank.
fn traffic(cluster: &w2v::Cluster, train_seconds: f64) -> String {
    let t = cluster.traffic();
    format!(
        "rank {} of {}: {} syncs ({} of every row), {:.1} MB sent ({:.2} MB/s), {:.1} s in MPI \
         calls ({:.1}% of training)",
        cluster.rank(),
        cluster.size(),
        t.syncs,
        t.full_syncs,
        t.bytes as f64 / 1e6,
        t.bytes as f64 / 1e6 / train_seconds.max(1e-9),
        t.seconds,
        100.0 * t.seconds / train_seconds.max(1e-9)
    )
}

/// The last line of a finished run.
fn summary(job: &Job, config: &TrainConfig, trained: &w2v::TrainOutput, t0: Instant) -> String {
    let s = &trained.stats;
    format!(
        "trained {} words x {} epochs ({} tokens read: {} kept, {} subsampled, {} out of \
         vocabulary, {} too long) in {:.1} s: {:.0} words/s; wrote {} ({} vectors, total {:.1} s)",
        trained.vocab.total(),
        config.epochs,
        s.tokens_read,
        s.words_trained.saturating_sub(s.subsampled),
        s.subsampled,
        s.oov,
        s.long_tokens,
        s.train_seconds,
        s.words_per_sec,
        job.output.display(),
        trained.embeddings.len(),
        t0.elapsed().as_secs_f64()
    )
}

/// Where the tokenised copy of the corpus goes, for a tokenizer that rewrites the text.
fn tokens_path(
    job: &Job,
    config: &TrainConfig,
    run: &RunConfig,
) -> anyhow::Result<Option<PathBuf>> {
    let spec = config.tokenizer_spec();
    if !spec.rewrites() {
        return Ok(None);
    }
    let corpus = w2v::text::corpus::Corpus::open(&job.corpus)?;
    let fp = corpus.fingerprint()?;
    Ok(Some(w2v::text::spool::Spool::path_for(
        &corpus,
        &fp,
        spec,
        run.tokens_dir.as_deref(),
    )))
}

/// The temporary files this run may be writing (vectors, model card, vocabulary, checkpoint).
fn temp_files(job: &Job, card: &std::path::Path, tokens: Option<&std::path::Path>) -> Vec<PathBuf> {
    [job.output.as_path(), card, job.checkpoint.as_path()]
        .into_iter()
        .chain(job.save_vocab.as_deref())
        .chain(job.vec_output.as_deref())
        .chain(tokens)
        .filter_map(AtomicFile::temp_path_for)
        .collect()
}

/// Where and when the run checkpoints: every epoch and `--checkpoint-every` when asked, and
/// on an interrupt in any case; the job goes with it, so `--resume` needs nothing else.
fn checkpoint_plan(job: &Job) -> anyhow::Result<w2v::CheckpointPlan> {
    Ok(w2v::CheckpointPlan {
        path: job.checkpoint.clone(),
        every: job
            .checkpoint_asked
            .then(|| Duration::from_secs_f64(job.checkpoint_every_secs)),
        at_epoch_end: job.checkpoint_asked,
        job: serde_json::to_value(job)?,
    })
}
