//! Streaming corpus reader.
//!
//! Tokens are runs of bytes separated by ASCII whitespace (space, tab, newline, carriage return,
//! vertical tab, form feed); a newline ends a sentence. Words are raw bytes, so invalid UTF-8
//! passes through unchanged. Nothing is held in memory beyond a 256 KiB buffer and the current
//! sentence.
//!
//! # Sharding
//! Each training thread reads its own part of the corpus in every epoch ([`Shard`]):
//! - **Plain files** are cut into `threads` contiguous byte ranges. A thread seeks to its start;
//!   a token belongs to the range in which its first byte lies, so a token cut by a boundary is
//!   read whole by the range it starts in and skipped by the next.
//! - **Gzip files** cannot be entered in the middle, so every thread decompresses the whole
//!   stream, but trains only on the 1 MiB blocks (of decompressed bytes) assigned to it
//!   round-robin (`block % threads == thread`), skipping the others without tokenising them.
//!   Decompression is repeated per thread (`gzip -dc` needs 0.65 s per 100 MB; a CBOW epoch
//!   over 100 MB at 2 threads measured the same from `.gz` as from plain text within noise);
//!   memory stays flat.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Tokens longer than this many bytes are skipped (and counted in [`ReadStats::long_tokens`]).
pub const MAX_TOKEN_BYTES: usize = 1000;

/// Size of the round-robin blocks of a gzip corpus, in decompressed bytes.
pub const GZ_BLOCK_BYTES: u64 = 1 << 20;

const BUF_BYTES: usize = 256 * 1024;

/// Is `b` a token separator?
#[inline]
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// FNV-1a (64-bit)'s starting state.
pub(crate) const FNV1A_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64-bit) of `bytes`, continued from `hash` ([`FNV1A_START`] for a new hash).
pub(crate) fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// A corpus file's identity beyond its size (see [`Corpus::fingerprint`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// Modification time, nanoseconds since the Unix epoch (absent where the system has none).
    pub modified_ns: Option<u64>,
    /// FNV-1a 64 of the first MiB and the last MiB (the part after the first) of the file.
    pub head_tail_fnv: u64,
}

/// A corpus file on disk, plain or gzip-compressed (detected by its magic bytes).
#[derive(Clone, Debug)]
pub struct Corpus {
    path: PathBuf,
    gzip: bool,
    len: u64,
}

