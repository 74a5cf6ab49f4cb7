"""The grading facts of the report form (issue 19 item 3): the quantitative conditions of the
deployment's grading profile (by default the CAC 2025 grading guide, 《网络安全事件分级指南》),
each with its unit and the thresholds it may cross, and the provisional grade as the user types.

The fields and thresholds come from the profile (``rules/grading_profiles/<name>.yaml``), not from
the template: another profile shows its own. The provisional grade is computed by the server's
own grading (:func:`fenghuo.incident.preview.preview_grade`) behind ``POST /web/report/grade``,
which takes the form as it stands (with its CSRF token) and answers JSON; ``report.js`` shows the
answer as text. The report itself is filed through the same schema and service as the API's.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from fenghuo.common import clauses
from fenghuo.common.errors import DomainError, Unauthorized, ValidationFailed
from fenghuo.incident import grading, preview
from fenghuo.incident.schemas import FactsIn, ReportIn
from fenghuo.sharing.tlp import TLP_LABELS, Tlp

from . import i18n, session

router = APIRouter()


def N_(message: str) -> str:  # noqa: N802 - the gettext "no-op" marker Babel extracts
    return message


@dataclass(frozen=True)
class Quantity:
    """How the form asks for one quantity of :class:`grading.GradingFacts`."""

    name: str
    label: str
    unit: str
    whole: bool  # an integer count (people, records, views)
    primary: bool  # one of the facts a report states first (issue 19 item 3)


#: every quantity the grading knows, with its label and unit (msgids of the catalogs); which of
#: them the form shows, and in what order, is the profile's
QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("outage_hours", N_("Outage: hours the system was out of operation or could not be "
                                "accessed"), N_("h"), False, True),
    Quantity("people_affected", N_("People whose work and life were affected (water, power, "
                                   "transport, medical care…)"), N_("people"), True, True),
    Quantity("personal_records_leaked", N_("People whose personal information leaked"),
             N_("people"), True, True),
    Quantity("direct_loss_yuan", N_("Direct economic loss"), N_("yuan"), False, True),
    Quantity("defacement_exposure", N_("Views or clicks of illegal or harmful information placed "
                                       "by tampering"), N_("views or clicks"), True, True),
    Quantity("main_function_outage_hours", N_("Hours the main functions of the CII were "
                                              "interrupted"), N_("h"), False, False),
    Quantity("province_population_pct", N_("Share of the population of the provincial-level "
                                           "region(s) affected"), "%", False, False),
    Quantity("prefecture_population_pct", N_("Share of the population of the prefecture-level "
                                             "region(s) affected"), "%", False, False),
    Quantity("defacement_homepage_hours", N_("Hours the tampered content stayed on the home "
                                             "page"), N_("h"), False, False),
    Quantity("defacement_other_page_hours", N_("Hours the tampered content stayed on another "
                                               "page"), N_("h"), False, False),
    Quantity("defacement_reposts", N_("Reposts of the tampered content on social platforms"),
             N_("reposts"), True, False),
)}
#: the flags a threshold may require: those the reporter states (the others come from the
#: register: CII operator, important system)
FLAG_LABELS = {
    "provincial_portal": N_("A party or government portal of provincial level or above, or a "
                            "central key news website"),
    "prefectural_portal": N_("A party or government portal of prefecture level or above, or a "
                             "key news website"),
    "cii": N_("critical information infrastructure (per the register)"),
    "important_system": N_("an important network and information system (per the register)"),
}
STATED_FLAGS = ("provincial_portal", "prefectural_portal")
#: the three criteria of Plan §1.4 a reporter states a degree for (annex 3 degrees)
CRITERIA = ("system_loss", "data_threat", "other_threat")
#: what a report carries when the reporter says nothing: the API's default (ReportIn)
DEFAULT_TLP = Tlp(ReportIn.model_fields["tlp"].default)

MSG_THRESHOLD = N_("≥ %(minimum)s %(unit)s: %(grade)s per %(source)s")
MSG_THRESHOLD_SHORT = N_("≥ %(minimum)s %(unit)s: %(grade)s")
MSG_GRADE = N_("%(grade)s (grade %(level)s)")
MSG_ONLY_FOR = N_("only for: %(flags)s")
MSG_UNCONFIRMED = N_("draft value, not confirmed in the final text")
MSG_UNMET = N_("The number is reached, but this threshold applies only to %(flags)s")
MSG_PROVISIONAL = N_("Provisional grade: %(grade)s")
MSG_PROVISIONAL_DRAFT = N_("Provisional grade: %(grade)s (reached only by draft values, not "
                           "confirmed in the final text)")
MSG_NO_THRESHOLD = N_("No threshold of the grading guide is crossed.")
MSG_NUMBER = N_("Enter a number.")
MSG_WHOLE = N_("Enter a whole number.")
MSG_NEGATIVE = N_("Enter a number of 0 or more.")
MSG_TOO_LARGE = N_("This number is too large.")
MSG_CHOOSE = N_("Choose one of the listed values.")
MSG_YES = N_("Yes (it is)")
MSG_NO = N_("No (it is not)")


# --- words --------------------------------------------------------------------------------------


#: punctuation by language (index: whether the language is English)
_SEMICOLON = ("；", "; ")
_PARENS = ("（%s）", " (%s)")


def _tr(locale: str):  # noqa: ANN202 - gettext of the locale
    return i18n.translations(locale).gettext


def number(value: float, locale: str) -> str:
    """As people write it: 1000万, 1亿 in Chinese; 10,000,000 in English."""
    if locale != "en" and float(value).is_integer() and value >= 10000:
        for size, word in ((10**8, "亿"), (10**4, "万")):
            if value % size == 0:
                return f"{int(value // size)}{word}"
    return format_decimal(value, locale="en" if locale == "en" else "zh_CN")


def grade_text(grade: grading.Grade, locale: str) -> str:
    label = grade.label_en if locale == "en" else grade.label_zh
    return _tr(locale)(MSG_GRADE) % {"grade": label, "level": grade.level}


def threshold_text(t: grading.Threshold, locale: str) -> str:
    """``≥ 24 h: especially major (grade I) per CAC 2025 grading guide …; only for: …``."""
    tr = _tr(locale)
    text = tr(MSG_THRESHOLD) % {"minimum": number(t.minimum, locale),
                                "unit": tr(QUANTITIES[t.quantity].unit),
                                "grade": grade_text(t.grade, locale),
                                "source": clauses.render(t.source, locale)}
    if t.requires:
        text += _SEMICOLON[locale == "en"] + tr(MSG_ONLY_FOR) % {
            "flags": _flags(t.requires, locale)}
    if not t.confirmed:
        text += _SEMICOLON[locale == "en"] + tr(MSG_UNCONFIRMED)
    return text


def _flags(flags: tuple[str, ...], locale: str) -> str:
    tr = _tr(locale)
    return (" / " if locale == "en" else "、").join(tr(FLAG_LABELS[f]) for f in flags)


def reason_code(profile: grading.GradingProfile, t: grading.Threshold) -> str:
    """The code of the :class:`grading.Reason` the threshold gives when it fires."""
    return f"{profile.name}.{t.code}.{t.grade.value}"


# --- the form's fields --------------------------------------------------------------------------


def profile_quantities(profile: grading.GradingProfile) -> list[str]:
    """The quantities the profile's thresholds test, in the profile's order."""
    return list(dict.fromkeys(t.quantity for t in profile.thresholds))


def profile_flags(profile: grading.GradingProfile) -> list[str]:
    """The flags the reporter states that some threshold of the profile requires."""
    used = {f for t in profile.thresholds for f in t.requires}
    return [f for f in STATED_FLAGS if f in used]


def context(profile_name: str, locale: str) -> dict:
    """The fields of the profile for the template, words in ``locale``."""
    profile = grading.load_profile(profile_name)
    tr = _tr(locale)
    fields = [{"name": q, "label": tr(QUANTITIES[q].label), "unit": tr(QUANTITIES[q].unit),
               "whole": QUANTITIES[q].whole, "primary": QUANTITIES[q].primary,
               "thresholds": [{"code": reason_code(profile, t), "text": threshold_text(t, locale),
                               "grade": t.grade.value}
                              for t in profile.thresholds if t.quantity == q]}
              for q in profile_quantities(profile)]
    return {"profile": {"name": profile.name,
                        "title": profile.title_en if locale == "en" else profile.title_zh},
            "quantity_fields": [f for f in fields if f["primary"]],
            "more_quantity_fields": [f for f in fields if not f["primary"]],
            "flag_fields": [{"name": f, "label": tr(FLAG_LABELS[f]) + ("?" if locale == "en"
                                                                        else "？")}
                            for f in profile_flags(profile)],
            "tlp_choices": [(t.value, TLP_LABELS[t]) for t in Tlp],
            "default_tlp": DEFAULT_TLP.value,
            "field_labels": {**{q: tr(m.label) for q, m in QUANTITIES.items()},
                             **{f: tr(FLAG_LABELS[f]) for f in STATED_FLAGS}}}


def fact_rows(facts: dict, locale: str) -> list[tuple[str, str, str]]:
    """(field, label, value with its unit) of each quantity and stated flag an incident's facts
    give, for the incident's page."""
    tr = _tr(locale)
    rows = [(q.name, tr(q.label), f"{number(facts[q.name], locale)} {tr(q.unit)}")
            for q in QUANTITIES.values() if facts.get(q.name) is not None]
    return rows + [(f, tr(FLAG_LABELS[f]), tr(MSG_YES)) for f in STATED_FLAGS if facts.get(f)]


