"""The directory of the console: the organization tree under the caller's scope (Plan §2, City
§3, Support), a body's page with its contacts and duty channels (7×24, Plan §2.2; Support
obligation 3) and the bodies under it, and a search by name.

Everything shown comes from :mod:`fenghuo.org.bodies` and :mod:`fenghuo.org.registers`, which
apply the caller's scope (Law art. 30): a body outside it is "not found", like a missing one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, NotFound
from fenghuo.notify import masking
from fenghuo.org import bodies, registers, service
from fenghuo.org.rules import (
    BODY_KIND_LABELS,
    LEVEL_LABELS,
    BodyKind,
    Channel,
    Permission,
    has_permission,
)
from fenghuo.org.schemas import BodyOut, ContactOut, TreeNode

from . import session
from .pages import error_page, page_count, page_params, render, to_login, user

router = APIRouter()

CHANNEL_LABELS = {
    Channel.PHONE: ("电话", "phone"), Channel.EMAIL: ("电子邮件", "email"),
    Channel.WEBHOOK: ("Webhook", "webhook"), Channel.DINGTALK: ("钉钉机器人", "DingTalk robot"),
    Channel.WECOM: ("企业微信机器人", "WeCom robot"),
    Channel.FEISHU: ("飞书机器人", "Feishu robot"), Channel.SMS: ("短信", "SMS"),
}
_KIND_ORDER = {k: i for i, k in enumerate(BodyKind)}


def _sorted(items: list[BodyOut]) -> list[BodyOut]:
    return sorted(items, key=lambda b: (_KIND_ORDER[b.kind], b.key))


def _sort_tree(node: TreeNode) -> TreeNode:
    node.bodies = _sorted(node.bodies)
    for child in node.children:
        _sort_tree(child)
    return node


def _all_bodies(node: TreeNode) -> list[BodyOut]:
    out = list(node.bodies)
    for child in node.children:
        out.extend(_all_bodies(child))
    return out


def shown_address(c: ContactOut) -> str:
    """A contact's address as the directory shows it: a robot or webhook URL by its host only
    (the rest often holds the robot's access token; ``notify.masking.mask_url``)."""
    if c.channel in masking.URL_CHANNELS:
        return masking.mask_url(c.value)
    return c.value


def _sector_names(rt: Runtime) -> dict[str, tuple[str, str]]:
    return {x.code: (x.name_zh, x.name_en) for x in service.list_sectors(rt.uow)}


def _kinds() -> list[tuple[str, tuple[str, str]]]:
    return [(k.value, BODY_KIND_LABELS[k]) for k in BodyKind]


@router.get("/directory")
def directory_page(request: Request, q: str = "", kind: str = "", jurisdiction: str = "",
                   page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    kind = kind if kind in {k.value for k in BodyKind} else ""
    q = q.strip()[:200]
    ctx = {"me": user(rt, me), "nav": "directory", "kinds": _kinds(),
           "levels": {level.value: pair for level, pair in LEVEL_LABELS.items()},
           "kind_labels": dict(BODY_KIND_LABELS), "sector_names": _sector_names(rt),
           "f": {"q": q, "kind": kind, "jurisdiction": jurisdiction},
           "may_see_users": has_permission(me.roles, Permission.USER_READ)}
    try:
        if q or kind or jurisdiction:
            found = bodies.list_bodies(rt.uow, principal=me, page=page_params(page),
                                       q=q or None, kind=BodyKind(kind) if kind else None,
                                       jurisdiction=jurisdiction or None)
            ctx.update(found=found, page=max(page, 1), pages=page_count(found.total))
        else:
            ctx["tree"] = _sort_tree(bodies.org_tree(rt.uow, principal=me))
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_directory.html", ctx)


@router.get("/directory/{key}")
def body_page(request: Request, key: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        body = bodies.get_body(rt.uow, principal=me, key=key)
        contacts = registers.list_contacts(rt.uow, principal=me, body=key)
        everyone = _all_bodies(bodies.org_tree(rt.uow, principal=me))
    except DomainError as exc:
        return error_page(request, me, exc)
    parent = None
    if body.parent:
        try:
            parent = bodies.get_body(rt.uow, principal=me, key=body.parent)
        except NotFound:
            parent = None  # above the caller's scope: named by key only
    children = _sorted([b for b in everyone if b.parent == key])
    return render(request, "console_directory_body.html", {
        "me": user(rt, me), "nav": "directory", "b": body, "parent": parent,
        "kind_labels": dict(BODY_KIND_LABELS), "sector_names": _sector_names(rt),
        "contacts": contacts, "children": children, "channels": CHANNEL_LABELS,
        "shown_address": shown_address, "duty": [c for c in contacts if c.is_24x7]})
