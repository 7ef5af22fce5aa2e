"""Which sheets hold the orders: chosen by their headers, not by their names alone.

Every sheet (other than Customers, Activities and Settings) whose header row
has the Orders columns is a candidate. Sheets with the same headers (orders
split by year: "2023", "2024") are all read. Candidates with different
headers stop the read with a question (exit 2): xlcrm does not guess which
of two different tables is the order history. ``map.orders.sheet`` on the
Settings sheet names the sheet or sheets (comma-separated) to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from xlcrm.core.errors import InputError
from xlcrm.core.schema import ORDER_REQUIRED, SHEET_ALIASES, header_key
from xlcrm.locale import N_
from xlcrm.xlsx.grid import Sheet
from xlcrm.xlsx.headers import find_header

NO_SHEET: Final = N_("no Orders sheet: expected a sheet named {expected} (sheets found: {found})")
NO_SHEET_HINT: Final = N_(
    "rename the sheet, or name it on the Settings sheet with map.{table}.sheet"
)


def named_sheets(wanted: str, names: Sequence[str], file: Path, table: str) -> list[str]:
    """The sheets a ``map.<table>.sheet`` value names (comma-separated), or InputError."""
    found: list[str] = []
    for part in re.split(r"[,，;；、]", wanted):
        if not part.strip():
            continue
        match = [n for n in names if header_key(n) == header_key(part)]
        if not match:
            raise InputError(
                _NAMED_MISSING[table],
                file=str(file),
                args={"expected": repr(part.strip()), "found": ", ".join(names)},
            )
        found.append(match[0])
    return found


_NAMED_MISSING: Final[dict[str, str]] = {
    "orders": NO_SHEET,
    "customers": N_(
        "no Customers sheet: expected a sheet named {expected} (sheets found: {found})"
    ),
    "activities": N_(
        "no Activities sheet: expected a sheet named {expected} (sheets found: {found})"
    ),
}


_ALIAS_KEYS: Final = frozenset(header_key(a) for a in SHEET_ALIASES["orders"])


def order_sheets(
    names: Sequence[str],
    taken: set[str],
    probe: Callable[[str], Sheet],
    column_map: Mapping[str, str],
    file: Path,
) -> list[str]:
    """The sheets to read orders from (see the module docstring); InputError when none
    or when sheets with different order headers compete."""
    candidates = [n for n in names if n not in taken]
    if len(candidates) == 1 and header_key(candidates[0]) in _ALIAS_KEYS:
        # one sheet, named like Orders: it is read whatever its header says (the
        # fallback below), so it is not probed (which would parse it now)
        return candidates
    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for name in names:
        if name in taken:
            continue
        header, _ = find_header(probe(name), "orders", column_map)
        if all(c in header.columns for c in ORDER_REQUIRED):
            signature = tuple(sorted((c, header_key(t)) for c, t in header.texts.items()))
            groups.setdefault(signature, []).append(name)
    if len(groups) == 1:
        return next(iter(groups.values()))
    if len(groups) > 1:
        listed = [" + ".join(sheets) for sheets in groups.values()]
        raise InputError(
            N_(
                "several sheets look like orders but have different headers: {sheets}; "
                "xlcrm does not guess which to read"
            ),
            file=str(file),
            hint=N_(
                "name the sheet(s) on the Settings sheet with map.orders.sheet "
                "(comma-separated), or give them the same headers to read them all"
            ),
            args={"sheets": "; ".join(listed)},
        )
    # no sheet has the Orders columns: one named like Orders gets the missing-column error
    keys = {header_key(n): n for n in reversed(names) if n not in taken}
    for alias in SHEET_ALIASES["orders"]:
        hit = keys.get(header_key(alias))
        if hit is not None:
            return [hit]
    raise InputError(
        NO_SHEET,
        file=str(file),
        hint=NO_SHEET_HINT,
        args={
            "table": "orders",
            "expected": " / ".join(SHEET_ALIASES["orders"][:3]),
            "found": ", ".join(names),
        },
    )


__all__ = ["NO_SHEET", "named_sheets", "order_sheets"]
