// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of a network namespace the tree has of its own (a
 * container's): its loopback device, up or down, its MTU and addresses.
 * Any other device is refused at checkpoint, naming it; so is a namespace
 * with more addresses than CKPT_NET_MAX_ADDRS. Routes, rules, neighbours,
 * sysctls and netfilter state are not saved: in a namespace with only a
 * loopback device they are those its addresses make. Fallback tunnel
 * devices (sit0, ...), which the kernel makes in every new namespace,
 * are not saved while they are down.
 *
 * Restart sets the new namespace (made by the restart tool) up as "ip
 * link" and "ip addr" would: through an rtnetlink socket of the restoring
 * task, so it takes the same rights, CAP_NET_ADMIN over the namespace.
 *
 * Image: NET_NS NET_ADDR*
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/inetdevice.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/addrconf.h>
#include <net/if_inet6.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#define CKPT_NET_MAX_ADDRS	64

/* The state of a namespace's loopback device, read under RTNL */
struct ckpt_net_state {
	struct ckpt_hdr_net_ns h;
	struct ckpt_hdr_net_addr addr[CKPT_NET_MAX_ADDRS];
	char other[IFNAMSIZ];	/* a device not saved, or "" */
};

static int ckpt_net_add(struct ckpt_net_state *st, int family, const void *a,
			int len, u8 prefixlen, u8 scope, const char *label)
{
	struct ckpt_hdr_net_addr *r;

	if (st->h.nr_addrs >= CKPT_NET_MAX_ADDRS)
		return -E2BIG;
	r = &st->addr[st->h.nr_addrs++];
	r->h.type = CKPT_HDR_NET_ADDR;
	r->h.len = sizeof(*r);
	r->family = family;
	r->prefixlen = prefixlen;
	r->scope = scope;
	memcpy(r->addr, a, len);
	if (label)
		strscpy(r->label, label, sizeof(r->label));
	return 0;
}

/* Is @dev a fallback tunnel device (sit0, tunl0, ...) the kernel makes in
 * every namespace, left down? It is there again in the new one.
 */
static bool ckpt_net_fallback(struct net_device *dev)
{
	static const char *const kinds[] = {
		"sit", "ipip", "ip6tnl", "gre", "gretap", "ip6gre",
		"ip6gretap", "erspan", "ip6erspan", "vti", "vti6",
	};
	int i;

	if (!(dev->features & NETIF_F_NETNS_LOCAL) || !dev->rtnl_link_ops ||
	    (dev->flags & IFF_UP))
		return false;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(dev->rtnl_link_ops->kind, kinds[i]))
			return true;
	return false;
}

/* The loopback device of @net and its addresses (called under RTNL) */
static int ckpt_net_read(struct net *net, struct ckpt_net_state *st)
{
	struct net_device *dev, *lo = net->loopback_dev;
	struct inet6_ifaddr *ifp;
	struct in_device *in_dev;
	struct inet6_dev *idev;
	struct in_ifaddr *ifa;
	int ret = 0;

	for_each_netdev(net, dev) {
		if (dev != lo && !ckpt_net_fallback(dev)) {
			strscpy(st->other, dev->name, sizeof(st->other));
			return -EBUSY;
		}
	}
	st->h.lo_flags = lo->flags & IFF_UP;
	st->h.lo_mtu = lo->mtu;
	in_dev = __in_dev_get_rtnl(lo);
	if (in_dev) {
		in_dev_for_each_ifa_rtnl(ifa, in_dev) {
			ret = ckpt_net_add(st, AF_INET, &ifa->ifa_local, 4,
					   ifa->ifa_prefixlen, ifa->ifa_scope,
					   ifa->ifa_label);
			if (ret)
				return ret;
		}
	}
	idev = __in6_dev_get(lo);
	if (!idev)
		return 0;
	read_lock_bh(&idev->lock);
	list_for_each_entry(ifp, &idev->addr_list, if_list) {
		/* addresses set by hand: the kernel makes the others */
		if (!(ifp->flags & IFA_F_PERMANENT))
			continue;
		ret = ckpt_net_add(st, AF_INET6, &ifp->addr, 16,
				   ifp->prefix_len, ifp->scope, NULL);
		if (ret)
			break;
	}
	read_unlock_bh(&idev->lock);
	return ret;
}

