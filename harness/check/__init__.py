"""Checking one model: plan its cells (``plan``), run each against the reference (``model_check``), and explain
a divergence (``evidence``)."""
from harness.check.cells import Cell, ModelFailure
from harness.statuses import (DIVERGED, EXPORT_FAILED, INSUFFICIENT, PASS, PENDING, RUNTIME_ERROR, SKIPPED,
                              STATUSES)
from harness.check.model_check import ModelCheck

__all__ = ["Cell", "ModelCheck", "ModelFailure", "STATUSES", "PASS", "DIVERGED", "INSUFFICIENT", "EXPORT_FAILED",
           "RUNTIME_ERROR", "SKIPPED", "PENDING"]
