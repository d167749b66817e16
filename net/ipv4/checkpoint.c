// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of TCP and UDP sockets, IPv4 and IPv6, that carry
 * no connection and no data: a server's listening socket (with no
 * connection waiting to be accepted), a socket bound or only made, a
 * connected UDP socket with nothing queued. Restart makes each again
 * as the program did: socket(), its options, bind() to the same address
 * and port (with the restoring task's rights: a port below 1024 takes
 * CAP_NET_BIND_SERVICE), then listen() or connect().
 *
 * A TCP connection whose other end is in the tree too (a client and a
 * server of the tree, over loopback or in the container's own network
 * namespace) is saved whole: both ends as they were at one instant, the
 * two sockets locked together, with sequence numbers, windows, options
 * and the data of both queues (CKPT_OBJ_TCP_PAIR). Packets in flight at
 * that instant count as lost: TCP sends them again. Restart makes each
 * end again with TCP repair (which takes CAP_NET_ADMIN over the network
 * namespace), and takes both ends out of repair once both exist, so that
 * neither talks to a peer not there yet. Any other TCP connection is
 * saved without its data and comes back reset, as after a RST, when the
 * restarter asks for it (RESTART_CONN_RESET); else restart refuses it.
 * Refused with a message: connections not accepted yet, queued
 * datagrams, a pending error or a shutdown, a socket bound to a device
 * other than loopback or marked (SO_BINDTODEVICE, SO_MARK), and options
 * not saved yet (ckpt_inet_unsaved(): IP_TOS, IP_TTL, multicast, socket
 * filters, TCP keepalive timing, TCP_DEFER_ACCEPT, TCP_CORK, ...), so
 * that none is lost silently.
 *
 * Image: FILE(INET) INET_SOCK, then for PAIRED: TCP_PAIR TCP_CONN
 *        TCP_DATA* TCP_CONN TCP_DATA* or an OBJREF to it
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
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/udp.h>

#define CKPT_INET_FLAGS	(CKPT_INET_BOUND | CKPT_INET_REUSEADDR | \
			 CKPT_INET_REUSEPORT | CKPT_INET_KEEPALIVE | \
			 CKPT_INET_BROADCAST | CKPT_INET_NODELAY | \
			 CKPT_INET_V6ONLY | CKPT_INET_SNDBUF_SET | \
			 CKPT_INET_RCVBUF_SET | CKPT_INET_LINGER | \
			 CKPT_INET_END1)
#define CKPT_TCP_FLAGS	(CKPT_TCP_SACK | CKPT_TCP_TSTAMP | CKPT_TCP_WSCALE)
/* bytes of a TCP_DATA record, and of a queue */
#define CKPT_TCP_CHUNK	(64U << 10)
#define CKPT_TCP_QMAX	(32U << 20)

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

/* An option set on @sk (locked) that is not saved, or NULL */
static const char *ckpt_inet_unsaved(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);

	if (rcu_access_pointer(sk->sk_filter))
		return "SO_ATTACH_FILTER";
	if (sk->sk_rcvlowat != 1)
		return "SO_RCVLOWAT";
	if (inet->tos)
		return "IP_TOS";
	if (inet->uc_ttl != -1)
		return "IP_TTL";
	/* (an accepted TCP socket has them from the SYN: not options) */
	if (sk->sk_type == SOCK_DGRAM &&
	    (rcu_access_pointer(inet->mc_list) || inet->mc_ttl != 1 ||
	     !inet->mc_loop || inet->mc_index))
		return "IP multicast options";
	if (inet->recverr || inet->freebind || inet->transparent ||
	    inet->cmsg_flags)
		return "IP_RECVERR, IP_FREEBIND, IP_TRANSPARENT or IP_PKTINFO";
	if (sk->sk_family == AF_INET6) {
		struct ipv6_pinfo *np = inet6_sk(sk);

		if (!np)
			return NULL;
		if (np->hop_limit != -1 || np->tclass ||
		    rcu_access_pointer(np->opt) || np->rxopt.all ||
		    np->recverr)
			return "IPv6 options (hop limit, traffic class, ancillary data)";
		if (sk->sk_type == SOCK_DGRAM &&
		    (rcu_access_pointer(np->ipv6_mc_list) ||
		     np->mcast_hops != IPV6_DEFAULT_MCASTHOPS || !np->mc_loop ||
		     np->mcast_oif))
			return "IPv6 multicast options";
	}
	if (sk->sk_type == SOCK_STREAM) {
		struct tcp_sock *tp = tcp_sk(sk);

		if (tp->keepalive_time || tp->keepalive_intvl ||
		    tp->keepalive_probes)
			return "TCP_KEEPIDLE, TCP_KEEPINTVL or TCP_KEEPCNT";
		if (inet_csk(sk)->icsk_accept_queue.rskq_defer_accept)
			return "TCP_DEFER_ACCEPT";
		if (tp->rx_opt.user_mss)
			return "TCP_MAXSEG";
		if (inet_csk(sk)->icsk_user_timeout)
			return "TCP_USER_TIMEOUT";
		if (tp->nonagle & TCP_NAGLE_CORK)
			return "TCP_CORK";
		if (tp->linger2)
			return "TCP_LINGER2";
	}
	return NULL;
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

