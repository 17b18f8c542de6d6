"""Entry points described once (issue 17): the bindings declare each public
function's parameters, their kinds, defaults and accepted dtypes, and its
result kind, in one table per family, listed by simdkit._core._entry_points().
The signatures help() shows are made from it; here the type stubs, the
bad-input table and the boundary benchmark's cases are checked against it,
and the table against what the functions do, so that none can drift."""

import ast
import inspect
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import simdkit
from conftest import DISPATCH_FUNCTIONS, public_kernels, skip_under_emulator

TABLE = simdkit._core._entry_points()
REPO = Path(__file__).resolve().parents[2]
STUB = Path(simdkit._core.__file__).with_name("_core.pyi")
DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
          "bfloat16": ml_dtypes.bfloat16, "int8": np.int8, "uint8": np.uint8, "uint16": np.uint16,
          "bool": np.bool_, "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
          "float8_e5m2": ml_dtypes.float8_e5m2}
KINDS = {"array", "array_or_packed", "out", "axis", "axis_or_none", "bool", "metric", "dtype_keyword",
         "count", "threads"}
RESULTS = {"scalar", "scalar_or_array", "array", "arrays", "packed_matrix"}


def parameters(name):
    return TABLE[name]["parameters"]


def literal(default):
    return ast.literal_eval(default)


def test_the_table_lists_every_public_function():
    assert set(TABLE) == public_kernels()
    for name, entry in TABLE.items():
        assert entry["result"] in RESULTS, name
        assert entry["family"] in {"reduce", "distance", "convert", "math"}, name
        for parameter in entry["parameters"]:
            assert parameter["kind"] in KINDS, (name, parameter)
            # Array parameters say what they take; nothing else has dtypes.
            has_dtypes = parameter["kind"] in {"array", "array_or_packed", "out"}
            assert bool(parameter["dtypes"]) == has_dtypes, (name, parameter)
            assert set(parameter["dtypes"]) <= set(DTYPES), (name, parameter)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_signatures_are_the_tables(name):
    """inspect.signature reads the text the table made: the same names,
    kinds and defaults."""
    shown = list(inspect.signature(getattr(simdkit, name)).parameters.values())
    assert [p.name for p in shown] == [p["name"] for p in parameters(name)]
    for shown_parameter, parameter in zip(shown, parameters(name)):
        kind = inspect.Parameter.KEYWORD_ONLY if parameter["keyword_only"] else \
            inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert shown_parameter.kind == kind, (name, parameter)
        if parameter["default"] is None:
            assert shown_parameter.default is inspect.Parameter.empty, (name, parameter)
        else:
            assert shown_parameter.default == literal(parameter["default"]), (name, parameter)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_the_table_is_what_the_function_does(name):
    """Each parameter's default is what omitting it does, keyword-only
    parameters refuse positions, and the first array parameter takes each of
    its dtypes and refuses the others, as the table says."""
    function = getattr(simdkit, name)
    table = parameters(name)
    positional = sum(not p["keyword_only"] for p in table)
    required = sum(p["default"] is None for p in table)
    with pytest.raises(TypeError, match=rf"simdkit\.{name}\(\) takes"):
        function(*([None] * (positional + 1)))
    if required:
        with pytest.raises(TypeError, match=rf"simdkit\.{name}\(\) missing required argument "
                                            rf"'{table[0]['name']}'"):
            function()
    first = table[0]
    for dtype_name, dtype in DTYPES.items():
        if dtype_name in first["dtypes"]:
            continue
        with pytest.raises(TypeError, match=rf"argument '{first['name']}' must have dtype"):
            function(np.ones((2, 3), dtype), *valid_rest(name, np.ones((2, 3), np.float32)))


def valid_rest(name, first):
    """Arguments after the first that make a valid call with `first`."""
    return {"dot": (first,), "distance": (first, "euclidean"), "paired": (first, "euclidean"),
            "cdist": (first,), "pdist": ("euclidean",), "topk": (first, 1, "euclidean"),
            "dequantize_int8": (np.ones(2, np.float32),), "atan2": (first,), "hypot": (first,),
            "power": (first,)}.get(name, ())


