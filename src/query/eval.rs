//! Standard evaluations of word vectors, computed as gensim computes them so that the numbers
//! agree: analogy questions in the `questions-words.txt` format (gensim's
//! `evaluate_word_analogies`) and word-pair similarity judgements such as WordSim-353
//! (`evaluate_word_pairs`).
//!
//! Analogy questions are answered in batches: the query vectors of a few hundred questions form
//! one matrix, multiplied by the candidate matrix in one `sgemm` call per batch, with the batches
//! spread over all cores.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::objective::kernels;
use crate::query::embeddings::{
    AnalogyMethod, COSMUL_EPSILON, Embeddings, available_threads, cosine,
};
use crate::text::tokenize::{Tokenizer, WordForm};
use std::sync::Arc;

/// Google's analogy questions (Mikolov et al. 2013, Apache-2.0), built into the library.
pub const QUESTIONS_WORDS: &str = include_str!("../../data/eval/questions-words.txt");
/// WordSimilarity-353 (Finkelstein et al. 2002), as redistributed by gensim, built in.
pub const WORDSIM353: &str = include_str!("../../data/eval/wordsim353.tsv");

/// Options for [`Embeddings::evaluate_analogies`].
#[derive(Clone, Debug)]
pub struct AnalogyOptions {
    /// Only the first `N` words are candidate answers, and questions using other words are
    /// skipped (gensim's `restrict_vocab`, 30,000 by default there and here). `None`: all.
    pub restrict: Option<usize>,
    /// How candidates are scored.
    pub method: AnalogyMethod,
    /// Look words up ignoring case, each case-folded form standing for its most frequent word
    /// (gensim's default).
    pub case_insensitive: bool,
    /// Stop at the first malformed line instead of reporting it and going on.
    pub strict: bool,
    /// Cut each word of the file as the vectors' words were cut (e.g. the unicode tokenizer:
    /// `Москва` is looked up as `москва`); a question with a word that this cuts into several
    /// is skipped and counted in [`AnalogyReport::split`].
    pub tokenizer: Option<Arc<Tokenizer>>,
    /// Keep every answered question and whether it was answered right
    /// ([`AnalogyReport::outcomes`]), as gensim's `evaluate_word_analogies` lists them.
    pub record: bool,
}

impl Default for AnalogyOptions {
    fn default() -> Self {
        AnalogyOptions {
            restrict: Some(30_000),
            method: AnalogyMethod::CosAdd,
            case_insensitive: true,
            strict: false,
            tokenizer: None,
            record: false,
        }
    }
}

/// How the lines of a word-pair file are read. Left at their defaults, the options detect the
/// formats in the wild: `word1<TAB>word2<TAB>score` (WordSim-353, SimLex-999), comma-separated
/// with more columns and a header line (`word1,word2,sim`), or space-separated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairFormat {
    /// 1-based columns of the first word, the second word and the score [default: 1, 2, 3].
    pub columns: Option<[usize; 3]>,
    /// The field separator [default, per line: tabs if splitting there gives enough fields,
    /// else commas, else runs of whitespace].
    pub delimiter: Option<u8>,
    /// Lines to skip at the top of the file [default: the first line is skipped as a header
    /// when its score field is not a number].
    pub skip_lines: Option<usize>,
}

impl PairFormat {
    /// The fields of `line` (trimmed): split by the delimiter given, else by the first of tab,
    /// comma and whitespace that gives at least `need` fields (whitespace if none does).
    fn fields<'l>(&self, line: &'l [u8], need: usize) -> Vec<&'l [u8]> {
        let by = |d: u8| -> Vec<&'l [u8]> {
            line.split(move |&b| b == d)
                .map(|f| f.trim_ascii())
                .collect()
        };
        let spaces = || -> Vec<&'l [u8]> {
            line.split(|b| b.is_ascii_whitespace())
                .filter(|f| !f.is_empty())
                .collect()
        };
        match self.delimiter {
            Some(b' ') => spaces(),
            Some(d) => by(d),
            None => [b'\t', b',']
                .into_iter()
                .filter(|d| line.contains(d))
                .map(by)
                .find(|f| f.len() >= need)
                .unwrap_or_else(spaces),
        }
    }
}

