"""Canonical column names, class/tier codes and their English and Chinese labels.

The core works with the stable *codes* below (``"important_value"``,
``"sleeping"`` …). Adapters and reports turn a code into a label with
:func:`label`. Header aliases used by the workbook reader live here too, so
that there is one place that knows what a column is called.
"""

from __future__ import annotations

import unicodedata
from typing import Final

LANGS: Final = ("en", "zh")

# --- canonical input columns --------------------------------------------------

ORDER_COLUMNS: Final = ("customer_id", "order_date", "amount", "order_id")
ORDER_REQUIRED: Final = ("customer_id", "order_date", "amount")
# Read from an Orders sheet but not part of the canonical frame: an order
# status decides whether the row counts (closed/cancelled/refunded do not).
ORDER_EXTRA_COLUMNS: Final = ("status",)
CUSTOMER_COLUMNS: Final = (
    "customer_id",
    "name",
    "owner",
    "created",
    "grade",
    "expected_close",
    "deal_status",
    "need_status",
    "last_contact",
)
CUSTOMER_REQUIRED: Final = ("customer_id",)
ACTIVITY_COLUMNS: Final = ("customer_id", "date", "kind")
ACTIVITY_REQUIRED: Final = ("customer_id", "date")

# What the input sheets are called in each language (the reader also accepts aliases).
INPUT_SHEET_NAMES: Final[dict[str, dict[str, str]]] = {
    "orders": {"en": "Orders", "zh": "订单"},
    "customers": {"en": "Customers", "zh": "客户"},
    "activities": {"en": "Activities", "zh": "跟进记录"},
    "settings": {"en": "Settings", "zh": "设置"},
}

# --- codes, in display order --------------------------------------------------

RFM_CLASSES: Final = (
    "important_value",
    "important_retain",
    "important_develop",
    "important_winback",
    "general_value",
    "general_retain",
    "general_develop",
    "general_winback",
)

SEGMENTS: Final = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)

TIERS: Final = ("potential", "new", "repeat", "mature", "loyal", "sleeping", "lost")

GRADES: Final = ("A", "B", "C", "D", "E")

URGENCIES: Final = ("urgent", "soon", "not_urgent", "slow")

ABC_CLASSES: Final = ("A", "B", "C")

ACTIVITY_KINDS: Final = ("call", "visit", "email", "meeting")

# --- labels -------------------------------------------------------------------

LABELS: Final[dict[str, dict[str, str]]] = {
    # RFM classes
    "important_value": {"en": "Important value", "zh": "重要价值客户"},
    "important_retain": {"en": "Important retain", "zh": "重要保持客户"},
    "important_develop": {"en": "Important develop", "zh": "重要发展客户"},
    "important_winback": {"en": "Important win-back", "zh": "重要挽留客户"},
    "general_value": {"en": "General value", "zh": "一般价值客户"},
    "general_retain": {"en": "General retain", "zh": "一般保持客户"},
    "general_develop": {"en": "General develop", "zh": "一般发展客户"},
    "general_winback": {"en": "General win-back", "zh": "一般挽留客户"},
    # named segments
    "champions": {"en": "Champions", "zh": "核心冠军客户"},
    "loyal": {"en": "Loyal", "zh": "忠诚客户"},
    "potential_loyalist": {"en": "Potential loyalist", "zh": "潜力忠诚客户"},
    "new": {"en": "New", "zh": "新客户"},
    "promising": {"en": "Promising", "zh": "有潜力客户"},
    "need_attention": {"en": "Need attention", "zh": "需要关注客户"},
    "about_to_sleep": {"en": "About to sleep", "zh": "即将沉睡客户"},
    "at_risk": {"en": "At risk", "zh": "流失风险客户"},
    "cant_lose": {"en": "Can't lose them", "zh": "不能失去的客户"},
    "hibernating": {"en": "Hibernating", "zh": "休眠客户"},
    "lost": {"en": "Lost", "zh": "流失客户"},
    # urgency
    "urgent": {"en": "Urgent", "zh": "紧急"},
    "soon": {"en": "Soon", "zh": "缓急"},
    "not_urgent": {"en": "Not urgent", "zh": "不紧急"},
    "slow": {"en": "Slow", "zh": "可慢反应"},
}

