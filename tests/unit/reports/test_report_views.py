"""The report over recorded run directories (tests/fixtures/runs), and the pieces it is built from:
configurations and their labels, baselines, the artifact's statistics, figure series, compare."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.errors import UsageError
from reports import figures
from reports.artifact import artifact_method
from reports.builder import build_report, choose_baselines
from reports.claims import BUDGET_AXIS, INTENSITY_AXIS
from reports.compare import compare, compare_text
from reports.runs import (
    Run,
    differing_fields,
    group_configurations,
    load_run,
    load_tables,
    pressure_axis,
    pressure_level,
    pressure_text,
    short_names,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runs"
OOM_RUN = FIXTURES / "synthetic-oom" / "oom-synthetic-r1"
ARTIFACT_RUN = FIXTURES / "sensors2022-artifact" / "SUMServer_8GB"
T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    output = tmp_path_factory.mktemp("report") / "fixtures.html"
    build_report([FIXTURES], output)
    return output, output.read_text(encoding="utf-8")


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.find("</section>", start)
    return html[start:end]


# ---------------------------------------------------------------------------------------------------------
# The report over the recorded runs


def test_report_has_every_section(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    for element_id in (
        "overview",
        "experiments",
        "environment",
        "matrix",
        "outcomes",
        "claims",
        "claim-c1",
        "claim-c2",
        "claim-c3",
        "comparison",
        "comparison-overview",
        "artifact",
        "artifact-method",
        "summary",
        "runs",
    ):
        assert f'id="{element_id}"' in html, element_id
    assert 'href="#claims"' in html and 'href="#artifact"' in html


def test_report_groups_repetitions_into_configurations(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    assert re.search(r"5 runs\s+in 4 configurations", html)
    matrix = _section(html, "matrix")
    # Settings that differ between our configurations label them; the imported one keeps its folder name.
    assert "driver_memory=512m" in matrix and "source=direct" in matrix and "SUMServer_8GB" in matrix
    assert "stable 1, unstable 1" in matrix
    assert 'id="fig-config-3-overlay"' in html, "the two repetitions of the receiver run are overlaid"


def test_outcome_grid_links_every_run(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    grid = html[html.index('id="outcomes"') : html.index('id="claims"')]
    badges = re.findall(r'<a class="badge (outcome-[a-z_]+)" href="#([^"]+)"', grid)
    assert sorted(badges) == [
        ("outcome-oom", "run-oom-synthetic-r1"),
        ("outcome-stable", "run-5ad03313d531-r1"),
        ("outcome-stable", "run-SUMServer_8GB"),
        ("outcome-unstable", "run-5ad03313d531-r2"),
        ("outcome-unstable", "run-fded7560961b-r1"),
    ]


def test_claims_on_the_recorded_runs(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    c1, c2, c3 = (_section(html, f"claim-c{i}") for i in (1, 2, 3))
    inconclusive = '<span class="badge verdict-inconclusive">INCONCLUSIVE</span>'
    # The receiver configuration's repetitions disagree (one stable, one with a growing delay).
    assert inconclusive in c1 and "5ad03313d531-r2" in c1
    # The synthetic OOM run sits at the largest pressure level (512m of task memory), but one run a
    # configuration decides nothing: fewer than three repetitions.
    assert inconclusive in c2 and "oom-synthetic-r1" in c2 and "fewer than 3 repetitions" in c2
    assert 'href="#fig-run-oom-synthetic-r1-timeline"' in c2
    # Each rule is shown beside its verdict.
    assert "<strong>Rule:</strong>" in c1 and "<strong>Rule:</strong>" in c2
    assert inconclusive in c3 and "No run with backpressure off" in c3
    assert 'id="fig-claim-c2"' in html


def test_comparison_shows_interval_and_test(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    receiver = _section(html, "config-3")
    assert "2 runs" in receiver
    # Two runs: no interval, their values instead; and no test against a one-run baseline.
    assert "n=2, no interval below 3" in receiver
    assert not re.search(r"<td class=\"num\">\[[0-9.,]+, [0-9.,]+\]", receiver)
    assert "fewer than 3 runs" in receiver
    assert "n=1, no interval below 3" in _section(html, "config-2")


def test_artifact_side_by_side(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    artifact = html[html.index('id="artifact"') : html.index('id="summary"')]
    assert "artifact, as reported" in artifact and "artifact, recomputed" in artifact
    assert "ours, artifact&#39;s method" in artifact
    assert "202,175" in artifact and ">925<" in artifact and ">yes<" in artifact
    assert ">9,600<" in artifact and ">1,032<" in artifact, "record sizes: the artifact's and ours"
    assert "our record size (8 + 4 &times; values bytes) for ours" in artifact


def test_run_sections_show_evidence_figures_and_provenance(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report

    start = html.index('id="run-oom-synthetic-r1"')
    oom = html[start : html.index('<section class="run"', start)]
    assert "Failure evidence" in oom and "Command exited with code 52" in oom
    assert 'id="fig-run-oom-synthetic-r1-timeline"' in oom and 'id="fig-run-oom-synthetic-r1-memory"' in oom
    assert "ea8ba6e239e8332d4f963008c75db4932566a1f9" in oom, "git commit"
    assert "spark.driver.memory" in oom and "&#34;driver_memory&#34;: &#34;512m&#34;" in oom


def test_figures_are_written_as_png_and_svg(fixture_report: tuple[Path, str]) -> None:
    output, html = fixture_report

    folder = output.parent / "fixtures_figures"
    names = {p.name for p in folder.iterdir()}
    linked = set(re.findall(r'href="fixtures_figures/([^"]+)"', html))
    assert linked == names
    stems = {Path(n).stem for n in names}
    assert {f"{s}.png" for s in stems} | {f"{s}.svg" for s in stems} == names
    assert "run-oom-synthetic-r1-timeline" in stems and "claim-c2" in stems
    for svg in folder.glob("*.svg"):
        assert ET.parse(svg).getroot().tag.endswith("svg")
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rebuilding_replaces_the_figures_folder(tmp_path: Path) -> None:
    output = tmp_path / "r.html"
    build_report([OOM_RUN], output)
    (tmp_path / "r_figures" / "stale.png").write_bytes(b"old")

    build_report([OOM_RUN], output)

    assert not (tmp_path / "r_figures" / "stale.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r_figures"]


# ---------------------------------------------------------------------------------------------------------
# Configurations and labels


def _run(tmp_path: Path, name: str, manifest: dict[str, Any], summary: dict[str, Any] | None = None) -> Run:
    path = tmp_path / name
    spec = {"schema_version": 1, "run_id": name, "experiment": "exp", "manifest": manifest}
    return Run(path, spec, {"schema_version": 1, "run_id": name, **(summary or {})})


def _manifest(enabled: bool, memory: str, name: str = "exp") -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "platform": {"spark": {"topology": "standalone", "executor_memory": memory, "driver_memory": "1g"}},
        "config": {"batch_interval_ms": 2000, "backpressure": {"enabled": enabled, "initial_rate": 1000}},
        "workload": {"app": "sum", "records": {"values": 256}},
    }


def test_labels_name_the_differing_settings(tmp_path: Path) -> None:
    runs = [
        _run(tmp_path, "a-r1", _manifest(True, "1g")),
        _run(tmp_path, "a-r2", _manifest(True, "1g", name="renamed")),
        _run(tmp_path, "b-r1", _manifest(False, "2g")),
        _run(tmp_path, "c-r1", _manifest(True, "2g")),
    ]

    configs = group_configurations(runs)

    assert [c.label for c in configs] == [
        "backpressure.enabled=false, executor_memory=2g",
        "backpressure.enabled=true, executor_memory=1g",
        "backpressure.enabled=true, executor_memory=2g",
    ]
    assert [r.run_id for r in configs[1].runs] == ["a-r1", "a-r2"], "a name differs only: one configuration"
    assert [c.anchor for c in configs] == ["config-1", "config-2", "config-3"]


def test_short_names_drop_the_section_but_stay_unique() -> None:
    paths = [
        "config.backpressure.enabled",
        "platform.spark.executor_memory",
        "workload.generator.rate",
        "config.backpressure.pid.min_rate",
        "workload.app",
    ]

    assert short_names(paths) == {
        "config.backpressure.enabled": "backpressure.enabled",
        "platform.spark.executor_memory": "executor_memory",
        "workload.generator.rate": "generator.rate",
        "config.backpressure.pid.min_rate": "min_rate",
        "workload.app": "app",
    }


def test_differing_fields_count_an_absent_setting() -> None:
    assert differing_fields([{"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}]) == ["a.c"]
    assert differing_fields([{"a": 1}, {"a": 1.0}]) == []


def test_baseline_is_the_backpressure_off_twin(tmp_path: Path) -> None:
    configs = group_configurations(
        [
            _run(tmp_path, "on1", _manifest(True, "1g")),
            _run(tmp_path, "off1", _manifest(False, "1g")),
            _run(tmp_path, "on2", _manifest(True, "2g")),
        ]
    )
    by_label = {c.label: c for c in configs}

    baselines, paired = choose_baselines(configs)

    assert paired
    on_1g = by_label["backpressure.enabled=true, executor_memory=1g"]
    assert baselines[on_1g.key] is by_label["backpressure.enabled=false, executor_memory=1g"]
    assert baselines[by_label["backpressure.enabled=true, executor_memory=2g"].key] is None


def test_without_twins_the_first_configuration_is_the_baseline(tmp_path: Path) -> None:
    configs = group_configurations(
        [_run(tmp_path, "a", _manifest(True, "1g")), _run(tmp_path, "b", _manifest(True, "2g"))]
    )

    baselines, paired = choose_baselines(configs)

    assert not paired
    assert baselines[configs[0].key] is None and baselines[configs[1].key] is configs[0]


def test_pressure_level_uses_the_memory_that_runs_tasks(tmp_path: Path) -> None:
    standalone = _run(tmp_path, "s", _manifest(True, "2g"), {"target_rate_rps": 1000.0})
    local_manifest = _manifest(True, "2g")
    local_manifest["platform"]["spark"]["topology"] = "local"
    local = _run(tmp_path, "l", local_manifest, {"target_rate_rps": 1000.0})

    assert pressure_level(standalone) == pytest.approx(1000 * 1032 / 2**31)
    assert pressure_level(local) == pytest.approx(1000 * 1032 / 2**30), "local mode: the driver's 1g"
    assert pressure_level(_run(tmp_path, "x", _manifest(True, "2g"))) is None


def _budget_manifest(budget: int | None, memory: str = "2g") -> dict[str, Any]:
    manifest = _manifest(True, memory)
    manifest["workload"]["in_flight_budget"] = budget
    return manifest


def test_pressure_level_is_the_in_flight_budget_when_the_run_has_one(tmp_path: Path) -> None:
    rate = {"target_rate_rps": 1000.0}
    budgeted = _run(tmp_path, "b", _budget_manifest(64 * 2**20), rate)
    unbudgeted = _run(tmp_path, "n", _budget_manifest(None), rate)

    assert pressure_level(budgeted) == 64 * 2**20
    assert (pressure_axis(budgeted), pressure_text(budgeted)) == (BUDGET_AXIS, "in-flight budget 64 MiB")
    # Without a budget: input bytes per second per byte of task memory, as before.
    assert pressure_level(unbudgeted) == pytest.approx(1000 * 1032 / 2**31)
    assert pressure_axis(unbudgeted) == INTENSITY_AXIS
    assert pressure_text(unbudgeted) == "0.516 MB/s per GiB of task memory"
    assert pressure_axis(_run(tmp_path, "x", _budget_manifest(None))) is None


def test_labels_show_the_in_flight_budget_as_a_size(tmp_path: Path) -> None:
    configs = group_configurations(
        [
            _run(tmp_path, "a", _budget_manifest(20 * 2**30)),
            _run(tmp_path, "b", _budget_manifest(64 * 2**20)),
        ]
    )

    assert [c.label for c in configs] == ["in-flight budget=64 MiB", "in-flight budget=20 GiB"]


# ---------------------------------------------------------------------------------------------------------
# The artifact's statistics


def test_artifact_method_reproduces_the_imported_statistics() -> None:
    run = load_run(ARTIFACT_RUN)
    assert isinstance(run, Run)

    computed = artifact_method(load_tables(run)["batches"], 9600, 2000)

    expected = run.artifact_statistics or {}
    for column, value in expected["artifact_reported"].items():
        assert computed[column] == value, column
    assert computed["window_batches"] == expected["window"]["batches"] == 881


def test_artifact_method_uses_our_record_size() -> None:
    batches = pd.DataFrame(
        {
            "batch_time_ms": [T0 + 2000 * i for i in range(20)],
            "status": ["COMPLETED"] * 19 + ["PROCESSING"],
            "input_records": [1000 * (i + 1) for i in range(20)],
            "processing_time_ms": [float(100 + i) for i in range(20)],
            "scheduling_delay_ms": [float(i) for i in range(20)],
        }
    )

    stats = artifact_method(batches, 1032, 2000)

    # Batches 10..19 (1-based) of the 19 completed: 10,000 .. 19,000 records, mean 14,500.
    assert stats["window_batches"] == 10
    assert (stats["Min #Rec"], stats["AVG #Rec"], stats["Max. #Rec"]) == (10000, 14500, 19000)
    assert (stats["Min. PT (ms)"], stats["Max (ms)"], stats["Median SD (ms)"]) == (109, 118, 14)
    assert stats["Throughput (MBps)"] == round(14500 * 1032 / 1024 / 1024 / 2)  # 7 MB/s
    assert artifact_method(batches.head(5), 1032, 2000)["AVG #Rec"] is None


# ---------------------------------------------------------------------------------------------------------
# Figure series


def test_markers_from_removed_executors_and_events() -> None:
    run = load_run(OOM_RUN)
    assert isinstance(run, Run)
    tables = load_tables(run)
    origin = figures.origin_ms(tables)
    assert origin == 1795259454000

    found = figures.markers(tables["executors"], [], origin)

    assert [(m.kind, m.label) for m in found] == [("oom", "executor 1")]
    assert found[0].t_s == pytest.approx((1795259465371 - origin) / 1000)

    lost = tables["executors"].assign(remove_reason="worker lost")
    evidence = {"kind": "oom", "source": "driver", "detail": "the driver exited with code 52"}
    events = [
        {"time_ms": origin + 5000, "kind": "failure_evidence", "evidence": evidence},
        # Already shown by the executor's removal time: not drawn twice.
        {
            "time_ms": origin + 9000,
            "kind": "failure_evidence",
            "evidence": {**evidence, "source": "executor 1"},
        },
    ]
    assert [(m.kind, m.label, m.t_s) for m in figures.markers(lost, events, origin)] == [
        ("oom", "driver", 5.0),
        ("executor_lost", "executor 1", found[0].t_s),
    ]


def test_lag_is_summed_over_partitions() -> None:
    offsets = pd.DataFrame(
        {"sample_time_ms": [T0, T0, T0 + 1000, T0 + 1000], "partition": [0, 1, 0, 1], "lag": [5, 7, 1, 2]}
    )

    lag = figures.lag_series(offsets, T0)

    assert lag["t_s"].tolist() == [0.0, 1.0] and lag["lag"].tolist() == [12.0, 3.0]


def test_memory_series_takes_the_largest_worker_executor() -> None:
    mib = 1024 * 1024
    executors = pd.DataFrame(
        {
            "sample_time_ms": [T0, T0, T0],
            "executor_id": ["driver", "1", "2"],
            "memory_used_bytes": [900 * mib, 10 * mib, 30 * mib],
            "peak_jvm_heap_bytes": [None, 100 * mib, 80 * mib],
        }
    )

    memory = figures.memory_series(executors, T0)

    assert memory["storage_used"].tolist() == [30.0] and memory["peak_heap"].tolist() == [100.0]


def _in_flight_table() -> pd.DataFrame:
    """Two receivers' streams sampled at different times, 64 MiB budget, stream 1 held back once."""
    mib = 1024 * 1024
    return pd.DataFrame(
        {
            "time_ms": pd.array([T0, T0 + 500, T0 + 1000, T0 + 1500], dtype="int64"),
            "stream_id": pd.array([0, 1, 0, 1], dtype="int32"),
            "taken_records": pd.array([10, 20, 30, 40], dtype="int64"),
            "taken_bytes": pd.array([10 * mib, 20 * mib, 40 * mib, 64 * mib], dtype="int64"),
            "processed_records": pd.array([0, 0, 10, 10], dtype="int64"),
            "in_flight_bytes": pd.array([10 * mib, 20 * mib, 30 * mib, 34 * mib], dtype="int64"),
            "budget_bytes": pd.array([64 * mib] * 4, dtype="Int64"),
            "held_back": [False, False, False, True],
        }
    )


