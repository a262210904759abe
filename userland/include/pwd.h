/* kw86 libc: <pwd.h>; entries come from /etc/passwd (NetBSD 7-field format). */
#ifndef _PWD_H_
#define _PWD_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define _PATH_PASSWD "/etc/passwd"

struct passwd {
    char   *pw_name;
    char   *pw_passwd;
    uid_t   pw_uid;
    gid_t   pw_gid;
    time_t  pw_change;
    char   *pw_class;
    char   *pw_gecos;
    char   *pw_dir;
    char   *pw_shell;
    time_t  pw_expire;
};

__BEGIN_DECLS
struct passwd *getpwuid(uid_t);
struct passwd *getpwnam(const char *);
int  getpwuid_r(uid_t, struct passwd *, char *, size_t, struct passwd **);
int  getpwnam_r(const char *, struct passwd *, char *, size_t, struct passwd **);
struct passwd *getpwent(void);
void setpwent(void);
void endpwent(void);
const char *user_from_uid(uid_t, int);
int  uid_from_user(const char *, uid_t *);
__END_DECLS

#endif
