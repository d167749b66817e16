// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of unix sockets: connected pairs whose ends are both
 * in the tree (socketpair(), or a connection accepted from a listening
 * socket), or one end of which its process closed; and sockets with no
 * peer: only made, bound to a path or an abstract name, or listening.
 *
 * A pair is one object (CKPT_OBJ_UNIX_PAIR, found by the end with the
 * lower address): both ends with their options, shutdown state, pending
 * error, the address an accepted end shows (its listener's) and receive
 * queue, message by message (datagram and seqpacket boundaries kept,
 * zero-length datagrams too). Each end's FILE names its end. At restart
 * the pair is made again by socketpair(), each queue refilled by sends
 * from the other end, and an end its process had closed is closed again
 * once that is done. The queued messages carry the credentials of the
 * restoring task (SCM_CREDENTIALS); a socket with SO_PASSCRED set and
 * messages queued is refused, and so are file descriptors in flight
 * (SCM_RIGHTS), out-of-band data, an end that holds a name of its own
 * while connected, and sockets connected outside the tree (but a
 * standard stream of the root is handed over: fs/checkpoint.c).
 *
 * A socket with no peer is made again by socket(), bind() and listen().
 * A path it was bound to is taken again: the socket file left there by
 * the socket of the checkpoint is removed first, once a datagram connect
 * finds no socket bound to it (with the restoring task's rights), and
 * the new one gets the mode the old one had. Refused: connections not
 * accepted yet, and datagrams queued on an unconnected socket (their
 * senders are not saved).
 *
 * Image: FILE(UNIX) UNIX_FILE, then UNIX_PAIR UNIX_SOCK [UNIX_ADDR]
 *        UNIX_SOCK [UNIX_ADDR] UNIX_SKB* UNIX_SKB* or an OBJREF to it;
 *        or (no peer) UNIX_LONE UNIX_SOCK [UNIX_ADDR]
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/kref.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/jiffies.h>
#include <linux/task_work.h>
#include <linux/delay.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/mount.h>
#include <linux/security.h>
#include <net/sock.h>
#include <net/af_unix.h>

/* connections waiting on a listener, at most */
#define CKPT_UNIX_MAX_CONNS	65536

#define CKPT_UNIX_FLAGS		(CKPT_UNIX_PASSCRED | CKPT_UNIX_SNDBUF_SET | \
				 CKPT_UNIX_RCVBUF_SET | CKPT_UNIX_CLOSED | \
				 CKPT_UNIX_NAMED)

static struct sock *ckpt_unix_sk(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX ?
	       sock->sk : NULL;
}

static bool ckpt_unix_match(struct file *file)
{
	return ckpt_unix_sk(file);
}

/* The open file of @sk, or NULL once its process closed it (not a reference) */
static struct file *ckpt_unix_file_of(struct sock *sk)
{
	struct file *file = NULL;

	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_socket && !sock_flag(sk, SOCK_DEAD))
		file = sk->sk_socket->file;
	read_unlock_bh(&sk->sk_callback_lock);
	return file;
}

/* The key of the pair of @sk and @peer: the end with the lower address */
static struct sock *ckpt_unix_key(struct sock *sk, struct sock *peer)
{
	return peer && peer < sk ? peer : sk;
}

/* Is @sk made by connect() in a listener's queue, not accepted yet? */
static bool ckpt_unix_embryo(struct sock *sk)
{
	bool embryo;

	read_lock_bh(&sk->sk_callback_lock);
	embryo = !sk->sk_socket && !sock_flag(sk, SOCK_DEAD);
	read_unlock_bh(&sk->sk_callback_lock);
	return embryo;
}

/* Where @e waits in the queue of @l: its index, or -1 */
static int ckpt_unix_conn_index(struct sock *l, struct sock *e)
{
	struct sk_buff *skb;
	int i = 0, at = -1;

	spin_lock(&l->sk_receive_queue.lock);
	skb_queue_walk(&l->sk_receive_queue, skb) {
		if (skb->sk == e) {
			at = i;
			break;
		}
		i++;
	}
	spin_unlock(&l->sk_receive_queue.lock);
	return at;
}

/* The listening socket in whose queue @e waits (with a reference), or
 * NULL: a bound socket of @e's namespace with @e's address (which connect
 * gave it from the listener) and @e in its queue.
 */
static struct sock *ckpt_unix_listener_of(struct sock *e)
{
	struct unix_address *addr = READ_ONCE(unix_sk(e)->addr);
	struct net *net = sock_net(e);
	struct sock *s, *found = NULL;
	int i;

	if (!addr)
		return NULL;
	for (i = 0; !found && i < UNIX_HASH_SIZE; i++) {
		spin_lock(&net->unx.table.locks[i]);
		sk_for_each(s, &net->unx.table.buckets[i]) {
			if (READ_ONCE(unix_sk(s)->addr) == addr &&
			    READ_ONCE(s->sk_state) == TCP_LISTEN &&
			    ckpt_unix_conn_index(s, e) >= 0) {
				sock_hold(s);
				found = s;
				break;
			}
		}
		spin_unlock(&net->unx.table.locks[i]);
	}
	return found;
}

/* Has listening @sk connections waiting to be accepted? */
static bool ckpt_unix_waiting(struct sock *sk)
{
	return READ_ONCE(sk->sk_state) == TCP_LISTEN &&
	       !skb_queue_empty_lockless(&sk->sk_receive_queue);
}

/* Is the open file of @sk only in the tree? */
static bool ckpt_unix_in_tree(struct ckpt_ctx *ctx, struct sock *sk)
{
	struct file *file = ckpt_unix_file_of(sk);

	return file && ckpt_obj_tree_refs(ctx, file) &&
	       !ckpt_obj_outside(ctx, file);
}

/* Does the pair of @file lead out of the tree: a peer open outside? */
static int ckpt_unix_outside(struct ckpt_ctx *ctx, struct file *file)
{
	struct sock *sk = ckpt_unix_sk(file), *peer = unix_peer_get(sk);
	struct file *pfile;
	int out = CKPT_FILE_OUTSIDE;

	/* a socket with no peer leads nowhere */
	if (!peer)
		return CKPT_FILE_INSIDE;
	/* a client not accepted yet: where its listener is */
	if (ckpt_unix_embryo(peer)) {
		struct sock *l = ckpt_unix_listener_of(peer);

		if (l && ckpt_unix_in_tree(ctx, l))
			out = CKPT_FILE_INSIDE;
		if (l)
			sock_put(l);
		sock_put(peer);
		return out;
	}
	pfile = ckpt_unix_file_of(peer);
	if (!pfile || (ckpt_obj_tree_refs(ctx, pfile) &&
		       !ckpt_obj_outside(ctx, pfile)))
		out = CKPT_FILE_INSIDE;
	sock_put(peer);
	return out;
}

static int ckpt_unix_collect(struct ckpt_ctx *ctx, struct file *file)
{
	struct sock *sk = ckpt_unix_sk(file), *peer = unix_peer_get(sk), *l;
	int ret = 0;

	if (!peer)
		return ckpt_unix_waiting(sk) ?
		       ckpt_obj_collect(ctx, sk, CKPT_OBJ_UNIX_LISTEN, false) : 0;
	if (ckpt_unix_embryo(peer)) {
		l = ckpt_unix_listener_of(peer);
		if (l) {
			ret = ckpt_obj_collect(ctx, l, CKPT_OBJ_UNIX_LISTEN,
					       false);
			sock_put(l);
		}
	} else {
		ret = ckpt_obj_collect(ctx, ckpt_unix_key(sk, peer),
				       CKPT_OBJ_UNIX_PAIR, false);
	}
	sock_put(peer);
	return ret;
}

