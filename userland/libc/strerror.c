/* kw86 libc: error and signal messages, worded as NetBSD's libc words them. */
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>

static const char *const errlist[] = {
    [0] = "Undefined error: 0",
    [EPERM] = "Operation not permitted",
    [ENOENT] = "No such file or directory",
    [ESRCH] = "No such process",
    [EINTR] = "Interrupted system call",
    [EIO] = "Input/output error",
    [ENXIO] = "Device not configured",
    [E2BIG] = "Argument list too long",
    [ENOEXEC] = "Exec format error",
    [EBADF] = "Bad file descriptor",
    [ECHILD] = "No child processes",
    [EDEADLK] = "Resource deadlock avoided",
    [ENOMEM] = "Cannot allocate memory",
    [EACCES] = "Permission denied",
    [EFAULT] = "Bad address",
    [ENOTBLK] = "Block device required",
    [EBUSY] = "Device busy",
    [EEXIST] = "File exists",
    [EXDEV] = "Cross-device link",
    [ENODEV] = "Operation not supported by device",
    [ENOTDIR] = "Not a directory",
    [EISDIR] = "Is a directory",
    [EINVAL] = "Invalid argument",
    [ENFILE] = "Too many open files in system",
    [EMFILE] = "Too many open files",
    [ENOTTY] = "Inappropriate ioctl for device",
    [ETXTBSY] = "Text file busy",
    [EFBIG] = "File too large",
    [ENOSPC] = "No space left on device",
    [ESPIPE] = "Illegal seek",
    [EROFS] = "Read-only file system",
    [EMLINK] = "Too many links",
    [EPIPE] = "Broken pipe",
    [EDOM] = "Numerical argument out of domain",
    [ERANGE] = "Result too large or too small",
    [EAGAIN] = "Resource temporarily unavailable",
    [EINPROGRESS] = "Operation now in progress",
    [EALREADY] = "Operation already in progress",
    [ENOTSOCK] = "Socket operation on non-socket",
    [EDESTADDRREQ] = "Destination address required",
    [EMSGSIZE] = "Message too long",
    [EPROTOTYPE] = "Protocol wrong type for socket",
    [ENOPROTOOPT] = "Protocol option not available",
    [EPROTONOSUPPORT] = "Protocol not supported",
    [ESOCKTNOSUPPORT] = "Socket type not supported",
    [EOPNOTSUPP] = "Operation not supported",
    [EPFNOSUPPORT] = "Protocol family not supported",
    [EAFNOSUPPORT] = "Address family not supported by protocol family",
    [EADDRINUSE] = "Address already in use",
    [EADDRNOTAVAIL] = "Can't assign requested address",
    [ENETDOWN] = "Network is down",
    [ENETUNREACH] = "Network is unreachable",
    [ENETRESET] = "Network dropped connection on reset",
    [ECONNABORTED] = "Software caused connection abort",
    [ECONNRESET] = "Connection reset by peer",
    [ENOBUFS] = "No buffer space available",
    [EISCONN] = "Socket is already connected",
    [ENOTCONN] = "Socket is not connected",
    [ESHUTDOWN] = "Can't send after socket shutdown",
    [ETOOMANYREFS] = "Too many references: can't splice",
    [ETIMEDOUT] = "Operation timed out",
    [ECONNREFUSED] = "Connection refused",
    [ELOOP] = "Too many levels of symbolic links",
    [ENAMETOOLONG] = "File name too long",
    [EHOSTDOWN] = "Host is down",
    [EHOSTUNREACH] = "No route to host",
    [ENOTEMPTY] = "Directory not empty",
    [EPROCLIM] = "Too many processes",
    [EUSERS] = "Too many users",
    [EDQUOT] = "Disc quota exceeded",
    [ESTALE] = "Stale NFS file handle",
    [EREMOTE] = "Too many levels of remote in path",
    [EBADRPC] = "RPC struct is bad",
    [ERPCMISMATCH] = "RPC version wrong",
    [EPROGUNAVAIL] = "RPC prog. not avail",
    [EPROGMISMATCH] = "Program version wrong",
    [EPROCUNAVAIL] = "Bad procedure for program",
    [ENOLCK] = "No locks available",
    [ENOSYS] = "Function not implemented",
    [EFTYPE] = "Inappropriate file type or format",
    [EAUTH] = "Authentication error",
    [ENEEDAUTH] = "Need authenticator",
    [EIDRM] = "Identifier removed",
    [ENOMSG] = "No message of desired type",
    [EOVERFLOW] = "Value too large to be stored in data type",
    [EILSEQ] = "Illegal byte sequence",
    [ENOTSUP] = "Not supported",
    [ECANCELED] = "Operation canceled",
    [EBADMSG] = "Bad or Corrupt message",
    [ENODATA] = "No message available",
    [ENOSR] = "No STREAM resources",
    [ENOSTR] = "Not a STREAM",
    [ETIME] = "STREAM ioctl timeout",
    [ENOATTR] = "Attribute not found",
    [EMULTIHOP] = "Multihop attempted",
    [ENOLINK] = "Link has been severed",
    [EPROTO] = "Protocol error",
    [EOWNERDEAD] = "Previous owner died",
    [ENOTRECOVERABLE] = "State not recoverable",
};

