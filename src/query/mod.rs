//! Asking trained vectors questions: the embeddings and their queries (neighbours, analogies),
//! exact search, and the standard evaluations (analogies, word-pair similarity).

pub mod embeddings;
pub mod eval;
pub mod search;
