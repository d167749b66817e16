// SPDX-License-Identifier: GPL-2.0
/*
 * The process tree: which tasks a checkpoint saves (the root, its
 * threads, its descendants, zombies included) and the tree section of
 * the image that lets user space rebuild the same hierarchy (pids,
 * parents, sessions, process groups, dead session and group leaders)
 * before the tasks restore themselves.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/fdtable.h>
#include <linux/fs_struct.h>

/* Largest tree an image may describe */
#define CKPT_TREE_MAX	PID_MAX_LIMIT

struct ckpt_walk {
	struct task_struct **all;
	int nr;
	int cap;
};

static bool ckpt_walk_add(struct ckpt_walk *w, struct task_struct *t)
{
	if (t->exit_state == EXIT_DEAD)
		return true;	/* being reaped: not part of the tree */
	if (w->nr >= w->cap)
		return false;
	get_task_struct(t);
	w->all[w->nr++] = t;
	return true;
}

/*
 * Breadth first from the root: each process is followed by its other
 * threads, then come the children of all its threads.
 */
static bool ckpt_walk_tree(struct ckpt_walk *w, struct task_struct *root)
{
	struct task_struct *t, *th, *child;
	int i;

	read_lock(&tasklist_lock);
	if (!ckpt_walk_add(w, root))
		goto overflow;
	for (i = 0; i < w->nr; i++) {
		t = w->all[i];
		if (!thread_group_leader(t))
			continue;
		for_each_thread(t, th)
			if (th != t && !th->exit_state && !ckpt_walk_add(w, th))
				goto overflow;
		for_each_thread(t, th)
			list_for_each_entry(child, &th->children, sibling)
				if (!ckpt_walk_add(w, child))
					goto overflow;
	}
	read_unlock(&tasklist_lock);
	return true;
overflow:
	read_unlock(&tasklist_lock);
	return false;
}

static void ckpt_walk_free(struct ckpt_walk *w)
{
	while (w->nr)
		put_task_struct(w->all[--w->nr]);
	kvfree(w->all);
	w->all = NULL;
}

static int ckpt_walk(struct ckpt_ctx *ctx, struct ckpt_walk *w)
{
	for (w->cap = 64; w->cap <= CKPT_TREE_MAX; w->cap *= 4) {
		w->nr = 0;
		w->all = kvcalloc(w->cap, sizeof(*w->all), GFP_KERNEL);
		if (!w->all)
			return -ENOMEM;
		if (ckpt_walk_tree(w, ctx->root_task))
			return 0;
		ckpt_walk_free(w);
	}
	return ckpt_err(ctx, -E2BIG, "process tree too large");
}

/*
 * A task we can save: ours to ptrace, frozen (unless it is the caller),
 * not traced, not in vfork, in a state the arch code supports.
 */
static int ckpt_check_task(struct ckpt_ctx *ctx, struct task_struct *t)
{
	pid_t pid = task_pid_vnr(t);

	if (t->flags & PF_KTHREAD)
		return ckpt_err(ctx, -EPERM, "pid %d is a kernel thread", pid);
	if (!ptrace_may_access(t, PTRACE_MODE_ATTACH_REALCREDS))
		return ckpt_err(ctx, -EPERM,
				"no permission to checkpoint pid %d", pid);
	if (t->exit_state || (t->flags & PF_EXITING))
		return ckpt_err(ctx, -EBUSY, "pid %d is exiting", pid);
	if (t->vfork_done)
		return ckpt_err(ctx, -EBUSY, "pid %d is in vfork()", pid);
	if (t != current) {
		if (t->ptrace)
			return ckpt_err(ctx, -EBUSY, "pid %d is being traced",
					pid);
		if (!ckpt_task_frozen(t))
			return ckpt_err(ctx, -EBUSY,
					"pid %d is not frozen (freeze its cgroup first)",
					pid);
		/* make sure it is off the CPU with its registers saved */
		wait_task_inactive(t, 0);
	} else if (!thread_group_empty(t)) {
		return ckpt_err(ctx, -EBUSY,
				"self-checkpoint of a multi-threaded process is not supported");
	}
	return ckpt_arch_check_task(ctx, t);
}

/**
 * ckpt_recheck_task - check a task again right before it is saved
 * @ctx: checkpoint context
 * @i: the task's index in ctx->tasks
 *
 * Called with the task's exec_update_lock held for reading, each time it
 * is taken to save the task (see HOLDING A TASK in checkpoint.c). A task
 * that was thawed meanwhile and ran a new program or took other
 * credentials is not the one the caller was allowed to save.
 *
 * Return: 0, or -EBUSY/-EPERM naming the task.
 */
