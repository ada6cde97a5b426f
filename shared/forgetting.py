"""Forgetting a person: what stands in for their address once they asked to
be forgotten, in every service's rows.

An address is replaced by one that is unique per row (the notifier's
ledger is unique per event, recipient and kind) and undeliverable (the
`.invalid` top-level domain is reserved, RFC 2606)."""

from __future__ import annotations

DOMAIN = "invalid"


def forgotten_email(row_id) -> str:
    """What replaces a forgotten person's address in the row `row_id`."""
    return f"forgotten+{row_id}@{DOMAIN}"


def forgotten_email_sql(id_column: str) -> str:
    """`forgotten_email` as a SQL expression over the column `id_column`."""
    return f"'forgotten+' || {id_column} || '@{DOMAIN}'"


def is_forgotten(email: str) -> bool:
    return email.endswith(f"@{DOMAIN}")
