"""Puts metagrad's engine benchmark next to PyTorch's and prints the ratio metagrad/PyTorch.

Runs bench/engine_overhead (C++) and bench/engine_overhead.py (PyTorch) with the same
BENCH_THREADS, one workload at a time and alternately, so that both sides see the same machine
load (shared machines drift by 10-30 % over a minute); with --rounds R each side's time is the
median over R such rounds. Or reads two JSON-lines files written earlier (--metagrad-jsonl and
--pytorch-jsonl).

Targets (the foundation issue): per-op and per-backward-node time at most 1/5 of PyTorch's
(op_grad, op_nograd, backward_node), the MLP forward+backward and HVP no slower than PyTorch
(mlp_fwd_bwd, mlp_hvp). mlp_fwd_nograd is shown for diagnosis only. Issue 3: the ConvNet
forward+backward and HVP of bench/convnet no slower than bench/convnet.py (convnet_fwd_bwd,
convnet_hvp). Issues 4 and 5: the MAML meta-training step of bench/maml_omniglot (4 and 32 tasks) at
most 1/1.5 and 1/2 of PyTorch's (both targets shown; peak RSS of both sides printed below the
table). BINARY may be any benchmark with a PyTorch counterpart bench/<its name>.py (SUITES).
"ratio" compares median wall times; "cpu ratio" compares median process CPU times, which other
processes on a busy machine disturb less (but which also count OpenMP threads spinning at a
barrier).

Usage:
  python3 bench/compare_pytorch.py [BINARY]          (default build/bench/engine_overhead)
  python3 bench/compare_pytorch.py --metagrad-jsonl a.jsonl --pytorch-jsonl b.jsonl
Options: --threads N (else BENCH_THREADS, else 2), --rounds R (1), --python PATH (the interpreter
with torch, default /usr/bin/python3), --idiomatic (also time PyTorch's F.linear/F.cross_entropy
MLP, compared against the same metagrad row), --save PATH (all raw JSON lines).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# workload -> (target ratio metagrad/PyTorch or None, what the time is per)
WORKLOADS = {
    'op_grad': (0.2, 'ns/op'),
    'op_nograd': (0.2, 'ns/op'),
    'backward_node': (0.2, 'ns/node'),
    'mlp_fwd_nograd': (None, 'ms'),
    'mlp_fwd_bwd': (1.0, 'ms'),
    'mlp_hvp': (1.0, 'ms'),
    # bench/convnet (issue 3): the MAML tutorial ConvNet, forward+backward and HVP.
    'convnet_fwd_bwd': (1.0, 'ms'),
    'convnet_hvp': (1.0, 'ms'),
    # bench/convnet: a 3-D network of the volume layers, whose convolutions are conv2d over depth
    # windows unfolded into channels, against PyTorch's oneDNN direct 3-D convolution.
    'volume_fwd_bwd': (1.5, 'ms'),
    # bench/optim_step (issue 4): one Adam step over 10M float32 parameters in 100 tensors; the
    # fused step at least 1.5x faster than torch.optim.Adam(foreach=True).
    'adam_step': (1 / 1.5, 'ms'),
    'adam_step_unfused': (None, 'ms'),
    'copy_bandwidth': (None, 'ms'),
    'adam_transform': (None, 'ms'),
    # bench/maml_omniglot (issues 4 and 5): one MAML meta-training step of the Omniglot tutorial, 4 and
    # 32 tasks; at least 1.5x (issue 4) and 2x (issue 5) faster than PyTorch's functional loop.
    # Issue 13: at most 0.4 of PyTorch's (2.5x faster), with the tasks run concurrently
    # (meta_batch); the _sequential rows run the tutorial's loop, for comparison.
    'maml_step_4tasks': ((1 / 1.5, 0.5, 0.4), 'ms'),
    'maml_step_32tasks': ((1 / 1.5, 0.5, 0.4), 'ms'),
    'maml_step_4tasks_sequential': (None, 'ms'),
    'maml_step_32tasks_sequential': (None, 'ms'),
    # bench/maml_sinusoid (issue 13): the sinusoid MAML meta-step, 25 tasks; at most 0.1 of
    # PyTorch's (it measures per-op overhead).
    'sinusoid_step_25tasks': (0.1, 'ms'),
    'sinusoid_step_25tasks_sequential': (None, 'ms'),
    # bench/implicit (issue 11): ridge-regression hypergradients; custom_root at least 5x faster
    # than TorchOpt's with the same backward solver (and, printed below the table, within 3x of
    # the analytic formula at 1000 x 100).
    # bench/sequence: recurrent layers and order statistics, at most PyTorch's time.
    'lstm_fwd_bwd': (1.0, 'ms'),
    'gru_fwd_bwd': (1.0, 'ms'),
    'sort_64x4096': (1.0, 'ms'),
    'topk10_64x4096': (1.0, 'ms'),
    'quantile_64x4096': (1.0, 'ms'),
    # bench/resample: resampling and decoder ops (no target: measured for the README).
    'upsample_bilinear': (None, 'ms'),
    'upsample_nearest': (None, 'ms'),
    'conv_transpose': (None, 'ms'),
    'grid_sample_affine': (None, 'ms'),
    'pad_reflect': (None, 'ms'),
    'adaptive_max_pool': (None, 'ms'),
    # bench/elementwise_math: elementwise math (no target: measured for the README).
    **{f'math_{op}': (None, 'ms')
       for op in ('tan', 'atan2', 'lgamma', 'digamma', 'erfinv', 'logaddexp', 'remainder',
                  'sigmoid', 'log1p', 'expm1', 'erf', 'atan', 'sinh')},
    **{f'act_{op}': (None, 'ms') for op in ('gelu', 'silu', 'softplus', 'elu')},
    **{f'implicit_{variant}_{size}': (target, 'ms')
       for size in ('100x10', '1000x100')
       for variant, target in (('cg', 0.2), ('normal_cg', 0.2), ('cg_cg', 0.2), ('unrolled', None),
                               ('analytic', None), ('cg_manual', None))},
}

# Benchmark binary -> the workloads it runs, each timed alternately with the same workload of its
# PyTorch counterpart bench/<binary name>.py. A binary not listed here is run whole, once per side
# and round; workloads missing from WORKLOADS are shown without a target.
SUITES = {
    'engine_overhead': ['op_grad', 'op_nograd', 'backward_node', 'mlp_fwd_nograd', 'mlp_fwd_bwd',
                        'mlp_hvp'],
    'convnet': ['convnet_fwd_bwd', 'convnet_hvp', 'volume_fwd_bwd'],
    'optim_step': ['adam_step', 'adam_step_unfused', 'copy_bandwidth', 'adam_transform'],
    'maml_omniglot': ['maml_step_4tasks', 'maml_step_32tasks', 'maml_step_4tasks_sequential',
                      'maml_step_32tasks_sequential'],
    'maml_sinusoid': ['sinusoid_step_25tasks', 'sinusoid_step_25tasks_sequential'],
    'implicit': [f'implicit_{variant}_{size}' for size in ('100x10', '1000x100')
                 for variant in ('cg', 'normal_cg', 'cg_cg', 'unrolled', 'analytic', 'cg_manual')],
}

# bench/implicit: the custom_root variants' time over the analytic formula's, per size (target at
# 1000 x 100: at most 3).
IMPLICIT_FLOOR_TARGET = {'1000x100': 3.0}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('binary', nargs='?', default=str(ROOT / 'build' / 'bench' / 'engine_overhead'))
    parser.add_argument('--metagrad-jsonl', help='read metagrad results from this file')
    parser.add_argument('--pytorch-jsonl', help='read PyTorch results from this file')
    parser.add_argument('--threads', type=int, default=int(os.environ.get('BENCH_THREADS', '2') or 2))
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--python', default='/usr/bin/python3')
    parser.add_argument('--idiomatic', action='store_true')
    parser.add_argument('--save', help='write every raw JSON line here')
    args = parser.parse_args()
    if bool(args.metagrad_jsonl) != bool(args.pytorch_jsonl):
        parser.error('--metagrad-jsonl and --pytorch-jsonl go together')
    return args


def parse_lines(text: str) -> list[dict]:
    records = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('{'):
            records.append(json.loads(line))
    return records


def run_side(command: list[str], env: dict, label: str) -> tuple[list[dict], str | None]:
    """Runs one side; returns its records and an error line (None when it exited 0)."""
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    error = None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ['exit status %d' % proc.returncode])[-1]
        error = f'{label}: {last}'
    return parse_lines(proc.stdout), error


def run_both(args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    binary = Path(args.binary)
    if not binary.is_file():
        sys.exit(f'compare_pytorch: {binary} not found; build it with `make build` '
                 f'(or `meson compile -C build`) or pass its path')
    env = dict(os.environ, BENCH_THREADS=str(args.threads))
    if args.idiomatic:
        env['BENCH_IDIOMATIC'] = '1'
    counterpart = HERE / f'{binary.name}.py'
    if not counterpart.is_file():
        sys.exit(f'compare_pytorch: {binary} has no PyTorch counterpart {counterpart}')
    records, errors = [], []
    for round_nr in range(args.rounds):
        for workload in SUITES.get(binary.name, ['']):
            env['BENCH_WORKLOADS'] = workload  # '' runs every workload of the binary
            sides = [([str(binary)], 'metagrad'),
                     ([args.python, str(counterpart)], 'pytorch')]
            if round_nr % 2 == 1:  # alternate who goes first
                sides.reverse()
            for command, label in sides:
                recs, error = run_side(command, env, label)
                for rec in recs:
                    rec['round'] = round_nr
                records += recs
                if error and (workload, error) not in errors:
                    errors.append((workload, error))
    return records, [f'{w}: {e}' for w, e in errors]


def read_files(args: argparse.Namespace) -> list[dict]:
    records = []
    for path in (args.metagrad_jsonl, args.pytorch_jsonl):
        records += parse_lines(Path(path).read_text())
    return records


def summarise(records: list[dict]) -> dict:
    """(impl, workload) -> (wall, cpu) in the workload's unit (ns per op for the per-op rows, else
    ms), each the median over rounds. PyTorch's alternative rows (compare_to) keep their names."""
    values: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for rec in records:
        wall, cpu = values.setdefault((rec['impl'], rec['workload']), ([], []))
        per_op = 'ns_per_op' in rec
        wall.append(rec['ns_per_op'] if per_op else rec['median_ms'])
        cpu_value = rec.get('cpu_ns_per_op' if per_op else 'cpu_median_ms')
        if cpu_value is not None:
            cpu.append(cpu_value)
    return {key: (statistics.median(wall), statistics.median(cpu) if cpu else None)
            for key, (wall, cpu) in values.items()}


