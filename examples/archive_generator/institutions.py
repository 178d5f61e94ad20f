"""The example bank's institutions (head office, branches, sub-branches, outlets) and the
regulators' offices by region, with the banking regulator in charge on a given day.
"""

from __future__ import annotations

from datetime import date

from .dates import NFRA_FROM

# id: (level, parent, name, region)
INSTITUTIONS: dict[str, tuple[str, str | None, str, str]] = {
    "HO-001": ("head_office", None, "示例银行股份有限公司总行", "HO"),
    "BR-SH": ("branch", "HO-001", "示例银行上海分行", "SH"),
    "BR-BJ": ("branch", "HO-001", "示例银行北京分行", "BJ"),
    "BR-GD": ("branch", "HO-001", "示例银行广东分行", "GD"),
    "SB-SH-PD": ("sub_branch", "BR-SH", "示例银行上海浦东支行", "SH"),
    "SB-SH-XH": ("sub_branch", "BR-SH", "示例银行上海徐汇支行", "SH"),
    "SB-BJ-HD": ("sub_branch", "BR-BJ", "示例银行北京海淀支行", "BJ"),
    "SB-BJ-CY": ("sub_branch", "BR-BJ", "示例银行北京朝阳支行", "BJ"),
    "SB-GD-TH": ("sub_branch", "BR-GD", "示例银行广州天河支行", "GD"),
    "SB-GD-FS": ("sub_branch", "BR-GD", "示例银行佛山支行", "GD"),
    "OT-SH-PD-01": ("outlet", "SB-SH-PD", "示例银行上海陆家嘴营业网点", "SH"),
    "OT-SH-XH-01": ("outlet", "SB-SH-XH", "示例银行上海徐家汇营业网点", "SH"),
    "OT-BJ-HD-01": ("outlet", "SB-BJ-HD", "示例银行北京中关村营业网点", "BJ"),
    "OT-BJ-CY-01": ("outlet", "SB-BJ-CY", "示例银行北京望京营业网点", "BJ"),
    "OT-GD-TH-01": ("outlet", "SB-GD-TH", "示例银行广州珠江新城营业网点", "GD"),
}
BRANCHES = ("BR-SH", "BR-BJ", "BR-GD")
SUB_BRANCHES = tuple(k for k, v in INSTITUTIONS.items() if v[0] == "sub_branch")
OUTLETS = tuple(k for k, v in INSTITUTIONS.items() if v[0] == "outlet")

# The banking regulator: the CBIRC (2018-2023), the NFRA from 2023-05-18.
CBIRC_OFFICE = {
    "HO": "中国银行保险监督管理委员会",
    "SH": "中国银行保险监督管理委员会上海监管局",
    "BJ": "中国银行保险监督管理委员会北京监管局",
    "GD": "中国银行保险监督管理委员会广东监管局",
}
NFRA_OFFICE = {
    "HO": "国家金融监督管理总局",
    "SH": "国家金融监督管理总局上海监管局",
    "BJ": "国家金融监督管理总局北京监管局",
    "GD": "国家金融监督管理总局广东监管局",
}
PBOC_OFFICE = {
    "HO": "中国人民银行",
    "SH": "中国人民银行上海市分行",
    "BJ": "中国人民银行北京市分行",
    "GD": "中国人民银行广东省分行",
}


def banking_regulator(day: date) -> tuple[str, dict[str, str]]:
    """The banking regulator on ``day`` and its offices."""
    return ("CBIRC", CBIRC_OFFICE) if day < NFRA_FROM else ("NFRA", NFRA_OFFICE)


def institution(inst_id: str) -> dict:
    level, parent, name, _ = INSTITUTIONS[inst_id]
    return {"id": inst_id, "level": level, "parent": parent, "name": name}


def ancestors(inst_id: str) -> list[str]:
    """``inst_id`` and the institutions above it, nearest first."""
    out = []
    node: str | None = inst_id
    while node is not None:
        out.append(node)
        node = INSTITUTIONS[node][1]
    return out
