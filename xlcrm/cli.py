"""The ``xlcrm`` command line. Commands only: each one parses options and
calls into io/core. Exit codes: 0 success, 2 bad input or usage, 1 unexpected
error. No traceback unless ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console

from xlcrm.errors import XlcrmError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
console = Console(highlight=False, soft_wrap=True)

LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of sheet names, headers, labels and messages (default: Settings sheet, else en).",
)


class XlcrmGroup(click.Group):
    """Turns XlcrmError into one line and exit 2; anything else into exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = "--debug" in sys.argv[1:] or bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except XlcrmError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]xlcrm:[/] {click.style('', reset=True)}{exc}", markup=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            err_console.print("xlcrm: interrupted; nothing was overwritten")
            ctx.exit(130)
        except Exception as exc:
            if debug:
                raise
            err_console.print(
                f"[bold red]xlcrm: unexpected error:[/] {type(exc).__name__}: {exc} "
                "(run again with --debug for the traceback)"
            )
            ctx.exit(1)


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


def main() -> None:
    cli(prog_name="xlcrm")
