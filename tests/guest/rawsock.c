/*
 * Raw IP sockets over the guest's loopback (issue 11; NetBSD raw_ip.c,
 * ip_icmp.c, raw_ip6.c, icmp6.c behaviour): prints one line per check,
 * "FAIL ..." for a wrong answer, then "ok N" or "FAILED N".
 *
 *   - SOCK_RAW IPPROTO_ICMP as root: bind 127.0.0.1 (getsockname: port 0);
 *     an ICMP echo request to 127.0.0.1 is answered by the kernel: the raw
 *     socket reads the echo reply with the IPv4 header first (version 4,
 *     IHL 5, total length, protocol 1, TTL 255, valid header and ICMP sums,
 *     127.0.0.1 both ways), id/seq/data echoed; the request itself is not
 *     passed to raw sockets (BSD); a bad ICMP sum gets no answer
 *   - a protocol-47 socket gets what another protocol-47 socket sends (with
 *     the header, the sender's TOS and TTL), a protocol-0 socket gets it
 *     too, an ICMP socket does not; a connected one only from its peer
 *   - IPPROTO_TCP raw: open, bind, connect, getpeername, close
 *   - errors: ENETUNREACH (10.0.0.1), EDESTADDRREQ (no address), EISCONN,
 *     EMSGSIZE (over the send buffer), EPROTONOSUPPORT (protocol 256),
 *     EPERM for a non-root user (kauth RAWSOCK)
 *   - AF_INET6 raw ICMPv6: an echo request to ::1 (checksum filled in by the
 *     kernel): the socket reads its own request, then the echo reply, with
 *     no header, from ::1
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails, checks;

#define CHECK(cond, ...) do { checks++; if (!(cond)) { fails++; printf("FAIL %d: ", __LINE__); \
	printf(__VA_ARGS__); printf("\n"); } } while (0)

static unsigned short cksum(const unsigned char *p, int n)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i + 1 < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned short)~s;
}

static struct sockaddr_in sin4(const char *a)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_len = sizeof(s);
	s.sin_family = AF_INET;
	s.sin_addr.s_addr = inet_addr(a);
	return s;
}

static int nb(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int echo(unsigned char *b, int type, int id, int seq, const char *data, int v6)
{
	int n = 8 + (int)strlen(data);
	unsigned short c;

	memset(b, 0, 8);
	b[0] = (unsigned char)type;
	b[4] = id >> 8; b[5] = id & 0xff; b[6] = seq >> 8; b[7] = seq & 0xff;
	memcpy(b + 8, data, strlen(data));
	if (!v6) {
		c = cksum(b, n);
		b[2] = c >> 8; b[3] = c & 0xff;
	}
	return n;
}

int main(void)
{
	unsigned char b[2048], r[2048];
	struct sockaddr_in a, from;
	struct sockaddr_in6 a6, from6;
	socklen_t len;
	int s, g, g0, g2, t, n, status;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	/* ICMP echo */
	s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	CHECK(s >= 0, "socket icmp: errno %d", errno);
	a = sin4("127.0.0.1");
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: errno %d", errno);
	len = sizeof(from);
	CHECK(getsockname(s, (struct sockaddr *)&from, &len) == 0 && from.sin_port == 0 &&
	      from.sin_addr.s_addr == inet_addr("127.0.0.1"), "getsockname");
	n = echo(b, 8, 0x1234, 7, "kw86 ping", 0);
	CHECK(sendto(s, b, n, 0, (struct sockaddr *)&a, sizeof(a)) == n, "sendto echo: errno %d", errno);
	len = sizeof(from);
	n = recvfrom(s, r, sizeof(r), MSG_DONTWAIT, (struct sockaddr *)&from, &len);
	CHECK(n == 20 + 17, "echo reply length %d errno %d", n, errno);
	if (n == 37) {
		CHECK(r[0] == 0x45 && ((r[2] << 8) | r[3]) == 37 && r[9] == 1 && r[8] == 255,
		      "ip header %02x len %d proto %d ttl %d", r[0], (r[2] << 8) | r[3], r[9], r[8]);
		CHECK(cksum(r, 20) == 0, "ip header checksum");
		CHECK(memcmp(r + 12, "\177\0\0\1\177\0\0\1", 8) == 0, "ip addresses");
		CHECK(r[20] == 0 && r[21] == 0 && cksum(r + 20, 17) == 0, "icmp type %d sum", r[20]);
		CHECK(memcmp(r + 24, b + 4, 13) == 0, "id, seq, data echoed");
		CHECK(from.sin_family == AF_INET && from.sin_addr.s_addr == inet_addr("127.0.0.1") &&
		      from.sin_port == 0, "from");
	}
	CHECK(recv(s, r, sizeof(r), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "the request is not passed to raw sockets");
	n = echo(b, 8, 1, 1, "bad", 0);
	b[2] ^= 0xff;
	CHECK(sendto(s, b, n, 0, (struct sockaddr *)&a, sizeof(a)) == n, "sendto bad sum");
	CHECK(recv(s, r, sizeof(r), MSG_DONTWAIT) == -1 && errno == EAGAIN, "bad sum: no answer");
	/* errors */
	from = sin4("10.0.0.1");
	CHECK(sendto(s, b, n, 0, (struct sockaddr *)&from, sizeof(from)) == -1 &&
	      errno == ENETUNREACH, "ENETUNREACH: errno %d", errno);
	CHECK(send(s, b, n, 0) == -1 && errno == EDESTADDRREQ, "EDESTADDRREQ: errno %d", errno);
	CHECK(sendto(s, r, 8193, 0, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EMSGSIZE,
	      "EMSGSIZE: errno %d", errno);
	CHECK(socket(AF_INET, SOCK_RAW, 256) == -1 && errno == EPROTONOSUPPORT,
	      "protocol 256: errno %d", errno);
	/* protocol 47 */
	g = socket(AF_INET, SOCK_RAW, 47);
	g0 = socket(AF_INET, SOCK_RAW, 0);
	g2 = socket(AF_INET, SOCK_RAW, 47);
	CHECK(g >= 0 && g0 >= 0 && g2 >= 0, "socket 47/0");
	nb(g); nb(g0); nb(g2);
	n = 4;
	CHECK(setsockopt(g, IPPROTO_IP, IP_TTL, &n, sizeof(n)) == 0, "IP_TTL");
	from = sin4("127.0.0.9");
	CHECK(connect(g2, (struct sockaddr *)&from, sizeof(from)) == 0, "connect 47");
	CHECK(sendto(g, "gre!", 4, 0, (struct sockaddr *)&a, sizeof(a)) == 4, "send 47");
	n = recv(g, r, sizeof(r), 0);
	CHECK(n == 24 && r[9] == 47 && r[8] == 4 && memcmp(r + 20, "gre!", 4) == 0,
	      "47 gets its own packet: %d", n);
	CHECK(recv(g0, r, sizeof(r), 0) == 24, "protocol 0 gets it");
	CHECK(recv(g2, r, sizeof(r), 0) == -1 && errno == EAGAIN, "connected elsewhere: not");
	CHECK(recv(s, r, sizeof(r), MSG_DONTWAIT) == -1 && errno == EAGAIN, "icmp socket: not");
	CHECK(sendto(g2, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EISCONN,
	      "EISCONN: errno %d", errno);
	close(g); close(g0); close(g2);
	/* IPPROTO_TCP */
	t = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	CHECK(t >= 0, "socket tcp raw");
	CHECK(bind(t, (struct sockaddr *)&a, sizeof(a)) == 0, "bind tcp raw");
	CHECK(connect(t, (struct sockaddr *)&a, sizeof(a)) == 0, "connect tcp raw");
	len = sizeof(from);
	CHECK(getpeername(t, (struct sockaddr *)&from, &len) == 0 &&
	      from.sin_addr.s_addr == inet_addr("127.0.0.1") && from.sin_port == 0, "getpeername");
	CHECK(close(t) == 0, "close");
	close(s);
	/* non-root */
	pid = fork();
	if (pid == 0) {
		if (setuid(100) != 0)
			_exit(2);
		_exit(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) == -1 && errno == EPERM ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "non-root: EPERM (status %x)", status);
	/* ICMPv6 */
	s = socket(AF_INET6, SOCK_RAW, 58);
	CHECK(s >= 0, "socket icmp6");
	memset(&a6, 0, sizeof(a6));
	a6.sin6_len = sizeof(a6);
	a6.sin6_family = AF_INET6;
	a6.sin6_addr.s6_addr[15] = 1;
	n = echo(b, 128, 0x4321, 2, "six", 1);
	CHECK(sendto(s, b, n, 0, (struct sockaddr *)&a6, sizeof(a6)) == n, "sendto6: errno %d", errno);
	len = sizeof(from6);
	n = recvfrom(s, r, sizeof(r), MSG_DONTWAIT, (struct sockaddr *)&from6, &len);
	CHECK(n == 11 && r[0] == 128 && (r[2] | r[3]) != 0, "own request %d type %d", n, r[0]);
	n = recvfrom(s, r, sizeof(r), MSG_DONTWAIT, (struct sockaddr *)&from6, &len);
	CHECK(n == 11 && r[0] == 129 && memcmp(r + 4, b + 4, 7) == 0, "echo6 reply %d type %d", n, r[0]);
	CHECK(from6.sin6_family == AF_INET6 && from6.sin6_addr.s6_addr[15] == 1, "from ::1");
	close(s);
	printf("%s %d\n", fails ? "FAILED" : "ok", checks);
	return fails != 0;
}
