"""What a file is before it is read: workbook, legacy .xls, password-protected, CSV.

The first bytes decide, not the name: an OLE2 container is a legacy .xls or
an encrypted .xlsx (told apart by its stream names), a zip is an .xlsx.
CSV text is decoded as UTF-8 (with or without BOM) or GB18030 (GBK).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from xlcrm.core.errors import InputError
from xlcrm.locale import N_

OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")

# Stream names in an OLE2 directory are UTF-16LE: Excel saves a password-protected
# .xlsx as an OLE2 file holding EncryptionInfo + EncryptedPackage streams; a
# legacy .xls holds a Workbook (or, before Excel 97, Book) stream.
_OLE_ENCRYPTED: Final = "EncryptionInfo".encode("utf-16-le")
_OLE_WORKBOOK: Final = ("Workbook".encode("utf-16-le"), "Book\0".encode("utf-16-le"))

NOT_FOUND: Final = N_("file not found")
UNREADABLE: Final = N_("cannot open the file: {detail}")
NOT_WORKBOOK: Final = N_("not an Excel workbook (damaged, or another format renamed)")
ENCRYPTED_HINT: Final = N_("remove the password (File > Info > Protect Workbook) and save again")


def head_bytes(path: Path, size: int = 8) -> bytes:
    """The first ``size`` bytes of ``path``; InputError when it cannot be opened."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except FileNotFoundError:
        raise InputError(NOT_FOUND, file=str(path)) from None
    except OSError as exc:
        raise InputError(
            UNREADABLE, file=str(path), args={"detail": exc.strerror or str(exc)}
        ) from None


def read_bytes(path: Path) -> bytes:
    """The whole file; InputError when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(NOT_FOUND, file=str(path)) from None
    except OSError as exc:
        raise InputError(
            UNREADABLE, file=str(path), args={"detail": exc.strerror or str(exc)}
        ) from None


def ole_kind(path: Path) -> str:
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


def is_legacy(path: Path) -> bool:
    """True for a legacy (BIFF, OLE2) .xls workbook, whatever its name."""
    return head_bytes(path).startswith(OLE_MAGIC)


def open_workbook(path: Path) -> Any:
    """A python-calamine workbook for ``path`` (.xlsx, .xlsm or a legacy .xls, told
    apart by content), or one clear InputError."""
    import python_calamine

    head = head_bytes(path)
    if head.startswith(OLE_MAGIC):
        # An OLE2 container: a legacy .xls, or an encrypted (password) .xlsx.
        kind = ole_kind(path)
        if kind == "encrypted":
            raise InputError(
                N_("the workbook is password-protected; xlcrm cannot read it"),
                file=str(path),
                hint=ENCRYPTED_HINT,
            )
        if kind != "xls":
            raise InputError(
                N_("the workbook is password-protected or not an .xlsx file"),
                file=str(path),
                hint=ENCRYPTED_HINT,
            )
    elif not head.startswith(b"PK"):
        raise InputError(NOT_WORKBOOK, file=str(path))
    try:
        if head.startswith(b"PK") and path.suffix.lower() in (".xlsx", ".xlsm"):
            return python_calamine.CalamineWorkbook.from_path(str(path))
        with path.open("rb") as fh:  # by content: an .xls named .xlsx, or the reverse
            return python_calamine.CalamineWorkbook.from_filelike(fh)
    except python_calamine.CalamineError:
        raise InputError(NOT_WORKBOOK, file=str(path)) from None
    except OSError as exc:
        raise InputError(UNREADABLE, file=str(path), args={"detail": str(exc)}) from None
    except Exception:  # a damaged file can trip the parser anywhere; still one clear line
        raise InputError(NOT_WORKBOOK, file=str(path)) from None


def decode_csv(data: bytes, file: Path) -> str:
    """CSV bytes as text: UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(N_("cannot decode the CSV file (tried UTF-8 and GBK)"), file=str(file))


__all__ = [
    "OLE_MAGIC",
    "decode_csv",
    "head_bytes",
    "is_legacy",
    "ole_kind",
    "open_workbook",
    "read_bytes",
]
