"""The registry of built-in apps: every app is one entry, and everything that lists apps reads it."""

from __future__ import annotations

import dataclasses

import pytest

from apps import BUILTIN_APPS, BuiltinApp, apps_where
from harness.paths import APPS_DIR, JVM_HELPER_SRC
from harness.spec.manifest import Workload
from harness.spec.reference import reference


def test_every_entry_is_keyed_by_its_name_and_has_its_script() -> None:
    for name, app in BUILTIN_APPS.items():
        assert app.name == name
        assert (APPS_DIR / app.script).is_file(), app.script


def test_every_jvm_class_has_its_java_source() -> None:
    for app in BUILTIN_APPS.values():
        if app.jvm_class:
            assert (JVM_HELPER_SRC / (app.jvm_class.replace(".", "/") + ".java")).is_file()


def test_entries_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        BUILTIN_APPS["sum"].stateful = False  # type: ignore[misc]


def test_traits_select_the_apps_that_have_them() -> None:
    assert apps_where(structured=True) == ["stateless_sum", "sum", "global_sum", "global_histogram"]
    assert apps_where(jvm_class=True) == list(BUILTIN_APPS)
    assert apps_where(jvm_class=True, window=None) == apps_where(structured=True)
    assert apps_where(window="count") == ["count_sliding_window", "count_tumbling_window"]
    assert apps_where(window=True) == [*apps_where(window="count"), *apps_where(window="time")]
    assert apps_where(stateful=False) == ["stateless_sum"]


def test_the_manifest_reference_lists_every_app_from_the_registry() -> None:
    text = reference()
    description = Workload.model_fields["app"].description or ""
    for app in BUILTIN_APPS.values():
        assert app.summary in description
        assert app.name in text


def test_a_summary_says_what_the_app_is() -> None:
    app = BuiltinApp("x", "x.py", window="time", stateful=True)
    assert app.summary == "x (stateful, time window)"
