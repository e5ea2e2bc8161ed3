//! From corpus bytes to word ids: the streaming corpus reader (byte ranges per thread, gzip)
//! and the vocabulary.

pub mod corpus;
pub mod vocab;
