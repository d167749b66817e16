// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of TCP and UDP sockets, IPv4 and IPv6, that carry
 * no connection and no data: a server's listening socket (with no
 * connection waiting to be accepted), a socket bound or only made, a
 * connected UDP socket with nothing queued. Restart makes each again
 * as the program did: socket(), its options, bind() to the same address
 * and port (with the restoring task's rights: a port below 1024 takes
 * CAP_NET_BIND_SERVICE), then listen() or connect(). A TCP connection is
 * saved without its data and comes back reset, as after a RST, when the
 * restarter asks for it (RESTART_CONN_RESET); else restart refuses it.
 * Refused with a message: connections not accepted yet, queued
 * datagrams, a pending error or a shutdown, a socket bound to a device
 * other than loopback or marked (SO_BINDTODEVICE, SO_MARK).
 *
 * Image: FILE(INET) INET_SOCK
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/udp.h>

#define CKPT_INET_FLAGS	(CKPT_INET_BOUND | CKPT_INET_REUSEADDR | \
			 CKPT_INET_REUSEPORT | CKPT_INET_KEEPALIVE | \
			 CKPT_INET_BROADCAST | CKPT_INET_NODELAY | \
			 CKPT_INET_V6ONLY | CKPT_INET_SNDBUF_SET | \
			 CKPT_INET_RCVBUF_SET | CKPT_INET_LINGER)

static struct sock *ckpt_inet_sk(struct file *file)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock ? sock->sk : NULL;

	if (!sk || (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		return NULL;
	if (sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP)
		return sk;
	if (sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP)
		return sk;
	return NULL;
}

static bool ckpt_inet_match(struct file *file)
{
	return ckpt_inet_sk(file);
}

static s64 ckpt_inet_timeo(long timeo)
{
	return timeo == MAX_SCHEDULE_TIMEOUT ? 0 : jiffies_to_nsecs(timeo);
}

/* Why @sk (locked) cannot be saved, or NULL; its state in @h */
static const char *ckpt_inet_state(struct sock *sk,
				   struct ckpt_hdr_inet_sock *h)
{
	bool tcp = sk->sk_type == SOCK_STREAM;
	int state = sk->sk_state;

	h->state = CKPT_INET_CLOSED;
	if (tcp && state == TCP_LISTEN) {
		if (inet_csk_reqsk_queue_len(sk) ||
		    !reqsk_queue_empty(&inet_csk(sk)->icsk_accept_queue))
			return "has connections not accepted yet: not supported yet";
		h->state = CKPT_INET_LISTEN;
		h->backlog = READ_ONCE(sk->sk_max_ack_backlog);
	} else if (state == TCP_ESTABLISHED && !tcp) {
		h->state = CKPT_INET_CONNECTED;
	} else if (tcp && state != TCP_CLOSE) {
		/* a connection: restart resets it, or refuses */
		h->state = CKPT_INET_ESTABLISHED;
		return NULL;
	} else if (state != TCP_CLOSE) {
		return "is in a state not supported";
	} else if (inet_sk(sk)->inet_dport) {
		return "was connected: not supported yet";
	}
	if (sk->sk_err || sk->sk_shutdown)
		return "has a pending error or was shut down: not supported yet";
	if (!skb_queue_empty(&sk->sk_receive_queue) ||
	    !skb_queue_empty(&sk->sk_write_queue) ||
	    (!tcp && !skb_queue_empty(&udp_sk(sk)->reader_queue)))
		return "has data queued: not supported yet";
	/* loopback has the same index in every namespace: not the others */
	if ((sk->sk_bound_dev_if && sk->sk_bound_dev_if != LOOPBACK_IFINDEX) ||
	    sk->sk_mark)
		return "is bound to a device other than loopback or marked: not supported yet";
	return NULL;
}

/* The local and remote address of @sk (locked) */
static void ckpt_inet_addrs(struct sock *sk, struct ckpt_hdr_inet_sock *h)
{
	struct inet_sock *inet = inet_sk(sk);

	h->local_port = inet->inet_sport;
	h->remote_port = inet->inet_dport;
	if (sk->sk_family == AF_INET) {
		memcpy(h->local_addr, &inet->inet_rcv_saddr, 4);
		memcpy(h->remote_addr, &inet->inet_daddr, 4);
	} else {
		memcpy(h->local_addr, &sk->sk_v6_rcv_saddr, 16);
		memcpy(h->remote_addr, &sk->sk_v6_daddr, 16);
	}
	/* a port, given by bind() or chosen by the kernel, is kept */
	if (inet->inet_num)
		h->flags |= CKPT_INET_BOUND;
	h->bound_dev = sk->sk_bound_dev_if;
}

static int ckpt_inet_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_inet_sock h = {
		.h.type = CKPT_HDR_INET_SOCK,
		.h.len = sizeof(h),
	};
	struct sock *sk = ckpt_inet_sk(file);
	const char *why;

	h.family = sk->sk_family;
	h.type = sk->sk_type;
	lock_sock(sk);
	why = ckpt_inet_state(sk, &h);
	if (!why) {
		ckpt_inet_addrs(sk, &h);
		h.sndbuf = sk->sk_sndbuf;
		h.rcvbuf = sk->sk_rcvbuf;
		if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
			h.flags |= CKPT_INET_SNDBUF_SET;
		if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
			h.flags |= CKPT_INET_RCVBUF_SET;
		if (sk->sk_reuse)
			h.flags |= CKPT_INET_REUSEADDR;
		if (sk->sk_reuseport)
			h.flags |= CKPT_INET_REUSEPORT;
		if (sock_flag(sk, SOCK_KEEPOPEN))
			h.flags |= CKPT_INET_KEEPALIVE;
		if (sock_flag(sk, SOCK_BROADCAST))
			h.flags |= CKPT_INET_BROADCAST;
		if (sock_flag(sk, SOCK_LINGER)) {
			h.flags |= CKPT_INET_LINGER;
			h.linger_sec = min_t(unsigned long,
					     sk->sk_lingertime / HZ, INT_MAX);
		}
		if (h.type == SOCK_STREAM && (tcp_sk(sk)->nonagle & TCP_NAGLE_OFF))
			h.flags |= CKPT_INET_NODELAY;
		if (h.family == AF_INET6 && sk->sk_ipv6only)
			h.flags |= CKPT_INET_V6ONLY;
		h.rcvtimeo_ns = ckpt_inet_timeo(sk->sk_rcvtimeo);
		h.sndtimeo_ns = ckpt_inet_timeo(sk->sk_sndtimeo);
		h.priority = sk->sk_priority;
	}
	release_sock(sk);
	if (why)
		return ckpt_err(ctx, -EBUSY, "pid %d fd %d: %s socket %pD %s",
				task_pid_vnr(ref->task), ref->fd,
				h.type == SOCK_STREAM ? "TCP" : "UDP", file, why);
	return ckpt_write_obj(ctx, &h.h);
}