/// Options for [`Embeddings::evaluate_similarity`].
#[derive(Clone, Debug)]
pub struct SimilarityOptions {
    /// Only the first `N` words count as known (gensim's `restrict_vocab`, 300,000 there and
    /// here). `None`: all.
    pub restrict: Option<usize>,
    /// Look words up ignoring case, as for analogies.
    pub case_insensitive: bool,
    /// Stop at the first malformed line instead of reporting it and going on.
    pub strict: bool,
    /// How lines are read (columns, separator, header).
    pub format: PairFormat,
    /// Cut each word as the vectors' words were cut (see [`AnalogyOptions::tokenizer`]); a
    /// pair with a word that this cuts into several is counted in [`SimilarityReport::split`].
    pub tokenizer: Option<Arc<Tokenizer>>,
    /// With a subword model, score pairs with unknown words by their n-gram vectors (counted
    /// in [`SimilarityReport::oov_scored`]) instead of skipping them.
    pub subword_oov: bool,
    /// Score a pair that cannot be scored (an unknown word, or one the tokenizer splits) as
    /// similarity 0 instead of skipping it (gensim's `dummy4unknown`): it is counted in
    /// [`SimilarityReport::oov`] or [`SimilarityReport::split`] and in
    /// [`SimilarityReport::pairs`], so that vectors answering fewer pairs pay for them.
    pub unknown_as_zero: bool,
}

impl Default for SimilarityOptions {
    fn default() -> Self {
        SimilarityOptions {
            restrict: Some(300_000),
            case_insensitive: true,
            strict: false,
            format: PairFormat::default(),
            tokenizer: None,
            subword_oov: true,
            unknown_as_zero: false,
        }
    }
}

/// What looking a word of an evaluation file up found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    Row(usize),
    /// Unknown (or outside `restrict`, or nothing of it is a word).
    Missing,
    /// The tokenizer cuts it into several words.
    Split,
}

/// A line that could not be read, reported and skipped (or fatal with `strict`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Malformed {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The score of one section of an analogy file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SectionScore {
    /// The name after `: `.
    pub name: String,
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions answered (all of whose words are known).
    pub answered: usize,
    /// Questions skipped because a word is unknown (or outside `restrict`).
    pub skipped: usize,
}

impl SectionScore {
    /// A section with nothing asked yet.
    fn named(name: String) -> Self {
        SectionScore {
            name,
            correct: 0,
            answered: 0,
            skipped: 0,
        }
    }

    /// `correct / answered` (NaN when nothing was answered).
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.answered as f64
    }

    /// Whether this is a syntactic section: gensim's and word2vec's convention is a name
    /// starting with `gram`.
    pub fn is_syntactic(&self) -> bool {
        self.name.starts_with("gram")
    }
}

/// The result of an analogy evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalogyReport {
    /// The question file.
    pub file: PathBuf,
    /// Per section, in file order.
    pub sections: Vec<SectionScore>,
    /// Lines that could not be read.
    pub malformed: Vec<Malformed>,
    /// Questions skipped because the vectors' tokenizer cuts one of their words into several
    /// (counted in the sections' `skipped` too).
    pub split: usize,
    /// Every answered question in file order, with [`AnalogyOptions::record`] (else empty).
    pub outcomes: Vec<AnalogyOutcome>,
}

/// One answered analogy question (see [`AnalogyOptions::record`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AnalogyOutcome {
    /// Index into [`AnalogyReport::sections`].
    pub section: usize,
    /// `a b c d` as written in the file ("a is to b as c is to d").
    pub words: [String; 4],
    /// Whether the best answer was `d`.
    pub correct: bool,
}

impl AnalogyReport {
    fn sum(&self, pick: impl Fn(&SectionScore) -> bool) -> (usize, usize, usize) {
        self.sections
            .iter()
            .filter(|s| pick(s))
            .fold((0, 0, 0), |(c, a, k), s| {
                (c + s.correct, a + s.answered, k + s.skipped)
            })
    }

    /// Correctly answered questions.
    pub fn correct(&self) -> usize {
        self.sum(|_| true).0
    }

    /// Answered questions.
    pub fn answered(&self) -> usize {
        self.sum(|_| true).1
    }

    /// Questions skipped as out of vocabulary.
    pub fn skipped(&self) -> usize {
        self.sum(|_| true).2
    }

    /// Overall accuracy over answered questions (NaN when none).
    pub fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.answered() as f64
    }

    /// (correct, answered) over the semantic sections.
    pub fn semantic(&self) -> (usize, usize) {
        let (c, a, _) = self.sum(|s| !s.is_syntactic());
        (c, a)
    }

    /// (correct, answered) over the syntactic (`gram…`) sections.
    pub fn syntactic(&self) -> (usize, usize) {
        let (c, a, _) = self.sum(|s| s.is_syntactic());
        (c, a)
    }

    /// The machine-readable form used by `w2v eval --json`.
    pub fn to_json(&self) -> serde_json::Value {
        let frac = |(c, a): (usize, usize)| ratio(c, a);
        serde_json::json!({
            "file": self.file.display().to_string(),
            "accuracy": ratio(self.correct(), self.answered()),
            "correct": self.correct(),
            "answered": self.answered(),
            "skipped": self.skipped(),
            "semantic": frac(self.semantic()),
            "syntactic": frac(self.syntactic()),
            "semantic_answered": self.semantic().1,
            "syntactic_answered": self.syntactic().1,
            "sections": self.sections.iter().map(|s| serde_json::json!({
                "name": s.name, "correct": s.correct, "answered": s.answered, "skipped": s.skipped,
            })).collect::<Vec<_>>(),
            "malformed": self.malformed.len(),
            "split": self.split,
        })
    }
}

