"""Import a user's tool function from a ``"package.module:function"`` reference.

Tools are ordinary Python code that lives next to the agent definition, so the import has
to see the project directory (``search_path``) without permanently changing the
interpreter's ``sys.path`` for the rest of the build.  Anything that goes wrong, including
exceptions raised by user code at import time, becomes a :class:`Diagnostic` pointing at the
place the reference was written, never an exception escaping the stage.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error

__all__ = ["describe_exception", "import_function", "import_user_module", "user_frame"]

# Frames of the import machinery itself, never the user's failing line.
_MACHINERY = frozenset(Path(f) for f in (__file__, importlib.__file__ or "") if f)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def import_function(
    ref: str, *, search_path: Path, location: Location
) -> tuple[Callable[..., Any] | None, list[Diagnostic]]:
    """Resolve ``ref`` (``"module.sub:attr"``) to a function, importing from ``search_path``.

    Returns ``(function, [])`` on success, else ``(None, [diagnostic])`` with one of
    DG301 (malformed reference), DG302 (module not importable), DG303 (no such attribute)
    or DG304 (not a function); ``location`` is where ``ref`` was written.
    """
    module_name, sep, attr = ref.strip().partition(":")
    if not sep or not _DOTTED.match(module_name) or not _DOTTED.match(attr):
        return None, [
            error(
                Code.INVALID_TOOL_REFERENCE,
                f"tool reference `{ref}` is not of the form `module:attribute`",
                location,
                hint="write it as `package.module:function_name`, e.g. `my_tools:search_web`",
            )
        ]

    module, diagnostic = import_user_module(module_name, search_path, location)
    if module is None:
        return None, [diagnostic] if diagnostic else []

    obj: object = module
    owner = module_name
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return None, [_missing_attribute(obj, owner, part, location, search_path)]
        except Exception as exc:  # a module-level __getattr__ or property raised
            return None, [
                error(
                    Code.NO_SUCH_FUNCTION,
                    f"reading `{part}` from `{owner}` raised {describe_exception(exc)}",
                    location,
                    hint="make the attribute a plain module-level function",
                )
            ]
        owner = f"{owner}:{part}" if owner == module_name else f"{owner}.{part}"

    if inspect.isfunction(obj) or inspect.ismethod(obj):
        return obj, []
    return None, [
        error(
            Code.NOT_IMPORTABLE_FUNCTION,
            f"`{ref}` is {_what_is(obj)}, not a function",
            location,
            hint="point the reference at a plain `def` or `async def` function",
        )
    ]


@contextmanager
def _prepended_to_sys_path(path: Path) -> Iterator[None]:
    """Put ``path`` first on ``sys.path`` for the duration, then restore the exact old list."""
    saved = list(sys.path)
    sys.path.insert(0, str(path))
    importlib.invalidate_caches()  # the directory may have gained files since the last import
    try:
        yield
    finally:
        sys.path[:] = saved


def import_user_module(
    module_name: str, search_path: Path, location: Location
) -> tuple[ModuleType | None, Diagnostic | None]:
    try:
        with _prepended_to_sys_path(search_path):
            return importlib.import_module(module_name), None
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing == module_name or module_name.startswith(missing + "."):
            # The reference itself names a module that does not exist.
            return None, error(
                Code.TOOL_IMPORT_FAILED,
                f"cannot import module `{module_name}`: {exc}",
                location,
                hint=f"check the spelling; modules are looked up in {search_path} "
                "and the installed packages",
            )
        return None, _import_raised(module_name, exc, search_path, location)
    except (Exception, SystemExit) as exc:  # user code ran and failed at import time
        return None, _import_raised(module_name, exc, search_path, location)


def _import_raised(
    module_name: str, exc: BaseException, search_path: Path, location: Location
) -> Diagnostic:
    where = user_frame(exc, search_path)
    message = f"cannot import module `{module_name}`: {describe_exception(exc)}"
    if where:
        message += f" (at {where})"
    hint = "fix the error above; importing the module must succeed without side effects"
    if isinstance(exc, ModuleNotFoundError):
        hint = f"install `{exc.name}` in the environment that runs dagent-gen"
    return error(Code.TOOL_IMPORT_FAILED, message, location, hint=hint)


def user_frame(exc: BaseException, search_path: Path) -> str | None:
    """``file:line`` of the failing line in user code, best effort.

    A ``SyntaxError`` carries its own position.  Otherwise take the innermost traceback
    frame inside ``search_path`` (the user's project); failing that, the innermost frame
    that is neither importlib's machinery nor this module.
    """
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{exc.filename}:{exc.lineno or 0}"
        return f"{where}:{exc.offset}" if exc.offset else where
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith("<") and Path(frame.filename) not in _MACHINERY
    ]
    root = _resolved(search_path)
    inside = [f for f in frames if _resolved(Path(f.filename)).is_relative_to(root)]
    if not (inside or frames):
        return None
    chosen = (inside or frames)[-1]
    return f"{chosen.filename}:{chosen.lineno}"


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _missing_attribute(
    obj: object, owner: str, name: str, location: Location, search_path: Path
) -> Diagnostic:
    candidates = sorted(n for n in dir(obj) if not n.startswith("_"))
    close = difflib.get_close_matches(name, candidates, n=3)
    if close:
        hint = "did you mean " + ", ".join(f"`{c}`" for c in close) + "?"
    else:
        functions = [n for n in candidates if inspect.isfunction(getattr(obj, n, None))]
        hint = (
            "functions defined there: " + ", ".join(f"`{f}`" for f in functions[:10])
            if functions
            else "check the spelling of the attribute name"
        )
    origin = getattr(obj, "__file__", None) if inspect.ismodule(obj) else None
    if origin and not _resolved(Path(origin)).is_relative_to(_resolved(search_path)):
        # e.g. a project file `tools.py` loses against an installed or cached `tools`.
        hint += f"; note: `{owner}` was loaded from {origin}, which shadows any file in "
        hint += f"{search_path} (rename the module)"
    return error(Code.NO_SUCH_FUNCTION, f"`{owner}` has no attribute `{name}`", location, hint=hint)


def _what_is(obj: object) -> str:
    if inspect.isclass(obj):
        return f"a class (`{obj.__qualname__}`)"
    if inspect.ismodule(obj):
        return f"a module (`{obj.__name__}`)"
    if inspect.isbuiltin(obj):
        return "a built-in function (wrap it in a Python function with type hints)"
    kind = type(obj).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"{article} `{kind}` object"
