"""pytest plugin: ``pytest --model-uri URI`` collects one test item per cell (runtime x artifact) of each model.

Thin by design: options are parsed into a RunConfig (harness.config), each model becomes a ModelCheck
(harness.matrix), each cell an item whose outcome is the cell's status. The JSON report is rewritten
atomically after every cell.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from harness import config as cfg
from harness import html_report, markdown_report, mlflow_gate, policy, report
from harness.explain import describe_cell
from harness.matrix import DIVERGED, PASS, ModelCheck, ModelFailure
from harness.runtimes import jvm

# Nothing the harness runs may send data off the machine: MLflow's usage telemetry is off in this process.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


def pytest_addoption(parser):
    group = parser.getgroup("jvm-equivalence", "equivalence of an MLflow model across Python and JVM runtimes")
    group.addoption("--model-uri", action="append", default=[], metavar="URI",
                    help="model to check: runs:/RUN/PATH, models:/NAME/VERSION, models:/NAME@ALIAS or a local "
                         "model directory (repeatable)")
    group.addoption("--tracking-uri", default=None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI)")
    group.addoption("--runtimes", default=None,
                    help="comma-separated runtimes: ort-python,ort-java,jpmml (default: all; pyfunc always runs)")
    group.addoption("--opsets", default=None,
                    help="comma-separated ONNX opsets to export to (default: every opset from 13 to the newest "
                         "both the exporter and onnxruntime support)")
    group.addoption("--max-examples", type=int, default=None,
                    help=f"input batches tried per cell (default {cfg.DEFAULT_MAX_EXAMPLES})")
    group.addoption("--seed", type=int, default=None,
                    help=f"Hypothesis seed; the same seed, model and versions give the same verdict "
                         f"(default {cfg.DEFAULT_SEED})")
    group.addoption("--atol", default=None, help="default absolute tolerance (default 1e-5)")
    group.addoption("--rtol", default=None, help="default relative tolerance (default 1e-5)")
    group.addoption("--output-tolerance", action="append", default=[], metavar="NAME:atol=X,rtol=Y",
                    help="tolerance of one output, e.g. probabilities:atol=1e-4 (repeatable)")
    group.addoption("--nan-policy", default=None,
                    help="equal: NaN where the reference has NaN agrees (default); fail: any NaN mismatches")
    group.addoption("--artifact", action="append", default=[], metavar="PATH_OR_URI",
                    help="an ONNX or PMML file you deploy (local path or MLflow artifact URI), checked as is "
                         "against the PyFunc reference (repeatable)")
    group.addoption("--divergence-report", default=None, metavar="PATH", help="write the JSON report here")
    group.addoption("--value-range", default=None, metavar="LOW,HIGH",
                    help="range of generated numbers (default: the input example's range widened, else -100,100)")
    group.addoption("--ort-threads", default=None, help="intra-op threads of both ONNX Runtime sides (default 1)")
    group.addoption("--ort-optimization", default=None,
                    help="graph optimisation level of both ONNX Runtime sides: disable, basic, extended, all "
                         "(default all)")
    group.addoption("--work-dir", default=None, help="where exported artifacts are written (default: a temp dir)")
    group.addoption("--html-report", default=None, metavar="PATH",
                    help="write the self-contained HTML report here")
    group.addoption("--markdown-report", default=None, metavar="PATH",
                    help="write a Markdown summary here (for a CI step summary or a PR comment)")
    group.addoption("--mlflow-publish", action="store_true", default=False,
                    help="log the reports and per-cell metrics to the model version's run and tag the version "
                         "with the outcome (models:/ URIs)")
    group.addoption("--promote-alias", default=None, metavar="ALIAS",
                    help="point ALIAS at the tested model version only if the policy passes (implies "
                         "--mlflow-publish)")
    group.addoption("--data", default=None, metavar="PATH",
                    help="real rows (CSV or Parquet) to sample and perturb (default: the model's input example)")
    group.addoption("--corpus", default=None, metavar="DIR",
                    help="where minimal counterexamples are saved and replayed first on the next run "
                         "(default: ./.equivalence-corpus)")
    group.addoption("--no-corpus", action="store_true", default=False, help="neither save nor replay counterexamples")
    group.addoption("--isolate-jvm", action="store_true", default=None,
                    help="run ort-java and jpmml in a worker process: a JVM crash, OutOfMemoryError or hang becomes "
                         "that cell's runtime-error and the run goes on")
    group.addoption("--cell-timeout", default=None, metavar="SECONDS",
                    help="time limit per cell; an isolated JVM call that overruns it is killed")
    group.addoption("--jvm-option", action="append", default=[], metavar="OPTION",
                    help="an option for the JVM the harness starts, e.g. --jvm-option=-Xmx2g (repeatable)")
    group.addoption("--java-home", default=None, help="the JDK to run (default: JAVA_HOME, else the system's)")
    group.addoption("--policy", default=None, metavar="FILE",
                    help="TOML policy (runtimes, opsets, tolerances, blocking_statuses, ...); default: the "
                         "[tool.harness] table of ./pyproject.toml. Command-line options override it")


def pytest_configure(config):
    uris = config.getoption("model_uri")
    if not uris:
        return
    try:
        run_config = run_config_from(config)
        jvm.EXTRA_OPTIONS, jvm.JAVA_HOME = run_config.jvm_options, run_config.java_home
        config.stash[_RUN] = _Run(run_config, config.getoption("html_report"), config.getoption("markdown_report"),
                                  config.getoption("mlflow_publish"), config.getoption("promote_alias"))
    except (cfg.ConfigError, policy.PolicyError) as error:
        raise pytest.UsageError(str(error)) from None


def run_config_from(config) -> cfg.RunConfig:
    """Command-line options over the policy over the defaults."""
    policy_file = config.getoption("policy")
    table = policy.load(policy_file) if policy_file else policy.from_pyproject(config.invocation_params.dir)

    def option(name, key=None):
        given = config.getoption(name)
        return given if given not in (None, []) else table.get(key or name)

    per_output = table.get("output_tolerances", []) + config.getoption("output_tolerance")  # later wins
    max_examples = option("max_examples")
    if max_examples is not None and max_examples < 1:
        raise cfg.ConfigError("--max-examples must be 1 or more")
    return cfg.RunConfig(
        model_uris=config.getoption("model_uri"),
        tracking_uri=config.getoption("tracking_uri"),
        runtimes=cfg.parse_runtimes(option("runtimes")),
        opsets=cfg.parse_opsets(option("opsets")),
        max_examples=cfg.DEFAULT_MAX_EXAMPLES if max_examples is None else max_examples,
        seed=option("seed") if option("seed") is not None else cfg.DEFAULT_SEED,
        tolerances=cfg.parse_tolerances(option("atol"), option("rtol"), per_output, option("nan_policy") or "equal"),
        artifacts=config.getoption("artifact"),
        report_path=config.getoption("divergence_report"),
        session=cfg.parse_session(config.getoption("ort_threads"), config.getoption("ort_optimization")),
        value_range=cfg.parse_value_range(option("value_range")),
        work_dir=config.getoption("work_dir"),
        blocking_statuses=tuple(table.get("blocking_statuses", policy.DEFAULT_BLOCKING)),
        policy_source=policy_file or (str(config.invocation_params.dir / "pyproject.toml") if table else None),
        data_path=config.getoption("data"),
        corpus_dir=None if config.getoption("no_corpus") else Path(
            config.getoption("corpus") or config.invocation_params.dir / ".equivalence-corpus"),
        isolate_jvm=bool(option("isolate_jvm")),
        cell_timeout=cfg.parse_timeout(option("cell_timeout")),
        jvm_options=tuple(config.getoption("jvm_option")),
        java_home=config.getoption("java_home"),
    )


class _Run:
    """The state of one pytest session's equivalence run."""

    def __init__(self, run_config: cfg.RunConfig, html_path=None, markdown_path=None, publish=False,
                 promote_alias=None):
        self.config = run_config
        self.checks: list = []
        self.html_path, self.markdown_path = html_path, markdown_path
        self.publish, self.promote_alias = publish or bool(promote_alias), promote_alias
        self.gate_outcomes: list = []

    def write_report(self) -> None:
        if self.config.report_path:
            report.write(self.config.report_path, report.build(self.checks, self.config))

    def finish(self) -> None:
        """Every report format, then the MLflow gate. Runs once, after the last cell."""
        for check in self.checks:
            if hasattr(check, "close"):
                check.close()
        built = report.build(self.checks, self.config)
        written = []
        if self.config.report_path or self.publish:
            json_path = Path(self.config.report_path or Path(tempfile.mkdtemp()) / "divergence-report.json")
            report.write(json_path, built)
            written.append(json_path)
        if self.html_path or self.publish:
            html_path = Path(self.html_path or Path(written[0]).with_suffix(".html"))
            report.write_text(html_path, html_report.render(built))
            written.append(html_path)
        if self.markdown_path:
            report.write_text(Path(self.markdown_path), markdown_report.render(built))
        if self.publish:
            self.gate_outcomes = [
                mlflow_gate.publish(check, written, self.config.blocking_statuses, self.promote_alias)
                for check in self.checks
            ]


