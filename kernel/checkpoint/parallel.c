// SPDX-License-Identifier: GPL-2.0
/*
 * Parallel restart: the tasks of an image read from a file restore
 * themselves at the same time, each from its own section of the image.
 *
 * THE INDEX
 *
 * A task's section is every record from its TASK record to the next
 * one (or to the TAIL): records never nest, and each says its length.
 * Before the tasks restore, the coordinator hops from record header to
 * record header (ckpt_par_scan()) and notes where each section starts
 * and whether it holds a record that only a task restoring alone may
 * read (ckpt_par_record_ok(), ckpt_par_file_ok()): such a section is
 * "serial". An image whose framing does not match its tree, a stream,
 * an image with SysV IPC state of its own, and a tree of one task are
 * restored in image order, one task at a time, as before.
 *
 * WHO RUNS WHEN
 *
 * Task i may begin when
 *  - it is less than ckpt_par.window past the first task not done;
 *  - it is a thread and its leader is done: a thread shares its files
 *    table, fs and signal handlers with the leader, which rebuilds
 *    them in place;
 *  - no serial task before it is unfinished, and, when it is serial
 *    itself, every task before it is done.
 * A task waits only for tasks before it, so the first unfinished task
 * can always run and the waits cannot go round in a circle.
 *
 * SHARED OBJECTS
 *
 * An object enters the hash once it is made whole (ckpt_obj_restore()),
 * and the tasks after its maker name it by an OBJREF. A task that meets
 * an OBJREF not in the hash yet waits for it (ckpt_obj_fetch()) until
 * every task before it is done: then the image is bad, as it would be
 * in image order. The objects a task restoring in parallel may reach
 * are only read by the tasks that name them (a cred, an address space
 * joined, an open file installed); those that the second user changes
 * (pipes, sockets, epoll, SysV IPC) are in serial sections.
 *
 * Each task has its own struct ckpt_local (position, read ahead, page
 * buffer, per-task restore state) and reads its section with positional
 * reads; the image file's position is set after the TAIL at the end.
 *
 * LOCKING
 *
 * ckpt_ctx.lock protects the state of each task (ckpt_par.state),
 * ckpt_par.low, .serial_next and .nr_done; the object hash has its own
 * spinlock. Tasks wait to begin on their ckpt_ctx.tasks slot (like a
 * turn), for objects and for the others on ckpt_par.objq.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sched/signal.h>
#include <linux/wait_bit.h>
#include <linux/cpumask.h>

/* ckpt_par.state of a task */
enum {
	CKPT_PAR_WAITING,
	CKPT_PAR_RUNNING,
	CKPT_PAR_DONE,
};

/* Bytes the scan reads at a time, and of a record it looks at */
#define CKPT_PAR_SCAN_BUF	4096
#define CKPT_PAR_PEEK		16

/**
 * struct ckpt_par - a restart whose tasks restore themselves in parallel
 * @base: file offset of image offset 0
 * @start: image offset of each task's section; [nr_tasks] is the TAIL's
 * @serial: the section has records only a task restoring alone may read
 * @local: each running task's own state
 * @state: CKPT_PAR_* of each task
 * @low: the first task not done
 * @serial_next: the first serial task not done, or nr_tasks
 * @nr_done: tasks done
 * @window: how far past @low a task may begin
 * @objq: tasks wait here for an object or for the tasks before them
 */
struct ckpt_par {
	loff_t base;
	loff_t *start;
	bool *serial;
	struct ckpt_local **local;
	u8 *state;
	int low;
	int serial_next;
	int nr_done;
	int window;
	wait_queue_head_t objq;
};

/**
 * ckpt_par_record_ok - may a task restoring in parallel read this record?
 * @type: the record type
 *
 * Return: true for the records of a task's own state and of objects
 * that the tasks naming them after their maker only read.
 */
