"""kw86.isa: the instruction-set tables (opcodes.py is the single source of truth).

Start-up (issue 12): building opcodes.py's tables (every row, group and
lookup) costs 2 ms, while a run needs only its mnemonic and cycle-class ids
(the executor's and the cycle profile's) -- the decoder's C tables come
from their own start-up copy (decoder.pyx).  So `kw86.isa.opcodes` starts
as a module that holds just those ids, CLASSES, MNEMONICS, mnemonic_id and
class_id, taken from a copy of what opcodes.py computed (kw86/tomlcache.py:
used only while opcodes.py has the same bytes); the first use of any other
name runs opcodes.py itself in that module, which then is the whole of it.
"""
import os
import sys

class _Opcodes(type(sys)):
    """kw86.isa.opcodes until something needs more than the ids."""

    def __getattr__(self, name):            # a name not (yet) in the module
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        _run(self)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None

    def __dir__(self):
        _run(self)
        return list(self.__dict__)


def _run(mod):
    """Run opcodes.py in mod (once)."""
    if mod.__dict__.get("_kw86_full"):
        return
    import importlib.util
    spec = importlib.util.spec_from_file_location(mod.__name__, mod.__file__)
    mod.__spec__, mod.__loader__ = spec, spec.loader
    mod._kw86_full = True
    spec.loader.exec_module(mod)
    mod.__class__ = type(sys)               # a plain module from now on


def _ids(mod):
    def derive(src):
        _run(mod)
        return {"CLASSES": list(mod.CLASSES), "MNEMONICS": list(mod.MNEMONICS)}
    from kw86.tomlcache import derived
    return derived(mod.__file__, "opcodes-ids", derive)


def _install():
    name = __name__ + ".opcodes"
    if name in sys.modules:
        return sys.modules[name]
    mod = _Opcodes(name, None)
    mod.__file__ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "opcodes.py")
    mod.__package__ = __name__
    sys.modules[name] = mod
    try:
        ids = _ids(mod)
    except OSError:                         # no opcodes.py to read: the usual import
        del sys.modules[name]
        return None
    except BaseException:
        del sys.modules[name]
        raise
    if not mod.__dict__.get("_kw86_full"):
        classes, mnemonics = ids["CLASSES"], ids["MNEMONICS"]
        cls_id = {c: i for i, c in enumerate(classes)}
        mn_id = {m: i for i, m in enumerate(mnemonics)}

        def mnemonic_id(name):
            """MNEMONICS index of a mnemonic ("add", "movsd", "jne" ...); KeyError if unknown."""
            return mn_id[name]

        def class_id(name):
            return cls_id[name]
        mod.__dict__.update(CLASSES=classes, MNEMONICS=mnemonics, _CLASS_ID=cls_id,
                            _MN_ID=mn_id, mnemonic_id=mnemonic_id, class_id=class_id)
    return mod


opcodes = _install()
if opcodes is None:
    from kw86.isa import opcodes        # noqa: F811
