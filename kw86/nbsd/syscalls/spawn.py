"""posix_spawn (474) and fexecve (465): a new program without a copy of the
caller's memory, and exec of an open descriptor.

posix_spawn follows NetBSD 10's kern_exec.c (sys_posix_spawn,
do_posix_spawn, spawn_return) in what a program can see:

- the result is the call's value, never errno (the libc stub returns it:
  posix_spawn(3) returns an error number); a wild pointer anywhere gives
  EFAULT as that value;
- the program is looked up, checked and loaded first, in the caller's
  context (execve_loadvm): its cwd and credentials, before any file
  action; ENOENT, EACCES, ENOEXEC, E2BIG come back with no child made.
  Too many processes is EAGAIN;
- the file actions (<sys/spawn.h>: FAE_OPEN, FAE_DUP2, FAE_CLOSE,
  FAE_CHDIR, FAE_FCHDIR; more than 2 * min(RLIMIT_NOFILE, kern.maxfiles)
  of them is EINVAL) run in order in the child, then its attributes
  (POSIX_SPAWN_SETPGROUP, SETSCHEDULER / SETSCHEDPARAM, RESETIDS,
  SETSIGMASK, SETSIGDEF), then the exec;
- a failure there ends the child with exit status 127 (a zombie its
  parent reaps, SIGCHLD as any exit).  The parent learns the error only
  when it waited for the child: with POSIX_SPAWN_RETURNERROR (NetBSD's
  own flag, 0x40) or POSIX_SPAWN_SETPGROUP the call returns the error and
  no pid; otherwise it returns 0 and the pid, as NetBSD's parent is
  released before the child's file actions run.

kw86 runs the child's part at once inside the parent's call (the result is
the same: NetBSD's parent sleeps until the child has exec'd or failed in
the waiting case, and in the other case nothing the parent does can race
with a child that has not run yet) -- until a file action must sleep (an
open of a FIFO with no other end): then the child sleeps there, a process
of its own, and goes on from that action when woken, in its own turn
(Lwp.kcont, run by the scheduler before the child's first frame exists).
A parent that does not wait has its 0 and pid at once; a waiting one
sleeps, as NetBSD's cv_wait with no signal ending it, until the child
exec'd or failed, and returns what the child got.  A signal that would
end the child's sleep (caught, or fatal by default) makes the open fail
with EINTR: the child exits 127 (spawn_return's report_error).  The child never gets a copy of the
parent's memory: its image is built by the kernel's exec (kernel.py
Kernel.exec) and it first runs on a frame made from the parent's, as
execve rewrites its own.

Layouts (i386, <sys/spawn.h>): struct posix_spawn_file_actions {u_int
size; u_int len; fae *} (12 bytes); an entry {enum fae_action; int
fae_fildes; union {struct {char *path; int oflag; mode_t mode} open;
struct {int newfildes} dup2; struct {char *path} chdir}} (20 bytes);
struct posix_spawnattr {short sa_flags; pid_t sa_pgroup; struct
sched_param sa_schedparam; int sa_schedpolicy; sigset_t sa_sigdefault;
sigset_t sa_sigmask} (48 bytes: 2 + 2 padding, 4, 4, 4, 16, 16).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.errors import Errno, Exit, Fault, WouldBlock

FAE_OPEN, FAE_DUP2, FAE_CLOSE, FAE_CHDIR, FAE_FCHDIR = range(5)
FAE_SIZE = 20
FA_SIZE = 12
ATTR_SIZE = 48

POSIX_SPAWN_RESETIDS = 0x01
POSIX_SPAWN_SETPGROUP = 0x02
POSIX_SPAWN_SETSCHEDPARAM = 0x04
POSIX_SPAWN_SETSCHEDULER = 0x08
POSIX_SPAWN_SETSIGDEF = 0x10
POSIX_SPAWN_SETSIGMASK = 0x20
POSIX_SPAWN_RETURNERROR = 0x40          # NetBSD's own (_NETBSD_SOURCE)

_FAE = struct.Struct("<iiIiI")          # action, fildes, path|newfildes, oflag, mode
_ATTR = struct.Struct("<h2xiii16s16s")  # flags, pgroup, sched_priority, policy, sigdef, sigmask
assert _FAE.size == FAE_SIZE and _ATTR.size == ATTR_SIZE


class _Action:
    __slots__ = ("action", "fildes", "path", "oflag", "mode", "newfildes")


def _file_actions(p, addr):
    """posix_spawn_fa_alloc: the actions, their paths copied in (OPEN, CHDIR)."""
    if not addr:
        return []
    _size, n, fae = struct.unpack("<III", p.mem.copyin(addr, FA_SIZE))
    if n == 0:
        return []
    from kw86.nbsd.file import MAXFILES
    from kw86.nbsd.syscalls.kern import getrlimit
    lim = 2 * min(getrlimit(p, abi.NBSD_RLIMIT_NOFILE)[0], MAXFILES)
    if n > lim:
        raise Errno(abi.EINVAL)
    raw = p.mem.copyin(fae, n * FAE_SIZE)
    out = []
    for i in range(n):
        a = _Action()
        a.action, a.fildes, word, a.oflag, a.mode = _FAE.unpack_from(raw, i * FAE_SIZE)
        a.newfildes = word - (1 << 32) if word & 0x80000000 else word
        a.path = None
        if a.action in (FAE_OPEN, FAE_CHDIR):
            a.path = p.mem.copyinstr(word, abi.MAXPATHLEN)
        out.append(a)
    return out


def _attr(p, addr):
    if not addr:
        return None
    flags, pgroup, pri, policy, sigdef, sigmask = _ATTR.unpack(p.mem.copyin(addr, ATTR_SIZE))
    return {"flags": flags & 0xffff, "pgroup": pgroup, "pri": pri, "policy": policy,
            "sigdef": abi.unpack_sigset(sigdef), "sigmask": abi.unpack_sigset(sigmask)}


def _errno_of(e):
    if isinstance(e, Errno):
        return e.errno
    if isinstance(e, Fault):
        return abi.EFAULT
    if isinstance(e, MemoryError):
        return abi.ENOMEM
    from kw86.nbsd.elf import ExecError
    if isinstance(e, ExecError):
        return e.errno
    if isinstance(e, OSError):
        return abi.xlat_errno(e)
    return None


def _read_image(k, p, path, argv):
    """execve_loadvm's part that can fail: the file found from p's cwd and
    checked with p's credentials, a `#!` line followed once (as the
    kernel's exec: "#!interp [arg]" runs interp [arg] path args...), the
    ELF validated (and its PT_INTERP).  -> (the path exec loads, its argv,
    its bytes), read once; raises Errno or ExecError."""
    from kw86.nbsd.elf import ExecError, load_elf
    data = k._read_image(p, path)
    name = path
    if data[:2] == b"#!":
        nl = data.find(b"\n", 0, 1024)
        if nl < 0:
            raise ExecError(f"{path.decode('latin-1')}: bad interpreter line")
        parts = data[2:nl].strip(b" \t\r").split(None, 1)
        if not parts:
            raise ExecError(f"{path.decode('latin-1')}: bad interpreter line")
        name = parts[0]
        argv = [name] + [a.strip(b" \t\r") for a in parts[1:]] + [path] + list(argv[1:])
        data = k._read_image(p, name)
        if data[:2] == b"#!":
            raise ExecError(f"{name.decode('latin-1')}: the interpreter is a script")
    sname = name.decode("latin-1")
    img = load_elf(data, mem_limit=k.m.mem_size // 2, name=sname)
    k.kapi.check_image(img, sname)
    if img.interp is not None:
        k._load_interp(p, img, sname)
    return name, argv, data


class _Spawn:
    """A posix_spawn whose child sleeps in a file action: what the child
    goes on with (its continuation, Lwp.kcont) and what a waiting parent
    (Lwp.spawn_wait) is told once it exec'd (err 0) or failed."""
    __slots__ = ("k", "p", "c", "path", "argv", "envp", "image", "actions", "attr",
                 "pcwd", "snap", "i", "done", "err", "chan")

    def resume(self, l):
        """Run by the scheduler when the child is switched to: go on from
        the action that slept.  True: the child has its first frame and
        runs; False: it sleeps again or is gone."""
        c, k = self.c, self.k
        err = abi.EINTR if _interrupted(c) else _child(self)
        if err is _ASLEEP:
            return False
        if err:
            k._exit(c, abi.w_exitcode(127), switch=False)
            self._finish(err)
            return False
        self._finish(0)
        if c.state == "zomb":
            return False                # (exec_abort: past the point of no return)
        if l in k.runq:                 # (_first_frame queued it: it runs now)
            k.runq.remove(l)
        return True

    def _finish(self, err):
        from kw86.nbsd.sched import wakeup
        self.done, self.err = True, err
        wakeup(self.chan)               # a waiting parent


