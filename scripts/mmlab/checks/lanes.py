# SPDX-License-Identifier: MIT
"""Run the stages of `make check` side by side, as many at once as the
machine has cores (JOBS=N), like `make -jN` runs recipes.

Most stages leave a core idle much of the time (a QEMU boot is one
thread, a link or a Kconfig run one process), so two stages at once
keep a 2-core machine busy. Each stage runs in a child process of its
own, with its output going to a log file and its counts to a Tally of
its own; when it ends, its whole output is printed as one block (so two
stages never interleave lines) and its counts are added to the total.
The stages write to directories of their own below the output directory;
the few that share one wait for it (NEEDS). With JOBS=1 the stages run
one after the other in this process, their output printed as it comes.
"""
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import sys
import time
import traceback

# stage -> the stage that must have ended before it starts: ram boots the
# matrix stage's images, fuzz builds in the host stage's objects.
NEEDS = {"ram": "matrix", "fuzz": "host"}

# Rough seconds each stage takes on a quiet 2-core machine: the longest
# chains start first, so that no long stage is left to run alone at the end.
COST = {"matrix": 175, "ram": 38, "randconfig": 120, "docs": 100, "host": 78, "fuzz": 64,
        "labkit": 73, "objtree": 32, "habits": 14, "extremes": 13, "badinput": 9,
        "bench": 8, "lint": 8, "errors": 7}


def default_jobs():
    """Stages at once when JOBS= is not given: the machine's cores."""
    return max(1, os.cpu_count() or 1)


def chain_cost(stage, stages):
    """Seconds from the start of @stage to the end of everything that waits for it."""
    after = [s for s in stages if NEEDS.get(s) == stage]
    return COST.get(stage, 30) + max((chain_cost(s, stages) for s in after), default=0)


def run_stage(stage, fn, ctx, tally_cls, before):
    """Run stage @fn on @ctx with a fresh Tally of class @tally_cls, after
    @before(stage, ctx) (the caller's per-stage set-up). Return: the Tally."""
    ctx.tally = tally_cls()
    ctx.tally.group = stage
    before(stage, ctx)
    fn(ctx)
    return ctx.tally


def cpu_seconds():
    """User and system seconds this process and its waited-for children used."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child_main(stage, fn, ctx, tally_cls, before, log_path, result_path):
    """Body of a stage's child process: output to @log_path, the Tally and
    the CPU seconds it took pickled into @result_path (a stage that raises
    counts one failure)."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = sys.stdout
    try:
        tally = run_stage(stage, fn, ctx, tally_cls, before)
    except BaseException as e:            # noqa: B902: reported, not swallowed
        traceback.print_exc()
        tally = ctx.tally
        tally.fail("%s: the stage stopped: %s: %s" % (stage, type(e).__name__, e))
    sys.stdout.flush()
    with open(result_path, "wb") as f:
        pickle.dump((tally, cpu_seconds()), f)


def run_serial(stages, table, ctx, tally_cls, before, total):
    """JOBS=1: each stage in turn in this process, its output as it comes."""
    for stage in stages:
        print("== %s" % stage, flush=True)
        t0 = time.time()
        total.merge(run_stage(stage, table[stage], ctx, tally_cls, before))
        print("   (%s: %.0fs)" % (stage, time.time() - t0), flush=True)


def run_parallel(stages, table, ctx, tally_cls, before, total, jobs):
    """Up to @jobs stages at once in child processes (see the module
    comment); their Tallies are added to @total in @stages order."""
    logs = os.path.join(ctx.out, "logs")
    os.makedirs(logs, exist_ok=True)
    fork = multiprocessing.get_context("fork")
    waiting = sorted(stages, key=lambda s: -chain_cost(s, stages))
    running, done = {}, {}
    print("   (%d stages, %d at a time; each printed when it ends)" % (len(stages), jobs),
          flush=True)
    try:
        while waiting or running:
            ready = [s for s in waiting if NEEDS.get(s) not in waiting and
                     NEEDS.get(s) not in running]
            while ready and len(running) < jobs:
                stage = ready.pop(0)
                waiting.remove(stage)
                paths = (os.path.join(logs, "stage-%s.log" % stage),
                         os.path.join(logs, "stage-%s.tally" % stage))
                p = fork.Process(target=child_main, args=(stage, table[stage], ctx, tally_cls,
                                                          before) + paths)
                p.start()
                running[stage] = (p, paths, time.time())
            finished = multiprocessing.connection.wait([p.sentinel for p, _, _ in
                                                        running.values()])
            for stage in [s for s, (p, _, _) in running.items() if p.sentinel in finished]:
                p, (log_path, result_path), t0 = running.pop(stage)
                p.join()
                done[stage] = collect(stage, p, log_path, result_path, t0, tally_cls)
    finally:
        for p, _, _ in running.values():
            p.terminate()
    for stage in stages:
        total.merge(done[stage])


def collect(stage, p, log_path, result_path, t0, tally_cls):
    """Print the whole output of the ended @stage and return its Tally (one
    failure when the child died without leaving one)."""
    print("== %s" % stage)
    with open(log_path, errors="replace") as f:
        sys.stdout.write(f.read())
    try:
        with open(result_path, "rb") as f:
            tally, cpu = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        tally, cpu = tally_cls(), 0
        tally.group = stage
        tally.fail("%s: the stage's process ended with status %s and no counts (output: %s)"
                   % (stage, p.exitcode, log_path))
    print("   (%s: %.0fs, %.0fs of CPU)" % (stage, time.time() - t0, cpu), flush=True)
    return tally


def run_stages(stages, table, ctx, tally_cls, before, jobs):
    """Run @stages (names in @table, name -> stage function) on @ctx,
    @jobs at a time; @before(stage, ctx) runs first in each. Return: a
    Tally with every count, in @stages order."""
    total = tally_cls()
    if jobs <= 1 or len(stages) <= 1:
        run_serial(stages, table, ctx, tally_cls, before, total)
    else:
        run_parallel(stages, table, ctx, tally_cls, before, total, jobs)
    return total
