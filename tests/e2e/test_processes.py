"""The three services as real processes against the real broker and database."""

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devstack.ports import free_port
from tests.support import ServiceProcess, wait_for

SERVICES = ("intake", "matcher", "notifier")


def test_all_three_processes_become_ready_and_serve_metrics(service_env, log_dir):
    procs = [
        ServiceProcess(name, service_env, log_dir).start(wait_ready=False)
        for name in SERVICES
    ]
    try:
        for p in procs:
            p.wait_ready()
            assert requests.get(p.url + "/healthz", timeout=5).status_code == 200
            body = requests.get(p.url + "/readyz", timeout=5).json()
            assert body["checks"] == {"database": "ok", "kafka": "ok"}
            families = {
                f.name
                for f in text_string_to_metric_families(
                    requests.get(p.url + "/metrics", timeout=5).text
                )
            }
            assert "events_consumed" in families and "outbox_published" in families
    finally:
        for p in procs:
            p.stop()


@pytest.mark.parametrize(
    "service,variable,value,down",
    [
        (
            "matcher",
            "DATABASE_URL",
            "postgresql://postgres@127.0.0.1:{port}/nowhere",
            "database",
        ),
        ("notifier", "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:{port}", "kafka"),
    ],
)
def test_process_with_a_dependency_down_runs_but_is_not_ready(
    service_env, log_dir, service, variable, value, down
):
    env = dict(service_env, **{variable: value.format(port=free_port())})
    p = ServiceProcess(service, env, log_dir).start(wait_ready=False)
    try:
        assert wait_for(
            lambda: requests.get(p.url + "/healthz", timeout=2).status_code == 200, 30
        )
        response = requests.get(p.url + "/readyz", timeout=15)
        assert response.status_code == 503
        assert response.json()["down"] == [down]
        assert p.process.poll() is None
    finally:
        p.stop()


def test_sigterm_stops_a_service_cleanly(service_env, log_dir):
    p = ServiceProcess("matcher", service_env, log_dir).start()
    assert p.stop() == 0
    assert "matcher stopped" in p.log()


def test_readiness_names_what_is_down_and_shows_no_connection_details():
    from shared.health import Readiness

    secret_url = f"postgresql://dbadmin@127.0.0.1:{free_port()}/payroll"
    state = Readiness(secret_url, (f"127.0.0.1:{free_port()}",)).check()
    assert state == {"database": "unreachable", "kafka": "unreachable"}
