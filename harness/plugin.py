"""pytest plugin: ``pytest --model-uri URI`` collects one test item per cell (runtime x artifact) of each model.

Thin by design: options (``harness.options``) are parsed into a RunConfig (``harness.config``), each model
becomes a ModelCheck (``harness.check``), each cell an item whose outcome is the cell's status; the typed report
(``harness.results``) is built from the checks, written after every cell, and read by every output: JSON, HTML,
Markdown, the terminal summary, JUnit properties and the MLflow gate.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import config as cfg
from harness import hookspecs, options, policy, reasons, registry, results
from harness.check import PASS, ModelCheck, ModelFailure
from harness.explain import describe_cell
from harness.offline import disable_python_telemetry
from harness.runtimes import jvm

disable_python_telemetry()  # nothing the harness runs may send data off the machine


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser):
    options.add_to(parser.getgroup("jvm-equivalence", "equivalence of an MLflow model across Python and JVM runtimes"))


def pytest_configure(config):
    if not config.getoption("model_uri"):
        return
    for found in config.hook.pytest_jvm_equivalence_flavors():
        for flavor in found or ():
            registry.add(registry.FLAVOR_GROUP, flavor)
    for found in config.hook.pytest_jvm_equivalence_runtimes():
        for runtime in found or ():
            registry.add(registry.RUNTIME_GROUP, runtime)
    try:
        run_config = run_config_from(config)
    except (cfg.ConfigError, policy.PolicyError, registry.RegistryError) as error:
        raise pytest.UsageError(str(error)) from None
    jvm.EXTRA_OPTIONS, jvm.JAVA_HOME = run_config.jvm_options, run_config.java_home
    _keep_hypothesis_out_of_the_working_directory()
    _root_at_the_invocation_directory(config)
    config.stash[_RUN] = _Run(config, run_config)


def _root_at_the_invocation_directory(config) -> None:
    """pytest picks its rootdir from path-like arguments, and takes ``--artifact /abs/path`` for one: the items'
    ids would then read ``../../models:/...``. Without an ini file or --rootdir, the harness roots them where it
    runs, so ids stay ``MODEL_URI::RUNTIME[ARTIFACT]``."""
    if getattr(config.option, "rootdir", None) or config.inipath is not None:
        return
    if config.rootpath != config.invocation_params.dir:
        config._rootpath = config.invocation_params.dir


def _keep_hypothesis_out_of_the_working_directory() -> None:
    """Hypothesis keeps caches in ./.hypothesis by default; the harness's searches need none of it (counterexamples
    live in the corpus), so they go to a temporary directory instead of the user's working directory."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tempfile.mkdtemp(prefix="harness-hypothesis-"))


def run_config_from(config) -> cfg.RunConfig:
    """Command-line options over the policy over the defaults (every value already typed by its parser)."""
    policy_file = config.getoption("policy")
    table = policy.load(policy_file) if policy_file else policy.from_pyproject(config.invocation_params.dir)

    def option(name):
        given = config.getoption(name)
        return given if given not in (None, []) else table.get(name)

    per_output = table.get("output_tolerances", []) + config.getoption("output_tolerance")  # later wins
    converter_items = table.get("converters", []) + config.getoption("converter_option")
    runtimes = option("runtimes") or cfg.parse_runtimes(None)
    return cfg.RunConfig(
        model_uris=config.getoption("model_uri"),
        tracking_uri=config.getoption("tracking_uri"),
        runtimes=runtimes,
        opsets=option("opsets"),
        max_examples=_first(option("max_examples"), cfg.DEFAULT_MAX_EXAMPLES),
        min_examples=_first(option("min_examples"), cfg.DEFAULT_MIN_EXAMPLES),
        seed=_first(option("seed"), cfg.DEFAULT_SEED),
        tolerances=cfg.parse_tolerances(_text(option("atol")), _text(option("rtol")), per_output,
                                        option("nan_policy") or "equal"),
        artifacts=config.getoption("artifact"),
        report_path=config.getoption("divergence_report"),
        session=cfg.SessionSettings(_first(config.getoption("ort_threads"), 1),
                                    config.getoption("ort_optimization") or "all"),
        value_range=option("value_range"),
        work_dir=config.getoption("work_dir"),
        blocking_statuses=_first(table.get("blocking_statuses"), cfg.DEFAULT_BLOCKING),
        policy_source=policy_file or (str(config.invocation_params.dir / "pyproject.toml") if table else None),
        data_path=config.getoption("data"),
        corpus_dir=None if config.getoption("no_corpus") else Path(
            config.getoption("corpus") or config.invocation_params.dir / ".equivalence-corpus"),
        isolate_jvm=bool(option("isolate_jvm")),
        cell_timeout=option("cell_timeout"),
        jvm_options=tuple(config.getoption("jvm_option")),
        java_home=config.getoption("java_home"),
        converter_options=cfg.converter_options(converter_items),
    )


def _first(value, default):
    return default if value is None else value


def _text(value):
    return None if value is None else repr(value) if isinstance(value, float) else str(value)