def ratio_of(mg: float | None, pt: float | None) -> float | None:
    return mg / pt if mg is not None and pt else None


def fmt_value(value: float | None) -> str:
    if value is None:
        return '-'
    return f'{value:.1f}' if value >= 100 else f'{value:.3f}'


def print_table(records: list[dict], errors: list[str], threads: int) -> int:
    summary = summarise(records)
    rows = [(w, w) for w in WORKLOADS]
    rows += [(w, w) for w in dict.fromkeys(r['workload'] for r in records if not r.get('compare_to'))
             if w not in WORKLOADS]  # a benchmark's workloads that have no target here
    rows += sorted({(r['workload'], r['compare_to']) for r in records if r.get('compare_to')},
                   key=lambda r: list(WORKLOADS).index(r[1]) if r[1] in WORKLOADS else 99)
    header = ('workload', 'unit', 'metagrad', 'pytorch', 'ratio', 'target', 'met', 'cpu ratio')
    lines = []
    missed = 0
    for py_name, mg_name in rows:
        target, unit = WORKLOADS.get(mg_name, (None, 'ms'))
        mg_wall, mg_cpu = summary.get(('metagrad', mg_name), (None, None))
        pt_wall, pt_cpu = summary.get(('pytorch', py_name), (None, None))
        if mg_wall is None and pt_wall is None:
            continue
        ratio, cpu_ratio = ratio_of(mg_wall, pt_wall), ratio_of(mg_cpu, pt_cpu)
        if py_name != mg_name:
            label, target = f'{mg_name} vs {py_name}', None
        else:
            label = mg_name
        # A workload may carry several targets (one per issue), each met or not.
        targets = () if target is None else target if isinstance(target, tuple) else (target,)
        if not targets or ratio is None:
            met = '-'
        else:
            hits = ['yes' if ratio <= t else 'NO' for t in targets]
            met, missed = '/'.join(hits), missed + hits.count('NO')
        lines.append((label, unit, fmt_value(mg_wall), fmt_value(pt_wall),
                      '-' if ratio is None else f'{ratio:.3f}',
                      '-' if not targets else '<= ' + ', '.join(f'{t:.3g}' if len(targets) > 1
                                                                 else f'{t:g}' for t in targets),
                      met,
                      '-' if cpu_ratio is None else f'{cpu_ratio:.3f}'))
    widths = [max(len(str(row[i])) for row in [header] + lines) for i in range(len(header))]
    print(f'engine benchmark, metagrad vs PyTorch, {threads} thread(s); ratio = metagrad / PyTorch '
          f'of median wall times (cpu ratio: of process CPU times, which a loaded machine disturbs '
          f'less; it counts spinning OpenMP threads too)')
    for row in [header] + lines:
        print('  '.join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                        for i, cell in enumerate(row)))
    gemms = {(r['impl'], r.get('gemm', '?')) for r in records}
    print('GEMM: ' + ', '.join(f'{impl} {gemm}' for impl, gemm in sorted(gemms)))
    if ('pytorch', 'openblas') not in gemms and any(r['impl'] == 'pytorch' for r in records):
        print('warning: PyTorch is not using OpenBLAS (apt-get install libopenblas0-openmp); its '
              'matrix products are then far slower than usual and the MLP ratios mean little')
    print_checks(records)
    print_implicit(records)
    for error in errors:
        print(f'error: {error}')
    return missed