# Lifecycle tiers share codes with two segments ("new", "loyal", "lost"), so
# they have their own table.
TIER_LABELS: Final[dict[str, dict[str, str]]] = {
    "potential": {"en": "Potential", "zh": "潜在客户"},
    "new": {"en": "New", "zh": "新客户"},
    "repeat": {"en": "Repeat", "zh": "复购客户"},
    "mature": {"en": "Mature", "zh": "成熟客户"},
    "loyal": {"en": "Loyal", "zh": "忠诚客户"},
    "sleeping": {"en": "Sleeping", "zh": "沉睡客户"},
    "lost": {"en": "Lost", "zh": "流失客户"},
}

GRADE_LABELS: Final[dict[str, dict[str, str]]] = {
    "A": {"en": "A – closing within 30 days", "zh": "A 类：30 天内成交"},
    "B": {"en": "B – closing within 90 days", "zh": "B 类：90 天内成交"},
    "C": {"en": "C – closing within 180 days", "zh": "C 类：180 天内成交"},
    "D": {"en": "D – later or need unclear", "zh": "D 类：成交较远或需求不明"},
    "E": {"en": "E – no need", "zh": "E 类：无需求"},
}


def label(code: str, lang: str = "en") -> str:
    """Label of an RFM class, segment or urgency code in ``lang``."""
    return LABELS[code][lang]


def tier_label(code: str, lang: str = "en") -> str:
    """Label of a lifecycle tier code in ``lang``."""
    return TIER_LABELS[code][lang]


def code_for_label(text: str, kind: str = "class") -> str | None:
    """Reverse lookup: the code whose English or Chinese label is ``text``.

    ``kind`` is ``"class"``, ``"segment"``, ``"tier"`` or ``"urgency"``.
    """
    table = {
        "class": (RFM_CLASSES, LABELS),
        "segment": (SEGMENTS, LABELS),
        "urgency": (URGENCIES, LABELS),
        "tier": (TIERS, TIER_LABELS),
    }[kind]
    wanted = text.strip().casefold()
    for code in table[0]:
        labels = table[1][code]
        if wanted in (code, labels["en"].casefold(), labels["zh"]):
            return code
    return None


# --- what users call sheets and columns (reader) ------------------------------
#
# Matching ignores case, spaces and punctuation (see :func:`header_key`), so
# "Customer ID", "customer_id" and "CUSTOMER-ID" are one alias. Within a
# table, earlier aliases win when a sheet has several matching headers.

SHEET_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "orders": ("Orders", "Order", "订单", "订单记录", "销售记录", "销售", "Sales", "Transactions"),
    "customers": ("Customers", "Customer", "客户", "客户信息", "客户列表", "客户档案", "Clients"),
    "activities": (
        "Activities",
        "Activity",
        "跟进记录",
        "活动",
        "跟进",
        "联系记录",
        "拜访记录",
        "Follow-ups log",
        "Contacts log",
    ),
    "settings": ("Settings", "设置", "参数", "配置", "Config"),
}