int ckpt_recheck_task(struct ckpt_ctx *ctx, int i)
{
	struct task_struct *t = ctx->tasks[i];
	pid_t pid = task_pid_vnr(t);

	if (READ_ONCE(t->self_exec_id) != ctx->seen[i].exec_id)
		return ckpt_err(ctx, -EBUSY,
				"pid %d ran a new program during the checkpoint",
				pid);
	if (rcu_access_pointer(t->real_cred) != ctx->seen[i].cred)
		return ckpt_err(ctx, -EBUSY,
				"pid %d changed its credentials during the checkpoint",
				pid);
	return ckpt_check_task(ctx, t);
}

static struct ckpt_hdr_tree_task *ckpt_tree_entry(struct ckpt_ctx *ctx,
						  pid_t pid)
{
	void *v = pid > 0 ? xa_load(&ctx->tree_pids, pid) : NULL;

	return v ? &ctx->tree[xa_to_value(v)] : NULL;
}

/**
 * ckpt_tree_find - the tree section's entry of a pid
 * @ctx: checkpoint context (tree collected) or restart context (tree read)
 * @pid: a pid in the image's pid namespace
 *
 * Return: the entry (a task, zombie or ghost), or NULL if the tree has no
 * such pid.
 */
const struct ckpt_hdr_tree_task *ckpt_tree_find(struct ckpt_ctx *ctx,
						pid_t pid)
{
	return ckpt_tree_entry(ctx, pid);
}

/**
 * ckpt_get_pid - the struct pid of a pid number an image names
 * @ctx: restart context (its root_ns known)
 * @nr: a pid in the image's pid namespace, 0 for none
 *
 * Objects remember the process that last used them (a semaphore's last
 * semop(), a segment's creator) by its struct pid, whose number reads the
 * same after that process is gone. A number of a restored task gives its
 * pid; any other gets a pid of that number, made and freed again at once
 * as the process that had it left it: it reads the same and may be
 * reused. That takes what clone3()'s set_tid takes in the namespace.
 *
 * Return: the pid (put it with put_pid()), NULL for 0, or an ERR_PTR.
 */
struct pid *ckpt_get_pid(struct ckpt_ctx *ctx, pid_t nr)
{
	struct pid *pid;

	if (!nr)
		return NULL;
	if (nr < 0 || nr >= pid_max)
		return ERR_PTR(-EINVAL);
	rcu_read_lock();
	pid = get_pid(find_pid_ns(nr, ctx->root_ns));
	rcu_read_unlock();
	if (pid)
		return pid;
	pid = alloc_pid(ctx->root_ns, &nr, 1);
	if (IS_ERR(pid))
		return pid;
	get_pid(pid);
	free_pid(pid);
	return pid;
}

/* Make the last entry of ctx->tree findable by its pid */
static int ckpt_tree_index_last(struct ckpt_ctx *ctx)
{
	int i = ctx->nr_tree - 1;

	return xa_err(xa_store(&ctx->tree_pids, ctx->tree[i].pid,
			       xa_mk_value(i), GFP_KERNEL_ACCOUNT));
}

/*
 * A session or process group of the tree whose leader is not in it:
 * in a subtree a living leader outside is fine (the restarted tree
 * keeps the restarter's, written as 0); a dead leader becomes a ghost.
 */
static int ckpt_tree_leader(struct ckpt_ctx *ctx, s32 *id, s32 sid,
			    bool is_sid)
{
	struct ckpt_hdr_tree_task *g;
	struct task_struct *leader;
	bool container = ctx->kflags & CKPT_CTX_CONTAINER;

	if (*id <= 0 || ckpt_tree_entry(ctx, *id))
		return 0;
	rcu_read_lock();
	leader = pid_task(find_pid_ns(*id, ctx->root_ns), PIDTYPE_PID);
	rcu_read_unlock();
	if (leader) {
		if (container)
			return ckpt_err(ctx, -EBUSY,
					"%s %d of the container is led by a task outside the tree",
					is_sid ? "session" : "process group", *id);
		*id = 0;
		return 0;
	}
	g = &ctx->tree[ctx->nr_tree++];
	g->h.type = CKPT_HDR_TREE_TASK;
	g->h.len = sizeof(*g);
	g->pid = *id;
	g->tgid = *id;
	g->ppid = ctx->tree[0].pid;
	g->sid = is_sid ? *id : sid;
	g->pgid = *id;
	g->flags = CKPT_TREE_GHOST;
	return ckpt_tree_index_last(ctx);
}

