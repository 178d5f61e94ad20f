"""The command line: generate the archive and manifest for a seed (default paths beside the
archive), report the composition and check what was written; or, with ``--check``, only check an
existing archive and manifest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .generate import generate
from .output import DEFAULT_OUT, write_archive
from .verify import check_files, validate_all

DEFAULT_SEED = 20250101
DESCRIPTION = "Generate the bundled example archive ``examples/archive-2024-2025.jsonl.gz`` and its manifest."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="archive to write (.jsonl.gz)")
    parser.add_argument("--check", action="store_true", help="only verify an existing archive and manifest")
    args = parser.parse_args(argv)
    if args.check:
        check_files(args.out)
        return 0
    events, manifest = generate(args.seed)
    validate_all(events)
    write_archive(args.out, events, manifest)
    print(
        f"wrote {args.out} ({len(events)} events, {len(manifest['complaints'])} complaints)", file=sys.stderr
    )
    for year, row in manifest["composition"]["by_year"].items():
        print(f"  {year}: " + ", ".join(f"{k} {v}" for k, v in row.items()), file=sys.stderr)
    check_files(args.out)
    return 0
