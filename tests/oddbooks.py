"""Awkward files built in code for the bad-input and safety tests, and the helpers
that run them through the real command line.

Things openpyxl cannot write directly: formula cells carrying cached values,
a macro-enabled .xlsm with a vbaProject.bin part, OLE2 files (legacy .xls and
password-protected .xlsx), and a sheet filled to Excel's last row.

:func:`analysed` runs ``xlcrm analyze`` and checks, for every case, that the
reconciliation line it prints adds up: rows read = counted + after the
analysis date + left out (by reason), and the same for the amounts.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner, Result

from xlcrm.cli import cli
from xlcrm.locale import t
from xlcrm.xlsx.quality import reason_text

AS_OF = "2024-06-30"
ORDERS_HEAD = ["Customer ID", "Order Date", "Amount"]


def reason(code: str, lang: str = "en") -> str:
    return reason_text(code, lang)


# --- running the command line --------------------------------------------------------


def invoke(*args: object) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code not in (0, 2):  # pragma: no cover - shows what went wrong
        raise AssertionError(f"exit {result.exit_code}: {result.stderr}") from result.exception
    return result


def refused(
    book: Path,
    *where: object,
    command: Sequence[str] = ("analyze",),
    extra: Sequence[object] = (),
    lang: str | None = None,
    names: Path | None = None,
) -> str:
    """Run ``command`` on ``book``: exit 2, one line naming ``names`` (default: the book)
    and ``where``; the book unchanged."""
    before = sha256(book) if book.is_file() else None
    lang_args = ("--lang", lang) if lang else ()
    result = invoke(*command, book, *extra, *lang_args)
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("xlcrm: ")
    assert str(names or book) in line
    for part in where:
        assert str(part) in line, (part, line)
    if before is not None:
        assert sha256(book) == before
    return line


def analysed(book: Path, *extra: object, out: Path | None = None) -> tuple[Result, Path]:
    """``xlcrm analyze book``: exit 0, book unchanged; returns the result and the output."""
    out = out or book.with_name(book.stem + ".out.xlsx")
    before = sha256(book)
    result = invoke("analyze", book, "-o", out, "--as-of", AS_OF, *extra)
    assert result.exit_code == 0, result.stderr
    assert sha256(book) == before
    assert out.is_file()
    if "zh" not in map(str, extra):  # the line is parsed in English
        check_reconciliation(result.stdout)
    # every corpus workbook: the DuckDB reduction gives what the pandas one gives (a CSV
    # given to the engine is read by DuckDB, without the reader's CSV repairs)
    if book.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        from engines import assert_engines_agree

        assert_engines_agree(book, as_of=AS_OF)
    return result, out


_RECONCILIATION = re.compile(
    r"Reconciliation: (?P<read>[\d,]+) order rows read = (?P<counted>[\d,]+) counted "
    r"\((?P<orders>[\d,]+) orders\) \+ (?P<after>[\d,]+) after the analysis date "
    r"\+ (?P<left>[\d,]+) left out \((?P<reasons>[^)]*)\); amounts read (?P<a_read>[-\d,.]+) "
    r"= revenue (?P<revenue>[-\d,.]+) \+ after the analysis date (?P<a_after>[-\d,.]+) "
    r"\+ left out (?P<a_left>[-\d,.]+) \+ customers with refunds only (?P<a_none>[-\d,.]+)"
)


def reconciliation(stdout: str) -> dict[str, Any]:
    """The numbers of the reconciliation line (amounts in cents, reasons -> rows)."""
    found = _RECONCILIATION.search(" ".join(stdout.split()))
    assert found, stdout
    numbers: dict[str, Any] = {}
    for key, text in found.groupdict().items():
        if key == "reasons":
            parts = [p.rsplit(" ", 1) for p in text.split(", ") if p != "none"]
            numbers[key] = {name: int(n.replace(",", "")) for name, n in parts}
        elif key.startswith("a_") or key == "revenue":
            numbers[key] = round(float(text.replace(",", "")) * 100)
        else:
            numbers[key] = int(text.replace(",", ""))
    return numbers


def check_reconciliation(stdout: str) -> dict[str, Any]:
    """The reconciliation line adds up: every row and every cent is accounted for."""
    n = reconciliation(stdout)
    assert n["read"] == n["counted"] + n["after"] + n["left"], n
    assert n["left"] == sum(n["reasons"].values()), n
    assert n["orders"] <= n["counted"], n
    assert n["a_read"] == n["revenue"] + n["a_after"] + n["a_left"] + n["a_none"], n
    return n


def sheet_rows(out: Path, sheet: str) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(out, read_only=True)[sheet]
    return [tuple(r) for r in ws.iter_rows(min_row=2, values_only=True)]


INFO = t("for information", "en")


def quality(out: Path) -> list[tuple[Any, ...]]:
    """(sheet, row, column, value, problem) of the Data quality sheet's problems (not its
    notices of columns used and sheets read), by sheet and row."""
    rows = [r[:5] for r in sheet_rows(out, "Data quality") if r[5] != INFO]
    return sorted(rows, key=lambda r: (r[0], r[1] or 0))


def notices(out: Path, sheet: str = "Data quality") -> list[tuple[Any, ...]]:
    """(sheet, row, column, value, problem) of the Data quality sheet's notices."""
    info = {INFO, t("for information", "zh")}
    return [r[:5] for r in sheet_rows(out, sheet) if r[5] in info]


