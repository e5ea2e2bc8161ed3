//! `w2v._w2v`: the native half of the Python package. Python's `w2v/__init__.py` is the API
//! (gensim's names and return shapes); this module gives it the library's training, file
//! formats, nearest-neighbour scan and evaluations, with the GIL released while they run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use numpy::ndarray::{ArrayView1, ArrayView2};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::{
    PyKeyError, PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};
use std::sync::Arc;
use w2v::formats::card::{CardSource, card_tokenizer, model_card};
use w2v::text::tokenize::{Tokenizer, TokenizerSpec, WordForm};
use w2v::{
    AnalogyMethod, AnalogyOptions, Checkpoint, CheckpointPlan, Embeddings, Error, Format,
    LoadOptions, Progress, RunConfig, SimilarityOptions, TrainConfig, TrainOptions, TrainOutput,
};

/// How often the caller's thread looks at Python's pending signals while the library trains.
const POLL: Duration = Duration::from_millis(100);

/// The library's error as the Python exception gensim users expect: `OSError` for files,
/// `KeyError` for unknown words, `KeyboardInterrupt` for an interrupted run, `MemoryError`,
/// `ValueError` for everything the caller gave (settings, malformed files).
fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        // The io::Error's kind picks the subclass (FileNotFoundError, PermissionError, ...).
        Error::Io { source, .. } => PyErr::from(std::io::Error::new(source.kind(), msg)),
        Error::UnknownWord(_) => PyKeyError::new_err(msg),
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(msg),
        Error::OutOfMemory { .. } => PyMemoryError::new_err(msg),
        Error::Diverged { .. } => PyRuntimeError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

/// Word vectors, read-only once built: the matrix handed to numpy is borrowed, not copied.
#[pyclass(frozen, module = "w2v._w2v")]
struct Vectors {
    emb: Embeddings,
    /// The model card (JSON) of a run trained in this process.
    card: Option<String>,
    /// A subword model trained in this process: what its fastText `.bin` holds beyond the
    /// vectors (the settings, the vocabulary with its counts, the output matrix).
    subword_model: Option<(TrainConfig, w2v::Vocab, Vec<f32>)>,
    /// The tokenizer the vectors were trained with, when it rewrites words (`unicode`): query
    /// and evaluation words are cut by it, as the command-line queries do.
    tokenizer: Option<Arc<Tokenizer>>,
}

/// The tokenizer of `spec`, when it rewrites words.
fn rewriting(spec: Option<TokenizerSpec>) -> Option<Arc<Tokenizer>> {
    spec.filter(TokenizerSpec::rewrites)
        .map(|s| Arc::new(Tokenizer::new(s)))
}

