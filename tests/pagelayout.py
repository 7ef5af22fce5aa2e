"""Page layout rules of a PDF, read from WeasyPrint's layout boxes.

:func:`layout_problems` lays an HTML document out with WeasyPrint and walks
each page's box tree (``document.pages[i]._page_box``) in document order:

* **near-empty page**: the content ends in the top 40 % of the page's content
  area (more than 60 % blank), on any page but the last;
* **stranded heading**: a page's last heading (``h1``-``h4``) has nothing after
  it on that page but headings and introductory text (``p.intro``), so the
  heading sits at the foot of the page without the rows it introduces;
* **split row**: one table row (``<tr>``) is drawn on two pages;
* **broken name**: a customer name (``span.cname``) breaks inside a word
  (a CJK name has no spaces, so any break is inside it).

The boxes are WeasyPrint's private API (it has no public one for this); a
change of it shows here as an error, not as a silently passing test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
BLANK_LIMIT = 0.6


@dataclass(frozen=True)
class Item:
    """A piece of drawn content: a line of text, an image or a table row."""

    kind: str  # "line", "image", "row"
    element: Any  # the DOM element of the box
    tags: tuple[str, ...]  # tags of the element's ancestors, the element last
    classes: frozenset[str]  # classes of the element and its ancestors
    bottom: float


def _walk(box: Any, path: tuple[Any, ...]) -> Iterator[Item]:
    from weasyprint.formatting_structure import boxes

    element = getattr(box, "element", None)
    if element is not None and (not path or path[-1] is not element):
        path = (*path, element)
    tags = tuple(str(e.tag) for e in path)
    classes = frozenset(c for e in path for c in (e.get("class") or "").split())
    bottom = box.position_y + box.margin_height()
    if isinstance(box, boxes.TableRowBox):
        yield Item("row", element, tags, classes, bottom)
    if isinstance(box, boxes.LineBox):
        yield Item("line", element, tags, classes, bottom)
        return
    if isinstance(box, boxes.ReplacedBox) or (tags and tags[-1] == "svg"):
        yield Item("image", element, tags, classes, bottom)
        return
    for child in getattr(box, "children", ()):
        yield from _walk(child, path)


def page_items(document: Any) -> list[list[Item]]:
    """The drawn items of each page, in document order."""
    from weasyprint.formatting_structure import boxes

    out = []
    for page in document.pages:
        content = [c for c in page._page_box.children if not isinstance(c, boxes.MarginBox)]
        out.append([item for c in content for item in _walk(c, ()) if item.tags])
    return out


def used_fraction(page: Any, items: list[Item]) -> float:
    """How much of the page's content area, from its top, holds content."""
    box = page._page_box
    top = box.content_box_y()
    bottom = max((i.bottom for i in items if i.kind != "row"), default=top)
    return (bottom - top) / box.height


def _stranded(items: list[Item]) -> Item | None:
    heads = [k for k, i in enumerate(items) if i.kind == "line" and i.tags[-1] in HEADINGS]
    if not heads:
        return None
    last = heads[-1]
    after = items[last + 1 :]
    body = [
        i
        for i in after
        if not (i.kind == "line" and (i.tags[-1] in HEADINGS or "intro" in i.classes))
        and not (i.kind == "row" and "thead" in i.tags)
    ]
    return items[last] if not body else None


def _name_lines(box: Any, out: dict[int, dict[int, str]], texts: dict[int, str]) -> None:
    """For each ``span.cname`` element: the text it has in each line box, in order."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.LineBox):
        for inner in box.descendants():
            element = getattr(inner, "element", None)
            if (
                isinstance(inner, boxes.TextBox)
                and element is not None
                and "cname" in (element.get("class") or "").split()
            ):
                parts = out.setdefault(id(element), {})
                parts[id(box)] = parts.get(id(box), "") + inner.text
                texts[id(element)] = "".join(element.itertext())
        return
    for child in getattr(box, "children", ()):
        _name_lines(child, out, texts)


def layout_problems(html: str, base_url: str | None = None) -> list[str]:
    """Every breach of the rules above, as one line each (empty: the layout is fine)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    pages = page_items(document)
    problems = []
    seen_rows: dict[int, int] = {}
    for n, (page, items) in enumerate(zip(document.pages, pages, strict=True), start=1):
        used = used_fraction(page, items)
        if n < len(pages) and used < 1 - BLANK_LIMIT:
            problems.append(f"page {n}: {1 - used:.0%} blank")
        stranded = _stranded(items)
        if stranded is not None:
            text = "".join(stranded.element.itertext()).strip()
            problems.append(f"page {n}: heading {text!r} ends the page")
        for item in items:
            if item.kind != "row" or "thead" in item.tags:  # headers repeat on purpose
                continue
            key = id(item.element)
            if key in seen_rows and seen_rows[key] != n:
                text = " ".join("".join(item.element.itertext()).split())[:60]
                problems.append(f"page {n}: table row split from page {seen_rows[key]}: {text!r}")
            seen_rows.setdefault(key, n)
    lines: dict[int, dict[int, str]] = {}
    names: dict[int, str] = {}
    for page in document.pages:
        _name_lines(page._page_box, lines, names)
    for key, parts in lines.items():
        rejoined = " ".join(part.strip() for part in parts.values())
        if len(parts) > 1 and rejoined != " ".join(names[key].split()):
            problems.append(f"name {names[key]!r} broken inside a word: {list(parts.values())}")
    return problems


def page_count(html: str, base_url: str | None = None) -> int:
    from weasyprint import HTML

    return len(HTML(string=html, base_url=base_url).render().pages)
