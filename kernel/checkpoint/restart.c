// SPDX-License-Identifier: GPL-2.0
/*
 * Restart: the coordinator reads the image header and tree section,
 * publishes the context, and lets each restarting task restore its own
 * state, in image order, in its own context. Nobody returns to user
 * space before everyone succeeded; on any failure every restarting task
 * is killed.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/ptrace.h>
#include <linux/pid.h>
#include <linux/sched/task_stack.h>
#include <linux/wait_bit.h>
#include <linux/nsproxy.h>

/* How long a coordinator waits for its tasks to call restart(0, ...) */
#define CKPT_JOIN_TIMEOUT	(30 * HZ)

static LIST_HEAD(ckpt_restarts);
static DEFINE_SPINLOCK(ckpt_restarts_lock);
static DECLARE_WAIT_QUEUE_HEAD(ckpt_restarts_wq);

static int ckpt_read_header(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_header *h;
	int ret = 0;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_HEADER, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (h->magic != CKPT_MAGIC)
		ret = ckpt_err(ctx, -EINVAL, "not a checkpoint image (bad magic)");
	else if (h->version != CKPT_VERSION)
		ret = ckpt_err(ctx, -EINVAL, "image version %u, expected %u",
			       h->version, CKPT_VERSION);
	else if (h->arch != CKPT_ARCH_X86_64 || h->page_size != PAGE_SIZE)
		ret = ckpt_err(ctx, -EINVAL,
			       "image is for arch %u with %u-byte pages",
			       h->arch, h->page_size);
	if (!ret) {
		ctx->id = h->id;
		ctx->hdr_nr_tasks = h->nr_tasks;
		h->release[CKPT_UTS_LEN - 1] = '\0';
		ckpt_msg(ctx, "image %llu from kernel %s", h->id, h->release);
	}
	ckpt_hdr_put(ctx, h);
	return ret;
}

static int ckpt_read_tail(struct ckpt_ctx *ctx)
{
	u64 expected = ctx->nr_records;
	struct ckpt_hdr_tail *tail;
	int ret = 0;

	tail = ckpt_read_obj_type(ctx, CKPT_HDR_TAIL, sizeof(*tail));
	if (IS_ERR(tail))
		return PTR_ERR(tail);
	if (tail->magic != CKPT_TAIL_MAGIC || tail->nr_records != expected)
		ret = ckpt_err(ctx, -EINVAL,
			       "bad image trailer (%llu records, read %llu)",
			       tail->nr_records, expected);
	ckpt_hdr_put(ctx, tail);
	return ret;
}

static int ckpt_read_prologue(struct ckpt_ctx *ctx)
{
	int ret;

	ret = ckpt_read_header(ctx);
	if (!ret)
		ret = ckpt_read_arch_header(ctx);
	if (!ret)
		ret = ckpt_read_tree(ctx);
	if (!ret && ctx->nr_tree != ctx->hdr_nr_tasks)
		ret = ckpt_err(ctx, -EINVAL,
			       "header counts %u tasks, tree section %d",
			       ctx->hdr_nr_tasks, ctx->nr_tree);
	return ret;
}

/* Find (and take a reference on) the running restart of @t's tree. */
static struct ckpt_ctx *ckpt_find_restart(struct task_struct *t)
{
	struct ckpt_ctx *ctx, *found = NULL;

	spin_lock(&ckpt_restarts_lock);
	list_for_each_entry(ctx, &ckpt_restarts, list) {
		if (ctx->state == CKPT_RESTART_RUNNING &&
		    ckpt_task_below(t, ctx->root_task)) {
			ckpt_ctx_get(ctx);
			found = ctx;
			break;
		}
	}
	spin_unlock(&ckpt_restarts_lock);
	return found;
}

/*
 * Each task waits for its turn on its own slot of ctx->tasks (a hashed
 * wait queue), so that a turn wakes one task, not the whole tree.
 */
static void ckpt_wake_turn(struct ckpt_ctx *ctx, int idx)
{
	if (idx >= 0 && idx < ctx->nr_tasks)
		wake_up_var(&ctx->tasks[idx]);
}

static void ckpt_set_state(struct ckpt_ctx *ctx, int state)
{
	int i;

	spin_lock(&ckpt_restarts_lock);
	if (ctx->state == CKPT_RESTART_RUNNING)
		ctx->state = state;
	spin_unlock(&ckpt_restarts_lock);
	wake_up_all(&ctx->waitq);
	wake_up_all(&ctx->coordq);
	if (READ_ONCE(ctx->tasks_ready))
		for (i = 0; i < ctx->nr_tasks; i++)
			ckpt_wake_turn(ctx, i);
}

/* Restore the caller's own state; on failure it must never run again. */
static long ckpt_restore_self(struct ckpt_ctx *ctx)
{
	int ret;

	ret = ckpt_restore_task(ctx);
	if (ret) {
		if (!ctx->err)
			ckpt_err(ctx, ret, "restore failed at offset %lld",
				 ctx->pos);
		force_sig(SIGKILL);
	}
	return ret;
}

