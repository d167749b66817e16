// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupted relative sleeps. A task frozen in nanosleep() or a
 * relative clock_nanosleep() left the call with -ERESTART_RESTARTBLOCK
 * and its restart block holds the absolute expiry. The time it still
 * had to sleep is saved; after restart it goes on sleeping just that
 * long through restart_syscall(), as after a stop and continue, instead
 * of sleeping its whole request again.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/restart_block.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/thread_info.h>
#include <linux/timekeeping.h>
#include <linux/time.h>
#include <asm/syscall.h>

/* Now on a clock an interrupted relative sleep can run on, or -1 */
static ktime_t ckpt_sleep_clock_now(clockid_t clockid)
{
	switch (clockid) {
	case CLOCK_MONOTONIC:
		return ktime_get();
	case CLOCK_BOOTTIME:
		return ktime_get_boottime();
	case CLOCK_TAI:
		return ktime_get_clocktai();
	}
	return -1;
}

static bool ckpt_is_sleep_call(long nr)
{
	return nr == __NR_nanosleep || nr == __NR_clock_nanosleep;
}

/* restart_syscall() of a restored sleep: until its new absolute expiry */
static long ckpt_sleep_restart(struct restart_block *rb)
{
	/*
	 * An absolute sleep interrupted by a signal returns -ERESTARTNOHAND
	 * (EINTR with a handler, else this function again) after it wrote
	 * the time left to rmtp, as a relative sleep does.
	 */
	return hrtimer_nanosleep(rb->nanosleep.expires, HRTIMER_MODE_ABS,
				 rb->nanosleep.clockid);
}

/**
 * ckpt_save_sleep - note the time a frozen task still had to sleep
 * @t: the task (frozen, not current)
 * @h: its TASK record, whose sleep_* fields are set
 *
 * Only relative sleeps on the clocks of hrtimer_nanosleep() are kept;
 * any other interrupted call is re-issued as it was (see
 * ckpt_restore_cpu()), so CPU-time sleeps start over.
 */
void ckpt_save_sleep(struct task_struct *t, struct ckpt_hdr_task *h)
{
	struct restart_block *rb = &t->restart_block;
	struct pt_regs *regs = task_pt_regs(t);
	long nr, err;
	ktime_t now, left;

	if (t == current)
		return;
	nr = syscall_get_nr(t, regs);
	err = syscall_get_error(t, regs);
	/* a sleep, or the rest of a sleep an earlier restart gave back */
	if (!(ckpt_is_sleep_call(nr) && err == -ERESTART_RESTARTBLOCK &&
	      rb->fn != do_no_restart_syscall) &&
	    !(nr == __NR_restart_syscall && err == -ERESTARTNOHAND &&
	      rb->fn == ckpt_sleep_restart))
		return;
	if (rb->nanosleep.type != TT_NONE && rb->nanosleep.type != TT_NATIVE)
		return;
	now = ckpt_sleep_clock_now(rb->nanosleep.clockid);
	if (now < 0)
		return;
	left = (ktime_t)rb->nanosleep.expires - now;
	h->sleep_flags = CKPT_SLEEP_ACTIVE;
	h->sleep_clockid = rb->nanosleep.clockid;
	h->sleep_remaining = left > 0 ? left : 0;
	if (rb->nanosleep.type == TT_NATIVE) {
		h->sleep_flags |= CKPT_SLEEP_RMTP;
		h->sleep_rmtp = (unsigned long)rb->nanosleep.rmtp;
	}
}

/**
 * ckpt_restore_sleep - let the caller sleep what it had left to sleep
 * @ctx: restart context, registers of the caller restored
 * @h: the caller's TASK record
 *
 * Return: 0 or -EINVAL for sleep fields that do not fit the registers.
 */
int ckpt_restore_sleep(struct ckpt_ctx *ctx, const struct ckpt_hdr_task *h)
{
	struct restart_block *rb = &current->restart_block;
	bool rmtp = h->sleep_flags & CKPT_SLEEP_RMTP;
	ktime_t now;

	if (!(h->sleep_flags & CKPT_SLEEP_ACTIVE)) {
		if (h->sleep_flags || h->sleep_clockid || h->sleep_remaining ||
		    h->sleep_rmtp)
			return ckpt_err(ctx, -EINVAL,
					"pid %d: sleep fields set without a sleep",
					h->pid);
		return 0;
	}
	now = ckpt_sleep_clock_now(h->sleep_clockid);
	if (h->sleep_flags & ~(CKPT_SLEEP_ACTIVE | CKPT_SLEEP_RMTP) ||
	    now < 0 || h->sleep_remaining < 0 ||
	    h->sleep_remaining > KTIME_MAX - now ||
	    h->sleep_rmtp >= TASK_SIZE_MAX || (!rmtp && h->sleep_rmtp))
		return ckpt_err(ctx, -EINVAL,
				"pid %d: bad sleep (clock %d, %lld ns left, flags %#x)",
				h->pid, h->sleep_clockid, h->sleep_remaining,
				h->sleep_flags);
	if (!ckpt_is_sleep_call(ctx->reissued_nr) &&
	    ctx->reissued_nr != __NR_restart_syscall)
		return ckpt_err(ctx, -EINVAL,
				"pid %d: a sleep to go on, but it was not in nanosleep()",
				h->pid);

	rb->nanosleep.clockid = h->sleep_clockid;
	rb->nanosleep.type = rmtp ? TT_NATIVE : TT_NONE;
	rb->nanosleep.rmtp = u64_to_user_ptr(h->sleep_rmtp);
	rb->nanosleep.expires = now + h->sleep_remaining;
	set_restart_fn(rb, ckpt_sleep_restart);
	ckpt_arch_restart_syscall();
	return 0;
}