#[pymethods]
impl Vectors {
    /// Loads a word2vec file (binary if `binary`, else text; `None`: binary for `.bin`).
    #[staticmethod]
    #[pyo3(signature = (path, binary=None, limit=None, lossy_utf8=false))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        binary: Option<bool>,
        limit: Option<usize>,
        lossy_utf8: bool,
    ) -> PyResult<Vectors> {
        let opts = LoadOptions {
            format: binary.map(|b| if b { Format::Bin } else { Format::Text }),
            limit,
            lossy_utf8,
        };
        let emb = py
            .detach(|| Embeddings::load_with(&path, &opts))
            .map_err(py_err)?;
        // The model card beside the file (`NAME.json`) says which tokenizer made the words. One
        // that cannot be read is no reason to refuse the vectors: a warning, and words as given.
        let spec = card_tokenizer(&path).or_else(|e| -> PyResult<_> {
            let msg = format!("{e}; words are looked up as given");
            let msg = std::ffi::CString::new(msg.replace('\0', " ")).expect("no NUL left");
            // Level 2: the line that called `w2v.load`, past the Python wrapper.
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyUserWarning>(),
                &msg,
                2,
            )?;
            Ok(None)
        })?;
        let tokenizer = rewriting(spec);
        Ok(Vectors {
            emb,
            card: None,
            subword_model: None,
            tokenizer,
        })
    }

    /// `word` as the vectors' tokenizer cuts it: `("one", [w])`, `("split", [pieces])` or
    /// `("empty", [])`; `("none", [])` when the vectors' words are taken as they are.
    fn cut(&self, word: &str) -> (&'static str, Vec<String>) {
        match self.tokenizer.as_deref().map(|t| t.word(word)) {
            None => ("none", Vec::new()),
            Some(WordForm::One(w)) => ("one", vec![w]),
            Some(WordForm::Split(ws)) => ("split", ws),
            Some(WordForm::Empty) => ("empty", Vec::new()),
        }
    }

    fn __len__(&self) -> usize {
        self.emb.len()
    }

    /// Floats per vector.
    #[getter]
    fn dim(&self) -> usize {
        self.emb.dim()
    }

    /// The model card of a run trained in this process (JSON), else `None`.
    #[getter]
    fn card(&self) -> Option<String> {
        self.card.clone()
    }

    /// Whether unknown words get vectors from character n-grams (a fastText model).
    #[getter]
    fn has_subwords(&self) -> bool {
        self.emb.subwords().is_some()
    }

    /// The n-gram vector of a word outside the vocabulary (a subword model), else `None`.
    fn oov_vector<'py>(&self, py: Python<'py>, word: &str) -> Option<Bound<'py, PyArray1<f32>>> {
        let rows = self.emb.subwords()?;
        rows.vector(word.as_bytes())
            .map(|v| PyArray1::from_vec(py, v))
    }

    /// The words in row order (invalid UTF-8 shown as U+FFFD).
    fn words(&self) -> Vec<String> {
        self.emb
            .words()
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    }

    /// The `len × dim` matrix as a read-only numpy array over this object's memory.
    fn matrix<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let v = slf.get();
        let view = ArrayView2::from_shape((v.emb.len(), v.emb.dim()), v.emb.matrix())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        // SAFETY: the array points into `emb`'s matrix, which lives as long as `slf` (made the
        // array's base, so Python keeps it alive while the array exists) and never moves or
        // changes: `Vectors` is frozen and no method takes `emb` mutably. The array is made
        // read-only below, so Python cannot write to memory that Rust reads with the GIL
        // released (queries run detached).
        let arr = unsafe { PyArray2::borrow_from_array(&view, slf.clone().into_any()) };
        read_only(arr.as_any())?;
        Ok(arr)
    }

    /// The vectors' Euclidean norms as a read-only numpy array (computed once).
    fn norms<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let v = slf.get();
        let view = ArrayView1::from(v.emb.norms());
        // SAFETY: as for `matrix`: the norms are computed once into a `OnceLock` inside `emb`
        // and never change or move afterwards; the array keeps `slf` alive and is read-only.
        let arr = unsafe { PyArray1::borrow_from_array(&view, slf.clone().into_any()) };
        read_only(arr.as_any())?;
        Ok(arr)
    }

    /// The `topn` rows closest by cosine to `query` among the first `restrict` rows, rows in
    /// `exclude` left out: `[(row, cosine)]`, best first.
    #[pyo3(signature = (query, topn, exclude, restrict=None))]
    fn nearest(
        &self,
        py: Python<'_>,
        query: PyReadonlyArray1<'_, f32>,
        topn: usize,
        exclude: Vec<usize>,
        restrict: Option<usize>,
    ) -> PyResult<Vec<(usize, f32)>> {
        let q = query.as_slice()?.to_vec();
        if q.len() != self.emb.dim() {
            return Err(PyValueError::new_err(format!(
                "the query has {} floats, the vectors {}",
                q.len(),
                self.emb.dim()
            )));
        }
        Ok(py.detach(|| self.emb.nearest_to_vector(&q, topn, &exclude, restrict)))
    }

    /// Scores analogy questions (3CosAdd, or 3CosMul): the section names in file order and
    /// every answered question as `(section, (a, b, c, d), correct)`.
    #[pyo3(signature = (path, restrict=None, case_insensitive=true, cosmul=false))]
    fn evaluate_analogies(
        &self,
        py: Python<'_>,
        path: PathBuf,
        restrict: Option<usize>,
        case_insensitive: bool,
        cosmul: bool,
    ) -> PyResult<AnalogyResult> {
        let opts = AnalogyOptions {
            restrict,
            case_insensitive,
            method: if cosmul {
                AnalogyMethod::CosMul
            } else {
                AnalogyMethod::CosAdd
            },
            record: true,
            tokenizer: self.tokenizer.clone(),
            ..Default::default()
        };
        let report = py
            .detach(|| self.emb.evaluate_analogies(&path, &opts))
            .map_err(py_err)?;
        let names = report.sections.iter().map(|s| s.name.clone()).collect();
        let outcomes = report
            .outcomes
            .into_iter()
            .map(|o| {
                let [a, b, c, d] = o.words;
                (o.section, (a, b, c, d), o.correct)
            })
            .collect();
        Ok((names, outcomes))
    }

    /// Scores a word-pair file: `(pearson, its p-value, spearman, its p-value, pairs scored,
    /// pairs with an unknown word)`; a word the tokenizer cuts into several counts as unknown,
    /// as gensim counts a pair it cannot look up.
    #[pyo3(signature = (path, restrict=None, case_insensitive=true, delimiter=None, subword_oov=false, dummy4unknown=false))]
    #[allow(clippy::too_many_arguments)] // gensim's keyword arguments, one for one
    fn evaluate_pairs(
        &self,
        py: Python<'_>,
        path: PathBuf,
        restrict: Option<usize>,
        case_insensitive: bool,
        delimiter: Option<char>,
        subword_oov: bool,
        dummy4unknown: bool,
    ) -> PyResult<(f64, f64, f64, f64, usize, usize)> {
        let mut opts = SimilarityOptions {
            restrict,
            case_insensitive,
            subword_oov,
            unknown_as_zero: dummy4unknown,
            tokenizer: self.tokenizer.clone(),
            ..Default::default()
        };
        opts.format.delimiter = match delimiter {
            Some(c) if c.is_ascii() => Some(c as u8),
            Some(c) => {
                return Err(PyValueError::new_err(format!(
                    "the delimiter must be one ASCII character, not {c:?}"
                )));
            }
            None => None,
        };
        let r = py
            .detach(|| self.emb.evaluate_similarity(&path, &opts))
            .map_err(py_err)?;
        let p = |x: f64| w2v::query::eval::correlation_p_value(x, r.pairs);
        Ok((
            r.pearson,
            p(r.pearson),
            r.spearman,
            p(r.spearman),
            r.pairs,
            r.oov + r.split,
        ))
    }

    /// Writes the vectors in word2vec format (binary or text), atomically.
    fn save(&self, py: Python<'_>, path: PathBuf, binary: bool) -> PyResult<()> {
        let format = if binary { Format::Bin } else { Format::Text };
        py.detach(|| self.emb.save(&path, format)).map_err(py_err)
    }

    /// Writes a subword model trained in this process as a fastText `.bin`, atomically.
    fn save_fasttext(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let Some((config, vocab, output)) = &self.subword_model else {
            return Err(PyValueError::new_err(
                "only a subword model trained in this process (w2v.train(..., subwords=True)) \
                 can be saved in fastText's format",
            ));
        };
        py.detach(|| {
            w2v::formats::atomic::AtomicFile::create(&path)?.commit(|w| {
                w2v::formats::fasttext::write_subword_model(w, config, &self.emb, vocab, output)
            })
        })
        .map_err(py_err)
    }
}

