"""Writing the archive and its manifest byte-identically: the default paths beside this package,
one JSON line per event, gzip without a name or timestamp, and the manifest's path and text.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUT = EXAMPLES_DIR / "archive-2024-2025.jsonl.gz"


def dump_line(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def gzip_bytes(payload: bytes) -> bytes:
    buf = io.BytesIO()
    # filename="" and mtime=0: no name and no timestamp in the header, so reruns are byte-identical.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    return buf.getvalue()


def manifest_path_for(out: Path) -> Path:
    name = out.name
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)] + ".scenarios.json")
    return out.with_name(name + ".scenarios.json")


def write_archive(out: Path, events: list[dict], manifest: dict) -> None:
    """Write the archive (gzip JSON Lines) to ``out`` and the manifest beside it."""
    lines = [dump_line(ev) for ev in events]
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip_bytes(payload))
    manifest_path_for(out).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
