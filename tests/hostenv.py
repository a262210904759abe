"""The environment every host subprocess of the tests runs in: stated here,
never inherited from the user's shell (an activated venv exports PS1, a
desktop sets LANG/LC_*, COLUMNS, TZ, BLOCKSIZE, POSIXLY_CORRECT ...).

Taken from the host: PATH (to find its tools: ls, cmp, head, cc) and the
locations of caches (HOME, XDG_CACHE_HOME, ZIG_GLOBAL_CACHE_DIR: zig keeps
its compiled runtime there); nothing that changes how a program behaves.
Everything else is fixed: the C locale, UTC, no terminal width or prompt.
conftest.py also fixes the test process's own umask and TZ.
"""

import os

ENV = {
    "PATH": os.environ.get("PATH") or "/usr/bin:/bin",
    "HOME": os.environ.get("HOME") or "/tmp",
    "LANG": "C",
    "LC_ALL": "C",
    "TZ": "UTC",
    "TERM": "dumb",
    "PYTHONDONTWRITEBYTECODE": "1",     # kw86 subprocesses leave no .pyc behind
}
ENV.update({k: os.environ[k] for k in ("XDG_CACHE_HOME", "ZIG_GLOBAL_CACHE_DIR")
            if os.environ.get(k)})
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kw86_env(**extra):
    """For `python -m kw86.cli ...`: ENV with the repository on PYTHONPATH."""
    return env(PYTHONPATH=ROOT, **extra)


def env(**extra):
    """ENV plus extra (a value of None removes the variable)."""
    e = dict(ENV)
    for k, v in extra.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    return e
