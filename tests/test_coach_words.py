"""The coach's words on a real page: every sentence said once, and in the runner's own units."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask import Flask

from recovery.ingest import ingest_bytes
from recovery.synthetic import make_run, to_fit
from tests.conftest import NOW


class ListItems(HTMLParser):
    """The text of every <li> on a page: where the reasons and notes are."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self._depth += 1
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.items[-1] += data


def said_on(page: str) -> list[str]:
    parser = ListItems()
    parser.feed(page)
    text = [" ".join(item.split()) for item in parser.items]
    return [s for t in text for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) > 3]


@pytest.mark.parametrize("minutes", [25, 70, 140])
def test_no_sentence_is_said_twice_on_todays_page_after_a_fresh_run(app: Flask, minutes: int) -> None:
    store = app.extensions["recovery.store"]
    run = make_run(3, NOW - timedelta(minutes=minutes + 30), duration_s=minutes * 60, interval_s=5)
    ingest_bytes(store, to_fit(run), "fresh.fit", now=NOW)
    page = app.test_client().get("/").get_data(as_text=True)
    said = said_on(page)
    assert len(said) > 5
    assert len(said) == len(set(said)), sorted({s for s in said if said.count(s) > 1})
