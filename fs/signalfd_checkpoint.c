// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of signalfds: the signals one reads. The signals
 * themselves are pending on the tasks that read them, which save them.
 *
 * Image: FILE(SIGNALFD) SIGNALFD
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/signalfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>

static bool ckpt_signalfd_match(struct file *file)
{
	sigset_t mask;

	return !signalfd_ckpt_mask(file, &mask);
}

static int ckpt_signalfd_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				    const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_signalfd h = {
		.h.type = CKPT_HDR_SIGNALFD,
		.h.len = sizeof(h),
	};
	sigset_t mask;
	int ret;

	BUILD_BUG_ON(_NSIG != CKPT_NSIG);
	ret = signalfd_ckpt_mask(file, &mask);
	if (ret)
		return ckpt_err(ctx, ret, "pid %d fd %d: cannot read signalfd %pD",
				task_pid_vnr(ref->task), ref->fd, file);
	h.sigmask = mask.sig[0];
	return ckpt_write_obj(ctx, &h.h);
}

static struct file *ckpt_signalfd_restore(struct ckpt_ctx *ctx,
					  const struct ckpt_hdr_file *h)
{
	struct ckpt_hdr_signalfd s;
	struct file *file;
	sigset_t mask;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &s.h, CKPT_HDR_SIGNALFD, sizeof(s));
	if (ret)
		return ERR_PTR(ret);
	mask.sig[0] = s.sigmask;
	if ((h->f_flags & O_ACCMODE) != O_RDWR ||
	    sigtestsetmask(&mask, sigmask(SIGKILL) | sigmask(SIGSTOP)))
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad signalfd: signals %#llx, open flags %#x",
					s.sigmask, h->f_flags));
	file = signalfd_ckpt_file(&mask, h->f_flags & O_NONBLOCK);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot make a signalfd");
	return file;
}

static const struct ckpt_file_ops ckpt_signalfd_file_ops = {
	.name = "signalfd",
	.file_type = CKPT_FILE_SIGNALFD,
	.match = ckpt_signalfd_match,
	.checkpoint = ckpt_signalfd_checkpoint,
	.restore = ckpt_signalfd_restore,
};

static int __init ckpt_signalfd_init(void)
{
	return ckpt_file_register(&ckpt_signalfd_file_ops);
}
late_initcall(ckpt_signalfd_init);
