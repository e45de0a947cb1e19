"""The static ``reports/index.html``: one self-contained page (no scripts, no external
assets) that links every table and figure with relative paths, shows figures as thumbnails
and renders the markdown tables inline, so the folder can be zipped, served or opened from
disk."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io import write_text

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
h3 { margin-top: 1.5em; }
nav ul { padding-left: 1.2em; } nav li { margin: 0.2em 0; }
.figs { display: flex; flex-wrap: wrap; gap: 14px; }
.fig { width: 360px; } .fig img { max-width: 360px; max-height: 300px; border: 1px solid #ddd; }
.fig .cap { font-size: 0.85em; word-break: break-all; }
.fig.wide { width: 100%; } .fig.wide img { max-width: 100%; max-height: none; }
/* a wide table scrolls inside its own box instead of widening the page */
table { border-collapse: collapse; font-size: 0.82em; margin: 0.6em 0; display: block;
        max-width: 100%; overflow-x: auto; }
td, th { border: 1px solid #ccc; padding: 2px 6px; } td.num { text-align: right; }
th { background: #f3f3f3; }
details { margin: 0.6em 0; } summary { cursor: pointer; }
ul.files { columns: 3; font-size: 0.85em; }
.meta { color: #666; font-size: 0.9em; }
.warning { border: 2px solid #c60; background: #fff4e5; padding: 0.2em 1em; }
"""


