"""What intake keeps of sign-ins (AUTH_MODE=oidc): when each person last
signed out, so that a session cookie signed before it is refused (the
session itself lives in the signed cookie). All of it SQL, as `uow.sessions`."""

from __future__ import annotations

from datetime import datetime


class SessionRepository:
    def __init__(self, conn):
        self.conn = conn

    def signed_out_at(self, email: str) -> datetime | None:
        row = self.conn.execute(
            "SELECT at FROM sign_outs WHERE email = %s", (email,)
        ).fetchone()
        return row and row["at"]

    def sign_out(self, email: str) -> None:
        self.conn.execute(
            "INSERT INTO sign_outs (email, at) VALUES (%s, now())"
            " ON CONFLICT (email) DO UPDATE SET at = now()",
            (email,),
        )

    def purge(self, before) -> int:
        """Sign-outs older than any session they could refuse."""
        return self.conn.execute(
            "DELETE FROM sign_outs WHERE at < %s", (before,)
        ).rowcount

    def forget(self, email: str) -> None:
        self.conn.execute("DELETE FROM sign_outs WHERE email = %s", (email,))
