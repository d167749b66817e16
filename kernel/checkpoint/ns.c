// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces. For now the UTS namespace: its host and domain names are
 * saved once per namespace. A tree with a UTS namespace of its own must
 * be restarted in a new one (the restart tool makes it): restart never
 * renames the restarter's host.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/capability.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/user_namespace.h>

static int ckpt_uts_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref)
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
	} else if (h->own && ns == ctx->coord_uts_ns) {
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

/**
 * ckpt_checkpoint_ns - save a task's namespaces (once per namespace)
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_ns(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct uts_namespace *ns = ckpt_get_uts(t);
	int ret;

	if (!ns)
		return ckpt_err(ctx, -EBUSY, "pid %d has no namespaces",
				task_pid_vnr(t));
	ret = ckpt_obj_checkpoint(ctx, ns, CKPT_OBJ_UTS_NS);
	put_uts_ns(ns);
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
	int ret = 0;

	if (ns)
		ret = ckpt_obj_collect(ctx, ns, CKPT_OBJ_UTS_NS, true);
	if (ns)
		put_uts_ns(ns);
	return ret;
}

/**
 * ckpt_restore_ns - restore the caller's namespaces
 * @ctx: restart context
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_ns(struct ckpt_ctx *ctx)
{
	struct uts_namespace *ns = ckpt_obj_restore(ctx, CKPT_OBJ_UTS_NS);

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	if (ns != current->nsproxy->uts_ns)
		return ckpt_err(ctx, -EINVAL,
				"tasks of one UTS namespace restarted in different ones");
	return 0;
}

/**
 * ckpt_image_own_uts - does the root live in a UTS namespace of its own?
 * @t: the root of a checkpoint
 *
 * Return: true when its UTS namespace is not the checkpointer's.
 */
bool ckpt_image_own_uts(struct task_struct *t)
{
	struct uts_namespace *ns = ckpt_get_uts(t);
	bool own = ns && ns != current->nsproxy->uts_ns;

	if (ns)
		put_uts_ns(ns);
	return own;
}

static int __init ckpt_ns_init(void)
{
	return ckpt_obj_register(&ckpt_uts_ops);
}
late_initcall(ckpt_ns_init);
