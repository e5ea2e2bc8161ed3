//! The `w2v` command line: a thin clap layer over the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use w2v::formats::atomic::AtomicFile;
use w2v::{Format, Progress, TrainConfig};

mod plot;
mod query;

#[derive(Parser)]
#[command(
    name = "w2v",
    version,
    about = "word2vec, done right: train and query word vectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train word vectors on a plain-text (or .gz) corpus.
    Train(Box<TrainArgs>),
    /// Nearest neighbours by cosine similarity; interactive without words.
    Similar(query::SimilarArgs),
    /// Solve "a is to b as c is to ?".
    Analogy(query::AnalogyArgs),
    /// Score vectors on analogy questions and word-pair similarity sets.
    Eval(query::EvalArgs),
    /// Draw a labelled 2-D projection (PCA or t-SNE) of words to SVG or PNG.
    Plot(plot::PlotArgs),
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Corpus: whitespace-separated tokens, one sentence per line; may be gzip-compressed.
    #[arg(required_unless_present = "resume")]
    corpus: Option<PathBuf>,
    /// Where to write the vectors.
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
    #[command(flatten)]
    config: TrainConfig,
}

/// What a run writes where: stored in its checkpoints, so `--resume` needs nothing else.
#[derive(serde::Serialize, serde::Deserialize)]
struct Job {
    corpus: PathBuf,
    output: PathBuf,
    format: Format,
    save_vocab: Option<PathBuf>,
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

/// A parser for a count flag that accepts `min..=max`: a value out of range is one line
/// naming the bounds, not an allocation of whatever was typed.
pub(crate) fn count_in(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let n: usize = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a whole number"))?;
        if n < min || n > max {
            return Err(format!("must be from {min} to {max}"));
        }
        Ok(n)
    }
}

/// Parses the command line. A wrong value is reported as one line (`w2v: error: ...`, exit 2),
/// like every other error; help, version and usage errors keep clap's own output.
/// Also returns the flags given on the command line to `train` (`--resume` allows none).
fn parse_cli() -> (Cli, Vec<String>) {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    match parsed {
        Ok((cli, m)) => {
            let given = m
                .subcommand_matches("train")
                .map_or_else(Vec::new, given_flags);
            (cli, given)
        }
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
            ) =>
        {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid value");
            eprintln!("w2v: error: {}", first.trim_start_matches("error: "));
            std::process::exit(2);
        }
        Err(e) => e.exit(),
    }
}

/// The flags (`--name`, or `CORPUS` for the positional) given on the command line.
fn given_flags(m: &clap::ArgMatches) -> Vec<String> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let train = cmd.find_subcommand("train").expect("train subcommand");
    m.ids()
        .filter(|id| m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine))
        .filter_map(|id| {
            let arg = train.get_arguments().find(|a| a.get_id() == id)?;
            Some(match arg.get_long() {
                Some(l) => format!("--{l}"),
                None => id.as_str().to_uppercase(),
            })
        })
        .collect()
}

/// The exit status of an interrupted run (128 + SIGINT, the shell's convention).
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let (cli, given) = parse_cli();
    let result = match cli.command {
        Command::Train(a) => train(*a, &given),
        Command::Similar(a) => query::similar(a),
        Command::Analogy(a) => query::analogy(a),
        Command::Eval(a) => query::eval(a),
        Command::Plot(a) => plot::plot(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let interrupted = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<w2v::Error>(),
                    Some(w2v::Error::Interrupted { .. })
                )
            });
            // Library errors already name their cause; add only causes not yet in the text.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg = format!("{msg}: {c}");
                }
            }
            eprintln!("w2v: error: {msg}");
            if interrupted {
                ExitCode::from(EXIT_INTERRUPTED)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Installs the Ctrl-C / SIGTERM handling of `train`: the first signal sets the returned flag
/// (the library stops at its next check, within a second, in every phase); a second one
/// removes `temps` (the temporary files this run may be writing) and exits with status 130
/// at once.
fn on_interrupt(temps: Vec<PathBuf>) -> anyhow::Result<&'static std::sync::atomic::AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    // One flag for the process's life: the signal thread holds it until the process ends.
    let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if flag.swap(true, Relaxed) {
                for t in &temps {
                    let _ = std::fs::remove_file(t);
                }
                eprintln!("w2v: stopped at once (second interrupt); nothing saved");
                std::process::exit(EXIT_INTERRUPTED.into());
            }
        }
    });
    Ok(flag)
}

