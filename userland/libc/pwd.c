/*
 * kw86 libc: user and group databases from the sysroot's /etc/passwd and /etc/group.
 *
 * /etc/passwd has NetBSD's 7-field form  name:passwd:uid:gid:gecos:home:shell
 * /etc/group                              name:passwd:gid:member,member,...
 * The files stay open between lookups (as NetBSD keeps its database open) and are
 * read from the start for each lookup; endpwent/endgrent close them.
 * user_from_uid/group_from_gid keep a small cache, as ls needs them per file.
 */
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#define LINE_MAX_PW 1024
#define MAX_MEMBERS 64

/* ---- passwd */

static FILE *pw_file;
static struct passwd pw_ent;
static char pw_line[LINE_MAX_PW];

/* Split line at ':' into at most n fields; returns the number found. */
static int
split(char *line, char **fields, int n)
{
    int i = 0;
    char *p = line;

    line[strcspn(line, "\n")] = '\0';
    while (i < n) {
        fields[i++] = p;
        p = strchr(p, ':');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return i;
}

static int
parse_id(const char *s, unsigned int *out)
{
    char *end;
    unsigned long v;

    if (*s == '\0')
        return -1;
    v = strtoul(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = (unsigned int)v;
    return 0;
}

static int
parse_pw(char *line, struct passwd *pw)
{
    char *f[7];
    unsigned int uid, gid;

    if (line[0] == '#' || split(line, f, 7) != 7)
        return -1;
    if (parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0)
        return -1;
    pw->pw_name = f[0];
    pw->pw_passwd = f[1];
    pw->pw_uid = uid;
    pw->pw_gid = gid;
    pw->pw_change = 0;
    pw->pw_class = (char *)(unsigned long)"";
    pw->pw_gecos = f[4];
    pw->pw_dir = f[5];
    pw->pw_shell = f[6];
    pw->pw_expire = 0;
    return 0;
}

void
setpwent(void)
{
    if (pw_file != NULL)
        rewind(pw_file);
}

void
endpwent(void)
{
    if (pw_file != NULL) {
        fclose(pw_file);
        pw_file = NULL;
    }
}

struct passwd *
getpwent(void)
{
    if (pw_file == NULL && (pw_file = fopen(_PATH_PASSWD, "re")) == NULL)
        return NULL;
    while (fgets(pw_line, sizeof(pw_line), pw_file) != NULL)
        if (parse_pw(pw_line, &pw_ent) == 0)
            return &pw_ent;
    return NULL;
}

static struct passwd *
pw_search(const char *name, uid_t uid)
{
    struct passwd *pw;
    int e = errno;

    if (pw_file == NULL)
        pw_file = fopen(_PATH_PASSWD, "re");
    else
        rewind(pw_file);
    if (pw_file == NULL) {
        errno = e;                      /* no database: "not found", not an error */
        return NULL;
    }
    while ((pw = getpwent()) != NULL)
        if (name != NULL ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid)
            return pw;
    errno = e;
    return NULL;
}

struct passwd *getpwnam(const char *name) { return pw_search(name, 0); }
struct passwd *getpwuid(uid_t uid) { return pw_search(NULL, uid); }

/* Copy a found entry into the caller's storage (the _r variants). */
static int
pw_copy(struct passwd *src, struct passwd *dst, char *buf, size_t size,
        struct passwd **result)
{
    char **fields[5] = { &dst->pw_name, &dst->pw_passwd, &dst->pw_gecos,
                         &dst->pw_dir, &dst->pw_shell };
    const char *vals[5];
    size_t i, used = 0;

    *result = NULL;
    if (src == NULL)
        return 0;
    *dst = *src;
    vals[0] = src->pw_name;
    vals[1] = src->pw_passwd;
    vals[2] = src->pw_gecos;
    vals[3] = src->pw_dir;
    vals[4] = src->pw_shell;
    for (i = 0; i < 5; i++) {
        size_t n = strlen(vals[i]) + 1;
        if (used + n > size)
            return ERANGE;
        memcpy(buf + used, vals[i], n);
        *fields[i] = buf + used;
        used += n;
    }
    dst->pw_class = (char *)(unsigned long)"";
    *result = dst;
    return 0;
}

int
getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **result)
{
    return pw_copy(getpwuid(uid), pw, buf, size, result);
}

int
getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size,
           struct passwd **result)
{
    return pw_copy(getpwnam(name), pw, buf, size, result);
}

