"""The pure core: canonical frames in, frames and plain values out.

Imports only the standard library, numpy, pandas and scipy; never reads
files (package data aside), the clock or global options. A test enforces it.
"""
