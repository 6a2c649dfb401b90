"""How web and worker processes open ONNX Runtime sessions: one place for the serving options.

A worker runs its models one after another (detector, fast reader, general model, numeric model),
never two at once on its one core, so they draw on one CPU arena registered once per process
instead of an arena each: the chunks the detector freed serve the recogniser next. Reading the
sample lines with the fast reader and the general model peaked at 199 MB instead of 216 MB, at the
same speed (an arena extended by requested sizes fragments and peaked at 295 MB; no arena at all
costs 7-12 % more time a line, and glibc's heap then fragments: 500 MB on the end-to-end bills).

Memory patterns are off: ONNX Runtime plans one block per input shape it sees, and lines come in
every width, so the arena kept growing by pattern blocks (a worker through the 45 end-to-end
bills peaked at 360 MB with them, 320 MB without, at the same speed). Imports onnxruntime only,
never torch.
"""

from __future__ import annotations

import threading
from pathlib import Path

import onnxruntime as ort

_lock = threading.Lock()
_registered = False


def serving_session(path: str | Path, *, threads: int = 1) -> ort.InferenceSession:
    """A CPU session with ``threads`` intra-op threads, no spinning, on the process's arena."""
    options = ort.SessionOptions()
    # One worker process per core is the deployment unit: no thread pools beyond ``threads``.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.use_env_allocators", "1")
    _register_shared_arena()
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _register_shared_arena() -> None:
    global _registered
    with _lock:
        if _registered:
            return
        info = ort.OrtMemoryInfo(
            "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
        )
        # No limit, extended by powers of two (ONNX Runtime's default), default chunk sizes.
        ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, 0, -1, -1))
        _registered = True
