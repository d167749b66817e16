// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of POSIX timers (timer_create()): their ids, clocks,
 * notification, time to go, interval and overrun counts, and a timer's
 * own queue entry when its signal is pending. They are part of the
 * process's SIGNAL object (kernel/checkpoint/signal.c): saved with it,
 * created again when it is restored, armed by the last task of the thread
 * group once every thread is back.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/posix-timers.h>
#include <linux/hrtimer.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/sort.h>
#include <linux/bsearch.h>
#include "posix-timers.h"

/* Timers whose clock is a CPU-time clock, not an hrtimer or alarm */
static bool ckpt_cpu_clock(clockid_t clock)
{
	return clock < 0 && CPUCLOCK_WHICH(clock) != CLOCKFD;
}

/* The tree's task of image pid @pid, if it is one that runs */
static bool ckpt_live_in_tree(struct ckpt_ctx *ctx, pid_t pid, pid_t *tgid)
{
	const struct ckpt_hdr_tree_task *e = ckpt_tree_find(ctx, pid);

	if (!e || e->flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST))
		return false;
	if (tgid)
		*tgid = e->tgid;
	return true;
}

/*
 * Fill @r from @timr, locked. Return NULL, or why the timer cannot be
 * saved.
 */
static const char *ckpt_fill_timer(struct ckpt_ctx *ctx, struct k_itimer *timr,
				   struct ckpt_hdr_posix_timer *r)
{
	struct itimerspec64 cur = {};
	clockid_t clock = timr->it_clock;
	pid_t pid;

	r->h.type = CKPT_HDR_POSIX_TIMER;
	r->h.len = sizeof(*r);
	r->id = timr->it_id;
	r->notify = timr->it_sigev_notify;
	r->signo = timr->sigq->info.si_signo;
	r->sigval = (unsigned long)timr->sigq->info.si_value.sival_ptr;
	if (r->notify & SIGEV_THREAD_ID) {
		r->tid = pid_nr_ns(timr->it_pid, ctx->root_ns);
		if (!ckpt_live_in_tree(ctx, r->tid, NULL))
			return "signals a thread that is not in the tree";
	}
	if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
		return "counts an alarm clock";
	if (clock < 0 && !ckpt_cpu_clock(clock))
		return "counts a dynamic (PTP) clock";
	/*
	 * CLOCK_PROCESS_CPUTIME_ID stays as it is (the process's own); any
	 * other CPU-time clock names a task of the tree, by its pid there.
	 */
	if (ckpt_cpu_clock(clock) &&
	    (CPUCLOCK_PID(clock) || CPUCLOCK_PERTHREAD(clock))) {
		pid = pid_nr_ns(timr->it.cpu.pid, ctx->root_ns);
		if (!ckpt_live_in_tree(ctx, pid, NULL))
			return "counts the CPU time of a task not in the tree";
		clock = CPUCLOCK_PERTHREAD(clock) ?
			make_thread_cpuclock(pid, CPUCLOCK_WHICH(clock)) :
			make_process_cpuclock(pid, CPUCLOCK_WHICH(clock));
	}
	r->clock = clock;

	timr->kclock->timer_get(timr, &cur);
	r->value = timespec64_to_ns(&cur.it_value);
	r->interval = timespec64_to_ns(&cur.it_interval);
	/*
	 * Armed for a time of CLOCK_REALTIME or CLOCK_TAI (TIMER_ABSTIME):
	 * the hrtimer runs on that clock's base. It keeps its time; any
	 * other timer keeps the time it has to go.
	 */
	if (r->value && (clock == CLOCK_REALTIME || clock == CLOCK_TAI) &&
	    timr->it.real.timer.base->clockid == clock) {
		r->value = ktime_to_ns(hrtimer_get_expires(&timr->it.real.timer));
		r->flags |= CKPT_TIMER_ABSTIME;
	}
	if (r->interval && timr->it_requeue_pending & REQUEUE_PENDING)
		r->flags |= CKPT_TIMER_REQUEUE;
	r->overrun = timr->it_overrun;
	r->overrun_last = timr->it_overrun_last;
	return NULL;
}

/**
 * ckpt_save_posix_timers - the POSIX timers of a process, as records
 * @ctx: checkpoint context
 * @t: a task of the process, frozen (or current)
 * @recs: set to the records, newest timer first (kvfree() them)
 * @next_id: set to the id the process's next timer_create() would give
 *
 * Timers are freed after an RCU grace period: the ones listed under the
 * siglock stay readable under rcu_read_lock(), and one the process lost
 * meanwhile (it was killed) has no it_signal any more.
 *
 * Return: the number of records, or a negative errno.
 */