_ASLEEP = object()


def _interrupted(c):
    """A pending signal that ends the child's sleep (tsleep with PCATCH): one
    not masked, caught or fatal by default (a stop signal waits)."""
    from kw86.nbsd.proc import SIG_KILL
    l = c.l
    for sig in list(c.siglist) + list(l.siglist):
        if l.sigmask & abi.sigbit(sig):
            continue
        act = c.sigacts.get(sig)
        handler = abi.NBSD_SIG_DFL if act is None else act[0]
        if handler == abi.NBSD_SIG_IGN:
            continue
        if handler != abi.NBSD_SIG_DFL or sig in SIG_KILL:
            return True
    return False


def sys_posix_spawn(p, pidp, path, fa, attrp, argv, envp):
    """posix_spawn(2): the error number is the value (0: started)."""
    k = p.kernel
    if k is None:
        raise Errno(abi.ENOSYS)         # the CPU-less harness has no exec
    w = p.l.spawn_wait
    if w is not None:
        # a waiting parent woken (the call restarted): its child's answer
        if not w.done:
            raise WouldBlock(w.chan)
        p.l.spawn_wait = None
        return w.err or _put_pid(p, pidp, w.c.pid)
    try:
        actions = _file_actions(p, fa)
        attr = _attr(p, attrp)
        from kw86.nbsd.syscalls.vm import _strvec
        pathname = p.mem.copyinstr(path, abi.MAXPATHLEN)
        av, ev = _strvec(p, argv), _strvec(p, envp)
        pathname, av, image = _read_image(k, p, pathname, av)
    except (Exit, WouldBlock):
        raise
    except Exception as e:
        err = _errno_of(e)
        if err is None:
            raise
        return err
    try:
        pid = k.fork(p)                 # EAGAIN: MAXPROC, no memory for a kernel stack
    except Errno as e:
        return e.errno                  # (check_posix_spawn: the value too)
    c, p.fork_child = p.fork_child, None
    waiting = attr is not None and attr["flags"] & (POSIX_SPAWN_RETURNERROR |
                                                     POSIX_SPAWN_SETPGROUP)
    w = _Spawn()
    w.k, w.p, w.c, w.path, w.argv, w.envp, w.image = k, p, c, pathname, av, ev, image
    w.actions, w.attr, w.i, w.done, w.err = actions, attr, 0, False, 0
    w.pcwd = list(p.cwd)
    w.snap = _parent_frame(k, p)
    w.chan = ("spawn", c.pid)
    # do_posix_spawn: the child's saved ids are its effective ones (the
    # credentials are the child's own copy: fork's)
    c.cred.svuid, c.cred.svgid = c.cred.euid, c.cred.egid
    err = _child(w)
    if err is _ASLEEP:
        if waiting:
            p.l.spawn_wait = w
            raise WouldBlock(w.chan)
        err = 0
    elif err:
        k._exit(c, abi.w_exitcode(127), switch=False)
        if waiting:
            return err
    return _put_pid(p, pidp, pid)


