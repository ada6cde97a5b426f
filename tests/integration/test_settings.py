"""Each process refuses to start with a bad setting, naming it in one line."""

import subprocess
import sys

import pytest

from tests.support import ROOT, base_env

GOOD = dict(
    DATABASE_URL="postgresql://postgres@127.0.0.1:1/x",
    KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
)

BAD = [
    ("DATABASE_URL", "mysql://nope"),
    ("KAFKA_BOOTSTRAP_SERVERS", "no-port-here"),
    ("RESPONSE_TIMEOUT", "three days"),
    ("MIN_LEAD_TIME", "PT-5H"),
    ("AUTH_MODE", "trust-everyone"),
    ("FIELDS_FILE", "/nonexistent/fields.yaml"),
    ("SMTP_SECURITY", "tls-maybe"),
    ("PUBLIC_BASE_URL", "intranet"),
    ("INTAKE_PORT", "80000"),
]


@pytest.mark.parametrize("service", ["intake", "matcher", "notifier"])
@pytest.mark.parametrize("variable,value", BAD, ids=[b[0] for b in BAD])
def test_process_refuses_a_bad_setting_naming_it(service, variable, value):
    env = base_env(**{**GOOD, variable: value})
    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


@pytest.mark.parametrize("service", ["intake", "matcher", "notifier"])
def test_process_refuses_a_missing_required_setting(service):
    env = base_env(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "required" in result.stderr


def test_fields_file_that_does_not_load_is_refused(tmp_path):
    bad = tmp_path / "fields.yaml"
    bad.write_text("- slug: Not A Slug\n  label: {en: x}\n")
    env = base_env(**GOOD, FIELDS_FILE=str(bad))
    result = subprocess.run(
        [sys.executable, "-m", "services.matcher"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "FIELDS_FILE" in result.stderr


def _start(service: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("service", ["intake", "matcher", "notifier"])
def test_a_process_outside_make_run_refuses_to_start_without_an_explicit_auth_mode(
    service,
):
    env = {k: v for k, v in base_env(**GOOD).items() if k != "AUTH_MODE"}
    result = _start(service, env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "AUTH_MODE" in line and "required" in line


def test_dev_mode_refuses_to_listen_beyond_loopback_unless_told_loudly():
    result = _start("intake", base_env(**GOOD, BIND_HOST="0.0.0.0"))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "AUTH_MODE" in line and "INSECURE_DEV_AUTH_ON_NETWORK" in line


def test_the_placeholder_secret_key_of_old_compose_files_is_refused():
    result = _start(
        "notifier", base_env(**GOOD, SECRET_KEY="change-me-to-a-long-random-string")
    )
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
