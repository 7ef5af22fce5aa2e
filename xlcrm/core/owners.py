"""One rule for telling whether two sales owner names are the same person.

The Customers sheet, the Owners table on the Settings sheet and a ``--owner``
option are typed by different people: "Alice  Morgan" (two spaces, invisible
on screen), " alice morgan" and "Ａｌｉｃｅ Morgan" (full-width letters from a
Chinese input method) are all one owner. :func:`owner_key` is the rule;
the key summary, the brief's owner filter and agenda, mail planning and the
command line all match owners through it.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

__all__ = ["owner_key", "owner_keys", "owner_spellings"]


def owner_key(name: object) -> str:
    """The matching key of an owner name.

    Unicode NFKC normalisation (full-width letters and spaces become plain
    ones), case folding, whitespace runs collapsed to one space and the ends
    stripped: ``owner_key(" Alice  MORGAN ") == "alice morgan"``.
    """
    return " ".join(unicodedata.normalize("NFKC", str(name)).casefold().split())


def owner_keys(owners: pd.Series) -> pd.Series:
    """:func:`owner_key` of every cell; a missing or blank cell gives ``<NA>``.

    Parameters
    ----------
    owners
        Owner names as written (any dtype).

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index.
    """
    text = owners.astype("string")
    # a sales team has few owners: the rule runs once per distinct name
    codes, names = pd.factorize(text, use_na_sentinel=True)
    unique = pd.Series(names, dtype="string")
    keys = unique.str.normalize("NFKC").str.casefold().str.split().str.join(" ")
    keys = keys.astype("string").mask(keys == "")
    out = pd.Series(pd.array([pd.NA] * len(text), dtype="string"), index=owners.index)
    found = codes >= 0
    out[found] = keys.to_numpy()[codes[found]]
    return out


def owner_spellings(owners: pd.Series) -> dict[str, str]:
    """``{key: name}``: each owner once, as first written (whitespace collapsed), in order."""
    keys = owner_keys(owners)
    text = owners.astype("string")
    codes, names = pd.factorize(text, use_na_sentinel=True)
    if not len(names):
        return {}
    collapsed = pd.Series(names, dtype="string").str.split().str.join(" ")
    shown = pd.Series(collapsed.to_numpy(dtype=object)[codes], index=owners.index, dtype="string")
    shown[codes < 0] = pd.NA
    first = pd.DataFrame({"key": keys, "shown": shown}).dropna().drop_duplicates("key")
    return dict(zip(first["key"].tolist(), first["shown"].tolist(), strict=True))
