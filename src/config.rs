//! Training settings: one struct, used by the library, the command line and saved metadata.
//!
//! Every default lives in [`defaults`]; `impl Default`, clap and serde all read it from there.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::text::tokenize::{
    ChineseSegmenter, JapaneseSegmenter, TokenizerKind, TokenizerSpec,
};

/// The default value of every setting, defined once.
pub mod defaults {
    /// Embedding dimensionality.
    pub const DIM: usize = 100;
    /// Maximum window radius (the radius of each centre word is drawn from `1..=WINDOW`).
    pub const WINDOW: usize = 5;
    /// Negative samples per positive example.
    pub const NEGATIVE: usize = 5;
    /// Words occurring fewer times are dropped from the vocabulary.
    pub const MIN_COUNT: u64 = 5;
    /// Subsampling threshold `s` (0 disables subsampling).
    pub const SAMPLE: f64 = 1e-3;
    /// Passes over the corpus.
    pub const EPOCHS: usize = 5;
    /// Starting learning rate for skip-gram.
    pub const LR_SKIPGRAM: f32 = 0.025;
    /// Starting learning rate for CBOW.
    pub const LR_CBOW: f32 = 0.05;
    /// Exponent applied to word counts for the noise distribution.
    pub const NS_POWER: f64 = 0.75;
    /// Seed of the per-thread random number generators.
    pub const SEED: u64 = 1;
    /// The learning rate never falls below `lr * MIN_LR_FRACTION`.
    pub const MIN_LR_FRACTION: f32 = 1e-4;
    /// The fraction of the run trained at the starting lr before the linear decay begins:
    /// none, word2vec.c's schedule. A hold of 1/3 for skip-gram gained analogies on small
    /// corpora, a gain that shrank as the corpus grew while its cost on similarity grew
    /// (benchsuite/NOTES.md, "Similarity, corpus size and a word2vec.c preset").
    pub const LR_HOLD: f32 = 0.0;
    /// The hold skip-gram with shared negatives had by default before 2026-12 (checkpoints
    /// written then resume with it).
    pub const LR_HOLD_SKIPGRAM_NS_2026_11: f32 = 1.0 / 3.0;
    /// Skip-gram with shared negatives and CBOW with negative sampling train every centre
    /// rarer than this relative frequency with every context word within the full window
    /// (measured: benchsuite/NOTES.md, "Rare centres"; 1.5e-5 is about 250 occurrences in the
    /// 17M-token corpus it was measured on).
    pub const RARE_CENTRE_THRESHOLD: f64 = 1.5e-5;
    /// Skip-gram with shared negatives counts a centre as rare below this many occurrences in
    /// the corpus (what 1.5e-5 meant in the 17M-token corpus it was measured on): a word's
    /// need for more contexts depends on how often it was seen, not on its share, so the rule
    /// covers fewer tokens as the corpus grows (benchsuite/NOTES.md, "Similarity, corpus size
    /// and a word2vec.c preset").
    pub const RARE_CENTRE_COUNT: u64 = 250;
    /// Skip-gram with shared negatives gives those rare centres a window of this many times
    /// `--window` (measured: benchsuite/NOTES.md, "A wider window for rare centres")...
    pub const RARE_CENTRE_RADIUS_FACTOR: usize = 2;
    /// ... but no wider than this many positions (and never narrower than `--window`): the
    /// distant contexts that help reach about 10 positions whatever the window (at window 5
    /// radius 15 scored below 10; at window 10 radius 20 below 10 on all three sets:
    /// benchsuite/NOTES.md, "The rare-centre radius at wide windows").
    pub const RARE_CENTRE_RADIUS_MAX: usize = 10;
    /// Skip-gram with negative sampling shares one draw of negatives per window.
    pub const SHARED_NEGATIVES: bool = true;
    /// Shared negatives step the positive with the negatives, as one minibatch (in turn gained
    /// similarity on small corpora and wide windows only: benchsuite/NOTES.md, "The positive
    /// in turn").
    pub const POSITIVE_STEPS: super::PositiveSteps = super::PositiveSteps::Batch;
    /// With shared negatives, a window's contexts as one minibatch however many there are.
    pub const BATCH_CONTEXTS: usize = 0;
    /// Sentences longer than this many tokens are cut into consecutive pieces.
    pub const MAX_SENTENCE_TOKENS: usize = 10_000;
    /// word2vec.c's cut (`MAX_SENTENCE_LENGTH`), restored by `--preset word2vec`.
    pub const WORD2VEC_SENTENCE_TOKENS: usize = 1_000;
    /// Shortest character n-gram of a subword model (fastText's default).
    pub const MINN: usize = 3;
    /// Longest character n-gram of a subword model (fastText's default).
    pub const MAXN: usize = 6;
    /// Hash buckets of a subword model's n-gram rows (fastText's default): `BUCKETS × dim`
    /// floats, 800 MB at dim 100.
    pub const BUCKETS: usize = 2_000_000;
}

/// The largest value each size-like setting accepts: beyond these a run could only fail
/// (allocations of terabytes, more threads than any machine has) or never finish.
pub mod limits {
    /// `--dim`.
    pub const DIM: usize = 100_000;
    /// `--window` and `--rare-centre-radius`.
    pub const WINDOW: usize = 1_000;
    /// `--negative`.
    pub const NEGATIVE: usize = 1_000;
    /// `--epochs`.
    pub const EPOCHS: usize = 10_000;
    /// `--threads`.
    pub const THREADS: usize = 1_024;
    /// `--max-vocab`: word ids are 32-bit.
    pub const MAX_VOCAB: usize = u32::MAX as usize;
    /// Hash buckets of a subword model (rows are numbered in 32 bits, words first).
    pub const BUCKETS: usize = 1 << 31;
    /// The longest character n-gram.
    pub const MAXN: usize = 100;
}

/// Which word2vec architecture to train.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Skip-gram: each word predicts its neighbours (word2vec.c's pairing: the context word's
    /// input vector predicts the centre word).
    #[default]
    #[cfg_attr(feature = "cli", value(name = "skipgram", alias = "sg"))]
    SkipGram,
    /// CBOW: the mean of the context input vectors predicts the centre word.
    Cbow,
}

/// How the output matrix (the vectors words have when predicted) starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OutputInit {
    /// All zeros, as word2vec.c, fastText and gensim start it.
    Zero,
    /// Uniform in `±1/dim`, as finalfrontier starts it. With CBOW and negative sampling this
    /// scored higher on both analogies and WordSim-353 across seeds (benchsuite/NOTES.md).
    Uniform,
}

/// With shared negatives, how skip-gram steps the window's output rows (the centre's, the
/// positive, and the negatives') over its context words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum PositiveSteps {
    /// Pair after pair, each context word scored against the row the earlier pairs left (as
    /// word2vec.c steps it); the negatives stay one minibatch.
    InTurn,
    /// With the negatives, in one minibatch: every score from the row before the window.
    Batch,
    /// Every output row (the positive and the shared negatives) stepped pair after pair:
    /// word2vec.c's per-pair SGD, with one draw of negatives for the window (similarity up,
    /// analogies down; slower).
    Pairs,
}

