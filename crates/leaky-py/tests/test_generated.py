"""The generated functions and stubs: current with the catalogue, and in step with the runtime."""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path

import pytest

import leaky

CRATE = Path(__file__).resolve().parents[1]
INSTALLED = Path(leaky.__file__).parent


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", CRATE / "tools" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_files_are_what_the_generator_writes():
    for path, text in load_generator().generate().items():
        assert path.read_text() == text, f"{path.name} is out of date: run python tools/generate.py"


@pytest.mark.parametrize("name", ["py.typed", "_leaky.pyi", "_functions.pyi", "_functions.py"])
def test_the_package_ships_its_stubs(name):
    assert (INSTALLED / name).is_file()


def stub_functions(path: Path) -> dict[str, list[ast.FunctionDef]]:
    functions: dict[str, list[ast.FunctionDef]] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            functions.setdefault(node.name, []).append(node)
    return functions


def parameter_names(node: ast.FunctionDef) -> list[str]:
    args = node.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def test_function_stubs_match_the_runtime_signatures():
    stubs = stub_functions(INSTALLED / "_functions.pyi")
    assert sorted(stubs) == sorted(leaky._functions.__all__)
    for name, overloads in stubs.items():
        runtime = list(inspect.signature(getattr(leaky, name)).parameters)
        for node in overloads:
            assert parameter_names(node) == runtime, name
        assert ast.get_docstring(overloads[0]), name


def test_native_stub_covers_the_native_module():
    stubs = stub_functions(INSTALLED / "_leaky.pyi")
    tree = ast.parse((INSTALLED / "_leaky.pyi").read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    native = leaky._leaky
    for name in dir(native):
        obj = getattr(native, name)
        if inspect.isbuiltin(obj):
            assert name in stubs, name
            runtime = [p for p in inspect.signature(obj).parameters if p not in ("args", "kwargs")]
            assert parameter_names(stubs[name][0]) == runtime, name
    methods = {
        node.name for node in classes["Activation"].body if isinstance(node, ast.FunctionDef)
    }
    public = {m for m in dir(leaky.Activation) if not m.startswith("_")}
    assert public <= methods
