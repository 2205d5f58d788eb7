"""JSON we can hold: no deeper than MAX_DEPTH, no text a database or an e-mail can't store.

Python's parser recurses once per nesting level, so a body nested a thousand levels deep ends in
a RecursionError wherever it is parsed (or later re-serialised); the depth is counted first,
without recursion. A lone surrogate (``"\\ud800"``) is valid JSON but not text, and PostgreSQL
refuses a NUL in text: both are found after parsing.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class UnsafeJSON(ValueError):
    """``reason`` is short and safe to answer with."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def too_deep(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> bool:
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', data)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > max_depth:
            return True
    return False


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that refuses a body nested deeper than ``max_depth`` (UnsafeJSON) before
    parsing it; otherwise raises ValueError as json.loads does."""
    if too_deep(raw, max_depth=max_depth):
        raise UnsafeJSON(f"JSON nested deeper than {max_depth} levels")
    return json.loads(raw, **kwargs)


def refuse_constant(name: str) -> None:
    """For ``parse_constant``: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def unstorable_text(data: Any, *, nul: bool = True) -> str:
    """Why ``data`` (parsed JSON) holds text we can't store, or "" when it holds none
    (``nul=False``: only lone surrogates count)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            reason = unstorable_reason(item if nul else item.replace("\x00", ""))
            if reason:
                return reason
    return ""


def unstorable_reason(text: str) -> str:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate"
    return ""