def _put_pid(p, pidp, pid):
    if pidp:
        try:
            p.mem.copyout(pidp, struct.pack("<i", pid))
        except Fault:
            return abi.EFAULT
    return 0


def _child(w):
    """spawn_return: the file actions (from w.i on), the attributes, the
    exec, and the child's first frame; 0, the error that ends it (exit
    127), or _ASLEEP: an action sleeps, the child with it (w.resume goes
    on when it is woken)."""
    k, c = w.k, w.c
    try:
        actions = w.actions
        while w.i < len(actions):
            _do_action(c, actions[w.i])
            w.i += 1
        if w.attr is not None:
            _do_attr(w.p, c, w.attr)
    except WouldBlock as e:
        # an open that must wait (a FIFO with no other end yet): the child
        # sleeps in it (an empty address space until its exec)
        from kw86.nbsd.vm import VM
        if c.vm is None:
            try:
                c.vm = VM(k)
            except MemoryError:
                return abi.ENOMEM
        c.l.kcont = w
        k._sleep(c.l, e.chan)
        return _ASLEEP
    except Exception as e:
        err = _errno_of(e)
        if err is None:
            raise
        return err
    m = k.m
    from kw86.nbsd.elf import ExecAbort
    # the image is the one the parent found and read (execve_loadvm ran in
    # the parent); a PT_INTERP and the exe path are looked up from where
    # the parent looked, the child's own cwd back afterwards
    ccwd, c.cwd = c.cwd, w.pcwd
    cr3 = m.get_cr(3)
    try:
        try:
            k.exec(c, w.path, w.argv, w.envp, w.image)     # the bytes the parent read
            from kw86.nbsd.vfs import procfs
            procfs.note_exec(c, w.path, False)      # /proc/<pid>/exe: its path
        finally:
            c.cwd = ccwd
            m.set_cr(3, cr3)            # exec switched to the child's page tables
            m.flush_tlb()
    except ExecAbort:
        k._exit(c, abi.w_termsig(abi.NBSD_SIGABRT), switch=False)
        return 0                        # (past the point of no return: as exec_abort)
    except Exception as e:
        err = _errno_of(e)
        if err is None:
            raise
        return err
    _after_exec(k, c)
    _first_frame(k, w.snap, c)
    return 0


