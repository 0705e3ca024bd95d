"""PyTorch + TorchOpt counterpart of bench/implicit.cpp: ridge-regression hypergradients, one JSON
line per workload (the workload of ../shared/peers/implicit.py, float64 only).

Inner:  w*(lam) = argmin_w 0.5 * mean((X w - y)^2) + 0.5 * lam * ||w||^2,
        i.e. (X^T X + n lam I) w* = X^T y          (X: n x d, lam = 0.5, a 0-d tensor)
Outer:  L(lam) = mean((Xv w*(lam) - yv)^2)         (Xv: n x d)
Timed:  w = solver(w0, lam, (X, y)); L; torch.autograd.grad(L, lam).

Variants, each at n x d = 100 x 10 and 1000 x 100 (workload implicit_<variant>_<n>x<d>):
  cg         torchopt.diff.implicit.custom_root(functorch.grad(objective, 0), argnums=1,
             solve=torchopt.linear_solve.solve_cg()) around a closed-form inner solver
             (torch.linalg.solve on the detached lam)
  normal_cg  the same with TorchOpt's default backward solve, solve_normal_cg()
  cg_cg      cg with the inner problem also solved by CG: solve_cg(ridge=n lam, init=w0,
             maxiter=d) on u -> X^T X u (TorchOpt's tests/test_implicit.py::test_rr_solve_cg)
  unrolled   plain autograd through torch.linalg.solve (explicit differentiation)
  analytic   dL/dlam = -n gL^T (X^T X + n lam I)^{-1} w*, gL = 2/n Xv^T (Xv w* - yv): the floor
The solvers keep TorchOpt's defaults (rtol 1e-5, atol 0, maxiter 10 x the sum of the dims), as
the C++ side keeps metagrad's (the same numbers for a vector). Each record carries the
hypergradient (`hypergrad`), the analytic one (`hypergrad_ref`) and their relative difference
(`rel_err`).

Data: deterministic fills shared with bench/implicit.cpp, so both sides differentiate the same
problem and the hypergradients agree to the solvers' tolerance: element k of tensor `tag` is
N(0, 1) by Box-Muller from a 32-bit integer hash, X tag 10, Xv tag 11, w_true tag 12, the label
noises tags 13 and 14 (times 0.5); y = X w_true + 0.5 e.

Needs TorchOpt: ../shared/peers/setup_peers.sh extracts it (with optree) to PEERS_SRC
(/tmp/peers-src), which this script puts on sys.path.

Usage: /usr/bin/python3 bench/implicit.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed calls; BENCH_WARMUP (3);
BENCH_IMPLICIT_SIZES ("100x10,1000x100"); BENCH_WORKLOADS (all) comma-separated subset of the
workload names.
"""

from __future__ import annotations

import math
import os
import sys

PEERS_SRC = os.environ.get('PEERS_SRC', '/tmp/peers-src')
for _sub in ('optree', 'torchopt'):
    _path = os.path.join(PEERS_SRC, _sub)
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.insert(0, _path)

import torch  # noqa: E402

from bench_common import THREADS, blas_library, emit_json, env_int, measure, wanted  # noqa: E402

torch.set_num_threads(THREADS)
GEMM = blas_library()
LAM = 0.5
NOISE = 0.5
DTYPE = torch.float64
VARIANTS = ('cg', 'normal_cg', 'cg_cg', 'unrolled', 'analytic')
SIZES = [tuple(int(v) for v in s.split('x'))
         for s in (os.environ.get('BENCH_IMPLICIT_SIZES') or '100x10,1000x100').split(',')]


def hash32(k: torch.Tensor, tag: int) -> torch.Tensor:
    """The 32-bit integer hash of bench/tutorial_net.hpp, elementwise on int64 k."""
    h = (k * 2654435761 + tag * 97531) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    h = (h * 0x45D9F3B) & 0xFFFFFFFF
    return h ^ (h >> 16)


def normal_filled(shape, tag: int) -> torch.Tensor:
    """float64 N(0, 1): element k is sqrt(-2 ln u1) cos(2 pi u2), u1 = (hash(2k) + 1) / 2^32,
    u2 = hash(2k + 1) / 2^32 (Box-Muller, as bench/implicit.cpp)."""
    k = torch.arange(math.prod(shape), dtype=torch.int64)
    u1 = (hash32(2 * k, tag).to(DTYPE) + 1.0) / 4294967296.0
    u2 = hash32(2 * k + 1, tag).to(DTYPE) / 4294967296.0
    return (torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2.0 * math.pi * u2)).reshape(shape)


