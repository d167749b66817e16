// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces. The UTS namespace's host and domain names are saved once
 * per namespace; a tree with a UTS namespace of its own is restarted in
 * a new one (the restart tool makes it): restart never renames the
 * restarter's host. An IPC namespace is saved the same way, with its
 * SysV IPC objects if it is the tree's own (ipc/checkpoint.c), and so is
 * a network namespace, with its loopback device (net/core/checkpoint.c).
 * A mount namespace of the tree's own is flagged in the header and comes
 * back new, as a copy of the restarter's.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/capability.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/ipc_namespace.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

static int ckpt_uts_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
			       const struct ckpt_obj_ref *ref)
{
	struct uts_namespace *ns = ptr;
	struct ckpt_hdr_uts_ns h = {
		.h.type = CKPT_HDR_UTS_NS,
		.h.len = sizeof(h),
		.objref = objref,
		.own = ns != current->nsproxy->uts_ns,
	};

	down_read(&uts_sem);
	memcpy(h.nodename, ns->name.nodename, CKPT_UTS_LEN);
	memcpy(h.domainname, ns->name.domainname, CKPT_UTS_LEN);
	up_read(&uts_sem);
	return ckpt_write_obj(ctx, &h.h);
}

static void *ckpt_uts_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
			      int *objref)
{
	struct uts_namespace *ns = current->nsproxy->uts_ns;
	struct ckpt_hdr_uts_ns *h;
	int ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	h->nodename[CKPT_UTS_LEN - 1] = '\0';
	h->domainname[CKPT_UTS_LEN - 1] = '\0';
	if (h->own > 1) {
		ret = ckpt_err(ctx, -EINVAL, "bad UTS_NS record");
	} else if (h->own && (ns == ctx->coord_uts_ns || ns == &init_uts_ns)) {
		ret = ckpt_err(ctx, -EINVAL,
			       "the tree had a UTS namespace of its own: restart it in a new one");
	} else if (h->own) {
		/* sethostname()'s rule */
		if (!ns_capable(ns->user_ns, CAP_SYS_ADMIN)) {
			ret = ckpt_err(ctx, -EPERM, "no permission to set the host name");
		} else {
			down_write(&uts_sem);
			memcpy(ns->name.nodename, h->nodename, CKPT_UTS_LEN);
			memcpy(ns->name.domainname, h->domainname, CKPT_UTS_LEN);
			up_write(&uts_sem);
			uts_proc_notify(UTS_PROC_HOSTNAME);
			uts_proc_notify(UTS_PROC_DOMAINNAME);
		}
	}
	kfree(h);
	if (ret)
		return ERR_PTR(ret);
	get_uts_ns(ns);
	return ns;
}

static void ckpt_uts_grab(void *ptr)
{
	get_uts_ns(ptr);
}

static void ckpt_uts_drop(void *ptr)
{
	put_uts_ns(ptr);
}

static const struct ckpt_obj_ops ckpt_uts_ops = {
	.name = "UTS namespace",
	.obj_type = CKPT_OBJ_UTS_NS,
	.hdr_type = CKPT_HDR_UTS_NS,
	.ref_grab = ckpt_uts_grab,
	.ref_drop = ckpt_uts_drop,
	.checkpoint = ckpt_uts_checkpoint,
	.restore = ckpt_uts_restore,
};

static struct uts_namespace *ckpt_get_uts(struct task_struct *t)
{
	struct uts_namespace *ns = NULL;

	task_lock(t);
	if (t->nsproxy) {
		ns = t->nsproxy->uts_ns;
		get_uts_ns(ns);
	}
	task_unlock(t);
	return ns;
}

static struct net *ckpt_get_net(struct task_struct *t)
{
	struct net *net = NULL;

	task_lock(t);
	if (t->nsproxy)
		net = get_net(t->nsproxy->net_ns);
	task_unlock(t);
	return net;
}

static struct ipc_namespace *ckpt_get_ipc(struct task_struct *t)
{
	struct ipc_namespace *ns = NULL;

	task_lock(t);
	if (t->nsproxy)
		ns = get_ipc_ns(t->nsproxy->ipc_ns);
	task_unlock(t);
	return ns;
}

