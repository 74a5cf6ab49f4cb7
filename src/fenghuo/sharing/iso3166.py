"""ISO 3166-2:CN subdivision codes of China's province-level divisions, from their GB/T 2260
codes (issue 20 item 1: STIX ``location`` objects carry ``administrative_area``).

GB/T 2260-2007 gives each province-level division a six-digit code whose first two digits
name the province (``110000`` Beijing, ``440300`` Shenzhen in Guangdong …); ISO 3166-2:CN
(as amended by ISO 3166-2 newsletter II-3, 2017) gives each an alphabetic code. The Xinjiang
Production and Construction Corps has no GB/T 2260 code (seeded as ``XPCC``) and no ISO code:
it maps to the country only. Pure: no I/O.
"""

from __future__ import annotations

COUNTRY = "CN"

#: the two leading GB/T 2260 digits → ISO 3166-2:CN
PROVINCES: dict[str, str] = {
    "11": "CN-BJ", "12": "CN-TJ", "13": "CN-HE", "14": "CN-SX", "15": "CN-NM",
    "21": "CN-LN", "22": "CN-JL", "23": "CN-HL",
    "31": "CN-SH", "32": "CN-JS", "33": "CN-ZJ", "34": "CN-AH", "35": "CN-FJ", "36": "CN-JX",
    "37": "CN-SD",
    "41": "CN-HA", "42": "CN-HB", "43": "CN-HN", "44": "CN-GD", "45": "CN-GX", "46": "CN-HI",
    "50": "CN-CQ", "51": "CN-SC", "52": "CN-GZ", "53": "CN-YN", "54": "CN-XZ",
    "61": "CN-SN", "62": "CN-GS", "63": "CN-QH", "64": "CN-NX", "65": "CN-XJ",
    "71": "CN-TW", "81": "CN-HK", "82": "CN-MO",
}


def subdivision(division_code: str | None) -> str | None:
    """The ISO 3166-2:CN code of the province a GB/T 2260 code lies in (``440300`` →
    ``CN-GD``), or None for the national level, the XPCC and codes that are not divisions."""
    code = (division_code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return None
    return PROVINCES.get(code[:2])


def province_code(division_code: str | None) -> str | None:
    """The GB/T 2260 code of the province a division lies in (``440300`` → ``440000``)."""
    return f"{division_code.strip()[:2]}0000" if subdivision(division_code) else None