/// `c / a`, or `None` (JSON `null`) when `a` is 0.
fn ratio(c: usize, a: usize) -> Option<f64> {
    (a > 0).then(|| c as f64 / a as f64)
}

/// The result of a word-pair similarity evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimilarityReport {
    /// The pair file.
    pub file: PathBuf,
    /// Spearman's rank correlation of model and human scores (ties ranked by their average).
    pub spearman: f64,
    /// Pearson's correlation.
    pub pearson: f64,
    /// Pairs scored (with `unknown_as_zero`, those of `oov` and `split` too, as 0).
    pub pairs: usize,
    /// Pairs with an unknown word: skipped, or scored 0 with `unknown_as_zero`.
    pub oov: usize,
    /// Pairs with an unknown word scored by its n-gram vector (a subword model; counted in
    /// `pairs`, not in `oov`).
    pub oov_scored: usize,
    /// Pairs with a word that the vectors' tokenizer cuts into several: skipped, or scored 0
    /// with `unknown_as_zero`.
    pub split: usize,
    /// The header line skipped, if one was.
    pub header: Option<String>,
    /// Lines that could not be read.
    #[serde(skip)]
    pub malformed: Vec<Malformed>,
}

impl SimilarityReport {
    /// The machine-readable form used by `w2v eval --json`.
    pub fn to_json(&self) -> serde_json::Value {
        let num = |x: f64| x.is_finite().then_some(x);
        serde_json::json!({
            "file": self.file.display().to_string(),
            "spearman": num(self.spearman),
            "pearson": num(self.pearson),
            "pairs": self.pairs,
            "oov": self.oov,
            "oov_scored": self.oov_scored,
            "split": self.split,
            "header": self.header,
            "malformed": self.malformed.len(),
        })
    }
}

/// One answerable question: section, and the row indices of a, b, c and the expected d.
#[derive(Clone, Copy)]
struct Question {
    section: usize,
    abc: [usize; 3],
    d: usize,
}

/// Questions per matrix product: enough rows that `sgemm` runs at full speed, few enough that
/// the score block (rows × candidates floats) stays around 16 MB.
fn batch_rows(candidates: usize) -> usize {
    ((4 << 20) / candidates.max(1)).clamp(16, 1024)
}

impl Embeddings {
    /// The row of `word` if it is among the first `limit` rows: looked up exactly, or as gensim's
    /// case-insensitive evaluation does (the most frequent word with the same upper case).
    fn find_within(&self, word: &[u8], limit: usize, case_insensitive: bool) -> Option<usize> {
        let i = if case_insensitive {
            self.index_of_folded(word)
        } else {
            self.index_of(word)
        }?;
        (i < limit).then_some(i)
    }

    /// The vector of an evaluation word: its row, else its n-gram vector (subword models).
    fn found_vector(&self, found: Found, w: &[u8], tok: Option<&Tokenizer>) -> Option<Vec<f32>> {
        match found {
            Found::Row(i) => Some(self.row(i).to_vec()),
            Found::Split => None,
            Found::Missing => {
                let rows = self.subwords()?;
                match tok {
                    None => rows.vector(w),
                    Some(t) => match t.word(&String::from_utf8_lossy(w)) {
                        WordForm::One(x) => rows.vector(x.as_bytes()),
                        _ => None,
                    },
                }
            }
        }
    }

    /// A word of an evaluation file, cut by `tok` first when given.
    fn find_cut(&self, w: &[u8], limit: usize, ci: bool, tok: Option<&Tokenizer>) -> Found {
        let row = |w: &[u8]| {
            self.find_within(w, limit, ci)
                .map_or(Found::Missing, Found::Row)
        };
        match tok {
            None => row(w),
            Some(t) => match t.word(&String::from_utf8_lossy(w)) {
                WordForm::One(x) => row(x.as_bytes()),
                WordForm::Split(_) => Found::Split,
                WordForm::Empty => Found::Missing,
            },
        }
    }

    /// Evaluates analogy questions from a file (`: section` lines, then `a b c d` lines).
    pub fn evaluate_analogies(
        &self,
        path: impl AsRef<Path>,
        opts: &AnalogyOptions,
    ) -> Result<AnalogyReport> {
        let path = path.as_ref();
        let text = std::fs::read(path)
            .map_err(|e| Error::io("cannot read analogy questions from", path, e))?;
        self.evaluate_analogies_text(path, &text, opts)
    }

