"""PyTorch counterpart of bench/convnet.cpp: the same workloads, one JSON line each.

Network (torch.nn, float32): 3 x [Conv2d(in, 64, 3) -> BatchNorm2d(64, momentum=1, training
mode) -> ReLU -> MaxPool2d(2, 2)], Flatten, Linear(64, 5) on a batch of 80 images 1x28x28 with
F.cross_entropy against labels (i * 7 + 3) % 5 (the MAML tutorial network). Parameters, input and
the HVP direction are filled with the same deterministic pseudo-random numbers as the C++ side
(value k of tensor t: scale * u(k, t), u a 32-bit integer hash mapped to [-1, 1)), so loss,
grad_norm and hv_norm agree with metagrad's to float32 rounding.

Workloads:
  convnet_fwd_bwd  forward + torch.autograd.grad of the loss w.r.t. the 14 parameters
  convnet_hvp      forward, g = grad(loss, params, create_graph=True),
                   grad(sum_i <g_i, v_i>, params)
  volume_fwd_bwd   a 3-D network on volumes [8, 2, 16, 32, 32]: Conv3d(2, 16, 3, padding=1) ->
                   BatchNorm3d -> ReLU -> MaxPool3d(2) -> Conv3d(16, 32, 3, padding=1) ->
                   BatchNorm3d -> ReLU -> AdaptiveAvgPool3d(1) -> Flatten -> Linear(32, 5);
                   forward + torch.autograd.grad of the cross-entropy w.r.t. the 10 parameters

Usage: /usr/bin/python3 bench/convnet.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed iterations; BENCH_WARMUP (3);
BENCH_WORKLOADS (all) comma-separated subset of the workload names.
"""

from __future__ import annotations

import math
import sys

import torch

from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted
import torch.nn.functional as F
from torch import nn

BATCH = 80
WAYS = 5
IMAGE = 28
CHANNELS = 64


ITERS = env_int('BENCH_ITERS', 20)
WARMUP = env_int('BENCH_WARMUP', 3)


def emit(workload: str, timing: dict, **extra) -> None:
    emit_json(workload, timing, GEMM, **extra)


def filled(shape, tag: int, scale: float) -> torch.Tensor:
    """float32 tensor whose element k (row-major) is scale * u(k, tag), u uniform in [-1, 1) from
    an integer hash (the same arithmetic as bench/convnet.cpp's `filled`)."""
    k = torch.arange(math.prod(shape), dtype=torch.int64)
    h = (k * 2654435761 + tag * 97531) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    h = (h * 0x45D9F3B) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    u = h.to(torch.float64) / 2147483648.0 - 1.0
    return (scale * u).to(torch.float32).reshape(shape)


def fill_parameters(net: nn.Module) -> None:
    """Parameter t (named_parameters() order): filled(shape, t, 1 / sqrt(fan_in)) for weights of
    rank > 1, filled(shape, t, 0.1) + 1 for normalisation weights, filled(shape, t, 0.1) for
    biases (bench/tutorial_net.hpp's fill_parameters)."""
    with torch.no_grad():
        for tag, (name, p) in enumerate(net.named_parameters()):
            if p.dim() > 1:
                value = filled(p.shape, tag, 1.0 / math.sqrt(math.prod(p.shape[1:])))
            elif 'weight' in name:
                value = filled(p.shape, tag, 0.1) + 1.0
            else:
                value = filled(p.shape, tag, 0.1)
            p.copy_(value)


def make_net() -> nn.Sequential:
    layers = []
    in_channels = 1
    for _ in range(3):
        layers += [nn.Conv2d(in_channels, CHANNELS, 3), nn.BatchNorm2d(CHANNELS, momentum=1.0),
                   nn.ReLU(), nn.MaxPool2d(2, 2)]
        in_channels = CHANNELS
    net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(CHANNELS, WAYS))
    net.train()
    fill_parameters(net)
    return net


class Problem:
    def __init__(self) -> None:
        self.net = make_net()
        self.params = list(self.net.parameters())
        self.x = filled((BATCH, 1, IMAGE, IMAGE), 100, 1.0)
        self.labels = torch.tensor([(i * 7 + 3) % WAYS for i in range(BATCH)])
        self.v = [filled(p.shape, 200 + i, 1.0) for i, p in enumerate(self.params)]

    def loss(self) -> torch.Tensor:
        return F.cross_entropy(self.net(self.x), self.labels)

    def hvp(self):
        g = torch.autograd.grad(self.loss(), self.params, create_graph=True)
        gv = (g[0] * self.v[0]).sum()
        for gi, vi in zip(g[1:], self.v[1:]):
            gv = gv + (gi * vi).sum()
        return torch.autograd.grad(gv, self.params)


def norm(tensors) -> float:
    return round(float(sum((t.double() * t.double()).sum() for t in tensors)) ** 0.5, 6)


def bench_convnet() -> None:
    fwd_bwd, hvp = wanted('convnet_fwd_bwd'), wanted('convnet_hvp')
    if not fwd_bwd and not hvp:
        return
    problem = Problem()
    loss0 = round(float(problem.loss()), 6)
    if fwd_bwd:
        grad_norm = norm(torch.autograd.grad(problem.loss(), problem.params))
        timing = measure(lambda: torch.autograd.grad(problem.loss(), problem.params), WARMUP, ITERS)
        emit('convnet_fwd_bwd', timing, loss=loss0, grad_norm=grad_norm)
    if hvp:
        hv_norm = norm(problem.hvp())
        emit('convnet_hvp', measure(problem.hvp, WARMUP, ITERS), loss=loss0, hv_norm=hv_norm)


def bench_volume() -> None:
    if not wanted('volume_fwd_bwd'):
        return
    net = nn.Sequential(nn.Conv3d(2, 16, 3, padding=1), nn.BatchNorm3d(16), nn.ReLU(),
                        nn.MaxPool3d(2), nn.Conv3d(16, 32, 3, padding=1), nn.BatchNorm3d(32),
                        nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(32, WAYS))
    fill_parameters(net)
    params = list(net.parameters())
    x = filled((8, 2, 16, 32, 32), 100, 1.0)
    labels = torch.tensor([(i * 7 + 3) % WAYS for i in range(8)])
    loss = lambda: F.cross_entropy(net(x), labels)
    loss0 = round(float(loss()), 6)
    grad_norm = norm(torch.autograd.grad(loss(), params))
    timing = measure(lambda: torch.autograd.grad(loss(), params), WARMUP, ITERS)
    emit('volume_fwd_bwd', timing, loss=loss0, grad_norm=grad_norm)


torch.set_num_threads(THREADS)
GEMM = blas_library()


def main() -> int:
    bench_convnet()
    bench_volume()
    return 0


if __name__ == '__main__':
    sys.exit(main())
