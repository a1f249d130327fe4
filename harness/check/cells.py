"""A cell is one runtime on one artifact of one model; its status is one of ``harness.statuses``."""
from __future__ import annotations

from dataclasses import dataclass

from harness.artifacts import Artifact

from harness.statuses import PENDING


@dataclass
class Cell:
    runtime: str
    artifact: Artifact
    status: str = PENDING
    reason: str | None = None
    result: object | None = None  # harness.search.SearchResult
    attribution: dict | None = None  # for a diverged cell: {"kind": conversion|jvm|format|unknown, "detail"}
    corpus_file: str | None = None  # where its counterexample was saved
    reason_log: str | None = None  # where the full text of a long reason went

    @property
    def name(self) -> str:
        return f"{self.runtime}[{self.artifact.label}]"


@dataclass
class ModelFailure:
    """A --model-uri that could not become a ModelCheck: the report keeps the reason."""

    uri: str
    error: str
    cells: tuple = ()
    reason_log: str | None = None

    def close(self) -> None:
        pass