def test_in_flight_is_summed_over_streams_at_each_time() -> None:
    in_flight = figures.in_flight_series(_in_flight_table(), T0)

    assert in_flight["t_s"].tolist() == [0.0, 0.5, 1.0, 1.5]
    # Each stream at its latest sample: 10, 10 + 20, 30 + 20, 30 + 34 MiB.
    assert in_flight["in_flight"].tolist() == [10.0, 30.0, 50.0, 64.0]
    assert in_flight["budget"].tolist() == [64.0] * 4
    assert in_flight["held_back"].tolist() == [False, False, False, True]
    assert figures.in_flight_series(pd.DataFrame(), T0).empty


def _svg_ids(rendered: figures.RenderedFigure) -> set[str]:
    assert rendered.svg is not None
    return {element.get("id", "") for element in ET.fromstring(rendered.svg).iter()}


def test_memory_figure_draws_in_flight_bytes_against_the_budget() -> None:
    batches = pd.DataFrame({"batch_time_ms": [T0], "input_records": [10], "processing_time_ms": [5.0]})
    with_table = figures.run_series(
        "r", {"batches": batches, "in_flight": _in_flight_table()}, [], 2000, None
    )
    without = figures.run_series("r", {"batches": batches}, [], 2000, None)
    assert with_table is not None and without is not None

    drawn = figures.memory_figure(with_table, "with")
    plain = figures.memory_figure(without, "without")

    assert figures.has_memory_data(with_table) and not figures.has_memory_data(without)
    assert {figures.IN_FLIGHT_GID, figures.BUDGET_GID} <= _svg_ids(drawn)
    assert not {figures.IN_FLIGHT_GID, figures.BUDGET_GID} & _svg_ids(plain)
    assert drawn.title.startswith("In flight")


