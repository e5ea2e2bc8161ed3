//! What a word is: the tokenizers that turn a line of corpus text into words.
//!
//! - [`TokenizerKind::Whitespace`] (the default, word2vec.c's rule): a word is a run of bytes
//!   between ASCII whitespace; nothing else changes (with `lowercase`, each word is case-folded).
//! - [`TokenizerKind::Unicode`]: the line is normalised (NFKC), cut into words by the Unicode
//!   word-boundary rules (UAX #29, with ICU4X's compiled data: a dictionary for Chinese and
//!   Japanese, LSTM models for Thai, Lao, Khmer and Burmese), punctuation, symbols and spaces
//!   are dropped, words joined by one hyphen are kept whole (`что-то`, `e-mail`; UAX #29
//!   already keeps `don't` and `3.14`), and every word is case-folded (unless `lowercase` is
//!   off). In a line without kana, runs of Han characters are cut by jieba's dictionary
//!   instead of ICU's ([`ChineseSegmenter`]): on the UD Chinese treebank jieba keeps far more of
//!   the words whole (benchsuite/NOTES.md, "Tokenizer accuracy"). Lines with kana are Japanese
//!   and keep ICU's dictionary segmentation throughout, unless [`JapaneseSegmenter`] asks for
//!   TinySegmenter's model (closer to the UD treebank's words, F1 0.87 against 0.75, but
//!   vectors trained on its cut score lower on the Japanese similarity sets: it is an option).
//!
//! Invalid UTF-8 in a unicode line becomes U+FFFD (a symbol, so it separates words and is
//! dropped) and is counted in [`LineStats::invalid`].

use std::borrow::Cow;
use std::sync::OnceLock;

use icu_casemap::{CaseMapper, CaseMapperBorrowed};
use icu_normalizer::{ComposingNormalizer, ComposingNormalizerBorrowed};
use icu_segmenter::options::WordBreakInvariantOptions;
use icu_segmenter::{WordSegmenter, WordSegmenterBorrowed};
use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

use crate::text::corpus::is_space;

/// How the corpus text is cut into words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum TokenizerKind {
    /// Runs of bytes between ASCII whitespace (word2vec.c's rule; the text must be tokenised).
    #[default]
    Whitespace,
    /// Unicode normalisation, word segmentation in any script, punctuation dropped.
    Unicode,
}

/// Which dictionary cuts Chinese (Han runs in lines without kana) in unicode mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ChineseSegmenter {
    /// jieba's dictionary and HMM (jieba-rs, compiled in): what Chinese word2vec users and
    /// their test sets expect.
    #[default]
    Jieba,
    /// ICU's Chinese/Japanese dictionary.
    Icu,
}

/// Which segmenter cuts Japanese (the Japanese-script runs of lines with kana) in unicode mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum JapaneseSegmenter {
    /// ICU's Chinese/Japanese dictionary: its vectors score higher on the Japanese similarity
    /// sets (benchsuite/NOTES.md, "Japanese: TinySegmenter against ICU's dictionary").
    #[default]
    Icu,
    /// TinySegmenter (Taku Kudo's character n-gram model, compiled in by the tiniestsegmenter
    /// crate, 50 KB) for the runs of Japanese script, UAX #29 between them: closer to the UD
    /// Japanese treebank's words (F1 0.87 against 0.75), for tokenised text meant for other
    /// tools.
    Tinysegmenter,
}

/// A tokenizer's settings, as saved with the vectors (the model card) so that queries cut
/// their words the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerSpec {
    /// The rule.
    pub kind: TokenizerKind,
    /// Case-fold every word.
    pub lowercase: bool,
    /// Chinese segmentation (unicode only).
    pub chinese: ChineseSegmenter,
    /// Japanese segmentation (unicode only; missing in model cards written before it existed,
    /// which used ICU's, the default).
    #[serde(default)]
    pub japanese: JapaneseSegmenter,
}

impl TokenizerSpec {
    /// `kind` with `lowercase` resolved (default: fold with `unicode`, keep case with
    /// `whitespace`), jieba for Chinese and ICU's dictionary for Japanese.
    pub fn of(kind: TokenizerKind, lowercase: Option<bool>) -> Self {
        TokenizerSpec {
            kind,
            lowercase: lowercase.unwrap_or(kind == TokenizerKind::Unicode),
            chinese: ChineseSegmenter::Jieba,
            japanese: JapaneseSegmenter::Icu,
        }
    }

    /// Whether this tokenizer changes the corpus's words (anything but plain whitespace
    /// splitting), so that the text must be tokenised before training.
    pub fn rewrites(&self) -> bool {
        self.kind != TokenizerKind::Whitespace || self.lowercase
    }
}

