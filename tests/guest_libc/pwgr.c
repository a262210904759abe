/*
 * pwgr: passwd and group lookups from the sysroot's /etc.  For each argument:
 *   u:NAME  getpwnam   U:UID getpwuid   g:NAME getgrnam   G:GID getgrgid
 * prints the entry's fields separated by ':' (members of a group by ','), or
 * "none".  Then a full getpwent/getgrent walk: "pwent <n>", "grent <n>".
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

static void pw(struct passwd *p)
{
	if (p == NULL)
		printf("none\n");
	else
		printf("%s:%d:%d:%s:%s:%s\n", p->pw_name, (int)p->pw_uid, (int)p->pw_gid,
		    p->pw_gecos, p->pw_dir, p->pw_shell);
}

static void gr(struct group *g)
{
	char **m;
	if (g == NULL) {
		printf("none\n");
		return;
	}
	printf("%s:%d:", g->gr_name, (int)g->gr_gid);
	for (m = g->gr_mem; *m; m++)
		printf("%s%s", *m, m[1] ? "," : "");
	printf("\n");
}

int main(int argc, char *argv[])
{
	int i, n;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i] + 2;
		switch (argv[i][0]) {
		case 'u': pw(getpwnam(a)); break;
		case 'U': pw(getpwuid((uid_t)atoi(a))); break;
		case 'g': gr(getgrnam(a)); break;
		case 'G': gr(getgrgid((gid_t)atoi(a))); break;
		}
	}
	setpwent();
	for (n = 0; getpwent() != NULL; n++)
		;
	endpwent();
	printf("pwent %d\n", n);
	setgrent();
	for (n = 0; getgrent() != NULL; n++)
		;
	endgrent();
	printf("grent %d\n", n);
	return 0;
}
