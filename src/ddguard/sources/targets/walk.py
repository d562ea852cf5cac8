"""Discovery: walk a project, route each file by its name to the reader of its kind, and
join what the files say about each other (a workflow building a Dockerfile, a
``python-version-file``).

Skipped: ``.git`` and other VCS directories, ``node_modules``, virtualenvs (a directory
holding ``pyvenv.cfg``), ``.tox``/``.nox``, caches, build output (``build``, ``dist``,
``cdk.out``, ``.aws-sam``, ``.serverless``, ``.terraform``) and symlinks leading outside
the project. A file found here that cannot be read or parsed is a note; the same file
named by the user (:func:`read_file`) is an InputError.
"""

from __future__ import annotations

import enum
import os
import posixpath
import stat
from typing import Callable, Dict, List, Optional, Set, Tuple, TypeVar

from ddguard.errors import InputError
from ddguard.model import Note, NoteCode
from ddguard.model.deployment import Discovery
from ddguard.sources.targets import (
    appengine,
    cdk,
    dockerfile,
    files,
    github,
    gitlab,
    serverless,
    terraform,
    tomlfiles,
    tox,
)
from ddguard.sources.targets.common import MAX_BYTES, Found, Lines, read_text

MAX_ENTRIES = 200_000  # directory entries one discovery looks at
MAX_DEPTH = 64
_SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".bzr", "node_modules", ".tox", ".nox", "__pycache__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".eggs", "build", "dist",
     "site-packages", ".terraform", ".serverless", ".aws-sam", "cdk.out", ".direnv",
     ".venv", ".cache", ".pixi", "htmlcov", ".idea"}
)  # fmt: skip
_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl")
_IGNORED_SUFFIXES = (".dockerignore", ".md", ".rst", ".txt", ".orig", ".bak", ".swp")


class Route(str, enum.Enum):
    DOCKERFILE = "dockerfile"
    WORKFLOW = "workflow"
    GITLAB = "gitlab"
    PYTHON_VERSION = "python-version"
    RUNTIME_TXT = "runtime-txt"
    TOOL_VERSIONS = "tool-versions"
    SERVERLESS = "serverless"
    APP_ENGINE = "app-engine"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"
    CDK_APP = "cdk-app"  # cdk.json: the Python files below it are read
    PYTHON_SOURCE = "python-source"
    TOX_INI = "tox-ini"
    TOX_TOML = "tox-toml"
    SETUP_CFG = "setup-cfg"
    PYPROJECT = "pyproject"
    PIPFILE = "pipfile"
    YAML = "yaml"  # any other YAML: a CloudFormation template or App Engine service?


def route(relpath: str) -> Optional[Route]:
    """The reader a file's name routes it to; None for files discovery does not read."""
    name = posixpath.basename(relpath)
    lower = name.lower()
    parent = posixpath.dirname(relpath)
    if _is_dockerfile(lower):
        return Route.DOCKERFILE
    if lower.endswith((".yml", ".yaml")) and (
        parent == ".github/workflows" or parent.endswith("/.github/workflows")
    ):
        return Route.WORKFLOW
    exact = {
        ".gitlab-ci.yml": Route.GITLAB,
        ".gitlab-ci.yaml": Route.GITLAB,
        ".python-version": Route.PYTHON_VERSION,
        "runtime.txt": Route.RUNTIME_TXT,
        ".tool-versions": Route.TOOL_VERSIONS,
        "serverless.yml": Route.SERVERLESS,
        "serverless.yaml": Route.SERVERLESS,
        "app.yaml": Route.APP_ENGINE,
        "app.yml": Route.APP_ENGINE,
        "template.yaml": Route.CLOUDFORMATION,
        "template.yml": Route.CLOUDFORMATION,
        "template.json": Route.CLOUDFORMATION,
        "cdk.json": Route.CDK_APP,
        "tox.ini": Route.TOX_INI,
        "tox.toml": Route.TOX_TOML,
        "setup.cfg": Route.SETUP_CFG,
        "pyproject.toml": Route.PYPROJECT,
        "pipfile": Route.PIPFILE,
    }.get(lower)
    if exact is not None:
        return exact
    if lower.endswith((".template", ".template.yaml", ".template.yml", ".template.json",
                       ".cfn.yaml", ".cfn.yml", ".cfn.json")):  # fmt: skip
        return Route.CLOUDFORMATION
    if lower.endswith(".tf"):
        return Route.TERRAFORM
    if lower.endswith(".py"):
        return Route.PYTHON_SOURCE
    if lower.endswith((".yml", ".yaml")):
        return Route.YAML
    return None


