"""The kernel API a kernelware calls directly (kw86/nbsd/kapi.py, `kw86 ksyms`,
userland/include/sys/kapi.h): tests/guest/kapi_ticks.c linked with the link
script reads `ticks` twice around a busy loop and sees it advance, reads
curproc and hz and prints through the kernel's printf; relinked against a
changed kernel id it is refused at exec; built with KAPI_DYNAMIC it runs on any
kernel without a relink; a call from CPL 3 faults (SIGSEGV)."""
import os
import re

import pytest

from buildreq import built, fail_build
from nbsd_env import GUEST_OUT, GUEST_SRC, SYSROOT, _userland_build

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "cp")), "the userland sysroot")


def _build(name, src, ksyms=None):
    out = os.path.join(GUEST_OUT, name)
    os.makedirs(GUEST_OUT, exist_ok=True)
    try:
        _userland_build().build_program([os.path.join(GUEST_SRC, src)], out, ksyms=ksyms)
    except Exception as e:                      # no zig, a compile error: a build failure
        fail_build(f"cannot build {name}: {e}"[:2000])
    with open(out, "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    from kw86.nbsd.kapi import link_script
    d = tmp_path_factory.mktemp("ksyms")
    script = link_script()
    ld = d / "ksyms.ld"
    ld.write_text(script)
    other = d / "other.ld"
    other.write_text(re.sub(r"kw86_kernel_id_lo = 0x[0-9a-f]+", "kw86_kernel_id_lo = 0x12345678",
                            script))
    return dict(static=_build("kapi_ticks", "kapi_ticks.c", str(ld)),
                other=_build("kapi_ticks_other", "kapi_ticks.c", str(other)),
                dynamic=_build("kapi_ticks_dyn", "kapi_ticks_dyn.c"))


def run(tmp_path, image, args=(), kernelware=True, kernel_id=None):
    from kw86.nbsd.elf import ExecError
    from kw86.nbsd.kernel import Kernel
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno())
        try:
            if kernel_id is not None:
                k.kapi.id = kernel_id           # a kernel built differently
            try:
                k.spawn(b"/kt", [b"kt"] + list(args), [b"PATH=/bin"], kernelware,
                        host_image=image)
            except ExecError as e:
                return None, str(e)
            status = k.run(max_instructions=50_000_000)
        finally:
            k.close()
    return status, out.read_text()


def test_ksyms_script():
    from kw86.nbsd.kapi import EXPORTS, id_text, kernel_id, link_script
    text = link_script()
    assert id_text(*kernel_id()) in text.splitlines()[0]
    for name in EXPORTS:
        assert re.search(rf"^PROVIDE\({name} = 0xc0[0-9a-f]{{6}}\);$", text, re.M), name
    assert "SECTIONS" not in text       # only assignments: lld keeps its layout (PT_NOTE)


def test_static_ticks_advance(tmp_path, images):
    status, out = run(tmp_path, images["static"])
    assert status == 0, out
    t0, t1 = map(int, re.search(r"^ticks (\d+) (\d+)$", out, re.M).groups())
    assert t1 > t0
    assert re.search(r"^pid 2 2$", out, re.M) and "comm kt\n" in out and "hz 100\n" in out
    assert "kprintf -7 str beef|   42|a  |" in out


def test_other_kernel_refused(tmp_path, images):
    from kw86.nbsd.kapi import id_text, kernel_id
    status, msg = run(tmp_path, images["other"])
    assert status is None
    lo, hi = kernel_id()
    assert msg == (f"/kt: linked for kernel {id_text(0x12345678, hi)}, this is "
                   f"{id_text(lo, hi)}: relink with kw86 ksyms")
    # and the statically linked one on a changed kernel
    status, msg = run(tmp_path, images["static"], kernel_id=(1, 2))
    assert status is None and "this is 0000000200000001: relink with kw86 ksyms" in msg


def test_dynamic_needs_no_relink(tmp_path, images):
    for kid in (None, (1, 2)):
        status, out = run(tmp_path, images["dynamic"], kernel_id=kid)
        assert status == 0, out
        t0, t1 = map(int, re.search(r"^ticks (\d+) (\d+)$", out, re.M).groups())
        assert t1 > t0 and "kprintf -7 str beef" in out


@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_call_from_user_mode_faults(tmp_path, images, kind):
    status, out = run(tmp_path, images[kind], [b"call"], kernelware=False)
    assert status & 0x7f == 11, (status, out)       # SIGSEGV
    assert "kernel printf" not in out
    status, out = run(tmp_path, images[kind], [b"call"], kernelware=True)
    assert status == 0 and "kernel printf from cpl 0" in out


def test_cli_exec_refuses_with_one_line(tmp_path, images):
    import subprocess
    import sys

    from hostenv import kw86_env
    prog = tmp_path / "ls"
    prog.write_bytes(images["other"])
    prog.chmod(0o755)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "--kernelware", "./ls"],
                       capture_output=True, text=True, env=kw86_env(), timeout=60,
                       cwd=tmp_path)
    assert r.returncode == 126
    assert re.fullmatch(r"kw86: ls: linked for kernel [0-9a-f]{16}, this is [0-9a-f]{16}: "
                        r"relink with kw86 ksyms\n", r.stderr), r.stderr
