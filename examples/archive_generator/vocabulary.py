"""The words of the archive: products and issues with their weights, receipt channels, handlers,
and the texts of extensions, withdrawals, remediations, findings and reopenings; :func:`weighted`
draws from a weighted table.
"""

from __future__ import annotations

import random

PRODUCTS: list[tuple[str, int, list[tuple[str, str]]]] = [
    (
        "credit_card",
        30,
        [
            ("fees", "信用卡年费未经同意扣收"),
            ("interest", "账单分期手续费折算年化利率未明示"),
            ("debt_collection", "逾期后催收电话频繁联系亲友"),
            ("marketing", "电话营销办卡时未说明年费"),
            ("service_attitude", "信用卡客服态度生硬、推诿"),
        ],
    ),
    (
        "personal_loan",
        18,
        [
            ("interest", "消费贷实际年化利率高于宣传利率"),
            ("debt_collection", "外包催收机构上门催收方式不当"),
            ("information_disclosure", "提前还款违约金未事先告知"),
            ("fees", "放款时被收取咨询服务费"),
        ],
    ),
    (
        "mortgage",
        12,
        [
            ("interest", "LPR重定价后月供调整未通知"),
            ("fees", "提前还款被收取手续费"),
            ("information_disclosure", "抵押注销办理流程说明不清"),
        ],
    ),
    (
        "deposit",
        14,
        [
            ("account_freeze", "借记卡被冻结未告知原因"),
            ("service_attitude", "网点排队时间长、柜员态度差"),
            ("fees", "小额账户管理费扣收有异议"),
        ],
    ),
    (
        "wealth_management",
        10,
        [
            ("information_disclosure", "理财产品风险等级未充分揭示"),
            ("marketing", "理财经理将净值型产品宣传为保本"),
            ("fees", "理财赎回费收取有异议"),
        ],
    ),
    (
        "payment",
        10,
        [
            ("account_freeze", "快捷支付被限额、非柜面交易被冻结"),
            ("fees", "跨行转账手续费收取有异议"),
            ("service_attitude", "扫码支付退款处理缓慢"),
        ],
    ),
    (
        "insurance_agency",
        6,
        [("marketing", "代销保险被当作存款产品销售"), ("information_disclosure", "犹豫期退保规则未告知")],
    ),
]

RECEIPT_CHANNELS = [
    ("phone", 35),
    ("app", 15),
    ("online", 12),
    ("in_person", 18),
    ("wechat", 6),
    ("email", 6),
    ("letter", 8),
]
HANDLERS = ("张某", "李某", "王某", "刘某", "陈某", "杨某", "赵某", "黄某", "周某", "吴某")
EXTENSION_REASONS = (
    "需调取第三方支付机构交易记录核实，情况复杂",
    "涉及多笔历史交易，需总行业务部门协查",
    "需等待合作机构书面回复，暂无法作出处理决定",
    "争议金额较大，需提交分行投诉处理委员会审议",
    "需调阅网点监控录像并与外包催收机构核对通话记录",
)
WITHDRAWN_EARLY = "投诉人表示问题已自行解决，申请撤回投诉"
WITHDRAWN_LATER = "投诉人与网点协商一致后申请撤回投诉"
REMEDIATIONS = (
    "已退还多收费用，并在扣费前增加短信提示",
    "已修订产品说明书的风险揭示章节并重新培训销售人员",
    "已纠正营销话术并对相关理财经理进行问责",
    "已暂停相关外包催收机构的委托并整改催收管理制度",
    "已优化冻结告知流程，冻结时同步发送原因说明",
)
FINDINGS = {
    "upheld": "经调取业务档案、通话录音及交易记录核查，投诉反映情况属实。",
    "partially_upheld": "经核查，投诉反映情况部分属实。",
    "rejected": "经核查，相关业务办理符合合同约定及监管规定。",
    "settled": "经与投诉人多次沟通协商，双方达成一致意见。",
}
BASIS = "依据双方签订的业务合同、产品说明书及相关监管规定作出本处理决定。"
ALL_REMEDIES = ["review", "mediation", "arbitration", "litigation"]
APPROVERS = {
    "superior_institution": "上级分行分管行长",
    "head_office_senior_manager": "总行消费者权益保护部总经理",
    "complaint_head": "本机构投诉处理负责人",
}


def weighted(rng: random.Random, pairs):
    items = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(items, weights=weights, k=1)[0]


REOPEN_TEXT = {
    True: "投诉人补充提交新的交易凭证和通话录音，提出新的事实和理由",
    False: "投诉人再次来电反映同一事项，未提出新的事实和理由",
}
