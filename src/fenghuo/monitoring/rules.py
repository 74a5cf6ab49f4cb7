"""Pure rules of machine monitoring (Law arts. 51–52, Plan §3.2). No I/O.

* :data:`KINDS` — the event types a parser may give, each mapped to its Plan annex 1
  subcategory, its ENISA RSIT tag (MISP machine tag, shared/standards) and the monitoring
  statistic it counts toward (Plan §3.2: 汇总、分析 monitoring information; the statistics of
  the CNCERT weekly reports: infected hosts, C2 servers, phishing, defacement, backdoors,
  vulnerable services, vulnerabilities).
* :func:`kind` — look one up with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One event type: its classification under Plan annex 1 and RSIT, and its statistic."""

    code: str
    category: str  # Plan annex 1 subcategory code (rules/taxonomy.yaml)
    rsit: str  # RSIT machine tag
    statistic: str | None  # key of STATISTICS, or None when it counts toward none
    name_zh: str
    name_en: str


def _k(code: str, category: str, rsit: str, statistic: str | None, zh: str, en: str) -> Kind:
    return Kind(code, category, rsit, statistic, zh, en)


_MC = "rsit:malicious-code"
KINDS: dict[str, Kind] = {k.code: k for k in (
    _k("infected-system", "harmful-program.botnet", f'{_MC}="infected-system"',
       "infected_hosts", "感染主机", "infected host"),
    _k("c2-server", "harmful-program.botnet", f'{_MC}="c2-server"', "c2_servers",
       "僵尸网络控制服务器", "C2 server"),
    _k("malware-distribution", "harmful-program.web-malicious-code",
       f'{_MC}="malware-distribution"', "malware_urls", "恶意程序传播", "malware distribution"),
    _k("malware-configuration", "harmful-program.other", f'{_MC}="malware-configuration"', None,
       "恶意程序配置", "malware configuration"),
    _k("phishing", "network-attack.phishing", 'rsit:fraud="phishing"', "phishing",
       "网络钓鱼", "phishing"),
    _k("scanner", "network-attack.scanning-eavesdropping", 'rsit:information-gathering="scanner"',
       None, "扫描探测", "scanning"),
    _k("brute-force", "network-attack.other", 'rsit:intrusion-attempts="brute-force"', None,
       "暴力破解", "brute force"),
    _k("exploit", "network-attack.vulnerability", 'rsit:intrusion-attempts="exploit"', None,
       "漏洞利用尝试", "exploitation attempt"),
    _k("ids-alert", "network-attack.other", 'rsit:intrusion-attempts="ids-alert"', None,
       "入侵检测告警", "IDS alert"),
    _k("ddos", "network-attack.dos", 'rsit:availability="ddos"', None, "拒绝服务攻击", "DDoS"),
    _k("backdoor", "network-attack.backdoor", 'rsit:intrusions="system-compromise"',
       "backdoors", "网站后门", "backdoor"),
    _k("defacement", "network-attack.vulnerability",
       'rsit:information-content-security="unauthorised-information-modification"',
       "defacements", "网页篡改", "defacement"),
    _k("vulnerable-service", "network-attack.vulnerability",
       'rsit:vulnerable="vulnerable-system"', "vulnerable_services", "存在漏洞的服务",
       "vulnerable service"),
    _k("open-service", "network-attack.vulnerability",
       'rsit:vulnerable="potentially-unwanted-accessible"',
       "vulnerable_services", "不当开放的服务", "openly exposed service"),
    _k("vulnerability", "network-attack.vulnerability", 'rsit:vulnerable="vulnerable-system"',
       "vulnerabilities", "漏洞", "vulnerability"),
    _k("data-leak", "information-destruction.leak", 'rsit:information-content-security="data-leak"',
       None, "数据泄露", "data leak"),
    _k("spam", "information-content-security", 'rsit:abusive-content="spam"', None,
       "垃圾信息", "spam"),
    _k("other", "other", 'rsit:other="other"', None, "其他", "other"),
)}

#: The monitoring statistics of item 7, bilingual, in the order the bulletin shows them.
STATISTICS: dict[str, tuple[str, str]] = {
    "infected_hosts": ("感染主机", "infected hosts"),
    "c2_servers": ("境内僵尸网络控制服务器", "C2 servers hosted in the country"),
    "phishing": ("仿冒（钓鱼）页面", "phishing pages"),
    "malware_urls": ("恶意程序传播地址", "malware distribution URLs"),
    "defacements": ("被篡改网站", "defaced websites"),
    "backdoors": ("被植入后门网站", "backdoored websites"),
    "vulnerable_services": ("存在漏洞或不当开放的服务", "vulnerable or exposed services"),
    "vulnerabilities": ("收录漏洞", "vulnerabilities collected"),
}


def kind(code: str) -> Kind:
    """The :class:`Kind` for ``code``; ValueError naming the known kinds otherwise."""
    found = KINDS.get(code)
    if found is None:
        raise ValueError(f"unknown event kind {code!r}; expected one of {', '.join(KINDS)}")
    return found
