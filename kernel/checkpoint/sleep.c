// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupted waits. A task frozen in nanosleep() or a relative
 * clock_nanosleep(), in poll(), or in a futex wait with a timeout left
 * the call with -ERESTART_RESTARTBLOCK: its restart block holds the
 * absolute end of the wait and the function that goes on with it. The
 * time it still had to wait is saved; after restart it goes on waiting
 * just that long through restart_syscall(), as after a stop and
 * continue, instead of waiting its whole timeout again. A futex wait on
 * CLOCK_REALTIME keeps its absolute deadline.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include "../futex/futex.h"
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/restart_block.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/thread_info.h>
#include <linux/timekeeping.h>
#include <linux/time.h>
#include <asm/syscall.h>

/* Now on a clock an interrupted wait can run on, or -1 */
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

/* restart_syscall() of a restored futex wait: until its deadline */
static long ckpt_futex_restart(struct restart_block *rb)
{
	ktime_t t = rb->futex.time;

	/* interrupted again, futex_wait() sets up its own restart */
	rb->fn = do_no_restart_syscall;
	return do_futex(rb->futex.uaddr, FUTEX_WAIT_BITSET | rb->futex.flags,
			rb->futex.val, &t, NULL, 0, rb->futex.bitset);
}

/* What a task left through restart_syscall(): which wait, or 0 */
static u32 ckpt_sleep_kind(struct task_struct *t)
{
	struct restart_block *rb = &t->restart_block;
	struct pt_regs *regs = task_pt_regs(t);
	long nr = syscall_get_nr(t, regs);
	long err = syscall_get_error(t, regs);

	/* the rest of a sleep restored earlier: its own absolute sleep */
	if (nr == __NR_restart_syscall && err == -ERESTARTNOHAND &&
	    rb->fn == ckpt_sleep_restart)
		return CKPT_SLEEP_ACTIVE;
	if (err != -ERESTART_RESTARTBLOCK || rb->fn == do_no_restart_syscall)
		return 0;
	if (ckpt_is_sleep_call(nr) ||
	    (nr == __NR_restart_syscall && rb->fn == hrtimer_nanosleep_restart))
		return CKPT_SLEEP_ACTIVE;
	if ((nr == __NR_poll || nr == __NR_restart_syscall) &&
	    rb->fn == do_restart_poll)
		return CKPT_SLEEP_ACTIVE | CKPT_SLEEP_POLL;
	if ((nr == __NR_futex || nr == __NR_restart_syscall) &&
	    rb->fn == futex_wait_restart)
		return CKPT_SLEEP_ACTIVE | CKPT_SLEEP_FUTEX;
	return 0;
}

