"""`make demo`'s hosts: profiles intake accepts, most of them listed in the
host directory, so that the request form offers them by name."""

from __future__ import annotations

import random

from devstack.demo import host_body
from services.intake import validation
from shared.config import DEFAULT_FIELDS_FILE
from shared.fields import load_taxonomy


def test_the_demo_hosts_are_valid_profiles_and_most_agree_to_be_listed():
    taxonomy = load_taxonomy(DEFAULT_FIELDS_FILE)
    rng = random.Random(7)
    leaf = next(slug for slug, f in taxonomy.fields.items() if f.parent)
    profiles = [
        validation.load_host(host_body(rng, i, f"Host {i}", [leaf]), taxonomy)
        for i in range(30)
    ]
    listed = sum(p["listed"] for p in profiles)
    assert 10 <= listed < 30