/* Does @sk hold its name (bound to a path or an abstract name)? A socket
 * accepted from a listening one only shows the listener's name.
 */
static bool ckpt_unix_bound(struct sock *sk)
{
	/* pairs with the release of unix_bind() and unix_stream_connect() */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);

	if (!addr)
		return false;
	/* path names: on the list of bound sockets; abstract: their hash */
	if (addr->name->sun_path[0])
		return !hlist_unhashed(&sk->sk_bind_node);
	return sk->sk_hash > UNIX_HASH_MOD;
}

/* The address @sk has, as a UNIX_ADDR record; false when none */
static bool ckpt_unix_addr(struct sock *sk, struct ckpt_hdr_unix_addr *a)
{
	/* pairs with the release of unix_bind() and unix_stream_connect() */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);
	int len;

	memset(a, 0, sizeof(*a));
	a->h.type = CKPT_HDR_UNIX_ADDR;
	a->h.len = sizeof(*a);
	if (!addr)
		return false;
	len = addr->len - offsetof(struct sockaddr_un, sun_path);
	a->len = clamp_t(int, len, 0, sizeof(a->path));
	memcpy(a->path, addr->name->sun_path, a->len);
	return true;
}

/* Why the name @sk is bound to cannot be taken again at restart, or NULL:
 * a path must be absolute (restart resolves it from elsewhere), lead to
 * the socket's own file still, and have its NUL.
 */
static const char *ckpt_unix_name_unsupported(struct sock *sk)
{
	struct unix_sock *u = unix_sk(sk);
	struct ckpt_hdr_unix_addr a;
	const char *why = NULL;
	struct path p;

	if (!ckpt_unix_addr(sk, &a) || !a.path[0])
		return NULL;
	if (a.len > sizeof(a.path) - 1 || !memchr(a.path, '\0', a.len))
		return "is bound to a path of 108 bytes: not supported";
	if (a.path[0] != '/')
		return "is bound to a relative path: not supported";
	if (kern_path(a.path, 0, &p))
		return "is bound to a path that no longer leads to its socket file: not supported";
	if (!u->path.dentry || d_inode(p.dentry) != d_inode(u->path.dentry))
		why = "is bound to a path that no longer leads to its socket file: not supported";
	path_put(&p);
	return why;
}

/* Why the socket of @file (its peer @peer) cannot be saved, or NULL */
static const char *ckpt_unix_unsupported(struct ckpt_ctx *ctx,
					 struct file *file, struct sock *sk,
					 struct sock *peer)
{
	struct file *pfile;
	const char *why;

	if (sk->sk_type != SOCK_STREAM && sk->sk_type != SOCK_DGRAM &&
	    sk->sk_type != SOCK_SEQPACKET)
		return "is of a type not supported";
	if (!peer) {
		if (READ_ONCE(sk->sk_state) != TCP_LISTEN &&
		    !skb_queue_empty_lockless(&sk->sk_receive_queue)) {
			return "has datagrams queued from other sockets: not supported yet";
		}
		if (READ_ONCE(sk->sk_shutdown))
			return "was shut down: not supported yet";
		if (unix_sk(sk)->addr && !ckpt_unix_bound(sk))
			return "shows an address it does not hold: not supported";
		why = ckpt_unix_name_unsupported(sk);
		if (why)
			return why;
		return ckpt_obj_outside(ctx, file) ?
		       "is also open in a process outside the tree" : NULL;
	}
	if (ckpt_unix_bound(sk) || ckpt_unix_bound(peer))
		return "or its peer holds a name of its own and is connected: not supported yet";
	pfile = ckpt_unix_file_of(peer);
	if (pfile && unix_peer(peer) != sk)
		return "is connected to a socket connected elsewhere: not supported yet";
	if (pfile && (!ckpt_obj_tree_refs(ctx, pfile) ||
		      ckpt_obj_outside(ctx, pfile)))
		return "is connected to a socket outside the tree: not supported yet";
	if (ckpt_obj_outside(ctx, file))
		return "is also open in a process outside the tree";
	return NULL;
}

static s64 ckpt_unix_timeo(long timeo)
{
	return timeo == MAX_SCHEDULE_TIMEOUT ? 0 : jiffies_to_nsecs(timeo);
}

/* Options and state of @sk, for its UNIX_SOCK record */
static void ckpt_unix_state(struct sock *sk, struct ckpt_hdr_unix_sock *h)
{
	struct socket *sock;

	h->h.type = CKPT_HDR_UNIX_SOCK;
	h->h.len = sizeof(*h);
	h->shutdown = READ_ONCE(sk->sk_shutdown) & SHUTDOWN_MASK;
	h->sndbuf = READ_ONCE(sk->sk_sndbuf);
	h->rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		h->flags |= CKPT_UNIX_SNDBUF_SET;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		h->flags |= CKPT_UNIX_RCVBUF_SET;
	h->rcvlowat = READ_ONCE(sk->sk_rcvlowat);
	/* any negative offset is off */
	h->peek_off = max(READ_ONCE(sk->sk_peek_off), -1);
	h->rcvtimeo_ns = ckpt_unix_timeo(READ_ONCE(sk->sk_rcvtimeo));
	h->sndtimeo_ns = ckpt_unix_timeo(READ_ONCE(sk->sk_sndtimeo));
	h->err = READ_ONCE(sk->sk_err);
	if (READ_ONCE(unix_sk(sk)->addr))
		h->flags |= CKPT_UNIX_NAMED;
	read_lock_bh(&sk->sk_callback_lock);
	sock = sock_flag(sk, SOCK_DEAD) ? NULL : sk->sk_socket;
	if (!sock)
		h->flags |= CKPT_UNIX_CLOSED;
	else if (test_bit(SOCK_PASSCRED, &sock->flags))
		h->flags |= CKPT_UNIX_PASSCRED;
	read_unlock_bh(&sk->sk_callback_lock);
}

/* A socket with no peer: UNIX_FILE, UNIX_LONE, UNIX_SOCK, [UNIX_ADDR] */
static int ckpt_unix_lone_checkpoint(struct ckpt_ctx *ctx, struct sock *sk,
				     struct ckpt_hdr_unix_file *f)
{
	struct ckpt_hdr_unix_lone l = {
		.h.type = CKPT_HDR_UNIX_LONE,
		.h.len = sizeof(l),
		.type = sk->sk_type,
		.state = CKPT_UNIX_MADE,
	};
	struct ckpt_hdr_unix_sock s = { };
	struct ckpt_hdr_unix_addr a;
	bool named = ckpt_unix_addr(sk, &a);
	int ret;

