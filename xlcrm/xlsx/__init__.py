"""Workbook input and output: reading sheets into canonical frames, writing
result sheets, and the sample workbook generator."""
