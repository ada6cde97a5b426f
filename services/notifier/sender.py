"""Sending: `NOTIFY_WORKERS` senders (4) in one process, each with its own
SMTP connection, each taking a batch of due messages per transaction
(`NOTIFY_BATCH`, 1) on a database connection of its own, with FOR UPDATE
SKIP LOCKED (safe with several senders and several notifiers). Where each
stands is read once for the batch, and the batch's records are written in
one pipeline and one commit. Messages about one request go in the order
they fall due: a sender takes a request's next message only once the one
before it has left the queue (`Repository.due`).

- sent: the row is marked and NotificationSent emitted in the same transaction;
- a temporary answer about the message (a 4xx to its recipient or its data)
  puts the row back with exponential back-off and jitter, one attempt
  counted; other mail goes on;
- a permanent answer about the message (5xx), or too many attempts, marks it
  failed and emits NotificationFailed;
- an outage of the server (unreachable, a refused login or sender address, a
  421) pauses all sending with back-off (1 s doubling to 60 s), counts no
  attempt, and shows on `/metrics` (`mail_sending_paused`) and on the ops
  dashboard until a message goes through.

An outage or a refusal ends the batch and what went before it is
committed. A crash of the process or of the database after the SMTP
server's 250 and before the commit sends the batch's messages already
accepted again on restart (with the same Message-IDs): the one window where
a duplicate is possible, as with any SMTP client; `NOTIFY_BATCH=1` narrows
it to one message per sender (at most `NOTIFY_WORKERS` after a crash).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time

from services.notifier import domain
from services.notifier.render import Renderer
from services.notifier.unit_of_work import UnitOfWork
from shared import metrics
from shared.config import DEFAULT_FIELDS_FILE
from shared.fields import load_taxonomy
from shared.i18n import Catalogs
from shared.logs import correlation

log = logging.getLogger(__name__)


class Temporary(Exception):
    """This message, this time (a 4xx about it): tried again later, counted."""


class Permanent(Exception):
    """This message, never (a 5xx about it): failed for good."""


class Outage(Exception):
    """The server, not the message: unreachable, refusing our login or our
    sender address, closing on us (421). Sending pauses; no message's
    attempts are counted."""


class Smtp:
    """One reused SMTP connection, opened on demand, reopened after a failure."""

    def __init__(self, settings):
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "ssl":
            conn = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            if s.smtp_security == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password)
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except Exception:
                pass
            self.conn = None

    def send(self, message, recipient: str) -> None:
        try:
            if self.conn is None:
                self.conn = self._open()
            try:
                refused = self.conn.send_message(message, to_addrs=[recipient])
            except (ValueError, LookupError) as exc:  # writing it, before any command
                raise Permanent(f"cannot write: {type(exc).__name__}: {exc}") from None
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise Outage(
                f"SMTP authentication failed ({exc.smtp_code}); check SMTP_USER and SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _about_message(code, text) from None
        except smtplib.SMTPSenderRefused as exc:  # MAIL_FROM: our settings
            self.close()
            raise Outage(
                f"sender refused: {exc.smtp_code} {exc.smtp_error!r}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421 or isinstance(
                exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)
            ):
                self.close()
                raise Outage(f"{exc.smtp_code} {exc.smtp_error!r}") from None
            if exc.smtp_code >= 500:
                self._reset_after(exc)
            else:
                self.close()
            raise _about_message(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Outage(f"{type(exc).__name__}: {exc}") from None
        if refused:
            code, text = next(iter(refused.values()))
            raise _about_message(code, text)

    def _reset_after(self, _exc) -> None:
        try:
            self.conn.rset()
        except Exception:
            self.close()


def _about_message(code: int, text) -> Exception:
    return (Permanent if code >= 500 else Temporary)(f"{code} {text!r}")


class Pause:
    """Sending held back while the mail server is out: from `first_s`,
    doubling to `most_s`, reset by the first message that goes through.
    One for all the senders of a process (an outage is the server's); those
    that meet the outage while it is already paused do not double it."""

    def __init__(
        self, first_s: float = 1.0, most_s: float = 60.0, clock=time.monotonic
    ):
        self.first_s = first_s
        self.most_s = most_s
        self.clock = clock
        self.until = 0.0
        self.wait_s = 0.0
        self.reason: str | None = None
        self.lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.reason is not None and self.clock() < self.until

    def begin(self, reason: str) -> bool:
        """True if this began a pause (False: one was running already)."""
        with self.lock:
            if self.active:
                return False
            self.wait_s = (
                min(self.wait_s * 2, self.most_s) if self.wait_s else self.first_s
            )
            self.until = self.clock() + self.wait_s
            self.reason = reason
            return True

    def end(self) -> bool:
        """True if a pause was on (and this ended it)."""
        with self.lock:
            was = self.reason is not None
            self.reason, self.wait_s, self.until = None, 0.0, 0.0
            return was


def senders(pool, settings, renderer: Renderer) -> list[Sender]:
    """The process's `NOTIFY_WORKERS` senders: one SMTP connection each, one
    pause for them all."""
    pause = Pause()
    return [
        Sender(pool, settings, renderer=renderer, pause=pause)
        for _ in range(settings.notify_workers)
    ]


class Sender:
    """One sender (a job `send-mail-N`): what is due, a batch per transaction."""

    def __init__(
        self,
        pool,
        settings,
        smtp: Smtp | None = None,
        renderer: Renderer | None = None,
        pause: Pause | None = None,
    ):
        self.pool = pool
        self.settings = settings
        self.smtp = smtp or Smtp(settings)
        self.pause = pause or Pause()
        # The process passes its own (wiring.py); else the bundled taxonomy's.
        self.renderer = renderer or Renderer(
            load_taxonomy(DEFAULT_FIELDS_FILE), Catalogs()
        )

    def drain(self, limit: int = 500) -> int:
        """Send what is due; return how many messages were handled. Nothing
        while a pause for a mail server outage runs."""
        handled = 0
        while handled < limit and not self.pause.active:
            done = self.send_batch()
            if not done:
                break
            handled += done
        return handled

    def send_batch(self) -> int:
        """Up to `NOTIFY_BATCH` due messages, in one unit of work; how many
        were handled."""
        outage = None
        with UnitOfWork(self.pool) as uow:
            rows = uow.repo.due(self.settings.notify_batch)
            now = uow.repo.current(rows) if rows else {}
            sent, handled = [], 0
            for row in rows:
                try:
                    with correlation(row["context"].get("correlation_id")):
                        sent += self._deliver(uow, row, now)
                except Outage as exc:  # this row and the rest stay as they were
                    outage = str(exc)
                    break
                handled += 1
            if sent:
                self._record_sent(uow, sent)
        if outage is not None:
            if handled and self.pause.end():  # mail went through before it
                self._record_outage(None)
            self._pause(outage)
        elif handled and self.pause.end():
            self._record_outage(None)
            log.info("mail server back: sending again")
        return handled

    def _pause(self, reason: str) -> None:
        if not self.pause.begin(reason):
            return
        log.warning(
            "mail server unavailable (%s): sending paused %.0fs",
            reason,
            self.pause.wait_s,
        )
        self._record_outage(reason)

    def _record_outage(self, reason: str | None) -> None:
        """Shown to ops: on `/metrics` and in the store, for the dashboard."""
        metrics.mail_paused.set(1 if reason else 0)
        try:
            with UnitOfWork(self.pool, timeout=2) as uow:
                uow.repo.set_outage(reason)
        except Exception as exc:  # the database may be out too: the metric says it
            log.warning("could not record the mail outage: %s", exc)

    def _deliver(self, uow, row: dict, now) -> list[dict]:
        """Send one message, with those that go with it; the rows the server
        took (recorded with the batch), none if it was cancelled, deferred or
        failed here."""
        repo = uow.repo
        if self._cancel_if_stale(repo, row, now[row["id"]]):
            return []
        rows = self._together(repo, row)
        try:
            message = self.renderer.compose_together(rows, self.settings)
        except Exception as exc:  # a message that cannot be built never will be
            self._fail(uow, row, f"cannot compose: {type(exc).__name__}: {exc}")
            return []
        try:
            self.smtp.send(message, row["recipient"])
        except Temporary as exc:
            attempts = row["attempts"] + 1
            if attempts >= self.settings.notify_max_attempts:
                self._fail(uow, row, f"gave up after {attempts} attempts: {exc}")
                return False
            repo.defer(
                row["id"], attempts, str(exc), domain.backoff(self.settings, attempts)
            )
            metrics.emails.labels(row["kind"], "retried").inc()
            log.warning(
                "mail %s %s (request %s) deferred (attempt %d): %s",
                row["kind"], row["id"], row["request_id"], attempts, exc,
            )  # fmt: skip
            return []
        except Permanent as exc:
            self._fail(uow, row, str(exc))
            return []
        return [{**r, "message_id": message["Message-ID"]} for r in rows]

    def _cancel_if_stale(self, repo, row: dict, current) -> bool:
        why = domain.stale(row, current)
        if why is None:
            return False
        # the meeting or the request has moved on since
        repo.cancel(row["id"], why)
        metrics.emails.labels(row["kind"], "cancelled").inc()
        log.info(
            "mail %s %s (request %s) %s", row["kind"], row["id"], row["request_id"], why
        )
        return True

    def _together(self, repo, row: dict) -> list[dict]:
        """`row` and the notices to the same person about the same request
        that fall due within NOTIFY_MERGE_WINDOW and still hold, in order
        (`domain.together`); just `row` for other kinds."""
        if row["kind"] not in domain.TOGETHER:
            return [row]
        window = self.settings.notify_merge_window
        if not window:
            return [row]
        others = repo.together_with(row, domain.TOGETHER, window)
        if others:
            now = repo.current(others)
            others = [
                o for o in others if not self._cancel_if_stale(repo, o, now[o["id"]])
            ]
        return domain.together([row, *others])

    def _record_sent(self, uow, rows: list[dict]) -> None:
        """The batch's sent messages marked, each with its NotificationSent,
        in one pipeline."""
        repo = uow.repo
        now = repo.current(rows)
        with uow.conn.pipeline():
            for row in rows:
                if domain.stale(row, now[row["id"]]) == domain.FORGOTTEN:
                    # the recipient asked to be forgotten while their mail was
                    # on the wire: it went, but its record keeps no address
                    row = {
                        **repo.forget_recipient(row),
                        "message_id": row["message_id"],
                    }
                repo.mark_sent(row["id"], row["message_id"])
                _outbox(uow, row).emit(
                    "NotificationSent",
                    _key(row),
                    {**_about(row), "message_id": row["message_id"]},
                )
                metrics.emails.labels(row["kind"], "sent").inc()

    def _fail(self, uow, row: dict, error: str) -> None:
        uow.repo.mark_failed(row["id"], error)
        _outbox(uow, row).emit(
            "NotificationFailed", _key(row), {**_about(row), "error": error[:1000]}
        )
        metrics.emails.labels(row["kind"], "failed").inc()
        log.error(
            "mail %s %s (request %s) failed: %s",
            row["kind"], row["id"], row["request_id"], error,
        )  # fmt: skip


def _outbox(uow, row: dict):
    """Events about a message follow its request's correlation id."""
    return uow.outbox(row["context"].get("correlation_id"))


def _key(row: dict) -> str:
    return str(row["request_id"] or row["id"])


def _about(row: dict) -> dict:
    return {
        "notification_id": row["id"],
        "request_id": row["request_id"],
        "kind": row["kind"],
        "recipient": row["recipient"],
    }
