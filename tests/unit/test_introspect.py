"""Tool introspection: importing user tools and turning their signatures into JSON schema.

Fixture tools are written into ``tmp_path`` as real modules (each with a unique name, so
``sys.modules`` caching cannot mix tests up) and imported the way the build imports them.
"""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest

from dagent_gen.diagnostics import Diagnostic, Location
from dagent_gen.introspect import (
    ToolSignature,
    describe_function,
    format_annotation,
    import_function,
    introspect_tool,
)
from dagent_gen.introspect.signature import _locate

REF_AT = Location("agent.yaml", 7, 9)  # where a definition wrote the tool reference
PREFIX = "dgt_"


@pytest.fixture(autouse=True)
def _forget_fixture_modules() -> Iterator[None]:
    yield
    for name in [n for n in sys.modules if n.startswith(PREFIX)]:
        del sys.modules[name]


def write_module(tmp_path: Path, source: str) -> tuple[str, Path]:
    """Write ``source`` (dedented; its first line is line 1) as a uniquely named module."""
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return name, path


def load(tmp_path: Path, source: str, attr: str = "tool") -> Callable[..., Any]:
    name, _ = write_module(tmp_path, source)
    fn, diagnostics = import_function(f"{name}:{attr}", search_path=tmp_path, location=REF_AT)
    assert diagnostics == []
    assert fn is not None
    return fn


def describe(tmp_path: Path, source: str, attr: str = "tool") -> ToolSignature:
    signature, diagnostics = describe_function(load(tmp_path, source, attr))
    assert [d.render() for d in diagnostics] == []
    assert signature is not None
    json.dumps(signature.parameters_schema)  # always serialisable
    return signature


def describe_errors(
    tmp_path: Path, source: str, attr: str = "tool"
) -> tuple[Path, list[Diagnostic]]:
    name, path = write_module(tmp_path, source)
    signature, diagnostics = introspect_tool(
        f"{name}:{attr}", search_path=tmp_path, location=REF_AT
    )
    assert signature is None
    assert diagnostics
    return path, diagnostics


def import_errors(tmp_path: Path, ref: str) -> Diagnostic:
    fn, diagnostics = import_function(ref, search_path=tmp_path, location=REF_AT)
    assert fn is None
    assert len(diagnostics) == 1
    assert diagnostics[0].location == REF_AT
    return diagnostics[0]


def schema_keywords(schema: Any) -> Iterator[tuple[str, Any]]:
    """Every (keyword, value) pair of every schema object, not descending into data."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        yield key, value
        if key in ("properties", "$defs"):
            for sub in value.values():
                yield from schema_keywords(sub)
        elif key in ("anyOf", "allOf", "oneOf", "prefixItems"):
            for sub in value:
                yield from schema_keywords(sub)
        elif key in ("items", "additionalProperties"):
            yield from schema_keywords(value)


# --- schemas ---------------------------------------------------------------------------------


def test_simple_scalar_parameters(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        def tool(name: str, count: int, ratio: float, flag: bool) -> str:
            \"\"\"Greet someone.\"\"\"
            return name
        """,
    )
    assert sig.parameters_schema == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
        },
        "required": ["name", "count", "ratio", "flag"],
        "additionalProperties": False,
    }
    assert sig.function_module.startswith(PREFIX)
    assert sig.function_name == "tool"
    assert sig.is_async is False
    assert sig.description == "Greet someone."


def test_defaults_and_optional(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        from typing import Optional

        def tool(query: str, limit: int = 10, exact: bool = False,
                 site: str | None = None, lang: Optional[str] = "en", *, page: int = 1) -> None:
            pass
        """,
    )
    props = sig.parameters_schema["properties"]
    assert list(props) == ["query", "limit", "exact", "site", "lang", "page"]
    assert sig.parameters_schema["required"] == ["query"]
    assert props["limit"] == {"default": 10, "type": "integer"}
    assert props["exact"] == {"default": False, "type": "boolean"}
    assert props["site"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["lang"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "en"}
    assert props["page"] == {"default": 1, "type": "integer"}


def test_literal(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        from typing import Literal

        def tool(unit: Literal["c", "f"] = "c", level: Literal[1, 2, 3] = 1) -> None: ...
        """,
    )
    props = sig.parameters_schema["properties"]
    assert props["unit"] == {"default": "c", "enum": ["c", "f"], "type": "string"}
    assert props["level"] == {"default": 1, "enum": [1, 2, 3], "type": "integer"}


