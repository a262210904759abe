/* kw86 libc: sysctlnametomib(3) and sysctlbyname(3).  A dotted name is
 * resolved one level at a time: the kernel lists a node's children as
 * struct sysctlnode records when the MIB ends in CTL_QUERY, and the child
 * whose name matches gives the next number.  This is how a program finds
 * the nodes NetBSD numbers at boot (kern.sched.*: sysconf's
 * _SC_SCHED_RT_TS and _SC_SCHED_PRI_MIN/MAX). */
#include <sys/types.h>
#include <sys/sysctl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CTL_QUERY       (-2)
#define SYSCTL_VERS_1   0x01000000

/* struct sysctlnode on i386: 96 bytes */
struct qnode {
    unsigned int flags;
    int num;
    char name[32];
    unsigned int ver, rsvd;
    unsigned char un[16];
    unsigned long long size, func, parent, desc;
};

/* the number of the child called comp (len bytes) of mib[0..depth), or -1 */
static int
child_num(int *mib, unsigned int depth, const char *comp, size_t len)
{
    struct qnode q, *kids;
    size_t size = 0, i, n;
    int num = -1;

    if (len >= sizeof(q.name))
        return -1;
    memset(&q, 0, sizeof(q));
    q.flags = SYSCTL_VERS_1;
    mib[depth] = CTL_QUERY;
    if (__sysctl(mib, depth + 1, NULL, &size, &q, sizeof(q)) < 0)
        return -1;
    kids = malloc(size ? size : 1);
    if (kids == NULL)
        return -1;
    if (__sysctl(mib, depth + 1, kids, &size, &q, sizeof(q)) < 0) {
        free(kids);
        return -1;
    }
    n = size / sizeof(*kids);
    for (i = 0; i < n; i++)
        if (strncmp(kids[i].name, comp, len) == 0 && kids[i].name[len] == '\0') {
            num = kids[i].num;
            break;
        }
    free(kids);
    return num;
}

int
sysctlnametomib(const char *name, int *mibp, size_t *sizep)
{
    int mib[CTL_MAXNAME + 1];
    unsigned int depth = 0;
    const char *p = name, *dot;
    size_t len;
    int num;

    if (name == NULL || sizep == NULL) {
        errno = EINVAL;
        return -1;
    }
    while (*p) {
        dot = strchr(p, '.');
        len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || depth >= CTL_MAXNAME) {
            errno = len == 0 ? EINVAL : ENAMETOOLONG;
            return -1;
        }
        num = child_num(mib, depth, p, len);
        if (num == -1) {
            errno = ENOENT;
            return -1;
        }
        mib[depth++] = num;
        p += len;
        if (*p == '.')
            p++;
    }
    if (depth == 0) {
        errno = EINVAL;
        return -1;
    }
    if (mibp != NULL) {
        if (*sizep < depth) {
            errno = ENOMEM;
            return -1;
        }
        memcpy(mibp, mib, depth * sizeof(int));
    }
    *sizep = depth;
    return 0;
}

int
sysctlbyname(const char *name, void *oldp, size_t *oldlenp, const void *newp,
             size_t newlen)
{
    int mib[CTL_MAXNAME];
    size_t n = CTL_MAXNAME;

    if (sysctlnametomib(name, mib, &n) < 0)
        return -1;
    return __sysctl(mib, (unsigned int)n, oldp, oldlenp, newp, newlen);
}
