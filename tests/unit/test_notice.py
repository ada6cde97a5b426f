"""NOTICE names the licence of every package the services run on; one
version number for the release."""

from pathlib import Path

from devstack import notice
from shared import migrations
from tests.integration import test_upgrade

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


def test_the_release_is_one_number_in_the_package_the_chart_and_the_changelog():
    import re
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    chart = (ROOT / "deploy" / "helm" / "matchmaker" / "Chart.yaml").read_text()
    assert re.search(rf"^version: {re.escape(version)}$", chart, re.M)
    assert f'appVersion: "{version}"' in chart
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.findall(r"^## (\S+)", changelog, re.M)[0] == version
    previous = re.findall(r"^## (\S+)", changelog, re.M)[1]
    assert (
        previous == test_upgrade.PREVIOUS_RELEASE
    )  # what the upgrade test starts from
    shipped = [v for v, _ in migrations.available()]
    assert test_upgrade.PREVIOUS_LAST in shipped[:-1]
