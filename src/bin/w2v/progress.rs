//! Training progress on the terminal: a bar, or plain lines in a log.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use w2v::Progress;

/// Shows progress: a bar on a terminal, a plain line every 5 s otherwise, nothing with --quiet.
pub struct Reporter {
    quiet: bool,
    bar: Option<ProgressBar>,
    last_line: Instant,
    started: Instant,
}

impl Reporter {
    pub fn new(quiet: bool) -> Self {
        Reporter {
            quiet,
            bar: None,
            last_line: Instant::now(),
            started: Instant::now(),
        }
    }

    pub fn line(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    /// The vocabulary is ready: what counting saw, then the bar (on a terminal).
    fn vocab_ready(
        &mut self,
        words: usize,
        tokens_per_epoch: u64,
        stats: &w2v::text::vocab::VocabStats,
        seconds: f64,
    ) {
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

    pub fn event(&mut self, p: &Progress) {
        if self.quiet {
            return;
        }
        match p {
            Progress::VocabReady {
                words,
                tokens_per_epoch,
                stats,
                seconds,
            } => self.vocab_ready(*words, *tokens_per_epoch, stats, *seconds),
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
            Progress::Tokenizing { corpus } => {
                self.line(&format!("tokenising {} ...", corpus.display()))
            }
            Progress::Tokenized {
                path,
                stats,
                seconds,
            } => match stats {
                None => self.line(&format!("reusing the tokenised copy {}", path.display())),
                Some(s) => {
                    self.line(&format!(
                        "tokenised: {} lines, {} words in {seconds:.1} s ({:.1} MB/s), copy in {}",
                        s.lines,
                        s.tokens,
                        s.bytes as f64 / 1e6 / seconds.max(1e-9),
                        path.display()
                    ));
                    if s.invalid > 0 {
                        self.line(&format!(
                            "warning: {} invalid UTF-8 sequences were replaced (U+FFFD) and                              dropped",
                            s.invalid
                        ));
                    }
                }
            },
            _ => {}
        }
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