/* ---- a TCP connection both ends of which are in the tree ---------------- */

/* The other end of connection @sk in its network namespace, or NULL */
static struct sock *ckpt_tcp_peer(struct sock *sk)
{
	struct inet_hashinfo *hinfo = tcp_or_dccp_get_hashinfo(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct sock *peer;

	/* the socket a packet of @sk arrives at, by the peer's 4-tuple */
	rcu_read_lock();
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		peer = __inet6_lookup_established(net, hinfo,
						  &sk->sk_v6_rcv_saddr,
						  inet->inet_sport,
						  &sk->sk_v6_daddr,
						  ntohs(inet->inet_dport),
						  LOOPBACK_IFINDEX, 0);
	else
		peer = __inet_lookup_established(net, hinfo, inet->inet_saddr,
						 inet->inet_sport,
						 inet->inet_daddr,
						 ntohs(inet->inet_dport),
						 LOOPBACK_IFINDEX, 0);
	rcu_read_unlock();
	if (peer && (peer == sk || peer->sk_state != TCP_ESTABLISHED ||
		     peer->sk_protocol != IPPROTO_TCP)) {
		sock_gen_put(peer);
		peer = NULL;
	}
	return peer;
}

/* The open file of @sk, or NULL (not a reference) */
static struct file *ckpt_tcp_file_of(struct sock *sk)
{
	struct file *file = NULL;

	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_socket && !sock_flag(sk, SOCK_DEAD))
		file = sk->sk_socket->file;
	read_unlock_bh(&sk->sk_callback_lock);
	return file;
}

/* The key of the connection of @sk and @peer: the end with the lower address */
static struct sock *ckpt_tcp_key(struct sock *sk, struct sock *peer)
{
	return peer < sk ? peer : sk;
}

/* The peer of established @sk when it and @file are only in the tree */
static struct sock *ckpt_tcp_peer_in_tree(struct ckpt_ctx *ctx,
					  struct file *file, struct sock *sk)
{
	struct sock *peer = ckpt_tcp_peer(sk);
	struct file *pfile;

	if (!peer)
		return NULL;
	pfile = ckpt_tcp_file_of(peer);
	if (!pfile || !ckpt_obj_tree_refs(ctx, pfile) ||
	    ckpt_obj_outside(ctx, pfile) || ckpt_obj_outside(ctx, file) ||
	    READ_ONCE(peer->sk_shutdown) || READ_ONCE(sk->sk_shutdown)) {
		sock_put(peer);
		return NULL;
	}
	return peer;
}

