"""The Python package: every call of the API on the bundled sample, gensim's answers on the same
vectors, the zero-copy matrix, sentences against a file, errors and Ctrl-C."""

import gzip
import os
import signal

import numpy as np
import pytest

import w2v

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, "data", "sample.txt.gz")
ANALOGIES = os.path.join(ROOT, "data", "eval", "questions-words.txt")
WORDSIM = os.path.join(ROOT, "data", "eval", "wordsim353.tsv")
SHARED_EVAL = os.path.join(ROOT, "..", "shared", "data", "eval")

SMALL = dict(dim=32, epochs=2, min_count=5, sample=1e-4, seed=7)


def sentences_of(tokens, length=1000):
    return [tokens[i:i + length] for i in range(0, len(tokens), length)]


@pytest.fixture(scope="module")
def tokens():
    with gzip.open(SAMPLE, "rt") as f:
        return f.read().split()[:400_000]


@pytest.fixture(scope="module")
def corpus(tokens, tmp_path_factory):
    """The first 400k tokens of the sample, one 1,000-token sentence per line."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences_of(tokens)) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def vecs(corpus):
    return w2v.train(corpus, threads=2, **SMALL)


@pytest.fixture(scope="module")
def gensim_kv(vecs):
    pytest.importorskip("gensim")
    return vecs.to_gensim()


def test_train_returns_vectors_with_lookups_and_stats(vecs):
    assert len(vecs) == len(vecs.index_to_key) > 1000
    assert vecs.vector_size == 32
    assert vecs.vectors.shape == (len(vecs), 32) and vecs.vectors.dtype == np.float32
    assert "the" in vecs and "zzqqxx" not in vecs
    assert vecs.index_to_key[0] == "the"
    assert all(vecs.key_to_index[k] == i for i, k in enumerate(vecs.index_to_key[:100]))
    assert np.array_equal(vecs["king"], vecs.vectors[vecs.key_to_index["king"]])
    assert vecs[["king", "queen"]].shape == (2, 32)
    assert len(vecs.losses) == 2 and all(np.isfinite(vecs.losses))
    stats = vecs.stats
    assert stats["config"]["dim"] == 32 and stats["resolved"]["threads"] == 2
    assert stats["words"] == len(vecs) and stats["words_per_sec"] > 0


def test_vectors_is_a_read_only_view_not_a_copy(vecs, tmp_path):
    a = vecs.vectors
    ptr = a.__array_interface__["data"][0]
    # A fresh view of the native matrix points at the same memory: no copy was made.
    assert vecs._inner.matrix().__array_interface__["data"][0] == ptr
    assert a.base is vecs._inner
    assert not a.flags.owndata and not a.flags.writeable
    assert vecs.vectors is a
    assert np.shares_memory(vecs["the"], a)
    # The view keeps the native vectors alive after the Python object is gone.
    path = str(tmp_path / "v.bin")
    vecs.save_word2vec_format(path, binary=True)
    other = w2v.load(path)
    view = other.vectors
    del other
    import gc

    gc.collect()
    assert np.array_equal(view, vecs.vectors)
    with pytest.raises(ValueError):
        a[0, 0] = 1.0
    with pytest.raises(ValueError):
        a.setflags(write=True)


def test_most_similar_equals_gensim(vecs, gensim_kv):
    for query in [dict(positive=["king"]), dict(positive=["paris", "italy"], negative=["france"]),
                  dict(positive=["war"], negative=["peace"], topn=20),
                  dict(positive=["city"], restrict_vocab=2000),
                  dict(positive=[("king", 2.0), "woman"], negative=[("man", 0.5)]),
                  dict(positive="king", topn=3), dict(positive=[vecs.key_to_index["king"]], topn=4)]:
        ours = vecs.most_similar(**query)
        theirs = gensim_kv.most_similar(**query)
        assert [w for w, _ in ours] == [w for w, _ in theirs], query
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5), query
    vec = vecs["king"]
    assert [w for w, _ in vecs.most_similar(positive=[vec], topn=5)] == \
        [w for w, _ in gensim_kv.most_similar(positive=[vec], topn=5)]
    assert np.allclose(vecs.most_similar("king", topn=None), gensim_kv.most_similar("king", topn=None), atol=1e-5)


def test_cosmul_similarity_and_doesnt_match_equal_gensim(vecs, gensim_kv):
    for q in [dict(positive=["king", "woman"], negative=["man"], topn=10),
              dict(positive=[vecs["king"], "woman"], negative=["man"], topn=5)]:
        ours, theirs = vecs.most_similar_cosmul(**q), gensim_kv.most_similar_cosmul(**q)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    for a, b in [("king", "queen"), ("war", "peace"), ("one", "two")]:
        assert abs(vecs.similarity(a, b) - gensim_kv.similarity(a, b)) < 1e-5
    assert abs(vecs.n_similarity(["king", "man"], ["queen", "woman"])
               - gensim_kv.n_similarity(["king", "man"], ["queen", "woman"])) < 1e-5
    # Unknown words are skipped, as gensim skips them.
    for a, b in [(["king", "zzqqxx"], ["queen"]), (["war", "peace"], ["battle", "qqzzxx"])]:
        assert abs(vecs.n_similarity(a, b) - gensim_kv.n_similarity(a, b)) < 1e-5
    for words in [["king", "queen", "prince", "car"], ["king", "queen", "zzqqxx", "car"]]:
        assert vecs.doesnt_match(words) == gensim_kv.doesnt_match(words)


def test_evaluate_word_analogies_equals_gensim(vecs, gensim_kv):
    # 2,000 words: the restriction cuts (the vocabulary is larger), as does case-sensitivity.
    assert len(vecs) > 2000
    # (gensim 4.4 ignores similarity_function and always scores 3CosAdd, so 3CosMul is
    # compared with the query API below, not with gensim's evaluation.)
    for kw in [dict(restrict_vocab=30000), dict(restrict_vocab=2000), dict(case_insensitive=False)]:
        ours = vecs.evaluate_word_analogies(ANALOGIES, **kw)
        theirs = gensim_kv.evaluate_word_analogies(ANALOGIES, **kw)
        assert ours[0] == pytest.approx(theirs[0], abs=1e-12), kw
        assert [s["section"] for s in ours[1]] == [s["section"] for s in theirs[1]]
        for a, b in zip(ours[1], theirs[1]):
            assert sorted(a["correct"]) == sorted(b["correct"]), (kw, a["section"])
            assert sorted(a["incorrect"]) == sorted(b["incorrect"]), (kw, a["section"])
        assert len(ours[1][-1]["correct"]) > 0
    # 3CosMul: each question's verdict is that of most_similar_cosmul's best answer.
    _, sections = vecs.evaluate_word_analogies(ANALOGIES, similarity_function="most_similar_cosmul")
    for verdict in ("correct", "incorrect"):
        for a, b, c, d in sections[-1][verdict][:40]:
            best = vecs.most_similar_cosmul(positive=[b.lower(), c.lower()], negative=[a.lower()], topn=1)[0][0]
            assert (best.upper() == d) == (verdict == "correct"), (a, b, c, d, best)


def test_evaluate_word_pairs_equals_gensim(vecs, gensim_kv):
    files = [WORDSIM] + [os.path.join(SHARED_EVAL, "simlex999.txt")] * os.path.exists(
        os.path.join(SHARED_EVAL, "simlex999.txt"))
    for path, kw in [(f, {}) for f in files] + [(WORDSIM, dict(restrict_vocab=1000)),
                                                 (WORDSIM, dict(case_insensitive=False)),
                                                 (WORDSIM, dict(restrict_vocab=1000, dummy4unknown=True))]:
        (pr, pp), (sr, sp), oov = vecs.evaluate_word_pairs(path, **kw)
        (gpr, gpp), (gsr, gsp), goov = gensim_kv.evaluate_word_pairs(path, **kw)
        # Pearson to 1e-5. Spearman to 1e-4: cosines equal to ~1e-7 (the two tools sum in
        # different orders) can swap ranks, which moves rho by ~2e-5 on this small model.
        assert abs(pr - gpr) < 1e-5 and abs(sr - gsr) < 1e-4, path
        assert pp == pytest.approx(gpp, rel=1e-3) and sp == pytest.approx(gsp, rel=1e-3), path
        assert oov == pytest.approx(goov), path


def test_save_and_load_round_trip_and_gensim_reads_them(vecs, tmp_path):
    gensim = pytest.importorskip("gensim")
    for binary, name in [(True, "v.bin"), (False, "v.txt")]:
        path = str(tmp_path / name)
        vecs.save_word2vec_format(path, binary=binary)
        back = w2v.load(path)
        assert back.index_to_key == vecs.index_to_key
        if binary:
            assert np.array_equal(back.vectors, vecs.vectors)
        else:
            assert np.allclose(back.vectors, vecs.vectors, atol=1e-6)
        assert back.stats is None and back.losses == []
        g = gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary)
        assert g.index_to_key == vecs.index_to_key
        assert np.allclose(g.vectors, vecs.vectors, atol=1e-6)
    # And a file gensim wrote.
    path = str(tmp_path / "g.bin")
    vecs.to_gensim().save_word2vec_format(path, binary=True)
    assert np.array_equal(w2v.KeyedVectors.load_word2vec_format(path, binary=True).vectors, vecs.vectors)
    assert len(w2v.load(path, limit=10)) == 10
    # A gzip-compressed binary file (the committed fixture: 8,000 words × 32), as gensim reads it.
    gz = os.path.join(ROOT, "tests", "fixtures", "vectors.bin.gz")
    fixture = w2v.load(gz)
    assert (len(fixture), fixture.vector_size) == (8000, 32)
    g = gensim.models.KeyedVectors.load_word2vec_format(gz, binary=True)
    assert g.index_to_key == fixture.index_to_key and np.array_equal(g.vectors, fixture.vectors)


def test_sentences_and_file_give_the_same_vocabulary_and_vectors(tokens, corpus):
    settings = dict(SMALL, threads=1, deterministic=True)
    from_file = w2v.train(corpus, **settings)
    # A generator: read once, as gensim users pass them.
    from_sentences = w2v.train(sentences=(s for s in sentences_of(tokens)), **settings)
    assert from_sentences.index_to_key == from_file.index_to_key
    assert np.array_equal(from_sentences.vectors, from_file.vectors)
    assert from_sentences.stats["corpus"] is None
    # As gensim's first argument.
    positional = w2v.train(sentences_of(tokens), **settings)
    assert np.array_equal(positional.vectors, from_file.vectors)
    # Later epochs replay the first epoch's ids; reading the text every epoch is the same.
    text_again = w2v.train(corpus, id_cache_mib=0, **settings)
    assert np.array_equal(text_again.vectors, from_file.vectors)


def test_sentences_of_int_ids():
    ids = [[i % 50, (i * 7) % 50, (i * 13) % 50] for i in range(2000)]
    v = w2v.train(sentences=ids, dim=8, epochs=1, min_count=1, threads=1)
    assert set(v.index_to_key) <= {str(i) for i in range(50)} and "7" in v


def test_queries_cut_words_with_the_vectors_tokenizer(tmp_path):
    # Raw text trained with the unicode tokenizer: queries are cut the same way, as the CLI's.
    lines = ["Москва — столица России, а Петербург — нет.", "Я живу в Москве и люблю Москву!",
             "北京大学的学生在北京学习。", "Россия большая страна; Москва большой город."]
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines * 200) + "\n", encoding="utf-8")
    vecs = w2v.train(str(raw), tokenizer="unicode", dim=8, epochs=1, min_count=1, threads=1, seed=1)
    assert "москва" in vecs.key_to_index and "Москва" not in vecs.key_to_index
    assert "Москва" in vecs and np.array_equal(vecs["Москва"], vecs["москва"])
    assert vecs.get_index("МОСКВА") == vecs.key_to_index["москва"]
    assert vecs.most_similar("Москва", topn=3) == vecs.most_similar("москва", topn=3)
    # A phrase the tokenizer cuts into several words is not one key.
    assert "北京大学生" not in vecs
    with pytest.raises(KeyError, match="several words"):
        vecs["北京大学生"]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("Москва\tРоссия\t9\nМосква\tгород\t7\nПетербург\tстрана\t2\n", encoding="utf-8")
    assert vecs.evaluate_word_pairs(str(pairs))[2] == 0.0  # no pair unknown
    # A pair with a phrase counts as unknown in the ratio, as gensim counts it.
    with open(pairs, "a", encoding="utf-8") as f:
        f.write("北京大学生\tМосква\t1\n")
    assert vecs.evaluate_word_pairs(str(pairs))[2] == pytest.approx(25.0)
    # A subword model: a phrase is not "in" it either, though its n-grams would give a vector.
    sub = w2v.train(str(raw), tokenizer="unicode", subwords=True, dim=8, epochs=1, min_count=1,
                    threads=1, seed=1)
    assert "МОСКВАМИ" in sub and "北京大学生" not in sub
    # Loaded back with the model card beside the file, the rule holds; without it, not.
    path = tmp_path / "ru.bin"
    vecs.save_word2vec_format(str(path), binary=True)
    assert "Москва" not in w2v.load(str(path))
    (tmp_path / "ru.bin.json").write_text(__import__("json").dumps(vecs.stats), encoding="utf-8")
    assert np.array_equal(w2v.load(str(path))["Москва"], vecs["москва"])
    # A card that cannot be read: a warning, and words as given.
    (tmp_path / "ru.bin.json").write_text("{not json", encoding="utf-8")
    with pytest.warns(UserWarning, match="model card"):
        broken = w2v.load(str(path))
    assert "москва" in broken and "Москва" not in broken


def test_gensim_names_are_accepted(corpus):
    v = w2v.train(corpus_file=corpus, vector_size=16, workers=1, sg=0, epochs=1, alpha=0.05, seed=3)
    assert v.vector_size == 16
    assert v.stats["config"]["model"] == "cbow" and v.stats["resolved"]["threads"] == 1


def test_errors_are_the_python_exceptions_gensim_raises(vecs, corpus, tmp_path):
    with pytest.raises(KeyError):
        vecs["zzqqxx"]
    with pytest.raises(KeyError):
        vecs.most_similar("zzqqxx")
    with pytest.raises(FileNotFoundError):
        w2v.train(str(tmp_path / "missing.txt"))
    with pytest.raises(FileNotFoundError):
        w2v.load(str(tmp_path / "missing.bin"))
    with pytest.raises(ValueError, match="dim"):
        w2v.train(corpus, dim=0)
    with pytest.raises(ValueError, match="unknown field"):
        w2v.train(corpus, no_such_setting=1)
    with pytest.raises(ValueError, match="model"):
        w2v.train(corpus, model="glove")
    with pytest.raises(ValueError):
        w2v.train(corpus, sentences=[["a"]])
    with pytest.raises(TypeError, match="list of tokens"):
        w2v.train(sentences=["a sentence given as one string"])
    with pytest.raises(TypeError, match="list of tokens"):
        w2v.train(sentences=[b"bytes"])
    # Resuming a sentences= run needs the sentences kept beside its checkpoint.
    with pytest.raises(FileNotFoundError, match="sentences"):
        w2v.train(sentences=[["a", "b"]], resume=str(tmp_path / "c.ckpt"))
    # A no-break space is not where the reader cuts: such a token is kept whole.
    w2v.train(sentences=[["new\u00a0york", "city"]] * 10, min_count=1, dim=4, epochs=1, threads=1)
    with pytest.raises(ValueError, match="whitespace"):
        w2v.train(sentences=[["new york"]])
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"3 2\nnot a vector file")
    with pytest.raises(ValueError):
        w2v.load(str(bad))


def test_progress_events_reach_the_callback(corpus):
    events = []
    v = w2v.train(corpus, callback=events.append, threads=1, **SMALL)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "vocab" and events[0]["words"] == len(v)
    ends = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in ends] == [1, 2]
    assert [e["loss"] for e in ends] == pytest.approx(v.losses)


def test_progress_bar_ends_full(corpus, capsys):
    w2v.train(corpus, progress=True, threads=1, **SMALL)
    assert "100.0/100" in capsys.readouterr().err


def test_ctrl_c_stops_training_with_keyboard_interrupt_and_a_checkpoint(corpus, tmp_path):
    # SIGINT to this process as soon as training starts (the vocabulary event comes before
    # any training): Python's handler raises KeyboardInterrupt at the trainer's next check,
    # the workers stop, and the checkpoint is written. No timing is involved.
    def interrupt(event):
        if event["event"] == "vocab":
            os.kill(os.getpid(), signal.SIGINT)

    # Enough epochs that training outlasts the signal's delivery to this process.
    settings = dict(SMALL, threads=2, deterministic=True, epochs=20)
    ckpt = tmp_path / "run.ckpt"
    # Python's own handler, as in an interactive session: a process started in the background
    # by a shell without job control inherits SIGINT ignored, and Python then keeps it so.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt) as err:
            w2v.train(corpus, callback=interrupt, checkpoint=str(ckpt), **settings)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert str(ckpt) in str(err.value) and "resume=" in str(err.value)
    assert ckpt.exists()
    # The run continues from the checkpoint to the end, to the vectors of a run never stopped.
    resumed = w2v.train(corpus, resume=str(ckpt))
    assert len(resumed.losses) == settings["epochs"]
    whole = w2v.train(corpus, **settings)
    assert np.array_equal(resumed.vectors, whole.vectors)


def test_ctrl_c_in_a_sentences_run_leaves_a_checkpoint_and_its_sentences(tokens, tmp_path):
    # As above, from an iterable: the sentences are kept beside the checkpoint until the run
    # completes, and the resumed run reads them there.
    def interrupt(event):
        if event["event"] == "vocab":
            os.kill(os.getpid(), signal.SIGINT)

    sents = sentences_of(tokens)
    settings = dict(SMALL, threads=2, deterministic=True, epochs=20)
    ckpt = tmp_path / "run.ckpt"
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt) as err:
            w2v.train(sentences=sents, callback=interrupt, checkpoint=str(ckpt), **settings)
    finally:
        signal.signal(signal.SIGINT, previous)
    kept = tmp_path / "run.ckpt.sentences.txt"
    assert str(ckpt) in str(err.value) and str(kept) in str(err.value)
    assert ckpt.exists() and kept.exists()
    # A resume that fails, and a fresh run that would overwrite this one: the sentences stay.
    with pytest.raises(ValueError, match="no other settings"):
        w2v.train(sentences=sents, resume=str(ckpt), epochs=3)
    # A bad setting is named first, with resume= as without.
    with pytest.raises(ValueError, match="--dim"):
        w2v.train(sentences=sents, resume=str(ckpt), dim=0)
    with pytest.raises(FileExistsError, match="interrupted run"):
        w2v.train(sentences=sents, checkpoint=str(ckpt), **settings)
    assert ckpt.exists() and kept.exists()
    # Resumed into another checkpoint and stopped again: the message names the new checkpoint
    # and a copy of the sentences beside it, which the next resume reads.
    ckpt2, kept2 = tmp_path / "run2.ckpt", tmp_path / "run2.ckpt.sentences.txt"
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt) as err:
            w2v.train(sentences=sents, callback=interrupt, resume=str(ckpt), checkpoint=str(ckpt2))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert str(ckpt2) in str(err.value) and str(kept2) in str(err.value)
    assert ckpt2.exists() and kept2.exists() and kept.exists()
    resumed = w2v.train(sentences=sents, resume=str(ckpt2))
    assert len(resumed.losses) == settings["epochs"] and not kept2.exists()
    whole = w2v.train(sentences=sents, **settings)
    assert np.array_equal(resumed.vectors, whole.vectors)
    resumed = w2v.train(sentences=sents, resume=str(ckpt))
    assert len(resumed.losses) == settings["epochs"] and not kept.exists()
    whole = w2v.train(sentences=sents, **settings)
    assert np.array_equal(resumed.vectors, whole.vectors)
    with pytest.raises(FileNotFoundError, match="sentences"):
        w2v.train(sentences=sents, resume=str(ckpt))


def test_a_failed_checkpointed_sentences_run_leaves_no_copy_of_them(tokens, tmp_path):
    # An iterable that fails while it is read, and settings that fail after it was read: no
    # checkpoint names the sentences, so no copy (whole or partial) is left beside it.
    def failing():
        yield from sentences_of(tokens)[:50]
        raise RuntimeError("the iterable broke")

    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="iterable broke"):
        w2v.train(sentences=failing(), checkpoint=str(ckpt), **SMALL)
    with pytest.raises(ValueError):
        w2v.train(sentences=sentences_of(tokens), checkpoint=str(ckpt), **dict(SMALL, min_count=10**9))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_exception_in_the_callback_stops_training_and_propagates(corpus):
    def boom(event):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        w2v.train(corpus, callback=boom, threads=1, **SMALL)


FT_MODEL = os.path.join(ROOT, "tests", "fixtures", "fasttext_small.bin")
FT_GOLDEN = os.path.join(ROOT, "tests", "fixtures", "fasttext_small.json")


def test_a_fasttext_model_gives_fasttexts_vectors_for_known_and_unknown_words():
    import json

    golden = json.load(open(FT_GOLDEN, encoding="utf-8"))
    v = w2v.load(FT_MODEL)
    assert v.index_to_key == golden["words"]
    for word, want in golden["vectors"].items():
        assert (word in v.key_to_index) == golden["known"][word]
        assert word in v
        assert np.allclose(v[word], want, atol=1e-6), word
    assert "" not in v or len(v[""]) == v.vector_size
    gensim = pytest.importorskip("gensim")
    g = gensim.models.fasttext.load_facebook_vectors(FT_MODEL)
    for word in golden["vectors"]:
        # gensim gives </s> n-grams; fastText (and w2v, equal to fastText above) does not.
        if word != "</s>":
            assert np.allclose(v[word], g[word], atol=1e-5), word
    assert [w for w, _ in v.most_similar("catsat", topn=3)] == [w for w, _ in g.most_similar("catsat", topn=3)]
    assert abs(v.similarity("catsat", "cat") - g.similarity("catsat", "cat")) < 1e-5


W2V_MODEL = os.path.join(ROOT, "tests", "fixtures", "w2v_small.bin")
W2V_GOLDEN = os.path.join(ROOT, "tests", "fixtures", "w2v_small.json")


def test_a_model_written_by_w2v_reads_in_gensim_as_in_fasttext():
    import json

    # w2v_small.bin was written by `w2v train --subwords`; the JSON holds fastText's vectors.
    golden = json.load(open(W2V_GOLDEN, encoding="utf-8"))
    v = w2v.load(W2V_MODEL)
    gensim = pytest.importorskip("gensim")
    g = gensim.models.fasttext.load_facebook_vectors(W2V_MODEL)
    full = gensim.models.fasttext.load_facebook_model(W2V_MODEL)
    assert list(g.index_to_key) == golden["words"]
    for word, want in golden["vectors"].items():
        assert np.allclose(g[word], want, atol=1e-5), word
        assert np.allclose(full.wv[word], want, atol=1e-5), word
        assert np.allclose(v[word], want, atol=1e-6), word


def test_subword_training_gives_unknown_words_vectors_and_writes_fasttexts_format(corpus, tmp_path):
    v = w2v.train(corpus, subwords=True, bucket=50_000, min_n=3, max_n=5, **SMALL)
    assert "frenchified" not in v.key_to_index and "frenchified" in v
    assert v.stats["config"]["subwords"] is True
    path = tmp_path / "m.bin"
    v.save_facebook_model(path)
    back = w2v.load(path)
    assert back.index_to_key == v.index_to_key
    for word in ["the", "france", "frenchified"]:
        assert np.allclose(back[word], v[word], atol=1e-6), word
    gensim = pytest.importorskip("gensim")
    g = gensim.models.fasttext.load_facebook_vectors(str(path))
    for word in ["the", "france", "frenchified"]:
        assert np.allclose(g[word], v[word], atol=1e-5), word
    plain = w2v.train(corpus, **SMALL)
    with pytest.raises(ValueError, match="subword"):
        plain.save_facebook_model(tmp_path / "plain.bin")


def test_a_model_written_by_w2v_loads_in_fasttext_with_w2vs_vectors(corpus, tmp_path):
    # Runs where the fastText module is installed (`pip install fasttext-wheel`); the committed
    # golden files (tests/fixtures/w2v_small.json) check the same without it.
    fasttext = pytest.importorskip("fasttext")
    for model in ("skipgram", "cbow"):
        v = w2v.train(corpus, model=model, subwords=True, bucket=20_000, min_n=3, max_n=5, **SMALL)
        path = str(tmp_path / f"{model}.bin")
        v.save_facebook_model(path)
        ft = fasttext.load_model(path)
        assert ft.get_words(on_unicode_error="replace") == v.index_to_key
        for word in ["the", "france", "frenchified", "zzxq"]:
            assert np.allclose(ft.get_word_vector(word), v[word], atol=1e-5), (model, word)
