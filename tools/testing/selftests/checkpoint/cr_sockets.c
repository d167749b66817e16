// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets through checkpoint and restart (with the restart tool):
 * socketpair()s between processes of the tree, stream, datagram and
 * seqpacket, with data queued both ways (message boundaries and
 * zero-length datagrams kept, a message partly read), options
 * (SO_SNDBUF, SO_RCVBUF, SO_RCVTIMEO, SO_SNDTIMEO, SO_PEEK_OFF,
 * SO_RCVLOWAT, SO_PASSCRED), O_NONBLOCK, shutdown() state, and a pair
 * one end of which was closed. TCP and UDP sockets, IPv4 and IPv6, with
 * no connection: servers listening on loopback answer after restart on
 * the same ports, bound and connected UDP sockets exchange datagrams.
 * Unix servers: a listening socket bound to a path (the socket file
 * taken again, with its mode), connections accepted from it (the names
 * they show), a datagram socket bound to an abstract name. Refused:
 * connections not accepted yet, file descriptors in flight (SCM_RIGHTS),
 * a socket connected outside the tree; bad field values.
 */
#include "cr_tree.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

FIXTURE(cr_sockets) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_sockets) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_sockets) { cr_teardown(_metadata, &self->ctx); }

static int pair_at(int type, int a, int b)
{
	int sv[2];

	if (socketpair(AF_UNIX, type, 0, sv))
		return -1;
	return cr_move_fd(sv[0], a) || cr_move_fd(sv[1], b) ? -1 : 0;
}

static int getopt_int(int fd, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len))
		return -12345;
	return v;
}

/* ---- stream ---------------------------------------------------------------- */

#define FD_S_ROOT	20	/* stream pair: the root's end */
#define FD_S_KID	21	/* its other end, in child K */
#define FD_SHUT_ROOT	22	/* stream pair, shut down for writing by the root */
#define FD_SHUT_KID	23
#define FD_GONE		24	/* stream pair whose other end K closed */
#define FD_GONE_KID	25
#define BIG		(96 * 1024)
#define SNDBUF		(64 * 1024)

struct opts {
	int sndbuf, rcvbuf, peek, lowat, passcred;
	struct timeval rcvtimeo, sndtimeo;
};

static int get_opts(int fd, struct opts *o)
{
	socklen_t len = sizeof(o->rcvtimeo);

	o->sndbuf = getopt_int(fd, SO_SNDBUF);
	o->rcvbuf = getopt_int(fd, SO_RCVBUF);
	o->peek = getopt_int(fd, SO_PEEK_OFF);
	o->lowat = getopt_int(fd, SO_RCVLOWAT);
	o->passcred = getopt_int(fd, SO_PASSCRED);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &o->rcvtimeo, &len))
		return -1;
	len = sizeof(o->sndtimeo);
	return getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &o->sndtimeo, &len);
}

/*
 * K: its end of the stream pair got BIG bytes before the checkpoint; it
 * reads them, then the root's "after", and answers "ok".
 */
static int stream_kid(struct cr_ctx *ctx)
{
	static char big[BIG], buf[BIG];
	char word[8] = "";

	close(FD_S_ROOT);
	close(FD_SHUT_ROOT);
	close(FD_GONE);
	close(FD_GONE_KID);
	cr_fill(big, sizeof(big), 11);
	/* a part of the root's "xlast" read: the rest is left */
	if (read(FD_SHUT_KID, word, 1) != 1 || word[0] != 'x')
		return 14;
	mark_ready(ctx, 1);
	cr_wl_wait_go(ctx);
	if (cr_read_all(FD_S_KID, buf, BIG) || memcmp(buf, big, BIG))
		return 10;
	if (cr_read_all(FD_S_KID, word, 5) || memcmp(word, "after", 5))
		return 11;
	/* the root shut its end down for writing: data, then the end */
	if (cr_read_all(FD_SHUT_KID, word, 4) || memcmp(word, "last", 4) ||
	    read(FD_SHUT_KID, word, 1) != 0)
		return 12;
	return write(FD_S_KID, "ok", 2) == 2 ? 0 : 13;
}

