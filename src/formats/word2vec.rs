//! word2vec's binary and text formats.
//!
//! - **binary**: `"V D\n"`, then per word: the word's bytes, a space, `D` little-endian `f32`,
//!   and `"\n"` (word2vec.c's `-binary 1`).
//! - **text**: `"V D\n"`, then per word: the word and `D` numbers separated by single spaces.
//!   Numbers are written in the shortest form that reads back to the same `f32`.
//!
//! Both are read by gensim's `KeyedVectors.load_word2vec_format` unchanged. Words are bytes:
//! invalid UTF-8 is written and read back as is.

use std::fs::File;
use std::io::{self as stdio, BufRead, BufReader, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::formats::atomic::AtomicFile;
use crate::query::embeddings::Embeddings;

/// A word2vec file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Binary floats (`-binary 1`).
    Bin,
    /// Text (`-binary 0`).
    Text,
}

impl Format {
    /// Binary for a `.bin` extension, text otherwise; a final `.gz` is looked through
    /// (`vectors.bin.gz` is binary).
    pub fn from_path(path: &Path) -> Format {
        let path = if is_gzip_path(path) {
            path.with_extension("")
        } else {
            path.to_path_buf()
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("bin") => Format::Bin,
            _ => Format::Text,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Bin => "binary",
            Format::Text => "text",
        }
    }
}

/// Whether a file name asks for gzip compression: it ends in `.gz`.
pub fn is_gzip_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Writes `emb` to `path` atomically, gzip-compressed when the name ends in `.gz`.
pub fn write_word2vec(path: &Path, emb: &Embeddings, format: Format) -> Result<()> {
    AtomicFile::create(path)?.commit(|w| write_for(path, w, emb, format))
}

/// Writes `emb` in `format` to `w`, the file that will be named `path`: gzip-compressed when
/// the name ends in `.gz` (which gensim and w2v read back), plain otherwise.
pub fn write_for(
    path: &Path,
    w: &mut impl Write,
    emb: &Embeddings,
    format: Format,
) -> stdio::Result<()> {
    if is_gzip_path(path) {
        let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::default());
        write_to(&mut gz, emb, format)?;
        gz.finish()?.flush()
    } else {
        write_to(w, emb, format)
    }
}

