"""PyTorch counterpart of bench/engine_overhead.cpp: the same workloads, one JSON line each.

Workloads (float32; 1-element tensors of shape [1] for the first three), timed in Python because
that is what a PyTorch user pays:
  op_grad        c = a * b + a with a, b requiring grad (2 ops per step), recording on
  op_nograd      the same under torch.no_grad()
  backward_node  torch.autograd.grad through a chain of 1000 nodes (x = x * s, x = x + t
                 alternately; only the leaf at the start requires grad), chain built untimed
  mlp_fwd_nograd MLP 784-256-256-10 forward (loss) only, without recording, batch 64
  mlp_fwd_bwd    forward + torch.autograd.grad of the loss w.r.t. the 6 parameters
  mlp_hvp        forward, g = grad(loss, params, create_graph=True), grad(sum_i <g_i, v_i>, params)
The loss uses the same math as the C++ side: logits - logsumexp(logits, 1, keepdim=True), times a
one-hot mask, summed and divided by the batch size. With BENCH_IDIOMATIC=1 two extra rows time
the same MLP written the usual PyTorch way (F.linear + F.cross_entropy): mlp_fwd_bwd_idiomatic and
mlp_hvp_idiomatic, compared against metagrad's mlp_fwd_bwd / mlp_hvp.

Usage: /usr/bin/python3 bench/engine_overhead.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (50) timed MLP iterations; BENCH_REPEATS (11)
timed repeats of the per-op loops; BENCH_WORKLOADS (all) comma-separated subset of workload names.
"""

from __future__ import annotations

import os
import sys

import torch

from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted
import torch.nn.functional as F

OP_STEPS = 10000  # steps of `a * b + a` per timed repeat (2 ops each)
CHAIN_NODES = 1000
BATCH = 64
CLASSES = 10
SIZES = (784, 256, 256, 10)


ITERS = env_int('BENCH_ITERS', 50)
REPEATS = env_int('BENCH_REPEATS', 11)
IDIOMATIC = os.environ.get('BENCH_IDIOMATIC', '0') not in ('', '0')


def emit(workload: str, timing: dict, **extra) -> None:
    emit_json(workload, timing, GEMM, **extra)


def emit_per_op(workload: str, timing: dict, ops_per_iter: int) -> None:
    emit(workload, timing, ops_per_iter=ops_per_iter,
         ns_per_op=round(timing['median_ms'] * 1e6 / ops_per_iter, 2),
         cpu_ns_per_op=round(timing['cpu_median_ms'] * 1e6 / ops_per_iter, 2))


def bench_ops() -> None:
    a = torch.full((1,), 1.5, requires_grad=True)
    b = torch.full((1,), 0.5, requires_grad=True)

    def step_loop():
        for _ in range(OP_STEPS):
            a * b + a  # the result (and its graph) is freed at once, as in the C++ loop

    if wanted('op_grad'):
        emit_per_op('op_grad', measure(step_loop, 2, REPEATS), 2 * OP_STEPS)
    if wanted('op_nograd'):
        with torch.no_grad():
            emit_per_op('op_nograd', measure(step_loop, 2, REPEATS), 2 * OP_STEPS)
    if wanted('backward_node'):
        x0 = torch.full((1,), 1.0, requires_grad=True)
        s = torch.full((1,), 0.999)
        t = torch.full((1,), 0.001)
        seed = torch.ones(1)
        chain = {}

        def build():
            chain.pop('out', None)  # frees the previous graph outside the timing
            x = x0
            for _ in range(CHAIN_NODES // 2):
                x = x * s + t
            chain['out'] = x

        def run():
            torch.autograd.grad([chain['out']], [x0], [seed])

        emit_per_op('backward_node', measure(run, 3, 3 * REPEATS, setup=build), CHAIN_NODES)


class Mlp:
    """MLP 784-256-256-10, Linear = x W^T + b, ReLU between; PyTorch's default Linear init."""

    def __init__(self) -> None:
        self.params = []
        for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
            bound = 1.0 / fan_in**0.5
            w = (torch.rand(fan_out, fan_in) * 2.0 - 1.0) * bound
            bias = (torch.rand(fan_out) * 2.0 - 1.0) * bound
            self.params += [w.requires_grad_(True), bias.requires_grad_(True)]
        self.x = torch.randn(BATCH, SIZES[0])
        self.labels = torch.tensor([(i * 7 + 3) % CLASSES for i in range(BATCH)])
        self.onehot = F.one_hot(self.labels, CLASSES).to(torch.float32)

    def loss(self) -> torch.Tensor:
        """The same primitive ops as the C++ side."""
        h = self.x
        for layer in range(3):
            h = torch.matmul(h, self.params[2 * layer].t()) + self.params[2 * layer + 1]
            if layer < 2:
                h = torch.relu(h)
        logp = h - torch.logsumexp(h, 1, keepdim=True)
        return -(logp * self.onehot).sum() / BATCH

    def loss_idiomatic(self) -> torch.Tensor:
        """What a PyTorch user would write (fused linear and cross-entropy kernels)."""
        h = self.x
        for layer in range(3):
            h = F.linear(h, self.params[2 * layer], self.params[2 * layer + 1])
            if layer < 2:
                h = F.relu(h)
        return F.cross_entropy(h, self.labels)


def hvp(loss_fn, params, v):
    g = torch.autograd.grad(loss_fn(), params, create_graph=True)
    gv = (g[0] * v[0]).sum()
    for gi, vi in zip(g[1:], v[1:]):
        gv = gv + (gi * vi).sum()
    return torch.autograd.grad(gv, params)


def bench_mlp() -> None:
    if not any(wanted(w) for w in ('mlp_fwd_nograd', 'mlp_fwd_bwd', 'mlp_hvp')):
        return
    mlp = Mlp()
    loss0 = round(float(mlp.loss()), 6)
    warmup = 5
    if wanted('mlp_fwd_nograd'):
        def fwd():
            with torch.no_grad():
                mlp.loss()

        emit('mlp_fwd_nograd', measure(fwd, warmup, ITERS), loss=loss0)
    variants = [('', mlp.loss)] + ([('_idiomatic', mlp.loss_idiomatic)] if IDIOMATIC else [])
    if wanted('mlp_fwd_bwd'):
        for suffix, loss_fn in variants:
            timing = measure(lambda f=loss_fn: torch.autograd.grad(f(), mlp.params), warmup, ITERS)
            extra = {'compare_to': 'mlp_fwd_bwd'} if suffix else {}
            emit('mlp_fwd_bwd' + suffix, timing, loss=loss0, **extra)
    if wanted('mlp_hvp'):
        v = [torch.randn(p.shape) for p in mlp.params]
        for suffix, loss_fn in variants:
            hv_norm = round(float(sum((h * h).sum() for h in hvp(loss_fn, mlp.params, v)) ** 0.5), 6)
            timing = measure(lambda f=loss_fn: hvp(f, mlp.params, v), warmup, ITERS)
            extra = {'compare_to': 'mlp_hvp'} if suffix else {}
            emit('mlp_hvp' + suffix, timing, loss=loss0, hv_norm=hv_norm, **extra)


torch.set_num_threads(THREADS)
torch.manual_seed(0)
GEMM = blas_library()


def main() -> int:
    bench_ops()
    bench_mlp()
    return 0


if __name__ == '__main__':
    sys.exit(main())