impl Corpus {
    /// Opens `path` to check that it is readable and to learn its size and compression.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let err = |e| Error::io("cannot read corpus", &path, e);
        let mut f = File::open(&path).map_err(err)?;
        let meta = f.metadata().map_err(err)?;
        if meta.is_dir() {
            return Err(err(io::Error::other("is a directory")));
        }
        let mut magic = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            match f.read(&mut magic[got..]).map_err(err)? {
                0 => break,
                n => got += n,
            }
        }
        let corpus = Corpus {
            gzip: got == 2 && magic == [0x1f, 0x8b],
            len: meta.len(),
            path,
        };
        // UTF-16 text read as bytes would train on garbage: refuse it by its byte-order mark.
        let mut start = Vec::with_capacity(2);
        let err = |e| Error::io("cannot read corpus", &corpus.path, e);
        corpus
            .bytes()?
            .take(2)
            .read_to_end(&mut start)
            .map_err(err)?;
        crate::text::spool::check_encoding(&start).map_err(err)?;
        Ok(corpus)
    }

    /// What identifies this corpus file beyond its size: its modification time and a hash of
    /// its first and last MiB (a resumed run refuses a corpus whose fingerprint changed).
    pub fn fingerprint(&self) -> Result<Fingerprint> {
        use std::io::{Seek, SeekFrom};
        const SPAN: u64 = 1 << 20;
        let err = |e| Error::io("cannot read corpus", &self.path, e);
        let mut f = File::open(&self.path).map_err(err)?;
        let meta = f.metadata().map_err(err)?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64);
        let mut hash = FNV1A_START;
        let mut buf = Vec::new();
        let len = meta.len();
        for start in [0, len.saturating_sub(SPAN).max(SPAN.min(len))] {
            f.seek(SeekFrom::Start(start)).map_err(err)?;
            buf.clear();
            (&mut f).take(SPAN).read_to_end(&mut buf).map_err(err)?;
            hash = fnv1a(hash, &buf);
        }
        Ok(Fingerprint {
            modified_ns,
            head_tail_fnv: hash,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes (compressed size for gzip).
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Whether the file is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The corpus's bytes (decompressed for gzip), from the start.
    pub fn bytes(&self) -> Result<Box<dyn Read + Send>> {
        let f =
            File::open(&self.path).map_err(|e| Error::io("cannot read corpus", &self.path, e))?;
        Ok(if self.gzip {
            Box::new(MultiGzDecoder::new(BufReader::with_capacity(BUF_BYTES, f)))
        } else {
            Box::new(f)
        })
    }

    fn reader(&self) -> Result<Tokenizer> {
        let f =
            File::open(&self.path).map_err(|e| Error::io("cannot read corpus", &self.path, e))?;
        let input = if self.gzip {
            Input::Gz(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                BUF_BYTES, f,
            ))))
        } else {
            Input::Plain(f)
        };
        Ok(Tokenizer {
            input,
            buf: vec![0; BUF_BYTES].into_boxed_slice(),
            pos: 0,
            len: 0,
            buf_offset: 0,
            eof: false,
        })
    }

    /// A reader over the whole corpus.
    pub fn whole(&self) -> Result<Shard> {
        self.shard(0, 1)
    }

    /// Thread `index` of `count`'s shard, continued from `pos` (from [`Shard::position`] on a
    /// shard of the same corpus, index and count).
    pub fn shard_at(&self, index: usize, count: usize, pos: &ShardPos) -> Result<Shard> {
        let mut s = self.shard(index, count)?;
        if pos.ranges_done {
            s.ranges = Ranges::One(None);
        } else if let Ranges::RoundRobin { next_block, .. } = &mut s.ranges {
            *next_block = pos.next_block;
        }
        s.range_end = pos.range_end;
        s.in_range = pos.in_range;
        s.pending_token = pos.pending_token;
        s.stats = pos.stats;
        s.tok.advance_to(pos.offset).map_err(|e| s.io_err(e))?;
        Ok(s)
    }

    /// The part of the corpus that thread `index` of `count` trains on (see the module docs).
    pub fn shard(&self, index: usize, count: usize) -> Result<Shard> {
        assert!(index < count, "shard index out of range");
        let ranges = if self.gzip {
            Ranges::RoundRobin {
                next_block: index as u64,
                step: count as u64,
            }
        } else {
            let (i, n) = (index as u128, count as u128);
            let start = (self.len as u128 * i / n) as u64;
            let end = (self.len as u128 * (i + 1) / n) as u64;
            Ranges::One(Some((start, end)))
        };
        Ok(Shard {
            tok: self.reader()?,
            path: self.path.clone(),
            ranges,
            range_end: 0,
            in_range: false,
            pending_token: false,
            word: Vec::with_capacity(64),
            stats: ReadStats::default(),
        })
    }
}

enum Input {
    Plain(File),
    Gz(Box<MultiGzDecoder<BufReader<File>>>),
}

/// Buffered byte source that knows the absolute offset of every byte.
struct Tokenizer {
    input: Input,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// Absolute offset of `buf[0]`.
    buf_offset: u64,
    eof: bool,
}

impl Tokenizer {
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf_offset += self.len as u64;
        self.pos = 0;
        self.len = 0;
        let n = loop {
            let r = match &mut self.input {
                Input::Plain(f) => f.read(&mut self.buf),
                Input::Gz(g) => g.read(&mut self.buf),
            };
            match r {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.len = n;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    #[inline]
    fn offset(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    /// Moves so that the next byte read is at absolute offset `target` (never backwards).
    fn advance_to(&mut self, target: u64) -> io::Result<()> {
        loop {
            let buf_end = self.buf_offset + self.len as u64;
            if target < buf_end {
                self.pos = (target - self.buf_offset) as usize;
                return Ok(());
            }
            if self.eof {
                self.pos = self.len;
                return Ok(());
            }
            if let Input::Plain(f) = &mut self.input {
                f.seek(SeekFrom::Start(target))?;
                self.buf_offset = target;
                self.len = 0;
                self.pos = 0;
                self.fill_at_current()?;
                return Ok(());
            }
            self.fill()?;
        }
    }

    /// Refill without advancing `buf_offset` (used right after a seek).
    fn fill_at_current(&mut self) -> io::Result<()> {
        let saved = self.buf_offset;
        self.len = 0;
        self.buf_offset = saved;
        self.fill()?;
        self.buf_offset = saved;
        Ok(())
    }

    #[inline]
    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.len && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }
}

/// The byte ranges a shard owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ranges {
    One(Option<(u64, u64)>),
    RoundRobin { next_block: u64, step: u64 },
}

impl Ranges {
    fn next(&mut self) -> Option<(u64, u64)> {
        match self {
            Ranges::One(r) => r.take(),
            Ranges::RoundRobin { next_block, step } => {
                let b = *next_block;
                *next_block += *step;
                Some((b * GZ_BLOCK_BYTES, (b + 1) * GZ_BLOCK_BYTES))
            }
        }
    }
}

/// Counts kept while reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadStats {
    /// Tokens read (including those skipped as too long or out of vocabulary).
    pub tokens: u64,
    /// Tokens longer than [`MAX_TOKEN_BYTES`], skipped.
    pub long_tokens: u64,
    /// Tokens not in the vocabulary (only counted by [`Shard::next_sentence`]).
    pub oov: u64,
}

