"""The promises of the package's shape: a light import and imports that flow one way."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ba3l"
LAYERS = ["config", "experiment", "run", "observers", "train", "cli"]
HEAVY = ["torch", "lightning", "numpy", "sqlalchemy", "mlflow", "yaml"]

# Deferred imports that cross to a later layer, each taken only at one moment:
# a run starts (experiment -> run), an observer option is used (run -> observers),
# a script declares or builds its trainer (experiment -> train).
ALLOWED_UPWARD = {
    ("experiment", "run"),
    ("run", "observers"),
    ("experiment", "train"),
}


def _imported_after(code: str) -> list[str]:
    script = f"import sys; {code}; import json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_import_ba3l_imports_nothing_heavy():
    modules = _imported_after("import ba3l")
    assert [m for m in HEAVY if m in modules] == []


def test_the_heavy_check_can_see_a_heavy_import():
    # the check above would catch an import: torch is installed in the test environment
    assert "torch" in _imported_after("import ba3l, torch")


def _layer_of(module_path: Path) -> str:
    return module_path.relative_to(SRC).parts[0]


def _ba3l_imports(tree: ast.AST) -> list[tuple[str, bool, bool]]:
    """(layer imported, is module level, is under TYPE_CHECKING) for each ``ba3l.*`` import."""
    found = []

    def visit(node: ast.AST, top: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module]
            elif isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            else:
                names = []
            for name in names:
                parts = name.split(".")
                if parts[0] == "ba3l" and len(parts) > 1:
                    found.append((parts[1], top, typing_only))
            in_function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            is_type_block = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            visit(child, top and not in_function, typing_only or is_type_block)

    visit(tree, True, False)
    return found


def _modules():
    return sorted(p for p in SRC.rglob("*.py") if p.parent != SRC)


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_one_way(module: Path):
    layer = _layer_of(module)
    for imported, top, typing_only in _ba3l_imports(ast.parse(module.read_text())):
        if imported not in LAYERS or typing_only:
            continue
        if LAYERS.index(imported) <= LAYERS.index(layer):
            continue
        assert not top, f"{module.name} imports the later layer ba3l.{imported} at module level"
        assert (layer, imported) in ALLOWED_UPWARD, f"{module.name} reaches ba3l.{imported}"


def test_the_layering_check_sees_an_upward_import():
    tree = ast.parse("from ba3l.run import Run\n\ndef f():\n    from ba3l.cli import main\n")
    assert _ba3l_imports(tree) == [("run", True, False), ("cli", False, False)]


PRINT_CONFIG_SCRIPT = '''
import json, sys
from ba3l import Experiment, Ingredient

data = Ingredient("data")

@data.config
def data_config():
    batch_size = 64  # examples per step

ex = Experiment("light", ingredients=[data])

@ex.config
def config():
    lr = 0.1  # learning rate

@ex.main
def main(lr):
    pass

ex.run_commandline(["print_config", "with", "lr=0.5", "--help"])
ex.run_commandline(["print_config", "with", "lr=0.5"])
print(json.dumps(sorted(sys.modules)))
'''


def test_print_config_and_help_import_nothing_they_do_not_need(tmp_path):
    # (config hooks receive a logger, as in sacred: an experiment with one pays for logging)
    script = tmp_path / "light.py"
    script.write_text(PRINT_CONFIG_SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    modules = json.loads(out.stdout.splitlines()[-1])
    assert [m for m in HEAVY + ["logging", "tempfile", "difflib", "importlib.metadata", "pathlib"] if m in modules] == []
