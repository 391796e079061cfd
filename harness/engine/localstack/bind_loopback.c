/* Preloaded into DynamoDB Local (LD_PRELOAD, set by the `java` that runtime.py supplies):
 * DynamoDB Local has no option for the address it listens on and would listen on every
 * interface, so a bind() to every interface becomes a bind to loopback. Other addresses, and
 * every other program, are left alone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_function)(int, const struct sockaddr *, socklen_t);

static int real_bind(int fd, const struct sockaddr *address, socklen_t length) {
    static bind_function next;
    if (!next)
        next = (bind_function)dlsym(RTLD_NEXT, "bind");
    return next(fd, address, length);
}

int bind(int fd, const struct sockaddr *address, socklen_t length) {
    if (address && address->sa_family == AF_INET && length >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in ipv4;
        memcpy(&ipv4, address, sizeof ipv4);
        if (ipv4.sin_addr.s_addr == htonl(INADDR_ANY)) {
            ipv4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real_bind(fd, (const struct sockaddr *)&ipv4, sizeof ipv4);
        }
    }
    if (address && address->sa_family == AF_INET6 && length >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 ipv6;
        memcpy(&ipv6, address, sizeof ipv6);
        if (IN6_IS_ADDR_UNSPECIFIED(&ipv6.sin6_addr)) {
            /* Java's sockets are dual-stack: ::ffff:127.0.0.1 takes IPv4 clients of
             * 127.0.0.1 only; a socket that is IPv6 only gets ::1 instead. */
            static const unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0xff, 0xff, 127, 0, 0, 1};
            memcpy(&ipv6.sin6_addr, mapped, sizeof mapped);
            if (real_bind(fd, (const struct sockaddr *)&ipv6, sizeof ipv6) == 0)
                return 0;
            ipv6.sin6_addr = in6addr_loopback;
            return real_bind(fd, (const struct sockaddr *)&ipv6, sizeof ipv6);
        }
    }
    return real_bind(fd, address, length);
}