/// Whose algorithm the settings left unset follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// w2v's measured defaults (benchsuite/NOTES.md): shared negatives (skip-gram), the wider
    /// window for rare centres, uniform output vectors (CBOW), sentences cut at 10,000 tokens.
    #[default]
    W2v,
    /// word2vec.c's algorithm, to reproduce published setups: fresh negatives for every pair,
    /// a linear lr decay from the first word, the drawn window radius for every centre, output
    /// vectors starting at zero, sentences cut at 1,000 tokens. Options given explicitly still
    /// apply; the noise sampler and the threads stay w2v's.
    Word2vec,
}

/// Where the rare-centre rule cuts (see [`TrainConfig::effective_rare_centre_cut`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RareCut {
    /// No rare-centre rule.
    Off,
    /// Below this relative frequency (count / in-vocabulary tokens).
    Relative(f64),
    /// Below this many occurrences.
    Count(u64),
}

/// Which vectors a run saves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum VectorsFrom {
    /// The input vectors (word2vec.c's, gensim's and fastText's output).
    #[default]
    Input,
    /// Each word's input plus output vector (Levy, Goldberg & Dagan 2015's "w + c", GloVe's
    /// `-model 2`). Needs one output vector per word: negative sampling or the full softmax.
    #[cfg_attr(feature = "cli", value(name = "input+output", alias = "w+c"))]
    #[serde(rename = "input+output")]
    InputPlusOutput,
}

/// The training loss: how the probability of the predicted word is modelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Negative sampling: one binary decision for the true word and one per noise word,
    /// O(k+1) per prediction. Reported loss: `−log σ(u_o·h) − Σ_j log σ(−u_{n_j}·h)`.
    #[default]
    Ns,
    /// Hierarchical softmax over a Huffman tree: one binary decision per inner node on the
    /// word's path, O(log V). Reported loss: `−log p(word)`, the sum over the path.
    Hs,
    /// The exact softmax over the whole vocabulary, O(V): the baseline the others approximate.
    /// Reported loss: `−log p(word)` (log-sum-exp, numerically stable).
    Softmax,
}

/// Vocabularies above this size make `--loss softmax` very slow (it is O(V) per prediction).
pub const SOFTMAX_WARN_WORDS: usize = 10_000;

fn is_false(b: &bool) -> bool {
    !*b
}

