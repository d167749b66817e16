// SPDX-License-Identifier: GPL-2.0
/*
 * Restart: a coordinator and the tasks of a rebuilt tree restore the tree
 * from one image, each task restoring its own state in its own context.
 * Nobody returns to user space before everyone succeeded; on any failure
 * every task that began restoring itself is killed and the others get the
 * error back, unchanged.
 *
 * THE RESTART SESSION
 *
 * The coordinator calls restart(pid, fd, flags, logfd), @pid being its
 * child that becomes the restored root. Every task of the tree, the root
 * included, calls restart(0, fd, flags, logfd) with the same open image
 * (the same open file description, inherited across fork()), the same
 * flags and the same log (or -1). The open image is the session's name: a
 * task can only join the restart of the file it holds, and only one
 * restart of an open file runs at a time.
 *
 * The stages of a session (ctx->stage) are advanced by the coordinator;
 * anyone may end it with ABORTED:
 *
 *   PUBLISHED  The session can be found by its file; only the root may
 *              join. The coordinator waits for the root, reads the image
 *              header and tree, finds the task of every tree entry and
 *              checks it may ptrace it.
 *   TREE_READ  ctx->tasks[] is known: the other tasks join. Once all of
 *              them are in restart(0), where their credentials and
 *              parents can no longer change, the coordinator checks
 *              again that it may ptrace each and that each has the
 *              parent the image names.
 *   RESTORING  The tasks restore themselves one at a time, in image
 *              order: ctx->active is the index of the task whose turn it
 *              is (the baton). Or, when the coordinator indexed the
 *              image's task sections while the tasks joined (ctx->par),
 *              at the same time, each from its own section, as
 *              kernel/checkpoint/parallel.c says. Then the coordinator
 *              reads the trailer.
 *   DONE       Every task returns to user space as the restored one.
 *   ABORTED    Tasks that had not begun restoring themselves return the
 *              error; those that had are killed.
 *
 * LOCKING
 *
 * ckpt_sessions_lock (spinlock): the list of sessions, ckpt_sessions.
 *   Held only to add, remove or look up a session; nests nothing.
 * ctx->lock (spinlock): moves of ctx->stage, and ctx->started (restoring
 *   in parallel: the state of each task in ctx->par). A task marks
 *   itself started when it begins restoring itself, under the lock and
 *   only while the session runs, so the coordinator knows, once the
 *   stage is final, exactly which tasks are half made.
 * ctx->stage and ctx->active are stored with smp_store_release() and
 *   loaded with smp_load_acquire(): a stage or a turn is published after
 *   what it hands over (ctx->tasks[] for TREE_READ; for a turn, the
 *   image position, ctx->pos, ctx->nr_records and the object hash).
 * The image position has no lock: it belongs to the one task whose turn
 *   it is (the coordinator outside the turns); restoring in parallel,
 *   each task has its own (struct ckpt_local). The object hash has a
 *   spinlock of its own.
 * ctx->err: the first error wins, set with cmpxchg() (ckpt_set_error()).
 * ctx->log_lock (mutex, taken killable): orders log lines; it is held
 *   while writing to the caller's log file, and nothing else needs it.
 *
 * Waits: a joiner waits for the session to be published on its struct
 * file (wait_var_event), for TREE_READ and for the end on ctx->waitq,
 * for its turn on its own ctx->tasks[] slot; the coordinator waits on
 * ctx->coordq and polls the tasks' liveness (no exit hook). Every wait
 * is killable; the coordinator's waits for joiners time out.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/file.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/ptrace.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task_stack.h>
#include <linux/wait_bit.h>
#include <linux/nsproxy.h>

/* How long a coordinator waits for its tasks to call restart(0, ...) */
#define CKPT_JOIN_TIMEOUT	(30 * HZ)

static LIST_HEAD(ckpt_sessions);
static DEFINE_SPINLOCK(ckpt_sessions_lock);

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
	else if ((ctx->kflags & CKPT_CTX_SELF) && h->nr_tasks != 1)
		ret = ckpt_err(ctx, -EINVAL,
			       "image of %u tasks: RESTART_TASKSELF restores one",
			       h->nr_tasks);
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
	u64 expected = ctx->own.nr_records;
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

/* Stages: see THE RESTART SESSION above */

static int ckpt_stage(struct ckpt_ctx *ctx)
{
	/* pairs with ckpt_stage_set(): what the stage publishes is visible */
	return smp_load_acquire(&ctx->stage);
}

