#!/usr/bin/env python3
"""timeit.py RUNS CMD [ARG...] [::: CMD [ARG...]]... - run each command RUNS
times, taking turns in blocks of 10 runs (10 A, 10 B, 10 A, ...), output
discarded, and print one line "WALL CPU" per command: the median wall time
and the mean user+system CPU time of one run, in milliseconds.

Taking turns exposes every command to the same moments of a shared, noisy
machine, so their ratio holds even when the absolute times drift; blocks
(rather than A B A B) measure each tool as it runs when run again, not
in the caches the other tool has just swept.
Each run is started with posix_spawn() and reaped with wait4(), so what is
measured is the command itself: not the cost of forking a large shell,
which a shell's own timing adds to every run (about a millisecond here,
the same for every tool, and so a distortion of the ratio between a fast
tool and a slow one).  A run that fails ends the script with an error.
"""
import os
import statistics
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: timeit.py RUNS CMD [ARG...] [::: CMD [ARG...]]...")
    runs = int(sys.argv[1])
    cmds, cur = [], []
    for a in sys.argv[2:]:
        if a == ":::":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    cmds.append(cur)
    if any(not c for c in cmds):
        sys.exit("timeit.py: empty command")
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    walls = [[] for _ in cmds]
    cpus = [[] for _ in cmds]

    def run(i):
        argv = cmds[i]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        _, status, ru = os.wait4(pid, 0)
        walls[i].append((time.perf_counter_ns() - t0) / 1e6)
        cpus[i].append((ru.ru_utime + ru.ru_stime) * 1000)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # lsof -t exits 1 when nothing matches
            sys.exit("timeit.py: %s exited with %d" % (argv[0], code))

    block = 10
    for done in range(0, runs, block):
        for i in range(len(cmds)):
            for _ in range(min(block, runs - done)):
                run(i)
    for w, c in zip(walls, cpus):
        print("%.2f %.2f" % (statistics.median(w), statistics.mean(c)))


main()
