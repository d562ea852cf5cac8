"""``ddguard.knowledge.store.update`` against a real HTTP index on loopback: Basic auth from
the URL's credentials, never forwarded across a redirect to another host, never shown;
the size bound and the timeout on a real socket. In-process (a thread serves), no
internet: the servers listen on 127.0.0.1 and 127.0.0.2."""

from __future__ import annotations

import base64
import http.server
import json
import os
import sys
import threading
from pathlib import Path
from typing import ClassVar, Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))
from index_documents import encoded, index_document  # noqa: E402

from ddguard.errors import DatabaseError  # noqa: E402
from ddguard.knowledge import refresh, store  # noqa: E402

USER, TOKEN = "alice", "s3cr3t/T0ken?x"  # an unescaped / and ? in it, as tokens have
DOCUMENT = encoded(index_document())


class Index(http.server.BaseHTTPRequestHandler):
    """/pypi/ddtrace/json for the right Basic credentials; /redirect/ -> another host;
    /big/ sends more than the bound; /slow/ never answers."""

    seen: ClassVar[List[Tuple[str, str, str]]] = []  # (host, path, Authorization header)
    routes: ClassVar[Dict[str, str]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen.append((self.server.server_address[0], self.path, auth))
        if self.path.startswith("/slow/"):
            threading.Event().wait(3)
            return
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.routes["elsewhere"] + "/pypi/ddtrace/json")
            self.end_headers()
            return
        expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        if self.server.server_address[0] == "127.0.0.1" and auth != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.end_headers()
            return
        body = b"x" * 2048 if self.path.startswith("/big/") else DOCUMENT
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if not self.path.startswith("/big/"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(host: str) -> Tuple[http.server.ThreadingHTTPServer, str]:
    try:
        server = http.server.ThreadingHTTPServer((host, 0), Index)
    except OSError as exc:
        pytest.skip(f"cannot listen on {host}: {exc}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


@pytest.fixture
def index(tmp_path, monkeypatch) -> Iterator[str]:
    for name in list(os.environ):
        if name.startswith(("PIP_", "DDGUARD_")) or name.endswith(("_proxy", "_PROXY")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    main, url = _serve("127.0.0.1")
    other, elsewhere = _serve("127.0.0.2")
    Index.seen.clear()
    Index.routes["elsewhere"] = elsewhere
    yield url
    main.shutdown()
    other.shutdown()


def _with_credentials(url: str, password: str = TOKEN) -> str:
    return url.replace("http://", f"http://{USER}:{password}@")


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_stored(index):
    result = store.update(environ={"DDGUARD_INDEX_URL": _with_credentials(index) + "/simple"})
    assert result.changes.empty
    assert result.index_used.url == f"http://{USER}:***@{index[7:]}/simple"
    stored = Path(result.path).read_text("utf-8")
    assert TOKEN not in stored and TOKEN not in repr(result) and TOKEN not in repr(store.status())


def test_wrong_credentials_are_named_without_the_password(index):
    wrong = "wr0ng-pa55word"
    with pytest.raises(DatabaseError) as caught:
        store.update(environ={"DDGUARD_INDEX_URL": _with_credentials(index, wrong) + "/simple"})
    message = str(caught.value)
    assert "HTTP 401" in message and "check the credentials" in message
    assert wrong not in message and f"{USER}:***@" in message


def test_a_redirect_to_another_host_does_not_carry_the_credentials(index):
    store.update(environ={"DDGUARD_INDEX_URL": _with_credentials(index) + "/redirect/simple"})
    (hop, landed) = Index.seen
    assert hop[0] == "127.0.0.1" and hop[2].startswith("Basic ")
    assert landed[0] == "127.0.0.2" and landed[2] == ""


def test_a_response_past_the_bound_is_refused(index):
    chosen = refresh.choose_index(_with_credentials(index) + "/big/simple")
    with pytest.raises(DatabaseError, match="more than the 1024 bytes accepted"):
        refresh.fetch(chosen, limit=1024)


def test_a_silent_index_times_out(index):
    chosen = refresh.choose_index(_with_credentials(index) + "/slow/simple")._replace(timeout=0.5)
    with pytest.raises(DatabaseError, match=r"did not answer within 0\.5 s") as caught:
        refresh.fetch(chosen)
    assert TOKEN not in str(caught.value)


def test_the_document_served_is_the_one_stored(index):
    result = store.update(environ={"DDGUARD_INDEX_URL": _with_credentials(index) + "/simple"})
    stored = json.loads(Path(result.path).read_text("utf-8"))
    assert stored["origin"] == "index" and stored["index"] == result.index_used.url