/// Hyper-parameters of one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Model architecture.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = ModelKind::SkipGram))]
    pub model: ModelKind,
    /// Loss: negative sampling, hierarchical softmax or the full softmax.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = Loss::Ns))]
    pub loss: Loss,
    /// Embedding dimensionality.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::DIM))]
    pub dim: usize,
    /// Maximum window radius; each centre word draws its radius uniformly from 1..=window.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::WINDOW))]
    pub window: usize,
    /// Negative samples per positive example.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::NEGATIVE))]
    pub negative: usize,
    /// Drop words that occur fewer times than this.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::MIN_COUNT))]
    pub min_count: u64,
    /// Keep only the N most frequent words (also bounds memory while counting).
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    pub max_vocab: Option<usize>,
    /// Subsampling threshold for frequent words (0 disables).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::SAMPLE))]
    pub sample: f64,
    /// Passes over the corpus.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::EPOCHS))]
    pub epochs: usize,
    /// Starting learning rate [default: 0.025 for skip-gram, 0.05 for CBOW].
    #[cfg_attr(feature = "cli", arg(long, value_name = "F"))]
    pub lr: Option<f32>,
    /// Fraction of the run trained at the starting lr before its linear decay to zero begins
    /// [default: 0, word2vec.c's decay from the first word. 1/3, the skip-gram default before
    /// 2026-12, gained analogies on small corpora (+0.8 pt at 25 MB) but less as the corpus grew,
    /// while it cost SimLex-999 more; benchsuite/NOTES.md].
    #[cfg_attr(feature = "cli", arg(long, value_name = "F"))]
    #[serde(default = "legacy_lr_hold")]
    pub lr_hold: Option<f32>,
    /// A centre rarer than this relative frequency (count / in-vocabulary tokens) trains with
    /// every context word within --rare-centre-radius, not only within the radius the dynamic
    /// window drew [default for CBOW with negative sampling: 1.5e-5 (four seeds: analogies
    /// 0.367 -> 0.377, WordSim-353 0.669 -> 0.686; a gain that grew with the corpus); skip-gram
    /// uses --rare-centre-count instead; off otherwise and with --preset word2vec;
    /// benchsuite/NOTES.md, "Rare centres"]. 0 turns the rule off. Its old name
    /// --rare-centre-window is still accepted.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "F", alias = "rare-centre-window")
    )]
    #[serde(default = "legacy_rare_window", alias = "rare_centre_window")]
    pub rare_centre_threshold: Option<f64>,
    /// A centre seen fewer than N times in the corpus trains with every context word within
    /// --rare-centre-radius [default for skip-gram with negative sampling and shared negatives:
    /// 250 (the rule's gain: +3.0 pt analogies, +3.4 WordSim-353, SimLex-999 level at 17M
    /// tokens; a count, so that it covers fewer words as the corpus grows; it adds topical
    /// co-occurrence between rare words: +4 to +8 on Chinese and Russian relatedness sets,
    /// −1.6 on Japanese JWSD nouns at 30M tokens but +7.7 on a third of that text: past
    /// about 25M tokens, for similarity, give 0; docs/raw-text.md); off with --subwords
    /// (at 17M tokens the rule costs subword vectors 3.6 / 3.3 / 2.6 points of analogies /
    /// WordSim-353 / SimLex-999, a cost that grows with the corpus; on a 4M-token corpus it
    /// gains 0.9 / 4.9 / 1.1: give 250 there), otherwise and with --preset word2vec;
    /// benchsuite/NOTES.md]. 0 turns the rule off. Not with --rare-centre-threshold.
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rare_centre_count: Option<u64>,
    /// The radius of a rare centre's window (see --rare-centre-count): it trains with every
    /// context word within this many positions; a value below --window means --window
    /// [default: 2 × --window, at most 10 (never below --window), for skip-gram with negative
    /// sampling and shared negatives (at window 5, nine seeds: analogies 0.395 -> 0.412 and
    /// WordSim-353 0.692 -> 0.696 against the window's radius, for ~12% more CPU time; at
    /// window 10, 20 scored below 10 on all three sets), --window otherwise and with --preset
    /// word2vec; benchsuite/NOTES.md, "A wider window for rare centres" and "The rare-centre
    /// radius at wide windows"].
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    #[serde(default = "legacy_rare_radius")]
    pub rare_centre_radius: Option<usize>,
    /// Skip-gram with shared negatives: a centre and a context word both rarer than this
    /// relative frequency train together at any distance within --window [default: 0, off;
    /// the default before --rare-centre-threshold, which scores higher (benchsuite/NOTES.md)].
    /// Its old name --rare-full-window is still accepted.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "F", alias = "rare-full-window")
    )]
    #[serde(default = "legacy_rare_window", alias = "rare_full_window")]
    pub rare_pair_threshold: Option<f64>,
    /// Exponent of the unigram noise distribution.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::NS_POWER))]
    pub ns_power: f64,
    /// Skip-gram with negative sampling: the context words of one window share one draw of
    /// negatives and train as one minibatch (HogBatch), about 1.6x faster and slightly more
    /// accurate (benchsuite/NOTES.md) [default: true; false with --preset word2vec]; `false`
    /// gives word2vec.c's fresh negatives per pair. CBOW and the other losses already make one
    /// prediction per window and ignore it.
    // A value is required (`--shared-negatives false`): an optional one made the flag look
    // like a switch and swallow the next argument (`--shared-negatives corpus.txt`).
    #[cfg_attr(feature = "cli", arg(long, value_name = "BOOL", action = clap::ArgAction::Set))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_negatives: Option<bool>,
    /// With shared negatives, how the window's output rows are stepped: `batch` (one
    /// minibatch, every score from the rows before the window), `in-turn` (the centre's row
    /// pair after pair, as word2vec.c; the negatives stay one minibatch) or `pairs` (every
    /// output row pair after pair: word2vec.c's per-pair SGD with one draw of negatives per
    /// window; at the reference settings, three seeds at 25 / 50 / 100 MB: SimLex-999 +1.7 /
    /// +0.7 / +1.2, analogies −0.5 / −1.1 / −1.7, WordSim-353 −2.5 / −1.3 / −0.5, 0.67× the
    /// words/s; benchsuite/NOTES.md, "Every output row in turn") [default: batch;
    /// in-turn gains +0.2 to +0.3 points of SimLex-999 at the reference settings (dim 100,
    /// window 5), costs WordSim-353 on small corpora and trains 15-18% slower; at dim 300,
    /// window 10 it gained +1.0 to +1.9 with rare centres reaching 20 positions, nothing beyond
    /// noise with today's cap of 10; benchsuite/NOTES.md, "Skip-gram at dim 300, window 10"
    /// and "The rare-centre radius at wide windows"].
    #[cfg_attr(feature = "cli", arg(long, value_enum, value_name = "HOW"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive_steps: Option<PositiveSteps>,
    /// With shared negatives, the most context words one minibatch holds: a window with more
    /// (a wide window, or a rare centre's) is split into equal parts of at most N, each with
    /// its own draw of negatives and the centre's output row stepped between them [default: 0,
    /// the whole window as one minibatch; 3 to 10 gain SimLex-999 mostly on small corpora
    /// (+0.7 to +1.2 points at 4M tokens; 5 and 10 at 17M at most +0.8, for 1 point of
    /// analogies) and train 9-46% slower; benchsuite/NOTES.md, "Skip-gram's SimLex-999: fresh
    /// negatives per part of the window"].
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_contexts: Option<usize>,
    /// How the output vectors start [default: uniform for CBOW with negative sampling (measured
    /// better there), zero otherwise and with --preset word2vec (word2vec.c's choice)]. Input
    /// vectors always start uniform in ±0.5/dim.
    #[cfg_attr(feature = "cli", arg(long, value_enum, value_name = "INIT"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_init: Option<OutputInit>,
    /// Random seed; with --threads 1 (or --deterministic) the output is bit-identical run to run.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = defaults::SEED))]
    pub seed: u64,
    /// Whose algorithm the options not given follow: w2v's measured defaults, or word2vec.c's
    /// (per-pair negatives, linear lr decay from the first word, the drawn radius for every
    /// centre, zero output vectors, 1,000-token sentences) to reproduce published setups.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = Preset::W2v))]
    #[serde(skip_serializing_if = "is_default_preset")]
    pub preset: Preset,
    /// The vectors saved: the input vectors, or input + output ("w + c", Levy et al. 2015;
    /// negative sampling or the full softmax only).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = VectorsFrom::Input))]
    #[serde(skip_serializing_if = "is_default_vectors")]
    pub vectors_from: VectorsFrom,
    /// How the text is cut into words: `whitespace` (word2vec.c's rule: runs of bytes between
    /// ASCII whitespace, for text tokenised already) or `unicode` (raw text in any language:
    /// NFKC, Unicode word boundaries with dictionaries for Chinese and Japanese, punctuation
    /// dropped, case-folded; tokenised once, into a copy that every epoch reads). Queries and
    /// evaluation cut their words the same way (the model card records it).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = TokenizerKind::Whitespace))]
    #[serde(skip_serializing_if = "is_default_tokenizer")]
    pub tokenizer: TokenizerKind,
    /// Case-fold every word [default: true with --tokenizer unicode, false with whitespace].
    #[cfg_attr(feature = "cli", arg(long, value_name = "BOOL", action = clap::ArgAction::Set))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowercase: Option<bool>,
    /// With --tokenizer unicode: the dictionary that cuts Chinese (Han text in lines without
    /// kana). jieba keeps more words whole on the UD Chinese treebank (benchsuite/NOTES.md,
    /// "Tokenizer accuracy").
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = ChineseSegmenter::Jieba))]
    #[serde(skip_serializing_if = "is_default_chinese")]
    pub chinese_segmenter: ChineseSegmenter,
    /// With --tokenizer unicode: what cuts Japanese (lines with kana): ICU's dictionary, or
    /// TinySegmenter's model, closer to the UD Japanese treebank's words (F1 0.87 against
    /// 0.75) but lower on the Japanese similarity sets (benchsuite/NOTES.md).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = JapaneseSegmenter::Icu))]
    #[serde(skip_serializing_if = "is_default_japanese")]
    pub japanese_segmenter: JapaneseSegmenter,
    /// Subword vectors (fastText's model): a word's input vector is the mean of its own row
    /// and the rows of its character n-grams (--minn..--maxn characters, hashed into
    /// --buckets rows), so that rare and unseen words get vectors. Writes OUTPUT.bin in
    /// fastText's model format (fastText and gensim load it) and OUTPUT.vec. The n-gram rows
    /// take --buckets × --dim floats: 800 MB at the defaults.
    #[cfg_attr(feature = "cli", arg(long))]
    #[serde(skip_serializing_if = "is_false")]
    pub subwords: bool,
    /// With --subwords: the shortest character n-gram.
    #[cfg_attr(feature = "cli", arg(long, value_name = "N", default_value_t = defaults::MINN))]
    #[serde(skip_serializing_if = "is_default_minn")]
    pub minn: usize,
    /// With --subwords: the longest character n-gram (0: none, word rows only).
    #[cfg_attr(feature = "cli", arg(long, value_name = "N", default_value_t = defaults::MAXN))]
    #[serde(skip_serializing_if = "is_default_maxn")]
    pub maxn: usize,
    /// With --subwords: the hash buckets, rows shared by all n-grams (each --dim floats; fewer
    /// buckets, less memory and more collisions).
    #[cfg_attr(feature = "cli", arg(long, value_name = "N", default_value_t = defaults::BUCKETS))]
    #[serde(skip_serializing_if = "is_default_buckets")]
    pub buckets: usize,
}

