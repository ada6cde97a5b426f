"""The words of the contract, each defined once: statuses, formats, weekdays,
and the English label of each."""

from shared.i18n import N_

REQUEST_STATUSES = (
    "submitted",
    "proposed",
    "confirmed",
    "waitlisted",
    "unmatched",
    "cancelled",
    "completed",
)
OPEN_REQUEST_STATUSES = ("submitted", "proposed", "confirmed", "waitlisted")
WAITING_REQUEST_STATUSES = ("submitted", "waitlisted")  # the matcher looks for a host
CLOSED_REQUEST_STATUSES = (
    "completed",
    "cancelled",
    "unmatched",
)  # kept RETAIN_INTRODUCTIONS
MATCH_STATUSES = ("proposed", "accepted", "declined", "expired", "cancelled")
LIVE_MATCH_STATUSES = ("proposed", "accepted")  # the meeting holds the host's time
FORMATS = ("video", "in_person", "phone")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()


def sql_list(values: tuple[str, ...]) -> str:
    """`('a', 'b')` for SQL text, so that a partial index whose predicate
    names the same statuses can serve the query."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


LIVE_SQL = sql_list(LIVE_MATCH_STATUSES)
WAITING_SQL = sql_list(WAITING_REQUEST_STATUSES)
OPEN_SQL = sql_list(OPEN_REQUEST_STATUSES)
CLOSED_SQL = sql_list(CLOSED_REQUEST_STATUSES)


# What people read for each word, in English (the message ids of the
# catalogs: `shared/i18n.py` translates them where they are shown).
STATUS_LABELS = {
    "submitted": N_("Submitted"),
    "proposed": N_("Host invited"),
    "confirmed": N_("Confirmed"),
    "waitlisted": N_("Waiting for a host"),
    "unmatched": N_("Not matched"),
    "cancelled": N_("Cancelled"),
    "completed": N_("Completed"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "expired": N_("Expired"),
}
FORMAT_LABELS = {
    "video": N_("Video call"),
    "in_person": N_("In person"),
    "phone": N_("Phone"),
}
DAY_LABELS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}

# Why a request stands where it does (`requests.status_reason`, the reason in
# RequestWaitlisted and RequestUnmatched): English, the catalogs' message ids,
# translated where they are shown. A requester's own words for a cancellation
# are kept as they wrote them.
NO_HOST = N_("no available host")
NO_OTHER_HOST = N_("no other available host")
WINDOWS_PASSED = N_("availability windows have passed")
TOO_MANY_PROPOSALS = N_("no host accepted after five proposals")  # MAX_ATTEMPTS = 5
INVITATION_EXPIRED = N_("invitation expired")
HOST_BUSY = N_("the host's calendar became busy at the time proposed")
CANCELLED_BY_REQUESTER = N_("cancelled by the requester")
CANCELLED_BY_OPS = N_("cancelled by ops")
DATA_DELETED = N_("personal data deleted")
HOST_LEFT = N_("the host left the programme")
