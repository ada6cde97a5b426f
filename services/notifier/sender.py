"""Sending: one message per transaction, taken with FOR UPDATE SKIP LOCKED
(safe with several notifiers), over one reused SMTP connection.

- sent: the row is marked and NotificationSent emitted in the same transaction;
- a temporary failure (4xx, a lost or refused connection, a time-out) puts the
  row back with exponential back-off and jitter; other mail goes on;
- a permanent failure (5xx), or too many attempts, marks it failed and emits
  NotificationFailed.

A crash after the SMTP server's 250 and before the commit sends that one
message again on restart (with the same Message-ID): the one window where a
duplicate is possible, as with any SMTP client.
"""

from __future__ import annotations

import logging
import random
import smtplib
import ssl
from datetime import timedelta

from services.notifier.render import compose
from shared import metrics
from shared.logs import correlation
from shared.outbox import Outbox

log = logging.getLogger(__name__)


class Temporary(Exception):
    pass


class Permanent(Exception):
    pass


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
            refused = self.conn.send_message(message, to_addrs=[recipient])
        except (
            smtplib.SMTPAuthenticationError
        ) as exc:  # our settings, not this message: keep it, retry
            self.close()
            raise Temporary(
                f"SMTP authentication failed ({exc.smtp_code}); check SMTP_USER and SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise (Permanent if code >= 500 else Temporary)(
                f"{code} {text!r}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                self._reset_after(exc)
                raise Permanent(f"{exc.smtp_code} {exc.smtp_error!r}") from None
            self.close()
            raise Temporary(f"{exc.smtp_code} {exc.smtp_error!r}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Temporary(f"{type(exc).__name__}: {exc}") from None
        if refused:
            code, text = next(iter(refused.values()))
            raise (Permanent if code >= 500 else Temporary)(f"{code} {text!r}")

    def _reset_after(self, _exc) -> None:
        try:
            self.conn.rset()
        except Exception:
            self.close()


def backoff(settings, attempts: int) -> timedelta:
    base = settings.notify_retry_base.total_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(base, 3600) * random.uniform(0.8, 1.2))


class Sender:
    def __init__(
        self, pool, settings, smtp: Smtp | None = None, producer: str = "notifier"
    ):
        self.pool = pool
        self.settings = settings
        self.smtp = smtp or Smtp(settings)
        self.producer = producer

    def drain(self, limit: int = 500) -> int:
        """Send what is due, one message per transaction; return how many were handled."""
        handled = 0
        while handled < limit and self.send_one():
            handled += 1
        return handled

    def send_one(self) -> bool:
        with self.pool.connection() as conn, conn.transaction():
            return self._send_next(conn)

    def _send_next(self, conn) -> bool:
        row = conn.execute(
            "SELECT * FROM notifications WHERE status = 'pending' AND due_at <= now()"
            " ORDER BY due_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED"
        ).fetchone()
        if row is None:
            return False
        cid = row["context"].get("correlation_id")
        outbox = Outbox(conn, self.producer, cid)
        with correlation(cid):
            return self._deliver(conn, outbox, row)

    def _deliver(self, conn, outbox, row) -> bool:
        key = row["request_id"] or row["id"]
        try:
            message = compose(row, self.settings)
        except (
            Exception
        ) as exc:  # a message that cannot be built never will be: fail it, go on
            self._fail(
                conn, outbox, row, key, f"cannot compose: {type(exc).__name__}: {exc}"
            )
            return True
        try:
            self.smtp.send(message, row["recipient"])
        except Temporary as exc:
            attempts = row["attempts"] + 1
            if attempts >= self.settings.notify_max_attempts:
                self._fail(
                    conn, outbox, row, key, f"gave up after {attempts} attempts: {exc}"
                )
            else:
                conn.execute(
                    "UPDATE notifications SET attempts = %s, last_error = %s, due_at = now() + %s"
                    " WHERE id = %s",
                    (
                        attempts,
                        str(exc)[:1000],
                        backoff(self.settings, attempts),
                        row["id"],
                    ),
                )
                metrics.emails.labels(row["kind"], "retried").inc()
                log.warning(
                    "mail %s to %s deferred (attempt %d): %s",
                    row["kind"],
                    row["recipient"],
                    attempts,
                    exc,
                )
            return True
        except Permanent as exc:
            self._fail(conn, outbox, row, key, str(exc))
            return True
        conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1"
            " WHERE id = %s",
            (row["id"],),
        )
        outbox.emit(
            "NotificationSent",
            key,
            {
                "notification_id": row["id"],
                "request_id": row["request_id"],
                "kind": row["kind"],
                "recipient": row["recipient"],
                "message_id": row["message_id"],
            },
        )
        metrics.emails.labels(row["kind"], "sent").inc()
        return True

    def _fail(self, conn, outbox, row, key, error: str) -> None:
        conn.execute(
            "UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = %s"
            " WHERE id = %s",
            (error[:1000], row["id"]),
        )
        outbox.emit(
            "NotificationFailed",
            key,
            {
                "notification_id": row["id"],
                "request_id": row["request_id"],
                "kind": row["kind"],
                "recipient": row["recipient"],
                "error": error[:1000],
            },
        )
        metrics.emails.labels(row["kind"], "failed").inc()
        log.error("mail %s to %s failed: %s", row["kind"], row["recipient"], error)
