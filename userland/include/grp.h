/* kw86 libc: <grp.h>; entries come from /etc/group. */
#ifndef _GRP_H_
#define _GRP_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define _PATH_GROUP "/etc/group"

struct group {
    char  *gr_name;
    char  *gr_passwd;
    gid_t  gr_gid;
    char **gr_mem;
};

__BEGIN_DECLS
struct group *getgrgid(gid_t);
struct group *getgrnam(const char *);
struct group *getgrent(void);
void setgrent(void);
void endgrent(void);
const char *group_from_gid(gid_t, int);
int  gid_from_group(const char *, gid_t *);
__END_DECLS

#endif
