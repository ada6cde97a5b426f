"""Intake: the web application employees and ops use, and the reading of
hosts' own calendars.

Here, the process (`__main__.py`, `wsgi.py`, `wiring.py`) and the rules of
requests and hosts: `use_cases.py` in a `unit_of_work.py`, through
`repository.py` and `host_repository.py`, deciding with `domain.py`;
`bodies.py` and `validation.py` say what is accepted, `views.py` what is
shown, `errors.py` why something is refused. The rooms: `web/` (HTTP),
`ops/` (the dashboard and its figures), `calendars/` (hosts' calendars).
"""
