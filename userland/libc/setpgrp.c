/* setpgrp(pid, pgid): NetBSD keeps the 4.3BSD two-argument call (compat-43,
 * declared in <unistd.h> as "obsoleted by setpgid()"); it is setpgid(2).
 * The System V / XSI setpgrp(void) does not exist on NetBSD, so a program
 * calling setpgrp() without arguments does not compile there either. */
#include <unistd.h>

int
setpgrp(pid_t pid, pid_t pgid)
{
    return setpgid(pid, pgid);
}
