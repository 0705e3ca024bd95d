"""PyTorch counterpart of bench/optim_step.cpp: one Adam step over 10M float32 parameters split
into 100 tensors of 100,000, one JSON line per workload (the same schema).

Workloads (lr 1e-3, default betas and eps, under torch.no_grad):
  adam_step          torch.optim.Adam(foreach=True).step()
  adam_step_unfused  the op sequence of TorchOpt's scale_by_adam + scale(-lr) + apply_updates in
                     place, in torch ops, one tensor at a time as TorchOpt's tree_map runs it:
                     mu.mul_(b1).add_(g, alpha=1-b1); nu.mul_(b2).addcmul_(g, g, value=1-b2);
                     u = mu.div(bc1).div_(nu.div(bc2).add_(eps_root).sqrt_().add(eps));
                     u.mul_(-lr); p.add_(u)
  copy_bandwidth     dst.copy_(src) of a 10M-float buffer
Every Adam line reports gb_per_s (median time) counting 28 bytes per element (read g; read and
write p, mu, nu), this process's copy bandwidth (8 bytes per element, best of the timed copies as
STREAM reports it) and their ratio fraction_of_copy.

Usage: /usr/bin/python3 bench/optim_step.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed steps; BENCH_WARMUP (3);
BENCH_WORKLOADS (all) comma-separated subset of the workload names.
"""

from __future__ import annotations

import sys

import torch

from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted

TENSORS = 100
PER_TENSOR = 100_000
ELEMENTS = TENSORS * PER_TENSOR
ADAM_BYTES = 28.0 * ELEMENTS
COPY_BYTES = 8.0 * ELEMENTS
LR, B1, B2, EPS, EPS_ROOT = 1e-3, 0.9, 0.999, 1e-8, 0.0


ITERS = env_int('BENCH_ITERS', 20)
WARMUP = env_int('BENCH_WARMUP', 3)


def emit(workload: str, timing: dict, **extra) -> None:
    emit_json(workload, timing, GEMM, **extra)


def problem():
    """100 parameters of 100,000 normal numbers, each with a gradient (normal, scaled by 1e-2)."""
    gen = torch.Generator().manual_seed(1234)
    params = []
    for _ in range(TENSORS):
        p = torch.randn(PER_TENSOR, generator=gen)
        p.grad = torch.randn(PER_TENSOR, generator=gen) * 0.01
        params.append(p)
    return params


def bandwidth_fields(timing: dict, copy_gbps: float, variant: str) -> dict:
    gbps = ADAM_BYTES / (timing['median_ms'] * 1e6)
    return {'variant': variant, 'elements': ELEMENTS, 'tensors': TENSORS,
            'gb_per_s': round(gbps, 3), 'copy_gb_per_s': round(copy_gbps, 3),
            'fraction_of_copy': round(gbps / copy_gbps, 4)}


def bench_torch_adam(copy_gbps: float) -> None:
    params = problem()
    opt = torch.optim.Adam(params, lr=LR, betas=(B1, B2), eps=EPS, foreach=True)
    timing = measure(opt.step, WARMUP, ITERS)
    emit('adam_step', timing,
         **bandwidth_fields(timing, copy_gbps, 'torch.optim.Adam(foreach=True)'))


class TorchOptUnfused:
    """TorchOpt's scale_by_adam + scale(-lr) + apply_updates (inplace=True), op for op."""

    def __init__(self, params) -> None:
        self.params = params
        self.grads = [p.grad for p in params]
        self.mu = [torch.zeros_like(p) for p in params]
        self.nu = [torch.zeros_like(p) for p in params]
        self.count = 0

    @torch.no_grad()
    def step(self) -> None:
        for g, m in zip(self.grads, self.mu):
            m.mul_(B1).add_(g, alpha=1 - B1)
        for g, v in zip(self.grads, self.nu):
            v.mul_(B2).addcmul_(g, g, value=1 - B2)
        self.count += 1
        bc1, bc2 = 1 - B1 ** self.count, 1 - B2 ** self.count
        mu_hat = [m.div(bc1) for m in self.mu]
        nu_hat = [v.div(bc2) for v in self.nu]
        updates = [m.div_(v.add_(EPS_ROOT).sqrt_().add(EPS)) for m, v in zip(mu_hat, nu_hat)]
        for u in updates:
            u.mul_(-LR)
        for p, u in zip(self.params, updates):
            p.add_(u)


def bench_torchopt_unfused(copy_gbps: float) -> None:
    opt = TorchOptUnfused(problem())
    timing = measure(opt.step, WARMUP, ITERS)
    emit('adam_step_unfused', timing,
         **bandwidth_fields(timing, copy_gbps, 'TorchOpt scale_by_adam sequence in torch ops'))


def time_copy() -> dict:
    src = torch.full((ELEMENTS,), 1.5)
    dst = torch.zeros(ELEMENTS)
    return measure(lambda: dst.copy_(src), WARMUP, ITERS)


torch.set_num_threads(THREADS)
GEMM = blas_library()


def main() -> int:
    copy = time_copy()
    copy_gbps = COPY_BYTES / (copy['min_ms'] * 1e6)  # best of the timed copies, as STREAM
    if wanted('copy_bandwidth'):
        emit('copy_bandwidth', copy, variant='torch copy_', elements=ELEMENTS,
             gb_per_s=round(copy_gbps, 3))
    if wanted('adam_step'):
        bench_torch_adam(copy_gbps)
    if wanted('adam_step_unfused'):
        bench_torchopt_unfused(copy_gbps)
    return 0


if __name__ == '__main__':
    sys.exit(main())
