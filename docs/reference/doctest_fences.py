"""A griffe extension for the API reference: the ``>>>`` examples of deepgrad's docstrings
(doctests, run by pytest) are shown as Python console code blocks, not as Markdown text."""

from __future__ import annotations

from typing import Any

from griffe import Extension


def fence_doctests(text: str) -> str:
    """Wrap each run of ``>>>``/``...`` lines and their output in a ```pycon fence
    (tested in tests/test_docs_code.py)."""
    lines, out, inside, indent = text.splitlines(), [], False, ""
    for line in lines:
        stripped = line.lstrip()
        if not inside and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and (not stripped or not line.startswith(indent)):
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(Extension):
    """Applies ``fence_doctests`` to every docstring griffe reads."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
