"""Regenerate src/ddguard/data/dependencies.json: what installing a ddtrace release pulls in.

    python scripts/refresh_dependencies.py             # incremental: only unrecorded releases
    python scripts/refresh_dependencies.py --full      # re-read every release's metadata
    python scripts/refresh_dependencies.py --check-wheels 40   # also compare the wheels of
                                                       # 40 releases with each other

1. For every ddtrace release of the snapshot (data/releases.json), its Requires-Dist lines
   (markers and extras kept): read from its smallest wheel's METADATA by HTTP range requests,
   or from the sdist's PKG-INFO / egg-info/requires.txt when it has no wheel. The existing
   dependencies.json is the cache: only releases it lacks are read.
2. The dependency closure: every package a release can pull in, for any extra, on any
   CPython the line ran on, followed through the dependencies of the versions pip would
   pick. A package is *binary* when some version in play has no pure wheel
   (py3-none-any, py2.py3-none-any): for those, each release's Requires-Python, yank state,
   sdist and wheel tags are recorded. Pure packages in the closure are recorded only as far
   as the walk needs them (their versions' Requires-Python and the Requires-Dist of picks).

Everything is written deterministically, one release per line, with the source, date and
the sha256 of every index document read.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import _pypi

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from packaging.requirements import Requirement  # noqa: E402
from packaging.specifiers import InvalidSpecifier, SpecifierSet  # noqa: E402
from packaging.tags import parse_tag  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402

from ddguard.errors import DatabaseError  # noqa: E402
from ddguard.evaluate import closure  # noqa: E402
from ddguard.knowledge import dependencies  # noqa: E402
from ddguard.target import Target  # noqa: E402

DATA = REPO / "src" / "ddguard" / "data"
RELEASES = DATA / "releases.json"
OUT = DATA / "dependencies.json"
PROJECT = "ddtrace"
JOBS = 4  # polite: a few concurrent requests
MAX_SDIST = 32 * 1024 * 1024  # a dependency's sdist read only when it has no wheel

# The targets the closure walk covers: every CPython ddtrace ever published wheels for,
# on these platform families (newest and oldest glibc/macOS in use).
PYTHONS = [(2, 7)] + [(3, minor) for minor in range(4, 16)]
PLATFORMS = [
    "manylinux_x86_64",
    "manylinux2014_x86_64",
    "manylinux_aarch64",
    "manylinux2014_aarch64",
    "manylinux_i686",
    "musllinux_x86_64",
    "musllinux_aarch64",
    "macosx_arm64",
    "macosx_11_0_arm64",
    "macosx_x86_64",
    "win_amd64",
    "win32",
    "win_arm64",
]
PURE = next(iter(parse_tag("py3-none-any")))
WALKED_PYTHONS = {"%d.%d" % p for p in PYTHONS}

_print_lock = threading.Lock()


def log(message: str) -> None:
    with _print_lock:
        print(message, file=sys.stderr, flush=True)


# --- reading the index ---------------------------------------------------------------------


class Index:
    """The index's JSON documents, fetched once per run (optionally kept in a directory)."""

    def __init__(self, cache: Optional[Path]) -> None:
        self.cache = cache
        self.docs: Dict[str, Any] = {}
        self.sha256: Dict[str, str] = {}
        self.urls: Dict[str, str] = {}

    def load(self, names: Iterable[str]) -> None:
        todo = sorted(set(names) - set(self.docs))
        with ThreadPoolExecutor(JOBS) as pool:
            for name, (doc, raw, url) in zip(todo, pool.map(self._fetch, todo)):
                self.docs[name] = doc
                self.sha256[name] = hashlib.sha256(raw).hexdigest()
                self.urls[name] = url

    def _fetch(self, name: str) -> Tuple[Any, bytes, str]:
        url = _pypi.project_json_url(name)
        kept = self.cache / f"{name}.json" if self.cache else None
        if kept is not None and kept.is_file():
            raw = kept.read_bytes()
            return json.loads(raw), raw, url
        log(f"  index: {name}")
        doc, raw = _pypi.fetch_json(url)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(raw)
        return doc, raw, url