def _do_action(c, a):
    from kw86.nbsd.syscalls import fs
    t = c.fdt
    if a.action == FAE_OPEN:
        if t.valid(a.fildes):
            t.close(a.fildes)
        f = fs.vn_open(c, a.path, a.oflag & 0xffffffff, a.mode)
        try:
            newfd = t.alloc(f, cloexec=bool(a.oflag & abi.NBSD_O_CLOEXEC))
        except Errno:
            if f.refs == 0:
                f.close_final()
            raise
        if newfd != a.fildes:
            try:
                _dup2(c, newfd, a.fildes)
            finally:
                if t.valid(newfd):
                    t.close(newfd)
    elif a.action == FAE_DUP2:
        _dup2(c, a.fildes, a.newfildes)
    elif a.action == FAE_CLOSE:
        t.get(a.fildes)                 # EBADF when not open
        t.close(a.fildes)
    elif a.action == FAE_CHDIR:
        from kw86.nbsd.vfs import VEXEC, access
        stack = c.sys.vfs.namei(c, a.path)
        vp = stack[-1][1]
        if vp.type != abi.NBSD_S_IFDIR:
            raise Errno(abi.ENOTDIR)
        access(vp, c.cred, VEXEC)
        c.cwd = stack
    elif a.action == FAE_FCHDIR:
        from kw86.nbsd.file import VnodeFile
        from kw86.nbsd.vfs import VEXEC, access
        f = c.fdt.get(a.fildes)
        if not isinstance(f, VnodeFile) or f.vp.type != abi.NBSD_S_IFDIR or f.stack is None:
            raise Errno(abi.ENOTDIR)
        access(f.vp, c.cred, VEXEC)
        if not fs._under(f.stack, c.root):
            raise Errno(abi.EPERM)
        c.cwd = list(f.stack)
    # (NetBSD's switch has no default: an unknown action does nothing)


def _dup2(c, frm, to):
    """dodup(from, to, 0): EBADF for a closed from or a to out of range;
    from == to leaves the descriptor as it is."""
    t = c.fdt
    f = t.get(frm)
    if to < 0 or to >= t.limit:
        raise Errno(abi.EBADF)
    if frm != to:
        t.install(to, f)


