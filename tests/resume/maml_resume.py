#!/usr/bin/env python3
"""A killed and resumed maml_omniglot run ends exactly where an uninterrupted one does.

(a) Runs a small configuration to the end, checkpointing into one folder. (b) Starts the same
configuration with a second folder, waits for its first checkpoint, kills it (SIGKILL to its
whole process group, launcher included) and checks that it really stopped before the end; then
runs it again with --resume to the end. (c) Compares the two final checkpoints: every tensor
(network parameters and buffers, Adam's state) bit for bit, the sampler's and the generator's
positions, the epoch and step, the log rows (all but their times), and the final accuracy line
the two runs print. Also checks the errors of --resume without a checkpoint and with other
options.

Usage: maml_resume.py BINARY SCRATCH_DIR [--launcher 'mpirun -np 2'] [--extra '--flag value']
The launcher prefix and the extra arguments (both split as a shell would) let the same test run
the program under another launcher (a distributed run, say). Exit status 0 on success, 1 with a
FAIL line otherwise.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time

CHECKPOINT = "maml-checkpoint.safetensors"
# 3 epochs of 20 meta-steps of 2 small tasks (about 0.1 s a step on 2 cores); a checkpoint every 5
# steps, so the first one appears long before the end and the kill lands mid-run.
EPOCHS, STEPS = 3, 20
TOTAL_STEPS = EPOCHS * STEPS
RUN_TIMEOUT_S = 120


def config(folder, seed=7):
    """The run's arguments, with its outputs and checkpoint in `folder`."""
    return ["--n_way", "3", "--k_spt", "1", "--k_qry", "2", "--task_num", "2", "--epochs",
            str(EPOCHS), "--steps", str(STEPS), "--test_steps", "2", "--seed", str(seed),
            "--threads", "1", "--checkpoint_every", "5", "--out", folder, "--checkpoint", folder]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def read_safetensors(path):
    """(metadata, {name: (dtype, shape, bytes)}) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    body = data[8 + header_len:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = (entry["dtype"], tuple(entry["shape"]), body[begin:end])
    return metadata, tensors


def done_steps(metadata):
    return int(metadata["extra.epoch"]) * STEPS + int(metadata["extra.step"])


def final_line(output):
    """The accuracy part of the final line: 'final held-out accuracy 91.67%'."""
    match = re.search(r"final held-out accuracy [0-9.]+%", output)
    if not match:
        fail(f"no final accuracy line in:\n{output}")
    return match.group(0)


class Program:
    def __init__(self, binary, launcher, extra):
        self.prefix = shlex.split(launcher) + [binary]
        self.extra = shlex.split(extra)

    def command(self, args):
        return self.prefix + args + self.extra

    def run(self, args, expect_ok=True):
        proc = subprocess.run(self.command(args), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT_S)
        if expect_ok and proc.returncode != 0:
            fail(f"{' '.join(self.command(args))} exited with {proc.returncode}:\n{proc.stdout}")
        return proc

    def run_and_kill(self, args, checkpoint):
        """Starts the run, kills it as soon as `checkpoint` exists; returns its output so far."""
        log_path = checkpoint + ".log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(self.command(args), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while not os.path.exists(checkpoint):
                if proc.poll() is not None:
                    fail("the run ended before its first checkpoint appeared")
                if time.monotonic() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    fail(f"no checkpoint after {RUN_TIMEOUT_S} s")
                time.sleep(0.005)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with open(log_path) as f:
            output = f.read()
        if proc.returncode != -signal.SIGKILL:
            fail(f"the run was not killed (exit status {proc.returncode}):\n{output}")
        if "final held-out accuracy" in output:
            fail(f"the run had finished before it was killed:\n{output}")
        return output


def compare_checkpoints(path_a, path_b):
    meta_a, tensors_a = read_safetensors(path_a)
    meta_b, tensors_b = read_safetensors(path_b)
    if sorted(tensors_a) != sorted(tensors_b):
        fail(f"the checkpoints hold different tensors: {sorted(tensors_a)} vs {sorted(tensors_b)}")
    modules = [n for n in tensors_a if n.startswith("module.")]
    moments = [n for n in tensors_a if n.startswith("optimizer.")]
    if not modules or not moments:
        fail(f"expected module and optimizer tensors, got {sorted(tensors_a)}")
    for name in sorted(tensors_a):
        if tensors_a[name] != tensors_b[name]:
            fail(f"tensor {name} differs between the uninterrupted and the resumed run")
    if sorted(meta_a) != sorted(meta_b):
        fail(f"the checkpoints' metadata keys differ: {sorted(meta_a)} vs {sorted(meta_b)}")
    for key in sorted(meta_a):
        if key in ("extra.log", "extra.train_seconds"):
            continue  # times differ
        if meta_a[key] != meta_b[key]:
            fail(f"metadata {key} differs: '{meta_a[key]}' vs '{meta_b[key]}'")
    rows_a = [r.rsplit(",", 1)[0] for r in meta_a["extra.log"].split("\n")]
    rows_b = [r.rsplit(",", 1)[0] for r in meta_b["extra.log"].split("\n")]
    if rows_a != rows_b:
        fail(f"the logs differ:\n{rows_a}\n{rows_b}")
    # The initial evaluation, a row per meta-step and an evaluation per epoch.
    if len(rows_a) != 1 + TOTAL_STEPS + EPOCHS:
        fail(f"the log has {len(rows_a)} rows, expected {1 + TOTAL_STEPS + EPOCHS}")
    if done_steps(meta_a) != TOTAL_STEPS:
        fail(f"the final checkpoint is at {done_steps(meta_a)} meta-steps, not {TOTAL_STEPS}")
    return len(modules), len(moments)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("scratch")
    parser.add_argument("--launcher", default="", help="command prefix, e.g. 'mpirun -np 2'")
    parser.add_argument("--extra", default="", help="more arguments for the program")
    args = parser.parse_args()
    program = Program(args.binary, args.launcher, args.extra)
    shutil.rmtree(args.scratch, ignore_errors=True)
    os.makedirs(args.scratch)
    whole_dir = os.path.join(args.scratch, "whole")
    parts_dir = os.path.join(args.scratch, "parts")

    # Errors first (they stop before any data is loaded): --resume without a checkpoint, and
    # --resume with options other than the checkpoint's.
    missing = program.run(config(parts_dir) + ["--resume"], expect_ok=False)
    if missing.returncode == 0 or "there is no checkpoint" not in missing.stdout:
        fail(f"--resume without a checkpoint: no clear error:\n{missing.stdout}")

    # (a) Uninterrupted.
    whole = program.run(config(whole_dir))

    # (b) Killed after its first checkpoint, then resumed to the end.
    checkpoint = os.path.join(parts_dir, CHECKPOINT)
    program.run_and_kill(config(parts_dir), checkpoint)
    killed_at = done_steps(read_safetensors(checkpoint)[0])
    if not 0 < killed_at < TOTAL_STEPS:
        fail(f"the killed run's checkpoint is at {killed_at} meta-steps")
    other = program.run(config(parts_dir, seed=8) + ["--resume"], expect_ok=False)
    expected = "it was written with --seed 7 but this run has --seed 8"
    if other.returncode == 0 or expected not in other.stdout:
        fail(f"--resume with another --seed: no clear error:\n{other.stdout}")
    resumed = program.run(config(parts_dir) + ["--resume"])
    if "resumed from" not in resumed.stdout:
        fail(f"the resumed run does not say so:\n{resumed.stdout}")

    # (c) The same end.
    modules, moments = compare_checkpoints(os.path.join(whole_dir, CHECKPOINT), checkpoint)
    if final_line(whole.stdout) != final_line(resumed.stdout):
        fail(f"final lines differ: '{final_line(whole.stdout)}' vs '{final_line(resumed.stdout)}'")
    with open(os.path.join(parts_dir, "maml-log.csv")) as f:
        csv_rows = f.read().splitlines()
    if len(csv_rows) != 1 + 1 + TOTAL_STEPS + EPOCHS:
        fail(f"the resumed run's maml-log.csv has {len(csv_rows)} lines")
    print(f"killed after {killed_at} of {TOTAL_STEPS} meta-steps; resumed run matches the "
          f"uninterrupted one bit for bit ({modules} module and {moments} optimizer tensors), "
          f"{final_line(resumed.stdout)}")


if __name__ == "__main__":
    main()