_RUN = pytest.StashKey[_Run]()


def pytest_report_header(config):
    run = config.stash.get(_RUN, None)
    if run is None:
        return None
    c = run.config
    t = c.tolerances
    return [f"jvm-equivalence: seed={c.seed} max-examples={c.max_examples} runtimes={','.join(c.runtimes)} "
            f"atol={t.default.atol:g} rtol={t.default.rtol:g} nan-policy={t.nan_policy} "
            f"ort-threads={c.session.intra_op_threads} ort-optimization={c.session.optimization}"]


def pytest_collection_modifyitems(session, config, items):
    run = config.stash.get(_RUN, None)
    if run is None:
        return
    for uri in run.config.model_uris:
        collector = ModelCollector.from_parent(session, name=uri, nodeid=uri)
        items.extend(session.genitems(collector))  # reports the collection as pytest's own collectors do
    run.write_report()


class ModelCollector(pytest.Collector):
    """One --model-uri: its items are the model's cells, or one failing item saying why it cannot be checked."""

    def collect(self):
        run = self.config.stash[_RUN]
        try:
            check = ModelCheck(self.name, run.config)
        except Exception as error:  # a bad URI fails its own item with the reason; other models still run
            failure = ModelFailure(self.name, str(error) if isinstance(error, ValueError)
                                   else f"{type(error).__name__}: {error}")
            run.checks.append(failure)
            return [ModelErrorItem.from_parent(self, name="model", failure=failure)]
        run.checks.append(check)
        return [CellItem.from_parent(self, name=cell.name, check=check, cell=cell) for cell in check.cells]