def normal_requirement(line: str) -> str:
    requirement = Requirement(line)
    if requirement.url:
        raise SystemExit(f"a direct reference in Requires-Dist is not supported: {line}")
    requirement.name = canonicalize_name(requirement.name)
    requirement.extras = {canonicalize_name(e) for e in requirement.extras}
    return str(requirement)


_ONLY_EXTRA = re.compile(r'extra == "([^"]+)"')


def split_requirement(line: str) -> List[Any]:
    """A normalized Requires-Dist line as the data file stores it:
    [name, specifier, extras, extra, marker]; a marker that is exactly ``extra == "x"``
    becomes ``extra`` (no marker parser needed to read it)."""
    requirement = Requirement(line)
    marker = None if requirement.marker is None else str(requirement.marker)
    extra = None
    only = _ONLY_EXTRA.fullmatch(marker or "")
    if only:
        extra, marker = canonicalize_name(only.group(1)), None
    row = [requirement.name, str(requirement.specifier), sorted(requirement.extras), extra, marker]
    if join_requirement(row) != line:
        raise SystemExit(f"cannot store {line!r} faithfully: {row}")
    return row


def join_requirement(row: List[Any]) -> str:
    name, specifier, extras, extra, marker = row
    markers = [m for m in (marker, None if extra is None else f'extra == "{extra}"') if m]
    text = name + (f"[{','.join(extras)}]" if extras else "") + specifier
    return normal_requirement(text + (f"; {markers[0]}" if markers else ""))


def python_tag(filename: str) -> str:
    return filename[:-4].split("-")[-3]


def wheel_tags(filename: str) -> str:
    """The ``python-abi-platform`` part of a wheel file name, compressed tags kept."""
    return "-".join(filename[:-4].split("-")[-3:])


def read_file_requires(entry: Dict[str, Any], json_url: str, max_sdist: int) -> List[str]:
    url = _pypi.file_url(entry, json_url)
    size = int(entry["size"])
    if entry["filename"].endswith(".whl"):
        if entry.get("core-metadata") or entry.get("data-dist-info-metadata"):
            try:
                return _pypi.requires_dist(_pypi.fetch_bytes(url + ".metadata").decode("utf-8"))
            except _pypi.FetchError:  # announced, yet not served by every mirror
                pass
        text, _ = _pypi.wheel_metadata(url, size)
        return _pypi.requires_dist(text)
    if size > max_sdist:
        raise _pypi.FetchError(f"{url}: sdist of {size} bytes, larger than {max_sdist}")
    lines, _ = _pypi.sdist_requirements(url, size, max_sdist)
    return lines


# --- ddtrace's own requirements --------------------------------------------------------------


def ddtrace_files(doc: Any, version: str) -> Dict[str, Dict[str, Any]]:
    """The file to read for each group of the release: the smallest wheel of each Python
    tag (wheels built on different Pythons can list different requirements), or the sdist."""
    files = doc["releases"].get(version) or []
    chosen: Dict[str, Dict[str, Any]] = {}
    for entry in sorted(files, key=lambda f: (f["size"], f["filename"])):
        if entry["filename"].endswith(".whl"):
            chosen.setdefault(python_tag(entry["filename"]), entry)
    if not chosen:
        sdists = [f for f in files if f["packagetype"] == "sdist"]
        if sdists:
            chosen["sdist"] = min(sdists, key=lambda f: f["size"])
    return chosen


