"""The Plan annex 1 category a STIX 2.1 object says it belongs to (issue 20 item 2). Pure: no I/O.

Where STIX speaks of a category, the import reads it (first match wins, most explicit first):

1. Fenghuo's own property extension (``sharing.stix_fenghuo``, property ``category``) and the
   ``category:<code>`` labels Fenghuo's export puts on incidents, reports and groupings;
2. a ``malware``'s ``malware_types`` (STIX 2.1 §10.12 malware-type-ov);
3. an ``attack-pattern``'s MITRE ATT&CK technique id (external reference ``mitre-attack``);
4. an ``incident``'s ``incident_types`` (Incident Core Extension 2.0, event-type-ov) and the
   same words in its labels.

The codes are Plan annex 1's (``rules/taxonomy.yaml``); the crosswalk to GB/T 20986-2023 is the
taxonomy's (e.g. ransomware → MPRANS and mining → MPMINER sit under ``harmful-program.other``;
backdoors and APT under ``network-attack.backdoor``; credentials and supply chain under
``network-attack.other``; see ``../shared/standards/mapping-rsit-gbt20986-cn2017.json`` and
``gbt-20986-2023-categories.json``). The equivalences are editorial, as the taxonomy's are.
A word or technique we have no category for gives None: nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fenghuo.sharing.stix_fenghuo import properties_of

#: STIX 2.1 malware-type-ov → annex 1 subcategory (GB/T 20986-2023 code as seen in comments)
MALWARE_TYPES: dict[str, str] = {
    "virus": "harmful-program.virus",  # MPEVIR 计算机病毒事件
    "worm": "harmful-program.worm",  # MPWORM 网络蠕虫事件
    "trojan": "harmful-program.trojan",  # MPTROJ 特洛伊木马事件
    "remote-access-trojan": "harmful-program.trojan",
    "bot": "harmful-program.botnet",  # MPZOMB 僵尸网络事件
    "ddos": "harmful-program.botnet",  # DDoS malware is a botnet's payload
    "backdoor": "network-attack.backdoor",  # NABACKIMPL 后门植入事件
    "webshell": "network-attack.backdoor",
    "exploit-kit": "harmful-program.web-malicious-code",  # MPWEB 恶意代码内嵌网页事件
    "ransomware": "harmful-program.other",  # MPRANS 勒索软件事件
    "resource-exploitation": "harmful-program.other",  # MPMINER 挖矿病毒事件
    "wiper": "harmful-program.other",
    "spyware": "harmful-program.other",
    "keylogger": "harmful-program.other",
    "screen-capture": "harmful-program.other",
    "rootkit": "harmful-program.other",
    "bootkit": "harmful-program.other",
    "downloader": "harmful-program.other",
    "dropper": "harmful-program.other",
    "adware": "harmful-program.other",
    "rogue-security-software": "harmful-program.other",
}

#: MITRE ATT&CK technique (sub-techniques included) → annex 1 subcategory
ATTACK_TECHNIQUES: dict[str, str] = {
    "T1566": "network-attack.phishing",  # Phishing — NAPHISH 网络钓鱼事件
    "T1598": "network-attack.phishing",  # Phishing for Information
    "T1498": "network-attack.dos",  # Network Denial of Service — NADOS
    "T1499": "network-attack.dos",  # Endpoint Denial of Service
    "T1190": "network-attack.vulnerability",  # Exploit Public-Facing Application — NAEXPLOIT
    "T1203": "network-attack.vulnerability",  # Exploitation for Client Execution
    "T1595": "network-attack.scanning-eavesdropping",  # Active Scanning — NASCAN
    "T1046": "network-attack.scanning-eavesdropping",  # Network Service Discovery
    "T1040": "network-attack.scanning-eavesdropping",  # Network Sniffing
    "T1110": "network-attack.other",  # Brute Force — NACRED 凭据攻击事件
    "T1195": "network-attack.other",  # Supply Chain Compromise — NASUPPLY 供应链攻击事件
    "T1565": "information-destruction.tampering",  # Data Manipulation — DSDATAALTER
    "T1486": "harmful-program.other",  # Data Encrypted for Impact (ransomware) — MPRANS
    "T1496": "harmful-program.other",  # Resource Hijacking (mining) — MPMINER
}

#: words of incident_types (Incident Core Extension event-type-ov) and of labels
INCIDENT_WORDS: dict[str, str] = {
    "phishing": "network-attack.phishing",
    "dos": "network-attack.dos",
    "ddos": "network-attack.dos",
    "denial-of-service": "network-attack.dos",
    "exploitation": "network-attack.vulnerability",
    "scanning": "network-attack.scanning-eavesdropping",
    "exfiltration": "information-destruction.theft",
    "data-leak": "information-destruction.leak",
    "data-loss": "information-destruction.loss",
    "defacement": "information-destruction.tampering",
    "ransomware": "harmful-program.other",
    "malware": "harmful-program",
}


def technique_of(obj: dict[str, Any]) -> str | None:
    """The MITRE ATT&CK technique id of an attack-pattern (T1566, T1566.001 …), or None."""
    for ref in obj.get("external_references") or ():
        if (isinstance(ref, dict) and str(ref.get("source_name", "")).startswith("mitre-")
                and str(ref.get("external_id", "")).upper().startswith("T")):
            return str(ref["external_id"]).upper()
    return None


def _words(values: Any) -> list[str]:
    return [str(v).strip().lower() for v in values or () if isinstance(v, str)]


def _labelled(obj: dict[str, Any]) -> str | None:
    for label in _words(obj.get("labels")):
        if label.startswith("category:") and len(label) > len("category:"):
            return label.removeprefix("category:")
    return None


def category_of(obj: dict[str, Any]) -> str | None:
    """The annex 1 code (category or subcategory) one object says it belongs to, or None."""
    fenghuo = properties_of(obj).get("category")
    if isinstance(fenghuo, str) and fenghuo.strip():
        return fenghuo.strip().lower()
    if (labelled := _labelled(obj)) is not None:
        return labelled
    kind = obj.get("type")
    if kind == "malware":
        return next((MALWARE_TYPES[w] for w in _words(obj.get("malware_types"))
                     if w in MALWARE_TYPES), None)
    if kind == "attack-pattern" and (technique := technique_of(obj)):
        return ATTACK_TECHNIQUES.get(technique.split(".")[0])
    if kind == "incident":
        words = [w for ext in (obj.get("extensions") or {}).values() if isinstance(ext, dict)
                 for w in _words(ext.get("incident_types"))] + _words(obj.get("labels"))
        return next((INCIDENT_WORDS[w] for w in words if w in INCIDENT_WORDS), None)
    return None


def first_category(objects: Iterable[dict[str, Any]]) -> str | None:
    """The first category any of these objects says (the item's own object first)."""
    return next((c for o in objects if (c := category_of(o)) is not None), None)
