// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state: handlers (SIGHAND), blocked mask and alternate signal
 * stack (SIGMASK).
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>

static int ckpt_write_sighand(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_hdr_sighand *h;
	unsigned long flags;
	int i, ret;

	h = ckpt_hdr_get(ctx, sizeof(*h), CKPT_HDR_SIGHAND);
	if (!h)
		return -ENOMEM;
	if (!lock_task_sighand(t, &flags)) {
		ckpt_hdr_put(ctx, h);
		return ckpt_err(ctx, -ESRCH, "pid %d lost its signal handlers",
				task_pid_vnr(t));
	}
	for (i = 0; i < CKPT_NSIG && i < _NSIG; i++) {
		struct sigaction *sa = &t->sighand->action[i].sa;

		h->action[i].handler = (unsigned long)sa->sa_handler;
		h->action[i].flags = sa->sa_flags;
#ifdef __ARCH_HAS_SA_RESTORER
		h->action[i].restorer = (unsigned long)sa->sa_restorer;
#endif
		h->action[i].mask = sa->sa_mask.sig[0];
	}
	unlock_task_sighand(t, &flags);

	ret = ckpt_write_obj(ctx, &h->h);
	ckpt_hdr_put(ctx, h);
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
	int ret;

	ret = ckpt_write_sighand(ctx, t);
	if (ret)
		return ret;
	m.blocked = t->blocked.sig[0];
	m.sas_ss_sp = t->sas_ss_sp;
	m.sas_ss_size = t->sas_ss_size;
	m.sas_ss_flags = t->sas_ss_flags;
	return ckpt_write_obj(ctx, &m.h);
}

static int ckpt_restore_sighand(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_sighand *h;
	int sig, ret = 0;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_SIGHAND, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
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
	return ret;
}

/**
 * ckpt_restore_signals - restore the caller's handlers, mask, altstack
 * @ctx: restart context
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_signals(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_sigmask *m;
	sigset_t blocked;
	int ret;

	ret = ckpt_restore_sighand(ctx);
	if (ret)
		return ret;
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
	}
	ckpt_hdr_put(ctx, m);
	return ret;
}
