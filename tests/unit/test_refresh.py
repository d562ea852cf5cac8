"""Which index a refresh reads (pip's configuration files read as data, never pip run),
credentials (Basic auth, redacted everywhere), CA bundle, bounds. No network: a
``file://`` index on disk stands for a remote one."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from index_documents import encoded, index_document

from ddguard import knowledge
from ddguard.errors import DatabaseError
from ddguard.knowledge import pipconfig, refresh, store
from ddguard.knowledge.refresh import IndexOrigin

SECRET = "s3cr3t-T0ken"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home, no pip configuration anywhere but where a test writes it."""
    for name in list(os.environ):
        if name.startswith(("PIP_", "DDGUARD_", "XDG_")) or name.endswith("CA_BUNDLE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(pipconfig, "_ETC", str(tmp_path / "etc"))
    (tmp_path / "home").mkdir()
    yield tmp_path
    knowledge.load.cache_clear()


def choose(home: Path, **env: str):
    """choose_index on Linux with this environment and sys.prefix in ``home/venv``."""
    environ = {k: v for k, v in os.environ.items()}
    environ.update(env)
    return refresh.choose_index(environ=environ, platform="linux", prefix=str(home / "venv"))


def config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- which index ------------------------------------------------------------------------


def test_without_configuration_the_index_is_pypi(home):
    index = choose(home)
    assert (index.url, index.origin) == ("https://pypi.org/simple", IndexOrigin.DEFAULT)
    assert index.json_url == "https://pypi.org/pypi/ddtrace/json"


def test_environment_variables_come_before_the_files(home):
    config(
        home / "home/.config/pip/pip.conf", "[global]\nindex-url = https://files.example/simple\n"
    )
    assert choose(home).origin is IndexOrigin.PIP_CONFIG
    index = choose(home, PIP_INDEX_URL="https://pip.example/simple")
    assert (index.url, index.origin) == ("https://pip.example/simple", IndexOrigin.PIP_INDEX_URL)
    index = choose(
        home,
        PIP_INDEX_URL="https://pip.example/simple",
        DDGUARD_INDEX_URL="https://dd.example/simple",
    )
    assert (index.url, index.origin) == ("https://dd.example/simple", IndexOrigin.DDGUARD_INDEX_URL)


def test_pip_files_override_in_pips_order(home):
    """global < user (legacy < current) < site < PIP_CONFIG_FILE; [install] over [global]."""
    files = {
        "xdg": home / "etc-xdg/pip/pip.conf",
        "etc": home / "etc/pip.conf",
        "legacy": home / "home/.pip/pip.conf",
        "user": home / "home/.config/pip/pip.conf",
        "site": home / "venv/pip.conf",
    }
    for name, path in files.items():
        config(path, f"[global]\nindex-url = https://{name}.example/simple\n")
        index = choose(home)
        assert index.url == f"https://{name}.example/simple" and index.config_file == str(path)
    config(files["xdg"], "[install]\nindex-url = https://install.example/simple\n")
    assert choose(home).url == "https://install.example/simple"  # a command's section wins
    explicit = config(
        home / "explicit.conf", "[global]\nindex_url = https://explicit.example/simple\n"
    )
    assert choose(home, PIP_CONFIG_FILE=str(explicit)).url == "https://install.example/simple"
    config(files["xdg"], "[global]\n")
    assert choose(home, PIP_CONFIG_FILE=str(explicit)).url == "https://explicit.example/simple"
    assert choose(home, PIP_CONFIG_FILE=os.devnull).origin is IndexOrigin.DEFAULT


def test_pip_config_file_skips_the_user_files_as_pip_does(home):
    config(
        home / "home/.config/pip/pip.conf", "[global]\nindex-url = https://user.example/simple\n"
    )
    explicit = config(home / "explicit.conf", "[global]\ntimeout = 7\n")
    assert choose(home, PIP_CONFIG_FILE=str(explicit)).origin is IndexOrigin.DEFAULT
    assert (
        choose(home, PIP_CONFIG_FILE=str(home / "missing.conf")).url
        == "https://user.example/simple"
    )


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        (
            "win32",
            ["C:/ProgramData/pip/pip.ini", "~/pip/pip.ini", "C:/AppData/pip/pip.ini", "P/pip.ini"],
        ),
        (
            "darwin",
            [
                "/Library/Application Support/pip/pip.conf",
                "~/.pip/pip.conf",
                "~/.config/pip/pip.conf",
                "P/pip.conf",
            ],
        ),
        (
            "linux",
            [
                "/etc/xdg/pip/pip.conf",
                "/etc/pip.conf",
                "~/.pip/pip.conf",
                "~/.config/pip/pip.conf",
                "P/pip.conf",
            ],
        ),
    ],
)
def test_the_files_pip_documents_for_each_system(home, platform, expected, monkeypatch):
    monkeypatch.setattr(pipconfig, "_ETC", "/etc")
    environ = {"ProgramData": "C:/ProgramData", "APPDATA": "C:/AppData"}
    found = pipconfig.config_files(environ, platform, "P")
    homedir = os.path.expanduser("~")
    assert [f.replace(homedir, "~").replace(os.sep, "/") for f in found] == expected


