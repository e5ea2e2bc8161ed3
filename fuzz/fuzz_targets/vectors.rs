//! The word2vec binary and text readers: any bytes give vectors or an error, never a panic or
//! an allocation of a size the input merely declares; whatever loads writes back and reloads
//! to the same vectors. Each input is read twice: as a file (its length known, as for a plain
//! file) and as a stream of unknown length (the path a gzip file takes).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use w2v::Format;
use w2v::formats::word2vec::{read_from, write_to};

fuzz_target!(|data: &[u8]| {
    for (format, len) in [
        (Format::Bin, Some(data.len() as u64)),
        (Format::Text, Some(data.len() as u64)),
        (Format::Bin, None),
        (Format::Text, None),
    ] {
        let path = Path::new("fuzz");
        let Ok(e) = read_from(data, format, path, len, None) else {
            continue;
        };
        assert!(e.len() * e.dim() == e.matrix().len());
        let mut out = Vec::new();
        write_to(&mut out, &e, format).unwrap();
        let back = read_from(&out[..], format, path, Some(out.len() as u64), None).unwrap();
        assert_eq!(back.words(), e.words());
        let same = back
            .matrix()
            .iter()
            .zip(e.matrix())
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        assert!(same, "{format:?} round trip changed a value");
    }
});
