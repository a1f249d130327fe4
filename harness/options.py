"""Every option of the harness, defined once: its flag, type (a parser that raises ``ConfigError``), default,
help, and ``[tool.harness]`` policy key. This one table feeds ``pytest_addoption`` (values are typed at parse
time), the policy's validation (``harness.policy``) and the README's option table (``python -m harness options``).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable

from harness import config as cfg


@dataclass(frozen=True)
class Option:
    flag: str | None  # the command-line flag; None for a policy-only key
    help: str
    default: str  # the default, as the README says it
    parse: Callable[[Any], Any] | None = None  # text (or a TOML value's spelling) -> typed value
    action: str = "store"  # "store", "store_true" or "append"
    metavar: str | None = None
    policy: str | None = None  # the [tool.harness] key
    toml: str | None = None  # what the policy value must be, e.g. "a whole number"
    toml_types: tuple = ()  # the TOML types accepted
    spell: Callable[[Any], Any] | None = None  # TOML value -> the command line's spelling (a list for append)

    @property
    def dest(self) -> str:
        return (self.flag or self.policy).lstrip("-").replace("-", "_")

    def from_toml(self, value):
        """A policy value, checked and typed like the command line's."""
        spelled = self.spell(value) if self.spell else value
        if self.action == "append":
            return [self.parse(v) for v in spelled] if self.parse else list(spelled)
        return self.parse(spelled) if self.parse else spelled


