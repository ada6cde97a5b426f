import pytest

from shared.relay import Relay
from tests.integration.matcher.world import InProcess, connect


@pytest.fixture
def conn(database_url):
    with connect(database_url, autocommit=True) as c:
        yield c


@pytest.fixture
def matcher(database_url, bootstrap, names):
    running = []

    def start(**kw):
        running.append(InProcess(database_url, bootstrap, names, **kw).start())
        return running[-1]

    yield start
    for r in running:
        r.stop()


@pytest.fixture
def notifier_relay(database_url, bootstrap, names):
    """Publishes what is written through an `Outbox(conn, "notifier")`, as the
    notifier's own relay does."""
    relay = Relay(database_url, "notifier", bootstrap, names).start()
    yield relay
    relay.stop()
