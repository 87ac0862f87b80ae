"""Edits of a saved file's JSON metadata, for the tests of tampered model files and backups:
each returns a function that changes the metadata dict in place."""

import json


def edit_entry(key, change):
    """Decode the JSON entry ``key``, let ``change`` alter it in place, encode it again."""

    def edit(metadata):
        value = json.loads(metadata[key])
        change(value)
        metadata[key] = json.dumps(value)

    return edit


def set_entry(key, text):
    """Replace the entry ``key`` by ``text`` as it is (JSON or not)."""
    return lambda metadata: metadata.update({key: text})


def drop_entry(key):
    """Delete the entry ``key``."""
    return lambda metadata: metadata.pop(key)
