"""w2v: word2vec (skip-gram and CBOW), trained in Rust, queried with gensim's API.

>>> import w2v
>>> vecs = w2v.train("corpus.txt", model="skipgram", dim=100, epochs=5, threads=4)
>>> vecs.most_similar("king", topn=5)
>>> vecs.vectors              # numpy float32 (len(vecs), dim): a view, not a copy
>>> vecs.save_word2vec_format("vectors.bin", binary=True)

Training releases the GIL; Ctrl-C stops it within a second (``KeyboardInterrupt``).
Errors are ``ValueError`` (settings, malformed files), ``OSError`` (files) and ``KeyError``
(unknown words), as in gensim.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _w2v

__version__: str = _w2v.__version__
__all__ = ["KeyedVectors", "train", "load"]

Key = Union[str, np.ndarray, Tuple[Union[str, np.ndarray], float]]

# gensim's names for the same settings, and what they are called here.
_ALIASES = {
    "vector_size": "dim",
    "size": "dim",
    "workers": "threads",
    "alpha": "lr",
    "ns_exponent": "ns_power",
    "iter": "epochs",
    "max_vocab_size": "max_vocab",
    "min_n": "minn",
    "max_n": "maxn",
    "bucket": "buckets",
}
_MODELS = {"skipgram": "skipgram", "skip-gram": "skipgram", "sg": "skipgram", "cbow": "cbow"}


def _settings(settings: Dict[str, Any]) -> Dict[str, Any]:
    """The keywords of `train`, with gensim's names and flags translated."""
    out: Dict[str, Any] = {}
    for key, value in settings.items():
        key = _ALIASES.get(key, key)
        if isinstance(value, np.generic):
            value = value.item()
        if key == "sg":
            key, value = "model", "skipgram" if value else "cbow"
        elif key == "hs":
            if not value:
                continue
            key, value = "loss", "hs"
        elif key == "model":
            if not isinstance(value, str) or value.lower() not in _MODELS:
                raise ValueError(f"model must be 'skipgram' or 'cbow', not {value!r}")
            value = _MODELS[value.lower()]
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        if key in out:
            raise ValueError(f"the setting {key!r} is given twice (under two names)")
        out[key] = value
    return out