/// What [`Shard::next_token`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// A word; its bytes are in [`Shard::word`].
    Word,
    /// A sentence boundary: a newline, or the end of one of the shard's byte ranges.
    EndOfSentence,
    /// The shard is exhausted.
    End,
}

/// Where a [`Shard`] stands between two reads, as saved in a checkpoint: a shard reopened
/// with [`Corpus::shard_at`] at this position reads exactly what this one would read next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardPos {
    /// Absolute offset (in decompressed bytes) of the next byte to read.
    pub offset: u64,
    /// No range is left to enter (a plain file's one range was entered, or the end of the
    /// file was reached).
    pub ranges_done: bool,
    /// Gzip files: the next round-robin block to enter.
    pub next_block: u64,
    /// End of the current range.
    pub range_end: u64,
    /// Whether the reader is inside a range.
    pub in_range: bool,
    /// A sentence end is owed before the next range.
    pub pending_token: bool,
    /// Counters so far.
    pub stats: ReadStats,
}

/// A streaming reader over the tokens of one shard of a corpus.
pub struct Shard {
    tok: Tokenizer,
    path: PathBuf,
    ranges: Ranges,
    range_end: u64,
    in_range: bool,
    /// The current range ended while a sentence was open: report it before moving on.
    pending_token: bool,
    word: Vec<u8>,
    stats: ReadStats,
}

impl Shard {
    /// The bytes of the last [`Token::Word`].
    pub fn word(&self) -> &[u8] {
        &self.word
    }

    /// Counters so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Where the shard stands now (see [`ShardPos`]).
    pub fn position(&self) -> ShardPos {
        let (ranges_done, next_block) = match self.ranges {
            Ranges::One(r) => (r.is_none(), 0),
            Ranges::RoundRobin { next_block, .. } => (false, next_block),
        };
        ShardPos {
            offset: self.tok.offset(),
            ranges_done,
            next_block,
            range_end: self.range_end,
            in_range: self.in_range,
            pending_token: self.pending_token,
            stats: self.stats,
        }
    }

    fn io_err(&self, e: io::Error) -> Error {
        Error::io("cannot read corpus", &self.path, e)
    }

    /// Enter the next owned range: position at its start and skip a token cut by the boundary.
    fn enter_range(&mut self) -> io::Result<bool> {
        let Some((start, end)) = self.ranges.next() else {
            return Ok(false);
        };
        if start > 0 {
            self.tok.advance_to(start - 1)?;
            let prev = self.tok.peek()?;
            if self.tok.offset() != start - 1 || prev.is_none() {
                return Ok(false); // the file ends before this range
            }
            self.tok.pos += 1;
            if !is_space(prev.unwrap_or(b' ')) {
                // Mid-token: it belongs to the previous range.
                while let Some(b) = self.tok.peek()? {
                    if is_space(b) {
                        break;
                    }
                    self.tok.pos += 1;
                }
            }
        }
        self.range_end = end;
        self.in_range = true;
        Ok(true)
    }

    /// Reads the next token or sentence boundary.
    pub fn next_token(&mut self) -> Result<Token> {
        self.next_token_io().map_err(|e| self.io_err(e))
    }

