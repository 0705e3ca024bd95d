"""PyTorch counterparts of bench/gpu_bench.cpp and bench/maml_omniglot.cpp --device cuda (issue 12).

One JSON line per workload (impl "pytorch"), the schema of bench/bench_common.py plus "device" and
"peak_device_mb" (torch.cuda.max_memory_allocated over the timed runs). Every timed region is
synchronised (torch.cuda.synchronize) on both ends; times are medians.

Workloads (float32):
  copy_bandwidth            dst.copy_(src) of a 400 MB buffer; gb_per_s counts 8 bytes per element
  adam_100m, adam_10m       torch.optim.Adam(lr=1e-3, fused=True).step() on 100M / 10M parameters
                            in 100 tensors (foreach=True on the CPU, where fused is CUDA-only);
                            gb_per_s at 28 bytes per element, fraction_of_copy against
                            copy_bandwidth
  maml_sinusoid             one MAML meta-step on gpu_bench's sinusoid tasks (25 tasks, 1-40-40-1
                            ReLU MLP, 5 inner SGD steps of lr 0.01 by autograd.grad(create_graph=
                            True), Adam lr 1e-3 on the mean query MSE), a loop over tasks
  maml_step_32tasks         one meta-step of bench/maml_omniglot.py (32 tasks, 5-way 1-shot, 15
                            queries, 5 inner steps), a loop over tasks with autograd.grad(
                            create_graph=True) and backward() per task
  maml_step_32tasks_vmap    the same meta-step with torch.func: grad for the inner steps, vmap over
                            the tasks, one backward() of the summed query losses
  maml_step_32tasks_vmap_fp32  the same with TF32 off for cuDNN too (torch.backends.cudnn.
                            allow_tf32 = False; PyTorch's default lets its convolutions use TF32):
                            float32 throughout, as metagrad's default
Each MAML record says in "tf32" whether cuDNN's convolutions could use TF32.
Parameters and data are the deterministic fills of the C++ side (bench/tutorial_net.hpp and
gpu_bench.cpp), so meta_loss agrees with metagrad's to float32 rounding.

Usage: python3 bench/gpu_peers.py [--device cuda|cpu]   (cpu: to check the script without a GPU)
Without a CUDA device, --device cuda (the default) prints "no CUDA device: skipped" and exits 0.
Env: BENCH_ITERS (20; 10 for the MAML workloads), BENCH_WARMUP (3; 1 for the MAML workloads),
BENCH_WORKLOADS (all) comma-separated subset of the workload names, BENCH_THREADS (2).
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import emit_json, env_int, measure, wanted  # noqa: E402
import maml_omniglot as omniglot  # noqa: E402

COPY_ELEMENTS = 100_000_000
ADAM_TENSORS = 100
SINE_TASKS = 25
SINE_POINTS = 10
SINE_INNER_STEPS = 5
SINE_INNER_LR = 0.01
OUTER_LR = 1e-3


class Context:
    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cuda = device.type == 'cuda'
        self.copy_gb_per_s = 0.0

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def reset_peak(self) -> None:
        self.sync()
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.device)

    def peak_mb(self) -> float:
        return torch.cuda.max_memory_allocated(self.device) / 2**20 if self.cuda else 0.0

    def time(self, body, warmup: int, iters: int) -> dict:
        """Median timing of body(), synchronised on both ends of every run."""
        def synced():
            body()
            self.sync()
        return measure(synced, warmup, iters, setup=self.sync)

    def emit(self, workload: str, timing: dict, **extra) -> None:
        emit_json(workload, timing, 'cublas' if self.cuda else omniglot.GEMM,
                  device=str(self.device), peak_device_mb=round(self.peak_mb(), 1), **extra)


def bench_copy(ctx: Context) -> float:
    src = torch.full((COPY_ELEMENTS,), 1.5, device=ctx.device)
    dst = torch.zeros(COPY_ELEMENTS, device=ctx.device)
    ctx.reset_peak()
    timing = ctx.time(lambda: dst.copy_(src), env_int('BENCH_WARMUP', 3, minimum=0),
                      env_int('BENCH_ITERS', 20))
    gbps = 8.0 * COPY_ELEMENTS / (timing['median_ms'] * 1e6)
    if wanted('copy_bandwidth'):
        ctx.emit('copy_bandwidth', timing, variant='dst.copy_(src)', elements=COPY_ELEMENTS,
                 gb_per_s=round(gbps, 3))
    return gbps


def bench_adam(ctx: Context, workload: str, total: int) -> None:
    if not wanted(workload):
        return
    per_tensor = total // ADAM_TENSORS
    gen = torch.Generator(device=ctx.device).manual_seed(1234)
    params = []
    for _ in range(ADAM_TENSORS):
        p = torch.randn(per_tensor, device=ctx.device, generator=gen).requires_grad_()
        p.grad = torch.randn(per_tensor, device=ctx.device, generator=gen) * 0.01
        params.append(p)
    kind = {'fused': True} if ctx.cuda else {'foreach': True}
    opt = torch.optim.Adam(params, lr=1e-3, **kind)
    opt.step()  # the state is created by the first step
    ctx.reset_peak()
    timing = ctx.time(opt.step, env_int('BENCH_WARMUP', 3, minimum=0), env_int('BENCH_ITERS', 20))
    gbps = 28.0 * total / (timing['median_ms'] * 1e6)
    ctx.emit(workload, timing, variant=f'torch.optim.Adam({next(iter(kind))}=True).step()',
             elements=total, tensors=ADAM_TENSORS, gb_per_s=round(gbps, 3),
             copy_gb_per_s=round(ctx.copy_gb_per_s, 3),
             fraction_of_copy=round(gbps / ctx.copy_gb_per_s, 4))


def hash_unit(k: torch.Tensor, tag: int) -> torch.Tensor:
    """u(k, tag) in [-1, 1) as float64, the C++ side's hash_unit."""
    return omniglot.hash32(k, tag).to(torch.float64) / 2147483648.0 - 1.0


