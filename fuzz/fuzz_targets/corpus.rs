//! The corpus tokenizer: any bytes (plain, or gzip when they start with its magic) tokenize
//! without panicking; tokens never hold whitespace or exceed the length limit; the shards of
//! 1, 2 and 3 threads together read exactly the tokens of the whole file; a shard reopened at
//! a saved position reads on exactly as before.
#![no_main]

use libfuzzer_sys::fuzz_target;
use w2v::text::corpus::{Corpus, MAX_TOKEN_BYTES, Shard, Token, is_space};

fn tokens(s: &mut Shard, limit: usize, out: &mut Vec<Vec<u8>>) -> Option<()> {
    for _ in 0..limit {
        match s.next_token().ok()? {
            Token::Word => {
                let w = s.word();
                assert!(!w.is_empty() && w.len() <= MAX_TOKEN_BYTES);
                assert!(!w.iter().any(|&b| is_space(b)));
                out.push(w.to_vec());
            }
            Token::EndOfSentence => {}
            Token::End => return Some(()),
        }
    }
    Some(())
}

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("w2v-fuzz-corpus-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let corpus = Corpus::open(&path).unwrap();
    let mut whole = Vec::new();
    if tokens(&mut corpus.whole().unwrap(), usize::MAX, &mut whole).is_none() {
        return; // a damaged gzip stream: an error, as it should be
    }
    for count in 2..=3 {
        let mut joined = Vec::new();
        for index in 0..count {
            let mut s = corpus.shard(index, count).unwrap();
            tokens(&mut s, usize::MAX, &mut joined).unwrap();
        }
        if !corpus.is_gzip() {
            assert_eq!(joined, whole, "shards of {count} differ from the whole");
        }
    }
    let stop = data.first().map_or(0, |&b| b as usize);
    let mut s = corpus.whole().unwrap();
    let mut resumed = Vec::new();
    tokens(&mut s, stop, &mut resumed).unwrap();
    let mut s = corpus.shard_at(0, 1, &s.position()).unwrap();
    tokens(&mut s, usize::MAX, &mut resumed).unwrap();
    assert_eq!(
        resumed, whole,
        "reopening at a position changed what is read"
    );
});
