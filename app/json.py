"""JSON through orjson, behind Flask's documented JSON provider interface.

orjson encodes several times faster than the standard library. Its parser
refuses nesting deeper than 1,024 levels and strings that are not Unicode
(a lone surrogate escape) with a ValueError, where the standard library's
runs into RecursionError or hands the surrogate on.

Other parsers may read the same body after ours: webargs (under APIFlask's
``@input``) decodes it again with the standard library, which hits Python's
recursion limit near 1,000 levels. So ``loads`` refuses anything nested
deeper than MAX_DEPTH, far more than any of our documents need, with a
ValueError as well.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import date
from typing import Any

import orjson
from flask import Flask
from flask.json.provider import JSONProvider
from werkzeug.http import http_date

MAX_DEPTH = 64


def _default(value: Any) -> Any:
    """What orjson leaves to us, as Flask's own provider would encode it."""
    if isinstance(value, date):
        return http_date(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply arrays and objects nest in ``value``, counted up to ``limit + 1``.

    A loop, not recursion, so it cannot raise RecursionError itself.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class OrjsonProvider(JSONProvider):
    """Compact, key-sorted JSON (Flask's base class builds the responses)."""

    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    options |= orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj, default=_default, option=self.options).decode()
        except TypeError:
            # Strings orjson will not encode (lone surrogates): the standard
            # library writes them as \ud800 escapes.
            return json.dumps(obj, default=_default, sort_keys=True)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        value = orjson.loads(s)
        if isinstance(value, dict | list) and nesting_depth(value) > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        return value


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)