def test_report_reads_the_in_flight_table(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "synthetic-oom" / OOM_RUN.name
    shutil.copytree(OOM_RUN, run_dir)
    table = _in_flight_table()
    origin = figures.origin_ms(load_tables(load_run(OOM_RUN)))
    table["time_ms"] = table["time_ms"] - T0 + int(origin)
    table.to_parquet(run_dir / "in_flight.parquet", index=False)

    build_report([tmp_path / "runs"], tmp_path / "r.html")

    svg = (tmp_path / "r_figures" / "run-oom-synthetic-r1-memory.svg").read_text(encoding="utf-8")
    assert f'id="{figures.IN_FLIGHT_GID}"' in svg and f'id="{figures.BUDGET_GID}"' in svg


def test_capacity_is_the_processing_rate_times_the_interval() -> None:
    batches = pd.DataFrame(
        {"batch_time_ms": [T0, T0 + 2000], "input_records": [500, 0], "processing_time_ms": [1000.0, 5.0]}
    )

    series = figures.batch_series(batches, T0, 2000)

    assert series["capacity"].iloc[0] == pytest.approx(1000.0)
    assert pd.isna(series["capacity"].iloc[1]), "an empty batch says nothing about capacity"


# ---------------------------------------------------------------------------------------------------------
# compare


def test_compare_text_is_a_rally_style_table() -> None:
    text = compare_text(FIXTURES / "receiver", FIXTURES / "capped-direct" / "fded7560961b-r1")

    lines = text.splitlines()
    assert lines[0].startswith("Baseline:  ") and "(2 runs)" in lines[0]
    assert lines[1].startswith("Contender: ") and "(1 run)" in lines[1]
    header = next(line for line in lines if line.startswith("| Metric"))
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "Metric",
        "Unit",
        "Baseline",
        "Contender",
        "Diff",
        "Diff %",
    ]
    runs = next(line for line in lines if line.startswith("| Runs "))
    assert [c.strip() for c in runs.strip("|").split("|")] == ["Runs", "", "2", "1", "-1", "-50.0 %"]
    throughput = next(line for line in lines if line.startswith("| Throughput "))
    # Baseline: median of 301.9 and 280.0; contender 66.7.
    assert [c.strip() for c in throughput.strip("|").split("|")][2:] == ["291.0", "66.7", "-224.3", "-77.1 %"]
    assert "| Outcome unstable " in text