def _is_dockerfile(lower: str) -> bool:
    if lower.endswith(_IGNORED_SUFFIXES):
        return False
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "dockerfile-", "dockerfile_", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def _is_template(relpath: str) -> bool:
    return "{{" in relpath or "{%" in relpath or relpath.lower().endswith(_TEMPLATE_SUFFIXES)


def discover(root: str) -> Discovery:
    """Every deployment target the files under ``root`` declare (see the module docstring)."""
    if not os.path.isdir(root):
        raise InputError("not a directory", root)
    return _Discovery(root).run()


def read_file(path: str, root: Optional[str] = None) -> Discovery:
    """The targets one file declares, for a file the user named; InputError (one line)
    when it cannot be read, does not parse, or is not a kind of file ddguard reads."""
    base = root if root is not None else (os.path.dirname(path) or ".")
    real_base = os.path.realpath(base)
    real = os.path.realpath(path)
    inside = real == real_base or real.startswith(real_base.rstrip(os.sep) + os.sep)
    rel = os.path.relpath(real, real_base).replace(os.sep, "/") if inside else path
    kind = route(rel)
    if kind is None or kind in (Route.CDK_APP,):
        raise InputError(
            "not a file ddguard reads deployment targets from (a Dockerfile, a workflow, "
            ".gitlab-ci.yml, a version file, a serverless or cloud template, tox or project file)",
            path,
        )
    discovery = _Discovery(real_base if inside else os.path.dirname(real) or ".")
    discovery.found.extend(discovery.read(kind, real, rel, strict=True))
    discovery.finish_builds()
    return discovery.result()


