"""Statuses of the contract, in one place."""

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
MATCH_STATUSES = ("proposed", "accepted", "declined", "expired", "cancelled")
LIVE_MATCH_STATUSES = ("proposed", "accepted")
FORMATS = ("video", "in_person", "phone")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
