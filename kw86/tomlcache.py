"""TOML files read at start-up (the cycle profiles, kw86/profiles/*.toml),
from a JSON copy made at build time.

Importing tomllib and parsing a profile cost every `kw86 exec` 5-15 ms of
start-up (issue 12); json is imported anyway (locore.json).  The copy lies
in the file's __pycache__ directory as NAME.toml.json, stamped with the
source's size and mtime, and is used only while they match: an edited
profile is parsed again (and the copy remade by the next build).  Standard
library only: setup.py loads this file by path.
"""
import json
import os


def cache_path(path):
    return os.path.join(os.path.dirname(path), "__pycache__", os.path.basename(path) + ".json")


def read_toml(path):
    """tomllib.load of path, from its JSON copy when that is of this very file."""
    try:
        st = os.stat(path)
        with open(cache_path(path)) as f:
            cached = json.load(f)
        if isinstance(cached, dict) and cached.get("size") == st.st_size and \
                cached.get("mtime_ns") == st.st_mtime_ns:
            return cached["data"]
    except (OSError, ValueError, KeyError):
        pass
    import tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def write_cache(directory):
    """The JSON copy of every *.toml in directory (TOML's values here are
    tables, strings, integers and floats: JSON keeps them exactly)."""
    import tomllib
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".toml"):
            continue
        path = os.path.join(directory, name)
        st = os.stat(path)
        with open(path, "rb") as f:
            data = tomllib.load(f)
        out = cache_path(path)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out + ".tmp", "w") as f:
            json.dump({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "data": data}, f)
        os.replace(out + ".tmp", out)
