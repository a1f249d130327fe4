"""The statuses a cell can have, and which of them block a run by default (the policy can change that).

- pass: every valid example agreed with the reference, and there were enough of them;
- diverged: an input on which the runtime disagrees with (or raises where) the reference (does not);
- insufficient: too few valid examples (the reference rejected the rest) to say anything;
- export-failed: the converter could not make the artifact;
- runtime-error: the runtime (or the reference) could not load or run it;
- skipped: the runtime cannot take this artifact's inputs at all;
- pending: not run (yet).
"""
from __future__ import annotations

PASS, DIVERGED, INSUFFICIENT, EXPORT_FAILED, RUNTIME_ERROR, SKIPPED, PENDING = (
    "pass", "diverged", "insufficient", "export-failed", "runtime-error", "skipped", "pending")
STATUSES = (PASS, DIVERGED, INSUFFICIENT, EXPORT_FAILED, RUNTIME_ERROR, SKIPPED, PENDING)
DEFAULT_BLOCKING = (DIVERGED, INSUFFICIENT, EXPORT_FAILED, RUNTIME_ERROR)