static int ckpt_turn(struct ckpt_ctx *ctx)
{
	/* pairs with ckpt_pass_turn(): the baton's state is visible */
	return smp_load_acquire(&ctx->active);
}

static bool ckpt_running(struct ckpt_ctx *ctx)
{
	return ckpt_stage(ctx) < CKPT_STAGE_DONE;
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

static void ckpt_pass_turn(struct ckpt_ctx *ctx, int idx)
{
	WRITE_ONCE(ctx->turn_passed, ktime_get_ns());
	/* the image position and object hash go with the turn */
	smp_store_release(&ctx->active, idx);
	ckpt_wake_turn(ctx, idx);
	/* the coordinator waits for the last turn only */
	if (idx >= ctx->nr_tasks)
		wake_up(&ctx->coordq);
}

/*
 * Move a running session to @stage. Return: false if it had already
 * ended (then nothing changes).
 */
static bool ckpt_stage_set(struct ckpt_ctx *ctx, int stage)
{
	int old, i;

	spin_lock(&ctx->lock);
	old = ctx->stage;
	if (old < CKPT_STAGE_DONE)	/* after ->tasks[] for TREE_READ */
		smp_store_release(&ctx->stage, stage);
	spin_unlock(&ctx->lock);
	if (old >= CKPT_STAGE_DONE)
		return false;
	wake_up_all(&ctx->waitq);
	wake_up_all(&ctx->coordq);
	if (stage >= CKPT_STAGE_DONE && old >= CKPT_STAGE_TREE_READ) {
		for (i = 0; i < ctx->nr_tasks; i++)
			ckpt_wake_turn(ctx, i);
		/* tasks restoring in parallel that wait for others */
		ckpt_par_obj_added(ctx);
	}
	return true;
}

/* The error a session ended with, for a task it did not touch */
static int ckpt_session_error(struct ckpt_ctx *ctx)
{
	int err = ckpt_get_error(ctx);

	return err ? err : -EINTR;
}

/* Find (and take a reference on) the running session of @file */
static struct ckpt_ctx *ckpt_session_find(struct file *file)
{
	struct ckpt_ctx *ctx, *found = NULL;

	spin_lock(&ckpt_sessions_lock);
	list_for_each_entry(ctx, &ckpt_sessions, list) {
		if (ctx->file == file && ckpt_running(ctx)) {
			ckpt_ctx_get(ctx);
			found = ctx;
			break;
		}
	}
	spin_unlock(&ckpt_sessions_lock);
	return found;
}

static int ckpt_session_publish(struct ckpt_ctx *ctx)
{
	struct ckpt_ctx *other;
	int ret = 0;

	spin_lock(&ckpt_sessions_lock);
	list_for_each_entry(other, &ckpt_sessions, list)
		if (other->file == ctx->file)
			ret = -EBUSY;
	if (!ret)
		list_add_tail(&ctx->list, &ckpt_sessions);
	spin_unlock(&ckpt_sessions_lock);
	if (ret)
		return ckpt_err(ctx, ret, "a restart of this open image is already running");
	wake_up_var(ctx->file);
	return 0;
}

static void ckpt_session_unpublish(struct ckpt_ctx *ctx)
{
	spin_lock(&ckpt_sessions_lock);
	list_del_init(&ctx->list);
	spin_unlock(&ckpt_sessions_lock);
}

/*
 * Restore the caller's own state; on failure it must never run again,
 * and the session ends before the tasks it held back may begin.
 */
static long ckpt_restore_self(struct ckpt_ctx *ctx, int idx)
{
	u64 t0 = ktime_get_ns(), passed = READ_ONCE(ctx->turn_passed);
	int ret;

	if (!ctx->par && passed && t0 > passed)
		ckpt_stat_add(ctx, CKPT_ST_HANDOFF, t0 - passed);
	ret = ckpt_restore_task(ctx, idx);
	if (!ret && ctx->par)
		ret = ckpt_par_check_end(ctx, idx);
	if (ret) {
		if (!ckpt_get_error(ctx))
			ckpt_err(ctx, ret, "restore failed at offset %lld",
				 ckpt_pos(ctx));
		ckpt_stage_set(ctx, CKPT_STAGE_ABORTED);
	}
	if (ctx->par)
		ckpt_par_done(ctx, idx);
	ckpt_stat_max(ctx, CKPT_ST_TASK_MAX,
		      ckpt_stat_since(ctx, CKPT_ST_TASKS, t0));
	if (ret)
		force_sig(SIGKILL);
	return ret;
}

static long ckpt_restart_finish(struct ckpt_ctx *ctx)
{
	if (ctx->uflags & RESTART_FROZEN)
		send_sig(SIGSTOP, current, 1);
	/* the syscall "returns" what the restored task had in %ax */
	return task_pt_regs(current)->ax;
}

/*
 * Joiner, sync point 1: find the session of @fd's open file, with the
 * same flags and log. Waits for the coordinator to publish it.
 */
static struct ckpt_ctx *ckpt_join_find(int fd, unsigned long flags, int logfd)
{
	struct ckpt_ctx *ctx = NULL;
	struct file *file, *log = NULL;
	long ret = -EBADF;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	if (logfd >= 0) {
		log = fget(logfd);
		if (!log)
			goto out;
	}
	ret = wait_var_event_killable(file,
				      (ctx = ckpt_session_find(file)) != NULL);
	if (ret)
		goto out;
	/* a joiner takes part in the session the coordinator set up */
	if (ctx->uflags != flags || (log && log != ctx->logfile)) {
		ckpt_ctx_put(ctx);
		ret = -EINVAL;
	}
out:
	if (log)
		fput(log);
	fput(file);
	return ret ? ERR_PTR(ret) : ctx;
}

/*
 * Joiner, sync point 2: wait until the coordinator knows the tree, and
 * find the caller in it. The root joins first: the coordinator reads the
 * image only once it is there, so that a bad image fails the tasks'
 * restart() before any of them is touched.
 *
 * Return: the caller's index in ctx->tasks, or a negative errno. A task
 * that is not one of the restart's gets -ESRCH and changes nothing.
 */
static int ckpt_join_wait_tree(struct ckpt_ctx *ctx)
{
	bool root = current == ctx->root_task;
	int idx, ret;

	if (root) {
		atomic_inc(&ctx->nr_joined);
		wake_up(&ctx->coordq);
	}
	ret = wait_event_killable(ctx->waitq,
				  ckpt_stage(ctx) >= CKPT_STAGE_TREE_READ);
	if (ret)
		return ret;
	/* ->tasks is complete from TREE_READ on, unless the restart failed */
	if (ckpt_stage(ctx) == CKPT_STAGE_ABORTED)
		return ckpt_session_error(ctx);
	idx = ckpt_tree_task_index(ctx, current);
	if (idx < 0)
		return -ESRCH;
	/* the coordinator waits for the last one only */
	if (!root && atomic_inc_return(&ctx->nr_joined) >= ctx->nr_tasks)
		wake_up(&ctx->coordq);
	return idx;
}

/*
 * Joiner, sync point 3: wait for the caller's turn (restoring in
 * parallel: until ckpt_par_wait_start() lets it begin) and mark it
 * started. Return: 0, or the error of a session that ended before the
 * caller was touched.
 */
static int ckpt_join_wait_turn(struct ckpt_ctx *ctx, int idx)
{
	int ret;

	/* whether the tasks restore in parallel is known from RESTORING on */
	ret = wait_event_killable(ctx->waitq,
				  ckpt_stage(ctx) >= CKPT_STAGE_RESTORING);
	if (ret)
		return ret;
	if (ckpt_stage(ctx) == CKPT_STAGE_RESTORING && ctx->par) {
		ret = ckpt_par_wait_start(ctx, idx);
		return ret > 0 ? ckpt_session_error(ctx) : ret;
	}
	ret = wait_var_event_killable(&ctx->tasks[idx],
				      ckpt_turn(ctx) == idx ||
				      !ckpt_running(ctx));
	if (ret)
		return ret;
	spin_lock(&ctx->lock);
	if (ctx->stage == CKPT_STAGE_RESTORING)
		ctx->started = idx + 1;
	else
		ret = ckpt_session_error(ctx);
	spin_unlock(&ctx->lock);
	return ret;
}

/*
 * Joiner, sync point 4: the caller is restored; wait until everyone is.
 * Return: the restored return value, or -EINTR with the caller killed.
 */
static long ckpt_join_wait_done(struct ckpt_ctx *ctx)
{
	int ret;

	ret = wait_event_killable(ctx->waitq, !ckpt_running(ctx));
	if (!ret && ckpt_stage(ctx) == CKPT_STAGE_DONE)
		return ckpt_restart_finish(ctx);
	/* someone failed after we were restored: we must not run */
	force_sig(SIGKILL);
	return -EINTR;
}

/**
 * ckpt_restart_join - restart(0, ...) by a task that restores itself
 * @fd: the open image, the same open file as the coordinator's
 * @flags: restart flags, the coordinator's
 * @logfd: the coordinator's log, or -1
 *
 * Joins the restart session of @fd's open file (waiting until its
 * coordinator publishes it), waits until the coordinator knows the
 * tree, then for the caller's turn; restores the caller from the image
 * and waits until the whole restart succeeded. A restart that fails
 * before the caller began restoring itself returns the error and leaves
 * the caller as it was.
 *
 * Return: the restored task's return value, or a negative errno.
 */
long ckpt_restart_join(int fd, unsigned long flags, int logfd)
{
	struct ckpt_ctx *ctx;
	long ret;
	int idx;

	ctx = ckpt_join_find(fd, flags, logfd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	idx = ckpt_join_wait_tree(ctx);
	ret = idx < 0 ? idx : ckpt_join_wait_turn(ctx, idx);
	if (ret)
		goto out;

	ret = ckpt_restore_self(ctx, idx);
	if (ret)
		goto out;
	if (!ctx->par)
		ckpt_pass_turn(ctx, idx + 1);
	ret = ckpt_join_wait_done(ctx);
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
		return atomic_read(&ctx->nr_joined) >= 1;
	case CKPT_WAIT_JOINED:
		return atomic_read(&ctx->nr_joined) >= ctx->nr_tasks;
	default:
		if (ctx->par)
			return ckpt_par_all_done(ctx);
		return ckpt_turn(ctx) >= ctx->nr_tasks;
	}
}

static int ckpt_check_alive(struct ckpt_ctx *ctx, enum ckpt_wait_for what)
{
	struct task_struct *t = ctx->root_task;
	int i = max(ckpt_turn(ctx), 0);

	for (;;) {
		if (t->exit_state || (t->flags & PF_EXITING))
			return ckpt_err(ctx, -ESRCH,
					"pid %d exited before it was restored",
					task_pid_nr_ns(t, ctx->root_ns));
		if (what == CKPT_WAIT_ROOT || i >= ctx->nr_tasks)
			return 0;
		t = ctx->tasks[i++];
	}
}

/* What wakes the coordinator: @what happened, or the session failed */
static bool ckpt_coord_woken(struct ckpt_ctx *ctx, enum ckpt_wait_for what)
{
	return ckpt_tasks_ready(ctx, what) || !ckpt_running(ctx);
}

/* Coordinator: wait until @what happened, or something failed. */
static int ckpt_wait_tasks(struct ckpt_ctx *ctx, enum ckpt_wait_for what)
{
	unsigned long deadline = jiffies + CKPT_JOIN_TIMEOUT;
	long ret;

	for (;;) {
		ret = wait_event_killable_timeout(ctx->coordq,
						  ckpt_coord_woken(ctx, what),
						  HZ / 5);
		if (ret < 0)
			return ckpt_err(ctx, -EINTR, "coordinator interrupted");
		if (!ckpt_running(ctx))
			return ckpt_session_error(ctx);
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

/*
 * The root: a child of the caller. Its pid namespace, which the image's
 * pids are read in, is pinned. Whether the caller may ptrace it is
 * checked once it joined, so that a refusal reaches it as an error.
 */
static int ckpt_get_child(struct ckpt_ctx *ctx, pid_t pid)
{
	struct task_struct *t;

	rcu_read_lock();
	t = find_task_by_vpid(pid);
	if (t && (!same_thread_group(rcu_dereference(t->real_parent), current) ||
		  t->exit_state || !task_active_pid_ns(t)))
		t = NULL;
	if (t) {
		get_task_struct(t);
		ctx->root_ns = get_pid_ns(task_active_pid_ns(t));
	}
	rcu_read_unlock();
	if (!t)
		return ckpt_err(ctx, -ESRCH, "pid %d is not a child of the caller",
				pid);
	ctx->root_task = t;
	return 0;
}

/* Coordinator: every stage of THE RESTART SESSION, in order */
static int ckpt_coordinate_stages(struct ckpt_ctx *ctx)
{
	u64 t0;
	int ret;

	ret = ckpt_wait_tasks(ctx, CKPT_WAIT_ROOT);
	t0 = ktime_get_ns();
	if (!ret)
		ret = ckpt_read_prologue(ctx);
	/* the root may have died meanwhile, and the tree know nobody */
	if (!ret)
		ret = ckpt_check_alive(ctx, CKPT_WAIT_ROOT);
	if (!ret)
		ret = ckpt_tree_find_tasks(ctx);
	ckpt_stat_since(ctx, CKPT_ST_PROLOGUE, t0);
	if (ret)
		return ret;

	if (!ckpt_stage_set(ctx, CKPT_STAGE_TREE_READ))
		return ckpt_session_error(ctx);
	/* while the tasks join: the thread groups, the sections' index */
	ret = ckpt_groups_alloc(ctx);
	if (!ret)
		ret = ckpt_par_setup(ctx);
	if (ret)
		return ret;
	t0 = ktime_get_ns();
	ret = ckpt_wait_tasks(ctx, CKPT_WAIT_JOINED);
	ckpt_stat_since(ctx, CKPT_ST_JOIN, t0);
	if (!ret)
		ret = ckpt_tree_check_joined(ctx);
	if (ret)
		return ret;

	/* publishes ctx->par */
	if (!ckpt_stage_set(ctx, CKPT_STAGE_RESTORING))
		return ckpt_session_error(ctx);
	if (!ctx->par)
		ckpt_pass_turn(ctx, 0);
	ret = ckpt_wait_tasks(ctx, CKPT_WAIT_RESTORED);
	if (!ret)
		ret = ckpt_par_finish(ctx);
	if (!ret)
		ret = ckpt_read_tail(ctx);
	return ret;
}

static long ckpt_coordinate(struct ckpt_ctx *ctx, pid_t pid)
{
	u64 t0 = ktime_get_ns();
	int i, ret, started;

	ret = ckpt_get_child(ctx, pid);
	if (ret)
		return ret;
	ctx->coord_uts_ns = current->nsproxy->uts_ns;
	ctx->coord_ipc_ns = current->nsproxy->ipc_ns;
	ctx->coord_net_ns = current->nsproxy->net_ns;
	ctx->active = -1;
	ret = ckpt_session_publish(ctx);
	if (ret)
		return ret;

	ret = ckpt_coordinate_stages(ctx);
	/* before another restart of the file can start: all is read */
	if (!ret)
		ckpt_readahead_return(ctx);
	if (ret && !ckpt_get_error(ctx))
		ckpt_err(ctx, ret, "restart failed at offset %lld",
			 ctx->own.pos);
	ckpt_stage_set(ctx, ret ? CKPT_STAGE_ABORTED : CKPT_STAGE_DONE);
	ckpt_session_unpublish(ctx);

	spin_lock(&ctx->lock);
	started = ctx->started;
	for (i = 0; ctx->par && i < ctx->nr_tasks; i++)
		if (ckpt_par_started(ctx, i))
			started = i + 1;
	spin_unlock(&ctx->lock);
	if (!ret) {
		ckpt_msg(ctx, "restart of image %llu done: %d tasks, %lld bytes, %llu records",
			 ctx->id, ctx->nr_tasks, ctx->own.pos,
			 ctx->own.nr_records);
		ckpt_stat_since(ctx, CKPT_ST_TOTAL, t0);
		ckpt_stats_log(ctx);
		return 0;
	}
	/* whoever began restoring is half made: it must never run */
	for (i = 0; i < started; i++)
		if (!ctx->par || ckpt_par_started(ctx, i))
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
	u64 t0 = ktime_get_ns();
	long ret;

	if (pid)
		return ckpt_coordinate(ctx, pid);

	/* RESTART_TASKSELF: read everything ourselves */
	ctx->root_task = get_task_struct(current);
	ctx->root_ns = get_pid_ns(task_active_pid_ns(current));
	ctx->coord_uts_ns = current->nsproxy->uts_ns;
	ctx->coord_ipc_ns = current->nsproxy->ipc_ns;
	ctx->coord_net_ns = current->nsproxy->net_ns;
	ret = ckpt_read_prologue(ctx);
	if (!ret)
		ret = ckpt_tree_find_tasks(ctx);
	if (!ret)
		ret = ckpt_tree_check_private(ctx, true);
	if (!ret)
		ret = ckpt_groups_alloc(ctx);
	if (ret)
		return ret;
	ret = ckpt_restore_self(ctx, 0);
	if (!ret)
		ret = ckpt_read_tail(ctx);
	if (ret) {
		force_sig(SIGKILL);
		return ret;
	}
	ckpt_readahead_return(ctx);
	ckpt_stat_since(ctx, CKPT_ST_TOTAL, t0);
	ckpt_stats_log(ctx);
	return ckpt_restart_finish(ctx);
}