/// Section names, then `(section, (a, b, c, d), correct)` per answered question.
type AnalogyResult = (
    Vec<String>,
    Vec<(usize, (String, String, String, String), bool)>,
);

fn read_only(arr: &Bound<'_, PyAny>) -> PyResult<()> {
    arr.getattr("flags")?.setattr("writeable", false)
}

/// The settings from `w2v.train`'s keywords (JSON: the library's field names and values),
/// each given one laid over the defaults: model settings in `TrainConfig`, run options
/// (threads, deterministic, …) in `RunConfig`. Unknown names are errors.
fn settings(json: &str) -> PyResult<(TrainConfig, RunConfig)> {
    let given: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("settings: {e}")))?;
    let mut config = defaults(&TrainConfig::default())?;
    let mut run = serde_json::Map::new();
    // Every run option's name: serialised with all of them set (a field added to RunConfig
    // breaks this literal, so it cannot be forgotten here).
    let run_names = defaults(&RunConfig {
        threads: Some(1),
        deterministic: true,
        eval_analogies: Some(PathBuf::new()),
        tokens_dir: Some(PathBuf::new()),
        sync_every: Some(1),
        id_cache_mib: Some(1),
    })?;
    for (k, v) in given {
        if run_names.contains_key(&k) {
            run.insert(k, v);
        } else {
            // Unknown names land here and are refused by the config's `deny_unknown_fields`.
            config.insert(k, v);
        }
    }
    let bad = |e: serde_json::Error| PyValueError::new_err(format!("invalid setting: {e}"));
    let config: TrainConfig = serde_json::from_value(config.into()).map_err(bad)?;
    let run: RunConfig = serde_json::from_value(run.into()).map_err(bad)?;
    config.validate().map_err(py_err)?;
    run.validate().map_err(py_err)?;
    Ok((config, run))
}

