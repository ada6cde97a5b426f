"""Writes NOTICE: the licence of each third-party package the services run
on (the `dependencies` of pyproject.toml and what they pull in), as the
installed distributions declare it, and the code and data the project
itself bundles. `python -m devstack.notice > NOTICE` after a change of
dependencies; tests/unit/test_notice.py fails while NOTICE is behind."""

from __future__ import annotations

import importlib.metadata as metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
Network-interview matchmaker
Copyright 2025-2026 the matchmaker authors
Licensed under the Apache License, Version 2.0 (see LICENSE).

Bundled with the project:
- shared/data/fields.yaml and shared/data/sites.yaml: the sample taxonomy
  and sites, written for the project (Apache-2.0).
- The API reference page serves Swagger UI from the swagger-ui-bundle
  package (Apache-2.0), unchanged.

Third-party Python packages the services run on, with the licence each
declares (installed from PyPI at the versions pyproject.toml allows, not
copied into this repository):
"""


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower()


def runtime_requirements() -> list[str]:
    """The dependencies of pyproject.toml, with the packages their extras
    name (psycopg[binary,pool] is psycopg, psycopg-binary, psycopg-pool)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = _name(requirement)
        names.add(name)
        extras = re.search(r"\[([^\]]*)\]", requirement)
        for extra in extras.group(1).split(",") if extras else ():
            names.update(_extra(name, extra.strip()))
    return sorted(names)


def _extra(name: str, extra: str) -> list[str]:
    try:
        requires = metadata.distribution(name).requires or ()
    except metadata.PackageNotFoundError:
        return []
    return [
        _name(r) for r in requires if re.search(rf"extra == .{re.escape(extra)}.", r)
    ]


def closure(names: list[str]) -> list[str]:
    """The packages named and everything they require (extras left out)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for req in dist.requires or ():
            if "extra ==" not in req:
                todo.append(_name(req))
    return sorted(seen)


def licence(name: str) -> str:
    meta = metadata.metadata(name)
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or ()
        if c.startswith("License ::")
    ]
    if classifiers:
        return ", ".join(classifiers)
    text = (meta.get("License") or "").strip().splitlines()
    return text[0][:80] if text else "see the package"


def notice() -> str:
    lines = [HEADER]
    for name in closure(runtime_requirements()):
        dist = metadata.distribution(name)
        lines.append(f"- {dist.metadata['Name']}: {licence(name)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(notice(), end="")
