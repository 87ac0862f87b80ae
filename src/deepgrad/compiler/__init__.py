"""Compiled steps: record a function's array calls once, replay them as a flat plan.

See :func:`compile` and ``docs/compile.md``.
"""

from deepgrad.compiler.jit import CompiledFunction, CompileError, compile
from deepgrad.compiler.plan import Plan
from deepgrad.compiler.recorder import record_call

__all__ = ["CompileError", "CompiledFunction", "Plan", "compile", "record_call"]
