/* Sockets inside the guest (issue 11 item 3), driven by tests/test_nbsd_socket.py.
 *
 *   sock MODE [DIR]   MODE: unix, rights, inet, inet6, echo, udp, nonblock, poll,
 *                     sigpipe, opts, errors, records, all (DIR: where AF_LOCAL
 *                     sockets are bound, /tmp by default)
 *
 * Each check prints "ok NAME" or "FAIL NAME: detail"; the exit status is the
 * number of failures.  Every call is checked with its NetBSD result and errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(name, cond, ...) do { \
        if (cond) printf("ok %s\n", name); \
        else { failures++; printf("FAIL %s: ", name); printf(__VA_ARGS__); printf("\n"); } \
    } while (0)
/* a call that must fail with errno e */
#define FAILS(name, call, e) do { \
        errno = 0; long r_ = (long)(call); int e_ = errno; \
        CHECK(name, r_ == -1 && e_ == (e), "got %ld errno %d (%s), want errno %d (%s)", \
              r_, e_, strerror(e_), (e), strerror(e)); \
    } while (0)
/* a call that must succeed (>= 0) */
#define OK(name, call) ({ \
        errno = 0; long r_ = (long)(call); int e_ = errno; \
        CHECK(name, r_ >= 0, "failed: errno %d (%s)", e_, strerror(e_)); r_; })