int ckpt_save_posix_timers(struct ckpt_ctx *ctx, struct task_struct *t,
			   struct ckpt_hdr_posix_timer **recs, s32 *next_id)
{
	struct signal_struct *sig = t->signal;
	struct ckpt_hdr_posix_timer *r = NULL;
	struct k_itimer **tmr = NULL, *timr;
	const char *why = NULL;
	int i, nr, room = 0;
	unsigned long flags;

	*recs = NULL;
	for (;;) {
		rcu_read_lock();
		if (!lock_task_sighand(t, &flags)) {
			rcu_read_unlock();
			nr = -ESRCH;
			goto fail;
		}
		nr = 0;
		list_for_each_entry(timr, &sig->posix_timers, list) {
			if (nr < room)
				tmr[nr] = timr;
			nr++;
		}
		*next_id = READ_ONCE(sig->next_posix_timer_id);
		unlock_task_sighand(t, &flags);
		if (nr <= room)
			break;
		rcu_read_unlock();
		kvfree(tmr);
		kvfree(r);
		room = nr + 4;
		tmr = kvcalloc(room, sizeof(*tmr), GFP_KERNEL);
		r = kvcalloc(room, sizeof(*r), GFP_KERNEL);
		if (!tmr || !r) {
			nr = -ENOMEM;
			goto fail;
		}
	}
	for (i = 0; i < nr && !why; i++) {
		timr = tmr[i];
		spin_lock_irqsave(&timr->it_lock, flags);
		if (timr->it_signal != sig)
			why = "was deleted";
		else
			why = ckpt_fill_timer(ctx, timr, &r[i]);
		spin_unlock_irqrestore(&timr->it_lock, flags);
	}
	if (why) {
		timer_t id = tmr[i - 1]->it_id;

		rcu_read_unlock();
		kvfree(tmr);
		kvfree(r);
		return ckpt_err(ctx, -EBUSY,
				"pid %d: POSIX timer %d %s: not supported",
				task_pid_vnr(t), id, why);
	}
	rcu_read_unlock();
	kvfree(tmr);
	*recs = r;
	return nr;
fail:
	kvfree(tmr);
	kvfree(r);
	if (nr == -ESRCH)
		return ckpt_err(ctx, -ESRCH, "pid %d is exiting",
				task_pid_vnr(t));
	return nr;
}

/*
 * The timer timer_create() just made: the newest, first in the process's
 * list (which only the caller's process changes, and it cannot run).
 */
static struct k_itimer *ckpt_newest_timer(timer_t id)
{
	struct signal_struct *sig = current->signal;
	struct k_itimer *timr;

	spin_lock_irq(&current->sighand->siglock);
	timr = list_first_entry_or_null(&sig->posix_timers, struct k_itimer,
					list);
	spin_unlock_irq(&current->sighand->siglock);
	return timr && timr->it_id == id ? timr : NULL;
}

static int ckpt_timer_cmp(const void *a, const void *b)
{
	timer_t x = ((const struct ckpt_timer_restore *)a)->rec.id;
	timer_t y = ((const struct ckpt_timer_restore *)b)->rec.id;

	return x < y ? -1 : x > y;
}

/* The restored timer @id of the caller's process (sorted by id), or NULL */
static struct ckpt_timer_restore *ckpt_restored_timer(struct ckpt_ctx *ctx,
						      timer_t id)
{
	struct ckpt_group_restore *g = ckpt_local(ctx)->group;
	struct ckpt_timer_restore key = { .rec.id = id };

	if (!g)
		return NULL;
	return bsearch(&key, g->timers, g->nr_timers, sizeof(*g->timers),
		       ckpt_timer_cmp);
}