/// Default settings as a JSON object, to lay the given ones over.
fn defaults<T: serde::Serialize>(v: &T) -> PyResult<serde_json::Map<String, serde_json::Value>> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        _ => Err(PyRuntimeError::new_err(
            "the default settings do not serialise",
        )),
    }
}

/// A progress event as the dict handed to the Python callback.
fn event<'py>(py: Python<'py>, p: &Progress) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match p {
        Progress::Tokenizing { corpus } => {
            d.set_item("event", "tokenizing")?;
            d.set_item("corpus", corpus)?;
        }
        Progress::Tokenized { path, seconds, .. } => {
            d.set_item("event", "tokenized")?;
            d.set_item("path", path)?;
            d.set_item("seconds", seconds)?;
        }
        Progress::VocabReady {
            words,
            tokens_per_epoch,
            seconds,
            ..
        } => {
            d.set_item("event", "vocab")?;
            d.set_item("words", words)?;
            d.set_item("tokens_per_epoch", tokens_per_epoch)?;
            d.set_item("seconds", seconds)?;
        }
        Progress::Tick {
            fraction,
            epoch,
            words_per_sec,
            lr,
            recent_loss,
        } => {
            d.set_item("event", "tick")?;
            d.set_item("fraction", fraction)?;
            d.set_item("epoch", epoch)?;
            d.set_item("words_per_sec", words_per_sec)?;
            d.set_item("lr", lr)?;
            d.set_item("loss", recent_loss)?;
        }
        Progress::EpochEnd {
            epoch,
            loss,
            predictions,
            elapsed,
            analogy,
        } => {
            d.set_item("event", "epoch_end")?;
            d.set_item("epoch", epoch)?;
            d.set_item("loss", loss)?;
            d.set_item("predictions", predictions)?;
            d.set_item("elapsed", elapsed)?;
            d.set_item("analogy", analogy)?;
        }
        _ => d.set_item("event", "other")?,
    }
    Ok(d)
}

/// The settings of a run: those given (as JSON), or, with `resume`, the checkpoint's (then
/// no others may be given) and the checkpoint itself.
fn settings_or_checkpoint(
    py: Python<'_>,
    settings_json: &str,
    resume: Option<PathBuf>,
) -> PyResult<(TrainConfig, RunConfig, Option<Checkpoint>)> {
    // Parsed first, so that a bad setting is named even when `resume` is given.
    let (config, run) = settings(settings_json)?;
    let Some(path) = resume else {
        return Ok((config, run, None));
    };
    if settings_json.trim() != "{}" {
        return Err(PyValueError::new_err(
            "resume takes every setting from the checkpoint: give no other settings",
        ));
    }
    let ck = py.detach(|| Checkpoint::load(&path)).map_err(py_err)?;
    Ok((ck.config().clone(), ck.options().clone(), Some(ck)))
}

