//! Checks against the 100 MB shared corpus (reported as ignored when `../shared` is absent:
//! `build.rs` sets `w2v_shared_data` when it finds it).

use std::path::Path;

use w2v::Vocab;
use w2v::text::corpus::Corpus;

fn shared_corpus() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/enwiki_text8style_100M.gz"
    ))
}

/// The counting pass reproduces the corpus statistics published in shared/data/README.md.
#[test]
#[cfg_attr(
    not(w2v_shared_data),
    ignore = "needs ../shared/data/enwiki_text8style_100M.gz beside the project"
)]
fn full_corpus_vocabulary_matches_published_statistics() {
    let path = shared_corpus();
    let corpus = Corpus::open(path).unwrap();
    assert!(corpus.is_gzip());
    let (vocab, stats) = Vocab::build(&corpus, 5, None).unwrap();
    assert_eq!(stats.tokens, 16_941_355);
    assert_eq!(stats.types, 219_531);
    assert_eq!(vocab.len(), 67_861);
    let top: Vec<&[u8]> = (0..8).map(|i| vocab.word(i)).collect();
    assert_eq!(
        top,
        [
            &b"the"[..],
            b"of",
            b"and",
            b"in",
            b"to",
            b"a",
            b"one",
            b"zero"
        ]
    );
}
