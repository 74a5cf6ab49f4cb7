"""Fenghuo's own STIX 2.1 property extension (issue 20 items 1 and 2).

What STIX has no property for, and another Fenghuo instance needs to rebuild an object as it
was (category, regions, sectors, importance, observation time, originating unit, a warning's
level and state), travels in one property extension on the exported object::

    "extensions": {
        "extension-definition--8172b50f-073a-49a2-8f2f-f89f7d1bcd85": {
            "extension_type": "property-extension",
            "category": "...", ...
        }
    }

The export also carries the ``extension-definition`` object itself (STIX 2.1 §7.3), so a
validator and a consumer know what the properties mean. Unknown consumers ignore it; the same
facts are in ``labels`` / ``description`` for people.

This module is the contract between the exporter (``sharing.stix``) and the importer
(``sharing.stix_import``): the id, and the property names with their meaning.
"""

from __future__ import annotations

from typing import Any

#: the id of the extension-definition (a fixed UUIDv4, drawn once for Fenghuo)
EXTENSION_ID = "extension-definition--8172b50f-073a-49a2-8f2f-f89f7d1bcd85"
EXTENSION_NAME = "fenghuo-properties"
EXTENSION_VERSION = "1.0.0"
#: when the extension-definition (and the identity that defines it) were first published
DEFINED_AT = "2026-12-01T00:00:00.000Z"
#: the identity of the Fenghuo project, the ``created_by_ref`` of the definition (fixed UUIDv4)
IDENTITY_ID = "identity--2b1f5a7e-6c3d-4e8f-9a0b-51c2d3e4f607"

#: the properties and what they hold (all optional)
PROPERTIES: dict[str, str] = {
    "kind": "which Fenghuo object this is: incident, monitoring-item or warning",
    "ref": "the object's reference at the exporting instance (INC-…, MON-…, WRN-…)",
    "category": "category code of annex 1 / GB/T 20986-2023 (e.g. malware.trojan)",
    "grade": "incident grade of Plan §1.4 (especially_major, major, relatively_major, general)",
    "regions": "administrative division codes (GB/T 2260) the object concerns",
    "sectors": "sector codes the object concerns",
    "important": "monitoring information marked important (Plan §3.1)",
    "observed_at": "when the information was observed (RFC 3339)",
    "originating_unit": "key of the body that reported or submitted it",
    "originating_unit_name": "that body's name (zh and en)",
    "warning_level": "red, orange, yellow or blue (Plan §3.2)",
    "warning_state": "the warning's state (published, lifted …)",
}


def properties_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The Fenghuo properties an object carries (empty when it carries none)."""
    extensions = obj.get("extensions") or {}
    found = extensions.get(EXTENSION_ID) or {}
    return {key: value for key, value in found.items() if key in PROPERTIES}


def extension(**values: Any) -> dict[str, dict[str, Any]]:
    """The ``extensions`` entry for an object, leaving out unknown and empty values."""
    unknown = set(values) - set(PROPERTIES)
    if unknown:
        raise ValueError(f"not a Fenghuo STIX property: {sorted(unknown)}")
    kept = {key: value for key, value in values.items() if value not in (None, "", [], ())}
    return {EXTENSION_ID: {"extension_type": "property-extension", **kept}}


def schema() -> str:
    """The extension's normative definition as plain text (STIX 2.1 §7.3: ``schema`` is a URL
    or a plain-text definition); docs/sharing.md says the same."""
    props = "; ".join(f"{name}: {meaning}" for name, meaning in PROPERTIES.items())
    return ("Fenghuo property extension " + EXTENSION_VERSION + " (property-extension on "
            "incident, grouping and report; every property optional): " + props)


def identity() -> dict[str, Any]:
    """The identity of the Fenghuo project, which defines the extension."""
    return {"type": "identity", "spec_version": "2.1", "id": IDENTITY_ID,
            "created": DEFINED_AT, "modified": DEFINED_AT, "name": "Fenghuo",
            "identity_class": "system",
            "description": "Self-hosted network-security incident and warning system"}


def definition() -> dict[str, Any]:
    """The ``extension-definition`` object (STIX 2.1 §7.3) every bundle using the extension
    carries."""
    return {"type": "extension-definition", "spec_version": "2.1", "id": EXTENSION_ID,
            "created": DEFINED_AT, "modified": DEFINED_AT, "created_by_ref": IDENTITY_ID,
            "name": EXTENSION_NAME, "description": "What another Fenghuo instance needs to "
            "rebuild an exported incident, monitoring item or warning as it was.",
            "schema": schema(), "version": EXTENSION_VERSION,
            "extension_types": ["property-extension"]}
