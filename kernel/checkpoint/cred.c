// SPDX-License-Identifier: GPL-2.0
/*
 * Credentials: user and group ids and supplementary groups. A restarted
 * task gets them back only through the checks of setgroups(),
 * setresgid(), setresuid() and setfs[ug]id(), from the restarter's own
 * credentials: an image can ask for ids, never grant them.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include "../uid16.h"
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/securebits.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

static u64 ckpt_cap_to_u64(kernel_cap_t c)
{
	return c.cap[0] | (u64)c.cap[1] << 32;
}

static kernel_cap_t ckpt_u64_to_cap(u64 v)
{
	kernel_cap_t c = { { (u32)v, (u32)(v >> 32) } };

	return c;
}

/* A CRED record of @cred's ids, as the caller's user namespace sees them */
static struct ckpt_hdr_cred *ckpt_cred_record(struct ckpt_ctx *ctx,
					      const struct cred *cred)
{
	struct user_namespace *ns = current_user_ns();
	struct group_info *gi = cred->group_info;
	struct ckpt_hdr_cred *h;
	u32 *groups;
	int i;

	h = ckpt_hdr_get(ctx, sizeof(*h) + gi->ngroups * sizeof(u32),
			 CKPT_HDR_CRED);
	if (!h)
		return NULL;
	h->uid = from_kuid_munged(ns, cred->uid);
	h->euid = from_kuid_munged(ns, cred->euid);
	h->suid = from_kuid_munged(ns, cred->suid);
	h->fsuid = from_kuid_munged(ns, cred->fsuid);
	h->gid = from_kgid_munged(ns, cred->gid);
	h->egid = from_kgid_munged(ns, cred->egid);
	h->sgid = from_kgid_munged(ns, cred->sgid);
	h->fsgid = from_kgid_munged(ns, cred->fsgid);
	h->cap_inheritable = ckpt_cap_to_u64(cred->cap_inheritable);
	h->cap_permitted = ckpt_cap_to_u64(cred->cap_permitted);
	h->cap_effective = ckpt_cap_to_u64(cred->cap_effective);
	h->cap_bset = ckpt_cap_to_u64(cred->cap_bset);
	h->cap_ambient = ckpt_cap_to_u64(cred->cap_ambient);
	h->securebits = cred->securebits;
	h->ngroups = gi->ngroups;
	groups = (u32 *)(h + 1);
	for (i = 0; i < gi->ngroups; i++)
		groups[i] = from_kgid_munged(ns, gi->gid[i]);
	return h;
}

