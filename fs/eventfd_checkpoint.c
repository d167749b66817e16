// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of eventfds: the counter and whether it counts as a
 * semaphore (EFD_SEMAPHORE). An eventfd has one open file, shared by
 * dup() and fork() as any other: it is saved with it.
 *
 * Image: FILE(EVENTFD) EVENTFD
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>

static bool ckpt_eventfd_match(struct file *file)
{
	unsigned int flags;
	u64 count;

	return !eventfd_ckpt_state(file, &count, &flags);
}

static int ckpt_eventfd_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				   const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_eventfd h = {
		.h.type = CKPT_HDR_EVENTFD,
		.h.len = sizeof(h),
	};
	unsigned int flags;
	int ret;

	ret = eventfd_ckpt_state(file, &h.count, &flags);
	if (ret)
		return ckpt_err(ctx, ret, "pid %d fd %d: cannot read eventfd %pD",
				task_pid_vnr(ref->task), ref->fd, file);
	if (flags & EFD_SEMAPHORE)
		h.flags |= CKPT_EVENTFD_SEMAPHORE;
	return ckpt_write_obj(ctx, &h.h);
}

static struct file *ckpt_eventfd_restore(struct ckpt_ctx *ctx,
					 const struct ckpt_hdr_file *h)
{
	unsigned int flags = h->f_flags & O_NONBLOCK;
	struct ckpt_hdr_eventfd e;
	struct file *file;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &e.h, CKPT_HDR_EVENTFD, sizeof(e));
	if (ret)
		return ERR_PTR(ret);
	if ((h->f_flags & O_ACCMODE) != O_RDWR || e.count == U64_MAX ||
	    e.flags & ~CKPT_EVENTFD_SEMAPHORE)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad eventfd: count %llu, flags %#x, open flags %#x",
					e.count, e.flags, h->f_flags));
	if (e.flags & CKPT_EVENTFD_SEMAPHORE)
		flags |= EFD_SEMAPHORE;
	file = eventfd_ckpt_file(e.count, flags);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot make an eventfd");
	return file;
}

static const struct ckpt_file_ops ckpt_eventfd_file_ops = {
	.name = "eventfd",
	.file_type = CKPT_FILE_EVENTFD,
	.match = ckpt_eventfd_match,
	.checkpoint = ckpt_eventfd_checkpoint,
	.restore = ckpt_eventfd_restore,
};

static int __init ckpt_eventfd_init(void)
{
	return ckpt_file_register(&ckpt_eventfd_file_ops);
}
late_initcall(ckpt_eventfd_init);