static void ckpt_save_nanosleep(struct restart_block *rb,
				struct ckpt_hdr_task *h)
{
	ktime_t now, left;

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

static void ckpt_save_poll(struct restart_block *rb, struct ckpt_hdr_task *h)
{
	struct timespec64 end = {
		.tv_sec = rb->poll.tv_sec,
		.tv_nsec = rb->poll.tv_nsec,
	};
	ktime_t left = timespec64_to_ktime(end) - ktime_get();

	h->sleep_flags = CKPT_SLEEP_ACTIVE | CKPT_SLEEP_POLL;
	h->sleep_clockid = CLOCK_MONOTONIC;
	h->sleep_uaddr = (unsigned long)rb->poll.ufds;
	h->sleep_val = rb->poll.nfds;
	if (!rb->poll.has_timeout)
		h->sleep_flags |= CKPT_SLEEP_NO_TIMEOUT;
	else
		h->sleep_remaining = left > 0 ? left : 0;
}

static void ckpt_save_futex(struct restart_block *rb, struct ckpt_hdr_task *h)
{
	ktime_t left;

	h->sleep_flags = CKPT_SLEEP_ACTIVE | CKPT_SLEEP_FUTEX;
	if (rb->futex.flags & FLAGS_SHARED)
		h->sleep_flags |= CKPT_SLEEP_SHARED;
	h->sleep_uaddr = (unsigned long)rb->futex.uaddr;
	h->sleep_val = rb->futex.val;
	h->sleep_bitset = rb->futex.bitset;
	if (rb->futex.flags & FLAGS_CLOCKRT) {
		h->sleep_clockid = CLOCK_REALTIME;
		h->sleep_remaining = rb->futex.time;
		return;
	}
	left = (ktime_t)rb->futex.time - ktime_get();
	h->sleep_clockid = CLOCK_MONOTONIC;
	h->sleep_remaining = left > 0 ? left : 0;
}

/**
 * ckpt_save_sleep - note the wait a frozen task goes on with
 * @t: the task (frozen, not current)
 * @h: its TASK record, whose sleep_* fields are set
 *
 * Relative sleeps on the clocks of hrtimer_nanosleep(), poll() and futex
 * waits with a timeout are kept. Any other interrupted call is re-issued
 * as it was (see ckpt_restore_cpu()), so CPU-time sleeps start over;
 * restart_syscall() of another call is refused by ckpt_check_sleep().
 */
void ckpt_save_sleep(struct task_struct *t, struct ckpt_hdr_task *h)
{
	u32 kind;

	if (t == current)
		return;
	kind = ckpt_sleep_kind(t);
	if (kind & CKPT_SLEEP_POLL)
		ckpt_save_poll(&t->restart_block, h);
	else if (kind & CKPT_SLEEP_FUTEX)
		ckpt_save_futex(&t->restart_block, h);
	else if (kind)
		ckpt_save_nanosleep(&t->restart_block, h);
}

/**
 * ckpt_check_sleep - refuse a task that would resume a wait it cannot
 * @ctx: checkpoint context
 * @t: the task (frozen)
 * @h: its TASK record, sleep fields filled by ckpt_save_sleep()
 *
 * A task in restart_syscall() of a wait that is not saved would get
 * EINTR after restart: its restart block is not there any more.
 *
 * Return: 0 or -EBUSY.
 */
int ckpt_check_sleep(struct ckpt_ctx *ctx, struct task_struct *t,
		     const struct ckpt_hdr_task *h)
{
	struct pt_regs *regs = task_pt_regs(t);

	if (t == current || h->sleep_flags ||
	    syscall_get_nr(t, regs) != __NR_restart_syscall)
		return 0;
	switch (syscall_get_error(t, regs)) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		return ckpt_err(ctx, -EBUSY,
				"pid %d goes on with an interrupted wait (restart_syscall() of %ps) that cannot be saved: not supported yet",
				task_pid_vnr(t), t->restart_block.fn);
	}
	return 0;
}

static int ckpt_check_sleep_fields(struct ckpt_ctx *ctx,
				   const struct ckpt_hdr_task *h, ktime_t now)
{
	u32 kind = h->sleep_flags & (CKPT_SLEEP_POLL | CKPT_SLEEP_FUTEX);
	u32 allowed = CKPT_SLEEP_ACTIVE;
	bool abs = kind == CKPT_SLEEP_FUTEX && h->sleep_clockid == CLOCK_REALTIME;

	if (!kind)
		allowed |= CKPT_SLEEP_RMTP;
	else if (kind == CKPT_SLEEP_POLL)
		allowed |= CKPT_SLEEP_POLL | CKPT_SLEEP_NO_TIMEOUT;
	else if (kind == CKPT_SLEEP_FUTEX)
		allowed |= CKPT_SLEEP_FUTEX | CKPT_SLEEP_SHARED;
	if (h->sleep_flags & ~allowed || now < 0 || h->sleep_remaining < 0 ||
	    (!abs && h->sleep_remaining > KTIME_MAX - now) ||
	    h->sleep_rmtp >= TASK_SIZE_MAX || h->sleep_uaddr >= TASK_SIZE_MAX ||
	    (!(h->sleep_flags & CKPT_SLEEP_RMTP) && h->sleep_rmtp) ||
	    (!kind && (h->sleep_uaddr || h->sleep_val)) ||
	    (kind != CKPT_SLEEP_FUTEX && h->sleep_bitset) ||
	    (kind == CKPT_SLEEP_FUTEX && !h->sleep_bitset) ||
	    ((h->sleep_flags & CKPT_SLEEP_NO_TIMEOUT) && h->sleep_remaining))
		return ckpt_err(ctx, -EINVAL,
				"pid %d: bad wait (clock %d, %lld ns, flags %#x)",
				h->pid, h->sleep_clockid, h->sleep_remaining,
				h->sleep_flags);
	return 0;
}

