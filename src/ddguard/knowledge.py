"""The compatibility database: ddtrace's releases and its published support policy.

Loaded once from the snapshot shipped in ``ddguard/data`` (or ``$DDGUARD_DB``, or the
user copy ``ddguard db update`` writes), then queried read-only.
"""

from __future__ import annotations

import enum
import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.version import Version

from ddguard.errors import DatabaseError

PythonRange = Tuple[Tuple[int, int], Optional[Tuple[int, int]]]  # (low, high or open)


from ddguard.model import SupportLevel  # noqa: E402  (transitional)


@dataclass(frozen=True)
class RuntimeRule:
    """One row of the runtime table: these CPUs of this OS run these Pythons."""

    os: str  # linux, macos, windows
    cpus: Tuple[str, ...]  # x86_64, i686, aarch64
    implementation: str  # cpython
    python: Tuple[PythonRange, ...]
    basis: str

    def admits_python(self, version: Tuple[int, int]) -> bool:
        return any(
            low <= version and (high is None or version <= high) for low, high in self.python
        )


@dataclass(frozen=True)
class LevelChange:
    since: str  # YYYY-MM-DD
    level: SupportLevel
    basis: str


@dataclass(frozen=True)
class ReleaseLine:
    major: int
    level: SupportLevel
    history: Tuple[LevelChange, ...]
    runtimes: Tuple[RuntimeRule, ...]
    runtime_basis: str

    @property
    def name(self) -> str:
        return f"{self.major}.x"

    @property
    def specifier(self) -> str:
        return f">={self.major}.0,<{self.major + 1}"

    def python_ranges(self) -> Tuple[PythonRange, ...]:
        """The CPython versions any platform of this line supports (merged)."""
        return merge_ranges([r for rule in self.runtimes for r in rule.python])

    def rule_for(self, os_name: str, cpu: str) -> Optional[RuntimeRule]:
        for rule in self.runtimes:
            if rule.os == os_name and cpu in rule.cpus:
                return rule
        return None


@dataclass(frozen=True)
class Release:
    version: Version
    uploaded: str
    requires_python: Optional[str]
    yank_reason: Optional[str]  # None when not yanked; "" when yanked without a reason
    sdist: Optional[str]  # sdist file extension, None when the release has none
    wheel_files: Tuple[str, ...] = field(repr=False)  # tag parts of the wheel file names

    @property
    def yanked(self) -> bool:
        return self.yank_reason is not None

    def admits_python(self, python_full_version: str) -> bool:
        """Whether Requires-Python admits this Python (no Requires-Python admits all)."""
        return self.requires_python is None or _admits(self.requires_python, python_full_version)

    def wheel_tags(self) -> FrozenSet[Tag]:
        return expand_tags(self.wheel_files)

    def filenames(self) -> List[str]:
        names = [f"ddtrace-{self.version}-{tags}.whl" for tags in self.wheel_files]
        if self.sdist:
            names.append(f"ddtrace-{self.version}.{self.sdist}")
        return names


@dataclass(frozen=True)
class DatabaseInfo:
    path: str
    source: str
    fetched: str
    input_sha256: str
    policy_source: str
    embedded: bool


class Knowledge:
    """Read-only queries over the loaded database."""

    def __init__(
        self, releases: Sequence[Release], lines: Sequence[ReleaseLine], info: DatabaseInfo
    ):
        self.releases: Tuple[Release, ...] = tuple(releases)
        self.lines: Tuple[ReleaseLine, ...] = tuple(lines)
        self.info = info
        self._by_version = {r.version: r for r in self.releases}
        self._by_major = {line.major: line for line in self.lines}

    @property
    def newest(self) -> Release:
        return self.releases[-1]

    @functools.cached_property
    def cpython_minors(self) -> Tuple[Tuple[int, int], ...]:  # transitional: data in the new package
        found = {(2, 7)}
        for release in self.releases:
            for tag in release.wheel_tags():
                digits = tag.interpreter[2:]
                if tag.interpreter.startswith("cp") and digits.isdigit() and len(digits) >= 2:
                    found.add((int(digits[0]), int(digits[1:])))
        return tuple(sorted(m for m in found if m >= (3, 5) or m == (2, 7)))

    def release(self, version: Version) -> Optional[Release]:
        return self._by_version.get(version)

    def line(self, version: Version) -> Optional[ReleaseLine]:
        return self._by_major.get(version.major)

    def releases_in(
        self, specifier: SpecifierSet, prereleases: Optional[bool] = None
    ) -> List[Release]:
        allowed = set(specifier.filter((r.version for r in self.releases), prereleases=prereleases))
        return [r for r in self.releases if r.version in allowed]


