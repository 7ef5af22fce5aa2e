"""One exception family for everything xlcrm reports to a user.

An error carries an English message *id* (a catalogue source string with
``{fields}``) and its arguments, never a finished sentence: it is rendered in
the user's language where it is shown (:meth:`XlcrmError.render`). Adapters
turn it into exit code 2 (CLI), an Excel error value (worksheet functions) or
a message box (ribbon). The line names the file, sheet, row and column where
they are known.
"""

from __future__ import annotations

from typing import Any

from xlcrm.locale import t


class XlcrmError(Exception):
    """A problem with the user's input that the user can fix.

    Parameters
    ----------
    message
        What is wrong: an English catalogue string, with ``{fields}`` filled
        from ``args`` in the user's language when rendered. No location.
    file, sheet, row, column
        Where it is. ``row`` is the row number as Excel shows it (1-based);
        ``column`` is the user's own header.
    hint
        How to fix it, optional: a catalogue string like ``message``.
    args
        Values for the fields of ``message`` and ``hint``.
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
        args: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.hint = hint
        self.args_ = dict(args or {})

    def what(self, lang: str = "en") -> str:
        """The message alone, in ``lang``."""
        return _fill(t(self.message, lang), self.args_, lang)

    def where(self, lang: str = "en") -> str:
        """File, sheet, row and column, in ``lang``."""
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(t("sheet {sheet!r}", lang, sheet=self.sheet))
        if self.row is not None:
            parts.append(t("row {row}", lang, row=self.row))
        if self.column:
            parts.append(t("column {column!r}", lang, column=self.column))
        return t(", ", lang).join(parts)

    def render(self, lang: str = "en") -> str:
        """The whole line in ``lang``: where, what, and how to fix it."""
        where = self.where(lang)
        text = (
            t("{where}: {what}", lang, where=where, what=self.what(lang))
            if where
            else self.what(lang)
        )
        if self.hint:
            text = t(
                "{text} ({hint})", lang, text=text, hint=_fill(t(self.hint, lang), self.args_, lang)
            )
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.render("en")


class Term(str):
    """An argument that is itself a catalogue id (a reason, a table name):
    it is translated into the language the error is rendered in."""


class Localized:
    """An argument with its own words per language (a setting's key in English or
    Chinese): ``render(lang)`` gives them when the error is rendered."""

    def render(self, lang: str) -> str:
        """The words in ``lang`` (subclasses choose them)."""
        return str(self)


def _fill(text: str, args: dict[str, Any], lang: str = "en") -> str:
    """``text`` with its fields filled; a message without fields is left as it is."""
    if not args:
        return text
    values = {
        k: t(v, lang) if isinstance(v, Term) else v.render(lang) if isinstance(v, Localized) else v
        for k, v in args.items()
    }
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


class InputError(XlcrmError):
    """The workbook, sheet, column or a cell cannot be read as expected."""


class SettingsError(XlcrmError):
    """A setting (Settings sheet, option or argument) is unknown or invalid."""


class OutputError(XlcrmError):
    """The result cannot be written (folder read-only, file locked, unsafe in-place)."""


class DeliveryError(XlcrmError):
    """A message could not be delivered (SMTP refused, auth failed, recipient rejected)."""