static int wl_stream(struct cr_ctx *ctx, void *arg)
{
	static char big[BIG];
	struct timeval tv = { 7, 250000 };
	struct opts before, after;
	char buf[16] = "";
	int status, one = 1, v;
	pid_t k;

	cr_fill(big, sizeof(big), 11);
	v = SNDBUF;
	if (pair_at(SOCK_STREAM, FD_S_ROOT, FD_S_KID) ||
	    pair_at(SOCK_STREAM, FD_SHUT_ROOT, FD_SHUT_KID) ||
	    pair_at(SOCK_STREAM, FD_GONE, FD_GONE_KID) ||
	    setsockopt(FD_S_ROOT, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) ||
	    setsockopt(FD_S_ROOT, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(FD_S_ROOT, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		return CR_EXIT_SETUP;
	if (write(FD_SHUT_ROOT, "xlast", 5) != 5 ||
	    shutdown(FD_SHUT_ROOT, SHUT_WR))
		return CR_EXIT_SETUP;
	k = fork();
	if (k == 0) {
		close(ctx->ready_fd);
		_exit(stream_kid(ctx));
	}
	close(FD_S_KID);
	close(FD_SHUT_KID);
	/* K's end of the third pair goes with "bye" in it for us */
	if (k < 0 || write(FD_GONE_KID, "bye", 3) != 3 || close(FD_GONE_KID) ||
	    wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	v = 4;
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	if (cr_write_all(FD_S_ROOT, big, BIG) ||
	    fcntl(FD_S_ROOT, F_SETFL, O_NONBLOCK) ||
	    setsockopt(FD_GONE, SOL_SOCKET, SO_PEEK_OFF, &one, sizeof(one)) ||
	    setsockopt(FD_GONE, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) ||
	    get_opts(FD_S_ROOT, &before))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (get_opts(FD_S_ROOT, &after) || memcmp(&before, &after, sizeof(before)))
		return CR_WL_FAIL(1, "options: sndbuf %d/%d, rcvbuf %d/%d, rcvtimeo %ld.%06ld/%ld.%06ld, passcred %d/%d",
				  before.sndbuf, after.sndbuf, before.rcvbuf,
				  after.rcvbuf, (long)before.rcvtimeo.tv_sec,
				  (long)before.rcvtimeo.tv_usec,
				  (long)after.rcvtimeo.tv_sec,
				  (long)after.rcvtimeo.tv_usec, before.passcred,
				  after.passcred);
	if (!(fcntl(FD_S_ROOT, F_GETFL) & O_NONBLOCK) ||
	    read(FD_S_ROOT, buf, 1) != -1 || errno != EAGAIN)
		return CR_WL_FAIL(2, "O_NONBLOCK lost, or data out of nowhere");
	if (write(FD_S_ROOT, "after", 5) != 5)
		return CR_WL_FAIL(3, "write: %s", strerror(errno));
	if (fcntl(FD_S_ROOT, F_SETFL, 0) || cr_read_all(FD_S_ROOT, buf, 2) ||
	    memcmp(buf, "ok", 2))
		return CR_WL_FAIL(4, "no answer from K");
	if (waitpid(k, &status, 0) != k || status)
		return CR_WL_FAIL(5, "K status %#x", status);
	/* shut down for writing: sending fails */
	signal(SIGPIPE, SIG_IGN);
	if (write(FD_SHUT_ROOT, "x", 1) != -1 || errno != EPIPE)
		return CR_WL_FAIL(6, "a socket shut down for writing took data");
	/* the closed pair: peek offset and low mark kept, "bye", the end */
	if (getopt_int(FD_GONE, SO_PEEK_OFF) != 1 ||
	    getopt_int(FD_GONE, SO_RCVLOWAT) != 4)
		return CR_WL_FAIL(7, "peek offset %d, low mark %d",
				  getopt_int(FD_GONE, SO_PEEK_OFF),
				  getopt_int(FD_GONE, SO_RCVLOWAT));
	if (recv(FD_GONE, buf, 2, MSG_PEEK) != 2 || memcmp(buf, "ye", 2))
		return CR_WL_FAIL(8, "peek at offset 1: \"%.2s\"", buf);
	if (read(FD_GONE, buf, sizeof(buf)) != 3 || memcmp(buf, "bye", 3) ||
	    read(FD_GONE, buf, sizeof(buf)) != 0)
		return CR_WL_FAIL(9, "the closed pair: no \"bye\", or no end");
	if (write(FD_GONE, "x", 1) != -1 || errno != EPIPE)
		return CR_WL_FAIL(10, "wrote to a closed peer");
	return 0;
}

CR_TEST(cr_sockets, unix_stream)
{
	tree_cycle(_metadata, ctx, wl_stream, NULL, 0);
}

/* ---- datagrams and seqpackets ------------------------------------------- */

#define FD_D_ROOT	20
#define FD_D_KID	21
#define FD_Q_ROOT	22
#define FD_Q_KID	23
static const size_t msg_sizes[] = { 0, 1, 1000, 60000, 7 };

/* K: the messages of msg_sizes[] waited for it; it checks them */
static int dgram_kid(struct cr_ctx *ctx, int fd)
{
	static char buf[65536];
	ssize_t n;
	size_t i;

	cr_wl_wait_go(ctx);
	for (i = 0; i < ARRAY_SIZE(msg_sizes); i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n != (ssize_t)msg_sizes[i] ||
		    cr_check_fill(buf, n, i + 1) >= 0)
			return 20 + i;
	}
	return 0;
}

static int wl_dgram(struct cr_ctx *ctx, void *arg)
{
	static char buf[65536];
	int status, v = 256 * 1024;
	pid_t kd, kq;
	ssize_t n;
	size_t i;

	if (pair_at(SOCK_DGRAM, FD_D_ROOT, FD_D_KID) ||
	    pair_at(SOCK_SEQPACKET, FD_Q_ROOT, FD_Q_KID) ||
	    setsockopt(FD_D_ROOT, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) ||
	    setsockopt(FD_Q_ROOT, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)))
		return CR_EXIT_SETUP;
	kd = fork();
	if (kd == 0) {
		close(ctx->ready_fd);
		_exit(dgram_kid(ctx, FD_D_KID));
	}
	kq = fork();
	if (kq == 0) {
		close(ctx->ready_fd);
		_exit(dgram_kid(ctx, FD_Q_KID));
	}
	close(FD_D_KID);
	close(FD_Q_KID);
	if (kd < 0 || kq < 0)
		return CR_EXIT_SETUP;
	for (i = 0; i < ARRAY_SIZE(msg_sizes); i++) {
		cr_fill(buf, msg_sizes[i], i + 1);
		if (send(FD_D_ROOT, buf, msg_sizes[i], 0) != (ssize_t)msg_sizes[i] ||
		    send(FD_Q_ROOT, buf, msg_sizes[i], 0) != (ssize_t)msg_sizes[i])
			return CR_EXIT_SETUP;
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (waitpid(kd, &status, 0) != kd || status)
		return CR_WL_FAIL(1, "datagram reader status %#x", status);
	if (waitpid(kq, &status, 0) != kq || status)
		return CR_WL_FAIL(2, "seqpacket reader status %#x", status);
	/* the readers are gone: the sockets know */
	n = send(FD_Q_ROOT, buf, 1, MSG_NOSIGNAL);
	if (n != -1 || errno != EPIPE)
		return CR_WL_FAIL(3, "seqpacket to a closed peer: %zd", n);
	return 0;
}

CR_TEST(cr_sockets, unix_dgram_and_seqpacket)
{
	tree_cycle(_metadata, ctx, wl_dgram, NULL, 0);
}

/* ---- a unix server: bound, listening, connections accepted --------------- */

#define FD_U_LISTEN	20	/* bound to a path, mode 0640, listening */
#define FD_U_ACC	21	/* accepted from it: shows the path */
#define FD_U_CLI	22	/* the client end (K's): its peer shows it */
#define FD_U_ABS	23	/* datagram, bound to an abstract name */
#define FD_U_MADE	24	/* only made */

static void unix_names(struct sockaddr_un *path, struct sockaddr_un *abs,
		       socklen_t *abs_len, pid_t pid)
{
	memset(path, 0, sizeof(*path));
	memset(abs, 0, sizeof(*abs));
	path->sun_family = abs->sun_family = AF_UNIX;
	snprintf(path->sun_path, sizeof(path->sun_path), "/tmp/cr_srv.%d", pid);
	snprintf(abs->sun_path + 1, sizeof(abs->sun_path) - 1, "cr_abs.%d", pid);
	*abs_len = offsetof(struct sockaddr_un, sun_path) + 1 +
		   strlen(abs->sun_path + 1);
}

/* Is the name of @fd (@peer: its peer's) @want? */
static bool unix_name_is(int fd, bool peer, const struct sockaddr_un *want,
			 socklen_t want_len)
{
	struct sockaddr_un got;
	socklen_t len = sizeof(got);

	memset(&got, 0, sizeof(got));
	if ((peer ? getpeername(fd, (void *)&got, &len) :
		    getsockname(fd, (void *)&got, &len)) || len != want_len)
		return false;
	return !memcmp(&got, want, len);
}

static int wl_unix_server(struct cr_ctx *ctx, void *arg)
{
	struct sockaddr_un path, abs;
	socklen_t path_len, abs_len;
	char buf[16];
	struct stat st;
	mode_t old;
	int c, status;
	pid_t k;

	unix_names(&path, &abs, &abs_len, getpid());
	path_len = offsetof(struct sockaddr_un, sun_path) +
		   strlen(path.sun_path) + 1;
	unlink(path.sun_path);
	old = umask(0137);
	if (cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), FD_U_LISTEN) ||
	    bind(FD_U_LISTEN, (void *)&path, path_len) ||
	    listen(FD_U_LISTEN, 5))
		return CR_WL_FAIL(CR_EXIT_SETUP, "listener: %s", strerror(errno));
	umask(old);
	if (cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), FD_U_CLI) ||
	    connect(FD_U_CLI, (void *)&path, path_len) ||
	    cr_move_fd(accept(FD_U_LISTEN, NULL, NULL), FD_U_ACC) ||
	    cr_move_fd(socket(AF_UNIX, SOCK_DGRAM, 0), FD_U_ABS) ||
	    bind(FD_U_ABS, (void *)&abs, abs_len) ||
	    cr_move_fd(socket(AF_UNIX, SOCK_SEQPACKET, 0), FD_U_MADE))
		return CR_WL_FAIL(CR_EXIT_SETUP, "sockets: %s", strerror(errno));
	k = fork();
	if (k == 0) {
		/* K, the client: reads the server's hello, answers */
		close(ctx->ready_fd);
		close(FD_U_LISTEN);
		close(FD_U_ACC);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		if (cr_read_all(FD_U_CLI, buf, 5) || memcmp(buf, "hello", 5) ||
		    !unix_name_is(FD_U_CLI, true, &path, path_len) ||
		    write(FD_U_CLI, "thanks", 6) != 6)
			_exit(1);
		_exit(0);
	}
	close(FD_U_CLI);
	if (k < 0 || write(FD_U_ACC, "hello", 5) != 5 || wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (!unix_name_is(FD_U_LISTEN, false, &path, path_len) ||
	    getopt_int(FD_U_LISTEN, SO_ACCEPTCONN) != 1)
		return CR_WL_FAIL(1, "the listener lost its path or stopped listening");
	if (stat(path.sun_path, &st) || !S_ISSOCK(st.st_mode) ||
	    (st.st_mode & 07777) != 0640)
		return CR_WL_FAIL(2, "the socket file: mode %o", st.st_mode);
	if (!unix_name_is(FD_U_ACC, false, &path, path_len))
		return CR_WL_FAIL(3, "the accepted socket shows another name");
	if (cr_read_all(FD_U_ACC, buf, 6) || memcmp(buf, "thanks", 6))
		return CR_WL_FAIL(4, "no answer from K");
	if (waitpid(k, &status, 0) != k || status)
		return CR_WL_FAIL(5, "K status %#x", status);
	/* the server takes new clients */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&path, path_len))
		return CR_WL_FAIL(6, "connect: %s", strerror(errno));
	close(c);
	c = accept(FD_U_LISTEN, NULL, NULL);
	if (c < 0)
		return CR_WL_FAIL(7, "accept: %s", strerror(errno));
	close(c);
	/* the abstract name is held: datagrams sent to it arrive */
	if (!unix_name_is(FD_U_ABS, false, &abs, abs_len))
		return CR_WL_FAIL(8, "the abstract name is lost");
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (c < 0 || sendto(c, "d", 1, 0, (void *)&abs, abs_len) != 1 ||
	    recv(FD_U_ABS, buf, sizeof(buf), 0) != 1 || buf[0] != 'd')
		return CR_WL_FAIL(9, "datagram to the abstract name: %s",
				  strerror(errno));
	close(c);
	if (getopt_int(FD_U_MADE, SO_TYPE) != SOCK_SEQPACKET)
		return CR_WL_FAIL(10, "the socket only made is another");
	unlink(path.sun_path);
	return 0;
}