def print_checks(records: list[dict]) -> None:
    """Peak RSS (peak_rss_mb, from a process that ran one workload) and the first step's loss of
    the benchmarks that report them (bench/maml_omniglot), per workload and side, medians over
    rounds."""
    keys = ('peak_rss_mb', 'rss_before_mb', 'meta_loss', 'meta_grad_norm')
    values: dict[tuple[str, str], dict[str, list[float]]] = {}
    for rec in records:
        for key in keys:
            if key in rec:
                side = values.setdefault((rec['workload'], rec['impl']), {})
                side.setdefault(key, []).append(rec[key])
    for workload in dict.fromkeys(w for w, _ in values):
        parts = []
        for impl in ('metagrad', 'pytorch'):
            found = {k: statistics.median(v) for k, v in values.get((workload, impl), {}).items()}
            if not found:
                continue
            text = impl
            if 'peak_rss_mb' in found:
                text += f' peak RSS {found["peak_rss_mb"]:.0f} MiB'
                if 'rss_before_mb' in found:
                    text += f' ({found["rss_before_mb"]:.0f} before the first step)'
            if 'meta_loss' in found:
                text += f', first meta-loss {found["meta_loss"]:.6f}'
            if 'meta_grad_norm' in found:
                text += f', its meta-gradient norm {found["meta_grad_norm"]:.6f}'
            parts.append(text)
        print(f'{workload}: ' + '; '.join(parts))


