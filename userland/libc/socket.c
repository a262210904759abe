/* kw86 libc: the socket calls that are not system calls of their own. */
#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>

ssize_t
send(int s, const void *buf, size_t len, int flags)
{
    return sendto(s, buf, len, flags, NULL, 0);
}

ssize_t
recv(int s, void *buf, size_t len, int flags)
{
    return recvfrom(s, buf, len, flags, NULL, NULL);
}

int
accept4(int s, struct sockaddr *restrict name, socklen_t *restrict anamelen, int flags)
{
    return paccept(s, name, anamelen, NULL, flags);
}
