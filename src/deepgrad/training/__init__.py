"""The fit loop, callbacks, progress display and batching."""