	if (named) {
		l.state = CKPT_UNIX_BOUND;
		if (a.path[0] && unix_sk(sk)->path.dentry)
			l.mode = d_inode(unix_sk(sk)->path.dentry)->i_mode &
				 S_IALLUGO;
	}
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		l.state = CKPT_UNIX_LISTEN;
		l.backlog = READ_ONCE(sk->sk_max_ack_backlog);
	}
	ckpt_unix_state(sk, &s);
	f->end = CKPT_UNIX_LONE;
	ret = ckpt_write_obj(ctx, &f->h);
	if (!ret)
		ret = ckpt_write_obj(ctx, &l.h);
	if (!ret)
		ret = ckpt_write_obj(ctx, &s.h);
	if (!ret && named)
		ret = ckpt_write_obj(ctx, &a.h);
	return ret;
}

/* A client not accepted yet: UNIX_FILE (PENDING), its listener's object */
static int ckpt_unix_pending_checkpoint(struct ckpt_ctx *ctx, struct file *file,
					struct sock *embryo,
					struct ckpt_hdr_unix_file *h,
					const struct ckpt_obj_ref *ref)
{
	struct sock *l = ckpt_unix_listener_of(embryo);
	struct ckpt_obj_ref pref = *ref;
	int at, ret;

	at = l ? ckpt_unix_conn_index(l, embryo) : -1;
	if (at < 0 || !ckpt_unix_in_tree(ctx, l) || ckpt_obj_outside(ctx, file)) {
		ret = ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD waits to be accepted by a listening socket %s: not supported",
			       task_pid_vnr(ref->task), ref->fd, file,
			       l ? "outside the tree" : "that cannot be found");
		goto out;
	}
	h->end = CKPT_UNIX_PENDING;
	h->conn = at;
	ret = ckpt_write_obj(ctx, &h->h);
	pref.file = file;
	if (!ret)
		ret = ckpt_obj_checkpoint(ctx, l, CKPT_OBJ_UNIX_LISTEN, &pref);
	if (ret > 0)
		ret = 0;
out:
	if (l)
		sock_put(l);
	return ret;
}

static int ckpt_unix_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_unix_file h = {
		.h.type = CKPT_HDR_UNIX_FILE,
		.h.len = sizeof(h),
	};
	struct sock *sk = ckpt_unix_sk(file), *peer = unix_peer_get(sk);
	struct ckpt_obj_ref pref = *ref;
	const char *why;
	int ret;

	if (peer && ckpt_unix_embryo(peer)) {
		ret = ckpt_unix_pending_checkpoint(ctx, file, peer, &h, ref);
		goto out;
	}
	why = ckpt_unix_unsupported(ctx, file, sk, peer);
	if (why) {
		ret = ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD %s",
			       task_pid_vnr(ref->task), ref->fd, file, why);
		goto out;
	}
	if (!peer && ckpt_unix_waiting(sk)) {
		h.end = CKPT_UNIX_LISTENER;
		ret = ckpt_write_obj(ctx, &h.h);
		pref.file = file;
		if (!ret)
			ret = ckpt_obj_checkpoint(ctx, sk, CKPT_OBJ_UNIX_LISTEN,
						  &pref);
		if (ret > 0)
			ret = 0;
		goto out;
	}
	if (!peer) {
		ret = ckpt_unix_lone_checkpoint(ctx, sk, &h);
		goto out;
	}
	h.end = ckpt_unix_key(sk, peer) != sk;
	ret = ckpt_write_obj(ctx, &h.h);
	if (ret)
		goto out;
	pref.file = file;
	ret = ckpt_obj_checkpoint(ctx, ckpt_unix_key(sk, peer),
				  CKPT_OBJ_UNIX_PAIR, &pref);
	if (ret > 0)
		ret = 0;
out:
	if (peer)
		sock_put(peer);
	return ret;
}

/* Bytes of @skb not read yet: a stream reader may have read a part */
static unsigned int ckpt_unix_skb_len(struct sk_buff *skb)
{
	return skb->len - UNIXCB(skb).consumed;
}

/* Take the reader lock of @sk without waiting on it: the task being saved
 * is held (its exec_update_lock), and a splice from the socket into a
 * pipe holds this lock, then the pipe's, which a splice from a /proc file
 * holds while it waits for that lock. A frozen tree does not hold it.
 */
static bool ckpt_unix_trylock(struct sock *sk)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (mutex_trylock(&unix_sk(sk)->iolock))
			return true;
		if (fatal_signal_pending(current))
			break;
		msleep(20);
	}
	return false;
}

/* The receive queue of @sk as UNIX_SKB records with their data, one
 * after the other in a new buffer of *@size bytes; h->nr_skbs of them.
 * Read with the socket's reader lock held: nobody reads meanwhile.
 */
static void *ckpt_unix_queue(struct sock *sk, struct ckpt_hdr_unix_sock *h,
			     size_t *size, const char **why)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct ckpt_hdr_unix_skb *rec;
	struct sk_buff *skb;
	size_t need = 0;
	void *copy, *p;
	u32 nr = 0;

	if (!ckpt_unix_trylock(sk)) {
		*why = "is being read by a process outside the tree";
		return NULL;
	}
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		if (UNIXCB(skb).fp) {
			*why = "has file descriptors in flight (SCM_RIGHTS): not supported yet";
			break;
		}
		if (ckpt_unix_skb_len(skb) > CKPT_RECORD_MAX - sizeof(*rec)) {
			*why = "has a message larger than an image record: not supported";
			break;
		}
		nr++;
		need += sizeof(*rec) + ckpt_unix_skb_len(skb);
	}
	spin_unlock(&q->lock);
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	if (READ_ONCE(unix_sk(sk)->oob_skb))
		*why = "has out-of-band data: not supported yet";
#endif
	if (nr && (h->flags & CKPT_UNIX_PASSCRED))
		*why = "has SO_PASSCRED and messages queued: their credentials are not saved yet";
	if (*why || need > (size_t)CKPT_RECORD_MAX * 64) {
		if (!*why)
			*why = "has more data queued than an image holds";
		mutex_unlock(&unix_sk(sk)->iolock);
		return NULL;
	}
	copy = kvmalloc(need + 1, GFP_KERNEL_ACCOUNT);
	if (!copy) {
		mutex_unlock(&unix_sk(sk)->iolock);
		return ERR_PTR(-ENOMEM);
	}
	p = copy;
	h->nr_skbs = 0;
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		unsigned int len = ckpt_unix_skb_len(skb);

		if (h->nr_skbs == nr || p + sizeof(*rec) + len > copy + need)
			break;
		rec = p;
		rec->h.type = CKPT_HDR_UNIX_SKB;
		rec->h.len = sizeof(*rec) + len;
		rec->len = len;
		rec->pad = 0;
		if (skb_copy_bits(skb, UNIXCB(skb).consumed, rec + 1, len))
			break;
		p += rec->h.len;
		h->nr_skbs++;
	}
	spin_unlock(&q->lock);
	mutex_unlock(&unix_sk(sk)->iolock);
	if (h->nr_skbs != nr) {
		kvfree(copy);
		*why = "changed while it was saved";
		return NULL;
	}
	*size = p - copy;
	return copy;
}

