"""No user-facing sentence lives in the code outside the message catalogue.

An AST scan of ``xlcrm/``: a string literal that is a Chinese text or an
English sentence must be an argument of a catalogue call (``t``, ``tn``,
``tp``, ``N_``), a docstring, or a programmer's error (``ValueError`` …).
The allow-list below names the few modules whose literals are something
else, each with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import xlcrm

PACKAGE = Path(xlcrm.__file__).parent
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
SENTENCE = re.compile(r"\b[A-Za-z][a-z]+[ ,;:]+[a-z]+ [a-z]+\b")
CATALOGUE_CALLS = {"t", "tn", "tp", "N_"}
DEVELOPER_CALLS = {"ValueError", "TypeError", "KeyError", "RuntimeError", "AssertionError"}
# click's --help texts and the Excel function wizard's descriptions are English:
# neither click nor Excel's wizard can switch language per call.
DOC_KEYWORDS = {"help", "doc", "metavar", "short_help", "epilog"}

# module -> why its literals may hold Chinese words or English phrases
ALLOWED: dict[str, str] = {
    "core/schema.py": "header and sheet aliases: the words users write in their own sheets",
    "core/cells.py": "words and units found in cells (上午, 万, currency names) to parse",
    "core/settings.py": "Settings keys as users write them (in Chinese too), status words",
    "core/followup.py": "deal and need statuses as users write them (丢单, 无需求)",
    "mail/config.py": "the word users write for 'none' in a Settings cell (无)",
    "xlsx/rowkinds.py": "total and note rows as exports write them (合计, 小计, 共 3 个客户)",
    "xlsx/choose.py": "separators users type in a Settings cell",
    "xlsx/headers.py": "bracketed units in headers as exports write them",
    "xlsx/tables.py": "amount units in headers as exports write them (万元)",
    "xlsx/settings_sheet.py": "the Settings sheet's header words as users write them",
    "xlsx/carryover.py": "note-column headers as reps write them (备注)",
    "xlsx/sample.py": "the sample's made-up content (names, cities) in both languages",
    "core/currency.py": "currency symbols (円) and the units Chinese count sums in (万, 亿)",
    "xlsx/money.py": "currency symbols as Excel number formats write them (元, 円)",
    "xlsx/printing.py": "the name of Chinese Excel's body font (等线)",
    "xlsx/sample_names.py": "the sample's made-up names and the words its sheets use",
    "excel/vbamodules.py": "VBA and Python source generated into the add-in",
    "excel/lite.py": "source generated into the xlwings Lite bundle",
}


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _offenders(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def excused(node: ast.AST) -> bool:
        parent = parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.Call) and _call_name(parent) in (
                CATALOGUE_CALLS | DEVELOPER_CALLS
            ):
                return True
            if isinstance(parent, ast.keyword) and parent.arg in DOC_KEYWORDS:
                return True
            if isinstance(parent, ast.Expr):  # a docstring or a bare string
                return True
            targets = (
                parent.targets
                if isinstance(parent, ast.Assign)
                else [parent.target]
                if isinstance(parent, ast.AnnAssign)
                else []
            )
            if any(isinstance(x, ast.Name) and x.id.endswith("_DOCS") for x in targets):
                return True  # descriptions for Excel's function wizard, as DOC_KEYWORDS
            parent = parents.get(parent)
        return False

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text.startswith("' "):  # a comment line of generated VBA
                continue
            if (CJK.search(text) or SENTENCE.search(text)) and not excused(node):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {text[:50]!r}")
    return found


def test_no_sentence_outside_the_catalogue() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("locale/") or relative in ALLOWED:
            continue
        offenders += _offenders(path)
    assert offenders == []


def test_the_allow_list_names_existing_modules() -> None:
    missing = [name for name in ALLOWED if not (PACKAGE / name).is_file()]
    assert missing == []