def sine_points(tag: int, device: torch.device):
    """x ~ U[-5, 5) and y = A sin(x - phase) per task, [SINE_TASKS, SINE_POINTS, 1], as gpu_bench."""
    k = torch.arange(SINE_TASKS * SINE_POINTS, dtype=torch.int64)
    task = torch.arange(SINE_TASKS, dtype=torch.int64).repeat_interleave(SINE_POINTS)
    amplitude = 2.55 + 2.45 * hash_unit(task, 202)
    phase = math.pi / 2.0 * (1.0 + hash_unit(task, 203))
    x = (5.0 * hash_unit(k, tag)).to(torch.float32).to(torch.float64)
    y = amplitude * torch.sin(x - phase)
    shape = (SINE_TASKS, SINE_POINTS, 1)
    return (x.to(torch.float32).reshape(shape).to(device),
            y.to(torch.float32).reshape(shape).to(device))


def sine_params(device: torch.device) -> list[torch.Tensor]:
    """The 1-40-40-1 MLP's parameters, uniform_filled(shape, t, 1 / sqrt(fan_in)) as gpu_bench."""
    shapes = [(40, 1), (40,), (40, 40), (40,), (1, 40), (1,)]
    params, fan_in = [], 1
    for tag, shape in enumerate(shapes):
        if len(shape) > 1:
            fan_in = shape[1]
        value = omniglot.uniform_filled(shape, tag, 1.0 / math.sqrt(fan_in))
        params.append(value.to(device).requires_grad_())
    return params


def sine_mlp(params, x: torch.Tensor) -> torch.Tensor:
    x = F.relu(F.linear(x, params[0], params[1]))
    x = F.relu(F.linear(x, params[2], params[3]))
    return F.linear(x, params[4], params[5])


def bench_sinusoid(ctx: Context) -> None:
    if not wanted('maml_sinusoid'):
        return
    params = sine_params(ctx.device)
    meta_opt = torch.optim.Adam(params, lr=OUTER_LR)
    x_spt, y_spt = sine_points(200, ctx.device)
    x_qry, y_qry = sine_points(201, ctx.device)

    def meta_step() -> torch.Tensor:
        meta_opt.zero_grad()
        losses = []
        for i in range(SINE_TASKS):
            fast = params
            for _ in range(SINE_INNER_STEPS):
                loss = F.mse_loss(sine_mlp(fast, x_spt[i]), y_spt[i])
                grads = torch.autograd.grad(loss, fast, create_graph=True)
                fast = [p - SINE_INNER_LR * g for p, g in zip(fast, grads)]
            losses.append(F.mse_loss(sine_mlp(fast, x_qry[i]), y_qry[i]))
        loss = torch.stack(losses).mean()
        loss.backward()
        meta_opt.step()
        return loss

    meta_loss = float(meta_step())  # from the deterministic initialisation
    ctx.reset_peak()
    timing = ctx.time(meta_step, env_int('BENCH_WARMUP', 1, minimum=0), env_int('BENCH_ITERS', 10))
    ctx.emit('maml_sinusoid', timing, variant='loop over tasks, autograd.grad(create_graph=True)',
             tasks=SINE_TASKS, points=SINE_POINTS, inner_steps=SINE_INNER_STEPS,
             meta_loss=round(meta_loss, 6))


