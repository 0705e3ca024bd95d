"""Fault tests of metagrad::distributed: jobs in which one rank fails (fault_job.cpp) must end on
every rank, quickly, with a clear message, never hang.

Usage: fault_test.py MPIRUN FAULT_JOB
"""
import subprocess
import sys
import time

MPIRUN_ARGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]


def run_job(mpirun, job, mode, ranks):
    start = time.monotonic()
    proc = subprocess.run([mpirun, *MPIRUN_ARGS, "-np", str(ranks), job, mode],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


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
        code, out, seconds = run_job(mpirun, job, "throw", ranks)
        errors = error_lines(out)
        check(code != 0, f"throw/{ranks}: the job exits non-zero", out)
        check(sorted(errors) == list(range(ranks)), f"throw/{ranks}: every rank reports", out)
        check(errors[1].endswith("error: boom at step 2"), "throw: rank 1's own message", out)
        for r in range(ranks):
            if r != 1:
                check("rank 1 failed: boom at step 2" in errors[r],
                      f"throw/{ranks}: rank {r} names rank 1 and its message", out)
        check(seconds < 30, f"throw/{ranks}: ends quickly ({seconds:.1f} s)", out)

        # Ranks that disagree on shapes: all of them say so, naming both.
        code, out, seconds = run_job(mpirun, job, "mismatch", ranks)
        errors = error_lines(out)
        check(code != 0 and sorted(errors) == list(range(ranks)),
              f"mismatch/{ranks}: every rank reports", out)
        for r in range(ranks):
            check("rank 0 calls all_reduce(sum) with 1 tensor: float32 [3]" in errors[r] and
                  "rank 1 calls all_reduce(sum) with 1 tensor: float32 [4]" in errors[r],
                  f"mismatch/{ranks}: rank {r} names both calls", out)

        # A rank that leaves early: the others learn it at their next collective.
        code, out, seconds = run_job(mpirun, job, "exit", ranks)
        errors = error_lines(out)
        check(code != 0 and 0 in errors, f"exit/{ranks}: rank 0 reports", out)
        check("rank 1 calls finalize" in errors[0], f"exit/{ranks}: rank 0 names finalize", out)
        check(seconds < 30, f"exit/{ranks}: ends quickly ({seconds:.1f} s)", out)

    # A rank that never arrives: the others time out (1 s) instead of hanging for its 30 s.
    code, out, seconds = run_job(mpirun, job, "timeout", 2)
    errors = error_lines(out)
    check(code != 0 and 0 in errors, "timeout: rank 0 reports", out)
    check("waited 1000 ms for the other ranks" in errors[0], "timeout: rank 0 says why", out)
    check(seconds < 20, f"timeout: the job ends long before the sleeper wakes ({seconds:.1f} s)",
          out)
    print("fault tests passed")


if __name__ == "__main__":
    main()
