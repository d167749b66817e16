// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state: handlers (SIGHAND), process-wide limits and timers
 * (SIGNAL), blocked mask, alternate stack and pending signals (SIGMASK).
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/resource.h>
#include <linux/time.h>
#include <linux/hrtimer.h>

static int ckpt_sighand_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				   int objref)
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

/**
 * ckpt_checkpoint_signals - save a task's signal handlers and mask
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_signals(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_hdr_sigmask m = {
		.h.type = CKPT_HDR_SIGMASK,
		.h.len = sizeof(m),
	};
	struct sighand_struct *sighand = ckpt_get_sighand(t);
	unsigned long flags;
	int ret;

	if (!sighand)
		return ckpt_err(ctx, -ESRCH, "pid %d lost its signal handlers",
				task_pid_vnr(t));
	ret = ckpt_obj_checkpoint(ctx, sighand, CKPT_OBJ_SIGHAND);
	__cleanup_sighand(sighand);
	if (ret < 0)
		return ret;
	ctx->cur_task = t;
	ret = ckpt_obj_checkpoint(ctx, t->signal, CKPT_OBJ_SIGNAL);
	if (ret < 0)
		return ret;
	if (!lock_task_sighand(t, &flags))
		return ckpt_err(ctx, -ESRCH, "pid %d is exiting",
				task_pid_vnr(t));
	m.pending = t->pending.signal.sig[0];
	m.shared_pending = t->signal->shared_pending.signal.sig[0];
	unlock_task_sighand(t, &flags);
	m.blocked = t->blocked.sig[0];
	m.sas_ss_sp = t->sas_ss_sp;
	m.sas_ss_size = t->sas_ss_size;
	m.sas_ss_flags = t->sas_ss_flags;
	return ckpt_write_obj(ctx, &m.h);
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

/* --- process-wide state: resource limits, ITIMER_REAL --- */

static int ckpt_signal_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref)
{
	struct task_struct *t = ctx->cur_task;
	struct signal_struct *sig = ptr;
	struct ckpt_hdr_signal h = {
		.h.type = CKPT_HDR_SIGNAL,
		.h.len = sizeof(h),
		.objref = objref,
		.nr_rlim = min(RLIM_NLIMITS, CKPT_RLIM_NLIMITS),
	};
	struct hrtimer *timer = &sig->real_timer;
	ktime_t rem = 0;
	int i;

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
	spin_unlock_irq(&t->sighand->siglock);
	return ckpt_write_obj(ctx, &h.h);
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
	    h->it_real_value > KTIME_MAX || h->it_real_interval > KTIME_MAX)
		ret = ckpt_err(ctx, -EINVAL, "bad SIGNAL record");
	/* through prlimit()'s checks: raising a hard limit needs privilege */
	for (i = 0; !ret && i < h->nr_rlim; i++) {
		r.rlim_cur = h->rlim[i].cur;
		r.rlim_max = h->rlim[i].max;
		ret = do_prlimit(current, i, &r, NULL);
		if (ret)
			ckpt_err(ctx, ret, "cannot restore resource limit %d", i);
	}
	if (!ret && h->it_real_value) {
		it.it_value = ns_to_timespec64(h->it_real_value);
		it.it_interval = ns_to_timespec64(h->it_real_interval);
		ret = do_setitimer(ITIMER_REAL, &it, NULL);
		if (ret)
			ckpt_err(ctx, ret, "cannot restore the real-time interval timer");
	}
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

/**
 * ckpt_restore_pending - pend the saved signals of the caller again
 * @pending: task-private and thread-group masks from ckpt_restore_signals()
 *
 * They are sent as by the kernel (their siginfo was not kept); SIGKILL
 * and SIGSTOP are not restored. Called last: a pending signal would cut
 * short reading the rest of the image from a pipe.
 */
void ckpt_restore_pending(const u64 pending[2])
{
	const enum pid_type type[2] = { PIDTYPE_PID, PIDTYPE_TGID };
	int i, sig;

	for (i = 0; i < 2; i++) {
		u64 mask = pending[i] & ~(sigmask(SIGKILL) | sigmask(SIGSTOP));

		for (sig = 1; sig <= CKPT_NSIG && sig <= _NSIG; sig++)
			if (mask & (1ULL << (sig - 1)))
				do_send_sig_info(sig, SEND_SIG_PRIV, current,
						 type[i]);
	}
}

/**
 * ckpt_restore_signals - restore the caller's handlers, mask, altstack
 * @ctx: restart context
 * @pending: set to the saved pending signals, for ckpt_restore_pending()
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_signals(struct ckpt_ctx *ctx, u64 pending[2])
{
	struct ckpt_hdr_sigmask *m;
	struct sighand_struct *sighand;
	struct signal_struct *signal;
	sigset_t blocked;
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
	} else {
		siginitset(&blocked, m->blocked);
		sigdelsetmask(&blocked, sigmask(SIGKILL) | sigmask(SIGSTOP));
		set_current_blocked(&blocked);
		current->sas_ss_sp = m->sas_ss_sp;
		current->sas_ss_size = m->sas_ss_size;
		current->sas_ss_flags = m->sas_ss_flags & SS_AUTODISARM;
		pending[0] = m->pending;
		pending[1] = m->shared_pending;
	}
	ckpt_hdr_put(ctx, m);
	return ret;
}