def test_enum_schema_and_validation_agree(tmp_path: Path) -> None:
    fn = load(
        tmp_path,
        """
        import enum

        class Color(enum.Enum):
            RED = "red"
            GREEN = "green"

        def tool(color: Color, shade: Color = Color.GREEN) -> Color:
            return color
        """,
    )
    sig, diagnostics = describe_function(fn)
    assert diagnostics == []
    assert sig is not None
    schema = sig.parameters_schema
    assert schema["$defs"] == {"Color": {"enum": ["red", "green"], "type": "string"}}
    assert schema["properties"]["color"] == {"$ref": "#/$defs/Color"}
    assert schema["properties"]["shade"] == {"$ref": "#/$defs/Color", "default": "green"}
    assert '"default": "green"' in json.dumps(schema)
    color_enum = sys.modules[fn.__module__].Color
    call = pydantic.validate_call(fn)
    assert call(**{"color": "red"}) is color_enum.RED
    for value in schema["$defs"]["Color"]["enum"]:
        assert call(color=value) is color_enum(value)
    with pytest.raises(pydantic.ValidationError):
        call(color="purple")


def test_list_and_dict(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        def tool(tags: list[str], counts: dict[str, int], matrix: list[list[float]] | None = None
                 ) -> dict[str, list[int]] | None:
            return None
        """,
    )
    props = sig.parameters_schema["properties"]
    assert props["tags"] == {"items": {"type": "string"}, "type": "array"}
    assert props["counts"] == {"additionalProperties": {"type": "integer"}, "type": "object"}
    assert props["matrix"]["anyOf"][0] == {
        "items": {"items": {"type": "number"}, "type": "array"},
        "type": "array",
    }


def test_nested_model_dataclass_and_typeddict(tmp_path: Path) -> None:
    fn = load(
        tmp_path,
        """
        import dataclasses
        from pydantic import BaseModel
        from typing_extensions import TypedDict

        class Point(TypedDict):
            x: float
            y: float

        @dataclasses.dataclass
        class Window:
            start: str
            end: str | None = None

        class Filters(BaseModel):
            \"\"\"Which results to keep.\"\"\"
            window: Window
            near: Point | None = None

        def tool(filters: Filters, extra: list[Window] = []) -> str:
            return f"{filters.window.start}:{type(filters.window).__name__}:{len(extra)}"
        """,
    )
    sig, _ = describe_function(fn)
    assert sig is not None
    schema = sig.parameters_schema
    assert list(schema["$defs"]) == ["Filters", "Point", "Window"]
    assert schema["$defs"]["Filters"] == {
        "description": "Which results to keep.",
        "properties": {
            "window": {"$ref": "#/$defs/Window"},
            "near": {"anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}], "default": None},
        },
        "required": ["window"],
        "type": "object",
    }
    assert schema["$defs"]["Window"]["required"] == ["start"]
    assert schema["$defs"]["Point"]["properties"] == {
        "x": {"type": "number"},
        "y": {"type": "number"},
    }
    assert schema["properties"]["filters"] == {"$ref": "#/$defs/Filters"}
    assert schema["properties"]["extra"] == {
        "default": [],
        "items": {"$ref": "#/$defs/Window"},
        "type": "array",
    }
    arguments = json.loads('{"filters": {"window": {"start": "2024"}}, "extra": [{"start": "a"}]}')
    assert pydantic.validate_call(fn)(**arguments) == "2024:Window:1"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="typing.TypedDict is fine from 3.12")
def test_typing_typeddict_before_312_is_reported(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        from typing import TypedDict

        class Point(TypedDict):
            x: float

        def tool(p: Point) -> None: ...
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [
        ("DG307", Location(str(path), 6, 10)),
    ]
    assert "typing_extensions.TypedDict" in diagnostics[0].message


def test_annotated_field_constraints_and_descriptions(tmp_path: Path) -> None:
    fn = load(
        tmp_path,
        """
        from typing import Annotated
        from pydantic import Field

        def tool(
            query: Annotated[str, Field(min_length=2, pattern="^[a-z ]+$")],
            limit: Annotated[int, Field(ge=1, le=50, description="Max results.")] = 10,
            offset: int = Field(default=0, ge=0, description="Skip this many."),
        ) -> list[str]:
            \"\"\"Search the index.

            Longer explanation
            over two lines.

            Args:
                query: Words to look for,
                    lower-case.
                limit: Ignored, the Field description wins.
                offset (int): Ignored as well.
                unknown: Not a parameter; ignored.

            Returns:
                Matching titles.
            \"\"\"
            return []
        """,
    )
    sig, _ = describe_function(fn)
    assert sig is not None
    props = sig.parameters_schema["properties"]
    assert props["query"] == {
        "description": "Words to look for, lower-case.",
        "minLength": 2,
        "pattern": "^[a-z ]+$",
        "type": "string",
    }
    assert props["limit"] == {
        "default": 10,
        "description": "Max results.",
        "maximum": 50,
        "minimum": 1,
        "type": "integer",
    }
    assert props["offset"] == {
        "default": 0,
        "description": "Skip this many.",
        "minimum": 0,
        "type": "integer",
    }
    assert sig.parameters_schema["required"] == ["query"]
    assert sig.description == "Search the index.\n\nLonger explanation\nover two lines."
    call = pydantic.validate_call(fn)
    assert call(query="ab") == []
    with pytest.raises(pydantic.ValidationError):
        call(query="ab", limit=0)


def test_docstring_descriptions_on_refs_and_rest_style(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        import enum

        class Mode(enum.Enum):
            FAST = "fast"

        def tool(mode: Mode, note: str = "") -> None:
            \"\"\"Run it.

            :param mode: How to run.
            :param note: Free text.
            \"\"\"
        """,
    )
    props = sig.parameters_schema["properties"]
    assert props["mode"] == {"$ref": "#/$defs/Mode", "description": "How to run."}
    assert props["note"] == {"default": "", "description": "Free text.", "type": "string"}


