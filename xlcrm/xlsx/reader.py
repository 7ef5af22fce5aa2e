"""Read a customer workbook (or an Orders CSV) into canonical frames.

:func:`read_workbook` finds the Orders, Customers, Activities and Settings
sheets by their English or Chinese names, finds each table's header row (it
need not be row 1) and its columns by alias, parses every cell with
:mod:`xlcrm.core.cells`, and returns a :class:`WorkbookData`: the canonical frames
of ``docs/architecture.md``, the Settings, and a data-quality list of every
cell it could not read (sheet, row as Excel shows it, header as the user
wrote it, value, reason code).

Rules (documented for users in ``docs/workbook-format.md``):

- A row whose required cell is blank or unreadable is left out and listed.
  An unreadable optional cell (say, a Customers ``created`` date) is left
  blank and listed; the row is kept.
- Rows blank in every column xlcrm reads, and repeated header rows, are
  skipped silently (counted in ``RowCounts.skipped``).
- A customer id that appears twice on the Customers sheet: the first row
  wins, later ones are left out and listed (``duplicate_id``).
- Orders and activities for a customer missing from the Customers sheet are
  kept; each such customer is listed once (``unknown_customer``, at its first
  row) so the user can add it. This is information, not a problem: it does
  not fail ``strict`` mode.
- ``strict=True`` raises :class:`InputError` naming the first problem cell.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any, Final
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from xlcrm.core import cells, schema
from xlcrm.core.errors import InputError, SettingsError
from xlcrm.core.schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_REQUIRED,
    COLUMN_ALIASES,
    CUSTOMER_COLUMNS,
    CUSTOMER_REQUIRED,
    ORDER_COLUMNS,
    ORDER_REQUIRED,
    SHEET_ALIASES,
    header_key,
)
from xlcrm.core.settings import (
    DEFAULT_SETTINGS,
    SETTING_ALIASES,
    Settings,
    normalise_key,
    settings_from_mapping,
)

HEADER_SEARCH_ROWS: Final = 20
TABLES: Final = ("orders", "customers", "activities")
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "orders": ORDER_COLUMNS,
    "customers": CUSTOMER_COLUMNS,
    "activities": ACTIVITY_COLUMNS,
}
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "orders": ORDER_REQUIRED,
    "customers": CUSTOMER_REQUIRED,
    "activities": ACTIVITY_REQUIRED,
}
_PARSERS: Final = {
    "customer_id": cells.parse_ids,
    "order_id": cells.parse_text,
    "amount": cells.parse_amounts,
    "name": cells.parse_text,
    "owner": cells.parse_text,
    "grade": cells.parse_grades,
    "deal_status": cells.parse_text,
    "need_status": cells.parse_text,
    "kind": cells.parse_kinds,
}
_DATE_COLUMNS: Final = frozenset(
    {"order_date", "created", "expected_close", "last_contact", "date"}
)

# Settings sheet: header cells of the key/value table and of the owners table.
SETTING_HEADERS: Final = frozenset(
    map(header_key, ("Setting", "Settings", "Key", "设置项", "设置", "参数", "项目"))
)
VALUE_HEADERS: Final = frozenset(map(header_key, ("Value", "值", "设置值", "参数值")))
OWNER_HEADERS: Final = frozenset(
    map(header_key, ("Owner", "Sales rep", "负责人", "销售", "业务员"))
)
EMAIL_HEADERS: Final = frozenset(
    map(header_key, ("Email", "E-mail", "Mail", "邮箱", "电子邮件", "邮件"))
)
AS_OF_KEYS: Final = frozenset(
    map(header_key, ("as_of", "as of", "as of date", "截止日期", "分析日期"))
)
MAP_PREFIX: Final = "map."

# Reason codes of the data-quality list -> words. INFO reasons keep the row.
MISSING: Final = "missing"
DUPLICATE_ID: Final = "duplicate_id"
UNKNOWN_CUSTOMER: Final = "unknown_customer"
UNKNOWN_CONTACT: Final = "unknown_contact"
BAD_EMAIL: Final = "bad_email"
INFO_REASONS: Final = frozenset({UNKNOWN_CUSTOMER, UNKNOWN_CONTACT})
REASONS: Final[dict[str, dict[str, str]]] = {
    MISSING: {"en": "required value is empty", "zh": "必填值为空"},
    cells.BAD_ID: {
        "en": "not a customer id (a date, time or yes/no)",
        "zh": "不是客户编号（日期、时间或是/否）",
    },
    cells.BAD_DATE: {"en": "not a date xlcrm can read", "zh": "无法识别的日期"},
    cells.DATE_OUT_OF_RANGE: {
        "en": "date before 1900 or after 2199",
        "zh": "日期早于1900年或晚于2199年",
    },
    cells.BAD_AMOUNT: {"en": "not an amount xlcrm can read", "zh": "无法识别的金额"},
    cells.BAD_GRADE: {"en": "grade must be A, B, C, D or E", "zh": "等级须为 A、B、C、D 或 E"},
    cells.EXCEL_ERROR: {"en": "Excel error value in the cell", "zh": "单元格为 Excel 错误值"},
    DUPLICATE_ID: {
        "en": "customer id already used on an earlier row",
        "zh": "客户编号与前面的行重复",
    },
    UNKNOWN_CUSTOMER: {
        "en": "customer not on the Customers sheet (kept; add it there)",
        "zh": "客户不在客户表中（已保留，请补充到客户表）",
    },
    UNKNOWN_CONTACT: {
        "en": "customer neither on the Customers sheet nor in Orders (add it to Customers)",
        "zh": "客户既不在客户表也不在订单中（请补充到客户表）",
    },
    BAD_EMAIL: {"en": "not an email address", "zh": "不是有效的邮箱地址"},
}
_EFFECTS: Final[dict[str, dict[str, str]]] = {
    "left_out": {"en": "row left out", "zh": "该行未计入"},
    "blanked": {"en": "value ignored", "zh": "该值已忽略"},
    "kept": {"en": "kept", "zh": "已保留"},
    "unused": {"en": "activity not used", "zh": "该跟进记录未使用"},
}
QUALITY_COLUMNS: Final = ("sheet", "row", "column", "value", "reason", "left_out")
_QUALITY_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Sheet", "Row", "Column", "Value", "Problem", "Effect"),
    "zh": ("工作表", "行", "列", "值", "问题", "处理"),
}

_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "not_found": {"en": "file not found", "zh": "找不到文件"},
    "unreadable": {"en": "cannot open the file: {detail}", "zh": "无法打开文件：{detail}"},
    "xls": {
        "en": "legacy .xls workbooks are not supported",
        "zh": "不支持旧版 .xls 工作簿",
    },
    "xls_hint": {
        "en": "open it in Excel and save it as .xlsx",
        "zh": "请用 Excel 打开并另存为 .xlsx",
    },
    "encrypted": {
        "en": "the workbook is password-protected or not an .xlsx file",
        "zh": "工作簿有密码保护，或不是 .xlsx 文件",
    },
    "password": {
        "en": "the workbook is password-protected; xlcrm cannot read it",
        "zh": "工作簿有密码保护，xlcrm 无法读取",
    },
    "xls_renamed": {
        "en": "this is a legacy .xls workbook with an {suffix} name",
        "zh": "这是改成 {suffix} 扩展名的旧版 .xls 工作簿",
    },
    "encrypted_hint": {
        "en": "remove the password (File > Info > Protect Workbook) and save again",
        "zh": "请取消密码保护（文件 > 信息 > 保护工作簿）后重新保存",
    },
    "not_workbook": {
        "en": "not an Excel workbook (damaged, or another format renamed)",
        "zh": "不是 Excel 工作簿（文件损坏或为其他格式改名）",
    },
    "suffix": {
        "en": "unsupported file type {suffix!r}; xlcrm reads .xlsx, .xlsm and .csv",
        "zh": "不支持的文件类型 {suffix!r}；xlcrm 可读取 .xlsx、.xlsm 和 .csv",
    },
    "no_sheet": {
        "en": "no {table} sheet: expected a sheet named {expected} (sheets found: {found})",
        "zh": "缺少{table}工作表：应命名为 {expected}（现有工作表：{found}）",
    },
    "no_column": {
        "en": "no {expected!r} column (also accepted: {aliases}); headers found: {found}",
        "zh": "缺少 {expected!r} 列（也可写作：{aliases}）；现有表头：{found}",
    },
    "no_mapped_column": {
        "en": "the Settings sheet maps {key} to {expected!r}, but there is no such header; "
        "headers found: {found}",
        "zh": "设置表把 {key} 指向 {expected!r}，但没有这个表头；现有表头：{found}",
    },
    "no_column_hint": {
        "en": "rename the header, or map it on the Settings sheet with map.{table}.{column}",
        "zh": "请修改表头，或在设置表中用 map.{table}.{column} 指定",
    },
    "no_sheet_hint": {
        "en": "rename the sheet, or name it on the Settings sheet with map.{table}.sheet",
        "zh": "请修改工作表名称，或在设置表中用 map.{table}.sheet 指定",
    },
    "csv_column_hint": {
        "en": "rename the header in the CSV file (a CSV has no Settings sheet for a column map)",
        "zh": "请修改 CSV 文件中的表头（CSV 没有可指定列名的设置表）",
    },
    "strict": {
        "en": "cannot read {value!r}: {reason}{more}",
        "zh": "无法读取 {value!r}：{reason}{more}",
    },
    "strict_more": {"en": " (and {n} more problems)", "zh": "（另有 {n} 处问题）"},
    "strict_hint": {
        "en": "fix the cell, or run without --strict to leave such rows out",
        "zh": "请修正该单元格，或不加 --strict 运行以跳过这些行",
    },
    "bad_as_of": {
        "en": "as_of must be a date, not {value!r}",
        "zh": "截止日期必须是日期，而不是 {value!r}",
    },
    "csv_encoding": {
        "en": "cannot decode the CSV file (tried UTF-8 and GBK)",
        "zh": "无法识别 CSV 文件编码（已尝试 UTF-8 和 GBK）",
    },
    "none": {"en": "(none)", "zh": "（无）"},
}
_TABLE_NAMES: Final = schema.INPUT_SHEET_NAMES


def _msg(code: str, lang: str, /, **values: object) -> str:
    table = _MESSAGES[code]
    return table.get(lang, table["en"]).format(**values)


# --- results ------------------------------------------------------------------


@dataclass(frozen=True)
class RowCounts:
    """Rows of one sheet: ``read`` into the frame, ``left_out`` (listed in
    quality), ``skipped`` (blank or repeated header rows, not listed)."""

    read: int
    left_out: int
    skipped: int = 0


@dataclass(frozen=True)
class WorkbookData:
    """Everything :func:`read_workbook` found, in canonical form.

    Attributes
    ----------
    path
        The file read.
    orders, customers, activities
        Canonical frames (``docs/architecture.md``); every canonical column is
        present (NA when the sheet lacks it). ``customers``/``activities`` are
        None when the workbook has no such sheet.
    settings
        :class:`~xlcrm.core.settings.Settings` from the Settings sheet over the defaults.
    settings_values
        The Settings sheet's key/value pairs as written.
    as_of
        The Settings sheet's ``as_of`` date, or None.
    owners
        Frame ``owner``, ``email`` from the Settings sheet's owners table, or None.
    quality
        One row per cell xlcrm could not read: ``sheet``, ``row`` (as Excel
        shows it), ``column`` (the user's header), ``value``, ``reason`` (code,
        see :data:`REASONS`), ``left_out`` (the whole row was left out).
    counts
        Per table (``"orders"`` …): :class:`RowCounts`.
    sheet_names
        Table (``"orders"``, ``"settings"`` …) -> the sheet it was read from.
    unknown_settings
        Keys on the Settings sheet that xlcrm does not know.
    """

    path: Path
    orders: pd.DataFrame
    customers: pd.DataFrame | None
    activities: pd.DataFrame | None
    settings: Settings = DEFAULT_SETTINGS
    settings_values: dict[str, object] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None
    owners: pd.DataFrame | None = None
    quality: pd.DataFrame = field(default_factory=lambda: _empty_quality())
    counts: dict[str, RowCounts] = field(default_factory=dict)
    sheet_names: dict[str, str] = field(default_factory=dict)
    unknown_settings: list[str] = field(default_factory=list)

    def quality_table(self, lang: str = "en") -> pd.DataFrame:
        """The quality list with headers, reasons and effects in ``lang``."""
        return quality_table(self.quality, lang)


def quality_table(data: WorkbookData | pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The data-quality list ready to show a user: localized headers and reason words.

    Columns (en): Sheet, Row, Column, Value, Problem, Effect.
    """
    quality = data.quality if isinstance(data, WorkbookData) else data
    lang = lang if lang in _QUALITY_HEADERS else "en"
    problem = quality["reason"].map(lambda code: REASONS.get(code, {}).get(lang, code))
    reason = quality["reason"]
    effect_key = np.select(
        [
            quality["left_out"].to_numpy(dtype=bool),
            reason == UNKNOWN_CONTACT,
            reason.isin(INFO_REASONS),
        ],
        ["left_out", "unused", "kept"],
        default="blanked",
    )
    effect = [_EFFECTS[k][lang] for k in effect_key]
    out = pd.DataFrame(
        {
            "sheet": quality["sheet"],
            "row": quality["row"],
            "column": quality["column"],
            "value": quality["value"],
            "problem": problem.astype("str") if len(quality) else problem,
            "effect": pd.Series(effect, index=quality.index, dtype="str"),
        }
    )
    out.columns = list(_QUALITY_HEADERS[lang])
    return out


