"""The words about hosts' own calendars, each defined once: the kinds of
connection, why a read failed (a code stored and sent, and the English
label people read, a message id of the catalogs), and the UID our own
meeting invitations carry (so that a host's copy of one is not read as a
conflict with itself)."""

from shared.i18n import N_

KINDS = ("ics", "caldav")  # an iCalendar subscription address, or a CalDAV calendar
KIND_LABELS = {
    "ics": N_("Subscription address (.ics)"),
    "caldav": N_("CalDAV calendar"),
}

# Why a calendar could not be read.
FAILURES = {
    "refused_address": N_(
        "the address points inside the company network or at this server,"
        " which the service may not read"
    ),
    "unreachable": N_("the calendar server could not be reached"),
    "timeout": N_("the calendar server took too long to answer"),
    "too_large": N_("the calendar is larger than the service reads"),
    "not_icalendar": N_("the address does not give an iCalendar calendar"),
    "http_error": N_("the calendar server answered with an error"),
    "unauthorized": N_("the calendar server refused the user name or password"),
    "not_found": N_("there is no calendar at this address"),
    "too_many_redirects": N_("the address redirects too many times"),
    "unreadable": N_(
        "the stored connection can no longer be read; connect the calendar again"
    ),
    "too_complex": N_(
        "the calendar holds an event that repeats too often to be read"
        " (every hour or more often, for years)"
    ),
    "not_a_calendar": N_(
        "the address is a folder of calendars, not one calendar: give the"
        " address of the calendar itself"
    ),
}

# How many busy periods the "check" counts: the next four weeks.
CHECK_DAYS = 28

_UID_DOMAIN = "@matchmaker"


def meeting_uid(match_id) -> str:
    """The UID of the calendar invitation of a confirmed meeting."""
    return f"match-{match_id}{_UID_DOMAIN}"


def is_meeting_uid(uid: str) -> bool:
    return uid.startswith("match-") and uid.endswith(_UID_DOMAIN)
