"""Fetching ddtrace's release metadata from the package index: ddguard's only network code.

Which index: ``DDGUARD_INDEX_URL``, else ``PIP_INDEX_URL``, else the ``index-url`` of pip's
configuration files (read as data, :mod:`ddguard.knowledge.pipconfig`), else PyPI. Its
JSON API (``<root>/pypi/ddtrace/json``) is read with urllib:

* credentials in the URL (``https://user:token@host/simple``) are sent as HTTP Basic auth
  (urllib ignores ``user:pass@``), never to another host a redirect names, and are
  redacted (``https://user:***@host/simple``) in every message, error and stored source;
* the CA bundle is pip's: ``PIP_CERT``, pip's ``cert``, ``REQUESTS_CA_BUNDLE``,
  ``CURL_CA_BUNDLE``, else the system's;
* every read has a timeout (pip's ``timeout`` when set) and the response a size bound.
"""

from __future__ import annotations

import enum
import os
import sys
from typing import Any, Callable, List, Mapping, Optional, Tuple

from ddguard.errors import DatabaseError
from ddguard.knowledge import pipconfig
from ddguard.record import Record

PROJECT = "ddtrace"
PYPI = "https://pypi.org/simple"
DEFAULT_TIMEOUT = 30.0
MAX_RESPONSE_BYTES = 192 * 1024 * 1024  # ddtrace's document is tens of MB; a bound, not a fit
_SCHEMES = ("https", "http", "file")


class IndexOrigin(str, enum.Enum):
    ARGUMENT = "argument"  # given to the function (a caller's --index-url)
    DDGUARD_INDEX_URL = "DDGUARD_INDEX_URL"
    PIP_INDEX_URL = "PIP_INDEX_URL"
    PIP_CONFIG = "pip-config"  # ``config_file`` names the file
    DEFAULT = "default"  # PyPI


class Credentials:
    """A user name and password for HTTP Basic auth; never shown."""

    __slots__ = ("_password", "_username")

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    def __repr__(self) -> str:
        return "Credentials(***)"

    def header(self) -> str:
        import base64

        token = f"{self._username}:{self._password}".encode()
        return "Basic " + base64.b64encode(token).decode("ascii")

    def secrets(self) -> Tuple[str, ...]:
        """The texts that must never appear in a message: the password, or the user name
        when it comes alone (then it is a token)."""
        secret = self._password or self._username
        return (secret,) if len(secret) >= 3 else ()


class Index(Record):
    """The package index a refresh reads, and how it reads it."""

    url: str  # the simple URL without credentials
    shown: str  # the simple URL as configured, credentials redacted
    origin: IndexOrigin
    config_file: Optional[str]  # the pip configuration file naming it (PIP_CONFIG)
    credentials: Optional[Credentials]
    cert: Optional[str]  # CA bundle file or directory; None: the system's
    cert_origin: Optional[str]  # "PIP_CERT", "REQUESTS_CA_BUNDLE", or a config file
    timeout: float

    @property
    def json_url(self) -> str:
        """``<root>/pypi/ddtrace/json`` of a ``<root>/simple`` index (credentials stripped)."""
        return json_url(self.url)


def json_url(simple_url: str, project: str = PROJECT) -> str:
    root = simple_url.rstrip("/")
    if root.endswith("/simple"):
        root = root[: -len("/simple")]
    return f"{root}/pypi/{project}/json"


def choose_index(
    index_url: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    *,
    platform: str = sys.platform,
    prefix: str = sys.prefix,
) -> Index:
    """The index a refresh reads: ``index_url``, ``$DDGUARD_INDEX_URL``, ``$PIP_INDEX_URL``,
    pip's configured ``index-url``, else PyPI. DatabaseError for a URL ddguard cannot read."""
    env = os.environ if environ is None else environ
    config = None  # read only when an environment variable does not decide
    file: Optional[str] = None
    if index_url:
        chosen, origin = index_url, IndexOrigin.ARGUMENT
    elif env.get("DDGUARD_INDEX_URL"):
        chosen, origin = env["DDGUARD_INDEX_URL"], IndexOrigin.DDGUARD_INDEX_URL
    elif env.get("PIP_INDEX_URL"):
        chosen, origin = env["PIP_INDEX_URL"], IndexOrigin.PIP_INDEX_URL
    else:
        config = pipconfig.settings(env, platform, prefix)
        if "index-url" in config:
            chosen, file = config["index-url"].value.strip(), config["index-url"].file
            origin = IndexOrigin.PIP_CONFIG
        else:
            chosen, origin = PYPI, IndexOrigin.DEFAULT
    url, credentials = split_credentials(chosen.strip())
    shown = redact(chosen.strip())
    scheme = url.partition(":")[0].lower()
    if scheme not in _SCHEMES or "://" not in url:
        raise DatabaseError(
            f"the package index {shown} ({_origin_words(origin, file)}) is not an "
            "http, https or file URL"
        )
    cert, cert_origin = _cert(env, config, platform, prefix)
    return Index(
        url=url,
        shown=shown,
        origin=origin,
        config_file=file,
        credentials=credentials,
        cert=cert,
        cert_origin=cert_origin,
        timeout=_timeout(env, config, platform, prefix),
    )


def _cert(
    env: Mapping[str, str],
    config: Optional[Mapping[str, pipconfig.Setting]],
    platform: str,
    prefix: str,
) -> Tuple[Optional[str], Optional[str]]:
    if env.get("PIP_CERT"):
        return env["PIP_CERT"], "PIP_CERT"
    if config is None:
        config = pipconfig.settings(env, platform, prefix)
    if "cert" in config:
        return config["cert"].value.strip(), config["cert"].file
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if env.get(name):
            return env[name], name
    return None, None


