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
#include <linux/slab.h>
#include <linux/mm.h>

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
		.nr_records = ctx->own.nr_records,
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

/*
 * Collect pass: who refers to what, and what is also used from outside
 * the tree (an error when @report, in a container checkpoint)
 */
static int ckpt_collect(struct ckpt_ctx *ctx, bool report)
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
	return ret ? ret : ckpt_obj_leak_check(ctx, report);
}

/*
 * HOLDING A TASK
 *
 * A task is saved with its exec_update_lock held for reading (as kcmp()
 * and mm_access() hold it), after checking again that it is the task
 * collected, frozen and ours to ptrace: it cannot exec meanwhile. But
 * the image and the log are the caller's files, pipes maybe, and a
 * reader of /proc/PID/ files spliced into such a pipe holds the pipe's
 * mutex and then wants that exec_update_lock: writing to them under it
 * could deadlock. So while it is held, image bytes go to ctx->hold.buf
 * and log lines to ctx->hold.log, and are written once it is dropped:
 * after the task, or when the buffer is full. Memory pages, the bulk,
 * are not copied there: they are written from the pages, pinned under
 * the lock, with the lock dropped (ckpt_write_pinned()). Then the lock
 * is taken again and the task checked again: one that ran a new program
 * or took other credentials in between ends the checkpoint. Whatever
 * reaches the caller was read from the task the caller may save, with
 * no lock held while it is written.
 */

/* Take tasks[@i]'s exec_update_lock and check the task again. */
static int ckpt_hold_task(struct ckpt_ctx *ctx, int i)
{
	struct task_struct *t = ctx->tasks[i];

	if (down_read_killable(&t->signal->exec_update_lock))
		return -EINTR;
	ctx->hold.task = t;
	ctx->hold.idx = i;
	return ckpt_recheck_task(ctx, i);
}

/* Drop the lock, if held, and write what was held back. */
static int ckpt_release_task(struct ckpt_ctx *ctx)
{
	struct ckpt_hold *hold = &ctx->hold;
	struct kvec vec = { .iov_base = hold->buf, .iov_len = hold->len };
	struct iov_iter iter;
	int ret = 0;

	if (hold->task) {
		up_read(&hold->task->signal->exec_update_lock);
		hold->task = NULL;
	}
	if (hold->log_lost)
		hold->loglen += scnprintf(hold->log + hold->loglen,
					  CKPT_HOLD_LOG - hold->loglen,
					  "[%d:checkpoint] %u log lines lost\n",
					  task_pid_vnr(current),
					  hold->log_lost);
	if (hold->loglen && !mutex_lock_killable(&ctx->log_lock)) {
		ckpt_log_write(ctx, hold->log, hold->loglen);
		mutex_unlock(&ctx->log_lock);
	}
	hold->loglen = 0;
	hold->log_lost = 0;
	if (hold->len) {
		iov_iter_kvec(&iter, WRITE, &vec, 1, hold->len);
		ret = ckpt_image_write(ctx, &iter);
		hold->len = 0;
	}
	return ret;
}

/**
 * ckpt_hold_append - hold back image bytes while a task is saved
 * @ctx: checkpoint context, with ctx->hold.task set
 * @iter: the bytes (consumed)
 *
 * When the buffer is full, writes it out with the lock dropped and takes
 * the lock again (see HOLDING A TASK).
 *
 * Return: 0 or a negative errno.
 */
int ckpt_hold_append(struct ckpt_ctx *ctx, struct iov_iter *iter)
{
	struct ckpt_hold *hold = &ctx->hold;
	size_t n;
	int ret;

	while (iov_iter_count(iter)) {
		if (hold->len == CKPT_HOLD_SIZE) {
			ret = ckpt_release_task(ctx);
			if (!ret)
				ret = ckpt_hold_task(ctx, hold->idx);
			if (ret)
				return ret;
		}
		n = min_t(size_t, iov_iter_count(iter),
			  CKPT_HOLD_SIZE - hold->len);
		if (copy_from_iter(hold->buf + hold->len, n, iter) != n)
			return -EFAULT;
		hold->len += n;
	}
	return 0;
}

/**
 * ckpt_write_pinned - write data pinned while the task was held
 * @ctx: checkpoint context
 * @vec: the buffers (consumed)
 * @nr: number of buffers
 * @len: their total length
 *
 * For the bulk of an image, page contents: pages of an mm pinned while
 * the task's exec_update_lock was held, taken from it while it still
 * was, so from before any exec (an exec gives the task a new mm, this
 * one stays as it was). They are written straight from the pages, not
 * copied into the hold buffer, with the lock dropped; then it is taken
 * again and the task checked again (see HOLDING A TASK).
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_pinned(struct ckpt_ctx *ctx, struct kvec *vec, int nr,
		      size_t len)
{
	int i = ctx->hold.idx, ret;

	if (!ctx->hold.task)
		return ckpt_kwritev(ctx, vec, nr, len);
	ret = ckpt_release_task(ctx);
	if (!ret)
		ret = ckpt_kwritev(ctx, vec, nr, len);
	if (!ret)
		ret = ckpt_hold_task(ctx, i);
	return ret;
}

static int ckpt_checkpoint_held(struct ckpt_ctx *ctx, int i)
{
	int ret, ret2;

	ret = ckpt_hold_task(ctx, i);
	if (!ret)
		ret = ckpt_checkpoint_task(ctx, ctx->tasks[i]);
	ret2 = ckpt_release_task(ctx);
	return ret ? ret : ret2;
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
	u64 t0 = ktime_get_ns();
	bool leakcheck;
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
	leakcheck = !(ctx->uflags & CHECKPOINT_SUBTREE) &&
		    !(ctx->kflags & CKPT_CTX_SELF);
	ret = ckpt_collect(ctx, leakcheck);
	ckpt_stat_since(ctx, CKPT_ST_COLLECT, t0);
	if (ret)
		return ret;
	if (leakcheck)
		ctx->kflags |= CKPT_CTX_LEAKCHECK;

	ctx->hold.buf = kvmalloc(CKPT_HOLD_SIZE, GFP_KERNEL_ACCOUNT);
	ctx->hold.log = kmalloc(CKPT_HOLD_LOG, GFP_KERNEL_ACCOUNT);
	if (!ctx->hold.buf || !ctx->hold.log)
		return -ENOMEM;
	ctx->id = atomic64_inc_return(&ckpt_last_id);
	t0 = ktime_get_ns();
	ret = ckpt_write_header(ctx);
	if (!ret)
		ret = ckpt_write_arch_header(ctx);
	if (!ret)
		ret = ckpt_write_tree(ctx);
	ckpt_stat_since(ctx, CKPT_ST_TREE, t0);
	for (i = 0; !ret && i < ctx->nr_tasks; i++)
		ret = ckpt_checkpoint_held(ctx, i);
	if (!ret && (ctx->kflags & CKPT_CTX_LEAKCHECK))
		ret = ckpt_obj_check_visited(ctx);
	if (!ret)
		ret = ckpt_write_tail(ctx);
	if (ret) {
		if (!ckpt_get_error(ctx))
			ckpt_err(ctx, ret, "checkpoint failed at offset %lld",
				 ctx->own.pos);
		return ret;
	}
	ckpt_msg(ctx, "checkpoint %llu of pid %d: %d tasks, %lld bytes, %llu records",
		 ctx->id, task_pid_vnr(ctx->root_task), ctx->nr_tree, ctx->own.pos,
		 ctx->own.nr_records);
	return ctx->id;
}
