//! Trained word vectors and queries over them.

use std::path::Path;

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::io::{self, Format};

/// Word vectors: `len()` words, each with a `dim()`-float vector, most frequent first when
/// produced by the trainer.
#[derive(Clone, Debug, PartialEq)]
pub struct Embeddings {
    words: Vec<Box<[u8]>>,
    index: FxHashMap<Box<[u8]>, u32>,
    dim: usize,
    data: Vec<f32>,
}

impl Embeddings {
    /// Builds embeddings from words and a row-major `words.len() × dim` matrix. A repeated word
    /// keeps its first vector for lookups.
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
        }
    }

    /// Loads a word2vec file; `format` `None` picks binary for `.bin`, text otherwise.
    pub fn load(path: impl AsRef<Path>, format: Option<Format>) -> Result<Self> {
        let path = path.as_ref();
        io::read_word2vec(path, format.unwrap_or_else(|| Format::from_path(path)))
    }

    /// Saves in word2vec format, atomically (temp file + rename).
    pub fn save(&self, path: impl AsRef<Path>, format: Format) -> Result<()> {
        io::write_word2vec(path.as_ref(), self, format)
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

    /// The index of `word`.
    pub fn index_of(&self, word: &[u8]) -> Option<usize> {
        self.index.get(word).map(|&i| i as usize)
    }

    /// The vector of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The vector of `word`.
    pub fn vector(&self, word: &[u8]) -> Option<&[f32]> {
        self.index_of(word).map(|i| self.row(i))
    }

    /// Cosine similarity of two words.
    pub fn similarity(&self, a: &[u8], b: &[u8]) -> Result<f32> {
        let va = self.vector(a).ok_or_else(|| unknown(a))?;
        let vb = self.vector(b).ok_or_else(|| unknown(b))?;
        Ok(cosine(va, vb))
    }

    /// The `k` words closest to `word` by cosine similarity, the word itself excluded.
    pub fn most_similar(&self, word: &[u8], k: usize) -> Result<Vec<(&[u8], f32)>> {
        let q = self.index_of(word).ok_or_else(|| unknown(word))?;
        let qv = self.row(q);
        let qn = norm(qv);
        let mut scored: Vec<(usize, f32)> = (0..self.len())
            .filter(|&i| i != q)
            .map(|i| {
                let v = self.row(i);
                let d = norm(v) * qn;
                let s = if d > 0.0 {
                    crate::kernels::dot(qv, v) / d
                } else {
                    0.0
                };
                (i, s)
            })
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Ok(vec![]);
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(scored
            .into_iter()
            .map(|(i, s)| (&*self.words[i], s))
            .collect())
    }
}

fn unknown(w: &[u8]) -> Error {
    Error::UnknownWord(String::from_utf8_lossy(w).into_owned())
}

fn norm(v: &[f32]) -> f32 {
    crate::kernels::dot(v, v).sqrt()
}

/// Cosine similarity (0 when either vector is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let d = norm(a) * norm(b);
    if d > 0.0 {
        crate::kernels::dot(a, b) / d
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_similar_ranks_by_cosine_and_excludes_the_query() {
        let words: Vec<Box<[u8]>> = ["a", "b", "c", "d"]
            .iter()
            .map(|w| w.as_bytes().into())
            .collect();
        let e = Embeddings::new(words, 2, vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0, -1.0, 0.0]);
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
}
