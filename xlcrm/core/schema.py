"""Canonical column names, class/tier codes and their labels.

The core works with the stable *codes* below (``"important_value"``,
``"sleeping"`` …). Adapters and reports turn a code into a label in the
user's language with :func:`label`, :func:`tier_label` or :func:`grade_label`
(the words live in the message catalogue). Header aliases used by the
workbook reader live here too, so that there is one place that knows what a
column is called.
"""

from __future__ import annotations

import functools
import unicodedata
from functools import cache
from typing import Final, TypeVar

from xlcrm.locale import LANGS, t, tp

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
# Customers columns kept in the frame only when the sheet has them (loyalty,
# referrals, margin: xlcrm.core.insights).
CUSTOMER_OPTIONAL_COLUMNS: Final = (
    "satisfaction",
    "recommend",
    "referred_by",
    "margin",
    "cost",
    "margin_rate",
)
# The optional Deals sheet, its stage history and the Feedback sheet
# (xlcrm.core.funnel, xlcrm.core.feedback). ``row`` (the Excel row) is added
# by the reader so that problems the core finds name their row.
DEAL_COLUMNS: Final = (
    "deal_id",
    "customer_id",
    "owner",
    "stage",
    "amount",
    "created",
    "expected_close",
    "closed",
    "status",
    "lost_reason",
)
DEAL_REQUIRED: Final = ("stage",)
HISTORY_COLUMNS: Final = ("deal_id", "stage", "date")
HISTORY_REQUIRED: Final = ("deal_id", "stage", "date")
FEEDBACK_COLUMNS: Final = ("date", "customer_id", "kind", "status", "closed", "satisfaction")
FEEDBACK_REQUIRED: Final = ("date", "customer_id")


def _input_sheet_names(lang: str) -> dict[str, str]:
    return {
        "orders": tp("sheet", "Orders", lang),
        "customers": tp("sheet", "Customers", lang),
        "activities": tp("sheet", "Activities", lang),
        "settings": tp("sheet", "Settings", lang),
        "deals": tp("sheet", "Deals", lang),
        "stage_history": tp("sheet", "Stage history", lang),
        "feedback": tp("sheet", "Feedback", lang),
    }