def test_compare_names_each_sides_pressure_level() -> None:
    text = compare_text(FIXTURES / "receiver", FIXTURES / "sensors2022-artifact")

    lines = text.splitlines()
    assert lines[0].endswith("pressure level: 0.258 MB/s per GiB of task memory")
    assert lines[1].endswith("pressure level: in-flight budget 8 GiB")


def test_compare_names_the_rate_controllers_when_a_side_plugged_one_in(tmp_path: Path) -> None:
    run = FIXTURES / "capped-direct" / "fded7560961b-r1"
    plugged = tmp_path / "governor" / run.name
    shutil.copytree(run, plugged)
    spec = json.loads((plugged / "spec.json").read_text())
    spec["manifest"]["config"]["backpressure"]["controller"] = {"kind": "governor"}
    (plugged / "spec.json").write_text(json.dumps(spec))

    lines = compare_text(run, plugged).splitlines()
    assert lines[0].endswith("rate controller: spark")
    assert lines[1].endswith("rate controller: governor")
    # Runs of Spark's built-in backpressure alone are described as before.
    assert "rate controller" not in compare_text(run, run)


def test_compare_writes_a_self_contained_page(tmp_path: Path) -> None:
    output = compare(FIXTURES / "receiver", OOM_RUN, tmp_path / "cmp" / "compare.html")

    html = output.read_text(encoding="utf-8")
    assert output == tmp_path / "cmp" / "compare.html"
    assert "<th>Diff %</th>" in html and "Outcome oom" in html
    assert "http://" not in html and "https://" not in html
    assert sorted(p.name for p in output.parent.iterdir()) == ["compare.html"]