static int ckpt_cred_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_cred *h = ckpt_cred_record(ctx, ptr);
	int ret;

	if (!h)
		return -ENOMEM;
	h->objref = objref;
	ret = ckpt_write_obj(ctx, &h->h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

static bool ckpt_groups_equal(const struct group_info *a,
			      const struct group_info *b)
{
	int i;

	if (a->ngroups != b->ngroups)
		return false;
	for (i = 0; i < a->ngroups; i++)
		if (!gid_eq(a->gid[i], b->gid[i]))
			return false;
	return true;
}

/*
 * Take @h's capability sets and securebits, once the ids are taken (they
 * may have cleared the capabilities), within what the restarting task
 * had before (@old): its permitted and bounding sets, and CAP_SETPCAP to
 * change securebits. The sets must be consistent as capset() and the
 * ambient rules keep them.
 */
static int ckpt_apply_caps(struct ckpt_ctx *ctx, const struct ckpt_hdr_cred *h,
			   const struct cred *old)
{
	u64 all = ckpt_cap_to_u64(CAP_FULL_SET);
	u64 old_perm = ckpt_cap_to_u64(old->cap_permitted);
	u64 old_bset = ckpt_cap_to_u64(old->cap_bset);
	struct cred *new;

	if ((h->cap_inheritable | h->cap_permitted | h->cap_effective |
	     h->cap_bset | h->cap_ambient) & ~all ||
	    h->cap_effective & ~h->cap_permitted ||
	    h->cap_ambient & ~(h->cap_permitted & h->cap_inheritable) ||
	    h->securebits & ~(SECURE_ALL_BITS | SECURE_ALL_LOCKS))
		return ckpt_err(ctx, -EINVAL,
				"inconsistent capabilities (permitted %#llx, effective %#llx, ambient %#llx, securebits %#x)",
				h->cap_permitted, h->cap_effective,
				h->cap_ambient, h->securebits);
	if (h->cap_permitted & ~old_perm || h->cap_bset & ~old_bset ||
	    h->cap_inheritable & ~(old_perm | ckpt_cap_to_u64(old->cap_inheritable)) ||
	    (h->securebits != current_cred()->securebits &&
	     !cap_raised(old->cap_effective, CAP_SETPCAP)))
		return ckpt_err(ctx, -EPERM,
				"capabilities beyond the restarter's (permitted %#llx of %#llx, bounding %#llx of %#llx, securebits %#x)",
				h->cap_permitted, old_perm, h->cap_bset, old_bset,
				h->securebits);
	new = prepare_creds();
	if (!new)
		return -ENOMEM;
	new->cap_inheritable = ckpt_u64_to_cap(h->cap_inheritable);
	new->cap_permitted = ckpt_u64_to_cap(h->cap_permitted);
	new->cap_effective = ckpt_u64_to_cap(h->cap_effective);
	new->cap_bset = ckpt_u64_to_cap(h->cap_bset);
	new->cap_ambient = ckpt_u64_to_cap(h->cap_ambient);
	new->securebits = h->securebits;
	return commit_creds(new);
}

/* Become @h's ids by the same rules as the system calls */
static int ckpt_apply_only_ids(struct ckpt_ctx *ctx,
			       const struct ckpt_hdr_cred *h)
{
	struct user_namespace *ns = current_user_ns();
	const u32 *groups = (const u32 *)(h + 1);
	struct group_info *gi;
	long ret;
	int i;

	gi = groups_alloc(h->ngroups);
	if (!gi)
		return -ENOMEM;
	for (i = 0; i < h->ngroups; i++) {
		gi->gid[i] = make_kgid(ns, groups[i]);
		if (!gid_valid(gi->gid[i])) {
			put_group_info(gi);
			return ckpt_err(ctx, -EINVAL, "group %u has no mapping",
					groups[i]);
		}
	}
	groups_sort(gi);
	if (!ckpt_groups_equal(gi, current_cred()->group_info)) {
		ret = may_setgroups() ? set_current_groups(gi) : -EPERM;
		if (ret) {
			put_group_info(gi);
			return ckpt_err(ctx, ret,
					"no permission to set %u supplementary groups",
					h->ngroups);
		}
	}
	put_group_info(gi);

	ret = __sys_setresgid(h->gid, h->egid, h->sgid);
	if (!ret) {
		__sys_setfsgid(h->fsgid);
		if (!gid_eq(current_fsgid(), make_kgid(ns, h->fsgid)))
			ret = -EPERM;
	}
	if (ret)
		return ckpt_err(ctx, ret, "no permission to take group ids %u/%u/%u",
				h->gid, h->egid, h->sgid);
	ret = __sys_setresuid(h->uid, h->euid, h->suid);
	if (!ret) {
		__sys_setfsuid(h->fsuid);
		if (!uid_eq(current_fsuid(), make_kuid(ns, h->fsuid)))
			ret = -EPERM;
	}
	if (ret)
		return ckpt_err(ctx, ret, "no permission to take user ids %u/%u/%u",
				h->uid, h->euid, h->suid);
	return 0;
}

/* Become @h's ids by the same rules as the system calls, then its caps */
static int ckpt_apply_ids(struct ckpt_ctx *ctx, const struct ckpt_hdr_cred *h)
{
	const struct cred *old = get_current_cred();
	int ret;

	ret = ckpt_apply_only_ids(ctx, h);
	if (!ret)
		ret = ckpt_apply_caps(ctx, h, old);
	put_cred(old);
	return ret;
}

static void *ckpt_cred_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
			       int *objref)
{
	struct ckpt_hdr_cred *h;
	size_t size;
	int ret;

	if (hdr->len < sizeof(*h) || hdr->len > sizeof(*h) + NGROUPS_MAX * sizeof(u32))
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "bad CRED record length %u",
					hdr->len));
	size = hdr->len;
	h = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->h = *hdr;
	ret = ckpt_read_body(ctx, &h->h, size);
	if (!ret && size != sizeof(*h) + h->ngroups * sizeof(u32))
		ret = ckpt_err(ctx, -EINVAL, "CRED record of %u groups has %zu bytes",
			       h->ngroups, size);
	if (!ret)
		ret = ckpt_apply_ids(ctx, h);
	*objref = h->objref;
	kvfree(h);
	return ret ? ERR_PTR(ret) : (void *)get_current_cred();
}

/* Take the ids of a credential another task of the restart restored */
static int ckpt_share_cred(struct ckpt_ctx *ctx, const struct cred *cred)
{
	struct ckpt_hdr_cred *h = ckpt_cred_record(ctx, cred);
	int ret;

	if (!h)
		return -ENOMEM;
	ret = ckpt_apply_ids(ctx, h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_checkpoint_cred - save a task's credentials (once per cred)
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_cred(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	const struct cred *cred = get_task_cred(t);
	int ret;

	ret = ckpt_obj_checkpoint(ctx, (void *)cred, CKPT_OBJ_CRED, &ref);
	put_cred(cred);
	return ret < 0 ? ret : 0;
}

/**
 * ckpt_collect_cred - collect pass: note a task's credentials
 * @ctx: checkpoint context
 * @t: the task
 *
 * Credentials are referenced from all over the kernel (open files keep
 * the opener's): they are collected for the real pass, not leak-checked.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_cred(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct cred *cred = get_task_cred(t);
	int ret;

	ret = ckpt_obj_collect(ctx, (void *)cred, CKPT_OBJ_CRED, true);
	put_cred(cred);
	return ret;
}

/**
 * ckpt_restore_cred - give the caller its saved credentials
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * Return: 0 or a negative errno (-EPERM when the restarter may not).
 */
int ckpt_restore_cred(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	const struct cred *cred = ckpt_obj_restore(ctx, CKPT_OBJ_CRED);

	if (IS_ERR(cred))
		return PTR_ERR(cred);
	if (cred == current_cred())
		return 0;
	return ckpt_share_cred(ctx, cred);
}

static void ckpt_cred_grab(void *ptr)
{
	get_cred(ptr);
}

static void ckpt_cred_drop(void *ptr)
{
	put_cred(ptr);
}

static const struct ckpt_obj_ops ckpt_cred_ops = {
	.name = "credentials",
	.obj_type = CKPT_OBJ_CRED,
	.hdr_type = CKPT_HDR_CRED,
	.ref_grab = ckpt_cred_grab,
	.ref_drop = ckpt_cred_drop,
	.checkpoint = ckpt_cred_checkpoint,
	.restore = ckpt_cred_restore,
};

static int __init ckpt_cred_init(void)
{
	return ckpt_obj_register(&ckpt_cred_ops);
}
late_initcall(ckpt_cred_init);
