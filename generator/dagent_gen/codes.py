"""The registry of diagnostic codes: every ``DGxxx`` code is one member of `Code`.

A member carries what the rest of dagent-gen needs to know about its code: the code string
shown to users (``error[DG202]``), the pipeline stage(s) that report it, its severity, the
exit code an error with it calls for (see ``exit_codes.py``), a one-line title and the anchor
of its row in docs/diagnostics.md. Diagnostics are created from members
(``error(Code.INVALID_VALUE, ...)``), never from bare strings, so a new code needs only an
entry here — and a row in the docs table, which is this registry's rendering:
``python -m dagent_gen.codes`` prints it, and tests/unit/test_codes.py keeps the two equal.
"""

# The titles are the docs table's text, which writes ranges with an en dash.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from dagent_gen.exit_codes import ExitCode


class Stage(StrEnum):
    """The part of dagent-gen that reports a code (the docs table's "stage" column)."""

    LOAD = "load"
    VALIDATE = "validate"
    INTROSPECT = "introspect"
    MCP = "mcp"
    FORMAT = "format"
    MERGE = "merge"
    EJECT = "eject"
    BUILD_STATE = "build state"
    WRITE = "write"
    NEW = "new"


class Severity(StrEnum):
    """How a code is reported; EITHER codes are errors in some cases and warnings in others."""

    ERROR = "error"
    WARNING = "warning"
    EITHER = "error or warning"


@dataclass(frozen=True)
class _Entry:
    code: str
    stages: tuple[Stage, ...]
    severity: Severity
    title: str  # markdown, as in the docs table (without the "warning: " of warning codes)
    exit_code: ExitCode = ExitCode.DEFINITION_ERROR  # for errors; warnings never fail a run


_S = Stage
_ERROR = Severity.ERROR
_WARNING = Severity.WARNING
_EITHER = Severity.EITHER


