"""The timing harness shared by the PyTorch counterparts in bench/ (the C++ side's is
bench/bench_common.hpp): environment knobs, median timing, and the JSON line that
bench/compare_pytorch.py pairs with metagrad's."""

from __future__ import annotations

import json
import math
import os
import statistics
import time

_WORKLOADS = [w for w in os.environ.get('BENCH_WORKLOADS', '').split(',') if w]


def env_int(name: str, default: int, minimum: int = 1) -> int:
    """The integer in environment variable `name` when it is >= minimum, else `default`."""
    try:
        value = int(os.environ.get(name, ''))
    except ValueError:
        return default
    return value if value >= minimum else default


THREADS = env_int('BENCH_THREADS', 2)


def wanted(workload: str) -> bool:
    """True when BENCH_WORKLOADS is unset/empty or lists `workload`."""
    return not _WORKLOADS or workload in _WORKLOADS


def blas_library() -> str:
    """"openblas" when PyTorch mapped OpenBLAS (libopenblas0-openmp), else the BLAS it mapped."""
    try:
        with open('/proc/self/maps') as f:
            libs = {os.path.realpath(line.split()[-1]) for line in f if 'blas' in line}
    except OSError:
        return '?'
    if any('openblas' in p for p in libs):
        return 'openblas'
    return ','.join(sorted(os.path.basename(p) for p in libs)) or 'none'


def measure(body, warmup: int, iters: int, setup=None) -> dict:
    """Runs setup() (untimed, when given) then body() (timed) warmup + iters times; milliseconds
    of wall time and of process CPU time (all threads; robust to a loaded machine)."""
    wall, cpu = [], []
    for i in range(warmup + iters):
        if setup is not None:
            setup()
        c0 = time.process_time()
        t0 = time.perf_counter()
        body()
        t1 = time.perf_counter()
        c1 = time.process_time()
        if i >= warmup:
            wall.append((t1 - t0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    return {'median_ms': statistics.median(wall), 'min_ms': min(wall),
            'cpu_median_ms': statistics.median(cpu), 'iters': iters}


def emit_json(workload: str, timing: dict, gemm: str, **extra) -> None:
    """Prints one PyTorch result as a JSON line (extra keys appended)."""
    record = {'workload': workload, 'impl': 'pytorch', 'threads': THREADS,
              'median_ms': round(timing['median_ms'], 6), 'min_ms': round(timing['min_ms'], 6),
              'cpu_median_ms': round(timing['cpu_median_ms'], 6), 'iters': timing['iters'],
              'gemm': gemm}
    record.update(extra)
    print(json.dumps(record), flush=True)


def wave(shape, phase: float, scale: float):
    """float32 values sin(0.37 i + phase) * scale in row-major order, as bench/wave_fill.hpp."""
    import torch
    n = math.prod(shape)
    values = torch.tensor([math.sin(0.37 * i + phase) * scale for i in range(n)],
                          dtype=torch.float64)
    return values.to(torch.float32).reshape(shape)


def mean_square_workload(name: str, inputs, f, warmup: int, iters: int) -> None:
    """Times forward + backward of mean(f(*inputs)**2) (each input's gradient cleared first) and
    emits the loss, unless BENCH_WORKLOADS leaves `name` out (bench/mean_square_workload.hpp)."""
    if not wanted(name):
        return
    result = {}

    def body():
        for t in inputs:
            t.grad = None
        y = f(*inputs)
        loss = (y * y).mean()
        loss.backward()
        result['loss'] = loss.item()

    timing = measure(body, warmup, iters)
    emit_json(name, timing, blas_library(), loss=float(f"{result['loss']:.7g}"))