def ddtrace_requires(
    doc: Any, versions: List[str], cached: Dict[str, Dict[str, List[str]]], json_url: str
) -> Dict[str, Dict[str, List[str]]]:
    """{version: {python tag or "sdist": normalized requirement lines}} for every release."""
    out: Dict[str, Dict[str, List[str]]] = {}
    jobs: List[Tuple[str, str, Dict[str, Any]]] = []
    for version in versions:
        files = ddtrace_files(doc, version)
        known = cached.get(version, {})
        if files and all(group in known or "*" in known for group in files):
            out[version] = {group: known.get(group, known.get("*", [])) for group in files}
            continue
        jobs.extend((version, group, entry) for group, entry in files.items())
    log(
        f"ddtrace: {len(versions) - len({j[0] for j in jobs})} releases cached, "
        f"{len(jobs)} files to read for {len({j[0] for j in jobs})} releases"
    )

    def read(job: Tuple[str, str, Dict[str, Any]]) -> List[str]:
        return sorted(
            {normal_requirement(r) for r in read_file_requires(job[2], json_url, 4 << 20)}
        )

    with ThreadPoolExecutor(JOBS) as pool:
        for (version, group, _), lines in zip(jobs, pool.map(read, jobs)):
            out.setdefault(version, {})[group] = lines
    return out


def ddtrace_rows(
    requires: Dict[str, Dict[str, List[str]]], table: Tables
) -> Tuple[List[List[Any]], int]:
    """[version, default set, {python tag: set}] rows; the default is the set most wheels
    list (ties: the newest Python's), the others are exceptions. Also the number of
    releases whose wheels disagree."""
    rows: List[List[Any]] = []
    disagreeing = 0
    for version in sorted(requires, key=Version):
        groups = requires[version]
        counts: Dict[Tuple[str, ...], int] = {}
        for lines in groups.values():
            counts[tuple(lines)] = counts.get(tuple(lines), 0) + 1
        newest = max(groups, key=_tag_order)
        default = max(counts, key=lambda k: (counts[k], k == tuple(groups[newest])))
        row: List[Any] = [str(Version(version)), table.requirement_set(default)]
        exceptions = {
            group: table.requirement_set(tuple(lines))
            for group, lines in sorted(groups.items(), key=lambda kv: _tag_order(kv[0]))
            if tuple(lines) != default
        }
        if exceptions:
            disagreeing += 1
            row.append(exceptions)
        rows.append(row)
    return rows, disagreeing


def _tag_order(group: str) -> Tuple[int, int]:
    match = re.fullmatch(r"cp(\d)(\d+)", group)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


# --- the compact tables ------------------------------------------------------------------


class Tables:
    """Requirement strings and sets; interpreter-ABI parts, platform parts and the tag sets
    built from them; each numbered in the order first used (deterministic for the same
    inputs). A tag set is a list of [interpreters, platforms] groups, each standing for
    every combination: a release with wheels for 6 Pythons on 20 platforms is one group."""

    def __init__(self) -> None:
        self.requirements: Dict[str, int] = {}
        self.sets: Dict[Tuple[int, ...], int] = {}
        self.interpreters: Dict[str, int] = {}
        self.platforms: Dict[str, int] = {}
        self.tag_sets: Dict[Tuple[Tuple[Tuple[int, ...], Tuple[int, ...]], ...], int] = {}

    def requirement_set(self, lines: Iterable[str]) -> int:
        key = tuple(self.requirements.setdefault(line, len(self.requirements)) for line in lines)
        return self.sets.setdefault(key, len(self.sets))

    def tag_set(self, tags: Iterable[str]) -> int:
        by_interpreter: Dict[str, Set[str]] = {}
        for text in sorted(tags):
            python, abi, platform = text.split("-", 2)
            by_interpreter.setdefault(f"{python}-{abi}", set()).add(platform)
        groups: Dict[Tuple[str, ...], List[str]] = {}
        for interpreter, platforms in by_interpreter.items():
            groups.setdefault(tuple(sorted(platforms)), []).append(interpreter)
        key = tuple(
            sorted(
                (
                    tuple(
                        sorted(
                            self.interpreters.setdefault(i, len(self.interpreters))
                            for i in interpreters
                        )
                    ),
                    tuple(
                        sorted(self.platforms.setdefault(p, len(self.platforms)) for p in platforms)
                    ),
                )
                for platforms, interpreters in groups.items()
            )
        )
        return self.tag_sets.setdefault(key, len(self.tag_sets))


# --- the dependency packages ----------------------------------------------------------------


