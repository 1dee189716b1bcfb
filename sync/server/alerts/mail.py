"""Sending an email over SMTP, configured by one URL (``server.smtp_url``).

``smtp://user:password@host:587`` speaks plain SMTP and upgrades with STARTTLS (refusing to
send the password over a server that does not offer it); ``smtps://…:465`` is TLS from the
first byte; ``?starttls=no`` is for a relay on the same machine or LAN (port 25, no login).
User and password are percent-decoded, so a password may hold any character.

Messages are built with ``email.message.EmailMessage`` and the SMTPUTF8-safe default policy:
a Vietnamese subject goes out RFC 2047-encoded (``=?utf-8?…?=``) and the body as UTF-8, so
every mail client shows "Cảnh báo" and not mojibake.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["MailError", "SmtpSettings", "build_message", "send"]

TIMEOUT_S = 20


class MailError(RuntimeError):
    """The mail could not be handed to the SMTP server (the worker retries later)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool       # smtps: TLS from the start
    starttls: bool  # smtp: upgrade with STARTTLS
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError(f"server.smtp_url: expected smtp://host:587 or smtps://host:465, found {url!r}")
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        starttls = not tls and query.get("starttls", ["yes"])[0].lower() not in ("no", "false", "0")
        return cls(parts.hostname, parts.port or (465 if tls else 587), tls, starttls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


def build_message(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(text, charset="utf-8")
    return msg


def send(settings: SmtpSettings, msg: EmailMessage, context: ssl.SSLContext | None = None) -> None:
    """Hand ``msg`` to the SMTP server; raise ``MailError`` with the server's reason on failure."""
    context = context or ssl.create_default_context()
    try:
        if settings.tls:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_S, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S)
        with client:
            client.ehlo()
            if settings.starttls:
                if not client.has_extn("starttls"):
                    raise MailError(f"{settings.host}:{settings.port} does not offer STARTTLS; refusing to send "
                                    "in clear text (add ?starttls=no to server.smtp_url only for a local relay)")
                client.starttls(context=context)
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{settings.host}:{settings.port}: {exc}") from exc
