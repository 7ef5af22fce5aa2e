"""One exception family for everything xlcrm reports to a user.

Adapters turn an :class:`XlcrmError` into exit code 2 (CLI) or an Excel error
value (worksheet functions). The message is one line and names the file,
sheet, row and column where they are known.
"""

from __future__ import annotations


class XlcrmError(Exception):
    """A problem with the user's input that the user can fix.

    Parameters
    ----------
    message
        What is wrong, in the user's language, without location.
    file, sheet, row, column
        Where it is. ``row`` is the row number as Excel shows it (1-based).
    hint
        How to fix it, optional.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.hint = hint

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class InputError(XlcrmError):
    """The workbook, sheet, column or a cell cannot be read as expected."""


class SettingsError(XlcrmError):
    """A setting (Settings sheet, option or argument) is unknown or invalid."""


class OutputError(XlcrmError):
    """The result cannot be written (folder read-only, file locked, unsafe in-place)."""


class DeliveryError(XlcrmError):
    """A message could not be delivered (SMTP refused, auth failed, recipient rejected)."""
