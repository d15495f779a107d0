"""``bpbench``: validate manifests, run experiments, build reports, set up the JVM side."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from harness.errors import HarnessError, UsageError

EXIT_OK, EXIT_HARNESS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    from harness.platform import BACKENDS

    parser = argparse.ArgumentParser(
        prog="bpbench", description="Backpressure benchmarks for Spark Streaming."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check manifests without running anything")
    validate.add_argument("manifests", nargs="+", type=Path, metavar="MANIFEST")

    plan = commands.add_parser(
        "plan", help="every run of a manifest with its resolved settings; runs nothing"
    )
    plan.add_argument("manifest", type=Path, metavar="MANIFEST")
    plan.add_argument("--json", action="store_true", help="one JSON object a run")

    run = commands.add_parser("run", help="run an experiment and write its report")
    run.add_argument("manifest", type=Path, metavar="MANIFEST")
    run.add_argument("--out", type=Path, default=Path("results"), help="results root (default: results)")
    run.add_argument(
        "--backend",
        choices=list(BACKENDS),
        default=None,
        help="where Kafka and Spark run (default: the manifest's platform.backend)",
    )

    up = commands.add_parser("up", help="bring Kafka and Spark up in containers and print their addresses")
    up.add_argument("--backend", choices=["compose"], default="compose", help="only compose (default)")
    up.add_argument("--manifest", type=Path, default=None, help="size the containers from this manifest")
    up.add_argument("--out", type=Path, default=Path("results"), help="workers' files under OUT/compose-up")
    down = commands.add_parser("down", help="remove the containers and network that `up` started")
    down.add_argument("--backend", choices=["compose"], default="compose", help="only compose (default)")
    down.add_argument("--volumes", action="store_true", help="also remove the stack's volumes")
    down.add_argument("--out", type=Path, default=Path("results"))

    report = commands.add_parser("report", help="build one HTML report from run or experiment directories")
    report.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    report.add_argument("-o", "--output", type=Path, default=Path("report.html"))

    compare = commands.add_parser("compare", help="two result sets side by side (median per metric)")
    compare.add_argument("baseline", type=Path, metavar="BASELINE")
    compare.add_argument("contender", type=Path, metavar="CONTENDER")
    compare.add_argument("-o", "--output", type=Path, default=None, help="also write an HTML page")

    export = commands.add_parser("export", help="write run directories as CSV files")
    export.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    export.add_argument("--csv", action="store_true", required=True, help="CSV, one file per table")
    export.add_argument("-o", "--output", type=Path, default=Path("export"), help="folder (default: export)")

    publish = commands.add_parser(
        "publish", help="copy what the verdicts need of run directories, with their report and verdicts"
    )
    publish.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    publish.add_argument("-o", "--output", type=Path, required=True, help="a new folder")

    importer = commands.add_parser(
        "import-artifact", help="turn result folders of the original artifact into run directories"
    )
    importer.add_argument("source", type=Path, metavar="SRC")
    importer.add_argument("dest", type=Path, metavar="DEST")

    simulate = commands.add_parser(
        "simulate", help="simulate a manifest's runs with a model calibrated on recorded runs"
    )
    simulate.add_argument("manifest", type=Path, metavar="MANIFEST")
    simulate.add_argument(
        "--calibrate", type=Path, action="append", required=True, metavar="RUN_DIR",
        help="a recorded run of the same app (repeat for several)",
    )  # fmt: skip
    simulate.add_argument(
        "--out", type=Path, default=Path("results-sim"), help="results root (default: results-sim)"
    )

    tune = commands.add_parser(
        "tune", help="sweep controller settings on the simulator; write a confirmation manifest"
    )
    tune.add_argument("manifest", type=Path, metavar="MANIFEST")
    tune.add_argument("--calibrate", type=Path, action="append", required=True, metavar="RUN_DIR")
    tune.add_argument(
        "--grid", action="append", required=True, metavar="FIELD=V1,V2,...",
        help="a manifest field and its values, e.g. config.backpressure.pid.proportional=0.5,1,2 (repeat)",
    )  # fmt: skip
    tune.add_argument(
        "--objective", choices=["throughput", "delay"], default="throughput",
        help="throughput: highest throughput with p95 total delay under the batch interval (default); "
        "delay: lowest p95 total delay",
    )  # fmt: skip
    tune.add_argument("--top", type=int, default=5, help="how many of the best to print (default 5)")
    tune.add_argument(
        "--confirm", type=Path, default=None, metavar="FILE",
        help="the confirmation manifest (default: <manifest>-confirm.yaml beside the manifest)",
    )  # fmt: skip

    commands.add_parser("setup", help="fetch and verify the locked jars, build the JVM helper")
    engine = commands.add_parser("engine", help="the project's own Docker engine, for backend compose")
    engine.add_argument("action", choices=["up", "down", "status"])
    images = commands.add_parser("images", help="build the compose backend's images here (no registry)")
    images.add_argument("--rebuild", action="store_true", help="build them even where the tags exist")
    commands.add_parser(
        "lock-jars", help="re-resolve the jar sets with Maven and rewrite infra/jvm-deps.lock"
    )
    return parser


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _warn(runs: list, console: Console) -> None:
    from harness.spec.manifest import experiment_warnings

    for warning in experiment_warnings(runs):
        console.print(Text.assemble(("warning: ", "yellow"), warning))


def _plan(args: argparse.Namespace, console: Console) -> None:
    from harness.spec.manifest import load_experiment
    from harness.spec.plan import plan_lines

    runs = load_experiment(args.manifest)
    _warn(runs, console)
    out = Console(highlight=False, soft_wrap=True)
    for line in plan_lines(runs, args.json):
        out.print(line, markup=False)


def _validate(manifests: list[Path], console: Console) -> None:
    from harness.spec.manifest import load_experiment

    errors = []
    for path in manifests:
        try:
            runs = load_experiment(path)
        except UsageError as exc:
            errors.append(str(exc))
            continue
        _warn(runs, console)
        cells = len({json.dumps(run.cell, sort_keys=True) for run in runs})
        reps = runs[0].repetitions
        search = runs[0].search
        if search is not None:
            console.print(
                f"{path}: ok (rate search: {_count(cells, 'cell')}, up to {_count(search.max_runs, 'rate')} "
                f"each x {_count(reps, 'repetition')})"
            )
            continue
        console.print(
            f"{path}: ok ({_count(len(runs), 'run')}: {_count(cells, 'cell')} x {_count(reps, 'repetition')})"
        )
    if errors:
        raise UsageError("\n".join(errors))


def _run(args: argparse.Namespace, console: Console) -> None:
    from harness.run.runner import run_experiment
    from reports.builder import build_report

    # The only place a run chains into a report: the harness itself never imports reports.
    result = run_experiment(args.manifest, args.out, console, backend=args.backend)
    report = build_report([result.experiment_dir], result.experiment_dir / "report.html")
    console.print(f"runs:   {', '.join(str(p) for p in result.run_dirs)}")
    console.print(f"report: {report}")


def _compose_stack(args: argparse.Namespace):  # -> (ComposeBackend, Platform), imported lazily
    from harness.platform.compose import DEFAULT_PROJECT, ComposeBackend, StackPorts
    from harness.spec.manifest import Platform, load_experiment

    manifest = getattr(args, "manifest", None)
    platform = load_experiment(manifest)[0].manifest.platform if manifest else Platform(backend="compose")
    # The stack outlives `bpbench up`, and so does an engine it had to start; `bpbench down` stops both.
    return ComposeBackend(
        args.out / "compose-up",
        platform,
        project=DEFAULT_PROJECT,
        ports=StackPorts.defaults(),
        stop_engine=False,
    ), platform


def _up(args: argparse.Namespace, console: Console) -> None:
    from harness.platform.compose import compose_problems
    from harness.platform.engine import mark_started_by_up

    backend, platform = _compose_stack(args)
    problems = compose_problems(platform)
    if problems:
        raise UsageError("\n".join(problems))
    try:
        backend.up()
    except BaseException:
        if backend.started_engine is not None:
            from harness.platform.engine import stop_private

            stop_private(backend.started_engine)
        raise
    if backend.started_engine is not None:
        mark_started_by_up(backend.started_engine)
    console.print(f"kafka:  {backend.bootstrap_servers}")
    console.print(f"spark:  {backend.spark_master} (UI {backend.master_ui_url})")
    console.print(f"docker: {backend.engine.docker_host or 'the default engine'}; `bpbench down` to remove")


def _down(args: argparse.Namespace, console: Console) -> None:
    from harness.platform.compose import docker_problems
    from harness.platform.engine import PrivateEngine, started_by_up, stop_private

    problems = docker_problems()
    if problems:
        raise UsageError("\n".join(problems))
    backend, _ = _compose_stack(args)
    backend.down(volumes=args.volumes)
    console.print(
        f"removed the containers and network of {backend.project}"
        + (" and its volumes" if args.volumes else "")
    )
    private = PrivateEngine.default()
    if started_by_up(private) and stop_private(private):
        console.print("stopped the private Docker engine that `bpbench up` started")


def _engine(args: argparse.Namespace, console: Console) -> None:
    from harness.platform import engine

    private = engine.PrivateEngine.default()
    if args.action == "down":
        stopped = engine.stop_private(private)
        console.print(
            "stopped the private Docker engine" if stopped else "no private Docker engine was running"
        )
        return
    if args.action == "status":
        running = engine.answers(private.host) if private.pid() else None
        console.print(
            f"private engine: {f'running, {running}, {private.host}' if running else 'not running'}"
        )
        return
    choice = engine.choose_engine()
    if choice.private is None or choice.running:
        console.print(f"a Docker engine answers: {choice.docker_host or 'the default socket'}")
        return
    engine.start_private(private)
    console.print(f"private Docker engine running: DOCKER_HOST={private.host} (stop: make engine-down)")


def _images(args: argparse.Namespace, console: Console) -> None:
    from harness.platform import engine, images

    choice = engine.choose_engine()
    if not choice.running:
        raise UsageError("no Docker engine answers; run `make engine` first (or set DOCKER_HOST)")
    tags = images.build_images(choice.env(), console.print, rebuild=args.rebuild)
    for part in ("kafka", "spark"):
        console.print(f"{part}: {tags[part]}")


def _publish(args: argparse.Namespace, console: Console) -> None:
    """``OUT/runs/`` (the published part of each run), ``OUT/report.html`` built from it, and
    ``OUT/verdicts.json``: the claims' verdicts, which tests/integration/test_replication.py rebuilds."""
    from harness.results.publish import publish
    from harness.results.store import write_json
    from reports.builder import build_report, claim_results
    from reports.claims import as_records

    published = publish(args.dirs, args.output / "runs")
    for run_dir, reason in published.left_out:
        console.print(f"left out {run_dir}: {reason}")
    if not published.copied:
        raise UsageError(f"{', '.join(map(str, args.dirs))}: no complete run to publish")
    runs = [args.output / "runs"]
    write_json(args.output / "verdicts.json", as_records(claim_results(runs)))
    console.print(f"published {len(published.copied)} runs: {args.output / 'runs'}")
    # The page carries its figures; their PNG and SVG files would double a published folder's size.
    console.print(f"report: {build_report(runs, args.output / 'report.html', figure_files=False)}")
    console.print(f"verdicts: {args.output / 'verdicts.json'}")