class PackageInfo:
    """One dependency package as the index lists it, with the requirements read so far."""

    def __init__(self, name: str, doc: Any, json_url: str) -> None:
        self.name = name
        self.json_url = json_url
        self.rows: Dict[str, Dict[str, Any]] = {}
        for version, files in doc["releases"].items():
            files = [
                f for f in files if f["filename"].endswith(".whl") or f["packagetype"] == "sdist"
            ]
            if not files:
                continue
            try:
                version = str(Version(version))  # the normal form, as walks name it
            except InvalidVersion:
                continue  # pip cannot pick it either
            wheels = [f for f in files if f["filename"].endswith(".whl")]
            self.rows[version] = {
                "requires_python": normal_requires_python(files[0].get("requires_python")),
                "yanked": all(f.get("yanked") for f in files),
                "sdist": any(f["packagetype"] == "sdist" for f in files),
                "tags": sorted({wheel_tags(f["filename"]) for f in wheels}),
                "files": files,
            }
        self.requires: Dict[str, List[str]] = {}
        self.partial: Dict[str, Set[str]] = {}  # cached lists: only these extras' lines kept

    def pure(self, version: str) -> bool:
        return any(PURE in parse_tag(t) for t in self.rows[version]["tags"])

    def platform_wheels(self) -> bool:
        return any(
            tag.platform != "any"
            for row in self.rows.values()
            for t in row["tags"]
            for tag in parse_tag(t)
        )


def normal_requires_python(text: Optional[str]) -> Optional[str]:
    """The Requires-Python pip applies: None when absent or unreadable (pip ignores those)."""
    if not text or not text.strip():
        return None
    for candidate in (text, ",".join(p.strip() for p in text.split(",") if p.strip())):
        try:
            return str(SpecifierSet(candidate))
        except InvalidSpecifier:
            continue
    return None


def package_requires_job(info: PackageInfo, version: str) -> List[str]:
    files = info.rows[version]["files"]
    wheels = [f for f in files if f["filename"].endswith(".whl")]
    if wheels:
        with_metadata = [
            f for f in wheels if f.get("core-metadata") or f.get("data-dist-info-metadata")
        ]
        entry = min(with_metadata or wheels, key=lambda f: (f["size"], f["filename"]))
    else:
        entry = min(files, key=lambda f: f["size"])
    return sorted(
        {normal_requirement(r) for r in read_file_requires(entry, info.json_url, MAX_SDIST)}
    )


def full_document(
    ddtrace: Dict[str, Dict[str, List[str]]], packages: Dict[str, PackageInfo]
) -> Tuple[Dict[str, Any], Tables]:
    """Everything known, in the shipped format: what the walk runs on."""
    tables = Tables()
    rows, _ = ddtrace_rows(ddtrace, tables)
    out_packages: Dict[str, Any] = {}
    for name in sorted(packages):
        info = packages[name]
        out_packages[name] = {
            "binary": True,
            "compiled": False,
            "relevant": True,
            "releases": [
                package_row(info, version, tables, info.requires.get(version))
                for version in sorted(info.rows, key=Version)
            ],
        }
    return document(rows, out_packages, tables, {}, ""), tables


def package_row(
    info: PackageInfo, version: str, tables: Tables, requires: Optional[List[str]]
) -> List[Any]:
    row = info.rows[version]
    return [
        version,
        row["requires_python"],
        int(row["yanked"]),
        int(row["sdist"]),
        tables.tag_set(row["tags"]),
        None if requires is None else tables.requirement_set(requires),
    ]


