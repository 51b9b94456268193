"""The shell tool's allow-list check: which programs a command line would start.

``check_command(command, allow)`` raises ``ShellCommandRefused`` unless every simple command in
``command`` begins with a program named in ``allow``. The line is read by the POSIX shell's own
token rules (quotes, backslashes, line continuations, comments, operators), and every construct
that can start a program without showing its name as the first word of a simple command, or
whose text the shell treats as data while this reader would treat it as code (so the two could
disagree about where a quote ends), is refused rather than guessed: command substitution,
``${...}``, ``$'...'``, here-documents, subshells, groups and compound commands, redirections or
variable assignments before the program name.

Not shlex: it does not say whether a token was quoted (a quoted ";" would look like an operator)
and it starts comments in the middle of a word; both are exactly where a bypass would hide.

This keeps an agent on the allowed programs; it is not a sandbox. An allowed program that runs
other programs or code (env, xargs, find -exec, sh, python, git, make ...) can run anything.
See docs/shell-tool.md.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "PROGRAM_NAME",
    "RESERVED_WORDS",
    "ShellCommandRefused",
    "ShellToolError",
    "check_command",
    "check_program_name",
]

PROGRAM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*\Z")
"""What an allow-list entry may be: a bare program name, no path, no glob or shell syntax."""

_KEYWORDS = "! { } [[ ]] case coproc do done elif else esac fi for function if in select then "
RESERVED_WORDS = frozenset((_KEYWORDS + "time until while").split())
"""Shell keywords (POSIX and bash): they start compound commands, so they cannot be allowed."""

# Longest first, so that ">>" is read before ">". Bash-only operators (&>, |&, ;&) are left
# out on purpose: read as their POSIX parts they only ever make the check stricter.
_OPERATORS = ("<<-", "&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|")
_OPERATOR_CHARS = frozenset(";&|<>()\n")
_SEPARATORS = frozenset({";", "&", "&&", "|", "||", ";;", "\n"})
_BLANKS = frozenset(" \t")
_DOUBLE_QUOTE_ESCAPES = frozenset('$`"\\\n')


class ShellToolError(Exception):
    """The shell tool cannot run this command; the message is written for the model."""


class ShellCommandRefused(ShellToolError):
    """The command line starts a program outside the allow-list, or cannot be checked."""


class _Token(NamedTuple):
    text: str
    operator: bool


def check_program_name(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` can be an allow-list entry."""
    if not PROGRAM_NAME.match(name) or name in RESERVED_WORDS:
        raise ValueError(
            f"shell allow-list entry {name!r} is not a program name (letters, digits, "
            "'_', '.', '+', '-'; no path, no shell syntax, not a shell keyword)"
        )


def check_command(command: str, allow: tuple[str, ...]) -> None:
    """Raise ``ShellCommandRefused`` unless every simple command starts an allowed program."""
    expecting_program = True  # at the start of a simple command
    for token in _tokens(command):
        if not token.operator:
            if expecting_program:
                _check_program(token.text, allow)
                expecting_program = False
        elif token.text in ("(", ")"):
            raise ShellCommandRefused(
                "subshells, groups and function definitions are not allowed with the shell "
                "allow-list; write plain commands joined by ; && || |"
            )
        elif token.text in ("<<", "<<-"):
            raise ShellCommandRefused(
                "here-documents are not allowed with the shell allow-list; write the text to a "
                "file first"
            )
        elif token.text in _SEPARATORS:
            if expecting_program and token.text != "\n":
                raise ShellCommandRefused(f"{token.text!r} has no command before it")
            expecting_program = True
        elif expecting_program:
            raise ShellCommandRefused(
                f"redirection {token.text!r} before the program name; start each command with "
                "the program name"
            )


def _check_program(word: str, allow: tuple[str, ...]) -> None:
    if word in allow:
        return
    if "=" in word and not word.startswith("="):
        raise ShellCommandRefused(
            f"variable assignment {word!r} before the program is not allowed with the shell "
            "allow-list"
        )
    allowed = ", ".join(sorted(allow)) or "none"
    raise ShellCommandRefused(f"program {word!r} is not allowed (allowed programs: {allowed})")


def _tokens(command: str) -> list[_Token]:
    """Words (quotes removed) and operators of ``command``, by the POSIX token rules."""
    tokens: list[_Token] = []
    word: list[str] = []
    in_word = False  # a word has begun, maybe still empty as in ""
    i = 0
    while i < len(command):
        char = command[i]
        if command.startswith("\\\n", i):  # a line continuation vanishes before tokenizing
            i += 2
        elif char in _BLANKS or char in _OPERATOR_CHARS:
            if in_word:
                tokens.append(_Token("".join(word), operator=False))
                word, in_word = [], False
            if char in _OPERATOR_CHARS:
                operator = next((op for op in _OPERATORS if command.startswith(op, i)), char)
                tokens.append(_Token(operator, operator=True))
                i += len(operator)
            else:
                i += 1
        elif char == "#" and not in_word:  # a comment runs to the end of the line
            end = command.find("\n", i)
            i = len(command) if end < 0 else end
        else:
            in_word = True
            i = _word_part(command, i, word)
    if in_word:
        tokens.append(_Token("".join(word), operator=False))
    return tokens


def _word_part(command: str, i: int, word: list[str]) -> int:
    """Read one character, escape or quoted string of a word at ``i``; return the next index."""
    char, following = command[i], command[i + 1 : i + 2]
    if char == "\\":
        word.append(following)
        return i + 2
    if char == "'":
        end = command.find("'", i + 1)
        if end < 0:
            raise ShellCommandRefused("unterminated single quote")
        word.append(command[i + 1 : end])
        return end + 1
    if char == '"':
        return _double_quoted(command, i + 1, word)
    _refuse_substitution(char, following, quoted=False)
    word.append(char)
    return i + 1


def _double_quoted(command: str, i: int, word: list[str]) -> int:
    """Read a double-quoted string whose text starts at ``i``; return the index after it."""
    while i < len(command):
        char, following = command[i], command[i + 1 : i + 2]
        if char == '"':
            return i + 1
        if char == "\\" and following and following in _DOUBLE_QUOTE_ESCAPES:
            word.append("" if following == "\n" else following)
            i += 2
            continue
        _refuse_substitution(char, following, quoted=True)
        word.append(char)
        i += 1
    raise ShellCommandRefused("unterminated double quote")


def _refuse_substitution(char: str, following: str, quoted: bool) -> None:
    """Refuse what expands to the output of a program, or quotes the shell reads differently."""
    if char == "`" or (char == "$" and following == "("):
        raise ShellCommandRefused(
            "command substitution ($(...) or `...`) is not allowed with the shell allow-list"
        )
    if char == "$" and following == "{":
        raise ShellCommandRefused(
            "${...} expansions are not allowed with the shell allow-list; write $NAME"
        )
    if char == "$" and following in ("'", '"') and not quoted:
        raise ShellCommandRefused("$'...' and $\"...\" strings are not allowed with the allow-list")