def _empty_quality() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sheet": pd.Series(dtype="str"),
            "row": pd.Series(dtype="int64"),
            "column": pd.Series(dtype="str"),
            "value": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
            "left_out": pd.Series(dtype="bool"),
        }
    )


# --- opening files ------------------------------------------------------------

_OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")


def _head_bytes(path: Path, lang: str) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(8)
    except FileNotFoundError:
        raise InputError(_msg("not_found", lang), file=str(path)) from None
    except OSError as exc:
        raise InputError(
            _msg("unreadable", lang, detail=exc.strerror or exc), file=str(path)
        ) from None


# Stream names in an OLE2 directory are UTF-16LE: Excel saves a password-protected
# .xlsx as an OLE2 file holding EncryptionInfo + EncryptedPackage streams; a
# legacy .xls holds a Workbook (or, before Excel 97, Book) stream.
_OLE_ENCRYPTED: Final = "EncryptionInfo".encode("utf-16-le")
_OLE_WORKBOOK: Final = ("Workbook".encode("utf-16-le"), "Book\0".encode("utf-16-le"))


def _ole_kind(path: Path) -> str:
    """``"encrypted"``, ``"xls"`` or ``"unknown"`` for an OLE2 file (scans its stream names)."""
    found = "unknown"
    keep = len(_OLE_ENCRYPTED)
    tail = b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                data = tail + chunk
                if _OLE_ENCRYPTED in data:
                    return "encrypted"
                if any(name in data for name in _OLE_WORKBOOK):
                    found = "xls"
                tail = data[-keep:]
    except OSError:
        return found
    return found


