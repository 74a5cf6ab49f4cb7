"""Channel name → adapter, built from settings (``FENGHUO_SMTP_*``, ``FENGHUO_SMS_*``,
``FENGHUO_PUBLIC_URL`` and the webhook timeout)."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping

from fenghuo.notify.adapters.feishu import FeishuRobotSender
from fenghuo.notify.adapters.robots import DingTalkRobotSender, WeComRobotSender
from fenghuo.notify.adapters.sms import SMSGatewaySender
from fenghuo.notify.adapters.smtp import SMTPEmailSender
from fenghuo.notify.adapters.webhook import WebhookSender, new_client
from fenghuo.notify.ports import DeliveryError, Message, Notifier

SMTP_TLS_MODES = ("none", "starttls", "implicit")


class Unconfigured:
    """Stands for a channel whose service is not set up: every message to it is refused with
    the setting to set (an operator retries the dead letters once it is)."""

    def __init__(self, channel: str, setting: str) -> None:
        self.channel, self.setting = channel, setting

    def send(self, message: Message) -> None:
        raise DeliveryError(f"no {self.channel} service is configured: set {self.setting}",
                            retryable=False)


def build_notifiers(settings_like: object) -> dict[str, Notifier]:
    """One adapter per deliverable channel. ``settings_like`` is a ``Settings`` or any object or
    mapping with its field names (``smtp_host``, ``smtp_port``, ``smtp_sender``,
    ``smtp_username``, ``smtp_password``, ``smtp_tls`` or ``smtp_starttls``, ``smtp_ca_file``,
    ``webhook_timeout``, ``public_url``, ``sms_url``, ``sms_token``, …; missing ones take
    defaults). The HTTP adapters share one client and its connection pool."""

    def get(name: str, default: object = None) -> object:
        if isinstance(settings_like, Mapping):
            value = settings_like.get(name, default)
        else:
            value = getattr(settings_like, name, default)
        if hasattr(value, "get_secret_value"):  # a pydantic SecretStr
            value = value.get_secret_value()
        return default if value is None else value

    timeout = float(get("webhook_timeout", 5.0))
    client = new_client(timeout)
    public_url = get("public_url")
    notifiers: list[Notifier] = [
        smtp_sender(get, public_url), WebhookSender(timeout, client, public_url=public_url),
        DingTalkRobotSender(timeout, client),
        WeComRobotSender(timeout, client),
        FeishuRobotSender(timeout, client, public_url=public_url),
    ]
    if get("sms_url"):
        notifiers.append(SMSGatewaySender(
            str(get("sms_url")), token=get("sms_token"),
            token_header=str(get("sms_token_header", "Authorization")),
            sign_name=str(get("sms_sign_name", "烽火")), sender=get("sms_sender"),
            template_id=get("sms_template_id"), max_segments=int(get("sms_max_segments", 3)),
            public_url=public_url, timeout=timeout, client=client))
    else:
        notifiers.append(Unconfigured("sms", "FENGHUO_SMS_URL"))
    return {n.channel: n for n in notifiers}


def smtp_sender(get: Callable[..., object], public_url: object = None) -> SMTPEmailSender:
    """The email adapter: plain, STARTTLS or implicit TLS (``smtp_tls``), trusting the
    authorities in ``smtp_ca_file`` when given."""
    mode = str(get("smtp_tls") or ("starttls" if get("smtp_starttls", False) else "none"))
    if mode not in SMTP_TLS_MODES:
        raise ValueError(f"smtp_tls must be one of {', '.join(SMTP_TLS_MODES)}, not {mode!r}")
    ca_file = get("smtp_ca_file")
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    return SMTPEmailSender(host=str(get("smtp_host", "127.0.0.1")),
                           port=int(get("smtp_port", 25)),
                           sender=str(get("smtp_sender", "fenghuo@localhost")),
                           username=get("smtp_username"), password=get("smtp_password"),
                           starttls=mode == "starttls", implicit_tls=mode == "implicit",
                           tls_context=context,
                           public_url=str(public_url) if public_url else None)
