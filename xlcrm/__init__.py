"""xlcrm: customer value, lifecycle tiers and sales follow-ups for Excel workbooks."""

from xlcrm.core.errors import XlcrmError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

__version__ = "0.1.0"

__all__ = ["DEFAULT_SETTINGS", "Settings", "XlcrmError", "__version__"]
