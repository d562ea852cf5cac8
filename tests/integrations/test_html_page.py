"""The matrix page in a real browser: Debian's Chromium renders it headless, with no
network request, and the cells a known release must show are there."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from ddguard import knowledge
from ddguard.api import matrix_grid
from ddguard.report.html import render_matrix_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


class Cells(HTMLParser):
    """(platform section id, ddtrace line, column header) -> (class, text, title)."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.headers: List[str] = []
        self.row: List[Tuple[str, str, str]] = []
        self.row_name = ""
        self.cells: Dict[Tuple[str, str, str], Tuple[str, str, str]] = {}
        self._current: Dict[str, str] = {}
        self._tag = ""
        self._text = ""

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "h2":
            self.section = found.get("id", "")
        if tag == "thead":
            self.headers = []
        if tag in ("th", "td"):
            self._tag, self._current, self._text = tag, found, ""
        if tag == "tr":
            self.row, self.row_name = [], ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            if not self.row_name and self._text.endswith(".x"):
                self.row_name = self._text
            else:
                self.headers.append(self._text)
        if tag == "td":
            self.row.append((self._current.get("class", ""), self._text, self._current.get("title", "")))
        if tag == "tr" and self.row_name:
            for header, cell in zip(self.headers[1:], self.row):
                self.cells[(self.section, self.row_name, header)] = cell


def page_requests(tmp_path: Path, page: Path, name: str) -> List[str]:
    """The URLs the page itself asked for (not Chromium's own background requests), from
    Chromium's net log, while it renders a screenshot."""
    screenshot = tmp_path / f"{name}.png"
    netlog = tmp_path / f"{name}-net.json"
    shot = chromium(
        tmp_path / f"profile-{name}",
        "--window-size=1400,2400",
        f"--screenshot={screenshot}",
        f"--log-net-log={netlog}",
        page.as_uri(),
    )
    assert screenshot.is_file() and screenshot.stat().st_size > 1_000, shot.stderr
    text = netlog.read_text(encoding="utf-8").rstrip().rstrip(",")
    log = json.loads(text if text.endswith("}") else text + "]}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event.get("type") == start
        and "site=file://" in event.get("params", {}).get("site_for_cookies", "")
        and not event["params"].get("url", "").startswith("file:")
    ]


def test_the_request_check_catches_a_page_that_loads_something(tmp_path: Path) -> None:
    page = tmp_path / "external.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>')
    assert page_requests(tmp_path, page, "external") == ["http://example.invalid/x.png"]


def test_the_matrix_page_renders_without_requests_and_shows_known_cells(tmp_path: Path) -> None:
    page = tmp_path / "matrix.html"
    page.write_text(render_matrix_html(*matrix_grid()), encoding="utf-8")
    assert page_requests(tmp_path, page, "matrix") == []
    assert (tmp_path / "matrix.png").stat().st_size > 20_000
    dom = chromium(tmp_path / "profile-b", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    parser = Cells()
    parser.feed(dom.stdout)
    db = knowledge.load()
    newest_1x = max(r.version for r in db.releases if r.version.major == 1 and not r.yanked and not r.version.is_prerelease)
    klass, text, title = parser.cells[("manylinux_x86_64", "1.x", "CPython 3.12")]
    assert klass == "incompatible" and text == "✗"
    assert f"ddtrace {newest_1x}" in title and "release line 1.x" in title and "Fix: " in title
    klass, text, _ = parser.cells[("manylinux_x86_64", "1.x", "CPython 3.11")]
    assert (klass, text) == ("compatible", str(newest_1x))
    klass, _, _ = parser.cells[("win32", "2.x", "CPython 3.12")]
    assert klass == "compatible"
    assert len(parser.cells) == len(db.lines) * 8 * len(db.cpython_minors)


def test_a_check_page_renders_the_results(tmp_path: Path) -> None:
    import contextlib
    import io

    from ddguard.cli import main

    page = tmp_path / "check.html"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["check", "ddtrace==1.20.19", "--target", "cp312-manylinux_x86_64", "--format", "html"])
    assert code == 1
    page.write_text(buffer.getvalue(), encoding="utf-8")
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert re.search(r'<td class="incompatible">incompatible</td>', dom.stdout)
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in dom.stdout
