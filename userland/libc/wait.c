/* kw86 libc: waitid(2) over the wait6 system call (481), as NetBSD's libc does:
 * no status, no resource usage; the kernel checks the options (EINVAL without
 * one of WEXITED, WSTOPPED, WCONTINUED, WTRAPPED). */
#include <string.h>
#include <sys/wait.h>

int
waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    pid_t r = wait6(idtype, id, NULL, options, NULL, info);

    if (r < 0)
        return -1;
    if (r == 0 && info != NULL)
        memset(info, 0, sizeof(*info));     /* WNOHANG, nothing to report: si_pid 0 */
    return 0;
}
