// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state: handlers (SIGHAND), process-wide limits and timers
 * (SIGNAL), blocked mask, alternate stack and pending signals (SIGMASK).
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/resource.h>
#include <linux/time.h>
#include <linux/hrtimer.h>
#include <linux/posix-timers.h>
#include <linux/sched/cputime.h>

static int ckpt_sighand_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				   int objref, const struct ckpt_obj_ref *ref)
{
	struct sighand_struct *sighand = ptr;
	struct ckpt_hdr_sighand *h;
	int i, ret;

	h = ckpt_hdr_get(ctx, sizeof(*h), CKPT_HDR_SIGHAND);
	if (!h)
		return -ENOMEM;
	h->objref = objref;
	spin_lock_irq(&sighand->siglock);
	for (i = 0; i < CKPT_NSIG && i < _NSIG; i++) {
		struct sigaction *sa = &sighand->action[i].sa;

		h->action[i].handler = (unsigned long)sa->sa_handler;
		h->action[i].flags = sa->sa_flags;
#ifdef __ARCH_HAS_SA_RESTORER
		h->action[i].restorer = (unsigned long)sa->sa_restorer;
#endif
		h->action[i].mask = sa->sa_mask.sig[0];
	}
	spin_unlock_irq(&sighand->siglock);

	ret = ckpt_write_obj(ctx, &h->h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

static struct sighand_struct *ckpt_get_sighand(struct task_struct *t)
{
	struct sighand_struct *sighand;
	unsigned long flags;

	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		return NULL;
	refcount_inc(&sighand->count);
	unlock_task_sighand(t, &flags);
	return sighand;
}

/**
 * ckpt_collect_signals - collect pass over a task's signal handlers
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_signals(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct sighand_struct *sighand = ckpt_get_sighand(t);
	int ret;

	if (!sighand)
		return 0;
	ret = ckpt_obj_collect(ctx, sighand, CKPT_OBJ_SIGHAND, false);
	__cleanup_sighand(sighand);
	if (!ret)
		ret = ckpt_obj_collect(ctx, t->signal, CKPT_OBJ_SIGNAL, true);
	return ret;
}

static int ckpt_queue_len(struct sigpending *p)
{
	struct sigqueue *q;
	int nr = 0;

	list_for_each_entry(q, &p->list, list)
		nr++;
	return nr;
}

static int ckpt_copy_queue(struct sigpending *p, struct ckpt_hdr_siginfo *si,
			   bool shared)
{
	struct sigqueue *q;
	int nr = 0;

	list_for_each_entry(q, &p->list, list) {
		si[nr].h.type = CKPT_HDR_SIGINFO;
		si[nr].h.len = sizeof(si[nr]);
		si[nr].shared = shared;
		/* a POSIX timer's own entry: queued again as that */
		if (q->flags & SIGQUEUE_PREALLOC)
			si[nr].flags = CKPT_SIGINFO_TIMER;
		copy_siginfo_to_external((siginfo_t *)si[nr].info, &q->info);
		nr++;
	}
	return nr;
}

/*
 * The pending signals of @t and their queued siginfo, in one snapshot
 * under its siglock (a frozen task can still be sent signals). The
 * thread group's go with its leader. Return: the SIGINFO records (in
 * *@si, @m->nr_siginfo of them) or a negative errno.
 */
static int ckpt_save_pending(struct ckpt_ctx *ctx, struct task_struct *t,
			     struct ckpt_hdr_sigmask *m,
			     struct ckpt_hdr_siginfo **si)
{
	bool leader = thread_group_leader(t);
	struct ckpt_hdr_siginfo *buf = NULL;
	unsigned long flags;
	int nr, room = 0;

