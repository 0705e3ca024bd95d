"""PyTorch counterpart of bench/maml_omniglot.cpp: one MAML meta-training step, one JSON line each.

The step of TorchOpt's few-shot Omniglot tutorial written with plain PyTorch, functionally: the
network (3 x [conv2d(in, 64, 3) -> batch_norm(batch statistics, affine) -> relu ->
max_pool2d(2, 2)], flatten, linear(64, 5)) is a function of a parameter list; each inner step is
torch.autograd.grad(support loss, fast weights, create_graph=True) and fast = p - 0.1 * g.
5-way 1-shot, 15 queries per class, 28x28 images, 5 inner steps. Per task the query
cross-entropy is backward()ed (meta-gradients accumulate into the initial parameters' .grad);
then one torch.optim.Adam(lr=1e-3) step. The same computation as the C++ side's MetaSGD +
extract_state_dict / recover_state_dict loop.

Parameters and data use the deterministic fills of bench/maml_omniglot.cpp (parameters as
bench/convnet.py; images N(0, 1) by Box-Muller from the same integer hash), so meta_loss (mean
query loss of the first meta-step, about log 5 = 1.609) and meta_grad_norm agree with metagrad's
to float32 rounding.

Workloads (run one per process for an honest peak_rss_mb, the process's peak so far):
  maml_step_4tasks   task batch 4
  maml_step_32tasks  task batch 32 (the tutorial's default)

Usage: /usr/bin/python3 bench/maml_omniglot.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (10 for 4 tasks, 3 for 32) timed meta-steps;
BENCH_WARMUP (1) untimed meta-steps after the first (checked) one; BENCH_WORKLOADS (all)
comma-separated subset of the workload names.
"""

from __future__ import annotations

import math
import resource
import sys

import torch

from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted
import torch.nn.functional as F

WAYS = 5
SHOTS = 1
QUERIES = 15
IMAGE = 28
CHANNELS = 64
INNER_STEPS = 5
INNER_LR = 0.1
OUTER_LR = 1e-3


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return 0.0


def load_average() -> float:
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def hash32(k: torch.Tensor, tag: int) -> torch.Tensor:
    """The 32-bit integer hash of bench/maml_omniglot.cpp, elementwise on int64 k."""
    h = (k * 2654435761 + tag * 97531) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    h = (h * 0x45D9F3B) & 0xFFFFFFFF
    return h ^ (h >> 16)


def uniform_filled(shape, tag: int, scale: float) -> torch.Tensor:
    """float32 tensor whose element k (row-major) is scale * u(k, tag), u uniform in [-1, 1)."""
    k = torch.arange(math.prod(shape), dtype=torch.int64)
    u = hash32(k, tag).to(torch.float64) / 2147483648.0 - 1.0
    return (scale * u).to(torch.float32).reshape(shape)


def normal_filled(shape, tag: int) -> torch.Tensor:
    """float32 N(0, 1) tensor: element k is sqrt(-2 ln u1) cos(2 pi u2), u1 = (hash(2k) + 1) / 2^32,
    u2 = hash(2k + 1) / 2^32 (Box-Muller, as bench/maml_omniglot.cpp)."""
    k = torch.arange(math.prod(shape), dtype=torch.int64)
    u1 = (hash32(2 * k, tag).to(torch.float64) + 1.0) / 4294967296.0
    u2 = hash32(2 * k + 1, tag).to(torch.float64) / 4294967296.0
    z = torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2.0 * math.pi * u2)
    return z.to(torch.float32).reshape(shape)


def class_labels(tasks: int, per_class: int) -> torch.Tensor:
    return torch.arange(WAYS).repeat_interleave(per_class).expand(tasks, -1).contiguous()