def _do_attr(p, c, attr):
    flags = attr["flags"]
    if flags & POSIX_SPAWN_SETPGROUP:
        # proc_enterpgrp(parent, pid, pgrp): a group of the child's own, or
        # an existing one of the same session
        pgrp = attr["pgroup"] or c.pid
        if pgrp < 0:
            raise Errno(abi.EINVAL)
        if pgrp != c.pid and not any(q.pgid == pgrp and q.sid == c.sid and q is not c and
                                     not getattr(q, "zombie", False)
                                     for q in c.sys.procs.values()):
            raise Errno(abi.EPERM)
        c.pgid = pgrp
    if flags & (POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETSCHEDPARAM):
        _setsched(p, c, attr["policy"] if flags & POSIX_SPAWN_SETSCHEDULER else None,
                  attr["pri"])
    if flags & POSIX_SPAWN_RESETIDS:
        # the effective ids become the real ones (do_setresuid/gid of the
        # effective id only; the saved ones stay the parent's effective)
        cr = c.cred
        cr.egid = cr.rgid
        cr.euid = cr.ruid
    if flags & POSIX_SPAWN_SETSIGMASK:
        c.l.sigmask = attr["sigmask"] & ~(abi.sigbit(abi.NBSD_SIGKILL) |
                                           abi.sigbit(abi.NBSD_SIGSTOP))
    if flags & POSIX_SPAWN_SETSIGDEF:
        for sig in range(1, abi.NBSD_NSIG):
            if attr["sigdef"] & abi.sigbit(sig):
                c.sigacts.pop(sig, None)


def _setsched(p, c, policy, pri):
    """do_sched_setparam on the child, with the rules of _sched_setparam
    (sched.py, NetBSD's sys_sched.c): SETSCHEDULER sets the policy and the
    priority; SETSCHEDPARAM the priority under the current policy (NetBSD's
    spawn_return applies this one to the parent, ppid: kw86 follows POSIX
    and the child).  A priority under SCHED_OTHER is EINVAL, as there."""
    from kw86.nbsd.syscalls import sched
    if policy is None:
        policy = sched.SCHED_NONE
    if pri == sched.PRI_NONE and policy == sched.SCHED_NONE:
        return
    if policy != sched.SCHED_NONE and not sched.SCHED_OTHER <= policy <= sched.SCHED_RR:
        raise Errno(abi.EINVAL)
    if pri != sched.PRI_NONE and not sched.SCHED_PRI_MIN <= pri <= sched.SCHED_PRI_MAX:
        raise Errno(abi.EINVAL)
    cur_policy, cur_pri = sched.params(c)
    lpolicy = cur_policy if policy == sched.SCHED_NONE else policy
    if lpolicy == sched.SCHED_OTHER and pri != sched.PRI_NONE:
        raise Errno(abi.EINVAL)
    npri = cur_pri if pri == sched.PRI_NONE else pri
    if lpolicy == sched.SCHED_OTHER:
        npri = 0
    if c.cred.euid != 0 and ((lpolicy != cur_policy and lpolicy in (sched.SCHED_FIFO,
                                                                       sched.SCHED_RR))
                             or npri > cur_pri):
        raise Errno(abi.EPERM)
    c.sched_params = (lpolicy, npri)


def _after_exec(k, c):
    """What execve does to the process besides the image (kernel.execve)."""
    for sig, act in list(c.sigacts.items()):
        if act[0] != abi.NBSD_SIG_IGN:
            del c.sigacts[sig]              # caught signals revert to default
    c.sigstk = None
    if c.ptimers:
        from kw86.nbsd.kernel import _ptimer
        _ptimer().clear(c)
    if c.ksems:
        from kw86.nbsd.kernel import _ksem
        _ksem().clear(c)
    from kw86.nbsd.proc import kqueue_loaded
    kq = kqueue_loaded()
    if kq is not None:
        kq.knote_proc_exec(c)


def _parent_frame(k, p):
    """The parent's trap frame of this call and the kernel stack above it
    (None for a short one), as the child's first frame starts from them
    (_first_frame, maybe after the parent went on)."""
    boot, m = k.boot, k.m
    fesp = p.frame_esp
    tf = boot.read_frame(fesp)
    return tf, None if tf.short else m.read_virt(fesp, p.kstack - fesp)