static int ckpt_inet_collect(struct ckpt_ctx *ctx, struct file *file)
{
	struct sock *sk = ckpt_inet_sk(file), *peer;
	int ret;

	if (sk->sk_type != SOCK_STREAM ||
	    READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		return 0;
	peer = ckpt_tcp_peer(sk);
	if (!peer)
		return 0;
	ret = ckpt_obj_collect(ctx, ckpt_tcp_key(sk, peer), CKPT_OBJ_TCP_PAIR,
			       false);
	sock_put(peer);
	return ret;
}

/* One end as it was, and the data of its queues (send, then receive) */
struct ckpt_tcp_snap {
	struct ckpt_hdr_tcp_conn c;
	u8 *data;
	u32 slen;
	u32 rlen;
};

/* Copy the bytes of @skb within [@from, @to) to @buf (at @from) */
static u32 ckpt_tcp_copy(struct sk_buff *skb, u32 from, u32 to, u8 *buf)
{
	u32 seq = TCP_SKB_CB(skb)->seq, end = seq + skb->len;
	u32 lo = after(from, seq) ? from : seq;
	u32 hi = before(to, end) ? to : end;

	if (!before(lo, hi) || skb_copy_bits(skb, lo - seq, buf + (lo - from),
					     hi - lo))
		return 0;
	return hi - lo;
}

/* The state of @sk (locked) in @s; why it cannot be saved, or NULL */
static const char *ckpt_tcp_capture(struct sock *sk, struct ckpt_tcp_snap *s)
{
	struct ckpt_hdr_tcp_conn *c = &s->c;
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	u32 got = 0;

	if (sk->sk_state != TCP_ESTABLISHED || sk->sk_shutdown || sk->sk_err)
		return "was closed while it was saved";
	if (tp->repair)
		return "is in TCP repair mode";
	if (tp->urg_data)
		return "has urgent data: not supported yet";
	c->h.type = CKPT_HDR_TCP_CONN;
	c->h.len = sizeof(*c);
	c->snd_una = tp->snd_una;
	c->write_seq = tp->write_seq;
	c->copied_seq = tp->copied_seq;
	c->rcv_nxt = tp->rcv_nxt;
	c->snd_wl1 = tp->snd_wl1;
	c->snd_wnd = tp->snd_wnd;
	c->max_window = tp->max_window;
	c->rcv_wnd = tp->rcv_wnd;
	c->rcv_wup = tp->rcv_wup;
	c->mss_clamp = tp->rx_opt.mss_clamp;
	if (tp->rx_opt.sack_ok)
		c->flags |= CKPT_TCP_SACK;
	if (tp->rx_opt.tstamp_ok)
		c->flags |= CKPT_TCP_TSTAMP;
	if (tp->rx_opt.wscale_ok) {
		c->flags |= CKPT_TCP_WSCALE;
		c->snd_wscale = tp->rx_opt.snd_wscale;
		c->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	c->timestamp = tcp_time_stamp_raw() + tp->tsoffset;
	c->sndbuf = sk->sk_sndbuf;
	c->rcvbuf = sk->sk_rcvbuf;
	s->slen = c->write_seq - c->snd_una;
	s->rlen = c->rcv_nxt - c->copied_seq;
	if (s->slen > CKPT_TCP_QMAX || s->rlen > CKPT_TCP_QMAX)
		return "has more data queued than an image takes";
	s->data = kvmalloc(s->slen + s->rlen + 1, GFP_KERNEL_ACCOUNT);
	if (!s->data)
		return "has more data queued than memory takes";
	skb_rbtree_walk(skb, &sk->tcp_rtx_queue)
		got += ckpt_tcp_copy(skb, c->snd_una, c->write_seq, s->data);
	skb_queue_walk(&sk->sk_write_queue, skb)
		got += ckpt_tcp_copy(skb, c->snd_una, c->write_seq, s->data);
	if (got != s->slen)
		return "has a send queue that could not be read whole";
	got = 0;
	skb_queue_walk(&sk->sk_receive_queue, skb)
		got += ckpt_tcp_copy(skb, c->copied_seq, c->rcv_nxt,
				     s->data + s->slen);
	if (got != s->rlen)
		return "has a receive queue that could not be read whole";
	return NULL;
}

/* @len bytes of @buf as TCP_DATA records */
static int ckpt_tcp_write_data(struct ckpt_ctx *ctx, u8 *buf, u32 len)
{
	struct ckpt_hdr_tcp_data d = { .h.type = CKPT_HDR_TCP_DATA };
	struct kvec v;
	u32 off, n;
	int ret = 0;

	for (off = 0; !ret && off < len; off += n) {
		n = min(len - off, CKPT_TCP_CHUNK);
		d.h.len = sizeof(d) + n;
		d.len = n;
		ret = ckpt_write_hdr(ctx, &d.h, sizeof(d));
		v.iov_base = buf + off;
		v.iov_len = n;
		if (!ret)
			ret = ckpt_kwritev(ctx, &v, 1, n);
	}
	return ret;
}

static int ckpt_tcp_pair_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				    int objref, const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_tcp_pair h = {
		.h.type = CKPT_HDR_TCP_PAIR,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct sock *sk = ckpt_inet_sk(ref->file), *peer = ckpt_tcp_peer(sk);
	const char *why[2] = { NULL, NULL };
	struct ckpt_tcp_snap *s;
	struct sock *ends[2];
	int i, ret = 0;

	if (!peer || ckpt_tcp_key(sk, peer) != ptr) {
		ret = ckpt_err(ctx, -EBUSY, "pid %d fd %d: TCP socket %pD lost its peer while it was saved",
			       task_pid_vnr(ref->task), ref->fd, ref->file);
		goto out;
	}
	s = kcalloc(2, sizeof(*s), GFP_KERNEL);
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	ends[0] = ptr;
	ends[1] = ptr == sk ? peer : sk;
	/* both at one instant: what arrives meanwhile waits in the backlog */
	lock_sock(ends[0]);
	lock_sock_nested(ends[1], SINGLE_DEPTH_NESTING);
	for (i = 0; i < 2; i++)
		why[i] = ckpt_tcp_capture(ends[i], &s[i]);
	release_sock(ends[1]);
	release_sock(ends[0]);
	for (i = 0; !ret && i < 2; i++)
		if (why[i])
			ret = ckpt_err(ctx, -EBUSY, "pid %d fd %d: TCP connection %pD%s %s",
				       task_pid_vnr(ref->task), ref->fd,
				       ref->file,
				       ends[i] == sk ? "" : ": its peer",
				       why[i]);
	if (!ret)
		ret = ckpt_write_obj(ctx, &h.h);
	for (i = 0; !ret && i < 2; i++) {
		ret = ckpt_write_obj(ctx, &s[i].c.h);
		if (!ret)
			ret = ckpt_tcp_write_data(ctx, s[i].data, s[i].slen);
		if (!ret)
			ret = ckpt_tcp_write_data(ctx, s[i].data + s[i].slen,
						  s[i].rlen);
	}
	for (i = 0; i < 2; i++)
		kvfree(s[i].data);
	kfree(s);
out:
	if (peer)
		sock_put(peer);
	return ret;
}

static int ckpt_inet_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_inet_sock h = {
		.h.type = CKPT_HDR_INET_SOCK,
		.h.len = sizeof(h),
	};
	struct sock *sk = ckpt_inet_sk(file), *peer = NULL;
	const char *why, *opt;
	int ret;

	h.family = sk->sk_family;
	h.type = sk->sk_type;
	lock_sock(sk);
	why = ckpt_inet_state(sk, &h);
	opt = why ? NULL : ckpt_inet_unsaved(sk);
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
	if (opt)
		return ckpt_err(ctx, -EBUSY, "pid %d fd %d: %s socket %pD has %s set: not saved yet",
				task_pid_vnr(ref->task), ref->fd,
				h.type == SOCK_STREAM ? "TCP" : "UDP", file, opt);
	if (h.state == CKPT_INET_ESTABLISHED)
		peer = ckpt_tcp_peer_in_tree(ctx, file, sk);
	if (peer) {
		h.state = CKPT_INET_PAIRED;
		if (ckpt_tcp_key(sk, peer) != sk)
			h.flags |= CKPT_INET_END1;
	}
	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret && peer) {
		struct ckpt_obj_ref pref = *ref;

		pref.file = file;
		ret = ckpt_obj_checkpoint(ctx, ckpt_tcp_key(sk, peer),
					  CKPT_OBJ_TCP_PAIR, &pref);
		if (ret > 0)
			ret = 0;
	}
	if (peer)
		sock_put(peer);
	return ret;
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

	if (!ret && READ_ONCE(*now) != val &&
	    ns_capable(sock_net(sock->sk)->user_ns, CAP_NET_ADMIN))
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
	    (h->state == CKPT_INET_PAIRED &&
	     (!tcp || !(h->flags & CKPT_INET_BOUND))) ||
	    (h->flags & CKPT_INET_END1 && h->state != CKPT_INET_PAIRED) ||
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
	    h->state != CKPT_INET_ESTABLISHED && h->state != CKPT_INET_PAIRED &&
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

/* The connection as read: both ends, their data, and each end once made */
struct ckpt_tcp_pair {
	struct kref kref;
	struct ckpt_hdr_tcp_conn conn[2];
	u8 *data[2];
	bool taken[2];
	bool reuse[2];		/* SO_REUSEADDR, taken back after repair */
	struct file *file[2];	/* made, still in repair until both are */
};

/* Take @sk out of repair: what TCP_REPAIR_OFF does, with the caller's
 * rights checked when it was put in
 */
static void ckpt_tcp_unrepair(struct sock *sk, bool reuse, bool probe)
{
	lock_sock(sk);
	tcp_sk(sk)->repair = 0;
	sk->sk_reuse = reuse ? SK_CAN_REUSE : SK_NO_REUSE;
	if (probe)
		tcp_send_window_probe(sk);
	release_sock(sk);
}

static void ckpt_tcp_pair_free(struct kref *kref)
{
	struct ckpt_tcp_pair *pair = container_of(kref, struct ckpt_tcp_pair,
						  kref);
	int i;

	for (i = 0; i < 2; i++) {
		/* an end whose peer never came: it finds out as TCP does */
		if (pair->file[i]) {
			ckpt_tcp_unrepair(sock_from_file(pair->file[i])->sk,
					  pair->reuse[i], false);
			fput(pair->file[i]);
		}
		kvfree(pair->data[i]);
	}
	kfree(pair);
}

static u32 ckpt_tcp_slen(const struct ckpt_hdr_tcp_conn *c)
{
	return c->write_seq - c->snd_una;
}

static u32 ckpt_tcp_rlen(const struct ckpt_hdr_tcp_conn *c)
{
	return c->rcv_nxt - c->copied_seq;
}

/* One end of the pair: its TCP_CONN and TCP_DATA records */
static int ckpt_tcp_read_end(struct ckpt_ctx *ctx, struct ckpt_tcp_pair *pair,
			     int i)
{
	struct ckpt_hdr_tcp_conn *c = &pair->conn[i];
	u32 slen, len, off;
	struct ckpt_hdr_tcp_data d;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &c->h, CKPT_HDR_TCP_CONN,
				      sizeof(*c));
	if (ret)
		return ret;
	slen = ckpt_tcp_slen(c);
	len = slen + ckpt_tcp_rlen(c);
	if (c->flags & ~CKPT_TCP_FLAGS || c->snd_wscale > TCP_MAX_WSCALE ||
	    c->rcv_wscale > TCP_MAX_WSCALE ||
	    (!(c->flags & CKPT_TCP_WSCALE) && (c->snd_wscale || c->rcv_wscale)) ||
	    c->mss_clamp > U16_MAX || c->max_window < c->snd_wnd ||
	    slen > CKPT_TCP_QMAX || ckpt_tcp_rlen(c) > CKPT_TCP_QMAX ||
	    c->sndbuf < SOCK_MIN_SNDBUF || c->sndbuf > INT_MAX ||
	    c->rcvbuf < SOCK_MIN_RCVBUF || c->rcvbuf > INT_MAX)
		return ckpt_err(ctx, -EINVAL, "bad TCP_CONN record: flags %#x, queues of %u and %u bytes",
				c->flags, slen, ckpt_tcp_rlen(c));
	pair->data[i] = kvmalloc(len + 1, GFP_KERNEL_ACCOUNT);
	if (!pair->data[i])
		return -ENOMEM;
	for (off = 0; off < len; off += d.len) {
		ret = ckpt_read_hdr_type(ctx, &d.h, CKPT_HDR_TCP_DATA, sizeof(d));
		if (ret)
			return ret;
		/* a record holds the data of one queue */
		if (!d.len || d.len > CKPT_TCP_CHUNK ||
		    d.h.len != sizeof(d) + d.len || d.len > len - off ||
		    (off < slen && d.len > slen - off))
			return ckpt_err(ctx, -EINVAL, "bad TCP_DATA record of %u bytes",
					d.len);
		ret = ckpt_kread(ctx, pair->data[i] + off, d.len);
		if (ret)
			return ret;
	}
	return 0;
}