def _timeout(
    env: Mapping[str, str],
    config: Optional[Mapping[str, pipconfig.Setting]],
    platform: str,
    prefix: str,
) -> float:
    texts = [env.get("PIP_TIMEOUT"), env.get("PIP_DEFAULT_TIMEOUT")]
    if config is None:
        config = pipconfig.settings(env, platform, prefix)
    texts += [config[k].value for k in ("timeout", "default-timeout") if k in config]
    for text in texts:
        try:
            value = float(text or "")
        except ValueError:
            continue
        if 0 < value <= 3600:
            return value
    return DEFAULT_TIMEOUT


def _origin_words(origin: IndexOrigin, file: Optional[str]) -> str:
    if origin is IndexOrigin.PIP_CONFIG:
        return f"index-url in {file}"
    if origin is IndexOrigin.DEFAULT:
        return "pip's default"
    if origin is IndexOrigin.ARGUMENT:
        return "given"
    return str(origin.value)


# --- credentials --------------------------------------------------------------------------


def _userinfo_split(url: str) -> Tuple[str, Optional[str], str]:
    """(``scheme://``, userinfo or None, the rest). Userinfo is what precedes the last
    ``@`` of the URL: a token with an unescaped ``/``, ``?`` or ``#`` stays hidden (an
    ``@`` elsewhere in an index URL must be written ``%40``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", None, url
    at = rest.rfind("@")
    if at < 0:
        return scheme + sep, None, rest
    return scheme + sep, rest[:at], rest[at + 1 :]


def redact(url: str) -> str:
    """``https://user:token@host/simple`` -> ``https://user:***@host/simple``; a lone user
    part (often a token) becomes ``***``."""
    start, userinfo, rest = _userinfo_split(url)
    if userinfo is None:
        return url
    user, colon, _ = userinfo.partition(":")
    return f"{start}{user}:***@{rest}" if colon else f"{start}***@{rest}"


def split_credentials(url: str) -> Tuple[str, Optional[Credentials]]:
    """The URL without its userinfo, and the credentials it held (percent-decoded)."""
    from urllib.parse import unquote

    start, userinfo, rest = _userinfo_split(url)
    if userinfo is None:
        return url, None
    user, _, password = userinfo.partition(":")
    return start + rest, Credentials(unquote(user), unquote(password))


def scrub(text: str, index: Index) -> str:
    """``text`` with the index's credentials replaced, wherever an error quoted them."""
    if index.credentials is not None:
        for secret in index.credentials.secrets():
            text = text.replace(secret, "***")
    return text


# --- fetching ------------------------------------------------------------------------------

Fetch = Callable[[Index], bytes]


def fetch(index: Index, *, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The index's JSON document for ddtrace; DatabaseError naming the (redacted) index."""
    import socket
    import urllib.error
    import urllib.request

    where = f"{index.shown} ({_origin_words(index.origin, index.config_file)})"
    request = urllib.request.Request(
        index.json_url, headers={"Accept": "application/json", "User-Agent": _user_agent()}
    )
    if index.credentials is not None:
        # unredirected: a redirect to another host does not carry them
        request.add_unredirected_header("Authorization", index.credentials.header())
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_tls(index)))
    timed_out = f"the package index {where} did not answer within {index.timeout:g} s"
    try:
        with opener.open(request, timeout=index.timeout) as response:
            return read_bounded(response, limit, f"the package index {where}")
    except urllib.error.HTTPError as exc:
        hint = {
            401: ": check the credentials in the index URL",
            403: ": check the credentials in the index URL",
            404: f": the index has no JSON API for {PROJECT} (/pypi/{PROJECT}/json); "
            "use `ddguard db update --from FILE` with a saved copy",
        }.get(exc.code, "")
        message = f"the package index {where} answered HTTP {exc.code} {exc.reason}{hint}"
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, socket.timeout):
            message = timed_out
        else:
            message = f"cannot reach the package index {where}: {_reason(exc.reason)}"
    except socket.timeout:
        message = timed_out
    except (OSError, ValueError) as exc:  # ssl, http.client and socket errors
        message = f"cannot read the package index {where}: {_reason(exc)}"
    raise DatabaseError(scrub(message, index))


def read_bounded(stream: Any, limit: int, where: str = "the package index") -> bytes:
    """At most ``limit`` bytes of ``stream``; DatabaseError past it."""
    headers = getattr(stream, "headers", None)
    length = headers.get("Content-Length") if headers is not None else None
    if length and str(length).isdigit() and int(length) > limit:
        raise DatabaseError(f"{where} sent {int(length)} bytes, more than the {limit} accepted")
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise DatabaseError(f"{where} sent more than the {limit} bytes accepted")
        chunks.append(chunk)


def _tls(index: Index) -> Any:
    import ssl

    if index.cert is None:
        return ssl.create_default_context()
    try:
        if os.path.isdir(index.cert):
            return ssl.create_default_context(capath=index.cert)
        return ssl.create_default_context(cafile=index.cert)
    except (OSError, ssl.SSLError) as exc:
        raise DatabaseError(
            f"cannot use the CA bundle {index.cert} (from {index.cert_origin}): {_reason(exc)}"
        ) from None


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason) or type(reason).__name__
    return text.splitlines()[0][:200]


def _user_agent() -> str:
    from ddguard import __version__

    return f"ddguard/{__version__}"
