"""Importing result folders of the original artifact, on the published sample folder and on small
folders whose answers are known."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.errors import UsageError
from harness.results.artifact import artifact_statistics
from harness.results.importer import (
    EXPERIMENT,
    assign_run_ids,
    import_artifact,
    import_warnings,
    parse_folder_name,
    sanitise,
)
from harness.results.store import SCHEMA_VERSION
from harness.results.summary import RunFacts, summarize
from harness.results.tables import BATCH_COLUMNS, EXECUTOR_COLUMNS, GENERATOR_COLUMNS
from reports.runs import executor_memory_bytes, in_flight_budget, load_run, pressure_level, pressure_text

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "artifact"
SAMPLE = FIXTURE / "SUMServer_8GB"
HEADER = "batchTime;numRecords;processingDelay;schedulingDelay;\n"
GIB = 1024**3
# Result folders as the original repositories name them (kassianojm/charts, E3/...).
GLOBAL_SUM_20 = "BP_889_min-8-5-eno-_GlobalSUMServer_20_GB-rep1"
DYNAMIC_SUM_8 = "BP_888_dynamic_eno_8-20_SUMServer_8_GB-rep1"
LONG_SUM_8 = "long-ok-BP_888_adap-8-20_SUMServer_8_GB-rep1"
RUN_FILES = {
    "COMPLETE",
    "spec.json",
    "summary.json",
    "artifact_statistics.json",
    "batches.parquet",
    "executors.parquet",
    "generator.parquet",
    "gc.parquet",
    "events.jsonl",
    "logs",
}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def artifact_folder(parent: Path, name: str, lines: list[str]) -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "batch_infos.csv").write_text(HEADER + "".join(line + "\n" for line in lines))
    return folder


def batch_lines(count: int, t0: int = 1_613_948_408_000) -> list[str]:
    return [f"{t0 + i * 2000};{1000 + i};{900 + i};{i % 7}" for i in range(count)]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (run,) = import_artifact(SAMPLE, tmp_path_factory.mktemp("out"))
    return run


# ---------------------------------------------------------------------------------------------------------
# The published sample


def test_sample_reproduces_the_reported_statistics_exactly(sample_run: Path) -> None:
    reported = pd.read_csv(SAMPLE / "overall_statistics.csv").iloc[0].drop("Unnamed: 0")
    computed = read_json(sample_run / "artifact_statistics.json")
    assert len(reported) == 13
    for column, value in reported.items():
        assert computed[column] == int(value), column
    assert computed["artifact_reported"] == {column: int(value) for column, value in reported.items()}
    assert computed["matches"] is True
    assert computed["AVG Rec (s)"] == 101087.5 == computed["artifact_reported_avg"]["AVG Rec (s)"]
    assert computed["window"]["batches"] == 881


def test_sample_run_directory_has_every_file(sample_run: Path) -> None:
    assert sample_run == sample_run.parent.parent / EXPERIMENT / "SUMServer_8GB"
    assert {path.name for path in sample_run.iterdir()} == RUN_FILES
    for name in ("DRIVER.log", "EXECUTOR2.log", "LOG1.csv"):
        assert (sample_run / "logs" / name).read_bytes() == (SAMPLE / name).read_bytes()
    assert not list(sample_run.rglob("*.partial"))


def test_sample_tables(sample_run: Path) -> None:
    batches = pd.read_parquet(sample_run / "batches.parquet")
    assert list(batches.columns) == BATCH_COLUMNS
    assert len(batches) == 905
    first = batches.iloc[0]
    assert first["batch_id"] == first["batch_time_ms"] == 1613948408000
    assert (first["input_records"], first["processing_time_ms"], first["scheduling_delay_ms"]) == (0, 1397, 4)
    assert first["total_delay_ms"] == 1401
    assert set(batches["status"]) == {"COMPLETED"}
    assert set(batches["output_ops_failed"]) == {0}
    executors = pd.read_parquet(sample_run / "executors.parquet")
    generator = pd.read_parquet(sample_run / "generator.parquet")
    assert (list(executors.columns), len(executors)) == (EXECUTOR_COLUMNS, 0)
    assert (list(generator.columns), len(generator)) == (GENERATOR_COLUMNS, 0)


def test_sample_summary(sample_run: Path) -> None:
    summary = read_json(sample_run / "summary.json")
    facts = RunFacts(
        run_id="r",
        experiment="e",
        batch_interval_ms=2000,
        backpressure=True,
        target_rate_rps=1.0,
        duration_s=1.0,
        warmup_s=0.0,
        generator={},
        processed=0,
        backlog=0,
        drained=True,
        app_failed=False,
        load_end_ms=None,
    )
    assert set(summarize(facts, [], [])) <= set(summary)
    assert summary["schema_version"] == SCHEMA_VERSION
    assert summary["imported"] is True
    assert summary["run_id"] == "SUMServer_8GB"
    assert summary["experiment"] == EXPERIMENT
    assert summary["batches"] == 905
    assert summary["duration_s"] == 1810.0
    batches = pd.read_csv(SAMPLE / "batch_infos.csv", sep=";", index_col=False)
    assert summary["processed"] == int(batches["numRecords"].sum())
    assert summary["throughput_rps"] == pytest.approx(batches["numRecords"].iloc[9:890].mean() / 2)
    assert (summary["backlog"], summary["lost"], summary["produced"]) == (0, None, None)
    assert summary["sched_delay_ms"]["max"] == 3744
    assert summary["proc_time_ms"]["max"] == 4374
    assert summary["outcome"] == "stable"
    assert summary["delay_slope"] < 10


def test_sample_spec(sample_run: Path) -> None:
    spec = read_json(sample_run / "spec.json")
    assert spec["schema_version"] == SCHEMA_VERSION
    assert spec["source"] == "sensors2022-artifact"
    assert spec["imported"] is True
    assert spec["source_folder"] == str(SAMPLE)
    manifest = spec["manifest"]
    assert manifest["workload"] == {"app": "SUM", "in_flight_budget": 8 * GIB}
    assert manifest["config"] == {"batch_interval_ms": 2000, "backpressure": {"enabled": None}}
    assert "executor_memory" not in json.dumps(spec), "the 8 GB of the name is no executor memory"
    assert spec["labels"]["in_flight_budget"] == 8 * GIB
    assert spec["spark_conf"] == {}
    assert spec["versions"]["spark"] is None
    assert spec["versions"]["java"] == "1.8.0_131-b11"


def test_sample_source_log_is_summarised_not_summed(sample_run: Path) -> None:
    (log,) = read_json(sample_run / "artifact_statistics.json")["source_logs"]
    assert log["file"] == "LOG1.csv"
    assert log["samples"] == 1793
    assert log["thloss_max"] == 10.0
    warnings = import_warnings(sample_run)
    # The published LOG1.csv ends in a cut-off line.
    assert {"file": "LOG1.csv", "line": 1795} in [{"file": w["file"], "line": w["line"]} for w in warnings]
    assert any("THloss" in w["message"] for w in warnings)


def test_importing_twice_is_idempotent(tmp_path: Path) -> None:
    (first,) = import_artifact(SAMPLE, tmp_path)
    contents = {name: (first / name).read_bytes() for name in ("spec.json", "summary.json")}
    events = (first / "events.jsonl").read_text().splitlines()
    (first / "stray.txt").write_text("left over")
    (second,) = import_artifact(SAMPLE, tmp_path)
    assert second == first
    assert {path.name for path in second.iterdir()} == RUN_FILES
    assert {name: (second / name).read_bytes() for name in contents} == contents
    assert len((second / "events.jsonl").read_text().splitlines()) == len(events)
    assert [p.name for p in (tmp_path / EXPERIMENT).iterdir()] == ["SUMServer_8GB"]


# ---------------------------------------------------------------------------------------------------------
# Folder trees and run ids


def test_a_tree_with_two_artifact_folders_imports_both(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src / "bp-on" / "SUMServer_8GB")
    artifact_folder(src / "deeper" / "still", "GlobalSUMServer_17GB", batch_lines(20))
    runs = import_artifact(src, tmp_path / "out")
    assert [run.name for run in runs] == ["SUMServer_8GB", "GlobalSUMServer_17GB"]
    assert all((run / "COMPLETE").exists() for run in runs)
    spec = read_json(runs[1] / "spec.json")
    assert spec["manifest"]["workload"] == {"app": "GlobalSUM", "in_flight_budget": 17 * GIB}
    # "bp-on" above the first folder says backpressure was on; nothing says it for the second.
    assert read_json(runs[0] / "spec.json")["manifest"]["config"]["backpressure"]["enabled"] is True
    assert read_json(runs[0] / "summary.json")["backpressure"] is True
    assert spec["manifest"]["config"]["backpressure"]["enabled"] is None


def test_the_original_result_tree_imports_in_one_command(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    src = tmp_path / "charts"
    artifact_folder(src / "E3", DYNAMIC_SUM_8, batch_lines(12))
    artifact_folder(src / "E3", GLOBAL_SUM_20, batch_lines(12))
    artifact_folder(src / "E3" / "long", LONG_SUM_8, batch_lines(12))
    artifact_folder(src / "E3" / "noBP", "StatelessSUMServer_45_GB-rep1", batch_lines(12))
    (src / "E3" / "conf").write_text("not a run\n")

    assert main(["import-artifact", str(src), str(tmp_path / "out")]) == 0

    runs = sorted((tmp_path / "out" / EXPERIMENT).iterdir())
    assert [run.name for run in runs] == sorted(
        [DYNAMIC_SUM_8, GLOBAL_SUM_20, LONG_SUM_8, "StatelessSUMServer_45_GB-rep1"]
    )
    assert capsys.readouterr().err.count("imported: ") == 4  # the console writes to stderr
    specs = {run.name: read_json(run / "spec.json") for run in runs}
    assert all((run / "COMPLETE").exists() for run in runs)
    global_sum = specs[GLOBAL_SUM_20]["manifest"]
    assert global_sum["workload"] == {"app": "GlobalSUM", "in_flight_budget": 21474836480}
    assert global_sum["config"]["backpressure"]["enabled"] is True
    dynamic = specs[DYNAMIC_SUM_8]
    assert dynamic["manifest"]["workload"] == {"app": "SUM", "in_flight_budget": 8 * GIB}
    assert dynamic["labels"]["in_flight_budget_range"] == [8 * GIB, 20 * GIB]
    assert specs[LONG_SUM_8]["labels"]["in_flight_budget_range"] == [8 * GIB, 20 * GIB]
    off = specs["StatelessSUMServer_45_GB-rep1"]["manifest"]
    assert off["config"]["backpressure"]["enabled"] is False, "the noBP folder above it says off"
    assert off["workload"]["in_flight_budget"] == 45 * GIB


def test_imported_runs_are_at_their_in_flight_budget_in_the_report(tmp_path: Path) -> None:
    artifact_folder(tmp_path / "src" / "E3", GLOBAL_SUM_20, batch_lines(12))
    (path,) = import_artifact(tmp_path / "src", tmp_path / "out")

    run = load_run(path)

    assert in_flight_budget(run) == 20 * GIB
    assert pressure_level(run) == 20 * GIB
    assert pressure_text(run) == "in-flight budget 20 GiB"
    assert executor_memory_bytes(run) is None


def test_an_old_import_reads_its_name_number_as_the_budget() -> None:
    # Imported before the budget had a field: manifest {"app": "SUM", "executor_memory": "8g", ...}.
    run = load_run(Path(__file__).resolve().parents[2] / "fixtures" / "runs" / EXPERIMENT / "SUMServer_8GB")

    assert run.spec["manifest"]["executor_memory"] == "8g"
    assert run.manifest["workload"] == {"app": "SUM", "in_flight_budget": 8 * GIB}
    assert run.manifest["config"]["backpressure"] == {"enabled": None}
    assert executor_memory_bytes(run) is None
    assert pressure_text(run) == "in-flight budget 8 GiB"


def test_folder_names_shared_by_several_folders_use_the_relative_path(tmp_path: Path) -> None:
    artifact_folder(tmp_path / "src" / "bp on", "SUMServer_8GB", batch_lines(3))
    artifact_folder(tmp_path / "src" / "bp-off", "SUMServer_8GB", batch_lines(3))
    artifact_folder(tmp_path / "src", "StatelessSUMServer_5GB", batch_lines(3))
    runs = import_artifact(tmp_path / "src", tmp_path / "out")
    assert sorted(run.name for run in runs) == [
        "StatelessSUMServer_5GB",
        "bp-off-SUMServer_8GB",
        "bp_on-SUMServer_8GB",
    ]


def test_run_ids_stay_unique_after_sanitising(tmp_path: Path) -> None:
    folders = [tmp_path / "a b", tmp_path / "a_b"]
    ids = assign_run_ids(tmp_path, folders)
    assert sorted(ids.values()) == ["a_b", "a_b-2"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SUMServer_8GB", "SUMServer_8GB"),
        ("SUM Server (8GB)", "SUM_Server_8GB"),
        ("..", "run"),
        (".hidden", "hidden"),
    ],
)
def test_sanitise(name: str, expected: str) -> None:
    assert sanitise(name) == expected


@pytest.mark.parametrize(
    ("name", "app", "backpressure", "budget_gib"),
    [
        (GLOBAL_SUM_20, "GlobalSUM", True, 20),
        (DYNAMIC_SUM_8, "SUM", True, 8),
        (LONG_SUM_8, "SUM", True, 8),
        ("BP_889_min-8-5-eno-_GlobalHistogramServer_20_GB-rep1", "GlobalHistogram", True, 20),
        ("BP_8-8-9_static-eno_StatelessSUMServer_45_GB-rep1", "StatelessSUM", True, 45),
        # Executionloop.sh's s(): the number before GB is the qosmin, the budget is the max.
        ("BP_8-4-9_max-4-min-1-5-eno_SUMServer_1_GB-rep1", "SUM", True, 4),
        ("SUMServer_8GB", "SUM", None, 8),
        ("StatelessSUMServer_45GB", "StatelessSUM", None, 45),
        ("GlobalHistogramServer_5GB", "GlobalHistogram", None, 5),
        ("noBP_SUMServer_17_GB-rep2", "SUM", False, 17),
        ("NBP_GlobalSUMServer_5_GB", "GlobalSUM", False, 5),
        ("SUMServer_5GB_bp-off", "SUM", False, 5),
        ("sumserver_8gb", None, None, None),
        ("SUMMARY_of_runs", None, None, None),
        ("results", None, None, None),
    ],
)
def test_parse_folder_name(
    name: str, app: str | None, backpressure: bool | None, budget_gib: int | None
) -> None:
    labels = parse_folder_name(name)
    assert labels["app"] == app
    assert labels["backpressure"] is backpressure
    assert labels["in_flight_budget"] == (budget_gib * GIB if budget_gib is not None else None)


def test_parse_folder_name_records_range_and_repetition() -> None:
    assert parse_folder_name(GLOBAL_SUM_20) == {
        "app": "GlobalSUM",
        "backpressure": True,
        "in_flight_budget": 21474836480,
        "in_flight_budget_range": None,
        "qosmin": 8 * GIB,
        "repetition": 1,
    }
    assert parse_folder_name(DYNAMIC_SUM_8) == {
        "app": "SUM",
        "backpressure": True,
        "in_flight_budget": 8 * GIB,
        "in_flight_budget_range": [8 * GIB, 20 * GIB],
        "qosmin": None,
        "repetition": 1,
    }
    assert parse_folder_name("SUMServer_8GB")["in_flight_budget_range"] is None


# ---------------------------------------------------------------------------------------------------------
# Bad input


def test_missing_src_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(UsageError, match=re.escape(str(missing))):
        import_artifact(missing, tmp_path / "out")


def test_src_without_batch_infos_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "overall_statistics.csv").write_text("x\n")
    with pytest.raises(UsageError, match=re.escape(str(tmp_path / "src"))):
        import_artifact(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_import_never_overwrites_its_source(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / EXPERIMENT / "SUMServer_8GB")
    with pytest.raises(UsageError, match="would overwrite"):
        import_artifact(tmp_path / EXPERIMENT, tmp_path)
    assert (tmp_path / EXPERIMENT / "SUMServer_8GB" / "batch_infos.csv").exists()


def test_header_only_batch_infos_imports_with_warnings(tmp_path: Path) -> None:
    artifact_folder(tmp_path / "src", "SUMServer_8GB", [])
    (run,) = import_artifact(tmp_path / "src", tmp_path / "out")
    assert (run / "COMPLETE").exists()
    assert len(pd.read_parquet(run / "batches.parquet")) == 0
    summary = read_json(run / "summary.json")
    assert (summary["batches"], summary["processed"], summary["throughput_rps"]) == (0, 0, None)
    assert summary["sched_delay_ms"] == {"p50": None, "p95": None, "max": None}
    assert read_json(run / "artifact_statistics.json")["AVG #Rec"] is None
    warnings = import_warnings(run)
    assert warnings and all(w["file"] == "batch_infos.csv" for w in warnings)
    assert any(w["message"] == "no batches" for w in warnings)
    assert all(set(w) == {"time_ms", "kind", "file", "line", "message"} for w in warnings)


def test_malformed_lines_are_skipped_with_warnings(tmp_path: Path) -> None:
    lines = batch_lines(30)
    lines[4] = "1613948416000;12x;900;1"
    lines[11] = "1613948430000;5000"
    artifact_folder(tmp_path / "src", "SUMServer_8GB", lines)
    (run,) = import_artifact(tmp_path / "src", tmp_path / "out")
    assert len(pd.read_parquet(run / "batches.parquet")) == 28
    warnings = import_warnings(run)
    malformed = [w for w in warnings if w["line"] is not None]
    # File lines are 1-based and the header is line 1.
    assert [w["line"] for w in malformed] == [6, 13]
    assert "numRecords" in malformed[0]["message"]
    assert any("instead of 10 to 890" in w["message"] for w in warnings)
    assert read_json(run / "summary.json")["batches"] == 28


def test_an_empty_file_imports_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "SUMServer_8GB"
    folder.mkdir(parents=True)
    (folder / "batch_infos.csv").write_text("")
    (run,) = import_artifact(tmp_path / "src", tmp_path / "out")
    assert (run / "COMPLETE").exists()
    assert any(w["message"] == "no batches" for w in import_warnings(run))


# ---------------------------------------------------------------------------------------------------------
# The statistics on their own


def rows(records: list[int]) -> list[dict[str, int]]:
    return [
        {"batchTime": i * 2000, "numRecords": n, "processingDelay": 2 * n, "schedulingDelay": n % 3}
        for i, n in enumerate(records)
    ]


def test_artifact_statistics_cover_batches_10_to_890() -> None:
    # Batch i (1-based) has i records; the window 10..890 holds 10..890.
    stats = artifact_statistics(rows(list(range(1, 906))))
    assert (stats["Min #Rec"], stats["AVG #Rec"], stats["Median #Rec"], stats["Max. #Rec"]) == (
        10,
        450,
        450,
        890,
    )
    assert (stats["Min. PT (ms)"], stats["AVG PT (ms)"], stats["Max (ms)"]) == (20, 900, 1780)
    assert (stats["Min. SD (ms)"], stats["Max. SD (ms)"]) == (0, 2)
    assert stats["Throughput (MBps)"] == round(450 * 9600 / 1024 / 1024 / 2)
    assert stats["AVG Rec (s)"] == 225.0


def test_artifact_statistics_round_each_value() -> None:
    # Window of 881 batches: 880 with 1,000,000 records and one with 1,000,440; mean 1,000,000.4994.
    stats = artifact_statistics(rows([0] * 9 + [1_000_000] * 880 + [1_000_440] + [7] * 15))
    assert stats["AVG #Rec"] == 1_000_000
    assert stats["Max. #Rec"] == 1_000_440
    assert stats["Throughput (MBps)"] == 4578  # 4577.64... MB/s
    assert stats["AVG Rec (s)"] == 500_000.0


def test_artifact_statistics_on_a_short_run() -> None:
    stats = artifact_statistics(rows(list(range(1, 21))))
    assert (stats["Min #Rec"], stats["Max. #Rec"], stats["Median #Rec"]) == (10, 20, 15)
    assert stats["AVG #Rec"] == 15
    nothing = artifact_statistics(rows([5] * 9))
    assert set(nothing.values()) == {None}
    assert "Throughput (MBps)" in nothing and "AVG Rec (s)" in nothing


def test_gc_logs_become_gc_events_and_summary_figures(sample_run: Path) -> None:
    gc = pd.read_parquet(sample_run / "gc.parquet")
    assert set(gc.source) == {"driver", "executor-2"}
    executor = gc[gc.source == "executor-2"]
    assert len(executor) == 88 and (executor.kind == "full").sum() == 12
    summary = json.loads((sample_run / "summary.json").read_text())
    # The executor's JVM is what counts: 22,753.3 ms of pauses over 905 batches of 2 s.
    assert summary["gc_count"] == 88 and summary["full_gc_count"] == 12
    assert summary["gc_time_frac"] == pytest.approx(22753.3 / 1_810_000, rel=1e-3)
