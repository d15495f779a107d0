"""The layout's rules, read from the source with ``ast`` (nothing is imported): the harness never
imports the reports (only the CLI chains a run into a report), the reports read the harness only
through ``harness.results``, ``harness.control`` and ``harness.errors``, the top-level packages
import each other without a cycle, and the harness's top level stays small (stages are subpackages)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from harness.paths import REPO_ROOT

PACKAGES = ("harness", "reports", "apps", "generators")
REPORTS_MAY_IMPORT = ("harness.results", "harness.control", "harness.errors")
MAX_TOP_LEVEL_MODULES = 8


def _modules(package: str, root: Path = REPO_ROOT) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def _imported(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The dotted names an import statement names (``from harness import jvm`` names harness.jvm)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif node.level == 0 and node.module:
        yield node.module
        yield from (f"{node.module}.{alias.name}" for alias in node.names)


def imports(path: Path, module_level_only: bool = False) -> set[str]:
    """What a file imports; with ``module_level_only``, not the imports inside functions (which run
    only when called, so they make no import-time cycle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if module_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.update(_imported(child))
            visit(child)

    visit(tree)
    return found


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def harness_modules_importing_reports(root: Path = REPO_ROOT) -> list[str]:
    cli = root / "harness" / "cli.py"
    return [
        str(path.relative_to(root))
        for path in _modules("harness", root)
        if path != cli and any(_top(name) == "reports" for name in imports(path))
    ]


def reports_imports_outside_results(root: Path = REPO_ROOT) -> list[str]:
    found = []
    for path in _modules("reports", root):
        for name in sorted(imports(path)):
            if _top(name) != "harness" or name == "harness":
                continue
            if not any(name == allowed or name.startswith(allowed + ".") for allowed in REPORTS_MAY_IMPORT):
                found.append(f"{path.relative_to(root)}: {name}")
    return found


def package_graph(root: Path = REPO_ROOT) -> dict[str, set[str]]:
    """Which top-level package imports which, at module level."""
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for package in PACKAGES:
        for path in _modules(package, root):
            for name in imports(path, module_level_only=True):
                if _top(name) in PACKAGES and _top(name) != package:
                    graph[package].add(_top(name))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle as the path that closes it (depth-first, each found once per starting package)."""
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for target in sorted(graph.get(path[-1], ())):
            if target == path[0]:
                found.append([*path, target])
            elif target not in path and target > path[0]:
                walk([*path, target])

    for start in sorted(graph):
        walk([start])
    return found


def top_level_modules(root: Path = REPO_ROOT) -> list[str]:
    return sorted(path.name for path in (root / "harness").glob("*.py"))


def test_only_the_cli_imports_the_reports() -> None:
    assert harness_modules_importing_reports() == []


def test_reports_read_the_harness_only_through_results_control_and_errors() -> None:
    assert reports_imports_outside_results() == []


def test_no_import_cycle_between_the_top_level_packages() -> None:
    graph = package_graph()
    assert graph["harness"] >= {"apps", "generators"}  # the graph is read at all
    assert cycles(graph) == []


def test_the_harness_top_level_stays_small() -> None:
    modules = top_level_modules()
    assert "cli.py" in modules
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_the_checks_see_what_they_forbid(tmp_path: Path) -> None:
    """Each check fails on a tree that breaks its rule."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "harness" / "cli.py").write_text("def main():\n    from reports import builder\n")
    (tmp_path / "harness" / "runner.py").write_text("import reports.builder\n")
    (tmp_path / "reports" / "builder.py").write_text(
        "from harness.run import runner\nfrom harness import errors\n"
    )
    (tmp_path / "apps" / "a.py").write_text("import generators.g\n")
    (tmp_path / "generators" / "g.py").write_text("def lazy():\n    import harness\nfrom apps import a\n")
    for k in range(MAX_TOP_LEVEL_MODULES):
        (tmp_path / "harness" / f"m{k}.py").write_text("")

    assert harness_modules_importing_reports(tmp_path) == ["harness/runner.py"]
    assert reports_imports_outside_results(tmp_path) == [
        "reports/builder.py: harness.run",
        "reports/builder.py: harness.run.runner",
    ]
    assert cycles(package_graph(tmp_path)) == [
        ["apps", "generators", "apps"],
        ["harness", "reports", "harness"],
    ]
    assert len(top_level_modules(tmp_path)) > MAX_TOP_LEVEL_MODULES
