// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint: image header, process tree section, per-task state in tree
 * order, trailer.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/ptrace.h>
#include <linux/pid.h>
#include <linux/utsname.h>
#include <linux/timekeeping.h>

static atomic64_t ckpt_last_id = ATOMIC64_INIT(0);

static int ckpt_write_header(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_header *h;
	struct new_utsname *uts;
	struct timespec64 now;
	int ret;

	h = ckpt_hdr_get(ctx, sizeof(*h), CKPT_HDR_HEADER);
	if (!h)
		return -ENOMEM;
	ktime_get_real_ts64(&now);
	h->magic = CKPT_MAGIC;
	h->version = CKPT_VERSION;
	h->arch = CKPT_ARCH_X86_64;
	h->page_size = PAGE_SIZE;
	h->flags = ctx->uflags;
	if (ctx->kflags & CKPT_CTX_SELF)
		h->flags |= CKPT_IMAGE_SELF;
	h->nr_tasks = ctx->nr_tree;
	if (ctx->kflags & CKPT_CTX_CONTAINER)
		h->flags |= CKPT_IMAGE_CONTAINER;
	h->flags |= ctx->ns_flags;
	h->id = ctx->id;
	h->time_sec = now.tv_sec;
	h->time_nsec = now.tv_nsec;
	h->root_pid = task_pid_vnr(ctx->root_task);

	down_read(&uts_sem);
	uts = utsname();
	memcpy(h->sysname, uts->sysname, CKPT_UTS_LEN);
	memcpy(h->nodename, uts->nodename, CKPT_UTS_LEN);
	memcpy(h->release, uts->release, CKPT_UTS_LEN);
	memcpy(h->version_str, uts->version, CKPT_UTS_LEN);
	memcpy(h->machine, uts->machine, CKPT_UTS_LEN);
	memcpy(h->domainname, uts->domainname, CKPT_UTS_LEN);
	up_read(&uts_sem);

	ret = ckpt_write_obj(ctx, &h->h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

static int ckpt_write_tail(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_tail tail = {
		.h.type = CKPT_HDR_TAIL,
		.h.len = sizeof(tail),
		.magic = CKPT_TAIL_MAGIC,
		.nr_records = ctx->nr_records,
	};

	return ckpt_write_obj(ctx, &tail.h);
}

static struct task_struct *ckpt_get_root(struct ckpt_ctx *ctx, pid_t pid)
{
	struct task_struct *t;

	if (ctx->kflags & CKPT_CTX_SELF) {
		get_task_struct(current);
		return current;
	}
	rcu_read_lock();
	t = find_task_by_vpid(pid);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t)
		ckpt_err(ctx, -ESRCH, "no process with pid %d", pid);
	return t;
}

/* Collect pass of a container checkpoint: who refers to what */
static int ckpt_collect(struct ckpt_ctx *ctx)
{
	int i, j, ret = 0;

	for (i = 0; !ret && i < ctx->nr_tasks; i++)
		ret = ckpt_collect_task(ctx, ctx->tasks[i]);
	for (i = 0; !ret && i < ctx->nr_tasks; i++) {
		for (j = 0; j < i; j++)
			if (ctx->tasks[j]->mm == ctx->tasks[i]->mm)
				break;
		if (j == i)
			ckpt_count_mm_files(ctx, ctx->tasks[i]);
	}
	return ret ? ret : ckpt_obj_leak_check(ctx);
}

/*
 * Save tasks[@i] with its exec_update_lock held for reading, after
 * checking again that it is the task collected, frozen and ours to
 * ptrace: it cannot exec meanwhile, however slowly the image is written.
 */
static int ckpt_checkpoint_locked(struct ckpt_ctx *ctx, int i)
{
	struct task_struct *t = ctx->tasks[i];
	int ret;

	ret = down_read_killable(&t->signal->exec_update_lock);
	if (ret)
		return -EINTR;
	ret = ckpt_recheck_task(ctx, i);
	if (!ret)
		ret = ckpt_checkpoint_task(ctx, t);
	up_read(&t->signal->exec_update_lock);
	return ret;
}

/**
 * do_checkpoint - write the image of a task to ctx->file
 * @ctx: checkpoint context
 * @pid: the task (ignored for a self-checkpoint)
 *
 * Return: the checkpoint id (> 0) or a negative errno.
 */
long do_checkpoint(struct ckpt_ctx *ctx, pid_t pid)
{
	int i, ret;

	ctx->root_task = ckpt_get_root(ctx, pid);
	if (!ctx->root_task)
		return -ESRCH;
	ret = ckpt_collect_tree(ctx);
	if (!ret)
		ret = ckpt_check_ns(ctx, &ctx->ns_flags);
	if (ret)
		return ret;
	/* a tree that is not a subtree must not share anything outside */
	if (!(ctx->uflags & CHECKPOINT_SUBTREE) &&
	    !(ctx->kflags & CKPT_CTX_SELF)) {
		ret = ckpt_collect(ctx);
		if (ret)
			return ret;
		ctx->kflags |= CKPT_CTX_LEAKCHECK;
	}

	ctx->id = atomic64_inc_return(&ckpt_last_id);
	ret = ckpt_write_header(ctx);
	if (!ret)
		ret = ckpt_write_arch_header(ctx);
	if (!ret)
		ret = ckpt_write_tree(ctx);
	for (i = 0; !ret && i < ctx->nr_tasks; i++)
		ret = ckpt_checkpoint_locked(ctx, i);
	if (!ret && (ctx->kflags & CKPT_CTX_LEAKCHECK))
		ret = ckpt_obj_check_visited(ctx);
	if (!ret)
		ret = ckpt_write_tail(ctx);
	if (ret) {
		if (!ckpt_get_error(ctx))
			ckpt_err(ctx, ret, "checkpoint failed at offset %lld",
				 ctx->pos);
		return ret;
	}
	ckpt_msg(ctx, "checkpoint %llu of pid %d: %d tasks, %lld bytes, %llu records",
		 ctx->id, task_pid_vnr(ctx->root_task), ctx->nr_tree, ctx->pos,
		 ctx->nr_records);
	return ctx->id;
}
