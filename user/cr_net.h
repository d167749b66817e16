/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP transport of an image: checkpoint --send HOST:PORT streams the image
 * to restart --receive [ADDR:]PORT on another machine, with no image file.
 *
 * Addresses are numeric (no name service in a static binary):
 *   192.0.2.2:7000   [fe80::2%eth0]:7000   [::1]:7000
 * and, to listen, also :7000 or 7000 (every address, IPv6 and IPv4).
 */
#ifndef _CR_NET_H
#define _CR_NET_H

#include "cr_common.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* How long connect() keeps trying while the receiver is not listening yet */
#define CR_NET_CONNECT_MS	30000

/*
 * Parse @s into @sa. @listen allows a missing address (every address).
 * Returns the address length, or 0 (with a message) if @s is not one.
 */
static inline socklen_t cr_net_parse(const char *s, int listen,
				     struct sockaddr_in6 *sa)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port_s = strrchr(s, ':'), *h = s;
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	size_t hlen;
	char *scope, *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	if (!port_s) {
		if (!listen)
			goto bad;
		port_s = s;
		hlen = 0;
	} else {
		hlen = port_s - s;
		port_s++;
	}
	errno = 0;
	port = strtol(port_s, &end, 10);
	if (errno || end == port_s || *end || port <= 0 || port > 65535)
		goto bad;
	if (hlen && s[0] == '[') {
		if (hlen < 2 || s[hlen - 1] != ']')
			goto bad;
		h = s + 1;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (!hlen) {
		if (!listen)
			goto bad;
		sa->sin6_family = AF_INET6;
		sa->sin6_addr = in6addr_any;
		sa->sin6_port = htons(port);
		return sizeof(*sa);
	}
	if (h == s && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	scope = strchr(host, '%');
	if (scope) {
		*scope++ = '\0';
		sa->sin6_scope_id = if_nametoindex(scope);
		if (!sa->sin6_scope_id) {
			cr_error("%s: no network interface '%s'", s, scope);
			return 0;
		}
	}
	if (inet_pton(AF_INET6, host, &sa->sin6_addr) != 1)
		goto bad;
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons(port);
	return sizeof(*sa);
bad:
	cr_error("'%s' is not %s", s, listen ?
		 "[ADDRESS:]PORT (192.0.2.2:7000, [fe80::2%eth0]:7000, 7000)" :
		 "ADDRESS:PORT (192.0.2.2:7000, [fe80::2%eth0]:7000)");
	return 0;
}

/*
 * Connect to @hostport, retrying for CR_NET_CONNECT_MS while nothing
 * listens there yet. Returns the socket, or -1 with a message.
 */
static inline int cr_net_connect(const char *hostport)
{
	struct sockaddr_in6 sa;
	socklen_t len = cr_net_parse(hostport, 0, &sa);
	long deadline = cr_now_us() + CR_NET_CONNECT_MS * 1000L;
	int fd, one = 1;

	if (!len)
		return -1;
	for (;;) {
		fd = socket(sa.sin6_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			cr_perror("socket");
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, len))
			break;
		if ((errno != ECONNREFUSED && errno != ENETUNREACH &&
		     errno != EHOSTUNREACH) || cr_now_us() > deadline) {
			cr_perror("connecting to %s", hostport);
			close(fd);
			return -1;
		}
		close(fd);
		usleep(50000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Listen on @addrport and accept one connection. Returns it, or -1 with
 * a message. @peer (may be NULL) gets the peer's address as text.
 */
static inline int cr_net_accept(const char *addrport, char *peer,
				size_t peer_len)
{
	struct sockaddr_in6 sa, from;
	socklen_t len = cr_net_parse(addrport, 1, &sa), flen = sizeof(from);
	int lfd, fd, one = 1;

	if (!len)
		return -1;
	lfd = socket(sa.sin6_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		cr_perror("socket");
		return -1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, len) || listen(lfd, 1)) {
		cr_perror("listening on %s", addrport);
		close(lfd);
		return -1;
	}
	fd = accept4(lfd, (struct sockaddr *)&from, &flen, SOCK_CLOEXEC);
	if (fd < 0)
		cr_perror("accept on %s", addrport);
	close(lfd);
	if (fd >= 0 && peer && peer_len) {
		const void *a = from.sin6_family == AF_INET ?
			(void *)&((struct sockaddr_in *)&from)->sin_addr :
			(void *)&from.sin6_addr;

		if (!inet_ntop(from.sin6_family, a, peer, peer_len))
			snprintf(peer, peer_len, "?");
	}
	return fd;
}

#endif /* _CR_NET_H */