	for (;;) {
		if (!lock_task_sighand(t, &flags)) {
			kvfree(buf);
			return ckpt_err(ctx, -ESRCH, "pid %d is exiting",
					task_pid_vnr(t));
		}
		nr = ckpt_queue_len(&t->pending);
		if (leader)
			nr += ckpt_queue_len(&t->signal->shared_pending);
		if (buf && nr <= room)
			break;
		unlock_task_sighand(t, &flags);
		kvfree(buf);
		room = nr + 8;
		buf = kvcalloc(room, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	m->pending = t->pending.signal.sig[0];
	nr = ckpt_copy_queue(&t->pending, buf, false);
	if (leader) {
		m->shared_pending = t->signal->shared_pending.signal.sig[0];
		nr += ckpt_copy_queue(&t->signal->shared_pending, buf + nr, true);
	}
	unlock_task_sighand(t, &flags);
	m->nr_siginfo = nr;
	*si = buf;
	return 0;
}

/**
 * ckpt_checkpoint_signals - save a task's signal handlers, mask, pending
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_signals(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	struct ckpt_hdr_sigmask m = {
		.h.type = CKPT_HDR_SIGMASK,
		.h.len = sizeof(m),
	};
	struct sighand_struct *sighand = ckpt_get_sighand(t);
	struct ckpt_hdr_siginfo *si = NULL;
	int i, ret;

	if (!sighand)
		return ckpt_err(ctx, -ESRCH, "pid %d lost its signal handlers",
				task_pid_vnr(t));
	ret = ckpt_obj_checkpoint(ctx, sighand, CKPT_OBJ_SIGHAND, &ref);
	__cleanup_sighand(sighand);
	if (ret < 0)
		return ret;
	ret = ckpt_obj_checkpoint(ctx, t->signal, CKPT_OBJ_SIGNAL, &ref);
	if (ret < 0)
		return ret;
	ret = ckpt_save_pending(ctx, t, &m, &si);
	if (ret)
		return ret;
	/*
	 * Frozen on the way out of sigsuspend(), ppoll() or pselect() (any
	 * call that takes a mask for its wait): the mask it had before is
	 * the one to save. The call is issued again and takes its own mask
	 * again, keeping that one to give back when it returns.
	 */
	if (t != current && test_tsk_restore_sigmask(t))
		m.blocked = t->saved_sigmask.sig[0];
	else
		m.blocked = t->blocked.sig[0];
	m.sas_ss_sp = t->sas_ss_sp;
	m.sas_ss_size = t->sas_ss_size;
	m.sas_ss_flags = t->sas_ss_flags;
	ret = ckpt_write_obj(ctx, &m.h);
	for (i = 0; !ret && i < m.nr_siginfo; i++)
		ret = ckpt_write_obj(ctx, &si[i].h);
	kvfree(si);
	return ret;
}

static void *ckpt_sighand_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				  int *objref)
{
	struct ckpt_hdr_sighand *h;
	int sig, ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	for (sig = 1; sig <= CKPT_NSIG && sig <= _NSIG; sig++) {
		struct ckpt_sigaction *a = &h->action[sig - 1];
		struct k_sigaction ka = {};

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (a->handler >= TASK_SIZE_MAX || a->restorer >= TASK_SIZE_MAX) {
			ret = ckpt_err(ctx, -EINVAL,
				       "signal %d handler address out of range",
				       sig);
			break;
		}
		ka.sa.sa_handler = (__sighandler_t)(unsigned long)a->handler;
		ka.sa.sa_flags = a->flags;
#ifdef __ARCH_HAS_SA_RESTORER
		ka.sa.sa_restorer = (__sigrestore_t)(unsigned long)a->restorer;
#endif
		ka.sa.sa_mask.sig[0] = a->mask;
		ret = do_sigaction(sig, &ka, NULL);
		if (ret) {
			ckpt_err(ctx, ret, "cannot restore handler of signal %d",
				 sig);
			break;
		}
	}
	ckpt_hdr_put(ctx, h);
	if (ret)
		return ERR_PTR(ret);
	refcount_inc(&current->sighand->count);
	return current->sighand;
}

static void ckpt_sighand_grab(void *ptr)
{
	refcount_inc(&((struct sighand_struct *)ptr)->count);
}

static void ckpt_sighand_drop(void *ptr)
{
	__cleanup_sighand(ptr);
}

static int ckpt_sighand_users(void *ptr)
{
	return refcount_read(&((struct sighand_struct *)ptr)->count);
}

static const struct ckpt_obj_ops ckpt_sighand_ops = {
	.name = "signal handler table",
	.obj_type = CKPT_OBJ_SIGHAND,
	.hdr_type = CKPT_HDR_SIGHAND,
	.ref_grab = ckpt_sighand_grab,
	.ref_drop = ckpt_sighand_drop,
	.ref_users = ckpt_sighand_users,
	.checkpoint = ckpt_sighand_checkpoint,
	.restore = ckpt_sighand_restore,
};

/* --- process-wide state: resource limits, interval and POSIX timers --- */

/*
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time: what is
 * left of @clock's timer (as getitimer() says it), and its interval.
 * Called with the siglock held.
 */
static void ckpt_cpu_itimer(struct task_struct *t, int clock, u64 *value,
			    u64 *interval)
{
#ifdef CONFIG_POSIX_TIMERS
	struct cpu_itimer *it = &t->signal->it[clock];
	u64 samples[CPUCLOCK_MAX];

	*value = it->expires;
	*interval = it->incr;
	if (!*value)
		return;
	thread_group_sample_cputime(t, samples);
	/* due: fire as soon as the process runs a tick */
	*value = *value > samples[clock] ? *value - samples[clock] : TICK_NSEC;
#else
	*value = 0;
	*interval = 0;
#endif
}

