"""The Excel layer: worksheet functions (udfs), ribbon buttons (actions, ribbon),
the add-in build (addin) and the workbook interface the buttons use (book).

Nothing is imported here, so ``import xlcrm.excel.udfs`` loads only what the
worksheet functions need.
"""
