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

# the copy: marshal of (FORMAT, kind, source bytes, key, digest, marshal of the data)
FORMAT = 3


def digest(blob):
    """A check of blob's bytes with no import: its length and the hash of the
    integer they spell (an int's hash is its value modulo 2**61 - 1, the same
    in every process, unlike a bytes hash)."""
    return (len(blob), hash(int.from_bytes(blob, "little")))


def cache_path(path, kind="toml"):
    tag = sys.implementation.cache_tag or "none"
    return os.path.join(os.path.dirname(path), "__pycache__",
                        f"{os.path.basename(path)}.{kind}.{tag}.marshal")


def derived(path, kind, derive, write=None, key=None, check=None):
    """derive(bytes of path), from path's copy when it was made from these
    very bytes and the same key (OSError if path cannot be read).  kind
    names the derivation (change it when derive changes what it returns);
    key: anything else the result depends on (marshal-able, compared with
    ==); check(data): whether a copy's data is usable.  derive's result must
    be marshal-able (dicts, lists, tuples, str, bytes, numbers) to be kept.
    write: make a missing or stale copy (default: unless
    sys.dont_write_bytecode)."""
    with open(path, "rb") as f:
        src = f.read()
    cpath = cache_path(path, kind)
    try:
        with open(cpath, "rb") as f:
            cached = marshal.loads(f.read())    # (marshal.load reads piecemeal)
        if type(cached) is tuple and len(cached) == 6 and cached[0] == FORMAT and \
                cached[1] == kind and cached[2] == src and cached[3] == key and \
                type(cached[5]) is bytes and cached[4] == digest(cached[5]):
            data = marshal.loads(cached[5])
            if check is None or check(data):
                return data
    except (OSError, EOFError, ValueError, TypeError):
        pass
    data = derive(src)
    if write if write is not None else not sys.dont_write_bytecode:
        save(cpath, kind, src, data, key)
    return data


def save(cpath, kind, src, data, key=None):
    """Write the copy (atomically; quietly not where that is impossible)."""
    try:
        inner = marshal.dumps(data)
        blob = marshal.dumps((FORMAT, kind, src, key, digest(inner), inner))
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
