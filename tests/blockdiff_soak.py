"""Soak run of the translated-block differential checks (not a test):
many seeds through tests/test_cpu_blocks_diff.py's checks for a while.

    python3 tests/blockdiff_soak.py SECONDS [FIRST_SEED]

(with PYTHONPATH=<tree> to check another tree's build).  Prints each
failing seed and its kind, then the count; a seed reproduces with the same
kind: seed % 7 picks it (0 random programs a/b, 1 paging + TLB edits,
2 Unicorn, 3 segment loads, 4 flag-dense programs with paging, 5 int 0x80
and timer through the IDT, 6 debug registers and TF).
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blockdiff_gen as G  # noqa: E402
import test_cpu_blocks_diff as T  # noqa: E402
deadline = time.time() + float(sys.argv[1])
start = int(sys.argv[2]) if len(sys.argv) > 2 else 0
n_ok = 0
seed = start
while time.time() < deadline:
    rng = random.Random(seed)
    which = seed % 7
    try:
        if which == 0:
            p = T.make_prog(seed, rng.randrange(1, 40), rng.randrange(1, 30), False, cpl=rng.choice([0, 3]))
            T.check_blocks_vs_interpreter(p, (10**6, 1, rng.choice([2, 3, 5, 7, 13, 31])))
        elif which == 1:
            cpl = rng.choice([0, 3])
            pages = [T.DATA_BASE + k * 0x1000 for k in range(0, 8)] + [T.DATA_BASE + T.STACK_OFF - 0x1000]
            restrict = {pg: rng.choice([5, 3, 0, 1, 4]) for pg in rng.sample(pages, rng.randrange(0, 4))}
            u0, u3 = T.tlb_units(pages)
            p = T.make_prog(seed, rng.randrange(1, 40), rng.randrange(1, 20), False, cpl=cpl,
                            extra=u0 if cpl == 0 else u3, extra_p=0.1)
            p.setup = T.paging_setup(restrict)
            p.extra = lambda m: (m.read(T.PD, 0x5000), m.get_cr(2))
            T.check_blocks_vs_interpreter(p, (10**6, 1, rng.choice([2, 3, 7, 19])), faults=True)
        elif which == 2:
            p = T.make_prog(seed, rng.randrange(1, 30), rng.randrange(1, 10), True, cpl=rng.choice([0, 3]))
            ref = p.run_kw(True, 10**6)
            T.check_vs_unicorn(p, ref)
        elif which == 5:
            p = T.make_prog(seed, rng.randrange(2, 40), rng.randrange(1, 20), False, cpl=3,
                            extra=[lambda r: b"\xcd\x80"], extra_p=0.08, flagdense=rng.random() < 0.5)
            period = rng.choice([0, 53, 97, 331, 1009, 4001])
            ref = T.ring_run(p, False, period, 10**6)
            for budget in (10**6, rng.choice([1, 3, 7])):
                T.same(T.ring_run(p, True, period, budget), ref, f"ring budget {budget}")
        elif which == 6:
            p = T.make_prog(seed, rng.randrange(2, 30), rng.randrange(1, 10), False, cpl=3,
                            extra=T.tf_units(), extra_p=0.06)
            starts = T.insn_starts(p.code, p.at)
            drs, dr7 = {}, 0x400
            for k in range(rng.randrange(0, 5)):
                rw = rng.choice([0, 1, 3])
                ln = 0 if rw == 0 else rng.choice([0, 1, 3])
                drs[f"dr{k}"] = (T.CODE_BASE + rng.choice(starts) if rw == 0 else
                                 (p.regs[G.EDI] + rng.randrange(-16, 64)) & ~ln)
                dr7 |= (1 << (2 * k)) | (rw << (16 + 4 * k)) | (ln << (18 + 4 * k))
            drs["dr7"] = dr7
            budget = rng.choice([10**6, 1, 3, 8])
            a, b = T.db_trace(p, False, drs, budget), T.db_trace(p, True, drs, budget)
            assert a == b, "debug trace"
        elif which == 4:
            cpl = rng.choice([0, 3])
            pages = [T.DATA_BASE + k * 0x1000 for k in range(0, 8)]
            u0, _ = T.tlb_units(pages)
            p = T.make_prog(seed, rng.randrange(2, 40), rng.randrange(1, 20), False, cpl=cpl, flagdense=True,
                            extra=u0[:1] if cpl == 0 else (), extra_p=0.1)
            p.setup = T.paging_setup({})
            T.check_blocks_vs_interpreter(p, (10**6, 1, rng.choice([2, 3, 4, 7, 11])))
        else:
            p = T.make_prog(seed, rng.randrange(1, 40), rng.randrange(1, 20), False, cpl=3,
                            extra=T.seg_units(), extra_p=0.15)
            p.setup = T.seg_setup
            p.extra = lambda m: tuple(m.get_segment(s) for s in ("ds", "es", "fs", "gs"))
            T.check_blocks_vs_interpreter(p, (10**6, 1, rng.choice([2, 3, 7])), faults=True)
        n_ok += 1
    except AssertionError as e:
        print("FAIL seed", seed, "kind", which, repr(e)[:600], flush=True)
    seed += 1
print("done", n_ok, "ok, seeds", start, "..", seed, flush=True)