/// What tokenising one line found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineStats {
    /// Words emitted.
    pub tokens: u64,
    /// Invalid UTF-8 sequences replaced by U+FFFD (unicode only).
    pub invalid: u64,
}

impl std::ops::AddAssign for LineStats {
    fn add_assign(&mut self, o: Self) {
        self.tokens += o.tokens;
        self.invalid += o.invalid;
    }
}

/// What a single query word becomes under a tokenizer (see [`Tokenizer::word`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WordForm {
    /// One word: look this up.
    One(String),
    /// The tokenizer cuts it into several words (e.g. a Chinese phrase).
    Split(Vec<String>),
    /// Nothing of it is a word (punctuation, symbols, spaces).
    Empty,
}

/// jieba's dictionary, parsed once per process (about half a second) when first needed.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// A tokenizer ready to cut lines. Cheap to share between threads (`&Tokenizer` is `Sync`).
pub struct Tokenizer {
    spec: TokenizerSpec,
    segmenter: WordSegmenterBorrowed<'static>,
    nfkc: ComposingNormalizerBorrowed<'static>,
    case: CaseMapperBorrowed<'static>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("spec", &self.spec)
            .finish()
    }
}

/// Hyphens that join two words into one (`что-то`, `e-mail`): HYPHEN-MINUS, HYPHEN and
/// NON-BREAKING HYPHEN.
fn is_joining_hyphen(s: &str) -> bool {
    matches!(s, "-" | "\u{2010}" | "\u{2011}")
}

/// Hiragana, katakana (and their phonetic extensions, half-width forms): a line with any of
/// them is Japanese.
fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{FF66}'..='\u{FF9F}')
}

/// Japanese script: kana, Han, and the iteration and closing marks `々` and `〆`
/// (TinySegmenter's character classes; `ー` and the kana iteration marks are kana here).
fn is_japanese(c: char) -> bool {
    is_kana(c) || is_han(c) || matches!(c, '\u{3005}' | '\u{3006}')
}

/// CJK unified ideographs (with extensions and compatibility ideographs).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}' | '\u{30000}'..='\u{323AF}')
}

impl Tokenizer {
    /// A tokenizer following `spec` (the ICU data is compiled in; jieba's dictionary is parsed
    /// the first time a Chinese line is met).
    pub fn new(spec: TokenizerSpec) -> Self {
        Tokenizer {
            spec,
            segmenter: WordSegmenter::new_auto(WordBreakInvariantOptions::default()),
            nfkc: ComposingNormalizer::new_nfkc(),
            case: CaseMapper::new(),
        }
    }

    /// Its settings.
    pub fn spec(&self) -> TokenizerSpec {
        self.spec
    }

    /// Calls `emit` with each word of `line` (a line without its newline), in order.
    pub fn line(&self, line: &[u8], emit: &mut impl FnMut(&str)) -> LineStats {
        let mut stats = LineStats::default();
        let mut count = |w: &str| {
            stats.tokens += 1;
            emit(w)
        };
        match self.spec.kind {
            TokenizerKind::Whitespace => {
                for w in line.split(|&b| is_space(b)).filter(|w| !w.is_empty()) {
                    // Whitespace mode keeps bytes as they are; only valid UTF-8 can be folded.
                    match std::str::from_utf8(w) {
                        Ok(s) if self.spec.lowercase => count(&self.case.fold_string(s)),
                        Ok(s) => count(s),
                        Err(_) => count(&String::from_utf8_lossy(w)),
                    }
                }
            }
            TokenizerKind::Unicode => {
                let text = match std::str::from_utf8(line) {
                    Ok(s) => Cow::Borrowed(s),
                    Err(_) => {
                        stats.invalid = line
                            .utf8_chunks()
                            .filter(|c| !c.invalid().is_empty())
                            .count() as u64;
                        String::from_utf8_lossy(line)
                    }
                };
                self.unicode(&text, &mut count);
            }
        }
        stats
    }

