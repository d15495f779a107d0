"""Start a KRaft broker from the environment, as the apache/kafka image does: every KAFKA_FOO_BAR
variable becomes the property foo.bar; CLUSTER_ID formats the storage on first start;
KAFKA_HEAP_OPTS sets the heap. Logs go to standard output (`docker compose logs`)."""

import os
import subprocess
import sys

SKIP = {"KAFKA_HEAP_OPTS"}
CONFIG = "/tmp/server.properties"
LOG4J = "/tmp/log4j.properties"
CLASSPATH = "/opt/kafka/libs/*"


def main() -> None:
    props = {"log.dirs": "/var/lib/kafka/data"}
    for name, value in os.environ.items():
        if name.startswith("KAFKA_") and name not in SKIP:
            props[name[len("KAFKA_") :].lower().replace("_", ".")] = value
    with open(CONFIG, "w") as out:
        out.writelines(f"{key}={value}\n" for key, value in sorted(props.items()))
    with open(LOG4J, "w") as out:
        out.write(
            "log4j.rootLogger=INFO, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            "log4j.logger.kafka.request.logger=WARN\n"
            "log4j.logger.state.change.logger=WARN\n"
        )
    java = ["java", f"-Dlog4j.configuration=file:{LOG4J}", "-cp", CLASSPATH]
    cluster_id = os.environ.get("CLUSTER_ID", "")
    if cluster_id:
        subprocess.run(
            [
                *java,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                CONFIG,
                "--ignore-formatted",
            ],  # fmt: skip
            check=True,
        )
    heap = os.environ.get("KAFKA_HEAP_OPTS", "-Xmx1g -Xms1g").split()
    sys.stdout.flush()
    os.execvp("java", [*java[:1], *heap, *java[1:], "kafka.Kafka", CONFIG])


if __name__ == "__main__":
    main()