def document(
    rows: List[List[Any]],
    packages: Dict[str, Any],
    tables: Tables,
    inputs: Dict[str, str],
    fetched: str,
) -> Dict[str, Any]:
    return {
        "schema": dependencies.SCHEMA,
        "project": PROJECT,
        "source": "package index JSON API (/pypi/<project>/json); Requires-Dist from each "
        "ddtrace wheel's METADATA (the smallest wheel per Python tag, by HTTP range "
        "requests) or the sdist's PKG-INFO/egg-info requires.txt; dependencies' from "
        "PEP 658 .metadata or their smallest wheel",
        "fetched": fetched,
        "walked": "CPython %s on %s; each extra; plain and --only-binary=:all: picks"
        % (", ".join("%d.%d" % p for p in PYTHONS), ", ".join(PLATFORMS)),
        "walked_pythons": sorted(WALKED_PYTHONS, key=lambda m: tuple(map(int, m.split(".")))),
        "inputs_sha256": dict(sorted(inputs.items())),
        "requirements": [
            split_requirement(line)
            for line in sorted(tables.requirements, key=tables.requirements.__getitem__)
        ],
        "requirement_sets": [list(k) for k in sorted(tables.sets, key=tables.sets.__getitem__)],
        "ddtrace": rows,
        "interpreters": sorted(tables.interpreters, key=tables.interpreters.__getitem__),
        "platforms": sorted(tables.platforms, key=tables.platforms.__getitem__),
        "tag_sets": [
            [[list(i), list(p)] for i, p in key]
            for key in sorted(tables.tag_sets, key=tables.tag_sets.__getitem__)
        ],
        "packages": packages,
    }


# --- the walk -------------------------------------------------------------------------------


WalkKey = Tuple[str, str, FrozenSet[str], bool]  # target, release, extras, only_binary


class Walked:
    """What the walks over every (release group, target, extra, mode) found. A walk that
    met no unknown package and no unread requirement list is final: later rounds only
    add data it never looked at, so only the incomplete walks run again."""

    def __init__(self) -> None:
        self.picks: Dict[WalkKey, Set[Tuple[str, str]]] = {}
        self.missing: Dict[WalkKey, Tuple[Set[str], Set[Tuple[str, str]]]] = {}
        self.walks = 0

    @property
    def picked(self) -> Set[Tuple[str, str]]:
        return set().union(*self.picks.values())

    @property
    def unknown(self) -> Set[str]:
        return set().union(*(unknown for unknown, _ in self.missing.values()))

    @property
    def unread(self) -> Set[Tuple[str, str]]:
        return set().union(*(unread for _, unread in self.missing.values()))

    def by_package(self) -> Dict[str, Set[str]]:
        picked: Dict[str, Set[str]] = {}
        for name, version in self.picked:
            picked.setdefault(name, set()).add(version)
        return picked


def extras_of(requirements: Iterable[dependencies.Dependency]) -> List[str]:
    found: Set[str] = set()
    for requirement in requirements:
        if requirement.extra is not None:
            found.add(requirement.extra)
        if requirement.marker is not None:
            found.update(_EXTRA.findall(requirement.marker))
    return sorted(found)


def walk_keys(
    data: dependencies.DependencyData, snapshot: Dict[str, Optional[str]]
) -> List[WalkKey]:
    """One walk per target, distinct requirement list on it (from the releases whose
    Requires-Python admits the target), extra and mode."""
    keys: List[WalkKey] = []
    for python in PYTHONS:
        for family in PLATFORMS:
            compact = "cp%d%d-%s" % (python[0], python[1], family)
            target = Target.from_compact(compact)
            groups: Dict[int, str] = {}  # requirement set -> one release using it here
            for version in data.ddtrace_versions():
                requires_python = snapshot.get(version)
                if requires_python and not closure._admits(
                    requires_python, target.python_full_str
                ):
                    continue
                index = data.ddtrace_requirement_set(version, target.interpreter_tag)
                if index is not None:
                    groups.setdefault(index, version)
            for index, version in groups.items():
                for extras in [frozenset()] + [
                    frozenset({e}) for e in extras_of(data.requirement_set(index))
                ]:
                    keys.extend((compact, version, extras, mode) for mode in (False, True))
    return keys


def walk(data: dependencies.DependencyData, walked: Walked, keys: Iterable[WalkKey]) -> None:
    for key in keys:
        compact, version, extras, only_binary = key
        result = closure.resolve(
            version, Target.from_compact(compact), extras, data, only_binary, full=True
        )
        walked.walks += 1
        walked.picks[key] = {(p.package, p.version) for p in result.picks if p.version is not None}
        if result.unknown_packages or result.unread:
            walked.missing[key] = (set(result.unknown_packages), set(result.unread))
        else:
            walked.missing.pop(key, None)


