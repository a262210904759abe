"""The system call table machinery: rows like syscalls.master, and what is
derived from them (argument fetching off the user stack, strace lines,
"not implemented" reports).

A row is `(number, name, prototype, handler)`, e.g.
`(3, "read", "int fd, void *buf, size_t nbyte", sys_read)`.  The prototype
uses syscalls.master's C notation; `PAD` is the filler word that aligns a
following 64-bit argument (off_t) on an 8-byte boundary of the argument
list [abi §1].  A handler is `handler(p, *args)` (PAD words dropped) and
returns None (0), an int (eax; 64-bit for an off_t result: eax low, edx
high), or a tuple (eax, edx); it fails by raising Errno.
"""
import struct

from kw86.nbsd import abi

# type name -> (words, signed).  Pointers are unsigned 32-bit.
_SIGNED32 = {"int", "long", "pid_t", "ssize_t", "clockid_t", "idtype_t", "key_t",
             "lwpid_t", "id_t", "intptr_t", "register_t", "int32_t", "timer_t"}
_SIGNED64 = {"off_t", "int64_t", "quad_t", "blkcnt_t"}
_UNSIGNED64 = {"u_quad_t", "uint64_t", "dev_t"}


class Arg:
    __slots__ = ("type", "name", "words", "signed", "kind")

    def __init__(self, ctype, name):
        self.type, self.name = ctype, name
        base = ctype.replace("const ", "").replace("volatile ", "").strip()
        if "*" in base or "[" in name:
            self.words, self.signed = 1, False
            self.kind = "str" if base.replace(" ", "") == "char*" else "ptr"
        elif base == "PAD":
            self.words, self.signed, self.kind = 1, False, "pad"
        elif base in _SIGNED64:
            self.words, self.signed, self.kind = 2, True, "int"
        elif base in _UNSIGNED64:
            self.words, self.signed, self.kind = 2, False, "int"
        else:
            self.words, self.signed, self.kind = 1, base in _SIGNED32, "int"

    def __repr__(self):
        return f"Arg({self.type!r}, {self.name!r})"


_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _split_decl(part):
    """'const char *path' -> ('const char *', 'path', False); 'int fds[2]' ->
    ('int', 'fds', True): the type, the trailing identifier, whether an array
    suffix followed.  Plain string scanning (a regular expression here cost its
    compilation on every start-up: the table is built at import)."""
    s, array = part, False
    if s.endswith("]"):
        i = s.rfind("[")
        if i < 0 or not (s[i + 1:-1] == "" or s[i + 1:-1].isdigit()):
            raise ValueError(f"cannot parse argument {part!r}")
        s, array = s[:i].rstrip(), True
    j = len(s)
    while j > 0 and s[j - 1] in _IDENT:
        j -= 1
    while j < len(s) and s[j].isdigit():    # an identifier starts with a letter or _
        j += 1
    if j == len(s):
        raise ValueError(f"cannot parse argument {part!r}")
    return s[:j].strip(), s[j:], array


def parse_prototype(proto):
    """'int fd, void *buf, size_t nbyte' -> [Arg]."""
    args = []
    proto = proto.strip()
    if not proto or proto == "void":
        return args
    for part in proto.split(","):
        part = part.strip()
        if part == "PAD":
            args.append(Arg("PAD", "pad"))
            continue
        if part == "...":
            raise ValueError("varargs are not allowed in a table row")
        ctype, name, array = _split_decl(part)
        if name == "PAD":                   # syscalls.master writes "int PAD"
            args.append(Arg("PAD", "pad"))
            continue
        if array:
            ctype += " *"
        args.append(Arg(ctype, name))
    return args


class LazyHandler:
    """A handler in a module imported on the first call (sockets, kqueue: most
    programs never call them, and their modules cost start-up time).  Its rows
    get the real function then, so later calls go to it directly."""

    __slots__ = ("module", "attr", "rows", "fn")

    def __init__(self, module, attr):
        self.module, self.attr, self.rows, self.fn = module, attr, [], None

    def resolve(self):
        if self.fn is None:
            import importlib
            self.fn = getattr(importlib.import_module(self.module), self.attr)
            for row in self.rows:
                row.handler = self.fn
            self.rows = []
        return self.fn

    def __call__(self, *args):
        return self.resolve()(*args)

    def __repr__(self):
        return f"LazyHandler({self.module}.{self.attr})"


class LazyModule:
    """`lazy_module("kw86.nbsd.syscalls.socket").sys_socket` is a LazyHandler
    (the same one each time), so a table row reads as with the module."""

    def __init__(self, name):
        self._name, self._handlers = name, {}

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        h = self._handlers.get(attr)
        if h is None:
            h = self._handlers[attr] = LazyHandler(self._name, attr)
        return h

    def handlers(self):
        return list(self._handlers.values())


lazy_module = LazyModule