static void *ckpt_tcp_pair_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				   int *objref)
{
	struct ckpt_tcp_pair *pair;
	struct ckpt_hdr_tcp_pair *h;
	int i, ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	ckpt_hdr_put(ctx, h);
	pair = kzalloc(sizeof(*pair), GFP_KERNEL_ACCOUNT);
	if (!pair)
		return ERR_PTR(-ENOMEM);
	kref_init(&pair->kref);
	for (i = 0; !ret && i < 2; i++)
		ret = ckpt_tcp_read_end(ctx, pair, i);
	if (ret) {
		kref_put(&pair->kref, ckpt_tcp_pair_free);
		return ERR_PTR(ret);
	}
	return pair;
}

/* Write @len bytes of @buf into the queue TCP repair mode has chosen */
static int ckpt_tcp_fill(struct socket *sock, u8 *buf, u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec v;
	u32 off;
	int n;

	for (off = 0; off < len; off += n) {
		v.iov_base = buf + off;
		v.iov_len = min(len - off, CKPT_TCP_CHUNK);
		n = kernel_sendmsg(sock, &msg, &v, 1, v.iov_len);
		if (n <= 0)
			return n ? n : -EIO;
	}
	return 0;
}

/* The data of both queues of end @c, into @sock in repair */
static int ckpt_tcp_fill_queues(struct socket *sock,
				const struct ckpt_hdr_tcp_conn *c, u8 *data,
				const char **what)
{
	int ret;

	*what = "fill its receive queue";
	ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
	if (!ret)
		ret = ckpt_tcp_fill(sock, data + ckpt_tcp_slen(c),
				    ckpt_tcp_rlen(c));
	if (ret)
		return ret;
	*what = "fill its send queue";
	ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	if (!ret)
		ret = ckpt_tcp_fill(sock, data, ckpt_tcp_slen(c));
	if (!ret)
		ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				       TCP_NO_QUEUE);
	return ret;
}

