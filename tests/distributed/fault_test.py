"""Fault tests of metagrad::distributed: jobs in which one rank fails (fault_job.cpp) must end on
every rank, quickly, with a clear message, never hang.

Usage: fault_test.py MPIRUN FAULT_JOB
"""
import subprocess
import sys
import time

MPIRUN_ARGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
# By default mpirun kills the other ranks as soon as one exits non-zero, which can cut off a rank
# still printing its message (seen on a loaded machine: the failing rank's own message lost) and
# would hide a rank that hangs. With orte_abort_on_non_zero_status 0 every rank ends on its own;
# mpirun then exits 0, so a rank's failure is read from its "rank R error: ..." line (the job
# prints it and exits 1).
LET_RANKS_END = ["--mca", "orte_abort_on_non_zero_status", "0"]


def run_job(mpirun, job, mode, ranks, let_ranks_end=True):
    start = time.monotonic()
    args = [mpirun, *MPIRUN_ARGS, *(LET_RANKS_END if let_ranks_end else []), "-np", str(ranks)]
    proc = subprocess.run([*args, job, mode], capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr, time.monotonic() - start


def error_lines(output):
    return {int(line.split()[1]): line for line in output.splitlines()
            if line.startswith("rank ") and " error: " in line}


def check(condition, what, output):
    if not condition:
        print(f"FAILED: {what}\n--- job output ---\n{output}")
        sys.exit(1)


def main():
    mpirun, job = sys.argv[1], sys.argv[2]

    for ranks in (2, 3):
        # A rank that throws: every rank ends with its message.
        out, seconds = run_job(mpirun, job, "throw", ranks)
        errors = error_lines(out)
        check(sorted(errors) == list(range(ranks)), f"throw/{ranks}: every rank reports", out)
        check(errors[1].endswith("error: boom at step 2"), "throw: rank 1's own message", out)
        for r in range(ranks):
            if r != 1:
                check("rank 1 failed: boom at step 2" in errors[r],
                      f"throw/{ranks}: rank {r} names rank 1 and its message", out)
        check(seconds < 30, f"throw/{ranks}: ends quickly ({seconds:.1f} s)", out)

        # Ranks that disagree on shapes: all of them say so, naming both.
        out, seconds = run_job(mpirun, job, "mismatch", ranks)
        errors = error_lines(out)
        check(sorted(errors) == list(range(ranks)),
              f"mismatch/{ranks}: every rank reports", out)
        for r in range(ranks):
            check("rank 0 calls all_reduce(sum) with 1 tensor: float32 [3]" in errors[r] and
                  "rank 1 calls all_reduce(sum) with 1 tensor: float32 [4]" in errors[r],
                  f"mismatch/{ranks}: rank {r} names both calls", out)

        # A rank that leaves early: the others learn it at their next collective.
        out, seconds = run_job(mpirun, job, "exit", ranks)
        errors = error_lines(out)
        check(0 in errors, f"exit/{ranks}: rank 0 reports", out)
        check("rank 1 calls finalize" in errors[0], f"exit/{ranks}: rank 0 names finalize", out)
        check(seconds < 30, f"exit/{ranks}: ends quickly ({seconds:.1f} s)", out)

    # A rank that never arrives: the others time out (1 s) instead of hanging for its 30 s
    # (mpirun then stops the sleeper).
    out, seconds = run_job(mpirun, job, "timeout", 2, let_ranks_end=False)
    errors = error_lines(out)
    check(0 in errors, "timeout: rank 0 reports", out)
    check("waited 1000 ms for the other ranks" in errors[0], "timeout: rank 0 says why", out)
    check(seconds < 20, f"timeout: the job ends long before the sleeper wakes ({seconds:.1f} s)",
          out)
    print("fault tests passed")


if __name__ == "__main__":
    main()