def _setup(console: Console) -> None:
    from harness import jvm

    jvm.require_jdk(javac=True)
    jvm.install_jars(console.print)
    jvm.build_helper(console.print)


def _simulate(args: argparse.Namespace, console: Console) -> None:
    from harness.sim.simulate import describe, simulate_experiment

    out = Console(highlight=False, soft_wrap=True)
    results, warnings = simulate_experiment(args.manifest, args.calibrate, args.out)
    for warning in warnings:
        console.print(Text.assemble(("warning: ", "yellow"), warning))
    for result in results:
        out.print(describe(result), markup=False)
    console.print(
        f"simulated runs under {args.out}; `bpbench report {args.out}` or `bpbench compare` read them"
    )


def _tune(args: argparse.Namespace) -> None:
    from harness.sim.tune import tune

    out = Console(highlight=False, soft_wrap=True)
    for line in tune(args.manifest, args.calibrate, args.grid, args.objective, args.top, args.confirm):
        out.print(line, markup=False)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, highlight=False, soft_wrap=True, log_path=False)
    # SIGTERM unwinds like Ctrl-C, so every process the harness started is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "validate":
            _validate(args.manifests, Console(highlight=False, soft_wrap=True))
        elif args.command == "plan":
            _plan(args, console)
        elif args.command == "run":
            _run(args, console)
        elif args.command == "up":
            _up(args, console)
        elif args.command == "down":
            _down(args, console)
        elif args.command == "report":
            from reports.builder import build_report

            console.print(f"report: {build_report(args.dirs, args.output)}")
        elif args.command == "compare":
            from reports.compare import compare, compare_text

            Console(highlight=False, soft_wrap=True).print(
                compare_text(args.baseline, args.contender), markup=False
            )
            if args.output:
                console.print(f"compare: {compare(args.baseline, args.contender, args.output)}")
        elif args.command == "export":
            from harness.results.export import export_csv

            written = export_csv(args.dirs, args.output)
            console.print(f"wrote {len(written)} CSV files; summaries: {written[0]}")
        elif args.command == "publish":
            _publish(args, console)
        elif args.command == "import-artifact":
            from harness.results.importer import import_artifact

            for run_dir in import_artifact(args.source, args.dest):
                console.print(f"imported: {run_dir}")
        elif args.command == "simulate":
            _simulate(args, console)
        elif args.command == "tune":
            _tune(args)
        elif args.command == "setup":
            _setup(console)
        elif args.command == "engine":
            _engine(args, console)
        elif args.command == "images":
            _images(args, console)
        elif args.command == "lock-jars":
            from harness import jvm

            jvm.write_lock(console.print)
    except UsageError as exc:
        console.print(Text.assemble(("error: ", "red"), str(exc)))
        return EXIT_USAGE
    except HarnessError as exc:
        console.print(Text.assemble(("harness failure: ", "red"), str(exc)))
        return EXIT_HARNESS
    except OSError as exc:  # a file the harness could not read or write (a full disk, a lost folder)
        where = f"{exc.filename}: " if exc.filename else ""
        console.print(Text.assemble(("harness failure: ", "red"), f"{where}{exc.strerror or exc}"))
        return EXIT_HARNESS
    except KeyboardInterrupt:
        console.print("interrupted: everything started was stopped; unfinished runs have no COMPLETE marker")
        return EXIT_INTERRUPTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