static int ckpt_unix_pair_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				     int objref, const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_unix_pair h = {
		.h.type = CKPT_HDR_UNIX_PAIR,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct sock *sk = ckpt_unix_sk(ref->file), *peer = unix_peer_get(sk);
	struct ckpt_hdr_unix_sock s[2];
	struct ckpt_hdr_unix_addr a[2];
	struct ckpt_hdr_unix_skb *rec;
	void *copy[2] = { NULL, NULL };
	size_t size[2] = { 0, 0 }, off;
	struct sock *ends[2];
	const char *why = NULL;
	int i, ret = 0;

	if (!peer || ckpt_unix_key(sk, peer) != ptr)
		ret = ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD lost its peer",
			       task_pid_vnr(ref->task), ref->fd, ref->file);
	if (ret)
		goto out;
	ends[0] = ptr;
	ends[1] = ptr == sk ? peer : sk;
	h.type = sk->sk_type;
	for (i = 0; !ret && i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		ckpt_unix_state(ends[i], &s[i]);
		ckpt_unix_addr(ends[i], &a[i]);
		copy[i] = ckpt_unix_queue(ends[i], &s[i], &size[i], &why);
		if (IS_ERR_OR_NULL(copy[i])) {
			ret = copy[i] ? PTR_ERR(copy[i]) :
			      ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD%s %s",
				       task_pid_vnr(ref->task), ref->fd,
				       ref->file, ends[i] == sk ? "" : ": its peer",
				       why);
			copy[i] = NULL;
		}
	}
	/* both ends, with the names they show, then both queues */
	if (!ret)
		ret = ckpt_write_obj(ctx, &h.h);
	for (i = 0; !ret && i < 2; i++) {
		ret = ckpt_write_obj(ctx, &s[i].h);
		if (!ret && (s[i].flags & CKPT_UNIX_NAMED))
			ret = ckpt_write_obj(ctx, &a[i].h);
	}
	for (i = 0; !ret && i < 2; i++) {
		for (off = 0; !ret && off < size[i]; off += rec->h.len) {
			rec = copy[i] + off;
			ret = ckpt_write_obj(ctx, &rec->h);
		}
	}
	kvfree(copy[0]);
	kvfree(copy[1]);
out:
	if (peer)
		sock_put(peer);
	return ret;
}

/* The pair as restored: the open file of each end, NULL once handed out */
struct ckpt_unix_pair {
	struct kref kref;
	struct file *file[2];
};

static void ckpt_unix_pair_free(struct kref *kref)
{
	struct ckpt_unix_pair *pair = container_of(kref, struct ckpt_unix_pair,
						   kref);

	if (pair->file[0])
		fput(pair->file[0]);
	if (pair->file[1])
		fput(pair->file[1]);
	kfree(pair);
}

static long ckpt_unix_jiffies(s64 ns)
{
	return ns ? max_t(long, nsecs_to_jiffies(ns), 1) : MAX_SCHEDULE_TIMEOUT;
}

/* A buffer size of @h for @sk: as setsockopt() would let the task set it */
static int ckpt_unix_buf(struct ckpt_ctx *ctx, u32 val, u32 max, int *to)
{
	if (val < SOCK_MIN_RCVBUF || val > INT_MAX)
		return ckpt_err(ctx, -EINVAL, "bad unix socket buffer size %u", val);
	if (val > 2 * max && !capable(CAP_NET_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"unix socket buffer of %u bytes: above what the sysctl allows, and no CAP_NET_ADMIN",
				val);
	WRITE_ONCE(*to, val);
	return 0;
}

/* Options of UNIX_SOCK @h on @sock; its queue, shutdown and SO_PASSCRED
 * come later (a socket with SO_PASSCRED that sends binds itself)
 */
static int ckpt_unix_set(struct ckpt_ctx *ctx, struct socket *sock,
			 const struct ckpt_hdr_unix_sock *h)
{
	struct sock *sk = sock->sk;
	int ret = 0;

	lock_sock(sk);
	if (h->flags & CKPT_UNIX_SNDBUF_SET) {
		sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
		ret = ckpt_unix_buf(ctx, h->sndbuf, READ_ONCE(sysctl_wmem_max),
				    &sk->sk_sndbuf);
	}
	if (!ret && (h->flags & CKPT_UNIX_RCVBUF_SET)) {
		sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
		ret = ckpt_unix_buf(ctx, h->rcvbuf, READ_ONCE(sysctl_rmem_max),
				    &sk->sk_rcvbuf);
	}
	WRITE_ONCE(sk->sk_rcvlowat, h->rcvlowat ? : 1);
	WRITE_ONCE(sk->sk_peek_off, h->peek_off);
	WRITE_ONCE(sk->sk_rcvtimeo, ckpt_unix_jiffies(h->rcvtimeo_ns));
	WRITE_ONCE(sk->sk_sndtimeo, ckpt_unix_jiffies(h->sndtimeo_ns));
	release_sock(sk);
	return ret;
}

static int ckpt_unix_read_sock(struct ckpt_ctx *ctx,
			       struct ckpt_hdr_unix_sock *h, int end)
{
	int ret = ckpt_read_obj_type_into(ctx, &h->h, CKPT_HDR_UNIX_SOCK,
					  sizeof(*h));

	if (ret)
		return ret;
	if (h->flags & ~CKPT_UNIX_FLAGS || h->shutdown & ~SHUTDOWN_MASK ||
	    h->sndbuf < SOCK_MIN_SNDBUF || h->sndbuf > INT_MAX ||
	    h->rcvbuf < SOCK_MIN_RCVBUF || h->rcvbuf > INT_MAX ||
	    h->rcvlowat < 0 || h->peek_off < -1 || h->rcvtimeo_ns < 0 ||
	    h->sndtimeo_ns < 0 || h->err < 0 || h->err > MAX_ERRNO ||
	    ((h->flags & CKPT_UNIX_CLOSED) &&
	     (h->nr_skbs || h->flags & CKPT_UNIX_PASSCRED)))
		return ckpt_err(ctx, -EINVAL,
				"bad unix socket end %d: flags %#x, shutdown %#x, buffers %u/%u, low mark %d, peek offset %d, timeouts %lld/%lld ns, error %d, %u messages",
				end, h->flags, h->shutdown, h->sndbuf,
				h->rcvbuf, h->rcvlowat,
				h->peek_off, h->rcvtimeo_ns, h->sndtimeo_ns,
				h->err, h->nr_skbs);
	return 0;
}

/* The receive queue of @to: @nr messages of the image sent by @from, its
 * send buffer raised meanwhile (the data in flight is charged to it).
 */
static int ckpt_unix_fill(struct ckpt_ctx *ctx, struct socket *from,
			  struct socket *to, u32 nr)
{
	struct ckpt_hdr_unix_skb h;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct sock *sk = from->sk;
	int sndbuf = READ_ONCE(sk->sk_sndbuf), ret = 0;
	struct kvec iov;
	void *data = NULL;
	u32 i;

	WRITE_ONCE(sk->sk_sndbuf, INT_MAX / 2);
	for (i = 0; !ret && i < nr; i++) {
		ret = ckpt_read_hdr_type(ctx, &h.h, CKPT_HDR_UNIX_SKB, sizeof(h));
		if (ret)
			break;
		if (h.h.len != sizeof(h) + h.len ||
		    (!h.len && to->sk->sk_type == SOCK_STREAM)) {
			ret = ckpt_err(ctx, -EINVAL, "bad unix socket message of %u bytes",
				       h.len);
			break;
		}
		kvfree(data);
		data = kvmalloc(h.len + 1, GFP_KERNEL_ACCOUNT);
		if (!data) {
			ret = -ENOMEM;
			break;
		}
		ret = ckpt_kread(ctx, data, h.len);
		if (ret)
			break;
		iov.iov_base = data;
		iov.iov_len = h.len;
		ret = kernel_sendmsg(from, &msg, &iov, 1, h.len);
		if (ret == h.len) {
			ret = 0;
			continue;
		}
		ret = ckpt_err(ctx, ret < 0 ? ret : -EIO,
			       "cannot queue a message of %u bytes on a unix socket",
			       h.len);
	}
	kvfree(data);
	WRITE_ONCE(sk->sk_sndbuf, sndbuf);
	return ret;
}

/* A UNIX_ADDR record, checked; its sockaddr_un in @sun, its length */
static int ckpt_unix_read_addr(struct ckpt_ctx *ctx, struct sockaddr_un *sun)
{
	struct ckpt_hdr_unix_addr a;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &a.h, CKPT_HDR_UNIX_ADDR, sizeof(a));
	if (ret)
		return ret;
	/* a path ends with its one NUL; an abstract name is a NUL and more */
	if (a.len < 2 || a.len > sizeof(a.path) ||
	    memchr_inv(a.path + a.len, 0, sizeof(a.path) - a.len) ||
	    (a.path[0] && strnlen(a.path, a.len) != a.len - 1))
		return ckpt_err(ctx, -EINVAL, "bad unix socket address of %u bytes",
				a.len);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, a.path, a.len);
	return offsetof(struct sockaddr_un, sun_path) + a.len;
}

