"""Quotes left open in a CSV file the engine reads: found cheaply, mended in a copy.

A quote opened and never closed makes DuckDB give up while sniffing, or take
the following lines into one cell. The workbook reader (:mod:`xlcrm.xlsx.csvfile`)
reads such lines again one by one with the quote as a plain character; here
the same is done for files of any size:

1. :func:`odd_lines` counts the quote bytes of every line with numpy, a chunk
   at a time (chunks without a quote are skipped at memchr speed). A quote
   left open leaves a line with an odd count; a clean file has none and is
   read where it is.
2. From each such line Python's csv module reads one record, as the reader
   would (:func:`find_open_quotes`); a record over several lines with a cell
   holding a line break and the delimiter is a quote left open.
3. :func:`mend` writes a copy with those lines' cells written out plainly,
   one line for one line, so rows keep the line numbers of the original.

The files are UTF-8 here (the engine copies GBK files to UTF-8 first).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import pandas as pd

from xlcrm.xlsx.csvfile import left_open, plain_fields, quote_rows

__all__ = ["Copies", "find_open_quotes", "mend", "odd_lines"]

CHUNK: Final = 1 << 24
_QUOTE: Final = ord('"')
_NL: Final = ord("\n")


def odd_lines(path: Path, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """(line number, byte offset of its start) of each line with an odd number of
    quote characters; lines are numbered from 1 and end at ``\\n``."""
    out: list[tuple[int, int]] = []
    line, start, offset, parity = 1, 0, 0, 0  # parity: quotes so far on the open line
    with path.open("rb") as fh:
        while data := fh.read(chunk):
            if b'"' not in data:
                ends = data.count(b"\n")
                if ends:
                    if parity:
                        out.append((line, start))
                    line, parity = line + ends, 0
                    start = offset + data.rindex(b"\n") + 1
                offset += len(data)
                continue
            arr = np.frombuffer(data, dtype=np.uint8)
            quotes = np.flatnonzero(arr == _QUOTE)
            nl = np.flatnonzero(arr == _NL)
            if nl.size:
                before = np.searchsorted(quotes, nl)  # quotes of the chunk before each line end
                upto = (before + parity) & 1  # parity from the open line's start
                odd = np.flatnonzero(upto ^ np.concatenate(([0], upto[:-1])))
                starts = np.concatenate(([start], offset + nl[:-1] + 1))
                out.extend(zip((line + odd).tolist(), starts[odd].tolist(), strict=True))
                line += int(nl.size)
                start = offset + int(nl[-1]) + 1
                parity = int(quotes.size - before[-1]) & 1
            else:
                parity = (parity + int(quotes.size)) & 1
            offset += len(data)
    if parity:
        out.append((line, start))
    return out


def _lines(fh: BinaryIO, offset: int, first: int) -> Iterator[str]:
    fh.seek(offset)
    for number, raw in enumerate(fh, start=first):
        yield raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")


def find_open_quotes(path: Path, delimiter: str) -> list[tuple[int, int, int]]:
    """(first line, last line, byte offset of the first) of each quote left open.

    Only the lines :func:`odd_lines` finds are read with the csv module, one
    record from each; a record that runs past the csv module's cell limit is
    taken for a quote left open up to the next odd line (or the end)."""
    candidates = odd_lines(path)
    found: list[tuple[int, int, int]] = []
    done = 0  # lines up to here belong to records already read
    with path.open("rb") as fh:
        for k, (line, offset) in enumerate(candidates):
            if line <= done:
                continue
            reader = csv.reader(_lines(fh, offset, line), delimiter=delimiter)
            try:
                record = next(reader, [])
                last = line + max(reader.line_num, 1) - 1
                broken = last > line and left_open(record, delimiter)
            except csv.Error:  # a cell beyond the csv module's limit: surely not closed
                later = [c for c, _ in candidates[k + 1 :]]
                last = later[0] if later else _count_lines(path)
                broken = True
            if broken:
                found.append((line, last, offset))
            done = last
    return found


def _count_lines(path: Path) -> int:
    lines, tail = 0, b""
    with path.open("rb") as fh:
        while data := fh.read(CHUNK):
            lines += data.count(b"\n")
            tail = data
    return lines + (1 if tail and not tail.endswith(b"\n") else 0)


def mend(
    path: Path,
    target: Path,
    delimiter: str,
    blocks: list[tuple[int, int, int]],
    *,
    width: int | None = None,
) -> list[str]:
    """Copy ``path`` to ``target`` with the lines of each block written out as the
    reader reads them (quotes plain); the text of each block's first line.

    A line read plainly may have more cells than the header (a quoted cell
    with the delimiter in it falls apart); the reader gives the extra cells
    no column, so only the first ``width`` are written (DuckDB refuses more)."""
    firsts: list[str] = []
    with path.open("rb") as src, target.open("wb") as dst:
        at = 0
        for first, last, offset in blocks:
            _copy_bytes(src, dst, offset - at)
            for number in range(first, last + 1):
                raw = src.readline()
                if not raw:
                    break
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")
                body = text.rstrip("\r\n")
                if number == first:
                    firsts.append(body)
                out = io.StringIO()
                writer = csv.writer(out, delimiter=delimiter, lineterminator=text[len(body) :])
                writer.writerow(plain_fields(body, delimiter)[:width])
                dst.write(out.getvalue().encode("utf-8"))
            at = src.tell()
        shutil.copyfileobj(src, dst, 1 << 20)
    return firsts


def _copy_bytes(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    while size > 0:
        data = src.read(min(size, 1 << 20))
        if not data:
            return
        dst.write(data)
        size -= len(data)


class Copies:
    """Copies of the CSV files an engine reads, under ``folder``: each in a folder of
    its own, so it keeps its file name (Data quality names it). ``quality``: the rows
    of the quotes left open that :meth:`mended` read plainly."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.quality: list[pd.DataFrame] = []
        self._made = 0

    def path(self, original: Path) -> Path:
        """A new path for a copy of ``original``, with its file name."""
        folder = self.folder / "copies" / str(self._made)
        self._made += 1
        folder.mkdir(parents=True)
        return folder / original.name

    def utf8(self, path: Path, encoding: str) -> Path:
        """A UTF-8 copy of a CSV in another encoding, streamed."""
        target = self.path(path)
        with (
            path.open(encoding=encoding, newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            shutil.copyfileobj(src, dst, 1 << 20)
        return target

    def mended(self, path: Path, delimiter: str, width: int) -> Path:
        """``path`` (UTF-8), or a copy with its quotes left open read as plain
        characters, listed in :attr:`quality`; ``width`` is the number of header cells."""
        blocks = find_open_quotes(path, delimiter)
        if not blocks:
            return path
        target = self.path(path)
        texts = mend(path, target, delimiter, blocks, width=width)
        self.quality.append(quote_rows(path.name, [b[0] for b in blocks], texts))
        return target

    def from_line(self, path: Path, first: int) -> Path:
        """``path``, or a copy from its line ``first`` (numbered from 0) on."""
        if first <= 0:
            return path
        target = self.path(path)
        with path.open("rb") as src, target.open("wb") as dst:
            for _ in range(first):
                src.readline()
            shutil.copyfileobj(src, dst, 1 << 20)
        return target