/* An address of @h, as bind() or connect() take it; its length */
static int ckpt_inet_sockaddr(const struct ckpt_hdr_inet_sock *h,
			      const u8 *addr, u16 port,
			      struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (h->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		memcpy(&sin->sin_addr, addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	memcpy(&sin6->sin6_addr, addr, 16);
	if (ipv6_addr_type(&sin6->sin6_addr) & IPV6_ADDR_LINKLOCAL)
		sin6->sin6_scope_id = h->bound_dev;
	return sizeof(*sin6);
}

static int ckpt_inet_setopt(struct socket *sock, int level, int opt, int val)
{
	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val),
				       sizeof(val));
	return sock->ops->setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

static int ckpt_inet_timeout(struct socket *sock, int opt, s64 ns)
{
	struct __kernel_sock_timeval tv = {
		.tv_sec = div_s64(ns, NSEC_PER_SEC),
		.tv_usec = div_s64(ns % NSEC_PER_SEC, NSEC_PER_USEC),
	};

	if (!ns)
		return 0;
	return sock_setsockopt(sock, SOL_SOCKET, opt, KERNEL_SOCKPTR(&tv),
			       sizeof(tv));
}

/* A buffer size, as SO_SNDBUF/SO_RCVBUF (or, with CAP_NET_ADMIN, FORCE) */
static int ckpt_inet_buf(struct socket *sock, int opt, int force, u32 val,
			 int *now)
{
	int ret = ckpt_inet_setopt(sock, SOL_SOCKET, opt, val / 2);

	if (!ret && READ_ONCE(*now) != val && capable(CAP_NET_ADMIN))
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, force, val / 2);
	if (!ret && READ_ONCE(*now) != val)
		ret = -EPERM;
	return ret;
}