    fn next_token_io(&mut self) -> io::Result<Token> {
        loop {
            if !self.in_range {
                if self.pending_token {
                    self.pending_token = false;
                    return Ok(Token::EndOfSentence);
                }
                if !self.enter_range()? {
                    return Ok(Token::End);
                }
            }
            // Skip separators, reporting a newline as a sentence end.
            let b = loop {
                match self.tok.peek()? {
                    None => {
                        self.in_range = false;
                        self.ranges = Ranges::One(None);
                        break None;
                    }
                    Some(b'\n') => {
                        self.tok.pos += 1;
                        if self.tok.offset() > self.range_end {
                            self.in_range = false;
                            break None;
                        }
                        return Ok(Token::EndOfSentence);
                    }
                    Some(b) if is_space(b) => self.tok.pos += 1,
                    Some(b) => break Some(b),
                }
            };
            if b.is_none() {
                self.pending_token = true;
                continue;
            }
            if self.tok.offset() >= self.range_end {
                self.in_range = false;
                self.pending_token = true;
                continue;
            }
            // Read the token.
            self.word.clear();
            let mut long = false;
            loop {
                let chunk = &self.tok.buf[self.tok.pos..self.tok.len];
                let n = chunk
                    .iter()
                    .position(|&b| is_space(b))
                    .unwrap_or(chunk.len());
                if !long {
                    if self.word.len() + n > MAX_TOKEN_BYTES {
                        long = true;
                        self.word.clear();
                    } else {
                        self.word.extend_from_slice(&chunk[..n]);
                    }
                }
                self.tok.pos += n;
                if self.tok.pos < self.tok.len || !self.tok.fill()? {
                    break;
                }
            }
            self.stats.tokens += 1;
            if long {
                self.stats.long_tokens += 1;
                continue;
            }
            return Ok(Token::Word);
        }
    }