/// The trained vectors, or the exception to raise: the one the callback or a signal handler
/// raised (Ctrl-C: `KeyboardInterrupt`, naming the checkpoint and how to continue from
/// Python), else the library's error.
fn trained_or_raised(
    py: Python<'_>,
    result: w2v::Result<TrainOutput>,
    raised: Option<PyErr>,
) -> PyResult<TrainOutput> {
    match (result, raised) {
        (Ok(t), None) => Ok(t),
        (Err(Error::Interrupted { checkpoint }), Some(err)) => {
            if !err.is_instance_of::<PyKeyboardInterrupt>(py) {
                return Err(err);
            }
            Err(PyKeyboardInterrupt::new_err(match checkpoint {
                Some(p) => format!(
                    "training interrupted; its state is saved in {p}: continue with \
                     w2v.train(corpus, resume={p:?})",
                    p = p.display()
                ),
                None => "training interrupted".to_string(),
            }))
        }
        (_, Some(err)) => Err(err),
        (Err(e), None) => Err(py_err(e)),
    }
}

/// Trains on the corpus file `corpus` with the GIL released. The library trains on a thread
/// of its own; this thread waits for its progress events and, at each one and at least every
/// 100 ms in every phase (tokenising, counting, training), takes the GIL to call
/// `callback(event)` (a dict) and to run pending signal handlers: Ctrl-C stops the run within
/// a second and raises `KeyboardInterrupt`, after writing a checkpoint when `checkpoint` names
/// one; an exception from the callback stops it too and propagates. `resume` continues a
/// checkpoint (its settings; `settings` must then be `{}`). `in_memory`: the corpus is a
/// temporary spool of Python sentences, not named in the model card.
#[pyfunction]
#[pyo3(signature = (corpus, settings_json, callback=None, checkpoint=None, resume=None, in_memory=false))]
fn train(
    py: Python<'_>,
    corpus: PathBuf,
    settings_json: &str,
    callback: Option<Py<PyAny>>,
    checkpoint: Option<PathBuf>,
    resume: Option<PathBuf>,
    in_memory: bool,
) -> PyResult<Vectors> {
    let (config, run, resume) = settings_or_checkpoint(py, settings_json, resume)?;
    let plan = checkpoint.map(|path| CheckpointPlan {
        path,
        every: None,
        at_epoch_end: true,
        job: serde_json::json!({
            "corpus": corpus.to_string_lossy(),
            "python": true,
        }),
    });
    let stop = AtomicBool::new(false);
    let (result, raised) = py.detach(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Progress>();
        std::thread::scope(|s| {
            let trainer = s.spawn(|| {
                // Moved in, so that the channel closes when training ends.
                let tx = tx;
                let opts = TrainOptions {
                    run: run.clone(),
                    checkpoint: plan,
                    resume,
                    interrupt: Some(&stop),
                    ..Default::default()
                };
                // A closed channel only means the caller stopped listening after an error.
                w2v::train_with(&corpus, &config, opts, &mut |p| {
                    let _ = tx.send(p.clone());
                })
            });
            let raised = listen(&rx, callback.as_ref(), &stop);
            // A panic in the library is a bug: re-raised here, PyO3 turns it into an exception.
            let result = trainer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (result, raised)
        })
    });
    let trained = trained_or_raised(py, result, raised)?;
    let source = CardSource {
        corpus: (!in_memory).then_some(corpus.as_path()),
        vectors: None,
        format: Format::Bin,
    };
    let card = model_card(&source, &config, &run, &trained).to_string();
    let tokenizer = rewriting(Some(config.tokenizer_spec()));
    let subword_model = match trained.output {
        Some(output) if config.subwords => Some((config, trained.vocab, output)),
        _ => None,
    };
    Ok(Vectors {
        emb: trained.embeddings,
        card: Some(card),
        subword_model,
        tokenizer,
    })
}