class CellFailed(Exception):
    pass


class CellItem(pytest.Item):
    def __init__(self, *, check: ModelCheck, cell, **kwargs):
        super().__init__(**kwargs)
        self.check = check
        self.cell = cell

    def runtest(self):
        run = self.config.stash[_RUN]
        try:
            self.check.run_cell(self.cell)
        finally:
            run.write_report()
        self._record_properties()
        status = self.cell.status
        if status in run.config.blocking_statuses:
            raise CellFailed(describe_cell(self.cell))
        if status != PASS:
            pytest.skip(f"{status} (does not block under the policy): {self.cell.reason or ''}".strip())

    def _record_properties(self):
        stats = self.cell.result.stats if self.cell.result else None
        self.user_properties += [("status", self.cell.status), ("runtime", self.cell.runtime),
                                 ("opset_requested", self.cell.artifact.opset_requested),
                                 ("opset_actual", self.cell.artifact.opset_actual)]
        if stats:
            self.user_properties += [("max_abs", stats.max_abs), ("max_rel", stats.max_rel),
                                     ("max_ulp", stats.max_ulp), ("examples", stats.examples)]

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CellFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.check.uri, None, self.name


class ModelErrorItem(pytest.Item):
    def __init__(self, *, failure: ModelFailure, **kwargs):
        super().__init__(**kwargs)
        self.failure = failure

    def runtest(self):
        raise CellFailed(self.failure.error)

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.failure.uri, None, self.name


def pytest_sessionfinish(session):
    run = session.config.stash.get(_RUN, None)
    if run is not None:
        if session.config.option.collectonly:  # nothing ran: nothing to publish or promote
            run.publish = False
        run.finish()


def pytest_terminal_summary(terminalreporter, config):
    run = config.stash.get(_RUN, None)
    if run is None:
        return
    tr = terminalreporter
    tr.section("jvm-equivalence")
    for check in run.checks:
        tr.write_line(f"{check.uri}" + (f": {check.error}" if check.error else ""))
        for cell in check.cells:
            stats = cell.result.stats if cell.result else None
            metrics = (f"max_abs={stats.max_abs:.3g} max_rel={stats.max_rel:.3g} max_ulp={stats.max_ulp} "
                       f"examples={stats.examples}") if stats else (cell.reason or "")[:100]
            marker = {PASS: "ok", DIVERGED: "DIVERGED"}.get(cell.status, cell.status)
            tr.write_line(f"  {cell.name:<40} {marker:<14} {metrics}")
    for outcome in run.gate_outcomes:
        verdict = "passes" if outcome.passed else "fails"
        line = f"gate: {outcome.model_uri} (version {outcome.version or '-'}) {verdict} the policy"
        if outcome.promoted_alias:
            line += f"; alias '{outcome.promoted_alias}' now points at version {outcome.version}"
        if outcome.note:
            line += f"; {outcome.note}"
        tr.write_line(line)
    if run.config.report_path:
        tr.write_line(f"divergence report: {os.path.abspath(run.config.report_path)}")
    if run.html_path:
        tr.write_line(f"HTML report: {os.path.abspath(run.html_path)}")
    if run.markdown_path:
        tr.write_line(f"Markdown summary: {os.path.abspath(run.markdown_path)}")
