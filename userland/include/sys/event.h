/* kw86 libc: <sys/event.h>, kqueue(2) as NetBSD 10 defines it (i386: struct
 * kevent is 28 bytes: data is a 64-bit integer aligned on 4). */
#ifndef _SYS_EVENT_H_
#define _SYS_EVENT_H_
#include <sys/cdefs.h>
#include <sys/types.h>
#include <stdint.h>

#define EVFILT_READ     0U
#define EVFILT_WRITE    1U
#define EVFILT_AIO      2U      /* attached to aio requests */
#define EVFILT_VNODE    3U      /* attached to vnodes */
#define EVFILT_PROC     4U      /* attached to struct proc */
#define EVFILT_SIGNAL   5U      /* attached to struct proc */
#define EVFILT_TIMER    6U      /* arbitrary timer (in ms) */
#define EVFILT_FS       7U      /* filesystem events */
#define EVFILT_USER     8U      /* user events */
#define EVFILT_EMPTY    9U
#define EVFILT_SYSCOUNT 10U     /* number of filters */

struct kevent {
    uintptr_t ident;            /* identifier for this event */
    uint32_t  filter;           /* filter for event */
    uint32_t  flags;            /* action flags for kqueue */
    uint32_t  fflags;           /* filter flag value */
    int64_t   data;             /* filter data value */
    void     *udata;            /* opaque user data identifier */
};

static __inline void
_EV_SET(struct kevent *kevp, uintptr_t ident, uint32_t filter, uint32_t flags,
        uint32_t fflags, int64_t data, void *udata)
{
    kevp->ident = ident;
    kevp->filter = filter;
    kevp->flags = flags;
    kevp->fflags = fflags;
    kevp->data = data;
    kevp->udata = udata;
}

#define EV_SET(kevp, ident, filter, flags, fflags, data, udata) \
    _EV_SET((kevp), (uintptr_t)(ident), (filter), (flags), (fflags), (data), \
            (void *)(uintptr_t)(udata))

/* actions */
#define EV_ADD      0x0001U     /* add event to kq (implies ENABLE) */
#define EV_DELETE   0x0002U     /* delete event from kq */
#define EV_ENABLE   0x0004U     /* enable event */
#define EV_DISABLE  0x0008U     /* disable event (not reported) */
/* flags */
#define EV_ONESHOT  0x0010U     /* only report one occurrence */
#define EV_CLEAR    0x0020U     /* clear event state after reporting */
#define EV_RECEIPT  0x0040U     /* force EV_ERROR on success, data=0 */
#define EV_DISPATCH 0x0080U     /* disable event after reporting */
#define EV_SYSFLAGS 0xF000U     /* reserved by system */
#define EV_FLAG1    0x2000U     /* filter-specific flag */
/* returned values */
#define EV_EOF      0x8000U     /* EOF detected */
#define EV_ERROR    0x4000U     /* error, data contains errno */

/* EVFILT_USER */
#define NOTE_FFNOP      0x00000000U
#define NOTE_FFAND      0x40000000U
#define NOTE_FFOR       0x80000000U
#define NOTE_FFCOPY     0xc0000000U
#define NOTE_FFCTRLMASK 0xc0000000U
#define NOTE_FFLAGSMASK 0x00ffffffU
#define NOTE_TRIGGER    0x01000000U
/* EVFILT_READ, EVFILT_WRITE */
#define NOTE_LOWAT      0x0001U
/* EVFILT_VNODE */
#define NOTE_DELETE     0x0001U
#define NOTE_WRITE      0x0002U
#define NOTE_EXTEND     0x0004U
#define NOTE_ATTRIB     0x0008U
#define NOTE_LINK       0x0010U
#define NOTE_RENAME     0x0020U
#define NOTE_REVOKE     0x0040U
#define NOTE_OPEN       0x0080U
#define NOTE_CLOSE      0x0100U
#define NOTE_CLOSE_WRITE 0x0200U
#define NOTE_READ       0x0400U
/* EVFILT_PROC */
#define NOTE_EXIT       0x80000000U
#define NOTE_FORK       0x40000000U
#define NOTE_EXEC       0x20000000U
#define NOTE_PCTRLMASK  0xf0000000U
#define NOTE_PDATAMASK  0x000fffffU
#define NOTE_TRACK      0x00000001U
#define NOTE_TRACKERR   0x00000002U
#define NOTE_CHILD      0x00000004U
/* EVFILT_TIMER */
#define NOTE_MSECONDS   0x00000000U
#define NOTE_SECONDS    0x00000001U
#define NOTE_USECONDS   0x00000002U
#define NOTE_NSECONDS   0x00000003U
#define NOTE_ABSTIME    0x00000010U

/* ioctl(2)s on a kqueue descriptor */
#include <sys/ioctl.h>
struct kfilter_mapping {
    char     *name;             /* name to look up or return */
    size_t    len;              /* length of name */
    uint32_t  filter;           /* filter to look up or return */
};
#define KFILTER_BYFILTER _IOWR('k', 0, struct kfilter_mapping)   /* filter -> name */
#define KFILTER_BYNAME   _IOWR('k', 1, struct kfilter_mapping)   /* name -> filter */

struct timespec;
__BEGIN_DECLS
int kqueue(void);
int kqueue1(int);
int kevent(int, const struct kevent *, size_t, struct kevent *, size_t, const struct timespec *);
__END_DECLS
#endif
