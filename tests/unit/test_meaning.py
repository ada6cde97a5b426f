"""What the sentence model is given to read (no model loaded here)."""

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