static void ckpt_fill_entry(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_hdr_tree_task *e)
{
	struct pid_namespace *ns = ctx->root_ns;

	e->h.type = CKPT_HDR_TREE_TASK;
	e->h.len = sizeof(*e);
	rcu_read_lock();
	e->pid = task_pid_nr_ns(t, ns);
	e->tgid = task_tgid_nr_ns(t, ns);
	e->ppid = same_thread_group(t, ctx->root_task) ? 0 :
		task_tgid_nr_ns(rcu_dereference(t->real_parent), ns);
	e->sid = task_session_nr_ns(t, ns);
	e->pgid = task_pgrp_nr_ns(t, ns);
	rcu_read_unlock();
	if (t == ctx->root_task)
		e->flags |= CKPT_TREE_ROOT;
	if (!thread_group_leader(t))
		e->flags |= CKPT_TREE_THREAD;
	else if (t->signal->is_child_subreaper)
		e->flags |= CKPT_TREE_SUBREAPER;
}

/**
 * ckpt_collect_tree - find and check the tasks a checkpoint saves
 * @ctx: checkpoint context, with root_task set
 *
 * Fills ctx->tree (every task, zombies and ghosts included, in image
 * order) and ctx->tasks (the living tasks whose state is saved, in the
 * same order). A self-checkpoint saves the caller alone.
 *
 * Return: 0 or a negative errno (the log says which task and why).
 */
int ckpt_collect_tree(struct ckpt_ctx *ctx)
{
	struct task_struct *root = ctx->root_task;
	struct ckpt_walk w = {};
	int i, nr, ret;

	if (!thread_group_leader(root))
		return ckpt_err(ctx, -EINVAL,
				"pid %d is a thread, not a process",
				task_pid_vnr(root));
	ctx->root_ns = get_pid_ns(task_active_pid_ns(root));
	if (ctx->root_ns->child_reaper == root &&
	    !(ctx->kflags & CKPT_CTX_SELF))
		ctx->kflags |= CKPT_CTX_CONTAINER;

	if (ctx->kflags & CKPT_CTX_SELF) {
		w.all = kvcalloc(1, sizeof(*w.all), GFP_KERNEL);
		if (!w.all)
			return -ENOMEM;
		w.all[w.nr++] = get_task_struct(root);
	} else {
		ret = ckpt_walk(ctx, &w);
		if (ret)
			return ret;
	}

	/* room for every task plus a ghost session and group each */
	ret = -ENOMEM;
	ctx->tree = kvcalloc(3 * w.nr, sizeof(*ctx->tree), GFP_KERNEL);
	ctx->tasks = kvcalloc(w.nr, sizeof(*ctx->tasks), GFP_KERNEL);
	ctx->seen = kvcalloc(w.nr, sizeof(*ctx->seen), GFP_KERNEL);
	if (!ctx->tree || !ctx->tasks || !ctx->seen)
		goto out;

	for (i = 0; i < w.nr; i++) {
		struct task_struct *t = w.all[i];
		struct ckpt_hdr_tree_task *e = &ctx->tree[ctx->nr_tree++];

		ckpt_fill_entry(ctx, t, e);
		ret = ckpt_tree_index_last(ctx);
		if (ret)
			goto out;
		if (t->exit_state == EXIT_ZOMBIE && thread_group_leader(t)) {
			if (!thread_group_empty(t)) {
				ret = ckpt_err(ctx, -EBUSY,
					       "pid %d: dead leader of living threads",
					       task_pid_vnr(t));
				goto out;
			}
			e->flags |= CKPT_TREE_ZOMBIE;
			e->exit_code = t->exit_code;
			continue;
		}
		ret = ckpt_check_task(ctx, t);
		if (ret)
			goto out;
		ctx->seen[ctx->nr_tasks].cred = get_task_cred(t);
		ctx->seen[ctx->nr_tasks].exec_id = READ_ONCE(t->self_exec_id);
		ctx->tasks[ctx->nr_tasks++] = get_task_struct(t);
	}

	nr = ctx->nr_tree;
	for (i = 0; i < nr; i++) {
		struct ckpt_hdr_tree_task *e = &ctx->tree[i];

		ret = ckpt_tree_leader(ctx, &e->sid, 0, true);
		if (!ret)
			ret = ckpt_tree_leader(ctx, &e->pgid, e->sid, false);
		if (ret)
			goto out;
	}
	ret = 0;
out:
	ckpt_walk_free(&w);
	return ret;
}

