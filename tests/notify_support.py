"""What the channel tests share: a message to send and the delivery error a send raises."""

from __future__ import annotations

import uuid

import pytest

from fenghuo.notify.ports import DeliveryError, Message, Notifier


def make_message(channel: str, address: str, *, subject: str, text: str, payload: dict,
                 secret: str | None = None) -> Message:
    """A message with a fresh delivery id (bind the module's subject, text and payload with
    ``functools.partial``)."""
    return Message(id=uuid.uuid4().hex, channel=channel, address=address, subject=subject,
                   text=text, payload=payload, secret=secret)


def failure(sender: Notifier, msg: Message) -> DeliveryError:
    """The DeliveryError that sending ``msg`` raises (the test fails if none is raised)."""
    with pytest.raises(DeliveryError) as info:
        sender.send(msg)
    return info.value
