"""`kw86 disasm`, run the way a user runs it: python -m kw86.cli disasm ..."""
import os
import subprocess
import sys

import hostenv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args):
    env = hostenv.kw86_env()
    p = subprocess.run([sys.executable, "-m", "kw86.cli", "disasm", *args],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_hex_string():
    rc, out, err = run("55 89 e5 83 ec 08 c3")
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("00000000:") and "55" in lines[0] and "push ebp" in lines[0]
    assert "mov ebp, esp" in lines[1]
    assert lines[2].startswith("00000003:") and "sub esp, 8" in lines[2]
    assert "ret" in lines[3]


def test_16bit_and_address():
    rc, out, err = run("--16", "--address", "0x100", "b8 34 12 cd 21")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("00000100:") and "mov ax, 0x1234" in lines[0]
    assert lines[1].startswith("00000103:") and "int 0x21" in lines[1]


def test_invalid_and_incomplete():
    rc, out, err = run("c4c0 0f0b f0 01 c0 0f")
    assert rc == 0, err
    lines = out.splitlines()
    assert "(bad)" in lines[0] and "#UD" in lines[0] and "c4 c0" in lines[0]
    assert "ud2" in lines[1]
    assert "(bad)" in lines[2] and "f0 01 c0" in lines[2]
    assert "(incomplete)" in lines[3]


def test_too_long_is_gp():
    rc, out, err = run("66" * 16 + "90")
    assert rc == 0 and "#GP" in out


def test_file_region(tmp_path):
    f = tmp_path / "code.bin"
    f.write_bytes(b"\x00" * 16 + bytes.fromhex("31c040c3") + b"\xcc" * 4)
    rc, out, err = run("--file", str(f), "--offset", "16", "--length", "4")
    assert rc == 0, err
    lines = out.splitlines()
    assert [l.split()[0] for l in lines] == ["00000010:", "00000012:", "00000013:"]
    assert "xor eax, eax" in lines[0] and "inc eax" in lines[1] and "ret" in lines[2]
    rc, out, err = run("--file", str(f), "--offset", "0x10", "--length", "2", "--address", "0x8048000")
    assert rc == 0 and out.startswith("08048000:")


def test_bad_hex_is_one_line_error():
    for arg in ("zz", "123", "0xgg"):
        rc, out, err = run(arg)
        assert rc != 0
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_unreadable_file_is_one_line_error(tmp_path):
    rc, out, err = run("--file", str(tmp_path / "missing"))
    assert rc != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    rc, out, err = run("--file", str(tmp_path))          # a directory
    assert rc != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    rc, out, err = run("--file", str(tmp_path / "x"), "--offset", "-3")
    assert rc != 0 and "Traceback" not in err


def test_no_input_is_error():
    rc, out, err = run()
    assert rc != 0 and "Traceback" not in err