def test_compare_rejects_a_path_without_runs(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        compare_text(tmp_path / "missing", FIXTURES / "receiver")


def test_compare_leaves_out_incomplete_runs(tmp_path: Path) -> None:
    side = tmp_path / "side"
    shutil.copytree(FIXTURES / "receiver", side)
    (side / "5ad03313d531-r2" / "COMPLETE").unlink()

    text = compare_text(side, FIXTURES / "receiver")

    assert "(1 run, 1 incomplete left out)" in text


def test_summary_numbers_in_fixture_are_what_the_tests_expect() -> None:
    # Guards the fixtures against accidental edits: the expectations above rely on these values.
    summaries = {
        p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in FIXTURES.glob("*/*/summary.json")
    }
    assert summaries["5ad03313d531-r1"]["outcome"] == "stable"
    assert summaries["5ad03313d531-r2"]["outcome"] == "unstable"
    assert summaries["oom-synthetic-r1"]["outcome"] == "oom"
    assert summaries["SUMServer_8GB"]["imported"] is True


def _write_run(root: Path, name: str, enabled: bool, delay_p95: float) -> None:
    run_dir = root / "exp" / name
    run_dir.mkdir(parents=True)
    spec = {"schema_version": 1, "run_id": name, "experiment": "exp", "manifest": _manifest(enabled, "1g")}
    summary = {
        "schema_version": 1,
        "run_id": name,
        "experiment": "exp",
        "outcome": "stable",
        "backpressure": enabled,
        "total_delay_ms": {"p50": delay_p95 / 2, "p95": delay_p95, "max": delay_p95 * 1.5},
    }
    (run_dir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run_dir / "COMPLETE").touch()


def test_report_tests_backpressure_against_its_twin(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    # Four runs a side: fully separated, Mann-Whitney's exact two-sided p is 2 / C(8, 4) = 0.029.
    for index, delay in enumerate((9000.0, 9400.0, 9800.0, 10200.0), start=1):
        _write_run(root, f"off-r{index}", False, delay)
    for index, delay in enumerate((1000.0, 1100.0, 1200.0, 1300.0), start=1):
        _write_run(root, f"on-r{index}", True, delay)

    output = build_report([root], tmp_path / "twin.html")

    html = output.read_text(encoding="utf-8")
    on = _section(html, "config-2")
    assert "backpressure.enabled=true" in on and "its twin with backpressure off" in on
    row = re.search(r"<td>Total delay p95 \(ms\)</td>(.*?)</tr>", on, re.DOTALL)
    assert row is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    # Median, interval (with its coverage: the range of four runs covers the median 87.5 % of the
    # time), n, runs, baseline median, diff, test.
    assert cells[0] == "1,150" and cells[1] == "[1,000, 1,300] (87.5 %)" and cells[2] == "4"
    assert cells[4] == "9,600" and cells[5] == "-88.0 %"
    assert cells[6] == "p = 0.029"
    assert 'class="num better"' in row.group(1), "a significant drop in delay is better"
    throughput = re.search(r"<td>Throughput \(rec/s\)</td>(.*?)</tr>", on, re.DOTALL)
    assert throughput is not None and "not enough repetitions" not in throughput.group(1), "nothing recorded"


@pytest.mark.parametrize(
    ("app", "name", "stateful"),
    [
        ("sum", "sum", True),
        ("stateless_sum", "stateless_sum", False),
        ("count_sliding_window", "count_sliding_window", True),
        ("GlobalHistogramServer", "GlobalHistogramServer", True),
        ({"script": "/elsewhere/rank_max.py"}, "rank_max.py", None),
        ({"jar": "own.jar", "main_class": "org.example.Own"}, "org.example.Own", None),
    ],
)
def test_an_apps_name_and_whether_it_keeps_state(app: object, name: str, stateful: bool | None) -> None:
    from reports.runs import Run, app_name, is_stateful

    run = Run(Path("r"), {"manifest": {"workload": {"app": app}}}, {})
    assert app_name(run) == name
    assert is_stateful(app_name(run)) is stateful


def test_repetitions_are_drawn_as_a_distribution_per_configuration(fixture_report: tuple[Path, str]) -> None:
    _, html = fixture_report
    figure = html[html.index('id="fig-distributions"') :]
    assert "Headline metrics over the repetitions, by configuration" in figure[:400]
    # Only configuration 3 has two repetitions; the one-run configurations are left out.
    values = pd.DataFrame(
        [
            {"metric": "Throughput", "configuration": "3", "value": 10.0},
            {"metric": "Throughput", "configuration": "3", "value": 12.0},
            {"metric": "Lost", "configuration": "3", "value": 0.0},
        ]
    )
    from reports import figures

    rendered = figures.distribution_figure(values, "d", "t", svg=False)
    assert rendered.png.startswith(b"\x89PNG")


def test_a_plugged_controllers_limit_replaces_the_replayed_pid_in_the_rate_panel() -> None:
    rate_limits = pd.DataFrame(
        {"batch_time_ms": [2000, 4000], "batch_rate_rps": [300.0, 300.0], "pid_limit_rps": [None, 900.0]}
    )
    controller = pd.DataFrame(
        {
            "event": ["decision", "batch_cap", "decision", "decision"],
            "stream_id": [0, 0, 1, 0],
            "end_time_ms": [2500, None, 2600, 4500],
            "limit_rps": [300, 300, 50, 310],
        }
    )
    series = figures.rate_series(rate_limits, pd.DataFrame(), 0.0, controller)
    assert set(series) == {"batch", "controller"}
    # One line: the first stream's decisions, at the time each was made.
    assert series["controller"]["t_s"].tolist() == [2.5, 4.5]
    assert series["controller"]["rate"].tolist() == [300, 310]
    assert set(figures.rate_series(rate_limits, pd.DataFrame(), 0.0)) == {"batch", "pid"}


def _window_manifest(controller: dict[str, Any] | None, size: float = 120) -> dict[str, Any]:
    backpressure: dict[str, Any] = {"enabled": True, "initial_rate": 1000}
    if controller is not None:
        backpressure["controller"] = controller
    return {
        "name": "governor",
        "description": "",
        "config": {"batch_interval_ms": 1000, "backpressure": backpressure},
        "workload": {"app": "count_sliding_window", "window": {"size": size, "slide": 1}},
    }


def test_claim_runs_read_the_controller_and_the_window_from_the_spec(tmp_path: Path) -> None:
    from reports.builder import claim_run
    from reports.claims import controller_twin

    governor = claim_run(
        _run(tmp_path, "g-r1", _window_manifest({"kind": "governor", "min_job_records": 5})), "governor"
    )
    pid = claim_run(_run(tmp_path, "p-r1", _window_manifest({"kind": "spark"})), "pid")
    unnamed = claim_run(_run(tmp_path, "u-r1", _window_manifest(None)), "unnamed")
    smaller = claim_run(_run(tmp_path, "s-r1", _window_manifest({"kind": "spark"}, size=40)), "smaller")

    assert (governor.controller, governor.window_size, governor.app) == (
        "governor",
        120.0,
        "count_sliding_window",
    )
    assert (pid.controller, unnamed.controller, smaller.window_size) == ("spark", "spark", 40.0)
    # Twins by controller share everything but the controller section; backpressure twins' key leaves
    # the whole backpressure section out.
    assert governor.controller_pair == pid.controller_pair != smaller.controller_pair
    assert governor.pair == pid.pair == unnamed.pair
    assert controller_twin(governor, [governor, pid, smaller]) is pid
    assert claim_run(_run(tmp_path, "n-r1", {"workload": {"app": "sum"}}), "n").window_size is None


def test_governor_claim_figures_show_each_pair(tmp_path: Path) -> None:
    from harness.results.summary import Slope
    from reports.builder import CLAIM_PANELS, FigureStore, _claim_figure
    from reports.claims import Verdict, check_g1, check_g2
    from tests.unit.reports.test_claims import governor_pairs

    runs = {
        r.run_id: r
        for r in governor_pairs(
            {"throughput_rps": 1200, "sched_trend": Slope(0, -1, 1)},
            {"throughput_rps": 1000, "sched_trend": Slope(50, 49, 51)},
        )
    }
    store = FigureStore(tmp_path / "r.html", files=False)
    for result in (check_g1(list(runs.values())), check_g2(list(runs.values()))):
        assert result.verdict is Verdict.REPRODUCED, result.reason
        figure = _claim_figure(result, runs, store)
        assert figure.anchor == f"fig-claim-{result.claim.id.lower()}"
    # The numbers drawn are the pair's: GOVERNOR's throughput over its twin's, and each one's slope.
    governor, spark = runs["governor-120-r1"], runs["spark-120-r1"]
    assert CLAIM_PANELS["G1"][0][1](governor, spark) == pytest.approx(1.2)
    assert [panel[1](governor, spark) for panel in CLAIM_PANELS["G2"]] == [0.0, 50.0]
