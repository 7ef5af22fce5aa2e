"""What the Excel layer says to the user (buttons, add-in install), in English and Chinese.

One table, one lookup (:func:`say`); keys are stable ids. Kept here until the
project has one message catalogue for everything.
"""

from __future__ import annotations

from typing import Any, Final

LANGS: Final = ("en", "zh")

TEXT: Final[dict[str, dict[str, str]]] = {
    # --- buttons -------------------------------------------------------------------
    "version_mismatch": {
        "en": "xlcrm: the add-in was built for xlwings {addin} but this Python has xlwings "
        "{installed}; run `pip install xlcrm` again (it pins xlwings=={pinned}), then "
        "`xlcrm addin install`.",
        "zh": "xlcrm：加载项基于 xlwings {addin} 生成，而此 Python 中是 "
        "xlwings {installed}；请重新运行 `pip install xlcrm`（它固定 "
        "xlwings=={pinned}），再运行 `xlcrm addin install`。",
    },
    "error": {"en": "xlcrm: {error}", "zh": "xlcrm：{error}"},
    "reading": {"en": "xlcrm: reading the workbook…", "zh": "xlcrm：正在读取工作簿…"},
    "analysing": {"en": "xlcrm: analysing…", "zh": "xlcrm：正在分析…"},
    "writing": {"en": "xlcrm: writing {sheet}…", "zh": "xlcrm：正在写入 {sheet}…"},
    "rendering": {"en": "xlcrm: making the PDF brief…", "zh": "xlcrm：正在生成 PDF 简报…"},
    "sending": {"en": "xlcrm: sending…", "zh": "xlcrm：正在发送…"},
    "analysed": {
        "en": "Analysed {n} customers as of {as_of}: {where}",
        "zh": "已分析 {n} 位客户（截至 {as_of}）：{where}",
    },
    "followups": {
        "en": "Follow-up plan for {n} customers ({due} overdue): {where}",
        "zh": "已为 {n} 位客户生成跟进计划（{due} 位已逾期）：{where}",
    },
    "dashboard": {"en": "Dashboard: {where}", "zh": "仪表板：{where}"},
    "help": {"en": "Help: {where}", "zh": "帮助：{where}"},
    "wrote_pdf": {"en": "Wrote {path}", "zh": "已写出 {path}"},
    "unsaved_note": {
        "en": " (the workbook is not saved yet, so it went to {folder})",
        "zh": "（工作簿尚未保存，因此放在 {folder}）",
    },
    "no_recipients": {
        "en": "xlcrm: no brief to send (no recipients on the Settings sheet){problems}",
        "zh": "xlcrm：没有可发送的简报（设置表中没有收件人）{problems}",
    },
    "all_customers": {"en": "all customers", "zh": "全部客户"},
    "would_send": {
        "en": "Would send {n} brief(s), {how}: {who}{problems}",
        "zh": "将发送 {n} 份简报，{how}：{who}{problems}",
    },
    "drafts_in": {"en": "drafts in {folder}", "zh": "草稿保存到 {folder}"},
    "via": {"en": "via {server}", "zh": "经由 {server}"},
    "saved_drafts": {
        "en": "Saved {n} draft(s) in {folder}: {who}{problems}",
        "zh": "已在 {folder} 保存 {n} 份草稿：{who}{problems}",
    },
    "sent": {
        "en": "Sent {sent} of {total} brief(s){errors}{problems}",
        "zh": "已发送 {sent}/{total} 份简报{errors}{problems}",
    },
    # --- add-in build and install ---------------------------------------------------
    "built": {"en": "Wrote {path} ({size:,} bytes)", "zh": "已写出 {path}（{size:,} 字节）"},
    "copied_addin": {"en": "Copied the add-in to {path}", "zh": "已把加载项复制到 {path}"},
    "would_copied_addin": {
        "en": "Would copy the add-in to {path}",
        "zh": "将把加载项复制到 {path}",
    },
    "wrote_conf": {"en": "Wrote the add-in's settings {path}:", "zh": "已写入加载项设置 {path}："},
    "would_wrote_conf": {
        "en": "Would write the add-in's settings {path}:",
        "zh": "将写入加载项设置 {path}：",
    },
    "enabled_runpython": {
        "en": "Let Excel start Python (RunPython): {path}",
        "zh": "已允许 Excel 启动 Python（RunPython）：{path}",
    },
    "would_enabled_runpython": {
        "en": "Would let Excel start Python (RunPython): {path}",
        "zh": "将允许 Excel 启动 Python（RunPython）：{path}",
    },
    "removed_earlier": {
        "en": "Removed an earlier xlcrm add-in: {path}",
        "zh": "已删除旧版 xlcrm 加载项：{path}",
    },
    "would_removed_earlier": {
        "en": "Would remove an earlier xlcrm add-in: {path}",
        "zh": "将删除旧版 xlcrm 加载项：{path}",
    },
    "removed_addin": {"en": "Removed the add-in {path}", "zh": "已删除加载项 {path}"},
    "would_removed_addin": {"en": "Would remove the add-in {path}", "zh": "将删除加载项 {path}"},
    "removed_conf": {"en": "Removed the settings {path}", "zh": "已删除设置文件 {path}"},
    "would_removed_conf": {
        "en": "Would remove the settings {path}",
        "zh": "将删除设置文件 {path}",
    },
    "runpython_kept": {
        "en": "Kept xlwings' RunPython script: xlwings' own add-in uses it too.",
        "zh": "保留了 xlwings 的 RunPython 脚本：xlwings 自己的加载项也要用它。",
    },
    "closed_addin": {
        "en": "Closed the add-in in the running Excel: {names}",
        "zh": "已在运行中的 Excel 里关闭加载项：{names}",
    },
    "loaded_addin": {
        "en": "Opened the new add-in in the running Excel.",
        "zh": "已在运行中的 Excel 里打开新加载项。",
    },
    "restart_excel": {
        "en": "Restart Excel to load the new add-in.",
        "zh": "请重新启动 Excel 以加载新加载项。",
    },
    "quit_started": {
        "en": "Quit the Excel started to find its start-up folder.",
        "zh": "已退出为查找启动文件夹而打开的 Excel。",
    },
    "installed": {
        "en": "Done: the xlcrm tab appears when Excel starts.",
        "zh": "完成：启动 Excel 后即可看到 xlcrm 选项卡。",
    },
    "nothing_installed": {
        "en": "No xlcrm add-in is installed for this user.",
        "zh": "当前用户没有安装 xlcrm 加载项。",
    },
    "unsupported": {
        "en": "xlcrm addin install is for Windows and macOS, where Excel runs. Here, "
        "`xlcrm addin build` writes the add-in and `xlcrm addin lite -o DIR` the files "
        "for xlwings Lite (Excel on the web).",
        "zh": "xlcrm addin install 用于装有 Excel 的 Windows 和 macOS。在本机可以用 "
        "`xlcrm addin build` 生成加载项，用 `xlcrm addin lite -o DIR` 生成 "
        "xlwings Lite（网页版 Excel）所需文件。",
    },
    "help_title": {"en": "xlcrm", "zh": "xlcrm 客户分层"},
    "help_buttons": {"en": "Button", "zh": "按钮"},
    "help_does": {"en": "What it does", "zh": "作用"},
    "help_functions": {"en": "Function", "zh": "函数"},
    "help_returns": {"en": "What it returns", "zh": "返回"},
    "help_example": {"en": "Example", "zh": "示例"},
    "help_spill": {
        "en": "RFM_CLASS(B2:B500,C2:C500,D2:D500): a whole column that spills",
        "zh": "RFM_CLASS(B2:B500,C2:C500,D2:D500)：整列计算，结果自动溢出",
    },
    "help_cell": {
        "en": "RFM_CLASS(B2,C2,D2,$H$1,$H$2,$H$3): one cell with your own cut points",
        "zh": "RFM_CLASS(B2,C2,D2,$H$1,$H$2,$H$3)：单个单元格，使用自定义分界值",
    },
}


def say(key: str, lang: str | None, **fields: Any) -> str:
    """The message ``key`` in ``lang`` (English for anything else), fields filled in."""
    entry = TEXT[key]
    return entry.get(lang or "en", entry["en"]).format(**fields)


def user_lang(value: Any) -> str:
    """A language passed from Excel: "en" or "zh", else "en"."""
    text = str(value or "").strip().lower()
    return text if text in LANGS else "en"
