"""The message catalogue: complete, consistent and up to date."""

from __future__ import annotations

import gettext
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from xlcrm.core.errors import InputError
from xlcrm.locale import LANGS, LOCALE_DIR, t, tn, tp

REPO = Path(__file__).resolve().parents[1]
OTHER_LANGS = [lang for lang in LANGS if lang != "en"]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _catalog(lang: str):
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "xlcrm.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", OTHER_LANGS)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    missing, mismatched = [], []
    for message in _catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strs):
            missing.append(ids[0])
            continue
        wanted = set().union(*(_fields(i) for i in ids)) - {"n"}
        for text in strs:
            if _fields(text) - {"n"} != wanted:
                mismatched.append((ids[0], text))
    assert missing == []
    assert mismatched == []


@pytest.mark.parametrize("lang", OTHER_LANGS)
def test_compiled_catalogue_matches_its_po_file(lang: str, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.mo"
    with open(fresh, "wb") as fh:
        write_mo(fh, _catalog(lang))
    with open(fresh, "rb") as fh:
        expected = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "xlcrm.mo", "rb") as fh:
        committed = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    committed.pop("", None)  # the header: dates, tool version
    expected.pop("", None)
    assert committed == expected, "run `make locale` and commit the .mo"


def test_template_lists_every_string_in_code_and_templates(tmp_path: Path) -> None:
    pot = tmp_path / "xlcrm.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            *("-k", "t", "-k", "tn:1,2", "-k", "tp:1c,2", "-k", "N_"),
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )

    def ids(path: Path) -> set:
        with open(path, "rb") as fh:
            return {m.id if not m.context else (m.context, m.id) for m in read_po(fh) if m.id}

    in_code = ids(pot)
    for lang in OTHER_LANGS:
        in_po = {m.id if not m.context else (m.context, m.id) for m in _catalog(lang) if m.id}
        assert in_code - in_po == set(), "new strings: run `make locale` and translate them"


def test_lookups_fill_fields_and_choose_plurals() -> None:
    assert t("row {row}", "en", row=7) == "row 7"
    assert t("row {row}", "zh", row=7) == "第 7 行"
    assert tn("{n} purchase", "{n} purchases", 1, "en") == "1 purchase"
    assert tn("{n} purchase", "{n} purchases", 2, "en") == "2 purchases"
    assert tp("sheet", "Orders", "en") == "Orders"


def test_an_error_renders_in_one_language_at_a_time() -> None:
    exc = InputError(
        "{value!r} is not a date",
        file="shop.xlsx",
        sheet="订单",
        row=12,
        column="下单日期",
        args={"value": "31/02/2024"},
    )
    assert exc.render("en") == (
        "shop.xlsx, sheet '订单', row 12, column '下单日期': '31/02/2024' is not a date"
    )
    zh = exc.render("zh")
    assert zh.startswith("shop.xlsx，工作表“订单”，第 12 行，列“下单日期”：")
    assert "sheet" not in zh and "row" not in zh
