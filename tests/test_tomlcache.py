"""kw86/tomlcache.py: a start-up copy of data derived from a file (the cycle
profiles' TOML, locore.json) is used only while it was made from that very
file's bytes; a missing, damaged, foreign or stale copy is ignored (and
remade where Python writes bytecode).  Nothing depends on mtimes."""
import marshal
import os
import shutil
import tomllib

from kw86 import tomlcache


def test_copy_used_only_while_it_matches(tmp_path):
    p = tmp_path / "prof.toml"
    p.write_text('[classes]\nalu = 1\nmul = 11\n[events]\nmovs_d = 0.55\nname = "x"\n')
    c = tomlcache.cache_path(str(p))
    assert tomlcache.read_toml(str(p), write=False) == tomllib.loads(p.read_text())
    assert not os.path.exists(c)                 # write=False: no copy made
    tomlcache.write_cache(str(tmp_path))
    assert os.path.exists(c)
    assert tomlcache.read_toml(str(p)) == {"classes": {"alu": 1, "mul": 11},
                                           "events": {"movs_d": 0.55, "name": "x"}}
    # a copy that says something else is used while it holds the file's
    # bytes: it is the copy being read (this proves it), and ...
    with open(c, "rb") as f:
        fmt, kind, src, key, dig, blob = marshal.load(f)
    data = marshal.loads(blob)
    data["classes"]["mul"] = 99
    blob = marshal.dumps(data)
    with open(c, "wb") as f:
        marshal.dump((fmt, kind, src, key, tomlcache.digest(blob), blob), f)
    assert tomlcache.read_toml(str(p))["classes"]["mul"] == 99
    # (with a wrong digest, the same copy is not used)
    with open(c, "wb") as f:
        marshal.dump((fmt, kind, src, key, dig, blob), f)
    assert tomlcache.read_toml(str(p), write=False)["classes"]["mul"] == 11
    # ... a source with other bytes is parsed again (whatever its size and
    # mtime: the same size and mtime here), and its copy remade
    st = os.stat(p)
    p.write_text('[classes]\nalu = 1\nmul = 12\n[events]\nmovs_d = 0.55\nname = "x"\n')
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(p).st_size == st.st_size
    assert tomlcache.read_toml(str(p), write=True)["classes"]["mul"] == 12
    with open(c, "rb") as f:
        assert marshal.load(f)[2] == p.read_bytes()
    # damaged, truncated, foreign-format or foreign-kind copies are ignored
    good = open(c, "rb").read()
    x = marshal.dumps({"x": 1})
    flipped = bytearray(good)
    flipped[-3] ^= 0x40                          # a bit of the data part
    for bad in (b"{not marshal", good[:len(good) // 2], b"", bytes(flipped),
                marshal.dumps((tomlcache.FORMAT + 1, "toml", p.read_bytes(), None,
                               tomlcache.digest(x), x)),
                marshal.dumps((tomlcache.FORMAT, "locore", p.read_bytes(), None,
                               tomlcache.digest(x), x)),
                marshal.dumps((tomlcache.FORMAT, "toml", p.read_bytes(), "other key",
                               tomlcache.digest(x), x)),
                marshal.dumps((tomlcache.FORMAT, "toml", p.read_bytes(), None,
                               tomlcache.digest(x), x + b"0")),
                marshal.dumps(["not", "a", "tuple"])):
        with open(c, "wb") as f:
            f.write(bad)
        assert tomlcache.read_toml(str(p), write=False)["classes"]["mul"] == 12, bad[:20]
    # a copy that cannot be written (no __pycache__ possible) changes nothing
    os.unlink(c)
    os.rmdir(os.path.dirname(c))
    with open(os.path.dirname(c), "w"):          # a file where the directory would be
        pass
    assert tomlcache.read_toml(str(p), write=True)["classes"]["mul"] == 12


def test_a_copy_survives_being_installed_elsewhere(tmp_path):
    """What the build makes stays valid when the package is copied (pip
    installs with other mtimes)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "p.toml").write_text("[classes]\nalu = 3\n")
    tomlcache.write_cache(str(a))
    shutil.copytree(a, b)                        # new mtimes
    os.utime(b / "p.toml", ns=(1, 1))
    with open(tomlcache.cache_path(str(b / "p.toml")), "rb") as f:
        fmt, kind, src, key, dig, blob = marshal.load(f)
    data = marshal.loads(blob)
    data["classes"]["alu"] = 4                   # mark the copy
    blob = marshal.dumps(data)
    with open(tomlcache.cache_path(str(b / "p.toml")), "wb") as f:
        marshal.dump((fmt, kind, src, key, tomlcache.digest(blob), blob), f)
    assert tomlcache.read_toml(str(b / "p.toml"), write=False) == {"classes": {"alu": 4}}


def test_the_shipped_profiles_read_the_same_either_way():
    d = os.path.join(os.path.dirname(tomlcache.__file__), "profiles")
    for name in os.listdir(d):
        if name.endswith(".toml"):
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                assert tomlcache.read_toml(path, write=False) == tomllib.load(f)


def test_locore_from_its_copy_is_locore_json(tmp_path):
    import json
    from kw86.nbsd import build_locore
    jsp = os.path.join(build_locore.HERE, "locore.json")
    lc = build_locore.load()
    with open(jsp) as f:
        meta = json.load(f)
    assert lc.image == bytes.fromhex(meta["image"]) and lc.base == meta["base"]
    assert lc.symbols == meta["symbols"] and lc.text_end == meta["text_end"]
    # a copy of another locore.json is not used for this one
    other = tmp_path / "locore.json"
    meta2 = dict(meta, text_end=meta["text_end"] + 4)
    other.write_text(json.dumps(meta2))
    shutil.copytree(os.path.join(build_locore.HERE, "__pycache__"), tmp_path / "__pycache__",
                    ignore=lambda d, names: [n for n in names if "locore" not in n])
    assert build_locore._read(str(other), write=False)["text_end"] == meta["text_end"] + 4
