"""Access emails (FEATURES.md A9): Jinja2 templates in Spanish and English, sent over SMTP or to the console.

Flows never send: they queue (auth/outbox.py), and the outbox's worker calls a Mailer here.
Every e-mail names the portal and links to it as its branding says (`portal_facts`: an admin's
updatePortalBranding over `[portal] name` and `[access] portal_url`, rules/branding.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.ext.asyncio import AsyncConnection

from ..rules.branding import in_force
from ..settings import Settings
from ..store.branding import read_branding

PACKAGE_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str
    template: str = ""  # access, reset, code: what it is (admins see this, never the subject)
    language: str = "es"


class Mailer(Protocol):
    async def send(self, mail: Mail, message_id: str) -> None:
        """Hand the mail to its next hop, or raise; `message_id` is the same on every retry."""


class Templates:
    """`<dir>/<language>/<name>.txt`; the business's directory first, then the package's."""

    def __init__(self, override_dir: str | None = None) -> None:
        loaders = [FileSystemLoader(str(PACKAGE_TEMPLATES))]
        if override_dir:
            loaders.insert(0, FileSystemLoader(override_dir))
        # Plain-text emails: nothing to escape; a missing variable is a bug, not an empty string.
        self.env = Environment(
            loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )

    def render(self, template: str, language: str, to: str, **values: object) -> Mail:
        lang = language if language in ("es", "en") else "es"
        text = self.env.get_template(f"{lang}/{template}.txt").render(**values)
        head, _, body = text.partition("\n\n")
        subject = head.removeprefix("Subject:").strip() if head.startswith("Subject:") else template
        return Mail(to, subject, body if head.startswith("Subject:") else text, template, lang)


async def portal_facts(conn: AsyncConnection, settings: Settings) -> dict[str, str]:
    """The portal's name and URL as the e-mail templates name them (`portal_name`, `portal_url`),
    read on the flow's own transaction: the branding in force at the moment the mail is queued."""
    branding = in_force(settings, await read_branding(conn))
    return {"portal_name": branding.name, "portal_url": branding.portal_url}


class ConsoleMailer:
    """No SMTP configured (the demo): print the email so a newcomer can follow a reset link."""

    async def send(self, mail: Mail, message_id: str) -> None:
        print(f"\n--- correo / email to {mail.to}: {mail.subject}\n{mail.body}---", file=sys.stdout, flush=True)


class NoMailServer:
    """No SMTP configured outside the demo: nothing is sent, and nothing secret is printed. The mail
    stays in the queue with this reason (outgoingEmails) until the business configures a server
    and the mail is retried, or it is given up."""

    async def send(self, mail: Mail, message_id: str) -> None:
        raise MailNotConfigured("no SMTP server is configured ([access] smtp_url)")


class MailNotConfigured(Exception):
    """The deployment has no SMTP server to hand mail to."""


class SmtpMailer:
    """`smtp://[user:pass@]host[:port]` (STARTTLS when offered) or `smtps://` (TLS from the start)."""

    def __init__(self, url: str, sender: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    async def send(self, mail: Mail, message_id: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = message_id  # receivers can drop a copy sent again after a crash
        message.set_content(mail.body)
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls,
            start_tls=None if not self.tls else False,
            timeout=self.timeout,
        )


def mailer_for(smtp_url: str | None, sender: str, timeout: float, demo: bool = False) -> Mailer:
    """SMTP when configured; without it the demo prints each email (its reset links and codes are
    a newcomer's way in), and a real deployment keeps them queued rather than print a secret to a log."""
    if smtp_url:
        return SmtpMailer(smtp_url, sender, timeout)
    return ConsoleMailer() if demo else NoMailServer()
