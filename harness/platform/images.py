"""The compose backend's images, built on this machine without any image registry.

* ``base``: a Debian rootfs made by ``mmdebstrap`` (or ``debootstrap``, four times slower here)
  with Java 17 and Python, imported into the
  engine (``docker import``). Skipped when ``BPBENCH_BASE_IMAGE`` names another base (for example
  ``debian:bookworm-slim`` where a registry is reachable; the Dockerfiles then install the
  packages themselves).
* ``kafka``: ``infra/compose/kafka/Dockerfile`` with the broker's jars from the locked jar set.
* ``spark``: ``infra/compose/spark/Dockerfile`` with the driver's pyspark (the Spark distribution),
  py4j and numpy, for a Python of the driver's minor version.

Tags carry the versions and a build revision (``BUILD_REVISION``, raised when a Dockerfile changes);
an image whose tag the engine already has is not rebuilt, and the rootfs is cached on disk.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness import jvm
from harness.errors import HarnessError, UsageError
from harness.paths import INFRA_DIR, cache_dir

BUILD_REVISION = "b1"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("openjdk-17-jre-headless", "python3", "python3-venv", "procps")
JAVA = "java17"
SPARK_SITE_PACKAGES = ("pyspark", "py4j", "numpy", "numpy.libs")
IMAGES_HINT = "run `make images`"
BUILD_TIMEOUT_S = 1800.0

Log = Callable[[str], None]


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def kafka_version() -> str:
    for jar in jvm.read_lock():
        if jar.jar_set == "kafka-broker" and jar.artifact.startswith("kafka_"):
            return jar.version
    raise HarnessError("infra/jvm-deps.lock pins no Kafka broker jar")


def image_tags() -> dict[str, str]:
    """The image of each part, by tag: versions and the build revision."""
    spark = importlib.metadata.version("pyspark")
    return {
        "base": f"bpbench/debian:{DEBIAN_SUITE}-{JAVA}-{BUILD_REVISION}",
        "kafka": f"bpbench/kafka:{kafka_version()}-{JAVA}-{BUILD_REVISION}",
        "spark": f"bpbench/spark:{spark}-{JAVA}-python{python_version()}-{BUILD_REVISION}",
    }


def compose_images() -> dict[str, str]:
    """The compose file's image variables."""
    tags = image_tags()
    return {"BPBENCH_KAFKA_IMAGE": tags["kafka"], "BPBENCH_SPARK_IMAGE": tags["spark"]}


