"""Start-up copies of the instruction tables (issue 12): the decoder's C tables
and opcodes.py's mnemonic and class ids come from copies kept beside
opcodes.py (kw86/tomlcache.py), used only while opcodes.py has the same
bytes (and, for the C tables, the decoder extension is the same file).
What is loaded from them is exactly what building gives; a damaged, foreign
or stale copy is ignored and the tables are built."""
import os
import shutil
import subprocess
import sys

from buildreq import built
from hostenv import ROOT, env as host_env, kw86_env
from test_userland_e2e import HAVE_MACHINE, SYSROOT

pytestmark = [built(HAVE_MACHINE, "the kw86 machine (kw86.machine)")]

# decodes a few instructions, runs `kw86 exec /usr/bin/true`, and says which
# ids and tables it saw and whether opcodes.py ran
PROBE = r"""
import sys
from kw86 import decoder
from kw86.isa import opcodes
light = type(opcodes).__name__
ids = (opcodes.mnemonic_id("add"), opcodes.mnemonic_id("jne"), opcodes.class_id("jcc"),
       len(opcodes.MNEMONICS), len(opcodes.CLASSES))
import hashlib
packed = decoder._tables_pack()
digest = hashlib.sha256(str(packed[0]).encode() + b"".join(packed[1:])).hexdigest()
insns = [str(decoder.decode(bytes.fromhex(h))) for h in
         ("8b4508", "0f85fcffffff", "d9c9", "660f6fc1", "f3a5", "c6c005", "8fc0")]
rc = None
if len(sys.argv) > 2:
    from kw86.cli import main
    rc = main(["exec", "--root", sys.argv[1], "/usr/bin/true"])
import kw86
assert kw86.__file__.startswith(sys.argv[-1]), kw86.__file__
print(repr((light, ids, digest, insns, rc)))
"""


def probe(tree, *args, write=True):
    env = host_env(PYTHONPATH=tree)
    if write:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [SYSROOT] if args else []
    r = subprocess.run([sys.executable, "-c", PROBE, *args, tree], cwd=tree, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return eval(r.stdout)


def test_tables_from_the_copy_are_the_built_tables():
    from kw86 import decoder
    loaded = decoder._tables_pack()
    assert decoder._tables_ok(loaded)
    assert decoder._derive_tables(b"") == loaded        # built again, in place: the same
    assert decoder._tables_pack() == loaded


def test_light_opcodes_ids_are_opcodes_py_ids():
    code = ("from kw86.isa import opcodes as o; kind = type(o).__name__; "
            "light = (list(o.CLASSES), list(o.MNEMONICS), o.mnemonic_id('cmpxchg8b')); "
            "n = len(o.ROWS); full = (list(o.CLASSES), list(o.MNEMONICS), "
            "o.mnemonic_id('cmpxchg8b')); print(kind, type(o).__name__, light == full, n > 500)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=kw86_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    kind, after, same, many = r.stdout.split()
    assert (after, same, many) == ("module", "True", "True")     # ROWS ran opcodes.py


def _tree(tmp_path):
    """A copy of the kw86 package (no sysroot: the probe gives --root)."""
    dst = tmp_path / "tree"
    shutil.copytree(os.path.join(ROOT, "kw86"), dst / "kw86",
                    ignore=shutil.ignore_patterns("sysroot"))
    return str(dst)


def _load(c):
    import marshal
    with open(c, "rb") as f:
        t = marshal.loads(f.read())
    return t[:5] + (marshal.loads(t[5]),)


def _caches(tree):
    d = os.path.join(tree, "kw86", "isa", "__pycache__")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith("opcodes.py."))


@built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "true")), "the sysroot")
def test_damaged_foreign_or_stale_copies_are_ignored(tmp_path):
    tree = _tree(tmp_path)
    good = probe(tree, "run")
    assert good[0] == "_Opcodes" and good[-1] == 0      # the light module, from the copies
    caches = _caches(tree)
    assert len(caches) == 2
    originals = {c: _load(c) for c in caches}
    # damaged copies: ignored (and remade)
    for where in (0.5, 0.9):
        damaged = {}
        for c in caches:
            data = bytearray(open(c, "rb").read())
            at = int(len(data) * where)
            data[at:at + 64] = bytes(x ^ 0x55 for x in data[at:at + 64])
            with open(c, "wb") as f:
                f.write(data)
            damaged[c] = bytes(data)
        assert probe(tree, "run")[1:] == good[1:]
        for c in caches:
            assert open(c, "rb").read() != damaged[c]
            assert _load(c) == originals[c]
    # the copies of another opcodes.py: ignored
    for c in caches:
        with open(c, "wb") as f:
            f.write(b"")
    other = os.path.join(tmp_path, "other")
    shutil.copytree(tree, other, symlinks=True)
    with open(os.path.join(other, "kw86", "isa", "opcodes.py"), "a") as f:
        f.write("\n# an edit\n")
    probe(other, write=True)                # copies of the edited opcodes.py
    foreign = {}
    for c in caches:
        shutil.copy(os.path.join(other, "kw86", "isa", "__pycache__", os.path.basename(c)), c)
        foreign[c] = open(c, "rb").read()
    assert probe(tree, "run", write=False)[1:] == good[1:]
    assert {c: open(c, "rb").read() for c in caches} == foreign     # (write=False)
    # an edited opcodes.py is read again: a new mnemonic shows
    with open(os.path.join(other, "kw86", "isa", "opcodes.py"), "a") as f:
        f.write("\n_mn_id('kw86test')\n")
    r = probe(other)
    assert r[1][3] == good[1][3] + 1 and r[2:4] == good[2:4]
    # a rebuilt decoder (another size or mtime) builds its tables again
    so = [f for f in os.listdir(os.path.join(tree, "kw86")) if f.startswith("decoder.")
          and f.endswith(".so")][0]
    st = os.stat(os.path.join(tree, "kw86", so))
    os.utime(os.path.join(tree, "kw86", so), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    tables = [c for c in caches if "decoder-tables" in c][0]
    before = _load(tables)
    assert probe(tree, "run")[1:] == good[1:]
    after = _load(tables)
    assert after[3] != before[3] and after[5] == before[5]  # remade for the new key
