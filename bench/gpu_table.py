"""The table of bench/gpu_check.sh: metagrad's GPU benchmarks next to PyTorch's, with the issue's
targets.

Reads JSON lines (bench/gpu_bench, bench/maml_omniglot --device cuda, bench/gpu_peers.py; other
lines are ignored) from the files given, prints one row per workload (median ms, GB/s or peak
device memory, and the ratio PyTorch / metagrad) and then one line per target of issue 12:
  fused Adam 100M    metagrad's GB/s (28 B/element) >= 88 % of its copy bandwidth
  fused Adam 10M     metagrad >= 1.5x faster than torch.optim.Adam(fused=True)
  MAML 32 tasks      metagrad's time <= 1/3 of torch.func.vmap's, with no more peak memory
                     (metagrad in exact float32 against PyTorch's defaults, whose cuDNN
                     convolutions may use TF32; then each at matched precision: both float32,
                     and both TF32)
  sinusoid MAML      metagrad's time <= 1/10 of PyTorch's loop
Exit code 0 whatever the numbers (a report); 2 when a file cannot be read.

Usage: python3 bench/gpu_table.py RESULTS.jsonl...
"""

from __future__ import annotations

import json
import sys

ROWS = [
    ('copy_bandwidth', 'copy_bandwidth', 'D2D copy, 400 MB'),
    ('adam_100m', 'adam_100m', 'fused Adam, 100M in 100 tensors'),
    ('adam_10m', 'adam_10m', 'fused Adam, 10M in 100 tensors'),
    ('adam_transform_100m', None, 'Adam transform alone, 100M (24 B/el.)'),
    ('adam_transform_10m', None, 'Adam transform alone, 10M (24 B/el.)'),
    ('maml_step_32tasks', 'maml_step_32tasks', 'MAML Omniglot 32 tasks (torch loop)'),
    ('maml_step_32tasks', 'maml_step_32tasks_vmap', 'MAML Omniglot 32 tasks (torch vmap)'),
    ('maml_step_32tasks_vectorized', 'maml_step_32tasks_vmap',
     'MAML Omniglot 32 tasks, vectorized (torch vmap)'),
    ('maml_step_32tasks_vectorized', 'maml_step_32tasks_vmap_fp32',
     '  both float32 (torch vmap, cuDNN TF32 off)'),
    ('maml_step_32tasks_vectorized_tf32', 'maml_step_32tasks_vmap',
     '  both TF32 (metagrad TF32, torch vmap)'),
    ('maml_sinusoid', 'maml_sinusoid', 'sinusoid MAML 25 tasks (torch loop)'),
    ('maml_sinusoid_vectorized', 'maml_sinusoid', 'sinusoid MAML 25 tasks, vectorized (torch loop)'),
]


def fastest(get, names: tuple) -> dict | None:
    """The fastest of metagrad's variants of one workload (loop or vectorized) that ran."""
    runs = [r for r in (get(('metagrad', n)) for n in names) if r]
    return min(runs, key=lambda r: r['median_ms']) if runs else None


def load(paths: list[str]) -> dict:
    results = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith('{'):
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if 'workload' in record and 'impl' in record:
                    results[(record['impl'], record['workload'])] = record
    return results


def describe(record: dict | None) -> str:
    if record is None:
        return f'{"-":>10} {"":>16}'
    extra = ''
    if 'gb_per_s' in record:
        extra = f'{record["gb_per_s"]:8.1f} GB/s'
    elif record.get('peak_device_mb'):
        extra = f'{record["peak_device_mb"]:8.1f} MB peak'
    return f'{record["median_ms"]:10.3f} {extra:>16}'


def target(name: str, ok: bool | None, detail: str) -> str:
    verdict = 'n/a ' if ok is None else ('MET ' if ok else 'MISS')
    return f'  [{verdict}] {name:<16} {detail}'


def main(argv: list[str]) -> int:
    try:
        results = load(argv)
    except OSError as e:
        print(f'gpu_table.py: {e}', file=sys.stderr)
        return 2
    get = results.get
    print(f'{"workload":<50} {"metagrad ms":>10} {"":>16}   {"PyTorch ms":>10} {"":>16}  '
          f'{"torch/mg":>8}')
    for mg_name, torch_name, label in ROWS:
        mg, pt = get(('metagrad', mg_name)), get(('pytorch', torch_name)) if torch_name else None
        ratio = f'{pt["median_ms"] / mg["median_ms"]:8.2f}' if mg and pt else f'{"-":>8}'
        print(f'{label:<50} {describe(mg)}   {describe(pt)}  {ratio}')

    print('targets of issue 12:')
    adam = get(('metagrad', 'adam_100m'))
    if adam:
        fraction = adam['fraction_of_copy']
        print(target('fused Adam 100M', fraction >= 0.88,
                     f'{100 * fraction:.1f} % of copy bandwidth (target >= 88 %)'))
    else:
        print(target('fused Adam 100M', None, 'no result'))
    mg, pt = get(('metagrad', 'adam_10m')), get(('pytorch', 'adam_10m'))
    if mg and pt:
        speedup = pt['median_ms'] / mg['median_ms']
        print(target('fused Adam 10M', speedup >= 1.5,
                     f'{speedup:.2f}x torch fused (target >= 1.5x)'))
    else:
        print(target('fused Adam 10M', None, 'no result'))
    mg = fastest(get, ('maml_step_32tasks', 'maml_step_32tasks_vectorized'))
    pt = get(('pytorch', 'maml_step_32tasks_vmap'))
    if mg and pt:
        share = mg['median_ms'] / pt['median_ms']
        memory = mg.get('peak_device_mb', 0.0) <= pt.get('peak_device_mb', 0.0)
        print(target('MAML 32 tasks', share <= 1 / 3 and memory,
                     f'{mg["workload"]}: {share:.3f} of torch vmap time (target <= 0.333), peak '
                     f'{mg.get("peak_device_mb", 0.0):.0f} MB vs {pt.get("peak_device_mb", 0.0):.0f} '
                     'MB (target: no more)'))
    else:
        print(target('MAML 32 tasks', None, 'no result'))
    for mg_name, pt_name, label in (
            ('maml_step_32tasks_vectorized', 'maml_step_32tasks_vmap_fp32', 'both float32'),
            ('maml_step_32tasks_vectorized_tf32', 'maml_step_32tasks_vmap', 'both TF32')):
        mg, pt = get(('metagrad', mg_name)), get(('pytorch', pt_name))
        if mg and pt:
            share = mg['median_ms'] / pt['median_ms']
            print(target(f'  {label}', share <= 1 / 3,
                         f'{mg_name}: {share:.3f} of {pt_name} time (target <= 0.333)'))
    mg = fastest(get, ('maml_sinusoid', 'maml_sinusoid_vectorized'))
    pt = get(('pytorch', 'maml_sinusoid'))
    if mg and pt:
        share = mg['median_ms'] / pt['median_ms']
        print(target('sinusoid MAML', share <= 0.1,
                     f'{mg["workload"]}: {share:.3f} of torch time (target <= 0.1)'))
    else:
        print(target('sinusoid MAML', None, 'no result'))
    for name in ('maml_sinusoid', 'maml_step_32tasks'):
        mg, pt = get(('metagrad', name)), get(('pytorch', name))
        if mg and pt and 'meta_loss' in mg and 'meta_loss' in pt:
            print(f'  check: {name} first meta-loss metagrad {mg["meta_loss"]:.6f}, '
                  f'PyTorch {pt["meta_loss"]:.6f}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
