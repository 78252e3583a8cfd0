"""The command tree of the mtasts binary, read from its own --help output.

Used by scripts/gen-man.py: the man pages and shell completions are generated from what the
binary prints, so they cannot drift from `mtasts ... --help`. The help text is CLI11's: a
description line, a `Usage:` line, then sections (`Positionals:`, `Options:`, `Subcommands:`,
or an option group's name) whose entries are indented by two spaces, a name column, and a
description after two or more spaces.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess

_ENTRY = re.compile(r"^  (\S.*?)(?:\s{2,}(\S.*))?$")
_SECTION = re.compile(r"^(\S[^:]*):$")


@dataclasses.dataclass
class Entry:
    """One line of a help section: `names` as printed (`-c,--config TEXT`), its description."""

    names: str
    description: str

    def flags(self) -> list[str]:
        """The option's spellings (`-c`, `--config`); empty for a positional."""
        first = self.names.split(" ")[0]
        return [f for f in first.split(",") if f.startswith("-")]

    def metavar(self) -> str:
        """What follows the flags (`TEXT`, `FLOAT=10`, `TEXT ... REQUIRED`), or ''."""
        parts = self.names.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclasses.dataclass
class Command:
    """A command of the tree: its words after `mtasts` (empty for mtasts itself)."""

    path: list[str]
    description: str
    usage: str
    sections: dict[str, list[Entry]]
    subcommands: list["Command"]

    @property
    def name(self) -> str:
        return " ".join(["mtasts", *self.path])

    def options(self) -> list[Entry]:
        """Every entry that is an option, whatever its group."""
        return [e for title, entries in self.sections.items() if title not in
                ("Positionals", "Subcommands") for e in entries if e.flags()]

    def positionals(self) -> list[Entry]:
        return self.sections.get("Positionals", [])

    def walk(self):
        """This command, then every command below it, depth first."""
        yield self
        for sub in self.subcommands:
            yield from sub.walk()


def parse_help(text: str, path: list[str]) -> Command:
    """Parses one command's --help output. The binary's own path in the Usage line (which
    depends on how it was called) is replaced with `mtasts`."""
    lines = text.rstrip("\n").split("\n")
    description = ""
    usage = ""
    sections: dict[str, list[Entry]] = {}
    current: list[Entry] | None = None
    for line in lines:
        if line.startswith("Usage: "):
            words = line[len("Usage: "):].split(" ")
            usage = " ".join(["mtasts", *words[1:]])
            continue
        section = _SECTION.match(line)
        if section:
            current = sections.setdefault(section.group(1), [])
            continue
        if current is None:
            if line.strip() and not description:
                description = line.strip()
            continue
        if not line.strip():
            continue
        if line.startswith("   ") and current:
            # A name longer than its column pushes the description to the next line.
            prev = current[-1]
            joined = (prev.description + " " + line.strip()).strip()
            current[-1] = Entry(prev.names, joined)
            continue
        entry = _ENTRY.match(line)
        if entry:
            current.append(Entry(entry.group(1).strip(), (entry.group(2) or "").strip()))
    if not path and ":" in description:
        description = description.split(":", 1)[1].strip()
    return Command(path, description, usage, sections, [])


def read_tree(binary: str, path: list[str] | None = None) -> Command:
    """Runs `binary PATH... --help` for the command and, recursively, each subcommand."""
    path = path or []
    out = subprocess.run([binary, *path, "--help"], check=True, capture_output=True,
                         text=True).stdout
    command = parse_help(out, path)
    for entry in command.sections.get("Subcommands", []):
        command.subcommands.append(read_tree(binary, [*path, entry.names]))
    return command


def read_version(binary: str) -> str:
    """The version `binary --version` prints."""
    out = subprocess.run([binary, "--version"], check=True, capture_output=True,
                         text=True).stdout
    return out.strip().split()[-1]


if __name__ == "__main__":
    # mtasts_help.py BINARY [WORD...]: the subcommands of `mtasts WORD...`, one a line.
    import sys

    _out = subprocess.run([sys.argv[1], *sys.argv[2:], "--help"], check=True,
                          capture_output=True, text=True).stdout
    for _entry in parse_help(_out, sys.argv[2:]).sections.get("Subcommands", []):
        print(_entry.names)
