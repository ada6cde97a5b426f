"""The taxonomy of fields (`FIELDS_FILE`): load, validate, relate."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class TaxonomyError(Exception):
    pass


@dataclass(frozen=True)
class Field:
    slug: str
    label: dict
    parent: str | None = None


class Taxonomy:
    def __init__(self, fields: list[Field]):
        self.fields = {f.slug: f for f in fields}

    def __contains__(self, slug) -> bool:
        return slug in self.fields

    def label(self, slug: str, lang: str) -> str:
        """The field's label in `lang`, else the first label it has; the slug
        itself when the field is unknown."""
        field = self.fields.get(slug)
        if field is None:
            return slug
        return field.label.get(lang, next(iter(field.label.values())))

    def related(self, slug: str) -> set[str]:
        """Slugs that are related to `slug` (its parent, its siblings), not itself."""
        field = self.fields[slug]
        out = set()
        if field.parent:
            out.add(field.parent)
            out.update(s for s, f in self.fields.items() if f.parent == field.parent)
        out.discard(slug)
        return out

    def as_list(self) -> list[dict]:
        return [
            {"slug": f.slug, "label": f.label, "parent": f.parent}
            for f in self.fields.values()
        ]


def load_taxonomy(path: Path) -> Taxonomy:
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path} does not load: {exc}".splitlines()[0]) from None
    if not isinstance(raw, list) or not raw:
        raise TaxonomyError(f"{path} must hold a non-empty list of fields")
    fields = []
    for item in raw:
        if not isinstance(item, dict) or not SLUG.match(str(item.get("slug", ""))):
            raise TaxonomyError(
                f"{path}: every field needs a slug of [a-z0-9-]: {item!r}"
            )
        label = item.get("label")
        if (
            not isinstance(label, dict)
            or not label
            or not all(isinstance(v, str) for v in label.values())
        ):
            raise TaxonomyError(
                f"{path}: field {item['slug']} needs a label per language"
            )
        fields.append(Field(item["slug"], label, item.get("parent")))
    slugs = [f.slug for f in fields]
    if len(set(slugs)) != len(slugs):
        raise TaxonomyError(f"{path}: slugs are not unique")
    for f in fields:
        if f.parent is not None and f.parent not in slugs:
            raise TaxonomyError(f"{path}: field {f.slug} has unknown parent {f.parent}")
    return Taxonomy(fields)
