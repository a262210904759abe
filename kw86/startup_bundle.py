"""The start-up bundle (issue 12): the bytecode of the kw86 modules a
`kw86 exec` start-up imports, in one file, so that start-up reads one file
instead of finding, stat-ing, opening and checking some 45 .pyc files (the
import system's own share of start-up, about a tenth of kw86's part).

The bundle lies in kw86/__pycache__ as exec-bundle.TAG.marshal (TAG: the
interpreter's cache tag) and holds, per module, what its .pyc holds: the
source's mtime and size, and the code -- all of it one marshal stream, so
that a name many modules use is made once (unmarshalling 15 % faster than
module by module).  A module is taken from the bundle
only while its source file has that very mtime (ns) and size -- the check
Python makes of a .pyc -- and is otherwise imported as usual; a bundle that
cannot be read, is damaged or of another format is ignored.  It is
(re)written at the end of a start-up that found it missing or stale, from
the .pyc files Python validated, unless Python writes no bytecode
(sys.dont_write_bytecode), and atomically (another process never sees half
of it).  Standard library only, no import at all for a run.
"""
import marshal
import os
import sys

FORMAT = 3
_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_ModuleSpec = type(sys.__spec__)        # importlib.machinery.ModuleSpec, no import

_finder = None


def bundle_path():
    tag = sys.implementation.cache_tag or "none"
    return os.path.join(_PKG_DIR, "__pycache__", f"exec-bundle.{tag}.marshal")


# (not type(compile(...)): compile's first call makes every AST node type, 9 M
# host instructions where nothing compiled before, e.g. under python -S)
_CodeType = type(bundle_path.__code__)


def _load():
    """{module name: (source path in the package, is package, mtime_ns, size, code), or
    None for a module imported as usual (an extension)}, or {}."""
    try:
        with open(bundle_path(), "rb") as f:
            b = marshal.loads(f.read())
        if type(b) is tuple and len(b) == 3 and b[0] == FORMAT and \
                b[1] == sys.implementation.cache_tag and type(b[2]) is dict:
            return b[2]
    except (OSError, EOFError, ValueError, TypeError):
        pass
    return {}


class _Loader:
    """Runs a module's code from the bundle (the spec carries it)."""

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        code = module.__spec__.loader_state
        module.__spec__.loader_state = None
        exec(code, module.__dict__)


class BundleFinder:
    """sys.meta_path entry serving kw86 modules from the bundle."""

    def __init__(self, entries):
        self.entries = entries
        self.stale = not entries        # rewrite at start-up's end
        self.served = set()

    def find_spec(self, name, path=None, target=None):
        e = self.entries.get(name, False)
        if not e:
            if e is False and (name.startswith("kw86.") or name == "kw86"):
                self.stale = True       # a start-up module it lacks
            return None                 # (None: an extension module, as usual)
        rel, is_pkg, mtime_ns, size, code = e
        src = os.path.join(_PKG_DIR, rel)   # (this tree's file, wherever it was made)
        try:
            st = os.stat(src)
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                raise ValueError
            if type(code) is not _CodeType:
                raise ValueError
        except (OSError, EOFError, ValueError, TypeError):
            self.stale = True
            del self.entries[name]
            return None
        spec = _ModuleSpec(name, _Loader, origin=src, is_package=is_pkg,
                           loader_state=code)
        spec.has_location = True        # __file__, __cached__ as for the .pyc
        if is_pkg:
            spec.submodule_search_locations = [os.path.dirname(src)]
        self.served.add(name)
        return spec


def install():
    """Serve kw86 modules from the bundle from now on (kw86 exec)."""
    global _finder
    if _finder is None:
        _finder = BundleFinder(_load())
        sys.meta_path.insert(0, _finder)
    return _finder


def start_up_over():
    """Start-up is over: stop serving (later imports are the usual ones) and
    write the bundle if it was missing or stale."""
    global _finder
    f, _finder = _finder, None
    if f is None:
        return
    try:
        sys.meta_path.remove(f)
    except ValueError:
        pass
    if f.stale and not sys.dont_write_bytecode:
        try:
            write(keep=f.entries)
        except Exception:               # a bundle never breaks a run
            pass


def _from_pyc(mod):
    """(source, is package, mtime_ns, size, code object) of a module whose
    .pyc is valid for its source now (by timestamp and size, or by the
    source's hash for a hash-based .pyc), else None."""
    d = mod.__dict__
    src, cached = d.get("__file__"), d.get("__cached__")
    if not (isinstance(src, str) and isinstance(cached, str) and src.endswith(".py")):
        return None
    st = os.stat(src)
    with open(cached, "rb") as f:
        data = f.read()
    ext = sys.modules["_frozen_importlib_external"]
    if len(data) < 16 or data[:4] != ext.MAGIC_NUMBER:
        return None
    flags = int.from_bytes(data[4:8], "little")
    if flags == 0:
        if int.from_bytes(data[8:12], "little") != (int(st.st_mtime) & 0xFFFFFFFF) or \
                int.from_bytes(data[12:16], "little") != (st.st_size & 0xFFFFFFFF):
            return None
    elif flags in (1, 3):               # hash-based (pip under SOURCE_DATE_EPOCH)
        import _imp
        with open(src, "rb") as f:
            if _imp.source_hash(ext._RAW_MAGIC_NUMBER, f.read()) != data[8:16]:
                return None
        if os.stat(src).st_mtime_ns != st.st_mtime_ns:
            return None
    else:
        return None
    code = marshal.loads(data[16:])
    rel = os.path.relpath(os.path.abspath(src), _PKG_DIR)
    if rel.startswith(os.pardir) or os.path.isabs(rel):
        return None                     # not a file of this package
    return (rel, isinstance(d.get("__path__"), list), st.st_mtime_ns, st.st_size, code)


def write(modules=None, keep=None):
    """Write the bundle from the kw86 modules now imported (modules: names),
    and keep's entries (a bundle's) for others still valid: runs with other
    options (--strace, --profile ...) do not take turns rewriting it."""
    entries = {}
    for n, e in (keep or {}).items():
        if e is None:
            entries[n] = None
            continue
        try:
            st = os.stat(os.path.join(_PKG_DIR, e[0]))
            if (st.st_mtime_ns, st.st_size) == (e[2], e[3]):
                entries[n] = e
        except (OSError, TypeError, IndexError):
            pass
    names = modules if modules is not None else \
        [n for n in list(sys.modules) if n == "kw86" or n.startswith("kw86.")]
    for n in names:
        m = sys.modules.get(n)
        if m is None or n == __name__:
            continue
        f = m.__dict__.get("__file__")
        if isinstance(f, str) and not f.endswith(".py"):
            entries[n] = None           # an extension: imported as usual
            continue
        try:
            e = _from_pyc(m)
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            e = None
        # (a module with no valid .pyc now: imported as usual, not stale --
        # a start-up would otherwise rewrite the bundle every time)
        entries[n] = e
    path = bundle_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(marshal.dumps((FORMAT, sys.implementation.cache_tag, entries)))
        os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return entries
