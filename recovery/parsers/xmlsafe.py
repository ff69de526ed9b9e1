"""How the GPX and TCX readers ask lxml to parse: the safety settings and the nesting rule, in one place.

No entity is expanded and no DTD loaded (a document declaring one is refused by the expat
check, `recovery.parsers.check_xml`, before anything else is said of it), nothing is fetched
from the network, no text node may pass libxml2's size limits, and comments and processing
instructions are dropped. `recover` lets the parse go on past a namespace complaint expat
never makes: each reader judges the errors lxml logs itself, so a file expat finds
well-formed is never refused for them.

A document up to `WHOLE_TREE_CHARS` long is parsed whole and its nesting measured on the tree
in C (`too_deep`); a longer one is streamed, and `check_xml` measures its nesting as expat
reads it, one Python call per element, which was a fifth of reading a GPX file. A document
held whole goes through expat only when it gives cause (see `Walk`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any
from xml.parsers import expat

from lxml import etree

from recovery.errors import FileRejected

ITERPARSE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "recover": True,
}
#: XML nested deeper than this is refused before any library reads it: real TCX nests about 9 deep,
#: and the gpxpy reference copies extensions recursively.
MAX_XML_DEPTH = 64
#: Documents up to this length (characters of GPX text, bytes of TCX) are parsed whole: a one-hour
#: run at 1 Hz is about 1 MB, a 20-hour ultra about 16 MB, and libxml2's tree about ten times the
#: text, in each parse worker.
WHOLE_TREE_CHARS = 16 * 1024 * 1024
#: An element at depth MAX_XML_DEPTH + 1 exists: each step of the path is one level, walked in C.
_TOO_DEEP = etree.XPath("boolean(/" + "/".join(["*"] * (MAX_XML_DEPTH + 1)) + ")")


def expat_takes(snippet: bytes | str) -> bool:
    """Whether expat reads this bit of a document as XML: what a reader cut out before libxml2 saw the rest.

    A reader given `check` (see `Walk`) runs it when this answers False for what it left out
    (the XML declaration; GPX's default namespace), since libxml2 never sees those bytes.
    """
    try:
        expat.ParserCreate().Parse(snippet, True)
    except expat.ExpatError:
        return False
    return True


def held_whole(document: bytes | str) -> bool:
    """Whether the readers parse this document whole, and so measure its nesting themselves."""
    return len(document) <= WHOLE_TREE_CHARS


def whole_parser(encoding: str | None) -> etree.XMLParser:
    """A parser for a whole document, with the same safety settings as the streaming reads."""
    return etree.XMLParser(encoding=encoding, **ITERPARSE_OPTIONS)


def too_deep(root: etree._Element) -> bool:
    return bool(_TOO_DEEP(root))


def nesting_refusal(name: str) -> FileRejected:
    """The one sentence for XML nested too deep, whoever measures it."""
    return FileRejected(
        name,
        f"nests its XML more than {MAX_XML_DEPTH} levels deep (activity files need about 10); refused for safety",
    )


class Walk:
    """The end of each element of `tags`, in document order, whether the document is parsed whole or streamed.

    Parsed whole (up to WHOLE_TREE_CHARS, `whole`) its nesting is measured first and the tree is
    walked with iterwalk; longer, it is streamed with iterparse (check_xml has measured the
    nesting). After the loop, `root` and `error_log` say what the parse met. Raises
    XMLSyntaxError, or LookupError for an encoding libxml2 does not know, as the parse goes.

    `check` is `check_xml` left to a document held whole (`recovery.parsers.read_activity`):
    expat's pass over it is half the time of libxml2's parse, and in plain ASCII it refuses
    only what libxml2 stumbles on too (the two disagree on which letters beyond ASCII may
    start a name). So it runs when the document holds any other character, or the parse
    fails, logs any complaint, meets a DTD or nests too deep, before anything else is said
    of the document, and its refusal is the one it always gave; a clean document is spared it.
    (`check` reads the document once, however often it is called.)
    """

    def __init__(
        self,
        source: bytes,
        encoding: str | None,
        tags: tuple[str, ...],
        name: str,
        *,
        whole: bool,
        check: Callable[[], None] | None = None,
    ) -> None:
        self._root: etree._Element | None = None
        if whole:
            if check is not None and not source.isascii():
                check()
            parser = whole_parser(encoding)
            try:
                self._root = etree.fromstring(source, parser)
            except (etree.XMLSyntaxError, LookupError):
                if check is not None:
                    check()
                raise
            root = self._root
            deep = root is not None and too_deep(root)
            if check is not None and (
                root is None or deep or parser.error_log or root.getroottree().docinfo.internalDTD is not None
            ):
                check()
            if deep:
                raise nesting_refusal(name)
            self._events: Any = () if self._root is None else etree.iterwalk(self._root, events=("end",), tag=tags)
            self._log_of: Any = parser
        else:
            self._events = self._log_of = etree.iterparse(
                io.BytesIO(source), events=("end",), tag=tags, encoding=encoding, **ITERPARSE_OPTIONS
            )

    def __iter__(self) -> Iterator[tuple[str, etree._Element]]:
        return iter(self._events)

    @property
    def root(self) -> etree._Element | None:
        return self._root if self._root is not None else getattr(self._log_of, "root", None)

    @property
    def error_log(self) -> etree._ListErrorLog:
        return self._log_of.error_log
