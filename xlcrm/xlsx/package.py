"""The xlsx package (a zip of XML parts): finding parts, filling sheets, atomic write.

:func:`sheet_parts` is the one lookup of a sheet's part by its name.
"""

from __future__ import annotations

import os
import posixpath
import queue
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from xlcrm import files
from xlcrm.core.errors import OutputError
from xlcrm.locale import N_
from xlcrm.xlsx.layout import Pending
from xlcrm.xlsx.sheetxml import sheet_data_chunks


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part name inside the package (``xl/worksheets/sheet1.xml``).

    The one lookup of sheet parts (the writer, ``--in-place`` checks, the
    reader's error cells). Raises ``KeyError`` when the package has no
    workbook part, ``ElementTree.ParseError`` when it is damaged.
    """
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        targets[rel.get("Id")] = target
    out = {}
    sheets = book.find("m:sheets", ns)
    for sheet in sheets if sheets is not None else []:
        rid = sheet.get(f"{{{ns['r']}}}id")
        out[sheet.get("name", "")] = targets.get(rid, "")
    return out


def part_rels(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(relationship type, absolute part name) of the relationships of ``part``."""
    folder = part.rpartition("/")[0]
    try:
        root = ElementTree.fromstring(archive.read(rels_name(part)))
    except KeyError:
        return []
    out = []
    for rel in root:
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        if target.startswith("/"):
            absolute = target.lstrip("/")
        else:
            absolute = posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Type", "").rsplit("/", 1)[-1], absolute))
    return out


def rels_name(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels"


def table_name(archive: zipfile.ZipFile, part: str) -> str:
    try:
        root = ElementTree.fromstring(archive.read(part))
    except (KeyError, ElementTree.ParseError):
        return ""
    return root.get("displayName", "")


def part_contains(archive: zipfile.ZipFile, name: str, needle: bytes) -> bool:
    tail = b""
    with archive.open(name) as fh:
        while chunk := fh.read(1 << 20):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


# A formula cell as Excel saves it (last result in <v>) and as openpyxl saves it (<v/>).
_CACHED_CELL = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)<v>([^<]*)</v>'
)
_UNCACHED_CELL = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>'
)
_TYPE_ATTR = re.compile(rb'\st="([a-z]+)"')


def formula_values(
    original: str | os.PathLike[str], new_parts: dict[str, str], own: set[str]
) -> dict[str, dict[bytes, tuple[bytes, bytes]]]:
    """New part name -> {cell ref: (type, cached value)} of the user's formula cells.

    Read from the workbook as it was before openpyxl loaded it: openpyxl keeps
    formulas but not their results, and a reader that does not recalculate
    (xlcrm itself, pandas, previewers) would see those cells empty.
    """
    out: dict[str, dict[bytes, tuple[bytes, bytes]]] = {}
    with zipfile.ZipFile(original) as archive:
        old_parts = sheet_parts(archive)
        for name, part in new_parts.items():
            old = old_parts.get(name)
            if name in own or not old or not part:
                continue
            try:
                xml = archive.read(old)
            except KeyError:
                continue
            if b"<f" not in xml:
                continue
            values = {}
            for match in _CACHED_CELL.finditer(xml):
                kind = _TYPE_ATTR.search(match.group(2))
                values[match.group(1)] = (kind.group(1) if kind else b"", match.group(3))
            if values:
                out[part] = values
    return out


