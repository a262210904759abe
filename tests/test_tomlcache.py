"""kw86/tomlcache.py: the build's JSON copy of a TOML file is used only while it
was made from that very file (size and mtime); otherwise the TOML is parsed."""
import os
import tomllib

from kw86 import tomlcache


def test_copy_used_only_while_it_matches(tmp_path):
    p = tmp_path / "prof.toml"
    p.write_text('[classes]\nalu = 1\nmul = 11\n[events]\nmovs_d = 0.55\nname = "x"\n')
    assert tomlcache.read_toml(str(p)) == tomllib.loads(p.read_text())     # no copy yet
    tomlcache.write_cache(str(tmp_path))
    assert os.path.exists(tomlcache.cache_path(str(p)))
    assert tomlcache.read_toml(str(p)) == {"classes": {"alu": 1, "mul": 11},
                                           "events": {"movs_d": 0.55, "name": "x"}}
    # a copy that says something else is used while its stamp matches: it is
    # the copy being read (this proves it), and ...
    with open(tomlcache.cache_path(str(p))) as f:
        stamp = f.read()
    forged = stamp.replace('"mul": 11', '"mul": 99')
    with open(tomlcache.cache_path(str(p)), "w") as f:
        f.write(forged)
    assert tomlcache.read_toml(str(p))["classes"]["mul"] == 99
    # ... an edited source (new size and mtime) is parsed again
    p.write_text('[classes]\nalu = 2\n')
    st = os.stat(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert tomlcache.read_toml(str(p)) == {"classes": {"alu": 2}}
    # a damaged copy is ignored
    with open(tomlcache.cache_path(str(p)), "w") as f:
        f.write("{not json")
    assert tomlcache.read_toml(str(p)) == {"classes": {"alu": 2}}


def test_the_shipped_profiles_read_the_same_either_way():
    d = os.path.join(os.path.dirname(tomlcache.__file__), "profiles")
    for name in os.listdir(d):
        if name.endswith(".toml"):
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                assert tomlcache.read_toml(path) == tomllib.load(f)