fn is_default_minn(n: &usize) -> bool {
    *n == defaults::MINN
}

fn is_default_maxn(n: &usize) -> bool {
    *n == defaults::MAXN
}

fn is_default_buckets(n: &usize) -> bool {
    *n == defaults::BUCKETS
}

fn is_default_tokenizer(t: &TokenizerKind) -> bool {
    *t == TokenizerKind::Whitespace
}

fn is_default_chinese(c: &ChineseSegmenter) -> bool {
    *c == ChineseSegmenter::Jieba
}

fn is_default_japanese(j: &JapaneseSegmenter) -> bool {
    *j == JapaneseSegmenter::Icu
}

fn is_default_preset(p: &Preset) -> bool {
    *p == Preset::W2v
}

fn is_default_vectors(v: &VectorsFrom) -> bool {
    *v == VectorsFrom::Input
}

/// Settings saved before `lr_hold` existed (checkpoints, metadata) ran word2vec.c's linear
/// decay from the start: a resumed run keeps its schedule.
fn legacy_lr_hold() -> Option<f32> {
    Some(0.0)
}

/// Settings saved before `rare_centre_threshold` (or `rare_pair_threshold`) existed trained every
/// pair within the drawn radius only: a resumed run keeps doing so.
fn legacy_rare_window() -> Option<f64> {
    Some(0.0)
}

/// Settings saved before `rare_centre_radius` existed gave a rare centre the full window
/// (0: the window's radius): a resumed run keeps doing so.
fn legacy_rare_radius() -> Option<usize> {
    Some(0)
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            model: ModelKind::SkipGram,
            loss: Loss::Ns,
            dim: defaults::DIM,
            window: defaults::WINDOW,
            negative: defaults::NEGATIVE,
            min_count: defaults::MIN_COUNT,
            max_vocab: None,
            sample: defaults::SAMPLE,
            epochs: defaults::EPOCHS,
            lr: None,
            lr_hold: None,
            rare_centre_threshold: None,
            rare_centre_count: None,
            rare_centre_radius: None,
            rare_pair_threshold: None,
            ns_power: defaults::NS_POWER,
            seed: defaults::SEED,
            shared_negatives: None,
            positive_steps: None,
            batch_contexts: None,
            output_init: None,
            preset: Preset::W2v,
            vectors_from: VectorsFrom::Input,
            tokenizer: TokenizerKind::Whitespace,
            lowercase: None,
            chinese_segmenter: ChineseSegmenter::Jieba,
            japanese_segmenter: JapaneseSegmenter::Icu,
            subwords: false,
            minn: defaults::MINN,
            maxn: defaults::MAXN,
            buckets: defaults::BUCKETS,
        }
    }
}

impl TrainConfig {
    /// The tokenizer these settings describe (`--lowercase` resolved).
    pub fn tokenizer_spec(&self) -> TokenizerSpec {
        TokenizerSpec {
            chinese: self.chinese_segmenter,
            japanese: self.japanese_segmenter,
            ..TokenizerSpec::of(self.tokenizer, self.lowercase)
        }
    }

    /// Checks every setting; the error names the offending option. (Long: one flat check per
    /// option, in the struct's order, so that a new option's rule goes beside the others.)
    pub fn validate(&self) -> Result<()> {
        let positive = |field, v: usize| {
            if v == 0 {
                Err(Error::config(field, "must be at least 1"))
            } else {
                Ok(())
            }
        };
        positive("dim", self.dim)?;
        positive("window", self.window)?;
        if self.loss == Loss::Ns {
            positive("negative", self.negative)?;
        }
        positive("epochs", self.epochs)?;
        let at_most = |field, v: usize, max: usize| {
            if v > max {
                Err(Error::config(field, format!("must be at most {max}")))
            } else {
                Ok(())
            }
        };
        at_most("dim", self.dim, limits::DIM)?;
        at_most("window", self.window, limits::WINDOW)?;
        at_most("negative", self.negative, limits::NEGATIVE)?;
        at_most("epochs", self.epochs, limits::EPOCHS)?;
        if let Some(m) = self.max_vocab {
            at_most("max-vocab", m, limits::MAX_VOCAB)?;
        }
        if self.min_count == 0 {
            return Err(Error::config("min-count", "must be at least 1"));
        }
        if self.max_vocab == Some(0) {
            return Err(Error::config("max-vocab", "must be at least 1"));
        }
        if !(self.sample.is_finite() && self.sample >= 0.0) {
            return Err(Error::config("sample", "must be a finite number >= 0"));
        }
        if let Some(lr) = self.lr
            && !(lr.is_finite() && lr > 0.0)
        {
            return Err(Error::config("lr", "must be a finite number > 0"));
        }
        if let Some(h) = self.lr_hold
            && !(h.is_finite() && (0.0..1.0).contains(&h))
        {
            return Err(Error::config(
                "lr-hold",
                "must be a number from 0 up to (not including) 1",
            ));
        }
        for (name, value) in [
            ("rare-pair-threshold", self.rare_pair_threshold),
            ("rare-centre-threshold", self.rare_centre_threshold),
        ] {
            if let Some(f) = value
                && !(f.is_finite() && (0.0..1.0).contains(&f))
            {
                return Err(Error::config(
                    name,
                    "must be a relative frequency from 0 up to (not including) 1",
                ));
            }
        }
        if self.rare_centre_threshold.is_some() && self.rare_centre_count.is_some() {
            return Err(Error::config(
                "rare-centre-count",
                "give it or --rare-centre-threshold, not both",
            ));
        }
        if let Some(r) = self.rare_centre_radius {
            at_most("rare-centre-radius", r, limits::WINDOW)?;
        }
        if let Some(b) = self.batch_contexts {
            at_most("batch-contexts", b, 2 * limits::WINDOW)?;
        }
        if !(self.ns_power.is_finite() && (0.0..=4.0).contains(&self.ns_power)) {
            return Err(Error::config("ns-power", "must be between 0 and 4"));
        }
        if self.vectors_from == VectorsFrom::InputPlusOutput && self.loss == Loss::Hs {
            return Err(Error::config(
                "vectors-from",
                "input+output needs one output vector per word (--loss ns or softmax); \
                 hierarchical softmax's output vectors belong to tree nodes",
            ));
        }
        self.validate_subwords()
    }