# --- main -----------------------------------------------------------------------------------


Cached = Dict[Tuple[str, str], Tuple[List[str], Set[str]]]


def cached_data(path: Path) -> Tuple[Dict[str, Dict[str, List[str]]], Cached]:
    """What a previous run recorded: ddtrace requirements per release ("*" = default) and
    the requirements of dependency releases, with the extras whose lines were kept."""
    if not path.is_file():
        return {}, {}
    try:
        data = dependencies.load(str(path))
        data.validate()
    except DatabaseError as exc:  # an unreadable cache is rebuilt
        log(f"ignoring the previous {path.name}: {exc}")
        return {}, {}
    doc = json.loads(path.read_text("utf-8"))
    lines = [join_requirement(row) for row in doc["requirements"]]
    sets = [[lines[i] for i in s] for s in doc["requirement_sets"]]
    ddtrace = {}
    for row in doc["ddtrace"]:
        groups = {"*": sets[row[1]]}
        for group, index in (row[2] if len(row) > 2 else {}).items():
            groups[group] = sets[index]
        ddtrace[row[0]] = groups
    packages: Cached = {}
    for name in data.package_names():
        extras = set(doc["packages"][name].get("extras", []))
        for row in doc["packages"][name]["releases"]:
            if row[5] is not None:
                packages[(name, row[0])] = (sets[row[5]], extras)
    return ddtrace, packages


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="ignore what the data file records")
    parser.add_argument("--index-cache", type=Path, help="keep the index's JSON documents here")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.monotonic()

    snapshot_doc = json.loads(RELEASES.read_text("utf-8"))
    snapshot = {row[0]: row[2] for row in snapshot_doc["releases"]}
    cached_ddtrace, cached_packages = ({}, {}) if args.full else cached_data(args.out)

    index = Index(args.index_cache)
    index.load([PROJECT])
    kept = args.index_cache / "ddtrace-requires.json" if args.index_cache else None
    if kept is not None and kept.is_file():  # a run interrupted after reading ddtrace's files
        cached_ddtrace = {**json.loads(kept.read_text("utf-8")), **cached_ddtrace}
    ddtrace = ddtrace_requires(
        index.docs[PROJECT], list(snapshot), cached_ddtrace, index.urls[PROJECT]
    )
    if kept is not None:
        kept.write_text(json.dumps(ddtrace, indent=0, sort_keys=True), "utf-8")

    packages: Dict[str, PackageInfo] = {}
    names = {
        canonicalize_name(Requirement(r).name)
        for groups in ddtrace.values()
        for lines in groups.values()
        for r in lines
    } | {name for name, _ in cached_packages}  # what the last closure held: fewer rounds
    reads = 0
    walked = Walked()
    rewalk_all = True
    for round_number in range(1, 20):
        index.load(names)
        for name in names - set(packages):
            packages[name] = PackageInfo(name, index.docs[name], index.urls[name])
            for (cached_name, version), (lines, extras) in cached_packages.items():
                if cached_name == name and version in packages[name].rows:
                    packages[name].requires[version] = lines
                    packages[name].partial[version] = extras
        doc, _ = full_document(ddtrace, packages)
        data = dependencies.from_document(doc, "<refresh>")
        walk_started = time.monotonic()
        walked.walks = 0
        walk(
            data,
            walked,
            walk_keys(data, snapshot) if rewalk_all else sorted(walked.missing, key=str),
        )
        # a cached list lacks the lines of extras nobody asked for then: re-read if asked now
        # (and walk everything again: complete walks may have used the partial list)
        requested = requested_extras(packages, walked.by_package(), root_lines(ddtrace))
        stale = {
            (name, version)
            for name, version in walked.picked
            if version in packages[name].partial
            and requested.get(name, set()) - packages[name].partial[version]
        }
        rewalk_all = bool(stale)
        todo = sorted(walked.unread | stale)
        log(
            f"round {round_number}: {walked.walks} walks in {time.monotonic() - walk_started:.0f} s, "
            f"{len(walked.picked)} picks, {len(walked.unknown)} new packages, "
            f"{len(todo)} requirement lists to read"
        )
        if not todo and not walked.unknown:
            break
        names = set(packages) | walked.unknown

        def read(job: Tuple[str, str]) -> List[str]:
            try:
                return package_requires_job(packages[job[0]], job[1])
            except _pypi.FetchError as exc:  # never guess: an empty list would hide a closure
                raise SystemExit(
                    f"cannot read the requirements of {job[0]} {job[1]}: {exc}"
                ) from exc

        with ThreadPoolExecutor(JOBS) as pool:
            for (name, version), lines in zip(todo, pool.map(read, todo)):
                reads += 1
                packages[name].requires[version] = lines
                packages[name].partial.pop(version, None)
    else:
        raise SystemExit("the closure walk did not settle in 20 rounds")

    tables = Tables()
    rows, disagreeing = ddtrace_rows(ddtrace, tables)
    out_packages, binary = select_packages(packages, walked, tables, ddtrace)
    inputs = {PROJECT: index.sha256[PROJECT]}
    inputs.update({name: index.sha256[name] for name in out_packages})
    result = document(rows, out_packages, tables, inputs, datetime.date.today().isoformat())
    text = dump(result)
    dependencies.from_document(json.loads(text), str(args.out)).validate()  # loads back
    args.out.write_text(text, encoding="utf-8")
    log(
        f"{len(rows)} ddtrace releases ({disagreeing} whose wheels list different requirements), "
        f"{len(out_packages)} packages in the closure, {len(binary)} binary: {', '.join(binary)}; "
        f"{reads} dependency metadata reads; {len(text.encode())} bytes; "
        f"{time.monotonic() - started:.0f} s"
    )
    return 0


