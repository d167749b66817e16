// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of timerfds: the clock, the next expiry and the
 * interval, the flags it was set with, and the expiries not read yet.
 * The next expiry is saved as the time left to it, so that it comes as
 * long after the restart as it would have come after the checkpoint;
 * but a timer set to an absolute time on a CLOCK_REALTIME clock keeps
 * that wall-clock time. A timer set to an absolute time on another clock
 * is set again to the time left, as an absolute time of the clock the
 * restored task sees.
 *
 * Image: FILE(TIMERFD) TIMERFD
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/timerfd.h>
#include <linux/time_namespace.h>
#include <linux/timekeeping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>

static bool ckpt_timerfd_realtime(int clockid)
{
	return clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
}

static bool ckpt_timerfd_match(struct file *file)
{
	struct itimerspec64 t;
	int clockid, flags;
	u64 ticks;

	return !timerfd_ckpt_state(file, &clockid, &flags, &t, &ticks);
}

static int ckpt_timerfd_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				   const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_timerfd h = {
		.h.type = CKPT_HDR_TIMERFD,
		.h.len = sizeof(h),
	};
	struct itimerspec64 t;
	int flags, ret;

	ret = timerfd_ckpt_state(file, &h.clockid, &flags, &t, &h.ticks);
	if (ret)
		return ckpt_err(ctx, ret, "pid %d fd %d: cannot read timerfd %pD",
				task_pid_vnr(ref->task), ref->fd, file);
	if (flags & TFD_TIMER_ABSTIME)
		h.flags |= CKPT_TIMERFD_ABSTIME;
	if (flags & TFD_TIMER_CANCEL_ON_SET)
		h.flags |= CKPT_TIMERFD_CANCEL_ON_SET;
	h.value_ns = timespec64_to_ns(&t.it_value);
	h.interval_ns = timespec64_to_ns(&t.it_interval);
	if (h.value_ns && (flags & TFD_TIMER_ABSTIME) &&
	    ckpt_timerfd_realtime(h.clockid))
		h.value_ns += ktime_get_real_ns();
	return ckpt_write_obj(ctx, &h.h);
}

/* The next expiry @h saved, as timerfd_settime() would be given it now */
static struct timespec64 ckpt_timerfd_value(const struct ckpt_hdr_timerfd *h)
{
	struct timespec64 now;

	if (!h->value_ns || !(h->flags & CKPT_TIMERFD_ABSTIME) ||
	    ckpt_timerfd_realtime(h->clockid))
		return ns_to_timespec64(h->value_ns);
	if (h->clockid == CLOCK_MONOTONIC) {
		ktime_get_ts64(&now);
		timens_add_monotonic(&now);
	} else {
		ktime_get_boottime_ts64(&now);
		timens_add_boottime(&now);
	}
	return ns_to_timespec64(timespec64_to_ns(&now) + h->value_ns);
}

static struct file *ckpt_timerfd_restore(struct ckpt_ctx *ctx,
					 const struct ckpt_hdr_file *h)
{
	struct ckpt_hdr_timerfd r;
	struct itimerspec64 t;
	struct file *file;
	int flags = 0, ret;

	ret = ckpt_read_obj_type_into(ctx, &r.h, CKPT_HDR_TIMERFD, sizeof(r));
	if (ret)
		return ERR_PTR(ret);
	if ((h->f_flags & O_ACCMODE) != O_RDWR || r.value_ns < 0 ||
	    r.interval_ns < 0 || r.value_ns > KTIME_SEC_MAX * NSEC_PER_SEC ||
	    r.interval_ns > KTIME_SEC_MAX * NSEC_PER_SEC ||
	    r.flags & ~(CKPT_TIMERFD_ABSTIME | CKPT_TIMERFD_CANCEL_ON_SET))
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad timerfd: clock %d, flags %#x, %lld ns, every %lld ns, open flags %#x",
					r.clockid, r.flags, r.value_ns,
					r.interval_ns, h->f_flags));
	if (r.flags & CKPT_TIMERFD_ABSTIME)
		flags |= TFD_TIMER_ABSTIME;
	if (r.flags & CKPT_TIMERFD_CANCEL_ON_SET)
		flags |= TFD_TIMER_CANCEL_ON_SET;
	t.it_value = ckpt_timerfd_value(&r);
	t.it_interval = ns_to_timespec64(r.interval_ns);
	file = timerfd_ckpt_file(r.clockid, h->f_flags & O_NONBLOCK, flags, &t,
				 r.ticks);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file),
			 "cannot make a timerfd on clock %d, next in %lld ns, every %lld ns",
			 r.clockid, r.value_ns, r.interval_ns);
	return file;
}

static const struct ckpt_file_ops ckpt_timerfd_file_ops = {
	.name = "timerfd",
	.file_type = CKPT_FILE_TIMERFD,
	.match = ckpt_timerfd_match,
	.checkpoint = ckpt_timerfd_checkpoint,
	.restore = ckpt_timerfd_restore,
};

static int __init ckpt_timerfd_init(void)
{
	return ckpt_file_register(&ckpt_timerfd_file_ops);
}
late_initcall(ckpt_timerfd_init);
