"""System V IPC (kw86/nbsd/syscalls/sysvipc.py, libc stubs and userland/libc/sysvipc.c).

tests/guest/sysvipc.c is built for the guest (our libc, NetBSD/i386) and for
the host (gcc, glibc on Linux's own SysV IPC).  With no argument it prints
what both kernels must agree on: every call and its errors, producer/consumer
over a message queue and over a shared-memory ring with two semaphores,
SEM_UNDO at a child's exit (exit, SIGKILL, clamped at 0, dropped by SETVAL),
GETNCNT/GETZCNT of sleepers, EIDRM and EINTR (SA_RESTART or not) for
sleepers, shm_nattch across fork and exec, ftok.  The guest must print, as a
user process and as a kernelware, what the host build prints natively, and
that output is also pinned here (two equally broken runs cannot agree their
way to a pass).  "perm" (a child that drops root: EACCES/EPERM) is compared
the same way when the host run can drop root; "netbsd" checks what NetBSD's
kernel does where Linux's differs (limits, ids, msgrcv's negative type,
IPC_SET's clamp); "semops" is a differential of random semop sequences
(hypothesis) against the host.
"""
import os
import shutil
import struct
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

import hostenv
from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program
from kw86.nbsd import abi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "tests", "guest", "sysvipc.c")
CC = shutil.which("gcc") or shutil.which("cc")
EPOCH_NS = 1_700_000_000 * 10**9        # (times are checked to be set: not the epoch)

pytestmark = [built(os.path.exists(os.path.join(SYSROOT, "bin", "cat")), "the userland sysroot")]
needs_cc = built(CC is not None, "a host C compiler (gcc) for the host build")

MODES = [False, True]
IDS = ["user", "kernelware"]

EXPECTED = """\
semget private: ok
semget nsems 0: EINVAL
semget nsems -1: EINVAL
semget absent key: ENOENT
semget key create: ok
semget key again: same id
semget key nsems 0: same id
semget key excl: EEXIST
semget key more sems: EINVAL
semctl rmid key: ok
semctl rmid again: EINVAL
semget key after rmid: ENOENT
stat: ok nsems 3 mode 600 uid self 1 cuid self 1 otime 0 ctime set 1
set: ok
stat after set: mode 640
stat bad buf: EFAULT
set bad buf: EFAULT
semctl bad id: EINVAL
semctl bad cmd: EINVAL
setval: ok val 5
setval 32767: ok
setval 32768: ERANGE
setval -1: ERANGE
getval semnum 3: EINVAL
getval semnum -1: EINVAL
setall: ok
getall: ok 1 2 3
getall bad array: EFAULT
semop two: ok vals 0 2 7
getpid after semop: self
otime set: 1
semop atomic nowait: EAGAIN vals 0 2 7
semop zero nowait: EAGAIN
semop zero ok: ok
semop semnum 3: EFBIG
semop bad sops: EFAULT
semop bad id: EINVAL
ncnt: 1
zcnt: 0
ncnt just after +1: 1
ncnt after +1: 1 val 1
child: semop -2 woke: ok
val after child: 0 ncnt 0
zcnt: 1
child: wait zero: ok
child: val 8
undo after exit: val 6
undo before kill: val 2
undo after kill: val 6
child: val 5
undo clamped: val 0
undo after setval: val 7
child: semop after signal: EINTR hits 1
ncnt after eintr: 0
child: semop on removed set: EIDRM
rmid with sleeper: ok
semop after rmid: EINVAL
msgget private: ok
msgget absent key: ENOENT
msgget key: ok again same
msgget excl: EEXIST
msgctl rmid: ok again EINVAL
msgsnd: ok
msgsnd type 0: EINVAL
msgsnd type -3: EINVAL
msgsnd bad buf: EFAULT
msgsnd bad id: EINVAL
msgsnd size -1: EINVAL
stat: ok qnum 1 lspid self mode 600
stat bad buf: EFAULT
msgrcv too small: E2BIG
msgrcv noerror: 3 type 1 text hel
msgrcv empty nowait: ENOMSG
msgrcv bad id: EINVAL
msgctl bad cmd: EINVAL
msgrcv type 2: 3 2 m2
msgrcv type -2: 3 1 m1
msgrcv type 4: ENOMSG
msgrcv type 0: 3 3 m0
msgrcv type 0: 3 5 m3
stat: qnum 0 lrpid self rtime set 1
set: ok
stat after set: qbytes 200 mode 660
msgsnd full nowait: EAGAIN
producer/consumer: 300 messages, sum 45150, last size 0
child: msgrcv after signal: EINTR hits 1
child: msgsnd after signal: EINTR
child: msgrcv on removed queue: EIDRM
msgctl rmid with sleeper: ok
msgsnd after rmid: EINVAL
shmget private: ok
shmget size 0: EINVAL
shmget absent key: ENOENT
shmget key: ok again same size 0 same
shmget key bigger: EINVAL
shmget excl: EEXIST
shmctl rmid: ok
shmget key after rmid: ENOENT
stat: ok segsz 10000 nattch 0 cpid self lpid 0 mode 600
stat bad buf: EFAULT
shmctl bad cmd: EINVAL
set: ok
stat after set: mode 644
shmat: ok aligned 1
zero filled: 1
second attach sees: shared, nattch 2 lpid self atime set 1
shmat unaligned: EINVAL
shmat bad id: EINVAL
shmdt not attached: EINVAL
mprotect a read-only attach: write EACCES, read ok
store to a read-only attach: child killed by 11
shmdt second: ok
shmdt again: EINVAL
shmat rnd: ok sees shared
child: nattch 2 sees shared
after child: from child nattch 1 dtime set 1
child exec'd: nattch 1
rmid attached: ok
still there: from child
stat after last detach: EINVAL
shm ring: 500 items, sum 125250
ftok: same 1, id differs 1, id in top byte 1, inode 1
ftok missing: -1 ENOENT
done
"""