_MULTIPLIERS = {"万": 10**4, "亿": 10**8}


def _number_text(raw: str) -> str:
    """What was typed, with full-width digits, spaces and thousands separators taken out, and
    万 / 亿 as Chinese officers write them (1000万 = 10000000); anything else is left for the
    schema to refuse."""
    text = "".join(c for c in unicodedata.normalize("NFKC", raw).strip()
                   if c not in ", _\u00a0，")
    if text[-1:] in _MULTIPLIERS:
        try:
            value = Decimal(text[:-1]) * _MULTIPLIERS[text[-1]]
        except InvalidOperation:
            return text
        return str(int(value)) if value == value.to_integral_value() else str(value)
    return text


def form_facts(form) -> dict:  # noqa: ANN001 - a form's mapping
    """The facts of a report form for :class:`FactsIn`: degrees, numbers as typed (the schema
    checks them), the stated flags as booleans; empty fields are unknown facts."""
    facts: dict = {k: form[k] for k in CRITERIA if form.get(k)}
    for name in QUANTITIES:
        text = _number_text(str(form.get(name) or ""))
        if text:
            facts[name] = text
    for flag in STATED_FLAGS:
        if form.get(flag):
            facts[flag] = str(form.get(flag)) in ("on", "true", "1", flag)
    return facts


