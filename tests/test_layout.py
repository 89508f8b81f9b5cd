"""The layout shows the architecture, and stays that way: the pipeline never imports
the run loop, the command line or the web pages, and the web pages never the command
line; no module over 400 lines, no function over 60; the
files the README names exist."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [
    ROOT / "pipeline",
    ROOT / "watchers",
    ROOT / "maatwerk",
    ROOT / "web",
    ROOT / "scripts",
    ROOT / "bench",
]


def _modules(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.rglob("*.py"))]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_pipeline_never_imports_the_run_loop_the_command_line_or_the_web():
    wrong = {
        str(p.relative_to(ROOT)): sorted(
            n for n in _imports(p) if n.split(".")[0] in forbidden
        )
        for folder, forbidden in (
            ("pipeline", ("watchers", "maatwerk", "web")),
            ("web", ("watchers", "maatwerk")),
        )
        for p in _modules(ROOT / folder)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_no_module_over_400_lines_and_no_function_over_60():
    long_modules = {
        str(p.relative_to(ROOT)): n
        for p in _modules(*PRODUCT)
        if (n := p.read_text().count("\n")) > 400
    }
    long_functions = [
        f"{p.relative_to(ROOT)}:{node.lineno} {node.name}"
        for p in _modules(*PRODUCT)
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 60
    ]
    assert long_modules == {} and long_functions == []


def test_no_private_name_is_used_from_another_module():
    used = []
    for p in _modules(*PRODUCT):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                used += [
                    f"{p.relative_to(ROOT)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert used == []


def test_every_file_the_readme_names_exists():
    named = set(re.findall(r"`([\w/.-]+\.py)`", (ROOT / "README.md").read_text()))
    files = {
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*.py")
        if ".venv" not in p.parts
    }
    missing = [
        n
        for n in sorted(named)
        if not any(f == n or f.endswith("/" + n) for f in files)
    ]
    assert len(named) > 20 and missing == []
