"""The documentation's example outputs, generated from the code.

A fenced block in README.md or docs/*.md that follows the line ``<!-- docs-example: NAME -->``
is the output of :data:`EXAMPLES` ``[NAME]``: the command it names, run in this process on the
bundled example archive. ``tests/test_docs_examples.py`` fails when a block differs from what the
code prints now; after a change that moves the figures, regenerate them from the checkout's root::

    python -m tests.docs_examples            # check: prints a diff of each stale block, exit 1
    python -m tests.docs_examples --update   # rewrite the stale blocks in place
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = "examples/archive-2024-2025.jsonl.gz"
#: the documents that hold generated examples
DOCS = ("README.md", "docs/reports.md")
#: a marker, then a fenced block: its body is generated
_BLOCK = re.compile(
    r"(?P<head><!-- docs-example: (?P<name>[\w-]+) -->\n```[\w-]*\n)(?P<body>(?:.*\n)*?)(?P<tail>```)"
)


def _run(*args: str) -> str:
    """``cppolicy ARGS…`` in this process, from the checkout's root; its standard output."""
    from tests.helpers import cli

    result = cli(*(str(ROOT / a) if a == ARCHIVE else a for a in args))
    if result.exit_code not in (0, 1):  # 1: the example archive has violations, as documented
        raise RuntimeError(f"cppolicy {' '.join(args)}: exit {result.exit_code}: {result.output}")
    return result.stdout


def readme_audit() -> str:
    """README's first example: the table's header, one finding, the summary lines."""
    args = ("audit", ARCHIVE, "--as-of", "2026-01-31T00:00:00+08:00")
    lines = _run(*args).splitlines()
    header = next(line for line in lines if line.startswith("┃ complaint "))
    finding = next(line for line in lines if line.startswith("│ C-2019-00008 ") and "P7.ACK_LATE" in line)
    last_table_line = max(n for n, line in enumerate(lines) if line.startswith("└"))
    summary = lines[last_table_line + 1 :]
    return "\n".join([f"$ cppolicy {' '.join(args)}", header, finding, *summary]) + "\n"


def reports_semiannual() -> str:
    """docs/reports.md's example: the report of 2025H1, its reconciliation lines and the
    sections whose figures the text discusses."""
    args = ("report", "semiannual", ARCHIVE, "--period", "2025H1")
    text = _run(*args)
    head, *sections = text.split("\n## ")
    kept = [line for line in head.splitlines() if "核对 " in line or "本期受理投诉" in line]
    wanted = ("办理情况 ", "监管转办投诉 ", "热点问题 ", "说明 ")
    for section in sections:
        if section.startswith(wanted):
            kept += ["", "## " + section.strip("\n")]
    return "\n".join([f"$ cppolicy {' '.join(args)}", "…", *kept]) + "\n"


#: the generated examples, by the name their marker gives
EXAMPLES: dict[str, Callable[[], str]] = {
    "readme-audit": readme_audit,
    "reports-semiannual-2025h1": reports_semiannual,
}


def regenerate(text: str, where: str, cache: dict[str, str]) -> str:
    """``text`` with every marked block's body generated anew (``cache``: by name, shared)."""

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in EXAMPLES:
            raise KeyError(f"{where}: unknown docs-example {name!r} (known: {', '.join(EXAMPLES)})")
        if name not in cache:
            cache[name] = EXAMPLES[name]()
        return match["head"] + cache[name] + match["tail"]

    return _BLOCK.sub(body, text)


def stale(docs: Sequence[str] = DOCS, cache: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """The documents whose generated blocks differ from the code's output: path -> (old, new)."""
    cache = {} if cache is None else cache
    out = {}
    for doc in docs:
        old = (ROOT / doc).read_text(encoding="utf-8")
        new = regenerate(old, doc, cache)
        if new != old:
            out[doc] = (old, new)
    return out


def main(argv: Sequence[str]) -> int:
    update = "--update" in argv
    changed = stale()
    for doc, (old, new) in changed.items():
        if update:
            (ROOT / doc).write_text(new, encoding="utf-8")
            print(f"updated {doc}")
        else:
            diff = difflib.unified_diff(
                old.splitlines(), new.splitlines(), doc, f"{doc} (generated)", lineterm=""
            )
            print("\n".join(diff))
    if changed and not update:
        print("stale examples: run python -m tests.docs_examples --update", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
