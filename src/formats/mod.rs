//! Files: word2vec's binary and text vectors, training checkpoints, and the atomic writes
//! every file goes through.

pub mod atomic;
pub mod card;
pub mod checkpoint;
pub mod fasttext;
pub mod word2vec;