    /// The words of `text` (every line of it), as owned strings.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in text.split('\n') {
            self.line(line.as_bytes(), &mut |w| out.push(w.to_owned()));
        }
        out
    }

    /// What a query word becomes: the same word, its normalised form, or the words it is cut
    /// into.
    pub fn word(&self, word: &str) -> WordForm {
        let mut words = self.words(word);
        match words.len() {
            0 => WordForm::Empty,
            1 => WordForm::One(words.pop().unwrap_or_default()),
            _ => WordForm::Split(words),
        }
    }

    fn unicode(&self, line: &str, emit: &mut impl FnMut(&str)) {
        let text = self.nfkc.normalize(line);
        if text.chars().any(is_kana) {
            if self.spec.japanese == JapaneseSegmenter::Icu {
                return self.segment(&text, emit);
            }
            // Japanese runs go to TinySegmenter, the text between them to ICU. A piece that is
            // only prolonged-sound marks is no word.
            return self.by_runs(&text, is_japanese, emit, |run, emit| {
                for t in tiniestsegmenter::tokenize(run) {
                    if t.chars().any(|c| c != 'ー') {
                        self.emit_word(t, emit);
                    }
                }
            });
        }
        if self.spec.chinese == ChineseSegmenter::Icu {
            return self.segment(&text, emit);
        }
        // Han runs go to jieba, the text between them to ICU.
        self.by_runs(&text, is_han, emit, |run, emit| {
            for t in jieba().cut(run, true) {
                self.emit_word(t.word, emit);
            }
        });
    }

    /// Cuts each maximal run of characters for which `in_run` holds with `cut`, and the text
    /// between the runs with UAX #29 ([`Tokenizer::segment`]), in order.
    fn by_runs<E: FnMut(&str)>(
        &self,
        text: &str,
        in_run: fn(char) -> bool,
        emit: &mut E,
        mut cut: impl FnMut(&str, &mut E),
    ) {
        let mut rest = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if !in_run(c) {
                continue;
            }
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !in_run(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            self.segment(&text[rest..i], emit);
            cut(&text[i..end], emit);
            rest = end;
        }
        self.segment(&text[rest..], emit);
    }

    /// UAX #29 segmentation of `text`: word-like segments only, two of them joined by a single
    /// hyphen kept as one word.
    fn segment(&self, text: &str, emit: &mut impl FnMut(&str)) {
        if text.is_empty() {
            return;
        }
        // `word`: a word not yet emitted (it may still be joined); `hyphen`: it is followed
        // directly by one joining hyphen.
        let mut word: Option<(usize, usize)> = None;
        let mut hyphen = false;
        let mut start = 0;
        for (end, kind) in self
            .segmenter
            .segment_str(text)
            .iter_with_word_type()
            .skip(1)
        {
            let seg = &text[start..end];
            if kind.is_word_like() {
                word = match word {
                    Some((s, _)) if hyphen => Some((s, end)),
                    w => {
                        if let Some((s, e)) = w {
                            self.emit_word(&text[s..e], emit);
                        }
                        Some((start, end))
                    }
                };
                hyphen = false;
            } else if word.is_some() && !hyphen && is_joining_hyphen(seg) {
                hyphen = true;
            } else {
                if let Some((s, e)) = word.take() {
                    self.emit_word(&text[s..e], emit);
                }
                hyphen = false;
            }
            start = end;
        }
        if let Some((s, e)) = word {
            self.emit_word(&text[s..e], emit);
        }
    }

    fn emit_word(&self, w: &str, emit: &mut impl FnMut(&str)) {
        if self.spec.lowercase {
            emit(&self.case.fold_string(w))
        } else {
            emit(w)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unicode() -> Tokenizer {
        Tokenizer::new(TokenizerSpec::of(TokenizerKind::Unicode, None))
    }

    fn words(t: &Tokenizer, s: &str) -> Vec<String> {
        t.words(s)
    }

    #[test]
    fn punctuation_goes_and_joined_words_stay_whole() {
        let t = unicode();
        assert_eq!(
            words(&t, "Don't panic, he said: \"e-mail что-то\" (3.14)!"),
            ["don't", "panic", "he", "said", "e-mail", "что-то", "3.14"]
        );
        // Two hyphens, or a hyphen at the edge, do not join.
        assert_eq!(words(&t, "a--b -c d-"), ["a", "b", "c", "d"]);
    }

    #[test]
    fn russian_is_folded_and_split_from_punctuation() {
        let t = unicode();
        assert_eq!(
            words(&t, "Мужчина, любовь — Москва."),
            ["мужчина", "любовь", "москва"]
        );
    }

    #[test]
    fn full_width_forms_are_normalised() {
        let t = unicode();
        // NFKC: full-width Latin letters and digits become ASCII.
        assert_eq!(words(&t, "ＡＢＣ　１２３"), ["abc", "123"]);
    }

    #[test]
    fn chinese_is_cut_by_jieba_and_japanese_by_icu_or_tinysegmenter() {
        let t = unicode();
        assert_eq!(
            words(&t, "我们在北京大学学习。"),
            ["我们", "在", "北京大学", "学习"]
        );
        let ja = words(&t, "私は東京に住んでいます。");
        assert!(ja.len() >= 4, "{ja:?}");
        assert_eq!(ja.concat(), "私は東京に住んでいます");
        assert!(ja.contains(&"東京".to_string()), "{ja:?}");
        // TinySegmenter on request.
        let ts = Tokenizer::new(TokenizerSpec {
            japanese: JapaneseSegmenter::Tinysegmenter,
            ..TokenizerSpec::of(TokenizerKind::Unicode, None)
        });
        assert_eq!(
            words(&ts, "私は東京に住んでいます。"),
            ["私", "は", "東京", "に", "住ん", "で", "い", "ます"]
        );
        // Latin and digits between Japanese runs go to UAX #29; half-width katakana is
        // normalised first; a lone prolonged-sound mark is no word.
        assert_eq!(
            words(&ts, "Linuxｶｰﾈﾙを2010年に読んだ"),
            ["linux", "カーネル", "を", "2010", "年", "に", "読ん", "だ"]
        );
        assert_eq!(words(&ts, "ーーは"), ["は"]);
        // Model cards written before the choice existed used ICU's dictionary.
        let old: TokenizerSpec =
            serde_json::from_str(r#"{"kind": "unicode", "lowercase": true, "chinese": "jieba"}"#)
                .unwrap();
        assert_eq!(old.japanese, JapaneseSegmenter::Icu);
    }

    #[test]
    fn mixed_scripts_emoji_and_numbers() {
        let t = unicode();
        assert_eq!(
            words(&t, "GPT-4 在 2024年 发布 🎉 Ελληνικά"),
            ["gpt-4", "在", "2024", "年", "发布", "ελληνικά"]
        );
    }

    #[test]
    fn korean_words_split_at_spaces_and_arabic_at_punctuation() {
        let t = unicode();
        assert_eq!(
            words(&t, "서울은 한국의 수도이다."),
            ["서울은", "한국의", "수도이다"]
        );
        assert_eq!(words(&t, "القاهرة، مصر"), ["القاهرة", "مصر"]);
    }

    #[test]
    fn thai_is_segmented() {
        let t = unicode();
        assert_eq!(words(&t, "ทุกสองสัปดาห์"), ["ทุก", "สอง", "สัปดาห์"]);
    }

    /// Lao, Khmer and Burmese are written without spaces between words too: ICU's models cut
    /// each phrase into several words that together give the phrase back.
    #[test]
    fn lao_khmer_and_burmese_are_segmented() {
        let t = unicode();
        for phrase in ["ສະບາຍດີທຸກຄົນ", "សួស្តីពិភពលោក", "မင်္ဂလာပါကမ္ဘာ"]
        {
            let got = words(&t, phrase);
            assert!(got.len() >= 2, "{phrase}: {got:?}");
            assert_eq!(got.concat(), phrase, "{phrase}: {got:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let t = unicode();
        let mut out = vec![];
        let s = t.line(b"ab\xffcd \xc3 ok", &mut |w| out.push(w.to_owned()));
        assert_eq!(out, ["ab", "cd", "ok"]);
        assert_eq!(
            s,
            LineStats {
                tokens: 3,
                invalid: 2
            }
        );
    }

    #[test]
    fn whitespace_mode_keeps_bytes_and_folds_on_request() {
        let ws = Tokenizer::new(TokenizerSpec::default());
        assert_eq!(words(&ws, "Hello, World!\tx"), ["Hello,", "World!", "x"]);
        let folded = Tokenizer::new(TokenizerSpec {
            lowercase: true,
            ..TokenizerSpec::default()
        });
        assert_eq!(words(&folded, "Hello, СЛОВО"), ["hello,", "слово"]);
        assert!(!TokenizerSpec::default().rewrites());
    }

    #[test]
    fn query_words_are_normalised_or_reported_split() {
        let t = unicode();
        assert_eq!(t.word("Москва"), WordForm::One("москва".into()));
        assert_eq!(
            t.word("北京大学生"),
            WordForm::Split(vec!["北京".into(), "大学生".into()])
        );
        assert_eq!(t.word("!!"), WordForm::Empty);
    }

    #[test]
    fn icu_can_cut_chinese_too() {
        let t = Tokenizer::new(TokenizerSpec {
            chinese: ChineseSegmenter::Icu,
            ..unicode().spec()
        });
        let w = words(&t, "我们在北京大学学习");
        assert_eq!(w.concat(), "我们在北京大学学习");
        assert!(w.len() >= 3, "{w:?}");
    }
}
