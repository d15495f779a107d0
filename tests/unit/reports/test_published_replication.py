"""The published replication (docs/replication/sensors2022/): its verdicts rebuild from its runs.

`bpbench publish` wrote `runs/`, `report.html` and `verdicts.json` from the runs of `make paper`;
anyone can re-derive the verdicts from the committed data, and so does this test. Claims added to
the report after the publication (GOVERNOR's G1 and G2, which need GOVERNOR runs this set has none of)
are not in it: the claims it judged must rebuild, the later ones find nothing to judge here.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from harness.paths import REPO_ROOT
from reports.builder import claim_results, load_runs
from reports.claims import as_records
from reports.runs import configuration_key

REPLICATION = REPO_ROOT / "docs" / "replication" / "sensors2022"
MAX_BYTES = 20 * 2**20
REPETITIONS = 3


# Claims the report gained after the publication was written.
LATER_CLAIMS = {"G1", "G2"}


def test_the_committed_verdicts_rebuild_from_the_committed_runs() -> None:
    committed = json.loads((REPLICATION / "verdicts.json").read_text(encoding="utf-8"))
    rebuilt = as_records(claim_results([REPLICATION / "runs"]))
    assert [r for r in rebuilt if r["claim"] not in LATER_CLAIMS] == committed
    later = [r for r in rebuilt if r["claim"] in LATER_CLAIMS]
    assert [r["claim"] for r in later] == sorted(LATER_CLAIMS)
    assert all(r["verdict"] == "INCONCLUSIVE" and not r["checks"] for r in later), later


def test_the_committed_report_shows_the_same_verdicts() -> None:
    html = (REPLICATION / "report.html").read_text(encoding="utf-8")
    committed = json.loads((REPLICATION / "verdicts.json").read_text(encoding="utf-8"))
    for verdict in committed:
        heading = re.search(
            rf'<section class="claim" id="claim-{verdict["claim"].lower()}">\s*<h3>.*?'
            r'<span class="badge [^"]*">([^<]*)</span>',
            html,
            re.S,
        )
        assert heading is not None, verdict["claim"]
        assert heading.group(1) == verdict["verdict"], verdict["claim"]


def test_every_cell_has_its_repetitions_and_the_folder_stays_small() -> None:
    runs, skipped = load_runs([REPLICATION / "runs"])
    assert not skipped, skipped
    cells = Counter(configuration_key(run) for run in runs)
    assert len(cells) == 16 and set(cells.values()) == {REPETITIONS}, cells
    size = sum(path.stat().st_size for path in REPLICATION.rglob("*") if path.is_file())
    assert size < MAX_BYTES, size


def test_the_readme_table_states_the_committed_verdicts() -> None:
    readme = (REPLICATION / "README.md").read_text(encoding="utf-8")
    committed = json.loads((REPLICATION / "verdicts.json").read_text(encoding="utf-8"))
    for verdict in committed:
        assert f"| {verdict['claim']} | {verdict['verdict']} |" in readme, verdict["claim"]