def _inline(text: str) -> str:
    """Markdown inline code and escaping."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append(f"<code>{html.escape(p[1:-1])}</code>")
        else:
            out.append(html.escape(p))
    return "".join(out)


def markdown_to_html(text: str, heading_offset: int = 2) -> str:
    """Just enough markdown for the tables this package writes: headings, paragraphs,
    pipe tables (right-aligned columns where the separator says ``---:``), lists."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line:
            i += 1
            continue
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m:
            level = min(6, len(m.group(1)) + heading_offset)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
            i += 1
            continue
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            head, rest = block[0], block[1:]
            align = []
            if rest and all(re.fullmatch(r":?-+:?", c) for c in rest[0]):
                align = [c.endswith(":") for c in rest[0]]
                rest = rest[1:]
            rows = ["<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr>"]
            for r in rest:
                rows.append("<tr>" + "".join(
                    f"<td class=\"num\">{_inline(c)}</td>" if j < len(align) and align[j]
                    else f"<td>{_inline(c)}</td>" for j, c in enumerate(r)) + "</tr>")
            out.append("<table>" + "".join(rows) + "</table>")
            continue
        if line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith(("|", "#", "- ")):
            para.append(lines[i].strip())
            i += 1
        text = " ".join(para)
        if len(text) > 2 and text.startswith("_") and text.endswith("_"):
            out.append(f"<p><em>{_inline(text[1:-1])}</em></p>")
        else:
            out.append(f"<p>{_inline(text)}</p>")
    return "\n".join(out)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_index(
    entries: Sequence[Mapping[str, str]],
    *,
    root: str | os.PathLike[str] = "reports",
    title: str = "imbench report",
    description: str = "",
    read_text: bool = True,
    warning: Sequence[str] = (),
) -> str:
    """The HTML text. ``entries``: dicts with ``section``, ``dataset``, ``title``, ``path``
    and optionally ``open`` and ``wide`` (paths relative to the workflow directory; links
    are made relative to ``root``), in reading order. Markdown files are rendered inline
    when ``read_text`` and the file exists (unfolded unless ``open`` is false); figures are
    thumbnails unless ``wide``; a folder is listed file by file. ``warning``: a sentence and
    the files it is about, shown first (cells made by other imbench code)."""
    groups: dict[str, dict[str, list[Mapping[str, str]]]] = {}
    for e in entries:
        groups.setdefault(e.get("dataset", ""), {}).setdefault(e["section"], []).append(e)

    def rel(path: str) -> str:
        return html.escape(os.path.relpath(path, root).replace(os.sep, "/"), quote=True)

    body = [f"<h1>{html.escape(title)}</h1>"]
    if description:
        body.append(f"<p class=\"meta\">{html.escape(description)}</p>")
    if warning:  # cells made by other code: a sentence, then their files
        items = "".join(f"<li><code>{html.escape(w)}</code></li>" for w in warning[1:21])
        more = f"<li>… {len(warning) - 21} more</li>" if len(warning) > 21 else ""
        body.append(f"<div class=\"warning\"><p><strong>{html.escape(warning[0])}</strong>"
                    f"</p><ul>{items}{more}</ul></div>")
    nav = []
    for dataset, sections in groups.items():
        head = f"Dataset {dataset}" if dataset else "All datasets"
        nav.append(f"<li><a href=\"#{_slug(head)}\">{html.escape(head)}</a>: "
                   + ", ".join(f"<a href=\"#{_slug(head + ' ' + s)}\">{html.escape(s)}</a>"
                               for s in sections) + "</li>")
    body.append("<nav><ul>" + "".join(nav) + "</ul></nav>")
    for dataset, sections in groups.items():
        head = f"Dataset {dataset}" if dataset else "All datasets"
        body.append(f"<h2 id=\"{_slug(head)}\">{html.escape(head)}</h2>")
        for section, items in sections.items():
            body.append(f"<h3 id=\"{_slug(head + ' ' + section)}\">{html.escape(section)}</h3>")
            figs, others = [], []
            for e in items:
                path = e["path"]
                if path.endswith((".png", ".svg", ".jpg")):
                    kind = "fig wide" if e.get("wide") else "fig"
                    figs.append(
                        f"<div class=\"{kind}\"><a href=\"{rel(path)}\"><img loading=\"lazy\" "
                        f"src=\"{rel(path)}\" alt=\"{html.escape(e['title'])}\"></a>"
                        f"<div class=\"cap\">{html.escape(e['title'])}</div></div>")
                elif path.endswith(".md") and read_text and Path(path).is_file():
                    unfold = " open" if e.get("open", True) else ""
                    others.append(
                        f"<details{unfold}><summary><a href=\"{rel(path)}\">"
                        f"{html.escape(e['title'])}</a></summary>"
                        + markdown_to_html(Path(path).read_text(), heading_offset=3)
                        + "</details>")
                elif Path(path).is_dir():
                    files = sorted(p for p in Path(path).iterdir() if p.is_file())
                    pngs = [p for p in files if p.suffix == ".png"]
                    links = "".join(f"<li><a href=\"{rel(str(p))}\">{html.escape(p.name)}</a>"
                                    "</li>" for p in files)
                    thumbs = "".join(
                        f"<div class=\"fig\"><a href=\"{rel(str(p))}\"><img loading=\"lazy\" "
                        f"src=\"{rel(str(p))}\" alt=\"{html.escape(p.name)}\"></a>"
                        f"<div class=\"cap\">{html.escape(e['title'] + '/' + p.name)}</div>"
                        "</div>" for p in pngs[:4])
                    others.append(f"<details><summary>{html.escape(e['title'])} "
                                  f"({len(files)} files)</summary><div class=\"figs\">{thumbs}"
                                  f"</div><ul class=\"files\">{links}</ul></details>")
                else:
                    others.append(f"<p><a href=\"{rel(path)}\">{html.escape(e['title'])}</a>"
                                  "</p>")
            body += others
            if figs:
                many = len(figs) > 12
                block = "<div class=\"figs\">" + "".join(figs) + "</div>"
                body.append(f"<details><summary>{len(figs)} figures</summary>{block}</details>"
                            if many else block)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_index(entries: Sequence[Mapping[str, Any]], path: str | os.PathLike[str],
                **kwargs: Any) -> None:
    root = kwargs.pop("root", os.path.dirname(os.fspath(path)) or ".")
    write_text(path, render_index(entries, root=root, **kwargs))
