"""xlcrm: customer value, lifecycle tiers and sales follow-ups for Excel workbooks."""

import pandas as _pd

from xlcrm.core.errors import XlcrmError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

# pandas 3 keeps text in PyArrow whenever PyArrow is installed (xlcrm needs it for
# Parquet and DuckDB). Python storage reads workbooks twice as fast (measured on
# the 1M-order benchmark book) and is what every part of xlcrm was written for.
_pd.set_option("mode.string_storage", "python")

__version__ = "0.1.0"

__all__ = ["DEFAULT_SETTINGS", "Settings", "XlcrmError", "__version__"]
