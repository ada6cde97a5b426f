"""The dashboard's figures: one view, its store reads in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from services.intake.ops import programme, use_cases
from services.intake.ops.visibility import PIPELINE, sees_people

LATEST = 20  # dead letters and failed emails shown
FEEDBACK_ROWS = 24
TREND_WEEKS = 12


def read_dashboard(
    uow, taxonomy, calendar_stale_after: timedelta, read_lag: Callable, who, words=None
) -> dict:
    """Everything the dashboard shows to `who` (hosts' pages and the
    programme's reports for HR). The consumer lag is read from Kafka first
    (`read_lag`), outside the transaction; then every read of the store
    joins one unit of work."""
    lag = read_lag()
    with uow:
        view = {
            "summary": use_cases.summary(
                uow, taxonomy, calendar_stale_after, who, words, examples=False
            ),
            "backlog": use_cases.outbox_backlog(uow),
            "dead_letters": use_cases.dead_letters(uow, PIPELINE, LATEST),
            "failed_mail": use_cases.failed_mail(uow, PIPELINE, LATEST),
            "trend": use_cases.trend(uow, TREND_WEEKS),
            "feedback": use_cases.feedback(uow)[:FEEDBACK_ROWS],
            "lag": lag,
            "busiest": None,
            "idle": None,
            "reports": None,
        }
        if sees_people(who):
            view["busiest"] = use_cases.hosts_page(uow, "busiest", 1)
            view["idle"] = use_cases.hosts_page(uow, "idle", 1)
            view["reports"] = {
                by: programme.report(uow, by) for by in programme.REPORTS
            }
        return view