def _progress(progress: bool, callback: Optional[Callable[[dict], Any]]):
    """The event handler for the native trainer: a tqdm bar and/or the user's callback."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {n:.1f}/100 [{elapsed}<{remaining}{postfix}]")

    def handle(event: dict) -> None:
        if bar is not None:
            kind = event["event"]
            if kind == "vocab":
                bar.set_description(f"{event['words']} words")
            elif kind == "tick":
                bar.n = round(100 * event["fraction"], 1)
                post = {"epoch": event["epoch"], "words/s": f"{event['words_per_sec']:,.0f}"}
                if event.get("loss") is not None:
                    post["loss"] = f"{event['loss']:.4f}"
                bar.set_postfix(post, refresh=False)
                bar.refresh()
        if callback is not None:
            callback(event)

    return handle, bar


def _sentences_file(checkpoint: str) -> str:
    """Where the sentences of a checkpointed ``sentences=`` run are kept: beside the checkpoint,
    for as long as the run can be resumed."""
    return checkpoint + ".sentences.txt"


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _modified(path: str) -> Optional[int]:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def _spool_for_checkpoint(sentences, ckpt, again) -> Tuple[str, bool]:
    """The sentences file of a checkpointed ``sentences=`` run, named after the checkpoint that
    a Ctrl-C will leave (`ckpt`, else the one resumed), and whether this call made it (so that
    a failure before a checkpoint names it removes it again)."""
    spool = _sentences_file(ckpt if ckpt is not None else again)
    kept = _sentences_file(again) if again is not None else None
    if spool != kept and os.path.exists(spool):
        # Another run's sentences, beside a checkpoint this run would overwrite: an interrupted
        # run that can still be resumed. Not removed on a guess.
        raise FileExistsError(f"{spool}: the sentences of an interrupted run are kept here; "
                              f"resume it (w2v.train(sentences=..., resume={ckpt!r})), or "
                              "remove this file and its checkpoint to start again")
    if kept is not None and not os.path.exists(kept):
        raise FileNotFoundError(f"{kept}: the sentences of the checkpointed run are gone; "
                                "a sentences= run resumes from the copy kept beside its checkpoint")
    if spool == kept:
        return spool, False
    part = spool + ".part"
    try:
        if kept is None:
            _w2v.spool_sentences(sentences, part)
        else:
            # The new checkpoint gets its own copy (a link where the file system allows one),
            # with the time that resuming checks; the old checkpoint keeps its sentences.
            _remove_quietly(part)
            try:
                os.link(kept, part)
            except OSError:
                shutil.copy2(kept, part)
        os.replace(part, spool)
    except BaseException:
        _remove_quietly(part)
        raise
    return spool, True


def _train_spooled_with_checkpoint(sentences, config, handle, ckpt, again):
    """A ``sentences=`` run with a checkpoint or resumed from one: the sentences are spooled
    once beside the checkpoint (a resumed run reads that copy, which the checkpoint recognises,
    not the iterable again), and the copy is removed when the run completes."""
    before = _modified(ckpt) if ckpt is not None else None
    spool, made = _spool_for_checkpoint(sentences, ckpt, again)
    try:
        inner = _w2v.train(spool, config, handle, ckpt, again, in_memory=True)
    except BaseException as e:
        saved = ckpt is not None and _modified(ckpt) not in (None, before)
        if made and not saved:
            # No checkpoint names this copy (an error, or Ctrl-C before the first one).
            _remove_quietly(spool)
        if not isinstance(e, KeyboardInterrupt):
            raise
        if saved:
            raise KeyboardInterrupt(f"training interrupted; its state is saved in {ckpt} and its "
                                    f"sentences in {spool}: continue with "
                                    f"w2v.train(sentences=..., resume={ckpt!r})") from e
        if again is not None:
            raise KeyboardInterrupt(f"training interrupted; no new checkpoint was written, and "
                                    f"{again} still holds the state it was resumed from: continue "
                                    f"with w2v.train(sentences=..., resume={again!r})") from e
        raise KeyboardInterrupt("training interrupted before its first checkpoint: "
                                "nothing was saved") from e
    os.remove(spool)
    return inner


def train(
    corpus: Union[str, os.PathLike, Iterable[Sequence[Union[str, int]]], None] = None,
    *,
    sentences: Optional[Iterable[Sequence[Union[str, int]]]] = None,
    corpus_file: Union[str, os.PathLike, None] = None,
    progress: bool = False,
    callback: Optional[Callable[[dict], Any]] = None,
    checkpoint: Union[str, os.PathLike, None] = None,
    resume: Union[str, os.PathLike, None] = None,
    **settings: Any,
) -> "KeyedVectors":
    """Trains word vectors on a corpus file, or on `sentences` (gensim's ``Word2Vec(sentences)``).

    corpus / corpus_file: a text file (or .gz) of space-separated tokens, lines as sentences
        (an iterable given as `corpus` is taken as `sentences`, as gensim's first argument).
    sentences: an iterable of token lists (str, or int ids, which become their decimal
        strings); it is read once, into a temporary file that the first epoch reads (later
        epochs replay the ids it read, within ``id_cache_mib``). Tokens may not
        contain ASCII whitespace; tokens over 1,000 bytes are skipped, as in a corpus file.
    progress: show a tqdm bar. callback: called with each progress event (a dict with
        ``event`` = "vocab", "tick", "epoch_end", ...).
    checkpoint: write a checkpoint here at each epoch's end and on Ctrl-C; resume: continue
        from one (its settings are used; give no others). With `sentences`, they are kept in
        ``CHECKPOINT.sentences.txt`` until the run completes, and a resumed run reads them
        there (the iterable passed again is not read).
    settings: every ``w2v train`` setting by its library name (model, loss, dim, window,
        negative, min_count, max_vocab, sample, epochs, lr, ns_power, seed, preset, tokenizer,
        lowercase, chinese_segmenter, japanese_segmenter, threads, deterministic, id_cache_mib,
        subwords, minn, maxn, buckets, ...), or gensim's
        (vector_size, workers, alpha, sg, hs, ns_exponent, min_n, max_n, bucket).
        ``subwords=True`` trains fastText's model: unknown words get vectors from their
        character n-grams, and ``save_facebook_model`` writes fastText's ``.bin``.

    Returns the vectors (`KeyedVectors`) with the run's ``stats`` and ``losses``.
    Ctrl-C raises ``KeyboardInterrupt`` within a second.
    """
    if corpus is not None and not isinstance(corpus, (str, bytes, os.PathLike)):
        corpus, sentences = None, corpus if sentences is None else sentences
    given = [x is not None for x in (corpus, corpus_file, sentences)]
    if sum(given) != 1:
        raise ValueError("give exactly one of corpus, corpus_file and sentences")
    config = json.dumps(_settings(settings))
    handle, bar = _progress(progress, callback)
    ckpt = os.fspath(checkpoint) if checkpoint is not None else None
    again = os.fspath(resume) if resume is not None else None
    try:
        if sentences is None:
            path = os.fspath(corpus if corpus is not None else corpus_file)
            inner = _w2v.train(path, config, handle, ckpt, again)
        else:
            if isinstance(sentences, (str, bytes)):
                raise TypeError("sentences must be an iterable of token lists, not a string")
            if ckpt is None and again is None:
                with tempfile.TemporaryDirectory(prefix="w2v-sentences-") as tmp:
                    path = os.path.join(tmp, "sentences.txt")
                    _w2v.spool_sentences(sentences, path)
                    inner = _w2v.train(path, config, handle, ckpt, again, in_memory=True)
            else:
                inner = _train_spooled_with_checkpoint(sentences, config, handle, ckpt, again)
        if bar is not None:
            bar.n = 100
            bar.refresh()
    finally:
        if bar is not None:
            bar.close()
    return KeyedVectors(inner)


def load(path: Union[str, os.PathLike], binary: Optional[bool] = None, limit: Optional[int] = None,
         unicode_errors: str = "strict") -> "KeyedVectors":
    """Loads word2vec vectors (binary or text, optionally .gz; `binary=None` picks binary for
    ``.bin`` files), or a fastText ``.bin`` model (found by its magic number), whose unknown
    words then get vectors from their character n-grams. `limit`: the first N vectors only.
    ``unicode_errors="replace"`` accepts words that are not valid UTF-8 (gensim's option)."""
    return KeyedVectors.load_word2vec_format(path, binary=binary, limit=limit, unicode_errors=unicode_errors)


def _unitvec(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


class KeyedVectors:
    """Word vectors with gensim's ``KeyedVectors`` query API.

    vectors: numpy float32 (len, vector_size), a read-only view of the native matrix.
    index_to_key / key_to_index: the words in row order, and their rows.
    """

    def __init__(self, inner: "_w2v.Vectors"):
        self._inner = inner
        self.vectors: np.ndarray = inner.matrix()
        self.index_to_key: List[str] = inner.words()
        index: Dict[str, int] = {}
        for i, key in enumerate(self.index_to_key):
            index.setdefault(key, i)
        self.key_to_index: Dict[str, int] = index
        self.vector_size: int = inner.dim
        self._stats: Optional[dict] = json.loads(inner.card) if inner.card else None

    # --- construction and files -------------------------------------------------------
    @classmethod
    def load_word2vec_format(cls, fname: Union[str, os.PathLike], binary: Optional[bool] = None,
                             limit: Optional[int] = None, unicode_errors: str = "strict") -> "KeyedVectors":
        """Loads a word2vec file (gensim's name); see `w2v.load`."""
        if unicode_errors not in ("strict", "replace"):
            raise ValueError("unicode_errors must be 'strict' or 'replace'")
        return cls(_w2v.Vectors.load(os.fspath(fname), binary, limit, unicode_errors == "replace"))

    def save_word2vec_format(self, fname: Union[str, os.PathLike], binary: bool = False) -> None:
        """Writes word2vec format, binary or text (gensim's default: text), atomically."""
        self._inner.save(os.fspath(fname), bool(binary))

    def save_facebook_model(self, fname: Union[str, os.PathLike]) -> None:
        """Writes a subword model trained in this process (``w2v.train(..., subwords=True)``)
        in fastText's ``.bin`` format (gensim's ``save_facebook_model``): fastText's
        ``load_model`` and gensim's ``load_facebook_vectors`` read it, and so does ``w2v.load``."""
        self._inner.save_fasttext(os.fspath(fname))

    def to_gensim(self):
        """A gensim ``KeyedVectors`` with the same words and vectors (a copy)."""
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError as e:
            raise ImportError("to_gensim needs gensim: pip install gensim") from e
        kv = GensimKeyedVectors(self.vector_size, count=0, dtype=np.float32)
        kv.add_vectors(list(self.index_to_key), np.array(self.vectors, dtype=np.float32))
        return kv

    # --- the run that made them -------------------------------------------------------
    @property
    def stats(self) -> Optional[dict]:
        """The model card of the run that trained these vectors in this process (settings and
        what they resolved to, per-epoch losses, counts, speed); None for loaded vectors."""
        return self._stats

    @property
    def losses(self) -> List[float]:
        """Mean loss per prediction of each epoch (empty for loaded vectors)."""
        return list(self._stats["epoch_losses"]) if self._stats else []

    # --- lookups ----------------------------------------------------------------------
    def __len__(self) -> int:
        """The number of words."""
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        """Whether `key` (a word, or a row number) has a vector: in the vocabulary, or (a
        subword model) any word with a character n-gram, as gensim's FastTextKeyedVectors."""
        if self.has_index_for(key):
            return True
        try:
            key = self._key(key)
        except KeyError:
            return False  # several words for the vectors' tokenizer, as `vecs[key]` says
        return bool(self._inner.has_subwords) and isinstance(key, str) and self._inner.oov_vector(key) is not None

    def has_index_for(self, key) -> bool:
        """Whether `key` is a word of the vocabulary or a valid row number (gensim's rule)."""
        return self.get_index(key, -1) >= 0

    def _key(self, key):
        """`key` as the vectors' tokenizer cuts it, when they were trained with one that rewrites
        words (``tokenizer="unicode"``; read from the model card beside a loaded file): a word not
        in the vocabulary as given is looked up in its cut form (``"Москва"`` finds ``"москва"``),
        as the command-line queries do. A word the tokenizer cuts into several is a KeyError
        that names the pieces."""
        if not isinstance(key, str) or key in self.key_to_index:
            return key
        kind, pieces = self._inner.cut(key)
        if kind == "one":
            return pieces[0]
        if kind == "split":
            raise KeyError(f"'{key}' is several words for these vectors' tokenizer: {' '.join(pieces)}")
        return key

    def get_index(self, key: str, default: Optional[int] = None) -> int:
        """The row of `key` (a word, or a row number returned as is), else `default`; with no
        default, KeyError as gensim raises."""
        try:
            key = self._key(key)
        except KeyError:
            if default is not None:
                return default
            raise
        i = self.key_to_index.get(key) if isinstance(key, str) else None
        if i is not None:
            return i
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    @property
    def norms(self) -> np.ndarray:
        """Each vector's Euclidean norm (read-only view, computed once)."""
        return self._inner.norms()

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        """The vector of `key`; for a subword model (a fastText .bin), an unknown word's
        vector from its character n-grams, as gensim's FastTextKeyedVectors."""
        key = self._key(key)
        if isinstance(key, str) and key not in self.key_to_index and self._inner.has_subwords:
            v = self._inner.oov_vector(key)
            if v is None:
                raise KeyError(f"cannot calculate vector for OOV word without ngrams: '{key}'")
            if norm:
                n = np.linalg.norm(v)
                return v / n if n > 0 else v
            return v
        i = self.get_index(key)
        if norm:
            return self.vectors[i] / self.norms[i]
        return self.vectors[i]

    def __getitem__(self, key_or_keys):
        """`vecs["king"]`: one vector (a view of its row; an unknown word's n-gram vector for a
        subword model); `vecs[["king", "queen"]]`: a new `(len(keys), dim)` array."""
        if isinstance(key_or_keys, (str, int, np.integer)):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    # --- queries (gensim's definitions) -------------------------------------------------
    @staticmethod
    def _ensure_list(value) -> list:
        """gensim's rule: a key or a 1-D vector is one term; a 2-D array is one term per row."""
        if value is None:
            return []
        if isinstance(value, (str, int, np.integer)) or (isinstance(value, np.ndarray) and value.ndim == 1):
            return [value]
        if isinstance(value, np.ndarray) and value.ndim == 2:
            return list(value)
        return list(value)

    def _row_of(self, key) -> Optional[int]:
        """The row of a key given as a word or a row number, else None (vectors, OOV words)."""
        if isinstance(key, np.ndarray):
            return None
        i = self.get_index(key, -1)
        return i if i >= 0 else None

    def _weighted(self, positive, negative) -> Tuple[List[Tuple[Any, float]], List[int]]:
        positive, negative = self._ensure_list(positive), self._ensure_list(negative)
        terms = []
        for items, weight in ((positive or [], 1.0), (negative or [], -1.0)):
            for item in items:
                if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], tuple):
                    terms.append((item[0], float(item[1])))
                else:
                    terms.append((item, weight))
        keys = [i for i in (self._row_of(k) for k, _ in terms) if i is not None]
        return terms, keys

    def most_similar(self, positive=None, negative=None, topn: Optional[int] = 10,
                     restrict_vocab: Optional[int] = None) -> Union[List[Tuple[str, float]], np.ndarray]:
        """The `topn` words closest by cosine to the mean of the unit vectors of `positive`
        minus those of `negative` (keys, vectors, or (key, weight) pairs), query words excluded.
        With ``topn=None``, every word's similarity as an array (gensim's behaviour)."""
        terms, keys = self._weighted(positive, negative)
        if not terms:
            raise ValueError("cannot compute similarity with no input")
        restrict_vocab = restrict_vocab or None
        mean = [w * (self.get_vector(k, norm=True) if not isinstance(k, np.ndarray) else np.asarray(k, dtype=np.float32))
                for k, w in terms]
        query = _unitvec(np.array(mean, dtype=np.float32).mean(axis=0)).astype(np.float32)
        if topn is None:
            n = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
            return (self.vectors[:n] @ query) / np.where(self.norms[:n] > 0, self.norms[:n], 1)
        if topn <= 0:
            return []
        best = self._inner.nearest(query, int(topn), sorted(set(keys)), restrict_vocab)
        return [(self.index_to_key[i], float(s)) for i, s in best]

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: Optional[int] = None):
        """The `topn` words closest to `word` by cosine, `[(word, score)]` (gensim's)."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10, restrict_vocab: Optional[int] = None):
        """The `topn` words closest to `vector` by cosine, `[(word, score)]` (gensim's)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn: Optional[int] = 10,
                            restrict_vocab: Optional[int] = None) -> List[Tuple[str, float]]:
        """3CosMul (Levy and Goldberg 2014), as gensim's ``most_similar_cosmul``: the product
        of shifted cosines to `positive` over the product of those to `negative` (+1e-6)."""
        positive, negative = self._ensure_list(positive), self._ensure_list(negative)
        if not positive and not negative:
            raise ValueError("cannot compute similarity with no input")
        used = {i for i in (self._row_of(w) for w in positive + negative) if i is not None}
        unit = lambda w: self.get_vector(w, norm=True) if not isinstance(w, np.ndarray) else w
        n = min(restrict_vocab, len(self)) if restrict_vocab else len(self)
        vectors, norms = self.vectors[:n], self.norms[:n]
        shifted = lambda term: (1 + (vectors @ unit(term)) / norms) / 2
        pos = [shifted(t) for t in positive]
        neg = [shifted(t) for t in negative]
        dists = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 0.000001)
        if topn is None:
            return dists
        order = np.argsort(-dists, kind="stable")[: topn + len(used)]
        return [(self.index_to_key[i], float(dists[i])) for i in order if i not in used][:topn]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        return float(np.dot(_unitvec(self[w1]), _unitvec(self[w2])))

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine similarity of the means of two word sets' vectors (gensim's definition)."""
        if not ws1 or not ws2:
            raise ZeroDivisionError("At least one of the passed list is empty.")

        def mean(words):
            known = [self[w] for w in words if w in self]
            if not known:
                raise ValueError("cannot compute mean with no input")
            return np.array(known).mean(axis=0)

        return float(np.dot(_unitvec(mean(ws1)), _unitvec(mean(ws2))))

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean of the others' unit vectors (unknown words ignored)."""
        used = [w for w in words if w in self]
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vectors = np.vstack([self.get_vector(w, norm=True) for w in used]).astype(np.float32)
        mean = _unitvec(vectors.mean(axis=0)).astype(np.float32)
        dists = vectors @ mean
        return sorted(zip(dists, used))[0][1]

    # --- evaluation (gensim's return shapes) -------------------------------------------
    def evaluate_word_analogies(self, analogies: Union[str, os.PathLike], restrict_vocab: int = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar") -> Tuple[float, List[dict]]:
        """Accuracy on analogy questions (``: section`` lines, then ``a b c d``), as gensim's:
        ``(score, sections)``, each section ``{"section", "correct", "incorrect"}`` listing the
        questions (upper-cased when case-insensitive), and a last "Total accuracy" section.
        Questions with a word outside the first `restrict_vocab` words are skipped.
        `similarity_function`: "most_similar" (3CosAdd) or "most_similar_cosmul" (3CosMul)."""
        if dummy4unknown:
            raise NotImplementedError("dummy4unknown=True is not supported: questions with unknown words are skipped")
        if similarity_function not in ("most_similar", "most_similar_cosmul"):
            raise ValueError("similarity_function must be 'most_similar' or 'most_similar_cosmul'")
        names, outcomes = self._inner.evaluate_analogies(os.fspath(analogies), restrict_vocab or None, case_insensitive,
                                                         similarity_function == "most_similar_cosmul")
        sections = [{"section": name, "correct": [], "incorrect": []} for name in names]
        for section, words, correct in outcomes:
            if case_insensitive:
                words = tuple(w.upper() for w in words)
            sections[section]["correct" if correct else "incorrect"].append(words)
        total = {
            "section": "Total accuracy",
            "correct": [q for s in sections for q in s["correct"]],
            "incorrect": [q for s in sections for q in s["incorrect"]],
        }
        answered = len(total["correct"]) + len(total["incorrect"])
        score = len(total["correct"]) / answered if answered else 0.0
        return score, sections + [total]

    def evaluate_word_pairs(self, pairs: Union[str, os.PathLike], delimiter: Optional[str] = None,
                            encoding: str = "utf8", restrict_vocab: int = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False
                            ) -> Tuple[Tuple[float, float], Tuple[float, float], float]:
        """Correlation with human similarity scores (``word1 word2 score`` lines), as gensim's:
        ``((pearson, p-value), (spearman, p-value), oov_percent)``. `delimiter`: None detects
        tabs, commas or spaces. As in gensim, pairs with a word outside the first
        `restrict_vocab` words are skipped, also for a subword model; with `dummy4unknown`
        they are scored as similarity 0 instead (and still counted in the oov percentage)."""
        if encoding.replace("-", "").lower() != "utf8":
            raise ValueError("only UTF-8 pair files are read")
        pr, pp, sr, sp, scored, oov = self._inner.evaluate_pairs(os.fspath(pairs), restrict_vocab or None,
                                                                 case_insensitive, delimiter,
                                                                 dummy4unknown=bool(dummy4unknown))
        if scored == 0:
            raise ValueError(f"no pair of {os.fspath(pairs)} could be scored (all have unknown words)")
        # gensim's ratio: of the pairs scored, the dummies among them, or of every pair.
        total = scored if dummy4unknown else scored + oov
        ratio = 100.0 * oov / total if total else 0.0
        return (pr, pp), (sr, sp), ratio

    def __repr__(self) -> str:
        """`<w2v.KeyedVectors: N words x dim>`."""
        return f"<w2v.KeyedVectors: {len(self)} words x {self.vector_size}>"