class OmniglotProblem:
    """bench/maml_omniglot.py's problem on ctx.device: parameters, Adam and a task batch."""

    def __init__(self, tasks: int, device: torch.device) -> None:
        self.tasks = tasks
        self.params = [p.detach().to(device).requires_grad_() for p in omniglot.make_params()]
        self.meta_opt = torch.optim.Adam(self.params, lr=omniglot.OUTER_LR)
        ways, shots, queries, image = (omniglot.WAYS, omniglot.SHOTS, omniglot.QUERIES,
                                       omniglot.IMAGE)
        self.x_spt = omniglot.normal_filled((tasks, ways * shots, 1, image, image), 100).to(device)
        self.y_spt = omniglot.class_labels(tasks, shots).to(device)
        self.x_qry = omniglot.normal_filled((tasks, ways * queries, 1, image, image), 101).to(device)
        self.y_qry = omniglot.class_labels(tasks, queries).to(device)

    def loop_step(self) -> float:
        """One meta-step as a loop over tasks (backward() per task); the mean query loss."""
        self.meta_opt.zero_grad()
        loss_sum = None
        for i in range(self.tasks):
            fast = self.params
            for _ in range(omniglot.INNER_STEPS):
                loss = F.cross_entropy(omniglot.forward(fast, self.x_spt[i]), self.y_spt[i])
                grads = torch.autograd.grad(loss, fast, create_graph=True)
                fast = [p - omniglot.INNER_LR * g for p, g in zip(fast, grads)]
            qry_loss = F.cross_entropy(omniglot.forward(fast, self.x_qry[i]), self.y_qry[i])
            qry_loss.backward()
            loss_sum = qry_loss.detach().double() if loss_sum is None else \
                loss_sum + qry_loss.detach().double()
        self.meta_opt.step()
        return float(loss_sum) / self.tasks

    def vmap_step(self) -> float:
        """One meta-step with torch.func: grad for the inner steps, vmap over the tasks."""
        func = func_module()

        def support_loss(params, x, y):
            return F.cross_entropy(omniglot.forward(params, x), y)

        def task_query_loss(params, xs, ys, xq, yq):
            fast = params
            for _ in range(omniglot.INNER_STEPS):
                grads = func.grad(support_loss)(fast, xs, ys)
                fast = [p - omniglot.INNER_LR * g for p, g in zip(fast, grads)]
            return support_loss(fast, xq, yq)

        self.meta_opt.zero_grad()
        losses = func.vmap(task_query_loss, in_dims=(None, 0, 0, 0, 0))(
            self.params, self.x_spt, self.y_spt, self.x_qry, self.y_qry)
        # The sum: per-task backward() calls accumulate the same meta-gradient.
        losses.sum().backward()
        self.meta_opt.step()
        return float(losses.detach().double().mean())

    def grad_norm(self) -> float:
        return math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in self.params))


def func_module():
    """torch.func (PyTorch >= 2.0), else the functorch package of PyTorch 1.13, else None."""
    if hasattr(torch, 'func'):
        return torch.func
    try:
        import functorch
    except ImportError:
        return None
    return functorch


def bench_omniglot(ctx: Context, workload: str, tasks: int, use_vmap: bool,
                   fp32: bool = False) -> None:
    if not wanted(workload):
        return
    if fp32:
        cudnn_tf32 = torch.backends.cudnn.allow_tf32
        torch.backends.cudnn.allow_tf32 = False
        try:
            bench_omniglot(ctx, workload, tasks, use_vmap)
        finally:
            torch.backends.cudnn.allow_tf32 = cudnn_tf32
        return
    if use_vmap and func_module() is None:
        print(f'{workload}: neither torch.func nor functorch in PyTorch {torch.__version__}: '
              'skipped', file=sys.stderr)
        return
    problem = OmniglotProblem(tasks, ctx.device)
    step = problem.vmap_step if use_vmap else problem.loop_step
    meta_loss = step()  # from the deterministic initialisation
    meta_grad_norm = problem.grad_norm()
    ctx.reset_peak()
    timing = ctx.time(step, env_int('BENCH_WARMUP', 1, minimum=0), env_int('BENCH_ITERS', 10))
    ctx.emit(workload, timing,
             variant='torch.func.vmap over tasks, torch.func.grad inner steps' if use_vmap else
             'loop over tasks, autograd.grad(create_graph=True)',
             tasks=tasks, n_way=omniglot.WAYS, k_spt=omniglot.SHOTS, k_qry=omniglot.QUERIES,
             inner_steps=omniglot.INNER_STEPS, meta_loss=round(meta_loss, 6),
             meta_grad_norm=round(meta_grad_norm, 6),
             tf32=ctx.cuda and torch.backends.cudnn.allow_tf32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', choices=['cuda', 'cpu'], default='cuda')
    args = parser.parse_args()
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('no CUDA device: skipped')
        return 0
    ctx = Context(torch.device('cuda:0' if args.device == 'cuda' else 'cpu'))
    if ctx.cuda:
        print(f'# PyTorch {torch.__version__} on {torch.cuda.get_device_name(ctx.device)}',
              file=sys.stderr)
    ctx.copy_gb_per_s = bench_copy(ctx)
    bench_adam(ctx, 'adam_100m', 100_000_000)
    bench_adam(ctx, 'adam_10m', 10_000_000)
    bench_sinusoid(ctx)
    bench_omniglot(ctx, 'maml_step_32tasks', 32, use_vmap=False)
    bench_omniglot(ctx, 'maml_step_32tasks_vmap', 32, use_vmap=True)
    bench_omniglot(ctx, 'maml_step_32tasks_vmap_fp32', 32, use_vmap=True, fp32=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