/* The name an accepted socket shows (its listener's): not bound to it */
static int ckpt_unix_show_addr(struct ckpt_ctx *ctx, struct socket *sock)
{
	struct unix_address *addr;
	struct sockaddr_un sun;
	int len;

	len = ckpt_unix_read_addr(ctx, &sun);
	if (len < 0)
		return len;
	addr = kmalloc(sizeof(*addr) + len, GFP_KERNEL_ACCOUNT);
	if (!addr)
		return -ENOMEM;
	refcount_set(&addr->refcnt, 1);
	addr->len = len;
	memcpy(addr->name, &sun, len);
	/* as unix_stream_connect() gives the listener's to the new socket */
	smp_store_release(&unix_sk(sock->sk)->addr, addr);
	return 0;
}

static void *ckpt_unix_pair_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				    int *objref)
{
	struct ckpt_hdr_unix_sock s[2];
	struct socket *sock[2] = { NULL, NULL };
	struct ckpt_unix_pair *pair;
	struct ckpt_hdr_unix_pair *h;
	int i, ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	pair = kzalloc(sizeof(*pair), GFP_KERNEL_ACCOUNT);
	if (!pair) {
		ckpt_hdr_put(ctx, h);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&pair->kref);
	if (h->type != SOCK_STREAM && h->type != SOCK_DGRAM &&
	    h->type != SOCK_SEQPACKET) {
		ret = ckpt_err(ctx, -EINVAL, "bad unix socket pair of type %u",
			       h->type);
		goto out;
	}
	/* made as socketpair() makes them, by and for the task */
	for (i = 0; i < 2; i++) {
		ret = sock_create(AF_UNIX, h->type, 0, &sock[i]);
		if (ret) {
			ckpt_err(ctx, ret, "cannot make a unix socket");
			goto out;
		}
	}
	ret = sock[0]->ops->socketpair(sock[0], sock[1]);
	if (ret) {
		ckpt_err(ctx, ret, "cannot connect a unix socket pair");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		pair->file[i] = sock_alloc_file(sock[i], 0, NULL);
		if (IS_ERR(pair->file[i])) {
			ret = PTR_ERR(pair->file[i]);
			pair->file[i] = NULL;
			/* sock_alloc_file() released it */
			sock[i] = NULL;
			goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		ret = ckpt_unix_read_sock(ctx, &s[i], i);
		if (!ret)
			ret = ckpt_unix_set(ctx, sock[i], &s[i]);
		if (!ret && (s[i].flags & CKPT_UNIX_NAMED))
			ret = ckpt_unix_show_addr(ctx, sock[i]);
		if (ret)
			goto out;
	}
	for (i = 0; i < 2; i++) {
		ret = ckpt_unix_fill(ctx, sock[!i], sock[i], s[i].nr_skbs);
		if (ret)
			goto out;
	}
	if ((s[0].flags & s[1].flags & CKPT_UNIX_CLOSED)) {
		ret = ckpt_err(ctx, -EINVAL, "both ends of a unix socket pair closed");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (s[i].flags & CKPT_UNIX_PASSCRED)
			set_bit(SOCK_PASSCRED, &sock[i]->flags);
		/* shutdown(2)'s how is the mask less one */
		if (s[i].shutdown)
			kernel_sock_shutdown(sock[i], s[i].shutdown - 1);
		WRITE_ONCE(sock[i]->sk->sk_err, s[i].err);
	}
	for (i = 0; i < 2; i++) {
		if (s[i].flags & CKPT_UNIX_CLOSED) {
			fput(pair->file[i]);
			pair->file[i] = NULL;
			/* closed now, before any task of the tree runs */
			task_work_run();
		}
	}
	*objref = h->objref;
	ckpt_hdr_put(ctx, h);
	return pair;
out:
	for (i = 0; i < 2; i++)
		if (sock[i] && !pair->file[i])
			sock_release(sock[i]);
	ckpt_hdr_put(ctx, h);
	kref_put(&pair->kref, ckpt_unix_pair_free);
	return ERR_PTR(ret);
}

/* Make room for binding @sun again: the socket file a socket of the
 * checkpoint left at its path goes, once no socket is found bound to it
 * (a datagram connect tells, without side effects). With the restoring
 * task's rights: it could remove the file itself.
 */
static int ckpt_unix_clear_path(struct ckpt_ctx *ctx,
				const struct sockaddr_un *sun, int len)
{
	struct socket *probe;
	struct dentry *dentry;
	struct vfsmount *mnt;
	struct inode *inode;
	struct path parent;
	int ret;

	/* the file there now: the one probed, the one removed */
	ret = kern_path(sun->sun_path, 0, &parent);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	mnt = mntget(parent.mnt);
	inode = igrab(d_inode(parent.dentry));
	path_put(&parent);
	ret = sock_create(AF_UNIX, SOCK_DGRAM, 0, &probe);
	if (ret)
		goto out;
	ret = security_socket_connect(probe, (struct sockaddr *)sun, len);
	if (!ret)
		ret = kernel_connect(probe, (struct sockaddr *)sun, len,
				     O_NONBLOCK);
	sock_release(probe);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret != -ECONNREFUSED) {
		ckpt_err(ctx, ret ? ret : -EADDRINUSE,
			 "pid %d: a socket is bound at %s, or it cannot be told (%d): the unix socket cannot be bound there again",
			 task_pid_vnr(current), sun->sun_path, ret);
		ret = ret ? ret : -EADDRINUSE;
		goto out;
	}
	/* as unlink(2): write access to the mount first, then the lock */
	ret = mnt_want_write(mnt);
	if (ret)
		goto out;
	dentry = kern_path_locked(sun->sun_path, &parent);
	if (IS_ERR(dentry)) {
		ret = PTR_ERR(dentry) == -ENOENT ? 0 : PTR_ERR(dentry);
		goto drop;
	}
	ret = -EADDRINUSE;
	if (d_is_negative(dentry))
		ret = 0;
	else if (parent.mnt == mnt && d_inode(dentry) == inode &&
		 S_ISSOCK(inode->i_mode))
		ret = security_path_unlink(&parent, dentry);
	if (!ret && d_is_positive(dentry))
		ret = vfs_unlink(mnt_user_ns(parent.mnt), d_inode(parent.dentry),
				 dentry, NULL);
	inode_unlock(d_inode(parent.dentry));
	dput(dentry);
	path_put(&parent);
drop:
	mnt_drop_write(mnt);
out:
	iput(inode);
	mntput(mnt);
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot remove the old socket file %s",
			 task_pid_vnr(current), sun->sun_path);
	return ret;
}