bool ckpt_par_record_ok(u32 type)
{
	switch (type) {
	case CKPT_HDR_STRING:
	case CKPT_HDR_OBJREF:
	case CKPT_HDR_TASK:
	case CKPT_HDR_CRED:
	case CKPT_HDR_UTS_NS:
	case CKPT_HDR_IPC_NS:
	case CKPT_HDR_NET_NS:
	case CKPT_HDR_NET_ADDR:
	case CKPT_HDR_CPU:
	case CKPT_HDR_FPU:
	case CKPT_HDR_FILE_TABLE:
	case CKPT_HDR_FD_ENT:
	case CKPT_HDR_FILE:
	case CKPT_HDR_FS:
	case CKPT_HDR_FILE_DATA:
	case CKPT_HDR_EVENTFD:
	case CKPT_HDR_SIGNALFD:
	case CKPT_HDR_TIMERFD:
	case CKPT_HDR_MM:
	case CKPT_HDR_VMA:
	case CKPT_HDR_PAGES:
	case CKPT_HDR_SHMEM:
	case CKPT_HDR_SYSVSEM:
	case CKPT_HDR_SEM_UNDO:
	case CKPT_HDR_SIGHAND:
	case CKPT_HDR_SIGNAL:
	case CKPT_HDR_SIGMASK:
	case CKPT_HDR_SIGINFO:
	case CKPT_HDR_POSIX_TIMER:
		return true;
	default:
		return false;
	}
}

/**
 * ckpt_par_file_ok - may a task restoring in parallel make this file?
 * @file_type: enum ckpt_file_type of a FILE record
 *
 * Return: false for the kinds whose second user changes what the first
 * one made (pipe and FIFO ends, sockets, epoll and inotify instances).
 */
static bool ckpt_par_file_ok(u32 file_type)
{
	switch (file_type) {
	case CKPT_FILE_REG:
	case CKPT_FILE_CHR:
	case CKPT_FILE_INHERIT:
	case CKPT_FILE_DATA:
	case CKPT_FILE_EVENTFD:
	case CKPT_FILE_SIGNALFD:
	case CKPT_FILE_TIMERFD:
	case CKPT_FILE_OPATH:
		return true;
	default:
		return false;
	}
}

/**
 * ckpt_par_file_check - refuse a file a parallel task may not make
 * @ctx: restart context
 * @h: the FILE record
 *
 * Return: 0, or -EINVAL (logged) for a section restored in parallel
 * that the index did not see as serial (a bad image).
 */
int ckpt_par_file_check(struct ckpt_ctx *ctx, const struct ckpt_hdr_file *h)
{
	struct ckpt_local *l = ckpt_local(ctx);

	if (!l->par || l->serial || ckpt_par_file_ok(h->file_type))
		return 0;
	return ckpt_err(ctx, -EINVAL,
			"file of type %u before offset %lld in a section restored in parallel",
			h->file_type, l->pos);
}

/* Image bytes the scan looked at last */
struct ckpt_par_scan {
	char *buf;
	loff_t off;		/* image offset of buf[0] */
	loff_t len;		/* bytes in buf */
};

/* Up to @len bytes at image offset @pos; return how many were there */
static ssize_t ckpt_par_peek(struct ckpt_ctx *ctx, struct ckpt_par *par,
			     struct ckpt_par_scan *sc, loff_t pos, void *to,
			     size_t len)
{
	loff_t fpos = par->base + pos;
	ssize_t n;

	if (pos < sc->off || pos + (loff_t)len > sc->off + sc->len) {
		n = kernel_read(ctx->file, sc->buf, CKPT_PAR_SCAN_BUF, &fpos);
		ckpt_stat_add(ctx, CKPT_ST_IO_CALLS, 1);
		if (n < 0)
			return n;
		sc->off = pos;
		sc->len = n;
	}
	n = min_t(loff_t, len, sc->off + sc->len - pos);
	memcpy(to, sc->buf + (pos - sc->off), n);
	return n;
}

/*
 * Hop over the records from the caller's position to the TAIL, noting
 * each task's section. Return: 1 when the sections match the tree and
 * the image may be restored in parallel, 0 when not, or an errno.
 */