def make_params() -> list[torch.Tensor]:
    """The tutorial network's parameters in nn.Sequential order (conv weight, conv bias, bn weight,
    bn bias per block; linear weight, bias), filled as bench/maml_omniglot.cpp's make_net."""
    shapes = []
    in_channels = 1
    for _ in range(3):
        shapes += [('weight', (CHANNELS, in_channels, 3, 3)), ('bias', (CHANNELS,)),
                   ('weight', (CHANNELS,)), ('bias', (CHANNELS,))]
        in_channels = CHANNELS
    shapes += [('weight', (WAYS, CHANNELS)), ('bias', (WAYS,))]
    params = []
    for tag, (name, shape) in enumerate(shapes):
        if len(shape) > 1:
            value = uniform_filled(shape, tag, 1.0 / math.sqrt(math.prod(shape[1:])))
        elif name == 'weight':
            value = uniform_filled(shape, tag, 0.1) + 1.0
        else:
            value = uniform_filled(shape, tag, 0.1)
        params.append(value.requires_grad_())
    return params


def forward(params, x: torch.Tensor) -> torch.Tensor:
    """The network as a function of its parameter list (BatchNorm with batch statistics, as
    nn.BatchNorm2d in training mode)."""
    for block in range(3):
        w, b, gamma, beta = params[4 * block:4 * block + 4]
        x = F.batch_norm(F.conv2d(x, w, b), None, None, gamma, beta, training=True)
        x = F.max_pool2d(F.relu(x), 2, 2)
    return F.linear(x.flatten(1), params[12], params[13])


class Problem:
    def __init__(self, tasks: int) -> None:
        self.tasks = tasks
        self.params = make_params()
        self.meta_opt = torch.optim.Adam(self.params, lr=OUTER_LR)
        self.x_spt = normal_filled((tasks, WAYS * SHOTS, 1, IMAGE, IMAGE), 100)
        self.y_spt = class_labels(tasks, SHOTS)
        self.x_qry = normal_filled((tasks, WAYS * QUERIES, 1, IMAGE, IMAGE), 101)
        self.y_qry = class_labels(tasks, QUERIES)

    def meta_step(self) -> float:
        """One meta-step; returns the mean query loss."""
        self.meta_opt.zero_grad()
        loss_sum = 0.0
        for i in range(self.tasks):
            fast = self.params
            for _ in range(INNER_STEPS):
                loss = F.cross_entropy(forward(fast, self.x_spt[i]), self.y_spt[i])
                grads = torch.autograd.grad(loss, fast, create_graph=True)
                fast = [p - INNER_LR * g for p, g in zip(fast, grads)]
            qry_loss = F.cross_entropy(forward(fast, self.x_qry[i]), self.y_qry[i])
            qry_loss.backward()
            loss_sum += qry_loss.item()
        self.meta_opt.step()
        return loss_sum / self.tasks

    def grad_norm(self) -> float:
        return math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in self.params))


def bench_maml(workload: str, tasks: int, default_iters: int) -> None:
    if not wanted(workload):
        return
    problem = Problem(tasks)
    rss_before = current_rss_mb()
    meta_loss = problem.meta_step()  # from the deterministic initialisation
    meta_grad_norm = problem.grad_norm()
    timing = measure(problem.meta_step, env_int('BENCH_WARMUP', 1, minimum=0),
                     env_int('BENCH_ITERS', default_iters))
    emit_json(workload, timing, GEMM, tasks=tasks, n_way=WAYS, k_spt=SHOTS, k_qry=QUERIES,
              inner_steps=INNER_STEPS, meta_loss=round(meta_loss, 6),
              meta_grad_norm=round(meta_grad_norm, 6), rss_before_mb=round(rss_before, 1),
              peak_rss_mb=round(peak_rss_mb(), 1), loadavg=load_average())


torch.set_num_threads(THREADS)
GEMM = blas_library()


def main() -> int:
    bench_maml('maml_step_4tasks', 4, 10)
    bench_maml('maml_step_32tasks', 32, 3)
    return 0


if __name__ == '__main__':
    sys.exit(main())