    /// The n-gram settings (with `--subwords`; ignored without).
    fn validate_subwords(&self) -> Result<()> {
        if !self.subwords {
            return Ok(());
        }
        if self.vectors_from == VectorsFrom::InputPlusOutput {
            return Err(Error::config(
                "vectors-from",
                "input+output is not defined for --subwords (a word's vector is the mean of \
                 its n-gram rows)",
            ));
        }
        if self.maxn > 0 {
            if self.minn == 0 {
                return Err(Error::config("minn", "must be at least 1"));
            }
            if self.maxn < self.minn {
                return Err(Error::config(
                    "maxn",
                    format!("must be at least --minn ({}), or 0 for none", self.minn),
                ));
            }
            if self.maxn > limits::MAXN {
                return Err(Error::config(
                    "maxn",
                    format!("must be at most {}", limits::MAXN),
                ));
            }
            if self.buckets == 0 {
                return Err(Error::config("buckets", "must be at least 1"));
            }
        }
        if self.buckets > limits::BUCKETS {
            return Err(Error::config(
                "buckets",
                format!("must be at most {}", limits::BUCKETS),
            ));
        }
        Ok(())
    }

    /// The n-gram settings of a subword model (`None` without `--subwords`).
    pub fn ngram_spec(&self) -> Option<crate::text::subword::NgramSpec> {
        self.subwords.then_some(crate::text::subword::NgramSpec {
            minn: self.minn,
            maxn: self.maxn,
            buckets: if self.maxn == 0 { 0 } else { self.buckets },
        })
    }

    /// The starting learning rate: `--lr`, else 0.025 for skip-gram and 0.05 for CBOW.
    pub fn effective_lr(&self) -> f32 {
        self.lr.unwrap_or(match self.model {
            ModelKind::SkipGram => defaults::LR_SKIPGRAM,
            ModelKind::Cbow => defaults::LR_CBOW,
        })
    }

    /// Skip-gram with negative sampling and shared negatives: the path the rare-centre count
    /// and the wider radius were measured on, and the only one they default to.
    fn is_shared_negatives_path(&self) -> bool {
        self.model == ModelKind::SkipGram
            && self.loss == Loss::Ns
            && self.effective_shared_negatives()
    }

    /// Whether w2v's own defaults apply to the options left unset (not `--preset word2vec`).
    fn w2v_defaults(&self) -> bool {
        self.preset == Preset::W2v
    }

    /// Whether skip-gram windows share one draw of negatives: `--shared-negatives`, else true
    /// (false with `--preset word2vec`).
    pub fn effective_shared_negatives(&self) -> bool {
        self.shared_negatives
            .unwrap_or(self.w2v_defaults() && defaults::SHARED_NEGATIVES)
    }

    /// How shared negatives step the positive: `--positive-steps`, else as one minibatch.
    pub fn effective_positive_steps(&self) -> PositiveSteps {
        self.positive_steps.unwrap_or(defaults::POSITIVE_STEPS)
    }

    /// With shared negatives, the most context words in one minibatch: `--batch-contexts`,
    /// else 0 (the whole window).
    pub fn effective_batch_contexts(&self) -> usize {
        self.batch_contexts.unwrap_or(defaults::BATCH_CONTEXTS)
    }

    /// The longest sentence trained as one piece: 10,000 tokens, 1,000 (word2vec.c's) with
    /// `--preset word2vec`.
    pub fn effective_sentence_tokens(&self) -> usize {
        if self.w2v_defaults() {
            defaults::MAX_SENTENCE_TOKENS
        } else {
            defaults::WORD2VEC_SENTENCE_TOKENS
        }
    }

    /// The fraction of the run at the starting lr: `--lr-hold`, else 0 (linear decay from the
    /// start, as word2vec.c).
    pub fn effective_lr_hold(&self) -> f32 {
        self.lr_hold.unwrap_or(defaults::LR_HOLD)
    }

    /// Settings saved before 2026-12 with the lr hold or the rare-centre cut unset ran
    /// skip-gram with shared negatives at that time's defaults (a hold of 1/3, a relative cut
    /// at 1.5e-5): pins them, so that such a checkpoint resumes as it started.
    pub(crate) fn pin_defaults_of_2026_11(&mut self) {
        if self.is_shared_negatives_path() {
            self.lr_hold
                .get_or_insert(defaults::LR_HOLD_SKIPGRAM_NS_2026_11);
            if self.rare_centre_count.is_none() {
                self.rare_centre_threshold
                    .get_or_insert(defaults::RARE_CENTRE_THRESHOLD);
            }
        }
    }

    /// Settings saved before 2026-12-04 with the rare-centre radius unset gave skip-gram's rare
    /// centres twice the window however wide (now at most 10): pins it, so that such a
    /// checkpoint resumes as it started.
    pub(crate) fn pin_defaults_of_2026_12_03(&mut self) {
        if self.w2v_defaults() && self.is_shared_negatives_path() {
            self.rare_centre_radius
                .get_or_insert((defaults::RARE_CENTRE_RADIUS_FACTOR * self.window).min(1_000));
        }
    }

    /// Settings saved before 2026-12-05 with the rare-centre cut unset ran subword skip-gram
    /// with shared negatives with the rule at 250 occurrences (now off): pins it, so that such
    /// a checkpoint resumes as it started.
    pub(crate) fn pin_defaults_of_2026_12_04(&mut self) {
        if self.w2v_defaults()
            && self.is_shared_negatives_path()
            && self.subwords
            && self.rare_centre_threshold.is_none()
        {
            self.rare_centre_count
                .get_or_insert(defaults::RARE_CENTRE_COUNT);
        }
    }

    /// The relative frequency below which pairs of words train across the full window:
    /// `--rare-pair-threshold`, else 0 (off).
    pub fn effective_rare_pair_threshold(&self) -> f64 {
        self.rare_pair_threshold.unwrap_or(0.0)
    }

    /// The radius of a rare centre's window: `--rare-centre-radius` (at least `--window`), else
    /// twice the window but at most 10 for skip-gram with shared negatives, where it was
    /// measured, and the window otherwise.
    pub fn effective_rare_centre_radius(&self) -> usize {
        let r = self.rare_centre_radius.unwrap_or(
            if self.w2v_defaults() && self.is_shared_negatives_path() {
                (defaults::RARE_CENTRE_RADIUS_FACTOR * self.window)
                    .min(defaults::RARE_CENTRE_RADIUS_MAX)
            } else {
                self.window
            },
        );
        r.max(self.window)
    }

    /// Where the rare-centre rule cuts: `--rare-centre-threshold` (relative) or
    /// `--rare-centre-count`, else 250 occurrences for skip-gram with shared negatives (without
    /// `--subwords`, whose vectors score lower with the rule from 50 MB up), relative frequency
    /// 1.5e-5 for CBOW with negative sampling (where each was measured), off otherwise and with
    /// `--preset word2vec`.
    pub fn effective_rare_centre_cut(&self) -> RareCut {
        let cut = match (self.rare_centre_threshold, self.rare_centre_count) {
            (Some(f), _) => RareCut::Relative(f),
            (None, Some(n)) => RareCut::Count(n),
            (None, None) if !self.w2v_defaults() => RareCut::Off,
            (None, None) if self.is_shared_negatives_path() && !self.subwords => {
                RareCut::Count(defaults::RARE_CENTRE_COUNT)
            }
            (None, None) if self.model == ModelKind::Cbow && self.loss == Loss::Ns => {
                RareCut::Relative(defaults::RARE_CENTRE_THRESHOLD)
            }
            (None, None) => RareCut::Off,
        };
        match cut {
            RareCut::Relative(f) if f <= 0.0 => RareCut::Off,
            RareCut::Count(0) => RareCut::Off,
            c => c,
        }
    }

