"""The paper's experiments on the machine: `kw86 bench paper`.

`experiments` says what each figure measures and runs it: one boot per
figure, the guest's own programs (userland/bin: getpid_bench, stat_bench,
rw_bench, paper_run, mkfiles, ls) timed with `rdtsc` in the guest, the first
run of each measurement discarded.  `report` writes results.json,
results.md and one PNG per figure.
"""
