"""The driver JVM as Spark's JvmSource reports it, scraped from the Prometheus servlet.

The servlet publishes each gauge as ``metrics_<app-id>_driver_<source>_<name>_Value``; the JVM's own
gauges (heap and non-heap pools, GC count and time per collector, direct buffers, CPU time) are kept.
Executors' memory and GC figures come from the REST collector's peak metrics instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from harness.observe.base import Rows, RunContext, SampleColumns
from harness.observe.driver_http import DriverHttp
from harness.results.tables import JVM_COLUMNS

PROMETHEUS_PATH = "/metrics/prometheus"
# The servlet's settings: Spark publishes no Prometheus metrics unless told to (see spark_conf).
SPARK_CONF = {
    "spark.metrics.conf.*.sink.prometheusServlet.class": "org.apache.spark.metrics.sink.PrometheusServlet",
    "spark.metrics.conf.*.sink.prometheusServlet.path": PROMETHEUS_PATH,
    "spark.metrics.conf.*.source.jvm.class": "org.apache.spark.metrics.source.JvmSource",
    # Its gauges repeat the executors' metrics the REST API reports; without them each scrape is shorter.
    "spark.metrics.executorMetricsSource.enabled": "false",
}

FetchText = Callable[[str], str]


def parse_driver_jvm(text: str, app_id: str) -> dict[str, float]:
    """JVM gauges of the driver, by name (e.g. ``jvm_heap_used``, ``jvm_G1_Young_Generation_time``)."""
    prefix = re.escape(f"metrics_{app_id.replace('-', '_')}_driver_")
    pattern = re.compile(rf"^{prefix}((?:jvm|JVMCPU)_\S+?)_Value\{{[^}}]*\}} (\S+)$")
    gauges = {}
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            try:
                gauges[match.group(1)] = float(match.group(2))
            except ValueError:
                continue
    return gauges


class DriverJvmCollector:
    name = "driver_jvm"

    def __init__(
        self,
        ui_url: str,
        app_id: str,
        fetch: FetchText | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # The servlet's own address ends with a slash; without it Jetty answers with a redirect first.
        self._url = ui_url.rstrip("/") + PROMETHEUS_PATH + "/"
        self._http = DriverHttp()
        self._app_id = app_id
        self._fetch = fetch or self._http.text
        self._clock = clock
        self._rows = SampleColumns(JVM_COLUMNS)
        self.failed_polls = 0

    def start(self) -> None:
        pass

    def poll(self) -> None:
        try:
            gauges = parse_driver_jvm(self._fetch(self._url), self._app_id)
        except OSError:
            self.failed_polls += 1
            return
        sample_time_ms = round(self._clock() * 1000)
        self._rows.extend(
            {"sample_time_ms": sample_time_ms, "source": "driver", "metric": name, "value": value}
            for name, value in sorted(gauges.items())
        )

    def stop(self) -> None:
        self._http.close()

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"jvm": (self._rows.rows(), JVM_COLUMNS)}


def for_run(run: RunContext) -> DriverJvmCollector:
    assert run.driver is not None  # registered for the "driver" phase
    return DriverJvmCollector(run.driver.ui_url, run.driver.app_id)
