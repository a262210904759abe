"""kw86's own messages on the host: what a guest chose never acts on the
host's terminal.

kw86 writes lines of its own to the host's stderr (and to --strace's
stream): "kw86: pid 3 (NAME): ... killed by SIGSEGV", "UVM: pid 3.3 (NAME)
... out of swap", a kernelware's panic message, the command column of
--strace.  NAME and such texts are the guest's (a process's command name is
the last component of the path it exec'd, 16 bytes of anything but '/' and
NUL), so a guest could put terminal escape sequences there (set the
window title, clear the screen, rewrite what is shown, on some terminals
answer back into the shell's input) or a newline followed by a line that
looks like one of kw86's own.

HostText wraps such a stream: in every write, the C0 control characters
(but tab), DEL and the C1 controls (U+0080..U+009F, which a terminal may
take as 8-bit CSI/OSC) are shown as \\xNN, and so is a newline, except one
that ends the write or is followed by a space (the indented continuation
lines of a multi-line report).  What the guest writes to its own
descriptors (its console, stdout and stderr) is not touched: that is the
guest's output, as a native program's would be.
"""
# C0 but tab, DEL, C1 as \xNN (str.translate: `re` would cost every run
# the import of re and enum, tests/test_nbsd_startup.py)
_TABLE = {c: "\\x%02x" % c for c in (*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0))}


def clean(text):
    """text with what could act on a terminal shown as \\xNN: the controls
    above, and a newline unless it ends the text or a space follows it."""
    if "\n" not in text:
        return text.translate(_TABLE)
    parts = text.split("\n")
    out = [parts[0].translate(_TABLE)]
    last = len(parts) - 1
    for i in range(1, len(parts)):
        nxt = parts[i]
        if (i == last and nxt == "") or nxt.startswith(" "):
            out.append("\n")
        else:
            out.append("\\x0a")
        out.append(nxt.translate(_TABLE))
    return "".join(out)


def clean_lines(text):
    """A report of many lines (--profile's table and folded stacks, whose
    function names come from the guest's ELF symbols): each line cleaned."""
    return "\n".join(line.translate(_TABLE) for line in text.split("\n"))


class HostText:
    """A text stream for kw86's own lines (System.stderr, System.strace)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if text.__class__ is not str:
            return self.stream.write(text)
        return self.stream.write(clean(text))

    def __getattr__(self, name):
        return getattr(self.stream, name)
