"""Decoder speed: instructions decoded per second over a real i386 code stream.

The stream is the .text of the built userland's /bin/ls (kw86/sysroot/bin/ls)
when it exists, else the .text of bench/data/decoder_sample.c compiled by
zig (`-target x86-freestanding-none -mcpu=i686 -O2`).

    pytest bench/test_bench_decoder.py --benchmark-only

Each benchmark records `instructions`, `bytes` and `instr_per_s` in
extra_info.
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _text_of(path):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return b"".join(s.data() for s in elf.iter_sections()
                        if s.name.startswith(".text") and s["sh_type"] == "SHT_PROGBITS")


def _compile_sample(tmpdir):
    src = os.path.join(HERE, "data", "decoder_sample.c")
    obj = os.path.join(tmpdir, "decoder_sample.o")
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86-freestanding-none",
                    "-mcpu=i686", "-O2", "-c", src, "-o", obj],
                   check=True, capture_output=True, timeout=300)
    return obj


@pytest.fixture(scope="module")
def code_stream(tmp_path_factory):
    ls = os.path.join(ROOT, "kw86", "sysroot", "bin", "ls")
    if os.path.exists(ls):
        text, name = _text_of(ls), "sysroot/bin/ls"
    else:
        obj = _compile_sample(str(tmp_path_factory.mktemp("bench_decoder")))
        text, name = _text_of(obj), "bench/data/decoder_sample.c"
    assert text, "empty .text"
    return name, text


def test_decode_rate_c_loop(benchmark, code_stream):
    """C-level decode_insn over the whole stream (what the executor pays on
    a decoded-instruction cache miss)."""
    from kw86.decoder import decode_many
    name, text = code_stream
    # repeat the stream so one round is long enough to time well
    reps = max(1, 200_000 // len(text))
    data = text * reps
    count, used = benchmark(decode_many, data, 32)
    assert used >= len(data) - 15
    per_round = benchmark.stats.stats.mean
    benchmark.extra_info.update({
        "stream": name, "bytes": len(data), "instructions": count,
        "instr_per_s": round(count / per_round),
    })
    print(f"\n{name}: {count} instructions, {count / per_round / 1e6:.1f} M instr/s (C loop)")


def test_decode_rate_python_view(benchmark, code_stream):
    """kw86.decoder.decode() one at a time, building the Python view
    (what tools such as `kw86 disasm` pay)."""
    from kw86.decoder import decode
    name, text = code_stream
    text = text[:20_000]

    def run():
        pos = n = 0
        end = len(text) - 15
        while pos < end:
            ins = decode(text[pos:pos + 15])
            ins.operands
            pos += ins.length
            n += 1
        return n

    n = benchmark(run)
    per_round = benchmark.stats.stats.mean
    benchmark.extra_info.update({"stream": name, "instructions": n,
                                 "instr_per_s": round(n / per_round)})
    print(f"\n{name}: {n / per_round / 1e3:.0f} k instr/s (Python view with operands)")