    /// The representative of each of the first `limit` rows as an analogy's candidate: the row
    /// its case-folded form looks up to (with `case_insensitive`), else itself. A candidate
    /// that folds onto one of the question words is no answer (gensim's `ignore` set), and an
    /// answer is right when it folds onto the expected word.
    fn representatives(&self, limit: usize, case_insensitive: bool) -> Vec<usize> {
        if case_insensitive {
            (0..limit)
                .map(|j| self.index_of_folded(&self.words()[j]).unwrap_or(j))
                .collect()
        } else {
            (0..limit).collect()
        }
    }

    /// Evaluates analogy questions given as text; `name` only labels the report and errors.
    pub fn evaluate_analogies_text(
        &self,
        name: &Path,
        text: &[u8],
        opts: &AnalogyOptions,
    ) -> Result<AnalogyReport> {
        let limit = opts.restrict.map_or(self.len(), |r| r.min(self.len()));
        let tok = opts.tokenizer.as_deref();
        let find = |w: &[u8]| self.find_cut(w, limit, opts.case_insensitive, tok);
        let mut split = 0;
        let mut sections: Vec<SectionScore> = Vec::new();
        let mut malformed = Vec::new();
        let mut questions = Vec::new();
        let mut asked: Vec<[String; 4]> = Vec::new();
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix(b":") {
                sections.push(SectionScore::named(
                    String::from_utf8_lossy(name.trim_ascii()).into_owned(),
                ));
                continue;
            }
            let fields: Vec<&[u8]> = line
                .split(|b| b.is_ascii_whitespace())
                .filter(|f| !f.is_empty())
                .collect();
            if fields.len() != 4 {
                let reason = format!("expected 4 words, found {}", fields.len());
                skip_malformed(name, n + 1, reason, opts.strict, &mut malformed)?;
                continue;
            }
            if sections.is_empty() {
                sections.push(SectionScore::named(String::new()));
            }
            let section = sections.len() - 1;
            let found = [0, 1, 2, 3].map(|i| find(fields[i]));
            match found {
                [Found::Row(a), Found::Row(b), Found::Row(c), Found::Row(d)] => {
                    sections[section].answered += 1;
                    questions.push(Question {
                        section,
                        abc: [a, b, c],
                        d,
                    });
                    if opts.record {
                        asked.push(std::array::from_fn(|i| {
                            String::from_utf8_lossy(fields[i]).into_owned()
                        }));
                    }
                }
                _ => {
                    sections[section].skipped += 1;
                    split += found.contains(&Found::Split) as usize;
                }
            }
        }
        let canon = self.representatives(limit, opts.case_insensitive);
        let answers = self.answer_batched(&questions, limit, &canon, opts.method);
        let outcomes = tally(&mut sections, &questions, answers, asked);
        Ok(AnalogyReport {
            file: name.to_path_buf(),
            sections,
            malformed,
            split,
            outcomes,
        })
    }

    /// The best answer's representative row for each question, all cores, batched products.
    ///
    /// One piece on purpose: the query hot loop. Each worker reuses its query, score and
    /// candidate buffers across batches, and the batch's matrix product, masking and top-k
    /// selection share them; split into functions, the buffers would have to travel through
    /// every signature.
    fn answer_batched(
        &self,
        questions: &[Question],
        limit: usize,
        canon: &[usize],
        method: AnalogyMethod,
    ) -> Vec<Option<usize>> {
        if questions.is_empty() || limit == 0 {
            return vec![None; questions.len()];
        }
        let threads = available_threads().min(questions.len().div_ceil(64)).max(1);
        let chunk = questions.len().div_ceil(threads);
        let candidates = &self.matrix()[..limit * self.dim()];
        let work = |qs: &[Question]| -> Vec<Option<usize>> {
            let dim = self.dim();
            let norms = &self.norms()[..limit];
            let per_q = match method {
                AnalogyMethod::CosAdd => 1,
                AnalogyMethod::CosMul => 3,
            };
            let batch = (batch_rows(limit) / per_q).max(1);
            let mut qm = vec![0.0f32; batch * per_q * dim];
            let mut scores = vec![0.0f32; batch * per_q * limit];
            let mut out = Vec::with_capacity(qs.len());
            for b in qs.chunks(batch) {
                let rows = b.len() * per_q;
                let qm = &mut qm[..rows * dim];
                qm.fill(0.0);
                for (qi, q) in b.iter().enumerate() {
                    let [a, bb, c] = q.abc;
                    match method {
                        AnalogyMethod::CosAdd => {
                            let r = &mut qm[qi * dim..(qi + 1) * dim];
                            self.add_unit(bb, 1.0, r);
                            self.add_unit(c, 1.0, r);
                            self.add_unit(a, -1.0, r);
                        }
                        AnalogyMethod::CosMul => {
                            for (k, w) in [a, bb, c].into_iter().enumerate() {
                                let r = &mut qm[(qi * 3 + k) * dim..(qi * 3 + k + 1) * dim];
                                self.add_unit(w, 1.0, r);
                            }
                        }
                    }
                }
                let scores = &mut scores[..rows * limit];
                kernels::matmul_transposed(qm, candidates, scores, rows, limit, dim);
                for (qi, q) in b.iter().enumerate() {
                    let excluded = |j: usize| {
                        let r = canon[j];
                        q.abc.contains(&j) || q.abc.contains(&r)
                    };
                    let mut best: Option<(f32, usize)> = None;
                    match method {
                        AnalogyMethod::CosAdd => {
                            let s = &scores[qi * limit..(qi + 1) * limit];
                            for (j, (&x, &n)) in s.iter().zip(norms).enumerate() {
                                let x = if n > 0.0 { x / n } else { 0.0 };
                                if best.is_none_or(|(bs, _)| x > bs) && !excluded(j) {
                                    best = Some((x, j));
                                }
                            }
                        }
                        AnalogyMethod::CosMul => {
                            let base = qi * 3 * limit;
                            let (sa, rest) = scores[base..base + 3 * limit].split_at(limit);
                            let (sb, sc) = rest.split_at(limit);
                            for j in 0..limit {
                                let n = norms[j];
                                let cos = |x: f32| if n > 0.0 { (1.0 + x / n) / 2.0 } else { 0.5 };
                                let x = cos(sb[j]) * cos(sc[j]) / (cos(sa[j]) + COSMUL_EPSILON);
                                if best.is_none_or(|(bs, _)| x > bs) && !excluded(j) {
                                    best = Some((x, j));
                                }
                            }
                        }
                    }
                    out.push(best.map(|(_, j)| canon[j]));
                }
            }
            out
        };
        if threads == 1 {
            return work(questions);
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = questions
                .chunks(chunk)
                .map(|qs| {
                    let work = &work;
                    s.spawn(move || work(qs))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("analogy thread panicked"))
                .collect()
        })
    }

    /// Evaluates word-pair similarities from a file (`word1 word2 score` per line, tab or space
    /// separated, `#` comments).
    pub fn evaluate_similarity(
        &self,
        path: impl AsRef<Path>,
        opts: &SimilarityOptions,
    ) -> Result<SimilarityReport> {
        let path = path.as_ref();
        let text =
            std::fs::read(path).map_err(|e| Error::io("cannot read word pairs from", path, e))?;
        self.evaluate_similarity_text(path, &text, opts)
    }

    /// Evaluates word-pair similarities given as text; `name` only labels the report.
    pub fn evaluate_similarity_text(
        &self,
        name: &Path,
        text: &[u8],
        opts: &SimilarityOptions,
    ) -> Result<SimilarityReport> {
        let limit = opts.restrict.map_or(self.len(), |r| r.min(self.len()));
        let tok = opts.tokenizer.as_deref();
        let find = |w: &[u8]| self.find_cut(w, limit, opts.case_insensitive, tok);
        let fmt = &opts.format;
        let [c1, c2, c3] = fmt.columns.unwrap_or([1, 2, 3]).map(|c| c.max(1) - 1);
        let (mut gold, mut model) = (Vec::new(), Vec::new());
        let (mut oov, mut split, mut oov_scored) = (0, 0, 0);
        let mut header = None;
        let mut malformed = Vec::new();
        let mut seen = 0;
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if n < fmt.skip_lines.unwrap_or(0) {
                continue;
            }
            let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            seen += 1;
            let fields = fmt.fields(line, c1.max(c2).max(c3) + 1);
            let score = match pair_score(&fields, [c1, c2, c3]) {
                Ok(s) => s,
                // The first line, unless told how many to skip, may be a header.
                Err(_) if seen == 1 && fmt.skip_lines.is_none() => {
                    header = Some(String::from_utf8_lossy(line).into_owned());
                    continue;
                }
                Err(reason) => {
                    skip_malformed(name, n + 1, reason, opts.strict, &mut malformed)?;
                    continue;
                }
            };
            let words = [fields[c1], fields[c2]];
            let scored = match self.pair_cosine(words, find, opts.subword_oov, tok) {
                PairCosine::Rows(x) => Some(x),
                PairCosine::Subwords(x) => {
                    oov_scored += 1;
                    Some(x)
                }
                PairCosine::Split => {
                    split += 1;
                    None
                }
                PairCosine::Unknown => {
                    oov += 1;
                    None
                }
            };
            match scored {
                Some(x) => model.push(x as f64),
                None if opts.unknown_as_zero => model.push(0.0),
                None => continue,
            }
            gold.push(score);
        }
        Ok(SimilarityReport {
            file: name.to_path_buf(),
            spearman: spearman(&gold, &model),
            pearson: pearson(&gold, &model),
            pairs: gold.len(),
            oov,
            oov_scored,
            split,
            header,
            malformed,
        })
    }

    /// The cosine of a similarity pair's two words: from their rows, or (with `subword_oov`,
    /// in a subword model) from the n-gram vectors of a word the vocabulary lacks.
    fn pair_cosine(
        &self,
        words: [&[u8]; 2],
        find: impl Fn(&[u8]) -> Found,
        subword_oov: bool,
        tok: Option<&Tokenizer>,
    ) -> PairCosine {
        match (find(words[0]), find(words[1])) {
            (Found::Row(a), Found::Row(b)) => PairCosine::Rows(unit_cosine(self, a, b)),
            (a, b) if a == Found::Split || b == Found::Split => PairCosine::Split,
            (a, b) if subword_oov && self.subwords().is_some() => {
                let va = self.found_vector(a, words[0], tok);
                let vb = self.found_vector(b, words[1], tok);
                match (va, vb) {
                    (Some(va), Some(vb)) => PairCosine::Subwords(cosine(&va, &vb)),
                    _ => PairCosine::Unknown,
                }
            }
            _ => PairCosine::Unknown,
        }
    }
}