static struct sockaddr_in
sin4(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_len = sizeof a;
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6
sin6(const char *ip, int port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_len = sizeof a;
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

static struct sockaddr_un
sun(const char *path)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_LOCAL;
    strcpy(a.sun_path, path);
    a.sun_len = SUN_LEN(&a);
    return a;
}

static int alrms;
static void on_alrm(int s) { (void)s; alrms++; }
static int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

/* -- AF_LOCAL stream and datagram ------------------------------------------ */
static void
t_unix(const char *dir)
{
    char path[200], path2[200], buf[64];
    struct stat st;
    int sv[2];

    OK("socketpair", socketpair(AF_LOCAL, SOCK_STREAM, 0, sv));
    CHECK("pair-write", write(sv[0], "ping", 4) == 4, "write");
    memset(buf, 0, sizeof buf);
    CHECK("pair-read", read(sv[1], buf, sizeof buf) == 4 && !strcmp(buf, "ping"), "got %s", buf);
    CHECK("pair-send", send(sv[1], "pong", 4, 0) == 4, "send");
    CHECK("pair-recv", recv(sv[0], buf, 4, 0) == 4 && !memcmp(buf, "pong", 4), "recv");
    CHECK("fstat-sock", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode), "mode %o", st.st_mode);
    int n = -1;
    write(sv[0], "abc", 3);
    CHECK("fionread", ioctl(sv[1], FIONREAD, &n) == 0 && n == 3, "n=%d", n);
    CHECK("peek", recv(sv[1], buf, 2, MSG_PEEK) == 2 && !memcmp(buf, "ab", 2), "peek");
    CHECK("after-peek", read(sv[1], buf, 10) == 3 && !memcmp(buf, "abc", 3), "read");
    close(sv[0]);
    CHECK("pair-eof", read(sv[1], buf, 10) == 0, "eof");
    signal(SIGPIPE, SIG_IGN);
    FAILS("pair-epipe", write(sv[1], "x", 1), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(sv[1]);

    /* bound stream: listen, connect, accept */
    snprintf(path, sizeof path, "%s/s.sock", dir);
    unlink(path);
    struct sockaddr_un a = sun(path);
    int ls = OK("unix-socket", socket(AF_LOCAL, SOCK_STREAM, 0));
    OK("unix-bind", bind(ls, (struct sockaddr *)&a, a.sun_len));
    CHECK("unix-node", lstat(path, &st) == 0 && S_ISSOCK(st.st_mode), "mode %o", st.st_mode);
    FAILS("unix-open-node", open(path, O_RDONLY), EOPNOTSUPP);
    int c0 = socket(AF_LOCAL, SOCK_STREAM, 0);
    FAILS("unix-connect-nolisten", connect(c0, (struct sockaddr *)&a, a.sun_len), ECONNREFUSED);
    close(c0);
    FAILS("unix-bind-inuse", bind(socket(AF_LOCAL, SOCK_STREAM, 0), (struct sockaddr *)&a,
                                  a.sun_len), EADDRINUSE);
    OK("unix-listen", listen(ls, 5));
    int c = OK("unix-client", socket(AF_LOCAL, SOCK_STREAM, 0));
    OK("unix-connect", connect(c, (struct sockaddr *)&a, a.sun_len));
    FAILS("unix-connect-again", connect(c, (struct sockaddr *)&a, a.sun_len), EISCONN);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    int s = OK("unix-accept", accept(ls, (struct sockaddr *)&peer, &plen));
    CHECK("unix-accept-peer", plen >= 2 && peer.sun_family == AF_LOCAL, "len %u fam %d",
          plen, peer.sun_family);
    plen = sizeof peer;
    CHECK("unix-getpeername", getpeername(c, (struct sockaddr *)&peer, &plen) == 0 &&
          !strcmp(peer.sun_path, path), "%s", peer.sun_path);
    plen = sizeof peer;
    CHECK("unix-getsockname", getsockname(ls, (struct sockaddr *)&peer, &plen) == 0 &&
          !strcmp(peer.sun_path, path), "%s", peer.sun_path);
    struct unpcbid id;
    socklen_t idl = sizeof id;
    CHECK("unix-peereid", getsockopt(c, SOL_LOCAL, LOCAL_PEEREID, &id, &idl) == 0 &&
          id.unp_pid == getpid() && id.unp_euid == geteuid(), "pid %d", id.unp_pid);
    write(c, "hello", 5);
    CHECK("unix-data", read(s, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5), "read");
    shutdown(c, SHUT_WR);
    CHECK("unix-shutdown-eof", read(s, buf, sizeof buf) == 0, "eof");
    signal(SIGPIPE, SIG_IGN);
    FAILS("unix-shutdown-epipe", write(c, "x", 1), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(c); close(s); close(ls);
    FAILS("unix-stale-node", connect(socket(AF_LOCAL, SOCK_STREAM, 0), (struct sockaddr *)&a,
                                     a.sun_len), ECONNREFUSED);
    CHECK("unix-unlink", unlink(path) == 0, "unlink");
    FAILS("unix-connect-enoent", connect(socket(AF_LOCAL, SOCK_STREAM, 0), (struct sockaddr *)&a,
                                         a.sun_len), ENOENT);
    /* a regular file is not a socket */
    snprintf(path2, sizeof path2, "%s/plain", dir);
    close(open(path2, O_CREAT | O_WRONLY, 0644));
    struct sockaddr_un b = sun(path2);
    FAILS("unix-connect-notsock", connect(socket(AF_LOCAL, SOCK_STREAM, 0), (struct sockaddr *)&b,
                                          b.sun_len), ENOTSOCK);
    unlink(path2);

    /* datagrams */
    snprintf(path, sizeof path, "%s/d.sock", dir);
    snprintf(path2, sizeof path2, "%s/d2.sock", dir);
    unlink(path); unlink(path2);
    a = sun(path);
    b = sun(path2);
    int d1 = OK("dgram-socket", socket(AF_LOCAL, SOCK_DGRAM, 0));
    int d2 = socket(AF_LOCAL, SOCK_DGRAM, 0);
    OK("dgram-bind", bind(d1, (struct sockaddr *)&a, a.sun_len));
    OK("dgram-bind2", bind(d2, (struct sockaddr *)&b, b.sun_len));
    CHECK("dgram-sendto", sendto(d2, "one", 3, 0, (struct sockaddr *)&a, a.sun_len) == 3, "s");
    CHECK("dgram-sendto2", sendto(d2, "two!", 4, 0, (struct sockaddr *)&a, a.sun_len) == 4, "s");
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    memset(buf, 0, sizeof buf);
    CHECK("dgram-recvfrom", recvfrom(d1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 3
          && !strcmp(buf, "one") && !strcmp(from.sun_path, path2), "%s from %s", buf,
          from.sun_path);
    struct iovec iov = { buf, 2 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    CHECK("dgram-trunc", recvmsg(d1, &m, 0) == 2 && (m.msg_flags & MSG_TRUNC), "flags %x",
          m.msg_flags);
    FAILS("dgram-nodest", send(d1, "x", 1, 0), EDESTADDRREQ);
    OK("dgram-connect", connect(d1, (struct sockaddr *)&b, b.sun_len));
    CHECK("dgram-send-connected", send(d1, "back", 4, 0) == 4, "send");
    FAILS("dgram-sendto-isconn", sendto(d1, "x", 1, 0, (struct sockaddr *)&b, b.sun_len), EISCONN);
    CHECK("dgram-recv", recv(d2, buf, sizeof buf, 0) == 4 && !memcmp(buf, "back", 4), "recv");
    FAILS("dgram-recv-empty", recv(d2, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    int t = socket(AF_LOCAL, SOCK_STREAM, 0);
    FAILS("dgram-prototype", connect(t, (struct sockaddr *)&a, a.sun_len), EPROTOTYPE);
    close(t); close(d1); close(d2);
    unlink(path); unlink(path2);
}

/* -- SCM_RIGHTS and SCM_CREDS -------------------------------------------------- */
static void
t_rights(const char *dir)
{
    int sv[2], pfd[2];
    char buf[32], path[200];

    OK("rights-pair", socketpair(AF_LOCAL, SOCK_STREAM, 0, sv));
    snprintf(path, sizeof path, "%s/rights.txt", dir);
    int f = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(f, "file-data", 9);
    lseek(f, 0, SEEK_SET);
    pipe(pfd);

    union { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; } u;
    struct iovec iov = { "R", 1 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    memset(&u, 0, sizeof u);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.b;
    m.msg_controllen = CMSG_SPACE(2 * sizeof(int));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    ((int *)CMSG_DATA(cm))[0] = f;
    ((int *)CMSG_DATA(cm))[1] = pfd[1];
    CHECK("rights-sendmsg", sendmsg(sv[0], &m, 0) == 1, "errno %d", errno);
    close(f);
    close(pfd[1]);

    /* the child receives them: they are its own descriptors of the same files */
    pid_t pid = fork();
    if (pid == 0) {
        union { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; } r;
        char c;
        struct iovec v = { &c, 1 };
        struct msghdr mm;
        memset(&mm, 0, sizeof mm);
        mm.msg_iov = &v;
        mm.msg_iovlen = 1;
        mm.msg_control = r.b;
        mm.msg_controllen = sizeof r.b;
        if (recvmsg(sv[1], &mm, 0) != 1 || c != 'R')
            _exit(10);
        struct cmsghdr *h = CMSG_FIRSTHDR(&mm);
        if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
            h->cmsg_len != CMSG_LEN(2 * sizeof(int)))
            _exit(11);
        int nf = ((int *)CMSG_DATA(h))[0], np = ((int *)CMSG_DATA(h))[1];
        char b2[16] = {0};
        if (read(nf, b2, 9) != 9 || memcmp(b2, "file-data", 9))
            _exit(12);
        if (write(np, "via-pipe", 8) != 8)
            _exit(13);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("rights-child", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %x", status);
    memset(buf, 0, sizeof buf);
    CHECK("rights-pipe-through", read(pfd[0], buf, sizeof buf) == 8 &&
          !memcmp(buf, "via-pipe", 8), "got %s", buf);
    close(pfd[0]);

    /* too little control space: MSG_CTRUNC, the descriptor closed */
    pipe(pfd);
    ((int *)CMSG_DATA(cm))[0] = pfd[0];
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    m.msg_controllen = CMSG_SPACE(sizeof(int));
    CHECK("rights-send1", sendmsg(sv[0], &m, 0) == 1, "errno %d", errno);
    close(pfd[0]);
    char c;
    struct iovec v = { &c, 1 };
    struct msghdr mm;
    char small[sizeof(struct cmsghdr)];
    memset(&mm, 0, sizeof mm);
    mm.msg_iov = &v;
    mm.msg_iovlen = 1;
    mm.msg_control = small;
    mm.msg_controllen = sizeof small;
    CHECK("rights-ctrunc", recvmsg(sv[1], &mm, 0) == 1 && (mm.msg_flags & MSG_CTRUNC),
          "flags %x", mm.msg_flags);
    signal(SIGPIPE, SIG_IGN);
    FAILS("rights-reader-closed", write(pfd[1], "x", 1), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(pfd[1]);

    /* a bad descriptor in SCM_RIGHTS */
    ((int *)CMSG_DATA(cm))[0] = 99;
    FAILS("rights-ebadf", sendmsg(sv[0], &m, 0), EBADF);

    /* SCM_CREDS with LOCAL_CREDS on the receiver */
    int on = 1;
    OK("creds-opt", setsockopt(sv[1], SOL_LOCAL, LOCAL_CREDS, &on, sizeof on));
    write(sv[0], "C", 1);
    union { struct cmsghdr h; char b[CMSG_SPACE(SOCKCREDSIZE(16))]; } cr;
    memset(&mm, 0, sizeof mm);
    mm.msg_iov = &v;
    mm.msg_iovlen = 1;
    mm.msg_control = cr.b;
    mm.msg_controllen = sizeof cr.b;
    CHECK("creds-recv", recvmsg(sv[1], &mm, 0) == 1, "errno %d", errno);
    struct cmsghdr *h = CMSG_FIRSTHDR(&mm);
    struct sockcred *sc = h ? (struct sockcred *)CMSG_DATA(h) : NULL;
    CHECK("creds", h && h->cmsg_type == SCM_CREDS && sc->sc_pid == getpid() &&
          sc->sc_euid == geteuid() && sc->sc_uid == getuid() && sc->sc_egid == getegid(),
          "type %d", h ? h->cmsg_type : -1);
    close(sv[0]); close(sv[1]);
    unlink(path);
}

/* -- TCP over 127.0.0.1 / ::1 ------------------------------------------------- */
static void
t_inet(int six)
{
    const char *loop = six ? "::1" : "127.0.0.1";
    int fam = six ? AF_INET6 : AF_INET;
    struct sockaddr_storage ss, ss2;
    socklen_t len;
    char buf[64], txt[64];
    int port = six ? 7006 : 7004;

#define ADDR(ip, p) (six ? (*(struct sockaddr_in6 *)&ss = sin6(ip, p), (struct sockaddr *)&ss) \
                         : (*(struct sockaddr_in *)&ss = sin4(ip, p), (struct sockaddr *)&ss))
#define ALEN (six ? (socklen_t)sizeof(struct sockaddr_in6) : (socklen_t)sizeof(struct sockaddr_in))
    int ls = OK("tcp-socket", socket(fam, SOCK_STREAM, 0));
    int one = 1;
    OK("tcp-reuseaddr", setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    OK("tcp-bind", bind(ls, ADDR(loop, port), ALEN));
    FAILS("tcp-bind-twice", bind(ls, ADDR(loop, port + 1), ALEN), EINVAL);
    int other = socket(fam, SOCK_STREAM, 0);
    FAILS("tcp-eaddrinuse", bind(other, ADDR(loop, port), ALEN), EADDRINUSE);
    close(other);
    int c0 = socket(fam, SOCK_STREAM, 0);
    FAILS("tcp-econnrefused", connect(c0, ADDR(loop, port), ALEN), ECONNREFUSED);
    close(c0);
    OK("tcp-listen", listen(ls, 4));
    int v = 0;
    len = sizeof v;
    CHECK("tcp-acceptconn", getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v,
          "v=%d", v);
    int c = OK("tcp-client", socket(fam, SOCK_STREAM, 0));
    FAILS("tcp-getpeername-notconn", getpeername(c, (struct sockaddr *)&ss2, &len), ENOTCONN);
    FAILS("tcp-send-notconn", send(c, "x", 1, 0), ENOTCONN);
    OK("tcp-connect", connect(c, ADDR(loop, port), ALEN));
    FAILS("tcp-connect-isconn", connect(c, ADDR(loop, port), ALEN), EISCONN);
    len = sizeof ss2;
    int s = OK("tcp-accept", accept(ls, (struct sockaddr *)&ss2, &len));
    /* the accepted peer is the client's local address */
    struct sockaddr_storage cl;
    socklen_t cll = sizeof cl;
    getsockname(c, (struct sockaddr *)&cl, &cll);
    CHECK("tcp-names", len == ALEN && cll == ALEN && !memcmp(&cl, &ss2, ALEN), "len %u %u",
          len, cll);
    int cport = six ? ntohs(((struct sockaddr_in6 *)&cl)->sin6_port)
                    : ntohs(((struct sockaddr_in *)&cl)->sin_port);
    CHECK("tcp-ephemeral", cport >= IPPORT_ANONMIN && cport <= IPPORT_ANONMAX, "port %d", cport);
    if (six)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&cl)->sin6_addr, txt, sizeof txt);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&cl)->sin_addr, txt, sizeof txt);
    CHECK("tcp-local-addr", !strcmp(txt, loop), "%s", txt);
    OK("tcp-nodelay", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    v = 0; len = sizeof v;
    CHECK("tcp-nodelay-get", getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1,
          "v=%d", v);
    v = 0; len = sizeof v;
    CHECK("tcp-so-type", getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len) == 0 &&
          v == SOCK_STREAM, "v=%d", v);
    CHECK("tcp-write", write(c, "0123456789", 10) == 10, "write");
    CHECK("tcp-waitall", recv(s, buf, 10, MSG_WAITALL) == 10 && !memcmp(buf, "0123456789", 10),
          "recv");
    CHECK("tcp-send-back", send(s, "reply", 5, 0) == 5, "send");
    CHECK("tcp-read-back", read(c, buf, sizeof buf) == 5 && !memcmp(buf, "reply", 5), "read");
    /* shutdown(SHUT_WR): the peer reads EOF but can still write */
    OK("tcp-shutdown", shutdown(c, SHUT_WR));
    CHECK("tcp-fin", read(s, buf, sizeof buf) == 0, "eof");
    CHECK("tcp-half-open", write(s, "late", 4) == 4 && read(c, buf, 4) == 4, "half");
    FAILS("tcp-shutdown-einval", shutdown(c, 7), EINVAL);
    close(c);
    close(s);
    /* close with unread data: the peer gets a reset */
    c = socket(fam, SOCK_STREAM, 0);
    connect(c, ADDR(loop, port), ALEN);
    s = accept(ls, NULL, NULL);
    write(c, "unread", 6);
    close(s);
    FAILS("tcp-econnreset", read(c, buf, sizeof buf), ECONNRESET);
    close(c);
    close(ls);
    /* addresses that are not this host's loopback */
    int x = socket(fam, SOCK_STREAM, 0);
    FAILS("tcp-bind-eaddrnotavail", bind(x, six ? ADDR("2001:db8::1", 0) : ADDR("10.0.0.1", 0),
                                         ALEN), EADDRNOTAVAIL);
    FAILS("tcp-connect-enetunreach", connect(x, six ? ADDR("2001:db8::1", 80)
                                             : ADDR("192.0.2.1", 80), ALEN), ENETUNREACH);
    close(x);
#undef ADDR
#undef ALEN
}

/* a TCP echo server and its client, in two processes over 127.0.0.1 */
static void
t_echo(void)
{
    struct sockaddr_in a = sin4("127.0.0.1", 0);
    int ls = OK("echo-socket", socket(AF_INET, SOCK_STREAM, 0));
    OK("echo-bind", bind(ls, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    OK("echo-getsockname", getsockname(ls, (struct sockaddr *)&a, &len));
    OK("echo-listen", listen(ls, SOMAXCONN));
    pid_t pid = fork();
    if (pid == 0) {                     /* the server: echo each connection until EOF */
        for (int i = 0; i < 3; i++) {
            int s = accept(ls, NULL, NULL);
            if (s < 0)
                _exit(20);
            char b[1000];
            ssize_t n;
            while ((n = read(s, b, sizeof b)) > 0)
                if (write(s, b, (size_t)n) != n)
                    _exit(21);
            if (n < 0)
                _exit(22);
            close(s);
        }
        _exit(0);
    }
    close(ls);
    long total = 0;
    for (int i = 0; i < 3; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
            CHECK("echo-connect", 0, "errno %d", errno);
            break;
        }
        /* 100 KB in 1 KB messages, larger than the socket buffers together */
        static char out[100000], in[100000];
        for (int k = 0; k < (int)sizeof out; k++)
            out[k] = (char)(k * 7 + i);
        long sent = 0, got = 0;
        while (got < (long)sizeof in) {
            if (sent < (long)sizeof out) {
                ssize_t n = write(c, out + sent, 1000);
                if (n > 0)
                    sent += n;
            }
            ssize_t n = read(c, in + got, sizeof in - (size_t)got);
            if (n <= 0)
                break;
            got += n;
        }
        shutdown(c, SHUT_WR);
        char extra;
        CHECK("echo-eof", read(c, &extra, 1) == 0, "eof");
        CHECK("echo-data", got == (long)sizeof in && !memcmp(in, out, sizeof in), "got %ld", got);
        total += got;
        close(c);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("echo-server", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %x", status);
    printf("echoed %ld bytes\n", total);
}

/* -- UDP over the loopback ------------------------------------------------------- */
static void
t_udp(void)
{
    struct sockaddr_in a = sin4("127.0.0.1", 5353), from;
    char buf[100];
    int u1 = OK("udp-socket", socket(AF_INET, SOCK_DGRAM, 0));
    int u2 = socket(AF_INET, SOCK_DGRAM, 0);
    OK("udp-bind", bind(u1, (struct sockaddr *)&a, sizeof a));
    CHECK("udp-sendto", sendto(u2, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a) == 8, "s");
    socklen_t fl = sizeof from;
    CHECK("udp-recvfrom", recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 8 &&
          !memcmp(buf, "datagram", 8) && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
          ntohs(from.sin_port) >= IPPORT_ANONMIN, "port %d", ntohs(from.sin_port));
    /* SO_TIMESTAMP: each datagram comes with its arrival time */
    int on = 1;
    OK("udp-timestamp", setsockopt(u1, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on));
    sendto(u2, "t", 1, 0, (struct sockaddr *)&a, sizeof a);
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct timeval))]; } tc;
    struct iovec tiov = { buf, sizeof buf };
    struct msghdr tm;
    memset(&tm, 0, sizeof tm);
    tm.msg_iov = &tiov;
    tm.msg_iovlen = 1;
    tm.msg_control = tc.b;
    tm.msg_controllen = sizeof tc.b;
    struct timeval now;
    gettimeofday(&now, NULL);
    CHECK("udp-timestamp-recv", recvmsg(u1, &tm, 0) == 1, "errno %d", errno);
    struct cmsghdr *th = CMSG_FIRSTHDR(&tm);
    struct timeval *tv = th ? (struct timeval *)CMSG_DATA(th) : NULL;
    CHECK("udp-scm-timestamp", th && th->cmsg_level == SOL_SOCKET &&
          th->cmsg_type == SCM_TIMESTAMP && th->cmsg_len == CMSG_LEN(sizeof(struct timeval)) &&
          tv->tv_sec >= now.tv_sec - 1 && tv->tv_sec <= now.tv_sec + 1, "type %d len %u",
          th ? th->cmsg_type : -1, th ? th->cmsg_len : 0);
    FAILS("udp-nodest", send(u2, "x", 1, 0), EDESTADDRREQ);
    static char big[10000];
    FAILS("udp-emsgsize", sendto(u2, big, sizeof big, 0, (struct sockaddr *)&a, sizeof a),
          EMSGSIZE);
    /* a connected socket hears the port-unreachable of its peer */
    struct sockaddr_in nobody = sin4("127.0.0.1", 5999);
    OK("udp-connect", connect(u2, (struct sockaddr *)&nobody, sizeof nobody));
    CHECK("udp-send-nobody", send(u2, "x", 1, 0) == 1, "send");
    FAILS("udp-econnrefused", recv(u2, buf, sizeof buf, 0), ECONNREFUSED);
    FAILS("udp-sendto-isconn", sendto(u2, "x", 1, 0, (struct sockaddr *)&a, sizeof a), EISCONN);
    /* a full receive buffer drops datagrams and counts them (SO_OVERFLOWED) */
    int small = 2048;
    setsockopt(u1, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a1 = a;
    for (int i = 0; i < 5; i++)
        sendto(u1, big, 1000, 0, (struct sockaddr *)&a1, sizeof a1);
    int ov = -1;
    socklen_t ovl = sizeof ov;
    CHECK("udp-overflowed", getsockopt(u1, SOL_SOCKET, SO_OVERFLOWED, &ov, &ovl) == 0 &&
          ov == 3, "ov %d", ov);
    FAILS("udp-listen", listen(u1, 1), EOPNOTSUPP);
    FAILS("udp-accept", accept(u1, NULL, NULL), EOPNOTSUPP);
    FAILS("udp-enetunreach", sendto(u1, "x", 1, 0, (struct sockaddr *)&(struct sockaddr_in){
        sizeof(struct sockaddr_in), AF_INET, htons(9), { htonl(0x08080808) }, {0} },
        sizeof(struct sockaddr_in)), ENETUNREACH);
    close(u1); close(u2);
}

/* -- non-blocking sockets and readiness ------------------------------------------- */
static void
t_nonblock(void)
{
    struct sockaddr_in a = sin4("127.0.0.1", 7100);
    char buf[100];
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK("sock-flags", (fcntl(ls, F_GETFL) & O_NONBLOCK) && (fcntl(ls, F_GETFD) & FD_CLOEXEC),
          "fl %x fd %x", fcntl(ls, F_GETFL), fcntl(ls, F_GETFD));
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 0);
    FAILS("accept-eagain", accept(ls, NULL, NULL), EAGAIN);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    OK("fionbio", ioctl(c, FIONBIO, &on));
    FAILS("connect-einprogress", connect(c, (struct sockaddr *)&a, sizeof a), EINPROGRESS);
    struct pollfd pf = { c, POLLOUT, 0 };
    CHECK("connect-pollout", poll(&pf, 1, 1000) == 1 && (pf.revents & POLLOUT), "rev %x",
          pf.revents);
    int err = -1;
    socklen_t el = sizeof err;
    CHECK("connect-so-error", getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0,
          "err %d", err);
    /* the listen queue holds one (backlog 0): a second connect waits, a third is EALREADY */
    int c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int c3 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c2, (struct sockaddr *)&a, sizeof a);
    FAILS("connect-queue-full", connect(c3, (struct sockaddr *)&a, sizeof a), EINPROGRESS);
    FAILS("connect-ealready", connect(c3, (struct sockaddr *)&a, sizeof a), EALREADY);
    struct pollfd lp = { ls, POLLIN, 0 };
    CHECK("listen-pollin", poll(&lp, 1, 0) == 1 && (lp.revents & POLLIN), "rev %x", lp.revents);
    int s = paccept(ls, NULL, NULL, NULL, SOCK_NONBLOCK);
    CHECK("paccept", s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK), "s=%d errno %d", s, errno);
    int s2 = accept(ls, NULL, NULL);
    CHECK("accept-inherits-nonblock", s2 >= 0 && (fcntl(s2, F_GETFL) & O_NONBLOCK), "fl %x",
          fcntl(s2, F_GETFL));
    int s3 = accept(ls, NULL, NULL);
    CHECK("accept-all", s2 >= 0 && s3 >= 0, "%d %d errno %d", s2, s3, errno);
    pf.fd = c3; pf.events = POLLOUT; pf.revents = 0;
    CHECK("queued-connect-done", poll(&pf, 1, 1000) == 1, "rev %x", pf.revents);
    FAILS("connect-isconn", connect(c3, (struct sockaddr *)&a, sizeof a), EISCONN);
    FAILS("recv-eagain", recv(s, buf, sizeof buf, 0), EAGAIN);
    FAILS("recv-dontwait", recv(c, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    /* fill the connection: a non-blocking writer gets a short count, then EAGAIN */
    static char big[200000];
    ssize_t n = write(s, big, sizeof big);
    CHECK("write-short", n > 0 && n < (ssize_t)sizeof big, "n=%ld", (long)n);
    FAILS("write-eagain", write(s, big, 100), EAGAIN);
    pf.fd = s; pf.events = POLLOUT; pf.revents = 0;
    CHECK("full-not-writable", poll(&pf, 1, 0) == 0, "rev %x", pf.revents);
    int nr = 0;
    CHECK("fionread-tcp", ioctl(c, FIONREAD, &nr) == 0 && nr == n, "nr %d n %ld", nr, (long)n);
    /* non-blocking connect to a closed port: EINPROGRESS, then SO_ERROR */
    int c4 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in nobody = sin4("127.0.0.1", 7199);
    FAILS("refused-einprogress", connect(c4, (struct sockaddr *)&nobody, sizeof nobody),
          EINPROGRESS);
    pf.fd = c4; pf.events = POLLOUT; pf.revents = 0;
    poll(&pf, 1, 1000);
    err = 0; el = sizeof err;
    CHECK("refused-so-error", getsockopt(c4, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
          err == ECONNREFUSED, "err %d", err);
    close(c); close(c2); close(c3); close(c4); close(s); close(s2); close(s3); close(ls);
}

static void
t_poll(void)
{
    int sv[2];
    char buf[8];
    socketpair(AF_LOCAL, SOCK_STREAM, 0, sv);
    struct pollfd pf[2] = { { sv[0], POLLIN, 0 }, { sv[1], POLLOUT, 0 } };
    CHECK("poll-idle", poll(pf, 2, 0) == 1 && !pf[0].revents && (pf[1].revents & POLLOUT),
          "%x %x", pf[0].revents, pf[1].revents);
    /* a child writes after a while: the parent's poll sleeps until then */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        write(sv[1], "w", 1);
        _exit(0);
    }
    pf[1].events = 0;
    CHECK("poll-wakes", poll(pf, 1, 5000) == 1 && (pf[0].revents & POLLIN), "%x",
          pf[0].revents);
    read(sv[0], buf, 1);
    waitpid(pid, NULL, 0);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(sv[0], &r);
    struct timeval tv = { 0, 0 };
    CHECK("select-empty", select(sv[0] + 1, &r, NULL, NULL, &tv) == 0, "select");
    write(sv[1], "x", 1);
    FD_SET(sv[0], &r);
    CHECK("select-ready", select(sv[0] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(sv[0], &r),
          "select");
    close(sv[1]);
    read(sv[0], buf, 1);
    pf[0].revents = 0;
    CHECK("poll-eof", poll(pf, 1, 0) == 1 && (pf[0].revents & POLLIN), "%x", pf[0].revents);
    close(sv[0]);
    /* a blocking accept in the parent, woken by a child's connect */
    int ls = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = sin6("::1", 7200);
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 1);
    pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET6, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0)
            _exit(1);
        _exit(write(c, "6", 1) == 1 ? 0 : 2);
    }
    int s = accept(ls, NULL, NULL);
    CHECK("accept-blocks", s >= 0 && read(s, buf, 1) == 1 && buf[0] == '6', "s=%d", s);
    int status;
    waitpid(pid, &status, 0);
    CHECK("accept-child", WIFEXITED(status) && WEXITSTATUS(status) == 0, "%x", status);
    close(s); close(ls);
    /* a caught signal ends a blocking receive: EINTR, or the count so far for
     * a MSG_WAITALL that already has data (SA_RESTART or not) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sigaction(SIGALRM, &sa, NULL);
    socketpair(AF_LOCAL, SOCK_STREAM, 0, sv);
    alarm(1);
    FAILS("recv-eintr", recv(sv[0], buf, 1, 0), EINTR);
    write(sv[1], "abc", 3);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    ssize_t got = recv(sv[0], buf, 8, MSG_WAITALL);
    CHECK("waitall-interrupted", got == 3 && alrms == 2 && !memcmp(buf, "abc", 3),
          "got %ld alrms %d", (long)got, alrms);
    close(sv[0]); close(sv[1]);
    /* paccept's signal mask holds SIGALRM off while it waits; the signal
     * comes after, when the old mask is back */
    {
        int pl = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in pa = sin4("127.0.0.1", 7250);
        bind(pl, (struct sockaddr *)&pa, sizeof pa);
        listen(pl, 1);
        sa.sa_flags = 0;
        sigaction(SIGALRM, &sa, NULL);
        pid_t cp = fork();
        if (cp == 0) {
            usleep(300000);
            int cc = socket(AF_INET, SOCK_STREAM, 0);
            _exit(connect(cc, (struct sockaddr *)&pa, sizeof pa) == 0 ? 0 : 1);
        }
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGALRM);
        int before = alrms;
        struct itimerval it = { { 0, 0 }, { 0, 50000 } };
        setitimer(ITIMER_REAL, &it, NULL);
        int ps = paccept(pl, NULL, NULL, &m, 0);
        CHECK("paccept-mask", ps >= 0 && alrms == before + 1, "ps %d errno %d alrms %d", ps,
              errno, alrms - before);
        waitpid(cp, NULL, 0);
        close(ps);
        /* the other way: SIGALRM blocked, a mask without it lets it end the wait */
        sigprocmask(SIG_BLOCK, &m, NULL);
        setitimer(ITIMER_REAL, &it, NULL);
        sigemptyset(&m);
        before = alrms;
        errno = 0;
        ps = paccept(pl, NULL, NULL, &m, 0);
        CHECK("paccept-mask-eintr", ps == -1 && errno == EINTR && alrms == before + 1,
              "ps %d errno %d", ps, errno);
        sigemptyset(&m);
        sigaddset(&m, SIGALRM);
        sigprocmask(SIG_UNBLOCK, &m, NULL);
        close(pl);
    }
    /* SO_RCVTIMEO: a receive that times out is EAGAIN */
    socketpair(AF_LOCAL, SOCK_DGRAM, 0, sv);
    struct timeval to = { 0, 50000 };
    OK("rcvtimeo", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &to, sizeof to));
    FAILS("rcvtimeo-eagain", recv(sv[0], buf, 1, 0), EAGAIN);
    close(sv[0]); close(sv[1]);
    /* SO_SNDTIMEO: a send into a full stream that times out with nothing sent is EAGAIN */
    socketpair(AF_LOCAL, SOCK_STREAM, 0, sv);
    OK("sndtimeo", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &to, sizeof to));
    static char fill[100000];
    ssize_t put = send(sv[0], fill, sizeof fill, MSG_DONTWAIT);
    CHECK("sndtimeo-fill", put > 0 && put < (ssize_t)sizeof fill, "put %ld", (long)put);
    FAILS("sndtimeo-eagain", send(sv[0], fill, 10, 0), EAGAIN);
    struct timeval got_to;
    socklen_t tl = sizeof got_to;
    CHECK("sndtimeo-get", getsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &got_to, &tl) == 0 &&
          got_to.tv_sec == 0 && got_to.tv_usec == 50000, "%ld", (long)got_to.tv_usec);
    close(sv[0]); close(sv[1]);
}

