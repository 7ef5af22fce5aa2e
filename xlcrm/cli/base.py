"""The ``xlcrm`` command group, its shared options, error handling and progress bar.

The commands live beside it, one module per subject. Commands only: each one parses options and
calls into io/core. Exit codes: 0 success, 2 bad input or usage, 1 unexpected
error. No traceback unless ``--debug``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from xlcrm.core.errors import XlcrmError
from xlcrm.locale import t

if TYPE_CHECKING:
    pass

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
console = Console(highlight=False, soft_wrap=True)


def _remember_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    # ctx.meta is shared by all nested contexts: the group's error handler
    # reads it to answer in the sub-command's language
    if value is not None:
        ctx.meta["xlcrm.lang"] = value
    return value


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    callback=_remember_lang,
    help="Language of sheet names, headers, labels and messages "
    "(default: Settings sheet, else en).",
)

AS_OF_OPTION = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Analysis date, YYYY-MM-DD (default: Settings sheet, else today).",
)

COMPARE_OPTION = click.option(
    "--compare-as-of",
    "compare_as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="An earlier day, YYYY-MM-DD: what changed since then (moves between RFM classes "
    "and tiers, new churn warnings, customers who became lost).",
)


def one_line(text: object) -> str:
    # control characters from a damaged file (NUL, escapes) must not reach the terminal
    return " ".join(_CONTROL.sub(" ", str(text)).split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def error_line(exc: XlcrmError, lang: str = "en") -> str:
    """The one-line message for ``exc``: where, what, and the hint, in ``lang``."""
    return one_line(exc.render(lang))


def _lang_of(ctx: click.Context) -> str:
    """The --lang given to the running command (see LANG_OPTION), for messages."""
    lang = ctx.meta.get("xlcrm.lang")
    return lang if lang in ("en", "zh") else "en"


def warn_if_open(book: Any, lang: str) -> None:
    """A note on stderr when Excel's lock file ``~$BOOK`` sits beside BOOK (it is open there)."""
    from pathlib import Path

    from xlcrm.jobs import excel_lock

    lock = excel_lock(book)
    if lock is not None:
        text = t(
            "note: {file} is open in Excel ({lock} exists); reading the last saved version",
            lang,
            file=Path(book).name,
            lock=lock.name,
        )
        err_console.print(f"[yellow]xlcrm:[/] {escape(one_line(text))}")


def check_output(target: Any, lang: str) -> None:
    """Refuse an output path that is an existing folder, in one line (not a usage error)."""
    from xlcrm.jobs import check_target

    check_target(target)


def _debugging(ctx: click.Context) -> bool:
    return (
        "--debug" in sys.argv[1:]
        or bool(ctx.params.get("debug"))
        or os.environ.get("XLCRM_DEBUG", "") not in ("", "0")
    )


class XlcrmGroup(click.Group):
    """Turns XlcrmError into one line and exit 2; anything else into exit 1.

    A missing or unreadable file (``OSError`` with a file name) is bad input:
    exit 2 naming the file. ``--debug`` (or ``XLCRM_DEBUG=1``) re-raises so the
    traceback shows.
    """

    def invoke(self, ctx: click.Context) -> Any:
        debug = _debugging(ctx)
        try:
            return super().invoke(ctx)
        except XlcrmError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]xlcrm:[/] {escape(error_line(exc, _lang_of(ctx)))}")
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            text = t("interrupted; nothing was overwritten", _lang_of(ctx))
            err_console.print(f"xlcrm: {text}", markup=False)
            ctx.exit(130)
        except OSError as exc:
            if debug or not exc.filename:
                if debug:
                    raise
                self._unexpected(ctx, exc)
            reason = exc.strerror or type(exc).__name__
            err_console.print(
                f"[bold red]xlcrm:[/] {escape(one_line(f'{exc.filename}: {reason}'))}"
            )
            ctx.exit(2)
        except Exception as exc:
            if debug:
                raise
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: click.Context, exc: BaseException) -> None:
        error = one_line(f"{type(exc).__name__}: {exc}")
        text = t(
            "unexpected error: {error} (run again with --debug for the traceback)",
            _lang_of(ctx),
            error=error,
        )
        err_console.print(f"[bold red]xlcrm:[/] {escape(text)}")
        ctx.exit(1)


class Steps:
    """Handle returned by :func:`progress`: one ``step()`` per named step."""

    def __init__(self, bar: Progress | None, names: Sequence[str]) -> None:
        self._bar = bar
        self._names = list(names)
        self._done = 0
        self._started = False
        self._task = (
            bar.add_task(self._names[0] if names else "", total=len(names)) if bar else None
        )

    def next(self) -> None:
        """Start the next step (the one before is done): for steps a use case reports."""
        if self._started:
            self._done += 1
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, advance=1)
        self._started = True
        if self._bar is not None and self._task is not None and self._names:
            label = self._names[min(self._done, len(self._names) - 1)]
            self._bar.update(self._task, description=label)

    @contextmanager
    def step(self, name: str | None = None) -> Iterator[None]:
        """Show ``name`` (default: the next step's name) while the block runs."""
        index = min(self._done, len(self._names) - 1)
        label = name or (self._names[index] if self._names else "")
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=label)
        yield
        self._done += 1
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1)


@contextmanager
def progress(steps: Sequence[str], lang: str | None = "en") -> Iterator[Steps]:
    """A rich progress bar over named steps, on stderr, for work longer than ~1 s.

    Drawn only when stderr is a terminal (never in pipes, CI or tests) and
    cleared when done, so the command's summary line is what remains.

    \b
    Example::

        with progress([t("Reading {file}", lang, file=name), t("Analysing", lang)], lang) as bar:
            with bar.step():
                frames = read(...)
            with bar.step():
                write(...)
    """
    if not err_console.is_terminal:
        yield Steps(None, steps)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(t("steps", lang or "en")),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        yield Steps(bar, steps)


@click.group(cls=XlcrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="xlcrm")
def cli(debug: bool) -> None:
    """xlcrm: RFM classes, lifecycle tiers, follow-ups and strategy briefs for Excel workbooks.

    \b
    Example:
      xlcrm demo -o sample.xlsx
      xlcrm analyze sample.xlsx
      xlcrm report sample.xlsx -o brief.pdf
    """
