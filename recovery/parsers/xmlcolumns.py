"""One value per track point, read from a whole XML tree by XPath in C instead of a Python call per element.

The GPX and TCX readers walk the tree element by element (`recovery.parsers.xmlsafe.Walk`),
which is most of their time for an ordinary file. For the track points they can instead ask
libxml2 for a column at once, when the column lines up with the points: every point holds the
value, or none does. (libxml2 merges the node sets of an XPath union pairwise, so a union of
the points and their values, which would line up any column, costs the square of its size.)
Where columns need not line up (TCX: a point before the first fix has no position), `Table`
has libxslt write out each point's values as tab-separated text, in one pass over the tree.
A column holds exactly what the walk reads (an element's `.text` is its first child node when
that node is text, `FIRST_TEXT`), and tests/test_xml_fast.py holds the two readings equal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from lxml import etree

#: An element's `.text` in XPath: its first child node, when that is a text node.
FIRST_TEXT = "node()[1][self::text()]"


class Column:
    """The text at `value` (an XPath from a point to text nodes) for each point found at `points`.

    Called on a tree with the number of points, it answers one text for each point, None for
    each when no point has one, or None in place of the list when the column does not line up
    (some points have a value and some do not): the walk reads those. `value` must find at
    most one text in a point (a `[1]` on each step).
    """

    def __init__(self, points: str, value: str) -> None:
        self._values = etree.XPath(f"{points}/{value}", smart_strings=False)

    def __call__(self, root: etree._Element, count: int) -> list[str] | list[None] | None:
        values = self._values(root)
        if not values:
            return [None] * count
        if len(values) != count:
            return None
        return values


class Table:
    """The texts at `values` (XPaths from a point) for each point at `points`, written out by libxslt.

    Each value is written followed by a tab, an empty field where a point has none: aligned
    whatever each point holds, in one pass in C (about 5 µs a point for seven values). Called
    on a tree it answers one column per value, or None when a value held a tab itself, which
    would shift the fields (the walk reads those).
    """

    def __init__(self, points: str, values: Sequence[str], namespaces: Mapping[str, str]) -> None:
        declared = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())
        fields = "".join(f'<xsl:value-of select="{value}"/><xsl:text>&#9;</xsl:text>' for value in values)
        stylesheet = (
            f'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"{declared}>'
            '<xsl:output method="text" encoding="utf-8"/><xsl:template match="/">'
            f'<xsl:for-each select="{points}">{fields}</xsl:for-each>'
            "</xsl:template></xsl:stylesheet>"
        )
        # The stylesheet is ours and reads nothing but the tree it is given: no file, no network.
        self._write = etree.XSLT(etree.XML(stylesheet), access_control=etree.XSLTAccessControl.DENY_ALL)
        self._width = len(values)

    def __call__(self, root: etree._Element, count: int) -> list[list[str]] | None:
        fields = str(self._write(root)).split("\t")
        if len(fields) != count * self._width + 1:  # the last tab ends the last field
            return None
        return [fields[column : -1 : self._width] for column in range(self._width)]


#: Times as almost every app writes them (one a line; an empty line for a point without one).
_ORDINARY_TIMES = re.compile(r"(?:(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z)?\n)*\Z")


def ordinary_times(texts: Sequence[str | None]) -> list[datetime | None] | None:
    """A column of times read by datetime.fromisoformat, None for no text; or None unless all are ordinary.

    Ordinary is `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` and a real day and hour, which both readers'
    own time functions read to the same UTC datetime; for anything else they read each text.
    """
    if not _ORDINARY_TIMES.match("\n".join([text or "" for text in texts]) + "\n"):
        return None
    try:
        return [datetime.fromisoformat(text) if text else None for text in texts]
    except ValueError:  # a day or an hour that does not exist
        return None


def numbers(texts: Sequence[str]) -> list[float | None]:
    """Each text as a finite number, None for no text ("") or no finite number; at once when all are numbers."""
    try:
        values: list[float | None] = (
            [float(text) if text else None for text in texts] if "" in texts else list(map(float, texts))
        )
    except ValueError:
        return [_number(text) for text in texts]
    if math.isfinite(sum(filter(None, values))):  # an inf or a NaN among them would make the sum one
        return values
    return [number if number is None or math.isfinite(number) else None for number in values]


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