static long ckpt_restart_finish(struct ckpt_ctx *ctx)
{
	if (ctx->uflags & RESTART_FROZEN)
		send_sig(SIGSTOP, current, 1);
	/* the syscall "returns" what the restored task had in %ax */
	return task_pt_regs(current)->ax;
}

static bool ckpt_running(struct ckpt_ctx *ctx)
{
	return READ_ONCE(ctx->state) == CKPT_RESTART_RUNNING;
}

/**
 * ckpt_restart_join - restart(0, ...) by a task that restores itself
 * @flags: restart flags of this task
 *
 * Waits until a coordinator publishes a restart of a tree the caller
 * belongs to, until the coordinator knows the tree, then until it is the
 * caller's turn; restores the caller from the image and waits until the
 * whole restart succeeded. A restart that fails before the caller began
 * restoring itself returns the error and leaves the caller as it was.
 *
 * Return: the restored task's return value, or a negative errno.
 */
long ckpt_restart_join(unsigned long flags)
{
	struct ckpt_ctx *ctx = NULL;
	long ret;
	int idx;

	ret = wait_event_killable(ckpt_restarts_wq,
				  (ctx = ckpt_find_restart(current)) != NULL);
	if (ret)
		return ret;
	if (current == ctx->root_task) {
		WRITE_ONCE(ctx->root_joined, true);
		wake_up(&ctx->coordq);
	}

	ret = wait_event_killable(ctx->waitq, READ_ONCE(ctx->tasks_ready) ||
				  !ckpt_running(ctx));
	if (ret)
		goto out;
	if (!ckpt_running(ctx)) {
		ret = ctx->err ? ctx->err : -EINTR;
		goto out;
	}
	idx = ckpt_tree_task_index(ctx, current);
	if (idx < 0) {
		ret = ckpt_err(ctx, -ESRCH, "pid %d is not a task of the image",
			       task_pid_vnr(current));
		goto out;
	}
	atomic_inc(&ctx->nr_joined);
	wake_up(&ctx->coordq);

	ret = wait_var_event_killable(&ctx->tasks[idx],
				      READ_ONCE(ctx->active) == idx ||
				      !ckpt_running(ctx));
	if (ret)
		goto out;
	spin_lock(&ckpt_restarts_lock);
	if (ctx->state == CKPT_RESTART_RUNNING)
		ctx->started = idx + 1;
	else
		ret = ctx->err ? ctx->err : -EINTR;
	spin_unlock(&ckpt_restarts_lock);
	/* the restart failed before we were touched: just report it */
	if (ret)
		goto out;

	ret = ckpt_restore_self(ctx);
	if (ret) {
		ckpt_set_state(ctx, CKPT_RESTART_ABORTED);
		goto out;
	}

	WRITE_ONCE(ctx->active, idx + 1);
	ckpt_wake_turn(ctx, idx + 1);
	wake_up(&ctx->coordq);

	ret = wait_event_killable(ctx->waitq, !ckpt_running(ctx));
	if (!ret && READ_ONCE(ctx->state) == CKPT_RESTART_DONE) {
		ret = ckpt_restart_finish(ctx);
		goto out;
	}
	/* someone failed after we were restored: we must not run */
	force_sig(SIGKILL);
	ret = -EINTR;
out:
	ckpt_ctx_put(ctx);
	return ret;
}

enum ckpt_wait_for {
	CKPT_WAIT_ROOT,		/* the root called restart(0) */
	CKPT_WAIT_JOINED,	/* every task of the tree did */
	CKPT_WAIT_RESTORED,	/* every task restored itself */
};

static bool ckpt_tasks_ready(struct ckpt_ctx *ctx, enum ckpt_wait_for what)
{
	switch (what) {
	case CKPT_WAIT_ROOT:
		return READ_ONCE(ctx->root_joined);
	case CKPT_WAIT_JOINED:
		return atomic_read(&ctx->nr_joined) >= ctx->nr_tasks;
	default:
		return READ_ONCE(ctx->active) >= ctx->nr_tasks;
	}
}

static int ckpt_check_alive(struct ckpt_ctx *ctx, enum ckpt_wait_for what)
{
	struct task_struct *t = ctx->root_task;
	int i = max(READ_ONCE(ctx->active), 0);

	for (;;) {
		if (t->exit_state || (t->flags & PF_EXITING))
			return ckpt_err(ctx, -ESRCH,
					"pid %d exited before it was restored",
					task_pid_vnr(t));
		if (what == CKPT_WAIT_ROOT || i >= ctx->nr_tasks)
			return 0;
		t = ctx->tasks[i++];
	}
}