/*
 * A unix server: its listening socket bound to a path comes back bound
 * there (the old socket file replaced, its mode kept) and takes new
 * clients; a connection accepted before, with data, shows its name on
 * both ends; a datagram socket holds its abstract name again.
 */
CR_TEST(cr_sockets, unix_server)
{
	tree_cycle(_metadata, ctx, wl_unix_server, NULL, CHECKPOINT_SUBTREE);
}

/* ---- a unix listener with connections waiting ----------------------------- */

#define FD_W_LISTEN	20	/* listening, 3 connections waiting */
#define FD_W_C1		21	/* first client: sent "one" */
#define FD_W_C2		22	/* second client, K's: sent nothing */

static int wl_unix_waiting(struct cr_ctx *ctx, void *arg)
{
	struct sockaddr_un path = { .sun_family = AF_UNIX };
	char buf[16];
	int c3, a, status, i;
	pid_t k;

	snprintf(path.sun_path, sizeof(path.sun_path), "/tmp/cr_wait.%d",
		 getpid());
	unlink(path.sun_path);
	if (cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), FD_W_LISTEN) ||
	    bind(FD_W_LISTEN, (void *)&path, sizeof(path)) ||
	    listen(FD_W_LISTEN, 4) ||
	    cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), FD_W_C1) ||
	    connect(FD_W_C1, (void *)&path, sizeof(path)) ||
	    write(FD_W_C1, "one", 3) != 3 ||
	    cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), FD_W_C2) ||
	    connect(FD_W_C2, (void *)&path, sizeof(path)))
		return CR_WL_FAIL(CR_EXIT_SETUP, "sockets: %s", strerror(errno));
	/* the third client says goodbye and is closed by its process */
	c3 = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c3 < 0 || connect(c3, (void *)&path, sizeof(path)) ||
	    write(c3, "bye", 3) != 3 || close(c3))
		return CR_EXIT_SETUP;
	k = fork();
	if (k == 0) {
		/* K, the second client: waits for its answer */
		close(ctx->ready_fd);
		close(FD_W_LISTEN);
		close(FD_W_C1);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		if (write(FD_W_C2, "two", 3) != 3 ||
		    cr_read_all(FD_W_C2, buf, 5) || memcmp(buf, "hello", 5))
			_exit(1);
		_exit(0);
	}
	close(FD_W_C2);
	if (k < 0 || wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* accept() takes them in the order they came, with their data */
	a = accept(FD_W_LISTEN, NULL, NULL);
	if (a < 0 || cr_read_all(a, buf, 3) || memcmp(buf, "one", 3) ||
	    write(a, "hi", 2) != 2 || cr_read_all(FD_W_C1, buf, 2) ||
	    memcmp(buf, "hi", 2))
		return CR_WL_FAIL(1, "the first connection: %s", strerror(errno));
	close(a);
	a = accept(FD_W_LISTEN, NULL, NULL);
	if (a < 0 || cr_read_all(a, buf, 3) || memcmp(buf, "two", 3) ||
	    write(a, "hello", 5) != 5)
		return CR_WL_FAIL(2, "the second connection (K's)");
	close(a);
	a = accept(FD_W_LISTEN, NULL, NULL);
	if (a < 0 || cr_read_all(a, buf, 3) || memcmp(buf, "bye", 3) ||
	    read(a, buf, 1) != 0)
		return CR_WL_FAIL(3, "the closed client's data, then the end");
	close(a);
	if (waitpid(k, &status, 0) != k || status)
		return CR_WL_FAIL(4, "K status %#x", status);
	/* no connection more than there were */
	fcntl(FD_W_LISTEN, F_SETFL, O_NONBLOCK);
	i = accept(FD_W_LISTEN, NULL, NULL);
	if (i >= 0 || errno != EAGAIN)
		return CR_WL_FAIL(5, "a fourth connection");
	unlink(path.sun_path);
	return 0;
}

/*
 * A unix listener with connections not accepted yet, from clients of the
 * tree (one in another process, one closed by its process): after
 * restart accept() takes each, in order, with what its client had sent,
 * and the clients hear the answers.
 */
CR_TEST(cr_sockets, unix_listen)
{
	tree_cycle(_metadata, ctx, wl_unix_waiting, NULL, CHECKPOINT_SUBTREE);
}

/* ---- TCP and UDP ------------------------------------------------------------ */

#define FD_L4		20	/* TCP listener, 127.0.0.1, SO_REUSEADDR, O_NONBLOCK */
#define FD_L6		21	/* TCP listener, [::], IPV6_V6ONLY, TCP_NODELAY */
#define FD_UB		22	/* UDP, bound to 127.0.0.1 */
#define FD_UC		23	/* UDP, connected to FD_UB's address */
#define FD_T		24	/* TCP, only made, SO_KEEPALIVE, SO_LINGER 3 s */

/* Bring the loopback interface up (a new network namespace has it down) */
static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (s < 0)
		return -1;
	ret = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (!ret && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return ret;
}

static int port_of(int fd)
{
	struct sockaddr_in6 a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (void *)&a, &len))
		return -1;
	return ntohs(a.sin6_port);	/* at the same place in sockaddr_in */
}

