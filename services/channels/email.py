"""E-mail over SMTP (issue #16): STARTTLS or implicit TLS with a verifying SSL context
(`ssl.create_default_context()`, optionally trusting the clinic's own CA file); a plain
connection only when the settings say so, for a relay on this computer or its network,
and then never with a password. Called on the sender's worker thread, never the UI's.

An SMTP reply in the 400s means "try later" and one in the 500s "never" (the other way
round from HTTP); see services.channels.base for what the sender does with each.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from services.channels.base import OutgoingMessage, Rejected, Sent, TryAgain, Uncertain

SECURITY = ("starttls", "tls", "plain")
TIMEOUT = 30.0


@dataclass(frozen=True)
class EmailSettings:
    """Where and as whom mail leaves; the password is in the keyring."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    sender: str = ""
    sender_name: str = ""
    ca_file: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


class EmailChannel:
    """SMTP with TLS; one connection per message (a campaign sends a few hundred)."""

    name = "email"

    def __init__(self, settings: EmailSettings, password: str | None) -> None:
        if settings.security not in SECURITY:
            raise ValueError(f"unknown SMTP security {settings.security!r}")
        self.settings = settings
        self.password = password

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=TIMEOUT, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
            try:
                if s.security == "starttls":
                    smtp.starttls(context=self._context())
                if s.username and self.password:
                    if s.security == "plain":
                        raise Rejected(
                            "A password is never sent over a plain connection: choose "
                            "STARTTLS or TLS for this server."
                        )
                    smtp.login(s.username, self.password)
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise Rejected(
                f"The mail server refused the user name or password ({exc.smtp_code})."
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise Rejected(
                "The mail server does not offer STARTTLS; choose TLS or a port that does."
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise Rejected(
                f"The mail server's certificate cannot be trusted: {exc.verify_message}."
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TryAgain(
                f"The mail server {s.host}:{s.port} could not be reached ({exc})."
            ) from exc
        return smtp

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        s = self.settings
        mail = EmailMessage()
        mail["From"] = formataddr((s.sender_name, s.sender)) if s.sender_name else s.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or ""
        mail["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        return mail

    def close(self) -> None:
        """Nothing is kept open between messages."""

    def send(self, message: OutgoingMessage) -> Sent:
        mail = self.compose(message)
        smtp = self._connect()
        try:
            refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, error = next(iter(exc.recipients.values()))
            raise _by_code(code, error) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise Uncertain(
                f"The mail server stopped answering while the message was sent ({exc}); "
                "it may have gone out."
            ) from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        if refused:
            code, error = next(iter(refused.values()))
            raise _by_code(code, error)
        return Sent(provider_id=str(mail["Message-ID"]))


def _by_code(code: int, error: bytes | str) -> Rejected | TryAgain:
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    sentence = f"The mail server answered {code}: {text}"
    return TryAgain(sentence) if 400 <= code < 500 else Rejected(sentence)
