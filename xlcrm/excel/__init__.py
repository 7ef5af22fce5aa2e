"""The Excel layer: worksheet functions (udfs), ribbon buttons (actions, ribbon),
the workbook interface the buttons use (book), the add-in build (addin, with
its VBA project: vbamodules, vbaproject, ovba, cfb), its installer (install)
and the xlwings Lite bundle (lite, lite_main).

Nothing is imported here, so ``import xlcrm.excel.udfs`` loads only what the
worksheet functions need.
"""
