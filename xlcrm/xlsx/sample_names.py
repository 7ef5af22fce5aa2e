"""Made-up names for the sample book: companies and sales owners, in English and Chinese.

The names are combinations of word lists (English: prefix, trade, legal
form; Chinese: city, brand, trade, legal form), drawn with the sample's
seeded generator, so every book is reproducible.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from xlcrm.core.settings import DEFAULT_SETTINGS

__all__ = ["COMPANY", "OWNERS", "OWNER_WEIGHTS", "company_names"]

COMPANY: Final[dict[str, str]] = {"en": DEFAULT_SETTINGS.company, "zh": "示例贸易有限公司"}

# Six owners with uneven books; the last has no e-mail address on purpose so
# that `xlcrm mail` has a missing address to report.
OWNERS: Final[dict[str, tuple[tuple[str, str | None], ...]]] = {
    "en": (
        ("Alice Morgan", "alice.morgan@example.com"),
        ("Ben Carter", "ben.carter@example.com"),
        ("Chloe Nguyen", "chloe.nguyen@example.com"),
        ("David Okafor", "david.okafor@example.com"),
        ("Elena Rossi", "elena.rossi@example.com"),
        ("Farid Haddad", None),
    ),
    "zh": (
        ("王芳", "wang.fang@example.com"),
        ("李强", "li.qiang@example.com"),
        ("张伟", "zhang.wei@example.com"),
        ("刘洋", "liu.yang@example.com"),
        ("陈静", "chen.jing@example.com"),
        ("赵磊", None),
    ),
}
OWNER_WEIGHTS: Final = (0.24, 0.20, 0.18, 0.16, 0.12, 0.10)


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_EN_PREFIX: Final = _words(
    "Acme Alder Apex Arbor Atlas Aurora Beacon Birch Blue Bright Cedar Clear Cobalt "
    "Coastal Copper Crest Delta Eagle Evergreen Falcon Fern Granite Harbor Highland "
    "Horizon Iron Juniper Keystone Lake Linden Maple Meadow Metro North Oak Orchid "
    "Pacific Pine Pioneer Prairie Quartz Redwood Ridge River Sierra Silver Summit "
    "Sun Terra Union Valley Vista West Willow Zenith Lark Harper Morgan Sterling"
)
_EN_TRADE: Final = _words(
    "Bakery|Builders|Catering|Clinic|Coffee|Dental|Design|Electric|Engineering|"
    "Farms|Fitness|Florists|Foods|Freight|Furniture|Hardware|Health|Hotels|"
    "Interiors|Labs|Logistics|Machinery|Marine|Media|Motors|Office Supply|"
    "Optics|Outfitters|Packaging|Pharmacy|Plumbing|Print|Properties|Retail|"
    "Software|Solar|Supply|Textiles|Tools|Travel",
    sep="|",
)
_EN_SUFFIX: Final = ("Ltd", "Inc.", "LLC", "Co.", "Group", "& Sons")
_ZH_CITY: Final = _words(
    "北京 上海 广州 深圳 杭州 南京 苏州 成都 武汉 西安 重庆 天津 长沙 郑州 青岛 "
    "厦门 宁波 合肥 福州 济南 昆明 大连 沈阳 无锡 佛山 东莞 温州 南昌 石家庄 哈尔滨"
)
_ZH_BRAND: Final = _words(
    "华信 鼎盛 恒达 瑞丰 金源 宏图 嘉禾 永安 博远 天成 新特 联创 明德 盛世 中泰 "
    "汇通 安泰 海纳 卓越 百川 东方 鑫源 同创 德润 长城 光华 远航 晨光 和信 锦程 "
    "润邦 凯达 正泰 九州 华宇 佳美 信达 诚意 优品 青禾"
)
_ZH_TRADE: Final = _words(
    "贸易 科技 电子 机械 食品 建材 物流 医疗器械 服饰 印刷 包装 化工 家具 汽配 "
    "餐饮 广告 文化传媒 软件 环保 五金 照明 纺织 酒店用品 办公用品 茶业 农业 "
    "装饰工程 教育咨询 健康管理 母婴用品"
)
_ZH_SUFFIX: Final = ("有限公司", "有限公司", "股份有限公司", "商行")


def company_names(rng: np.random.Generator, n: int, lang: str) -> np.ndarray:
    parts: tuple[tuple[str, ...], ...]
    if lang == "zh":
        parts = (_ZH_CITY, _ZH_BRAND, _ZH_TRADE, _ZH_SUFFIX)
        sep = ""
    else:
        parts = (_EN_PREFIX, _EN_TRADE, _EN_SUFFIX)
        sep = " "
    sizes = [len(p) for p in parts]
    total = int(np.prod(sizes))
    picks = rng.choice(total, size=n, replace=n > total)
    names = np.full(n, "", dtype=object)
    for i, (part, size) in enumerate(zip(parts, sizes, strict=True)):
        picks, index = np.divmod(picks, size)
        words = np.asarray(part, dtype=object)[index]
        names = words if i == 0 else names + sep + words
    return names


# --- the words the sample's sheets use (statuses, kinds, reasons) -------------

#: Why the sample's lost deals were lost, as a sales rep writes it.
LOST_REASONS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Price", "Chose a competitor", "No budget", "No decision"),
    "zh": ("价格", "选择了竞争对手", "没有预算", "迟迟未决定"),
}


DEAL_STATUSES: Final[dict[str, dict[str, str]]] = {
    "open": {"en": "Open", "zh": "跟进中"},
    "won": {"en": "Won", "zh": "已成交"},
    "lost": {"en": "Lost", "zh": "丢单"},
}
NEED_STATUSES: Final[dict[str, dict[str, str]]] = {
    "clear": {"en": "Clear", "zh": "需求明确"},
    "unclear": {"en": "Unclear", "zh": "需求不明"},
    "none": {"en": "No need", "zh": "无需求"},
}
ACTIVITY_KIND_LABELS: Final[dict[str, dict[str, str]]] = {
    "call": {"en": "Call", "zh": "电话"},
    "visit": {"en": "Visit", "zh": "拜访"},
    "email": {"en": "Email", "zh": "邮件"},
    "meeting": {"en": "Meeting", "zh": "会议"},
}
