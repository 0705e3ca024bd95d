"""Puts metagrad's meta-learning benchmarks next to the peers' own scripts (issue 13).

The peers are the scripts in the shared peers folder (`maml_step.py`, `sinusoid_maml.py`): the
MAML Omniglot and sinusoid meta-steps through TorchOpt's MetaSGD, TorchOpt's functional API,
`higher` and plain `torch.autograd.grad`. Each run is one process (so that each peak RSS is that
variant's own), and the rounds alternate metagrad and every peer so that all see the same machine
load. The table gives the median over the rounds of each side's median time and its peak RSS,
and metagrad's ratio against the fastest peer (time) and the leanest peer (peak RSS).

Usage: python3 bench/compare_peers.py --peers DIR [--build build] [--rounds 3]
           [--cases maml4,maml32,sinusoid] [--threads 2]
(more cases: sinusoid_vectorized, maml4_vectorized: the tasks as a tensor dim)
Needs /usr/bin/python3 with torch; TorchOpt and higher as `setup_peers.sh` installs them (the
variants that fail to import are reported and left out).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# case -> (metagrad binary, its workload, its environment, peer script, peer environment)
CASES = {
    'maml4': ('maml_omniglot', 'maml_step_4tasks', {'BENCH_ITERS': '5'},
              'maml_step.py', {'MAML_TASKS': '4', 'MAML_REPEATS': '5', 'MAML_WARMUP': '1'}),
    'maml32': ('maml_omniglot', 'maml_step_32tasks', {'BENCH_ITERS': '2'},
               'maml_step.py', {'MAML_TASKS': '32', 'MAML_REPEATS': '2', 'MAML_WARMUP': '1'}),
    'sinusoid': ('maml_sinusoid', 'sinusoid_step_25tasks', {'BENCH_ITERS': '20'},
                 'sinusoid_maml.py', {'SIN_REPEATS': '20', 'SIN_WARMUP': '3'}),
    # The tasks as a tensor dim (meta_batch_vectorized) against the same peers.
    'sinusoid_vectorized': ('maml_sinusoid', 'sinusoid_step_25tasks_vectorized',
                            {'BENCH_ITERS': '20'}, 'sinusoid_maml.py',
                            {'SIN_REPEATS': '20', 'SIN_WARMUP': '3'}),
    'maml4_vectorized': ('maml_omniglot', 'maml_step_4tasks_vectorized', {'BENCH_ITERS': '5'},
                         'maml_step.py',
                         {'MAML_TASKS': '4', 'MAML_REPEATS': '5', 'MAML_WARMUP': '1'}),
}
VARIANTS = ['torchopt', 'torchopt_func', 'higher', 'functional']


def last_json(text: str) -> dict | None:
    """The last JSON object line of a process's output, or None."""
    for line in reversed(text.splitlines()):
        if line.startswith('{'):
            return json.loads(line)
    return None


def run_metagrad(build: Path, case: str, threads: int) -> tuple[float, float]:
    binary, workload, env, _, _ = CASES[case]
    environment = dict(os.environ, BENCH_THREADS=str(threads), BENCH_WORKLOADS=workload, **env)
    out = subprocess.run([str(build / 'bench' / binary)], env=environment, check=True,
                         capture_output=True, text=True).stdout
    record = last_json(out)
    return record['median_ms'], record['peak_rss_mb']


def run_peer(peers: Path, case: str, variant: str, threads: int) -> tuple[float, float] | None:
    _, _, _, script, env = CASES[case]
    environment = dict(os.environ, PEERS_THREADS=str(threads), **env)
    done = subprocess.run(['/usr/bin/python3', script, variant], cwd=peers, env=environment,
                          capture_output=True, text=True)
    record = last_json(done.stdout) if done.returncode == 0 else None
    if record is None:
        print(f'  {variant}: failed ({done.stderr.strip().splitlines()[-1:]})', file=sys.stderr)
        return None
    return record['time']['median_ms'], record['peak_rss_mb']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--peers', type=Path, required=True)
    parser.add_argument('--build', type=Path, default=Path(__file__).resolve().parent.parent / 'build')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--cases', default='maml4,maml32,sinusoid')
    args = parser.parse_args()

    for case in args.cases.split(','):
        samples: dict[str, list[tuple[float, float]]] = {}
        for round_index in range(args.rounds):
            print(f'{case}: round {round_index + 1}/{args.rounds}', file=sys.stderr, flush=True)
            samples.setdefault('metagrad', []).append(run_metagrad(args.build, case, args.threads))
            for variant in VARIANTS:
                result = run_peer(args.peers, case, variant, args.threads)
                if result is not None:
                    samples.setdefault(variant, []).append(result)
        medians = {name: (statistics.median(t for t, _ in runs), statistics.median(r for _, r in runs))
                   for name, runs in samples.items()}
        peers = {name: value for name, value in medians.items() if name != 'metagrad'}
        print(f'\n{case}, {args.threads} threads, medians of {args.rounds} alternating rounds')
        print(f'{"side":<15}{"ms":>10}{"peak MiB":>10}')
        for name, (ms, rss) in medians.items():
            print(f'{name:<15}{ms:>10.1f}{rss:>10.0f}')
        if peers:
            fastest = min(peers, key=lambda name: peers[name][0])
            leanest = min(peers, key=lambda name: peers[name][1])
            ms, rss = medians['metagrad']
            print(f'time ratio vs fastest peer ({fastest}): {ms / peers[fastest][0]:.3f}; '
                  f'peak RSS ratio vs leanest peer ({leanest}): {rss / peers[leanest][1]:.3f}')


if __name__ == '__main__':
    main()