/* ---- group */

static FILE *gr_file;
static struct group gr_ent;
static char gr_line[LINE_MAX_PW];
static char *gr_members[MAX_MEMBERS + 1];

static int
parse_gr(char *line, struct group *gr)
{
    char *f[4], *p;
    unsigned int gid;
    int n = 0;

    if (line[0] == '#' || split(line, f, 4) != 4 || parse_id(f[2], &gid) < 0)
        return -1;
    gr->gr_name = f[0];
    gr->gr_passwd = f[1];
    gr->gr_gid = gid;
    for (p = f[3]; *p != '\0' && n < MAX_MEMBERS;) {
        gr_members[n++] = p;
        p += strcspn(p, ",");
        if (*p == ',')
            *p++ = '\0';
    }
    gr_members[n] = NULL;
    gr->gr_mem = gr_members;
    return 0;
}

void
setgrent(void)
{
    if (gr_file != NULL)
        rewind(gr_file);
}

void
endgrent(void)
{
    if (gr_file != NULL) {
        fclose(gr_file);
        gr_file = NULL;
    }
}

struct group *
getgrent(void)
{
    if (gr_file == NULL && (gr_file = fopen(_PATH_GROUP, "re")) == NULL)
        return NULL;
    while (fgets(gr_line, sizeof(gr_line), gr_file) != NULL)
        if (parse_gr(gr_line, &gr_ent) == 0)
            return &gr_ent;
    return NULL;
}

static struct group *
gr_search(const char *name, gid_t gid)
{
    struct group *gr;
    int e = errno;

    if (gr_file == NULL)
        gr_file = fopen(_PATH_GROUP, "re");
    else
        rewind(gr_file);
    if (gr_file == NULL) {
        errno = e;
        return NULL;
    }
    while ((gr = getgrent()) != NULL)
        if (name != NULL ? strcmp(gr->gr_name, name) == 0 : gr->gr_gid == gid)
            return gr;
    errno = e;
    return NULL;
}

struct group *getgrnam(const char *name) { return gr_search(name, 0); }
struct group *getgrgid(gid_t gid) { return gr_search(NULL, gid); }

/* ---- cached id -> name (BSD), numeric when unknown unless noname is set */

#define CACHE 16

struct name_cache {
    unsigned int id;
    int valid;
    int found;
    char name[32];
};

static struct name_cache uid_cache[CACHE], gid_cache[CACHE];

static const char *
cached_name(struct name_cache *cache, unsigned int id, int noname, int is_user)
{
    struct name_cache *c = &cache[id % CACHE];

    if (!c->valid || c->id != id) {
        const char *name = NULL;
        if (is_user) {
            struct passwd *pw = getpwuid(id);
            if (pw != NULL)
                name = pw->pw_name;
        } else {
            struct group *gr = getgrgid(id);
            if (gr != NULL)
                name = gr->gr_name;
        }
        c->id = id;
        c->valid = 1;
        c->found = name != NULL;
        if (name != NULL)
            strlcpy(c->name, name, sizeof(c->name));
        else
            snprintf(c->name, sizeof(c->name), "%u", id);
    }
    if (!c->found && noname)
        return NULL;
    return c->name;
}

const char *user_from_uid(uid_t uid, int noname) { return cached_name(uid_cache, uid, noname, 1); }
const char *group_from_gid(gid_t gid, int noname) { return cached_name(gid_cache, gid, noname, 0); }

int
uid_from_user(const char *name, uid_t *uid)
{
    struct passwd *pw = getpwnam(name);

    if (pw == NULL)
        return -1;
    *uid = pw->pw_uid;
    return 0;
}

int
gid_from_group(const char *name, gid_t *gid)
{
    struct group *gr = getgrnam(name);

    if (gr == NULL)
        return -1;
    *gid = gr->gr_gid;
    return 0;
}