#: What the input sheets are called in each language (the reader also accepts
#: aliases): key -> {lang: name}, from the message catalogue.
INPUT_SHEET_NAMES: Final[dict[str, dict[str, str]]] = {
    key: {lang: _input_sheet_names(lang)[key] for lang in LANGS} for key in _input_sheet_names("en")
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
#
# The words for the codes live in the message catalogue (xlcrm/locale).
# Lifecycle tiers share codes with three segments ("new", "loyal", "lost"), so
# tiers and segments each have their own context; their labels differ too (a
# test checks), so that a tier and a segment are never mistaken for one
# another on a sheet: tier "Loyal", segment "Loyal buyers".


@cache
def _labels(kind: str, lang: str) -> dict[str, str]:
    """Code -> label of one kind of code in ``lang``."""
    if kind == "class":
        return {
            "important_value": t("Important value", lang),
            "important_retain": t("Important retain", lang),
            "important_develop": t("Important develop", lang),
            "important_winback": t("Important win-back", lang),
            "general_value": t("General value", lang),
            "general_retain": t("General retain", lang),
            "general_develop": t("General develop", lang),
            "general_winback": t("General win-back", lang),
        }
    if kind == "segment":
        return {
            "champions": tp("segment", "Champions", lang),
            "loyal": tp("segment", "Loyal buyers", lang),
            "potential_loyalist": tp("segment", "Potential loyalist", lang),
            "new": tp("segment", "Recent newcomers", lang),
            "promising": tp("segment", "Promising", lang),
            "need_attention": tp("segment", "Need attention", lang),
            "about_to_sleep": tp("segment", "About to sleep", lang),
            "at_risk": tp("segment", "At risk", lang),
            "cant_lose": tp("segment", "Can't lose them", lang),
            "hibernating": tp("segment", "Hibernating", lang),
            "lost": tp("segment", "Lapsed buyers", lang),
        }
    if kind == "urgency":
        return {
            "urgent": tp("urgency", "Urgent", lang),
            "soon": tp("urgency", "Soon", lang),
            "not_urgent": tp("urgency", "Not urgent", lang),
            "slow": tp("urgency", "Slow", lang),
        }
    if kind == "tier":
        return {
            "potential": tp("tier", "Potential", lang),
            "new": tp("tier", "New", lang),
            "repeat": tp("tier", "Repeat", lang),
            "mature": tp("tier", "Mature", lang),
            "loyal": tp("tier", "Loyal", lang),
            "sleeping": tp("tier", "Sleeping", lang),
            "lost": tp("tier", "Lost", lang),
        }
    if kind == "grade":
        return {
            "A": t("A – closing within 30 days", lang),
            "B": t("B – closing within 90 days", lang),
            "C": t("C – closing within 180 days", lang),
            "D": t("D – later or need unclear", lang),
            "E": t("E – no need", lang),
        }
    raise ValueError(f"unknown kind of code {kind!r}")


_KIND_CODES: Final[dict[str, tuple[str, ...]]] = {
    "class": RFM_CLASSES,
    "segment": SEGMENTS,
    "urgency": URGENCIES,
    "tier": TIERS,
    "grade": GRADES,
}


def _by_code(*kinds: str) -> dict[str, dict[str, str]]:
    return {
        code: {lang: _labels(kind, lang)[code] for lang in LANGS}
        for kind in kinds
        for code in _KIND_CODES[kind]
    }


#: Code -> {lang: label}, read from the catalogue: classes, segments and
#: urgency (:func:`label`), lifecycle tiers (:func:`tier_label`), grades
#: (:func:`grade_label`). For ``code in LABELS``; look labels up with the functions.
LABELS: Final[dict[str, dict[str, str]]] = _by_code("class", "segment", "urgency")
TIER_LABELS: Final[dict[str, dict[str, str]]] = _by_code("tier")
GRADE_LABELS: Final[dict[str, dict[str, str]]] = _by_code("grade")


def label(code: str, lang: str = "en") -> str:
    """Label of an RFM class, segment or urgency code in ``lang``."""
    for kind in ("class", "segment", "urgency"):
        labels = _labels(kind, lang)
        if code in labels:
            return labels[code]
    raise KeyError(code)


def tier_label(code: str, lang: str = "en") -> str:
    """Label of a lifecycle tier code in ``lang``."""
    return _labels("tier", lang)[code]


def grade_label(code: str, lang: str = "en") -> str:
    """Label of a grade A-E in ``lang`` (what the grade means)."""
    return _labels("grade", lang)[code]


def code_for_label(text: str, kind: str = "class") -> str | None:
    """Reverse lookup: the code whose label in any language is ``text`` (or the code itself).

    ``kind`` is ``"class"``, ``"segment"``, ``"tier"``, ``"urgency"`` or ``"grade"``.
    """
    wanted = text.strip().casefold()
    for code in _KIND_CODES[kind]:
        if wanted == code.casefold():
            return code
        if any(wanted == _labels(kind, lang)[code].casefold() for lang in LANGS):
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

_CUSTOMER_ID: Final = (
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
)
_DEAL_ID: Final = (
    "Deal ID",
    "Deal No",
    "Deal Number",
    "Opportunity ID",
    "Opportunity",
    "Deal",
    "商机编号",
    "商机ID",
    "商机号",
    "机会编号",
    "项目编号",
)
_STAGE: Final = (
    "Stage",
    "Deal Stage",
    "Sales Stage",
    "Pipeline Stage",
    "阶段",
    "销售阶段",
    "商机阶段",
)
_CLOSED: Final = (
    "Closed",
    "Closed On",
    "Closed Date",
    "Close Date Actual",
    "Date Closed",
    "Resolved",
    "Resolved On",
    "关闭日期",
    "结束日期",
    "实际成交日期",
    "解决日期",
    "结案日期",
)

# The new Customers columns and the Deals, stage history and Feedback sheets.
COLUMN_ALIASES["customers"].update(
    {
        "satisfaction": (
            "Satisfaction",
            "Overall Satisfaction",
            "CSAT",
            "满意度",
            "整体满意度",
            "客户满意度",
        ),
        "recommend": (
            "Recommend",
            "Likely to Recommend",
            "Would Recommend",
            "Recommendation",
            "NPS",
            "推荐意愿",
            "推荐可能性",
            "推荐",
            "NPS评分",
        ),
        "referred_by": (
            "Referred By",
            "Referrer",
            "Referred by Customer",
            "推荐人",
            "介绍人",
            "转介绍人",
        ),
        "margin": ("Margin", "Gross Margin", "Gross Profit", "Profit", "毛利", "毛利额", "利润"),
        "cost": ("Cost", "Costs", "Cost of Goods", "COGS", "成本", "成本金额"),
        "margin_rate": ("Margin Rate", "Gross Margin Rate", "毛利率", "利润率"),
    }
)
COLUMN_ALIASES["deals"] = {
    "deal_id": _DEAL_ID,
    "customer_id": _CUSTOMER_ID,
    "owner": COLUMN_ALIASES["customers"]["owner"],
    "stage": _STAGE,
    "amount": (
        "Amount",
        "Deal Amount",
        "Deal Value",
        "Value",
        "Expected Amount",
        "金额",
        "商机金额",
        "预计金额",
        "预计成交金额",
    ),
    "created": (
        "Created",
        "Created On",
        "Create Date",
        "Open Date",
        "创建日期",
        "创建时间",
        "立项日期",
    ),
    "expected_close": (
        "Expected Close",
        "Expected Close Date",
        "Close Date",
        "预计成交日期",
        "预计成交时间",
        "预计签约日期",
    ),
    "closed": (*_CLOSED, "成交日期"),
    "status": ("Status", "Deal Status", "Result", "状态", "商机状态", "结果", "输赢"),
    "lost_reason": (
        "Lost Reason",
        "Loss Reason",
        "Reason Lost",
        "输单原因",
        "丢单原因",
        "失败原因",
    ),
}
COLUMN_ALIASES["stage_history"] = {
    "deal_id": _DEAL_ID,
    "stage": _STAGE,
    "date": (
        "Date",
        "Changed On",
        "Stage Date",
        "Date Changed",
        "日期",
        "变更日期",
        "阶段日期",
        "时间",
    ),
}
COLUMN_ALIASES["feedback"] = {
    "date": (
        "Date",
        "Feedback Date",
        "Received",
        "Opened",
        "Created",
        "日期",
        "反馈日期",
        "提交日期",
        "受理日期",
        "创建日期",
    ),
    "customer_id": _CUSTOMER_ID,
    "kind": ("Kind", "Type", "Category", "Feedback Type", "类型", "反馈类型", "类别"),
    "status": ("Status", "State", "状态", "处理状态"),
    "closed": _CLOSED,
    "satisfaction": ("Satisfaction", "Rating", "Score", "CSAT", "满意度", "评分", "满意度评分"),
}
SHEET_ALIASES.update(
    {
        "deals": ("Deals", "Deal", "Opportunities", "Pipeline", "商机", "商机列表", "销售机会"),
        "stage_history": (
            "Stage history",
            "Deal history",
            "Stage changes",
            "Deal stages",
            "商机阶段记录",
            "阶段记录",
            "商机进展",
        ),
        "feedback": ("Feedback", "Customer feedback", "Complaints", "反馈", "客户反馈", "投诉建议"),
    }
)

# --- words users write in the cells of the new sheets and columns --------------
# (loyalty, funnel stages and deal statuses, feedback kinds and statuses), one
# "|"-separated list per meaning; the core modules match them with header_key
# (case, spaces and punctuation ignored).


_K = TypeVar("_K")


def _words(table: dict[_K, str]) -> dict[_K, tuple[str, ...]]:
    return {key: tuple(text.split("|")) for key, text in table.items()}


#: Satisfaction words -> score 1-5. The five-step scale of the source article is
#: 很满意 / 比较满意 / 满意 / 不满意 / 很不满意, so a plain "满意" ("satisfied") is
#: its middle answer; the English words follow the same scale.
SATISFACTION_WORDS: Final[dict[str, int]] = {
    word: score
    for score, words in _words(
        {
            5: (
                "very satisfied|extremely satisfied|completely satisfied|"
                "很满意|非常满意|十分满意|特别满意"
            ),
            4: (
                "fairly satisfied|quite satisfied|somewhat satisfied|"
                "mostly satisfied|比较满意|较满意|还算满意"
            ),
            3: "satisfied|neutral|ok|okay|average|满意|一般|还行|中立",
            2: (
                "dissatisfied|unsatisfied|not satisfied|"
                "somewhat dissatisfied|不满意|不太满意|较不满意"
            ),
            1: (
                "very dissatisfied|very unsatisfied|extremely dissatisfied|"
                "很不满意|非常不满意|十分不满意"
            ),
        }
    ).items()
    for word in words
}
#: Recommendation words -> indicator level.
RECOMMEND_WORDS: Final[dict[str, str]] = {
    word: level
    for level, words in _words(
        {
            "high": (
                "very likely|extremely likely|definitely|certainly|很大可能|"
                "很可能|非常可能|一定会|肯定会|肯定"
            ),
            "middle": "possible|possibly|maybe|likely|perhaps|有可能|可能|也许|或许",
            "low": "unlikely|not likely|very unlikely|never|no|不可能|不太可能|不会|不推荐",
        }
    ).items()
    for word in words
}
#: Words of the default funnel stages.
STAGE_WORDS: Final = _words(
    {
        "lead": "lead|leads|new lead|prospecting|线索|销售线索|新线索",
        "qualified": (
            "qualified|qualification|qualified lead|opportunity|商机|需求确认|合格线索|意向"
        ),
        "proposal": "proposal|quote|quotation|quoted|报价|方案报价|方案|提案",
        "negotiation": "negotiation|negotiating|contract review|谈判|商务谈判|议价",
        "won": "won|closed won|win|成交|赢单|已成交|签约|签单",
    }
)
#: Deal status words (also accepted in the stage column and the stage history).
DEAL_STATUS_WORDS: Final = _words(
    {
        "open": "open|active|in progress|pending|进行中|跟进中|处理中|未关闭|开放",
        "won": "won|closed won|win|signed|赢单|成交|已成交|签约|已签约|签单",
        "lost": "lost|closed lost|dead|failed|输单|丢单|失败|已输单|已丢单",
        "reopened": "reopened|re-opened|reopen|重新打开|重开|重启",
    }
)
#: Kinds of feedback as users write them.
FEEDBACK_KIND_WORDS: Final = _words(
    {
        "complaint": "complaint|complain|complaints|issue|投诉|客诉|抱怨",
        "suggestion": "suggestion|idea|request|feature request|建议|意见|需求",
        "praise": "praise|compliment|thanks|表扬|好评|称赞|感谢",
        "return": "return|returns|exchange|refund request|退货|退换货|换货|退换",
    }
)
#: Feedback statuses as users write them.
FEEDBACK_STATUS_WORDS: Final = _words(
    {
        "open": (
            "open|new|pending|in progress|waiting|unresolved|"
            "未处理|待处理|处理中|未解决|跟进中|打开|新建"
        ),
        "closed": (
            "closed|resolved|done|solved|completed|已处理|已解决|已关闭|关闭|完成|已完成|办结"
        ),
    }
)
#: Units written after a score ("4分", "4 points"); "8/10" is not read (its scale is unclear).
SCORE_SUFFIXES: Final = ("分", "points", "point", "pts", "pt")
#: Between the stages of the funnel_stages setting, and between one stage's names.
STAGE_LIST_SEPARATORS: Final = r"[;；,，、\n>→]|->"
STAGE_NAME_SEPARATORS: Final = r"[/|｜]"
#: Percent signs written after a rate ("30%", "30％").
PERCENT_SIGNS: Final = ("%", "\uff05")

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
    return _header_key(str(text))


@functools.lru_cache(maxsize=4096)
def _header_key(text: str) -> str:
    # the aliases of every column are keyed again for each row a header is looked for in
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())
