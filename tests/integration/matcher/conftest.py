import pytest

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
