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
import re

# C0 but tab, DEL, C1; a newline unless it ends the text or a space follows
_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]|\n(?=[^ ])")


def _hex(m):
    return "\\x%02x" % ord(m.group())


def clean(text):
    """text with what could act on a terminal shown as \\xNN."""
    return _BAD.sub(_hex, text)


def clean_lines(text):
    """A report of many lines (--profile's table and folded stacks, whose
    function names come from the guest's ELF symbols): each line cleaned."""
    return "\n".join(_BAD.sub(_hex, line) for line in text.split("\n"))


class HostText:
    """A text stream for kw86's own lines (System.stderr, System.strace)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if text.__class__ is not str:
            return self.stream.write(text)
        return self.stream.write(_BAD.sub(_hex, text))

    def __getattr__(self, name):
        return getattr(self.stream, name)