/// How a similarity pair was scored ([`Embeddings::pair_cosine`]).
enum PairCosine {
    /// Both words in the vocabulary: the cosine of their rows.
    Rows(f32),
    /// A word outside the vocabulary, its vector from its n-grams.
    Subwords(f32),
    /// A word the tokenizer splits into several tokens.
    Split,
    /// A word with no vector.
    Unknown,
}

/// Counts the right answers per section, and pairs each question's words (when recorded) with
/// its outcome.
fn tally(
    sections: &mut [SectionScore],
    questions: &[Question],
    answers: Vec<Option<usize>>,
    asked: Vec<[String; 4]>,
) -> Vec<AnalogyOutcome> {
    let mut outcomes = Vec::with_capacity(asked.len());
    let mut asked = asked.into_iter();
    for (q, a) in questions.iter().zip(answers) {
        let correct = a == Some(q.d);
        sections[q.section].correct += correct as usize;
        if let Some(words) = asked.next() {
            outcomes.push(AnalogyOutcome {
                section: q.section,
                words,
                correct,
            });
        }
    }
    outcomes
}

/// Records a malformed line to be reported and skipped, or, with `strict`, fails with it.
fn skip_malformed(
    file: &Path,
    line: usize,
    reason: String,
    strict: bool,
    malformed: &mut Vec<Malformed>,
) -> Result<()> {
    if strict {
        return Err(Error::EvalFile {
            path: file.to_path_buf(),
            line,
            reason,
        });
    }
    malformed.push(Malformed { line, reason });
    Ok(())
}

