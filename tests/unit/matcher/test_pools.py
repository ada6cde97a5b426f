"""Property: the pool of a request, decided once per host conditions
(`model.conditions`, `vectors._sort_out`), holds exactly the hosts `model.refusal` lets take it
and that are not paused, each marked by whether it covers the request's
own field."""

from datetime import date, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher import vectors
from services.matcher.model import paused, refusal
from shared import slots
from tests.unit.matcher.factories import host, request

FIELDS = ["management", "finance", "data", "law"]
NOW = datetime(2026, 12, 3, 11, tzinfo=slots.UTC)  # 4 December at Kiritimati


def subset(items):
    return st.lists(
        st.sampled_from(items), min_size=1, max_size=len(items), unique=True
    )


# a host's attributes besides its fields, each with few values, most of
# them accepting
CHOICES = {
    "languages": st.sampled_from([("fr",), ("fr", "en"), ("en",)]),
    "formats": st.sampled_from(
        [("video", "phone"), ("video",), ("phone", "in_person")]
    ),
    "site": st.sampled_from(["Paris", "Lyon"]),
    "tz": st.sampled_from(["Europe/Paris", "Pacific/Kiritimati"]),
    "durations": st.sampled_from([(30, 60), (30,), (60,)]),
    "capacity": st.sampled_from([1, 2, 0]),
    "active": st.sampled_from([True, True, False]),
    "paused_until": st.sampled_from([None, None, date(2026, 12, 4), date(2026, 12, 3)]),
}


@st.composite
def hosts(draw):
    """Hosts made from a few shared profiles, each host changing at most
    one attribute of its own: hosts alike but for one attribute meet often."""
    bases = draw(st.lists(st.fixed_dictionaries(CHOICES), min_size=1, max_size=3))
    out = []
    for _ in range(draw(st.integers(0, 30))):
        attrs = dict(draw(st.sampled_from(bases)))
        changed = draw(st.sampled_from([None, *CHOICES]))
        if changed:
            attrs[changed] = draw(CHOICES[changed])
        out.append(host(fields=draw(subset(FIELDS)), **attrs))
    return out


requests = st.builds(
    lambda field, related, languages, fmt, site, duration, related_ok: (
        request(
            field=field,
            languages=languages,
            fmt=fmt,
            site=site,
            duration=duration,
            related_ok=related_ok,
        ),
        [field, *sorted(set(related) - {field})],
    ),
    st.sampled_from(FIELDS),
    st.lists(st.sampled_from(FIELDS), max_size=2),
    st.sampled_from([("fr",), ("en",), ("fr", "en")]),
    st.sampled_from(["video", "phone", "in_person"]),
    st.sampled_from(["Paris", "Lyon"]),
    st.sampled_from([30, 60]),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(hosts(), requests)
def test_a_pool_holds_exactly_the_hosts_refusal_lets_take_the_request(found, asked):
    req, fields = asked
    reading = vectors.reading_of([(h, np.ones(4, np.float32)) for h in found])
    pool = vectors._sort_out(reading, req, fields, NOW)
    anyone_ = request(
        field=req.field,
        languages=req.languages,
        fmt=req.format,
        site=req.site,
        duration=int(req.duration.total_seconds() // 60),
        related_ok=req.related_ok,
        email="",
    )
    related = set(fields) - {req.field}
    expected = {
        h.id: req.field in h.fields
        for h in found
        if set(h.fields) & set(fields)
        and refusal(h, anyone_, related, set()) is None
        and not paused(h, NOW)
    }
    assert dict(zip(pool.ids, pool.exact.tolist(), strict=True)) == expected
    assert [reading.ids[r] for r in pool.rows.tolist()] == pool.ids
    assert pool.row == {h: k for k, h in enumerate(pool.ids)}