def make_data(n: int, d: int):
    x, xv, w_true = normal_filled((n, d), 10), normal_filled((n, d), 11), normal_filled((d,), 12)
    y = x @ w_true + NOISE * normal_filled((n,), 13)
    yv = xv @ w_true + NOISE * normal_filled((n,), 14)
    return x, y, xv, yv


def objective(params, l2reg, data):
    x, y = data
    residuals = x @ params - y
    return 0.5 * torch.mean(torch.square(residuals)) + 0.5 * l2reg * torch.sum(torch.square(params))


def closed_form(l2reg, x, y):
    n, d = x.shape
    a = x.T @ x + n * l2reg * torch.eye(d, dtype=x.dtype)
    return torch.linalg.solve(a, x.T @ y)


def analytic_grad(lam, x, y, xv, yv):
    n, d = x.shape
    a = x.T @ x + n * lam * torch.eye(d, dtype=x.dtype)
    w = torch.linalg.solve(a, x.T @ y)
    g_loss = 2.0 / len(yv) * xv.T @ (xv @ w - yv)
    return -n * g_loss @ torch.linalg.solve(a, w)


def make_solvers() -> dict:
    """The custom_root-wrapped solvers, built once (as ../shared/peers/implicit.py does)."""
    import functorch
    import torchopt

    optimality = functorch.grad(objective, argnums=0)

    @torchopt.diff.implicit.custom_root(optimality, argnums=1,
                                        solve=torchopt.linear_solve.solve_cg())
    def closed_cg(params, l2reg, data):
        return closed_form(l2reg.detach(), *data)

    @torchopt.diff.implicit.custom_root(optimality, argnums=1)  # solve_normal_cg()
    def closed_normal_cg(params, l2reg, data):
        return closed_form(l2reg.detach(), *data)

    @torchopt.diff.implicit.custom_root(optimality, argnums=1,
                                        solve=torchopt.linear_solve.solve_cg())
    def cg_cg(params, l2reg, data):
        x, y = data

        def matvec(u):
            return x.T @ (x @ u)

        solve = torchopt.linear_solve.solve_cg(ridge=len(y) * l2reg.item(), init=params,
                                               maxiter=x.shape[1])
        return solve(matvec=matvec, b=x.T @ y)

    return {'cg': closed_cg, 'normal_cg': closed_normal_cg, 'cg_cg': cg_cg}


def make_run(variant: str, solvers: dict, x, y, xv, yv):
    """The timed call of `variant`: returns the hypergradient dL/dlam as a 0-d tensor."""
    lam = torch.tensor(LAM, dtype=DTYPE, requires_grad=True)
    w0 = torch.zeros(x.shape[1], dtype=DTYPE)
    if variant in solvers:
        solver = solvers[variant]

        def run():
            w = solver(w0, lam, (x, y))
            loss = torch.mean(torch.square(xv @ w - yv))
            return torch.autograd.grad(loss, lam)[0]
    elif variant == 'unrolled':

        def run():
            w = closed_form(lam, x, y)
            loss = torch.mean(torch.square(xv @ w - yv))
            return torch.autograd.grad(loss, lam)[0]
    else:

        def run():
            return analytic_grad(lam.detach(), x, y, xv, yv)
    return run


def main() -> int:
    warmup, iters = env_int('BENCH_WARMUP', 3, minimum=0), env_int('BENCH_ITERS', 20)
    solvers = None
    for n, d in SIZES:
        workloads = [(v, f'implicit_{v}_{n}x{d}') for v in VARIANTS]
        workloads = [(v, w) for v, w in workloads if wanted(w)]
        if not workloads:
            continue
        x, y, xv, yv = make_data(n, d)
        reference = float(analytic_grad(torch.tensor(LAM, dtype=DTYPE), x, y, xv, yv))
        for variant, workload in workloads:
            if variant in ('cg', 'normal_cg', 'cg_cg') and solvers is None:
                solvers = make_solvers()
            run = make_run(variant, solvers or {}, x, y, xv, yv)
            value = float(run())
            timing = measure(run, warmup, iters)
            emit_json(workload, timing, GEMM, n=n, d=d, hypergrad=value, hypergrad_ref=reference,
                      rel_err=abs(value - reference) / abs(reference))
    return 0


if __name__ == '__main__':
    sys.exit(main())
