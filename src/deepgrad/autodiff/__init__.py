"""The automatic-differentiation engine: primitives, the reverse pass, forward mode,
transforms, gradient checks and evaluation traces. It knows nothing of layers."""
