"""Channel name → adapter, built from settings (the ``FENGHUO_SMTP_*`` and webhook timeout)."""

from __future__ import annotations

from collections.abc import Mapping

from fenghuo.notify.adapters.robots import DingTalkRobotSender, WeComRobotSender
from fenghuo.notify.adapters.smtp import SMTPEmailSender
from fenghuo.notify.adapters.webhook import WebhookSender, new_client
from fenghuo.notify.ports import Notifier


def build_notifiers(settings_like: object) -> dict[str, Notifier]:
    """One adapter per deliverable channel. ``settings_like`` is a ``Settings`` or any object or
    mapping with ``smtp_host``, ``smtp_port``, ``smtp_sender``, ``smtp_username``,
    ``smtp_password``, ``smtp_starttls`` and ``webhook_timeout`` (missing ones take defaults).
    The three HTTP adapters share one client and its connection pool."""

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
    notifiers: list[Notifier] = [
        SMTPEmailSender(host=str(get("smtp_host", "127.0.0.1")), port=int(get("smtp_port", 25)),
                        sender=str(get("smtp_sender", "fenghuo@localhost")),
                        username=get("smtp_username"), password=get("smtp_password"),
                        starttls=bool(get("smtp_starttls", False))),
        WebhookSender(timeout, client),
        DingTalkRobotSender(timeout, client),
        WeComRobotSender(timeout, client),
    ]
    return {n.channel: n for n in notifiers}
