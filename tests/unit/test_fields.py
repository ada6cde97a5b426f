import pytest

from shared import fields
from shared.config import DEFAULT_FIELDS_FILE


def test_bundled_taxonomy_has_about_forty_bilingual_fields():
    t = fields.load_taxonomy(DEFAULT_FIELDS_FILE)
    assert 35 <= len(t.fields) <= 50
    assert all({"fr", "en"} <= set(f.label) for f in t.fields.values())


def test_related_means_parent_or_sibling():
    t = fields.load_taxonomy(DEFAULT_FIELDS_FILE)
    related = t.related("data-engineering")
    assert "engineering" in related and "devops" in related
    assert "data-engineering" not in related and "accounting" not in related


def test_json_taxonomy_loads(tmp_path):
    p = tmp_path / "f.json"
    p.write_text(
        '[{"slug": "a", "label": {"en": "A"}}, {"slug": "b", "label": {"en": "B"}, "parent": "a"}]'
    )
    assert fields.load_taxonomy(p).related("b") == {"a"}


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "- slug: a\n  label: {en: A}\n  parent: missing\n",
        "- slug: a\n  label: {en: A}\n- slug: a\n  label: {en: B}\n",
        "{{{",
    ],
)
def test_bad_taxonomies_are_refused(tmp_path, text):
    p = tmp_path / "f.yaml"
    p.write_text(text)
    with pytest.raises(fields.TaxonomyError):
        fields.load_taxonomy(p)
