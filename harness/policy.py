"""The promotion policy: a ``[tool.harness]`` table in the pyproject.toml of the directory pytest runs in, or a
TOML file given with --policy (keys at its top level or under [tool.harness]).

It sets what a run checks and which statuses block promotion; the command line overrides it key by key. Its keys
are the policy keys of the option table (``harness.options``), checked and typed by the same parsers as the
command line, so both spellings mean the same thing; an invalid policy is an error that names the file and key.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from harness import config as cfg
from harness.options import BY_POLICY_KEY


class PolicyError(ValueError):
    """The policy is invalid; the message names where it is and the bad key."""


def load(path) -> dict:
    """A --policy file, as typed values keyed by policy key."""
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
    typed = {}
    for key, value in table.items():
        option = BY_POLICY_KEY.get(key)
        if option is None:
            raise PolicyError(f"{where}: unknown key '{key}'; known keys: {', '.join(BY_POLICY_KEY)}")
        if not isinstance(value, option.toml_types) or (isinstance(value, bool) and bool not in option.toml_types):
            raise PolicyError(f"{where}: '{key}' must be {option.toml}, not {value!r}")
        try:
            typed[key] = option.from_toml(value)
        except (cfg.ConfigError, AttributeError, TypeError) as error:
            raise PolicyError(f"{where}: '{key}' = {value!r} is invalid: {error}") from None
    return typed
