"""The dashboard's "Hosts needed": how many more hosts a field short of
capacity needs, and none for a field that is not short."""

from services.intake.ops.use_cases import scarcity_figures


def test_a_field_short_of_capacity_needs_hosts_even_with_nobody_waitlisted():
    figures = scarcity_figures(
        {"demand": 14, "capacity": 5, "waitlisted": 0, "median": 2}
    )
    assert figures["short"] is True
    # 9 requests beyond capacity; a median host takes 2 in 4 weeks
    assert figures["hosts_needed"] == 5


def test_a_field_with_room_needs_no_host_even_with_one_waitlisted():
    figures = scarcity_figures(
        {"demand": 3, "capacity": 9, "waitlisted": 1, "median": 10}
    )
    assert figures["short"] is False
    assert figures["hosts_needed"] == 0


def test_a_field_without_hosts_needs_one_host_per_request_beyond_capacity():
    assert scarcity_figures(None)["hosts_needed"] == 0
    figures = scarcity_figures(
        {"demand": 3, "capacity": 0, "waitlisted": 3, "median": None}
    )
    assert (figures["short"], figures["hosts_needed"]) == (True, 3)