def _open_workbook(path: Path, lang: str) -> Any:
    import python_calamine

    head = _head_bytes(path, lang)
    if head.startswith(_OLE_MAGIC):
        # An OLE2 container: a legacy .xls, or an encrypted (password) .xlsx.
        kind = _ole_kind(path)
        if kind == "encrypted":
            raise InputError(
                _msg("password", lang), file=str(path), hint=_msg("encrypted_hint", lang)
            )
        if path.suffix.lower() == ".xls":
            raise InputError(_msg("xls", lang), file=str(path), hint=_msg("xls_hint", lang))
        if kind == "xls":
            raise InputError(
                _msg("xls_renamed", lang, suffix=path.suffix),
                file=str(path),
                hint=_msg("xls_hint", lang),
            )
        raise InputError(_msg("encrypted", lang), file=str(path), hint=_msg("encrypted_hint", lang))
    if path.suffix.lower() == ".xls":
        raise InputError(_msg("xls", lang), file=str(path), hint=_msg("xls_hint", lang))
    if not head.startswith(b"PK"):
        raise InputError(_msg("not_workbook", lang), file=str(path))
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.CalamineError:
        raise InputError(_msg("not_workbook", lang), file=str(path)) from None
    except OSError as exc:
        raise InputError(_msg("unreadable", lang, detail=exc), file=str(path)) from None