static void
t_sigpipe(void)
{
    int sv[2];
    signal(SIGPIPE, on_pipe);
    socketpair(AF_LOCAL, SOCK_STREAM, 0, sv);
    close(sv[1]);
    sigpipes = 0;
    FAILS("epipe-write", write(sv[0], "x", 1), EPIPE);
    CHECK("sigpipe-write", sigpipes == 1, "sigpipes %d", sigpipes);
    FAILS("epipe-nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK("sigpipe-nosignal", sigpipes == 1, "sigpipes %d", sigpipes);
    FAILS("epipe-send", send(sv[0], "x", 1, 0), EPIPE);
    CHECK("sigpipe-send", sigpipes == 2, "sigpipes %d", sigpipes);
    int on = 1;
    OK("so-nosigpipe", setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on));
    FAILS("epipe-so-nosigpipe", write(sv[0], "x", 1), EPIPE);
    CHECK("sigpipe-so-nosigpipe", sigpipes == 2, "sigpipes %d", sigpipes);
    close(sv[0]);
    socketpair(AF_LOCAL, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv);
    close(sv[1]);
    FAILS("epipe-sock-nosigpipe", write(sv[0], "x", 1), EPIPE);
    CHECK("sigpipe-sock-nosigpipe", sigpipes == 2, "sigpipes %d", sigpipes);
    close(sv[0]);
    /* the default action kills */
    signal(SIGPIPE, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        socketpair(AF_LOCAL, SOCK_STREAM, 0, sv);
        close(sv[1]);
        write(sv[0], "x", 1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("sigpipe-kills", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE, "status %x",
          status);
}

static void
t_opts(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), v;
    socklen_t len = sizeof v;
    CHECK("rcvbuf-default", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v > 0, "v %d",
          v);
    v = 4096;
    OK("rcvbuf-set", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
    v = 0; len = sizeof v;
    CHECK("rcvbuf-get", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 4096,
          "v %d", v);
    v = 8192;
    OK("sndbuf-set", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
    v = 0; len = sizeof v;
    CHECK("sndbuf-get", getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v == 8192,
          "v %d", v);
    v = 1;
    OK("keepalive", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
    v = 0; len = sizeof v;
    CHECK("keepalive-get", getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 && v,
          "v %d", v);
    OK("reuseport", setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v));
    struct linger lg = { 1, 5 }, lg2;
    OK("linger", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    len = sizeof lg2;
    CHECK("linger-get", getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &len) == 0 &&
          lg2.l_onoff && lg2.l_linger == 5, "linger %d %d", lg2.l_onoff, lg2.l_linger);
    FAILS("sockopt-short", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, 2), EINVAL);
    long long wide = 1;
    FAILS("sockopt-wrong-size", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &wide, sizeof wide),
          EINVAL);
    struct linger badl = { 1, -1 };
    FAILS("linger-edom", setsockopt(s, SOL_SOCKET, SO_LINGER, &badl, sizeof badl), EDOM);
    struct timeval odd = { 0, 12345 }, back;
    OK("timeo-ticks", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &odd, sizeof odd));
    len = sizeof back;
    CHECK("timeo-in-ticks", getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &back, &len) == 0 &&
          back.tv_sec == 0 && back.tv_usec == 10000, "usec %ld", (long)back.tv_usec);
    FAILS("sockopt-unknown", setsockopt(s, SOL_SOCKET, 0x7777, &v, sizeof v), ENOPROTOOPT);
    FAILS("sockopt-efault", getsockopt(s, SOL_SOCKET, SO_TYPE, (void *)16, &len), EFAULT);
    FAILS("sockopt-enotsock", setsockopt(0, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v), ENOTSOCK);
    close(s);
    s = socket(AF_INET6, SOCK_STREAM, 0);
    v = -1; len = sizeof v;
    CHECK("v6only-default", getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0 && v == 1,
          "v %d", v);
    /* a dual-stack listener (V6ONLY off) accepts an IPv4 connection, seen v4-mapped */
    v = 0;
    OK("v6only-off", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
    struct sockaddr_in6 any = sin6("::", 7300), peer;
    OK("dual-bind", bind(s, (struct sockaddr *)&any, sizeof any));
    FAILS("v6only-after-bind", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v), EINVAL);
    listen(s, 1);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = sin4("127.0.0.1", 7300);
    OK("dual-connect4", connect(c, (struct sockaddr *)&a4, sizeof a4));
    len = sizeof peer;
    int a = accept(s, (struct sockaddr *)&peer, &len);
    char txt[64] = "";
    inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof txt);
    CHECK("dual-mapped", a >= 0 && peer.sin6_family == AF_INET6 && !strcmp(txt, "::ffff:127.0.0.1"),
          "%s", txt);
    close(a); close(c); close(s);
    /* inet_pton / inet_ntop / inet_addr */
    struct in6_addr i6;
    CHECK("pton6", inet_pton(AF_INET6, "fe80::1:2", &i6) == 1 &&
          !strcmp(inet_ntop(AF_INET6, &i6, txt, sizeof txt), "fe80::1:2"), "%s", txt);
    CHECK("pton-bad", inet_pton(AF_INET, "1.2.3", &a4.sin_addr) == 0, "bad");
    CHECK("inet-addr", inet_addr("127.0.0.1") == htonl(INADDR_LOOPBACK), "addr");
}

