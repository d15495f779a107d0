"""docs/manifest.md is generated from the schema and kept current."""

from __future__ import annotations

from harness.paths import REPO_ROOT
from harness.spec.reference import reference


def test_committed_reference_matches_the_schema() -> None:
    committed = (REPO_ROOT / "docs" / "manifest.md").read_text()
    assert committed == reference(), "docs/manifest.md is stale: run `make docs`"


def test_reference_lists_every_section_and_profile() -> None:
    text = reference()
    for field in ("`platform.spark.topology`", "`workload.generator`", "`config.backpressure.pid.min_rate`",
                  "`run.warmup_s`", "### `trace`", "### `step`"):  # fmt: skip
        assert field in text
