"""Typed access to a study's JSON, failing with the path inside the document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evidence.errors import SourceFormatError

Obj = dict[str, Any]


def join_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class JsonDoc:
    def __init__(self, locator: str) -> None:
        self.locator = locator

    def fail(self, path: str, message: str) -> SourceFormatError:
        return SourceFormatError(message, file=self.locator, field=path or None)

    def obj(self, parent: Obj, key: str, path: str) -> Obj:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(join_path(path, key), f"expected an object, found {kind_of(value)}")
        return value

    def objs(self, parent: Obj, key: str, path: str) -> Iterator[tuple[str, Obj]]:
        for i, item in enumerate(self.items(parent, key, path)):
            item_path = join_path(join_path(path, key), i)
            if not isinstance(item, dict):
                raise self.fail(item_path, f"expected an object, found {kind_of(item)}")
            yield item_path, item

    def items(self, parent: Obj, key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(join_path(path, key), f"expected a list, found {kind_of(value)}")
        return value

    def text(self, parent: Obj, key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(join_path(path, key), f"expected text, found {kind_of(value)}")
        return value

    def texts(self, parent: Obj, key: str, path: str) -> list[str]:
        out = []
        for i, item in enumerate(self.items(parent, key, path)):
            if not isinstance(item, str):
                raise self.fail(join_path(join_path(path, key), i), f"expected text, found {kind_of(item)}")
            out.append(item)
        return out

    def count(self, parent: Obj, key: str, path: str) -> int | None:
        """A whole number ≥ 0; the API writes numbers, denominators are digit strings."""
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self.fail(join_path(path, key), f"expected a count (whole number ≥ 0), found {value!r}")


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number"}.get(type(value), "null")


def locator_of(obj: Obj, path: str) -> str:
    """The locator of `obj` in its source: the JSON path, or the XML path the XML reader left."""
    xml_path = obj.get("@path")
    return xml_path if isinstance(xml_path, str) else path