/* Connect to @a (its family's size), be accepted by @lfd, ping-pong */
static int serve_at(int lfd, const void *a, socklen_t alen)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int c, s, ret = -1;
	char buf[8];

	c = socket(((const struct sockaddr *)a)->sa_family, SOCK_STREAM, 0);
	if (c < 0)
		return -1;
	if (connect(c, a, alen) || poll(&p, 1, 5000) != 1)
		goto out;
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		goto out;
	if (write(c, "ping", 4) == 4 && cr_read_all(s, buf, 4) == 0 &&
	    !memcmp(buf, "ping", 4) && write(s, "pong", 4) == 4 &&
	    cr_read_all(c, buf, 4) == 0 && !memcmp(buf, "pong", 4))
		ret = 0;
	close(s);
out:
	close(c);
	return ret;
}

/* Connect to @port of loopback (@v6: ::1), be accepted by @lfd, ping-pong */
static int serve_once(int lfd, int port, bool v6)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return v6 ? serve_at(lfd, &a6, sizeof(a6)) :
		    serve_at(lfd, &a4, sizeof(a4));
}

/* The same, to @a4 and the port @lfd listens on */
static int serve_once_at(int lfd, struct sockaddr_in *a4)
{
	a4->sin_port = htons(port_of(lfd));
	return serve_at(lfd, a4, sizeof(*a4));
}