/**
 * ckpt_write_tree - write the TREE section
 * @ctx: checkpoint context
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_tree(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_tree tree = {
		.h.type = CKPT_HDR_TREE,
		.h.len = sizeof(tree),
		.nr_tasks = ctx->nr_tree,
	};
	int i, ret;

	ret = ckpt_write_obj(ctx, &tree.h);
	for (i = 0; !ret && i < ctx->nr_tree; i++)
		ret = ckpt_write_obj(ctx, &ctx->tree[i].h);
	return ret;
}

static int ckpt_check_entry(struct ckpt_ctx *ctx, int i,
			    struct ckpt_hdr_tree_task *e)
{
	const struct ckpt_hdr_tree_task *leader = ckpt_tree_entry(ctx, e->tgid);
	bool root = e->flags & CKPT_TREE_ROOT;
	bool thread = e->flags & CKPT_TREE_THREAD;
	int max = READ_ONCE(pid_max);
	bool bad;

	bad = e->pid <= 0 || e->tgid <= 0 || e->ppid < 0 || e->sid < 0 ||
	      e->pgid < 0 || e->pid > max || e->tgid > max || e->ppid > max ||
	      e->sid > max || e->pgid > max || e->flags & ~CKPT_TREE_FLAGS ||
	      root != (i == 0) || thread == (e->pid == e->tgid) ||
	      ckpt_tree_entry(ctx, e->pid);
	if (root)
		bad |= !!(e->flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST));
	else if (thread)
		/* a thread follows its process, whose parent it shares */
		bad |= !leader || (leader->flags & CKPT_TREE_THREAD) ||
		       leader->ppid != e->ppid ||
		       !!(e->flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST));
	else
		bad |= !ckpt_tree_entry(ctx, e->ppid);
	if (bad)
		return ckpt_err(ctx, -EINVAL,
				"bad tree entry %d (pid %d tgid %d ppid %d flags %#x)",
				i, e->pid, e->tgid, e->ppid, e->flags);
	return 0;
}

/*
 * Room for entry @i of a tree announced as @nr entries: the array grows
 * as entries arrive, so memory follows what the stream delivered, not
 * what the image announced.
 */
static int ckpt_tree_grow(struct ckpt_ctx *ctx, int i, int nr, int *cap)
{
	struct ckpt_hdr_tree_task *tree;
	int new_cap;

	if (i < *cap)
		return 0;
	new_cap = min(max(2 * *cap, 64), nr);
	tree = kvrealloc(ctx->tree, *cap * sizeof(*tree),
			 new_cap * sizeof(*tree), GFP_KERNEL_ACCOUNT);
	if (!tree)
		return -ENOMEM;
	ctx->tree = tree;
	*cap = new_cap;
	return 0;
}

/**
 * ckpt_read_tree - read the TREE section
 * @ctx: restart context
 *
 * Every entry is checked: one root first, parents listed before their
 * children, no pid twice, pids within pid_max, known flags only.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_read_tree(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_tree *tree;
	int i, nr, cap = 0, ret = 0;

	tree = ckpt_read_obj_type(ctx, CKPT_HDR_TREE, sizeof(*tree));
	if (IS_ERR(tree))
		return PTR_ERR(tree);
	nr = tree->nr_tasks;
	ckpt_hdr_put(ctx, tree);
	if (nr <= 0 || nr > min_t(int, CKPT_TREE_MAX, READ_ONCE(pid_max)))
		return ckpt_err(ctx, -EINVAL, "tree section lists %d tasks", nr);

	for (i = 0; !ret && i < nr; i++) {
		struct ckpt_hdr_tree_task *e;

		if (fatal_signal_pending(current))
			return -EINTR;
		e = ckpt_read_obj_type(ctx, CKPT_HDR_TREE_TASK, sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
		ret = ckpt_check_entry(ctx, i, e);
		if (!ret)
			ret = ckpt_tree_grow(ctx, i, nr, &cap);
		if (!ret) {
			ctx->tree[ctx->nr_tree++] = *e;
			ret = ckpt_tree_index_last(ctx);
		}
		ckpt_hdr_put(ctx, e);
		cond_resched();
	}
	return ret;
}

/* Is @t in @root's thread group or below it? */
static bool ckpt_task_below(struct task_struct *t, struct task_struct *root)
{
	bool below = false;

	rcu_read_lock();
	for (;;) {
		if (same_thread_group(t, root)) {
			below = true;
			break;
		}
		if (t->pid <= 1 || t == rcu_dereference(t->real_parent))
			break;
		t = rcu_dereference(t->real_parent);
	}
	rcu_read_unlock();
	return below;
}