/// Shows progress: a bar on a terminal, a plain line every 5 s otherwise, nothing with --quiet.
struct Reporter {
    quiet: bool,
    bar: Option<ProgressBar>,
    last_line: Instant,
    started: Instant,
}

impl Reporter {
    fn new(quiet: bool) -> Self {
        Reporter {
            quiet,
            bar: None,
            last_line: Instant::now(),
            started: Instant::now(),
        }
    }

    fn line(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    fn event(&mut self, p: &Progress) {
        if self.quiet {
            return;
        }
        match p {
            Progress::VocabReady {
                words,
                tokens_per_epoch,
                stats,
                seconds,
            } => {
                if stats.tokens == 0 {
                    // Supplied with --read-vocab: no counting pass.
                    self.line(&format!(
                        "vocabulary: {words} words from the vocabulary file, {tokens_per_epoch} \
                         training tokens per epoch"
                    ));
                } else {
                    self.line(&format!(
                        "vocabulary: {words} words, {tokens_per_epoch} training tokens per \
                         epoch ({} tokens read, {} word types, {} dropped) in {seconds:.1} s",
                        stats.tokens,
                        stats.types,
                        stats.dropped()
                    ));
                }
                if stats.long_tokens > 0 {
                    self.line(&format!(
                        "warning: skipped {} tokens longer than {} bytes",
                        stats.long_tokens,
                        w2v::text::corpus::MAX_TOKEN_BYTES
                    ));
                }
                self.started = Instant::now();
                if std::io::stderr().is_terminal() {
                    let bar = ProgressBar::new(10_000);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{bar:30.cyan/blue} {percent:>3}% {msg} [{elapsed_precise} < {eta}]",
                        )
                        .expect("valid template"),
                    );
                    bar.enable_steady_tick(Duration::from_millis(200));
                    self.bar = Some(bar);
                }
            }
            Progress::Tick {
                fraction,
                epoch,
                words_per_sec,
                lr,
                recent_loss,
            } => {
                let loss = recent_loss.map_or("-".into(), |l| format!("{l:.4}"));
                // Thousands when fast; exact when slow (a full softmax over a large vocabulary).
                let rate = if *words_per_sec >= 1e4 {
                    format!("{:.0}k", words_per_sec / 1e3)
                } else {
                    format!("{words_per_sec:.0}")
                };
                let msg = format!("epoch {epoch} | {rate} words/s | lr {lr:.6} | loss {loss}");
                if let Some(b) = &self.bar {
                    b.set_position((fraction * 10_000.0) as u64);
                    b.set_message(msg);
                } else if self.last_line.elapsed() >= Duration::from_secs(5) {
                    self.last_line = Instant::now();
                    eprintln!("progress {:5.1}% | {msg}", fraction * 100.0);
                }
            }
            Progress::EpochEnd {
                epoch,
                loss,
                predictions,
                elapsed,
                analogy,
            } => {
                let acc = match analogy {
                    Some(a) if a.is_finite() => format!(", analogy accuracy {:.2}%", 100.0 * a),
                    Some(_) => ", analogy accuracy - (no question answerable)".to_string(),
                    None => String::new(),
                };
                self.line(&format!(
                    "epoch {epoch} done: mean loss {loss:.5} over {predictions} predictions{acc} ({elapsed:.1} s)"
                ))
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// A path made absolute against the working directory: checkpoints store paths that still
/// mean the same files when the run is resumed from another directory.
fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn train(a: TrainArgs, given: &[String]) -> anyhow::Result<()> {
    let t0 = Instant::now();
    if a.resume.is_some() {
        let extra: Vec<&str> = given
            .iter()
            .map(String::as_str)
            .filter(|f| !["--resume", "--quiet", "--stop-after-epoch"].contains(f))
            .collect();
        if !extra.is_empty() {
            anyhow::bail!(
                "--resume takes the corpus, the output and every setting from the checkpoint; \
                 remove {} (or start a new run without --resume)",
                extra.join(", ")
            );
        }
    }
    let (job, config, resume) = match &a.resume {
        Some(path) => {
            let ck = w2v::Checkpoint::load(path)?;
            let mut job: Job = serde_json::from_value(ck.job().clone()).map_err(|e| {
                anyhow::anyhow!(
                    "{}: the checkpoint has no readable job: {e}",
                    path.display()
                )
            })?;
            // Keep checkpointing to the file the run was resumed from.
            job.checkpoint = absolute(path);
            (job, ck.config().clone(), Some(ck))
        }
        None => {
            let (Some(corpus), Some(output)) = (a.corpus.clone(), a.output.clone()) else {
                anyhow::bail!("a corpus and --output are needed (or --resume FILE)");
            };
            let (corpus, output) = (absolute(&corpus), absolute(&output));
            let format = a.format.unwrap_or_else(|| Format::from_path(&output));
            let checkpoint = a.checkpoint.as_deref().map_or_else(
                || {
                    let mut p = output.clone().into_os_string();
                    p.push(".ckpt");
                    PathBuf::from(p)
                },
                absolute,
            );
            let job = Job {
                corpus,
                output,
                format,
                save_vocab: a.save_vocab.as_deref().map(absolute),
                checkpoint,
                checkpoint_asked: a.checkpoint.is_some(),
                checkpoint_every_secs: a.checkpoint_every.as_secs_f64(),
            };
            (job, a.config.clone(), None)
        }
    };
    config.validate()?;
    let format = job.format;
    // Claim the output files first: an unwritable path fails now, not after training.
    let out = AtomicFile::create(&job.output)?;
    // The model card: how these vectors were trained (config, loss, per-epoch losses).
    let mut card_path = job.output.clone().into_os_string();
    card_path.push(".json");
    let card_path = PathBuf::from(card_path);
    let card = AtomicFile::create(&card_path)?;
    let vocab_out = job
        .save_vocab
        .as_deref()
        .map(AtomicFile::create)
        .transpose()?;
    let vocab = a
        .read_vocab
        .as_deref()
        .map(|p| w2v::Vocab::load(p, config.min_count, config.max_vocab))
        .transpose()?;
    // Ctrl-C or SIGTERM: counting stops, or the trainer parks its threads, saves a checkpoint
    // and returns; a second signal removes this run's temporary files and ends the process.
    let temps: Vec<PathBuf> = [Some(&job.output), Some(&card_path), job.save_vocab.as_ref()]
        .into_iter()
        .flatten()
        .chain([&job.checkpoint])
        .filter_map(|p| AtomicFile::temp_path_for(p))
        .collect();
    let interrupt = on_interrupt(temps)?;
    let plan = w2v::CheckpointPlan {
        path: job.checkpoint.clone(),
        every: job
            .checkpoint_asked
            .then(|| Duration::from_secs_f64(job.checkpoint_every_secs)),
        at_epoch_end: job.checkpoint_asked,
        job: serde_json::to_value(&job)?,
    };
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
        vocab,
        checkpoint: Some(plan),
        resume,
        interrupt: Some(interrupt),
    };
    let mut rep = Reporter::new(a.quiet);
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
    let trained = result?;
    out.commit(|w| w2v::formats::word2vec::write_for(&job.output, w, &trained.embeddings, format))?;
    let s = &trained.stats;
    let info = serde_json::json!({
        "w2v_version": env!("CARGO_PKG_VERSION"),
        "corpus": job.corpus.display().to_string(),
        "vectors": job.output.display().to_string(),
        "format": format,
        "words": trained.embeddings.len(),
        "dim": trained.embeddings.dim(),
        "config": config,
        "resolved": {
            "lr": config.effective_lr(),
            "lr_hold": config.effective_lr_hold(),
            "rare_pair_threshold": config.effective_rare_pair_threshold(),
            "rare_centre_threshold": config.effective_rare_centre_threshold(),
            "rare_centre_radius": config.effective_rare_centre_radius(),
            "threads": config.effective_threads(),
            "output_init": config.effective_output_init(),
        },
        "epoch_losses": s.epoch_losses,
        "tokens_read": s.tokens_read,
        "oov": s.oov,
        "subsampled": s.subsampled,
        "train_seconds": s.train_seconds,
        "words_per_sec": s.words_per_sec,
    });
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
    rep.line(&format!(
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
    ));
    Ok(())
}