COLUMN_ALIASES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "orders": {
        "customer_id": (
            "Customer ID",
            "Cust No",
            "Customer No",
            "Customer Number",
            "Customer Code",
            "Client ID",
            "客户编号",
            "客户编码",
            "客户ID",
            "客户代码",
            "客户号",
            "会员编号",
            "会员ID",
            "买家会员名",
            "买家昵称",
            "买家ID",
            "Customer",
            "客户",
            "客户名称",
            "购货单位",
            "Email",
        ),
        # paid/payment dates before creation dates: an unpaid order has no sale date
        "order_date": (
            "Order Date",
            "Date",
            "Purchase Date",
            "Invoice Date",
            "Document Date",
            "Paid at",
            "Created at",
            "下单日期",
            "订单日期",
            "日期",
            "单据日期",
            "开票日期",
            "下单时间",
            "成交日期",
            "成交时间",
            "购买日期",
            "销售日期",
            "订单付款时间",
            "付款时间",
            "买家付款时间",
            "支付时间",
            "订单创建时间",
            "创建时间",
        ),
        # what the customer paid first, list prices and subtotals never
        "amount": (
            "Amount Paid",
            "Paid Amount",
            "Paid",
            "Net Amount",
            "Net Sales",
            "Net",
            "实付金额",
            "实付",
            "实付款",
            "实际支付",
            "实际支付金额",
            "买家实际支付金额",
            "订单实付金额",
            "实收金额",
            "成交金额",
            "价税合计",
            "Amount",
            "Sales",
            "Order Amount",
            "Total",
            "Revenue",
            "Value",
            "金额",
            "订单金额",
            "销售额",
            "销售金额",
            "合计",
        ),
        "order_id": (
            "Order ID",
            "Order No",
            "Order Number",
            "Invoice No",
            "Invoice Number",
            "Document No",
            "Document Number",
            "订单编号",
            "订单号",
            "单据编号",
            "单号",
            "单据号",
            "销售单号",
            "发票号",
        ),
        "status": (
            "Order Status",
            "Status",
            "Financial Status",
            "订单状态",
            "交易状态",
            "单据状态",
            "状态",
        ),
    },
    "customers": {
        "customer_id": (
            "Customer ID",
            "Cust No",
            "Customer No",
            "Customer Number",
            "Customer Code",
            "Client ID",
            "ID",
            "客户编号",
            "客户编码",
            "客户ID",
            "客户代码",
            "客户号",
            "会员编号",
            "会员ID",
        ),
        "name": (
            "Name",
            "Customer Name",
            "Company",
            "Client Name",
            "客户名称",
            "客户名",
            "名称",
            "公司名称",
        ),
        "owner": (
            "Owner",
            "Sales Rep",
            "Salesperson",
            "Account Manager",
            "负责人",
            "销售",
            "业务员",
            "客户经理",
        ),
        "created": (
            "Created",
            "Created On",
            "Create Date",
            "Since",
            "创建日期",
            "创建时间",
            "建档日期",
            "录入日期",
        ),
        "grade": ("Grade", "Class", "Level", "等级", "客户等级", "分级", "级别"),
        "expected_close": (
            "Expected Close",
            "Expected Close Date",
            "Close Date",
            "预计成交日期",
            "预计成交时间",
        ),
        "deal_status": ("Deal Status", "Deal", "Status", "成交状态", "状态"),
        "need_status": ("Need Status", "Need", "需求状态", "需求"),
        "last_contact": (
            "Last Contact",
            "Last Contacted",
            "Last Contact Date",
            "最后联系日期",
            "最近联系日期",
            "上次联系日期",
            "最后跟进日期",
        ),
    },
    "activities": {
        "customer_id": (
            "Customer ID",
            "Cust No",
            "Customer No",
            "Customer Code",
            "Client ID",
            "客户编号",
            "客户编码",
            "客户ID",
            "客户代码",
            "客户号",
            "Customer",
            "客户",
        ),
        "date": (
            "Date",
            "Activity Date",
            "Contact Date",
            "跟进日期",
            "联系日期",
            "日期",
            "拜访日期",
            "时间",
        ),
        "kind": ("Kind", "Type", "Channel", "Method", "方式", "跟进方式", "类型", "联系方式"),
    },
}

# Activity kinds as users write them -> code in ACTIVITY_KINDS.
ACTIVITY_KIND_ALIASES: Final[dict[str, str]] = {
    "call": "call",
    "phone": "call",
    "phonecall": "call",
    "电话": "call",
    "打电话": "call",
    "visit": "visit",
    "拜访": "visit",
    "上门": "visit",
    "email": "email",
    "mail": "email",
    "邮件": "email",
    "电子邮件": "email",
    "meeting": "meeting",
    "会议": "meeting",
    "开会": "meeting",
    "会面": "meeting",
}


def header_key(text: object) -> str:
    """Matching form of a sheet name or header: case-folded, without spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())