/* listen(), as the system call checks and caps it */
static int ckpt_unix_listen(struct ckpt_ctx *ctx, struct socket *sock,
			    u32 backlog)
{
	int max = READ_ONCE(sock_net(sock->sk)->core.sysctl_somaxconn);
	int ret;

	backlog = min_t(u32, backlog, max);
	ret = security_socket_listen(sock, backlog);
	if (!ret)
		ret = kernel_listen(sock, backlog);
	if (ret)
		ckpt_err(ctx, ret, "cannot listen on a unix socket again");
	return ret;
}

/* bind() to the name of the image, a path's file given @mode */
static int ckpt_unix_bind(struct ckpt_ctx *ctx, struct socket *sock, u32 mode)
{
	struct sockaddr_un sun;
	int len, umask, ret;

	len = ckpt_unix_read_addr(ctx, &sun);
	if (len < 0)
		return len;
	if (sun.sun_path[0]) {
		ret = ckpt_unix_clear_path(ctx, &sun, len);
		if (ret)
			return ret;
	}
	/* the file bind() makes is 0777 less the umask */
	umask = xchg(&current->fs->umask, ~mode & 0777);
	ret = security_socket_bind(sock, (struct sockaddr *)&sun, len);
	if (!ret)
		ret = kernel_bind(sock, (struct sockaddr *)&sun, len);
	xchg(&current->fs->umask, umask);
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot bind a unix socket to %s%s again",
			 task_pid_vnr(current), sun.sun_path[0] ? "" : "@",
			 sun.sun_path[0] ? sun.sun_path : sun.sun_path + 1);
	return ret;
}

/* A socket with no peer: made, bound, or listening */
static struct file *ckpt_unix_lone_restore(struct ckpt_ctx *ctx,
					   const struct ckpt_hdr_file *f)
{
	struct ckpt_hdr_unix_lone l;
	struct ckpt_hdr_unix_sock s;
	struct socket *sock;
	struct file *file;
	bool made;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &l.h, CKPT_HDR_UNIX_LONE, sizeof(l));
	if (!ret)
		ret = ckpt_unix_read_sock(ctx, &s, CKPT_UNIX_LONE);
	if (ret)
		return ERR_PTR(ret);
	/* a socket has a name unless it was only made */
	made = l.state == CKPT_UNIX_MADE;
	if ((l.type != SOCK_STREAM && l.type != SOCK_DGRAM &&
	     l.type != SOCK_SEQPACKET) ||
	    !l.state || l.state >= CKPT_UNIX_LONE_STATE_MAX ||
	    (l.state == CKPT_UNIX_LISTEN && l.type == SOCK_DGRAM) ||
	    l.backlog > INT_MAX || (l.backlog && l.state != CKPT_UNIX_LISTEN) ||
	    l.mode & ~S_IALLUGO || s.nr_skbs || s.shutdown ||
	    s.flags & CKPT_UNIX_CLOSED ||
	    !(s.flags & CKPT_UNIX_NAMED) != made)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad unix socket: type %u, state %u, backlog %u, mode %#o, flags %#x",
					l.type, l.state, l.backlog, l.mode,
					s.flags));
	ret = sock_create(AF_UNIX, l.type, 0, &sock);
	if (ret)
		return ERR_PTR(ckpt_err(ctx, ret, "cannot make a unix socket"));
	ret = ckpt_unix_set(ctx, sock, &s);
	if (!ret && l.state != CKPT_UNIX_MADE)
		ret = ckpt_unix_bind(ctx, sock, l.mode);
	if (!ret && l.state == CKPT_UNIX_LISTEN)
		ret = ckpt_unix_listen(ctx, sock, l.backlog);
	if (ret) {
		sock_release(sock);
		return ERR_PTR(ret);
	}
	if (s.flags & CKPT_UNIX_PASSCRED)
		set_bit(SOCK_PASSCRED, &sock->flags);
	WRITE_ONCE(sock->sk->sk_err, s.err);
	file = sock_alloc_file(sock, f->f_flags & O_NONBLOCK, NULL);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot open a unix socket");
	return file;
}

/* ---- a listening socket with connections waiting, and their clients ---- */

/* One connection waiting: the client, the socket accept() will give */
struct ckpt_unix_conn {
	struct sock *client;
	struct sock *embryo;
	struct ckpt_hdr_unix_sock c;
	struct ckpt_hdr_unix_sock e;
	void *queue;		/* the embryo's: UNIX_SKB records */
	size_t size;
};

/* The connections waiting on @l, in queue order, with references */
static struct ckpt_unix_conn *ckpt_unix_conns(struct sock *l, u32 *nr)
{
	struct ckpt_unix_conn *conns;
	struct sk_buff *skb;
	u32 n = 0, max;

	max = skb_queue_len_lockless(&l->sk_receive_queue);
	conns = kvcalloc(max + 1, sizeof(*conns), GFP_KERNEL);
	if (!conns)
		return ERR_PTR(-ENOMEM);
	/* more may come meanwhile, from outside: those are not saved */
	spin_lock(&l->sk_receive_queue.lock);
	skb_queue_walk(&l->sk_receive_queue, skb) {
		if (n == max)
			break;
		sock_hold(skb->sk);
		conns[n++].embryo = skb->sk;
	}
	spin_unlock(&l->sk_receive_queue.lock);
	*nr = n;
	return conns;
}

static void ckpt_unix_conns_free(struct ckpt_unix_conn *conns, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		kvfree(conns[i].queue);
		if (conns[i].client)
			sock_put(conns[i].client);
		sock_put(conns[i].embryo);
	}
	kvfree(conns);
}

/* Why connection @c of the listener cannot be saved, or NULL */
static const char *ckpt_unix_conn_state(struct ckpt_ctx *ctx,
					struct ckpt_unix_conn *c)
{
	struct ckpt_hdr_unix_addr a;
	const char *why = NULL;
	size_t size = 0;
	void *none;