/**
 * ckpt_checkpoint_ns - save a task's namespaces (once per namespace)
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_ns(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	struct uts_namespace *ns = ckpt_get_uts(t);
	struct ipc_namespace *ipc = ckpt_get_ipc(t);
	struct net *net = ckpt_get_net(t);
	int ret = -EBUSY;

	if (!ns || !ipc || !net) {
		ckpt_err(ctx, ret, "pid %d has no namespaces", task_pid_vnr(t));
		goto out;
	}
	ret = ckpt_obj_checkpoint(ctx, ns, CKPT_OBJ_UTS_NS, &ref);
	if (ret >= 0)
		ret = ckpt_obj_checkpoint(ctx, ipc, CKPT_OBJ_IPC_NS, &ref);
	if (ret >= 0)
		ret = ckpt_obj_checkpoint(ctx, net, CKPT_OBJ_NET_NS, &ref);
out:
	if (ns)
		put_uts_ns(ns);
	if (ipc)
		put_ipc_ns(ipc);
	if (net)
		put_net(net);
	return ret < 0 ? ret : 0;
}

/**
 * ckpt_collect_ns - collect pass: note a task's namespaces
 * @ctx: checkpoint context
 * @t: the task
 *
 * Namespaces are referenced from outside by design (any task may join
 * them): they are not leak-checked.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_ns(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct uts_namespace *ns = ckpt_get_uts(t);
	struct ipc_namespace *ipc = ckpt_get_ipc(t);
	struct net *net = ckpt_get_net(t);
	int ret = 0;

	if (ns)
		ret = ckpt_obj_collect(ctx, ns, CKPT_OBJ_UTS_NS, true);
	if (ipc && !ret)
		ret = ckpt_obj_collect(ctx, ipc, CKPT_OBJ_IPC_NS, true);
	if (net && !ret)
		ret = ckpt_obj_collect(ctx, net, CKPT_OBJ_NET_NS, true);
	if (ns)
		put_uts_ns(ns);
	if (ipc)
		put_ipc_ns(ipc);
	if (net)
		put_net(net);
	return ret;
}

/**
 * ckpt_restore_ns - restore the caller's namespaces
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_ns(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct uts_namespace *ns = ckpt_obj_restore(ctx, CKPT_OBJ_UTS_NS);
	struct ipc_namespace *ipc;
	struct net *net;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	if (ns != current->nsproxy->uts_ns)
		return ckpt_err(ctx, -EINVAL,
				"tasks of one UTS namespace restarted in different ones");
	ipc = ckpt_obj_restore(ctx, CKPT_OBJ_IPC_NS);
	if (IS_ERR(ipc))
		return PTR_ERR(ipc);
	if (ipc != current->nsproxy->ipc_ns)
		return ckpt_err(ctx, -EINVAL,
				"tasks of one IPC namespace restarted in different ones");
	net = ckpt_obj_restore(ctx, CKPT_OBJ_NET_NS);
	if (IS_ERR(net))
		return PTR_ERR(net);
	if (net != current->nsproxy->net_ns)
		return ckpt_err(ctx, -EINVAL,
				"tasks of one network namespace restarted in different ones");
	return 0;
}

/**
 * ckpt_check_ns - check the tree's namespaces and tell which are its own
 * @ctx: checkpoint context, tasks collected
 * @flags: set to the CKPT_IMAGE_OWN_* namespaces of the root
 *
 * Every task must share the root's UTS, IPC, mount and network
 * namespaces (nested ones are not supported yet). Namespaces other than
 * the checkpointer's are recreated at restart: the UTS names are saved,
 * the IPC namespace's SysV objects are saved, the others come back new.
 * POSIX message queues are not saved yet: an IPC namespace of the tree's
 * own must have none.
 *
 * Return: 0, or -EBUSY naming the task or namespace.
 */
int ckpt_check_ns(struct ckpt_ctx *ctx, u32 *flags)
{
	struct nsproxy *root, *mine = current->nsproxy, *ns;
	int i, ret = 0;

	*flags = 0;
	task_lock(ctx->root_task);
	root = ctx->root_task->nsproxy;
	if (root)
		get_nsproxy(root);
	task_unlock(ctx->root_task);
	if (!root)
		return ckpt_err(ctx, -EBUSY, "the root has no namespaces");

	for (i = 0; !ret && i < ctx->nr_tasks; i++) {
		struct task_struct *t = ctx->tasks[i];
		const char *which = NULL;

		task_lock(t);
		ns = t->nsproxy;
		if (!ns)
			which = "any";
		else if (ns->uts_ns != root->uts_ns)
			which = "UTS";
		else if (ns->ipc_ns != root->ipc_ns)
			which = "IPC";
		else if (ns->mnt_ns != root->mnt_ns)
			which = "mount";
		else if (ns->net_ns != root->net_ns)
			which = "network";
		task_unlock(t);
		if (which)
			ret = ckpt_err(ctx, -EBUSY,
				       "pid %d is not in the root's %s namespace: nested namespaces are not supported yet",
				       task_pid_vnr(t), which);
	}
	if (root->uts_ns != mine->uts_ns)
		*flags |= CKPT_IMAGE_OWN_UTS;
	if (root->ipc_ns != mine->ipc_ns) {
		*flags |= CKPT_IMAGE_OWN_IPC;
		if (!ret && READ_ONCE(root->ipc_ns->mq_queues_count))
			ret = ckpt_err(ctx, -EBUSY,
				       "the tree's IPC namespace holds %u POSIX message queues: not supported yet",
				       READ_ONCE(root->ipc_ns->mq_queues_count));
	}
	if (root->mnt_ns != mine->mnt_ns)
		*flags |= CKPT_IMAGE_OWN_MNT;
	if (root->net_ns != mine->net_ns)
		*flags |= CKPT_IMAGE_OWN_NET;
	put_nsproxy(root);
	return ret;
}

static int __init ckpt_ns_init(void)
{
	return ckpt_obj_register(&ckpt_uts_ops);
}
late_initcall(ckpt_ns_init);
