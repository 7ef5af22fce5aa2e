"""Use cases: what the CLI commands and the ribbon buttons do, returning outcomes.

Every entry point (the CLI commands and the ribbon buttons) applies the same
precedence, option > Settings sheet > default, then runs the core
(:func:`run_job`). The default analysis date is an adapter's choice, so the
caller passes ``today``. :func:`analyze_book`, :func:`write_brief` and
:func:`email_book` return outcome objects that the adapters only present; the
checks before writing (an output that is a folder or the workbook itself,
``--in-place`` safety, Excel's lock file) live here, once.
"""

from __future__ import annotations

from xlcrm.jobs.brief import (
    BriefOutcome,
    EmailOutcome,
    Mode,
    PlannedBrief,
    brief_path,
    check_target,
    email_book,
    excel_lock,
    write_brief,
)
from xlcrm.jobs.run import Job, run_job, with_workbook_currency
from xlcrm.jobs.workbook import (
    RESULT_SHEETS,
    AnalyzeOutcome,
    Problem,
    ResultBook,
    Step,
    WorkbookFile,
    analyze_book,
    extra_sheets,
)

__all__ = [
    "RESULT_SHEETS",
    "AnalyzeOutcome",
    "BriefOutcome",
    "EmailOutcome",
    "Job",
    "Mode",
    "PlannedBrief",
    "Problem",
    "ResultBook",
    "Step",
    "WorkbookFile",
    "analyze_book",
    "brief_path",
    "check_target",
    "email_book",
    "excel_lock",
    "extra_sheets",
    "run_job",
    "with_workbook_currency",
    "write_brief",
]
