"""Fast sheet XML: the ``<sheetData>`` of a large result sheet, generated column by column.

openpyxl needs about 10 µs per cell, too slow for 100,000 customers, and it
cannot store the cached value of a formula. So :mod:`xlcrm.xlsx.layout`
adds the large tables as header-only sheets, and after openpyxl has saved,
:mod:`xlcrm.xlsx.package` replaces their ``<sheetData>`` with the XML made
here, the cached value written next to each formula
(``<c><f>…</f><v>…</v></c>``). User text is always an inline string, so
``=HYPERLINK(…)`` in a customer name stays text.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from xlcrm.xlsx.columns import Column, col_letter
from xlcrm.xlsx.printing import row_heights
from xlcrm.xlsx.sheets import ResultSheet

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = np.datetime64("1899-12-30", "ns")


def _xml_text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _ILLEGAL_XML.search(value):
        value = _ILLEGAL_XML.sub("", value)
    return value


def _texts(values: pd.Series) -> list[str]:
    """Each value as text, "" for a missing one."""
    filled = values.astype(object).where(values.notna().to_numpy(), "")
    return filled.astype(str).tolist()


_ILLEGAL_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# what str.strip() removes (str.isspace), but the plain space
_ODD_SPACES: Final = "".join(
    map(chr, (*range(0x09, 0x0E), *range(0x1C, 0x20), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B)))
) + "".join(map(chr, (0x2028, 0x2029, 0x202F, 0x205F, 0x3000)))
_EDGE_SPACE: Final = re.compile(r"(?:\A|\x00)\s|\s(?:\x00|\Z)")


def _edge_space(joined: str) -> bool:
    """True when a text of ``joined`` (texts without NUL, NUL-separated) starts or ends
    with white space (``str.strip`` would change it)."""
    odd = _ODD_SPACES[:9] if joined.isascii() else _ODD_SPACES  # isascii is O(1)
    if any(ch in joined for ch in odd):
        return _EDGE_SPACE.search(joined) is not None
    return " \x00" in joined or "\x00 " in joined or joined.startswith(" ") or joined.endswith(" ")


def _escaped_texts(values: pd.Series) -> tuple[list[str], str]:
    """Texts escaped for XML ("" for missing) and the ``<t>`` attribute they need."""
    texts = _texts(values)
    joined = "\x00".join(texts)  # one pass of C-level searches instead of one per cell
    if (
        "&" in joined
        or "<" in joined
        or ">" in joined
        or _ILLEGAL_BUT_NUL.search(joined)
        or joined.count("\x00") != max(len(texts) - 1, 0)
    ):
        texts = [_xml_text(t) for t in texts]
        joined = "\x00".join(texts)  # no NUL left in a text
    # xml:space="preserve" only where needed: it is a quarter of a short cell's bytes
    space = ' xml:space="preserve"' if _edge_space(joined) else ""
    return texts, space


def _number_strings(values: pd.Series, kind: str) -> list[str]:
    """Each value as the text of a ``<v>`` element ("" for a blank cell)."""
    if kind == "date":
        arr = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")
        mask = np.isnat(arr)
        ns = np.where(mask, 0, (arr - _EPOCH).astype("int64"))
        whole = ns % 86_400_000_000_000 == 0
        # Python's str/repr are faster than numpy's astype(str) and give the shortest
        # text that reads back as the same float
        if whole.all():
            out = list(map(str, (ns // 86_400_000_000_000).tolist()))
        else:
            out = list(map(repr, (ns / 86_400_000_000_000).tolist()))
    else:
        nums = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
        mask = ~np.isfinite(nums)
        nums = np.where(mask, 0.0, nums)
        if kind in ("int", "score") and np.all(nums == np.round(nums)):
            out = list(map(str, nums.astype(np.int64).tolist()))
        else:
            out = list(map(repr, nums.tolist()))
    if mask.any():
        for k in np.flatnonzero(mask).tolist():
            out[k] = ""
    return out


def _cell_template(column: Column, letter: str, style: int, space: str, arg: int) -> str:
    """``str.format`` template of one cell; ``{0}`` is the row number, ``{arg}`` the value."""
    ref = f'<c r="{letter}{{0}}" s="{style}"'
    if column.formula is not None:
        formula = _xml_text(column.formula).replace("{", "{{").replace("}", "}}")
        formula = formula.replace("{{r}}", "{0}")
        kind = ' t="str"' if column.kind == "text" else ""
        return f"{ref}{kind}><f>{formula}</f><v>{{{arg}}}</v></c>"
    if column.kind == "text":
        return f'{ref} t="inlineStr"><is><t{space}>{{{arg}}}</t></is></c>'
    return f"{ref}><v>{{{arg}}}</v></c>"


_CHUNK_ROWS: Final = 20_000


def sheet_data_chunks(
    sheet: ResultSheet,
    styles: Sequence[int],
    header_style: int = 0,
    note_styles: Sequence[int] = (),
    *,
    wrap: Mapping[str, float] | None = None,
    line_pt: float = 15.0,
) -> Iterator[str]:
    """The ``<sheetData>`` element of a result sheet, in pieces of up to 20,000 rows.

    Row 1 holds the headers, then one row per frame row. ``styles[i]`` is the
    cellXfs index carrying column ``i``'s number format. Formula cells hold
    the formula and, as cached value, the frame's value. Each row is one
    ``str.format`` call on a row template; a column with blanks in the chunk
    passes whole cells ("" for a blank) instead of values. The sheet's
    ``note`` follows one row below the table, line ``k`` in ``note_styles[k]``.
    Rows whose ``wrap`` columns (key -> width) need more than one line get
    the height of their lines: no program has to measure them on opening.
    """
    head = ['<sheetData><row r="1">']
    for i, column in enumerate(sheet.columns):
        head.append(
            f'<c r="{col_letter(i + 1)}1" s="{header_style}" t="inlineStr"><is><t>'
            f"{_xml_text(column.header)}</t></is></c>"
        )
    head.append("</row>")
    yield "".join(head)
    for start in range(0, sheet.n_rows, _CHUNK_ROWS):
        part = sheet.frame.iloc[start : start + _CHUNK_ROWS]
        rows = list(range(start + 2, start + 2 + len(part)))
        args: list[list[str]] = []
        template = ['<row r="{0}">']
        if wrap:
            heights = row_heights(part, dict(wrap), line_pt)
            args.append([f' ht="{h:g}" customHeight="1"' if h else "" for h in heights.tolist()])
            template = ['<row r="{0}"{1}>']
        for i, column in enumerate(sheet.columns):
            values = part[column.key]
            letter = col_letter(i + 1)
            if column.kind == "text":
                strings, space = _escaped_texts(values)
            else:
                strings, space = _number_strings(values, column.kind), ""
            n = len(args) + 1
            cell = _cell_template(column, letter, styles[i], space, n)
            if "" in strings:  # blanks: pass whole cells or values, "" leaves the cell out
                if column.formula is not None:
                    template.append(cell.replace(f"<v>{{{n}}}</v>", f"{{{n}}}"))
                    strings = [f"<v>{v}</v>" if v else "" for v in strings]
                else:
                    a, rest = cell.split("{0}", 1)
                    b, c = rest.split(f"{{{n}}}", 1)
                    strings = [
                        f"{a}{r}{b}{v}{c}" if v else "" for r, v in zip(rows, strings, strict=True)
                    ]
                    template.append(f"{{{n}}}")
            else:
                template.append(cell)
            args.append(strings)
        template.append("</row>")
        row_format = _row_maker("".join(template), len(args) + 1)
        yield "".join(map(row_format, rows, *args))
    first = max(sheet.n_rows, 1) + 3
    for k, line in enumerate(sheet.note):
        style = note_styles[k] if k < len(note_styles) else 0
        yield (
            f'<row r="{first + k}"><c r="A{first + k}" s="{style}" t="inlineStr"><is>'
            f'<t xml:space="preserve">'
            f"{_xml_text(line)}</t></is></c></row>"
        )
    yield "</sheetData>"


@functools.lru_cache(maxsize=256)
def _row_maker(template: str, n_args: int) -> Callable[..., str]:
    """``template.format`` as a function of ``n_args`` values that builds one f-string:
    Python parses an f-string when it compiles it, ``str.format`` on every call (half
    the time of a sheet's rows). The template's text is passed in as values, never
    put in the code. A template with format specs is formatted as it is."""
    pieces = list(string.Formatter().parse(template))
    fields = [field for _, field, _, _ in pieces if field is not None]
    if any(spec or conversion for _, _, spec, conversion in pieces) or not all(
        field.isascii() and field.isdecimal() and int(field) < n_args for field in fields
    ):
        return template.format
    texts: list[str] = []
    code: list[str] = []
    for text, field, _, _ in pieces:
        if text:
            code.append(f"{{t{len(texts)}}}")
            texts.append(text)
        if field is not None:
            code.append(f"{{a{int(field)}}}")
    names = ", ".join(f"t{k}" for k in range(len(texts)))
    values = ", ".join(f"a{k}" for k in range(n_args))
    source = f"def make({names}):\n    return lambda {values}: f'{''.join(code)}'\n"
    scope: dict[str, Callable[..., Callable[..., str]]] = {}
    exec(compile(source, "<xlcrm row template>", "exec"), scope)  # the code holds names only
    return scope["make"](*texts)


def sheet_data_xml(
    sheet: ResultSheet,
    styles: Sequence[int],
    header_style: int = 0,
    note_styles: Sequence[int] = (),
) -> str:
    """:func:`sheet_data_chunks` as one string."""
    return "".join(sheet_data_chunks(sheet, styles, header_style, note_styles))