def select_packages(
    packages: Dict[str, PackageInfo],
    walked: Walked,
    tables: Tables,
    ddtrace: Dict[str, Dict[str, List[str]]],
) -> Tuple[Dict[str, Any], List[str]]:
    """Binary packages: every release inside a specifier some kept requirement uses.
    Pure packages: the releases some walk picked. A dependency's requirements behind an
    extra nobody asks of it (tests, docs, dev) are left out."""
    picked = walked.by_package()
    binary = sorted(
        n for n, versions in picked.items() if not all(packages[n].pure(v) for v in versions)
    )
    requested = requested_extras(packages, picked, root_lines(ddtrace))
    kept: Dict[Tuple[str, str], List[str]] = {
        (name, version): [
            line
            for line in packages[name].requires[version]
            if wanted(line, requested.get(name, set()))
        ]
        for name, versions in picked.items()
        for version in versions
        if version in packages[name].requires
    }
    specifiers: Dict[str, List[SpecifierSet]] = {}
    for line in root_lines(ddtrace).union(*kept.values()):
        requirement = Requirement(line)
        specifiers.setdefault(requirement.name, []).append(requirement.specifier)
    relevant = relevant_pythons(walked, kept, set(binary))
    out: Dict[str, Any] = {}
    for name in sorted(picked):
        info = packages[name]
        if name in binary:
            keep = [
                v
                for v in info.rows
                if any(
                    s.contains(v, prereleases=True) for s in specifiers.get(name, [SpecifierSet()])
                )
            ]
        else:
            keep = list(picked[name])
        out[name] = {
            "binary": name in binary,
            "compiled": info.platform_wheels(),
            "relevant": relevance(name, relevant),
            "extras": sorted(requested.get(name, set())),
            "releases": [
                package_row(info, v, tables, kept.get((name, v))) for v in sorted(keep, key=Version)
            ],
        }
    return out, binary


