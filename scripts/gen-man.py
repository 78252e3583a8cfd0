#!/usr/bin/env python3
"""Generates mtasts' man pages and shell completions from the binary's own --help.

    scripts/gen-man.py --binary build/ci/app/mtasts --out DIR [--check]

writes DIR/man/mtasts.1, one DIR/man/mtasts-<subcommand>.1 per subcommand (its nested
subcommands are sections of that page), DIR/man/mtasts-daemon.yml.5 and
DIR/man/mtasts-host.yml.5 (from docs/daemon-config.md and docs/host-config.md),
DIR/completion/mtasts (bash) and DIR/completion/_mtasts (zsh). Every command, option and
description comes from running `mtasts ... --help`, so the pages cannot drift from the binary;
the exit statuses come from app/exit_codes.hpp.

--check then verifies the result: every page renders without a man/groff warning, every option of
every command appears in its page, and both completions name every subcommand. CI runs it
(scripts/check-package.sh); the Debian package build runs the generator (debian/rules).
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import md2roff  # noqa: E402
import mtasts_help  # noqa: E402
from gen_completion import bash_completion, zsh_completion  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Hand-written additions, kept to what --help cannot say: signals, files and related pages.
FILES = {
    "daemon": [("/etc/mtasts/daemon.yml", "configuration, mtasts-daemon.yml(5)"),
               ("/var/lib/mtasts/cache.db", "the SQLite policy cache (the default store)")],
    "host": [("/etc/mtasts/host.yml", "configuration, mtasts-host.yml(5)"),
             ("/etc/mtasts/host-tokens", "admin API tokens, NAME TOKEN lines"),
             ("/var/lib/mtasts/host.db", "domains, certificates and reports (SQLite store)")],
    "cache": [("/etc/mtasts/daemon.yml", "the daemon configuration naming the cache")],
}
SIGNALS = {
    key: [("SIGTERM", "stop: requests in flight get shutdown_timeout seconds to finish"),
          ("SIGHUP", "reopen the log file given with -l (after logrotate renamed it)")]
    for key in ("daemon", "host")
}
SEE_ALSO = {
    "daemon": ["mtasts-daemon.yml(5)", "mtasts-cache(1)", "postconf(5)"],
    "host": ["mtasts-host.yml(5)"],
    "cache": ["mtasts-daemon(1)", "mtasts-daemon.yml(5)"],
}
CONFIG_PAGES = [("mtasts-daemon.yml", "daemon-config.md", "daemon",
                 "configuration of the mtasts MTA-STS policy server"),
                ("mtasts-host.yml", "host-config.md", "host",
                 "configuration of mtasts MTA-STS policy hosting")]


def esc(text: str) -> str:
    """Escapes text for roff, with every hyphen a minus (options, names)."""
    return md2roff.escape(text).replace("-", "\\-")


def th(name: str, section: int, date: str, version: str) -> list[str]:
    return [f'.TH {esc(name.upper())} {section} "{date}" "mtasts {version}" '
            f'"{"User Commands" if section == 1 else "File Formats"}"']


def entry_lines(entry: mtasts_help.Entry) -> list[str]:
    """One option or positional as a tagged paragraph."""
    flags = entry.flags()
    if flags:
        tag = ", ".join("\\fB" + esc(f) + "\\fR" for f in flags)
        meta = entry.metavar()
        if meta:
            tag += " \\fI" + esc(meta) + "\\fR"
    else:
        name, _, meta = entry.names.partition(" ")
        tag = "\\fI" + esc(name) + "\\fR" + (" (" + esc(meta) + ")" if meta else "")
    return [".TP", tag, md2roff.line_safe(md2roff.escape(entry.description or "-"))]


def synopsis(command: mtasts_help.Command) -> list[str]:
    words = command.usage.split(" ")
    n = len(command.path) + 1
    return [".B " + esc(" ".join(words[:n])), md2roff.line_safe(esc(" ".join(words[n:])))]


def command_body(command: mtasts_help.Command, heading: str) -> list[str]:
    """Arguments, options and subcommands of one command, under `heading` (.SH or .SS)."""
    out = []
    if command.positionals():
        out.append(f'{heading} "{"ARGUMENTS" if heading == ".SH" else "Arguments"}"')
        for e in command.positionals():
            out += entry_lines(e)
    if command.options():
        out.append(f'{heading} "{"OPTIONS" if heading == ".SH" else "Options"}"')
        for e in command.options():
            out += entry_lines(e)
    return out


def sub_section(command: mtasts_help.Command) -> list[str]:
    out = [f'.SS "{esc(command.name)}"', md2roff.line_safe(md2roff.escape(command.description)),
           ".PP"] + synopsis(command)
    for e in command.positionals() + command.options():
        out += [".RS 4"] + entry_lines(e) + [".RE"]
    for sub in command.subcommands:
        out += sub_section(sub)
    return out


def exit_status() -> list[str]:
    text = (ROOT / "app" / "exit_codes.hpp").read_text()
    out = ['.SH "EXIT STATUS"']
    for value, comment in re.findall(r"kExit\w+ = (\d+);\s*//\s*(.*)", text):
        out += [".TP", f"\\fB{value}\\fR", md2roff.line_safe(md2roff.escape(comment))]
    return out


def files_and_see_also(key: str, extra: list[str]) -> list[str]:
    out = []
    if key in SIGNALS:
        out.append(".SH SIGNALS")
        for name, what in SIGNALS[key]:
            out += [".TP", "\\fB" + name + "\\fR", md2roff.escape(what)]
    if key in FILES:
        out.append(".SH FILES")
        for path, what in FILES[key]:
            out += [".TP", "\\fI" + esc(path) + "\\fR", md2roff.escape(what)]
    refs = (["mtasts(1)"] if key else []) + [*SEE_ALSO.get(key, []), *extra]
    out += [".SH \"SEE ALSO\"", ",\n".join("\\fB" + esc(r.split("(")[0]) + "\\fR(" +
                                           r.split("(")[1] for r in refs)]
    return out


def subcommand_page(command: mtasts_help.Command, date: str, version: str) -> str:
    key = command.path[0]
    name = "mtasts-" + key
    out = th(name, 1, date, version)
    out += [".SH NAME", f"{esc(name)} \\- {md2roff.escape(command.description)}",
            ".SH SYNOPSIS"] + synopsis(command)
    out += [".SH DESCRIPTION", md2roff.line_safe(md2roff.escape(command.description) + ".")]
    out += command_body(command, ".SH")
    if command.subcommands:
        out.append(".SH COMMANDS")
        for sub in command.subcommands:
            out += sub_section(sub)
    out += exit_status() + files_and_see_also(key, [])
    return "\n".join(out) + "\n"


def main_page(root: mtasts_help.Command, date: str, version: str) -> str:
    out = th("mtasts", 1, date, version)
    out += [".SH NAME", f"mtasts \\- {md2roff.escape(root.description)}", ".SH SYNOPSIS",
            ".B mtasts", "\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]",
            ".br", ".B mtasts", "\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR",
            ".SH DESCRIPTION",
            "One binary for MTA\\-STS (RFC 8461) and TLS reporting (RFC 8460). Each command "
            "has its own page, and prints its help with \\fB\\-\\-help\\fR.",
            ".SH COMMANDS"]
    for sub in root.subcommands:
        out += [".TP", f"\\fBmtasts {esc(sub.path[0])}\\fR (see \\fBmtasts\\-"
                f"{esc(sub.path[0])}\\fR(1))", md2roff.line_safe(md2roff.escape(sub.description))]
    out += command_body(root, ".SH") + exit_status()
    out += files_and_see_also("", ["mtasts-" + s.path[0] + "(1)" for s in root.subcommands] +
                              [p[0] + "(5)" for p in CONFIG_PAGES])
    return "\n".join(out) + "\n"


def config_page(name: str, doc: str, key: str, summary: str, date: str, version: str) -> str:
    _, body = md2roff.convert((ROOT / "docs" / doc).read_text())
    table = any(line == ".TS" for line in body)
    out = (["'\\\" t"] if table else []) + th(name, 5, date, version)
    out += [".SH NAME", f"{esc(name)} \\- {summary}", ".SH DESCRIPTION"] + body
    out += [".SH \"SEE ALSO\"", f"\\fBmtasts\\-{key}\\fR(1), \\fBmtasts\\fR(1)"]
    return "\n".join(out) + "\n"


def page_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc))
    return when.strftime("%Y-%m-%d")


def generate(binary: str, out: pathlib.Path) -> tuple[mtasts_help.Command, dict[str, str]]:
    root = mtasts_help.read_tree(binary)
    version = mtasts_help.read_version(binary)
    date = page_date()
    pages = {"mtasts.1": main_page(root, date, version)}
    for sub in root.subcommands:
        pages[f"mtasts-{sub.path[0]}.1"] = subcommand_page(sub, date, version)
    for name, doc, key, summary in CONFIG_PAGES:
        pages[f"{name}.5"] = config_page(name, doc, key, summary, date, version)
    (out / "man").mkdir(parents=True, exist_ok=True)
    (out / "completion").mkdir(parents=True, exist_ok=True)
    for file, text in pages.items():
        (out / "man" / file).write_text(text)
    (out / "completion" / "mtasts").write_text(bash_completion(root))
    (out / "completion" / "_mtasts").write_text(zsh_completion(root))
    return root, pages


def check(root: mtasts_help.Command, out: pathlib.Path) -> list[str]:
    """What is wrong with the generated files; empty when all is well."""
    problems = []
    for page in sorted((out / "man").iterdir()):
        # As lintian renders pages: man-db's pipeline, 80 columns, every warning.
        run = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                              str(page)], capture_output=True, text=True,
                             env={**os.environ, "MANWIDTH": "80"})
        if run.returncode != 0 or run.stderr.strip():
            problems.append(f"{page.name}: man: {run.stderr.strip()}")
    for command in root.walk():
        page = "mtasts.1" if not command.path else f"mtasts-{command.path[0]}.1"
        text = (out / "man" / page).read_text()
        if command.path and esc(command.name) not in text and len(command.path) > 1:
            problems.append(f"{page}: no section for {command.name}")
        for option in command.options():
            for flag in option.flags():
                if esc(flag) not in text:
                    problems.append(f"{page}: {command.name} {flag} missing")
    bash = (out / "completion" / "mtasts").read_text()
    zsh = (out / "completion" / "_mtasts").read_text()
    for command in root.walk():
        if command.path and command.path[-1] not in bash:
            problems.append(f"bash completion: {command.name} missing")
        if command.path and command.path[-1] not in zsh:
            problems.append(f"zsh completion: {command.name} missing")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--binary", required=True, help="the built mtasts executable")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="output directory")
    parser.add_argument("--check", action="store_true", help="verify the generated files")
    args = parser.parse_args()
    root, pages = generate(args.binary, args.out)
    commands = sum(1 for _ in root.walk())
    print(f"gen-man: {len(pages)} man pages, 2 completions, {commands} commands -> {args.out}")
    if args.check:
        problems = check(root, args.out)
        for p in problems:
            print("gen-man: " + p, file=sys.stderr)
        if problems:
            return 1
        print("gen-man: check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
