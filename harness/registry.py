"""Where the harness finds its flavors and runtimes: the ``jvm_equivalence.flavors`` and
``jvm_equivalence.runtimes`` entry-point groups (the built-in ones are registered in ``pyproject.toml``), plus
whatever a conftest or plugin returns from the ``pytest_jvm_equivalence_flavors`` / ``_runtimes`` hooks.

A separate package adds its own model family or in-house JVM scorer by declaring an entry point in its own
metadata, e.g. ``[project.entry-points."jvm_equivalence.runtimes"] my-scorer = "my_pkg.scorer:MyScorer"``: no
edit to ``harness/``. An entry point names a Flavor/Runtime class (instantiated without arguments) or instance.
"""
from __future__ import annotations

from functools import cache
from importlib import metadata

FLAVOR_GROUP = "jvm_equivalence.flavors"
RUNTIME_GROUP = "jvm_equivalence.runtimes"

_added: dict[str, dict] = {FLAVOR_GROUP: {}, RUNTIME_GROUP: {}}  # from hooks (harness.plugin)


class RegistryError(ValueError):
    """A name that no registered flavor or runtime has, or an entry point that cannot be loaded."""


def _instance(obj):
    return obj() if isinstance(obj, type) else obj


@cache
def _from_entry_points(group: str) -> dict:
    found = {}
    for entry in metadata.entry_points(group=group):
        try:
            obj = _instance(entry.load())
        except Exception as error:
            raise RegistryError(f"the {group} entry point '{entry.name} = {entry.value}' cannot be loaded "
                                f"({type(error).__name__}: {error}). Reinstall the package that declares it, "
                                "or uninstall it.") from error
        found[obj.name or entry.name] = obj
    return found


def add(group: str, obj) -> None:
    """Register a flavor or runtime at run time (what the pytest hooks return)."""
    obj = _instance(obj)
    _added[group][obj.name] = obj


def flavors() -> dict:
    """Every registered flavor, by name, highest priority first."""
    merged = {**_from_entry_points(FLAVOR_GROUP), **_added[FLAVOR_GROUP]}
    return dict(sorted(merged.items(), key=lambda item: -item[1].priority))


def runtimes() -> dict:
    """Every registered runtime, by name (Python-side runtimes first, then the JVM ones)."""
    merged = {**_from_entry_points(RUNTIME_GROUP), **_added[RUNTIME_GROUP]}
    return dict(sorted(merged.items(), key=lambda item: (item[1].in_jvm, item[1].format, item[0])))


def runtime(name: str):
    try:
        return runtimes()[name]
    except KeyError:
        raise RegistryError(f"unknown runtime '{name}' (known: {', '.join(runtimes())})") from None


def flavor_of(mlflow_flavors) -> object | None:
    """The registered flavor for a model with these MLmodel flavor keys (None when none is handled)."""
    return next((f for f in flavors().values() if any(key in mlflow_flavors for key in f.handles())), None)


def handled_flavor_keys() -> list[str]:
    return [key for f in flavors().values() for key in f.handles()]