	c->client = unix_peer_get(c->embryo);
	if (!c->client)
		return "has a connection waiting whose client is gone";
	ckpt_unix_state(c->client, &c->c);
	/* a client closed by its process is made again, then closed */
	if (!(c->c.flags & CKPT_UNIX_CLOSED) &&
	    !ckpt_unix_in_tree(ctx, c->client))
		return "has a connection waiting from a socket outside the tree: not supported";
	if (ckpt_unix_addr(c->client, &a))
		return "has a connection waiting from a socket bound to a name: not supported yet";
	/* nothing can be sent to a client before it is accepted */
	none = ckpt_unix_queue(c->client, &c->c, &size, &why);
	if (IS_ERR(none))
		return "has a connection waiting whose client could not be read";
	kvfree(none);
	if (why || c->c.nr_skbs)
		return why ? why : "has a connection waiting whose client has data queued";
	ckpt_unix_state(c->embryo, &c->e);
	c->e.flags &= ~(CKPT_UNIX_CLOSED | CKPT_UNIX_NAMED);
	c->queue = ckpt_unix_queue(c->embryo, &c->e, &c->size, &why);
	if (IS_ERR(c->queue)) {
		c->queue = NULL;
		return "has a connection waiting whose data could not be read";
	}
	return why;
}

static int ckpt_unix_listen_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				       int objref, const struct ckpt_obj_ref *ref)
{
	struct sock *l = ptr;
	struct ckpt_hdr_unix_listen h = {
		.h.type = CKPT_HDR_UNIX_LISTEN,
		.h.len = sizeof(h),
		.objref = objref,
		.type = l->sk_type,
		.backlog = READ_ONCE(l->sk_max_ack_backlog),
	};
	struct ckpt_hdr_unix_sock s = { };
	struct ckpt_hdr_unix_skb *rec;
	struct ckpt_hdr_unix_addr a;
	struct ckpt_unix_conn *conns;
	const char *why = NULL;
	u32 i, nr = 0;
	size_t off;
	int ret = 0;

	if (!ckpt_unix_bound(l) || !ckpt_unix_addr(l, &a) ||
	    ckpt_obj_outside(ctx, ckpt_unix_file_of(l)))
		return ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD: its listener is unbound or also open outside the tree",
				task_pid_vnr(ref->task), ref->fd, ref->file);
	why = ckpt_unix_name_unsupported(l);
	if (!why && skb_queue_len_lockless(&l->sk_receive_queue) >
		    CKPT_UNIX_MAX_CONNS)
		why = "has more connections waiting than restart takes";
	if (why)
		return ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD: its listener %s",
				task_pid_vnr(ref->task), ref->fd, ref->file,
				why);
	if (a.path[0] && unix_sk(l)->path.dentry)
		h.mode = d_inode(unix_sk(l)->path.dentry)->i_mode & S_IALLUGO;
	conns = ckpt_unix_conns(l, &nr);
	if (IS_ERR(conns))
		return PTR_ERR(conns);
	for (i = 0; !why && i < nr; i++)
		why = ckpt_unix_conn_state(ctx, &conns[i]);
	if (why) {
		ret = ckpt_err(ctx, -EBUSY, "pid %d fd %d: unix socket %pD: its listener %s",
			       task_pid_vnr(ref->task), ref->fd, ref->file,
			       why);
		goto out;
	}
	h.nr_conns = nr;
	ckpt_unix_state(l, &s);
	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret)
		ret = ckpt_write_obj(ctx, &s.h);
	if (!ret)
		ret = ckpt_write_obj(ctx, &a.h);
	for (i = 0; !ret && i < nr; i++) {
		ret = ckpt_write_obj(ctx, &conns[i].c.h);
		if (!ret)
			ret = ckpt_write_obj(ctx, &conns[i].e.h);
		for (off = 0; !ret && off < conns[i].size; off += rec->h.len) {
			rec = conns[i].queue + off;
			ret = ckpt_write_obj(ctx, &rec->h);
		}
	}
out:
	ckpt_unix_conns_free(conns, nr);
	return ret;
}

/* The listener and its clients as restored: each file handed out once */
struct ckpt_unix_listen {
	struct kref kref;
	struct file *listener;
	u32 nr;
	struct file *conn[];
};

static void ckpt_unix_listen_free(struct kref *kref)
{
	struct ckpt_unix_listen *ul = container_of(kref, struct ckpt_unix_listen,
						   kref);
	u32 i;

	if (ul->listener)
		fput(ul->listener);
	for (i = 0; i < ul->nr; i++)
		if (ul->conn[i])
			fput(ul->conn[i]);
	kvfree(ul);
}

/* Connection @i: a client connected to @l, as it sent what it did */
static int ckpt_unix_reconnect(struct ckpt_ctx *ctx, struct ckpt_unix_listen *ul,
			       struct socket *l, u32 i)
{
	struct unix_address *addr = unix_sk(l->sk)->addr;
	struct ckpt_hdr_unix_sock c, e;
	struct socket *sock;
	struct file *file;
	int ret;

	ret = ckpt_unix_read_sock(ctx, &c, 0);
	if (!ret)
		ret = ckpt_unix_read_sock(ctx, &e, 1);
	if (ret)
		return ret;
	if (c.nr_skbs || c.flags & CKPT_UNIX_NAMED ||
	    e.flags & (CKPT_UNIX_NAMED | CKPT_UNIX_CLOSED))
		return ckpt_err(ctx, -EINVAL, "bad waiting connection %u: flags %#x/%#x, %u messages",
				i, c.flags, e.flags, c.nr_skbs);
	ret = sock_create(AF_UNIX, l->type, 0, &sock);
	if (ret)
		return ckpt_err(ctx, ret, "cannot make a unix socket");
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = ckpt_unix_set(ctx, sock, &c);
	if (!ret) {
		ret = security_socket_connect(sock, (struct sockaddr *)addr->name,
					      addr->len);
		if (!ret)
			ret = kernel_connect(sock, (struct sockaddr *)addr->name,
					     addr->len, O_NONBLOCK);
		if (ret)
			ckpt_err(ctx, ret, "cannot connect waiting connection %u to its listener again",
				 i);
	}
	if (!ret)
		ret = ckpt_unix_fill(ctx, sock, sock, e.nr_skbs);
	if (ret) {
		fput(file);
		return ret;
	}
	if (c.flags & CKPT_UNIX_PASSCRED)
		set_bit(SOCK_PASSCRED, &sock->flags);
	if (c.shutdown)
		kernel_sock_shutdown(sock, c.shutdown - 1);
	WRITE_ONCE(sock->sk->sk_err, c.err);
	if (c.flags & CKPT_UNIX_CLOSED) {
		fput(file);
		/* closed now, before any task of the tree runs */
		task_work_run();
		return 0;
	}
	ul->conn[i] = file;
	return 0;
}