def restore_values(xml: bytes, values: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """Put the cached results ``values`` back into openpyxl's formula cells of a sheet."""

    def put(match: re.Match[bytes]) -> bytes:
        ref, attrs, formula = match.group(1), match.group(2), match.group(3)
        if ref not in values:
            return match.group(0)
        kind, value = values[ref]
        attrs = _TYPE_ATTR.sub(b"", attrs)
        if kind and kind != b"n":
            attrs += b' t="' + kind + b'"'
        return b'<c r="' + ref + b'"' + attrs + b">" + formula + b"<v>" + value + b"</v></c>"

    return _UNCACHED_CELL.sub(put, xml)


def write_filled_sheet(dst: zipfile.ZipFile, name: str, xml: bytes, pending: Pending) -> None:
    """Stream the sheet part with openpyxl's ``<sheetData>`` replaced by the generated one."""
    text_xml = _DIMENSION.sub(f'<dimension ref="{pending.sheet.ref}"/>', xml.decode(), count=1)
    match = _SHEET_DATA.search(text_xml)
    if match is None:  # pragma: no cover - openpyxl always writes sheetData
        raise RuntimeError(f"no sheetData in sheet {pending.sheet.name!r}")
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    # large and repetitive: level 1 is several times faster than 6, ~15% bigger
    info._compresslevel = 1  # type: ignore[attr-defined]
    with dst.open(info, "w", force_zip64=True) as out:
        out.write(text_xml[: match.start()].encode())
        chunks = sheet_data_chunks(
            pending.sheet,
            pending.styles,
            pending.header_style,
            pending.note_styles,
            wrap=pending.wrap,
            line_pt=pending.line_pt,
        )
        _write_overlapped(out, (chunk.encode() for chunk in chunks))
        out.write(text_xml[match.end() :].encode())


def _write_overlapped(out: IO[bytes], pieces: Iterator[bytes]) -> None:
    """Write ``pieces`` to ``out`` from a second thread.

    zlib and crc32 release the GIL, so compressing one chunk overlaps with
    generating the next: about a quarter off the wall time on two cores.
    """
    todo: queue.Queue[bytes | None] = queue.Queue(maxsize=3)
    failed: list[BaseException] = []

    def pump() -> None:
        while (piece := todo.get()) is not None:
            if not failed:
                try:
                    out.write(piece)
                except BaseException as exc:  # re-raised in the calling thread
                    failed.append(exc)

    worker = threading.Thread(target=pump, name="xlcrm-zip", daemon=True)
    worker.start()
    try:
        for piece in pieces:
            if failed:
                break
            todo.put(piece)
    finally:
        todo.put(None)
        worker.join()
    if failed:
        raise failed[0]


def lock_file(target: Path) -> Path:
    """Excel's owner file ``~$NAME`` beside a workbook it has open."""
    return target.with_name(f"~${target.name}")


def locked_error(target: Path) -> OutputError:
    """The workbook is open in Excel: Excel would later save its own copy over ours."""
    return OutputError(
        N_("the file is open in Excel (its lock file exists)"),
        file=str(target),
        hint=N_("close it in Excel and run again"),
    )


def write_error(target: Path, failure: files.WriteFailed) -> OutputError:
    """What :func:`xlcrm.files.replacing` could not do, in the user's words."""
    folder = target.parent if str(target.parent) else Path(".")
    message, hint = {
        "open": (
            N_("cannot write in folder {folder!r}: {reason}"),
            N_("choose another output with -o"),
        ),
        "write": (
            N_("cannot write the file: {reason}; nothing was overwritten"),
            N_("free some disk space or choose another output with -o"),
        ),
        "replace": (
            N_("cannot replace the file: {reason}; it was left unchanged"),
            N_("close it in any program that has it open, or choose another output with -o"),
        ),
    }[failure.stage]
    return OutputError(
        message,
        file=str(target),
        hint=hint,
        args={"folder": str(folder), "reason": failure.reason},
    )


def atomic_write(target: Path, write: Callable[[zipfile.ZipFile], None]) -> None:
    """Write a zip package to ``target`` atomically (:func:`xlcrm.files.replacing`)."""
    if lock_file(target).exists():
        raise locked_error(target)
    try:
        with (
            files.replacing(target) as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as dst,
        ):
            write(dst)
    except files.WriteFailed as exc:
        raise write_error(target, exc) from None
