"""Reading the package index for the refresh scripts: its JSON API, and the metadata of a
release's files without downloading them whole.

A wheel's ``*.dist-info/METADATA`` is read with HTTP range requests, as pip's "lazy wheel"
does: the zip's end-of-central-directory record and central directory from the end of the
file, then the one member. An sdist (small, old releases only) is downloaded and its
``PKG-INFO`` and ``*.egg-info/requires.txt`` are read. Stdlib only; never imported by the
package (``src/ddguard``), which does no network.
"""

from __future__ import annotations

import email.parser
import io
import json
import struct
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from typing import Any, Dict, List, Optional, Tuple

INDEX = "https://pypi.org"
USER_AGENT = "ddguard-refresh (https://github.com/; metadata by range requests)"
TAIL = 64 * 1024  # first read from a wheel's end: EOCD, usually the central directory too
MAX_SDIST = 4 * 1024 * 1024  # an sdist larger than this is not downloaded
RETRIES = 4


class FetchError(Exception):
    """A file or document could not be read from the index."""


def project_json_url(project: str, index: str = INDEX) -> str:
    return f"{index.rstrip('/')}/pypi/{project}/json"


def file_url(entry: Dict[str, Any], json_url: str) -> str:
    """The absolute URL of a file entry (the JSON API may give it relative to itself)."""
    return urllib.parse.urljoin(json_url, str(entry["url"]))


def _request(url: str, headers: Dict[str, str], timeout: float) -> Tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    last: Optional[BaseException] = None
    for attempt in range(RETRIES):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 500, 502, 503, 504):
                raise FetchError(f"{url}: HTTP {exc.code}") from exc
            last = exc
        except OSError as exc:  # connection reset, timeout
            last = exc
        time.sleep(1.5 * (attempt + 1))
    raise FetchError(f"{url}: {last}")


def fetch_bytes(url: str, timeout: float = 120.0) -> bytes:
    return _request(url, {}, timeout)[1]


def fetch_json(url: str) -> Tuple[Any, bytes]:
    """The decoded document and its raw bytes (for a provenance sha256)."""
    raw = _request(url, {"Accept": "application/json"}, 120.0)[1]
    return json.loads(raw.decode("utf-8")), raw