static int ckpt_tree_alloc_tasks(struct ckpt_ctx *ctx)
{
	int nr = ctx->nr_tree;

	ctx->tasks = kvcalloc(nr, sizeof(*ctx->tasks), GFP_KERNEL_ACCOUNT);
	ctx->task_entry = kvcalloc(nr, sizeof(int), GFP_KERNEL_ACCOUNT);
	ctx->entry_task = kvmalloc_array(nr, sizeof(int), GFP_KERNEL_ACCOUNT);
	if (!ctx->tasks || !ctx->task_entry || !ctx->entry_task)
		return -ENOMEM;
	return 0;
}

/**
 * ckpt_tree_find_tasks - the tasks that will restore the tree entries
 * @ctx: restart context, tree read, root_task and root_ns set
 *
 * The root entry is the coordinator's child; every other living entry
 * must be a descendant of it with exactly the image's pid (user space
 * rebuilt the tree with those pids) and, for threads, the image's tgid.
 * The caller must be allowed to ptrace each. Zombies and ghosts restore
 * nothing.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_tree_find_tasks(struct ckpt_ctx *ctx)
{
	struct pid_namespace *ns = ctx->root_ns;
	int i, ret;

	ret = ckpt_tree_alloc_tasks(ctx);
	if (ret)
		return ret;
	for (i = 0; i < ctx->nr_tree; i++) {
		struct ckpt_hdr_tree_task *e = &ctx->tree[i];
		struct task_struct *t;
		bool ok;

		ctx->entry_task[i] = -1;
		if (e->flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST))
			continue;
		if (i == 0) {
			t = get_task_struct(ctx->root_task);
			goto found;
		}
		rcu_read_lock();
		t = find_task_by_pid_ns(e->pid, ns);
		ok = t && ckpt_task_below(t, ctx->root_task) &&
		     (!(e->flags & CKPT_TREE_THREAD) ||
		      task_tgid_nr_ns(t, ns) == e->tgid) &&
		     thread_group_leader(t) == !(e->flags & CKPT_TREE_THREAD);
		if (ok)
			get_task_struct(t);
		rcu_read_unlock();
		if (!ok)
			return ckpt_err(ctx, -ESRCH,
					"pid %d of the image is not a %s under the restarted root",
					e->pid, e->flags & CKPT_TREE_THREAD ?
					"thread" : "process");
found:
		ctx->task_entry[ctx->nr_tasks] = i;
		ctx->entry_task[i] = ctx->nr_tasks;
		ctx->tasks[ctx->nr_tasks++] = t;
		if (t != current &&
		    !ptrace_may_access(t, PTRACE_MODE_ATTACH_REALCREDS))
			return ckpt_err(ctx, -EPERM,
					"no permission to restart pid %d", e->pid);
		cond_resched();
	}
	return 0;
}

/* Is the real parent of tasks[@idx] the task of its image parent? */
static bool ckpt_tree_parent_ok(struct ckpt_ctx *ctx, int idx)
{
	const struct ckpt_hdr_tree_task *e = ckpt_tree_task_entry(ctx, idx);
	const struct ckpt_hdr_tree_task *p = ckpt_tree_entry(ctx, e->ppid);
	int j = p ? ctx->entry_task[p - ctx->tree] : -1;
	bool ok;

	if (j < 0)
		return false;
	rcu_read_lock();
	ok = same_thread_group(rcu_dereference(ctx->tasks[idx]->real_parent),
			       ctx->tasks[j]);
	rcu_read_unlock();
	return ok;
}

/*
 * Count the tasks of the restart that use each of @t's objects a restore
 * rebuilds in place (files table, fs, signal handlers; with @own_mm the
 * address space, which is replaced): those objects must have no other
 * user, or a thread outside the image or a task sharing the files would
 * run on with state it never had. Called with every task blocked in
 * restart().
 */
