/* kw86 libc: <nl_types.h>, NetBSD's message catalogues (catopen(3)).
 * The catalogue file format (_NLS_PRIVATE) is NetBSD's: big-endian 32-bit
 * fields, a header, the set headers sorted by set number, the message
 * headers sorted by message number within each set, then the texts
 * (NUL-terminated); offsets count from the end of the header. */
#ifndef _NL_TYPES_H_
#define _NL_TYPES_H_

#include <sys/cdefs.h>
#include <stdint.h>

#ifdef _NLS_PRIVATE
#define _NLS_MAGIC 0xff88ff89

struct _nls_cat_hdr {
    int32_t __magic;
    int32_t __nsets;
    int32_t __mem;              /* bytes after this header */
    int32_t __msg_hdr_offset;   /* from the end of this header */
    int32_t __msg_txt_offset;   /* from the end of this header */
};

struct _nls_set_hdr {
    int32_t __setno;            /* 0 < setno <= NL_SETMAX */
    int32_t __nmsgs;
    int32_t __index;            /* first message header of the set */
};

struct _nls_msg_hdr {
    int32_t __msgno;            /* 0 < msgno <= NL_MSGMAX */
    int32_t __msglen;           /* with the NUL */
    int32_t __offset;           /* from the start of the texts */
};
#endif

#define NL_SETD       1
#define NL_CAT_LOCALE 1

typedef struct _nl_catd {
    void *__data;
    int   __size;
} *nl_catd;

typedef long nl_item;

__BEGIN_DECLS
nl_catd catopen(const char *, int);
char   *catgets(nl_catd, int, int, const char *);
int     catclose(nl_catd);
__END_DECLS

#endif