def test_async_detection_and_future_annotations(tmp_path: Path) -> None:
    source = """
        from __future__ import annotations

        async def tool(url: str, retries: int = 3) -> list[str]:
            return [url]

        def sync_tool(url: str) -> str:
            return ""
        """
    sig = describe(tmp_path, source)
    assert sig.is_async is True
    assert sig.parameters_schema["properties"]["retries"] == {"default": 3, "type": "integer"}
    assert describe(tmp_path, source, "sync_tool").is_async is False


def test_any_and_non_serialisable_defaults(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        from typing import Any

        SENTINEL = object()

        def tool(payload: Any, marker: Any = SENTINEL) -> None: ...
        """,
    )
    props = sig.parameters_schema["properties"]
    assert props == {"payload": {}, "marker": {}}
    assert sig.parameters_schema["required"] == ["payload"]


def test_property_named_title_survives_and_no_title_keywords_remain(tmp_path: Path) -> None:
    sig = describe(
        tmp_path,
        """
        from pydantic import BaseModel, Field

        class Page(BaseModel):
            title: str = Field(title="Custom Title")
            properties: dict[str, str] = {"title": "kept, this is data"}

        def tool(title: str, page: Page, meta: dict[str, str] = {"title": "data too"}) -> None:
            \"\"\"Args:
                title: The page title.
            \"\"\"
        """,
    )
    schema = sig.parameters_schema
    assert list(schema["properties"]) == ["title", "page", "meta"]
    assert schema["properties"]["title"] == {"description": "The page title.", "type": "string"}
    assert schema["properties"]["meta"]["default"] == {"title": "data too"}
    page = schema["$defs"]["Page"]
    assert list(page["properties"]) == ["title", "properties"]
    assert page["properties"]["title"] == {"type": "string"}
    assert page["properties"]["properties"]["default"] == {"title": "kept, this is data"}
    assert page["required"] == ["title"]
    assert [key for key, _ in schema_keywords(schema) if key == "title"] == []


def test_determinism_and_signature_order(tmp_path: Path) -> None:
    fn = load(
        tmp_path,
        """
        import dataclasses
        from pydantic import BaseModel

        @dataclasses.dataclass
        class Zeta:
            z: int

        class Alpha(BaseModel):
            a: int

        def tool(zulu: Zeta, alpha: Alpha, mike: int = 0) -> None:
            \"\"\"Args:
                mike: In the middle.
            \"\"\"
        """,
    )
    first, _ = describe_function(fn)
    second, _ = describe_function(fn)
    assert first is not None
    assert second is not None
    assert json.dumps(first.parameters_schema, sort_keys=False) == json.dumps(
        second.parameters_schema, sort_keys=False
    )
    assert first == second
    assert list(first.parameters_schema) == [
        "type",
        "properties",
        "required",
        "additionalProperties",
        "$defs",
    ]
    assert list(first.parameters_schema["properties"]) == ["zulu", "alpha", "mike"]
    assert list(first.parameters_schema["$defs"]) == ["Alpha", "Zeta"]


def test_tool_without_parameters_or_docstring(tmp_path: Path) -> None:
    sig = describe(tmp_path, "def tool():\n    return 1\n")
    assert sig.parameters_schema == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    assert sig.description == ""


def test_decorated_tool_source_is_the_def_line(tmp_path: Path) -> None:
    fn = load(
        tmp_path,
        """
        import functools

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @logged
        @logged
        def tool(x: int) -> int:
            return x
        """,
        "tool",
    )
    where = _locate(fn).definition  # where diagnostics about the function point
    assert (where.line, where.column) == (11, 1)
    sig, _ = describe_function(fn)
    assert sig is not None and sig.function_name == "tool"
    assert sig.parameters_schema["required"] == ["x"]


def test_package_submodule(tmp_path: Path) -> None:
    package = f"{PREFIX}pkg_{uuid.uuid4().hex[:8]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "tools.py").write_text(
        "import os\n\n\ndef fetch(url: str) -> str:\n    return url\n"
    )
    sig, diagnostics = introspect_tool(
        f"{package}.tools:fetch", search_path=tmp_path, location=REF_AT
    )
    assert diagnostics == []
    assert sig is not None
    assert (sig.function_module, sig.function_name) == (f"{package}.tools", "fetch")
    assert sig.parameters_schema["required"] == ["url"]


@pytest.mark.parametrize(("ref", "line"), [("Api.fetch", 3), ("Api.ping", 7), ("fetch", 3)])
def test_dg304_methods_of_a_class(tmp_path: Path, ref: str, line: int) -> None:
    # The generated activity imports `from module import name`: a class member (even
    # re-exported under a module-level alias) cannot be imported that way.
    path, diagnostics = describe_errors(
        tmp_path,
        """
        class Api:
            @classmethod
            def fetch(cls, url: str) -> str:
                return url

            @staticmethod
            def ping(text: str) -> str:
                return text

        fetch = Api.fetch
        """,
        ref,
    )
    assert [d.code for d in diagnostics] == ["DG304"]
    assert "it is a method of the class `Api`" in diagnostics[0].message
    assert diagnostics[0].hint is not None and "return Api." in diagnostics[0].hint
    assert diagnostics[0].location == Location(str(path), line, 5)


def test_format_annotation() -> None:
    from typing import Annotated, Literal, Optional

    assert format_annotation(Optional[int]) == "int | None"  # noqa: UP045 - the old spelling
    assert format_annotation(Annotated[list[str], "meta"]) == "list[str]"
    assert format_annotation(Literal["a", 1]) == "Literal['a', 1]"
    assert format_annotation(Callable[[int], str]) == "Callable[[int], str]"
    assert format_annotation(tuple[int, ...]) == "tuple[int, ...]"
    assert format_annotation(Any) == "Any"
    assert format_annotation("Later") == "Later"


# --- import diagnostics ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref", ["no_colon", "mod:", ":attr", "mod:1abc", "mod-x:tool", "a:b:c", "a..b:c", ""]
)
def test_dg301_malformed_reference(tmp_path: Path, ref: str) -> None:
    diagnostic = import_errors(tmp_path, ref)
    assert diagnostic.code == "DG301"
    assert "module:attribute" in diagnostic.message
    assert diagnostic.hint


def test_dg302_missing_module(tmp_path: Path) -> None:
    diagnostic = import_errors(tmp_path, f"{PREFIX}does_not_exist.sub:tool")
    assert diagnostic.code == "DG302"
    assert f"`{PREFIX}does_not_exist.sub`" in diagnostic.message
    assert "No module named" in diagnostic.message
    assert diagnostic.hint is not None
    assert str(tmp_path) in diagnostic.hint


def test_dg302_user_code_raises_at_import(tmp_path: Path) -> None:
    name, path = write_module(
        tmp_path,
        """
        import os

        def helper() -> None:
            raise RuntimeError("no API key")

        helper()
        """,
    )
    diagnostic = import_errors(tmp_path, f"{name}:tool")
    assert diagnostic.code == "DG302"
    assert "RuntimeError: no API key" in diagnostic.message
    assert f"(at {path}:4)" in diagnostic.message


def test_dg302_syntax_error(tmp_path: Path) -> None:
    name, path = write_module(tmp_path, "x = 1\n\ndef tool(:\n    pass\n")
    diagnostic = import_errors(tmp_path, f"{name}:tool")
    assert diagnostic.code == "DG302"
    assert "SyntaxError" in diagnostic.message
    assert f"(at {path}:3:" in diagnostic.message


def test_dg302_missing_dependency_of_user_module(tmp_path: Path) -> None:
    name, path = write_module(tmp_path, "import json\nimport dgt_not_installed_lib\n")
    diagnostic = import_errors(tmp_path, f"{name}:tool")
    assert diagnostic.code == "DG302"
    assert "dgt_not_installed_lib" in diagnostic.message
    assert f"(at {path}:2)" in diagnostic.message
    assert (
        diagnostic.hint == "install `dgt_not_installed_lib` in the environment that runs dagent-gen"
    )


def test_dg302_system_exit_at_import(tmp_path: Path) -> None:
    name, path = write_module(tmp_path, "import sys\nsys.exit(3)\n")
    diagnostic = import_errors(tmp_path, f"{name}:tool")
    assert diagnostic.code == "DG302"
    assert "SystemExit: 3" in diagnostic.message
    assert f"(at {path}:2)" in diagnostic.message


def test_dg303_missing_attribute_with_suggestions(tmp_path: Path) -> None:
    name, _ = write_module(
        tmp_path, "def search_web(q: str) -> str:\n    return q\n\ndef fetch() -> None: ...\n"
    )
    diagnostic = import_errors(tmp_path, f"{name}:serch_web")
    assert diagnostic.code == "DG303"
    assert diagnostic.message == f"`{name}` has no attribute `serch_web`"
    assert diagnostic.hint == "did you mean `search_web`?"
    unrelated = import_errors(tmp_path, f"{name}:zzz")
    assert unrelated.hint == "functions defined there: `fetch`, `search_web`"
    nested = import_errors(tmp_path, f"{name}:search_web.nope")
    assert nested.code == "DG303"
    assert nested.message == f"`{name}:search_web` has no attribute `nope`"


@pytest.mark.parametrize(
    ("attr", "what"),
    [
        ("Client", "a class (`Client`)"),
        ("LIMIT", "an `int` object"),
        ("os", "a module (`os`)"),
        ("client", "a `Client` object"),
        ("builtin_len", "a built-in function"),
    ],
)
def test_dg304_not_a_function(tmp_path: Path, attr: str, what: str) -> None:
    name, _ = write_module(
        tmp_path,
        """
        import os

        class Client:
            def __call__(self, x: int) -> int:
                return x

        LIMIT = 3
        client = Client()
        builtin_len = len
        """,
    )
    diagnostic = import_errors(tmp_path, f"{name}:{attr}")
    assert diagnostic.code == "DG304"
    assert diagnostic.message.startswith(f"`{name}:{attr}` is {what}")
    assert diagnostic.hint is not None


@pytest.mark.parametrize(
    ("attr", "problem"),
    [
        ("tool", "it is a lambda"),
        ("inner", "it is defined inside another function"),
        ("bound", "it is a method bound to an instance"),
    ],
)
def test_dg304_not_importable_by_qualname(tmp_path: Path, attr: str, problem: str) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        tool = lambda x: x

        def make():
            def inner(x: int) -> int:
                return x
            return inner

        inner = make()

        class Service:
            def run(self, x: int) -> int:
                return x

        bound = Service().run
        """,
        attr,
    )
    # (a lambda cannot be annotated, so it also gets a DG306 for `x`)
    assert diagnostics[0].code == "DG304"
    assert problem in diagnostics[0].message
    expected_line = {"tool": 1, "inner": 4, "bound": 11}[attr]
    assert diagnostics[0].location is not None
    assert (diagnostics[0].location.file, diagnostics[0].location.line) == (
        str(path),
        expected_line,
    )


