"""How the GPX and TCX readers ask lxml to parse: the safety settings, in one place.

No entity is expanded and no DTD loaded (the expat pre-check, `recovery.parsers.check_xml`,
has already refused any DOCTYPE), nothing is fetched from the network, no text node may
pass libxml2's size limits, and comments and processing instructions are dropped. `recover`
lets the parse go on past a namespace complaint expat never makes: each reader judges the
errors lxml logs itself, so a file expat finds well-formed is never refused for them.
"""

from __future__ import annotations

from typing import Any

ITERPARSE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "recover": True,
}
