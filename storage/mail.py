"""Sending the digest's mails over SMTP with the standard library (``smtplib``): the
``[mail]`` section of the config (tracker.storage.config): host, port, security
(``starttls``, ``tls`` or ``none``), from, user, and a password file readable only by
its owner. One connection per mail, so that a refusal, a timeout or bad credentials
cost one recipient and the rest still go."""

from __future__ import annotations

import os
import smtplib
import ssl
import stat
from collections.abc import Iterable
from email.message import EmailMessage
from typing import Any, NamedTuple

from tracker.domain.errors import TrackerError, UsageError
from tracker.domain.text import clean_text

PORTS = {"starttls": 587, "tls": 465, "none": 25}


class Sent(NamedTuple):
    """One mail's fate: ``error`` None if the server took it."""

    message: EmailMessage
    error: str | None


def check_settings(mail: dict[str, Any]) -> None:
    """Refuse (before anything is sent) a [mail] section that cannot send."""
    for key in ("host", "from"):
        if not mail.get(key):
            raise UsageError("mail.missing", key=f"mail.{key}")
    if mail.get("user") and not mail.get("password_file"):
        raise UsageError("mail.missing", key="mail.password_file")


def read_password(path: str) -> str:
    """The password file's first line; refused unless it is a regular file owned by this
    account and readable by nobody else (0600 or 0400)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise TrackerError("mail.password_unreadable", path=path,
                           reason=error.strerror or str(error)) from None
    with os.fdopen(fd, "rb") as stream:
        st = os.fstat(stream.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or \
                stat.S_IMODE(st.st_mode) & 0o077:
            raise TrackerError("mail.password_open", path=path,
                               mode=f"{stat.S_IMODE(st.st_mode):04o}")
        text = stream.read(4096).decode("utf-8", "replace")
    return text.splitlines()[0] if text else ""


def send_all(mail: dict[str, Any], messages: Iterable[EmailMessage]) -> list[Sent]:
    """Send each message on a connection of its own; what happened to each."""
    check_settings(mail)
    password = read_password(mail["password_file"]) if mail.get("user") else None
    return [Sent(msg, _send_one(mail, msg, password)) for msg in messages]


def _send_one(mail: dict[str, Any], msg: EmailMessage, password: str | None) -> str | None:
    security = mail.get("security") or "starttls"
    host, timeout = mail["host"], float(mail.get("timeout") or 30)
    port = int(mail.get("port") or PORTS[security])
    try:
        client: smtplib.SMTP
        if security == "tls":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if mail.get("user"):
                client.login(mail["user"], password or "")
            refused = client.send_message(msg)
        if refused:
            return "; ".join(f"{addr}: {code} {_text(reply)}"
                             for addr, (code, reply) in refused.items())
        return None
    except smtplib.SMTPRecipientsRefused as error:
        return "; ".join(f"{code} {_text(reply)}"
                         for code, reply in error.recipients.values())
    except smtplib.SMTPResponseException as error:
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    except (smtplib.SMTPException, OSError, ssl.SSLError) as error:
        return clean_text(str(error) or type(error).__name__, single_line=True)


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return clean_text(text, single_line=True)


__all__ = ["PORTS", "Sent", "check_settings", "read_password", "send_all"]
