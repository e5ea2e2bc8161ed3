//! # w2v — word2vec, done right
//!
//! Skip-gram and CBOW word embeddings trained with negative sampling, multi-threaded without
//! data races, streamed from disk, written in the word2vec formats every other tool reads.
//!
//! ```no_run
//! use w2v::{TrainConfig, ModelKind, Format};
//!
//! let config = TrainConfig { model: ModelKind::SkipGram, dim: 100, ..Default::default() };
//! let out = w2v::train(std::path::Path::new("corpus.txt"), &config, None, &mut |_| {})?;
//! for (word, score) in out.embeddings.most_similar(b"king", 5)? {
//!     println!("{} {score:.3}", String::from_utf8_lossy(word));
//! }
//! out.embeddings.save("vectors.bin", Format::Bin)?;
//! # Ok::<(), w2v::Error>(())
//! ```
//!
//! Asking the space questions, with numbers identical to gensim's:
//!
//! ```no_run
//! use w2v::{AnalogyMethod, AnalogyOptions, Embeddings, SimilarityOptions};
//!
//! let emb = Embeddings::load("vectors.bin", None)?;
//! let neighbours = emb.most_similar_to(&[b"paris", b"italy"], &[b"france"], 10)?;
//! let answers = emb.analogy(b"man", b"king", b"woman", 5, AnalogyMethod::CosAdd)?;
//! let report = emb.evaluate_analogies("questions-words.txt", &AnalogyOptions::default())?;
//! println!("{:.2}% of {} answered", 100.0 * report.accuracy(), report.answered());
//! let ws = emb.evaluate_similarity("wordsim353.tsv", &SimilarityOptions::default())?;
//! println!("Spearman {:.4}", ws.spearman);
//! # Ok::<(), w2v::Error>(())
//! ```
#![deny(missing_docs, unsafe_code)]

// The public API: settings, training, the vectors and their queries, the file formats, errors.
pub mod config;
pub mod error;
pub mod formats;
pub mod query;
pub mod viz;

// Internals, public only for the benches, the fuzz targets and the binary's progress text.
#[doc(hidden)]
pub mod objective;
#[doc(hidden)]
pub mod rng;
#[doc(hidden)]
pub mod text;
#[doc(hidden)]
pub mod train;

pub use config::{
    Loss, ModelKind, OutputInit, Preset, RareCut, RunConfig, TrainConfig, VectorsFrom,
};
pub use error::{Error, Result};
pub use formats::checkpoint::{Checkpoint, CheckpointPlan};
pub use formats::word2vec::Format;
pub use query::embeddings::{AnalogyMethod, Embeddings, LoadOptions};
pub use query::eval::{AnalogyOptions, AnalogyReport, SimilarityOptions, SimilarityReport};
pub use text::vocab::Vocab;
pub use train::{Cluster, Progress, TrainOptions, TrainOutput, TrainStats, train, train_with};