def image_present(tag: str, env: Mapping[str, str], run: Any = subprocess.run) -> bool:
    result = run(
        ["docker", "image", "inspect", tag],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    return result.returncode == 0


def missing_images(env: Mapping[str, str], run: Any = subprocess.run) -> list[str]:
    tags = image_tags()
    return [tags[part] for part in ("kafka", "spark") if not image_present(tags[part], env, run)]


def build_problems(env: Mapping[str, str]) -> str | None:
    """Why the images cannot be built here, or None."""
    if os.environ.get("BPBENCH_BASE_IMAGE") or image_present(image_tags()["base"], env):
        return None
    if rootfs_dir().is_dir():
        return None
    if bootstrap_tool() is None:
        return "the base image needs mmdebstrap (apt-get install mmdebstrap), or BPBENCH_BASE_IMAGE"
    if os.geteuid() != 0:
        return "the base image's mmdebstrap needs root (or set BPBENCH_BASE_IMAGE)"
    return None


def bootstrap_tool() -> str | None:
    """mmdebstrap (apt's parallel downloads; 89 s here) or debootstrap (413 s), whichever is installed."""
    for tool in ("mmdebstrap", "debootstrap"):
        if shutil.which(tool):
            return tool
    return None


def image_problems(env: Mapping[str, str]) -> list[str]:
    """One line when an image is missing and cannot be built."""
    missing = missing_images(env)
    if not missing:
        return []
    reason = build_problems(env)
    if reason is None:
        return []
    return [
        f"backend compose: image {missing[0]} is missing and cannot be built: {reason}; then {IMAGES_HINT}"
    ]


def rootfs_dir() -> Path:
    return cache_dir() / "images" / f"rootfs-{DEBIAN_SUITE}"


def _run_logged(
    command: list[str], log_file: Path, env: Mapping[str, str], what: str, **kwargs: object
) -> None:
    with log_file.open("ab") as out:
        result = subprocess.run(  # type: ignore[call-overload]
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, check=False,
            timeout=BUILD_TIMEOUT_S, **kwargs,
        )  # fmt: skip
    if result.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
        raise HarnessError(f"{what} failed (exit {result.returncode}); last lines of {log_file}:\n{tail}")


def build_base(env: Mapping[str, str], log: Log, log_file: Path) -> str:
    tag = image_tags()["base"]
    if image_present(tag, env):
        return tag
    rootfs = rootfs_dir()
    if not rootfs.is_dir():
        reason = build_problems(env)
        if reason is not None:
            raise UsageError(f"backend compose: {reason}")
        partial = rootfs.with_name(rootfs.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        mirror = os.environ.get("BPBENCH_DEBIAN_MIRROR", DEBIAN_MIRROR)
        tool = bootstrap_tool() or "mmdebstrap"
        log(f"{tool} {DEBIAN_SUITE} with {', '.join(BASE_PACKAGES)} into {rootfs}")
        _run_logged(
            [tool, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", DEBIAN_SUITE,
             str(partial), mirror],
            log_file, env, tool,
        )  # fmt: skip
        for deb in (partial / "var" / "cache" / "apt" / "archives").glob("*.deb"):
            deb.unlink()
        partial.rename(rootfs)
    log(f"importing {rootfs} as {tag}")
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", "-", "."], stdout=subprocess.PIPE
    )
    try:
        _run_logged(
            ["docker", "import",
             "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["/bin/bash"]', "-", tag],
            log_file, env, "docker import", stdin=tar.stdout,
        )  # fmt: skip
    finally:
        if tar.stdout is not None:
            tar.stdout.close()
        tar.wait()
    return tag


def _place(source: Path, target: Path) -> None:
    """A hard link where the file system allows one (the context is only read), else a copy."""
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy, symlinks=True)
    else:
        _link_or_copy(str(source), str(target))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def stage_kafka(context: Path) -> None:
    (context / "libs").mkdir(parents=True)
    for name in ("Dockerfile", "kafka-start.py"):
        shutil.copy2(INFRA_DIR / "compose" / "kafka" / name, context / name)
    for jar in jvm.classpath("kafka-broker"):
        _place(jar, context / "libs" / jar.name)


def stage_spark(context: Path) -> None:
    site = context / "site-packages"
    site.mkdir(parents=True)
    for name in ("Dockerfile", "log4j2.properties"):
        shutil.copy2(INFRA_DIR / "compose" / "spark" / name, context / name)
    installed = Path(jvm.spark_home()).parent
    for package in SPARK_SITE_PACKAGES:
        if not (installed / package).exists():
            raise UsageError(f"{package} is not installed in {installed}: run `make setup`")
        _place(installed / package, site / package)


def build_images(env: Mapping[str, str], log: Log, rebuild: bool = False) -> dict[str, str]:
    """Build what is missing (everything with ``rebuild``); the tags of the images."""
    tags = image_tags()
    work = cache_dir() / "images"
    work.mkdir(parents=True, exist_ok=True)
    log_file = work / "build.log"
    todo = [part for part in ("kafka", "spark") if rebuild or not image_present(tags[part], env)]
    if not todo:
        return tags
    base = os.environ.get("BPBENCH_BASE_IMAGE") or build_base(env, log, log_file)
    for part, stage in (("kafka", stage_kafka), ("spark", stage_spark)):
        if part not in todo:
            continue
        context = work / f"context-{part}"
        shutil.rmtree(context, ignore_errors=True)
        try:
            stage(context)
            log(f"building {tags[part]} from {base}")
            _run_logged(
                ["docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}",
                 "--build-arg", f"PYTHON_VERSION={python_version()}", "--tag", tags[part], str(context)],
                log_file, {**env, "DOCKER_BUILDKIT": "0"}, f"docker build of {tags[part]}",
            )  # fmt: skip
        finally:
            shutil.rmtree(context, ignore_errors=True)
    return tags
