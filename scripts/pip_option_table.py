"""Print the option tables of ``src/ddguard/hosts/pip_args.py`` from pip's own parsers.

    python scripts/pip_option_table.py DIR [DIR ...]

Each DIR holds one pip release's ``pip`` package (a pip source tree's ``src``, an unpacked
wheel, a site-packages). For each, a subprocess imports that pip and lists every option of
its main parser and of ``install``, ``download`` and ``wheel`` with whether it takes a
value; the union over all the releases is printed as the three tables. The table in the
module was made from the pip releases 23.2.1 to 26.2.1 (``git archive <tag> src/pip`` of
github.com/pypa/pip).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Dict, List, Set, Tuple

_LIST = """
import json, sys
sys.path.insert(0, sys.argv[1])
from pip._internal.cli.main_parser import create_main_parser
from pip._internal.commands import create_command

def options(parser):
    return {s: o.takes_value() for o in parser._get_all_options()
            for s in o._short_opts + o._long_opts}

found = {"general": options(create_main_parser())}
for name in ("install", "download", "wheel"):
    found[name] = options(create_command(name).parser)
print(json.dumps(found))
"""


def options_of(directory: str) -> Dict[str, Dict[str, bool]]:
    done = subprocess.run(
        [sys.executable, "-I", "-c", _LIST, directory],
        capture_output=True,
        text=True,
        check=True,
    )
    result: Dict[str, Dict[str, bool]] = json.loads(done.stdout)
    return result


def table(names: Set[str]) -> str:
    return textwrap.indent(
        textwrap.fill(" ".join(sorted(names)), 88, break_on_hyphens=False), "    "
    )


def main(directories: List[str]) -> int:
    takes: Dict[str, bool] = {}
    general: Set[str] = set()
    conflicts: List[Tuple[str, str]] = []
    for directory in directories:
        found = options_of(directory)
        general.update(found["general"])
        for options in found.values():
            for option, value in options.items():
                if takes.setdefault(option, value) != value:
                    conflicts.append((directory, option))
    for directory, option in conflicts:
        print(f"# {directory}: {option} takes a value in one release and not another")
    print('_TAKE_VALUE = _table(\n    """')
    print(table({o for o, v in takes.items() if v}))
    print('    """\n)\n_FLAGS = _table(\n    """')
    print(table({o for o, v in takes.items() if not v}))
    print('    """\n)\n_GENERAL = _table(\n    """')
    print(table(general))
    print('    """\n)')
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
