"""`tracker completion bash|zsh|fish` and `tracker man`: both generated from the parser
(tracker.cli.parser), so that they know every subcommand and option of this version.

Completion scripts come from shtab (a kept generator: bash, zsh and fish from one
argparse parser, no runtime hook in the completed command, unlike argcomplete which
runs Python at every Tab). Task ids and county names are offered where cheap: the
script asks ``tracker completion --words KIND``, which
prints them from the state (a few ms), for the arguments named TASK and COUNTY.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date

SHELLS = ("bash", "zsh", "fish")
# shtab's "choices" for the positional arguments that name a task or a county: a
# shell function (bash, zsh) that asks the tracker for the words.
_BASH_WORDS = """
_tracker_words() {
  compgen -W "$(tracker completion --words "$1" 2>/dev/null)" -- "$2"
}
_tracker_tasks() { _tracker_words tasks "$1"; }
_tracker_counties() { _tracker_words counties "$1"; }
"""
_ZSH_WORDS = """
_tracker_tasks() { compadd -- ${(f)"$(tracker completion --words tasks 2>/dev/null)"}; }
_tracker_counties() { compadd -- ${(f)"$(tracker completion --words counties 2>/dev/null)"}; }
"""


def cmd_completion(args: argparse.Namespace) -> int:
    if args.words:
        return _words(args)
    if args.shell not in SHELLS:
        from tracker.domain.errors import UsageError

        raise UsageError("completion.shell", shell=str(args.shell), known=", ".join(SHELLS))
    import shtab

    from tracker.cli.parser import build_parser

    parser = build_parser(None)
    _mark_words(parser, args.shell)
    preamble = {"bash": _BASH_WORDS, "zsh": _ZSH_WORDS}.get(args.shell, "")
    sys.stdout.write(shtab.complete(parser, shell=args.shell, preamble=preamble))
    return 0


def _mark_words(parser: argparse.ArgumentParser, shell: str) -> None:
    """Give the TASK and COUNTY arguments their word functions (shtab's ``complete``)."""
    functions = {"TASK": "_tracker_tasks", "TASK|COUNTY": "_tracker_tasks",
                 "COUNTY": "_tracker_counties"}
    for action in _all_actions(parser):
        name = functions.get(str(action.metavar))
        if name and not action.option_strings and shell in ("bash", "zsh"):
            action.complete = {"bash": name, "zsh": name}  # type: ignore[attr-defined]


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _all_actions(sub)
    return found


def _words(args: argparse.Namespace) -> int:
    """Task ids or county names (Chinese), one a line, for completion."""
    from tracker.cli.common import open_store

    store = open_store(args)
    if not store.path.exists():
        return 0
    view = store.view()
    if args.words == "tasks":
        words = sorted(doc["id"] for doc in view.tables["tasks"].values())
    else:
        words = [c.name.zh for c in view.plan.counties]
    sys.stdout.write("\n".join(words) + "\n")
    return 0


def cmd_man(args: argparse.Namespace) -> int:
    """The manual page tracker(1), in roff, from the parser: ``tracker man | man -l -``,
    or ``tracker man -o /usr/local/share/man/man1/tracker.1``."""
    text = man_page()
    if args.output and args.output != "-":
        from pathlib import Path

        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _roff(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.MULTILINE)


def man_page() -> str:
    from tracker.cli.parser import build_parser, package_version
    from tracker.i18n import _

    parser = build_parser(None)
    out = [f'.TH TRACKER 1 "{date.today().isoformat()}" "tracker {package_version()}"'
           ' "User Commands"',
           ".SH NAME", "tracker \\- " + _roff(parser.description or ""),
           ".SH SYNOPSIS", ".B tracker", "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR ...",
           ".SH OPTIONS"]
    out += _options(parser)
    out.append(".SH COMMANDS")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append(f".SS {_roff(sub.format_usage().split(':', 1)[-1].strip())}")
                out.append(_roff(sub.description or name))
                out += _options(sub, skip_common=True)
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        for action_name, action_parser in inner.choices.items():
                            out.append(f".TP\n.B {name} {_roff(action_name)}")
                            out.append(_roff(action_parser.description or ""))
    out += [".SH FILES",
            ".TP\n.I /etc/tracker/config.toml\n" + _roff(_("man.files.system")),
            ".TP\n.I ~/.config/tracker/config.toml\n" + _roff(_("man.files.user")),
            ".TP\n.I ~/.local/share/tracker/tracker.json\n" + _roff(_("man.files.db")),
            ".SH ENVIRONMENT",
            ".TP\n.B TRACKER_DB, TRACKER_LANG, TRACKER_THEME, TRACKER_ASCII\n"
            + _roff(_("man.env")),
            ".TP\n.B NO_COLOR\n" + _roff(_("man.no_color")),
            ".SH SEE ALSO", _roff(_("man.see_also")), ""]
    return "\n".join(out)


_COMMON = {"--db", "--lang", "--as-of", "--ascii", "-h"}


def _options(parser: argparse.ArgumentParser, *, skip_common: bool = False) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help is None:
            continue
        if skip_common and set(action.option_strings) & _COMMON:
            continue
        if action.option_strings:
            names = ", ".join(action.option_strings)
            if action.nargs != 0:
                names += f" {action.metavar or action.dest.upper()}"
        else:
            names = str(action.metavar or action.dest)
        out.append(f".TP\n.B {_roff(names)}\n{_roff(str(action.help))}")
    return out