    /// Reads the next sentence as vocabulary ids (`lookup` returns `None` for unknown words,
    /// which are dropped), cut at `max_len` ids. Returns `false` when the shard is exhausted
    /// and `out` is empty.
    pub fn next_sentence(
        &mut self,
        mut lookup: impl FnMut(&[u8]) -> Option<u32>,
        max_len: usize,
        out: &mut Vec<u32>,
    ) -> Result<bool> {
        out.clear();
        loop {
            match self.next_token()? {
                Token::Word => {
                    if let Some(id) = lookup(&self.word) {
                        out.push(id);
                        if out.len() >= max_len {
                            return Ok(true);
                        }
                    } else {
                        self.stats.oov += 1;
                    }
                }
                Token::EndOfSentence => {
                    if !out.is_empty() {
                        return Ok(true);
                    }
                }
                Token::End => return Ok(!out.is_empty()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tokens_of(c: &Corpus, index: usize, count: usize) -> Vec<String> {
        let mut s = c.shard(index, count).unwrap();
        let mut out = vec![];
        loop {
            match s.next_token().unwrap() {
                Token::Word => out.push(String::from_utf8_lossy(s.word()).into_owned()),
                Token::EndOfSentence => out.push("|".into()),
                Token::End => return out,
            }
        }
    }

    fn words(v: &[String]) -> Vec<String> {
        v.iter().filter(|t| *t != "|").cloned().collect()
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> Corpus {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        Corpus::open(p).unwrap()
    }

    #[test]
    fn splits_on_ascii_whitespace_and_newlines() {
        let d = tempfile::tempdir().unwrap();
        let c = write(&d, "a.txt", b"  the cat\tsat\r\non\x0bthe\x0cmat\n\nend");
        assert_eq!(
            tokens_of(&c, 0, 1),
            [
                "the", "cat", "sat", "|", "on", "the", "mat", "|", "|", "end", "|"
            ]
        );
    }

    #[test]
    fn shards_partition_the_tokens_exactly() {
        let d = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("w{} ", i % 97));
            if i % 13 == 0 {
                text.push('\n');
            }
        }
        let c = write(&d, "b.txt", text.as_bytes());
        let all = words(&tokens_of(&c, 0, 1));
        assert_eq!(all.len(), 5000);
        for n in [2, 3, 7, 64] {
            let mut joined = vec![];
            for i in 0..n {
                joined.extend(words(&tokens_of(&c, i, n)));
            }
            assert_eq!(joined, all, "{n} shards");
        }
    }

    #[test]
    fn gzip_shards_partition_the_tokens_exactly() {
        let d = tempfile::tempdir().unwrap();
        let mut text = Vec::new();
        for i in 0..600_000u32 {
            write!(text, "tok{} ", i % 1013).unwrap();
        }
        let p = d.path().join("c.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&text).unwrap();
        std::fs::write(&p, enc.finish().unwrap()).unwrap();
        let c = Corpus::open(&p).unwrap();
        assert!(c.is_gzip());
        let all = words(&tokens_of(&c, 0, 1));
        assert_eq!(all.len(), 600_000);
        let mut per: Vec<Vec<String>> = (0..3).map(|i| words(&tokens_of(&c, i, 3))).collect();
        assert!(per.iter().all(|p| !p.is_empty()));
        let mut joined: Vec<String> = per.iter_mut().flat_map(std::mem::take).collect();
        let mut sorted_all = all.clone();
        joined.sort();
        sorted_all.sort();
        assert_eq!(joined, sorted_all);
    }

    #[test]
    fn long_sentences_are_cut_into_pieces_without_loss() {
        let d = tempfile::tempdir().unwrap();
        let text: String = (0..25_005).map(|i| format!("{} ", i % 3)).collect();
        let c = write(&d, "long.txt", text.as_bytes());
        let mut s = c.whole().unwrap();
        let mut out = vec![];
        let mut lens = vec![];
        let mut ids = vec![];
        while s
            .next_sentence(|w| Some(w[0] as u32 - b'0' as u32), 10_000, &mut out)
            .unwrap()
        {
            lens.push(out.len());
            ids.extend_from_slice(&out);
        }
        assert_eq!(lens, [10_000, 10_000, 5_005]);
        assert!(ids.iter().enumerate().all(|(i, &x)| x == (i % 3) as u32));
    }

    #[test]
    fn overlong_tokens_are_skipped_and_counted() {
        let d = tempfile::tempdir().unwrap();
        let mut text = b"a ".to_vec();
        text.extend(std::iter::repeat_n(b'x', 300_000));
        text.extend_from_slice(b" b");
        let c = write(&d, "x.txt", &text);
        let mut s = c.whole().unwrap();
        assert_eq!(s.next_token().unwrap(), Token::Word);
        assert_eq!(s.next_token().unwrap(), Token::Word);
        assert_eq!(s.word(), b"b");
        assert_eq!(s.stats().long_tokens, 1);
        assert_eq!(s.stats().tokens, 3);
    }

    #[test]
    fn invalid_utf8_is_kept_as_bytes() {
        let d = tempfile::tempdir().unwrap();
        let c = write(&d, "u.txt", b"caf\xe9 \xff\xfe ok");
        let mut s = c.whole().unwrap();
        s.next_token().unwrap();
        assert_eq!(s.word(), b"caf\xe9");
        s.next_token().unwrap();
        assert_eq!(s.word(), b"\xff\xfe");
    }

    #[test]
    fn a_shard_reopened_at_its_position_reads_on_exactly() {
        let d = tempfile::tempdir().unwrap();
        let mut text = Vec::new();
        for i in 0..3000 {
            write!(text, "w{} ", i % 97).unwrap();
            if i % 13 == 0 {
                text.push(b'\n');
            }
        }
        let plain = write(&d, "p.txt", &text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let gz = write(&d, "p.txt.gz", &gz.finish().unwrap());
        for c in [&plain, &gz] {
            for (index, count) in [(0, 1), (0, 2), (1, 2), (2, 3)] {
                let whole = tokens_of(c, index, count);
                for stop in [0, 1, 7, 200, whole.len() / 2, whole.len()] {
                    let mut s = c.shard(index, count).unwrap();
                    let mut got = vec![];
                    let read = |s: &mut Shard, got: &mut Vec<String>, n: usize| {
                        for _ in 0..n {
                            match s.next_token().unwrap() {
                                Token::Word => {
                                    got.push(String::from_utf8_lossy(s.word()).into_owned())
                                }
                                Token::EndOfSentence => got.push("|".into()),
                                Token::End => break,
                            }
                        }
                    };
                    read(&mut s, &mut got, stop);
                    let pos = s.position();
                    let mut s = c.shard_at(index, count, &pos).unwrap();
                    read(&mut s, &mut got, usize::MAX);
                    if got != whole {
                        let i = got
                            .iter()
                            .zip(&whole)
                            .position(|(a, b)| a != b)
                            .unwrap_or(0);
                        panic!(
                            "{index}/{count} stop {stop} gz {}: at {i} got {:?} want {:?} (lens {} {})",
                            c.is_gzip(),
                            &got[i.saturating_sub(2)..(i + 3).min(got.len())],
                            &whole[i.saturating_sub(2)..(i + 3).min(whole.len())],
                            got.len(),
                            whole.len()
                        );
                    }
                    assert_eq!(
                        s.stats(),
                        c.shard(index, count)
                            .map(|mut f| {
                                while f.next_token().unwrap() != Token::End {}
                                f.stats()
                            })
                            .unwrap()
                    );
                }
            }
        }
    }
}