class Code(Enum):
    """Every diagnostic code dagent-gen reports; the member name says what went wrong."""

    UNREADABLE_DEFINITION = _Entry(
        "DG101",
        (_S.LOAD,),
        _ERROR,
        "definition file missing, unreadable, or both `dagent.toml` and `dagent.py` present",
    )
    SYNTAX_ERROR = _Entry("DG102", (_S.LOAD,), _ERROR, "TOML or Python syntax error")
    BAD_DEFINITION_SCRIPT = _Entry(
        "DG103", (_S.LOAD,), _ERROR, "`dagent.py` raised, or does not define exactly one `Project`"
    )
    TOOL_DEFINED_IN_SCRIPT = _Entry(
        "DG104",
        (_S.LOAD,),
        _ERROR,
        "a tool or output model of `dagent.py` is defined in `dagent.py` itself or inside a "
        "function",
    )
    USER_CODE_PROCESS_FAILED = _Entry(
        "DG105",
        (_S.LOAD, _S.INTROSPECT),
        _ERROR,
        "running `dagent.py` or importing a tool module did not finish within "
        "`DAGENT_GEN_IMPORT_TIMEOUT` seconds (at the line it hung on), ended the process "
        "(`os._exit`, a signal, a crash), or the child interpreter sent back no readable "
        "result; also a bad `DAGENT_GEN_IMPORT_TIMEOUT` value",
    )
    UNKNOWN_KEY = _Entry("DG201", (_S.VALIDATE,), _ERROR, "unknown key (with a did-you-mean hint)")
    INVALID_VALUE = _Entry(
        "DG202",
        (_S.VALIDATE,),
        _ERROR,
        "missing key, wrong type or out-of-range value (`max_steps` ≤ 10,000, "
        "`max_history_events` 1,000–9,000, `max_tokens` ≤ 1,000,000, `max_output_chars` "
        "100–500,000, `temperature` 0–2); in `dagent.py`, text with a lone surrogate (e.g. "
        '`"\\udc80"`)',
    )
    UNKNOWN_TOOL = _Entry("DG203", (_S.VALIDATE,), _ERROR, "unknown tool reference")
    UNKNOWN_AGENT = _Entry("DG204", (_S.VALIDATE,), _ERROR, "unknown sub-agent or entry agent")
    SUBAGENT_CYCLE = _Entry("DG205", (_S.VALIDATE,), _ERROR, "sub-agent cycle")
    NAME_CLASH = _Entry(
        "DG206",
        (_S.VALIDATE,),
        _ERROR,
        "name clash (a tool and a sub-agent offered under one name, duplicates, reserved "
        "`write_todos`, a tool named `call_model` like the model activity)",
    )
    INVALID_DURATION = _Entry(
        "DG207",
        (_S.VALIDATE,),
        _ERROR,
        "invalid duration, or a timeout outside 1s–24h (`approval_timeout`: 1s–30d) or finer than a "
        "millisecond",
    )
    RETRIES_OUT_OF_RANGE = _Entry("DG208", (_S.VALIDATE,), _ERROR, "retries outside 0–100")
    INVALID_NAME = _Entry(
        "DG209",
        (_S.VALIDATE,),
        _ERROR,
        "package / agent / tool name that is not a valid (lowercase) identifier, a keyword, "
        "or over 64 characters; a package that would shadow a standard-library module or a "
        "dependency; a tool module named like the package (or one of its generated modules)",
    )
    NO_AGENTS = _Entry("DG210", (_S.VALIDATE,), _ERROR, "no agents")
    INVALID_MODEL = _Entry(
        "DG211",
        (_S.VALIDATE,),
        _ERROR,
        "model not of the form `provider:model`, or an unknown provider",
    )
    INVALID_SKILL = _Entry(
        "DG230",
        (_S.VALIDATE,),
        _ERROR,
        "a skill that cannot be used: unknown `[skills.NAME]`, missing skills folder or "
        "`SKILL.md`, front matter without a valid `name` or `description`, a name that does "
        "not match its folder, or two skills of one agent with one name",
    )
    OUTSIDE_FILESYSTEM_ROOT = _Entry(
        "DG231",
        (_S.VALIDATE,),
        _ERROR,
        "a skills folder or memory file outside the agent's filesystem root (or skills "
        "folders on an agent without `[agents.NAME.filesystem]`)",
    )
    INVALID_TOOL_REFERENCE = _Entry(
        "DG301", (_S.INTROSPECT,), _ERROR, "tool reference not of the form `module:function`"
    )
    TOOL_IMPORT_FAILED = _Entry(
        "DG302",
        (_S.INTROSPECT,),
        _ERROR,
        "tool module cannot be imported (with the failing line of your code)",
    )
    NO_SUCH_FUNCTION = _Entry(
        "DG303", (_S.INTROSPECT,), _ERROR, "the module has no such function (with close matches)"
    )
    NOT_IMPORTABLE_FUNCTION = _Entry(
        "DG304",
        (_S.INTROSPECT,),
        _ERROR,
        "not a function the generated code can import (class, lambda, nested function, method"
        " of a class or instance), or user code raised while its signature was read",
    )
    VARIADIC_PARAMETERS = _Entry(
        "DG305", (_S.INTROSPECT,), _ERROR, "`*args`, `**kwargs` or positional-only parameters"
    )
    MISSING_ANNOTATION = _Entry(
        "DG306", (_S.INTROSPECT,), _ERROR, "a parameter without a type annotation"
    )
    UNSUPPORTED_PARAMETER_TYPE = _Entry(
        "DG307",
        (_S.INTROSPECT,),
        _ERROR,
        "a parameter whose type cannot be expressed as JSON schema (names the parameter)",
    )
    IMPLICIT_OPTIONAL = _Entry(
        "DG308",
        (_S.INTROSPECT,),
        _WARNING,
        "a parameter defaults to `None` but its type does not allow `None`; read as `T \\| "
        "None` (the schema allows `null`)",
    )
    RETURN_NOT_JSON = _Entry(
        "DG309",
        (_S.INTROSPECT,),
        _WARNING,
        "the return type may not become JSON text for the model (`bytes`, a class pydantic "
        "cannot serialise)",
    )
    DEFAULT_ONLY_IN_FIELD = _Entry(
        "DG310",
        (_S.INTROSPECT,),
        _ERROR,
        "a parameter's default is only in `Annotated[T, Field(default=...)]` (Python has "
        "none, so it would never be applied); give it as `= VALUE`",
    )
    DOCSTRING_UNKNOWN_PARAMETER = _Entry(
        "DG311",
        (_S.INTROSPECT,),
        _WARNING,
        "the docstring documents a parameter the function does not have (at the entry's line;"
        " usually a typo or a renamed parameter, whose text would never reach the model)",
    )
    MCP_UNREACHABLE = _Entry(
        "DG330",
        (_S.MCP,),
        _ERROR,
        "an MCP server could not be started or reached during build-time discovery (the "
        "message says why, with the last lines a stdio server wrote to stderr; see "
        "[mcp.md](mcp.md))",
    )
    MCP_TIMEOUT = _Entry(
        "DG331",
        (_S.MCP,),
        _ERROR,
        "an MCP server did not connect or list its tools in time during build-time discovery",
    )
    MCP_MISSING_VARIABLE = _Entry(
        "DG332",
        (_S.MCP,),
        _ERROR,
        "a `${VAR}` of an MCP server's `env`, `headers` or `url` is not set (or empty) in the "
        "environment of `dagent-gen build`, which needs it only to list the tools",
    )
    MCP_INVALID_TOOL_NAME = _Entry(
        "DG333",
        (_S.MCP,),
        _ERROR,
        "an MCP tool's name, after the server's `prefix`, is not a valid model-API tool name "
        "(`^[a-zA-Z0-9_-]{1,64}$`)",
    )
    MCP_NAME_CLASH = _Entry(
        "DG334",
        (_S.MCP,),
        _ERROR,
        "an MCP tool's name (after `prefix`) clashes with another server's tool, a tool of the "
        "project, or is listed twice by one server",
    )
    MCP_FILTER_SELECTS_NOTHING = _Entry(
        "DG335",
        (_S.MCP,),
        _WARNING,
        "an MCP server offers no tools after the filters, or a `tools` pattern matches no tool "
        "(usually a typo)",
    )
    MCP_LITERAL_SECRET = _Entry(
        "DG336",
        (_S.MCP,),
        _WARNING,
        "an MCP server's `env` or `headers` entry whose name looks like a credential (auth, "
        "token, secret, password, key, cookie) holds a literal value instead of `${VAR}`; it "
        "would be copied into the generated code",
    )
    UNKNOWN_MCP_SERVER = _Entry(
        "DG337",
        (_S.VALIDATE,),
        _ERROR,
        "an agent's `mcp` list names a server that has no `[mcp.NAME]` table",
    )
    INVALID_OUTPUT_REFERENCE = _Entry(
        "DG340",
        (_S.INTROSPECT,),
        _ERROR,
        "an agent's `output` is not of the form `module:Model` (a module-level class)",
    )
    OUTPUT_MODEL_NOT_FOUND = _Entry(
        "DG341",
        (_S.INTROSPECT,),
        _ERROR,
        "an agent's `output` model cannot be imported: no such module, the module raised, or "
        "it has no such class (with close matches)",
    )
    NOT_AN_OUTPUT_MODEL = _Entry(
        "DG342",
        (_S.INTROSPECT,),
        _ERROR,
        "an agent's `output` is not a pydantic `BaseModel` class describing a JSON object, or "
        "its JSON schema cannot be generated",
    )
    OUTPUT_SCHEMA_NOT_STRICT = _Entry(
        "DG343",
        (_S.INTROSPECT,),
        _WARNING,
        "an `output` model's schema cannot be made strict for the model API (a free-form "
        "`dict`, a tuple, …): it is sent with `strict: false`, and the answer is still "
        "validated (see [structured-output.md](structured-output.md))",
    )
    MCP_DEPENDENCY_MISSING = _Entry(
        "DG338",
        (_S.MCP,),
        _WARNING,
        "agents use MCP servers, so the generated package imports the `mcp` package, "
        "but the project's `pyproject.toml` does not list `mcp` in `[project] dependencies`",
    )
    FORMAT_FAILED = _Entry(
        "DG401",
        (_S.FORMAT,),
        _ERROR,
        "ruff failed on the generated code (a dagent-gen bug: please report it)",
    )
    UNREADABLE_LOCK = _Entry("DG501", (_S.MERGE,), _ERROR, "`.dagent/lock.json` unreadable")
    UNPARSABLE_FILE = _Entry(
        "DG503", (_S.MERGE,), _ERROR, "a file does not parse (used by the merge check)"
    )
    EDITED_MANAGED_FILE = _Entry(
        "DG504",
        (_S.MERGE,),
        _ERROR,
        "a managed file was edited by hand (exit code 4)",
        exit_code=ExitCode.EDITED_MANAGED,
    )
    MERGE_CONFLICT = _Entry(
        "DG505",
        (_S.MERGE,),
        _ERROR,
        "a merge conflict, named by file and function (exit code 5)",
        exit_code=ExitCode.CONFLICT,
    )
    CONFLICT_MARKERS = _Entry(
        "DG506",
        (_S.MERGE,),
        _ERROR,
        "unresolved conflict markers in a file on disk (exit code 5)",
        exit_code=ExitCode.CONFLICT,
    )
    NOT_EJECTABLE = _Entry(
        "DG507", (_S.EJECT,), _ERROR, "the file is not generated, or already ejected"
    )
    UNSAFE_STATE_PATH = _Entry(
        "DG508",
        (_S.BUILD_STATE,),
        _ERROR,
        "a path in `.dagent/lock.json` (or a generated path) is not a plain relative path, or"
        " resolves outside the project (a base: outside `.dagent/base`), e.g. through a "
        "symlink; nothing is written or deleted (exit code 1)",
    )
    WRITE_FAILED = _Entry(
        "DG509",
        (_S.WRITE,),
        _ERROR,
        "`build` / `eject` could not write or delete a file (read-only folder, full disk); "
        "names the path; what was written is rolled back (exit code 6)",
        exit_code=ExitCode.WRITE_FAILED,
    )
    INTERRUPTED_BUILD = _Entry(
        "DG510",
        (_S.BUILD_STATE,),
        _WARNING,
        "an earlier build was interrupted (`.dagent/journal.json` exists); `build` rolls it "
        "back first, or a file changed since is kept",
    )
    KEPT_EDITED_FILE = _Entry(
        "DG511", (_S.MERGE,), _WARNING, "a file no longer generated was kept because you edited it"
    )
    REPLAY_UNSAFE_CHANGE = _Entry(
        "DG520",
        (_S.MERGE,),
        _WARNING,
        "the rebuild changes the Temporal commands a workflow function can issue along some "
        "path (replay safety); reordered branches and new branches for new tools or "
        "sub-agents are not changes",
    )
    PROJECT_EXISTS = _Entry("DG601", (_S.NEW,), _ERROR, "the project folder already exists")
    INVALID_PACKAGE_NAME = _Entry(
        "DG602",
        (_S.NEW,),
        _ERROR,
        "invalid package name (not an identifier, a keyword, or shadowing the standard "
        "library or a dependency)",
    )
    INVALID_PROJECT_NAME = _Entry(
        "DG603", (_S.NEW,), _ERROR, "invalid project name, or a path given as the name"
    )
    MISSING_PARENT_FOLDER = _Entry("DG604", (_S.NEW,), _ERROR, "the parent folder does not exist")
    INVALID_NEW_OPTION = _Entry(
        "DG605", (_S.NEW,), _ERROR, "bad `--data`, format, model or description"
    )
    INVALID_SOURCE = _Entry(
        "DG606",
        (_S.NEW,),
        _EITHER,
        "`DAGENT_GEN_SOURCE` invalid (error), or the wheel dagent-gen came from is gone (warning)",
    )
    NEW_FAILED = _Entry(
        "DG607", (_S.NEW,), _ERROR, "creating the project failed; nothing was left behind"
    )
    HISTORY_NOT_RECORDED = _Entry(
        "DG608",
        (_S.NEW,),
        _WARNING,
        "the example run could not be recorded into `tests/histories/` (e.g. no `temporal` "
        "CLI); the project is complete without it",
    )

    @property
    def code(self) -> str:
        """The code users see, e.g. ``"DG202"``."""
        return self._entry.code

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self._entry.stages

    @property
    def severity(self) -> Severity:
        return self._entry.severity

    @property
    def title(self) -> str:
        return self._entry.title

    @property
    def exit_code(self) -> ExitCode | None:
        """The exit code an error with this code calls for; None for a warning-only code."""
        if self._entry.severity is Severity.WARNING:
            return None
        return self._entry.exit_code

    @property
    def anchor(self) -> str:
        """The link to this code's row in the docs, relative to docs/."""
        return f"diagnostics.md#{self.code.lower()}"

    @property
    def description(self) -> str:
        """The docs table's "meaning" cell: the title, marked when the code only warns."""
        if self._entry.severity is Severity.WARNING:
            return f"warning: {self._entry.title}"
        return self._entry.title

    @property
    def _entry(self) -> _Entry:
        entry: _Entry = self.value
        return entry

    @classmethod
    def of(cls, code: str) -> Code | None:
        """The member whose code string is ``code`` (None for a string no member has)."""
        return _BY_CODE.get(code)


_BY_CODE = {member.code: member for member in Code}

TABLE_HEADER = "| code | stage | meaning |\n|---|---|---|"


def table_row(member: Code) -> str:
    """``member``'s row in docs/diagnostics.md; the anchor makes ``member.anchor`` resolve."""
    stages = " / ".join(member.stages)
    anchor = member.anchor.partition("#")[2]
    return f'| <a id="{anchor}"></a>{member.code} | {stages} | {member.description} |'


def table() -> str:
    """The diagnostics table of docs/diagnostics.md, in code order."""
    rows = [table_row(member) for member in sorted(Code, key=lambda m: m.code)]
    return "\n".join([TABLE_HEADER, *rows])


if __name__ == "__main__":
    print(table())
