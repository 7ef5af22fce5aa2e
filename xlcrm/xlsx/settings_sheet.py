"""The Settings sheet: a key/value table, an owners table, and column maps.

The key/value table starts under a ``Setting | Value`` header pair (or at
the top left when there is none). ``map.<table>.<column>`` keys name the
user's header for a column, ``map.<table>.sheet`` the sheet of a table;
``as_of`` is the analysis date. Everything else goes through
:func:`xlcrm.core.settings.settings_from_mapping`, which validates it; an
invalid value becomes a :class:`SettingsError` naming the key and its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import cells
from xlcrm.core.errors import Localized, SettingsError
from xlcrm.core.schema import header_key
from xlcrm.core.settings import SETTING_ALIASES, Settings, normalise_key, settings_from_mapping
from xlcrm.locale import N_
from xlcrm.xlsx.grid import Sheet, is_blank
from xlcrm.xlsx.headers import HEADER_SEARCH_ROWS, MAP_PREFIX, READ_COLUMNS, TABLES
from xlcrm.xlsx.quality import BAD_EMAIL, display, quality_rows

# Header cells of the key/value table and of the owners table.
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


@dataclass
class SettingsRead:
    """What the Settings sheet holds, as written."""

    values: dict[str, object] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # key -> Excel row
    owners: pd.DataFrame | None = None
    quality: list[pd.DataFrame] = field(default_factory=list)


@dataclass
class SettingsApplied:
    """The Settings sheet applied: settings, as_of, column and sheet maps, unknown keys."""

    settings: Settings
    as_of: pd.Timestamp | None
    column_maps: dict[str, dict[str, str]]
    unknown: list[str]


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


def read_settings_sheet(sheet: Sheet) -> SettingsRead:
    """The key/value pairs (with their rows) and the owners table of a Settings sheet."""
    out = SettingsRead()
    rows = sheet.rows
    pair = _find_pair(rows, SETTING_HEADERS, VALUE_HEADERS)
    start, col = (pair[0] + 1, pair[1]) if pair else (0, 0)
    for r in range(start, len(rows)):
        row = rows[r]
        if col >= len(row):
            continue
        key = row[col]
        if is_blank(key):
            continue
        value = row[col + 1] if col + 1 < len(row) else None
        text = display(key).strip()
        out.values[text] = None if is_blank(value) else value
        out.rows[text] = sheet.first_row + r
    owners_at = _find_pair(rows, OWNER_HEADERS, EMAIL_HEADERS)
    if owners_at:
        out.owners, bad = _read_owners(sheet, *owners_at)
        if bad is not None:
            out.quality.append(bad)
    return out


def _read_owners(sheet: Sheet, r0: int, c0: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    rows = sheet.rows
    names: list[object] = []
    emails: list[object] = []
    excel_rows: list[int] = []
    for r in range(r0 + 1, len(rows)):
        row = rows[r]
        name = row[c0] if c0 < len(row) else None
        mail = row[c0 + 1] if c0 + 1 < len(row) else None
        if is_blank(name) and is_blank(mail):
            break
        names.append(name)
        emails.append(mail)
        excel_rows.append(sheet.first_row + r)
    owner = cells.parse_text(np.array(names, dtype=object)).values
    email = cells.parse_text(np.array(emails, dtype=object)).values
    bad = email.notna() & ~email.fillna("").str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+")
    problems = None
    if bad.any():
        header = str(rows[r0][c0 + 1]).strip()
        problems = quality_rows(
            sheet.name,
            np.array(excel_rows, dtype=np.int64)[bad.to_numpy()],
            header,
            email[bad].to_numpy(dtype=object),
            np.full(int(bad.sum()), BAD_EMAIL, dtype=object),
            np.zeros(int(bad.sum()), dtype=bool),
        )
        email = email.mask(bad)
    keep = owner.notna().to_numpy()
    owners = pd.DataFrame({"owner": owner[keep], "email": email[keep]}).reset_index(drop=True)
    return owners, problems


def apply_settings(read: SettingsRead, *, file: Path, sheet: str) -> SettingsApplied:
    """Validate the sheet's values over the defaults; SettingsError names key and row."""
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
                and (parts[1] in READ_COLUMNS[parts[0]] or parts[1] == "sheet")
                and not is_blank(value)
            ):
                if parts[1] == "sheet":
                    column_maps["sheets"][parts[0]] = display(value).strip()
                else:
                    column_maps[parts[0]][parts[1]] = display(value).strip()
            elif not is_blank(value):
                unknown.append(key)
        else:
            plain[key] = value
    try:
        settings, more = settings_from_mapping(plain)
    except SettingsError as exc:
        exc.file, exc.sheet = str(file), sheet
        if exc.column:
            key = _key_for(plain, exc.column)
            other = exc.args_.get("other")
            if key not in read.rows and isinstance(other, str):
                key = _key_for(plain, other) if _key_for(plain, other) in read.rows else key
            exc.row = read.rows.get(key)
            exc.column = key
            if "key" in exc.args_:
                exc.args_["key"] = _key_for(plain, str(exc.args_["key"]))
            if isinstance(other, str):
                written = _key_for(plain, other)
                exc.args_["other"] = written if written in read.rows else SettingKey(other)
        raise
    unknown.extend(more)
    if as_of_key is not None:
        value = read.values[as_of_key]
        try:
            as_of = cells.parse_date_value(value, day_first=settings.day_first)
        except ValueError:
            raise SettingsError(
                N_("as_of must be a date, not {value!r}"),
                file=str(file),
                sheet=sheet,
                row=read.rows.get(as_of_key),
                column=as_of_key,
                args={"value": display(value)},
            ) from None
    return SettingsApplied(settings, as_of, column_maps, unknown)


class SettingKey(Localized):
    """A setting not written on the sheet, named by its key in the user's language."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def render(self, lang: str) -> str:
        if lang == "zh":
            for alias, target in SETTING_ALIASES.items():
                if target == self.name and not alias.isascii():
                    return alias
        return self.name


def _key_for(values: Mapping[str, object], name: str | None) -> str:
    """The key as the user wrote it for the setting ``name``."""
    for key in values:
        norm = normalise_key(key)
        if SETTING_ALIASES.get(norm, norm) == name:
            return key
    return name or ""


__all__ = ["SettingsApplied", "SettingsRead", "apply_settings", "read_settings_sheet"]