def fetch_range(url: str, start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` (exclusive) of ``url``; refuses a server ignoring ranges."""
    status, body = _request(url, {"Range": f"bytes={start}-{end - 1}"}, 60.0)
    if status != 206 or len(body) != end - start:
        raise FetchError(f"{url}: range {start}-{end} answered {status} with {len(body)} bytes")
    return body


class RangeReader:
    """The bytes of a remote file of known size, fetched by range on demand and kept."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.size = size
        self.chunks: List[Tuple[int, bytes]] = []
        self.requests = 0

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        for offset, data in self.chunks:
            if offset <= start and end <= offset + len(data):
                return data[start - offset : end - offset]
        self.requests += 1
        data = fetch_range(self.url, start, end)
        self.chunks.append((start, data))
        return data


def wheel_metadata(url: str, size: int) -> Tuple[str, int]:
    """The text of a wheel's ``.dist-info/METADATA`` and how many requests it took."""
    reader = RangeReader(url, size)
    tail_start = max(0, size - TAIL)
    tail = reader.read(tail_start, size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0:
        raise FetchError(f"{url}: no end of central directory in the last {TAIL} bytes")
    (entries, cd_size, cd_offset) = struct.unpack("<HII", tail[at + 10 : at + 20])
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if cd_offset == 0xFFFFFFFF or entries == 0xFFFF or (locator >= 0 and locator == at - 20):
        (eocd64,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        record = reader.read(eocd64, eocd64 + 56)
        if record[:4] != b"PK\x06\x06":
            raise FetchError(f"{url}: bad zip64 end of central directory")
        cd_size, cd_offset = struct.unpack("<QQ", record[40:56])
    directory = reader.read(cd_offset, cd_offset + cd_size)
    pos = 0
    while pos + 46 <= len(directory) and directory[pos : pos + 4] == b"PK\x01\x02":
        (method, _, _, _, csize, usize, nlen, xlen, clen) = struct.unpack(
            "<HHHIIIHHH", directory[pos + 10 : pos + 34]
        )
        (local,) = struct.unpack("<I", directory[pos + 42 : pos + 46])
        name = directory[pos + 46 : pos + 46 + nlen].decode("utf-8", "replace")
        extra = directory[pos + 46 + nlen : pos + 46 + nlen + xlen]
        pos += 46 + nlen + xlen + clen
        parts = name.split("/")
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
            if 0xFFFFFFFF in (csize, usize, local):
                csize, local = _zip64_sizes(extra, usize, csize, local)
            header = reader.read(local, local + 30)
            if header[:4] != b"PK\x03\x04":
                raise FetchError(f"{url}: bad local header for {name}")
            lnlen, lxlen = struct.unpack("<HH", header[26:30])
            start = local + 30 + lnlen + lxlen
            data = reader.read(start, start + csize)
            if method == 8:
                data = zlib.decompressobj(-15).decompress(data)
            elif method != 0:
                raise FetchError(f"{url}: {name} uses zip method {method}")
            return data.decode("utf-8"), reader.requests
    raise FetchError(f"{url}: no .dist-info/METADATA in the central directory")


def _zip64_sizes(extra: bytes, usize: int, csize: int, local: int) -> Tuple[int, int]:
    """Compressed size and local header offset from a zip64 extra field, which holds
    (in this order) only the values that overflowed their 32-bit fields."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[pos : pos + 4])
        if kind == 1:
            values = list(struct.unpack("<%dQ" % (length // 8), extra[pos + 4 : pos + 4 + length]))
            if usize == 0xFFFFFFFF:
                values.pop(0)
            if csize == 0xFFFFFFFF:
                csize = values.pop(0)
            if local == 0xFFFFFFFF:
                local = values.pop(0)
            return csize, local
        pos += 4 + length
    raise FetchError("zip64 sizes missing")


def sdist_requirements(url: str, size: int, limit: int = MAX_SDIST) -> Tuple[List[str], str]:
    """Requires-Dist of an sdist: from ``PKG-INFO`` when it lists them (metadata 2.x),
    otherwise from ``*.egg-info/requires.txt`` translated to Requires-Dist form.
    Returns the lines and which member they came from."""
    if size > limit:
        raise FetchError(f"{url}: sdist of {size} bytes is larger than {limit}")
    raw = fetch_bytes(url)
    members: Dict[str, bytes] = {}
    if url.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            for name in archive.namelist():
                if _wanted_sdist_member(name):
                    members[name] = archive.read(name)
    else:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:*") as archive:
            for member in archive.getmembers():
                if member.isfile() and _wanted_sdist_member(member.name):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        members[member.name] = handle.read()
    pkg_info = [n for n in members if n.count("/") == 1 and n.endswith("/PKG-INFO")]
    if pkg_info:
        message = email.parser.Parser().parsestr(members[pkg_info[0]].decode("utf-8", "replace"))
        listed = message.get_all("Requires-Dist") or []
        if listed:
            return [str(r).strip() for r in listed], pkg_info[0]
    requires = sorted(n for n in members if n.endswith(".egg-info/requires.txt"))
    if not requires:
        return [], (pkg_info[0] if pkg_info else "no metadata")
    shortest = min(requires, key=lambda n: n.count("/"))
    return requires_txt_to_dist(members[shortest].decode("utf-8")), shortest


def _wanted_sdist_member(name: str) -> bool:
    return name.endswith(("/PKG-INFO", ".egg-info/requires.txt"))


def requires_txt_to_dist(text: str) -> List[str]:
    """setuptools' ``requires.txt`` sections (``[extra]``, ``[:marker]``,
    ``[extra:marker]``) as Requires-Dist lines."""
    out: List[str] = []
    section_extra, section_marker = "", ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section_extra, _, section_marker = line[1:-1].partition(":")
            continue
        markers = []
        if section_marker:
            markers.append(f"({section_marker})" if " or " in section_marker else section_marker)
        if section_extra:
            markers.append(f'extra == "{section_extra}"')
        out.append(f"{line}; {' and '.join(markers)}" if markers else line)
    return out


def requires_dist(metadata_text: str) -> List[str]:
    message = email.parser.Parser().parsestr(metadata_text, headersonly=True)
    return [str(r).strip() for r in (message.get_all("Requires-Dist") or [])]