def stub_functions():
    """The stub's functions: name -> every definition (overloads included)."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    functions = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions.setdefault(node.name, []).append(node)
    return functions


def test_the_stub_has_the_table_functions_and_no_others():
    kernels = {name for name in stub_functions() if not name.startswith("_")} - DISPATCH_FUNCTIONS
    assert kernels == set(TABLE)


# What a parameter of each kind must be annotated with (a fragment of the
# annotation's text), so that a type checker takes what the function takes.
ANNOTATED = {"out": "None", "dtype_keyword": "None", "threads": "None", "metric": "Metric",
             "array_or_packed": "PackedMatrix", "axis": "int", "count": "int", "bool": "bool"}
RETURNS = {"arrays": "tuple", "packed_matrix": "PackedMatrix"}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_the_stub_matches_the_table(name):
    definitions = stub_functions()[name]
    for definition in definitions:
        args = definition.args
        assert not args.vararg and not args.kwarg and not args.posonlyargs, name
        declared = [(a, False) for a in args.args] + [(a, True) for a in args.kwonlyargs]
        assert [a.arg for a, _ in declared] == [p["name"] for p in parameters(name)], name
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults) + \
            list(args.kw_defaults)
        for (arg, keyword_only), default, parameter in zip(declared, defaults, parameters(name)):
            assert keyword_only == parameter["keyword_only"], (name, parameter)
            if parameter["default"] is None:
                assert default is None, (name, parameter)
            elif default is not None:
                assert ast.literal_eval(default) == literal(parameter["default"]), (name, parameter)
            else:  # an overload may narrow a parameter to what a given value selects
                assert len(definitions) > 1, (name, parameter)
            if parameter["kind"] in ANNOTATED and len(definitions) == 1:
                assert ANNOTATED[parameter["kind"]] in ast.unparse(arg.annotation), (name, parameter)
        if entry_result(name) in RETURNS:
            assert RETURNS[entry_result(name)] in ast.unparse(definition.returns), name
    # Overloads together take None for an axis that takes it.
    for parameter in parameters(name):
        if parameter["kind"] == "axis_or_none":
            annotations = [ast.unparse(a.annotation) for d in definitions for a in d.args.args
                           if a.arg == parameter["name"]]
            assert any("None" in text for text in annotations) and any("int" in text for text in annotations)


def entry_result(name):
    return TABLE[name]["result"]


def test_the_bad_input_table_is_made_from_the_table():
    """test_bad_input.SPECS takes its array arguments, their accepted dtypes,
    required parameters, threads= and axis= from the table; out='s message
    may only name dtypes the table's out parameter takes."""
    import test_bad_input
    assert set(test_bad_input.SPECS) == set(TABLE)
    for name, spec in test_bad_input.SPECS.items():
        arrays = {p["name"]: p for p in parameters(name) if p["kind"] in {"array", "array_or_packed"}}
        assert list(spec.arrays) == list(arrays), name
        out = [p for p in parameters(name) if p["kind"] == "out"]
        assert (spec.out is not None) == bool(out), name
        if out:
            named = set(spec.out.replace(",", " ").replace(" or ", " ").split())
            assert named <= set(out[0]["dtypes"]), (name, spec.out)


@skip_under_emulator
def test_the_boundary_cases_pass_what_the_table_accepts(monkeypatch):
    """Every boundary case (benchmarks/perfreport/boundary.py) calls its
    function with arrays of dtypes the table accepts, and the floor it is
    held to is its result kind's."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from perfreport import boundary, cases
    assert set(boundary.FUNCTIONS) == set(TABLE)
    inputs = cases.Inputs()
    for name, build in boundary.FUNCTIONS.items():
        table = parameters(name)
        for case in build(16, inputs):
            given = dict(zip((p["name"] for p in table), case.simdkit.args)) | dict(case.simdkit.kwargs)
            for parameter in table:
                value = given.get(parameter["name"])
                if isinstance(value, np.ndarray):
                    assert value.dtype.name in parameter["dtypes"], (name, parameter["name"], value.dtype)
            result = case.simdkit()
            kind = entry_result(name)
            if kind == "scalar":
                assert isinstance(result, np.generic), name
            elif kind in {"array", "arrays", "packed_matrix"}:
                assert not isinstance(result, np.generic), name