    /// The count below which a centre is rare in a corpus of `total` in-vocabulary tokens
    /// (0: the rule is off).
    pub fn rare_centre_below(&self, total: u64) -> f64 {
        match self.effective_rare_centre_cut() {
            RareCut::Off => 0.0,
            RareCut::Relative(f) => f * total as f64,
            RareCut::Count(n) => n as f64,
        }
    }

    /// How the output matrix starts: `--output-init`, else uniform for CBOW with negative
    /// sampling and zero otherwise.
    pub fn effective_output_init(&self) -> OutputInit {
        self.output_init.unwrap_or(
            if self.w2v_defaults() && self.model == ModelKind::Cbow && self.loss == Loss::Ns {
                OutputInit::Uniform
            } else {
                OutputInit::Zero
            },
        )
    }
}

/// How a run is carried out: its threads, the deterministic mode, monitoring. None of these
/// describes the model: [`TrainConfig`] does (the seed included). Saved apart from it, beside
/// the model card's `config` and in checkpoints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Worker threads [default: the number of cores].
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    pub threads: Option<usize>,
    /// Bit-identical output for the same seed and thread count, run to run, with any number
    /// of threads: threads train in rounds on private copies of the rows they touch, merged in
    /// a fixed order (slower than the default Hogwild training; docs/training.md).
    #[cfg_attr(feature = "cli", arg(long))]
    #[serde(skip_serializing_if = "is_false")]
    pub deterministic: bool,
    /// Monitoring: score these analogy questions (questions-words format, 30,000 most frequent
    /// words, 3CosAdd, case-insensitive) at the end of every epoch, beside the loss.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eval_analogies: Option<std::path::PathBuf>,
    /// With a tokenizer that rewrites the text (--tokenizer unicode, --lowercase true): keep
    /// the tokenised copy of the corpus in DIR, and reuse the copy found there for the same
    /// corpus and tokenizer [default: the system's temporary directory, removed when the run
    /// ends; kept while a checkpoint needs it]. It takes about as much disk as the text.
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_dir: Option<std::path::PathBuf>,
    /// Training on several MPI ranks (`mpirun -np N w2v train`, a build with `--features
    /// mpi`): words each rank trains between two syncs of the model [default: 50000]. Every
    /// sync averages the ranks' changes to the most frequent words' rows; every row is
    /// averaged when an epoch ends (docs/cluster.md).
    #[cfg_attr(feature = "cli", arg(long, value_name = "N_WORDS"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_every: Option<u64>,
    /// Memory for the corpus as vocabulary ids: each thread keeps the ids its first epoch
    /// reads and replays them in later epochs instead of reading and splitting the text again
    /// (4 bytes per word; a thread whose part does not fit reads its text every epoch). The
    /// vectors do not change [default: 1024 MiB over the threads of a process, or a quarter
    /// of the available memory when that is less; 0: read the text every epoch].
    #[cfg_attr(feature = "cli", arg(long, value_name = "MIB"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_cache_mib: Option<u64>,
}