EXPECTED_PERM = """\
child: sem 0600 stat EACCES semop EACCES rmid EPERM set EPERM
child: sem 0604 stat ok getval ok semop EACCES
child: msq 0620 send EACCES recv EACCES stat EACCES
child: shm 0644 attach rw EACCES ro ok stat ok rmid EPERM
perm: done
done
"""

# NetBSD 10's defaults: SEMMNI 10, SEMMSL = SEMMNS 60, SEMOPM 100, SEMUME 10,
# SEMVMX 32767, MSGMNB 2048, MSGTQL 40, SHMMAX a quarter of physical memory
# (a 64 MiB machine: 16 MiB); ids are _seq << 16 | slot (the first 0x10000);
# msgrcv with a negative type takes the first message of a type <= |type|;
# IPC_SET clamps msg_qbytes to MSGMNB (0 is EINVAL); shmctl's IPC_STAT
# shows the segment's SHMSEG_ALLOCATED (0x800); a removed segment's id no
# longer answers; SETVAL leaves sempid; a fixed shmat over a mapping is
# ENOMEM (UVM_FLAG_FIXED without UVM_FLAG_UNMAP); a sender that has to wait
# locks its queue (MSG_LOCKED, 01000 in the mode) so that a smaller message
# that would fit waits behind it.  The compat_50 __semctl13/__msgctl13/__shmctl13
# (301-303, what NetBSD 1.5 to 5 binaries call) have 32-bit times and
# write nothing past their structures (44, 68, 60 bytes).
EXPECTED_NETBSD = """\
semmni: 10 sets, then ENOSPC
first ids: 0x10000 0x10001
slot 0 again: 0x20000
semmsl: 60 ok, 61 EINVAL
semmns: 1 more ENOSPC
semopm: 100 ok, 101 E2BIG, 0 ok
semume: 10 undo entries, then EINVAL
setval 40000: ERANGE
semconfig: 0
getpid after setval: 0
msg_qbytes 2048
msgsnd 2049: EINVAL
set qbytes 0: EINVAL
set qbytes 100000 as root: ok -> 2048
msgsnd bigger than the queue: EINVAL
msgrcv -2 takes the first of type <= 2: 2
msgtql: 40 messages, then EAGAIN
locked: mode 01600, 10 bytes nowait EAGAIN, after a receive: mode 0600 qnum 1 cbytes 60
__semctl13: ok nsems 2 times 1 size 1, set ok mode 600
__msgctl13: ok qnum 1 qbytes 2048 stime 1 size 1, set ok qbytes 100
__shmctl13: ok segsz 5000 nattch 1 atime 1 size 1
kernel pointers: msgrcv EFAULT (qnum 0 after) msgsnd EFAULT msgctl EFAULT semop EFAULT getall EFAULT
shmat over the text: ENOMEM
shmmax (64 MiB machine): 16 MiB ok, +1 EINVAL
shm stat mode 04600
removed but attached: stat EINVAL attach EINVAL
done
"""


@pytest.fixture(scope="module")
def guest():
    path = guest_program("sysvipc")
    if path is None:
        fail_build(guest_program.why)
    return path


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    if CC is None:
        fail_build("no host C compiler (gcc) for the host build")
    out = str(tmp_path_factory.mktemp("sysvipc_host") / "sysvipc")
    r = subprocess.run([CC, "-O2", "-Wall", SRC, "-o", out], capture_output=True, text=True,
                       env=hostenv.ENV)
    if r.returncode:
        fail_build(f"host build of {SRC}: {r.stderr[:2000]}")
    return out