class Row:
    """One system call: number, name, prototype, handler, result type."""

    __slots__ = ("num", "name", "proto", "handler", "args", "nwords", "ret", "compat", "fmt",
                 "argst", "argbytes", "is_off", "fast")

    def __init__(self, num, name, proto, handler, ret="int", compat=None):
        self.num = num
        self.name = name
        self.proto = proto
        if isinstance(handler, LazyHandler):
            if handler.fn is not None:
                handler = handler.fn
            else:
                handler.rows.append(self)
        self.handler = handler
        self.ret = ret                  # "int", "off_t" (eax:edx), "ptr", "void"
        self.compat = compat            # e.g. "15" for a NetBSD 1.5-era row
        self.is_off = ret == "off_t"
        # eligible for the trap path's inlined dispatch (not the indirect calls)
        self.fast = handler is not None and num not in (0, 198)
        # args, nwords, fmt, argst, argbytes: from the prototype on first use
        # (_derive; the table is built at import, most rows are never called)

    _DERIVED = frozenset(("args", "nwords", "fmt", "argst", "argbytes"))

    def __getattr__(self, attr):
        # reached only for a slot not set yet
        if attr in Row._DERIVED:
            self._derive()
            return object.__getattribute__(self, attr)
        raise AttributeError(f"'Row' object has no attribute {attr!r}")

    def _derive(self):
        self.args = parse_prototype(self.proto)
        self.nwords = sum(a.words for a in self.args)
        self.fmt = struct.Struct(f"<{self.nwords}I")
        # the precomputed decoder: one unpack gives the handler's arguments
        # (PAD skipped, signed and 64-bit words as the prototype says)
        codes = "".join("4x" if a.kind == "pad" else
                        ("q" if a.signed else "Q") if a.words == 2 else
                        ("i" if a.signed else "I") for a in self.args)
        self.argst = struct.Struct("<" + codes)
        self.argbytes = 4 * self.nwords

    def __repr__(self):
        return f"Row({self.num}, {self.name!r}, {self.proto!r})"

    def decode(self, words):
        """Argument words -> the handler's Python arguments (PAD dropped)."""
        out = []
        i = 0
        for a in self.args:
            if a.words == 2:
                v = words[i] | (words[i + 1] << 32)
                if a.signed and v & (1 << 63):
                    v -= 1 << 64
            else:
                v = words[i]
                if a.signed and v & 0x80000000:
                    v -= 1 << 32
            i += a.words
            if a.kind != "pad":
                out.append(v)
        return out

    def fetch(self, mem, argp):
        """Copy the arguments in from user memory at argp (= user esp + 4)."""
        if not self.nwords:
            return ()
        return self.argst.unpack(mem.copyin(argp, self.argbytes))

    def format_call(self, args, mem=None):
        parts = []
        vals = iter(args)
        for a in self.args:
            if a.kind == "pad":
                continue
            v = next(vals)
            if a.kind == "str" and mem is not None and v:
                try:
                    s = mem.copyinstr(v, 256)
                    parts.append('"' + s.decode("latin-1").encode("unicode_escape")
                                 .decode("ascii").replace('"', '\\"') + '"')
                    continue
                except Exception:
                    pass
            if a.kind in ("str", "ptr"):
                parts.append(f"{v:#x}")
            elif "mode" in a.name or a.name == "newmask":
                parts.append(f"0{v:o}" if v else "0")       # kdump's %#o: 0644
            elif self.name == "ioctl" and a.name == "com" and v in _ioctl_names():
                parts.append(_ioctl_names()[v])             # kdump: TIOCGETA
            elif "flags" in a.name or a.name in ("com", "cmd", "how") and v > 9:
                parts.append(f"{v:#x}")
            else:
                parts.append(str(v))
        return f"{self.name}({','.join(parts)})"


_IOCTL_NAMES = {}


def _ioctl_names():
    """ioctl command -> its name (TIOCGETA, FIONREAD ...), from abi's NBSD_ constants."""
    if not _IOCTL_NAMES:
        for k in sorted(dir(abi)):
            if k.startswith(("NBSD_TIOC", "NBSD_FIO")) and isinstance(getattr(abi, k), int):
                _IOCTL_NAMES.setdefault(getattr(abi, k), k[5:])
    return _IOCTL_NAMES


def format_result(row, error, rv0, rv1):
    name = row.name if row is not None else "?"
    if error:
        return f"{name} -1 errno {error} {abi.errno_text(error)}"
    if row is not None and row.ret == "off_t":
        return f"{name} {rv0 | (rv1 << 32)}"
    if row is not None and row.ret == "ptr":
        return f"{name} {rv0:#x}"
    v = rv0 - (1 << 32) if rv0 & 0x80000000 else rv0
    return f"{name} {v}" + (f"/{rv1:#x}" if rv1 else "")


class Table:
    """number -> Row, and name -> Row."""

    def __init__(self, rows, names=None, maxnum=abi.NSYSENT - 1):
        self.rows = {}
        self.byname = {}
        for r in rows:
            if not isinstance(r, Row):
                r = Row(*r)
            if r.num in self.rows:
                raise ValueError(f"syscall {r.num} defined twice")
            self.rows[r.num] = r
            self.byname.setdefault(r.name, r)
        # numbers NetBSD defines but kw86 lacks
        self.names = {n: v for n, v in (names or {}).items() if n not in self.rows}
        self.maxnum = maxnum
        self.vec = [self.rows.get(i) for i in range(abi.NSYSENT)]     # dispatch by index

    def __getitem__(self, num):
        return self.rows.get(num)

    def name_of(self, num):
        r = self.rows.get(num)
        return r.name if r is not None else self.names.get(num)
