/* kqueue(2) on sockets (tests/test_nbsd_kqueue.py): AF_LOCAL stream pairs
 * and a TCP listener over the guest's loopback.  Prints "PASS" at the end;
 * every failed check prints "FAIL line: what" and makes the status 1. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(c) do { if (!(c)) { printf("FAIL %d: %s (errno %d)\n", __LINE__, #c, errno); \
                                  failures++; } } while (0)

static const struct timespec zero_ts = {0, 0};
static struct kevent ev[8];

static int change(int kq, uintptr_t ident, uint32_t filter, uint32_t flags, uint32_t fflags,
                  int64_t data)
{
    struct kevent c;
    EV_SET(&c, ident, filter, flags, fflags, data, 0);
    return kevent(kq, &c, 1, NULL, 0, NULL);
}

static int poll_kq(int kq)
{
    return kevent(kq, NULL, 0, ev, 8, &zero_ts);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int kq = kqueue(), sv[2];
    CHECK(socketpair(AF_LOCAL, SOCK_STREAM, 0, sv) == 0);
    CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(write(sv[1], "sock", 4) == 4);
    CHECK(poll_kq(kq) == 1 && ev[0].data == 4 && !(ev[0].flags & EV_EOF));
    CHECK(poll_kq(kq) == 0);
    /* NOTE_LOWAT: not before 6 bytes */
    CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NOTE_LOWAT, 6) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(write(sv[1], "et", 2) == 2);
    CHECK(poll_kq(kq) == 1 && ev[0].data == 6);
    CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, 0, 0) == 0);
    /* writable: data is the room to send */
    CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, 0, 0) == 0);
    CHECK(poll_kq(kq) == 1 && ev[0].filter == EVFILT_WRITE && ev[0].data > 0);
    CHECK(change(kq, sv[0], EVFILT_WRITE, EV_DELETE, 0, 0) == 0);
    /* the peer shuts its write side: EV_EOF on our read side */
    CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(shutdown(sv[1], SHUT_WR) == 0);
    int n = poll_kq(kq);
    CHECK(n == 1 && (ev[0].flags & EV_EOF) && ev[0].data == 6);
    close(sv[0]);
    close(sv[1]);

    /* a TCP listener: readable with a connection to accept (data: how many) */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_len = sizeof sin;
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(ls, (struct sockaddr *)&sin, sizeof sin) == 0);
    socklen_t sl = sizeof sin;
    CHECK(getsockname(ls, (struct sockaddr *)&sin, &sl) == 0);
    CHECK(listen(ls, 5) == 0);
    CHECK(change(kq, ls, EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(change(kq, c, EVFILT_WRITE, EV_ADD, 0, 0) == 0);
    n = poll_kq(kq);
    CHECK(n == 0);                       /* not connected: not writable */
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof sin) == 0);
    n = kevent(kq, NULL, 0, ev, 8, NULL);
    CHECK(n == 2);
    int saw_listen = 0, saw_conn = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].ident == (uintptr_t)ls && ev[i].filter == EVFILT_READ && ev[i].data == 1)
            saw_listen = 1;
        if (ev[i].ident == (uintptr_t)c && ev[i].filter == EVFILT_WRITE && ev[i].data > 0)
            saw_conn = 1;
    }
    CHECK(saw_listen && saw_conn);
    int a = accept(ls, NULL, NULL);
    CHECK(a >= 0);
    CHECK(change(kq, a, EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(write(c, "tcp!", 4) == 4);
    n = poll_kq(kq);
    int saw_data = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].ident == (uintptr_t)a && ev[i].data == 4)
            saw_data = 1;
    CHECK(saw_data);
    close(c);                            /* the peer is gone: EOF */
    n = poll_kq(kq);
    int saw_eof = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].ident == (uintptr_t)a && (ev[i].flags & EV_EOF))
            saw_eof = 1;
    CHECK(saw_eof);
    close(a);
    close(ls);
    close(kq);
    if (!failures)
        printf("PASS\n");
    return failures ? 1 : 0;
}