def print_implicit(records: list[dict]) -> None:
    """bench/implicit: each side's hypergradient and its relative error against the analytic one
    (medians over rounds), then metagrad's custom_root time over its analytic formula's."""
    grads: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for rec in records:
        if 'hypergrad' in rec:
            grads.setdefault((rec['workload'], rec['impl']), []).append(
                (rec['hypergrad'], rec['rel_err']))
    if not grads:
        return
    for workload in dict.fromkeys(w for w, _ in grads):
        parts = []
        for impl in ('metagrad', 'pytorch'):
            values = grads.get((workload, impl))
            if values:
                parts.append(f'{impl} {statistics.median(v for v, _ in values):.12g} '
                             f'(rel. err {statistics.median(e for _, e in values):.1e})')
        print(f'{workload}: hypergradient ' + '; '.join(parts))
    summary = summarise(records)
    for impl in ('metagrad', 'pytorch'):
        for size in dict.fromkeys(w.rsplit('_', 1)[1] for i, w in summary
                                  if i == impl and w.startswith('implicit_')):
            floor = summary.get((impl, f'implicit_analytic_{size}'), (None, None))[0]
            if not floor:
                continue
            for variant in ('cg', 'normal_cg', 'cg_cg', 'cg_manual', 'unrolled'):
                wall = summary.get((impl, f'implicit_{variant}_{size}'), (None, None))[0]
                if wall is None:
                    continue
                target = IMPLICIT_FLOOR_TARGET.get(size) if impl == 'metagrad' and \
                    variant in ('cg', 'normal_cg') else None
                verdict = '' if target is None else \
                    f' (target <= {target:g}: {"yes" if wall / floor <= target else "NO"})'
                print(f'{impl} implicit_{variant}_{size} / analytic: {wall / floor:.2f}{verdict}')


def main() -> int:
    args = parse_args()
    if args.metagrad_jsonl:
        records, errors = read_files(args), []
        threads = {r.get('threads') for r in records}
        if len(threads) > 1:
            print(f'warning: the two files were run with different threads: {sorted(threads)}')
        shown_threads = records[0].get('threads', '?') if records else '?'
    else:
        records, errors = run_both(args)
        shown_threads = args.threads
    if args.save:
        Path(args.save).write_text(''.join(json.dumps(r) + '\n' for r in records))
    print_table(records, errors, shown_threads)
    return 0


if __name__ == '__main__':
    sys.exit(main())