class _Run:
    """The state of one pytest session's equivalence run (in the controller, or alone without xdist)."""

    def __init__(self, config, run_config: cfg.RunConfig):
        self.pytest_config = config
        self.config = run_config
        self.checks: list = []
        self.html_path = config.getoption("html_report")
        self.markdown_path = config.getoption("markdown_report")
        self.promote_alias = config.getoption("promote_alias")
        self.publish = bool(config.getoption("mlflow_publish")) or bool(self.promote_alias)
        self.gate_outcomes: list = []
        self.worker_reports: list = []  # under xdist, in the controller: each worker's typed report
        self.report = None  # the final typed report

    @property
    def is_worker(self) -> bool:
        return hasattr(self.pytest_config, "workerinput")

    @property
    def is_controller(self) -> bool:
        return bool(getattr(self.pytest_config.option, "numprocesses", None)) and not self.is_worker \
            and self.pytest_config.pluginmanager.hasplugin("dsession")

    def build(self):
        if self.is_controller:
            return results.merge(self.worker_reports, self.config)
        return results.build(self.checks, self.config)

    def write_report(self) -> None:
        if self.config.report_path and not self.is_worker:
            results.write(self.config.report_path, results.build(self.checks, self.config))

    def finish(self) -> None:
        """Close every session; then every report format and the MLflow gate, once, after the last cell."""
        for check in self.checks:
            check.close()
        for family in registry.flavors().values():  # e.g. the H2O cluster and Spark session the references used
            try:
                family.close()
            except Exception:
                pass
        built = self.build()
        if self.is_worker:  # the controller writes the reports and runs the gate, over every worker's cells
            self.pytest_config.workeroutput[WORKER_REPORT] = results.dumps(built)
            return
        self.pytest_config.hook.pytest_jvm_equivalence_report(report=built)
        self.report = built
        written = []
        if self.config.report_path or self.publish:
            json_path = Path(self.config.report_path or Path(results.temp_dir()) / "divergence-report.json")
            results.write(json_path, built)
            written.append(json_path)
        if self.html_path or self.publish:
            html_path = Path(self.html_path or Path(written[0]).with_suffix(".html"))
            results.write_text(html_path, results.render_html(built))
            written.append(html_path)
        if self.markdown_path:
            results.write_text(Path(self.markdown_path), results.render_markdown(built))
        if self.publish:
            self.gate_outcomes = results.publish(built, written, self.promote_alias)


_RUN = pytest.StashKey[_Run]()
WORKER_REPORT = "jvm_equivalence_report"


def pytest_report_header(config):
    run = config.stash.get(_RUN, None)
    if run is None:
        return None
    c = run.config
    t = c.tolerances
    return [f"jvm-equivalence: seed={c.seed} max-examples={c.max_examples} min-examples={c.min_examples} "
            f"runtimes={','.join(c.runtimes)} atol={t.default.atol:g} rtol={t.default.rtol:g} "
            f"nan-policy={t.nan_policy} ort-threads={c.session.intra_op_threads} "
            f"ort-optimization={c.session.optimization}"]


def pytest_collection_modifyitems(session, config, items):
    run = config.stash.get(_RUN, None)
    if run is None:
        return
    for uri in run.config.model_uris:
        collector = ModelCollector.from_parent(session, name=uri, nodeid=uri)
        items.extend(session.genitems(collector))  # reports the collection as pytest's own collectors do
    run.write_report()


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist, every cell of one model goes to the same worker: one JVM and one reference per model."""
    if config.stash.get(_RUN, None) is None:
        return None
    from xdist.scheduler import LoadScopeScheduling

    return LoadScopeScheduling(config, log)


def pytest_testnodedown(node, error):
    """In the xdist controller: keep each worker's typed report for the merge."""
    run = node.config.stash.get(_RUN, None)
    output = getattr(node, "workeroutput", None) or {}
    if run is not None and WORKER_REPORT in output:
        run.worker_reports.append(results.loads(output[WORKER_REPORT]))


class ModelCollector(pytest.Collector):
    """One --model-uri: its items are the model's cells, or one failing item saying why it cannot be checked."""

    def collect(self):
        run = self.config.stash[_RUN]
        try:
            check = ModelCheck(self.name, run.config)
        except Exception as error:  # a bad URI fails its own item with the reason; other models still run
            failure = ModelFailure(self.name, str(error) if isinstance(error, ValueError)
                                   else reasons.describe(error))
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
        self.config.hook.pytest_jvm_equivalence_cell_done(check=self.check, cell=self.cell)
        self.user_properties += results.junit_properties(self.cell)
        status = self.cell.status
        if results.blocks(status, run.config.blocking_statuses):
            raise CellFailed(describe_cell(self.cell))
        if status != PASS:
            pytest.skip(f"{status} (does not block under the policy): {self.cell.reason or ''}".strip())

    def teardown(self):
        """The model's sessions close as soon as its last cell is done (not at interpreter exit)."""
        nextitem = getattr(self, "_next_item", None)
        if nextitem is None or getattr(nextitem, "check", None) is not self.check:
            self.check.close()

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CellFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.check.uri, None, self.name


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if isinstance(item, CellItem):
        item._next_item = nextitem


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


def pytest_sessionfinish(session, exitstatus):
    run = session.config.stash.get(_RUN, None)
    if run is None:
        return
    if session.config.option.collectonly:  # nothing ran: nothing to publish or promote
        run.publish = False
    run.finish()
    run.exit_status = int(session.exitstatus)


def pytest_unconfigure(config):
    run = config.stash.get(_RUN, None)
    if run is not None and getattr(run, "exit_status", None) is not None:
        jvm.exit_without_teardown(run.exit_status)


def pytest_terminal_summary(terminalreporter, config):
    run = config.stash.get(_RUN, None)
    if run is None or run.report is None:
        return
    terminalreporter.section("jvm-equivalence")
    for line in results.summary_lines(run.report, run.gate_outcomes):
        terminalreporter.write_line(line)
    for label, path in (("divergence report", run.config.report_path), ("HTML report", run.html_path),
                        ("Markdown summary", run.markdown_path)):
        if path:
            terminalreporter.write_line(f"{label}: {os.path.abspath(path)}")