static int ckpt_par_scan(struct ckpt_ctx *ctx, struct ckpt_par *par)
{
	struct ckpt_par_scan sc = {};
	loff_t pos = ctx->own.pos;
	int task = -1, ret = 0;
	union {
		struct ckpt_hdr h;
		u8 b[CKPT_PAR_PEEK];
		u32 w[CKPT_PAR_PEEK / 4];
	} r;

	sc.buf = kvmalloc(CKPT_PAR_SCAN_BUF, GFP_KERNEL_ACCOUNT);
	if (!sc.buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = ckpt_par_peek(ctx, par, &sc, pos, &r, sizeof(r));

		if (n < 0) {
			ret = n;
			break;
		}
		if (n < sizeof(r.h) || r.h.len < sizeof(r.h) ||
		    r.h.len > CKPT_RECORD_MAX)
			break;
		if (n < sizeof(r))
			memset(r.b + n, 0, sizeof(r) - n);
		if (r.h.type == CKPT_HDR_TAIL) {
			ret = task == ctx->nr_tasks - 1;
			par->start[ctx->nr_tasks] = pos;
			break;
		}
		if (r.h.type == CKPT_HDR_TASK) {
			if (++task >= ctx->nr_tasks)
				break;
			par->start[task] = pos;
		}
		if (task < 0 || r.h.type == CKPT_HDR_ERROR)
			break;
		/*
		 * SysV IPC of the tree's own is restored in image order:
		 * only empty SEM_UNDO lists (a thread group's) are not
		 */
		if ((r.h.type == CKPT_HDR_IPC_NS && r.w[3]) ||
		    (r.h.type == CKPT_HDR_SEM_UNDO && r.w[3]) ||
		    r.h.type == CKPT_HDR_SHM_ATTACH ||
		    (r.h.type / 100 == CKPT_HDR_IPC_NS / 100 &&
		     r.h.type != CKPT_HDR_IPC_NS &&
		     r.h.type != CKPT_HDR_SYSVSEM &&
		     r.h.type != CKPT_HDR_SEM_UNDO))
			break;
		if (!ckpt_par_record_ok(r.h.type) ||
		    (r.h.type == CKPT_HDR_FILE && !ckpt_par_file_ok(r.w[3])))
			par->serial[task] = true;
		pos += r.h.len;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	kvfree(sc.buf);
	return ret;
}

/**
 * ckpt_par_setup - decide whether the tasks restore in parallel
 * @ctx: restart context, the tree read and its tasks found, at the
 *	start of the first task's section
 *
 * An image in a regular file, of two tasks or more, whose sections
 * match its tree, is restored in parallel: ctx->par is set.
 *
 * Return: 0 (in parallel or not) or a negative errno.
 */
int ckpt_par_setup(struct ckpt_ctx *ctx)
{
	struct ckpt_readahead *ra = &ctx->own.ra;
	struct file *file = ctx->file;
	u64 t0 = ktime_get_ns();
	struct ckpt_par *par;
	int n = ctx->nr_tasks, i, ret;

	if (n < 2 || !S_ISREG(file_inode(file)->i_mode) ||
	    !(file->f_mode & FMODE_LSEEK) || (file->f_mode & FMODE_STREAM))
		return 0;
	par = kzalloc(sizeof(*par), GFP_KERNEL_ACCOUNT);
	if (!par)
		return -ENOMEM;
	par->start = kvcalloc(n + 1, sizeof(*par->start), GFP_KERNEL_ACCOUNT);
	par->serial = kvcalloc(n, sizeof(*par->serial), GFP_KERNEL_ACCOUNT);
	par->local = kvcalloc(n, sizeof(*par->local), GFP_KERNEL_ACCOUNT);
	par->state = kvcalloc(n, sizeof(*par->state), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!par->start || !par->serial || !par->local || !par->state)
		goto out;
	/* what was read ahead and not used is still at the file position */
	par->base = file->f_pos - (ra->len - ra->off) - ctx->own.pos;
	ret = ckpt_par_scan(ctx, par);
	ckpt_stat_since(ctx, CKPT_ST_INDEX, t0);
	if (ret <= 0)
		goto out;
	for (i = 0; i < n && !par->serial[i]; i++)
		;
	par->serial_next = i;
	par->window = max(2 * num_online_cpus(), 4U);
	init_waitqueue_head(&par->objq);
	/* published to the tasks with the RESTORING stage */
	ctx->par = par;
	return 0;
out:
	ctx->par = par;
	ckpt_par_free(ctx);
	return ret < 0 ? ret : 0;
}

static void ckpt_local_free(struct ckpt_local *l)
{
	ckpt_epoll_free(l);
	vfree(l->pgbuf);
	kvfree(l->ra.buf);
	kfree(l);
}

/**
 * ckpt_par_free - forget a parallel restore
 * @ctx: restart context, its tasks out of restart()
 */
void ckpt_par_free(struct ckpt_ctx *ctx)
{
	struct ckpt_par *par = ctx->par;
	int i;

	if (!par)
		return;
	ctx->par = NULL;
	for (i = 0; par->local && i < ctx->nr_tasks; i++)
		if (par->local[i])
			ckpt_local_free(par->local[i]);
	kvfree(par->start);
	kvfree(par->serial);
	kvfree(par->local);
	kvfree(par->state);
	kfree(par);
}

/**
 * ckpt_par_local - the state of a task restoring itself in parallel
 * @ctx: restart context, restoring in parallel
 *
 * Return: the caller's own, or the context's when the caller is not one
 * of the tasks restoring themselves (the coordinator).
 */
struct ckpt_local *ckpt_par_local(struct ckpt_ctx *ctx)
{
	struct ckpt_par *par = READ_ONCE(ctx->par);
	int idx = ckpt_tree_task_index(ctx, current);
	struct ckpt_local *l = NULL;

	if (par && idx >= 0)
		l = READ_ONCE(par->local[idx]);
	return l ? l : &ctx->own;
}

static bool ckpt_par_may_start(struct ckpt_ctx *ctx, int idx)
{
	struct ckpt_par *par = ctx->par;
	int lead = ctx->leader_of[idx];

	return idx < par->low + par->window &&
	       (lead == idx || par->state[lead] == CKPT_PAR_DONE) &&
	       par->serial_next >= idx &&
	       (!par->serial[idx] || par->low == idx);
}

static bool ckpt_par_ready(struct ckpt_ctx *ctx, int idx)
{
	bool ret;

	spin_lock(&ctx->lock);
	ret = ckpt_par_may_start(ctx, idx) ||
	      ctx->stage != CKPT_STAGE_RESTORING;
	spin_unlock(&ctx->lock);
	return ret;
}

/**
 * ckpt_par_wait_start - wait until the caller may begin restoring itself
 * @ctx: restart context, restoring in parallel
 * @idx: the caller's index in ctx->tasks
 *
 * Return: 0 with the caller marked running and its own state set up,
 * 1 when the session ended before it began (it is untouched), or a
 * negative errno.
 */
int ckpt_par_wait_start(struct ckpt_ctx *ctx, int idx)
{
	struct ckpt_par *par = ctx->par;
	struct ckpt_local *l;
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->pos = par->start[idx];
	l->fpos = par->base + l->pos;
	l->end = par->start[idx + 1];
	l->par = true;
	l->serial = par->serial[idx];
	INIT_LIST_HEAD(&l->epolls);

	ret = wait_var_event_killable(&ctx->tasks[idx],
				      ckpt_par_ready(ctx, idx));
	if (ret) {
		kfree(l);
		return ret;
	}
	spin_lock(&ctx->lock);
	if (ctx->stage == CKPT_STAGE_RESTORING && ckpt_par_may_start(ctx, idx))
		par->state[idx] = CKPT_PAR_RUNNING;
	else
		ret = 1;
	spin_unlock(&ctx->lock);
	if (ret) {
		kfree(l);
		return ret;
	}
	WRITE_ONCE(par->local[idx], l);
	ckpt_stat_add(ctx, l->serial ? CKPT_ST_TASKS_SERIAL :
				       CKPT_ST_TASKS_PAR, 1);
	return 0;
}

/**
 * ckpt_par_started - whether a task began restoring itself
 * @ctx: restart context, restoring in parallel, under ctx->lock
 * @idx: index in ctx->tasks
 *
 * Return: true once it began (done or not).
 */
bool ckpt_par_started(struct ckpt_ctx *ctx, int idx)
{
	return ctx->par->state[idx] != CKPT_PAR_WAITING;
}

/**
 * ckpt_par_check_end - did the caller's restore read its section to the end?
 * @ctx: restart context, restoring in parallel
 * @idx: the caller's index in ctx->tasks
 *
 * Return: 0, or -EINVAL (logged) when it stopped elsewhere.
 */
int ckpt_par_check_end(struct ckpt_ctx *ctx, int idx)
{
	struct ckpt_local *l = ctx->par->local[idx];

	if (l->pos == l->end)
		return 0;
	return ckpt_err(ctx, -EINVAL,
			"pid %d: its section ends at offset %lld, its restore at %lld",
			ckpt_tree_task_entry(ctx, idx)->pid, l->end, l->pos);
}

/**
 * ckpt_par_done - the caller finished restoring itself, well or not
 * @ctx: restart context, restoring in parallel
 * @idx: the caller's index in ctx->tasks
 *
 * The caller's own state goes; the tasks it held back are woken.
 */
void ckpt_par_done(struct ckpt_ctx *ctx, int idx)
{
	struct ckpt_par *par = ctx->par;
	struct ckpt_local *l = par->local[idx];
	int i, end, n = ctx->nr_tasks;

	WRITE_ONCE(par->local[idx], NULL);

	spin_lock(&ctx->lock);
	ctx->own.nr_records += l->nr_records;
	par->state[idx] = CKPT_PAR_DONE;
	par->nr_done++;
	while (par->low < n && par->state[par->low] == CKPT_PAR_DONE)
		par->low++;
	while (par->serial_next < n &&
	       (!par->serial[par->serial_next] ||
		par->state[par->serial_next] == CKPT_PAR_DONE))
		par->serial_next++;
	i = par->low;
	end = min(par->low + par->window, n);
	spin_unlock(&ctx->lock);
	ckpt_local_free(l);

	for (; i < end; i++)
		wake_up_var(&ctx->tasks[i]);
	wake_up_all(&par->objq);
	wake_up(&ctx->coordq);
}

/**
 * ckpt_par_all_done - have all the tasks restored themselves?
 * @ctx: restart context, restoring in parallel
 *
 * Return: true when every task is done.
 */
bool ckpt_par_all_done(struct ckpt_ctx *ctx)
{
	bool ret;

	spin_lock(&ctx->lock);
	ret = ctx->par->nr_done >= ctx->nr_tasks;
	spin_unlock(&ctx->lock);
	return ret;
}

/* Are all tasks before @idx done, or the session over? */
static bool ckpt_par_before_done(struct ckpt_ctx *ctx, int idx)
{
	bool ret;

	spin_lock(&ctx->lock);
	ret = ctx->par->low >= idx || ctx->stage != CKPT_STAGE_RESTORING;
	spin_unlock(&ctx->lock);
	return ret;
}

/**
 * ckpt_par_wait_others - wait until every task before the caller is done
 * @ctx: restart context
 * @idx: the caller's index in ctx->tasks
 *
 * Return: 0 (at once when not restoring in parallel), or -EINTR when
 * the session ended or the caller was killed.
 */
int ckpt_par_wait_others(struct ckpt_ctx *ctx, int idx)
{
	if (!ctx->par)
		return 0;
	if (wait_event_killable(ctx->par->objq, ckpt_par_before_done(ctx, idx)))
		return -EINTR;
	return READ_ONCE(ctx->stage) == CKPT_STAGE_RESTORING ? 0 : -EINTR;
}

/**
 * ckpt_par_wait_obj - wait for an object a task before the caller makes
 * @ctx: restart context
 * @found: looks the object up, true once it is there
 * @arg: for @found
 *
 * Return: 0 once @found said so, -ENOENT once every task before the
 * caller is done without it (or when not restoring in parallel), or
 * -EINTR when the session ended or the caller was killed.
 */
int ckpt_par_wait_obj(struct ckpt_ctx *ctx, bool (*found)(void *arg),
		      void *arg)
{
	struct ckpt_par *par = READ_ONCE(ctx->par);
	int idx = ckpt_par_self(ctx);

	if (idx < 0)
		return -ENOENT;
	if (wait_event_killable(par->objq, found(arg) ||
				ckpt_par_before_done(ctx, idx)))
		return -EINTR;
	if (found(arg))
		return 0;
	return READ_ONCE(ctx->stage) == CKPT_STAGE_RESTORING ? -ENOENT : -EINTR;
}

/**
 * ckpt_par_self - the caller's index, when it restores itself in parallel
 * @ctx: restart context
 *
 * Return: its index in ctx->tasks, or -1 (not restoring in parallel, or
 * not one of the tasks).
 */
int ckpt_par_self(struct ckpt_ctx *ctx)
{
	struct ckpt_par *par = READ_ONCE(ctx->par);
	int idx;

	if (!par)
		return -1;
	idx = ckpt_tree_task_index(ctx, current);
	return idx >= 0 && READ_ONCE(par->local[idx]) ? idx : -1;
}

/**
 * ckpt_par_obj_added - tell the waiting tasks a new object is there
 * @ctx: restart context
 */
void ckpt_par_obj_added(struct ckpt_ctx *ctx)
{
	struct ckpt_par *par = READ_ONCE(ctx->par);

	if (par)
		wake_up_all(&par->objq);
}

/**
 * ckpt_par_finish - after the last task: the image position at the TAIL
 * @ctx: restart context, every task done
 *
 * The coordinator reads the TAIL (and leaves the file) where the last
 * section ended.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_par_finish(struct ckpt_ctx *ctx)
{
	struct ckpt_par *par = ctx->par;
	loff_t off;

	if (!par)
		return 0;
	ctx->own.pos = par->start[ctx->nr_tasks];
	ctx->own.ra.off = 0;
	ctx->own.ra.len = 0;
	off = vfs_llseek(ctx->file, par->base + ctx->own.pos, SEEK_SET);
	return off < 0 ? (int)off : 0;
}