class _Discovery:
    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        self.found = Found()
        self.files: List[str] = []
        self.texts: Dict[str, Optional[str]] = {}
        self.routed: List[Tuple[Route, str, str]] = []  # (route, absolute, relative)
        self.builds: List[github.DockerBuild] = []

    # --- walking ------------------------------------------------------------------------

    def run(self) -> Discovery:
        self._walk()
        terraform_dirs: Dict[str, List[Tuple[str, str]]] = {}
        cdk_dirs = [posixpath.dirname(rel) for kind, _, rel in self.routed if kind is Route.CDK_APP]
        for kind, absolute, rel in self.routed:
            if kind is Route.TERRAFORM:
                terraform_dirs.setdefault(posixpath.dirname(rel), []).append((absolute, rel))
            elif kind is Route.PYTHON_SOURCE:
                if any(d == "" or rel.startswith(d + "/") for d in cdk_dirs):
                    self.found.extend(self.read(kind, absolute, rel))
            elif kind is not Route.CDK_APP:
                self.found.extend(self.read(kind, absolute, rel))
        for directory in sorted(terraform_dirs):
            self.found.extend(self._terraform(terraform_dirs[directory]))
        self.finish_builds()
        return self.result()

    def _walk(self) -> None:
        stack: List[Tuple[str, str, int]] = [(self.root, "", 0)]
        visited: Set[str] = {self.root}
        seen = 0
        while stack:
            directory, rel_dir, depth = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name, reverse=True)
            except OSError:
                continue
            subdirs: List[Tuple[str, str, int]] = []
            for entry in reversed(entries):
                seen += 1
                if seen > MAX_ENTRIES:
                    self.found.notes.append(
                        Note(NoteCode.TARGET_LIMIT, rel_dir or ".", None, f"{MAX_ENTRIES} entries")
                    )
                    return
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    is_link = entry.is_symlink()
                    if is_link:
                        real = os.path.realpath(entry.path)
                        if not (real == self.root or real.startswith(self.root + os.sep)):
                            if route(rel) is not None:
                                self.found.notes.append(Note(NoteCode.OUTSIDE_PROJECT, rel))
                            continue
                    if entry.is_dir():
                        if self._skip_dir(entry.name, entry.path) or depth >= MAX_DEPTH:
                            continue
                        real = os.path.realpath(entry.path)
                        if real not in visited:
                            visited.add(real)
                            subdirs.append((entry.path, rel, depth + 1))
                    elif entry.is_file():
                        kind = route(rel)
                        if kind is not None:
                            self.routed.append((kind, entry.path, rel))
                except OSError:
                    continue
            stack.extend(reversed(subdirs))

    @staticmethod
    def _skip_dir(name: str, path: str) -> bool:
        return (
            name in _SKIP_DIRS
            or name.endswith(".egg-info")
            or os.path.exists(os.path.join(path, "pyvenv.cfg"))
        )

    # --- reading ------------------------------------------------------------------------

    def text(self, absolute: str, rel: str) -> str:
        if rel not in self.texts:
            self.texts[rel] = None
            self.texts[rel] = read_text(absolute, rel)
            self.files.append(rel)
        text = self.texts[rel]
        if text is None:
            raise InputError("could not be read", rel)
        return text

    def read(self, kind: Route, absolute: str, rel: str, strict: bool = False) -> Found:
        """What one file declares; a note instead of an error unless ``strict``."""
        try:
            if _is_template(rel):
                return self._template(absolute, rel)
            return self._dispatch(kind, absolute, rel)
        except InputError as exc:
            if strict:
                raise
            found = Found()
            found.notes.append(Note(NoteCode.UNREADABLE, exc.path or rel, exc.line, exc.message))
            return found

    def _template(self, absolute: str, rel: str) -> Found:
        text = self.text(absolute, rel)
        lines = text.splitlines()
        line = next((i for i, t in enumerate(lines, 1) if "{{" in t or "{%" in t), 1)
        where = Lines(rel, text).at(line)
        found = Found()
        found.note(NoteCode.TARGET_VARIABLE, where, where.evidence or rel)
        return found

    def _dispatch(self, kind: Route, absolute: str, rel: str) -> Found:
        if kind is Route.PYTHON_SOURCE:
            head = _head(absolute)
            if head is None or not cdk.mentions_runtime(head):
                return Found()
            return cdk.read(rel, self.text(absolute, rel))
        if kind is Route.YAML:
            head = _head(absolute)
            if head is not None and serverless.looks_like_cloudformation(head):
                kind = Route.CLOUDFORMATION
            elif head is not None and appengine.looks_like_app_engine(head):
                kind = Route.APP_ENGINE
            else:
                return Found()
        if kind is Route.SETUP_CFG:
            head = _head(absolute)
            if head is None or b"[tox:tox]" not in head:
                return Found()
        if kind is Route.TERRAFORM:
            return terraform.read_module([(rel, self.text(absolute, rel))])
        text = self.text(absolute, rel)
        reader = _READERS.get(kind)
        if reader is not None:
            return reader(rel, text)
        if kind is Route.WORKFLOW:
            found, builds = github.read(rel, text, self._version_file, self._workflow_file)
            self.builds.extend(builds)
            return found
        return Found()

    def _terraform(self, module: List[Tuple[str, str]]) -> Found:
        try:
            return terraform.read_module(
                [(rel, self.text(absolute, rel)) for absolute, rel in module]
            )
        except InputError as exc:
            found = Found()
            found.notes.append(Note(NoteCode.UNREADABLE, exc.path, exc.line, exc.message))
            return found

    def _version_file(self, name: str) -> Optional[Found]:
        """What a ``python-version-file`` names; None when it is missing or a range."""
        rel = posixpath.normpath(name.strip().replace("\\", "/").lstrip("/"))
        if rel.startswith("..") or not os.path.isfile(os.path.join(self.root, rel)):
            return None
        reader = {
            ".python-version": files.read_python_version,
            ".tool-versions": files.read_tool_versions,
            "pipfile": tomlfiles.read_pipfile,
        }.get(posixpath.basename(rel).lower())
        if reader is None:
            return None  # pyproject.toml: requires-python is a range, not a version
        try:
            return reader(rel, self.text(os.path.join(self.root, rel), rel))
        except InputError:
            return None  # said once, where discovery reads the file itself

    def _workflow_file(self, rel: str) -> Optional[str]:
        """The text of a workflow another one calls; None when missing or unreadable (said
        where discovery reads the file itself)."""
        absolute = os.path.join(self.root, rel)
        if rel.startswith("..") or not os.path.isfile(absolute):
            return None
        try:
            return self.text(absolute, rel)
        except InputError:
            return None

    # --- joining ------------------------------------------------------------------------

    def finish_builds(self) -> None:
        """Apply each workflow's Docker build (ARG values, platforms) to its Dockerfile."""
        for build in self.builds:
            absolute = os.path.join(self.root, build.dockerfile)
            if build.dockerfile.startswith("..") or not os.path.isfile(absolute):
                continue
            try:
                text = self.text(absolute, build.dockerfile)
            except InputError:
                continue
            platforms: List[Optional[dockerfile.Platform]] = [
                dockerfile.Platform(os_name, arch, written)
                for os_name, arch, written in build.platforms
            ] or [None]
            for platform in platforms:
                self.found.extend(
                    dockerfile.read(
                        build.dockerfile,
                        text,
                        build_args=build.build_args,
                        platform=platform,
                        target=build.target,
                    )
                )
        self.builds = []

    def result(self) -> Discovery:
        declarations = _unique(self.found.declarations)
        notes = _unique(self.found.notes)
        return Discovery(
            declarations=tuple(sorted(declarations, key=lambda d: (d.path, d.line))),
            notes=tuple(sorted(notes, key=lambda n: (n.path or "", n.line or 0))),
            files=tuple(sorted(self.files)),
        )


