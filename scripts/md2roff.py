"""A small Markdown to man(7) converter for the configuration references in docs/.

It knows what docs/daemon-config.md and docs/host-config.md use: headings, paragraphs, bullet
lists, fenced code blocks, pipe tables, and inline `code`, **bold**, *emphasis* and links. A
key table (first column `key`) becomes one tagged paragraph per key; other tables become tbl(1)
tables. Anything else is kept as paragraph text.
"""

from __future__ import annotations

import re


def escape(text: str) -> str:
    """Escapes roff's special characters in running text."""
    text = text.replace("\\", "\\e")
    # groff reads ASCII: anything else is written as its Unicode escape.
    return "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)


def inline(text: str) -> str:
    """Markdown inline markup to roff fonts; the result is escaped."""
    out = []
    pos = 0
    for m in re.finditer(r"`([^`]*)`", text):
        out.append(_emphasis(escape(text[pos:m.start()])))
        out.append("\\fB" + escape(m.group(1)).replace("-", "\\-") + "\\fR")
        pos = m.end()
    out.append(_emphasis(escape(text[pos:])))
    return "".join(out)


def _emphasis(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", text)
    return text


def line_safe(text: str) -> str:
    """A roff text line must not start with a control character."""
    if text.startswith((".", "'")):
        return "\\&" + text
    return text


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(rows: list[str]) -> list[str]:
    header = _cells(rows[0])
    body = [_cells(r) for r in rows[2:]]
    if header and header[0].lower() == "key":
        out = []
        for cells in body:
            out += [".TP", line_safe(inline(cells[0]))]
            rest = []
            if len(cells) > 2:
                rest.append("Default: " + cells[1] + ".")
                rest.append(cells[2])
            else:
                rest += cells[1:]
            out.append(line_safe(inline(" ".join(rest))))
        return out
    # Format lines: bold headings, then plain columns, the last one filling the width.
    out = [".PP", ".na", ".TS", "allbox tab(\t);", " ".join("lb" for _ in header),
           " ".join("lx" if i == len(header) - 1 else "l" for i in range(len(header))) + ".",
           line_safe("\t".join(escape(h) for h in header))]
    for cells in body:
        out.append("\t".join("T{\n" + line_safe(inline(c)) + "\nT}" for c in cells))
    out += [".TE", ".ad"]
    return out


def convert(markdown: str, skip_title: bool = True) -> tuple[str, list[str]]:
    """Converts a Markdown document. Returns (the first heading's text, roff lines without a
    .TH header). Level-2 headings become sections (.SH), deeper ones subsections (.SS)."""
    lines = markdown.split("\n")
    title = ""
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            out.append(".PP")
            out.append(line_safe(inline(" ".join(para))))
            para.clear()

    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            flush()
            level, text = len(heading.group(1)), heading.group(2).strip()
            if level == 1:
                title = re.sub(r"`", "", text)
                if not skip_title:
                    out += [".SH", line_safe(inline(text))]
            elif level == 2:
                out += [".SH " + '"' + re.sub(r"[`*]", "", text).upper() + '"']
            else:
                out += [".SS " + '"' + re.sub(r"[`*]", "", text) + '"']
            i += 1
            continue
        if line.startswith("```"):
            flush()
            i += 1
            out += [".PP", ".RS 4", ".nf"]
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_safe(escape(lines[i])))
                i += 1
            out += [".fi", ".RE"]
            i += 1
            continue
        if line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            out += _table(rows)
            continue
        bullet = re.match(r"^(\s*)[-*]\s+(.*)$", line)
        if bullet:
            flush()
            item = [bullet.group(2)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                item.append(lines[i].strip())
                i += 1
            out += [".IP \\(bu 2", line_safe(inline(" ".join(item)))]
            continue
        if not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return title, out
