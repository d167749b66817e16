/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checkpoint/restart core: what only kernel/checkpoint/ uses (the
 * subsystems see include/linux/checkpoint.h).
 */
#ifndef _KERNEL_CHECKPOINT_INTERNAL_H
#define _KERNEL_CHECKPOINT_INTERNAL_H

#include <linux/checkpoint.h>
#include <linux/uio.h>

/*
 * ckpt_ctx.stage: the stages of a restart session, in order (see THE
 * RESTART SESSION in kernel/checkpoint/restart.c)
 */
enum ckpt_restart_stage {
	CKPT_STAGE_PUBLISHED,	/* findable by its file; the root may join */
	CKPT_STAGE_TREE_READ,	/* ->tasks known; the other tasks join */
	CKPT_STAGE_RESTORING,	/* the tasks take turns (->active) */
	CKPT_STAGE_DONE,	/* all restored: return to user space */
	CKPT_STAGE_ABORTED,	/* failed: the started tasks are killed */
};

/**
 * struct ckpt_task_seen - a checkpointed task as it was collected
 * @cred: its credentials (a reference)
 * @exec_id: its self_exec_id, which each exec() increments
 */
struct ckpt_task_seen {
	const struct cred *cred;
	u64 exec_id;
};

/* Longest log line */
#define CKPT_MSG_MAX	512
/* Output held back while a task is saved (struct ckpt_hold) */
#define CKPT_HOLD_SIZE	(64U << 10)
#define CKPT_HOLD_LOG	(8 * CKPT_MSG_MAX)

/* sys.c: errors, record I/O */
int ckpt_file_write(struct file *file, struct iov_iter *iter);
int ckpt_image_write(struct ckpt_ctx *ctx, struct iov_iter *iter);
void ckpt_stats_log(struct ckpt_ctx *ctx);
void ckpt_readahead_return(struct ckpt_ctx *ctx);
void ckpt_stat_max(struct ckpt_ctx *ctx, int st, u64 v);
void ckpt_log_write(struct ckpt_ctx *ctx, const char *buf, size_t len);
bool ckpt_set_error(struct ckpt_ctx *ctx, int err);
int ckpt_kwrite(struct ckpt_ctx *ctx, const void *buf, size_t len);
int ckpt_write_error(struct ckpt_ctx *ctx, int err, const char *msg);
int ckpt_read_hdr(struct ckpt_ctx *ctx, struct ckpt_hdr *h);
int ckpt_read_body(struct ckpt_ctx *ctx, struct ckpt_hdr *h, size_t size);
int ckpt_check_reserved(struct ckpt_ctx *ctx, const struct ckpt_hdr *h,
			size_t size);
const char *ckpt_hdr_name(int type);

/* objhash.c */
int ckpt_objhash_alloc(struct ckpt_ctx *ctx);
void ckpt_objhash_free(struct ckpt_ctx *ctx);
int ckpt_obj_leak_check(struct ckpt_ctx *ctx, bool report);
int ckpt_obj_check_visited(struct ckpt_ctx *ctx);

/* kernel/checkpoint/process.c */
int ckpt_collect_task(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_checkpoint_task(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_task(struct ckpt_ctx *ctx, int idx);
int ckpt_groups_alloc(struct ckpt_ctx *ctx);
void ckpt_groups_free(struct ckpt_ctx *ctx);
bool ckpt_task_frozen(struct task_struct *t);

/* kernel/checkpoint/tree.c */
int ckpt_collect_tree(struct ckpt_ctx *ctx);
int ckpt_write_tree(struct ckpt_ctx *ctx);
int ckpt_read_tree(struct ckpt_ctx *ctx);
int ckpt_tree_find_tasks(struct ckpt_ctx *ctx);
int ckpt_tree_check_joined(struct ckpt_ctx *ctx);
int ckpt_tree_check_private(struct ckpt_ctx *ctx, bool own_mm);
int ckpt_recheck_task(struct ckpt_ctx *ctx, int i);
const struct ckpt_hdr_tree_task *ckpt_tree_task_entry(struct ckpt_ctx *ctx,
						      int idx);
int ckpt_tree_task_index(struct ckpt_ctx *ctx, struct task_struct *t);

/* kernel/checkpoint/signal.c */
int ckpt_checkpoint_signals(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_signals(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_restore_pending(struct ckpt_ctx *ctx, struct ckpt_pending *p,
			 struct ckpt_pending *group);
void ckpt_pending_free(struct ckpt_pending *p);
int ckpt_collect_signals(struct ckpt_ctx *ctx, struct task_struct *t);

/* kernel/checkpoint/checkpoint.c */
int ckpt_hold_append(struct ckpt_ctx *ctx, struct iov_iter *iter);

/* kernel/checkpoint/checkpoint.c and restart.c */
long do_checkpoint(struct ckpt_ctx *ctx, pid_t pid);
long do_restart(struct ckpt_ctx *ctx, pid_t pid);
long ckpt_restart_join(int fd, unsigned long flags, int logfd);
void ckpt_ctx_get(struct ckpt_ctx *ctx);
void ckpt_ctx_put(struct ckpt_ctx *ctx);

/* kernel/checkpoint/cred.c */
int ckpt_checkpoint_cred(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_collect_cred(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_cred(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);

/* kernel/checkpoint/ns.c */
int ckpt_checkpoint_ns(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_collect_ns(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_ns(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_check_ns(struct ckpt_ctx *ctx, u32 *flags);

/* kernel/checkpoint/sleep.c */
void ckpt_save_sleep(struct task_struct *t, struct ckpt_hdr_task *h);
int ckpt_check_sleep(struct ckpt_ctx *ctx, struct task_struct *t,
		     const struct ckpt_hdr_task *h);
int ckpt_restore_sleep(struct ckpt_ctx *ctx, const struct ckpt_hdr_task *h);

/**
 * ckpt_get_error - the first error of an operation
 * @ctx: checkpoint context
 *
 * Return: a negative errno, or 0 while nothing failed.
 */
static inline int ckpt_get_error(struct ckpt_ctx *ctx)
{
	return READ_ONCE(ctx->err);
}

/* parallel.c */
bool ckpt_par_record_ok(u32 type);
int ckpt_par_setup(struct ckpt_ctx *ctx);
void ckpt_par_free(struct ckpt_ctx *ctx);
int ckpt_par_wait_start(struct ckpt_ctx *ctx, int idx);
bool ckpt_par_started(struct ckpt_ctx *ctx, int idx);
int ckpt_par_check_end(struct ckpt_ctx *ctx, int idx);
void ckpt_par_done(struct ckpt_ctx *ctx, int idx);
bool ckpt_par_all_done(struct ckpt_ctx *ctx);
int ckpt_par_wait_others(struct ckpt_ctx *ctx, int idx);
int ckpt_par_wait_obj(struct ckpt_ctx *ctx, bool (*found)(void *arg),
		      void *arg);
void ckpt_par_obj_added(struct ckpt_ctx *ctx);
int ckpt_par_self(struct ckpt_ctx *ctx);
int ckpt_par_finish(struct ckpt_ctx *ctx);

#endif /* _KERNEL_CHECKPOINT_INTERNAL_H */
