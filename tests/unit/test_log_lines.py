"""Logs name people by id, never by name or address: no log call in
services/ or shared/ is given a recipient, an email or a person's name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
PERSONAL = {
    "recipient", "email", "host_email", "requester_email", "referrer_email",
    "requester_name", "referrer_name", "host_name", "who", "address",
}  # fmt: skip


def personal_parts(node: ast.AST) -> set[str]:
    found = set()
    for part in ast.walk(node):
        if isinstance(part, ast.Name) and part.id in PERSONAL:
            found.add(part.id)
        elif isinstance(part, ast.Attribute) and part.attr in PERSONAL:
            found.add(part.attr)
        elif (
            isinstance(part, ast.Subscript)
            and isinstance(part.slice, ast.Constant)
            and part.slice.value in PERSONAL
        ):
            found.add(part.slice.value)
    return found


def log_calls():
    for folder in ("services", "shared"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LEVELS
                    and isinstance(node.func.value, ast.Name | ast.Attribute)
                    and getattr(
                        node.func.value, "id", getattr(node.func.value, "attr", "")
                    )
                    in ("log", "logger")
                ):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_the_project_has_log_calls_to_check():
    assert sum(1 for _ in log_calls()) > 20


def test_no_log_line_carries_a_persons_address_or_name():
    offending = {
        where: sorted(found)
        for where, call in log_calls()
        if (found := set().union(*(personal_parts(a) for a in call.args[1:])))
    }
    assert offending == {}