static int ckpt_set_cpu_itimer(struct ckpt_ctx *ctx, int which, u64 value,
			       u64 interval)
{
	struct itimerspec64 it = {
		.it_value = ns_to_timespec64(value),
		.it_interval = ns_to_timespec64(interval),
	};
	int ret;

	/* a zero value disarms the restarter's own timer, if any */
	ret = do_setitimer(which, &it, NULL);
	if (ret)
		ckpt_err(ctx, ret, "cannot restore interval timer %d", which);
	return ret;
}

static int ckpt_signal_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				  const struct ckpt_obj_ref *ref)
{
	struct task_struct *t = ref->task;
	struct signal_struct *sig = ptr;
	struct ckpt_hdr_signal h = {
		.h.type = CKPT_HDR_SIGNAL,
		.h.len = sizeof(h),
		.objref = objref,
		.nr_rlim = min(RLIM_NLIMITS, CKPT_RLIM_NLIMITS),
	};
	struct hrtimer *timer = &sig->real_timer;
	struct ckpt_hdr_posix_timer *tmr;
	ktime_t rem = 0;
	int i, nr, ret;

	nr = ckpt_save_posix_timers(ctx, t, &tmr, &h.next_timer_id);
	if (nr < 0)
		return nr;
	h.nr_timers = nr;

	task_lock(t->group_leader);
	for (i = 0; i < h.nr_rlim; i++) {
		h.rlim[i].cur = sig->rlim[i].rlim_cur;
		h.rlim[i].max = sig->rlim[i].rlim_max;
	}
	task_unlock(t->group_leader);

	spin_lock_irq(&t->sighand->siglock);
	if (hrtimer_active(timer)) {
		rem = hrtimer_expires_remaining(timer);
		if (rem <= 0)
			rem = 1;	/* due: fire at once after restart */
	}
	h.it_real_value = rem;
	h.it_real_interval = sig->it_real_incr;
	ckpt_cpu_itimer(t, CPUCLOCK_VIRT, &h.it_virt_value, &h.it_virt_interval);
	ckpt_cpu_itimer(t, CPUCLOCK_PROF, &h.it_prof_value, &h.it_prof_interval);
	spin_unlock_irq(&t->sighand->siglock);
	ret = ckpt_write_obj(ctx, &h.h);
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_write_obj(ctx, &tmr[i].h);
	kvfree(tmr);
	return ret;
}

static void *ckpt_signal_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				 int *objref)
{
	struct itimerspec64 it = {};
	struct ckpt_hdr_signal *h;
	struct rlimit r;
	int i, ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if (h->nr_rlim > min(RLIM_NLIMITS, CKPT_RLIM_NLIMITS) ||
	    h->it_real_value > KTIME_MAX || h->it_real_interval > KTIME_MAX ||
	    h->it_virt_value > KTIME_MAX || h->it_virt_interval > KTIME_MAX ||
	    h->it_prof_value > KTIME_MAX || h->it_prof_interval > KTIME_MAX)
		ret = ckpt_err(ctx, -EINVAL, "bad SIGNAL record");
	/* through prlimit()'s checks: raising a hard limit needs privilege */
	for (i = 0; !ret && i < h->nr_rlim; i++) {
		r.rlim_cur = h->rlim[i].cur;
		r.rlim_max = h->rlim[i].max;
		ret = do_prlimit(current, i, &r, NULL);
		if (ret)
			ckpt_err(ctx, ret, "cannot restore resource limit %d", i);
	}
	if (!ret) {
		it.it_value = ns_to_timespec64(h->it_real_value);
		it.it_interval = ns_to_timespec64(h->it_real_interval);
		ret = do_setitimer(ITIMER_REAL, &it, NULL);
		if (ret)
			ckpt_err(ctx, ret, "cannot restore the real-time interval timer");
	}
	if (!ret)
		ret = ckpt_set_cpu_itimer(ctx, ITIMER_VIRTUAL, h->it_virt_value,
					  h->it_virt_interval);
	if (!ret)
		ret = ckpt_set_cpu_itimer(ctx, ITIMER_PROF, h->it_prof_value,
					  h->it_prof_interval);
	/*
	 * Not armed but with an interval: it expired and its SIGALRM (pending,
	 * restored with the task) re-arms it when dequeued. setitimer() with
	 * a zero value clears the interval: set it back as it was.
	 */
	if (!ret && !h->it_real_value && h->it_real_interval) {
		spin_lock_irq(&current->sighand->siglock);
		current->signal->it_real_incr = h->it_real_interval;
		spin_unlock_irq(&current->sighand->siglock);
	}
	/* created now, armed by the last thread (ckpt_arm_posix_timers()) */
	if (!ret)
		ret = ckpt_restore_posix_timers(ctx, h->nr_timers,
						h->next_timer_id);
	ckpt_hdr_put(ctx, h);
	return ret ? ERR_PTR(ret) : current->signal;
}

