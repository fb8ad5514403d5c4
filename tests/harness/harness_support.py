"""Shared by the harness tests: a synthetic package's source and helpers to write and read packages."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hokusai_contracts.contract.model import Api
from hokusai_contracts.introspection import build_api, run_worker

REPO = Path(__file__).resolve().parents[2]
SDK_SOURCE = REPO / "hokusai"

# A small package with every shape the worker must describe: re-exports, private modules, a private
# base class, a decorated function, properties, class/static methods, exceptions, an enum, a
# module without __all__, a broken module, a lying __all__ and a module that prints on import.
SYNTHETIC = {
    "synthpkg/__init__.py": '''
        """Synthetic SDK for the harness tests."""

        from synthpkg.core.things import Widget, make_widget
        from synthpkg.errors import WidgetError

        __version__ = "9.9.9"
        __all__ = ["Widget", "WidgetError", "make_widget"]
    ''',
    "synthpkg/core/__init__.py": '''
        """Core things (no __all__ here)."""

        import os
        from typing import Any

        from .things import Widget

        LIMIT = 3
        _SECRET = 1


        def helper(value: Any = None) -> str:
            """Help."""
            return str(value) + os.sep
    ''',
    "synthpkg/core/things.py": '''
        """Widgets and how to make them."""

        from __future__ import annotations

        import enum
        import functools

        __all__ = ["Base", "Color", "Widget", "make_widget", "old_make_widget"]


        class Base:
            """A public base class."""

            def base_method(self, x: int = 1) -> int:
                """Do the base thing.

                Raises:
                    ValueError: when x is negative.
                    synthpkg.errors.WidgetError: when it breaks.
                """
                return x


        class _Mixin:
            def mixin_method(self, flag: bool = False) -> None:
                """From a private base."""


        class Color(str, enum.Enum):
            """Colors."""

            RED = "red"
            BLUE = "blue"


        class Widget(Base, _Mixin):
            """A widget."""

            kind: str = "widget"

            def __init__(self, name: str, size: int = 3, *, color: Color | None = None) -> None:
                self.name = name

            def __call__(self, value: object) -> str:
                """Call it."""
                return "called"

            def __repr__(self) -> str:
                return "Widget()"

            def _hidden(self) -> None:
                pass

            @property
            def area(self) -> float:
                """The area."""
                return 1.0

            @classmethod
            def create(cls, name: str) -> Widget:
                """Make one."""
                return cls(name)

            @staticmethod
            def version() -> str:
                """The version."""
                return "1"


        def keeps_old_name(old: str, new: str):
            """Accept ``old=`` as an alias of ``new=`` (the kind of decorator that keeps callers working)."""

            def decorate(func):
                @functools.wraps(func)
                def wrapper(*args, **kwargs):
                    if old in kwargs:
                        kwargs[new] = kwargs.pop(old)
                    return func(*args, **kwargs)

                return wrapper

            return decorate


        @keeps_old_name("label", "name")
        def make_widget(
            name: str, size: int = 3, *extra: str, strict: bool = True, **options: object
        ) -> Widget:
            """Make a widget.

            Raises:
                ValueError: for a bad size.
            """
            return Widget(name, size)


        old_make_widget = keeps_old_name("x", "name")(make_widget)
    ''',
    "synthpkg/errors.py": '''
        """Errors."""

        __all__ = ["SpecificError", "WidgetError"]


        class WidgetError(Exception):
            """Something about a widget."""

            def __init__(self, message: str, *, code: int = 0) -> None:
                super().__init__(message)


        class SpecificError(WidgetError):
            """A specific widget error."""
    ''',
    "synthpkg/_private/__init__.py": "",
    "synthpkg/_private/impl.py": '''
        class Hidden:
            """Defined privately, exported publicly."""

            def reveal(self) -> str:
                return "x"


        class NotExported:
            pass
    ''',
    "synthpkg/tools.py": '''
        """Tools."""

        from synthpkg._private.impl import Hidden

        __all__ = ["Hidden"]
    ''',
    "synthpkg/broken.py": """
        raise ImportError("this module is broken on purpose")
    """,
    "synthpkg/lying.py": '''
        """Its __all__ names something that does not exist."""

        __all__ = ["missing_name"]
    ''',
    "synthpkg/noisy.py": '''
        """Prints while importing."""

        print("noise on stdout")
        __all__ = []
    ''',
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` (dedented) under ``root`` and return ``root``."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


def introspect_tree(root: Path, package: str) -> Api:
    """Introspect ``package`` from the tree at ``root``, making sure that copy (not another) was read."""
    payload = run_worker(package, extra_paths=[root])
    assert Path(payload["package_file"]).resolve().is_relative_to(root.resolve()), payload["package_file"]
    return build_api(payload)
