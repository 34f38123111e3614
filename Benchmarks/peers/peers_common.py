"""Shared by the peer scripts: thread settings, timing, and the JSON record each prints."""

import json
import math
import os
import platform
import resource
import statistics
import sys
import time


def set_threads(threads):
    """Fix the thread count before the libraries start their pools."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)


def import_torch(threads, seed):
    """PyTorch set up as every peer measurement runs it: `threads` intra-op threads (fixed
    before the import starts its pools), one inter-op thread, denormals flushed like Crema's
    (a loss driven to 0 otherwise slows every layer), and a seeded generator."""
    set_threads(threads)
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    return torch


def timed(fn, repeat, warmup=1):
    """Milliseconds of each of `repeat` calls of fn, after `warmup` untimed calls.
    fn returns a value (a loss, an output) that the caller checks; the last one is returned."""
    value = None
    for _ in range(warmup):
        value = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, value


def session_for(ort, path, threads):
    """An ONNX Runtime CPU session as every peer measurement runs it: `threads` intra-op
    threads, one inter-op thread, sequential execution, every graph optimisation."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


def emit(record, path=None):
    """Prints the record as one JSON line (and writes it to `path`), adding what every record has."""
    times = record.get("times_ms", [])
    if times:
        med = statistics.median(times)
        record["median_ms"] = med
        record["ms_per_image"] = med / record["batch"]
        record["images_per_second"] = record["batch"] * 1000 / med
    record["peak_rss_bytes"] = peak_rss_bytes()
    record["python"] = platform.python_version()
    record["command"] = [sys.executable] + sys.argv
    text = json.dumps(record, sort_keys=True)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
    print(text)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)