/* The signal struct lives as long as the tasks the context holds */
static void ckpt_signal_noref(void *ptr)
{
}

static const struct ckpt_obj_ops ckpt_signal_ops = {
	.name = "process signal state",
	.obj_type = CKPT_OBJ_SIGNAL,
	.hdr_type = CKPT_HDR_SIGNAL,
	.ref_grab = ckpt_signal_noref,
	.ref_drop = ckpt_signal_noref,
	.checkpoint = ckpt_signal_checkpoint,
	.restore = ckpt_signal_restore,
};

static int __init ckpt_signal_init(void)
{
	int ret = ckpt_obj_register(&ckpt_sighand_ops);

	return ret ? ret : ckpt_obj_register(&ckpt_signal_ops);
}
late_initcall(ckpt_signal_init);

/* SI_USER from nobody: what a signal without a queue entry delivers */
static void ckpt_unqueued_info(struct kernel_siginfo *info, int sig)
{
	clear_siginfo(info);
	info->si_signo = sig;
	info->si_code = SI_USER;
}

static int ckpt_send_pending(struct ckpt_ctx *ctx, struct ckpt_pending *p,
			     bool shared)
{
	enum pid_type type = shared ? PIDTYPE_TGID : PIDTYPE_PID;
	u64 mask = p->mask[shared], queued = 0;
	struct kernel_siginfo info;
	int i, sig, ret;

	for (i = 0; i < p->nr; i++) {
		if (p->info[i].shared != shared)
			continue;
		sig = p->info[i].info.si_signo;
		queued |= 1ULL << (sig - 1);
		info = p->info[i].info;
		if (p->info[i].timer) {
			ret = ckpt_queue_timer_signal(ctx, &info, shared);
			if (ret)
				return ret;
			continue;
		}
		/* not a timer's own entry: dequeuing it re-arms no timer */
		if (info.si_code == SI_TIMER)
			info.si_sys_private = 0;
		ret = do_send_sig_info(sig, &info, current, type);
		if (ret)
			return ckpt_err(ctx, ret, "cannot queue signal %d again",
					sig);
	}
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		if (!(mask & ~queued & (1ULL << (sig - 1))))
			continue;
		ckpt_unqueued_info(&info, sig);
		ret = do_send_sig_info(sig, &info, current, type);
		if (ret)
			return ckpt_err(ctx, ret, "cannot pend signal %d again",
					sig);
	}
	return 0;
}

/**
 * ckpt_restore_pending - pend the caller's saved signals again
 * @ctx: restart context
 * @p: the task's pending signals, from ckpt_restore_signals(), or NULL
 *	once they are sent
 * @group: the thread group's, or NULL while threads of the group have yet
 *	to restore themselves
 *
 * Each signal comes back with its queued siginfo, in queue order (the
 * caller queues it to itself, as rt_tgsigqueueinfo() lets any task do).
 * Called last in a task's restore: a pending signal would cut short reading
 * the rest of the image from a pipe; the thread group's signals are sent
 * by its last task, so that they cannot cut short its other threads'.
 *
 * Return: 0 or a negative errno (a queue limit was reached).
 */
int ckpt_restore_pending(struct ckpt_ctx *ctx, struct ckpt_pending *p,
			 struct ckpt_pending *group)
{
	int ret = p ? ckpt_send_pending(ctx, p, false) : 0;

	if (!ret && group)
		ret = ckpt_send_pending(ctx, group, true);
	return ret;
}

/**
 * ckpt_pending_free - forget saved pending signals
 * @p: what ckpt_restore_signals() filled
 */
void ckpt_pending_free(struct ckpt_pending *p)
{
	kvfree(p->info);
	memset(p, 0, sizeof(*p));
}