/// Writes `emb` in `format` to any writer.
pub fn write_to(w: &mut impl Write, emb: &Embeddings, format: Format) -> stdio::Result<()> {
    writeln!(w, "{} {}", emb.len(), emb.dim())?;
    let mut num = String::with_capacity(32);
    for (i, word) in emb.words().iter().enumerate() {
        w.write_all(word)?;
        match format {
            Format::Bin => {
                w.write_all(b" ")?;
                for x in emb.row(i) {
                    w.write_all(&x.to_le_bytes())?;
                }
            }
            Format::Text => {
                for x in emb.row(i) {
                    use std::fmt::Write as _;
                    num.clear();
                    let _ = write!(num, " {x}");
                    w.write_all(num.as_bytes())?;
                }
            }
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Floats a binary row grows by per read (256 KiB).
const ROW_CHUNK: usize = 1 << 16;

/// Reads a word2vec file, or only its first `limit` vectors. A gzip-compressed file (found by
/// its magic bytes) is decompressed as it is read.
pub fn read_word2vec(path: &Path, format: Format, limit: Option<usize>) -> Result<Embeddings> {
    let err = |e| Error::io("cannot read vectors from", path, e);
    let f = File::open(path).map_err(err)?;
    let len = f.metadata().map(|m| m.len()).ok();
    let mut r = BufReader::with_capacity(1 << 20, f);
    if r.fill_buf().map_err(err)?.starts_with(&[0x1f, 0x8b]) {
        let gz = BufReader::with_capacity(1 << 20, flate2::bufread::MultiGzDecoder::new(r));
        return read_from(gz, format, path, None, limit);
    }
    read_from(r, format, path, len, limit)
}

/// Reads word2vec data from any reader (`file_len`, when known, bounds the declared size),
/// or only its first `limit` vectors. Without a limit, anything but whitespace after the
/// declared number of vectors is an error: the header disagrees with the body.
pub fn read_from(
    r: impl BufRead,
    format: Format,
    path: &Path,
    file_len: Option<u64>,
    limit: Option<usize>,
) -> Result<Embeddings> {
    let mut rd = Reader {
        r,
        ctx: Context { path, format },
    };
    let (declared, d) = rd.header(file_len)?;
    let v = limit.map_or(declared, |l| l.min(declared));
    // With a known length the header check bounds `v × d`; a stream (gzip) has no length, so
    // reserve at most 4 MiB up front and grow with what is actually read.
    let (cap, floats) = match file_len {
        Some(_) => (v, v.saturating_mul(d)),
        None => (v.min(1 << 16), v.saturating_mul(d).min(1 << 20)),
    };
    let mut words: Vec<Box<[u8]>> = Vec::with_capacity(cap);
    let mut data: Vec<f32> = Vec::with_capacity(floats);
    let mut buf = Vec::new();
    for i in 0..v {
        let word = match format {
            Format::Bin => rd.binary_record(i, declared, d, &mut buf, &mut data)?,
            Format::Text => rd.text_record(i, declared, d, &mut buf, &mut data)?,
        };
        words.push(word.into());
    }
    if v == declared {
        rd.expect_end(declared)?;
    }
    Ok(Embeddings::new(words, d, data))
}

/// A word2vec reader over `r`.
struct Reader<'p, R> {
    r: R,
    ctx: Context<'p>,
}

/// What a reader's errors name: the file and its format.
struct Context<'p> {
    path: &'p Path,
    format: Format,
}

impl Context<'_> {
    fn bad(&self, reason: String) -> Error {
        Error::Format {
            path: self.path.to_path_buf(),
            format: self.format.name(),
            reason,
        }
    }

    fn io_err(&self, e: stdio::Error) -> Error {
        Error::io("cannot read vectors from", self.path, e)
    }
}