impl RunConfig {
    /// Checks every option; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        if self.sync_every == Some(0) {
            return Err(Error::config("sync-every", "must be at least 1"));
        }
        match self.threads {
            Some(0) => Err(Error::config("threads", "must be at least 1")),
            Some(t) if t > limits::THREADS => Err(Error::config(
                "threads",
                format!("must be at most {}", limits::THREADS),
            )),
            _ => Ok(()),
        }
    }

    /// Words each MPI rank trains between two syncs: `--sync-every`, else
    /// [`crate::train::distributed::DEFAULT_SYNC_EVERY`].
    pub fn effective_sync_every(&self) -> u64 {
        self.sync_every
            .unwrap_or(crate::train::distributed::DEFAULT_SYNC_EVERY)
    }

    /// Bytes of vocabulary ids the threads may keep between epochs together (see
    /// [`RunConfig::id_cache_mib`]); `available`: the memory the system can give, if known.
    pub fn effective_id_cache_bytes(&self, available: Option<u64>) -> u64 {
        const DEFAULT_MIB: u64 = 1024;
        match self.id_cache_mib {
            Some(mib) => mib.saturating_mul(1 << 20),
            None => (DEFAULT_MIB << 20).min(available.map_or(u64::MAX, |a| a / 4)),
        }
    }

    /// The number of worker threads: `--threads`, else the number of cores.
    pub fn effective_threads(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }

    /// Takes the run options out of settings saved before they were kept apart (a checkpoint's
    /// `config` object with `threads`, `deterministic` or `eval_analogies`), so that both load.
    pub(crate) fn split_legacy(
        config: &mut serde_json::Value,
    ) -> Option<serde_json::Result<RunConfig>> {
        let obj = config.as_object_mut()?;
        let mut run = serde_json::Map::new();
        for key in ["threads", "deterministic", "eval_analogies"] {
            if let Some(v) = obj.remove(key) {
                run.insert(key.to_string(), v);
            }
        }
        if run.is_empty() {
            return None;
        }
        Some(serde_json::from_value(serde_json::Value::Object(run)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_resolve() {
        let c = TrainConfig::default();
        c.validate().unwrap();
        assert_eq!(c.effective_lr(), 0.025);
        let cb = TrainConfig {
            model: ModelKind::Cbow,
            ..c.clone()
        };
        assert_eq!(cb.effective_lr(), 0.05);
        assert_eq!(c.effective_output_init(), OutputInit::Zero);
        assert_eq!(cb.effective_output_init(), OutputInit::Uniform);
        let cb_hs = TrainConfig {
            loss: Loss::Hs,
            ..cb.clone()
        };
        assert_eq!(cb_hs.effective_output_init(), OutputInit::Zero);
        let sg_uniform = TrainConfig {
            output_init: Some(OutputInit::Uniform),
            ..TrainConfig::default()
        };
        assert_eq!(sg_uniform.effective_output_init(), OutputInit::Uniform);
        assert_eq!(c.effective_lr_hold(), 0.0);
        assert_eq!(cb.effective_lr_hold(), 0.0);
        let sg_hs = TrainConfig {
            loss: Loss::Hs,
            ..c.clone()
        };
        assert_eq!(sg_hs.effective_lr_hold(), 0.0);
        let sg_per_pair = TrainConfig {
            shared_negatives: Some(false),
            ..c.clone()
        };
        assert_eq!(sg_per_pair.effective_lr_hold(), 0.0);
        let sg_linear = TrainConfig {
            lr_hold: Some(0.0),
            ..c.clone()
        };
        assert_eq!(sg_linear.effective_lr_hold(), 0.0);
        // The rare-centre window: only where it was measured; the pair rule is off unless set.
        for config in [&c, &cb, &sg_hs, &sg_per_pair] {
            assert_eq!(config.effective_rare_pair_threshold(), 0.0);
        }
        assert_eq!(
            c.effective_rare_centre_cut(),
            RareCut::Count(defaults::RARE_CENTRE_COUNT)
        );
        assert_eq!(c.rare_centre_below(1_000_000_000), 250.0);
        assert_eq!(
            cb.effective_rare_centre_cut(),
            RareCut::Relative(defaults::RARE_CENTRE_THRESHOLD)
        );
        assert_eq!(cb.rare_centre_below(1_000_000), 15.0);
        for config in [&cb_hs, &sg_hs, &sg_per_pair] {
            assert_eq!(config.effective_rare_centre_cut(), RareCut::Off);
            assert_eq!(config.rare_centre_below(1_000_000), 0.0);
        }
        let set = |f, n| TrainConfig {
            rare_centre_threshold: f,
            rare_centre_count: n,
            ..c.clone()
        };
        assert_eq!(set(Some(1e-5), None).rare_centre_below(1_000_000), 10.0);
        assert_eq!(set(None, Some(40)).rare_centre_below(1_000_000), 40.0);
        assert_eq!(
            set(Some(0.0), None).effective_rare_centre_cut(),
            RareCut::Off
        );
        assert_eq!(set(None, Some(0)).effective_rare_centre_cut(), RareCut::Off);
        let both = set(Some(1e-5), Some(40)).validate().unwrap_err();
        assert!(both.to_string().contains("rare-centre-count"), "{both}");
        // Their radius: twice the window for skip-gram with shared negatives, else the window.
        assert_eq!(c.effective_rare_centre_radius(), 2 * c.window);
        for config in [&cb, &cb_hs, &sg_hs, &sg_per_pair] {
            assert_eq!(config.effective_rare_centre_radius(), config.window);
        }
        let set = |r, window| TrainConfig {
            rare_centre_radius: r,
            window,
            ..c.clone()
        };
        assert_eq!(set(Some(7), 5).effective_rare_centre_radius(), 7);
        assert_eq!(set(Some(3), 5).effective_rare_centre_radius(), 5);
        assert_eq!(set(None, 800).effective_rare_centre_radius(), 800);
    }

    #[test]
    fn the_word2vec_preset_restores_word2vec_c_where_no_option_is_given() {
        for model in [ModelKind::SkipGram, ModelKind::Cbow] {
            let w2v = TrainConfig {
                model,
                ..TrainConfig::default()
            };
            let c = TrainConfig {
                preset: Preset::Word2vec,
                ..w2v.clone()
            };
            c.validate().unwrap();
            assert!(w2v.effective_shared_negatives());
            assert!(!c.effective_shared_negatives());
            assert_eq!(c.effective_lr_hold(), 0.0);
            assert_eq!(c.effective_rare_centre_cut(), RareCut::Off);
            assert_eq!(c.effective_rare_pair_threshold(), 0.0);
            assert_eq!(c.effective_rare_centre_radius(), c.window);
            assert_eq!(c.effective_output_init(), OutputInit::Zero);
            assert_eq!(w2v.effective_sentence_tokens(), 10_000);
            assert_eq!(c.effective_sentence_tokens(), 1_000);
            assert_eq!(c.effective_lr(), w2v.effective_lr());
            // An option given explicitly wins over the preset.
            let given = TrainConfig {
                shared_negatives: Some(true),
                lr_hold: Some(0.25),
                rare_centre_threshold: Some(1e-5),
                output_init: Some(OutputInit::Uniform),
                ..c.clone()
            };
            assert!(given.effective_shared_negatives());
            assert_eq!(given.effective_lr_hold(), 0.25);
            assert_eq!(given.effective_rare_centre_cut(), RareCut::Relative(1e-5));
            assert_eq!(given.effective_output_init(), OutputInit::Uniform);
        }
    }

    #[test]
    fn input_plus_output_vectors_need_one_output_row_per_word() {
        for loss in [Loss::Ns, Loss::Softmax] {
            TrainConfig {
                loss,
                vectors_from: VectorsFrom::InputPlusOutput,
                ..TrainConfig::default()
            }
            .validate()
            .unwrap();
        }
        let e = TrainConfig {
            loss: Loss::Hs,
            vectors_from: VectorsFrom::InputPlusOutput,
            ..TrainConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("vectors-from"), "{e}");
    }

    #[test]
    fn saved_settings_without_the_new_fields_read_as_w2v_defaults() {
        // Model cards and checkpoints written before --preset and --vectors-from, with
        // shared_negatives as a plain boolean.
        let c: TrainConfig =
            serde_json::from_value(serde_json::json!({ "shared_negatives": false })).unwrap();
        assert_eq!(c.preset, Preset::W2v);
        assert_eq!(c.vectors_from, VectorsFrom::Input);
        assert!(!c.effective_shared_negatives());
        // Defaults are not written, so files stay as they were for runs that do not use them.
        let v = serde_json::to_value(TrainConfig::default()).unwrap();
        assert!(
            v.get("preset").is_none() && v.get("vectors_from").is_none(),
            "{v}"
        );
        let p = serde_json::to_value(TrainConfig {
            preset: Preset::Word2vec,
            vectors_from: VectorsFrom::InputPlusOutput,
            ..TrainConfig::default()
        })
        .unwrap();
        assert_eq!(p["preset"], "word2vec");
        assert_eq!(p["vectors_from"], "input+output");
    }

    #[test]
    fn run_options_saved_inside_the_settings_are_taken_apart() {
        // Checkpoints written before RunConfig existed hold the run options in `config`.
        let mut old = serde_json::json!({
            "model": "cbow", "dim": 30, "threads": 2, "deterministic": true,
            "eval_analogies": "q.txt"
        });
        let run = RunConfig::split_legacy(&mut old).unwrap().unwrap();
        assert_eq!(run.threads, Some(2));
        assert!(run.deterministic);
        assert_eq!(
            run.eval_analogies.as_deref(),
            Some(std::path::Path::new("q.txt"))
        );
        let config: TrainConfig = serde_json::from_value(old).unwrap();
        assert_eq!((config.model, config.dim), (ModelKind::Cbow, 30));
        let mut new = serde_json::to_value(TrainConfig::default()).unwrap();
        assert!(RunConfig::split_legacy(&mut new).is_none());
        let mut bad = serde_json::json!({"threads": "two"});
        assert!(RunConfig::split_legacy(&mut bad).unwrap().is_err());
        assert!(
            RunConfig {
                threads: Some(0),
                ..RunConfig::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn the_id_cache_is_bounded_by_the_memory_available() {
        let mib = |m: Option<u64>| RunConfig {
            id_cache_mib: m,
            ..RunConfig::default()
        };
        assert_eq!(mib(None).effective_id_cache_bytes(None), 1 << 30);
        assert_eq!(mib(None).effective_id_cache_bytes(Some(1 << 30)), 1 << 28);
        assert_eq!(mib(None).effective_id_cache_bytes(Some(1 << 40)), 1 << 30);
        assert_eq!(mib(Some(0)).effective_id_cache_bytes(Some(1 << 40)), 0);
        assert_eq!(mib(Some(3)).effective_id_cache_bytes(Some(1)), 3 << 20);
        assert_eq!(mib(Some(u64::MAX)).effective_id_cache_bytes(None), u64::MAX);
    }

    #[test]
    fn the_thresholds_old_names_still_load() {
        // Saved before the rename (checkpoints, model cards): same settings.
        let old: TrainConfig =
            serde_json::from_str(r#"{"rare_centre_window":2e-5,"rare_full_window":1e-6}"#).unwrap();
        assert_eq!(old.rare_centre_threshold, Some(2e-5));
        assert_eq!(old.rare_pair_threshold, Some(1e-6));
        let json = serde_json::to_string(&old).unwrap();
        assert!(json.contains("rare_centre_threshold") && !json.contains("rare_centre_window"));
    }

    #[test]
    fn settings_saved_before_lr_hold_keep_the_linear_decay() {
        // A checkpoint written before `lr_hold` existed resumes with the schedule it ran.
        let old: TrainConfig = serde_json::from_str(r#"{"model":"skipgram"}"#).unwrap();
        assert_eq!(old.effective_lr_hold(), 0.0);
        // A new run's default is saved as "unset" and resolves the same way after loading.
        let new = TrainConfig::default();
        let back: TrainConfig =
            serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(back.lr_hold, None);
        assert_eq!(back.effective_lr_hold(), 0.0);
        // Saved before 2026-12 with the hold unset: skip-gram with shared negatives ran 1/3.
        let mut nov: TrainConfig = serde_json::from_str(r#"{"lr_hold":null}"#).unwrap();
        nov.pin_defaults_of_2026_11();
        assert_eq!(nov.effective_lr_hold(), 1.0 / 3.0);
        let mut nov_cbow: TrainConfig =
            serde_json::from_str(r#"{"model":"cbow","lr_hold":null}"#).unwrap();
        nov_cbow.pin_defaults_of_2026_11();
        assert_eq!(nov_cbow.effective_lr_hold(), 0.0);
        let mut given = TrainConfig {
            lr_hold: Some(0.5),
            ..TrainConfig::default()
        };
        given.pin_defaults_of_2026_11();
        assert_eq!(given.effective_lr_hold(), 0.5);
        // The same for the rare-centre window: off for old settings, the default for new.
        assert_eq!(old.effective_rare_pair_threshold(), 0.0);
        assert_eq!(old.effective_rare_centre_cut(), RareCut::Off);
        assert_eq!(old.effective_rare_centre_radius(), old.window);
        assert_eq!(back.rare_centre_threshold, None);
        assert_eq!(back.rare_centre_radius, None);
        assert_eq!(back.effective_rare_centre_radius(), 2 * back.window);
        // Twice the window, at most 10, never below the window.
        for (window, radius) in [(1, 2), (3, 6), (5, 10), (7, 10), (10, 10), (20, 20)] {
            let c = TrainConfig {
                window,
                ..TrainConfig::default()
            };
            assert_eq!(c.effective_rare_centre_radius(), radius, "window {window}");
            let mut saved = c.clone();
            saved.pin_defaults_of_2026_12_03();
            assert_eq!(saved.effective_rare_centre_radius(), 2 * window);
        }
        assert_eq!(
            back.effective_rare_centre_cut(),
            RareCut::Count(defaults::RARE_CENTRE_COUNT)
        );
        // Subword skip-gram has no rule by default; before 2026-12-05 it cut at 250.
        let sub = TrainConfig {
            subwords: true,
            ..TrainConfig::default()
        };
        assert_eq!(sub.effective_rare_centre_cut(), RareCut::Off);
        let mut dec4 = sub.clone();
        dec4.pin_defaults_of_2026_12_04();
        assert_eq!(
            dec4.effective_rare_centre_cut(),
            RareCut::Count(defaults::RARE_CENTRE_COUNT)
        );
        let mut given = TrainConfig {
            rare_centre_threshold: Some(1e-5),
            ..sub.clone()
        };
        given.pin_defaults_of_2026_12_04();
        assert_eq!(given.effective_rare_centre_cut(), RareCut::Relative(1e-5));
        // Saved before 2026-12 with the cut unset: skip-gram cut at 1.5e-5 then.
        let mut nov: TrainConfig =
            serde_json::from_str(r#"{"rare_centre_threshold":null}"#).unwrap();
        nov.pin_defaults_of_2026_11();
        assert_eq!(
            nov.effective_rare_centre_cut(),
            RareCut::Relative(defaults::RARE_CENTRE_THRESHOLD)
        );
    }

    #[test]
    fn zero_settings_are_rejected_by_name() {
        for (field, cfg) in [
            (
                "dim",
                TrainConfig {
                    dim: 0,
                    ..Default::default()
                },
            ),
            (
                "window",
                TrainConfig {
                    window: 0,
                    ..Default::default()
                },
            ),
            (
                "negative",
                TrainConfig {
                    negative: 0,
                    ..Default::default()
                },
            ),
            (
                "epochs",
                TrainConfig {
                    epochs: 0,
                    ..Default::default()
                },
            ),
            (
                "rare-centre-radius",
                TrainConfig {
                    rare_centre_radius: Some(1_001),
                    ..Default::default()
                },
            ),
            (
                "sample",
                TrainConfig {
                    sample: -1.0,
                    ..Default::default()
                },
            ),
            (
                "lr",
                TrainConfig {
                    lr: Some(f32::NAN),
                    ..Default::default()
                },
            ),
            (
                "lr-hold",
                TrainConfig {
                    lr_hold: Some(1.0),
                    ..Default::default()
                },
            ),
            (
                "rare-centre-threshold",
                TrainConfig {
                    rare_centre_threshold: Some(-1e-9),
                    ..Default::default()
                },
            ),
            (
                "rare-pair-threshold",
                TrainConfig {
                    rare_pair_threshold: Some(1.0),
                    ..Default::default()
                },
            ),
            (
                "rare-pair-threshold",
                TrainConfig {
                    rare_pair_threshold: Some(f64::NAN),
                    ..Default::default()
                },
            ),
            (
                "lr-hold",
                TrainConfig {
                    lr_hold: Some(-0.1),
                    ..Default::default()
                },
            ),
            (
                "lr-hold",
                TrainConfig {
                    lr_hold: Some(f32::NAN),
                    ..Default::default()
                },
            ),
        ] {
            let msg = cfg.validate().unwrap_err().to_string();
            assert!(msg.contains(&format!("--{field}")), "{msg}");
        }
    }

    #[test]
    fn serde_round_trip_fills_defaults() {
        let c: TrainConfig = serde_json::from_str(r#"{"model":"cbow","dim":50}"#).unwrap();
        assert_eq!(c.model, ModelKind::Cbow);
        assert_eq!(c.dim, 50);
        assert_eq!(c.window, defaults::WINDOW);
        let back: TrainConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