def test_unreadable_pip_configuration_is_one_line_naming_the_file(home):
    broken = config(home / "home/.config/pip/pip.conf", "index-url = https://x\nSECRETLINE\n")
    with pytest.raises(DatabaseError) as caught:
        choose(home)
    message = str(caught.value)
    assert str(broken) in message and "line 1" in message and "SECRETLINE" not in message
    os.unlink(broken)
    os.mkfifo(broken)
    with pytest.raises(DatabaseError, match="not a regular file"):
        choose(home)


def test_a_pip_package_in_the_project_never_runs(home, monkeypatch):
    project = home / "project"
    (project / "pip").mkdir(parents=True)
    marker = home / "ran"
    (project / "pip" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (project / "pip" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    pip = sys.modules.pop("pip", None)
    try:
        index = refresh.choose_index()
        assert index.origin is IndexOrigin.DEFAULT
    finally:
        sys.modules.pop("pip", None)
        if pip is not None:
            sys.modules["pip"] = pip
    assert not marker.exists()


@pytest.mark.parametrize(
    "url", ["ftp://index.example/simple", "index.example/simple", "javascript:x"]
)
def test_an_index_url_ddguard_cannot_read_is_refused(home, url):
    with pytest.raises(DatabaseError, match="not an http, https or file URL"):
        choose(home, DDGUARD_INDEX_URL=url)


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown", "clean"),
    [
        ("https://user:tok@host/simple", "https://user:***@host/simple", "https://host/simple"),
        ("https://tok@host/simple", "https://***@host/simple", "https://host/simple"),
        ("https://u:p@ss/w@host:8443/s", "https://u:***@host:8443/s", "https://host:8443/s"),
        ("https://u:a?b#c@host/s", "https://u:***@host/s", "https://host/s"),
        ("https://host/simple?x=a@b", "https://***@b", "https://b"),  # write %40 there
        ("https://host/simple", "https://host/simple", "https://host/simple"),
    ],
)
def test_redaction_and_the_url_urllib_sees(url, shown, clean):
    assert refresh.redact(url) == shown
    assert refresh.split_credentials(url)[0] == clean


@given(
    user=st.text(
        st.characters(blacklist_characters="@:/?#", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=8,
    ),
    password=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
)
def test_a_password_never_survives_redaction(user, password):
    secret = f"PW{password}PW"
    url = f"https://{user}:{secret}@index.example/simple"
    assert secret not in refresh.redact(url)
    assert secret not in refresh.split_credentials(url)[0]


def test_credentials_are_sent_as_basic_auth_percent_decoded(home):
    index = choose(home, DDGUARD_INDEX_URL="https://al%40ice:p%3Ass@host/simple")
    assert index.url == "https://host/simple" and index.shown == "https://al%40ice:***@host/simple"
    assert index.credentials is not None
    decoded = base64.b64decode(index.credentials.header().split()[1]).decode()
    assert decoded == "al@ice:p:ss"
    assert "p:ss" not in repr(index) and "p%3Ass" not in repr(index)


def _file_index(root: Path, document=None) -> str:
    """A ``file://`` index (``root/simple``) whose JSON API serves ``document``."""
    api = root / "pypi" / "ddtrace"
    api.mkdir(parents=True, exist_ok=True)
    if document is not None:
        (api / "json").write_bytes(encoded(document))
    return root.as_uri() + "/simple"


def test_credentials_never_appear_in_a_message_a_result_or_the_stored_copy(home):
    simple = _file_index(home / "index", index_document())
    url = simple.replace("file://", f"file://alice:{SECRET}@")
    result = store.update(environ={"DDGUARD_INDEX_URL": url})
    stored = Path(result.path).read_text("utf-8")
    state = store.status()
    for text in (repr(result), stored, repr(state), repr(knowledge.load().info)):
        assert SECRET not in text
    assert result.index_used.url == simple.replace("file://", "file://alice:***@")
    assert result.index_used.origin is IndexOrigin.DDGUARD_INDEX_URL

    (home / "index/pypi/ddtrace/json").write_bytes(b"<html>" + SECRET.encode())
    missing = url.replace("/index/", "/nowhere/")
    for bad in (url, missing, url.replace("file://", "ftp://")):
        with pytest.raises(DatabaseError) as caught:
            store.update(environ={"DDGUARD_INDEX_URL": bad})
        assert SECRET not in str(caught.value) and "alice:***@" in str(caught.value)


def test_errors_quoting_a_secret_are_scrubbed(home):
    index = choose(home, DDGUARD_INDEX_URL=f"https://alice:{SECRET}@host/simple")
    assert refresh.scrub(f"bad token {SECRET} for alice", index) == "bad token *** for alice"


# --- CA bundle, timeout, size ------------------------------------------------------------------


def test_ca_bundle_and_timeout_come_from_pip(home):
    conf = config(
        home / "home/.config/pip/pip.conf", "[global]\ncert = /conf/ca.pem\ntimeout = 12\n"
    )
    index = choose(home)
    assert (index.cert, index.cert_origin, index.timeout) == ("/conf/ca.pem", str(conf), 12.0)
    index = choose(home, PIP_CERT="/env/ca.pem", PIP_DEFAULT_TIMEOUT="99")
    assert (index.cert, index.cert_origin, index.timeout) == ("/env/ca.pem", "PIP_CERT", 99.0)
    os.unlink(conf)
    index = choose(home, REQUESTS_CA_BUNDLE="/requests/ca.pem", PIP_TIMEOUT="nonsense")
    assert (index.cert, index.cert_origin) == ("/requests/ca.pem", "REQUESTS_CA_BUNDLE")
    assert index.timeout == refresh.DEFAULT_TIMEOUT


def test_a_missing_ca_bundle_is_one_line_naming_it(home, tmp_path):
    index = choose(
        home, DDGUARD_INDEX_URL="https://host/simple", PIP_CERT=str(tmp_path / "none.pem")
    )
    with pytest.raises(
        DatabaseError, match=r"cannot use the CA bundle .*none\.pem \(from PIP_CERT\)"
    ):
        refresh.fetch(index)


class _Response(io.BytesIO):
    def __init__(self, data: bytes, length=None):
        super().__init__(data)
        self.headers = {} if length is None else {"Content-Length": str(length)}


@pytest.mark.parametrize("size", [0, 1, 1000, 4096])
def test_a_response_is_read_up_to_its_bound(size):
    assert refresh.read_bounded(_Response(b"x" * size), 4096) == b"x" * size


@pytest.mark.parametrize(("size", "length"), [(4097, None), (10, 10**9)])
def test_a_response_past_its_bound_is_refused(size, length):
    with pytest.raises(DatabaseError, match="accepted"):
        refresh.read_bounded(_Response(b"x" * size, length), 4096)


def test_a_file_index_is_fetched_without_the_network(home):
    _file_index(home / "index", {"releases": {}})
    index = choose(home, DDGUARD_INDEX_URL=(home / "index").as_uri() + "/simple/")
    assert json.loads(refresh.fetch(index)) == {"releases": {}}
