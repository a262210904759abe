"""Data kw86 derives from a file at every start-up, read from a marshal copy
instead (issue 12): the cycle profiles (kw86/profiles/*.toml, no tomllib
import or TOML parse) and locore (kw86/nbsd/locore.json, no json import or
hex decoding; kw86/nbsd/build_locore.py).

The copy lies in the file's __pycache__ directory as NAME.KIND.TAG.marshal
(TAG: the interpreter's cache tag, as for .pyc files) and holds the very
bytes of the file it was made from: it is used only while the file has
those bytes (an edited, replaced or reinstalled file is derived again;
nothing depends on mtimes, so a copy made by the build stays valid when pip
installs both).  A copy that cannot be read, is damaged, of another format
version or of other bytes is ignored, and remade where Python would write
bytecode (not with PYTHONDONTWRITEBYTECODE; the build makes them anyway).
Standard library only: setup.py loads this file by path.
"""
import marshal
import os
import sys

FORMAT = 1          # of the copy's tuple: (FORMAT, kind, source bytes, data)


def cache_path(path, kind="toml"):
    tag = sys.implementation.cache_tag or "none"
    return os.path.join(os.path.dirname(path), "__pycache__",
                        f"{os.path.basename(path)}.{kind}.{tag}.marshal")


def derived(path, kind, derive, write=None):
    """derive(bytes of path), from path's copy when it was made from these
    very bytes (OSError if path cannot be read).  kind names the derivation
    (change it when derive changes what it returns); derive's result must be
    marshal-able (dicts, lists, tuples, str, bytes, numbers) to be kept.
    write: make a missing or stale copy (default: unless
    sys.dont_write_bytecode)."""
    with open(path, "rb") as f:
        src = f.read()
    cpath = cache_path(path, kind)
    try:
        with open(cpath, "rb") as f:
            cached = marshal.load(f)
        if type(cached) is tuple and len(cached) == 4 and cached[0] == FORMAT and \
                cached[1] == kind and cached[2] == src:
            return cached[3]
    except (OSError, EOFError, ValueError, TypeError):
        pass
    data = derive(src)
    if write if write is not None else not sys.dont_write_bytecode:
        save(cpath, kind, src, data)
    return data


def save(cpath, kind, src, data):
    """Write the copy (atomically; quietly not where that is impossible)."""
    try:
        blob = marshal.dumps((FORMAT, kind, src, data))
    except ValueError:                  # not marshal-able: no copy
        return False
    tmp = f"{cpath}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(cpath), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(blob)
        os.replace(tmp, cpath)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def _parse_toml(src):
    import tomllib
    return tomllib.loads(src.decode("utf-8"))


def read_toml(path, write=None):
    """tomllib.load of path, from its copy when that was made of this very file."""
    return derived(path, "toml", _parse_toml, write)


def write_cache(directory):
    """The copy of every *.toml in directory (made at build time)."""
    for name in sorted(os.listdir(directory)):
        if name.endswith(".toml"):
            read_toml(os.path.join(directory, name), write=True)
