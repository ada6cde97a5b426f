"""The SMTP connection's answers to a message it cannot write (no server:
smtplib's own `send_message`, the exchange stubbed)."""

import email.policy
import smtplib
from email.message import Message
from types import SimpleNamespace

import pytest

from services.notifier.sender import Permanent, Smtp


class _Server(smtplib.SMTP):
    """smtplib with no socket: says it speaks SMTPUTF8, keeps what it sends."""

    def ehlo_or_helo_if_needed(self):
        pass

    def has_extn(self, opt):
        return opt.lower() in ("smtputf8", "8bitmime")

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.sent = msg
        return {}


def test_a_message_python_cannot_write_fails_alone_instead_of_being_tried_forever():
    message = Message()  # headers kept as set, then refolded on writing:
    message["From"] = "Network interviews <no-reply@matchmaker.local>"
    message["To"] = (
        "=?utf-8?q?Camille_Durand=0D=0AReply-To:_phish@evil.example?="
        " <camille@exämple.com>"
    )
    message.policy = email.policy.SMTP
    smtp = Smtp(SimpleNamespace())
    smtp.conn = server = _Server()
    with pytest.raises(Permanent, match="cannot write: ValueError"):
        smtp.send(message, "camille@exämple.com")
    assert not hasattr(server, "sent") and smtp.conn is server  # nothing went out


def test_a_connection_that_cannot_be_opened_fails_no_message_for_good():
    """Only writing the message is the message's fault: a setting smtplib
    cannot use (a password not in ASCII) is not turned into `Permanent`."""
    smtp = Smtp(SimpleNamespace())

    def cannot_open():
        raise UnicodeEncodeError("ascii", "é", 0, 1, "ordinal not in range(128)")

    smtp._open = cannot_open
    with pytest.raises(UnicodeEncodeError):
        smtp.send(Message(), "camille@example.com")
