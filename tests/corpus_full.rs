//! Checks against the 100 MB shared corpus (skipped when `../shared` is absent).

use std::path::Path;

use w2v::Vocab;
use w2v::text::corpus::Corpus;

fn shared_corpus() -> Option<&'static Path> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/enwiki_text8style_100M.gz"
    ));
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping: {} not found (the shared data lives beside the project)",
            p.display()
        );
        None
    }
}

/// The counting pass reproduces the corpus statistics published in shared/data/README.md.
#[test]
fn full_corpus_vocabulary_matches_published_statistics() {
    let Some(path) = shared_corpus() else { return };
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
