"""Regenerate src/fenghuo/rules/seed_org.yaml (run once by hand; the YAML is the artifact)."""

import yaml

PROVINCES = [
    ("110000", "北京市", "Beijing"), ("120000", "天津市", "Tianjin"), ("130000", "河北省", "Hebei"),
    ("140000", "山西省", "Shanxi"), ("150000", "内蒙古自治区", "Inner Mongolia"),
    ("210000", "辽宁省", "Liaoning"), ("220000", "吉林省", "Jilin"),
    ("230000", "黑龙江省", "Heilongjiang"), ("310000", "上海市", "Shanghai"),
    ("320000", "江苏省", "Jiangsu"), ("330000", "浙江省", "Zhejiang"), ("340000", "安徽省", "Anhui"),
    ("350000", "福建省", "Fujian"), ("360000", "江西省", "Jiangxi"), ("370000", "山东省", "Shandong"),
    ("410000", "河南省", "Henan"), ("420000", "湖北省", "Hubei"), ("430000", "湖南省", "Hunan"),
    ("440000", "广东省", "Guangdong"), ("450000", "广西壮族自治区", "Guangxi"),
    ("460000", "海南省", "Hainan"), ("500000", "重庆市", "Chongqing"), ("510000", "四川省", "Sichuan"),
    ("520000", "贵州省", "Guizhou"), ("530000", "云南省", "Yunnan"),
    ("540000", "西藏自治区", "Xizang (Tibet)"), ("610000", "陕西省", "Shaanxi"),
    ("620000", "甘肃省", "Gansu"), ("630000", "青海省", "Qinghai"),
    ("640000", "宁夏回族自治区", "Ningxia"), ("650000", "新疆维吾尔自治区", "Xinjiang"),
]
SECTORS = [
    ("telecom", "公共通信和信息服务", "Public communication and information services"),
    ("energy", "能源", "Energy"), ("transport", "交通", "Transport"),
    ("water", "水利", "Water conservancy"), ("finance", "金融", "Finance"),
    ("public-services", "公共服务", "Public services"), ("e-government", "电子政务", "E-government"),
    ("other", "其他重要行业和领域", "Other important industries and fields"),
]
ALL = [s[0] for s in SECTORS]


def short(zh):
    for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
        if zh.endswith(suffix):
            return zh[: -len(suffix)]
    return zh


def body(key, kind, jur, zh, en, **kw):
    return {"key": key, "kind": kind, "jurisdiction": jur, "name_zh": zh, "name_en": en, **kw}


def main():
    doc = {"sectors": [{"code": c, "name_zh": zh, "name_en": en, "source": "Law art. 31"}
                       for c, zh, en in SECTORS]}
    jur = [{"code": "CN", "level": "national", "name_zh": "全国", "name_en": "National"}]
    jur += [{"code": c, "division_code": c, "parent": "CN", "level": "province", "name_zh": zh,
             "name_en": en} for c, zh, en in PROVINCES]
    jur.append({"code": "XPCC", "parent": "CN", "level": "province", "name_zh": "新疆生产建设兵团",
                "name_en": "Xinjiang Production and Construction Corps"})
    doc["jurisdictions"] = jur
    b = [
        body("cn.leading-group", "leading_group", "CN", "中央网络安全和信息化委员会",
             "Central Cyberspace Affairs Commission", notes="Plan §2.1 Leading Group"),
        body("cn.cac", "office", "CN", "中央网络安全和信息化委员会办公室（中央网信办）",
             "Office of the Central Cyberspace Affairs Commission (Central Cyberspace Office)",
             parent="cn.leading-group", function="central_cyberspace_office",
             notes="Plan §2.1; §6.2: organizes exercises regularly"),
        body("cn.emergency-office", "office", "CN", "国家网络安全应急办公室",
             "National Network Security Emergency Office", parent="cn.cac", function="national_emergency_office",
             notes="Plan §2.2: inside the Central Cyberspace Office; cross-sector and "
                   "cross-region coordination"),
        body("cn.expert-group", "expert_group", "CN", "国家网络安全应急专家组",
             "National Network Security Emergency Expert Group", parent="cn.emergency-office",
             notes="Plan §7.3"),
        body("cn.miit", "department", "CN", "工业和信息化部",
             "Ministry of Industry and Information Technology", sectors=["telecom"],
             notes="Plan §2.1, §2.3"),
        body("cn.mps", "department", "CN", "公安部", "Ministry of Public Security", sectors=ALL,
             function="public_security",
             notes="Plan §2.1; public security organ for all sectors"),
        body("cn.nssb", "department", "CN", "国家保密局", "National Administration of State "
             "Secrets Protection (State Secrecy Bureau)", sectors=ALL, notes="Plan §2.1",
             function="state_secrecy"),
        body("cn.pbc", "department", "CN", "中国人民银行", "People's Bank of China",
             sectors=["finance"], notes="Law art. 31 finance"),
        body("cn.nea", "department", "CN", "国家能源局", "National Energy Administration",
             sectors=["energy"], notes="Law art. 31 energy"),
        body("cn.mot", "department", "CN", "交通运输部", "Ministry of Transport",
             sectors=["transport"], notes="Law art. 31 transport"),
        body("cn.mwr", "department", "CN", "水利部", "Ministry of Water Resources",
             sectors=["water"], notes="Law art. 31 water conservancy"),
        body("cn.cncert", "cert", "CN", "国家计算机网络应急技术处理协调中心",
             "National Computer Network Emergency Response Technical Team/Coordination Center "
             "of China (CNCERT/CC)", notes="CNCERT background",
             contacts=[{"name": "CNCERT 热线 hotline", "channel": "phone",
                        "value": "+86 10 82990999", "is_24x7": True, "priority": 10},
                       {"name": "CNCERT", "channel": "email", "value": "cncert@cert.org.cn",
                        "is_24x7": True, "priority": 20}]),
    ]
    for c, zh, en in PROVINCES + [("XPCC", "新疆生产建设兵团", "XPCC")]:
        k = c.lower()
        b.append(body(f"{k}.office", "office", c, f"{zh}网信办（网络安全应急办公室）",
                      f"{en} Cyberspace Office (network security emergency office)",
                      notes="Plan §2.4"))
        if c != "XPCC":
            b.append(body(f"{k}.cncert", "cert", c, f"国家互联网应急中心{short(zh)}分中心",
                          f"CNCERT {en} Branch", parent="cn.cncert",
                          notes="CNCERT: 31 provincial branches"))
    doc["bodies"] = b
    header = ("# Fenghuo seed reference data: sectors (Law art. 31), the national bodies (Plan §2),\n"
              "# the 31 provinces, autonomous regions and municipalities with their GB/T 2260\n"
              "# codes, and the Xinjiang Production and Construction Corps (XPCC), which has no\n"
              "# GB/T 2260 code and is keyed 'XPCC'. Generated by tools/make_seed.py.\n")
    with open("src/fenghuo/rules/seed_org.yaml", "w") as f:
        f.write(header)
        yaml.safe_dump(doc, f, allow_unicode=True, sort_keys=False, width=100)


if __name__ == "__main__":
    main()
