"""Email through an SMTP relay, with the standard library only.

Each message is plain text in UTF-8 (base64, so 7-bit clean) with the subject encoded per
RFC 2047. ``Message-ID`` is derived from the delivery id, so every retry of one delivery carries
the same Message-ID (mail systems and people can recognise a duplicate), and
``X-Fenghuo-Delivery`` carries the id itself.

Failures map onto :class:`DeliveryError` by SMTP reply class: a 5xx reply (recipient unknown,
sender rejected, message refused, authentication failed) is permanent, a 4xx reply is
temporary; connection trouble (refused, reset, timed out, dropped) is retried. A certificate
that fails verification is not retried: only a configuration change (``FENGHUO_SMTP_CA_FILE``,
the relay's certificate) can fix it.

The connection is plain, upgraded with STARTTLS (submission, port 587), or TLS from the first
byte (implicit TLS, "SMTPS", port 465; RFC 8314 recommends it for submission). Either TLS mode
verifies the relay's certificate and host name, against the system's authorities or the
``tls_context`` given (the registry builds one from ``FENGHUO_SMTP_CA_FILE``).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from fenghuo.notify.compose import page_link
from fenghuo.notify.ports import DeliveryError, Message


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply))[:200]


def message_id_for(delivery_id: str, sender: str) -> str:
    """``<fenghuo.<delivery id>@<sender's domain>>``: the same on every retry."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        domain = "fenghuo.invalid"
    local = re.sub(r"[^A-Za-z0-9._-]", "-", delivery_id)
    return f"<fenghuo.{local}@{domain}>"


class SMTPEmailSender:
    """Sends ``message.text`` to ``message.address`` through one SMTP relay.

    ``starttls`` upgrades the connection (with certificate verification) before logging in;
    ``implicit_tls`` speaks TLS from the start (port 465) instead; ``username``/``password``
    log in when given. A new connection is opened per message: the
    volume is small and it keeps the sender safe to share between worker threads.
    """

    channel = "email"

    def __init__(self, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 10, *,
                 local_hostname: str | None = None,
                 tls_context: ssl.SSLContext | None = None, implicit_tls: bool = False,
                 public_url: str | None = None) -> None:
        if starttls and implicit_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.implicit_tls, self.timeout = starttls, implicit_tls, timeout
        #: the console's address (FENGHUO_PUBLIC_URL): each mail ends with its page's link
        self.public_url = public_url
        self.local_hostname = local_hostname
        self.tls_context = tls_context

    def _open(self) -> smtplib.SMTP:
        """A client connected to the relay. The host goes to the constructor: smtplib verifies
        the certificate (implicit TLS and STARTTLS alike) against the host given there."""
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    local_hostname=self.local_hostname,
                                    context=self.tls_context or ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                            local_hostname=self.local_hostname)

    def build(self, message: Message) -> EmailMessage:
        """The email for ``message`` (raises ValueError for an unusable address or header)."""
        mail = EmailMessage(policy=policy.SMTP)  # CRLF line ends, the canonical form
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = " ".join(message.subject.split())  # one line, whatever the title
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = message_id_for(message.id, self.sender)
        mail["X-Fenghuo-Delivery"] = message.id
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
        # base64 keeps the message 7-bit clean for relays without 8BITMIME
        text, link = message.text, page_link(self.public_url, message.payload)
        if link and link not in text:
            text = text.rstrip("\n") + f"\n详情 Details: {link}\n"
        mail.set_content(text, charset="utf-8", cte="base64")
        return mail

    def send(self, message: Message) -> None:
        try:
            mail = self.build(message)
        except (ValueError, TypeError) as exc:
            raise DeliveryError(f"cannot build the email: {exc}", retryable=False) from exc
        envelope_from = parseaddr(self.sender)[1] or self.sender
        smtp: smtplib.SMTP | None = None
        try:
            smtp = self._open()
            if self.starttls:
                smtp.starttls(context=self.tls_context or ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(mail, from_addr=envelope_from, to_addrs=[message.address])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            replies = "; ".join(f"{code} {_text(reply)}" for code, reply in
                                exc.recipients.values())
            raise DeliveryError(f"recipient refused: {replies}",
                                retryable=not all(_permanent(c) for c in codes),
                                code=codes[0] if codes else None) from exc
        except smtplib.SMTPResponseException as exc:  # sender/data refused, auth, HELO, greeting
            raise DeliveryError(
                f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=not _permanent(exc.smtp_code), code=exc.smtp_code) from exc
        except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS/AUTH/SMTPUTF8 on the relay
            raise DeliveryError(f"the relay cannot do this: {exc}", retryable=False) from exc
        except ssl.SSLCertVerificationError as exc:  # untrusted, expired or for another host
            raise DeliveryError(f"the relay's certificate is not trusted: {exc.verify_message}",
                                retryable=False) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, disconnect
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        finally:
            if smtp is not None:
                _hang_up(smtp)


def _hang_up(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