# --- signature diagnostics -------------------------------------------------------------------


def test_dg305_variadic_parameters_at_the_parameter(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        import functools

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*a, **k):
                return fn(*a, **k)
            return wrapper

        @logged
        def tool(*items: str, **options: int) -> None:
            pass
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [
        ("DG305", Location(str(path), 10, 11)),
        ("DG305", Location(str(path), 10, 25)),
    ]
    assert "`*items`" in diagnostics[0].message
    assert "`**options`" in diagnostics[1].message
    assert diagnostics[0].hint == "replace it with e.g. `items: list[str]`"


def test_dg305_positional_only(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        class Holder:
            pass

        async def tool(a: int, /, b: int) -> None:
            pass
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [("DG305", Location(str(path), 4, 16))]
    assert "`a` (positional-only)" in diagnostics[0].message


def test_dg306_missing_annotations_at_parameter_lines(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        def tool(
            query: str,
            limit,
            *,
            verbose=False,
        ) -> str:
            return query
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [
        ("DG306", Location(str(path), 3, 5)),
        ("DG306", Location(str(path), 5, 5)),
    ]
    assert "`limit`" in diagnostics[0].message
    assert diagnostics[0].hint == "annotate it, e.g. `limit: str`"


def test_dg307_types_without_json_schema(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        import socket
        from collections.abc import Callable
        from typing import Any

        class Opaque:
            pass

        def tool(ok: int,
                 sock: socket.socket,
                 callback: Callable[[int], str],
                 anything: Any,  # Any is fine
                 things: list[Opaque] = []) -> None:
            pass
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [
        ("DG307", Location(str(path), 9, 10)),
        ("DG307", Location(str(path), 10, 10)),
        ("DG307", Location(str(path), 12, 10)),
    ]
    assert "parameter `sock` has type `socket`" in diagnostics[0].message
    assert "parameter `callback` has type `Callable[[int], str]`" in diagnostics[1].message
    assert "parameter `things` has type `list[Opaque]`" in diagnostics[2].message
    assert all(d.hint and "JSON-friendly" in d.hint for d in diagnostics)


def test_dg307_unresolvable_annotations(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from decimal import Decimal

        def tool(amount: "Decimal", note: str,
                 when: "Missing") -> "AlsoMissing":
            pass
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [
        ("DG307", Location(str(path), 6, 10)),
        ("DG307", Location(str(path), 7, 10)),
        ("DG307", Location(str(path), 6, 1)),
    ]
    assert "parameter `amount` (`Decimal`)" in diagnostics[0].message
    assert "NameError" in diagnostics[0].message
    assert "the return annotation (`AlsoMissing`)" in diagnostics[2].message


def test_all_signature_problems_are_reported_together(tmp_path: Path) -> None:
    _, diagnostics = describe_errors(
        tmp_path,
        "def tool(a, /, b, *rest: int) -> None:\n    pass\n",
    )
    assert [(d.code, d.location.line if d.location else 0) for d in diagnostics] == [
        ("DG305", 1),
        ("DG306", 1),
        ("DG305", 1),
    ]


# --- sys.path hygiene ------------------------------------------------------------------------


def test_sys_path_is_restored(tmp_path: Path) -> None:
    before = list(sys.path)
    name, _ = write_module(
        tmp_path, "import sys\nsys.path.append('/elsewhere')\ndef tool() -> None: ...\n"
    )
    fn, diagnostics = import_function(f"{name}:tool", search_path=tmp_path, location=REF_AT)
    assert fn is not None
    assert diagnostics == []
    assert sys.path == before
    import_errors(tmp_path, f"{PREFIX}missing_module:tool")
    assert sys.path == before
    bad, _ = write_module(tmp_path, "raise ValueError('x')\n")
    import_errors(tmp_path, f"{bad}:tool")
    assert sys.path == before
    assert str(tmp_path) not in sys.path


def test_dg303_mentions_a_shadowed_module(tmp_path: Path) -> None:
    (tmp_path / "json.py").write_text("def tool(x: int) -> int:\n    return x\n")
    diagnostic = import_errors(tmp_path, "json:tool")
    assert diagnostic.code == "DG303"
    assert diagnostic.hint is not None
    assert f"`json` was loaded from {json.__file__}" in diagnostic.hint


def test_user_code_raising_while_the_signature_is_read_is_a_diagnostic(tmp_path: Path) -> None:
    path, diagnostics = describe_errors(
        tmp_path,
        """
        class Weird:
            @property
            def __signature__(self):
                raise RuntimeError("no signature for you")

        def tool(x: int) -> int:
            return x

        tool.__wrapped__ = Weird()
        """,
    )
    assert [d.code for d in diagnostics] == ["DG304"]
    assert "raised RuntimeError: no signature for you" in diagnostics[0].message
    assert f"(at {path}:4)" in diagnostics[0].message
    assert diagnostics[0].location == REF_AT


# --- values: defaults and results ------------------------------------------------------------


def test_field_default_is_the_schema_default(tmp_path: Path) -> None:
    # The runtime fills a left-out `n` with 3 (not the FieldInfo object); the schema agrees.
    sig = describe(
        tmp_path,
        """
        from pydantic import Field

        def tool(n: int = Field(default=3, ge=1, description="How many.")) -> int:
            return n
        """,
    )
    assert sig.parameters_schema["required"] == []
    assert sig.parameters_schema["properties"]["n"] == {
        "default": 3,
        "description": "How many.",
        "minimum": 1,
        "type": "integer",
    }


def test_implicit_optional_is_nullable_with_a_warning(tmp_path: Path) -> None:
    name, path = write_module(
        tmp_path,
        """
        from typing import Annotated, Any
        from pydantic import Field

        def tool(
            s: str = None,
            u: int | str = None,
            a: Annotated[str, Field(max_length=3)] = None,
            fine: str | None = None,
            anything: Any = None,
        ) -> str:
            \"\"\"Tool.

            Args:
                s: Some text.
            \"\"\"
            return ""
        """,
    )
    sig, diagnostics = introspect_tool(f"{name}:tool", search_path=tmp_path, location=REF_AT)
    assert sig is not None
    assert [(d.code, d.severity, d.location) for d in diagnostics] == [
        ("DG308", "warning", Location(str(path), 5, 5)),
        ("DG308", "warning", Location(str(path), 6, 5)),
        ("DG308", "warning", Location(str(path), 7, 5)),
    ]
    assert "treated as `str | None`" in diagnostics[0].message
    assert diagnostics[0].hint == "write `s: str | None = None`"
    props = sig.parameters_schema["properties"]
    assert props["s"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
        "description": "Some text.",
    }
    assert props["u"]["anyOf"] == [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
    assert props["a"]["anyOf"] == [{"maxLength": 3, "type": "string"}, {"type": "null"}]
    assert props["fine"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["anything"] == {"default": None}


@pytest.mark.parametrize(
    ("returns", "warned"),
    [
        ("bytes", True),
        ("list[bytes]", True),
        ("Opaque", True),
        ("str", False),
        ("dict[str, int]", False),
        ("None", False),
        ("Any", False),
    ],
)
def test_return_types_that_cannot_become_json_are_warned(
    tmp_path: Path, returns: str, warned: bool
) -> None:
    name, path = write_module(
        tmp_path,
        f"""
        from typing import Any

        class Opaque:
            pass

        def tool(x: int) -> {returns}:
            raise NotImplementedError
        """,
    )
    sig, diagnostics = introspect_tool(f"{name}:tool", search_path=tmp_path, location=REF_AT)
    assert sig is not None
    assert [(d.code, d.severity) for d in diagnostics] == ([("DG309", "warning")] * warned)
    if warned:
        assert diagnostics[0].location == Location(str(path), 6, 1)
        assert f"returns `{returns}`" in diagnostics[0].message


def test_dg310_default_only_inside_annotated(tmp_path: Path) -> None:
    # pydantic's schema would say `n` is optional with default 3, but the function is called
    # without it: Python has no default for `n`.
    path, diagnostics = describe_errors(
        tmp_path,
        """
        from typing import Annotated
        from pydantic import Field

        def tool(
            n: Annotated[int, Field(default=3, ge=1)],
            m: Annotated[list[int], Field(default_factory=list)],
            fine: Annotated[int, Field(ge=1)] = 3,
            plain: Annotated[int, Field(ge=1)] = 1,
        ) -> int:
            return n
        """,
    )
    assert [(d.code, d.location) for d in diagnostics] == [
        ("DG310", Location(str(path), 5, 5)),
        ("DG310", Location(str(path), 6, 5)),
    ]
    assert diagnostics[0].hint is not None and "= VALUE" in diagnostics[0].hint
