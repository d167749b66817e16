// SPDX-License-Identifier: GPL-2.0
/*
 * Per-task state: the TASK record and the order in which a task's
 * resources are saved and restored.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/nsproxy.h>
#include <net/net_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/personality.h>
#include <linux/sched/prio.h>
#include <uapi/linux/sched/types.h>
#include <linux/rseq.h>
#include <linux/freezer.h>
#include <linux/capability.h>

/**
 * ckpt_task_frozen - is a task held by a cgroup freezer?
 * @t: the task
 *
 * Accepts both the cgroup v1 freezer (the task sleeps in TASK_FROZEN)
 * and the cgroup v2 freezer (the task sits in the freezer trap of
 * get_signal() with ->frozen set).
 *
 * Return: true when @t is frozen.
 */
bool ckpt_task_frozen(struct task_struct *t)
{
	if (READ_ONCE(t->__state) & TASK_FROZEN)
		return true;
#ifdef CONFIG_CGROUPS
	if (t->frozen)
		return true;
#endif
	return false;
}

static int ckpt_write_task(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_hdr_task *h;
	int ret;

	/* not saved yet: refused rather than dropped */
#ifdef CONFIG_SECCOMP
	if (READ_ONCE(t->seccomp.mode) != SECCOMP_MODE_DISABLED)
		return ckpt_err(ctx, -EBUSY,
				"pid %d runs under seccomp: not supported yet",
				task_pid_vnr(t));
#endif
	if (READ_ONCE(t->policy) == SCHED_DEADLINE)
		return ckpt_err(ctx, -EBUSY,
				"pid %d has scheduling policy SCHED_DEADLINE: not supported yet",
				task_pid_vnr(t));

	h = ckpt_hdr_get(ctx, sizeof(*h), CKPT_HDR_TASK);
	if (!h)
		return -ENOMEM;
	h->pid = task_pid_nr_ns(t, ctx->root_ns);
	h->exit_signal = t->exit_signal;
	h->exit_code = t->exit_code;
	get_task_comm(h->comm, t);
	h->personality = t->personality;
#ifdef CONFIG_RSEQ
	h->rseq = (unsigned long)t->rseq;
	h->rseq_sig = t->rseq_sig;
#endif
#ifdef CONFIG_FUTEX
	h->robust_list = (unsigned long)t->robust_list;
#endif
	h->clear_child_tid = (unsigned long)t->clear_child_tid;
	h->pdeath_signal = t->pdeath_signal;
	h->nice = task_nice(t);
	h->nr_cpus = min_t(unsigned int, nr_cpu_ids, CKPT_CPUS_MAX);
	bitmap_to_arr64(h->cpus_allowed, cpumask_bits(&t->cpus_mask),
			h->nr_cpus);
	if (task_no_new_privs(t))
		h->flags |= CKPT_TASK_NO_NEW_PRIVS;
	/* as sched_getscheduler() and sched_getparam() read them */
	h->policy = t->policy;
	h->rt_priority = t->rt_priority;
	if (t->sched_reset_on_fork)
		h->flags |= CKPT_TASK_RESET_ON_FORK;
	h->timer_slack_ns = t->timer_slack_ns;
	h->default_timer_slack_ns = t->default_timer_slack_ns;
	ckpt_save_sleep(t, h);
	ret = ckpt_check_sleep(ctx, t, h);
	if (!ret)
		ret = ckpt_write_obj(ctx, &h->h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * struct ckpt_task_part - one part of a task's state
 * @collect: the collect pass (before a checkpoint writes) notes what the
 *	part refers to (optional)
 * @checkpoint: save the part of task @t
 * @restore: restore the part of the calling task
 */
struct ckpt_task_part {
	int (*collect)(struct ckpt_ctx *ctx, struct task_struct *t);
	int (*checkpoint)(struct ckpt_ctx *ctx, struct task_struct *t);
	int (*restore)(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
};

/*
 * The parts of a task, in image order, after its TASK record. The
 * credentials come before everything a restart opens or sets on the
 * image's behalf, which it then does with them (namespaces first: only
 * the restart's own, see ckpt_restore_ns()). Adding a resource is a line
 * here and its own file.
 */
static const struct ckpt_task_part ckpt_task_parts[] = {
	{ ckpt_collect_ns, ckpt_checkpoint_ns, ckpt_restore_ns },
	{ ckpt_collect_task_ipc, ckpt_checkpoint_task_ipc, ckpt_restore_task_ipc },
	{ ckpt_collect_cred, ckpt_checkpoint_cred, ckpt_restore_cred },
	{ ckpt_collect_mm, ckpt_checkpoint_mm, ckpt_restore_mm },
	{ ckpt_collect_files, ckpt_checkpoint_files, ckpt_restore_files },
	{ ckpt_collect_fs, ckpt_checkpoint_fs, ckpt_restore_fs },
	{ ckpt_collect_signals, ckpt_checkpoint_signals, ckpt_restore_signals },
	{ NULL, ckpt_checkpoint_cpu, ckpt_restore_cpu },
};

/* one time statistic a part, in the same order */
static_assert(ARRAY_SIZE(ckpt_task_parts) == CKPT_ST_CPU - CKPT_ST_NS + 1);

/**
 * ckpt_collect_task - collect pass over one task's parts
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_task(struct ckpt_ctx *ctx, struct task_struct *t)
{
	int i, ret = 0;

	for (i = 0; !ret && i < ARRAY_SIZE(ckpt_task_parts); i++)
		if (ckpt_task_parts[i].collect)
			ret = ckpt_task_parts[i].collect(ctx, t);
	return ret;
}

/**
 * ckpt_checkpoint_task - save one task
 * @ctx: checkpoint context
 * @t: the task (frozen, or current)
 *
 * Writes its TASK record, then its parts (ckpt_task_parts[]).
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_task(struct ckpt_ctx *ctx, struct task_struct *t)
{
	int i, ret;

	ret = ckpt_write_task(ctx, t);
	for (i = 0; !ret && i < ARRAY_SIZE(ckpt_task_parts); i++) {
		u64 t0 = ktime_get_ns();

		ret = ckpt_task_parts[i].checkpoint(ctx, t);
		ckpt_stat_since(ctx, CKPT_ST_NS + i, t0);
	}
	return ret;
}

static int ckpt_check_user_addr(struct ckpt_ctx *ctx, const char *what, u64 addr)
{
	if (addr >= TASK_SIZE_MAX)
		return ckpt_err(ctx, -EINVAL, "task %s address %#llx out of range",
				what, addr);
	return 0;
}

/*
 * A thread's exit_signal is -1; a process's is the signal its parent
 * chose (clone3()'s exit_signal, 0 for none).
 */
static int ckpt_check_exit_signal(struct ckpt_ctx *ctx,
				  const struct ckpt_hdr_task *h,
				  const struct ckpt_hdr_tree_task *e)
{
	bool thread = e->flags & CKPT_TREE_THREAD;

	if (thread ? (s32)h->exit_signal != -1 : !valid_signal(h->exit_signal))
		return ckpt_err(ctx, -EINVAL, "pid %d: bad exit signal %d for a %s",
				h->pid, (s32)h->exit_signal,
				thread ? "thread" : "process");
	return 0;
}

static void ckpt_apply_task(struct ckpt_hdr_task *h,
			    const struct ckpt_hdr_tree_task *e)
{
	/*
	 * A process of the tree is the child of the same parent as before,
	 * which waits for the same signal; the root's parent is the
	 * restarter (as after reparenting: SIGCHLD); threads keep -1.
	 */
	if (!(e->flags & (CKPT_TREE_THREAD | CKPT_TREE_ROOT))) {
		write_lock_irq(&tasklist_lock);
		current->exit_signal = h->exit_signal;
		write_unlock_irq(&tasklist_lock);
	}
	h->comm[CKPT_COMM_LEN - 1] = '\0';
	set_task_comm(current, h->comm);
	if ((h->personality & PER_MASK) == PER_LINUX)
		current->personality = h->personality;
#ifdef CONFIG_RSEQ
	current->rseq = u64_to_user_ptr(h->rseq);
	current->rseq_sig = h->rseq_sig;
	if (current->rseq)
		rseq_set_notify_resume(current);
#endif
#ifdef CONFIG_FUTEX
	current->robust_list = u64_to_user_ptr(h->robust_list);
#endif
	current->clear_child_tid = u64_to_user_ptr(h->clear_child_tid);
	/* one way only: an image may set it, never clear it */
	if (h->flags & CKPT_TASK_NO_NEW_PRIVS)
		task_set_no_new_privs(current);
	set_user_nice(current, h->nice);
	/*
	 * Set after the credentials, whose change clears it. The root's
	 * parent is now the restarter: the root gets its signal when that
	 * one dies.
	 */
	current->pdeath_signal = h->pdeath_signal;
}

/*
 * The scheduling policy, through sched_setscheduler()'s checks (a
 * real-time policy needs CAP_SYS_NICE or RLIMIT_RTPRIO), after the nice
 * value, which it keeps; and the timer slack, which needs nothing (as
 * PR_SET_TIMERSLACK: not for a real-time task).
 */
static int ckpt_restore_sched(struct ckpt_ctx *ctx,
			      const struct ckpt_hdr_task *h)
{
	struct sched_param sp = { .sched_priority = h->rt_priority };
	bool rt = h->policy == SCHED_FIFO || h->policy == SCHED_RR;
	int policy = h->policy, ret;

	if ((h->policy != SCHED_NORMAL && h->policy != SCHED_BATCH &&
	     h->policy != SCHED_IDLE && !rt) ||
	    (rt ? h->rt_priority < 1 || h->rt_priority > MAX_RT_PRIO - 1 :
		  h->rt_priority) ||
	    !h->default_timer_slack_ns)
		return ckpt_err(ctx, -EINVAL,
				"pid %d: bad scheduling policy %u, priority %u or timer slack",
				h->pid, h->policy, h->rt_priority);
	if (h->flags & CKPT_TASK_RESET_ON_FORK)
		policy |= SCHED_RESET_ON_FORK;
	if (policy != current->policy || current->sched_reset_on_fork ||
	    h->rt_priority != current->rt_priority) {
		ret = sched_setscheduler(current, policy, &sp);
		if (ret)
			return ckpt_err(ctx, ret,
					"pid %d: cannot take scheduling policy %u with priority %u",
					h->pid, h->policy, h->rt_priority);
	}
	current->default_timer_slack_ns = h->default_timer_slack_ns;
	/* real-time tasks have none (sched_setscheduler() cleared it) */
	if (!rt)
		current->timer_slack_ns = h->timer_slack_ns ?:
					  h->default_timer_slack_ns;
	return 0;
}

/*
 * The CPU affinity, through sched_setaffinity(): within the restarting
 * task's cpuset; none of its CPUs there (another machine) fails it.
 */
static int ckpt_restore_affinity(struct ckpt_ctx *ctx,
				 const struct ckpt_hdr_task *h)
{
	cpumask_var_t mask;
	long ret;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	bitmap_from_arr64(cpumask_bits(mask), h->cpus_allowed,
			  min_t(unsigned int, h->nr_cpus, nr_cpu_ids));
	ret = sched_setaffinity(0, mask);
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot restore its CPU affinity %*pbl",
			 h->pid, cpumask_pr_args(mask));
	free_cpumask_var(mask);
	return ret;
}

/* The restarter's registrations point into memory about to go */
static void ckpt_clear_registrations(void)
{
#ifdef CONFIG_RSEQ
	current->rseq = NULL;
	current->rseq_sig = 0;
#endif
#ifdef CONFIG_FUTEX
	current->robust_list = NULL;
#endif
	current->clear_child_tid = NULL;
}

static int ckpt_check_task_record(struct ckpt_ctx *ctx,
				  const struct ckpt_hdr_task *h,
				  const struct ckpt_hdr_tree_task *e)
{
	int ret = 0;

	if (h->pid != e->pid)
		ret = ckpt_err(ctx, -EINVAL, "TASK record of pid %d, expected %d",
			       h->pid, e->pid);
	if (!ret)
		ret = ckpt_check_user_addr(ctx, "rseq", h->rseq);
	if (!ret && !IS_ALIGNED(h->rseq, 32))
		ret = ckpt_err(ctx, -EINVAL, "misaligned rseq area %#llx",
			       h->rseq);
	if (!ret)
		ret = ckpt_check_user_addr(ctx, "robust list", h->robust_list);
	if (!ret)
		ret = ckpt_check_user_addr(ctx, "child tid", h->clear_child_tid);
	if (!ret)
		ret = ckpt_check_exit_signal(ctx, h, e);
	if (!ret && !valid_signal(h->pdeath_signal))
		ret = ckpt_err(ctx, -EINVAL,
			       "pid %d: bad parent-death signal %u",
			       h->pid, h->pdeath_signal);
	if (!ret && (h->flags & ~(CKPT_TASK_NO_NEW_PRIVS |
				  CKPT_TASK_RESET_ON_FORK) ||
		     h->nice < MIN_NICE || h->nice > MAX_NICE ||
		     !h->nr_cpus || h->nr_cpus > CKPT_CPUS_MAX))
		ret = ckpt_err(ctx, -EINVAL, "pid %d: bad flags %#x or nice %d",
			       h->pid, h->flags, h->nice);
	/* a nice value the restarter may not take itself (setpriority()) */
	if (!ret && h->nice < task_nice(current) && !can_nice(current, h->nice))
		ret = ckpt_err(ctx, -EPERM,
			       "pid %d: nice %d is below the restarter's %d",
			       h->pid, h->nice, task_nice(current));
	return ret;
}

/*
 * Pend the restored signals again, last in the task's restore: the
 * leader keeps its thread group's until the group's last task to finish
 * sends them and arms the group's POSIX timers. The leader finishes
 * before its threads begin (ckpt_par_may_start()).
 */
static int ckpt_finish_signals(struct ckpt_ctx *ctx,
			       struct ckpt_task_restore *tr)
{
	struct ckpt_group_restore *g = ckpt_local(ctx)->group;
	struct ckpt_pending *own = &tr->pending;
	int ret;

	if (tr->leader) {
		ckpt_pending_free(&g->pending);
		swap(g->pending, tr->pending);
		own = &g->pending;
	}
	ret = ckpt_restore_pending(ctx, own, NULL);
	if (!atomic_dec_and_test(&g->left))
		return ret;
	/* its threads are back: the group's signals, then its POSIX timers */
	if (!ret)
		ret = ckpt_restore_pending(ctx, NULL, &g->pending);
	ckpt_pending_free(&g->pending);
	if (!ret)
		ret = ckpt_arm_posix_timers(ctx, g);
	return ret;
}

/**
 * ckpt_groups_alloc - the thread groups of a restart, before it restores
 * @ctx: restart context, its tasks known
 *
 * Each leader gets its group, counting its tasks; each task the index
 * of its leader, which the tree puts before it.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_groups_alloc(struct ckpt_ctx *ctx)
{
	int i, lead;
	bool leader;

	ctx->groups = kvcalloc(ctx->nr_tasks, sizeof(*ctx->groups),
			       GFP_KERNEL_ACCOUNT);
	ctx->leader_of = kvcalloc(ctx->nr_tasks, sizeof(*ctx->leader_of),
				  GFP_KERNEL_ACCOUNT);
	if (!ctx->groups || !ctx->leader_of)
		return -ENOMEM;
	for (i = 0; i < ctx->nr_tasks; i++) {
		const struct ckpt_hdr_tree_task *e = ckpt_tree_task_entry(ctx, i);
		const struct ckpt_hdr_tree_task *le = ckpt_tree_find(ctx, e->tgid);

		lead = le ? ctx->entry_task[le - ctx->tree] : -1;
		/* a leader's group is made with it, before its threads */
		leader = lead == i;
		if (lead < 0 || lead > i || !ctx->groups[lead] != leader)
			return ckpt_err(ctx, -EINVAL,
					"pid %d: its thread group leader %d is not restored before it",
					e->pid, e->tgid);
		if (lead == i) {
			ctx->groups[i] = kzalloc(sizeof(*ctx->groups[i]),
						 GFP_KERNEL_ACCOUNT);
			if (!ctx->groups[i])
				return -ENOMEM;
		}
		ctx->leader_of[i] = lead;
		atomic_inc(&ctx->groups[lead]->left);
	}
	return 0;
}