def _joined(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _output_tolerances(table: dict) -> list[str]:
    return [f"{name}:" + ",".join(f"{k}={v}" for k, v in settings.items()) for name, settings in table.items()]


def _converter_table(table: dict) -> list[str]:
    if not all(isinstance(v, dict) for v in table.values()):
        raise cfg.ConfigError("write one table per exporter, e.g. [tool.harness.converters.skl2onnx] zipmap = false")
    return [f"{exporter}:{key}={str(value).lower() if isinstance(value, bool) else value}"
            for exporter, settings in table.items() for key, value in settings.items()]


def _parse_output_tolerance(text: str) -> str:
    cfg.parse_tolerances(None, None, [text], "equal")  # checks it; Tolerances are built once all are known
    return text


LIST, NUMBER, INT, TABLE, BOOL, TEXT = ((list,), (int, float), (int,), (dict,), (bool,), (str,))

OPTIONS: tuple[Option, ...] = (
    Option("--model-uri", "model to check: runs:/RUN/PATH, models:/NAME/VERSION, models:/NAME@ALIAS or a local "
           "model directory (repeatable)", "—", action="append", metavar="URI"),
    Option("--tracking-uri", "MLflow tracking/registry URI", "`MLFLOW_TRACKING_URI`", metavar="URI"),
    Option("--runtimes", "comma-separated runtimes to run (the pyfunc reference always runs)",
           "every registered runtime", cfg.parse_runtimes, metavar="LIST", policy="runtimes",
           toml="a list of runtime names, e.g. [\"ort-java\", \"jpmml\"]", toml_types=LIST, spell=_joined),
    Option("--opsets", "comma-separated ONNX opsets to export to", "each flavor's sweep (see Supported models)",
           cfg.parse_opsets, metavar="LIST", policy="opsets", toml="a list of integers, e.g. [13, 17]",
           toml_types=LIST, spell=_joined),
    Option("--converter-option", "an option for one converter, EXPORTER:KEY=VALUE, e.g. skl2onnx:zipmap=true, "
           "skl2onnx:ml_opset=3, skl2onnx:input_type=double, onnxmltools:route=onnxmltools (repeatable)", "—", cfg.parse_converter_option,
           action="append", metavar="EXPORTER:KEY=VALUE", policy="converters",
           toml="a table per exporter, e.g. [tool.harness.converters.skl2onnx]", toml_types=TABLE,
           spell=_converter_table),
    Option("--artifact", "an ONNX or PMML file you deploy, or a model file a JVM runtime reads (by extension: "
           ".ubj/.json XGBoost, .lgb/.txt LightGBM) (local path or MLflow artifact URI), checked as is against the "
           "PyFunc reference (repeatable)", "—", action="append", metavar="PATH_OR_URI"),
    Option("--max-examples", "input batches tried per cell", str(cfg.DEFAULT_MAX_EXAMPLES),
           cfg.parse_count("--max-examples", 1), metavar="N", policy="max_examples", toml="a whole number, 1 or more",
           toml_types=INT),
    Option("--min-examples", "valid examples a cell needs to pass; fewer is `insufficient`",
           f"{cfg.DEFAULT_MIN_EXAMPLES} (or --max-examples when smaller)", cfg.parse_count("--min-examples", 1),
           metavar="N", policy="min_examples", toml="a whole number, 1 or more", toml_types=INT),
    Option("--seed", "Hypothesis seed; the same seed, model and versions give the same verdict",
           str(cfg.DEFAULT_SEED), cfg.parse_seed, metavar="N", policy="seed", toml="a whole number", toml_types=INT),
    Option("--atol", "default absolute tolerance", "1e-5", cfg.parse_tolerance_value("--atol"), metavar="X",
           policy="atol", toml="a number, e.g. 1e-5", toml_types=NUMBER, spell=str),
    Option("--rtol", "default relative tolerance", "1e-5", cfg.parse_tolerance_value("--rtol"), metavar="X",
           policy="rtol", toml="a number, e.g. 1e-5", toml_types=NUMBER, spell=str),
    Option("--output-tolerance", "tolerance of one output, e.g. probabilities:atol=1e-4 (repeatable)", "—",
           _parse_output_tolerance, action="append", metavar="NAME:atol=X,rtol=Y", policy="output_tolerances",
           toml="a table NAME = { atol = X, rtol = Y }", toml_types=TABLE, spell=_output_tolerances),
    Option("--nan-policy", "equal: NaN where the reference has NaN agrees; fail: any NaN mismatches", "`equal`",
           cfg.parse_nan_policy, metavar="equal|fail", policy="nan_policy", toml="\"equal\" or \"fail\"",
           toml_types=TEXT),
    Option("--value-range", "range of generated numbers, LOW,HIGH",
           "the input example's range widened by its span, else -100,100", cfg.parse_value_range,
           metavar="LOW,HIGH", policy="value_range", toml="[LOW, HIGH]", toml_types=LIST, spell=_joined),
    Option("--ort-threads", "intra-op threads of both ONNX Runtime sides", "1", cfg.parse_threads, metavar="N"),
    Option("--ort-optimization", "graph optimisation level of both ONNX Runtime sides: disable, basic, extended, "
           "all", "`all`", cfg.parse_optimization, metavar="LEVEL"),
    Option("--divergence-report", "write the JSON report here (rewritten atomically after every cell)", "—",
           metavar="PATH"),
    Option("--html-report", "write the self-contained HTML report here", "—", metavar="PATH"),
    Option("--markdown-report", "write a Markdown summary here (CI step summary, PR comment)", "—", metavar="PATH"),
    Option("--policy", "TOML policy (keys at its top level or under [tool.harness]); command-line options "
           "override it", "`[tool.harness]` of `./pyproject.toml`", metavar="FILE"),
    Option(None, "statuses that fail the run and block promotion (policy only)",
           ", ".join(cfg.DEFAULT_BLOCKING), cfg.parse_statuses, policy="blocking_statuses",
           toml="a list of statuses", toml_types=LIST),
    Option("--mlflow-publish", "log the reports and per-cell metrics to the model version's run and tag the "
           "version with the outcome (models:/ URIs)", "off", action="store_true"),
    Option("--promote-alias", "point ALIAS at the tested model version only if the policy passes (implies "
           "--mlflow-publish)", "—", metavar="ALIAS"),
    Option("--work-dir", "where exported artifacts (and reasons.log) are written", "a new temp dir",
           metavar="DIR"),
    Option("--data", "real rows (CSV or Parquet) to sample and perturb", "the model's input example",
           metavar="PATH"),
    Option("--corpus", "where minimal counterexamples are saved and replayed first on the next run",
           "`./.equivalence-corpus`", metavar="DIR"),
    Option("--no-corpus", "neither save nor replay counterexamples", "off", action="store_true"),
    Option("--isolate-jvm", "run the JVM runtimes in a worker process: a JVM crash, OutOfMemoryError or hang "
           "becomes that cell's runtime-error and the run goes on", "off", action="store_true",
           policy="isolate_jvm", toml="true or false", toml_types=BOOL),
    Option("--cell-timeout", "time limit per cell, in seconds; an isolated JVM call that overruns it is killed",
           "none", cfg.parse_timeout, metavar="SECONDS", policy="cell_timeout", toml="a number of seconds, e.g. 300",
           toml_types=NUMBER, spell=str),
    Option("--jvm-option", "an option for the JVM the harness starts, e.g. --jvm-option=-Xmx2g (repeatable)", "—",
           action="append", metavar="OPTION"),
    Option("--java-home", "the JDK to run", "`JAVA_HOME`, else the system's", metavar="DIR"),
)

BY_POLICY_KEY = {o.policy: o for o in OPTIONS if o.policy}


def _argparse_type(parse):
    def typed(text):
        try:
            return parse(text)
        except cfg.ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    typed.__name__ = getattr(parse, "__name__", "value")
    return typed


def add_to(group) -> None:
    """Register every option on a pytest option group."""
    for option in OPTIONS:
        if option.flag is None:
            continue
        kwargs = {"help": f"{option.help} (default: {option.default.strip('`')})", "dest": option.dest}
        if option.action == "store_true":
            kwargs.update(action="store_true", default=None)
        else:
            kwargs.update(action=option.action, default=[] if option.action == "append" else None,
                          metavar=option.metavar)
            if option.parse:
                kwargs["type"] = _argparse_type(option.parse)
        group.addoption(option.flag, **kwargs)


def markdown_table() -> str:
    """The README's option table."""
    lines = ["| option | policy key | meaning | default |", "|---|---|---|---|"]
    for o in OPTIONS:
        flag = f"`{o.flag} {o.metavar}`" if o.flag and o.metavar else (f"`{o.flag}`" if o.flag else "—")
        lines.append(f"| {flag.replace('|', chr(92) + '|')} | {f'`{o.policy}`' if o.policy else '—'} | "
                     f"{o.help.replace('|', chr(92) + '|')} | {o.default} |")
    return "\n".join(lines)