def run_host(host, *args):
    r = subprocess.run([host, *args], capture_output=True, text=True, env=hostenv.ENV,
                       timeout=120, cwd=os.path.dirname(host))
    return r.returncode, r.stdout


def run(tmp_path, path, args, kernelware):
    """sysvipc as pid 1 in an in-process Kernel: (wait status, output)."""
    from kw86.nbsd.kernel import Kernel
    with open(path, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(),
                   epoch_ns=EPOCH_NS)
        try:
            k.spawn(b"/sysvipc", [b"sysvipc"] + [a.encode() for a in args], [b"PATH=/bin"],
                    kernelware, host_image=image)
            status = k.run(max_instructions=2_000_000_000)
        finally:
            k.close()
    return status, out.read_text()


@needs_cc
def test_host_build_prints_the_expected_lines(host):
    assert run_host(host) == (0, EXPECTED)


@needs_cc
@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_sysvipc_matches_host(tmp_path, guest, host, kw):
    status, out = run(tmp_path, guest, [], kw)
    assert out == run_host(host)[1]
    assert (status, out) == (0, EXPECTED)


@needs_cc
def test_host_perm(host):
    if os.geteuid() != 0:
        pytest.skip("the host run must be root to drop to another user")
    assert run_host(host, "perm") == (0, EXPECTED_PERM)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_perm_refuses_another_user(tmp_path, guest, kw):
    assert run(tmp_path, guest, ["perm"], kw) == (0, EXPECTED_PERM)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_netbsd_limits_and_choices(tmp_path, guest, kw):
    assert run(tmp_path, guest, ["netbsd"], kw) == (0, EXPECTED_NETBSD)


# -- random semop sequences against the host's kernel ------------------------------
# small values and few operations keep both kernels inside the limits they
# share (Linux: SEMOPM 500, ERANGE above SEMVMX; NetBSD: SEMOPM 100)
_op = st.tuples(st.integers(0, 4), st.integers(-3, 3), st.sampled_from([0, 0o10000]))
_call = st.lists(_op, min_size=1, max_size=4)
_seq = st.lists(_call, min_size=1, max_size=8)


def _fmt(seq):
    return "|".join(";".join(f"{n},{o},{f}" for n, o, f in call) for call in seq)


@needs_cc
@settings(max_examples=8)
@given(st.lists(_seq, min_size=1, max_size=6))
def test_semop_sequences_match_host(tmp_path_factory, guest, host, seqs):
    args = ["semops"] + [_fmt(s) for s in seqs]
    want = run_host(host, *args)
    assert want[0] == 0 and want[1].count("after replay") == len(seqs)
    assert run(tmp_path_factory.mktemp("semops"), guest, args, False) == want


def test_structure_layouts_are_netbsds():
    """The kernel's packers have NetBSD 10/i386's sizes (the libc side is
    checked at compile time in userland/libc/sysvipc.c)."""
    from kw86.nbsd.syscalls import sysvipc as s
    assert (s._PERM.size, s._SEMID_DS.size, s._MSQID_DS.size, s._SHMID_DS.size,
            s._SEMBUF.size) == (28, 52, 80, 72, 6)
    # sem_otime at 32, msg_stime and shm_atime at 44 (64-bit time_t, 4-aligned)
    assert struct.calcsize("<28sHxx") == 32 and struct.calcsize("<28sIIii") == 44


def test_ipcperm_rules():
    """ipcperm(9): root passes, IPC_M is the owner's or creator's (EPERM),
    read/write take the user, group (the owner's or creator's, egid or a
    supplementary group) or other bits (EACCES)."""
    from kw86.nbsd.errors import Errno
    from kw86.nbsd.syscalls.sysvipc import IPC_M, IPC_R, IPC_W, Perm, ipcperm
    from kw86.nbsd.vfs import Cred

    owner = Cred(10, 20)
    perm = Perm(owner, 0, 0o640, 1)
    perm.uid, perm.gid = 11, 21             # IPC_SET gave it away; 10/20 created it

    def err(cred, mode):
        try:
            ipcperm(cred, perm, mode)
        except Errno as e:
            return e.errno
        return 0

    from kw86.nbsd.abi import EACCES, EPERM
    assert err(Cred(0, 0), IPC_M) == 0 and err(Cred(0, 0), IPC_W) == 0
    assert err(Cred(10, 99), IPC_M) == 0 and err(Cred(11, 99), IPC_M) == 0
    assert err(Cred(12, 20), IPC_M) == EPERM
    assert err(Cred(10, 99), IPC_R | IPC_W) == 0                 # user bits rw-
    assert err(Cred(12, 21), IPC_R) == 0 and err(Cred(12, 20), IPC_R) == 0   # group r--
    assert err(Cred(12, 21), IPC_W) == EACCES
    assert err(Cred(12, 5, groups=[5, 20]), IPC_R) == 0          # a supplementary group
    assert err(Cred(12, 5), IPC_R) == EACCES                     # other ---