def relevant_pythons(
    walked: Walked, kept: Dict[Tuple[str, str], List[str]], binary: Set[str]
) -> Dict[str, Set[str]]:
    """For each package, the CPython minors on which some walk reached a binary package
    through it, or it (following the recorded requirement names of the walk's picks)."""
    names: Dict[Tuple[str, str], Set[str]] = {
        key: {Requirement(line).name for line in lines} for key, lines in kept.items()
    }
    found: Dict[str, Set[str]] = {}
    for (compact, _, _, _), picks in walked.picks.items():
        python = "%s.%s" % (compact[2], compact[3:].split("-")[0])
        chosen = dict(picks)
        reach = {name for name in chosen if name in binary}
        while True:
            more = {
                name
                for name, version in chosen.items()
                if name not in reach and names.get((name, version), set()) & reach
            }
            if not more:
                break
            reach |= more
        for name in reach:
            found.setdefault(name, set()).add(python)
    return found


def relevance(name: str, relevant: Dict[str, Set[str]]) -> Any:
    """True (every CPython walked), False, or the minors on which it matters (for a binary
    package: on which some walk reached it)."""
    minors = relevant.get(name, set())
    if minors >= WALKED_PYTHONS:
        return True
    return sorted(minors, key=lambda m: tuple(map(int, m.split(".")))) or False


def root_lines(ddtrace: Dict[str, Dict[str, List[str]]]) -> Set[str]:
    return {line for groups in ddtrace.values() for lines in groups.values() for line in lines}


_EXTRA = re.compile(r"extra\s*==\s*[\"']([^\"']+)[\"']")


def wanted(line: str, requested: Set[str]) -> bool:
    """Whether a dependency's requirement line can apply: not behind an extra only, or
    behind one somebody asks for."""
    marker = Requirement(line).marker
    if marker is None:
        return True
    text = str(marker)
    named = {canonicalize_name(e) for e in _EXTRA.findall(text)}
    return not named or " or " in text or bool(named & requested)


def requested_extras(
    packages: Dict[str, PackageInfo], picked: Dict[str, Set[str]], roots: Set[str]
) -> Dict[str, Set[str]]:
    """The extras any kept requirement asks of each package (to a fixed point)."""
    requested: Dict[str, Set[str]] = {}
    while True:
        lines = set(roots)
        for name, versions in picked.items():
            for version in versions:
                for line in packages[name].requires.get(version, []):
                    if wanted(line, requested.get(name, set())):
                        lines.add(line)
        found: Dict[str, Set[str]] = {}
        for line in lines:
            requirement = Requirement(line)
            found.setdefault(canonicalize_name(requirement.name), set()).update(
                canonicalize_name(e) for e in requirement.extras
            )
        if found == requested:
            return requested
        requested = found


def dump(doc: Dict[str, Any]) -> str:
    """One table entry per line: small, deterministic and readable in a diff."""
    compact = {"separators": (",", ":")}
    lines = ["{"]
    for key in ("schema", "project", "source", "fetched", "walked", "walked_pythons"):
        lines.append(f"{json.dumps(key)}: {json.dumps(doc[key])},")
    lines.append('"inputs_sha256": {')
    lines.append(
        ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in doc["inputs_sha256"].items())
    )
    lines.append("},")
    for key in (
        "requirements",
        "requirement_sets",
        "ddtrace",
        "interpreters",
        "platforms",
        "tag_sets",
    ):
        lines.append(f"{json.dumps(key)}: [")
        lines.append(",\n".join(json.dumps(item, **compact) for item in doc[key]))  # type: ignore[arg-type]
        lines.append("],")
    lines.append('"packages": {')
    blocks = []
    for name, entry in doc["packages"].items():
        fields = {k: v for k, v in entry.items() if k != "releases" and (v or k != "extras")}
        head = json.dumps(fields, separators=(", ", ": "))[:-1] + ', "releases": ['
        head = f"{json.dumps(name)}: {head}"
        rows = ",\n".join(json.dumps(r, **compact) for r in entry["releases"])  # type: ignore[arg-type]
        blocks.append(f"{head}\n{rows}\n]}}")
    lines.append(",\n".join(blocks))
    lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
