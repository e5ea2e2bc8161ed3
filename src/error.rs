//! The library's error type: every failure a user can cause, with a message that names it.

use std::path::PathBuf;

/// Everything that can go wrong in w2v. Messages are written for the person running the tool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read corpus", "cannot write vectors to", ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A setting is out of range.
    #[error("invalid setting --{field}: {reason}")]
    InvalidConfig {
        /// The option name, as on the command line.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// The corpus contains no words at all.
    #[error("the corpus {0} contains no words")]
    EmptyCorpus(PathBuf),
    /// No word is frequent enough to enter the vocabulary.
    #[error(
        "no word occurs at least {min_count} times in {path} ({tokens} tokens read); lower --min-count"
    )]
    EmptyVocab {
        /// The corpus.
        path: PathBuf,
        /// The `--min-count` that was asked for.
        min_count: u64,
        /// Tokens read.
        tokens: u64,
    },
    /// A vector file does not follow the word2vec format.
    #[error("{path}: not a valid word2vec {format} file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// "binary" or "text".
        format: &'static str,
        /// What is wrong, with the line or record number where known.
        reason: String,
    },
    /// A line of an evaluation file (analogy questions, word pairs) is malformed.
    #[error("{path}, line {line}: {reason}")]
    EvalFile {
        /// The evaluation file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Drawing a plot failed.
    #[error("cannot draw the plot {path}: {reason}")]
    Plot {
        /// The image being written.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A word asked about is not in the vocabulary.
    #[error("word not in vocabulary: {0}")]
    UnknownWord(String),
    /// A checkpoint cannot be resumed as asked.
    #[error("cannot resume: {0}")]
    Resume(String),
    /// Another MPI rank of a distributed run failed, or disagrees with this one.
    #[error("MPI rank {rank}: {message}")]
    Rank {
        /// The rank concerned.
        rank: usize,
        /// What it reported.
        message: String,
    },
    /// Training was interrupted (e.g. by Ctrl-C).
    #[error("training interrupted{}", resume_hint(.checkpoint.as_deref()))]
    Interrupted {
        /// The checkpoint written on the way out, if one was planned.
        checkpoint: Option<PathBuf>,
    },
    /// The memory for the model's matrices cannot be allocated.
    #[error(
        "cannot allocate {what}: {gib:.1} GiB needed, not available; lower --dim or \
         --max-vocab (or raise --min-count)",
        gib = *.bytes as f64 / (1u64 << 30) as f64
    )]
    OutOfMemory {
        /// What was being allocated.
        what: &'static str,
        /// Bytes asked for.
        bytes: u128,
    },
    /// A subword model's matrices need more memory than the machine has available.
    #[error(
        "--subwords needs {need:.1} GiB for its matrices (--buckets {buckets} n-gram rows of \
         --dim {dim} floats, and the word rows) but {free:.1} GiB of memory is available; \
         lower --buckets (e.g. --buckets {fewer}) or --dim",
        need = *.bytes as f64 / (1u64 << 30) as f64,
        free = *.available as f64 / (1u64 << 30) as f64,
        fewer = (*.buckets / 4).max(1)
    )]
    SubwordMemory {
        /// Bytes the matrices need.
        bytes: u128,
        /// Bytes available.
        available: u64,
        /// The buckets asked for.
        buckets: usize,
        /// The dimension asked for.
        dim: usize,
    },
    /// Training produced a non-finite loss.
    #[error("training diverged in epoch {epoch} (loss is not finite); try a lower --lr")]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
    },
}

fn resume_hint(checkpoint: Option<&std::path::Path>) -> String {
    match checkpoint {
        Some(p) => format!(
            "; its state is saved in {p}: continue with `w2v train --resume {p}`",
            p = p.display()
        ),
        None => String::new(),
    }
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The error with `corpus` named where it names the text that was read (a run on a
    /// tokenised copy reports the corpus the user gave, not the copy).
    pub(crate) fn naming_corpus(self, corpus: &std::path::Path) -> Self {
        match self {
            Error::EmptyCorpus(_) => Error::EmptyCorpus(corpus.to_path_buf()),
            Error::EmptyVocab {
                min_count, tokens, ..
            } => Error::EmptyVocab {
                path: corpus.to_path_buf(),
                min_count,
                tokens,
            },
            e => e,
        }
    }

    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}
