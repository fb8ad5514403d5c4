"""What a name in a documentation block statically is: a module, an API object, an instance of an API
class, or a value of a built-in type. Anything else is unknown (None), and unknown is never guessed at.
"""

from __future__ import annotations

import builtins
import types
from dataclasses import dataclass

from hokusai_contracts.contract.model import ApiObject


@dataclass(frozen=True)
class ModuleValue:
    """A module of the SDK (``import sdk.sub``)."""

    path: str


@dataclass(frozen=True)
class ObjectValue:
    """An API object itself: a class, a function, a method (``via_class``: looked up on the class)."""

    obj: ApiObject
    owner: ApiObject | None = None
    via_class: bool = False


@dataclass(frozen=True)
class InstanceValue:
    """An instance of an API class."""

    cls: ApiObject


@dataclass(frozen=True)
class BuiltinValue:
    """A value of a built-in type (``NoneType``, ``int``, ``list``...), or an abstract one: ``iterator``,
    ``async-iterator``, ``awaitable`` (what awaiting / iterating it gives is ``element``)."""

    name: str
    element: Value | None = None


Value = ModuleValue | ObjectValue | InstanceValue | BuiltinValue

# What each operation needs, by protocol name (special methods looked up on the type).
NEEDS = {
    "iterated": ("__iter__", "__getitem__"),
    "iterated with async for": ("__aiter__",),
    "awaited": ("__await__",),
    "subscripted": ("__getitem__",),
    "used in a with statement": ("__enter__",),
    "used in an async with statement": ("__aenter__",),
    "called": ("__call__",),
}

_ABSTRACT = {
    "iterator": {"__iter__"},
    "async-iterator": {"__aiter__"},
    "awaitable": {"__await__"},
}
# What calling an ``async def`` gives: its attributes are those of the coroutine type.
_CONCRETE = {"NoneType": type(None), "coroutine": types.CoroutineType}


def builtin_protocols(name: str) -> set[str] | None:
    """The special methods a built-in type (or an abstract one above) supports; None when unknown."""
    if name in _ABSTRACT:
        return _ABSTRACT[name]
    kind = _CONCRETE.get(name) or getattr(builtins, name, None)
    if not isinstance(kind, type):
        return None
    return {method for methods in NEEDS.values() for method in methods if hasattr(kind, method)}


def builtin_has_attribute(name: str, attribute: str) -> bool | None:
    """Whether a real built-in type has ``attribute``; None for the abstract ones (unknown)."""
    kind = _CONCRETE.get(name) or getattr(builtins, name, None)
    if name in _ABSTRACT or not isinstance(kind, type):
        return None
    return hasattr(kind, attribute)


def describe(value: Value) -> str:
    """How a value is named in a finding."""
    if isinstance(value, InstanceValue):
        return f"a `{value.cls.path}` instance"
    if isinstance(value, BuiltinValue):
        special = {
            "iterator": "an iterator",
            "async-iterator": "an async iterator",
            "awaitable": "an awaitable",
            "coroutine": "a coroutine (the call of an `async def`)",
        }
        if value.name in special:
            return special[value.name]
        return "`None`" if value.name == "NoneType" else f"a `{value.name}`"
    if isinstance(value, ObjectValue):
        return f"`{value.obj.path}`"
    return f"module `{value.path}`"