# --- loading -----------------------------------------------------------------------


def user_database_path() -> Path:
    """Where ``ddguard db update`` keeps its copy (XDG cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ddguard" / "releases.json"


@functools.lru_cache(maxsize=None)
def load(path: Optional[str] = None) -> Knowledge:
    """The database: ``path``, else ``$DDGUARD_DB``, else the user copy, else the embedded one."""
    chosen = path or os.environ.get("DDGUARD_DB")
    embedded = False
    if not chosen:
        user = user_database_path()
        if user.is_file():
            chosen = str(user)
    if chosen:
        releases_doc = _read_json(Path(chosen))
    else:
        chosen = str(_data_dir() / "releases.json")
        releases_doc = _read_json(Path(chosen))
        embedded = True
    policy_doc = _read_json(_data_dir() / "policy.json")
    return from_documents(releases_doc, policy_doc, chosen, embedded)


def _data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatabaseError(f"cannot read the ddguard database {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise DatabaseError(f"the ddguard database {path} is not valid JSON: {exc}") from exc


def from_documents(releases_doc: Any, policy_doc: Any, path: str, embedded: bool) -> Knowledge:
    try:
        releases = parse_releases(releases_doc)
        info = DatabaseInfo(
            path=path,
            source=str(releases_doc["source"]),
            fetched=str(releases_doc["fetched"]),
            input_sha256=str(releases_doc["input_sha256"]),
            policy_source=str(policy_doc["source"]),
            embedded=embedded,
        )
        lines = derive_lines(releases, policy_doc)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise DatabaseError(
            f"the ddguard database {path} does not have the expected shape: {exc!r}"
        ) from exc
    if not releases:
        raise DatabaseError(f"the ddguard database {path} lists no release")
    return Knowledge(releases, lines, info)


def parse_releases(doc: Any) -> List[Release]:
    if doc.get("schema") != 1:
        raise ValueError(f"unknown schema {doc.get('schema')!r}")
    tags: List[str] = doc["tags"]
    tag_sets = [tuple(tags[i] for i in s) for s in doc["tag_sets"]]
    releases = [
        Release(
            version=Version(row[0]),
            uploaded=row[1],
            requires_python=row[2],
            yank_reason=row[3],
            sdist=row[4],
            wheel_files=tag_sets[row[5]],
        )
        for row in doc["releases"]
    ]
    releases.sort(key=lambda r: r.version)
    return releases


def derive_lines(releases: Sequence[Release], policy: Any) -> List[ReleaseLine]:
    """One line per major version: its support level history and runtime rules.

    Levels follow ddtrace's versioning policy: the newest major is General Availability,
    the one before it Maintenance, older ones End of Life; each change dates from the
    first release of the next major. Runtime rules come from the published table for
    the lines it covers, and from the line's own wheels for the lines it postdates.
    """
    majors = sorted({r.version.major for r in releases})
    first_final: Dict[int, Release] = {}
    for release in releases:  # sorted: the first final release of each major
        if not release.version.is_prerelease:
            first_final.setdefault(release.version.major, release)
    first_upload = {m: first_final[m].uploaded for m in majors if m in first_final}
    majors = [m for m in majors if m in first_final]
    published = [  # (major, level) of each row of the published table
        (
            Version(row["release"].split(",")[0].lstrip(">=")).major,
            SupportLevel(_LEVEL_WORDS[row["support_level"]]),
        )
        for row in policy["support_levels_as_published"]
    ]
    seed_majors = {m for m, _ in published}
    lines = []
    for index, major in enumerate(majors):
        history = [
            LevelChange(
                first_upload[major], SupportLevel.GA, f"{first_final[major].version} released"
            )
        ]
        for step, level in ((1, SupportLevel.MAINTENANCE), (2, SupportLevel.EOL)):
            if index + step < len(majors):
                successor = majors[index + step]
                history.append(
                    LevelChange(
                        first_upload[successor], level, f"{first_final[successor].version} released"
                    )
                )
        for published_major, level in published:
            if published_major == major:
                history.append(
                    LevelChange("", level, "as published on the compatibility page (2.x era)")
                )
        if major <= max(seed_majors):
            version = Version(f"{major}.0")
            rules = tuple(
                RuntimeRule(
                    os=row["os"],
                    cpus=tuple(row["cpus"]),
                    implementation=row["implementation"],
                    python=tuple(
                        (_minor(lo), _minor(hi) if hi else None) for lo, hi in row["python"]
                    ),
                    basis="compatibility page",
                )
                for row in policy["runtimes"]
                if version in SpecifierSet(row["ddtrace"])
            )
            basis = "published compatibility page (2.x era)"
        else:
            rules = _rules_from_wheels(
                [r for r in releases if r.version.major == major and not r.version.is_prerelease]
            )
            basis = f"derived from the wheels and Requires-Python of the {major}.x releases"
        dated = [h for h in history if h.since]
        lines.append(
            ReleaseLine(
                major=major,
                level=dated[-1].level,
                history=tuple(history),
                runtimes=rules,
                runtime_basis=basis,
            )
        )
    return lines


_LEVEL_WORDS = {"general-availability": "ga", "maintenance": "maintenance", "end-of-life": "eol"}


def _rules_from_wheels(releases: Sequence[Release]) -> Tuple[RuntimeRule, ...]:
    by_platform: Dict[Tuple[str, str], set[Tuple[int, int]]] = {}
    from ddguard.target import platform_os_arch

    for files in {release.wheel_files for release in releases}:
        for tag in expand_tags(files):
            if not tag.interpreter.startswith("cp"):
                continue
            python = (int(tag.interpreter[2]), int(tag.interpreter[3:]))
            key = platform_os_arch(tag.platform)
            by_platform.setdefault(key, set()).add(python)
    rules = []
    for os_name in ("linux", "macos", "windows"):
        cpus = sorted(cpu for (o, cpu) in by_platform if o == os_name)
        if not cpus:
            continue
        pythons = sorted(set().union(*(by_platform[(os_name, c)] for c in cpus)))
        rules.append(
            RuntimeRule(
                os=os_name,
                cpus=tuple(_cpu_order(cpus)),
                implementation="cpython",
                python=((pythons[0], pythons[-1]),),
                basis="wheels published",
            )
        )
    return tuple(rules)


def _cpu_order(cpus: Sequence[str]) -> List[str]:
    order = ["x86_64", "i686", "aarch64"]
    return sorted(cpus, key=lambda c: (order.index(c) if c in order else len(order), c))


def merge_ranges(ranges: Sequence[PythonRange]) -> Tuple[PythonRange, ...]:
    merged: List[PythonRange] = []
    for low, high in sorted(ranges, key=lambda r: r[0]):
        if merged:
            last_low, last_high = merged[-1]
            if last_high is None or _adjacent(last_high, low) or low <= last_high:
                new_high = None if (last_high is None or high is None) else max(last_high, high)
                merged[-1] = (last_low, new_high)
                continue
        merged.append((low, high))
    return tuple(merged)


def _adjacent(high: Tuple[int, int], low: Tuple[int, int]) -> bool:
    return high[0] == low[0] and high[1] + 1 == low[1]


def format_python_ranges(ranges: Sequence[PythonRange]) -> str:
    """((2,7),(2,7)), ((3,5),(3,11)) -> '2.7, 3.5–3.11'; open ranges end with '+'."""
    parts = []
    for low, high in ranges:
        if high is None:
            parts.append("%d.%d+" % low)
        elif low == high:
            parts.append("%d.%d" % low)
        else:
            parts.append("%d.%d–%d.%d" % (low + high))
    return ", ".join(parts)


def _minor(text: str) -> Tuple[int, int]:
    major, minor = text.split(".")
    return (int(major), int(minor))


@functools.lru_cache(maxsize=None)
def _specifier(text: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        # Old uploads carry Requires-Python such as ">=2.7, !=3.0.*": tolerate the spaces.
        return SpecifierSet(",".join(part.strip() for part in text.split(",")))


@functools.lru_cache(maxsize=None)
def _admits(requires_python: str, python_full_version: str) -> bool:
    return _specifier(requires_python).contains(python_full_version, prereleases=True)


@functools.lru_cache(maxsize=None)
def expand_tags(files: Tuple[str, ...]) -> FrozenSet[Tag]:
    return frozenset(tag for name in files for tag in parse_tag(name))