static int ckpt_check_timer(struct ckpt_ctx *ctx,
			    const struct ckpt_hdr_posix_timer *r)
{
	pid_t tgid, own = task_tgid_vnr(current);
	clockid_t clock = r->clock;

	if (r->id < 0 || r->flags & ~CKPT_TIMER_FLAGS ||
	    r->value > KTIME_MAX || r->interval > KTIME_MAX ||
	    (r->flags & CKPT_TIMER_REQUEUE && !r->interval) ||
	    (r->flags & CKPT_TIMER_ABSTIME &&
	     (!r->value || (clock != CLOCK_REALTIME && clock != CLOCK_TAI))) ||
	    r->overrun < -1 || r->overrun_last < -1)
		return -EINVAL;
	/* a CPU-time clock: the process's own, or of a task of the tree */
	if (ckpt_cpu_clock(clock)) {
		bool self = !CPUCLOCK_PID(clock) && !CPUCLOCK_PERTHREAD(clock);

		if (!self &&
		    (!ckpt_live_in_tree(ctx, CPUCLOCK_PID(clock), &tgid) ||
		     (CPUCLOCK_PERTHREAD(clock) && tgid != own)))
			return -EINVAL;
	} else if (clock < 0 || clock == CLOCK_REALTIME_ALARM ||
		   clock == CLOCK_BOOTTIME_ALARM) {
		return -EINVAL;
	}
	/* SIGEV_THREAD_ID: a thread of this process; else no thread */
	if (!(r->notify & SIGEV_THREAD_ID))
		return r->tid ? -EINVAL : 0;
	if (!ckpt_live_in_tree(ctx, r->tid, &tgid) || tgid != own)
		return -EINVAL;
	return 0;
}

/* Create timer @t, disarmed, with its overrun count; a taken id: EBUSY */
static int ckpt_create_timer(struct ckpt_ctx *ctx, struct ckpt_timer_restore *t)
{
	const struct ckpt_hdr_posix_timer *r = &t->rec;
	struct sigevent ev = {
		.sigev_value.sival_ptr = (void __user *)(unsigned long)r->sigval,
		.sigev_signo = r->signo,
		.sigev_notify = r->notify,
	};
	struct k_itimer *timr;
	int ret;

	ev.sigev_notify_thread_id = r->tid;
	ret = posix_timer_create_id(r->clock, &ev, r->id);
	if (ret)
		return ckpt_err(ctx, ret,
				"cannot create POSIX timer %d (clock %d, notify %d, signal %d)",
				r->id, r->clock, r->notify, r->signo);
	timr = ckpt_newest_timer(r->id);
	if (!timr)
		return ckpt_err(ctx, -ESRCH, "POSIX timer %d is gone", r->id);
	t->timr = timr;
	spin_lock_irq(&timr->it_lock);
	/* with CKPT_TIMER_REQUEUE, the count goes to its pending signal */
	timr->it_overrun = r->flags & CKPT_TIMER_REQUEUE ? -1 : r->overrun;
	spin_unlock_irq(&timr->it_lock);
	return 0;
}

/**
 * ckpt_restore_posix_timers - create a restored process's POSIX timers
 * @ctx: restart context
 * @nr: number of POSIX_TIMER records that follow
 * @next_id: the id its next timer_create() is to give
 *
 * Reads the records and creates the timers with their ids, disarmed,
 * oldest first (the process's list of timers keeps its order). They are
 * armed by ckpt_arm_posix_timers(), once every thread of the process is
 * back. The caller's process has no timers of its own.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_posix_timers(struct ckpt_ctx *ctx, u32 nr, s32 next_id)
{
	struct ckpt_group_restore *g = ckpt_local(ctx)->group;
	struct signal_struct *sig = current->signal;
	struct ckpt_hdr_posix_timer *r;
	int i, ret = 0;

	ckpt_free_posix_timers(g);
	if (!list_empty(&sig->posix_timers))
		return ckpt_err(ctx, -EBUSY,
				"the restarting task has POSIX timers of its own");
	/* each timer takes memory of the caller's, as timer_create() does */
	if (next_id < 0 || nr > min_t(unsigned long,
				      rlimit(RLIMIT_SIGPENDING), 1 << 20))
		return ckpt_err(ctx, -EINVAL, "%u POSIX timers, next id %d",
				nr, next_id);
	if (!nr)
		goto out;
	g->timers = kvcalloc(nr, sizeof(*g->timers), GFP_KERNEL_ACCOUNT);
	if (!g->timers)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		r = ckpt_read_obj_type(ctx, CKPT_HDR_POSIX_TIMER, sizeof(*r));
		if (IS_ERR(r))
			return PTR_ERR(r);
		ret = ckpt_check_timer(ctx, r);
		if (!ret)
			g->timers[g->nr_timers++].rec = *r;
		ckpt_hdr_put(ctx, r);
		if (ret)
			return ckpt_err(ctx, ret, "bad POSIX_TIMER record %d", i);
	}
	for (i = nr - 1; !ret && i >= 0; i--)
		ret = ckpt_create_timer(ctx, &g->timers[i]);
	if (ret)
		return ret;
	/* ids are unique (else EBUSY above): found by bsearch from now on */
	sort(g->timers, nr, sizeof(*g->timers), ckpt_timer_cmp, NULL);