static void ckpt_restore_poll(struct restart_block *rb,
			      const struct ckpt_hdr_task *h, ktime_t now)
{
	struct timespec64 end = ktime_to_timespec64(now + h->sleep_remaining);

	rb->poll.ufds = u64_to_user_ptr(h->sleep_uaddr);
	rb->poll.nfds = h->sleep_val;
	rb->poll.has_timeout = !(h->sleep_flags & CKPT_SLEEP_NO_TIMEOUT);
	rb->poll.tv_sec = end.tv_sec;
	rb->poll.tv_nsec = end.tv_nsec;
	set_restart_fn(rb, do_restart_poll);
}

static void ckpt_restore_futex(struct restart_block *rb,
			       const struct ckpt_hdr_task *h, ktime_t now)
{
	rb->futex.uaddr = u64_to_user_ptr(h->sleep_uaddr);
	rb->futex.val = h->sleep_val;
	rb->futex.bitset = h->sleep_bitset;
	/* op modifiers of FUTEX_WAIT_BITSET, for ckpt_futex_restart() */
	rb->futex.flags = h->sleep_flags & CKPT_SLEEP_SHARED ? 0 :
			  FUTEX_PRIVATE_FLAG;
	if (h->sleep_clockid == CLOCK_REALTIME) {
		rb->futex.flags |= FUTEX_CLOCK_REALTIME;
		rb->futex.time = h->sleep_remaining;
	} else {
		rb->futex.time = now + h->sleep_remaining;
	}
	set_restart_fn(rb, ckpt_futex_restart);
}

static void ckpt_restore_nanosleep(struct restart_block *rb,
				   const struct ckpt_hdr_task *h, ktime_t now)
{
	bool rmtp = h->sleep_flags & CKPT_SLEEP_RMTP;

	rb->nanosleep.clockid = h->sleep_clockid;
	rb->nanosleep.type = rmtp ? TT_NATIVE : TT_NONE;
	rb->nanosleep.rmtp = u64_to_user_ptr(h->sleep_rmtp);
	rb->nanosleep.expires = now + h->sleep_remaining;
	set_restart_fn(rb, ckpt_sleep_restart);
}

/**
 * ckpt_restore_sleep - let the caller go on with the wait it was in
 * @ctx: restart context, registers of the caller restored
 * @h: the caller's TASK record
 *
 * Return: 0 or -EINVAL for wait fields that do not fit the registers.
 */
int ckpt_restore_sleep(struct ckpt_ctx *ctx, const struct ckpt_hdr_task *h)
{
	struct restart_block *rb = &current->restart_block;
	u32 kind = h->sleep_flags & (CKPT_SLEEP_POLL | CKPT_SLEEP_FUTEX);
	long nr = ckpt_local(ctx)->reissued_nr;
	ktime_t now;
	int ret;

	if (!(h->sleep_flags & CKPT_SLEEP_ACTIVE)) {
		if (h->sleep_flags || h->sleep_clockid || h->sleep_remaining ||
		    h->sleep_rmtp || h->sleep_uaddr || h->sleep_val ||
		    h->sleep_bitset)
			return ckpt_err(ctx, -EINVAL,
					"pid %d: wait fields set without a wait",
					h->pid);
		return 0;
	}
	if (kind == CKPT_SLEEP_FUTEX && (h->sleep_clockid == CLOCK_REALTIME ||
					 h->sleep_clockid == CLOCK_MONOTONIC))
		now = ktime_get();
	else if (kind == CKPT_SLEEP_POLL && h->sleep_clockid == CLOCK_MONOTONIC)
		now = ktime_get();
	else if (!kind)
		now = ckpt_sleep_clock_now(h->sleep_clockid);
	else
		now = -1;
	ret = ckpt_check_sleep_fields(ctx, h, now);
	if (ret)
		return ret;
	if (nr != __NR_restart_syscall &&
	    !(kind == CKPT_SLEEP_POLL && nr == __NR_poll) &&
	    !(kind == CKPT_SLEEP_FUTEX && nr == __NR_futex) &&
	    !(!kind && ckpt_is_sleep_call(nr)))
		return ckpt_err(ctx, -EINVAL,
				"pid %d: a wait to go on, but it was not in that call (%ld)",
				h->pid, nr);

	if (kind == CKPT_SLEEP_POLL)
		ckpt_restore_poll(rb, h, now);
	else if (kind == CKPT_SLEEP_FUTEX)
		ckpt_restore_futex(rb, h, now);
	else
		ckpt_restore_nanosleep(rb, h, now);
	ckpt_arch_restart_syscall();
	return 0;
}
