"""The safetensors format, read and written with NumPy alone.

A file is an 8-byte little-endian header length N, N bytes of JSON describing each
tensor (dtype, shape, byte offsets) plus a ``__metadata__`` map of strings, then the raw
little-endian bytes. Nothing in it can execute code. The format is small enough that
deepgrad writes it itself and keeps NumPy its only dependency; the tests check
compatibility against the ``safetensors`` package. Spec: https://github.com/huggingface/safetensors

Reading validates everything before returning; writing goes to a temporary file that
replaces the target only when complete, so a crash mid-save leaves the old file intact.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import tempfile
from pathlib import Path

import numpy as np

DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U64": np.uint64,
    "U32": np.uint32,
    "U16": np.uint16,
    "U8": np.uint8,
    "BOOL": np.bool_,
}
_CODES = {np.dtype(v): k for k, v in DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024


class CorruptFileError(ValueError):
    """The file is not a valid safetensors file (truncated, tampered or not one at all)."""


def encode(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    header: dict = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    chunks, offset = [], 0
    for name in sorted(tensors):
        array = np.asarray(tensors[name])  # tobytes() writes C order; keeps 0-d arrays 0-d
        if array.dtype not in _CODES:
            raise TypeError(f"safetensors: cannot store {name!r} of dtype {array.dtype}")
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": _CODES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # align the data to 8 bytes, as the reference writer does
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def decode(blob: bytes, source: str = "file") -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse and fully validate a safetensors blob; raise CorruptFileError on any defect."""
    if len(blob) < 8:
        raise CorruptFileError(f"{source}: too short to be a safetensors file ({len(blob)} bytes)")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > min(_MAX_HEADER, len(blob) - 8):
        raise CorruptFileError(
            f"{source}: header length {size} exceeds the file (truncated or not safetensors)"
        )
    try:
        header = json.loads(blob[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptFileError(f"{source}: the header is not valid JSON: {error}") from None
    if not isinstance(header, dict):
        raise CorruptFileError(f"{source}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CorruptFileError(f"{source}: __metadata__ must map strings to strings")
    data = memoryview(blob)[8 + size :]
    tensors, spans = {}, []
    for name, entry in header.items():
        tensors[name] = _tensor(name, entry, data, source)
        spans.append(tuple(entry["data_offsets"]))
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            raise CorruptFileError(f"{source}: tensor data overlaps or leaves gaps at byte {begin}")
        position = end
    if position != len(data):
        raise CorruptFileError(
            f"{source}: {len(data) - position} bytes of data are not described "
            "(truncated or tampered)"
        )
    return tensors, metadata


def _tensor(name: str, entry: object, data: memoryview, source: str) -> np.ndarray:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CorruptFileError(f"{source}: malformed entry for tensor {name!r}")
    dtype = DTYPES.get(entry["dtype"])
    shape, offsets = entry["shape"], entry["data_offsets"]
    if dtype is None:
        raise CorruptFileError(f"{source}: tensor {name!r} has unknown dtype {entry['dtype']!r}")
    if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise CorruptFileError(f"{source}: tensor {name!r} has an invalid shape {shape!r}")
    if not (
        isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
    ):
        raise CorruptFileError(f"{source}: tensor {name!r} has invalid offsets {offsets!r}")
    begin, end = offsets
    expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if not 0 <= begin <= end <= len(data) or end - begin != expected:
        raise CorruptFileError(
            f"{source}: tensor {name!r} needs {expected} bytes at {offsets}, which the file "
            f"does not hold (truncated or tampered)"
        )
    little = np.dtype(dtype).newbyteorder("<")
    return np.frombuffer(data[begin:end], dtype=little).astype(dtype).reshape(shape)


def _default_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the process's umask (a temporary
    file is made 0o600, which would otherwise stay on the renamed file)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike, blob: bytes) -> None:
    """Write ``blob`` to ``path`` via a temporary file and an atomic rename. A file written
    over keeps its mode (a private checkpoint stays private) and a symbolic link its target
    (the file it points to is written); a new file gets the mode any other new file would
    (0o644 under the usual umask)."""
    path = Path(os.path.realpath(path))  # through a link, to the file it names
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give the file to write a name")
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else _default_file_mode()
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        dir=directory, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def save_file(
    tensors: dict[str, np.ndarray], path: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    write_atomic(path, encode(tensors, metadata))


# The first bytes of the files a safetensors file is most often mistaken for: named when
# one fails to decode (a safetensors file's first 8 bytes are a length: any bytes may start it)
_OTHER_FORMATS = {
    b"PK\x03\x04": "a zip archive (a Keras .keras file, a PyTorch .pt file?)",
    b"\x89HDF\r\n\x1a\n": "an HDF5 file (a Keras .h5 or .weights.h5 file?)",
}


def load_file(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a file deepgrad saved")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    blob = path.read_bytes()
    try:
        return decode(blob, str(path))
    except CorruptFileError:
        for magic, what in _OTHER_FORMATS.items():
            if blob.startswith(magic):
                raise CorruptFileError(
                    f"{path}: {what}, not a safetensors file; deepgrad reads only the files "
                    "it writes (model.save, save_weights), not Keras' or PyTorch's formats"
                ) from None
        raise
