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


def _texts(out):
    """the disassembly column (after "addr:  <8 bytes, padded>  ")"""
    return [line[9 + 2 + 23 + 2:] for line in out.splitlines() if not line.startswith(" ")]


def test_x87_forms():
    """D8-DF as iced-x86 and the SDM write them: the implicit top of stack is
    "st", ModRM.rm's register is "st(i)" (st(0) too: "fstp st(0)" pops);
    DC/DE arithmetic is "op st(i), st" (their FCOM aliases stay "st, st(i)");
    memory operands carry their format's size; the 16-bit environment/state
    layouts under a 66 prefix are named (iced's fpuenv14/fpustate94)."""
    code = ("d9c0 ddd8 d8c0 dcc0 dec1 dcd0 dfe8 dbf1 dac1 d9c9 ddc0 "
            "dd1c24 db2c24 df3c24 da45fc de45fc d9fa d9e8 dfe0 d97dfe "
            "66d93424 d93424 66dd2424 9b d9ee")
    rc, out, err = run(code)
    assert rc == 0, err
    texts = _texts(out)
    assert texts == [
        "fld st(0)", "fstp st(0)", "fadd st, st(0)", "fadd st(0), st", "faddp st(1), st",
        "fcom st, st(0)", "fucomip st, st(0)", "fcomi st, st(1)", "fcmovb st, st(1)",
        "fxch st, st(1)", "ffree st(0)",
        "fstp qword ptr [esp]", "fld tbyte ptr [esp]", "fistp qword ptr [esp]",
        "fiadd dword ptr [ebp-0x4]", "fiadd word ptr [ebp-0x4]", "fsqrt", "fld1",
        "fnstsw ax", "fnstcw word ptr [ebp-0x2]",
        "fnstenv fpuenv14 ptr [esp]", "fnstenv [esp]", "frstor fpustate94 ptr [esp]",
        "fwait", "fldz"], out
    rc, out, err = run("--16", "66d934 dd34")
    assert rc == 0 and _texts(out) == [
        "fnstenv fpuenv28 ptr [si]", "fnsave [si]"], out


def test_mmx_forms():
    """MMX as iced-x86 writes it (operand size implied by the mm register)."""
    rc, out, err = run("0f6f0424 0f7f0424 0f6ec8 0f7ec8 0ffcc1 0f71d004 0f72e003 "
                       "0f73f020 0fd5c1 0ff54500 0f6bc1 0f77 0fae0424")
    assert rc == 0, err
    texts = _texts(out)
    assert texts == ["movq mm0, [esp]", "movq [esp], mm0", "movd mm1, eax", "movd eax, mm1",
                     "paddb mm0, mm1", "psrlw mm0, 4", "psrad mm0, 3", "psllq mm0, 0x20",
                     "pmullw mm0, mm1", "pmaddwd mm0, [ebp]", "packssdw mm0, mm1", "emms",
                     "fxsave [esp]"], out


def test_x87_mmx_text_matches_iced():
    """Every D8-DF encoding (register forms, and each /digit with a memory
    operand) and every MMX/FXSR 0F form agrees with iced-x86's Intel text,
    up to kw86's number style (0x..), its explicit size on memory operands
    and the implicit operands iced prints and the SDM does not ("fld st,
    st(1)", "fstp [m], st", a bare "fcom" for "fcom st, st(1)")."""
    import re
    import iced_x86 as iced
    from kw86.decoder import decode
    fmt = iced.Formatter(iced.FormatterSyntax.INTEL)
    fmt.hex_prefix, fmt.hex_suffix, fmt.uppercase_hex = "0x", "", False
    fmt.space_after_operand_separator = True
    fmt.small_hex_numbers_in_decimal = True
    sizes = re.compile(r"\b(byte|word|dword|qword|tbyte|mmword) ptr ")
    tail = bytes(7)
    cases = [bytes([op, m]) + tail for op in range(0xD8, 0xE0) for m in range(256)]
    mmx = {iced.CpuidFeature.MMX, iced.CpuidFeature.FXSR}
    for op in range(256):
        for m in [*range(0xC0, 0x100), *range(0, 0x40, 8)]:
            b = bytes([0x0F, op, m]) + tail
            ins = iced.Decoder(32, b).decode()
            feats = set(ins.cpuid_features())
            if ins.code != iced.Code.INVALID and feats and feats <= mmx:
                cases.append(b)
    checked = 0
    bad = []
    for b in cases:
        ins = iced.Decoder(32, b).decode()
        d = decode(b, 32)
        if ins.code == iced.Code.INVALID or not d.valid:
            continue
        checked += 1
        it, kt = fmt.format(ins), str(d)
        mn, _, rest = it.partition(" ")
        ops = rest.split(", ") if rest else []
        if any("[" in o for o in ops):
            ops = [o for o in ops if o != "st"]           # implicit ST(0) beside memory
        if mn == "fld" and ops[:1] == ["st"] and len(ops) == 2:
            ops = ops[1:]                                  # fld st(i)
        if mn in ("fst", "fstp", "fstpnce") and ops[-1:] == ["st"] and len(ops) == 2:
            ops = ops[:1]                                  # fstp st(i)
        if not ops and re.fullmatch(r"\w+ (st, st\(1\)|st\(1\), st)", kt):
            ops = kt.partition(" ")[2].split(", ")         # iced's bare default form
        want = sizes.sub("", (mn + " " + ", ".join(ops)).strip()).replace("[0]", "[0x0]")
        if sizes.sub("", kt) != want:
            bad.append((b[:3].hex(), kt, it))
    assert checked > 5000 and not bad, bad[:20]
