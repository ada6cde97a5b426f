"""The intake process: the web application, and the jobs that read hosts'
own calendars; it consumes nothing."""

from services.intake import use_cases
from services.intake.calendars import use_cases as calendar_use_cases
from services.intake.unit_of_work import UnitOfWork
from services.intake.web.app import create_app
from shared.service import Job, Runtime, Wiring

REFRESH_EVERY_S = 5.0  # how often due calendars are looked for
STALE_EVERY_S = 60.0


def wire(rt: Runtime) -> Wiring:
    app = create_app(rt)
    calendars = app.extensions["calendars"]
    return Wiring(
        app=app,
        jobs=[
            Job(
                "refresh-calendars",
                min(REFRESH_EVERY_S, calendars.refresh.total_seconds()),
                lambda: calendar_use_cases.refresh_due(UnitOfWork(rt.pool), calendars),
            ),
            Job(
                "flag-stale-calendars",
                STALE_EVERY_S,
                lambda: calendar_use_cases.flag_stale(UnitOfWork(rt.pool), calendars),
            ),
            rt.purge_job(lambda keep: use_cases.purge(UnitOfWork(rt.pool), keep)),
        ],
    )