int
strerror_r(int e, char *buf, size_t size)
{
    if (e >= 0 && e < (int)(sizeof(errlist) / sizeof(errlist[0])) && errlist[e] != NULL) {
        if (strlcpy(buf, errlist[e], size) >= size)
            return ERANGE;
        return 0;
    }
    snprintf(buf, size, "Unknown error: %d", e);
    return EINVAL;
}

char *
strerror(int e)
{
    static char unknown[32];

    if (e >= 0 && e < (int)(sizeof(errlist) / sizeof(errlist[0])) && errlist[e] != NULL)
        return (char *)(unsigned long)errlist[e];
    snprintf(unknown, sizeof(unknown), "Unknown error: %d", e);
    return unknown;
}

const char *const sys_signame[NSIG] = {
    "Signal 0", "hup", "int", "quit", "ill", "trap", "abrt", "emt", "fpe", "kill",
    "bus", "segv", "sys", "pipe", "alrm", "term", "urg", "stop", "tstp", "cont",
    "chld", "ttin", "ttou", "io", "xcpu", "xfsz", "vtalrm", "prof", "winch", "info",
    "usr1", "usr2", "pwr",
};

const char *const sys_siglist[NSIG] = {
    "Signal 0", "Hangup", "Interrupt", "Quit", "Illegal instruction",
    "Trace/BPT trap", "Abort trap", "EMT trap", "Floating point exception", "Killed",
    "Bus error", "Segmentation fault", "Bad system call", "Broken pipe", "Alarm clock",
    "Terminated", "Urgent I/O condition", "Suspended (signal)", "Suspended",
    "Continued", "Child exited", "Stopped (tty input)", "Stopped (tty output)",
    "I/O possible", "Cputime limit exceeded", "Filesize limit exceeded",
    "Virtual timer expired", "Profiling timer expired", "Window size changes",
    "Information request", "User defined signal 1", "User defined signal 2",
    "Power fail/restart",
};

char *
strsignal(int sig)
{
    static char buf[32];

    if (sig > 0 && sig < NSIG && sys_siglist[sig] != NULL)
        return (char *)(unsigned long)sys_siglist[sig];
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, sizeof(buf), "Real time signal %d", sig - SIGRTMIN);
    else
        snprintf(buf, sizeof(buf), "Unknown signal: %d", sig);
    return buf;
}

void
psignal(int sig, const char *s)
{
    if (s != NULL && *s != '\0')
        fprintf(stderr, "%s: %s\n", s, strsignal(sig));
    else
        fprintf(stderr, "%s\n", strsignal(sig));
}
