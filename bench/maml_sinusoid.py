"""PyTorch counterpart of bench/maml_sinusoid.cpp: one sinusoid MAML meta-training step, one JSON line.

The MAML paper's sinusoid regression written with plain PyTorch, functionally: the 1-40-40-1 ReLU
MLP (F.linear / F.relu) is a function of its parameter list; each of the 5 inner steps per task is
torch.autograd.grad(support MSE, fast weights, create_graph=True) and fast = p - 0.01 * g. Per task
the query MSE is backward()ed (meta-gradients accumulate into the initial parameters' .grad); then
one torch.optim.Adam(lr=1e-3) step. The same computation as the C++ side's MetaSGD +
extract_state_dict / recover_state_dict loop. 25 tasks of 10 support and 10 query points.

Parameters and points are the deterministic fills of bench/maml_sinusoid.cpp (the integer hash of
bench/maml_omniglot.py), so meta_loss (mean query loss of the first meta-step) and meta_grad_norm
agree with metagrad's to float32 rounding.

Workload: sinusoid_step_25tasks.
Usage: /usr/bin/python3 bench/maml_sinusoid.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed meta-steps; BENCH_WARMUP (2) untimed
meta-steps after the first (checked) one; BENCH_WORKLOADS (all) comma-separated subset of the
workload names.
"""

from __future__ import annotations

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted  # noqa: E402
import maml_omniglot as omniglot  # noqa: E402

TASKS = 25
POINTS = 10
INNER_STEPS = 5
INNER_LR = 0.01
OUTER_LR = 1e-3


def hash_unit(k: torch.Tensor, tag: int) -> torch.Tensor:
    """u(k, tag) in [-1, 1) as float64, the C++ side's hash_unit."""
    return omniglot.hash32(k, tag).to(torch.float64) / 2147483648.0 - 1.0


def sine_points(tag: int) -> tuple[torch.Tensor, torch.Tensor]:
    """x in [-5, 5) and y = A sin(x - phase) per task, [TASKS, POINTS, 1] each, as the C++ side."""
    k = torch.arange(TASKS * POINTS, dtype=torch.int64)
    task = torch.arange(TASKS, dtype=torch.int64).repeat_interleave(POINTS)
    amplitude = 2.55 + 2.45 * hash_unit(task, 202)
    phase = math.pi / 2.0 * (1.0 + hash_unit(task, 203))
    x = (5.0 * hash_unit(k, tag)).to(torch.float32).to(torch.float64)
    y = amplitude * torch.sin(x - phase)
    shape = (TASKS, POINTS, 1)
    return x.to(torch.float32).reshape(shape), y.to(torch.float32).reshape(shape)


def make_params() -> list[torch.Tensor]:
    """The MLP's parameters, uniform_filled(shape, t, 1 / sqrt(fan_in)) as the C++ side."""
    shapes = [(40, 1), (40,), (40, 40), (40,), (1, 40), (1,)]
    params, fan_in = [], 1
    for tag, shape in enumerate(shapes):
        if len(shape) > 1:
            fan_in = shape[1]
        params.append(omniglot.uniform_filled(shape, tag, 1.0 / math.sqrt(fan_in)).requires_grad_())
    return params


def mlp(params, x: torch.Tensor) -> torch.Tensor:
    x = F.relu(F.linear(x, params[0], params[1]))
    x = F.relu(F.linear(x, params[2], params[3]))
    return F.linear(x, params[4], params[5])


class Problem:
    def __init__(self) -> None:
        self.params = make_params()
        self.meta_opt = torch.optim.Adam(self.params, lr=OUTER_LR)
        self.x_spt, self.y_spt = sine_points(200)
        self.x_qry, self.y_qry = sine_points(201)

    def meta_step(self) -> float:
        """One meta-step; returns the mean query loss."""
        self.meta_opt.zero_grad()
        loss_sum = 0.0
        for i in range(TASKS):
            fast = self.params
            for _ in range(INNER_STEPS):
                loss = F.mse_loss(mlp(fast, self.x_spt[i]), self.y_spt[i])
                grads = torch.autograd.grad(loss, fast, create_graph=True)
                fast = [p - INNER_LR * g for p, g in zip(fast, grads)]
            qry_loss = F.mse_loss(mlp(fast, self.x_qry[i]), self.y_qry[i])
            qry_loss.backward()
            loss_sum += qry_loss.item()
        self.meta_opt.step()
        return loss_sum / TASKS

    def grad_norm(self) -> float:
        return math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in self.params))


def main() -> int:
    workload = 'sinusoid_step_25tasks'
    if not wanted(workload):
        return 0
    problem = Problem()
    rss_before = omniglot.current_rss_mb()
    meta_loss = problem.meta_step()  # from the deterministic initialisation
    meta_grad_norm = problem.grad_norm()
    timing = measure(problem.meta_step, env_int('BENCH_WARMUP', 2, minimum=0),
                     env_int('BENCH_ITERS', 20))
    emit_json(workload, timing, blas_library(), device='cpu', tasks=TASKS, k_spt=POINTS,
              k_qry=POINTS, inner_steps=INNER_STEPS, meta_loss=round(meta_loss, 6),
              meta_grad_norm=round(meta_grad_norm, 6), rss_before_mb=round(rss_before, 1),
              peak_rss_mb=round(omniglot.peak_rss_mb(), 1), loadavg=omniglot.load_average())
    return 0


if __name__ == '__main__':
    torch.set_num_threads(THREADS)
    sys.exit(main())