def rfm(out: Path) -> dict[str, tuple[Any, ...]]:
    """Customer id -> (name, owner, recency, frequency, monetary) of the RFM sheet."""
    return {r[0]: r[1:6] for r in sheet_rows(out, "RFM")}


def lifecycle_ids(out: Path) -> list[str]:
    return [r[0] for r in sheet_rows(out, "Lifecycle")]


# --- files ---------------------------------------------------------------------------

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
EXCEL_MAX_ROWS = 1_048_576


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rewrite_part(path: Path, part: str, edit: object) -> None:
    """Replace one part of a zip package with ``edit(old_bytes) -> new_bytes``."""
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == part:
                data = edit(data)  # type: ignore[operator]
            dst.writestr(info.filename, data)


def cache_formula_values(path: Path, part: str, values: Mapping[str, object]) -> None:
    """Give the formula cells ``values`` (ref -> value) cached results, as Excel saves them.

    openpyxl writes ``<c r="C2"><f>5*2</f><v /></c>``; Excel writes the last
    result in ``<v>`` (with ``t="str"`` for text, ``t="e"`` for errors).
    """

    def edit(xml: bytes) -> bytes:
        text = xml.decode()
        for ref, value in values.items():
            pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)?</c>')
            match = pattern.search(text)
            assert match, f"no formula cell {ref}"
            attrs, formula = match.group(1), match.group(2)
            if isinstance(value, str) and value.startswith("#"):
                attrs, shown = f'{attrs} t="e"', value
            elif isinstance(value, str):
                attrs, shown = f'{attrs} t="str"', value
            else:
                shown = repr(value)
            cell = f'<c r="{ref}"{attrs}><f>{formula}</f><v>{shown}</v></c>'
            text = text[: match.start()] + cell + text[match.end() :]
        return text.encode()

    rewrite_part(path, part, edit)


VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def make_xlsm(xlsx: Path, target: Path) -> Path:
    """A macro-enabled copy of ``xlsx``: vbaProject.bin part, relationship and content type."""
    with zipfile.ZipFile(xlsx) as src:
        items = {info.filename: src.read(info.filename) for info in src.infolist()}
    types = items["[Content_Types].xml"].decode().replace(XLSX_MAIN, XLSM_MAIN)
    types = types.replace(
        "<Default Extension",
        f'<Default Extension="bin" ContentType="{VBA_TYPE}"/><Default Extension',
        1,
    )
    rels = items["xl/_rels/workbook.xml.rels"].decode()
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdVba" Type="{VBA_REL}" Target="vbaProject.bin"/></Relationships>',
    )
    items["[Content_Types].xml"] = types.encode()
    items["xl/_rels/workbook.xml.rels"] = rels.encode()
    # a VBA project is an OLE2 file; its bytes only have to survive untouched
    items["xl/vbaProject.bin"] = ole2_file(["VBA", "dir", "Module1"]) + b"Sub Hello()\nEnd Sub\n"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in items.items():
            dst.writestr(name, data)
    return target


