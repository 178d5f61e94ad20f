"""The half-yearly report's formats: ``markdown``, ``csv`` (one long table) and ``html`` (one
self-contained page: inline CSS and SVG, no script, no external reference)."""

from __future__ import annotations

import csv
import html
import io
import unicodedata
from typing import Any, TextIO

from cppolicy.reports.escape import csv_cell, markdown_text
from cppolicy.reports.formats import FORMATS
from cppolicy.reports.semiannual.model import SemiannualReport
from cppolicy.reports.semiannual.sections import Section, header_items
from cppolicy.reports.semiannual.tables import report_sections


def _display(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "share":
        return f"{value * 100:.1f} %"
    if kind == "change_share":
        return f"{value * 100:+.1f} %"
    if kind == "days":
        return f"{value:.1f}"
    if kind == "change":
        return f"{value:+d}"
    return str(value)


def _csv_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


TITLE_ZH = "金融消费者投诉统计分析半年报告"
TITLE_EN = "Semi-annual complaint statistics and analysis report"


@FORMATS.register("semiannual", "markdown", help="tables in Markdown")
def write_markdown(report: SemiannualReport, out: TextIO, lang: str = "en") -> None:
    def cell(text: str) -> str:
        return markdown_text(str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " "))

    out.write(f"# {TITLE_ZH} — {TITLE_EN}: {report.period.label}\n\n")
    out.write("| 项目 item | 内容 value |\n|---|---|\n")
    for item in header_items(report):
        value = f"{item.key} {item.value}" if item.key else item.value
        out.write(f"| {cell(item.zh)} {cell(item.en)} | {cell(value)} |\n")
    for section in report_sections(report):
        out.write(f"\n## {section.zh} — {section.en}\n\n")
        if section.note:
            out.write(f"{markdown_text(section.note)}\n\n")
        heads = [f"{section.key_zh} {section.key_en}"] + [f"{c.zh} {c.en}" for c in section.columns]
        out.write("| " + " | ".join(cell(h) for h in heads) + " |\n")
        aligns = ["---"] + ["---" if c.kind == "text" else "---:" for c in section.columns]
        out.write("|" + "|".join(aligns) + "|\n")
        if not section.rows:
            out.write("| (none 无) |" + " |" * len(section.columns) + "\n")
        for row in section.rows:
            first = ("↳ " if row.indent else "") + row.label
            values = [_display(row.values.get(c.id), c.kind or row.kind) for c in section.columns]
            out.write("| " + " | ".join(cell(v) for v in [first, *values]) + " |\n")


@FORMATS.register("semiannual", "csv", help="one long table: section, dimension, key, value")
def write_csv(report: SemiannualReport, out: TextIO, lang: str = "en") -> None:
    """One long table: section, dimension, key, value (docs/reports.md)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "dimension", "key", "value"])
    for item in header_items(report):
        writer.writerow([csv_cell(v) for v in ("header", item.id, item.key, item.value)])
    for section in report_sections(report):
        for row in section.rows:
            for column in section.columns:
                values = (section.id, column.id, row.key, _csv_value(row.values.get(column.id)))
                writer.writerow([csv_cell(v) for v in values])
    out.write(buffer.getvalue())


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bar:#2f6fb2; --bg:#ffffff; --band:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; padding: 24px 20px 48px; color: var(--ink); background: var(--bg);
  font: 14px/1.55 "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", system-ui, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h1 small { display: block; font-size: 15px; font-weight: normal; color: var(--muted); }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h2 small { font-weight: normal; color: var(--muted); margin-left: 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
th small { display: block; font-weight: normal; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.indent { padding-left: 28px; color: var(--muted); }
table.header th { width: 26%; }
p.note { color: var(--muted); font-size: 13px; margin: 4px 0; }
p.empty { color: var(--muted); font-style: italic; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }
svg.chart text { font-size: 12px; fill: var(--ink); }
svg.chart rect.bar { fill: var(--bar); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { max-width: none; } h2 { break-after: avoid; }
  svg.chart, table { break-inside: avoid; } }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fit(text: str, units: int) -> str:
    """``text`` cut to about ``units`` half-width columns (a CJK character takes two)."""
    used = 0
    for i, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > units:
            return text[: max(i - 1, 0)] + "…"
    return text


def _svg_bars(section: Section) -> str:
    """A horizontal bar chart of the section's ``count`` column (inline SVG, no script)."""
    rows = [
        (
            f"{r.label} {r.values['name']}" if r.values.get("name") else r.label,
            int(r.values.get("count") or 0),
        )
        for r in section.rows
    ]
    width, label_w, value_w, bar_h, gap, top = 720, 250, 50, 18, 6, 6
    height = top * 2 + max(len(rows), 1) * (bar_h + gap)
    peak = max((n for _, n in rows), default=0) or 1
    span = width - label_w - value_w - 10
    title = f"{section.zh} {section.en}"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{_esc(title)}"><title>{_esc(title)}</title>'
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 14}">(none 无)</text>')
    for i, (text, n) in enumerate(rows):
        y = top + i * (bar_h + gap)
        shown = _fit(text, 38)
        w = round(span * n / peak, 1)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h - 4}" text-anchor="end">{_esc(shown)}</text>')
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="2">'
            f"<title>{_esc(text)}: {n}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 6}" y="{y + bar_h - 4}">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


@FORMATS.register("semiannual", "html", help="one self-contained page")
def write_html(report: SemiannualReport, out: TextIO, lang: str = "en") -> None:
    """One self-contained page: inline CSS and SVG, no script, no external reference."""
    w = out.write
    title = f"{TITLE_ZH} {report.period.label} — {TITLE_EN}"
    w(
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
    )
    w(f"<header><h1>{_esc(TITLE_ZH)} {_esc(report.period.label)}<small>{_esc(TITLE_EN)}</small></h1>\n")
    w('<table class="header">\n')
    for item in header_items(report):
        value = f"{item.key} {item.value}" if item.key else item.value
        w(f"<tr><th>{_esc(item.zh)}<small>{_esc(item.en)}</small></th><td>{_esc(value)}</td></tr>\n")
    w("</table></header>\n")
    for section in report_sections(report):
        w(f'<section id="{_esc(section.id)}"><h2>{_esc(section.zh)}<small>{_esc(section.en)}</small></h2>\n')
        if section.note:
            w(f'<p class="note">{_esc(section.note)}</p>\n')
        if section.chart:
            w(_svg_bars(section) + "\n")
        if not section.rows:
            w('<p class="empty">（无） none</p></section>\n')
            continue
        w("<table><thead><tr>")
        w(f"<th>{_esc(section.key_zh)}<small>{_esc(section.key_en)}</small></th>")
        for c in section.columns:
            cls = "" if c.kind == "text" else ' class="num"'
            w(f"<th{cls}>{_esc(c.zh)}<small>{_esc(c.en)}</small></th>")
        w("</tr></thead><tbody>\n")
        for row in section.rows:
            cls = ' class="indent"' if row.indent else ""
            w(f"<tr><td{cls}>{_esc(row.label)}</td>")
            for c in section.columns:
                kind = c.kind or row.kind
                num = "" if kind == "text" else ' class="num"'
                w(f"<td{num}>{_esc(_display(row.values.get(c.id), kind))}</td>")
            w("</tr>\n")
        w("</tbody></table></section>\n")
    w(
        f"<footer>cppolicy report semiannual · {_esc(report.engine)} · "
        f"银监发〔2012〕13号 第十六点、第十一点</footer>\n</body>\n</html>\n"
    )
