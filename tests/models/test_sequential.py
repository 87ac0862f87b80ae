"""Sequential models: building and the summary table."""

import deepgrad as dg
from deepgrad import layers


def test_summary():
    model = dg.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 4)" in text and "Total params: 26" in text
    lines.clear()
    dg.Sequential([layers.Dense(1)]).summary(print_fn=lines.append)  # as Keras: no error
    assert "0 (unbuilt)" in "\n".join(lines) and "not built yet" in lines[-1]
