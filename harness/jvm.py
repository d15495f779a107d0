"""The JVM side of the house: JDK checks, the pinned jar sets, and the JVM helper's build.

Two jar sets are pinned in ``infra/jvm-deps.lock`` by coordinate and SHA-256:

* ``kafka-broker``: the Kafka broker (KRaft) and its tools, with the logging binding;
* ``spark-kafka``: Spark's Kafka connectors for the pinned pyspark, less what pyspark already ships.

Maven fetches them (``make setup``); each file is checked against the lock before it enters the
cache, so a changed artifact is an error, never a silent upgrade.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, UsageError
from harness.paths import INFRA_DIR, JVM_HELPER_JAR, JVM_HELPER_SRC, JVM_LOCK, cache_dir
from harness.results.store import write_atomically

MIN_JDK = 17
JAR_SETS = ("kafka-broker", "spark-kafka")
JDK_HINT = "install a JDK 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- JDK ---------------------------------------------------------------------------------------

_VERSION_RE = re.compile(r'(?:version "|javac )(\d+)(?:\.(\d+))?')


def parse_java_major(version_output: str) -> int | None:
    """The major version in ``java -version`` or ``javac -version`` output (``1.8`` counts as 8)."""
    match = _VERSION_RE.search(version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


def require_jdk(*, javac: bool = False) -> None:
    """Raise UsageError unless ``java`` (and ``javac`` when asked) is on PATH at version 17 or newer."""
    for tool in ("java", "javac") if javac else ("java",):
        if shutil.which(tool) is None:
            raise UsageError(f"`{tool}` was not found on PATH: {JDK_HINT}")
        result = subprocess.run([tool, "-version"], capture_output=True, text=True, check=False)
        major = parse_java_major(result.stderr + result.stdout)
        if major is None:
            raise UsageError(f"could not read the version of `{tool}`: {JDK_HINT}")
        if major < MIN_JDK:
            raise UsageError(f"`{tool}` is version {major}, bpbench needs {MIN_JDK} or newer: {JDK_HINT}")


# --- pyspark -----------------------------------------------------------------------------------


def spark_home() -> Path:
    """The Spark distribution inside the installed pyspark package."""
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - the package depends on pyspark
        raise UsageError("pyspark is not installed in this environment: run `make setup`") from exc
    return Path(pyspark.__file__).resolve().parent


def pyspark_version() -> str:
    import pyspark

    return pyspark.__version__


# --- the lock ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockedJar:
    jar_set: str
    group: str
    artifact: str
    version: str
    sha256: str

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}.jar"


def read_lock(path: Path = JVM_LOCK) -> list[LockedJar]:
    """Parse the lock: one ``<set> <group>:<artifact>:<version> <sha256>`` per line, ``#`` comments."""
    if not path.exists():
        raise UsageError(f"{path}: the JVM dependency lock is missing (regenerate it with `make lock-jars`)")
    entries = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        coordinate = fields[1].split(":") if len(fields) == 3 else []
        if len(coordinate) != 3 or fields[0] not in JAR_SETS or not re.fullmatch(r"[0-9a-f]{64}", fields[2]):
            raise UsageError(
                f"{path}:{number}: expected '<set> <group>:<artifact>:<version> <sha256>' "
                f"with set one of {', '.join(JAR_SETS)}"
            )
        entries.append(LockedJar(fields[0], *coordinate, sha256=fields[2]))
    return entries


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def jar_dir(jar_set: str) -> Path:
    return cache_dir() / "jars" / jar_set


def classpath(jar_set: str) -> list[Path]:
    """The cached jars of one set, in lock order; UsageError if setup has not fetched them."""
    jars = [jar_dir(jar_set) / entry.filename for entry in read_lock() if entry.jar_set == jar_set]
    missing = [jar.name for jar in jars if not jar.exists()]
    if missing:
        raise UsageError(f"the {jar_set} jars are not installed ({missing[0]} and others): run `make setup`")
    return jars


def _require_maven() -> None:
    if shutil.which("mvn") is None:
        raise UsageError("`mvn` was not found on PATH: install Maven (Debian/Ubuntu: apt-get install maven)")


def _run_maven(pom: Path, *goals: str) -> None:
    command = ["mvn", "-B", "-q", "-f", str(pom), *goals]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise HarnessError(f"Maven failed for {pom}:\n{tail}")