/* TCP repair of @sock, bound already, as end @c says, connected to @remote */
static int ckpt_tcp_repair(struct socket *sock,
			   const struct ckpt_hdr_tcp_conn *c, u8 *data,
			   struct sockaddr_storage *remote, int rlen,
			   const char **what)
{
	struct tcp_repair_opt opts[4];
	struct tcp_repair_window win = {
		.snd_wl1 = c->snd_wl1,
		.snd_wnd = c->snd_wnd,
		.max_window = c->max_window,
		.rcv_wnd = c->rcv_wnd,
		.rcv_wup = c->rcv_wup,
	};
	struct sock *sk = sock->sk;
	int n = 0, ret, sndbuf, rcvbuf;

	*what = "set its sequence numbers";
	ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
	if (!ret)
		ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_QUEUE_SEQ,
				       c->copied_seq);
	if (!ret)
		ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				       TCP_SEND_QUEUE);
	if (!ret)
		ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_QUEUE_SEQ, c->snd_una);
	if (ret)
		return ret;
	*what = "connect it";
	ret = security_socket_connect(sock, (struct sockaddr *)remote, rlen);
	if (!ret)
		ret = kernel_connect(sock, (struct sockaddr *)remote, rlen, 0);
	if (ret)
		return ret;
	*what = "set its options";
	opts[n].opt_code = TCPOPT_MSS;
	opts[n++].opt_val = c->mss_clamp;
	if (c->flags & CKPT_TCP_WSCALE) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = c->snd_wscale | (c->rcv_wscale << 16);
	}
	if (c->flags & CKPT_TCP_SACK) {
		opts[n].opt_code = TCPOPT_SACK_PERM;
		opts[n++].opt_val = 0;
	}
	if (c->flags & CKPT_TCP_TSTAMP) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	ret = sock->ops->setsockopt(sock, SOL_TCP, TCP_REPAIR_OPTIONS,
				    KERNEL_SOCKPTR(opts), n * sizeof(opts[0]));
	if (!ret)
		ret = ckpt_inet_setopt(sock, SOL_TCP, TCP_TIMESTAMP,
				       c->timestamp);
	if (ret)
		return ret;
	/* the sizes it had grown to, unless set by the program (kept);
	 * room for the queues meanwhile: the new buffers of the same data
	 * may take more memory than the old ones did
	 */
	lock_sock(sk);
	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		WRITE_ONCE(sk->sk_sndbuf, c->sndbuf);
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		WRITE_ONCE(sk->sk_rcvbuf, c->rcvbuf);
	sndbuf = sk->sk_sndbuf;
	rcvbuf = sk->sk_rcvbuf;
	WRITE_ONCE(sk->sk_sndbuf, max_t(u64, sndbuf,
					4ULL * ckpt_tcp_slen(c) + SOCK_MIN_SNDBUF));
	WRITE_ONCE(sk->sk_rcvbuf, max_t(u64, rcvbuf,
					4ULL * ckpt_tcp_rlen(c) + SOCK_MIN_RCVBUF));
	release_sock(sk);
	ret = ckpt_tcp_fill_queues(sock, c, data, what);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_sndbuf, sndbuf);
	WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
	release_sock(sk);
	if (ret)
		return ret;
	*what = "set its windows";
	return sock->ops->setsockopt(sock, SOL_TCP, TCP_REPAIR_WINDOW,
				     KERNEL_SOCKPTR(&win), sizeof(win));
}

