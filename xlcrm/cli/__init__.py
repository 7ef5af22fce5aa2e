"""The ``xlcrm`` command line. Commands only: each one parses options and
calls a use case (:mod:`xlcrm.jobs`) or io, then presents the outcome. Exit
codes: 0 success, 2 bad input or usage, 1 unexpected error. No traceback
unless ``--debug``.

``base`` holds the command group, shared options, error handling and the
progress bar; each other module one subject's commands.
"""

from __future__ import annotations

from xlcrm.cli import addin, brief, model, workbook
from xlcrm.cli.base import cli, error_line, progress

__all__ = ["addin", "brief", "cli", "error_line", "main", "model", "progress", "workbook"]


def main() -> None:
    cli(prog_name="xlcrm")