def form_tlp(form) -> str:  # noqa: ANN001
    return str(form.get("tlp") or DEFAULT_TLP.value)


def message(e: dict) -> str | None:
    """The catalogs' message for a pydantic error on a number or a choice; None for others."""
    kind = e["type"]
    if kind in ("int_parsing", "int_from_float", "int_type") or (
            kind == "float_parsing" and e["loc"][-1] in QUANTITIES
            and QUANTITIES[e["loc"][-1]].whole):
        return MSG_WHOLE
    if kind in ("float_parsing", "float_type", "finite_number"):
        return MSG_NUMBER
    if kind in ("greater_than_equal", "greater_than"):
        return MSG_NEGATIVE
    if kind in ("less_than_equal", "less_than"):
        return MSG_TOO_LARGE
    if kind in ("enum", "literal_error", "bool_type", "bool_parsing"):
        return MSG_CHOOSE
    return None


# --- the provisional grade ----------------------------------------------------------------------


def _json(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _gravest(thresholds) -> grading.Threshold | None:  # noqa: ANN001 - Threshold iterable
    """The gravest of ``thresholds``, the first in the profile's order among equals."""
    return max(thresholds, key=lambda t: t.grade.rank, default=None)


def _field_lines(found: preview.Preview, profile: grading.GradingProfile,
                 locale: str) -> dict[str, list[dict]]:
    """Per quantity, the gravest threshold it crosses (the others it crosses are lighter: the
    list of thresholds marks them all); when it crosses none, the gravest it reaches that does
    not apply to this unit or system, saying why."""
    tr, fired = _tr(locale), {r.code for r in found.result.reasons}
    lines: dict[str, list[dict]] = {}
    for quantity in profile_quantities(profile):
        crossed = _gravest(t for t in profile.thresholds
                           if t.quantity == quantity and reason_code(profile, t) in fired)
        if crossed:
            lines[quantity] = [{"crossed": True, "text": threshold_text(crossed, locale)}]
            continue
        unmet = _gravest(t for t in found.unmet if t.quantity == quantity)
        if unmet:
            lines[quantity] = [{"crossed": False, "text": tr(MSG_UNMET) % {
                "flags": _flags(unmet.requires, locale)} + _PARENS[locale == "en"] % (
                tr(MSG_THRESHOLD_SHORT) % {"minimum": number(unmet.minimum, locale),
                                           "unit": tr(QUANTITIES[quantity].unit),
                                           "grade": grade_text(unmet.grade, locale)})}]
    return lines


def _answer(found: preview.Preview, profile: grading.GradingProfile, locale: str) -> dict:
    tr, result = _tr(locale), found.result
    summary = MSG_PROVISIONAL if result.confirmed else MSG_PROVISIONAL_DRAFT
    return {"grade": result.grade.value, "level": result.grade.level,
            "summary": tr(summary) % {"grade": grade_text(result.grade, locale)},
            "none": tr(MSG_NO_THRESHOLD) if not any(
                r.code.startswith(f"{profile.name}.") for r in result.reasons) else "",
            "reasons": [{"code": r.code, "grade": grade_text(r.grade, locale),
                         "text": r.text_en if locale == "en" else r.text_zh,
                         "source": r.source, "confirmed": r.confirmed} for r in result.reasons],
            "codes": sorted(r.code for r in result.reasons),
            "fields": _field_lines(found, profile, locale),
            "cii": found.cii, "important_system": found.important_system, "errors": {}}


def _errors(exc: ValidationError | ValidationFailed, locale: str) -> dict[str, str]:
    tr = _tr(locale)
    if isinstance(exc, ValidationFailed):
        return {e.field: tr(e.message) for e in exc.errors}
    return {str(e["loc"][-1]): tr(message(e) or e["msg"]) for e in exc.errors()}


@router.post("/report/grade")
async def provisional_grade(request: Request) -> JSONResponse:
    """The grade the report form's facts would get, with every reason and, per field, the
    thresholds crossed: JSON for ``report.js``. The caller must be logged in, send the form's
    CSRF token and hold ``incident:report``; a unit is looked up in the caller's scope only."""
    me = session.principal(request)
    if me is None:
        return _json({"error": "login required"}, 401)
    form = await request.form()
    try:
        session.check_csrf(request, str(form.get("csrf", "")))
    except Unauthorized as exc:
        return _json({"error": exc.detail}, 403)
    rt, locale = session.runtime(request), i18n.negotiate(request)
    profile = grading.load_profile(rt.settings.grading_profile)
    try:
        facts = FactsIn(**form_facts(form))
        found = preview.preview_grade(rt.uow, principal=me, facts=facts,
                                      unit=form.get("unit") or None,
                                      system=form.get("system") or None, profile=profile.name)
    except (ValidationError, ValidationFailed) as exc:
        return _json({"errors": _errors(exc, locale)}, 422)
    except DomainError as exc:
        return _json({"error": exc.detail}, exc.status)
    return _json(_answer(found, profile, locale))
