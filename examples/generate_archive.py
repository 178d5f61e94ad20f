#!/usr/bin/env python3
"""Generate the bundled example archive and its manifest: the entry script of ``archive_generator/``.

Usage: ``python examples/generate_archive.py [--seed N] [--out PATH] [--check]`` (see examples/README.md).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_generator.cli import main  # the package sits beside this script

if __name__ == "__main__":
    sys.exit(main())
