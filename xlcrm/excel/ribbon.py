"""The xlcrm ribbon tab: one registry of buttons, two generated artefacts.

:data:`BUTTONS` is the only place a button is declared. From it,
:func:`customui_xml` writes the ribbon (``customUI/customUI14.xml``) in one
language and :func:`vba_module` writes the VBA module whose callbacks the
ribbon names. Each callback calls xlwings' ``RunPython`` with one function of
:mod:`xlcrm.excel.actions`, passing the add-in's xlwings version (so Python
can say when it differs from the installed xlwings) and the ribbon language
chosen at install (``XLCRM_LANG`` in the add-in's config). A test checks that
no button can point at a callback or a Python function that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import quoteattr

from xlcrm.locale import N_, t, tp

CUSTOMUI_NS: Final = "http://schemas.microsoft.com/office/2009/07/customui"
TAB_ID: Final = "xlcrmTab"
GROUP_ID: Final = "xlcrmGroup"
VBA_MODULE_NAME: Final = "XlcrmRibbon"
ACTIONS_MODULE: Final = "xlcrm.excel.actions"
#: The config key (xlwings config file or the add-in's config sheet) holding
#: the language chosen at install; the callbacks pass it to Python.
LANG_KEY: Final = "XLCRM_LANG"


@dataclass(frozen=True)
class Button:
    """One ribbon button and the action it runs.

    ``action`` is the name of a function in :mod:`xlcrm.excel.actions` that
    takes no required argument (it finds the workbook through xlwings).
    ``label`` and ``supertip`` are English catalogue strings.
    """

    id: str
    label: str
    action: str
    image_mso: str
    supertip: str

    def label_in(self, lang: str) -> str:
        return t(self.label, lang)

    def supertip_in(self, lang: str) -> str:
        return t(self.supertip, lang)

    @property
    def callback(self) -> str:
        """Name of the VBA ``Sub`` the ribbon calls, e.g. ``OnAnalyze``."""
        return "On" + "".join(part.capitalize() for part in self.action.split("_"))

    @property
    def python_command(self) -> str:
        """The Python statement ``RunPython`` executes, with two VBA placeholders."""
        return (
            f"import {ACTIONS_MODULE} as xlcrm_actions; "
            f"xlcrm_actions.{self.action}(addin_xlwings='{{version}}', ui_lang='{{lang}}')"
        )

    @property
    def vba_argument(self) -> str:
        """``RunPython``'s argument as a VBA string expression.

        The placeholders become ``XLWINGS_VERSION`` (the constant of the
        add-in's ``xlwings`` module) and ``GetConfig("XLCRM_LANG", "en")``
        (xlwings' own config lookup: config sheet, then the user's file).
        """
        text = _vba_string(self.python_command)
        return text.replace("{version}", '" & XLWINGS_VERSION & "').replace(
            "{lang}", f'" & GetConfig({_vba_string(LANG_KEY)}, "en") & "'
        )


BUTTONS: Final[tuple[Button, ...]] = (
    Button(
        "xlcrmAnalyze",
        N_("Analyze"),
        "analyze",
        "PivotTableInsert",
        N_(
            "Read Customers, Orders and Activities and write the result sheets "
            "(call plan, RFM classes, tiers, churn warnings, follow-ups)."
        ),
    ),
    Button(
        "xlcrmFollowup",
        N_("Follow-up plan"),
        "followup_plan",
        "CalendarInsert",
        N_(
            "Log the calls marked Done on the Call plan into Activities, then plan again: "
            "whom each owner calls on each working day, most important first."
        ),
    ),
    Button(
        "xlcrmDashboard",
        N_("Dashboard"),
        "dashboard",
        "ChartInsert",
        N_("Write the dashboard sheet: class, tier and Pareto summaries."),
    ),
    Button(
        "xlcrmPdf",
        N_("PDF brief"),
        "pdf_brief",
        "FileSaveAsPdfOrXps",
        N_(
            "Write the segment strategy brief as a PDF next to the workbook "
            "(in Documents while the workbook is not saved yet)."
        ),
    ),
    Button(
        "xlcrmEmail",
        N_("Email brief"),
        "email_brief",
        "FileSendAsAttachment",
        N_(
            "Send the brief by email (SMTP settings from the Settings sheet), or save "
            ".eml drafts when no SMTP server is set."
        ),
    ),
    Button(
        "xlcrmHelp",
        N_("Help"),
        "show_help",
        "Help",
        N_("What the buttons and the worksheet functions do."),
    ),
)


def tab_label(lang: str) -> str:
    """The tab's name: a product name in English, with its purpose in Chinese."""
    return tp("ribbon", "xlcrm", lang)


def group_label(lang: str) -> str:
    return tp("ribbon", "Customers", lang)


def customui_xml(lang: str = "en", buttons: tuple[Button, ...] = BUTTONS) -> str:
    """The ribbon as customUI14 XML (Office 2010 and later), labels in ``lang``."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{CUSTOMUI_NS}">',
        "  <ribbon>",
        "    <tabs>",
        f"      <tab id={quoteattr(TAB_ID)} label={quoteattr(tab_label(lang))}>",
        f"        <group id={quoteattr(GROUP_ID)} label={quoteattr(group_label(lang))}>",
    ]
    for b in buttons:
        lines.append(
            f"          <button id={quoteattr(b.id)}"
            f" label={quoteattr(b.label_in(lang))}"
            f' size="large" imageMso={quoteattr(b.image_mso)}'
            f" onAction={quoteattr(f'{VBA_MODULE_NAME}.{b.callback}')}"
            f" screentip={quoteattr(b.label_in(lang))}"
            f" supertip={quoteattr(b.supertip_in(lang))} />"
        )
    lines += ["        </group>", "      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)


def _vba_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def vba_module(buttons: tuple[Button, ...] = BUTTONS) -> str:
    """Source of the VBA module with one ribbon callback per button.

    ``RunPython``, ``GetConfig`` and ``XLWINGS_VERSION`` are public members of
    the add-in's ``xlwings`` module. Line ends are CRLF, as VBA stores source.
    """
    lines = [
        f'Attribute VB_Name = "{VBA_MODULE_NAME}"',
        "' Generated by `xlcrm addin build` from xlcrm.excel.ribbon.BUTTONS - do not edit.",
        "' Ribbon callbacks of the xlcrm tab; each runs one function of xlcrm.excel.actions.",
        "Option Explicit",
        "",
    ]
    for b in buttons:
        lines += [
            f"Public Sub {b.callback}(control As IRibbonControl)",
            f"    RunPython {b.vba_argument}",
            "End Sub",
            "",
        ]
    return "\r\n".join(lines)