def ole2_file(streams: list[str], payload: bytes = b"") -> bytes:
    """A small OLE2 compound file whose directory names ``streams``.

    Header (512 bytes), one FAT sector, one directory sector. Enough for a
    reader that looks at the signature and stream names, as xlcrm does.
    """
    header = bytearray(512)
    header[0:8] = OLE_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: FAT in sector 0
    for k in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * k, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE)
    directory = bytearray()
    for i, name in enumerate(["Root Entry", *streams][:4]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\0\0"
        entry[0 : len(encoded)] = encoded
        struct.pack_into("<H", entry, 64, len(encoded))
        entry[66] = 5 if i == 0 else 2
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        directory += entry[:128]
    directory = directory[:512].ljust(512, b"\0")
    return bytes(header) + bytes(fat) + bytes(directory) + payload


def encrypted_xlsx(path: Path) -> Path:
    """What Excel writes for a password-protected .xlsx: an OLE2 file with
    EncryptionInfo and EncryptedPackage streams (the package bytes are noise)."""
    path.write_bytes(
        ole2_file(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"], b"\x8f" * 4096)
    )
    return path


def legacy_xls(path: Path) -> Path:
    """A BIFF8 .xls: an OLE2 file with a Workbook stream."""
    path.write_bytes(ole2_file(["Workbook", "\x05SummaryInformation"], b"\x09\x08" + b"\0" * 510))
    return path


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{XLSX_MAIN}"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def full_orders_sheet(path: Path, *, customers: int = 1000, last_id: str = "LAST") -> int:
    """An Orders sheet filled to Excel's last row (1,048,576), written as XML directly.

    Row 1 is the header; every other row an order (customer id as a number,
    a real date, an amount). The last row's customer id is ``last_id``.
    Returns the number of orders.
    """
    n = EXCEL_MAX_ROWS - 1
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:C{EXCEL_MAX_ROWS}"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Customer ID</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Order Date</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Amount</t></is></c></row>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(head.encode())
            step = 65536
            for start in range(2, EXCEL_MAX_ROWS + 1, step):
                stop = min(start + step, EXCEL_MAX_ROWS + 1)
                out.write(
                    "".join(
                        f'<row r="{r}"><c r="A{r}"><v>{r % customers}</v></c>'
                        f'<c r="B{r}" s="1"><v>{44927 + r % 700}</v></c>'
                        f'<c r="C{r}"><v>{r % 97 + 1}</v></c></row>'
                        for r in range(start, min(stop, EXCEL_MAX_ROWS))
                    ).encode()
                )
            r = EXCEL_MAX_ROWS
            out.write(
                (
                    f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{last_id}</t></is></c>'
                    f'<c r="B{r}" s="1"><v>45000</v></c><c r="C{r}"><v>12345</v></c></row>'
                    "</sheetData></worksheet>"
                ).encode()
            )
    return n


def stray_cell_book(path: Path, *, rows: int) -> Path:
    """An Orders sheet of ``rows`` orders (50 customers) and one stray "x" at XFD1048576,
    the last cell of the sheet: its used range is 1,048,576 x 16,384 cells."""
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Orders"
    ws.append(ORDERS_HEAD)
    for i in range(rows):
        ws.append([f"C{i % 50}", dt.date(2024, 1, 1) + dt.timedelta(days=i % 100), 10 + i % 7])
    ws["XFD1048576"] = "x"
    wb.save(path)
    return path


def legacy_xls_book(path: Path) -> Path:
    """A Kingdee-style sales register saved as a real BIFF8 .xls (with xlwt): document
    number, date and customer merged down over the product lines of an order."""
    import datetime as dt

    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("销售出库单")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    rows = [
        ["单据编号", "日期", "客户编码", "物料名称", "价税合计"],
        ["XS001", dt.date(2024, 1, 5), "K1", "螺丝", 100],
        [None, None, None, "螺母", 50],
        [None, None, None, "垫片", 30],
        ["XS002", dt.date(2024, 2, 5), "K1", "螺丝", 70],
        ["XS003", dt.date(2024, 3, 5), "K2", "螺丝", 10],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(
                    r, c, value, dated if isinstance(value, dt.date) else xlwt.Style.default_style
                )
    for c in range(3):
        ws.merge(1, 3, c, c)
    wb.save(str(path))
    return path