/// Cosine of two rows computed as gensim does: the dot product of the unit vectors.
fn unit_cosine(e: &Embeddings, a: usize, b: usize) -> f32 {
    let mut ua = vec![0.0f32; e.dim()];
    let mut ub = vec![0.0f32; e.dim()];
    e.add_unit(a, 1.0, &mut ua);
    e.add_unit(b, 1.0, &mut ub);
    kernels::dot(&ua, &ub)
}

/// Pearson's correlation coefficient (NaN for fewer than two points or a constant input).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return f64::NAN;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x[..n].iter().zip(&y[..n]) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman's rank correlation: Pearson's over ranks, tied values sharing their mean rank
/// (as `scipy.stats.spearmanr`).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Two-sided p-value of a correlation coefficient `r` over `n` pairs, against the hypothesis of
/// no correlation: Student's t with `n − 2` degrees of freedom, as `scipy.stats.pearsonr` and
/// `spearmanr` report it (and so gensim's `evaluate_word_pairs`). NaN for `n < 3` or a NaN `r`.
pub fn correlation_p_value(r: f64, n: usize) -> f64 {
    if n < 3 || r.is_nan() {
        return f64::NAN;
    }
    // P(|T| ≥ t) = I_x(df/2, 1/2) with x = df / (df + t²), and t² = r²·df / (1 − r²) makes
    // x = 1 − r².
    let x = (1.0 - r * r).clamp(0.0, 1.0);
    regularized_beta(x, (n - 2) as f64 / 2.0, 0.5)
}