/* Options of @h on @sock, as setsockopt() sets them */
static int ckpt_inet_options(struct socket *sock,
			     const struct ckpt_hdr_inet_sock *h)
{
	struct linger l = { .l_onoff = 1, .l_linger = h->linger_sec };
	struct sock *sk = sock->sk;
	int ret = 0;

	if (h->flags & CKPT_INET_REUSEADDR)
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!ret && (h->flags & CKPT_INET_REUSEPORT))
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!ret && (h->flags & CKPT_INET_KEEPALIVE))
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (!ret && (h->flags & CKPT_INET_BROADCAST))
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, SO_BROADCAST, 1);
	if (!ret && (h->flags & CKPT_INET_NODELAY))
		ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_NODELAY, 1);
	if (!ret && (h->flags & CKPT_INET_V6ONLY))
		ret = ckpt_inet_setopt(sock, SOL_IPV6, IPV6_V6ONLY, 1);
	if (!ret && (h->flags & CKPT_INET_SNDBUF_SET))
		ret = ckpt_inet_buf(sock, SO_SNDBUF, SO_SNDBUFFORCE, h->sndbuf,
				    &sk->sk_sndbuf);
	if (!ret && (h->flags & CKPT_INET_RCVBUF_SET))
		ret = ckpt_inet_buf(sock, SO_RCVBUF, SO_RCVBUFFORCE, h->rcvbuf,
				    &sk->sk_rcvbuf);
	if (!ret && (h->flags & CKPT_INET_LINGER))
		ret = sock_setsockopt(sock, SOL_SOCKET, SO_LINGER,
				      KERNEL_SOCKPTR(&l), sizeof(l));
	if (!ret && h->bound_dev)
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, SO_BINDTOIFINDEX,
				       h->bound_dev);
	if (!ret && h->priority)
		ret = ckpt_inet_setopt(sock, SOL_SOCKET, SO_PRIORITY,
				       h->priority);
	if (!ret)
		ret = ckpt_inet_timeout(sock, SO_RCVTIMEO_NEW, h->rcvtimeo_ns);
	if (!ret)
		ret = ckpt_inet_timeout(sock, SO_SNDTIMEO_NEW, h->sndtimeo_ns);
	return ret;
}

static bool ckpt_inet_valid(const struct ckpt_hdr_file *f,
			    const struct ckpt_hdr_inet_sock *h)
{
	bool tcp = h->type == SOCK_STREAM;

	if ((h->family != AF_INET && h->family != AF_INET6) ||
	    (h->type != SOCK_STREAM && h->type != SOCK_DGRAM) ||
	    !h->state || h->state >= CKPT_INET_STATE_MAX ||
	    (h->state == CKPT_INET_LISTEN && !tcp) ||
	    (h->state == CKPT_INET_CONNECTED && tcp) ||
	    (h->state == CKPT_INET_ESTABLISHED && !tcp) ||
	    h->flags & ~CKPT_INET_FLAGS ||
	    (h->flags & CKPT_INET_NODELAY && !tcp) ||
	    (h->flags & CKPT_INET_V6ONLY && h->family != AF_INET6) ||
	    (h->state == CKPT_INET_LISTEN && !(h->flags & CKPT_INET_BOUND)) ||
	    h->sndbuf < SOCK_MIN_SNDBUF || h->sndbuf > INT_MAX ||
	    h->rcvbuf < SOCK_MIN_RCVBUF || h->rcvbuf > INT_MAX ||
	    h->backlog > INT_MAX || h->rcvtimeo_ns < 0 || h->sndtimeo_ns < 0 ||
	    h->linger_sec > INT_MAX ||
	    (h->bound_dev && h->bound_dev != LOOPBACK_IFINDEX) ||
	    (h->linger_sec && !(h->flags & CKPT_INET_LINGER)) ||
	    !S_ISSOCK(f->i_mode) || (f->f_flags & O_ACCMODE) != O_RDWR)
		return false;
	if (h->state != CKPT_INET_CONNECTED &&
	    h->state != CKPT_INET_ESTABLISHED &&
	    (h->remote_port || memchr_inv(h->remote_addr, 0, 16)))
		return false;
	if (h->family == AF_INET &&
	    (memchr_inv(h->local_addr + 4, 0, 12) ||
	     memchr_inv(h->remote_addr + 4, 0, 12)))
		return false;
	return true;
}

/* A TCP connection, as it is once reset: no address, nothing to read,
 * ECONNRESET once, then the end of the stream; writes fail with EPIPE.
 * Only with RESTART_CONN_RESET: a connection cannot be made again here.
 */
static struct file *ckpt_inet_reset(struct ckpt_ctx *ctx,
				    const struct ckpt_hdr_file *f,
				    const struct ckpt_hdr_inet_sock *h)
{
	struct sockaddr_storage local, remote;
	struct socket *sock = NULL;
	struct file *file;
	int ret;

	ckpt_inet_sockaddr(h, h->local_addr, h->local_port, &local);
	ckpt_inet_sockaddr(h, h->remote_addr, h->remote_port, &remote);
	if (!(ctx->uflags & RESTART_CONN_RESET))
		return ERR_PTR(ckpt_err(ctx, -EBUSY,
					"pid %d: TCP connection %pISpc to %pISpc cannot be restored; with RESTART_CONN_RESET (restart --conn-reset) it comes back reset",
					task_pid_vnr(current), &local, &remote));
	ret = sock_create(h->family, SOCK_STREAM, 0, &sock);
	if (!ret)
		ret = ckpt_inet_options(sock, h);
	if (ret) {
		if (sock)
			sock_release(sock);
		return ERR_PTR(ckpt_err(ctx, ret, "cannot make a TCP socket"));
	}
	lock_sock(sock->sk);
	WRITE_ONCE(sock->sk->sk_err, ECONNRESET);
	WRITE_ONCE(sock->sk->sk_shutdown, SHUTDOWN_MASK);
	release_sock(sock->sk);
	file = sock_alloc_file(sock, f->f_flags & O_NONBLOCK, NULL);
	if (IS_ERR(file))
		return ERR_PTR(ckpt_err(ctx, PTR_ERR(file), "cannot open a TCP socket"));
	ckpt_msg(ctx, "pid %d: TCP connection %pISpc to %pISpc comes back reset",
		 task_pid_vnr(current), &local, &remote);
	return file;
}

