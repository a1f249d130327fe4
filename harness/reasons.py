"""Reasons people read: the root cause first, bounded in size; the full text goes to a log file the report names.

A converter's exception can carry a megabyte of node attributes, with the real cause (``TypeError: Field
onnx.AttributeProto.ints: Expected an int, got a boolean``) in ``__cause__``; a report that copies it whole is
unreadable (and tens of MB). Here the chain is walked to its root, the root leads, and the text is cut.
"""
from __future__ import annotations

import traceback
from datetime import datetime, timezone
from pathlib import Path

MAX_REASON = 2000  # characters of a reason kept in the cell (reports cut again, to a few KB)


def chain(error: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (``raise ... from`` and implicit context)."""
    seen, found = set(), []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return found


def one_line(error: BaseException, limit: int = 400) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    if len(first) > limit:
        first = first[:limit] + f" … ({len(text) - limit} more characters)"
    return f"{type(error).__name__}: {first}".rstrip(": ").strip()


def describe(error: BaseException, limit: int = MAX_REASON) -> str:
    """Root cause first, then the exception it was raised as (each to one bounded line)."""
    errors = chain(error)
    root, outer = errors[-1], errors[0]
    text = one_line(root)
    if outer is not root:
        text += f" (raised as {one_line(outer, 300)})"
    return bound(text, limit)


def bound(text: str | None, limit: int = MAX_REASON, log: Path | str | None = None) -> str | None:
    if text is None or len(text) <= limit:
        return text
    where = f"; full text in {log}" if log else ""
    return text[:limit] + f" … ({len(text) - limit} more characters{where})"


def log_full(log: Path, title: str, error: BaseException | str) -> Path:
    """Append the whole text (a traceback with every cause) to ``log``; returns its path."""
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    body = error if isinstance(error, str) else "".join(traceback.format_exception(error))
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with log.open("a", encoding="utf-8") as out:
        out.write(f"=== {stamp} {title}\n{body}\n")
    return log