@dataclass
class _Sheet:
    """The raw rows of one sheet and where they sit in Excel."""

    name: str
    rows: list[list[Any]]
    first_row: int  # Excel row number of rows[0]
    first_col: int  # 0-based column of rows[i][0]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    xlsx: Path | None = None  # the file, to look up Excel error cells

    def errors(self) -> dict[tuple[int, int], str]:
        """(Excel row, 0-based column within rows) -> error text (#N/A …) of error cells.

        python-calamine returns error cells as empty, so the sheet's XML is
        scanned, only when a cell xlcrm needs came back empty.
        """
        if self.xlsx is None:
            return {}
        return {
            (row, col - self.first_col): text
            for (row, col), text in _xlsx_error_cells(self.xlsx, self.name).items()
        }


def _load_sheet(book: Any, name: str, path: Path) -> _Sheet:
    sheet = book.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=True)
    start = sheet.start or (0, 0)
    try:
        merged = sheet.merged_cell_ranges or []
    except Exception:  # merged ranges are a nicety; never fail the read for them
        merged = []
    return _Sheet(name, rows, start[0] + 1, start[1], list(merged), path)


_CELL_REF: Final = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CELL_VALUE: Final = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rid = None
    for node in book.iter(f"{ns_main}sheet"):
        if node.get("name") == sheet_name:
            rid = node.get(f"{ns_rel}id")
    if rid is None:
        return None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for node in rels:
        if node.get("Id") == rid:
            target = node.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def _xlsx_error_cells(path: Path, sheet_name: str) -> dict[tuple[int, int], str]:
    """(Excel row, 0-based column) -> error text for every ``t="e"`` cell of a sheet."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet_name)
            if part is None:
                return {}
            data = archive.read(part)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    found: dict[tuple[int, int], str] = {}
    pos = data.find(b't="e"')
    while pos != -1:
        start = data.rfind(b"<", 0, pos)
        end = data.find(b">", pos)
        ref = _CELL_REF.search(data, start, end)
        if ref and end != -1:
            text = "#ERROR"
            if data[end - 1 : end] != b"/":
                close = data.find(b"</", end)
                close_c = data.find(b"c>", close)
                value = _CELL_VALUE.search(data, end, close_c + 2 if close_c != -1 else len(data))
                if value:
                    text = value.group(1).decode("utf-8", "replace")
            found[(int(ref.group(2)), _col_index(ref.group(1)))] = text
        pos = data.find(b't="e"', pos + 5)
    return found


# --- finding sheets, header rows and columns ----------------------------------


def _sheet_for(table: str, names: Sequence[str], taken: set[str]) -> str | None:
    keys = {header_key(n): n for n in reversed(names) if n not in taken}
    for alias in SHEET_ALIASES[table]:
        hit = keys.get(header_key(alias))
        if hit is not None:
            return hit
    return None


@dataclass(frozen=True)
class _Header:
    index: int  # position in sheet.rows
    columns: dict[str, int]  # canonical column -> position in the row
    texts: dict[str, str]  # canonical column -> header as written
    values: dict[str, object]  # canonical column -> raw header cell


def _header_cells(sheet: _Sheet, index: int) -> list[object]:
    """Header row cells, with vertically merged cells filled from above."""
    row = list(sheet.rows[index])
    excel_row0 = sheet.first_row - 1 + index
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 < excel_row0 <= r1:
            source_row = r0 - (sheet.first_row - 1)
            src_col = c0 - sheet.first_col
            if 0 <= source_row < len(sheet.rows) and 0 <= src_col < len(row):
                value = sheet.rows[source_row][src_col]
                for c in range(
                    max(c0 - sheet.first_col, 0), min(c1 - sheet.first_col + 1, len(row))
                ):
                    if _is_blank(row[c]):
                        row[c] = value if c == src_col else row[c]
    return row


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _match_columns(
    cells_: Sequence[object], table: str, column_map: Mapping[str, str]
) -> dict[str, int]:
    """Canonical column -> position; mapped headers (Settings sheet) are claimed first."""
    keys = [header_key(c) if isinstance(c, str) else "" for c in cells_]
    # "金额（元）", "Amount (USD)": a unit in brackets after a known header
    bare = [
        header_key(_UNIT_SUFFIX.sub("", c)) if isinstance(c, str) and _UNIT_SUFFIX.search(c) else ""
        for c in cells_
    ]
    found: dict[str, int] = {}
    used: set[int] = set()
    mapped = [c for c in COLUMNS[table] if c in column_map]
    unmapped = [c for c in COLUMNS[table] if c not in column_map]
    for column in mapped + unmapped:
        if column in column_map:
            wanted = [header_key(column_map[column])]
        else:
            wanted = [header_key(a) for a in COLUMN_ALIASES[table].get(column, ())]
            wanted.append(header_key(column))
        for forms in (keys, bare):
            hit = next(
                (
                    i
                    for alias in wanted
                    for i, k in enumerate(forms)
                    if k == alias and i not in used
                ),
                None,
            )
            if hit is not None:
                found[column] = hit
                used.add(hit)
                break
    return {c: found[c] for c in COLUMNS[table] if c in found}


_UNIT_SUFFIX: Final = re.compile(r"\s*[(（\[【][^()（）\[\]【】]*[)）\]】]\s*$")


def _find_header(
    sheet: _Sheet, table: str, column_map: Mapping[str, str]
) -> tuple[_Header, list[str]]:
    """Best header row among the first rows, and the headers of that row (for messages)."""
    required = REQUIRED[table]
    best: tuple[int, int, int] | None = None  # (required hits, all hits, -index)
    best_cols: dict[str, int] = {}
    best_row: list[object] = []
    best_index = 0
    for index in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        row = _header_cells(sheet, index)
        columns = _match_columns(row, table, column_map)
        score = (sum(c in columns for c in required), len(columns), -index)
        if best is None or score > best:
            best, best_cols, best_row, best_index = score, columns, row, index
    found = [str(c).strip() for c in best_row if not _is_blank(c)]
    texts = {c: str(best_row[i]).strip() for c, i in best_cols.items()}
    values = {c: best_row[i] for c, i in best_cols.items()}
    return _Header(best_index, best_cols, texts, values), found


def _missing_column_error(
    table: str,
    column: str,
    found: list[str],
    sheet: str,
    file: Path,
    column_map: Mapping[str, str],
    lang: str,
) -> InputError:
    shown = ", ".join(found) if found else _msg("none", lang)
    if column in column_map:
        message = _msg(
            "no_mapped_column",
            lang,
            key=f"{MAP_PREFIX}{table}.{column}",
            expected=column_map[column],
            found=shown,
        )
        expected = column_map[column]
    else:
        aliases = COLUMN_ALIASES[table][column]
        expected = aliases[0]
        message = _msg(
            "no_column", lang, expected=expected, aliases=", ".join(aliases[1:]), found=shown
        )
    return InputError(
        message,
        file=str(file),
        sheet=sheet,
        column=expected,
        hint=_msg("csv_column_hint", lang)
        if file.suffix.lower() == ".csv"
        else _msg("no_column_hint", lang, table=table, column=column),
    )


# --- reading one table --------------------------------------------------------


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _columns(
    rows: list[list[Any]], start: int, positions: Mapping[str, int]
) -> dict[str, np.ndarray]:
    """The cells of the wanted columns below ``start``, one object array per column."""
    body = rows[start:] if start else rows
    return {
        column: np.fromiter(map(itemgetter(i), body), dtype=object, count=len(body))
        for column, i in positions.items()
    }


@dataclass
class _TableRead:
    frame: pd.DataFrame
    quality: list[pd.DataFrame]
    counts: RowCounts
    rows: np.ndarray  # Excel row number of each frame row
    id_header: str  # the customer id header as the user wrote it


def _parse(column: str, values: np.ndarray, day_first: bool) -> cells.Parsed:
    if column in _DATE_COLUMNS:
        return cells.parse_dates(values, day_first=day_first)
    return _PARSERS[column](values)


def _quality_rows(
    sheet: str,
    rows: np.ndarray,
    header: str,
    raw: np.ndarray,
    reasons: np.ndarray,
    left_out: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sheet": pd.Series([sheet] * len(rows), dtype="str"),
            "row": pd.Series(rows, dtype="int64"),
            "column": pd.Series([header] * len(rows), dtype="str"),
            "value": pd.Series([_display(v) for v in raw], dtype="str"),
            "reason": pd.Series(reasons, dtype="str"),
            "left_out": pd.Series(left_out, dtype="bool"),
        }
    )


def _empty_column(column: str, n: int) -> pd.Series:
    if column in _DATE_COLUMNS:
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if column == "amount":
        return pd.Series(np.full(n, np.nan))
    return pd.Series([None] * n, dtype="str")


def _read_table(
    sheet: _Sheet,
    table: str,
    *,
    file: Path,
    column_map: Mapping[str, str],
    day_first: bool,
    lang: str,
) -> _TableRead:
    header, found = _find_header(sheet, table, column_map)
    for column in REQUIRED[table]:
        if column not in header.columns:
            raise _missing_column_error(table, column, found, sheet.name, file, column_map, lang)
    for column in column_map:
        if column not in header.columns and column in COLUMNS[table]:
            raise _missing_column_error(table, column, found, sheet.name, file, column_map, lang)

    raw = _columns(sheet.rows, header.index + 1, header.columns)
    n = len(sheet.rows) - header.index - 1 if sheet.rows else 0
    excel_rows = np.arange(n, dtype=np.int64) + sheet.first_row + header.index + 1
    parsed = {c: _parse(c, v, day_first) for c, v in raw.items()}

    all_blank = np.logical_and.reduce([p.blank for p in parsed.values()])
    # repeated header rows: compare the first required column, then the rest where it matched
    first, *others = REQUIRED[table]
    repeat = np.asarray(raw[first] == header.values[first], dtype=bool)
    if repeat.any():
        at = np.flatnonzero(repeat)
        for column in others:
            at = at[np.asarray(raw[column][at] == header.values[column], dtype=bool)]
        repeat = np.zeros(n, dtype=bool)
        repeat[at] = True
    skip = all_blank | repeat

    # Excel error cells come back empty from python-calamine: look them up only
    # when a cell xlcrm reads is empty on a row that counts.
    problems = {c: p.problem for c, p in parsed.items()}
    blanks = {c: p.blank for c, p in parsed.items()}
    shown = dict(raw)
    if sheet.xlsx is not None and any((b & ~skip).any() for b in blanks.values()):
        errors = sheet.errors()
        for column, position in header.columns.items():
            at = np.array([r for (r, c) in errors if c == position], dtype=np.int64)
            hit = np.flatnonzero(np.isin(excel_rows, at) & blanks[column] & ~skip)
            if len(hit):
                texts = [errors[(int(excel_rows[i]), position)] for i in hit]
                problems[column][hit] = cells.EXCEL_ERROR
                blanks[column][hit] = False
                shown[column] = shown[column].copy()
                shown[column][hit] = np.array(texts, dtype=object)

    left_out = np.zeros(n, dtype=bool)
    for column in REQUIRED[table]:
        left_out |= pd.notna(problems[column]) | blanks[column]
    left_out &= ~skip

    quality: list[pd.DataFrame] = []
    for column in header.columns:
        reasons = problems[column].copy()
        if column in REQUIRED[table]:
            reasons[blanks[column]] = MISSING
        report = pd.notna(reasons) & ~skip
        if report.any():
            quality.append(
                _quality_rows(
                    sheet.name,
                    excel_rows[report],
                    header.texts[column],
                    shown[column][report],
                    reasons[report],
                    left_out[report],
                )
            )

    keep = ~skip & ~left_out
    data: dict[str, pd.Series] = {}
    n_keep = int(keep.sum())
    everything = n_keep == n
    for column in COLUMNS[table]:
        if column not in parsed:
            data[column] = _empty_column(column, n_keep)
        elif everything:
            data[column] = parsed[column].values
        else:
            data[column] = parsed[column].values[keep].reset_index(drop=True)
    frame = pd.DataFrame(data, copy=False)
    rows = excel_rows[keep]

    counts = RowCounts(read=n_keep, left_out=int(left_out.sum()), skipped=int(skip.sum()))
    if table == "customers" and n_keep:
        dup = frame["customer_id"].duplicated().to_numpy()
        if dup.any():
            quality.append(
                _quality_rows(
                    sheet.name,
                    rows[dup],
                    header.texts["customer_id"],
                    frame["customer_id"].to_numpy(dtype=object)[dup],
                    np.full(int(dup.sum()), DUPLICATE_ID, dtype=object),
                    np.ones(int(dup.sum()), dtype=bool),
                )
            )
            frame = frame[~dup].reset_index(drop=True)
            rows = rows[~dup]
            counts = RowCounts(
                counts.read - int(dup.sum()), counts.left_out + int(dup.sum()), counts.skipped
            )
    return _TableRead(frame, quality, counts, rows, header.texts["customer_id"])


def _unknown_customers(
    read: _TableRead, known: pd.Series, sheet: str, header: str, reason: str
) -> pd.DataFrame | None:
    """The first row of each customer id of ``read`` that is not in ``known``."""
    ids = read.frame["customer_id"]
    unknown = ~ids.isin(known).to_numpy()
    if not unknown.any():
        return None
    first = ~ids[unknown].duplicated().to_numpy()
    picked = np.flatnonzero(unknown)[first]
    return _quality_rows(
        sheet,
        read.rows[picked],
        header,
        ids.to_numpy(dtype=object)[picked],
        np.full(len(picked), reason, dtype=object),
        np.zeros(len(picked), dtype=bool),
    )


def _unknown_customer_rows(
    reads: Mapping[str, _TableRead], sheet_names: Mapping[str, str]
) -> list[pd.DataFrame]:
    """Orders of customers missing from Customers (the order adds the customer),
    and activities of customers in neither Customers nor Orders (not used: the
    analysis knows customers only from those two sheets)."""
    listed = reads["customers"].frame["customer_id"] if "customers" in reads else None
    checks: list[tuple[str, pd.Series, str]] = []
    if listed is not None and "orders" in reads:
        checks.append(("orders", listed, UNKNOWN_CUSTOMER))
    if "activities" in reads:
        known = [s for s in (listed,) if s is not None]
        if "orders" in reads:
            known.append(reads["orders"].frame["customer_id"])
        checks.append(("activities", pd.concat(known), UNKNOWN_CONTACT))
    rows = []
    for table, ids, reason in checks:
        read = reads[table]
        extra = _unknown_customers(read, ids, sheet_names[table], read.id_header, reason)
        if extra is not None:
            rows.append(extra)
    return rows


# --- the Settings sheet -------------------------------------------------------


@dataclass
class _SettingsRead:
    values: dict[str, object] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # key -> Excel row
    owners: pd.DataFrame | None = None
    quality: list[pd.DataFrame] = field(default_factory=list)


def _find_pair(
    rows: list[list[Any]], left: frozenset[str], right: frozenset[str]
) -> tuple[int, int] | None:
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for c in range(len(row) - 1):
            if (
                isinstance(row[c], str)
                and header_key(row[c]) in left
                and isinstance(row[c + 1], str)
                and header_key(row[c + 1]) in right
            ):
                return r, c
    return None


def _read_settings_sheet(sheet: _Sheet) -> _SettingsRead:
    out = _SettingsRead()
    rows = sheet.rows
    pair = _find_pair(rows, SETTING_HEADERS, VALUE_HEADERS)
    start, col = (pair[0] + 1, pair[1]) if pair else (0, 0)
    for r in range(start, len(rows)):
        row = rows[r]
        if col >= len(row):
            continue
        key = row[col]
        if _is_blank(key):
            continue
        value = row[col + 1] if col + 1 < len(row) else None
        text = _display(key).strip()
        out.values[text] = None if _is_blank(value) else value
        out.rows[text] = sheet.first_row + r
    owners_at = _find_pair(rows, OWNER_HEADERS, EMAIL_HEADERS)
    if owners_at:
        r0, c0 = owners_at
        names: list[object] = []
        emails: list[object] = []
        excel_rows: list[int] = []
        for r in range(r0 + 1, len(rows)):
            row = rows[r]
            name = row[c0] if c0 < len(row) else None
            mail = row[c0 + 1] if c0 + 1 < len(row) else None
            if _is_blank(name) and _is_blank(mail):
                break
            names.append(name)
            emails.append(mail)
            excel_rows.append(sheet.first_row + r)
        owner = cells.parse_text(np.array(names, dtype=object)).values
        email = cells.parse_text(np.array(emails, dtype=object)).values
        bad = email.notna() & ~email.fillna("").str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+")
        if bad.any():
            header = str(rows[r0][c0 + 1]).strip()
            out.quality.append(
                _quality_rows(
                    sheet.name,
                    np.array(excel_rows, dtype=np.int64)[bad.to_numpy()],
                    header,
                    email[bad].to_numpy(dtype=object),
                    np.full(int(bad.sum()), BAD_EMAIL, dtype=object),
                    np.zeros(int(bad.sum()), dtype=bool),
                )
            )
            email = email.mask(bad)
        keep = owner.notna().to_numpy()
        out.owners = pd.DataFrame({"owner": owner[keep], "email": email[keep]}).reset_index(
            drop=True
        )
    return out


def _apply_settings(
    read: _SettingsRead, *, file: Path, sheet: str, lang: str
) -> tuple[Settings, pd.Timestamp | None, dict[str, dict[str, str]], list[str]]:
    plain: dict[str, object] = {}
    as_of: pd.Timestamp | None = None
    as_of_key: str | None = None
    column_maps: dict[str, dict[str, str]] = {t: {} for t in (*TABLES, "sheets")}
    unknown: list[str] = []
    for key, value in read.values.items():
        folded = key.strip().casefold()
        if header_key(key) in AS_OF_KEYS:
            as_of_key = key
        elif folded.startswith(MAP_PREFIX):
            parts = folded[len(MAP_PREFIX) :].split(".")
            if (
                len(parts) == 2
                and parts[0] in TABLES
                and (parts[1] in COLUMNS[parts[0]] or parts[1] == "sheet")
                and not _is_blank(value)
            ):
                if parts[1] == "sheet":
                    column_maps["sheets"][parts[0]] = _display(value).strip()
                else:
                    column_maps[parts[0]][parts[1]] = _display(value).strip()
            elif not _is_blank(value):
                unknown.append(key)
        else:
            plain[key] = value
    try:
        settings, more = settings_from_mapping(plain)
    except SettingsError as exc:
        exc.file, exc.sheet = str(file), sheet
        exc.row = read.rows.get(_key_for(plain, exc.column)) if exc.column else None
        raise
    unknown.extend(more)
    if as_of_key is not None:
        value = read.values[as_of_key]
        try:
            as_of = cells.parse_date_value(value, day_first=settings.day_first)
        except ValueError:
            raise SettingsError(
                _msg("bad_as_of", lang, value=_display(value)),
                file=str(file),
                sheet=sheet,
                row=read.rows.get(as_of_key),
                column=as_of_key,
            ) from None
    return settings, as_of, column_maps, unknown


def _key_for(values: Mapping[str, object], name: str | None) -> str:
    for key in values:
        norm = normalise_key(key)
        if SETTING_ALIASES.get(norm, norm) == name:
            return key
    return name or ""


# --- public entry points ------------------------------------------------------


def _check_strict(quality: pd.DataFrame, file: Path, lang: str) -> None:
    problems = quality[~quality["reason"].isin(INFO_REASONS)]
    if problems.empty:
        return
    first = problems.iloc[0]
    more = _msg("strict_more", lang, n=len(problems) - 1) if len(problems) > 1 else ""
    raise InputError(
        _msg(
            "strict",
            lang,
            value=first["value"],
            reason=REASONS.get(first["reason"], {}).get(lang, first["reason"]),
            more=more,
        ),
        file=str(file),
        sheet=str(first["sheet"]),
        row=int(first["row"]),
        column=str(first["column"]),
        hint=_msg("strict_hint", lang),
    )


def _collect(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_quality()
    return pd.concat(parts, ignore_index=True)


def read_workbook(
    path: str | Path,
    *,
    day_first: bool | None = None,
    strict: bool = False,
    lang: str = "en",
) -> WorkbookData:
    """Read a customer workbook (.xlsx, .xlsm) or an Orders CSV (.csv).

    Parameters
    ----------
    path
        The file. A ``.csv`` is read as an Orders table (:func:`read_orders_csv`).
    day_first
        Read text dates like 05/03/2024 as day/month/year; None takes the
        Settings sheet's ``day_first`` (default month first).
    strict
        Raise :class:`InputError` for the first cell that cannot be read
        instead of leaving its row out.
    lang
        Language of error messages (``"en"`` or ``"zh"``).

    Returns
    -------
    WorkbookData

    Raises
    ------
    InputError
        The file cannot be opened, or a required sheet or column is missing
        (the message names the file, sheet, expected header and headers found).
    SettingsError
        A Settings sheet value is invalid (names the key and its row).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return read_orders_csv(file, day_first=bool(day_first), strict=strict, lang=lang)
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        _head_bytes(file, lang)  # a missing file says so before the suffix does
        raise InputError(_msg("suffix", lang, suffix=file.suffix), file=str(file))
    book = _open_workbook(file, lang)
    try:
        names = list(book.sheet_names)
        sheet_names: dict[str, str] = {}
        taken: set[str] = set()

        settings = DEFAULT_SETTINGS
        settings_values: dict[str, object] = {}
        as_of = None
        owners = None
        unknown: list[str] = []
        column_maps: dict[str, dict[str, str]] = {t: {} for t in (*TABLES, "sheets")}
        quality_parts: list[pd.DataFrame] = []
        settings_name = _sheet_for("settings", names, taken)
        if settings_name is not None:
            taken.add(settings_name)
            sheet_names["settings"] = settings_name
            read = _read_settings_sheet(_load_sheet(book, settings_name, file))
            settings, as_of, column_maps, unknown = _apply_settings(
                read, file=file, sheet=settings_name, lang=lang
            )
            settings_values, owners = read.values, read.owners
            quality_parts.extend(read.quality)
        first = settings.day_first if day_first is None else day_first

        for table in TABLES:
            wanted = column_maps["sheets"].get(table)
            if wanted is not None:
                match = [n for n in names if header_key(n) == header_key(wanted)]
                if not match:
                    raise InputError(
                        _msg(
                            "no_sheet",
                            lang,
                            table=_TABLE_NAMES[table][lang],
                            expected=repr(wanted),
                            found=", ".join(names) or _msg("none", lang),
                        ),
                        file=str(file),
                    )
                name: str | None = match[0]
            else:
                name = _sheet_for(table, names, taken)
            if name is not None:
                taken.add(name)
                sheet_names[table] = name
        if "orders" not in sheet_names:
            name = _sniff_orders_sheet(book, names, taken, file, column_maps["orders"])
            if name is None:
                raise InputError(
                    _msg(
                        "no_sheet",
                        lang,
                        table=_TABLE_NAMES["orders"][lang],
                        expected=" / ".join(SHEET_ALIASES["orders"][:3]),
                        found=", ".join(names) or _msg("none", lang),
                    ),
                    file=str(file),
                    hint=_msg("no_sheet_hint", lang, table="orders"),
                )
            sheet_names["orders"] = name

        reads: dict[str, _TableRead] = {}
        for table in TABLES:
            if table in sheet_names:
                reads[table] = _read_table(
                    _load_sheet(book, sheet_names[table], file),
                    table,
                    file=file,
                    column_map=column_maps[table],
                    day_first=first,
                    lang=lang,
                )
    finally:
        book.close()

    for table in TABLES:
        if table in reads:
            quality_parts.extend(reads[table].quality)
    customers = reads["customers"].frame if "customers" in reads else None
    quality_parts.extend(_unknown_customer_rows(reads, sheet_names))
    quality = _collect(quality_parts)
    if strict:
        _check_strict(quality, file, lang)
    return WorkbookData(
        path=file,
        orders=reads["orders"].frame,
        customers=customers,
        activities=reads["activities"].frame if "activities" in reads else None,
        settings=settings,
        settings_values=dict(settings_values),
        as_of=as_of,
        owners=owners,
        quality=quality,
        counts={t: r.counts for t, r in reads.items()},
        sheet_names=sheet_names,
        unknown_settings=unknown,
    )