@pytest.mark.parametrize("kw", MODES, ids=IDS)
@pytest.mark.parametrize("seed", [1, 2] if os.environ.get("CI") else [1, 2, 3, 4])
def test_random_ipc_calls_leave_kw86_intact(tmp_path, guest, kw, seed):
    """Random SysV IPC calls (garbage ids, commands, flags, wild and kernel
    pointers, sleeps ended by alarm(1), children that exit or are killed
    holding undo entries and attachments): no internal error, no kw86
    message, every process accounted for."""
    status, out = run(tmp_path, guest, ["fuzz", str(seed), "1500"], kw)
    lines = out.splitlines()
    assert status == 0, out[-2000:]
    assert not [l for l in lines if l.startswith("kw86")], out[-2000:]
    assert lines[-2:] == ["fuzz: 1500 calls", "done"], out[-2000:]


# -- ipcs(1) and ipcrm(1) (userland/bin/ipcs.c, ipcrm.c) ------------------------------
EXPECTED_IPCS = """\
made 65536 65536 65536
done
Message Queues:
T        ID     KEY        MODE       OWNER    GROUP
q     65536       4660 --rw-r-----     root    wheel

Shared Memory:
T        ID     KEY        MODE       OWNER    GROUP
m     65536      22136 --rw-------     root    wheel

Semaphores:
T        ID     KEY        MODE       OWNER    GROUP
s     65536          0 --rw-rw-rw-     root    wheel

Message Queues:
T        ID     KEY        MODE       OWNER    GROUP  CREATOR   CGROUP CBYTES  QNUM QBYTES \
LSPID LRPID    STIME    RTIME    CTIME
q     65536       4660 --rw-r-----     root    wheel     root    wheel     30     2   2048 \
    3     0 22:13:20 no-entry 22:13:20

Shared Memory:
T        ID     KEY        MODE       OWNER    GROUP  CREATOR   CGROUP NATTCH   SEGSZ  CPID \
 LPID    ATIME    DTIME    CTIME
m     65536      22136 --rw-------     root    wheel     root    wheel      0   10000     3 \
    3 22:13:20 22:13:20 22:13:20

Semaphores:
T        ID     KEY        MODE       OWNER    GROUP  CREATOR   CGROUP NSEMS    OTIME    CTIME
s     65536          0 --rw-rw-rw-     root    wheel     root    wheel     3 no-entry 22:13:20

msginfo:
\tmsgmax:  16384\t(max characters in a message)
\tmsgmni:     40\t(# of message queues)
\tmsgmnb:   2048\t(max characters in a message queue)
\tmsgtql:     40\t(max # of messages in system)
\tmsgssz:      8\t(size of a message segment)
\tmsgseg:   2048\t(# of message segments in system)

shminfo:
\tshmmax: 16777216\t(max shared memory segment size)
\tshmmin:       1\t(min shared memory segment size)
\tshmmni:     128\t(max number of shared memory identifiers)
\tshmseg:     128\t(max shared memory segments per process)
\tshmall:    4096\t(max amount of shared memory in pages)

seminfo:
\tsemmap:     30\t(# of entries in semaphore map)
\tsemmni:     10\t(# of semaphore identifiers)
\tsemmns:     60\t(# of semaphores in system)
\tsemmnu:     30\t(# of undo structures in system)
\tsemmsl:     60\t(max # of semaphores per id)
\tsemopm:    100\t(max # of operations per semop call)
\tsemume:     10\t(max # of undo entries per process)
\tsemusz:    100\t(size in bytes of undo structure)
\tsemvmx:  32767\t(semaphore maximum value)
\tsemaem:  16384\t(adjust on exit max value)

ipcrm: 3
Message Queues:
T        ID     KEY        MODE       OWNER    GROUP

Shared Memory:
T        ID     KEY        MODE       OWNER    GROUP

Semaphores:
T        ID     KEY        MODE       OWNER    GROUP

"""
EXPECTED_IPCRM_ERR = """\
ipcrm: msqid(65536): Invalid argument
ipcrm: semkey(7): No such file or directory
ipcrm: msqkey(0): not a key
"""