/* Coordinator: wait until @what happened, or something failed. */
static int ckpt_wait_tasks(struct ckpt_ctx *ctx, enum ckpt_wait_for what)
{
	unsigned long deadline = jiffies + CKPT_JOIN_TIMEOUT;
	long ret;

	for (;;) {
		ret = wait_event_killable_timeout(ctx->coordq,
				ckpt_tasks_ready(ctx, what) || !ckpt_running(ctx),
				HZ / 5);
		if (ret < 0)
			return ckpt_err(ctx, -EINTR, "coordinator interrupted");
		if (!ckpt_running(ctx))
			return ctx->err ? ctx->err : -EINTR;
		if (ckpt_tasks_ready(ctx, what))
			return 0;
		ret = ckpt_check_alive(ctx, what);
		if (ret)
			return ret;
		if (what != CKPT_WAIT_RESTORED && time_after(jiffies, deadline))
			return ckpt_err(ctx, -ETIMEDOUT,
					"tasks did not call restart() within %d s",
					CKPT_JOIN_TIMEOUT / HZ);
	}
}

static struct task_struct *ckpt_get_child(struct ckpt_ctx *ctx, pid_t pid)
{
	struct task_struct *t;

	rcu_read_lock();
	t = find_task_by_vpid(pid);
	if (t && !same_thread_group(rcu_dereference(t->real_parent), current))
		t = NULL;
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t)
		ckpt_err(ctx, -ESRCH, "pid %d is not a child of the caller", pid);
	return t;
}

static long ckpt_coordinate(struct ckpt_ctx *ctx, pid_t pid)
{
	int i, ret, started;

	ctx->root_task = ckpt_get_child(ctx, pid);
	if (!ctx->root_task)
		return -ESRCH;
	ctx->coord_uts_ns = current->nsproxy->uts_ns;

	/*
	 * The root joins before the image is read, so that a bad image
	 * fails the tasks' restart() before any of them is touched.
	 */
	ctx->active = -1;
	spin_lock(&ckpt_restarts_lock);
	list_add_tail(&ctx->list, &ckpt_restarts);
	spin_unlock(&ckpt_restarts_lock);
	wake_up_all(&ckpt_restarts_wq);

	ret = ckpt_wait_tasks(ctx, CKPT_WAIT_ROOT);
	if (!ret)
		ret = ckpt_read_prologue(ctx);
	if (!ret)
		ret = ckpt_tree_find_tasks(ctx);
	if (!ret) {
		WRITE_ONCE(ctx->tasks_ready, true);
		wake_up_all(&ctx->waitq);
		ret = ckpt_wait_tasks(ctx, CKPT_WAIT_JOINED);
	}
	if (!ret) {
		WRITE_ONCE(ctx->active, 0);
		ckpt_wake_turn(ctx, 0);
		ret = ckpt_wait_tasks(ctx, CKPT_WAIT_RESTORED);
	}
	if (!ret)
		ret = ckpt_read_tail(ctx);
	if (ret && !ctx->err)
		ckpt_err(ctx, ret, "restart failed at offset %lld", ctx->pos);
	ckpt_set_state(ctx, ret ? CKPT_RESTART_ABORTED : CKPT_RESTART_DONE);

	spin_lock(&ckpt_restarts_lock);
	list_del_init(&ctx->list);
	started = ctx->started;
	spin_unlock(&ckpt_restarts_lock);
	if (!ret) {
		ckpt_msg(ctx, "restart of image %llu done: %d tasks, %lld bytes, %llu records",
			 ctx->id, ctx->nr_tasks, ctx->pos, ctx->nr_records);
		return 0;
	}
	/* whoever began restoring is half made: it must never run */
	for (i = 0; i < started; i++)
		send_sig(SIGKILL, ctx->tasks[i], 1);
	return ret;
}

/**
 * do_restart - restart(pid, ...) by a coordinator or RESTART_TASKSELF
 * @ctx: restart context
 * @pid: the coordinator's child that becomes the restored root, or 0
 *
 * Return: 0 for the coordinator, the restored return value for
 * RESTART_TASKSELF, or a negative errno.
 */
long do_restart(struct ckpt_ctx *ctx, pid_t pid)
{
	long ret;

	if (pid)
		return ckpt_coordinate(ctx, pid);

	/* RESTART_TASKSELF: read everything ourselves */
	ret = ckpt_read_prologue(ctx);
	if (ret)
		return ret;
	if (ctx->nr_tree != 1)
		return ckpt_err(ctx, -EINVAL,
				"image of %d tasks: RESTART_TASKSELF restores one",
				ctx->nr_tree);
	ctx->root_task = get_task_struct(current);
	ctx->coord_uts_ns = current->nsproxy->uts_ns;
	ret = ckpt_tree_find_tasks(ctx);
	if (ret)
		return ret;
	ret = ckpt_restore_self(ctx);
	if (!ret)
		ret = ckpt_read_tail(ctx);
	if (ret) {
		force_sig(SIGKILL);
		return ret;
	}
	return ckpt_restart_finish(ctx);
}
