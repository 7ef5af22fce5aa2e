"""``xlcrm addin``: build, install, uninstall and the xlwings Lite bundle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from xlcrm.locale import t

if TYPE_CHECKING:
    pass
from xlcrm.cli.base import (
    LANG_OPTION,
    cli,
    console,
    err_console,
)


@cli.group("addin")
def addin_group() -> None:
    """The Excel add-in: the xlcrm ribbon tab and =RFM_CLASS() worksheet functions.

    \b
    Example:
      xlcrm addin install            # Windows/macOS: ribbon + functions, for this user
      xlcrm addin install --lang zh  # ribbon labels in Chinese
      xlcrm addin uninstall
      xlcrm addin lite -o lite/      # xlwings Lite (Excel on the web): main.py, requirements.txt
      xlcrm addin build              # developers: rebuild workbook/xlcrm.xlam
    """


@addin_group.command("build")
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help="Folder for xlcrm.xlam (default: workbook/ of the checkout).",
)
@LANG_OPTION
def addin_build(out_dir: str | None, lang: str | None) -> None:
    """Build xlcrm.xlam from xlwings' template add-in, on any OS (needs oletools).

    Its VBA project holds xlwings' module, the ribbon callbacks and the
    worksheet-function wrappers; the same inputs give the same bytes.

    \b
    Example:
      xlcrm addin build -o dist/
    """
    from pathlib import Path

    from xlcrm.excel.addin import build_addin

    built = build_addin(Path(out_dir) if out_dir else None)
    size = format(built.stat().st_size, ",")
    console.print(t("Wrote {path} ({size} bytes)", lang or "en", path=built, size=size))


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(line if line.startswith(" ") else f"- {line}", markup=False)


_PLATFORM_OPTION = click.option(
    "--platform",
    "system",
    type=click.Choice(["windows", "mac"]),
    default=None,
    hidden=True,  # for tests and for admins preparing a machine from another OS
)


def _unsupported(lang: str | None) -> click.exceptions.Exit:

    err_console.print(
        t(
            "xlcrm addin install is for Windows and macOS, where Excel runs. Here, "
            "`xlcrm addin build` writes the add-in and `xlcrm addin lite -o DIR` the files "
            "for xlwings Lite (Excel on the web).",
            lang or "en",
        ),
        markup=False,
    )
    return click.exceptions.Exit(2)


@addin_group.command("install")
@LANG_OPTION
@click.option("--dry-run", is_flag=True, help="Print what would be written; change nothing.")
@_PLATFORM_OPTION
def addin_install(lang: str | None, dry_run: bool, system: str | None) -> None:
    """Install the add-in for this user (Windows, macOS): no VBA trust setting needed.

    Copies xlcrm.xlam into Excel's start-up folder (ribbon in --lang, default
    English), writes its settings file (this Python, the worksheet
    functions), on a Mac lets Excel start Python, and removes earlier xlcrm
    add-ins.

    \b
    Example:
      xlcrm addin install --lang zh --dry-run
    """
    from xlcrm.excel.install import InstallUnsupported, install_addin

    try:
        lines = install_addin(lang=lang or "en", dry_run=dry_run, system=system)  # type: ignore[arg-type]
    except InstallUnsupported:
        raise _unsupported(lang) from None
    _print_lines(lines)


@addin_group.command("uninstall")
@LANG_OPTION
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@_PLATFORM_OPTION
def addin_uninstall(lang: str | None, dry_run: bool, system: str | None) -> None:
    """Remove the add-in and its settings file for this user.

    \b
    Example:
      xlcrm addin uninstall
    """
    from xlcrm.excel.install import InstallUnsupported, uninstall_addin

    try:
        lines = uninstall_addin(lang=lang or "en", dry_run=dry_run, system=system)  # type: ignore[arg-type]
    except InstallUnsupported:
        raise _unsupported(lang) from None
    _print_lines(lines)


@addin_group.command("lite")
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, writable=True),
    required=True,
    help="Folder for main.py and requirements.txt.",
)
@LANG_OPTION
def addin_lite(out_dir: str, lang: str | None) -> None:
    """Write the xlwings Lite files: main.py (with the xlcrm modules it needs) and requirements.txt.

    Paste both into the xlwings Lite editor of a workbook (Excel on the web,
    Windows or Mac, no local Python).

    \b
    Example:
      xlcrm addin lite -o lite/
    """
    from pathlib import Path

    from xlcrm.excel.lite import write_bundle

    for path in write_bundle(Path(out_dir)):
        console.print(t("Wrote {path}", lang or "en", path=path), markup=False)


# --- email ---------------------------------------------------------------------