_READERS: Dict[Route, Callable[[str, str], Found]] = {
    Route.DOCKERFILE: lambda rel, text: dockerfile.read(rel, text),
    Route.GITLAB: gitlab.read,
    Route.PYTHON_VERSION: files.read_python_version,
    Route.RUNTIME_TXT: files.read_runtime_txt,
    Route.TOOL_VERSIONS: files.read_tool_versions,
    Route.SERVERLESS: serverless.read_serverless,
    Route.APP_ENGINE: appengine.read,
    Route.CLOUDFORMATION: serverless.read_template,
    Route.TOX_INI: tox.read_ini,
    Route.TOX_TOML: tox.read_tox_toml,
    Route.SETUP_CFG: lambda rel, text: tox.read_ini(rel, text, section="tox:tox"),
    Route.PYPROJECT: tomlfiles.read_pyproject,
    Route.PIPFILE: tomlfiles.read_pipfile,
}


def _head(absolute: str, size: int = 65536) -> Optional[bytes]:
    """The first bytes of a regular file, for routing; None when it cannot be read."""
    try:
        fd = os.open(absolute, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or os.fstat(fd).st_size > MAX_BYTES:
            return None
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


_T = TypeVar("_T")


def _unique(items: List[_T]) -> List[_T]:
    seen: Set[_T] = set()
    out: List[_T] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
