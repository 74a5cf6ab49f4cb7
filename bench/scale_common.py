"""The organization and the words of the scale instance (bench/seed_scale.py, issue 21 item 1).

The seeded reference data (``rules/seed_org.yaml``) has the national bodies, the 31 provinces
(GB/T 2260) and XPCC, but no city, sector department or operator unit. This module builds, as an
``org.interchange`` document imported through the app's own path, what a deployment adds:

* cities: each province's capital and, for the larger ones, a second city, with their GB/T 2260
  codes (the municipalities' 市辖区, e.g. 110100);
* per province, the sector departments that Plan §2.3 routes to (communications administration,
  financial regulator, energy, transport, water) and the public security department (CAC 2025
  art. 4: CII incidents also go to public security), every one with an e-mail contact (the
  notification, rank 0) and a robot webhook (the reminder, rank 1, ``org.rules.contact_tier``);
  the seeded offices and national bodies get the same two contacts;
* operator units (运营单位) in every city, spread over the sectors of Law art. 31, some of them
  CII operators, each with a website and a core business system (important per Plan annex 2 for
  CII operators and some others).

Also the vocabulary of titles, descriptions, impacts and measures (Chinese first, some English,
a few rare tokens so that a search matching few rows can be measured, see :data:`RARE_TOKENS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fenghuo.org.rules import BodyFunction, BodyKind, Channel, JurisdictionLevel

#: province code → its cities (GB/T 2260 code, Chinese, English); XPCC has none (units sit at
#: XPCC itself)
CITIES: dict[str, list[tuple[str, str, str]]] = {
    "110000": [("110100", "北京市市辖区", "Beijing urban districts")],
    "120000": [("120100", "天津市市辖区", "Tianjin urban districts")],
    "130000": [("130100", "石家庄市", "Shijiazhuang"), ("130200", "唐山市", "Tangshan")],
    "140000": [("140100", "太原市", "Taiyuan"), ("140200", "大同市", "Datong")],
    "150000": [("150100", "呼和浩特市", "Hohhot"), ("150200", "包头市", "Baotou")],
    "210000": [("210100", "沈阳市", "Shenyang"), ("210200", "大连市", "Dalian")],
    "220000": [("220100", "长春市", "Changchun"), ("220200", "吉林市", "Jilin City")],
    "230000": [("230100", "哈尔滨市", "Harbin"), ("230200", "齐齐哈尔市", "Qiqihar")],
    "310000": [("310100", "上海市市辖区", "Shanghai urban districts")],
    "320000": [("320100", "南京市", "Nanjing"), ("320200", "无锡市", "Wuxi"),
               ("320500", "苏州市", "Suzhou")],
    "330000": [("330100", "杭州市", "Hangzhou"), ("330200", "宁波市", "Ningbo")],
    "340000": [("340100", "合肥市", "Hefei"), ("340200", "芜湖市", "Wuhu")],
    "350000": [("350100", "福州市", "Fuzhou"), ("350200", "厦门市", "Xiamen")],
    "360000": [("360100", "南昌市", "Nanchang"), ("360400", "九江市", "Jiujiang")],
    "370000": [("370100", "济南市", "Jinan"), ("370200", "青岛市", "Qingdao")],
    "410000": [("410100", "郑州市", "Zhengzhou"), ("410300", "洛阳市", "Luoyang")],
    "420000": [("420100", "武汉市", "Wuhan"), ("420500", "宜昌市", "Yichang")],
    "430000": [("430100", "长沙市", "Changsha"), ("430200", "株洲市", "Zhuzhou")],
    "440000": [("440100", "广州市", "Guangzhou"), ("440300", "深圳市", "Shenzhen")],
    "450000": [("450100", "南宁市", "Nanning"), ("450200", "柳州市", "Liuzhou")],
    "460000": [("460100", "海口市", "Haikou"), ("460200", "三亚市", "Sanya")],
    "500000": [("500100", "重庆市市辖区", "Chongqing urban districts")],
    "510000": [("510100", "成都市", "Chengdu"), ("510700", "绵阳市", "Mianyang")],
    "520000": [("520100", "贵阳市", "Guiyang"), ("520300", "遵义市", "Zunyi")],
    "530000": [("530100", "昆明市", "Kunming"), ("530300", "曲靖市", "Qujing")],
    "540000": [("540100", "拉萨市", "Lhasa")],
    "610000": [("610100", "西安市", "Xi'an"), ("610300", "宝鸡市", "Baoji")],
    "620000": [("620100", "兰州市", "Lanzhou")],
    "630000": [("630100", "西宁市", "Xining")],
    "640000": [("640100", "银川市", "Yinchuan")],
    "650000": [("650100", "乌鲁木齐市", "Urumqi"), ("650200", "克拉玛依市", "Karamay")],
}

#: relative number of operator units (and so of incidents) per province; 1 when not listed
PROVINCE_WEIGHT = {"440000": 6, "320000": 5, "110000": 5, "330000": 4, "310000": 4,
                   "370000": 4, "510000": 3, "410000": 3, "420000": 3, "350000": 2.5,
                   "430000": 2.5, "340000": 2, "130000": 2, "500000": 2, "210000": 2,
                   "610000": 2, "540000": 0.3, "630000": 0.4, "640000": 0.4, "XPCC": 0.3}

#: sector (Law art. 31) → share of operator units, and the unit names (Chinese, English) used
SECTOR_UNITS: dict[str, tuple[float, list[tuple[str, str]]]] = {
    "telecom": (0.14, [("{c}移动通信分公司", "{C} Mobile Branch"),
                       ("{c}数据中心运营公司", "{C} Data Centre Co."),
                       ("{c}广电网络公司", "{C} Cable Network Co.")]),
    "energy": (0.11, [("{c}供电公司", "{C} Power Supply Co."), ("{c}燃气集团", "{C} Gas Group"),
                      ("{c}热电厂", "{C} Thermal Power Plant")]),
    "transport": (0.10, [("{c}地铁集团", "{C} Metro Group"), ("{c}机场集团", "{C} Airport Group"),
                         ("{c}公交集团", "{C} Bus Group"), ("{c}港务集团", "{C} Port Group")]),
    "water": (0.05, [("{c}自来水公司", "{C} Water Supply Co."),
                     ("{c}水务集团", "{C} Water Affairs Group")]),
    "finance": (0.20, [("{c}农村商业银行", "{C} Rural Commercial Bank"),
                       ("{c}城市商业银行", "{C} City Commercial Bank"),
                       ("{c}证券营业部", "{C} Securities Branch"),
                       ("{c}人寿保险分公司", "{C} Life Insurance Branch")]),
    "public-services": (0.16, [("{c}第一人民医院", "{C} First People's Hospital"),
                               ("{c}中心医院", "{C} Central Hospital"),
                               ("{c}理工大学", "{C} University of Technology"),
                               ("{c}图书馆", "{C} Library")]),
    "e-government": (0.17, [("{c}政务服务数据管理局", "{C} Government Data Bureau"),
                            ("{c}人民政府门户网站运维中心", "{C} Government Portal Centre"),
                            ("{c}社会保险事业管理中心", "{C} Social Insurance Centre")]),
    "other": (0.07, [("{c}化工集团", "{C} Chemical Group"),
                     ("{c}汽车制造公司", "{C} Automotive Co.")]),
}
CII_SHARE = {"telecom": 0.3, "energy": 0.35, "transport": 0.25, "water": 0.3, "finance": 0.2,
             "public-services": 0.05, "e-government": 0.15, "other": 0.02}

#: the provincial sector departments (Plan §2.3) and the public security department
DEPARTMENTS = [
    ("telecom", ["telecom"], None, "{p}通信管理局", "{P} Communications Administration"),
    ("finance", ["finance"], None, "国家金融监督管理总局{s}监管局", "NFRA {P} Office"),
    ("energy", ["energy"], None, "国家能源局{s}监管办公室", "NEA {P} Regulatory Office"),
    ("transport", ["transport"], None, "{p}交通运输厅", "{P} Department of Transport"),
    ("water", ["water"], None, "{p}水利厅", "{P} Department of Water Resources"),
    ("police", list(SECTOR_UNITS), BodyFunction.PUBLIC_SECURITY, "{p}公安厅",
     "{P} Public Security Department"),
]


def short_name(name_zh: str) -> str:
    """北京市 → 北京, 广西壮族自治区 → 广西, 新疆维吾尔自治区 → 新疆."""
    return re.sub(r"(壮族|回族|维吾尔)?(自治区|省|市)$", "", name_zh)


@dataclass(frozen=True)
class Province:
    code: str
    name_zh: str
    name_en: str


def _contacts(doc, key: str, name: str) -> None:  # noqa: ANN001 - an OrgDocument
    slug = key.replace(".", "-")
    doc.add("contacts", "bench", 0, {"name": f"{name} 值班 duty", "channel": Channel.EMAIL.value,
                                     "value": f"duty@{slug}.example.cn", "is_24x7": True,
                                     "priority": 10}, body=key)
    doc.add("contacts", "bench", 0, {"name": f"{name} 值班群 robot",
                                     "channel": Channel.DINGTALK.value,
                                     "value": f"https://oapi.dingtalk.example.cn/robot/send?"
                                              f"access_token={slug}", "priority": 20}, body=key)


def world_document(doc, provinces: list[Province], receivers: list[tuple[str, str]],  # noqa: ANN001
                   units: int, rng) -> list[str]:  # noqa: ANN001 - random.Random
    """Fill ``doc`` (an ``interchange.OrgDocument``) with the cities, departments, contacts,
    units and systems; ``receivers`` are the seeded bodies (key, name) that get contacts.
    Returns the keys of the bodies whose duty officers acknowledge (offices, departments)."""
    acknowledging = [k for k, _ in receivers]
    for key, name in receivers:
        _contacts(doc, key, name)
    places = []  # (jurisdiction code, city zh, city en, weight)
    for p in provinces:
        weight = PROVINCE_WEIGHT.get(p.code, 1)
        cities = CITIES.get(p.code, [])
        for code, zh, en in cities:
            doc.add("jurisdictions", "bench", 0, {
                "code": code, "division_code": code, "parent": p.code,
                "level": JurisdictionLevel.CITY.value, "name_zh": zh, "name_en": en})
            places.append((code, zh, en, weight / len(cities)))
        if not cities:
            places.append((p.code, p.name_zh, p.name_en, weight))
        for slug, sectors, function, zh, en in DEPARTMENTS:
            key = f"{p.code.lower()}.{slug}"
            doc.add("bodies", "bench", 0, {
                "key": key, "kind": BodyKind.DEPARTMENT.value, "jurisdiction": p.code,
                "name_zh": zh.format(p=p.name_zh, s=short_name(p.name_zh)),
                "name_en": en.format(P=p.name_en), "sectors": sectors,
                **({"function": function.value} if function else {})})
            _contacts(doc, key, short_name(p.name_zh))
            acknowledging.append(key)
    _units(doc, places, units, rng)
    return acknowledging


def _units(doc, places: list, units: int, rng) -> None:  # noqa: ANN001
    total = sum(w for *_, w in places)
    sectors = list(SECTOR_UNITS)
    shares = [SECTOR_UNITS[s][0] for s in sectors]
    n = 0
    for code, zh, en, weight in places:
        count = max(1, round(units * weight / total))
        for i in range(count):
            sector = rng.choices(sectors, shares)[0]
            names = SECTOR_UNITS[sector][1]
            name_zh, name_en = names[i % len(names)]
            cii = rng.random() < CII_SHARE[sector]
            key = f"op-{code.lower()}-{i:04d}"
            suffix = f"（{i // len(names) + 1}）" if i >= len(names) else ""
            doc.add("bodies", "bench", n, {
                "key": key, "kind": BodyKind.OPERATOR.value, "jurisdiction": code,
                "name_zh": name_zh.format(c=zh) + suffix,
                "name_en": name_en.format(C=en) + (f" #{i // len(names) + 1}" if suffix else ""),
                "sectors": [sector], "cii": cii})
            doc.add("systems", "bench", n, {"key": "www", "name_zh": "门户网站",
                                            "name_en": "Website", "important": False}, body=key)
            doc.add("systems", "bench", n, {"key": "core", "name_zh": "核心业务系统",
                                            "name_en": "Core business system",
                                            "important": cii or rng.random() < 0.3}, body=key)
            n += 1


# --- words ------------------------------------------------------------------------------------

#: subcategory (or category without subcategories) → what happened (Chinese, English)
PHRASES: dict[str, list[tuple[str, str]]] = {
    "harmful-program.virus": [("主机感染计算机病毒", "hosts infected by a computer virus"),
                              ("办公终端发现勒索病毒", "ransomware found on office PCs")],
    "harmful-program.worm": [("内网蠕虫传播", "worm spreading in the intranet"),
                             ("永恒之蓝类蠕虫感染", "EternalBlue-style worm infection")],
    "harmful-program.trojan": [("服务器被植入远控木马", "remote-access Trojan planted on servers"),
                               ("发现窃密木马外联", "data-stealing Trojan calling out")],
    "harmful-program.botnet": [("主机沦为僵尸网络节点", "hosts enrolled in a botnet"),
                               ("挖矿僵尸网络感染", "cryptomining botnet infection")],
    "harmful-program.blended": [("混合型恶意程序攻击", "blended malware attack")],
    "harmful-program.web-malicious-code": [("网页被嵌入恶意代码", "malicious code in web pages"),
                                           ("网站挂马", "drive-by download on the website")],
    "harmful-program.other": [("发现可疑恶意程序", "suspicious malicious program")],
    "network-attack.dos": [("遭受分布式拒绝服务攻击", "hit by a DDoS attack"),
                           ("业务系统遭流量攻击", "traffic flood against the service")],
    "network-attack.backdoor": [("发现系统后门", "backdoor found in the system"),
                                ("WebShell后门被利用", "web shell backdoor exploited")],
    "network-attack.vulnerability": [("高危漏洞被利用", "critical vulnerability exploited"),
                                     ("中间件远程代码执行漏洞攻击", "middleware RCE exploited"),
                                     ("SQL注入攻击", "SQL injection attack")],
    "network-attack.scanning-eavesdropping": [("遭受大规模端口扫描", "mass port scanning"),
                                              ("网络流量被窃听", "network traffic eavesdropped")],
    "network-attack.phishing": [("员工遭钓鱼邮件攻击", "staff targeted by phishing e-mail"),
                                ("仿冒网站钓鱼", "phishing through a counterfeit site")],
    "network-attack.interference": [("无线信号受到干扰", "wireless signals jammed")],
    "network-attack.other": [("遭受不明网络攻击", "unidentified network attack")],
    "information-destruction.tampering": [("网站页面被篡改", "web pages defaced"),
                                          ("业务数据被篡改", "business data tampered with")],
    "information-destruction.counterfeiting": [("官方账号被仿冒", "official account faked")],
    "information-destruction.leak": [("用户个人信息泄露", "users' personal information leaked"),
                                     ("数据库疑似泄露", "database possibly leaked")],
    "information-destruction.theft": [("敏感数据被窃取", "sensitive data stolen")],
    "information-destruction.loss": [("备份数据丢失", "backup data lost")],
    "information-destruction.other": [("信息遭到破坏", "information destroyed")],
    "information-content-security": [("网站被发布有害信息", "harmful content posted on the site")],
    "equipment-failure.hardware-software": [("核心交换机故障", "core switch failure"),
                                            ("数据库软件故障导致服务中断",
                                             "database software fault stopped the service")],
    "equipment-failure.support-facility": [("机房供电中断", "machine-room power cut"),
                                           ("机房空调故障", "machine-room cooling failure")],
    "equipment-failure.man-made-damage": [("光缆被施工挖断", "fibre cut by construction work")],
    "equipment-failure.other": [("设备设施异常", "equipment malfunction")],
    "catastrophic": [("暴雨导致机房进水", "rainstorm flooded the machine room"),
                     ("地震造成通信中断", "earthquake cut communications")],
    "other": [("其他网络安全事件", "other network security incident")],
}
#: Plan annex 1 category → share of incidents
CATEGORY_SHARE = {"network-attack": 0.36, "harmful-program": 0.28,
                  "information-destruction": 0.14, "equipment-failure": 0.10,
                  "information-content-security": 0.04, "catastrophic": 0.01, "other": 0.07}

DETAILS_ZH = ["监测发现{ip}持续向境外地址{ip2}外联", "安全设备告警显示异常登录来自{ip}",
              "值班人员发现{domain}访问异常缓慢", "威胁情报提示{domain}关联恶意样本",
              "日志审计发现大量失败登录尝试", "用户投诉业务页面出现异常内容"]
DETAILS_EN = ["monitoring saw {ip} calling out to {ip2} abroad",
              "alerts show unusual logins from {ip}", "{domain} became very slow",
              "threat intelligence links {domain} to a malware sample",
              "log review found many failed logins", "users reported odd content on pages"]
IMPACTS = ["部分业务中断约{h}小时 / part of the service down for about {h} h",
           "影响用户约{n}人 / about {n} users affected",
           "暂未发现数据外泄 / no data exfiltration found so far",
           "对外服务短时不可用 / public service briefly unavailable"]
MEASURES = ["已隔离受感染主机，封堵恶意IP / infected hosts isolated, malicious IPs blocked",
            "已下线受影响系统并开展溯源分析 / system taken offline, tracing the source",
            "已修补漏洞并重置相关账号口令 / vulnerability patched, passwords reset",
            "已启动应急预案，切换至备用线路 / contingency plan started, failover to backup"]
RESOLUTIONS = ["已清除恶意程序并完成加固，业务恢复正常 / malware removed, hardened, service normal",
               "已修复漏洞并通过复测 / vulnerability fixed and retested",
               "已更换故障设备，恢复运行 / faulty equipment replaced, running again",
               "已完成溯源并提交总结报告 / source traced, final report submitted"]

#: rare tokens and how many incidents in a million carry each (title): a search that matches few
#: rows; ``NEVER_TOKEN`` is in no incident (a search that matches nothing)
RARE_TOKENS = {"鲲鹏溯源": 50, "xylophage": 10, "量子密钥": 200}
NEVER_TOKEN = "无此关键词zzq"
