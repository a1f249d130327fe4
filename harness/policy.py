"""The promotion policy: a ``[tool.harness]`` table in the pyproject.toml of the directory pytest runs in, or a
TOML file given with --policy (keys at its top level or under [tool.harness]).

It sets what a run checks and which statuses block promotion; the command line overrides it key by key.
Values are written as TOML (lists, numbers) and validated by the command line's own parsers, so both spellings
mean the same thing; an invalid policy is an error that names the file and the key.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from harness import config as cfg

STATUSES = ("diverged", "export-failed", "runtime-error", "skipped")
DEFAULT_BLOCKING = ("diverged", "export-failed", "runtime-error")


def _joined(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


# key -> (what it must be, its command-line spelling from the TOML value, the parser that checks it)
_KEYS = {
    "runtimes": ("a list of runtime names, e.g. [\"ort-java\", \"jpmml\"]", _joined, cfg.parse_runtimes),
    "opsets": ("a list of integers, e.g. [13, 17]", _joined, cfg.parse_opsets),
    "max_examples": ("a whole number, 1 or more", int, lambda v: v >= 1 or cfg.ConfigError("must be 1 or more")),
    "seed": ("a whole number", int, lambda v: True),
    "atol": ("a number, e.g. 1e-5", str, lambda v: cfg.parse_tolerances(v, None, [], "equal")),
    "rtol": ("a number, e.g. 1e-5", str, lambda v: cfg.parse_tolerances(None, v, [], "equal")),
    "nan_policy": ("\"equal\" or \"fail\"", str, lambda v: cfg.parse_tolerances(None, None, [], v)),
    "output_tolerances": ("a table NAME = { atol = X, rtol = Y }",
                          lambda t: [f"{n}:" + ",".join(f"{k}={v}" for k, v in s.items()) for n, s in t.items()],
                          lambda v: cfg.parse_tolerances(None, None, v, "equal")),
    "value_range": ("[LOW, HIGH]", _joined, cfg.parse_value_range),
    "blocking_statuses": (f"a list among {', '.join(STATUSES)}", list, lambda v: _check_statuses(v)),
    "isolate_jvm": ("true or false", bool, lambda v: True),
    "cell_timeout": ("a number of seconds, e.g. 300", str, cfg.parse_timeout),
}


class PolicyError(ValueError):
    """The policy is invalid; the message names where it is and the bad key."""


def _check_statuses(statuses):
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise cfg.ConfigError(f"unknown status(es) {', '.join(map(str, unknown))}")


def load(path) -> dict:
    """A --policy file, as command-line spellings keyed by policy key."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PolicyError(f"--policy {path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"--policy {path}: not valid TOML ({error})") from None
    return validate(data.get("tool", {}).get("harness", {}) if "tool" in data else data, str(path))


def from_pyproject(directory) -> dict:
    """The [tool.harness] table of ``directory/pyproject.toml``; empty when there is none."""
    path = Path(directory) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML ({error})") from None
    table = data.get("tool", {}).get("harness")
    return validate(table, f"{path} [tool.harness]") if table is not None else {}


def validate(table: dict, where: str) -> dict:
    options = {}
    for key, value in table.items():
        if key not in _KEYS:
            raise PolicyError(f"{where}: unknown key '{key}'; known keys: {', '.join(_KEYS)}")
        description, spell, check = _KEYS[key]
        expected = {"max_examples": int, "seed": int, "atol": (int, float), "rtol": (int, float),
                    "nan_policy": str, "output_tolerances": dict, "isolate_jvm": bool,
                    "cell_timeout": (int, float)}.get(key, list)
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise PolicyError(f"{where}: '{key}' must be {description}, not {value!r}")
        try:
            spelled = spell(value)
            outcome = check(spelled)
        except (cfg.ConfigError, AttributeError, TypeError) as error:
            raise PolicyError(f"{where}: '{key}' = {value!r} is invalid: {error}") from None
        if isinstance(outcome, cfg.ConfigError):
            raise PolicyError(f"{where}: '{key}' = {value!r} is invalid: {outcome}")
        options[key] = spelled
    return options


def verdict(check, blocking_statuses) -> tuple[bool, list[str]]:
    """Does this model pass the policy? Every cell must have run, and none may have a blocking status."""
    if getattr(check, "error", None):
        return False, [f"model could not be checked: {check.error}"]
    reasons = [f"{cell.name}: {cell.status}" for cell in check.cells
               if cell.status in blocking_statuses or cell.status == "pending"]
    if not check.cells:
        reasons.append("no cell was checked")
    return not reasons, reasons
