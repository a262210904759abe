/* kw86 libc: <paths.h>. */
#ifndef _PATHS_H_
#define _PATHS_H_
#define _PATH_DEFPATH   "/usr/bin:/bin"
#define _PATH_STDPATH   "/usr/bin:/bin:/usr/sbin:/sbin"
#define _PATH_BSHELL    "/bin/sh"
#define _PATH_DEVNULL   "/dev/null"
#define _PATH_TTY       "/dev/tty"
#define _PATH_CONSOLE   "/dev/console"
#define _PATH_TMP       "/tmp/"
#define _PATH_DEV       "/dev/"
#define _PATH_PASSWD    "/etc/passwd"
#define _PATH_GROUP     "/etc/group"
#endif
