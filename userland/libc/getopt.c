/*
 * kw86 libc: getopt (POSIX), with BSD's optreset.  Options are parsed until the
 * first non-option argument or "--" (no argument permutation, as on NetBSD).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libc_private.h"

char *optarg;
int optind = 1;
int opterr = 1;
int optopt;
int optreset;

static const char *nextchar = "";   /* rest of the current option cluster */

int
getopt(int argc, char * const argv[], const char *optstring)
{
    const char *spec;
    int colon_mode;
    char c;

    colon_mode = optstring[0] == ':';
    if (optreset || *nextchar == '\0') {
        optreset = 0;
        if (optind >= argc || argv[optind] == NULL || argv[optind][0] != '-' ||
            argv[optind][1] == '\0') {
            nextchar = "";
            return -1;                  /* not an option ("-" alone is an operand) */
        }
        if (argv[optind][1] == '-' && argv[optind][2] == '\0') {
            optind++;                   /* "--" ends the options */
            nextchar = "";
            return -1;
        }
        nextchar = argv[optind] + 1;
    }
    c = *nextchar++;
    optopt = (unsigned char)c;
    spec = c != ':' ? strchr(optstring + colon_mode, c) : NULL;
    if (spec == NULL) {
        if (*nextchar == '\0')
            optind++;
        if (opterr && !colon_mode)
            fprintf(stderr, "%s: unknown option -- %c\n", __kw86_progname, c);
        return '?';
    }
    if (spec[1] != ':') {               /* no argument */
        if (*nextchar == '\0')
            optind++;
        optarg = NULL;
        return c;
    }
    if (*nextchar != '\0') {            /* -ovalue */
        optarg = (char *)(unsigned long)nextchar;
        nextchar = "";
        optind++;
        return c;
    }
    if (optind + 1 < argc) {            /* -o value */
        optarg = argv[optind + 1];
        optind += 2;
        nextchar = "";
        return c;
    }
    optind++;
    nextchar = "";
    optarg = NULL;
    if (colon_mode)
        return ':';
    if (opterr)
        fprintf(stderr, "%s: option requires an argument -- %c\n", __kw86_progname, c);
    return '?';
}