def install_jars(log: Log = _quiet) -> None:
    """Bring every locked jar into the cache, verified by SHA-256; a no-op when all are there."""
    lock = read_lock()
    for jar_set in JAR_SETS:
        entries = [entry for entry in lock if entry.jar_set == jar_set]
        target = jar_dir(jar_set)
        stale = [
            e
            for e in entries
            if not (target / e.filename).exists() or sha256_of(target / e.filename) != e.sha256
        ]
        if not stale:
            log(f"jars {jar_set}: {len(entries)} cached in {target}")
            continue
        _require_maven()
        log(f"jars {jar_set}: fetching {len(stale)} of {len(entries)} with Maven")
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as staging:
            _run_maven(
                INFRA_DIR / "jvm" / jar_set / "pom.xml",
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
            )
            for entry in stale:
                fetched = Path(staging) / entry.filename
                if not fetched.exists():
                    raise HarnessError(f"Maven did not deliver {entry.coordinate} for the {jar_set} set")
                actual = sha256_of(fetched)
                if actual != entry.sha256:
                    raise HarnessError(
                        f"{entry.coordinate}: SHA-256 {actual} does not match the lock ({entry.sha256})"
                    )
                fetched.replace(target / entry.filename)
        log(f"jars {jar_set}: {len(entries)} verified in {target}")


def write_lock(log: Log = _quiet) -> None:
    """Resolve both jar sets with Maven and write the lock (``make lock-jars``)."""
    _require_maven()
    shipped_by_spark = {
        re.sub(r"-\d[^/]*\.jar$", "", jar.name) for jar in (spark_home() / "jars").glob("*.jar")
    }
    lines = [
        "# bpbench JVM dependency lock: <set> <group>:<artifact>:<version> <sha256>",
        "# Made by `make lock-jars` from infra/jvm/*/pom.xml; `make setup` checks every jar against it.",
        f"# spark-kafka omits the jars pyspark {pyspark_version()} already ships.",
    ]
    with tempfile.TemporaryDirectory() as scratch:
        for jar_set in JAR_SETS:
            listing = Path(scratch) / f"{jar_set}.txt"
            _run_maven(
                INFRA_DIR / "jvm" / jar_set / "pom.xml",
                "dependency:list",
                "-DincludeScope=runtime",
                "-DoutputAbsoluteArtifactFilename=true",
                f"-DoutputFile={listing}",
            )
            resolved = []
            for raw in listing.read_text().splitlines():
                parts = raw.strip().split(":")
                if len(parts) < 4 or parts[2] != "jar":
                    continue
                if len(parts) != 6:
                    raise HarnessError(
                        f"{jar_set}: classified artifacts are not supported in the lock: {raw.strip()}"
                    )
                group, artifact, _, version, _, path = parts
                if jar_set == "spark-kafka" and artifact in shipped_by_spark:
                    continue
                resolved.append(f"{jar_set} {group}:{artifact}:{version} {sha256_of(Path(path))}")
            lines.extend(sorted(resolved))
            log(f"lock {jar_set}: {len(resolved)} jars")
    JVM_LOCK.write_text("\n".join(lines) + "\n")


# --- the JVM helper ----------------------------------------------------------------------------


def _helper_sources() -> list[Path]:
    return sorted(JVM_HELPER_SRC.rglob("*.java"))


def _helper_fingerprint(sources: list[Path]) -> str:
    digest = hashlib.sha256(JVM_LOCK.read_bytes())
    digest.update(pyspark_version().encode())
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def build_helper(log: Log = _quiet) -> Path:
    """Compile ``apps/jvm`` against pyspark's jars and the connectors; skipped when up to date."""
    require_jdk(javac=True)
    sources = _helper_sources()
    stamp = JVM_HELPER_JAR.with_suffix(".sha256")
    fingerprint = _helper_fingerprint(sources)
    if JVM_HELPER_JAR.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        log(f"jvm helper: up to date ({JVM_HELPER_JAR})")
        return JVM_HELPER_JAR
    compile_path = [str(spark_home() / "jars" / "*"), *map(str, classpath("spark-kafka"))]
    JVM_HELPER_JAR.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=JVM_HELPER_JAR.parent) as classes:
        command = [
            "javac",
            "--release",
            str(MIN_JDK),
            "-nowarn",
            "-d",
            classes,
            "-cp",
            ":".join(compile_path),
        ]
        result = subprocess.run([*command, *map(str, sources)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise HarnessError(f"javac failed on {JVM_HELPER_SRC}:\n{result.stderr.strip()}")

        def write_jar(partial: Path) -> None:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as jar:
                for compiled in sorted(Path(classes).rglob("*.class")):
                    jar.write(compiled, compiled.relative_to(classes).as_posix())

        write_atomically(JVM_HELPER_JAR, write_jar)
    stamp.write_text(fingerprint + "\n")
    log(f"jvm helper: built {JVM_HELPER_JAR}")
    return JVM_HELPER_JAR