out:
	WRITE_ONCE(sig->next_posix_timer_id, next_id);
	return 0;
}

/**
 * ckpt_queue_timer_signal - pend a timer's signal again, as its own entry
 * @ctx: restart context
 * @info: the saved siginfo (SI_TIMER, si_tid the timer)
 * @shared: it was queued for the thread group
 *
 * The timer's preallocated queue entry goes back on the queue it was on:
 * an expiry while it is pending counts an overrun, as before. Its
 * si_overrun is the one saved; with CKPT_TIMER_REQUEUE it also counts the
 * expirations missed until the checkpoint, which dequeuing it would have
 * added (the restored timer is armed again at once, not when the signal
 * is taken).
 *
 * Return: 0 or a negative errno.
 */
int ckpt_queue_timer_signal(struct ckpt_ctx *ctx, kernel_siginfo_t *info,
			    bool shared)
{
	struct ckpt_timer_restore *t = ckpt_restored_timer(ctx, info->si_tid);
	const struct ckpt_hdr_posix_timer *r = t ? &t->rec : NULL;
	struct k_itimer *timr = t ? t->timr : NULL;
	s64 overrun = info->si_overrun;
	int ret = -EINVAL;

	if (!timr)
		return ckpt_err(ctx, -EINVAL,
				"pending signal of POSIX timer %d, which is not restored",
				info->si_tid);
	if (r->flags & CKPT_TIMER_REQUEUE && r->overrun > 0)
		overrun += r->overrun;
	spin_lock_irq(&timr->it_lock);
	if (info->si_code == SI_TIMER &&
	    info->si_signo == timr->sigq->info.si_signo &&
	    info->si_value.sival_ptr == timr->sigq->info.si_value.sival_ptr &&
	    info->si_overrun >= 0 && list_empty(&timr->sigq->list) &&
	    timr->it_sigev_notify != SIGEV_NONE &&
	    (shared ? !(timr->it_sigev_notify & SIGEV_THREAD_ID) :
		      timr->it_pid == task_pid(current))) {
		ret = send_sigqueue(timr->sigq, timr->it_pid,
				    shared ? PIDTYPE_TGID : PIDTYPE_PID);
		if (!ret)
			timr->sigq->info.si_overrun = min_t(s64, overrun, INT_MAX);
	}
	spin_unlock_irq(&timr->it_lock);
	if (ret)
		return ckpt_err(ctx, ret < 0 ? ret : -EINVAL,
				"cannot pend the signal of POSIX timer %d again",
				r->id);
	return 0;
}

/**
 * ckpt_arm_posix_timers - arm the restored process's timers
 * @ctx: restart context
 * @g: the process's thread group, every task of it restored
 *
 * Called by the last task of the thread group, once its threads are back
 * and their signals pending: each armed timer gets its time to go (or,
 * with TIMER_ABSTIME, its time) and interval, through timer_settime().
 *
 * Return: 0 or a negative errno.
 */
int ckpt_arm_posix_timers(struct ckpt_ctx *ctx, struct ckpt_group_restore *g)
{
	struct itimerspec64 it;
	struct k_itimer *timr;
	unsigned int i;
	int ret;

	for (i = 0; i < g->nr_timers; i++) {
		const struct ckpt_hdr_posix_timer *r = &g->timers[i].rec;

		if (r->value) {
			it.it_value = ns_to_timespec64(r->value);
			it.it_interval = ns_to_timespec64(r->interval);
			ret = do_timer_settime(r->id, r->flags & CKPT_TIMER_ABSTIME ?
					       TIMER_ABSTIME : 0, &it, NULL);
			if (ret)
				return ckpt_err(ctx, ret,
						"cannot arm POSIX timer %d", r->id);
		}
		/* timer_settime() cleared it */
		timr = g->timers[i].timr;
		spin_lock_irq(&timr->it_lock);
		timr->it_overrun_last = r->overrun_last;
		spin_unlock_irq(&timr->it_lock);
	}
	ckpt_free_posix_timers(g);
	return 0;
}

/**
 * ckpt_free_posix_timers - forget the timers of a process being restored
 * @g: its thread group
 */
void ckpt_free_posix_timers(struct ckpt_group_restore *g)
{
	kvfree(g->timers);
	g->timers = NULL;
	g->nr_timers = 0;
}