/**
 * ckpt_groups_free - forget the thread groups of a restart
 * @ctx: restart context
 */
void ckpt_groups_free(struct ckpt_ctx *ctx)
{
	int i;

	for (i = 0; ctx->groups && i < ctx->nr_tasks; i++) {
		struct ckpt_group_restore *g = ctx->groups[i];

		if (!g)
			continue;
		ckpt_pending_free(&g->pending);
		ckpt_free_posix_timers(g);
		kfree(g);
	}
	kvfree(ctx->groups);
	kvfree(ctx->leader_of);
}

/**
 * ckpt_restore_task - restore the calling task from its image section
 * @ctx: restart context
 * @idx: the caller's index in ctx->tasks
 *
 * The caller's memory, files and signal state are replaced; on failure
 * the caller is left unusable and must be killed. Its parts are restored
 * in ckpt_task_parts[] order: after the namespaces, the caller takes the
 * image's credentials, and everything after is opened, mapped and set
 * with those.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_task(struct ckpt_ctx *ctx, int idx)
{
	const struct ckpt_hdr_tree_task *e = ckpt_tree_task_entry(ctx, idx);
	struct ckpt_task_restore tr = {
		.idx = idx,
		.entry = e,
		.leader = !(e->flags & CKPT_TREE_THREAD),
	};
	struct ckpt_local *l = ckpt_local(ctx);
	struct ckpt_hdr_task *h;
	int i, ret;

	l->group = ctx->groups[ctx->leader_of[idx]];

	h = ckpt_read_obj_type(ctx, CKPT_HDR_TASK, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	ret = ckpt_check_task_record(ctx, h, e);
	if (ret)
		goto out;

	ckpt_clear_registrations();
	/* PR_SET_MM_MAP's privilege, as the restarter had it */
	l->may_relink_exe =
		ns_capable_noaudit(current_user_ns(), CAP_CHECKPOINT_RESTORE) ||
		ns_capable_noaudit(current_user_ns(), CAP_SYS_ADMIN);
	/* TCP_REPAIR's, as the restarter had it over the tree's network */
	l->may_repair_tcp =
		ns_capable_noaudit(current->nsproxy->net_ns->user_ns,
				   CAP_NET_ADMIN);
	for (i = 0; !ret && i < ARRAY_SIZE(ckpt_task_parts); i++) {
		u64 t0 = ktime_get_ns();

		ret = ckpt_task_parts[i].restore(ctx, &tr);
		ckpt_stat_since(ctx, CKPT_ST_NS + i, t0);
	}
	/* every task is attached again: SysV segments removed may go */
	if (!ret && idx == ctx->nr_tasks - 1)
		ret = ckpt_par_wait_others(ctx, idx) ?: ckpt_ipc_finish(ctx);
	if (!ret)
		ret = ckpt_restore_sleep(ctx, h);
	if (!ret)
		ret = ckpt_restore_affinity(ctx, h);
	if (!ret) {
		ckpt_apply_task(h, e);
		ret = ckpt_restore_sched(ctx, h);
	}
	if (!ret)
		ret = ckpt_finish_signals(ctx, &tr);
	if (!ret)
		ckpt_msg(ctx, "restored pid %d (%s) as pid %d", h->pid, h->comm,
			 task_pid_vnr(current));
out:
	ckpt_pending_free(&tr.pending);
	ckpt_hdr_put(ctx, h);
	return ret;
}