static void *ckpt_unix_listen_restore(struct ckpt_ctx *ctx,
				      struct ckpt_hdr *hdr, int *objref)
{
	struct ckpt_hdr_unix_listen *h;
	struct ckpt_hdr_unix_sock s;
	struct ckpt_unix_listen *ul = NULL;
	struct socket *sock = NULL;
	u32 i;
	int ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if ((h->type != SOCK_STREAM && h->type != SOCK_SEQPACKET) ||
	    h->backlog > INT_MAX || h->mode & ~S_IALLUGO || !h->nr_conns ||
	    h->nr_conns > CKPT_UNIX_MAX_CONNS ||
	    h->nr_conns > h->backlog + 1) {
		ret = ckpt_err(ctx, -EINVAL, "bad unix listener: type %u, backlog %u, mode %#o, %u connections",
			       h->type, h->backlog, h->mode, h->nr_conns);
		goto out;
	}
	ret = ckpt_unix_read_sock(ctx, &s, CKPT_UNIX_LISTENER);
	if (!ret && (s.nr_skbs || s.shutdown || !(s.flags & CKPT_UNIX_NAMED) ||
		     s.flags & CKPT_UNIX_CLOSED))
		ret = ckpt_err(ctx, -EINVAL, "bad unix listener: flags %#x", s.flags);
	if (ret)
		goto out;
	ul = kvzalloc(struct_size(ul, conn, h->nr_conns), GFP_KERNEL_ACCOUNT);
	if (!ul) {
		ret = -ENOMEM;
		goto out;
	}
	kref_init(&ul->kref);
	ret = sock_create(AF_UNIX, h->type, 0, &sock);
	if (ret) {
		ckpt_err(ctx, ret, "cannot make a unix socket");
		goto out;
	}
	ret = ckpt_unix_set(ctx, sock, &s);
	if (!ret)
		ret = ckpt_unix_bind(ctx, sock, h->mode);
	if (!ret)
		ret = ckpt_unix_listen(ctx, sock, h->backlog);
	if (ret)
		goto out;
	ul->listener = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(ul->listener)) {
		ret = PTR_ERR(ul->listener);
		ul->listener = NULL;
		sock = NULL;
		goto out;
	}
	ul->nr = h->nr_conns;
	for (i = 0; !ret && i < h->nr_conns; i++)
		ret = ckpt_unix_reconnect(ctx, ul, sock, i);
	if (!ret) {
		if (s.flags & CKPT_UNIX_PASSCRED)
			set_bit(SOCK_PASSCRED, &sock->flags);
		WRITE_ONCE(sock->sk->sk_err, s.err);
	}
out:
	ckpt_hdr_put(ctx, h);
	if (ret) {
		if (sock && (!ul || !ul->listener))
			sock_release(sock);
		if (ul)
			kref_put(&ul->kref, ckpt_unix_listen_free);
		return ERR_PTR(ret);
	}
	return ul;
}

/* The listener, or a client of it, a FILE of the image names */
static struct file *ckpt_unix_listen_take(struct ckpt_ctx *ctx,
					  const struct ckpt_hdr_unix_file *u)
{
	struct ckpt_unix_listen *ul;
	struct file *file = NULL;

	ul = ckpt_obj_restore(ctx, CKPT_OBJ_UNIX_LISTEN);
	if (IS_ERR(ul))
		return ERR_CAST(ul);
	if (u->end == CKPT_UNIX_LISTENER && !u->conn)
		file = xchg(&ul->listener, NULL);
	else if (u->end == CKPT_UNIX_PENDING && u->conn < ul->nr)
		file = xchg(&ul->conn[u->conn], NULL);
	if (!file)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"unix socket %u of a listener (end %u) is closed, taken or not there",
					u->conn, u->end));
	return file;
}

/* The end of a pair a FILE of the image names, with its flags */
static struct file *ckpt_unix_restore(struct ckpt_ctx *ctx,
				      const struct ckpt_hdr_file *h)
{
	struct ckpt_hdr_unix_file u;
	struct ckpt_unix_pair *pair;
	struct file *file;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &u.h, CKPT_HDR_UNIX_FILE, sizeof(u));
	if (ret)
		return ERR_PTR(ret);
	if (u.end == CKPT_UNIX_LONE && !u.conn && S_ISSOCK(h->i_mode) &&
	    (h->f_flags & O_ACCMODE) == O_RDWR)
		return ckpt_unix_lone_restore(ctx, h);
	if ((u.end == CKPT_UNIX_LISTENER || u.end == CKPT_UNIX_PENDING) &&
	    S_ISSOCK(h->i_mode) && (h->f_flags & O_ACCMODE) == O_RDWR) {
		file = ckpt_unix_listen_take(ctx, &u);
		goto flags;
	}
	if (u.end > 1 || u.conn || !S_ISSOCK(h->i_mode) ||
	    (h->f_flags & O_ACCMODE) != O_RDWR)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad unix socket: end %u, mode %#o, flags %#x",
					u.end, h->i_mode, h->f_flags));
	pair = ckpt_obj_restore(ctx, CKPT_OBJ_UNIX_PAIR);
	if (IS_ERR(pair))
		return ERR_CAST(pair);
	/* one open file per socket: each end is handed out once */
	file = xchg(&pair->file[u.end], NULL);
	if (!file)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"end %u of a unix socket pair is closed or taken",
					u.end));
flags:
	if (IS_ERR(file))
		return file;
	spin_lock(&file->f_lock);
	file->f_flags = (file->f_flags & ~O_NONBLOCK) |
			(h->f_flags & O_NONBLOCK);
	spin_unlock(&file->f_lock);
	return file;
}

static const struct ckpt_file_ops ckpt_unix_file_ops = {
	.name = "unix socket",
	.file_type = CKPT_FILE_UNIX,
	.match = ckpt_unix_match,
	.outside = ckpt_unix_outside,
	.collect = ckpt_unix_collect,
	.checkpoint = ckpt_unix_checkpoint,
	.restore = ckpt_unix_restore,
};

static void ckpt_unix_restored_grab(void *ptr)
{
	struct ckpt_unix_pair *pair = ptr;

	kref_get(&pair->kref);
}

static void ckpt_unix_restored_drop(void *ptr)
{
	struct ckpt_unix_pair *pair = ptr;

	kref_put(&pair->kref, ckpt_unix_pair_free);
}

/* saved by the end with the lower address, restored as both open files */
static const struct ckpt_obj_ops ckpt_unix_pair_ops = {
	.name = "unix socket pair",
	.obj_type = CKPT_OBJ_UNIX_PAIR,
	.hdr_type = CKPT_HDR_UNIX_PAIR,
	.ref_grab = ckpt_sock_grab,
	.ref_drop = ckpt_sock_drop,
	.checkpoint = ckpt_unix_pair_checkpoint,
	.restore = ckpt_unix_pair_restore,
	.restored_grab = ckpt_unix_restored_grab,
	.restored_drop = ckpt_unix_restored_drop,
};

static void ckpt_unix_listen_restored_grab(void *ptr)
{
	struct ckpt_unix_listen *ul = ptr;

	kref_get(&ul->kref);
}

static void ckpt_unix_listen_restored_drop(void *ptr)
{
	struct ckpt_unix_listen *ul = ptr;

	kref_put(&ul->kref, ckpt_unix_listen_free);
}

/* saved by the listener or a client, restored as all their files */
static const struct ckpt_obj_ops ckpt_unix_listen_ops = {
	.name = "unix listener with connections waiting",
	.obj_type = CKPT_OBJ_UNIX_LISTEN,
	.hdr_type = CKPT_HDR_UNIX_LISTEN,
	.ref_grab = ckpt_sock_grab,
	.ref_drop = ckpt_sock_drop,
	.checkpoint = ckpt_unix_listen_checkpoint,
	.restore = ckpt_unix_listen_restore,
	.restored_grab = ckpt_unix_listen_restored_grab,
	.restored_drop = ckpt_unix_listen_restored_drop,
};

static int __init ckpt_unix_init(void)
{
	int ret = ckpt_obj_register(&ckpt_unix_pair_ops);

	if (!ret)
		ret = ckpt_obj_register(&ckpt_unix_listen_ops);
	return ret ? ret : ckpt_file_register(&ckpt_unix_file_ops);
}
late_initcall(ckpt_unix_init);