/* One end of a connection of the tree, made again by TCP repair */
static struct file *ckpt_tcp_restore(struct ckpt_ctx *ctx,
				     const struct ckpt_hdr_file *f,
				     const struct ckpt_hdr_inet_sock *h)
{
	int end = !!(h->flags & CKPT_INET_END1), ret, llen, rlen;
	struct sockaddr_storage local, remote;
	struct ckpt_tcp_pair *pair;
	struct socket *sock;
	struct file *file;
	const char *what = "make it";

	llen = ckpt_inet_sockaddr(h, h->local_addr, h->local_port, &local);
	rlen = ckpt_inet_sockaddr(h, h->remote_addr, h->remote_port, &remote);
	pair = ckpt_obj_restore(ctx, CKPT_OBJ_TCP_PAIR);
	if (IS_ERR(pair))
		return ERR_CAST(pair);
	if (pair->taken[end])
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"end %d of a TCP connection is restored twice",
					end));
	pair->taken[end] = true;
	if (!ckpt_local(ctx)->may_repair_tcp) {
		if (ctx->uflags & RESTART_CONN_RESET)
			return ckpt_inet_reset(ctx, f, h);
		return ERR_PTR(ckpt_err(ctx, -EPERM,
					"pid %d: TCP connection %pISpc to %pISpc: restoring it takes CAP_NET_ADMIN over the network namespace (TCP repair); with RESTART_CONN_RESET (restart --conn-reset) it comes back reset",
					task_pid_vnr(current), &local, &remote));
	}
	ret = sock_create(h->family, SOCK_STREAM, 0, &sock);
	if (ret)
		goto err;
	what = "set its options";
	ret = ckpt_inet_options(sock, h);
	if (!ret) {
		/* TCP_REPAIR on, with the restarter's right checked above:
		 * the task runs with the image's credentials now
		 */
		lock_sock(sock->sk);
		tcp_sk(sock->sk)->repair = 1;
		sock->sk->sk_reuse = SK_FORCE_REUSE;
		tcp_sk(sock->sk)->repair_queue = TCP_NO_QUEUE;
		release_sock(sock->sk);
		what = "bind it";
		ret = security_socket_bind(sock, (struct sockaddr *)&local,
					   llen);
		if (!ret)
			ret = kernel_bind(sock, (struct sockaddr *)&local, llen);
	}
	if (!ret)
		ret = ckpt_tcp_repair(sock, &pair->conn[end], pair->data[end],
				      &remote, rlen, &what);
	if (ret) {
		sock_release(sock);
		goto err;
	}
	file = sock_alloc_file(sock, f->f_flags & O_NONBLOCK, NULL);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err;
	}
	pair->file[end] = get_file(file);
	pair->reuse[end] = h->flags & CKPT_INET_REUSEADDR;
	/* both ends are there: they may talk */
	if (pair->file[!end]) {
		for (end = 0; end < 2; end++) {
			ckpt_tcp_unrepair(sock_from_file(pair->file[end])->sk,
					  pair->reuse[end], true);
			fput(pair->file[end]);
			pair->file[end] = NULL;
		}
	}
	return file;
