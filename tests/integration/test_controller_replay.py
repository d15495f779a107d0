"""The plugged rate controllers on Spark's own classes, without a cluster: the JVM helper's ``Replay``
drives a controller through the same decision path a run uses (``PluggedRateController``), fed batch
statistics line by line, and its decisions land in ``controller.jsonl`` as in a run."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import jvm
from harness.control.pid import PIDRateEstimator
from harness.paths import JVM_HELPER_JAR

GAINS = {"proportional": 1.0, "integral": 0.2, "derived": 0.0, "min_rate": 100.0}


@pytest.fixture(scope="module")
def classpath() -> str:
    jvm.build_helper()
    spark_jars = jvm.spark_home() / "jars" / "*"
    return ":".join([str(JVM_HELPER_JAR), str(spark_jars), *map(str, jvm.classpath("spark-kafka"))])


class Replay:
    """One controller in a JVM of its own, asked one line at a time."""

    def __init__(self, classpath: str, controller: list[str], interval_ms: int, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self._log = (out / "replay.log").open("w")
        self._process = subprocess.Popen(
            ["java", "-cp", classpath, "bpbench.jvm.control.Replay", *controller, str(interval_ms), str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )

    def _ask(self, line: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin and self._process.stdout
        self._process.stdin.write(json.dumps(line) + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        assert answer, (self.out / "replay.log").read_text()[-2000:]
        return json.loads(answer)

    def batch(
        self, batch_time_ms: int, end_ms: int, elements: int, processing_ms: int, scheduling_ms: int
    ) -> int:
        return self._ask({
            "batch_time_ms": batch_time_ms,
            "end_time_ms": end_ms,
            "elements": elements,
            "processing_delay_ms": processing_ms,
            "scheduling_delay_ms": scheduling_ms,
        })["limit"]  # fmt: skip

    def batches(self, batches: list[tuple[int, ...]]) -> list[int]:
        """Many batches at once, without waiting for each answer: the limits after each."""
        assert self._process.stdin and self._process.stdout
        keys = ("batch_time_ms", "end_time_ms", "elements", "processing_delay_ms", "scheduling_delay_ms")
        for stats in batches:
            self._process.stdin.write(json.dumps(dict(zip(keys, stats, strict=True))) + "\n")
        self._process.stdin.flush()
        return [json.loads(self._process.stdout.readline())["limit"] for _ in batches]

    def cap(self, batch_time_ms: int) -> int:
        return self._ask({"cap_for_ms": batch_time_ms})["cap"]

    def decisions(self) -> list[dict[str, Any]]:
        assert self._process.stdin
        self._process.stdin.close()
        assert self._process.wait(timeout=30) == 0, (self.out / "replay.log").read_text()[-2000:]
        self._log.close()
        lines = (self.out / "controller.jsonl").read_text().splitlines()
        return [row for row in map(json.loads, lines) if row["event"] == "decision"]


def spec(kind: str, **settings: Any) -> list[str]:
    return [json.dumps({"kind": kind, **settings})]


def recorded_batches(count: int, interval_ms: int = 2000, seed: int = 7) -> Iterator[tuple[int, ...]]:
    """A run's batch statistics as Spark reports them (one batch at a time: a batch starts when it is
    due or when the one before ends), with the cases Spark's estimator skips: empty batches, batches
    without processing time, and an end time that is not later than the last."""
    rng = random.Random(seed)
    free_at = 0
    for k in range(1, count + 1):
        batch_time = k * interval_ms
        elements = 0 if k % 17 == 0 else rng.randint(1, 9000)
        processing = 0 if k % 23 == 0 else rng.randint(interval_ms // 4, 2 * interval_ms)
        start = max(batch_time, free_at)
        free_at = start + processing
        end = free_at - 10 * interval_ms if k % 29 == 0 else free_at
        yield batch_time, end, elements, processing, start - batch_time


def test_pid_through_the_plug_in_is_sparks_estimator(classpath: str, tmp_path: Path) -> None:
    """Spark's PIDRateEstimator class, driven by the plug-in, decides exactly what the harness's port
    of it (conformant to Spark's own suite) decides on the same statistics."""
    gains = {**GAINS, "proportional": 0.8, "integral": 0.3, "derived": 0.05, "min_rate": 50.0}
    replay = Replay(classpath, spec("pid", **gains), 2000, tmp_path)
    port = PIDRateEstimator(
        2000, gains["proportional"], gains["integral"], gains["derived"], gains["min_rate"]
    )
    expected, latest = [], -1
    recorded = list(recorded_batches(300))
    replay.batches(recorded)
    for stats in recorded:
        rate = port.compute(*stats[1:])
        latest = int(rate) if rate is not None else latest
        expected.append((rate, latest))
    decisions = replay.decisions()
    assert len(decisions) == 300
    got = [(row["rate_rps"], row["limit_rps"] if row["limit_rps"] is not None else -1) for row in decisions]
    assert got == expected
    assert sum(rate is not None for rate, _ in expected) > 200  # the sequence exercised the controller


def test_fixed_holds_its_rate_from_the_first_batch(classpath: str, tmp_path: Path) -> None:
    replay = Replay(classpath, spec("fixed", rate=300), 2000, tmp_path)
    assert replay.cap(2000) == 300  # before any batch completed
    assert [replay.batch(*stats) for stats in recorded_batches(5)] == [300] * 5
    assert {row["rate_rps"] for row in replay.decisions()} == {300.0}


FLAKY = """
import bpbench.jvm.control.BatchStats;
import bpbench.jvm.control.Controller;

public class Flaky implements Controller {
    private int calls;
    public Double decide(BatchStats batch) {
        calls++;
        if (calls == 3) throw new IllegalStateException("boom");
        if (calls == 4) return Double.NaN;
        if (calls == 5) return -5.0;
        return calls < 3 ? 500.0 : 700.0;
    }
}
"""


def test_a_failing_controller_keeps_the_last_good_limit_and_its_error_is_recorded(
    classpath: str, tmp_path: Path
) -> None:
    jvm.require_jdk(javac=True)
    source = tmp_path / "src" / "Flaky.java"
    source.parent.mkdir()
    source.write_text(FLAKY)
    classes = tmp_path / "classes"
    subprocess.run(["javac", "-d", str(classes), "-cp", classpath, str(source)], check=True)
    replay = Replay(f"{classes}:{classpath}", ["--class", "Flaky"], 2000, tmp_path / "out")
    limits = [replay.batch(*stats) for stats in recorded_batches(6)]
    assert limits == [500, 500, 500, 500, 500, 700]
    errors = [row["error"] for row in replay.decisions()]
    assert errors[:2] == [None, None] and errors[5] is None
    assert errors[2] == "java.lang.IllegalStateException: boom"
    assert errors[3] == "the controller returned NaN, not a finite rate of at least 0"
    assert errors[4] == "the controller returned -5.0, not a finite rate of at least 0"


# GOVERNOR on a synthetic checkpoint pattern: 1 s batches, a checkpoint every 10 batches (phase 3),
# a job of n records takes 100 + 0.5 n ms and a checkpoint job 2,500 ms more; the input never runs dry.
INTERVAL, REGION, CHECKPOINT_PHASE, OVERSHOOT = 1000, 10, 3, 2500


def job_ms(batch: int, records: int) -> int:
    return 100 + records // 2 + (OVERSHOOT if batch % REGION == CHECKPOINT_PHASE else 0)


def simulate(replay: Replay, batches: int) -> list[dict[str, int]]:
    """One batch at a time, as Spark runs them; the controller hears of a batch when it ends and sizes
    each batch when it is generated, so it decides with a batch of lag at least."""
    done: list[dict[str, int]] = []
    told = 0
    free_at = 0
    for k in range(1, batches + 1):
        t = k * INTERVAL
        while told < len(done) and done[told]["end"] <= t:
            b = done[told]
            replay.batch(b["time"], b["end"], b["records"], b["processing"], b["scheduling"])
            told += 1
        cap = replay.cap(t)
        records = cap * INTERVAL // 1000 if cap > 0 else 1000  # before the first limit: an initialRate
        start = max(t, free_at)
        processing = job_ms(k, records)
        free_at = start + processing
        done.append(
            {"time": t, "records": records, "processing": processing, "scheduling": start - t, "end": free_at}
        )
    return done


def test_governor_plans_regions_from_the_checkpoint_job(classpath: str, tmp_path: Path) -> None:
    governor = {
        "region_batches": REGION,
        "min_job_records": 5,
        "history_s": 60,
        "warmup_regions": 3,
        "pid": GAINS,
    }
    replay = Replay(classpath, spec("governor", **governor), INTERVAL, tmp_path)
    done = simulate(replay, 150)
    decisions = replay.decisions()
    plans = [json.loads(row["detail"]) for row in decisions if row["detail"]]
    assert plans, "GOVERNOR never planned a region"
    plan = plans[-1]
    # Regions start at the checkpoint job.
    assert (plan["region_start_ms"] // INTERVAL) % REGION == CHECKPOINT_PHASE
    # What it learnt: a minimum job of 5 records takes 102.5 ms, a record 0.5 ms, a checkpoint 2.5 s more.
    assert plan["t_min_ms"] == pytest.approx(102, abs=1)
    assert plan["cost_ms_per_record"] == pytest.approx(0.5, rel=0.01)
    assert plan["overshoot_ms"] == pytest.approx(OVERSHOOT, rel=0.02)
    # The region: the checkpoint job at full size leaves 2.5 s of delay; each minimum job clears
    # 1000 - 102.5 ms of it, two leave 705 ms, so a partial job gets the 192.5 ms left (385 records),
    # then full jobs of (1000 - 102.5) / 0.5 = 1795 records.
    full = plan["records"][0]
    assert full == pytest.approx(1795, rel=0.01)
    assert plan["minimum_jobs"] == 2
    assert plan["records"][1:3] == [5, 5]
    assert plan["records"][3] == pytest.approx(385, rel=0.05)
    assert plan["records"][4:] == [full] * 6
    assert plan["region_rate"] == pytest.approx((7 * full + 10 + plan["records"][3]) / 10, rel=0.01)
    # The batches got those sizes, and the delay stays bounded: the regions clear their checkpoint.
    last = done[-3 * REGION :]
    in_region = [(b["time"] // INTERVAL - CHECKPOINT_PHASE) % REGION for b in last]
    assert [b["records"] for b, i in zip(last, in_region, strict=True) if i in (1, 2)] == [5] * 6
    assert max(b["scheduling"] for b in last) < OVERSHOOT + INTERVAL
    assert all(b["scheduling"] < 200 for b, i in zip(last, in_region, strict=True) if i >= 4)
