"""PyTorch counterpart of bench/checkpoint.cpp: a 20-step MAML inner loop on one 5-way 5-shot
task with the tutorial's convnet (no batch norm) in functional form, plain and with
torch.utils.checkpoint, in the same JSON schema (one child process per workload, so that
peak_rss_mb is the workload's own).

PyTorch cannot checkpoint a whole inner step: a torch.autograd.grad call inside a checkpointed
function fails in both modes (use_reentrant=False: "You are calling backwards on a tensor that is
never exposed"; use_reentrant=True: the reentrant checkpoint does not support autograd.grad). Its
checkpoint_per_step therefore checkpoints what it can, each step's forward and loss, and keeps the
step's recorded gradient graph; the script also reports whether the whole-step checkpoint works
(whole_step_checkpoint: "ok" or the error's first line).
"""

from __future__ import annotations

import math
import os
import sys

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted
import maml_omniglot as omniglot

WAYS, SHOTS, QUERIES, CHANNELS = 5, 5, 15, 64
INNER_LR = 0.1


def initial_parameters() -> list[torch.Tensor]:
    shapes = [(CHANNELS, 1, 3, 3), (CHANNELS,), (CHANNELS, CHANNELS, 3, 3), (CHANNELS,),
              (CHANNELS, CHANNELS, 3, 3), (CHANNELS,), (WAYS, CHANNELS), (WAYS,)]
    fan_in = [9, 9, 576, 576, 576, 576, 64, 64]
    return [omniglot.uniform_filled(shape, tag, 1.0 / math.sqrt(fan_in[tag])).requires_grad_()
            for tag, shape in enumerate(shapes)]


def logits(p, images):
    h = images
    for block in range(3):
        h = F.max_pool2d(F.relu(F.conv2d(h, p[2 * block], p[2 * block + 1])), 2)
    return F.linear(h.flatten(1), p[6], p[7])


def make_batch(per_class: int, tag: int):
    n = WAYS * per_class
    labels = torch.arange(n, dtype=torch.int64) % WAYS
    return omniglot.uniform_filled((n, 1, 28, 28), tag, 1.0), labels


def meta_gradient(params, support, query, inner_steps: int, mode: str):
    def support_loss(*p):
        return F.cross_entropy(logits(p, support[0]), support[1])

    def inner_step(*p):
        g = torch.autograd.grad(support_loss(*p), p, create_graph=True)
        return tuple(pi - INNER_LR * gi for pi, gi in zip(p, g))

    fast = tuple(params)
    for _ in range(inner_steps):
        if mode == 'whole_step':
            fast = checkpoint(inner_step, *fast, use_reentrant=False)
        elif mode == 'forward':
            loss = checkpoint(support_loss, *fast, use_reentrant=False)
            g = torch.autograd.grad(loss, fast, create_graph=True)
            fast = tuple(pi - INNER_LR * gi for pi, gi in zip(fast, g))
        else:
            fast = inner_step(*fast)
    return torch.autograd.grad(F.cross_entropy(logits(fast, query[0]), query[1]), params)


def run_workload(name: str, mode: str) -> None:
    torch.set_num_threads(THREADS)
    inner_steps = env_int('BENCH_INNER_STEPS', 20)
    params = initial_parameters()
    support, query = make_batch(SHOTS, 100), make_batch(QUERIES, 101)
    grads = meta_gradient(params, support, query, inner_steps, mode)
    grad_norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
    timing = measure(lambda: meta_gradient(params, support, query, inner_steps, mode),
                     env_int('BENCH_WARMUP', 1, minimum=0), env_int('BENCH_ITERS', 5))
    peak = omniglot.peak_rss_mb()
    # After the measurement, so that the probe's memory is not in the peak.
    whole_step = 'not tried'
    if mode == 'forward':
        try:
            meta_gradient(params, support, query, 1, 'whole_step')
            whole_step = 'ok'
        except RuntimeError as error:
            whole_step = str(error).strip().splitlines()[0][:120]
    emit_json(name, timing, blas_library(), inner_steps=inner_steps,
              meta_grad_norm=float(f'{grad_norm:.9g}'), peak_rss_mb=round(peak, 1),
              whole_step_checkpoint=whole_step)


def main() -> int:
    for name, mode in (('checkpoint_plain', 'plain'), ('checkpoint_per_step', 'forward')):
        if not wanted(name):
            continue
        child = os.fork()
        if child == 0:
            try:
                run_workload(name, mode)
            except Exception as error:  # the child reports and fails; the parent stops
                print(f'checkpoint.py: {name}: {error}', file=sys.stderr)
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