/// Waits for the trainer's progress events until its channel closes. At each event, and at
/// least every [`POLL`], takes the GIL to call `callback(event)` and to run pending signal
/// handlers; the first exception (Ctrl-C's `KeyboardInterrupt`, or the callback's) sets
/// `stop` and is returned once training has ended.
fn listen(
    rx: &std::sync::mpsc::Receiver<Progress>,
    callback: Option<&Py<PyAny>>,
    stop: &AtomicBool,
) -> Option<PyErr> {
    let mut raised: Option<PyErr> = None;
    loop {
        let next = rx.recv_timeout(POLL);
        if matches!(next, Err(RecvTimeoutError::Disconnected)) {
            // Training ended: a signal that arrived since the last check still counts
            // (Ctrl-C near the end of a short run raises, as it would in Python).
            if raised.is_none() {
                raised = Python::attach(|py| py.check_signals()).err();
            }
            return raised;
        }
        if raised.is_some() {
            continue;
        }
        let outcome = Python::attach(|py| -> PyResult<()> {
            if let (Ok(p), Some(cb)) = (&next, callback) {
                cb.call1(py, (event(py, p)?,))?;
            }
            py.check_signals()
        });
        if let Err(e) = outcome {
            raised = Some(e);
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// Writes `sentences` (an iterable of lists of str or int tokens) to `path`, one line per
/// sentence, tokens separated by spaces: the corpus `train` then reads. Returns `(sentences,
/// tokens)`. A sentence given as a string, a token that is neither str nor int, and a token
/// containing whitespace are errors (the first would train on its characters, the last would
/// be cut into several words).
#[pyfunction]
fn spool_sentences(sentences: &Bound<'_, PyAny>, path: PathBuf) -> PyResult<(u64, u64)> {
    let io = |e: std::io::Error, p: &Path| {
        PyErr::from(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", p.display()),
        ))
    };
    let file = std::fs::File::create(&path).map_err(|e| io(e, &path))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let (mut n_sentences, mut n_tokens) = (0u64, 0u64);
    // Iterating a list runs no Python code, so a pending Ctrl-C is only seen when asked for:
    // every 4,096 sentences and every 65,536 tokens (KeyboardInterrupt, the temporary file
    // removed by the caller).
    let py = sentences.py();
    for sentence in sentences.try_iter()? {
        let sentence = sentence?;
        if n_sentences % 4096 == 0 {
            py.check_signals()?;
        }
        if sentence.is_instance_of::<PyString>()
            || sentence.is_instance_of::<PyBytes>()
            || sentence.is_instance_of::<PyByteArray>()
        {
            return Err(PyTypeError::new_err(format!(
                "sentence {n_sentences} is a {}: give each sentence as a list of tokens \
                 (e.g. text.split())",
                sentence.get_type().name()?
            )));
        }
        let mut first = true;
        for token in sentence.try_iter()? {
            let token = token?;
            let text: String = if let Ok(s) = token.cast::<PyString>() {
                s.to_cow()?.into_owned()
            } else if let Ok(i) = token.extract::<i64>() {
                i.to_string()
            } else {
                return Err(PyTypeError::new_err(format!(
                    "sentence {n_sentences}: tokens must be str or int, not {}",
                    token.get_type().name()?
                )));
            };
            if text.is_empty() {
                continue;
            }
            // The corpus reader splits at ASCII whitespace (word2vec's rule); other spaces
            // (no-break, ideographic) stay inside a token.
            if text.bytes().any(|b| b.is_ascii_whitespace()) {
                return Err(PyValueError::new_err(format!(
                    "sentence {n_sentences}: the token {text:?} contains whitespace"
                )));
            }
            if !first {
                out.write_all(b" ").map_err(|e| io(e, &path))?;
            }
            out.write_all(text.as_bytes()).map_err(|e| io(e, &path))?;
            first = false;
            n_tokens += 1;
            if n_tokens % 65_536 == 0 {
                py.check_signals()?;
            }
        }
        out.write_all(b"\n").map_err(|e| io(e, &path))?;
        n_sentences += 1;
    }
    out.flush().map_err(|e| io(e, &path))?;
    Ok((n_sentences, n_tokens))
}

#[pymodule]
fn _w2v(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Vectors>()?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(spool_sentences, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
