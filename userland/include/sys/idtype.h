/* kw86 libc: <sys/idtype.h>, the id types of wait6/waitid (NetBSD's values: the
 * order is ABI, P_MYID -1 then P_ALL 0, P_PID, P_LWPID, ...). */
#ifndef _SYS_IDTYPE_H_
#define _SYS_IDTYPE_H_

typedef enum {
    P_MYID = -1,    /* me / my process group */
    P_ALL,          /* all processes */
    P_PID,          /* a process id */
    P_LWPID,        /* an LWP id */
    P_PPID,         /* a parent process id */
    P_PGID,         /* a process group id */
    P_SID,          /* a session id */
    P_CID,          /* a scheduling class id */
    P_UID,          /* a user id */
    P_GID,          /* a group id */
    P_TASKID,
    P_PROJID,
    P_POOLID,
    P_ZONEID,
    P_CTID,
    P_CPUID,
    P_PSETID,
    _P_MAXIDTYPE = 0x7fffffff
} idtype_t;

#endif
