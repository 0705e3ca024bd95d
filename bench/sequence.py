"""PyTorch counterpart of bench/sequence.cpp: recurrent layers and order statistics, one JSON line
per workload with the same schema.

Workloads (float32): lstm_fwd_bwd and gru_fwd_bwd (torch.nn.LSTM / GRU(64, 128, num_layers=2)
over 50 steps of a batch of 32, forward and backward of mean(output**2)), sort_64x4096,
topk10_64x4096 and quantile_64x4096 (q 0.3, dim 1). Inputs and parameters are the
sin(0.37 i + phase) fills of the C++ side, so the checksums agree to float32 rounding.

Usage: /usr/bin/python3 bench/sequence.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed calls; BENCH_WARMUP (3);
BENCH_WORKLOADS (all) comma-separated subset of the workload names.
"""

from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import (THREADS, blas_library, emit_json, env_int, measure,  # noqa: E402
                          wanted, wave)

ITERS = env_int('BENCH_ITERS', 20)
WARMUP = env_int('BENCH_WARMUP', 3, minimum=0)


def recurrent_workload(name: str, layer: torch.nn.Module) -> None:
    with torch.no_grad():
        for k, p in enumerate(layer.parameters()):
            p.copy_(wave(list(p.shape), 0.1 * k, 0.08))
    x = wave([50, 32, 64], 0.5, 1.0).requires_grad_()
    result = {}

    def body():
        out, _ = layer(x)
        loss = (out * out).mean()
        loss.backward()
        result['loss'] = loss.item()

    timing = measure(body, WARMUP, ITERS)
    emit_json(name, timing, blas_library(), loss=float(f"{result['loss']:.7g}"))


def main() -> int:
    torch.set_num_threads(THREADS)
    if wanted('lstm_fwd_bwd'):
        recurrent_workload('lstm_fwd_bwd', torch.nn.LSTM(64, 128, num_layers=2))
    if wanted('gru_fwd_bwd'):
        recurrent_workload('gru_fwd_bwd', torch.nn.GRU(64, 128, num_layers=2))
    v = wave([64, 4096], 0.2, 1.0)
    result = {}

    def sort_body():
        values, _ = torch.sort(v, dim=1)
        result['checksum'] = values[:, 0].sum().item()

    def topk_body():
        values, _ = torch.topk(v, 10, dim=1)
        result['checksum'] = values.sum().item()

    def quantile_body():
        result['checksum'] = torch.quantile(v, 0.3, dim=1).sum().item()

    for name, body in (('sort_64x4096', sort_body), ('topk10_64x4096', topk_body),
                       ('quantile_64x4096', quantile_body)):
        if wanted(name):
            timing = measure(body, WARMUP, ITERS)
            emit_json(name, timing, blas_library(), checksum=float(f"{result['checksum']:.7g}"))
    return 0


if __name__ == '__main__':
    sys.exit(main())