static int ckpt_check_private(struct ckpt_ctx *ctx, struct task_struct *t,
			      bool own_mm)
{
	struct mm_struct *mm = READ_ONCE(t->mm);
	struct files_struct *files = READ_ONCE(t->files);
	struct fs_struct *fs = READ_ONCE(t->fs);
	struct sighand_struct *sighand = rcu_access_pointer(t->sighand);
	int i, n[4] = { 0, 0, 0, 0 }, users[4];
	static const char * const what[4] = {
		"address space", "files table", "root and working directory",
		"signal handler table",
	};

	if (!mm || !files || !fs || !sighand)
		return ckpt_err(ctx, -ESRCH, "pid %d is exiting",
				task_pid_nr_ns(t, ctx->root_ns));
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct task_struct *u = ctx->tasks[i];

		n[0] += READ_ONCE(u->mm) == mm;
		n[1] += READ_ONCE(u->files) == files;
		n[2] += READ_ONCE(u->fs) == fs;
		n[3] += rcu_access_pointer(u->sighand) == sighand;
	}
	users[0] = atomic_read(&mm->mm_users);
	users[1] = atomic_read(&files->count);
	users[2] = READ_ONCE(fs->users);
	users[3] = refcount_read(&sighand->count);
	for (i = own_mm ? 0 : 1; i < 4; i++)
		if (users[i] > n[i])
			return ckpt_err(ctx, -EBUSY,
					"pid %d: its %s is shared with a task outside the restart",
					task_pid_nr_ns(t, ctx->root_ns), what[i]);
	return 0;
}

/**
 * ckpt_tree_check_private - refuse tasks that share state outside
 * @ctx: restart context, tasks found and all in restart()
 * @own_mm: the address space too
 *
 * See ckpt_check_private(). An address space is never rebuilt in place
 * (each process gets a fresh one), so the tasks MakeForest made sharing
 * its own may restart; a RESTART_TASKSELF caller must still have no
 * other thread or vfork() child, which would be left behind in the old
 * address space.
 *
 * Return: 0 or -EBUSY naming the task and what it shares.
 */
int ckpt_tree_check_private(struct ckpt_ctx *ctx, bool own_mm)
{
	int i, ret = 0;

	for (i = 0; !ret && i < ctx->nr_tasks; i++)
		ret = ckpt_check_private(ctx, ctx->tasks[i], own_mm);
	return ret;
}

/**
 * ckpt_tree_check_joined - check the tasks of a restart once all joined
 * @ctx: restart context, every task in restart(0, ...)
 *
 * The tasks now sit in restart(): their credentials and parents cannot
 * change any more. The caller must still be allowed to ptrace each,
 * each process must be the child of the task its image entry names, and
 * what their restore rebuilds in place must be theirs alone.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_tree_check_joined(struct ckpt_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->nr_tasks; i++) {
		const struct ckpt_hdr_tree_task *e = ckpt_tree_task_entry(ctx, i);

		if (!ptrace_may_access(ctx->tasks[i],
				       PTRACE_MODE_ATTACH_REALCREDS))
			return ckpt_err(ctx, -EPERM,
					"no permission to restart pid %d", e->pid);
		if (i && !(e->flags & CKPT_TREE_THREAD) &&
		    !ckpt_tree_parent_ok(ctx, i))
			return ckpt_err(ctx, -EINVAL,
					"pid %d is not a child of pid %d as in the image",
					e->pid, e->ppid);
		cond_resched();
	}
	return ckpt_tree_check_private(ctx, false);
}

/**
 * ckpt_tree_task_entry - the tree entry of a restoring task
 * @ctx: restart context
 * @idx: the task's index in ctx->tasks
 *
 * Return: its entry.
 */
const struct ckpt_hdr_tree_task *ckpt_tree_task_entry(struct ckpt_ctx *ctx,
						      int idx)
{
	return &ctx->tree[ctx->task_entry[idx]];
}

/**
 * ckpt_tree_task_index - where a task of the restart is in ctx->tasks
 * @ctx: restart context, tasks found
 * @t: the task
 *
 * Return: its index, or -1 if @t is not a task of the restart.
 */
int ckpt_tree_task_index(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct pid_namespace *ns = ctx->root_ns;
	void *v;
	int i;

	if (t == ctx->root_task)
		return 0;
	v = xa_load(&ctx->tree_pids, task_pid_nr_ns(t, ns));
	if (!v)
		return -1;
	i = ctx->entry_task[xa_to_value(v)];
	return i >= 0 && ctx->tasks[i] == t ? i : -1;
}
