"""``ddguard targets``: the deployment targets a project declares, in words and as JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ddguard.model import NoteCode
from ddguard.report.words import IMPLEMENTATION, clean, note, target

if TYPE_CHECKING:
    from ddguard.model import Note
    from ddguard.model.deployment import Deployment, TargetDeclaration

_KIND_WORDS = {
    "dockerfile": "Dockerfile",
    "github-actions": "GitHub Actions",
    "gitlab-ci": "GitLab CI",
    "python-version-file": ".python-version",
    "runtime-txt": "runtime.txt",
    "tool-versions": ".tool-versions",
    "aws-sam": "AWS SAM",
    "cloudformation": "CloudFormation",
    "serverless": "Serverless Framework",
    "app-engine": "App Engine",
    "aws-cdk": "AWS CDK",
    "terraform": "Terraform",
    "tox": "tox",
    "pipfile": "Pipfile",
    "ddguard-config": "[tool.ddguard] targets",
}
_TARGET_NOTES = {
    NoteCode.TARGET_MAJOR_ONLY: "names a major version only: no target (write the minor, e.g. 3.12)",
    NoteCode.TARGET_NO_VERSION: "names Python without a version: no target",
    NoteCode.TARGET_VARIABLE: "takes the version from a variable ddguard cannot see: no target",
    NoteCode.TARGET_UNKNOWN_IMAGE: "uses an image whose Python ddguard does not know: no target",
    NoteCode.TARGET_LIMIT: "reached a limit of discovery: the rest was not read",
}


def _python(declaration: TargetDeclaration) -> Optional[str]:
    version = declaration.python_version
    return ".".join(str(p) for p in version) if version else None


def declaration_json(declaration: TargetDeclaration) -> Dict[str, Any]:
    return {
        "implementation": declaration.implementation.value if declaration.implementation else None,
        "python_version": _python(declaration),
        "free_threaded": declaration.free_threaded,
        "os": declaration.os.value if declaration.os else None,
        "arch": declaration.arch.value if declaration.arch else None,
        "libc": declaration.libc.value if declaration.libc else None,
        "source": declaration.source,
        "evidence": clean(declaration.evidence),
        "kind": declaration.kind.value,
        "via": declaration.via,
        "stage": declaration.stage,
        "final": declaration.final,
        "compact": declaration.compact(),
    }


def note_words(fact: Note) -> str:
    if fact.code in _TARGET_NOTES:
        where = f"{fact.path}:{fact.line}" if fact.line else (fact.path or "")
        quoted = f" ({clean(fact.text)})" if fact.text else ""
        return f"{where}: {_TARGET_NOTES[fact.code]}{quoted}"
    return note(fact)


def _facts(declaration: TargetDeclaration) -> str:
    implementation = IMPLEMENTATION.get(declaration.implementation, "Python") if declaration.implementation else "Python"
    parts = [f"{implementation} {_python(declaration) or '?'}" + ("t" if declaration.free_threaded else "")]
    place = [
        declaration.os.value if declaration.os else "OS not stated",
        declaration.arch.value if declaration.arch else "arch not stated",
    ]
    if declaration.libc:
        place.append(declaration.libc.value)
    parts.append("/".join(place))
    if declaration.stage:
        parts.append(f"stage {declaration.stage}" + (" (final)" if declaration.final else ""))
    return ", ".join(parts)


def render_targets(found: Deployment, fmt: str) -> str:
    declarations: List[TargetDeclaration] = list(found.declarations)  # type: ignore[arg-type]
    if fmt == "json":
        document = {
            "targets": [declaration_json(d) for d in declarations],
            "judged": [
                {"target": target(t), "compact": _compact(t), "declared_by": list(where)}
                for t, where in found.targets
            ],
            "notes": [{"code": n.code.value, "source": f"{n.path}:{n.line}" if n.line else n.path, "text": note_words(n)} for n in found.notes],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        rows = ["| source | kind | target | evidence |", "|---|---|---|---|"]
        for d in declarations:
            evidence = clean(d.evidence).replace("|", "\\|")
            rows.append(f"| {d.source} | {_KIND_WORDS.get(d.kind.value, d.kind.value)} | {_facts(d)} | `{evidence}` |")
        notes = [f"- {note_words(n)}" for n in found.notes]
        return "\n".join(rows + ([""] + notes if notes else [])) + "\n"
    lines = [
        f"{d.source}: {_facts(d)}  [{_KIND_WORDS.get(d.kind.value, d.kind.value)}: {clean(d.evidence)}]"
        for d in declarations
    ]
    if found.targets:
        lines.append("")
        lines.append("judged by `ddguard check` (what a file leaves unstated is widened, never guessed):")
        lines.extend(f"  {target(t)}  <- {', '.join(where)}" for t, where in found.targets)
    lines.extend(f"note: {note_words(n)}" for n in found.notes)
    if not declarations and not found.notes:
        lines.append(
            "no deployment target declared here (looked for Dockerfiles, CI workflows, version "
            "files, serverless templates, tox and Pipfile); `ddguard check` judges the running interpreter"
        )
    return "\n".join(lines) + "\n"


def _compact(found: Any) -> str:
    interpreter = "cp%d%d" % found.python
    return f"{interpreter}-{found.platforms[0]}" if found.platforms else interpreter