err:
	return ERR_PTR(ckpt_err(ctx, ret, "pid %d: TCP connection %pISpc to %pISpc: cannot %s again",
				task_pid_vnr(current), &local, &remote, what));
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
	if (h.state == CKPT_INET_PAIRED)
		return ckpt_tcp_restore(ctx, f, &h);
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
		ret = security_socket_bind(sock, (struct sockaddr *)&ss, len);
		if (!ret)
			ret = kernel_bind(sock, (struct sockaddr *)&ss, len);
		if (ret) {
			ckpt_err(ctx, ret, "cannot bind a %s socket to %pISpc again%s",
				 what, &ss, ret == -EADDRINUSE ?
				 ": the port is in use (TIME_WAIT connections need CAP_NET_ADMIN)" :
				 "");
			goto fail;
		}
	}
	if (h.state == CKPT_INET_LISTEN) {
		/* as listen(2) checks and caps it */
		len = min_t(u32, h.backlog,
			    READ_ONCE(sock_net(sock->sk)->core.sysctl_somaxconn));
		ret = security_socket_listen(sock, len);
		if (!ret)
			ret = kernel_listen(sock, len);
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
		ret = security_socket_connect(sock, (struct sockaddr *)&ss, len);
		if (!ret)
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
	.collect = ckpt_inet_collect,
	.checkpoint = ckpt_inet_checkpoint,
	.restore = ckpt_inet_restore,
};

static void ckpt_tcp_restored_grab(void *ptr)
{
	struct ckpt_tcp_pair *pair = ptr;

	kref_get(&pair->kref);
}

static void ckpt_tcp_restored_drop(void *ptr)
{
	struct ckpt_tcp_pair *pair = ptr;

	kref_put(&pair->kref, ckpt_tcp_pair_free);
}

/* saved by the end with the lower address, restored as both ends */
static const struct ckpt_obj_ops ckpt_tcp_pair_ops = {
	.name = "TCP connection",
	.obj_type = CKPT_OBJ_TCP_PAIR,
	.hdr_type = CKPT_HDR_TCP_PAIR,
	.ref_grab = ckpt_sock_grab,
	.ref_drop = ckpt_sock_drop,
	.checkpoint = ckpt_tcp_pair_checkpoint,
	.restore = ckpt_tcp_pair_restore,
	.restored_grab = ckpt_tcp_restored_grab,
	.restored_drop = ckpt_tcp_restored_drop,
};

static int __init ckpt_inet_init(void)
{
	int ret = ckpt_obj_register(&ckpt_tcp_pair_ops);

	return ret ? ret : ckpt_file_register(&ckpt_inet_file_ops);
}
late_initcall(ckpt_inet_init);
