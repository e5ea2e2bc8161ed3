//! The model card: `VECTORS.json`, written beside the vectors by `w2v train` (every setting,
//! what each resolved to, losses, counts, speed). Queries read one thing back from it: the
//! tokenizer the words were cut with, so that they cut their own words the same way.

use std::path::{Path, PathBuf};

use crate::config::{RunConfig, TrainConfig};
use crate::error::{Error, Result};
use crate::formats::word2vec::Format;
use crate::text::tokenize::TokenizerSpec;
use crate::train::TrainOutput;

/// Where a model card's vectors came from and went to.
pub struct CardSource<'a> {
    /// The corpus as given (`None`: sentences given in memory, e.g. from Python).
    pub corpus: Option<&'a Path>,
    /// The vectors file (`None`: not written yet).
    pub vectors: Option<&'a Path>,
    /// The vectors' file format.
    pub format: Format,
}

/// The model card of a finished run: how the vectors were trained (every setting and what it
/// resolved to, per-epoch losses, counts, speed). Written beside the vectors by `w2v train`
/// and given to Python as `stats`.
pub fn model_card(
    source: &CardSource,
    config: &TrainConfig,
    run: &RunConfig,
    trained: &TrainOutput,
) -> serde_json::Value {
    let s = &trained.stats;
    let path = |p: Option<&Path>| p.map(|p| p.display().to_string());
    serde_json::json!({
        "w2v_version": env!("CARGO_PKG_VERSION"),
        "corpus": path(source.corpus),
        "vectors": path(source.vectors),
        "format": source.format,
        "words": trained.embeddings.len(),
        "dim": trained.embeddings.dim(),
        "config": config,
        "run": run,
        "resolved": {
            "lr": config.effective_lr(),
            "lr_hold": config.effective_lr_hold(),
            "rare_pair_threshold": config.effective_rare_pair_threshold(),
            "rare_centre_count": config.rare_centre_below(trained.vocab.total()),
            "rare_centre_radius": config.effective_rare_centre_radius(),
            "threads": run.effective_threads(),
            "output_init": config.effective_output_init(),
            "shared_negatives": config.effective_shared_negatives(),
            "sentence_tokens": config.effective_sentence_tokens(),
            "tokenizer": config.tokenizer_spec(),
            "mpi_ranks": s.mpi_ranks,
            "sync_every": (s.mpi_ranks > 1).then(|| run.effective_sync_every()),
        },
        "epoch_losses": s.epoch_losses,
        "tokens_read": s.tokens_read,
        "oov": s.oov,
        "subsampled": s.subsampled,
        "train_seconds": s.train_seconds,
        "words_per_sec": s.words_per_sec,
    })
}

/// The model card's path for the vectors at `vectors` (`VECTORS.json`).
pub fn card_path(vectors: &Path) -> PathBuf {
    let mut p = vectors.as_os_str().to_owned();
    p.push(".json");
    PathBuf::from(p)
}

/// The tokenizer recorded in the model card beside `vectors`: `None` when there is no card,
/// or it predates tokenizers (whitespace then, as everything before them).
pub fn card_tokenizer(vectors: &Path) -> Result<Option<TokenizerSpec>> {
    let path = card_path(vectors);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read the model card", &path, e)),
    };
    let bad = |reason: String| Error::Format {
        path: path.clone(),
        format: "model card",
        reason,
    };
    let card: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    match card.pointer("/resolved/tokenizer") {
        Some(t) => serde_json::from_value(t.clone())
            .map(Some)
            .map_err(|e| bad(format!("resolved.tokenizer: {e}"))),
        None => Ok(Some(TokenizerSpec::default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::TokenizerKind;

    #[test]
    fn reads_the_tokenizer_or_says_there_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let v = dir.path().join("v.bin");
        assert_eq!(card_tokenizer(&v).unwrap(), None);
        std::fs::write(
            card_path(&v),
            r#"{"resolved": {"tokenizer": {"kind": "unicode", "lowercase": true, "chinese": "jieba"}}}"#,
        )
        .unwrap();
        let t = card_tokenizer(&v).unwrap().unwrap();
        assert_eq!((t.kind, t.lowercase), (TokenizerKind::Unicode, true));
        std::fs::write(card_path(&v), r#"{"resolved": {}}"#).unwrap();
        assert_eq!(card_tokenizer(&v).unwrap(), Some(TokenizerSpec::default()));
        std::fs::write(card_path(&v), "{").unwrap();
        assert!(card_tokenizer(&v).is_err());
    }
}