/* Read and check the SIGINFO records of a SIGMASK */
static int ckpt_read_siginfo(struct ckpt_ctx *ctx, struct ckpt_pending *p,
			     u32 nr, bool leader)
{
	u64 seen[2] = { 0, 0 };
	int i;

	/* a queue holds at most what RLIMIT_SIGPENDING lets, plus one of each */
	if (nr > min_t(unsigned long, rlimit(RLIMIT_SIGPENDING), 1 << 20) +
	    2 * CKPT_NSIG)
		return ckpt_err(ctx, -EINVAL, "%u queued signals", nr);
	if (!nr)
		return 0;
	p->info = kvcalloc(nr, sizeof(*p->info), GFP_KERNEL_ACCOUNT);
	if (!p->info)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct ckpt_hdr_siginfo *h;
		siginfo_t *info;
		int sig, bad;
		u64 bit;

		if (fatal_signal_pending(current))
			return -EINTR;
		h = ckpt_read_obj_type(ctx, CKPT_HDR_SIGINFO, sizeof(*h));
		if (IS_ERR(h))
			return PTR_ERR(h);
		info = (siginfo_t *)h->info;
		sig = info->si_signo;
		bit = sig >= 1 && sig <= CKPT_NSIG ? 1ULL << (sig - 1) : 0;
		bad = !bit || h->shared > 1 || (h->shared && !leader) ||
		      h->flags & ~CKPT_SIGINFO_TIMER ||
		      (h->flags & CKPT_SIGINFO_TIMER && info->si_code != SI_TIMER) ||
		      sig == SIGKILL || sig == SIGSTOP ||
		      !(p->mask[h->shared] & bit) ||
		      /* a signal below SIGRTMIN is queued once at most */
		      (sig < SIGRTMIN && (seen[h->shared] & bit)) ||
		      memchr_inv(h->info + sizeof(struct kernel_siginfo), 0,
				 SI_EXPANSION_SIZE);
		if (!bad) {
			seen[h->shared] |= bit;
			p->info[i].shared = h->shared;
			p->info[i].timer = h->flags & CKPT_SIGINFO_TIMER;
			memcpy(&p->info[i].info, h->info, sizeof(p->info[i].info));
		}
		ckpt_hdr_put(ctx, h);
		if (bad)
			return ckpt_err(ctx, -EINVAL,
					"bad SIGINFO record %d (signal %d)", i, sig);
		p->nr++;
		cond_resched();
	}
	return 0;
}

/**
 * ckpt_restore_signals - restore the caller's handlers, mask, altstack
 * @ctx: restart context
 * @tr: the task restoring itself; its pending signals are read into
 *	tr->pending, for ckpt_restore_pending() (a leader's include its
 *	thread group's)
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_signals(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct ckpt_pending *p = &tr->pending;
	bool leader = tr->leader;
	struct ckpt_hdr_sigmask *m;
	struct sighand_struct *sighand;
	struct signal_struct *signal;
	sigset_t blocked;
	u32 nr = 0;
	int ret = 0;

	sighand = ckpt_obj_restore(ctx, CKPT_OBJ_SIGHAND);
	if (IS_ERR(sighand))
		return PTR_ERR(sighand);
	if (sighand != current->sighand)
		return ckpt_err(ctx, -EINVAL,
				"signal handlers shared with a task of another table");
	signal = ckpt_obj_restore(ctx, CKPT_OBJ_SIGNAL);
	if (IS_ERR(signal))
		return PTR_ERR(signal);
	if (signal != current->signal)
		return ckpt_err(ctx, -EINVAL,
				"process state shared with a task of another process");
	m = ckpt_read_obj_type(ctx, CKPT_HDR_SIGMASK, sizeof(*m));
	if (IS_ERR(m))
		return PTR_ERR(m);
	if (m->sas_ss_flags & ~(SS_ONSTACK | SS_DISABLE | SS_AUTODISARM) ||
	    m->sas_ss_sp >= TASK_SIZE_MAX ||
	    m->sas_ss_size > TASK_SIZE_MAX - m->sas_ss_sp) {
		ret = ckpt_err(ctx, -EINVAL, "bad alternate signal stack");
	} else if (m->shared_pending && !leader) {
		ret = ckpt_err(ctx, -EINVAL,
			       "thread group signals pending with a thread");
	} else {
		siginitset(&blocked, m->blocked);
		sigdelsetmask(&blocked, sigmask(SIGKILL) | sigmask(SIGSTOP));
		set_current_blocked(&blocked);
		current->sas_ss_sp = m->sas_ss_sp;
		current->sas_ss_size = m->sas_ss_size;
		current->sas_ss_flags = m->sas_ss_flags & SS_AUTODISARM;
		/* SIGKILL and SIGSTOP are not restored */
		p->mask[0] = m->pending & ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
		p->mask[1] = m->shared_pending &
			     ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
		nr = m->nr_siginfo;
	}
	ckpt_hdr_put(ctx, m);
	return ret ? ret : ckpt_read_siginfo(ctx, p, nr, leader);
}