static int ckpt_net_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
			       const struct ckpt_obj_ref *ref)
{
	struct net *net = ptr;
	struct ckpt_net_state *st;
	int i, ret = 0;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->h.h.type = CKPT_HDR_NET_NS;
	st->h.h.len = sizeof(st->h);
	st->h.objref = objref;
	st->h.own = net != current->nsproxy->net_ns;
	if (st->h.own) {
		rtnl_lock();
		ret = ckpt_net_read(net, st);
		rtnl_unlock();
	}
	if (ret == -EBUSY)
		ckpt_err(ctx, ret, "pid %d: network device %s of the tree's network namespace: only the loopback device is supported",
			 task_pid_vnr(ref->task), st->other);
	else if (ret)
		ckpt_err(ctx, ret, "pid %d: the loopback device of the tree's network namespace has more than %d addresses",
			 task_pid_vnr(ref->task), CKPT_NET_MAX_ADDRS);
	if (!ret)
		ret = ckpt_write_obj(ctx, &st->h.h);
	for (i = 0; !ret && i < st->h.nr_addrs; i++)
		ret = ckpt_write_obj(ctx, &st->addr[i].h);
	kfree(st);
	return ret;
}

/* An rtnetlink socket of the restoring task, in its network namespace */
struct ckpt_rtnl {
	struct socket *sock;
	struct file *file;
	u32 seq;
};

static int ckpt_rtnl_open(struct ckpt_rtnl *nl)
{
	int one = 1, ret;

	ret = sock_create(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, &nl->sock);
	if (ret)
		return ret;
	/* an open file: rtnetlink checks the rights it was opened with */
	nl->file = sock_alloc_file(nl->sock, 0, NULL);
	if (IS_ERR(nl->file)) {
		/* sock_alloc_file() released the socket */
		ret = PTR_ERR(nl->file);
		nl->file = NULL;
		nl->sock = NULL;
		return ret;
	}
	nl->sock->ops->setsockopt(nl->sock, SOL_NETLINK, NETLINK_EXT_ACK,
				  KERNEL_SOCKPTR(&one), sizeof(one));
	nl->sock->ops->setsockopt(nl->sock, SOL_NETLINK, NETLINK_CAP_ACK,
				  KERNEL_SOCKPTR(&one), sizeof(one));
	return 0;
}

/* Send request @skb (consumed) and read its answer; the kernel's reason
 * for a refusal in @why
 */
static int ckpt_rtnl_call(struct ckpt_rtnl *nl, struct sk_buff *skb,
			  char *why, size_t whylen)
{
	struct nlmsghdr *nlh = nlmsg_hdr(skb);
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov;
	struct nlmsgerr *err;
	struct nlattr *attr;
	void *buf;
	int len, ret;

	why[0] = '\0';
	nlh->nlmsg_seq = ++nl->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	iov.iov_base = skb->data;
	iov.iov_len = skb->len;
	ret = kernel_sendmsg(nl->sock, &msg, &iov, 1, skb->len);
	kfree_skb(skb);
	if (ret < 0)
		return ret;
	buf = kmalloc(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = NLMSG_GOODSIZE;
	memset(&msg, 0, sizeof(msg));
	/* rtnetlink answers before sendmsg() returns */
	len = kernel_recvmsg(nl->sock, &msg, &iov, 1, NLMSG_GOODSIZE,
			     MSG_DONTWAIT);
	ret = -EPROTO;
	nlh = buf;
	if (len < 0) {
		ret = len;
	} else if (nlmsg_ok(nlh, len) && nlh->nlmsg_seq == nl->seq &&
		   nlh->nlmsg_type == NLMSG_ERROR &&
		   nlmsg_len(nlh) >= sizeof(*err)) {
		err = nlmsg_data(nlh);
		ret = err->error > 0 || err->error < -MAX_ERRNO ?
		      -EPROTO : err->error;
		attr = nlmsg_find_attr(nlh, sizeof(*err), NLMSGERR_ATTR_MSG);
		if (ret && attr)
			nla_strscpy(why, attr, whylen);
	}
	kfree(buf);
	return ret;
}

static void ckpt_rtnl_close(struct ckpt_rtnl *nl)
{
	if (!IS_ERR_OR_NULL(nl->file))
		fput(nl->file);
	else if (nl->sock)
		sock_release(nl->sock);
}

/* "ip link set lo up mtu M" */
static int ckpt_net_link(struct ckpt_ctx *ctx, struct ckpt_rtnl *nl,
			 const struct ckpt_hdr_net_ns *h)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct sk_buff *skb;
	char why[80];
	int ret;

	skb = nlmsg_new(NLMSG_ALIGN(sizeof(*ifi)) + nla_total_size(4),
			GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, 0, RTM_NEWLINK, sizeof(*ifi), 0);
	ifi = nlmsg_data(nlh);
	memset(ifi, 0, sizeof(*ifi));
	ifi->ifi_index = LOOPBACK_IFINDEX;
	ifi->ifi_flags = h->lo_flags;
	ifi->ifi_change = IFF_UP;
	nla_put_u32(skb, IFLA_MTU, h->lo_mtu);
	nlmsg_end(skb, nlh);
	ret = ckpt_rtnl_call(nl, skb, why, sizeof(why));
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot set the loopback device %s, MTU %u%s%s",
			 task_pid_vnr(current), h->lo_flags ? "up" : "down",
			 h->lo_mtu, why[0] ? ": " : "", why);
	return ret;
}