static void
t_errors(void)
{
    FAILS("eafnosupport", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
    FAILS("eprotonosupport", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
    FAILS("eprotonosupport-local", socket(AF_LOCAL, SOCK_STREAM, 99), EPROTONOSUPPORT);
    FAILS("eprototype", socket(AF_INET, 9, 0), EPROTOTYPE);
    FAILS("socket-badflags", socket(AF_INET, SOCK_STREAM | 0x08000000, 0), EPROTOTYPE);
    int sv[2];
    FAILS("socketpair-inet", socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    FAILS("socketpair-efault", socketpair(AF_LOCAL, SOCK_STREAM, 0, (int *)16), EFAULT);
    FAILS("enotsock", listen(1, 1), ENOTSOCK);
    FAILS("ebadf", listen(77, 1), EBADF);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    FAILS("bind-efault", bind(s, (struct sockaddr *)16, 16), EFAULT);
    struct sockaddr_in6 a6 = sin6("::1", 80);
    FAILS("bind-wrong-family", bind(s, (struct sockaddr *)&a6, sizeof a6), EAFNOSUPPORT);
    struct sockaddr_in a = sin4("127.0.0.1", 80);
    FAILS("bind-short", bind(s, (struct sockaddr *)&a, 4), EINVAL);
    if (geteuid() != 0)
        FAILS("bind-reserved", bind(s, (struct sockaddr *)&a, sizeof a), EACCES);
    FAILS("accept-einval", accept(s, NULL, NULL), EINVAL);
    FAILS("getpeername-enotconn", getpeername(s, (struct sockaddr *)&a, &(socklen_t){16}),
          ENOTCONN);
    FAILS("recv-enotconn", recv(s, &a, 1, 0), ENOTCONN);
    /* soshutdown succeeds on an unconnected socket (shutdown.2 lists
     * ENOTCONN, NetBSD's kernel does not return it); the sides are shut */
    OK("shutdown-unconnected", shutdown(s, SHUT_RDWR));
    FAILS("shutdown-then-send", send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
    FAILS("shutdown-enotsock", shutdown(1, SHUT_RDWR), ENOTSOCK);
    a = sin4("127.0.0.1", 0);
    FAILS("connect-port0", connect(s, (struct sockaddr *)&a, sizeof a), EADDRNOTAVAIL);
    close(s);
    s = socket(AF_LOCAL, SOCK_STREAM, 0);
    FAILS("listen-unbound-local", listen(s, 1), EINVAL);
    close(s);
}

/* -- AF_LOCAL SOCK_SEQPACKET, sendmmsg/recvmmsg, readv of a datagram ------------ */
static void
t_records(const char *dir)
{
    char path[200], buf[64];
    snprintf(path, sizeof path, "%s/q.sock", dir);
    unlink(path);
    struct sockaddr_un a = sun(path);
    int ls = OK("seq-socket", socket(AF_LOCAL, SOCK_SEQPACKET, 0));
    OK("seq-bind", bind(ls, (struct sockaddr *)&a, a.sun_len));
    OK("seq-listen", listen(ls, 2));
    int c = socket(AF_LOCAL, SOCK_SEQPACKET, 0);
    OK("seq-connect", connect(c, (struct sockaddr *)&a, a.sun_len));
    int s = OK("seq-accept", accept(ls, NULL, NULL));
    CHECK("seq-send1", send(c, "first", 5, 0) == 5, "send");
    CHECK("seq-send2", send(c, "second", 6, 0) == 6, "send");
    /* one record per receive; a short buffer truncates and drops the rest */
    struct iovec iov = { buf, 3 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    CHECK("seq-trunc", recvmsg(s, &m, 0) == 3 && (m.msg_flags & MSG_TRUNC) &&
          !memcmp(buf, "fir", 3), "flags %x", m.msg_flags);
    CHECK("seq-record", recv(s, buf, sizeof buf, 0) == 6 && !memcmp(buf, "second", 6), "recv");
    int v = 0;
    socklen_t len = sizeof v;
    CHECK("seq-type", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_SEQPACKET,
          "v %d", v);
    close(c);
    CHECK("seq-eof", recv(s, buf, sizeof buf, 0) == 0, "eof");
    close(s); close(ls); unlink(path);
    /* LOCAL_CONNWAIT: a connect completes only when the listener accepts it */
    ls = socket(AF_LOCAL, SOCK_STREAM, 0);
    bind(ls, (struct sockaddr *)&a, a.sun_len);
    int on = 1;
    OK("connwait-opt", setsockopt(ls, SOL_LOCAL, LOCAL_CONNWAIT, &on, sizeof on));
    listen(ls, 1);
    c = socket(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK, 0);
    FAILS("connwait-einprogress", connect(c, (struct sockaddr *)&a, a.sun_len), EINPROGRESS);
    struct pollfd cp = { c, POLLOUT, 0 };
    CHECK("connwait-not-writable", poll(&cp, 1, 0) == 0, "rev %x", cp.revents);
    s = accept(ls, NULL, NULL);
    CHECK("connwait-writable", poll(&cp, 1, 0) == 1 && (cp.revents & POLLOUT), "rev %x",
          cp.revents);
    FAILS("connwait-isconn", connect(c, (struct sockaddr *)&a, a.sun_len), EISCONN);
    close(c); close(s); close(ls); unlink(path);
    int sv[2];
    OK("seq-pair", socketpair(AF_LOCAL, SOCK_SEQPACKET, 0, sv));
    static char big[20000];
    FAILS("seq-emsgsize", send(sv[0], big, sizeof big, 0), EMSGSIZE);
    close(sv[0]); close(sv[1]);
    /* a datagram pair whose other end is gone: no peer to send to */
    socketpair(AF_LOCAL, SOCK_DGRAM, 0, sv);
    close(sv[1]);
    FAILS("dgram-pair-gone", send(sv[0], "x", 1, 0), EDESTADDRREQ);
    close(sv[0]);

    /* sendmmsg / recvmmsg over UDP */
    struct sockaddr_in ua = sin4("127.0.0.1", 5400);
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    bind(u1, (struct sockaddr *)&ua, sizeof ua);
    connect(u2, (struct sockaddr *)&ua, sizeof ua);
    struct mmsghdr mm[3];
    struct iovec iv[3];
    char *words[3] = { "a", "bb", "ccc" };
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        iv[i].iov_base = words[i];
        iv[i].iov_len = strlen(words[i]);
        mm[i].msg_hdr.msg_iov = &iv[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK("sendmmsg", sendmmsg(u2, mm, 3, 0) == 3 && mm[2].msg_len == 3, "len %u",
          mm[2].msg_len);
    char rb[4][8];
    struct mmsghdr rm[4];
    struct iovec ri[4];
    struct sockaddr_in froms[4];
    memset(rm, 0, sizeof rm);
    for (int i = 0; i < 4; i++) {
        ri[i].iov_base = rb[i];
        ri[i].iov_len = sizeof rb[i];
        rm[i].msg_hdr.msg_iov = &ri[i];
        rm[i].msg_hdr.msg_iovlen = 1;
        rm[i].msg_hdr.msg_name = &froms[i];
        rm[i].msg_hdr.msg_namelen = sizeof froms[i];
    }
    CHECK("recvmmsg-waitforone", recvmmsg(u1, rm, 4, MSG_WAITFORONE, NULL) == 3 &&
          rm[0].msg_len == 1 && rm[1].msg_len == 2 && rm[2].msg_len == 3 &&
          !memcmp(rb[2], "ccc", 3) && rm[2].msg_hdr.msg_namelen == sizeof(struct sockaddr_in),
          "lens %u %u %u", rm[0].msg_len, rm[1].msg_len, rm[2].msg_len);
    /* readv of a datagram fills the vector from one datagram */
    send(u2, "0123456789", 10, 0);
    send(u2, "next", 4, 0);
    char p1[4], p2[10];
    struct iovec rv[2] = { { p1, 4 }, { p2, 10 } };
    CHECK("readv-dgram", readv(u1, rv, 2) == 10 && !memcmp(p1, "0123", 4) &&
          !memcmp(p2, "456789", 6), "readv");
    CHECK("readv-next", read(u1, buf, sizeof buf) == 4 && !memcmp(buf, "next", 4), "read");
    /* fcntl(F_SETFL, O_NONBLOCK) on a socket */
    fcntl(u1, F_SETFL, fcntl(u1, F_GETFL) | O_NONBLOCK);
    FAILS("fcntl-nonblock", read(u1, buf, sizeof buf), EAGAIN);
    close(u1); close(u2);
}

/* sock ntop ADDR...: each address through inet_pton and back through inet_ntop */
static int
ntop_mode(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        unsigned char a[16];
        char t[INET6_ADDRSTRLEN];
        if (inet_pton(AF_INET6, argv[i], a) == 1)
            printf("6 %s\n", inet_ntop(AF_INET6, a, t, sizeof t));
        else if (inet_pton(AF_INET, argv[i], a) == 1)
            printf("4 %s\n", inet_ntop(AF_INET, a, t, sizeof t));
        else
            printf("bad\n");
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    if (!strcmp(mode, "ntop"))
        return ntop_mode(argc, argv);
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    int all = !strcmp(mode, "all");
    setvbuf(stdout, NULL, _IONBF, 0);
    if (all || !strcmp(mode, "unix")) t_unix(dir);
    if (all || !strcmp(mode, "rights")) t_rights(dir);
    if (all || !strcmp(mode, "inet")) t_inet(0);
    if (all || !strcmp(mode, "inet6")) t_inet(1);
    if (all || !strcmp(mode, "echo")) t_echo();
    if (all || !strcmp(mode, "udp")) t_udp();
    if (all || !strcmp(mode, "nonblock")) t_nonblock();
    if (all || !strcmp(mode, "poll")) t_poll();
    if (all || !strcmp(mode, "sigpipe")) t_sigpipe();
    if (all || !strcmp(mode, "opts")) t_opts();
    if (all || !strcmp(mode, "errors")) t_errors();
    if (all || !strcmp(mode, "records")) t_records(dir);
    printf("%s: %d failures\n", mode, failures);
    return failures > 125 ? 125 : failures;
}
