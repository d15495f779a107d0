"""workload.app as the user's own app: a PySpark script or a jar with its main class, paths relative to
the manifest; every bad input is exit 2 naming its field."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import UsageError
from harness.paths import REPO_ROOT
from harness.spec.manifest import load_experiment, run_id_for

GENERATOR = {"profile": "constant", "rate": 100}


def manifest_file(folder: Path, app: Any, **workload: Any) -> Path:
    path = folder / "m.yaml"
    data = {"name": "m", "workload": {"app": app, "generator": GENERATOR, **workload}}
    path.write_text(yaml.safe_dump(data))
    return path


def load(path: Path):
    [run] = load_experiment(path)
    return run.manifest


def script(folder: Path, name: str = "my_app.py") -> Path:
    path = folder / name
    path.write_text("print('hello')\n")
    return path


def fake_jar(path: Path, *classes: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for name in classes:
            archive.writestr(name.replace(".", "/") + ".class", b"\xca\xfe\xba\xbe")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(UsageError) as error:
        load_experiment(path)
    return str(error.value)


def test_a_script_resolves_against_the_manifests_folder(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    script(tmp_path / "code")
    manifest = load(manifest_file(tmp_path, {"script": "code/my_app.py"}))
    own = manifest.workload.own_app
    assert own is not None and own.script == (tmp_path / "code" / "my_app.py").resolve()
    assert manifest.workload.impl == "python"
    assert manifest.workload.builtin_app is None
    assert manifest.workload.app_label == "my_app.py"


def test_a_script_outside_the_repository_by_absolute_path(tmp_path: Path) -> None:
    elsewhere = script(tmp_path)
    (tmp_path / "sub").mkdir()
    manifest = load(manifest_file(tmp_path / "sub", {"script": str(elsewhere)}))
    assert manifest.workload.own_app.script == elsewhere.resolve()


def test_a_jar_with_its_main_class_is_a_jvm_app(tmp_path: Path) -> None:
    fake_jar(tmp_path / "app.jar", "com.example.MyApp")
    manifest = load(manifest_file(tmp_path, {"jar": "app.jar", "main_class": "com.example.MyApp"}))
    assert manifest.workload.impl == "jvm"
    assert manifest.workload.own_app.jar == tmp_path / "app.jar"


def test_the_dumped_manifest_validates_again_with_the_same_run_id(tmp_path: Path) -> None:
    fake_jar(tmp_path / "app.jar", "com.example.MyApp")
    manifest = load(manifest_file(tmp_path, {"jar": "app.jar", "main_class": "com.example.MyApp"}))
    again = type(manifest).model_validate(manifest.model_dump(mode="json"))
    assert again == manifest
    assert run_id_for(again) == run_id_for(manifest)


def test_a_built_in_apps_run_id_is_as_before() -> None:
    # experiments/demo.yaml's id before own apps existed: the app field dumps as it always did.
    [run] = load_experiment(REPO_ROOT / "experiments" / "demo.yaml")
    assert run.manifest.model_dump(mode="json")["workload"]["app"] == "stateless_sum"
    assert run.run_id == "84e66d3f7896-r1"


def test_the_shipped_example_loads() -> None:
    manifest = load(REPO_ROOT / "experiments" / "examples" / "own_app.yaml")
    assert manifest.workload.own_app.script == REPO_ROOT / "examples" / "own_app" / "rank_max.py"


@pytest.mark.parametrize(
    ("app", "field", "words"),
    [
        ({"script": "missing.py"}, "workload.app.script", "no such file"),
        ({"script": "notes.txt"}, "workload.app.script", "ends in .py"),
        ({"jar": "missing.jar", "main_class": "a.B"}, "workload.app.jar", "no such file"),
        ({"jar": "not-a-jar.jar", "main_class": "a.B"}, "workload.app.jar", "not a jar"),
        ({"jar": "app.jar", "main_class": "com.example.Other"}, "workload.app.main_class", "no class"),
        ({"jar": "app.jar"}, "workload.app.main_class", "main class"),
        ({}, "workload.app", "needs script"),
        ({"main_class": "a.B"}, "workload.app", "needs script"),
        (
            {"script": "my_app.py", "jar": "app.jar", "main_class": "com.example.MyApp"},
            "workload.app",
            "not both",
        ),
        ({"script": "my_app.py", "main_class": "a.B"}, "workload.app", "main_class goes with jar"),
        ({"scrpt": "my_app.py"}, "workload.app.scrpt", "did you mean 'script'"),
    ],
)
def test_a_bad_own_app_names_its_field(tmp_path: Path, app: dict[str, str], field: str, words: str) -> None:
    script(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "not-a-jar.jar").write_text("plain text")
    fake_jar(tmp_path / "app.jar", "com.example.MyApp")
    message = error_of(manifest_file(tmp_path, app))
    assert f"m.yaml: {field}: " in message and words in message, message


@pytest.mark.parametrize(
    ("app", "workload", "field"),
    [
        ({"script": "my_app.py"}, {"impl": "jvm"}, "workload.impl"),
        ({"jar": "app.jar", "main_class": "com.example.MyApp"}, {"impl": "python"}, "workload.impl"),
        ({"script": "my_app.py"}, {"window": {"size": 10, "slide": 5}}, "workload.window"),
        ({"script": "my_app.py"}, {"source": "structured"}, "workload.source"),
    ],
)
def test_settings_an_own_app_cannot_have_name_their_field(
    tmp_path: Path, app: dict[str, str], workload: dict[str, Any], field: str
) -> None:
    script(tmp_path)
    fake_jar(tmp_path / "app.jar", "com.example.MyApp")
    message = error_of(manifest_file(tmp_path, app, **workload))
    assert f"{field}:" in message, message


def test_bad_own_app_is_exit_2_at_validation(tmp_path: Path) -> None:
    path = manifest_file(tmp_path, {"script": "missing.py"})
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "workload.app.script: no such file" in result.stderr
    assert "Traceback" not in result.stderr