/* "ip addr add|del" of address @a on the loopback device */
static int ckpt_net_addr(struct ckpt_ctx *ctx, struct ckpt_rtnl *nl, int cmd,
			 const struct ckpt_hdr_net_addr *a)
{
	int len = a->family == AF_INET ? 4 : 16;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct sk_buff *skb;
	char why[80];
	int ret;

	skb = nlmsg_new(NLMSG_ALIGN(sizeof(*ifa)) + 2 * nla_total_size(16) +
			nla_total_size(IFNAMSIZ) + nla_total_size(4), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, 0, cmd, sizeof(*ifa),
			cmd == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = nlmsg_data(nlh);
	memset(ifa, 0, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = a->scope;
	ifa->ifa_index = LOOPBACK_IFINDEX;
	nla_put(skb, IFA_LOCAL, len, a->addr);
	nla_put(skb, IFA_ADDRESS, len, a->addr);
	if (a->family == AF_INET && a->label[0])
		nla_put_string(skb, IFA_LABEL, a->label);
	/* usable at once: a socket of the tree may be bound to it next */
	if (a->family == AF_INET6)
		nla_put_u32(skb, IFA_FLAGS, IFA_F_NODAD);
	nlmsg_end(skb, nlh);
	ret = ckpt_rtnl_call(nl, skb, why, sizeof(why));
	/* a default address the image has not may be gone already */
	if (ret == -EADDRNOTAVAIL && cmd == RTM_DELADDR)
		return 0;
	if (ret && a->family == AF_INET)
		ckpt_err(ctx, ret, "pid %d: cannot %s address %pI4/%u on the loopback device%s%s",
			 task_pid_vnr(current),
			 cmd == RTM_NEWADDR ? "add" : "remove", a->addr,
			 a->prefixlen, why[0] ? ": " : "", why);
	else if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot %s address %pI6c/%u on the loopback device%s%s",
			 task_pid_vnr(current),
			 cmd == RTM_NEWADDR ? "add" : "remove", a->addr,
			 a->prefixlen, why[0] ? ": " : "", why);
	return ret;
}

static bool ckpt_net_addr_valid(const struct ckpt_hdr_net_addr *a)
{
	if (a->family == AF_INET)
		return a->prefixlen <= 32 && !memchr_inv(a->addr + 4, 0, 12) &&
		       memchr(a->label, '\0', sizeof(a->label));
	return a->family == AF_INET6 && a->prefixlen <= 128 &&
	       !memchr_inv(a->label, 0, sizeof(a->label));
}

/* Is @addr of @family (127.0.0.1/8 or ::1/128) among the image's? */
static bool ckpt_net_has(const struct ckpt_hdr_net_addr *addrs, int nr,
			 const struct ckpt_hdr_net_addr *def)
{
	int i;

	for (i = 0; i < nr; i++)
		if (addrs[i].family == def->family &&
		    addrs[i].prefixlen == def->prefixlen &&
		    !memcmp(addrs[i].addr, def->addr, 16))
			return true;
	return false;
}

/* The loopback device of the new namespace, as @h and @addrs say */
static int ckpt_net_setup(struct ckpt_ctx *ctx, const struct ckpt_hdr_net_ns *h,
			  const struct ckpt_hdr_net_addr *addrs)
{
	struct ckpt_hdr_net_addr defs[2] = {
		{ .family = AF_INET, .prefixlen = 8, .addr = { 127, 0, 0, 1 } },
		{ .family = AF_INET6, .prefixlen = 128, .addr[15] = 1 },
	};
	struct ckpt_rtnl nl = { };
	int i, ret;

	ret = ckpt_rtnl_open(&nl);
	if (ret) {
		ckpt_rtnl_close(&nl);
		return ckpt_err(ctx, ret, "pid %d: cannot open an rtnetlink socket",
				task_pid_vnr(current));
	}
	ret = ckpt_net_link(ctx, &nl, h);
	/* going up gave it the default addresses: those the image has not
	 * were taken away
	 */
	for (i = 0; !ret && h->lo_flags && i < ARRAY_SIZE(defs); i++)
		if (!ckpt_net_has(addrs, h->nr_addrs, &defs[i]))
			ret = ckpt_net_addr(ctx, &nl, RTM_DELADDR, &defs[i]);
	for (i = 0; !ret && i < h->nr_addrs; i++)
		ret = ckpt_net_addr(ctx, &nl, RTM_NEWADDR, &addrs[i]);
	ckpt_rtnl_close(&nl);
	return ret;
}

static void *ckpt_net_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
			      int *objref)
{
	struct net *net = current->nsproxy->net_ns;
	struct ckpt_hdr_net_addr *addrs = NULL;
	struct ckpt_hdr_net_ns *h;
	int i, ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if (h->own > 1 || h->lo_flags & ~IFF_UP ||
	    h->nr_addrs > CKPT_NET_MAX_ADDRS ||
	    (!h->own && (h->lo_flags || h->lo_mtu || h->nr_addrs))) {
		ret = ckpt_err(ctx, -EINVAL, "bad NET_NS record: flags %#x, %u addresses",
			       h->lo_flags, h->nr_addrs);
		goto out;
	}
	if (h->own && (net == ctx->coord_net_ns || net == &init_net)) {
		ret = ckpt_err(ctx, -EINVAL,
			       "the tree had a network namespace of its own: restart it in a new one");
		goto out;
	}
	if (h->nr_addrs) {
		addrs = kcalloc(h->nr_addrs, sizeof(*addrs), GFP_KERNEL);
		if (!addrs) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < h->nr_addrs; i++) {
		ret = ckpt_read_obj_type_into(ctx, &addrs[i].h,
					      CKPT_HDR_NET_ADDR,
					      sizeof(addrs[i]));
		if (ret)
			goto out;
		if (!ckpt_net_addr_valid(&addrs[i])) {
			ret = ckpt_err(ctx, -EINVAL,
				       "bad NET_ADDR record: family %u, prefix length %u",
				       addrs[i].family, addrs[i].prefixlen);
			goto out;
		}
	}
	if (h->own)
		ret = ckpt_net_setup(ctx, h, addrs);
out:
	kfree(addrs);
	ckpt_hdr_put(ctx, h);
	if (ret)
		return ERR_PTR(ret);
	return get_net(net);
}

/**
 * ckpt_sock_grab - take a reference to a socket kept in the object hash
 * @ptr: the struct sock
 *
 * The ref_grab of object types keyed by a socket (unix socket pairs and
 * listeners, TCP connections).
 */
void ckpt_sock_grab(void *ptr)
{
	sock_hold(ptr);
}

/**
 * ckpt_sock_drop - drop the reference ckpt_sock_grab() took
 * @ptr: the struct sock
 */
void ckpt_sock_drop(void *ptr)
{
	sock_put(ptr);
}

static void ckpt_net_grab(void *ptr)
{
	get_net(ptr);
}

static void ckpt_net_drop(void *ptr)
{
	put_net(ptr);
}

static const struct ckpt_obj_ops ckpt_net_ops = {
	.name = "network namespace",
	.obj_type = CKPT_OBJ_NET_NS,
	.hdr_type = CKPT_HDR_NET_NS,
	.ref_grab = ckpt_net_grab,
	.ref_drop = ckpt_net_drop,
	.checkpoint = ckpt_net_checkpoint,
	.restore = ckpt_net_restore,
};

static int __init ckpt_net_init(void)
{
	return ckpt_obj_register(&ckpt_net_ops);
}
late_initcall(ckpt_net_init);