def _sniff_orders_sheet(
    book: Any, names: list[str], taken: set[str], file: Path, column_map: Mapping[str, str]
) -> str | None:
    """A sheet not named like any table whose header row has the Orders columns."""
    for name in names:
        if name in taken:
            continue
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=True, nrows=HEADER_SEARCH_ROWS)
        probe = _Sheet(name, rows, 1, 0)
        header, _ = _find_header(probe, "orders", column_map)
        if all(c in header.columns for c in ORDER_REQUIRED):
            return str(name)
    return None


# --- CSV ----------------------------------------------------------------------


def _decode(data: bytes, file: Path, lang: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(_msg("csv_encoding", lang), file=str(file))


def read_orders_csv(
    path: str | Path,
    *,
    day_first: bool = False,
    strict: bool = False,
    lang: str = "en",
) -> WorkbookData:
    """Read an Orders table saved as CSV (UTF-8, UTF-8 with BOM, or GBK).

    The delimiter (comma, semicolon, tab or bar) is detected; the header row
    may sit below title rows as in a workbook. Quality rows name the file as
    the sheet and the line number as the row.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError(_msg("not_found", lang), file=str(file)) from None
    except OSError as exc:
        raise InputError(
            _msg("unreadable", lang, detail=exc.strerror or exc), file=str(file)
        ) from None
    text = _decode(data, file, lang)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise InputError(_msg("unreadable", lang, detail=exc), file=str(file)) from None
    width = max(map(len, rows), default=0)
    rows = [row + [""] * (width - len(row)) if len(row) < width else row for row in rows]
    sheet = _Sheet(file.name, rows, 1, 0)
    read = _read_table(sheet, "orders", file=file, column_map={}, day_first=day_first, lang=lang)
    quality = _collect(read.quality)
    if strict:
        _check_strict(quality, file, lang)
    return WorkbookData(
        path=file,
        orders=read.frame,
        customers=None,
        activities=None,
        quality=quality,
        counts={"orders": read.counts},
        sheet_names={"orders": file.name},
    )


__all__ = [
    "QUALITY_COLUMNS",
    "REASONS",
    "RowCounts",
    "WorkbookData",
    "quality_table",
    "read_orders_csv",
    "read_workbook",
]