@pytest.mark.parametrize("mode", [[], ["--kernelware"]], ids=IDS)
def test_ipcs_and_ipcrm(guest, mode):
    """The objects a program left are listed by ipcs (default, -a, -T: the
    kernel's tables through kern.ipc.sysvipc_info, NetBSD's format) and
    removed by ipcrm by id and by key; what it cannot remove it reports and
    counts in its exit status."""
    import sys
    env = dict(hostenv.ENV, KW86_EPOCH="1700000000")      # 2023-11-14 22:13:20 UTC
    script = ("/t/sysvipc make; ipcs; ipcs -a; ipcs -T; "
              "ipcrm -q 65536 -M 0x5678 -s 65536 -q 65536 -S 7 -Q 0; echo ipcrm: $?; ipcs")
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, "-E", "TZ=UTC",
                        "--bind", f"{os.path.dirname(guest)}:/t:ro", "/bin/sh", "-c", script],
                       capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
                       stdin=subprocess.DEVNULL)
    assert (r.returncode, r.stdout, r.stderr) == (0, EXPECTED_IPCS, EXPECTED_IPCRM_ERR)


# -- sysctl kern.ipc without a CPU (tests/nbsd_env.py) --------------------------------
@pytest.fixture
def env(tmp_path):
    from nbsd_env import Env
    root = tmp_path / "root"
    root.mkdir()
    return Env(root)


def _sysctl(env, mib, size=4096):
    name = env.alloc(4 * len(mib), struct.pack(f"<{len(mib)}i", *mib))
    lenp = env.alloc(4, struct.pack("<I", size))
    buf = env.alloc(max(size, 1))
    r = env.call("__sysctl", name, len(mib), buf if size else 0, lenp, 0, 0)
    n = struct.unpack("<I", env.read(lenp, 4))[0]
    return r.error, env.read(buf, min(n, size)) if size else b"", n


def test_sysctl_kern_ipc(env):
    """kern.sysvmsg/sysvsem/sysvshm say 1; kern.ipc names its nodes (CTL_QUERY,
    what sysctlnametomib and Go walk); sysvipc_info.{msg,sem,shm} is the
    limits rounded to 8 bytes then one record per slot (40 queues of 92
    bytes, 10 sets of 56, 128 segments of 76), the size alone when asked
    with no buffer; shmmax is a quad."""
    for n in (34, 35, 36):
        assert _sysctl(env, [1, n]) == (0, struct.pack("<i", 1), 4)
    q = struct.pack("<5i", 1, 82, -2, 0, 0)[:12]
    name = env.alloc(12, q)
    lenp = env.alloc(4, struct.pack("<I", 4096))
    buf = env.alloc(4096)
    r = env.call("__sysctl", name, 3, buf, lenp, 0, 0)
    n = struct.unpack("<I", env.read(lenp, 4))[0]
    data = env.read(buf, n)
    names = {data[o + 8:o + 40].rstrip(b"\0").decode(): struct.unpack_from("<i", data, o + 4)[0]
             for o in range(0, n, 96)}
    assert r.error == 0 and names == {"sysvipc_info": 1, "shmmax": 5, "shmmni": 6, "shmseg": 7,
                                      "shmmaxpgs": 8, "shm_use_phys": 9}
    assert _sysctl(env, [1, 82, 1, 4], size=0)[2] == 24 + 40 * 92
    assert _sysctl(env, [1, 82, 1, 5], size=0)[2] == 40 + 10 * 56
    assert _sysctl(env, [1, 82, 1, 6], size=0)[2] == 24 + 128 * 76
    err, data, _ = _sysctl(env, [1, 82, 1, 5])
    assert err == 0 and struct.unpack_from("<10i", data) == (30, 10, 60, 30, 60, 100, 10, 100,
                                                              32767, 16384)
    err, data, n = _sysctl(env, [1, 82, 1, 4], size=24)    # the limits alone (ipcs -Q)
    assert (err, n) == (0, 24) and struct.unpack("<6i", data) == (16384, 40, 2048, 40, 8, 2048)
    err, data, n = _sysctl(env, [1, 82, 1, 5], size=40 + 3 * 56 + 10)   # 3 records fit
    assert (err, n) == (abi.ENOMEM, 40 + 3 * 56)
    assert _sysctl(env, [1, 82, 1, 6], size=20)[::2] == (abi.ENOMEM, 0)
    err, data, _ = _sysctl(env, [1, 82, 5])
    assert err == 0 and len(data) == 8
    assert _sysctl(env, [1, 82, 1, 7])[0] == abi.EINVAL