impl<R: BufRead> Reader<'_, R> {
    /// The header's `words dim`, checked against the file's length when it is known: never
    /// trust the declared size for allocation beyond what the file can hold.
    fn header(&mut self, file_len: Option<u64>) -> Result<(usize, usize)> {
        let mut header = Vec::new();
        self.r
            .by_ref()
            .take(256)
            .read_until(b'\n', &mut header)
            .map_err(|e| self.ctx.io_err(e))?;
        let htext = std::str::from_utf8(&header).unwrap_or("");
        let mut it = htext.split_ascii_whitespace();
        let parsed = match (it.next(), it.next(), it.next()) {
            (Some(v), Some(d), None) if header.ends_with(b"\n") => {
                v.parse::<usize>().ok().zip(d.parse::<usize>().ok())
            }
            _ => None,
        };
        let Some((v, d)) = parsed else {
            return Err(self
                .ctx
                .bad("the first line must be `<words> <dim>`".into()));
        };
        if d == 0 && v > 0 {
            return Err(self.ctx.bad("dimension 0".into()));
        }
        // Saturating: a dimension near u64::MAX must not wrap around to a small record.
        let min_record = match self.ctx.format {
            Format::Bin => (d as u64).saturating_mul(4).saturating_add(2),
            Format::Text => (d as u64).saturating_mul(2).saturating_add(2),
        };
        if let Some(len) = file_len
            && (v as u64).saturating_mul(min_record) > len
        {
            return Err(self.ctx.bad(format!(
                "header declares {v} words of dimension {d}, more than the file's {len} bytes \
                 can hold"
            )));
        }
        Ok((v, d))
    }

    /// Binary record `i` (0-based): the word, returned from `word`, and its `d` floats,
    /// appended to `data`.
    fn binary_record<'w>(
        &mut self,
        i: usize,
        declared: usize,
        d: usize,
        word: &'w mut Vec<u8>,
        data: &mut Vec<f32>,
    ) -> Result<&'w [u8]> {
        word.clear();
        // Skip the newline (and any whitespace) left after the previous vector.
        loop {
            let buf = self.r.fill_buf().map_err(|e| self.ctx.io_err(e))?;
            let Some(&b) = buf.first() else {
                return Err(self
                    .ctx
                    .bad(format!("file ends after {i} of {declared} words")));
            };
            if b == b'\n' || b == b'\r' || b == b'\t' || b == b' ' && word.is_empty() {
                self.r.consume(1);
                continue;
            }
            break;
        }
        self.r
            .read_until(b' ', word)
            .map_err(|e| self.ctx.io_err(e))?;
        if word.last() != Some(&b' ') {
            return Err(self.ctx.bad(format!("file ends inside word {}", i + 1)));
        }
        word.pop();
        if word.len() > 100_000 {
            return Err(self.ctx.bad(format!("word {} is over 100000 bytes", i + 1)));
        }
        // The floats go straight from the reader's buffer into the matrix: no per-float
        // parsing, no intermediate copy. A row grows by at most ROW_CHUNK floats per read, so
        // a header that lies about the dimension costs no more memory than the bytes that are
        // really there.
        let mut left = d;
        while left > 0 {
            let start = data.len();
            let n = left.min(ROW_CHUNK);
            data.resize(start + n, 0.0);
            let chunk = &mut data[start..];
            if let Err(e) = self.r.read_exact(bytemuck::cast_slice_mut(chunk)) {
                return Err(if e.kind() == stdio::ErrorKind::UnexpectedEof {
                    self.ctx
                        .bad(format!("file ends inside the vector of word {}", i + 1))
                } else {
                    self.ctx.io_err(e)
                });
            }
            if cfg!(target_endian = "big") {
                for x in chunk.iter_mut() {
                    *x = f32::from_bits(u32::from_le(x.to_bits()));
                }
            }
            left -= n;
        }
        Ok(word)
    }

    /// Text record `i` (0-based, on line `i + 2`): the word, returned from `line`, and its
    /// `d` numbers, appended to `data`.
    fn text_record<'l>(
        &mut self,
        i: usize,
        declared: usize,
        d: usize,
        line: &'l mut Vec<u8>,
        data: &mut Vec<f32>,
    ) -> Result<&'l [u8]> {
        line.clear();
        let n = self
            .r
            .read_until(b'\n', line)
            .map_err(|e| self.ctx.io_err(e))?;
        if n == 0 {
            return Err(self
                .ctx
                .bad(format!("file ends after {i} of {declared} words")));
        }
        let lineno = i + 2;
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let mut fields = body.split(|&b| b == b' ').filter(|f| !f.is_empty());
        let Some(word) = fields.next() else {
            return Err(self.ctx.bad(format!("line {lineno} is empty")));
        };
        let before = data.len();
        for f in fields {
            let x = std::str::from_utf8(f)
                .ok()
                .and_then(|s| s.parse::<f32>().ok())
                .ok_or_else(|| {
                    self.ctx.bad(format!(
                        "line {lineno}: `{}` is not a number",
                        String::from_utf8_lossy(f)
                    ))
                })?;
            if data.len() - before == d {
                return Err(self
                    .ctx
                    .bad(format!("line {lineno} has more than {d} numbers")));
            }
            data.push(x);
        }
        if data.len() - before != d {
            return Err(self.ctx.bad(format!(
                "line {lineno} has {} numbers, expected {d}",
                data.len() - before
            )));
        }
        Ok(word)
    }

    /// Nothing but whitespace may follow the declared records.
    fn expect_end(&mut self, declared: usize) -> Result<()> {
        loop {
            let buf = self.r.fill_buf().map_err(|e| self.ctx.io_err(e))?;
            if buf.is_empty() {
                return Ok(());
            }
            if buf.iter().any(|b| !b.is_ascii_whitespace()) {
                return Err(self.ctx.bad(format!(
                    "the file goes on after the {declared} words its header declares \
                     (the header disagrees with the body)"
                )));
            }
            let n = buf.len();
            self.r.consume(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn emb(words: &[&[u8]], dim: usize) -> Embeddings {
        let data = (0..words.len() * dim)
            .map(|i| (i as f32 * 0.731).sin() / 3.0)
            .collect();
        Embeddings::new(words.iter().map(|w| (*w).into()).collect(), dim, data)
    }

    fn round_trip(e: &Embeddings, f: Format) -> Embeddings {
        let mut buf = vec![];
        write_to(&mut buf, e, f).unwrap();
        let len = buf.len() as u64;
        read_from(&buf[..], f, Path::new("mem"), Some(len), None).unwrap()
    }

    #[test]
    fn binary_layout_is_word2vec_c() {
        let e = Embeddings::new(vec![b"ab".as_slice().into()], 2, vec![1.0, -2.0]);
        let mut buf = vec![];
        write_to(&mut buf, &e, Format::Bin).unwrap();
        let mut want = b"1 2\nab ".to_vec();
        want.extend_from_slice(&1.0f32.to_le_bytes());
        want.extend_from_slice(&(-2.0f32).to_le_bytes());
        want.push(b'\n');
        assert_eq!(buf, want);
        let mut t = vec![];
        write_to(&mut t, &e, Format::Text).unwrap();
        assert_eq!(t, b"1 2\nab 1 -2\n");
    }

    #[test]
    fn non_ascii_and_invalid_utf8_words_round_trip() {
        let e = emb(
            &[b"caf\xc3\xa9", b"\xff\xfe\x80", "東京".as_bytes(), b"x"],
            7,
        );
        for f in [Format::Bin, Format::Text] {
            assert_eq!(round_trip(&e, f), e, "{f:?}");
        }
    }

    #[test]
    fn a_dimension_near_u64_max_is_an_error_not_an_overflow() {
        // Found by `cargo fuzz run vectors`: `4 * d` wrapped around, the size check passed and
        // allocating `v * d` floats panicked with a capacity overflow.
        for (bytes, f) in [
            (&b"1\r018446744073709551615\n\0 0"[..], Format::Bin),
            (&b"1 18446744073709551615\n\0 0"[..], Format::Text),
            (&b"2 9223372036854775807\na 1\n"[..], Format::Text),
        ] {
            let len = bytes.len() as u64;
            let err = read_from(bytes, f, Path::new("m"), Some(len), None).unwrap_err();
            assert!(
                err.to_string().contains("more than the file"),
                "{f:?}: {err}"
            );
        }
    }

    #[test]
    fn a_stream_whose_header_lies_is_an_error_not_an_allocation() {
        // `w2v similar lie.txt.gz foo` panicked with "capacity overflow": a gzip stream has no
        // length to check the header against, and the reader reserved V × D floats.
        for f in [Format::Bin, Format::Text] {
            for bytes in [
                &b"1 4611686018427387904\nfoo 1 2\n"[..],
                &b"4611686018427387904 4611686018427387904\nfoo 1 2\n"[..],
                &b"3 1000000000\nfoo \x00\x00\x80\x3f\n"[..],
            ] {
                let r = read_from(bytes, f, Path::new("m"), None, None);
                assert!(matches!(r, Err(Error::Format { .. })), "{f:?}: {r:?}");
            }
        }
        // Through the gzip path of read_word2vec.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lie.txt.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"1 4611686018427387904\nfoo 1 2\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        for f in [Format::Bin, Format::Text] {
            let r = read_word2vec(&path, f, None);
            assert!(matches!(r, Err(Error::Format { .. })), "{f:?}");
        }
    }

    #[test]
    fn truncated_and_lying_files_are_errors() {
        let e = emb(&[b"a", b"b"], 3);
        for f in [Format::Bin, Format::Text] {
            let mut buf = vec![];
            write_to(&mut buf, &e, f).unwrap();
            // Drop the last number (text) or the last bytes of the last float (binary).
            let last_field = buf[..buf.len() - 1]
                .iter()
                .rposition(|&b| b == b' ')
                .unwrap();
            let late_cut = if f == Format::Bin {
                buf.len() - 3
            } else {
                last_field
            };
            for cut in [0, 2, 5, late_cut] {
                let r = read_from(&buf[..cut], f, Path::new("m"), None, None);
                assert!(matches!(r, Err(Error::Format { .. })), "{f:?} cut {cut}");
            }
            let mut lying = b"1000000000 3\n".to_vec();
            lying.extend_from_slice(&buf[4..]);
            let len = lying.len() as u64;
            let r = read_from(&lying[..], f, Path::new("m"), Some(len), None);
            assert!(r.unwrap_err().to_string().contains("more than the file"));
        }
        let r = read_from(
            &b"2 2\na 1 2\nb 1 x\n"[..],
            Format::Text,
            Path::new("m"),
            None,
            None,
        );
        assert!(r.unwrap_err().to_string().contains("line 3"));
    }

    #[test]
    fn gzip_files_are_read_and_their_format_found_through_the_suffix() {
        use std::io::Write as _;
        assert_eq!(Format::from_path(Path::new("v.bin.gz")), Format::Bin);
        assert_eq!(Format::from_path(Path::new("v.txt.gz")), Format::Text);
        assert_eq!(Format::from_path(Path::new("v.BIN")), Format::Bin);
        let e = emb(&[b"a", b"b"], 3);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.bin.gz");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        write_to(&mut gz, &e, Format::Bin).unwrap();
        gz.finish().unwrap().flush().unwrap();
        assert_eq!(
            read_word2vec(&path, Format::from_path(&path), None).unwrap(),
            e
        );
    }

    #[test]
    fn a_gz_name_is_written_gzip_compressed_and_reads_back() {
        // `-o vectors.bin.gz` wrote plain binary under a .gz name, which gensim cannot load.
        let e = emb(&[b"a", b"b"], 3);
        let dir = tempfile::tempdir().unwrap();
        for name in ["v.bin.gz", "v.txt.gz", "v.bin", "v.txt"] {
            let path = dir.path().join(name);
            write_word2vec(&path, &e, Format::from_path(&path)).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(
                bytes.starts_with(&[0x1f, 0x8b]),
                name.ends_with(".gz"),
                "{name}"
            );
            assert_eq!(
                read_word2vec(&path, Format::from_path(&path), None).unwrap(),
                e,
                "{name}"
            );
        }
    }

    #[test]
    fn a_limit_reads_the_first_vectors_and_extra_records_are_an_error() {
        let e = emb(&[b"a", b"b", b"c"], 4);
        for f in [Format::Bin, Format::Text] {
            let mut buf = vec![];
            write_to(&mut buf, &e, f).unwrap();
            let two = read_from(&buf[..], f, Path::new("m"), None, Some(2)).unwrap();
            assert_eq!(two.len(), 2);
            assert_eq!(two.row(1), e.row(1));
            let all = read_from(&buf[..], f, Path::new("m"), None, Some(10)).unwrap();
            assert_eq!(all, e);
            // A header that declares fewer words than the body holds.
            let mut under = b"2".to_vec();
            under.extend_from_slice(&buf[1..]);
            let err = read_from(&under[..], f, Path::new("m"), None, None).unwrap_err();
            assert!(err.to_string().contains("header disagrees"), "{f:?}: {err}");
        }
    }

    proptest! {
        #[test]
        fn any_words_and_floats_round_trip(
            words in proptest::collection::btree_set(
                proptest::collection::vec(any::<u8>().prop_filter("no separators", |b| !crate::text::corpus::is_space(*b)), 1..12),
                1..8),
            dim in 1usize..6,
            seed in any::<u32>(),
        ) {
            let words: Vec<Box<[u8]>> = words.into_iter().map(|w| w.into_boxed_slice()).collect();
            let n = words.len();
            let data: Vec<f32> = (0..n * dim).map(|i| f32::from_bits((seed.wrapping_mul(2654435761).wrapping_add(i as u32 * 40503)) & 0x3fff_ffff)).collect();
            let e = Embeddings::new(words, dim, data);
            for f in [Format::Bin, Format::Text] {
                prop_assert_eq!(round_trip(&e, f), e.clone());
            }
        }
    }
}
