"""The run's settings, parsed from the command line into one plain object (testable without pytest)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.compare import DEFAULT_ATOL, DEFAULT_RTOL, NAN_POLICIES, Tolerance, Tolerances
from harness.runtimes import OPTIMIZATION_LEVELS, SessionSettings

DEFAULT_MAX_EXAMPLES = 100
DEFAULT_MIN_EXAMPLES = 20  # fewer valid examples than this (or than --max-examples) is "insufficient"
DEFAULT_SEED = 0
from harness.statuses import DEFAULT_BLOCKING, STATUSES  # noqa: E402


def registered_runtimes() -> list[str]:
    from harness import registry

    return list(registry.runtimes())


class ConfigError(ValueError):
    """A command-line value is wrong; the message names the option and shows a valid form."""


@dataclass
class RunConfig:
    model_uris: list[str]
    tracking_uri: str | None = None
    runtimes: list[str] = field(default_factory=registered_runtimes)
    opsets: list[int] | None = None  # None: the exporter's default sweep
    max_examples: int = DEFAULT_MAX_EXAMPLES
    min_examples: int = DEFAULT_MIN_EXAMPLES
    seed: int = DEFAULT_SEED
    tolerances: Tolerances = Tolerances()
    artifacts: list[str] = field(default_factory=list)
    report_path: Path | None = None
    session: SessionSettings = SessionSettings()
    value_range: tuple[float, float] | None = None
    work_dir: Path | None = None  # where exported artifacts are written; a fresh temporary directory if None
    blocking_statuses: tuple[str, ...] = DEFAULT_BLOCKING
    policy_source: str | None = None  # the file the policy came from, if any
    hunt: bool = True  # edge values, thresholds, boundary and data rows, targeted search; False: plain sampling
    data_path: Path | None = None  # --data: real rows (CSV or Parquet) to sample and perturb
    corpus_dir: Path | None = None  # where counterexamples are kept and replayed from; None: no corpus
    isolate_jvm: bool = False  # run ort-java and jpmml in a worker process
    cell_timeout: float | None = None  # seconds per cell
    jvm_options: tuple[str, ...] = ()
    java_home: str | None = None
    converter_options: dict = field(default_factory=dict)  # exporter name -> {option: value}


def parse_runtimes(text: str | None) -> list[str]:
    known = registered_runtimes()
    if not text:
        return known
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"--runtimes: unknown runtime(s) {', '.join(unknown)}; choose from {', '.join(known)} "
            "(the pyfunc reference always runs)."
        )
    return names


def parse_opsets(text: str | None) -> list[int] | None:
    from harness.onnx_versions import ORT_MAX_OPSET

    if not text:
        return None
    try:
        opsets = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise ConfigError(f"--opsets {text!r}: expected comma-separated integers, e.g. --opsets 13,17,21") from None
    if not opsets or opsets[0] < 1:
        raise ConfigError(f"--opsets {text!r}: opsets are positive integers, e.g. --opsets 13,17,21")
    if opsets[-1] > ORT_MAX_OPSET:
        raise ConfigError(f"--opsets {text!r}: onnxruntime (Python and Java) runs opsets up to {ORT_MAX_OPSET}; "
                          f"{opsets[-1]} cannot be checked here. Choose opsets from 7 to {ORT_MAX_OPSET}.")
    return opsets


def parse_timeout(text) -> float | None:
    if text in (None, ""):
        return None
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"--cell-timeout {text!r}: a number of seconds greater than 0, e.g. --cell-timeout 120")
    return seconds


def _number(option: str, text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{option} {text!r} is not a number; write it like 1e-5 or 0.001") from None
    if not value >= 0:
        raise ConfigError(f"{option} {text!r} must be zero or positive")
    return value


def parse_tolerances(atol: str | None, rtol: str | None, per_output: list[str], nan_policy: str) -> Tolerances:
    """``--atol``/``--rtol`` set the default; ``--output-tolerance NAME:atol=X,rtol=Y`` overrides one output."""
    default = Tolerance(
        atol=DEFAULT_ATOL if atol is None else _number("--atol", atol),
        rtol=DEFAULT_RTOL if rtol is None else _number("--rtol", rtol),
    )
    overrides = {}
    for text in per_output or []:
        name, sep, settings = text.partition(":")
        if not sep or not name:
            raise ConfigError(f"--output-tolerance {text!r}: write it as NAME:atol=1e-4,rtol=1e-3")
        values = {"atol": default.atol, "rtol": default.rtol}
        for pair in settings.split(","):
            key, eq, value = pair.partition("=")
            if key.strip() not in values or not eq:
                raise ConfigError(f"--output-tolerance {text!r}: '{pair}' is not atol=NUMBER or rtol=NUMBER")
            values[key.strip()] = _number(f"--output-tolerance {name} {key.strip()}", value)
        overrides[name] = Tolerance(**values)
    if nan_policy not in NAN_POLICIES:
        raise ConfigError(f"--nan-policy {nan_policy!r}: choose {' or '.join(NAN_POLICIES)}")
    return Tolerances(default, overrides, nan_policy)


def parse_value_range(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    low, sep, high = text.partition(",")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = None
    if not sep or bounds is None or not bounds[0] < bounds[1]:
        raise ConfigError(f"--value-range {text!r}: write LOW,HIGH with LOW < HIGH, e.g. --value-range -10,10")
    return bounds


def parse_threads(threads) -> int:
    try:
        count = int(threads)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise ConfigError(f"--ort-threads {threads!r}: a whole number of threads, 1 or more")
    return count


def parse_optimization(level) -> str:
    if level not in OPTIMIZATION_LEVELS:
        raise ConfigError(f"--ort-optimization {level!r}: choose one of {', '.join(OPTIMIZATION_LEVELS)}")
    return level


def parse_session(threads: str | None, optimization: str | None) -> SessionSettings:
    return SessionSettings(parse_threads(threads) if threads is not None else 1,
                           parse_optimization(optimization or "all"))


def parse_count(option: str, minimum: int):
    """A parser of whole numbers >= ``minimum`` for ``option``."""
    def parse(text) -> int:
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise ConfigError(f"{option} {text!r}: a whole number, {minimum} or more") from None
        if value < minimum:
            raise ConfigError(f"{option} {text!r}: must be {minimum} or more")
        return value
    parse.__name__ = option
    return parse


def parse_seed(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ConfigError(f"--seed {text!r}: a whole number") from None


def parse_tolerance_value(option: str):
    def parse(text) -> float:
        return _number(option, text)
    return parse


def parse_nan_policy(text) -> str:
    if text not in NAN_POLICIES:
        raise ConfigError(f"--nan-policy {text!r}: choose {' or '.join(NAN_POLICIES)}")
    return text


def parse_statuses(statuses) -> tuple[str, ...]:
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    unknown = [s for s in statuses if s not in STATUSES or s == "pass"]
    if unknown:
        raise ConfigError(f"unknown status(es) {', '.join(map(str, unknown))}; choose among "
                          f"{', '.join(s for s in STATUSES if s not in ('pass', 'pending'))}")
    return tuple(statuses)


def _option_value(text: str):
    """A converter option's value: true/false, an integer, a number, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_converter_option(text: str) -> tuple[str, str, object]:
    """``--converter-option EXPORTER:KEY=VALUE`` -> (exporter, key, value)."""
    exporter, sep, setting = str(text).partition(":")
    key, eq, value = setting.partition("=")
    if not sep or not eq or not exporter.strip() or not key.strip():
        raise ConfigError(f"--converter-option {text!r}: write it as EXPORTER:KEY=VALUE, e.g. "
                          "skl2onnx:zipmap=true or skl2onnx:ml_opset=3")
    return exporter.strip(), key.strip(), _option_value(value)


def converter_options(items) -> dict:
    """(exporter, key, value) triples -> {exporter: {key: value}}; later ones win."""
    merged: dict = {}
    for exporter, key, value in items:
        merged.setdefault(exporter, {})[key] = value
    return merged