/// The regularised incomplete beta function `I_x(a, b)`, by its continued fraction (modified
/// Lentz), on the side of `x` where the fraction converges fast.
fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        for num in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + num * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + num / c;
            c = if c.abs() < TINY { TINY } else { c };
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine terms: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..]
        .iter()
        .enumerate()
        .fold(G[0], |acc, (i, g)| acc + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// 1-based ranks, ties given the mean of the ranks they span.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// The score of a word-pair line's fields, given the 0-based columns of word 1, word 2 and the
/// score; the error says what the line lacks.
fn pair_score(fields: &[&[u8]], [c1, c2, c3]: [usize; 3]) -> std::result::Result<f64, String> {
    match fields.get(c3) {
        Some(s) if fields.len() > c1.max(c2) => std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("`{}` is not a number", String::from_utf8_lossy(s))),
        _ => Err(format!(
            "expected word 1, word 2 and a score in columns {}, {} and {}, found {} fields",
            c1 + 1,
            c2 + 1,
            c3 + 1,
            fields.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recorded_outcomes_list_every_answered_question() {
        let e = planted();
        let text = b": family\nman woman king queen\nman woman zebra queen\nboy girl man woman\n";
        let opts = AnalogyOptions {
            record: true,
            ..Default::default()
        };
        let r = e
            .evaluate_analogies_text(Path::new("q"), text, &opts)
            .unwrap();
        assert_eq!(r.outcomes.len(), r.answered());
        assert_eq!(r.outcomes.len(), 2);
        assert_eq!(
            r.outcomes[0].words,
            ["man", "woman", "king", "queen"].map(String::from)
        );
        let right = r.outcomes.iter().filter(|o| o.correct).count();
        assert_eq!(right, r.correct());
        let plain = e.evaluate_analogies_text(Path::new("q"), text, &AnalogyOptions::default());
        assert!(plain.unwrap().outcomes.is_empty());
    }

    #[test]
    fn correlation_p_values_equal_scipys() {
        // scipy 1.x: 2 * stats.t.sf(|t|, n - 2) with t = r * sqrt((n - 2) / (1 - r²)), which
        // is what pearsonr and spearmanr report (benchsuite has no scipy; values pasted).
        for (r, n, p) in [
            (0.5, 10, 0.14111328125000006),
            (0.1, 999, 0.0015525649356587143),
            (0.3, 353, 8.952860489744351e-09),
            (-0.7, 5, 0.1881204043741873),
            (0.05, 3, 0.9681557335266794),
            (0.99, 20, 9.159623478939178e-17),
        ] {
            let got = correlation_p_value(r, n);
            assert!(
                (got - p).abs() <= 1e-9 * p.max(1e-300) + 1e-15,
                "{r} {n}: {got} vs {p}"
            );
        }
        assert!(correlation_p_value(0.5, 2).is_nan());
        assert_eq!(correlation_p_value(1.0, 10), 0.0);
        assert_eq!(correlation_p_value(0.0, 10), 1.0);
    }

    use super::*;
    use crate::query::embeddings::tests::emb;

    fn planted() -> Embeddings {
        emb(
            &["man", "woman", "king", "queen", "boy", "girl", "Queen", "x"],
            3,
            vec![
                1.0, 0.0, 0.0, //
                1.0, 1.0, 0.0, //
                1.0, 0.0, 1.0, //
                1.0, 1.0, 1.0, //
                1.0, 0.0, -0.5, //
                1.0, 1.0, -0.5, //
                1.0, 1.0, 1.01, //
                0.0, 0.0, 0.0, //
            ],
        )
    }

    #[test]
    fn analogies_are_scored_per_section_with_oov_and_malformed_lines() {
        let e = planted();
        let text = b": family\nman woman king queen\nMAN WOMAN BOY GIRL\nman woman zebra queen\n\
                     bad line\n: gram-plural\nking queen man woman\n";
        for method in [AnalogyMethod::CosAdd, AnalogyMethod::CosMul] {
            let opts = AnalogyOptions {
                method,
                ..Default::default()
            };
            let r = e
                .evaluate_analogies_text(Path::new("q"), text, &opts)
                .unwrap();
            assert_eq!(r.sections.len(), 2);
            assert_eq!(r.sections[0].name, "family");
            assert_eq!(
                (
                    r.sections[0].correct,
                    r.sections[0].answered,
                    r.sections[0].skipped
                ),
                (2, 2, 1),
                "{method:?}"
            );
            assert_eq!(
                r.malformed,
                vec![Malformed {
                    line: 5,
                    reason: "expected 4 words, found 2".into()
                }]
            );
            assert_eq!(r.syntactic().1, 1);
            assert_eq!(r.semantic(), (2, 2));
            assert_eq!(r.answered(), 3);
            assert_eq!(r.skipped(), 1);
        }
        // "Queen" folds onto "queen" (the more frequent), so it is no answer to a question
        // about queen, and restrict 3 leaves queen itself out.
        let r = e
            .evaluate_analogies_text(
                Path::new("q"),
                b": s\nman woman king queen\n",
                &AnalogyOptions {
                    restrict: Some(3),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!((r.answered(), r.skipped()), (0, 1));
        let strict = AnalogyOptions {
            strict: true,
            ..Default::default()
        };
        let err = e
            .evaluate_analogies_text(Path::new("q"), text, &strict)
            .unwrap_err();
        assert_eq!(err.to_string(), "q, line 5: expected 4 words, found 2");
    }

    #[test]
    fn pair_files_in_the_wild_are_read_as_they_are() {
        let e = planted();
        let opts = SimilarityOptions::default();
        // A CSV header, CRLF, a BOM, more columns than three: detected.
        let csv = b"\xEF\xBB\xBFword1,word2,sim,extra\r\nman,woman,5,0\r\nking,queen,9,0\r\nman,girl,1.5,0\r\n";
        let r = e
            .evaluate_similarity_text(Path::new("c"), csv, &opts)
            .unwrap();
        assert_eq!((r.pairs, r.malformed.len()), (3, 0));
        assert_eq!(r.header.as_deref(), Some("word1,word2,sim,extra"));
        assert!((r.spearman - 1.0).abs() < 1e-12);
        // The score in another column, a chosen separator, a header skipped by request.
        let semi = b"a;b;c\n9;man;woman;5\n9;king;queen;9\n9;man;girl;1.5\n";
        let custom = SimilarityOptions {
            format: PairFormat {
                columns: Some([2, 3, 4]),
                delimiter: Some(b';'),
                skip_lines: Some(1),
            },
            ..SimilarityOptions::default()
        };
        let r = e
            .evaluate_similarity_text(Path::new("s"), semi, &custom)
            .unwrap();
        assert_eq!((r.pairs, r.header.clone()), (3, None));
        assert!((r.spearman - 1.0).abs() < 1e-12);
        // Only the first line can be a header: a later bad score is malformed.
        let r = e
            .evaluate_similarity_text(Path::new("m"), b"man woman 5\nking queen x\n", &opts)
            .unwrap();
        assert_eq!(
            (r.pairs, r.malformed.len(), r.header.is_none()),
            (1, 1, true)
        );
    }

    #[test]
    fn a_tokenizer_normalises_words_and_reports_splits() {
        use crate::text::tokenize::{TokenizerKind, TokenizerSpec};
        let e = emb(
            &["москва", "город", "北京", "大学生"],
            2,
            vec![1.0, 0.0, 1.0, 0.1, 0.0, 1.0, 0.1, 1.0],
        );
        let tok = Arc::new(Tokenizer::new(TokenizerSpec::of(
            TokenizerKind::Unicode,
            None,
        )));
        let opts = SimilarityOptions {
            tokenizer: Some(tok),
            case_insensitive: false,
            ..SimilarityOptions::default()
        };
        let text = "Москва\tГород\t9\n北京大学生\t北京\t3\nМосква,\t北京\t1\n".as_bytes();
        let r = e
            .evaluate_similarity_text(Path::new("t"), text, &opts)
            .unwrap();
        assert_eq!((r.pairs, r.split, r.oov), (2, 1, 0));
    }

    #[test]
    fn similarity_reports_rank_and_linear_correlation() {
        let e = planted();
        let text =
            b"# comment\nman\twoman\t5\nking queen 9\nman girl 1.5\nman zebra 3\nbad\nx y 2\n";
        let r = e
            .evaluate_similarity_text(Path::new("ws"), text, &SimilarityOptions::default())
            .unwrap();
        assert_eq!((r.pairs, r.oov), (3, 2), "x y 2: y is unknown");
        assert_eq!(r.malformed.len(), 1);
        assert_eq!(r.malformed[0].line, 6);
        // Model cosines: man·woman 0.707, king·queen 0.816, man·girl 0.667: same order as gold.
        assert!((r.spearman - 1.0).abs() < 1e-12);
        let gold = [5.0, 9.0, 1.5];
        let model = [0.5f64.sqrt(), (2.0 / 3.0f64).sqrt(), 1.0 / 1.5];
        assert!((r.pearson - pearson(&gold, &model)).abs() < 1e-6);
        // gensim's dummy4unknown: the two pairs with an unknown word score 0 and count.
        let opts = SimilarityOptions {
            unknown_as_zero: true,
            ..SimilarityOptions::default()
        };
        let r = e
            .evaluate_similarity_text(Path::new("ws"), text, &opts)
            .unwrap();
        assert_eq!((r.pairs, r.oov), (5, 2));
        let gold = [5.0, 9.0, 1.5, 3.0, 2.0];
        let model = [0.5f64.sqrt(), (2.0 / 3.0f64).sqrt(), 1.0 / 1.5, 0.0, 0.0];
        assert!((r.pearson - pearson(&gold, &model)).abs() < 1e-6);
        assert!((r.spearman - spearman(&gold, &model)).abs() < 1e-12);
    }

    #[test]
    fn ranks_share_ties_and_correlations_match_hand_values() {
        assert_eq!(ranks(&[10.0, 20.0, 10.0, 5.0]), vec![2.5, 4.0, 2.5, 1.0]);
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 1.0, 4.0, 3.0, 5.0];
        // scipy.stats.spearmanr(x, y) = 0.8; pearsonr = 0.8 too for these ranks.
        assert!((spearman(&x, &y) - 0.8).abs() < 1e-12);
        assert!((pearson(&x, &[2.0, 4.0, 6.0, 8.0, 10.0]) - 1.0).abs() < 1e-12);
        assert!(pearson(&x, &[1.0; 5]).is_nan());
    }
}
