//! From corpus bytes to word ids: the tokenizers, the streaming corpus reader (byte ranges per
//! thread, gzip), the tokenised copy that raw text trains from, and the vocabulary.

pub mod corpus;
pub mod spool;
pub mod subword;
pub mod tokenize;
pub mod vocab;