static int wl_inet(struct cr_ctx *ctx, void *arg)
{
	/* on any address: binding to ::1 alone would make it IPv6-only */
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 2, 500000 }, tv2;
	struct linger l = { 1, 3 }, lg;
	int one = 1, p4, p6, pu, pc, v, sndbuf;
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	char buf[8];

	if (lo_up() || cr_move_fd(socket(AF_INET, SOCK_STREAM, 0), FD_L4) ||
	    setsockopt(FD_L4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(FD_L4, (void *)&a4, sizeof(a4)) || listen(FD_L4, 8) ||
	    fcntl(FD_L4, F_SETFL, O_NONBLOCK))
		return CR_WL_FAIL(CR_EXIT_SETUP, "TCP listener: %s", strerror(errno));
	if (cr_move_fd(socket(AF_INET6, SOCK_STREAM, 0), FD_L6) ||
	    setsockopt(FD_L6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
	    setsockopt(FD_L6, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    bind(FD_L6, (void *)&a6, sizeof(a6)) || listen(FD_L6, 4))
		return CR_WL_FAIL(CR_EXIT_SETUP, "IPv6 listener: %s", strerror(errno));
	v = 3;
	if (cr_move_fd(socket(AF_INET, SOCK_DGRAM, 0), FD_UB) ||
	    bind(FD_UB, (void *)&a4, sizeof(a4)) ||
	    setsockopt(FD_UB, SOL_SOCKET, SO_PRIORITY, &v, sizeof(v)) ||
	    setsockopt(FD_UB, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return CR_EXIT_SETUP;
	a4.sin_port = htons(port_of(FD_UB));
	v = 50000;
	if (cr_move_fd(socket(AF_INET, SOCK_DGRAM, 0), FD_UC) ||
	    connect(FD_UC, (void *)&a4, sizeof(a4)) ||
	    setsockopt(FD_UC, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) ||
	    cr_move_fd(socket(AF_INET, SOCK_STREAM, 0), FD_T) ||
	    setsockopt(FD_T, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(FD_T, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		return CR_EXIT_SETUP;
	p4 = port_of(FD_L4);
	p6 = port_of(FD_L6);
	pu = port_of(FD_UB);
	pc = port_of(FD_UC);
	sndbuf = getopt_int(FD_UC, SO_SNDBUF);
	/* the servers serve before the checkpoint */
	if (serve_once(FD_L4, p4, false) || serve_once(FD_L6, p6, true))
		return CR_WL_FAIL(CR_EXIT_SETUP, "no service before the checkpoint");
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (port_of(FD_L4) != p4 || port_of(FD_L6) != p6 ||
	    port_of(FD_UB) != pu || port_of(FD_UC) != pc)
		return CR_WL_FAIL(1, "ports %d %d %d %d, were %d %d %d %d",
				  port_of(FD_L4), port_of(FD_L6), port_of(FD_UB),
				  port_of(FD_UC), p4, p6, pu, pc);
	if (getopt_int(FD_L4, SO_ACCEPTCONN) != 1 ||
	    getopt_int(FD_L4, SO_REUSEADDR) != 1 ||
	    !(fcntl(FD_L4, F_GETFL) & O_NONBLOCK))
		return CR_WL_FAIL(2, "IPv4 listener: options");
	len = sizeof(v);
	if (getsockopt(FD_L6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) || !v ||
	    getsockopt(FD_L6, IPPROTO_TCP, TCP_NODELAY, &v, &len) || !v)
		return CR_WL_FAIL(3, "IPv6 listener: options");
	len = sizeof(lg);
	if (getopt_int(FD_T, SO_KEEPALIVE) != 1 ||
	    getsockopt(FD_T, SOL_SOCKET, SO_LINGER, &lg, &len) ||
	    !lg.l_onoff || lg.l_linger != 3)
		return CR_WL_FAIL(4, "keepalive %d, linger %d/%d",
				  getopt_int(FD_T, SO_KEEPALIVE), lg.l_onoff,
				  lg.l_linger);
	len = sizeof(tv2);
	if (getopt_int(FD_UB, SO_PRIORITY) != 3 ||
	    getsockopt(FD_UB, SOL_SOCKET, SO_RCVTIMEO, &tv2, &len) ||
	    tv2.tv_sec != tv.tv_sec || tv2.tv_usec != tv.tv_usec ||
	    getopt_int(FD_UC, SO_SNDBUF) != sndbuf)
		return CR_WL_FAIL(8, "UDP options: priority %d, timeout %ld.%06ld, sndbuf %d (was %d)",
				  getopt_int(FD_UB, SO_PRIORITY), (long)tv2.tv_sec,
				  (long)tv2.tv_usec, getopt_int(FD_UC, SO_SNDBUF),
				  sndbuf);
	/* the servers serve on */
	if (serve_once(FD_L4, p4, false))
		return CR_WL_FAIL(5, "the IPv4 server does not answer");
	if (serve_once(FD_L6, p6, true))
		return CR_WL_FAIL(6, "the IPv6 server does not answer");
	/* the connected UDP socket reaches the bound one, from its port */
	len = sizeof(from);
	if (send(FD_UC, "u", 1, 0) != 1 ||
	    recvfrom(FD_UB, buf, sizeof(buf), 0, (void *)&from, &len) != 1 ||
	    ntohs(from.sin_port) != pc)
		return CR_WL_FAIL(7, "UDP: %s", strerror(errno));
	return 0;
}

CR_TEST(cr_sockets, tcp_listen_and_udp)
{
	tree_cycle(_metadata, ctx, wl_inet, NULL, 0);
}

/* ---- a TCP connection: reset, or refused ---------------------------------- */

#define FD_C		20	/* the client end of a connection to ourselves */
#define FD_A		21	/* the accepted end: the test takes it */

/* A connection whose other end leaves the tree (the test holds it) */
static int wl_conn(struct cr_ctx *ctx, void *arg)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	char buf[32];
	int l;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (lo_up() || l < 0 || bind(l, (void *)&a4, sizeof(a4)) ||
	    listen(l, 1))
		return CR_EXIT_SETUP;
	a4.sin_port = htons(port_of(l));
	if (cr_move_fd(socket(AF_INET, SOCK_STREAM, 0), FD_C) ||
	    connect(FD_C, (void *)&a4, sizeof(a4)) ||
	    cr_move_fd(accept(l, NULL, NULL), FD_A) || close(l) ||
	    write(FD_A, "in flight", 9) != 9)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	close(FD_A);
	mark_ready(ctx, 2);
	cr_wl_wait_go(ctx);

	/* reset: the error once, then the end; no more sending, no peer */
	if (read(FD_C, buf, sizeof(buf)) != -1 || errno != ECONNRESET)
		return CR_WL_FAIL(1, "read: %s", strerror(errno));
	if (read(FD_C, buf, sizeof(buf)) != 0)
		return CR_WL_FAIL(2, "no end of the stream after the reset");
	if (send(FD_C, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return CR_WL_FAIL(3, "send: %s", strerror(errno));
	if (getpeername(FD_C, (void *)&peer, &len) != -1 || errno != ENOTCONN)
		return CR_WL_FAIL(5, "a peer after the reset");
	return 0;
}

/* The restart tool, with --conn-reset when @reset */
static int restart_conn(struct __test_metadata *_metadata, struct cr_ctx *ctx,
			bool reset)
{
	int status;
	pid_t pid;

	cr_need(_metadata, RESTART_TOOL);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		execl(RESTART_TOOL, "restart", "-i", ctx->img, "-l", ctx->log,
		      reset ? "--conn-reset" : NULL, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || cr_wait_timeout(pid, &status, CR_WAIT_MS)) {
		TH_LOG("the restart tool did not finish");
		return -1;
	}
	return status;
}

/*
 * A TCP connection to a peer outside the tree is saved without its data;
 * restart refuses it unless asked to bring it back reset
 * (RESTART_CONN_RESET): then the program sees ECONNRESET, as after a RST.
 */
CR_TEST(cr_sockets, tcp_conn_reset)
{
	struct wl_call call = { wl_conn, NULL };
	int err, status, pidfd, held;
	size_t len;
	char *log;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	pidfd = syscall(SYS_pidfd_open, ctx->wl_pid, 0);
	held = syscall(SYS_pidfd_getfd, pidfd, FD_A, 0);
	close(pidfd);
	ASSERT_LE(0, held);
	mark_ready(ctx, 1);
	ASSERT_EQ(0, wait_ready(ctx, 2));
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ASSERT_LT(0, ckpt_to_img(ctx, ctx->wl_pid, 0, &err)) {
		TH_LOG("checkpoint: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	kill_tree(_metadata, ctx);
	cr_go(_metadata, ctx);
	status = restart_conn(_metadata, ctx, false);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	log = cr_read_whole(ctx->log, &len);
	EXPECT_TRUE(log && strstr(log, "RESTART_CONN_RESET")) {
		cr_dump_logs(_metadata, ctx);
	}
	free(log);
	status = restart_conn(_metadata, ctx, true);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		cr_dump_logs(_metadata, ctx);
	}
	close(held);
}

/* ---- a TCP connection inside the tree: made again by TCP repair ---------- */

#define FD_TS		20	/* the server's end */
#define FD_TC		21	/* the client's end (K's) */
#define FD_TL		22	/* the server's listener, on the same port */
#define TCP_BIG		(1 << 20)	/* more than the connection takes */
#define TCP_BACK	1000		/* the server's message, not read yet */
#define TCP_READ	1000		/* what the server read before */

/*
 * K, the client: sends a numbered stream (cr_fill() seed 31) until the
 * connection takes no more (its send queue and the server's receive
 * queue are full), the rest after the restart; then reads the server's
 * message (seed 32) and "after".
 */
static int tcp_kid(struct cr_ctx *ctx, int port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char big[TCP_BIG], back[TCP_BACK];
	int v = 65536, off = 0, n;
	char word[8];

	cr_fill(big, sizeof(big), 31);
	if (cr_move_fd(socket(AF_INET, SOCK_STREAM, 0), FD_TC) ||
	    setsockopt(FD_TC, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) ||
	    connect(FD_TC, (void *)&a4, sizeof(a4)) ||
	    fcntl(FD_TC, F_SETFL, O_NONBLOCK))
		return 20;
	while ((n = write(FD_TC, big + off, TCP_BIG - off)) > 0)
		off += n;
	if (errno != EAGAIN || off >= TCP_BIG)
		return 21;
	/* the last write's data may still be on its way */
	cr_sleep_ms(100);
	mark_ready(ctx, 1);
	cr_wl_wait_go(ctx);

	if (fcntl(FD_TC, F_SETFL, 0) ||
	    cr_write_all(FD_TC, big + off, TCP_BIG - off) ||
	    shutdown(FD_TC, SHUT_WR))
		return 22;
	if (cr_read_all(FD_TC, back, TCP_BACK) ||
	    cr_check_fill(back, TCP_BACK, 32) != -1)
		return 23;
	if (cr_read_all(FD_TC, word, 5) || memcmp(word, "after", 5) ||
	    read(FD_TC, word, 1) != 0)
		return 24;
	return 0;
}

static int wl_tcp(struct cr_ctx *ctx, void *arg)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char big[TCP_BIG], back[TCP_BACK];
	int v = 65536, status, port, one = 1, rcvbuf;
	socklen_t len;
	size_t got;
	ssize_t n;
	pid_t k;

	cr_fill(big, sizeof(big), 31);
	cr_fill(back, sizeof(back), 32);
	if (lo_up() || cr_move_fd(socket(AF_INET, SOCK_STREAM, 0), FD_TL) ||
	    setsockopt(FD_TL, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ||
	    bind(FD_TL, (void *)&a4, sizeof(a4)) || listen(FD_TL, 4))
		return CR_WL_FAIL(CR_EXIT_SETUP, "listener: %s", strerror(errno));
	port = port_of(FD_TL);
	k = fork();
	if (k == 0) {
		close(ctx->ready_fd);
		close(FD_TL);
		_exit(tcp_kid(ctx, port));
	}
	if (k < 0 || cr_move_fd(accept(FD_TL, NULL, NULL), FD_TS) ||
	    setsockopt(FD_TS, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    cr_write_all(FD_TS, back, TCP_BACK) ||
	    cr_read_all(FD_TS, big, TCP_READ) ||
	    cr_check_fill(big, TCP_READ, 31) != -1 || wait_ready(ctx, 1))
		return CR_WL_FAIL(CR_EXIT_SETUP, "connection: %s", strerror(errno));
	rcvbuf = getopt_int(FD_TS, SO_RCVBUF);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* the whole stream, once, in order, then its end */
	got = TCP_READ;
	while (got < TCP_BIG && (n = read(FD_TS, big + got, TCP_BIG - got)) > 0)
		got += n;
	if (got != TCP_BIG || cr_check_fill(big, TCP_BIG, 31) != -1)
		return CR_WL_FAIL(1, "the stream: %zu bytes, first wrong at %zd",
				  got, cr_check_fill(big, got, 31));
	if (read(FD_TS, big, 1) != 0)
		return CR_WL_FAIL(2, "more than was sent");
	len = sizeof(v);
	if (getopt_int(FD_TS, SO_RCVBUF) != rcvbuf ||
	    getsockopt(FD_TS, IPPROTO_TCP, TCP_NODELAY, &v, &len) || !v)
		return CR_WL_FAIL(6, "options: rcvbuf %d (was %d), nodelay %d",
				  getopt_int(FD_TS, SO_RCVBUF), rcvbuf, v);
	if (write(FD_TS, "after", 5) != 5 || shutdown(FD_TS, SHUT_WR))
		return CR_WL_FAIL(3, "write: %s", strerror(errno));
	if (waitpid(k, &status, 0) != k || status)
		return CR_WL_FAIL(4, "the client: status %#x", status);
	/* the listener serves on, beside the connection on its port */
	if (port_of(FD_TL) != port || serve_once(FD_TL, port, false))
		return CR_WL_FAIL(5, "the listener does not answer");
	return 0;
}

static const struct cr_bad_field bad_tcp[] = {
	CR_BAD(TCP_PAIR, tcp_pair, objref, 0, false),
	CR_BAD(TCP_PAIR, tcp_pair, pad, 1, false),
	CR_BAD(TCP_CONN, tcp_conn, flags, 0x8, true),
	CR_BAD(TCP_CONN, tcp_conn, snd_wscale, 15, false),
	CR_BAD(TCP_CONN, tcp_conn, rcv_wscale, 15, false),
	CR_BAD(TCP_CONN, tcp_conn, mss_clamp, 0x10000, false),
	CR_BAD(TCP_CONN, tcp_conn, snd_wnd, 0x7fffffff, false),
	CR_BAD(TCP_CONN, tcp_conn, rcv_wup, 0x10000000, true),
	CR_BAD(TCP_CONN, tcp_conn, sndbuf, 1, false),
	CR_BAD(TCP_CONN, tcp_conn, rcvbuf, 0x80000000u, false),
	CR_BAD(TCP_CONN, tcp_conn, snd_una, 1, true),
	CR_BAD(TCP_CONN, tcp_conn, write_seq, 64 << 20, true),
	CR_BAD(TCP_CONN, tcp_conn, copied_seq, -1, true),
	CR_BAD(TCP_CONN, tcp_conn, rcv_nxt, 1, true),
	CR_BAD(TCP_CONN, tcp_conn, pad[0], 1, false),
	CR_BAD(TCP_DATA, tcp_data, len, 1, true),
	CR_BAD(TCP_DATA, tcp_data, pad, 1, false),
	CR_BAD(INET_SOCK, inet_sock, flags, CKPT_INET_END1, true),
};

/*
 * Every field restart validates in the records of a TCP connection, set
 * to a value it must refuse: the restart fails; the intact image then
 * restarts.
 */
CR_TEST(cr_sockets, bad_tcp_fields_refused)
{
	struct wl_call call = { wl_tcp, NULL };

	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWNET;
	bad_fields_refused(_metadata, ctx, &call, 0, bad_tcp,
			   ARRAY_SIZE(bad_tcp));
}

/*
 * A client and a server of a container, connected over loopback in its
 * own network namespace, with full queues both ways and data not read
 * yet: after restart (TCP repair) every byte arrives once and in order,
 * before and after the checkpoint, both ways, then the end of the stream.
 */
CR_TEST(cr_sockets, tcp_established)
{
	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWNET;
	tree_cycle(_metadata, ctx, wl_tcp, NULL, 0);
}

/* ---- a container's network namespace ------------------------------------ */

#define NETNS_MTU	16000
#define NETNS_LABEL	"lo:cr"
#define NETNS_V4	"192.0.2.1"
#define NETNS_V6	"fe80::c0:1"

static int ifreq_call(int family, unsigned long req, void *arg)
{
	int s = socket(family, SOCK_DGRAM, 0), ret;

	if (s < 0)
		return -1;
	ret = ioctl(s, req, arg);
	close(s);
	return ret;
}

/* "ip addr add|del" of an IPv6 address on lo, as ifconfig does it */
static int lo_addr6(unsigned long req, const char *addr, int prefixlen)
{
	struct in6_ifreq r = { .ifr6_prefixlen = prefixlen, .ifr6_ifindex = 1 };

	if (inet_pton(AF_INET6, addr, &r.ifr6_addr) != 1)
		return -1;
	return ifreq_call(AF_INET6, req, &r);
}

/* Is @addr (of @family, labelled @name) on lo, with @prefixlen? */
static bool lo_has(int family, const char *name, const char *addr,
		   int prefixlen)
{
	struct ifaddrs *all, *i;
	char buf[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
	bool found = false;
	int bits;

	if (getifaddrs(&all))
		return false;
	for (i = all; i && !found; i = i->ifa_next) {
		const void *a, *m;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, name))
			continue;
		a = family == AF_INET ?
		    (void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		m = family == AF_INET ?
		    (void *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
		bits = 0;
		for (int k = 0; k < (family == AF_INET ? 4 : 16); k++)
			bits += __builtin_popcount(((unsigned char *)m)[k]);
		inet_ntop(family, a, buf, sizeof(buf));
		inet_ntop(family, m, mask, sizeof(mask));
		found = !strcmp(buf, addr) && bits == prefixlen;
	}
	freeifaddrs(all);
	return found;
}

/*
 * In a network namespace of its own: loopback up with another MTU, an
 * IPv4 address of its own label, a link-local IPv6 address, ::1 taken
 * away; a TCP server on the new IPv4 address and a UDP socket on the
 * IPv6 one.
 */
static int wl_netns(struct cr_ctx *ctx, void *arg)
{
	struct ifreq ifr = { .ifr_name = "lo", .ifr_mtu = NETNS_MTU };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_scope_id = 1 };
	int port, i;

	if (lo_up() || ifreq_call(AF_INET, SIOCSIFMTU, &ifr))
		return CR_WL_FAIL(CR_EXIT_SETUP, "lo: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, NETNS_LABEL);
	ifr.ifr_addr.sa_family = AF_INET;
	inet_pton(AF_INET, NETNS_V4,
		  &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr);
	if (ifreq_call(AF_INET, SIOCSIFADDR, &ifr))
		return CR_WL_FAIL(CR_EXIT_SETUP, "IPv4 address: %s", strerror(errno));
	inet_pton(AF_INET, "255.255.255.0",
		  &((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr);
	if (ifreq_call(AF_INET, SIOCSIFNETMASK, &ifr) ||
	    lo_addr6(SIOCSIFADDR, NETNS_V6, 64) ||
	    lo_addr6(SIOCDIFADDR, "::1", 128))
		return CR_WL_FAIL(CR_EXIT_SETUP, "addresses: %s", strerror(errno));
	inet_pton(AF_INET, NETNS_V4, &a4.sin_addr);
	inet_pton(AF_INET6, NETNS_V6, &a6.sin6_addr);
	if (cr_move_fd(socket(AF_INET, SOCK_STREAM, 0), FD_L4) ||
	    bind(FD_L4, (void *)&a4, sizeof(a4)) || listen(FD_L4, 4) ||
	    cr_move_fd(socket(AF_INET6, SOCK_DGRAM, 0), FD_UB))
		return CR_WL_FAIL(CR_EXIT_SETUP, "sockets: %s", strerror(errno));
	/* the new IPv6 address is tentative until duplicate detection ends */
	for (i = 0; bind(FD_UB, (void *)&a6, sizeof(a6)); i++)
		if (errno != EADDRNOTAVAIL || i == 300)
			return CR_WL_FAIL(CR_EXIT_SETUP, "bind to " NETNS_V6 ": %s",
					  strerror(errno));
		else
			cr_sleep_ms(10);
	port = port_of(FD_L4);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ifreq_call(AF_INET, SIOCGIFFLAGS, &ifr) ||
	    !(ifr.ifr_flags & IFF_UP))
		return CR_WL_FAIL(1, "lo is down");
	if (ifreq_call(AF_INET, SIOCGIFMTU, &ifr) || ifr.ifr_mtu != NETNS_MTU)
		return CR_WL_FAIL(2, "lo MTU %d, was %d", ifr.ifr_mtu, NETNS_MTU);
	if (!lo_has(AF_INET, "lo", "127.0.0.1", 8) ||
	    !lo_has(AF_INET, NETNS_LABEL, NETNS_V4, 24))
		return CR_WL_FAIL(3, "IPv4 addresses of lo lost");
	if (!lo_has(AF_INET6, "lo", NETNS_V6, 64))
		return CR_WL_FAIL(4, "IPv6 address of lo lost");
	if (lo_has(AF_INET6, "lo", "::1", 128))
		return CR_WL_FAIL(5, "::1 is back on lo");
	if (port_of(FD_L4) != port || serve_once_at(FD_L4, &a4))
		return CR_WL_FAIL(6, "the server on " NETNS_V4 " does not answer");
	return 0;
}

/*
 * A container with a network namespace of its own comes back in a new
 * one with its loopback device as it was: up, its MTU, its addresses
 * (added and taken away); servers on them serve on.
 */
CR_TEST(cr_sockets, container_netns)
{
	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWNET;
	tree_cycle(_metadata, ctx, wl_netns, NULL, 0);
}

#define TUN_NAME	"crtun0"

static int wl_tun(struct cr_ctx *ctx, void *arg)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR);

	if (fd < 0 && errno == ENOENT &&
	    !mknod("/tmp/cr_tun", S_IFCHR | 0600, makedev(10, 200))) {
		fd = open("/tmp/cr_tun", O_RDWR);
		unlink("/tmp/cr_tun");
	}
	strcpy(ifr.ifr_name, TUN_NAME);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 1))
		return CR_WL_FAIL(CR_EXIT_SETUP, "tun: %s", strerror(errno));
	close(fd);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/* A network namespace with a device other than loopback is refused */
CR_TEST(cr_sockets, netns_device_refused)
{
	struct wl_call call = { wl_tun, NULL };

	refused_with(_metadata, ctx, &call, CLONE_NEWPID | CLONE_NEWNET,
		     "network device " TUN_NAME, NULL);
}

/* Sockets with options not saved: IP_TTL, TCP_KEEPIDLE */
static int wl_inet_opts(struct cr_ctx *ctx, void *arg)
{
	int v = *(int *)arg ? 7 : 60;

	if (cr_move_fd(socket(AF_INET, *(int *)arg ? SOCK_DGRAM : SOCK_STREAM,
			      0), 20) ||
	    (*(int *)arg ? setsockopt(20, IPPROTO_IP, IP_TTL, &v, sizeof(v)) :
	     setsockopt(20, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v))))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/* An option that is not saved is refused, never dropped, naming it */
CR_TEST(cr_sockets, inet_option_refused)
{
	int udp = 1;
	struct wl_call call = { wl_inet_opts, &udp };

	refused_with(_metadata, ctx, &call, 0,
		     "fd 20: UDP socket UDP has IP_TTL set", NULL);
	udp = 0;
	refused_with(_metadata, ctx, &call, 0,
		     "has TCP_KEEPIDLE, TCP_KEEPINTVL or TCP_KEEPCNT set", NULL);
}

static const struct cr_bad_field bad_netns[] = {
	CR_BAD(NET_NS, net_ns, own, 2, false),
	CR_BAD(NET_NS, net_ns, lo_flags, 0x2, true),
	CR_BAD(NET_NS, net_ns, nr_addrs, 65, false),
	CR_BAD(NET_ADDR, net_addr, family, AF_UNIX, false),
	CR_BAD(NET_ADDR, net_addr, prefixlen, 33, false),
	CR_BAD(NET_ADDR, net_addr, addr[4], 1, false),
	CR_BAD(NET_NS, net_ns, pad, 1, false),
	CR_BAD(NET_ADDR, net_addr, pad, 1, false),
};

/* Bad values in the records of a network namespace are refused */
CR_TEST(cr_sockets, bad_netns_fields_refused)
{
	struct wl_call call = { wl_netns, NULL };

	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWNET;
	bad_fields_refused(_metadata, ctx, &call, 0, bad_netns,
			   ARRAY_SIZE(bad_netns));
}

/* ---- refused ------------------------------------------------------------ */

enum refused { PENDING, RIGHTS_IN_FLIGHT, OUTSIDE, RELATIVE, REFUSED_NR };
static const char *const refused_said[REFUSED_NR] = {
	"connection waiting from a socket outside the tree", "SCM_RIGHTS",
	"outside the tree", "relative path",
};

static int wl_refused(struct cr_ctx *ctx, void *arg)
{
	int kind = *(int *)arg, s, sv[2];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = "";
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	switch (kind) {
	case PENDING:
		/* a connection waits in the listener's queue */
		snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/cr_sockets.%d",
			 getpid());
		unlink(a.sun_path);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0 || bind(s, (void *)&a, sizeof(a)) || listen(s, 4) ||
		    cr_move_fd(s, 20) ||
		    cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), 21) ||
		    connect(21, (void *)&a, sizeof(a)))
			return CR_EXIT_SETUP;
		break;
	case RELATIVE:
		/* bound to a name restart would resolve from elsewhere */
		if (chdir("/tmp"))
			return CR_EXIT_SETUP;
		snprintf(a.sun_path, sizeof(a.sun_path), "cr_rel.%d", getpid());
		unlink(a.sun_path);
		if (cr_move_fd(socket(AF_UNIX, SOCK_DGRAM, 0), 20) ||
		    bind(20, (void *)&a, sizeof(a)))
			return CR_EXIT_SETUP;
		break;
	case RIGHTS_IN_FLIGHT:
		if (pair_at(SOCK_STREAM, 20, 21))
			return CR_EXIT_SETUP;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &(int){ 0 }, sizeof(int));
		if (sendmsg(20, &m, 0) != 1)
			return CR_EXIT_SETUP;
		break;
	case OUTSIDE:
		/* the other end: the test takes it, we close ours */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
		    cr_move_fd(sv[0], 20) || cr_move_fd(sv[1], 21))
			return CR_EXIT_SETUP;
		break;
	}
	cr_wl_ready(ctx);
	if (kind == OUTSIDE || kind == PENDING) {
		if (wait_ready(ctx, 1))
			return CR_EXIT_SETUP;
		close(21);
		mark_ready(ctx, 2);
	}
	cr_wl_wait_go(ctx);
	return 0;
}

/*
 * What is not saved is refused: EBUSY, the log says why, the tree runs
 * on once thawed.
 */
CR_TEST(cr_sockets, unix_refused)
{
	int kind, err, status, pidfd, held = -1;
	struct wl_call call = { wl_refused, &kind };
	size_t len;
	char *log;
	long ret;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (kind = 0; kind < REFUSED_NR; kind++) {
		clear_ready(ctx);
		cr_cgroup_create(_metadata, ctx);
		cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
		if (kind == OUTSIDE || kind == PENDING) {
			pidfd = syscall(SYS_pidfd_open, ctx->wl_pid, 0);
			held = syscall(SYS_pidfd_getfd, pidfd, 21, 0);
			close(pidfd);
			ASSERT_LE(0, held);
			mark_ready(ctx, 1);
			ASSERT_EQ(0, wait_ready(ctx, 2));
		}
		cr_freeze(_metadata, ctx, ctx->wl_pid);
		ret = ckpt_to_img(ctx, ctx->wl_pid, CHECKPOINT_SUBTREE, &err);
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EBUSY, err);
		log = cr_read_whole(ctx->log, &len);
		EXPECT_TRUE(log && strstr(log, refused_said[kind]) &&
			    strstr(log, "fd 20")) {
			TH_LOG("%s: not in the log", refused_said[kind]);
			cr_dump_logs(_metadata, ctx);
		}
		free(log);
		cr_thaw(_metadata, ctx);
		cr_go(_metadata, ctx);
		ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
		ctx->wl_pid = 0;
		EXPECT_EQ(0, status);
		if (held >= 0)
			close(held);
		held = -1;
	}
}

/* ---- bad values in the records of a pair ------------------------------- */

static int wl_bad(struct cr_ctx *ctx, void *arg)
{
	char buf[8];

	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	snprintf(un.sun_path, sizeof(un.sun_path), "/tmp/cr_bad_unix.%d",
		 getpid());
	unlink(un.sun_path);
	if (pair_at(SOCK_DGRAM, 20, 21) || send(20, "ab", 2, 0) != 2 ||
	    send(20, "cde", 3, 0) != 3 ||
	    cr_move_fd(socket(AF_INET, SOCK_DGRAM, 0), 22) ||
	    bind(22, (void *)&a4, sizeof(a4)) ||
	    cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), 23) ||
	    bind(23, (void *)&un, sizeof(un)) || listen(23, 3))
		return CR_EXIT_SETUP;
	/* a second listener, with a connection waiting */
	un.sun_path[0] = '\0';
	if (cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), 24) ||
	    bind(24, (void *)&un, sizeof(un)) || listen(24, 3) ||
	    cr_move_fd(socket(AF_UNIX, SOCK_STREAM, 0), 25) ||
	    connect(25, (void *)&un, sizeof(un)) || write(25, "w", 1) != 1)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (recv(21, buf, sizeof(buf), 0) != 2 ||
	    recv(21, buf + 2, sizeof(buf) - 2, 0) != 3 || memcmp(buf, "abcde", 5))
		return CR_WL_FAIL(1, "the messages differ");
	return 0;
}

