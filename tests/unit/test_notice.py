"""NOTICE names the licence of every package the services run on."""

from pathlib import Path

from devstack import notice

ROOT = Path(__file__).resolve().parents[2]


def test_notice_lists_every_runtime_dependency():
    text = (ROOT / "NOTICE").read_text().lower().replace("_", "-")
    missing = [
        n
        for n in notice.runtime_requirements()
        if f"- {n.replace('_', '-')}:" not in text
    ]
    assert missing == [], f"run python -m devstack.notice > NOTICE: {missing}"


def test_licence_file_is_apache_2():
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert "Version 2.0" in (ROOT / "LICENSE").read_text()