static struct file *ckpt_inet_restore(struct ckpt_ctx *ctx,
				      const struct ckpt_hdr_file *f)
{
	struct ckpt_hdr_inet_sock h;
	struct sockaddr_storage ss;
	struct socket *sock;
	struct file *file;
	const char *what;
	int ret, len;
	u8 reuse;

	ret = ckpt_read_obj_type_into(ctx, &h.h, CKPT_HDR_INET_SOCK, sizeof(h));
	if (ret)
		return ERR_PTR(ret);
	if (!ckpt_inet_valid(f, &h))
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad TCP or UDP socket: family %u, type %u, state %u, flags %#x, open flags %#x",
					h.family, h.type, h.state, h.flags,
					f->f_flags));
	what = h.type == SOCK_STREAM ? "TCP" : "UDP";
	if (h.state == CKPT_INET_ESTABLISHED)
		return ckpt_inet_reset(ctx, f, &h);
	ret = sock_create(h.family, h.type, 0, &sock);
	if (ret)
		return ERR_PTR(ckpt_err(ctx, ret, "cannot make a %s socket", what));
	ret = ckpt_inet_options(sock, &h);
	if (ret) {
		ckpt_err(ctx, ret, "cannot give a %s socket its options (flags %#x)",
			 what, h.flags);
		goto fail;
	}
	/* The port may still be held by connections of the socket's past,
	 * in TIME_WAIT. Bind and listen as with SO_REUSEADDR, which the task
	 * could have set; a restarter with CAP_NET_ADMIN over the network
	 * namespace binds over them (as TCP_REPAIR lets it). The option is
	 * taken back as it was.
	 */
	reuse = sock->sk->sk_reuse;
	if (h.type == SOCK_STREAM)
		sock->sk->sk_reuse =
			ns_capable(sock_net(sock->sk)->user_ns, CAP_NET_ADMIN) ?
			SK_FORCE_REUSE : SK_CAN_REUSE;
	if (h.flags & CKPT_INET_BOUND) {
		len = ckpt_inet_sockaddr(&h, h.local_addr, h.local_port, &ss);
		ret = kernel_bind(sock, (struct sockaddr *)&ss, len);
		if (ret) {
			ckpt_err(ctx, ret, "cannot bind a %s socket to %pISpc again%s",
				 what, &ss, ret == -EADDRINUSE ?
				 ": the port is in use (connections in TIME_WAIT need CAP_NET_ADMIN)" :
				 "");
			goto fail;
		}
	}
	if (h.state == CKPT_INET_LISTEN) {
		ret = kernel_listen(sock, h.backlog);
		if (ret) {
			ckpt_err(ctx, ret, "cannot listen on %pISpc again", &ss);
			goto fail;
		}
	}
	lock_sock(sock->sk);
	sock->sk->sk_reuse = reuse;
	release_sock(sock->sk);
	if (h.state == CKPT_INET_CONNECTED) {
		len = ckpt_inet_sockaddr(&h, h.remote_addr, h.remote_port, &ss);
		ret = kernel_connect(sock, (struct sockaddr *)&ss, len, 0);
		if (ret) {
			ckpt_err(ctx, ret, "cannot connect a UDP socket to %pISpc again",
				 &ss);
			goto fail;
		}
	}
	file = sock_alloc_file(sock, f->f_flags & O_NONBLOCK, NULL);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot open a %s socket", what);
	return file;
fail:
	sock_release(sock);
	return ERR_PTR(ret);
}

static const struct ckpt_file_ops ckpt_inet_file_ops = {
	.name = "TCP or UDP socket",
	.file_type = CKPT_FILE_INET,
	.match = ckpt_inet_match,
	.checkpoint = ckpt_inet_checkpoint,
	.restore = ckpt_inet_restore,
};

static int __init ckpt_inet_init(void)
{
	return ckpt_file_register(&ckpt_inet_file_ops);
}
late_initcall(ckpt_inet_init);