static const struct cr_bad_field bad_socks[] = {
	CR_BAD(UNIX_FILE, unix_file, end, 2, false),
	CR_BAD(UNIX_FILE, unix_file, conn, 1, false),
	CR_BAD(UNIX_PAIR, unix_pair, objref, 0, false),
	CR_BAD(UNIX_PAIR, unix_pair, type, SOCK_RAW, false),
	CR_BAD(UNIX_SOCK, unix_sock, flags, 0x20, false),
	CR_BAD(UNIX_SOCK, unix_sock, flags, CKPT_UNIX_CLOSED, false),
	CR_BAD(UNIX_SOCK, unix_sock, shutdown, 4, false),
	CR_BAD(UNIX_SOCK, unix_sock, sndbuf, 1, false),
	CR_BAD(UNIX_SOCK, unix_sock, rcvbuf, 0x80000000u, false),
	CR_BAD(UNIX_SOCK, unix_sock, rcvlowat, -1, false),
	CR_BAD(UNIX_SOCK, unix_sock, peek_off, -2, false),
	CR_BAD(UNIX_SOCK, unix_sock, rcvtimeo_ns, -1, false),
	CR_BAD(UNIX_SOCK, unix_sock, sndtimeo_ns, -1, false),
	CR_BAD(UNIX_SOCK, unix_sock, err, -1, false),
	CR_BAD(UNIX_SOCK, unix_sock, nr_skbs, 1, true),
	CR_BAD(UNIX_SKB, unix_skb, len, 1, true),
	CR_BAD(UNIX_SKB, unix_skb, pad, 1, false),
	CR_BAD_FILE(UNIX_FILE, f_flags, O_RDONLY),
	CR_BAD_FILE(UNIX_FILE, i_mode, S_IFIFO | 0600),
	CR_BAD(UNIX_LONE, unix_lone, type, SOCK_RAW, false),
	CR_BAD(UNIX_LONE, unix_lone, state, 0, false),
	CR_BAD(UNIX_LONE, unix_lone, state, CKPT_UNIX_MADE, false),
	CR_BAD(UNIX_LONE, unix_lone, state, CKPT_UNIX_LONE_STATE_MAX, false),
	CR_BAD(UNIX_LONE, unix_lone, backlog, 0x80000000u, false),
	CR_BAD(UNIX_LONE, unix_lone, mode, 01000000, false),
	CR_BAD(UNIX_ADDR, unix_addr, len, 1, false),
	CR_BAD(UNIX_ADDR, unix_addr, len, 1, true),
	CR_BAD(UNIX_ADDR, unix_addr, len, 109, false),
	CR_BAD(UNIX_ADDR, unix_addr, pad, 1, false),
	CR_BAD(UNIX_ADDR, unix_addr, pad2[0], 1, false),
	CR_BAD(UNIX_LISTEN, unix_listen, objref, 0, false),
	CR_BAD(UNIX_LISTEN, unix_listen, type, SOCK_DGRAM, false),
	CR_BAD(UNIX_LISTEN, unix_listen, backlog, 0x80000000u, false),
	CR_BAD(UNIX_LISTEN, unix_listen, mode, 01000000, false),
	CR_BAD(UNIX_LISTEN, unix_listen, nr_conns, 0, false),
	CR_BAD(UNIX_LISTEN, unix_listen, nr_conns, 1, true),
	CR_BAD(UNIX_LISTEN, unix_listen, nr_conns, 5, false),
	CR_BAD(UNIX_LISTEN, unix_listen, pad, 1, false),
	CR_BAD(INET_SOCK, inet_sock, family, AF_UNIX, false),
	CR_BAD(INET_SOCK, inet_sock, type, SOCK_RAW, false),
	CR_BAD(INET_SOCK, inet_sock, state, 0, false),
	CR_BAD(INET_SOCK, inet_sock, state, CKPT_INET_LISTEN, false),
	CR_BAD(INET_SOCK, inet_sock, flags, 0x400, true),
	CR_BAD(INET_SOCK, inet_sock, flags, CKPT_INET_NODELAY, true),
	CR_BAD(INET_SOCK, inet_sock, backlog, 0x80000000u, false),
	CR_BAD(INET_SOCK, inet_sock, sndbuf, 1, false),
	CR_BAD(INET_SOCK, inet_sock, rcvbuf, 0x80000000u, false),
	CR_BAD(INET_SOCK, inet_sock, rcvtimeo_ns, -1, false),
	CR_BAD(INET_SOCK, inet_sock, sndtimeo_ns, -1, false),
	CR_BAD(INET_SOCK, inet_sock, linger_sec, 5, false),
	CR_BAD(INET_SOCK, inet_sock, local_addr[5], 1, false),
	CR_BAD(INET_SOCK, inet_sock, remote_addr[0], 1, false),
	CR_BAD(INET_SOCK, inet_sock, remote_port, 1, false),
	CR_BAD(INET_SOCK, inet_sock, bound_dev, 2, false),
};

/*
 * Every field restart validates in the records of a unix socket pair,
 * set to a value it must refuse: the restart fails (the tool exits 1);
 * the intact image then restarts.
 */
CR_TEST(cr_sockets, bad_unix_fields_refused)
{
	struct wl_call call = { wl_bad, NULL };

	bad_fields_refused(_metadata, ctx, &call, 0, bad_socks,
			   ARRAY_SIZE(bad_socks));
}

TEST_HARNESS_MAIN
