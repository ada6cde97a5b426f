"""One person's share of the model's time: a small burst, then one ask a
second; others are not held back."""

from services.intake.web.throttle import PEOPLE, Throttle


def test_a_burst_then_one_a_second_and_others_unaffected():
    now = [0.0]
    t = Throttle(burst=3, per_second=1.0, clock=lambda: now[0])
    assert [t.allow("a") for _ in range(4)] == [True, True, True, False]
    assert t.wait_for("a") == 1 and t.allow("b")
    now[0] += 1.0
    assert t.allow("a") and not t.allow("a")
    now[0] += 100
    assert [t.allow("a") for _ in range(4)] == [True, True, True, False]


def test_people_remembered_are_bounded_the_longest_unseen_going_first():
    now = [0.0]
    t = Throttle(burst=1, per_second=0.001, clock=lambda: now[0])
    assert t.allow("blocked") and not t.allow("blocked")
    for i in range(PEOPLE - 1):
        t.allow(f"p{i}")
    assert not t.allow("blocked")  # seen recently: still remembered, still held
    assert len(t._buckets) <= PEOPLE
