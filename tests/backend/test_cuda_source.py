"""The CUDA source generated from each optimizer rule (optimizers/cuda_kernels.py), checked
on the CPU: the kernel body is read back into Python, line by line, and run on NumPy arrays;
it must give what the rule's NumPy plan gives, bit for bit, for every rule, every combination
of its flags, in float32 and float64. The preamble's helpers (NumPy's NaN and signed-zero
semantics) are read back too and checked against NumPy on the awkward values. Compiling the
source needs a GPU: tests/gpu/ does that."""

from __future__ import annotations

import re

import numpy as np
import pytest

from deepgrad.optimizers import cuda_kernels
from deepgrad.optimizers.elementwise import Rule
from tests.optimizers.test_elementwise import RULES, _inputs

_FUNCTIONS = {
    "dg_maximum": np.maximum,
    "dg_minimum": np.minimum,
    "dg_sign": np.sign,
    "dg_absolute": np.absolute,
    "dg_sqrt": np.sqrt,
}


def _run_body(operation: str, values: dict) -> dict:
    """Execute the kernel body with NumPy: ``T x = e;`` and ``x = e;`` become ``x = e``."""
    namespace = dict(_FUNCTIONS, **values)
    for line in operation.splitlines():
        match = re.fullmatch(r"(?:T )?(\w+) = ([^;]+);", line)
        assert match, f"not a line the generator writes: {line!r}"
        namespace[match[1]] = eval(match[2], {"__builtins__": {}}, namespace)
    return namespace


def _params(text: str) -> list[str]:
    names = []
    for part in text.split(", "):
        kind, name = part.split(" ")
        assert kind == "T"
        names.append(name)
    return names


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_the_kernel_body_computes_what_the_rule_computes(name, dtype):
    rule: Rule = RULES[name]
    for arrays, scalars in _inputs(rule, dtype, 257, seed=5):
        source = rule.cuda_source(tuple(arrays[1:]) + tuple(scalars))
        inputs, outputs = _params(source.in_params), _params(source.out_params)
        names = list(rule.function.__code__.co_varnames[: rule.function.__code__.co_argcount])
        assert outputs == names[1 : rule.updates + 1]  # the updated arrays, in place
        assert inputs[0] == names[0]
        flags = [
            n
            for n, s in zip(names[rule.updates + 1 :], scalars, strict=True)
            if isinstance(s, bool)
        ]
        assert set(inputs) & set(flags) == set()  # baked in, not passed
        for flag in flags:
            value = scalars[names.index(flag) - rule.updates - 1]
            assert f"_{flag}{int(value)}" in source.name

        values = {n: a.copy() for n, a in zip(names, arrays, strict=False)}
        values.update(
            {
                n: dtype(s)
                for n, s in zip(names[rule.updates + 1 :], scalars, strict=True)
                if not isinstance(s, bool)
            }
        )
        result = _run_body(source.operation, values)

        expected = [a.copy() for a in arrays]
        rule.numpy(*expected, *scalars, scratch={})
        for j, output in enumerate(outputs, start=1):
            got = np.broadcast_to(result[output], expected[j].shape)
            assert got.dtype == dtype, (output, got.dtype)
            np.testing.assert_array_equal(got, expected[j], err_msg=f"{name}: {output}")


def test_the_source_of_adam_reads_as_its_rule():
    adam = RULES["adam"]
    arrays = (np.zeros(2), np.zeros(2), np.zeros(2))
    source = adam.cuda_source((*arrays, 0.1, 0.1, 0.9, 0.1, 1.0, 1e-8))
    assert source.name == "deepgrad_adam"
    assert source.out_params == "T parameter, T m, T v"
    assert source.options == ("--fmad=false",)  # no fused multiply-add: NumPy's roundings
    lines = source.operation.splitlines()
    names = ("parameter", "m", "v")
    assert lines[-3:] == [f"{n} = dg_t{k};" for n, k in zip(names, _last_uses(lines), strict=True)]
    assert "dg_sqrt(" in source.operation


def _last_uses(lines: list[str]) -> list[int]:
    return [int(re.search(r"dg_t(\d+);$", line)[1]) for line in lines[-3:]]


def test_a_reserved_argument_name_is_refused():
    def bad(gradient, parameter, i):
        return parameter - i * gradient

    with pytest.raises(TypeError, match="'i' is reserved in a CUDA kernel"):
        Rule(bad, updates=1).cuda_source((np.zeros(2), 0.1))


def test_the_cupy_executor_is_chosen_only_for_cupy_arrays():
    assert not cuda_kernels.is_cupy(np.zeros(2))

    class FakeCupyArray:
        pass

    FakeCupyArray.__module__ = "cupy._core.core"
    assert cuda_kernels.is_cupy(FakeCupyArray())


# ---- the preamble: C ternaries read back into Python ---------------------------------------


def _ternary(text: str) -> str:
    """C's ``c ? x : y`` (nested, parenthesised) as Python's ``(x if c else y)``."""
    text = text.strip()
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    depth, question = 0, None
    for k, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and char == "?" and question is None:
            question = k
        elif depth == 0 and char == ":" and question is not None:
            condition = text[:question].replace("||", " or ").replace("&&", " and ")
            chosen, other = _ternary(text[question + 1 : k]), _ternary(text[k + 1 :])
            return f"({chosen} if {condition} else {other})"
    return text


def _closing(text: str, start: int) -> int:
    depth = 0
    for k in range(start, len(text)):
        depth += text[k] == "("
        depth -= text[k] == ")"
        if depth == 0:
            return k
    return -1


def _helpers() -> dict:
    body = " ".join(cuda_kernels.PREAMBLE.split())
    found = {}
    for name, arguments, expression in re.findall(
        r"__device__ T (dg_\w+)\(([^)]*)\) \{ return (.*?); \}", body
    ):
        parameters = ", ".join(p.split()[-1] for p in arguments.split(","))
        python = re.sub(r"T\((-?\d+)\)", r"T(\1)", _ternary(expression))
        python = python.replace("fabs(", "abs(").replace("sqrt(", "sqrt(")
        found[name] = eval(
            f"lambda {parameters}: {python}", {"T": float, "abs": abs, "sqrt": np.sqrt}
        )
    return found


def test_the_preamble_helpers_have_numpys_semantics():
    helpers = _helpers()
    assert set(helpers) == set(_FUNCTIONS)
    awkward = [np.nan, -np.nan, 0.0, -0.0, 1.5, -2.5, np.inf, -np.inf]
    for a in awkward:
        for b in awkward:
            for name, ufunc in (("dg_maximum", np.maximum), ("dg_minimum", np.minimum)):
                got, expected = helpers[name](a, b), ufunc(a, b)
                if np.isnan(expected):
                    assert np.isnan(got), (name, a, b)
                elif expected == 0:
                    assert got == 0, (name, a, b)  # NumPy's sign of a zero result varies
                else:
                    assert got == expected, (name, a, b)
        for name in ("dg_sign", "dg_absolute", "dg_sqrt"):
            with np.errstate(invalid="ignore"):
                expected = _FUNCTIONS[name](a)
            got = helpers[name](a)
            assert (np.isnan(got) and np.isnan(expected)) or (
                got == expected and np.signbit(got) == np.signbit(expected)
            ), (name, a, got, expected)
