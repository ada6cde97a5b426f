"""Reading calendar feeds over real HTTP: validators and 304, limits of
time and size, what is not iCalendar, and the addresses refused."""

import base64
import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.calendars.fetch import Destinations, FeedError, Source
from services.intake.calendars.reader import Reader
from tests import ics
from tests.feeds import FeedServer

NOW = datetime(2027, 1, 1, tzinfo=UTC)
UNTIL = NOW + timedelta(days=90)
EVENT = ics.calendar(
    ics.busy_event("a", datetime(2027, 1, 5, 9, tzinfo=UTC),
                   datetime(2027, 1, 5, 10, tzinfo=UTC))
)  # fmt: skip


@pytest.fixture(scope="module")
def feeds():
    with FeedServer() as server:
        server.feeds["/cal.ics"] = EVENT
        yield server


LOOPBACK = Destinations(((ipaddress.ip_network("127.0.0.0/8"), 0), ("localhost", 0)))


def reader(
    allow_private=True, timeout_s=1.0, max_bytes=1_000_000, allowed=None
) -> Reader:
    """A reader that may reach this test's servers on loopback, or (not
    `allow_private`) only public addresses, or the servers `allowed` names."""
    if allowed is None:
        allowed = LOOPBACK if allow_private else Destinations()
    return Reader(timeout_s=timeout_s, max_bytes=max_bytes, destinations=allowed)


def read(url, r=None, **validators):
    return (r or reader()).read(Source("ics", url), NOW, UNTIL, **validators)


def failure(url, r=None) -> str:
    with pytest.raises(FeedError) as caught:
        read(url, r)
    return caught.value.code


def test_a_feed_is_read_then_answered_304_while_unchanged(feeds):
    first = read(feeds.url("/cal.ics"))
    assert len(first.calendars) == 1 and first.etag
    before = feeds.not_modified
    again = read(feeds.url("/cal.ics"), etag=first.etag, last_modified=None)
    assert again.calendars is None and again.etag == first.etag
    assert feeds.not_modified == before + 1


def test_a_feed_that_takes_too_long_times_out(feeds):
    assert failure(feeds.url("/slow.ics"), reader(timeout_s=0.5)) == "timeout"


@pytest.mark.parametrize("path", ["/large-2000000", "/large-chunked-2000000"])
def test_a_feed_too_large_is_refused(feeds, path):
    assert failure(feeds.url(path)) == "too_large"


def test_a_page_that_is_not_icalendar_is_refused(feeds):
    assert failure(feeds.url("/page.html")) == "not_icalendar"


def test_a_missing_feed_and_a_dead_server_say_so(feeds):
    assert failure(feeds.url("/nothing.ics")) == "not_found"
    with FeedServer() as gone:
        url = gone.url("/cal.ics")
    assert failure(url) == "unreachable"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_outside_the_test_setting(feeds, host):
    assert failure(feeds.url("/cal.ics", host), reader(allow_private=False)) == (
        "refused_address"
    )


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/cal.ics"]
)
def test_a_redirect_to_a_private_address_is_refused(feeds, target):
    feeds.redirects["/to-private"] = target
    # this server is on loopback: let it through, to see the redirect checked
    guarded = reader(allowed=LOOPBACK)
    assert read(feeds.url("/cal.ics"), guarded).calendars  # the first hop is allowed
    assert failure(feeds.url("/to-private"), guarded) == "refused_address"


def test_a_redirect_to_loopback_is_refused_outside_the_test_setting(feeds):
    feeds.redirects["/to-loopback"] = feeds.url("/cal.ics")
    assert failure(feeds.url("/to-loopback"), reader(allow_private=False)) == (
        "refused_address"
    )
    assert read(feeds.url("/to-loopback")).calendars  # allowed in the tests


def test_redirects_are_followed_a_few_times_only(feeds):
    for i in range(6):
        feeds.redirects[f"/hop{i}"] = feeds.url(f"/hop{i + 1}")
    feeds.redirects["/hop6"] = feeds.url("/cal.ics")
    assert failure(feeds.url("/hop0")) == "too_many_redirects"
    assert read(feeds.url("/hop4")).calendars  # three redirects are fine


def test_a_user_name_and_password_are_sent_as_basic_authentication(feeds):
    feeds.feeds["/private.ics"] = EVENT
    source = Source("ics", feeds.url("/private.ics"), "nathalie", "s3cret")
    assert reader().read(source, NOW, UNTIL).calendars
    sent = feeds.authorizations["/private.ics"]
    assert sent == "Basic " + base64.b64encode(b"nathalie:s3cret").decode()
    read(feeds.url("/cal.ics"))
    assert "/cal.ics" not in feeds.authorizations  # none without a user name


def test_a_server_dripping_bytes_cannot_hold_a_read_past_the_time_limit(feeds):
    assert failure(feeds.url("/drip.ics"), reader(timeout_s=1.0)) == "timeout"


def test_an_address_with_an_impossible_name_is_a_failure_not_a_crash():
    assert failure("http://" + "a" * 70 + ".example.com/cal.ics") == "unreachable"


def test_only_the_company_servers_named_are_read_on_private_addresses(feeds):
    port = int(feeds.url("/cal.ics").rsplit(":", 1)[1].split("/")[0])
    named = Destinations(((ipaddress.ip_network("127.0.0.1/32"), port),))
    assert read(feeds.url("/cal.ics"), reader(allowed=named)).calendars
    other_port = Destinations(((ipaddress.ip_network("127.0.0.1/32"), port + 1),))
    assert failure(feeds.url("/cal.ics"), reader(allowed=other_port)) == (
        "refused_address"
    )
    by_name = Destinations((("localhost", port),))
    assert read(feeds.url("/cal.ics", "localhost"), reader(allowed=by_name)).calendars


@pytest.mark.parametrize("port", [5432, 9092, 22, 6379])
def test_a_private_address_is_refused_the_same_way_whatever_listens_there(port):
    """The answer comes before any connection: it says nothing of what
    listens at the address (the database, the broker, nothing)."""
    url = f"http://127.0.0.1:{port}/cal.ics"
    assert failure(url, reader(allow_private=False)) == "refused_address"
    assert failure(f"http://10.20.30.40:{port}/", reader(allow_private=False)) == (
        "refused_address"
    )