def _first_frame(k, snap, c):
    """The child's trap frame on its kernel stack, made from the parent's
    (_parent_frame) as execve rewrites a frame (kernel.execve): the new
    image's registers, a kernelware's [eflags][eip] for gate_exit on its
    new stack; then the child is runnable."""
    from kw86.nbsd.frame import TF_SIZE
    from kw86.nbsd.kconst import T_KW86_GATE
    boot, m = k.boot, k.m
    tf, stack = snap
    short = tf.short
    if short:
        cfesp = c.kstack - TF_SIZE
    else:
        cfesp = c.kstack - len(stack)
        m.write_virt(cfesp, stack)
    r = c.regs0
    for reg in ("eax", "ecx", "edx", "ebx", "esi", "edi", "ebp"):
        setattr(tf, reg, r[reg])
    if tf.gate or short:
        cr3 = m.get_cr(3)
        m.set_cr(3, c.vm.pdir)              # [eflags][eip] go on the child's stack
        m.flush_tlb()
        try:
            c.emul.exec_frame(c, tf, r)
        finally:
            m.set_cr(3, cr3)
            m.flush_tlb()
        if short:
            tf.update(trapno=T_KW86_GATE, err=0, eip=0)
            tf.short = False
    else:
        tf.update(trapno=abi.T_ASTFLT, eip=r["eip"], esp=r["esp"], cs=r["cs"], ss=r["ss"],
                  ds=r["ds"], es=r["es"], fs=r["fs"], gs=r["gs"], eflags=r["eflags"])
        tf.short = False
    boot.write_frame(cfesp, tf)
    c.l.saved_esp = cfesp
    c.l.state = "sleep"
    k._setrun(c.l)


# ---------------------------------------------------------------------------
# fexecve

O_EXEC = 0x04000000                     # <fcntl.h>: open for executing only


def sys_fexecve(p, fd, argp, envp):
    """fexecve(2): execve of the file open on fd, read through the
    descriptor's own vnode (not looked up again).  The descriptor must be
    open for reading or for execution (O_EXEC): EBADF otherwise, and for
    one that is not open; the file must be a regular file the caller may
    execute (EACCES), as for execve.  An interpreter script (`#!`) is run
    by execve of the name it was opened by, while that name still leads
    to it (ENOENT otherwise).  /proc/<pid>/exe shows that name."""
    k = p.kernel
    if k is None:
        raise Errno(abi.ENOSYS)
    from kw86.nbsd.file import VnodeFile
    f = p.fdt.get(fd)
    if not isinstance(f, VnodeFile):
        raise Errno(abi.EACCES)         # a pipe, socket, device: not a regular file
    if not f.fflags & abi.FREAD and not f.flags & O_EXEC:
        raise Errno(abi.EBADF)
    from kw86.nbsd.elf import ExecError, check_exec_permission
    vp = f.vp
    try:
        check_exec_permission(vp.getattr(), p.cred, "fexecve")
    except ExecError as e:
        raise Errno(e.errno) from None
    from kw86.nbsd.syscalls.vm import _strvec
    argv, envp_ = _strvec(p, argp), _strvec(p, envp)
    path = _vnode_path(p, f)
    vp.open(abi.FREAD)
    try:
        size = vp.getsize()
        data = p.sys.bufcache.read(vp, 0, size, size)
    finally:
        vp.close(abi.FREAD)
    if data[:2] == b"#!":
        if path is None:
            raise Errno(abi.ENOENT)
        k.execve(p, path, argv, envp_)
    try:
        k.execve(p, path or b"fexecve", argv, envp_, host_image=data)
    except Errno as e:
        if e.errno == abi.EJUSTRETURN:
            p.exec_path = path          # (a host image has none: it has this one)
        raise


def _vnode_path(p, f):
    """The guest path an open file was opened by, relative to p's root, if
    that path still leads to the same vnode; None otherwise."""
    stack = getattr(f, "stack", None)
    if not stack:
        return None
    root = p.root
    if not (len(stack) >= len(root) and all(a[1] is b[1] for a, b in zip(stack, root))):
        return None
    path = b"/" + b"/".join(n for n, _ in stack[len(root):])
    try:
        vp = p.sys.vfs.lookup(p, path)
    except Errno:
        return None
    return path if vp is f.vp else None
