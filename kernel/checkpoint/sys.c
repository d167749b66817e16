// SPDX-License-Identifier: GPL-2.0
/*
 * checkpoint() and restart() system calls, the checkpoint context,
 * log messages and image record I/O.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/syscalls.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/pid_namespace.h>
#include <linux/mm_types.h>
#include <linux/resource.h>
#include <linux/utsname.h>
#include <linux/cred.h>

static const char * const ckpt_hdr_names[] = {
	[CKPT_HDR_HEADER] = "HEADER",
	[CKPT_HDR_HEADER_ARCH] = "HEADER_ARCH",
	[CKPT_HDR_STRING] = "STRING",
	[CKPT_HDR_OBJREF] = "OBJREF",
	[CKPT_HDR_TREE] = "TREE",
	[CKPT_HDR_TREE_TASK] = "TREE_TASK",
	[CKPT_HDR_TASK] = "TASK",
	[CKPT_HDR_CPU] = "CPU",
	[CKPT_HDR_FPU] = "FPU",
	[CKPT_HDR_SIGHAND] = "SIGHAND",
	[CKPT_HDR_SIGMASK] = "SIGMASK",
	[CKPT_HDR_SIGINFO] = "SIGINFO",
	[CKPT_HDR_POSIX_TIMER] = "POSIX_TIMER",
	[CKPT_HDR_CRED] = "CRED",
	[CKPT_HDR_SIGNAL] = "SIGNAL",
	[CKPT_HDR_UTS_NS] = "UTS_NS",
	[CKPT_HDR_MM] = "MM",
	[CKPT_HDR_VMA] = "VMA",
	[CKPT_HDR_PAGES] = "PAGES",
	[CKPT_HDR_SHMEM] = "SHMEM",
	[CKPT_HDR_SHM_ATTACH] = "SHM_ATTACH",
	[CKPT_HDR_PAGES_PRECOPIED] = "PAGES_PRECOPIED",
	[CKPT_HDR_IPC_NS] = "IPC_NS",
	[CKPT_HDR_IPC_SHM] = "IPC_SHM",
	[CKPT_HDR_IPC_SEM] = "IPC_SEM",
	[CKPT_HDR_IPC_MSQ] = "IPC_MSQ",
	[CKPT_HDR_IPC_MSG] = "IPC_MSG",
	[CKPT_HDR_SYSVSEM] = "SYSVSEM",
	[CKPT_HDR_SEM_UNDO] = "SEM_UNDO",
	[CKPT_HDR_SEM_ADJ] = "SEM_ADJ",
	[CKPT_HDR_FILE_TABLE] = "FILE_TABLE",
	[CKPT_HDR_FD_ENT] = "FD_ENT",
	[CKPT_HDR_FILE] = "FILE",
	[CKPT_HDR_FS] = "FS",
	[CKPT_HDR_FILE_DATA] = "FILE_DATA",
	[CKPT_HDR_FILE_LOCK] = "FILE_LOCK",
	[CKPT_HDR_PIPE] = "PIPE",
	[CKPT_HDR_PIPE_BUF] = "PIPE_BUF",
	[CKPT_HDR_EVENTFD] = "EVENTFD",
	[CKPT_HDR_SIGNALFD] = "SIGNALFD",
	[CKPT_HDR_TIMERFD] = "TIMERFD",
	[CKPT_HDR_EPOLL] = "EPOLL",
	[CKPT_HDR_EPOLL_WATCH] = "EPOLL_WATCH",
	[CKPT_HDR_UNIX_FILE] = "UNIX_FILE",
	[CKPT_HDR_UNIX_PAIR] = "UNIX_PAIR",
	[CKPT_HDR_UNIX_SOCK] = "UNIX_SOCK",
	[CKPT_HDR_UNIX_SKB] = "UNIX_SKB",
	[CKPT_HDR_INET_SOCK] = "INET_SOCK",
	[CKPT_HDR_INOTIFY] = "INOTIFY",
	[CKPT_HDR_INOTIFY_WATCH] = "INOTIFY_WATCH",
	[CKPT_HDR_INOTIFY_EVENT] = "INOTIFY_EVENT",
	[CKPT_HDR_NET_NS] = "NET_NS",
	[CKPT_HDR_NET_ADDR] = "NET_ADDR",
	[CKPT_HDR_TCP_PAIR] = "TCP_PAIR",
	[CKPT_HDR_TCP_CONN] = "TCP_CONN",
	[CKPT_HDR_TCP_DATA] = "TCP_DATA",
	[CKPT_HDR_UNIX_LONE] = "UNIX_LONE",
	[CKPT_HDR_UNIX_ADDR] = "UNIX_ADDR",
	[CKPT_HDR_UNIX_LISTEN] = "UNIX_LISTEN",
	[CKPT_HDR_TAIL] = "TAIL",
	[CKPT_HDR_ERROR] = "ERROR",
};

/**
 * ckpt_hdr_name - name of a record type, for messages
 * @type: record type
 *
 * Return: a static string, "UNKNOWN" for types we do not know.
 */
const char *ckpt_hdr_name(int type)
{
	if (type > 0 && type < ARRAY_SIZE(ckpt_hdr_names) &&
	    ckpt_hdr_names[type])
		return ckpt_hdr_names[type];
	return "UNKNOWN";
}

static __printf(5, 0) int ckpt_format_line(struct ckpt_ctx *ctx, char *buf,
					    size_t size, const char *prefix,
					    const char *fmt, va_list ap)
{
	int n;

	n = scnprintf(buf, size, "[%d:%s] %s", task_pid_vnr(current),
		      ckpt_is_restart(ctx) ? "restart" : "checkpoint", prefix);
	n += vscnprintf(buf + n, size - n - 1, fmt, ap);
	buf[n++] = '\n';
	return n;
}

/**
 * ckpt_log_write - write to the log fd
 * @ctx: checkpoint context
 * @buf: whole lines
 * @len: their length
 *
 * Called with ctx->log_lock held, and no lock that a reader of the log
 * might want (see ckpt_hold_task()).
 */
void ckpt_log_write(struct ckpt_ctx *ctx, const char *buf, size_t len)
{
	loff_t pos = ctx->logfile->f_pos;

	if (kernel_write(ctx->logfile, buf, len, &pos) > 0)
		ctx->logfile->f_pos = pos;
}

static __printf(3, 0) void ckpt_vlog(struct ckpt_ctx *ctx, const char *prefix,
		      const char *fmt, va_list ap)
{
	struct ckpt_hold *hold = &ctx->hold;
	int n;

	if (!ctx->logfile)
		return;
	/* a checkpoint is one task's: the held back lines need no lock */
	if (hold->task) {
		if (CKPT_HOLD_LOG - hold->loglen < CKPT_MSG_MAX) {
			hold->log_lost++;
			return;
		}
		hold->loglen += ckpt_format_line(ctx, hold->log + hold->loglen,
						 CKPT_MSG_MAX, prefix, fmt, ap);
		return;
	}
	/*
	 * The log is the caller's file, a pipe maybe: a task stuck writing
	 * to it holds the lock, the others wait killable.
	 */
	if (mutex_lock_killable(&ctx->log_lock))
		return;
	n = ckpt_format_line(ctx, ctx->msgbuf, CKPT_MSG_MAX, prefix, fmt, ap);
	ckpt_log_write(ctx, ctx->msgbuf, n);
	mutex_unlock(&ctx->log_lock);
}

/**
 * ckpt_msg - write a message line to the operation's log fd
 * @ctx: checkpoint context
 * @fmt: printf format
 */
void ckpt_msg(struct ckpt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ckpt_vlog(ctx, "", fmt, ap);
	va_end(ap);
}

static const char *const ckpt_stat_names[CKPT_ST_NR] = {
	[CKPT_ST_TOTAL] = "total",
	[CKPT_ST_COLLECT] = "collect",
	[CKPT_ST_TREE] = "tree",
	[CKPT_ST_NS] = "ns",
	[CKPT_ST_IPC] = "ipc",
	[CKPT_ST_CRED] = "cred",
	[CKPT_ST_MM] = "mm",
	[CKPT_ST_FILES] = "files",
	[CKPT_ST_FS] = "fs",
	[CKPT_ST_SIGNALS] = "signals",
	[CKPT_ST_CPU] = "cpu",
	[CKPT_ST_SCAN] = "scan",
	[CKPT_ST_PAGES_IO] = "pages_io",
	[CKPT_ST_MM_CLEAR] = "mm_clear",
	[CKPT_ST_VMAS] = "vmas",
	[CKPT_ST_PAGES_ALLOC] = "pages_alloc",
	[CKPT_ST_PAGES_MAP] = "pages_map",
	[CKPT_ST_IO] = "io",
	[CKPT_ST_PROLOGUE] = "prologue",
	[CKPT_ST_JOIN] = "join",
	[CKPT_ST_TASKS] = "tasks",
	[CKPT_ST_TASK_MAX] = "task_max",
	[CKPT_ST_HANDOFF] = "handoff",
	[CKPT_ST_INDEX] = "index",
	[CKPT_ST_IO_CALLS] = "io_calls",
	[CKPT_ST_PAGES_SCANNED] = "pages_scanned",
	[CKPT_ST_PAGES_SAVED] = "pages_saved",
	[CKPT_ST_PAGES_SKIPPED] = "pages_skipped",
	[CKPT_ST_VMAS_SKIPPED] = "vmas_skipped",
	[CKPT_ST_PAGES_COPIED] = "pages_copied",
	[CKPT_ST_TASKS_PAR] = "tasks_par",
	[CKPT_ST_TASKS_SERIAL] = "tasks_serial",
};

/**
 * ckpt_stat_max - keep the largest value seen in a statistic
 * @ctx: checkpoint context
 * @st: enum ckpt_stat
 * @v: a value
 */
void ckpt_stat_max(struct ckpt_ctx *ctx, int st, u64 v)
{
	s64 old = atomic64_read(&ctx->stats[st]);

	while (old < (s64)v &&
	       !atomic64_try_cmpxchg(&ctx->stats[st], &old, v))
		;
}

/**
 * ckpt_stats_log - log what the operation measured of itself
 * @ctx: checkpoint context
 *
 * Two lines, "stats: time NAME=MICROSECONDS..." and "stats: count
 * NAME=N...", with the statistics that are not zero (see enum
 * ckpt_stat), for the benchmark.
 */
void ckpt_stats_log(struct ckpt_ctx *ctx)
{
	char *buf = kmalloc(CKPT_MSG_MAX, GFP_KERNEL);
	int i, n = 0;
	u64 v;

	if (!buf)
		return;
	for (i = 0; i < CKPT_ST_NR_TIMES; i++) {
		v = atomic64_read(&ctx->stats[i]);
		if (v || i == CKPT_ST_TOTAL)
			n += scnprintf(buf + n, CKPT_MSG_MAX - n, " %s=%llu",
				       ckpt_stat_names[i], div_u64(v, 1000));
	}
	ckpt_msg(ctx, "stats: time (us)%s", buf);
	n = 0;
	buf[0] = 0;
	for (i = CKPT_ST_NR_TIMES; i < CKPT_ST_NR; i++) {
		v = atomic64_read(&ctx->stats[i]);
		if (v)
			n += scnprintf(buf + n, CKPT_MSG_MAX - n, " %s=%llu",
				       ckpt_stat_names[i], v);
	}
	ckpt_msg(ctx, "stats: count%s", buf);
	kfree(buf);
}

/**
 * ckpt_set_error - record the error of an operation, if it is the first
 * @ctx: checkpoint context
 * @err: negative errno
 *
 * Return: true when @err is the first error, now the operation's.
 */
bool ckpt_set_error(struct ckpt_ctx *ctx, int err)
{
	return cmpxchg(&ctx->err, 0, err) == 0;
}

/**
 * ckpt_err - record an error of the operation
 * @ctx: checkpoint context
 * @err: negative errno
 * @fmt: printf format of the explanation
 *
 * Keeps the first error in @ctx, logs the message and, at checkpoint,
 * writes an ERROR record into the image (once) so that a reader of a
 * failed image learns why it ends there.
 *
 * Return: @err, so callers can write "return ckpt_err(...)".
 */
int ckpt_err(struct ckpt_ctx *ctx, int err, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	bool first;

	first = ckpt_set_error(ctx, err);

	va_start(ap, fmt);
	ckpt_vlog(ctx, "error: ", fmt, ap);
	va_end(ap);

	/* an image that was refused before it began stays empty */
	if (!first || ckpt_is_restart(ctx) || !ctx->own.nr_records ||
	    (ctx->kflags & CKPT_CTX_WRITE_FAILED))
		return err;

	msg = kmalloc(CKPT_MSG_MAX, GFP_KERNEL);
	if (msg) {
		va_start(ap, fmt);
		vscnprintf(msg, CKPT_MSG_MAX, fmt, ap);
		va_end(ap);
		ckpt_write_error(ctx, err, msg);
		kfree(msg);
	}
	return err;
}

/*
 * The image format and the kernel must agree on these; every record is
 * a multiple of 8 bytes, so that records stay aligned in the stream.
 */
static_assert(CKPT_UTS_LEN == __NEW_UTS_LEN + 1);
static_assert(CKPT_COMM_LEN == TASK_COMM_LEN);
static_assert(CKPT_NSIG == _NSIG);
static_assert(CKPT_SIGINFO_SIZE == sizeof(siginfo_t));
static_assert(CKPT_RLIM_NLIMITS == RLIM_NLIMITS);
static_assert(CKPT_AUXV_MAX >= AT_VECTOR_SIZE);
static_assert(CKPT_PAGES_BATCH * (PAGE_SIZE + sizeof(u64)) +
	      sizeof(struct ckpt_hdr_pages) <= CKPT_RECORD_MAX);
#define CKPT_ALIGNED(rec)	static_assert(sizeof(struct rec) % 8 == 0)
CKPT_ALIGNED(ckpt_hdr);
CKPT_ALIGNED(ckpt_hdr_header);
CKPT_ALIGNED(ckpt_hdr_header_arch);
CKPT_ALIGNED(ckpt_hdr_objref);
CKPT_ALIGNED(ckpt_hdr_tree);
CKPT_ALIGNED(ckpt_hdr_tree_task);
CKPT_ALIGNED(ckpt_hdr_task);
CKPT_ALIGNED(ckpt_hdr_cpu);
CKPT_ALIGNED(ckpt_hdr_fpu);
CKPT_ALIGNED(ckpt_hdr_sighand);
CKPT_ALIGNED(ckpt_hdr_uts_ns);
CKPT_ALIGNED(ckpt_hdr_signal);
CKPT_ALIGNED(ckpt_hdr_sigmask);
CKPT_ALIGNED(ckpt_hdr_siginfo);
CKPT_ALIGNED(ckpt_hdr_mm);
CKPT_ALIGNED(ckpt_hdr_vma);
CKPT_ALIGNED(ckpt_hdr_pages);
CKPT_ALIGNED(ckpt_hdr_shmem);
CKPT_ALIGNED(ckpt_hdr_fd_ent);
CKPT_ALIGNED(ckpt_hdr_file);
CKPT_ALIGNED(ckpt_hdr_cred);
CKPT_ALIGNED(ckpt_hdr_fs);
CKPT_ALIGNED(ckpt_hdr_file_data);
CKPT_ALIGNED(ckpt_hdr_file_lock);
CKPT_ALIGNED(ckpt_hdr_posix_timer);
CKPT_ALIGNED(ckpt_hdr_file_table);
CKPT_ALIGNED(ckpt_hdr_pipe);
CKPT_ALIGNED(ckpt_hdr_pipe_buf);
CKPT_ALIGNED(ckpt_hdr_eventfd);
CKPT_ALIGNED(ckpt_hdr_signalfd);
CKPT_ALIGNED(ckpt_hdr_timerfd);
CKPT_ALIGNED(ckpt_hdr_unix_file);
CKPT_ALIGNED(ckpt_hdr_unix_pair);
CKPT_ALIGNED(ckpt_hdr_unix_sock);
CKPT_ALIGNED(ckpt_hdr_unix_skb);
CKPT_ALIGNED(ckpt_hdr_inet_sock);
CKPT_ALIGNED(ckpt_hdr_inotify);
CKPT_ALIGNED(ckpt_hdr_inotify_watch);
CKPT_ALIGNED(ckpt_hdr_inotify_event);
CKPT_ALIGNED(ckpt_hdr_unix_lone);
CKPT_ALIGNED(ckpt_hdr_unix_addr);
CKPT_ALIGNED(ckpt_hdr_unix_listen);
CKPT_ALIGNED(ckpt_hdr_net_ns);
CKPT_ALIGNED(ckpt_hdr_net_addr);
CKPT_ALIGNED(ckpt_hdr_tcp_pair);
CKPT_ALIGNED(ckpt_hdr_tcp_conn);
CKPT_ALIGNED(ckpt_hdr_tcp_data);
CKPT_ALIGNED(ckpt_hdr_epoll);
CKPT_ALIGNED(ckpt_hdr_epoll_watch);
CKPT_ALIGNED(ckpt_hdr_shm_attach);
CKPT_ALIGNED(ckpt_ipc_ids);
CKPT_ALIGNED(ckpt_hdr_ipc_ns);
CKPT_ALIGNED(ckpt_ipc_perm);
CKPT_ALIGNED(ckpt_hdr_ipc_shm);
CKPT_ALIGNED(ckpt_sem);
CKPT_ALIGNED(ckpt_hdr_ipc_sem);
CKPT_ALIGNED(ckpt_hdr_ipc_msq);
CKPT_ALIGNED(ckpt_hdr_ipc_msg);
CKPT_ALIGNED(ckpt_hdr_sysvsem);
CKPT_ALIGNED(ckpt_hdr_sem_undo);
CKPT_ALIGNED(ckpt_hdr_sem_adj);
CKPT_ALIGNED(ckpt_hdr_tail);
CKPT_ALIGNED(ckpt_hdr_error);

/* Reserved and padding bytes of the records: zero, or the image is bad */
#define CKPT_RESERVED(t, rec, f) \
	{ t, offsetof(struct rec, f), sizeof_field(struct rec, f) }
static const struct {
	u32 type;
	u16 offset;
	u16 size;
} ckpt_reserved[] = {
	CKPT_RESERVED(CKPT_HDR_HEADER, ckpt_hdr_header, pad),
	CKPT_RESERVED(CKPT_HDR_TREE, ckpt_hdr_tree, pad),
	CKPT_RESERVED(CKPT_HDR_TREE_TASK, ckpt_hdr_tree_task, pad),
	CKPT_RESERVED(CKPT_HDR_CPU, ckpt_hdr_cpu, pad),
	CKPT_RESERVED(CKPT_HDR_SIGHAND, ckpt_hdr_sighand, pad),
	CKPT_RESERVED(CKPT_HDR_UTS_NS, ckpt_hdr_uts_ns, pad),
	CKPT_RESERVED(CKPT_HDR_PAGES, ckpt_hdr_pages, pad),
	CKPT_RESERVED(CKPT_HDR_SHMEM, ckpt_hdr_shmem, pad),
	CKPT_RESERVED(CKPT_HDR_MM, ckpt_hdr_mm, pad),
	CKPT_RESERVED(CKPT_HDR_CRED, ckpt_hdr_cred, pad),
	CKPT_RESERVED(CKPT_HDR_FILE_TABLE, ckpt_hdr_file_table, pad),
	CKPT_RESERVED(CKPT_HDR_FILE_LOCK, ckpt_hdr_file_lock, pad),
	CKPT_RESERVED(CKPT_HDR_EVENTFD, ckpt_hdr_eventfd, pad),
	CKPT_RESERVED(CKPT_HDR_UNIX_SKB, ckpt_hdr_unix_skb, pad),
	CKPT_RESERVED(CKPT_HDR_INOTIFY, ckpt_hdr_inotify, pad),
	CKPT_RESERVED(CKPT_HDR_UNIX_ADDR, ckpt_hdr_unix_addr, pad),
	CKPT_RESERVED(CKPT_HDR_UNIX_LISTEN, ckpt_hdr_unix_listen, pad),
	CKPT_RESERVED(CKPT_HDR_UNIX_ADDR, ckpt_hdr_unix_addr, pad2),
	CKPT_RESERVED(CKPT_HDR_NET_NS, ckpt_hdr_net_ns, pad),
	CKPT_RESERVED(CKPT_HDR_NET_ADDR, ckpt_hdr_net_addr, pad),
	CKPT_RESERVED(CKPT_HDR_TCP_PAIR, ckpt_hdr_tcp_pair, pad),
	CKPT_RESERVED(CKPT_HDR_TCP_CONN, ckpt_hdr_tcp_conn, pad),
	CKPT_RESERVED(CKPT_HDR_TCP_DATA, ckpt_hdr_tcp_data, pad),
	CKPT_RESERVED(CKPT_HDR_EPOLL, ckpt_hdr_epoll, pad),
	CKPT_RESERVED(CKPT_HDR_EPOLL_WATCH, ckpt_hdr_epoll_watch, pad),
	CKPT_RESERVED(CKPT_HDR_IPC_SHM, ckpt_hdr_ipc_shm, perm.pad),
	CKPT_RESERVED(CKPT_HDR_IPC_SHM, ckpt_hdr_ipc_shm, pad),
	CKPT_RESERVED(CKPT_HDR_IPC_SEM, ckpt_hdr_ipc_sem, perm.pad),
	CKPT_RESERVED(CKPT_HDR_IPC_SEM, ckpt_hdr_ipc_sem, pad),
	CKPT_RESERVED(CKPT_HDR_IPC_MSQ, ckpt_hdr_ipc_msq, perm.pad),
	CKPT_RESERVED(CKPT_HDR_IPC_MSQ, ckpt_hdr_ipc_msq, pad),
	CKPT_RESERVED(CKPT_HDR_SYSVSEM, ckpt_hdr_sysvsem, pad),
	CKPT_RESERVED(CKPT_HDR_SHM_ATTACH, ckpt_hdr_shm_attach, pad),
};

/**
 * ckpt_check_reserved - refuse a record whose reserved bytes are not zero
 * @ctx: restart context
 * @h: the record, its first @size bytes read
 * @size: bytes of @h read
 *
 * Zero reserved fields are what lets a later format give them a meaning.
 *
 * Return: 0 or -EINVAL (logged, naming the record).
 */
int ckpt_check_reserved(struct ckpt_ctx *ctx, const struct ckpt_hdr *h,
			size_t size)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_reserved); i++) {
		if (ckpt_reserved[i].type != h->type ||
		    ckpt_reserved[i].offset + ckpt_reserved[i].size > size)
			continue;
		if (memchr_inv((const void *)h + ckpt_reserved[i].offset, 0,
			       ckpt_reserved[i].size))
			return ckpt_err(ctx, -EINVAL,
					"record %s before offset %lld: reserved bytes at %u are not zero",
					ckpt_hdr_name(h->type), ckpt_pos(ctx),
					ckpt_reserved[i].offset);
	}
	return 0;
}

/**
 * ckpt_hdr_get - allocate a zeroed record
 * @ctx: checkpoint context
 * @len: size of the record struct (header included)
 * @type: record type to put in the header
 *
 * Return: the record, or NULL when out of memory.
 */
void *ckpt_hdr_get(struct ckpt_ctx *ctx, size_t len, int type)
{
	struct ckpt_hdr *h = kvzalloc(len, GFP_KERNEL);

	if (h) {
		h->type = type;
		h->len = len;
	}
	return h;
}

/**
 * ckpt_hdr_put - free a record from ckpt_hdr_get() or a read helper
 * @ctx: checkpoint context
 * @h: the record (may be NULL)
 */
void ckpt_hdr_put(struct ckpt_ctx *ctx, void *h)
{
	kvfree(h);
}

/**
 * ckpt_file_write - write a kernel buffer iterator to a file
 * @file: the image or the log
 * @iter: what to write (consumed)
 *
 * Works for any file with ->write_iter, pipes, sockets and /dev/null
 * included: short writes are continued until everything is written.
 * Must not be called with locks held that a reader or writer of
 * @file might want (see ckpt_hold_task()).
 *
 * Return: 0 or a negative errno.
 */
int ckpt_file_write(struct file *file, struct iov_iter *iter)
{
	loff_t *ppos = (file->f_mode & FMODE_STREAM) ? NULL : &file->f_pos;
	ssize_t n;

	while (iov_iter_count(iter)) {
		file_start_write(file);
		n = vfs_iter_write(file, iter, ppos, 0);
		file_end_write(file);
		if (n <= 0) {
			if (n == -ERESTARTSYS)
				return -EINTR;
			return n ? (int)n : -EIO;
		}
	}
	return 0;
}

/**
 * ckpt_image_write - write to the image, counted in the statistics
 * @ctx: checkpoint context
 * @iter: what to write (consumed)
 *
 * Return: 0 or a negative errno (then the image is marked failed).
 */
int ckpt_image_write(struct ckpt_ctx *ctx, struct iov_iter *iter)
{
	u64 t0 = ktime_get_ns();
	int ret;

	ret = ckpt_file_write(ctx->file, iter);
	if (ret)
		ctx->kflags |= CKPT_CTX_WRITE_FAILED;
	ckpt_stat_since(ctx, CKPT_ST_IO, t0);
	ckpt_stat_add(ctx, CKPT_ST_IO_CALLS, 1);
	return ret;
}

/**
 * ckpt_kwritev - write a vector of kernel buffers to the image
 * @ctx: checkpoint context
 * @vec: the buffers (consumed: base and length are advanced)
 * @nr: number of buffers
 * @len: their total length
 *
 * Written to ctx->file, or held back while a task's exec_update_lock
 * is held (ckpt_hold_task()).
 *
 * Return: 0 or a negative errno.
 */
int ckpt_kwritev(struct ckpt_ctx *ctx, struct kvec *vec, int nr, size_t len)
{
	struct iov_iter iter;
	int ret;

	iov_iter_kvec(&iter, WRITE, vec, nr, len);
	if (ctx->hold.task)
		ret = ckpt_hold_append(ctx, &iter);
	else
		ret = ckpt_image_write(ctx, &iter);
	if (!ret)
		ctx->own.pos += len;
	return ret;
}

/**
 * ckpt_kwrite - write raw bytes to the image
 * @ctx: checkpoint context
 * @buf: kernel buffer
 * @len: bytes to write
 *
 * Return: 0 or a negative errno.
 */
int ckpt_kwrite(struct ckpt_ctx *ctx, const void *buf, size_t len)
{
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };

	return ckpt_kwritev(ctx, &vec, 1, len);
}

/**
 * ckpt_kread - read raw bytes from the image
 * @ctx: checkpoint context
 * @buf: kernel buffer
 * @len: bytes to read
 *
 * Return: 0, -EINVAL (with a log line) when the image ends early, or
 * another negative errno.
 */
int ckpt_kread(struct ckpt_ctx *ctx, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };

	return ckpt_kreadv(ctx, &vec, 1, len);
}

/*
 * Only an image that can seek is read ahead: what it read and did not
 * use is given back by seeking back (a pipe's would be lost)
 */
static bool ckpt_may_read_ahead(struct file *file)
{
	return (file->f_mode & FMODE_LSEEK) && !(file->f_mode & FMODE_STREAM);
}

/*
 * One read call on the image at its file position, or, for a task
 * restoring itself in parallel, at its own position in its section
 */
static ssize_t ckpt_read_iter(struct ckpt_ctx *ctx, struct ckpt_local *l,
			      struct iov_iter *iter)
{
	struct file *file = ctx->file;
	loff_t *ppos = (file->f_mode & FMODE_STREAM) ? NULL : &file->f_pos;

	if (l->par)
		ppos = &l->fpos;

	ckpt_stat_add(ctx, CKPT_ST_IO_CALLS, 1);
	return vfs_iter_read(file, iter, ppos, 0);
}

/**
 * ckpt_readahead_return - give back what was read ahead and not used
 * @ctx: restart context
 *
 * The image file's position goes back to just after the last byte
 * restart used, as if it had read no further. Only files that can seek
 * are read ahead.
 */
void ckpt_readahead_return(struct ckpt_ctx *ctx)
{
	struct ckpt_readahead *ra = &ctx->own.ra;

	if (ra->len > ra->off && ckpt_may_read_ahead(ctx->file))
		vfs_llseek(ctx->file, -(loff_t)(ra->len - ra->off), SEEK_CUR);
	ra->off = 0;
	ra->len = 0;
}

/**
 * ckpt_kreadv - read raw bytes from the image into a vector of buffers
 * @ctx: checkpoint context
 * @vec: kernel buffers
 * @nr: number of buffers
 * @len: their total length
 *
 * Small reads are served from a read ahead of CKPT_READAHEAD bytes
 * (ckpt_local()->ra) when the image can seek (ckpt_readahead_return() gives the
 * rest back); larger ones, page contents, and all reads of a stream,
 * whose bytes past the image's end must stay there, go straight into
 * the buffers.
 *
 * Return: 0, -EINVAL (with a log line) when the image ends early, or
 * another negative errno.
 */
int ckpt_kreadv(struct ckpt_ctx *ctx, struct kvec *vec, int nr, size_t len)
{
	struct ckpt_local *l = ckpt_local(ctx);
	struct ckpt_readahead *ra = &l->ra;
	u64 t0 = ktime_get_ns();
	struct iov_iter iter;
	ssize_t n = 0;
	int ret = 0;

	iov_iter_kvec(&iter, READ, vec, nr, len);
	while (iov_iter_count(&iter)) {
		if (ra->len > ra->off) {
			n = copy_to_iter(ra->buf + ra->off, ra->len - ra->off,
					 &iter);
			ra->off += n;
			l->pos += n;
			continue;
		}
		/* page contents, or an image that cannot seek: straight in */
		if (iov_iter_count(&iter) >= CKPT_READAHEAD / 4 ||
		    !ckpt_may_read_ahead(ctx->file)) {
			n = ckpt_read_iter(ctx, l, &iter);
			if (n <= 0)
				break;
			l->pos += n;
			continue;
		}
		/* small records: a read ahead serves many */
		if (!ra->buf) {
			ra->buf = kvmalloc(CKPT_READAHEAD, GFP_KERNEL_ACCOUNT);
			if (!ra->buf) {
				n = -ENOMEM;
				break;
			}
		}
		{
			struct kvec kv = { ra->buf, CKPT_READAHEAD };
			struct iov_iter rit;

			iov_iter_kvec(&rit, READ, &kv, 1, CKPT_READAHEAD);
			n = ckpt_read_iter(ctx, l, &rit);
		}
		if (n <= 0)
			break;
		ra->off = 0;
		ra->len = n;
	}
	ckpt_stat_since(ctx, CKPT_ST_IO, t0);
	if (iov_iter_count(&iter))
		ret = n < 0 ? (n == -ERESTARTSYS ? -EINTR : (int)n) :
		      ckpt_err(ctx, -EINVAL, "image truncated at offset %lld",
			       l->pos);
	return ret;
}

/**
 * ckpt_write_hdr - write the fixed part of a record
 * @ctx: checkpoint context
 * @h: the record; h->len is the full length, payload may follow
 * @size: bytes of @h to write now
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_hdr(struct ckpt_ctx *ctx, struct ckpt_hdr *h, size_t size)
{
	if (WARN_ON_ONCE(size > h->len || h->len > CKPT_RECORD_MAX))
		return -EINVAL;
	ctx->own.nr_records++;
	return ckpt_kwrite(ctx, h, size);
}

/**
 * ckpt_write_obj - write a whole record
 * @ctx: checkpoint context
 * @h: the record, h->len bytes
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_obj(struct ckpt_ctx *ctx, struct ckpt_hdr *h)
{
	return ckpt_write_hdr(ctx, h, h->len);
}

static int ckpt_write_payload(struct ckpt_ctx *ctx, int type,
			      const void *data, size_t len)
{
	struct ckpt_hdr h = { .type = type, .len = sizeof(h) + len };
	int ret;

	ret = ckpt_write_hdr(ctx, &h, sizeof(h));
	if (!ret)
		ret = ckpt_kwrite(ctx, data, len);
	return ret;
}

/**
 * ckpt_write_string - write a STRING record
 * @ctx: checkpoint context
 * @str: NUL terminated string (the NUL is written too)
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_string(struct ckpt_ctx *ctx, const char *str)
{
	return ckpt_write_payload(ctx, CKPT_HDR_STRING, str, strlen(str) + 1);
}

/**
 * ckpt_write_error - write an ERROR record
 * @ctx: checkpoint context
 * @err: negative errno
 * @msg: explanation
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_error(struct ckpt_ctx *ctx, int err, const char *msg)
{
	struct ckpt_hdr_error e = {
		.h.type = CKPT_HDR_ERROR,
		.errno_val = -err,
	};
	size_t len = strlen(msg) + 1;
	int ret;

	e.h.len = sizeof(e) + len;
	ret = ckpt_write_hdr(ctx, &e.h, sizeof(e));
	if (!ret)
		ret = ckpt_kwrite(ctx, msg, len);
	return ret;
}

/**
 * ckpt_read_hdr - read the header of the next record
 * @ctx: checkpoint context
 * @h: filled with the header
 *
 * The length is checked against the sane range; an ERROR record in the
 * image (a failed checkpoint) ends the restart with its errno.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_read_hdr(struct ckpt_ctx *ctx, struct ckpt_hdr *h)
{
	struct ckpt_local *l = ckpt_local(ctx);
	loff_t at = l->pos;
	int ret;

	ret = ckpt_kread(ctx, h, sizeof(*h));
	if (ret)
		return ret;
	l->nr_records++;
	if (l->par && !l->serial && !ckpt_par_record_ok(h->type))
		return ckpt_err(ctx, -EINVAL,
				"record %s (type %u) at offset %lld in a section restored in parallel",
				ckpt_hdr_name(h->type), h->type, at);
	if (h->len < sizeof(*h) || h->len > CKPT_RECORD_MAX)
		return ckpt_err(ctx, -EINVAL,
				"record %s (type %u) at offset %lld has bad length %u",
				ckpt_hdr_name(h->type), h->type, at, h->len);
	if (h->type == CKPT_HDR_ERROR)
		return ckpt_err(ctx, -EINVAL,
				"image holds an error record at offset %lld: the checkpoint failed",
				at);
	if (h->type == CKPT_HDR_PAGES_PRECOPIED)
		return ckpt_err(ctx, -EINVAL,
				"image lacks the pages its pre-copy sent ahead (PAGES_PRECOPIED at offset %lld): restore it with restart --receive",
				at);
	return 0;
}

/**
 * ckpt_read_body - read the rest of a fixed-size record
 * @ctx: checkpoint context
 * @h: record whose header was read by ckpt_read_hdr()
 * @size: size of the record struct; h->len must be at least that
 *
 * Reads @size - header bytes into the memory following @h; any payload
 * beyond @size is left for the caller.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_read_body(struct ckpt_ctx *ctx, struct ckpt_hdr *h, size_t size)
{
	int ret;

	if (h->len < size)
		return ckpt_err(ctx, -EINVAL,
				"record %s before offset %lld too short (%u < %zu)",
				ckpt_hdr_name(h->type), ckpt_pos(ctx), h->len, size);
	ret = ckpt_kread(ctx, h + 1, size - sizeof(*h));
	return ret ? ret : ckpt_check_reserved(ctx, h, size);
}

/**
 * ckpt_read_body_alloc - read a record of exactly @size bytes
 * @ctx: checkpoint context
 * @h: header already read
 * @size: expected record size
 *
 * Return: the record (free with ckpt_hdr_put()) or an ERR_PTR.
 */
void *ckpt_read_body_alloc(struct ckpt_ctx *ctx, struct ckpt_hdr *h,
			   size_t size)
{
	struct ckpt_hdr *rec;
	int ret;

	if (h->len != size) {
		ret = ckpt_err(ctx, -EINVAL,
			       "record %s before offset %lld has length %u, expected %zu",
			       ckpt_hdr_name(h->type), ckpt_pos(ctx), h->len, size);
		return ERR_PTR(ret);
	}
	rec = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!rec)
		return ERR_PTR(-ENOMEM);
	*rec = *h;
	ret = ckpt_read_body(ctx, rec, size);
	if (ret) {
		kvfree(rec);
		return ERR_PTR(ret);
	}
	return rec;
}

static int ckpt_check_type(struct ckpt_ctx *ctx, struct ckpt_hdr *h, int type)
{
	if (h->type == type)
		return 0;
	return ckpt_err(ctx, -EINVAL,
			"expected record %s, found %s (type %u) before offset %lld",
			ckpt_hdr_name(type), ckpt_hdr_name(h->type), h->type,
			ckpt_pos(ctx));
}

/**
 * ckpt_read_obj_type - read a whole fixed-size record of a given type
 * @ctx: checkpoint context
 * @type: expected record type
 * @size: expected record size
 *
 * Return: the record (free with ckpt_hdr_put()) or an ERR_PTR.
 */
void *ckpt_read_obj_type(struct ckpt_ctx *ctx, int type, size_t size)
{
	struct ckpt_hdr h;
	int ret;

	ret = ckpt_read_hdr(ctx, &h);
	if (!ret)
		ret = ckpt_check_type(ctx, &h, type);
	if (ret)
		return ERR_PTR(ret);
	return ckpt_read_body_alloc(ctx, &h, size);
}

/**
 * ckpt_read_obj_type_into - read a whole fixed-size record into @h
 * @ctx: checkpoint context
 * @h: buffer of @size bytes
 * @type: expected record type
 * @size: expected record size
 *
 * Like ckpt_read_obj_type(), into the caller's buffer.
 *
 * Return: 0 or a negative errno (-EINVAL for another type or size).
 */
int ckpt_read_obj_type_into(struct ckpt_ctx *ctx, struct ckpt_hdr *h, int type,
			    size_t size)
{
	int ret;

	ret = ckpt_read_hdr(ctx, h);
	if (!ret)
		ret = ckpt_check_type(ctx, h, type);
	if (!ret && h->len != size)
		ret = ckpt_err(ctx, -EINVAL,
			       "record %s before offset %lld is %u bytes, not %zu",
			       ckpt_hdr_name(type), ckpt_pos(ctx), h->len, size);
	return ret ? ret : ckpt_read_body(ctx, h, size);
}

/**
 * ckpt_read_hdr_type - read the fixed part of a record into @h
 * @ctx: checkpoint context
 * @h: buffer of at least @size bytes
 * @type: expected record type
 * @size: bytes of fixed part; h->len may be larger (payload follows)
 *
 * Return: 0 or a negative errno.
 */
int ckpt_read_hdr_type(struct ckpt_ctx *ctx, struct ckpt_hdr *h, int type,
		       size_t size)
{
	int ret;

	ret = ckpt_read_hdr(ctx, h);
	if (!ret)
		ret = ckpt_check_type(ctx, h, type);
	if (!ret)
		ret = ckpt_read_body(ctx, h, size);
	return ret;
}

/**
 * ckpt_read_string - read a STRING record
 * @ctx: checkpoint context
 * @max: largest accepted length, NUL included
 *
 * Return: the string (free with kfree()) or an ERR_PTR.
 */
char *ckpt_read_string(struct ckpt_ctx *ctx, size_t max)
{
	struct ckpt_hdr h;
	size_t len;
	char *str;
	int ret;

	ret = ckpt_read_hdr(ctx, &h);
	if (!ret)
		ret = ckpt_check_type(ctx, &h, CKPT_HDR_STRING);
	if (ret)
		return ERR_PTR(ret);
	len = h.len - sizeof(h);
	if (len == 0 || len > max)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"string of length %zu before offset %lld out of range",
					len, ckpt_pos(ctx)));
	str = kmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!str)
		return ERR_PTR(-ENOMEM);
	ret = ckpt_kread(ctx, str, len);
	if (!ret && (str[len - 1] != '\0' || strlen(str) != len - 1))
		ret = ckpt_err(ctx, -EINVAL,
			       "malformed string before offset %lld", ckpt_pos(ctx));
	if (ret) {
		kfree(str);
		return ERR_PTR(ret);
	}
	return str;
}

static struct ckpt_ctx *ckpt_ctx_alloc(int fd, unsigned long uflags,
				       unsigned int kflags, int logfd)
{
	fmode_t mode = (kflags & CKPT_CTX_CHECKPOINT) ? FMODE_WRITE : FMODE_READ;
	struct ckpt_ctx *ctx;
	int ret = -ENOMEM;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->uflags = uflags;
	ctx->kflags = kflags;
	mutex_init(&ctx->log_lock);
	mutex_init(&ctx->ipc_lock);
	spin_lock_init(&ctx->lock);
	kref_init(&ctx->ref);
	INIT_LIST_HEAD(&ctx->list);
	INIT_LIST_HEAD(&ctx->own.epolls);
	init_waitqueue_head(&ctx->waitq);
	/* the pid index grows with an image: charged to the caller */
	xa_init_flags(&ctx->tree_pids, XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&ctx->coordq);

	ctx->msgbuf = kmalloc(CKPT_MSG_MAX, GFP_KERNEL);
	if (!ctx->msgbuf)
		goto err;

	ret = -EBADF;
	ctx->file = fget(fd);
	if (!ctx->file || !(ctx->file->f_mode & mode))
		goto err;
	if (logfd >= 0) {
		ctx->logfile = fget(logfd);
		if (!ctx->logfile || !(ctx->logfile->f_mode & FMODE_WRITE))
			goto err;
	}
	ret = ckpt_objhash_alloc(ctx);
	if (ret)
		goto err;
	return ctx;
err:
	ckpt_ctx_put(ctx);
	return ERR_PTR(ret);
}

static void ckpt_ctx_release(struct kref *ref)
{
	struct ckpt_ctx *ctx = container_of(ref, struct ckpt_ctx, ref);
	int i;

	ckpt_epoll_free(&ctx->own);
	ckpt_objhash_free(ctx);
	ckpt_ipc_free(ctx);
	for (i = 0; i < ctx->nr_tasks; i++)
		if (ctx->tasks[i])
			put_task_struct(ctx->tasks[i]);
	kvfree(ctx->tasks);
	for (i = 0; ctx->seen && i < ctx->nr_tasks; i++)
		put_cred(ctx->seen[i].cred);
	kvfree(ctx->seen);
	ckpt_par_free(ctx);
	ckpt_groups_free(ctx);
	kvfree(ctx->tree);
	kvfree(ctx->task_entry);
	kvfree(ctx->entry_task);
	xa_destroy(&ctx->tree_pids);
	if (ctx->root_ns)
		put_pid_ns(ctx->root_ns);
	if (ctx->root_task)
		put_task_struct(ctx->root_task);
	if (ctx->file)
		fput(ctx->file);
	if (ctx->logfile)
		fput(ctx->logfile);
	vfree(ctx->own.pgbuf);
	kvfree(ctx->own.ra.buf);
	kvfree(ctx->hold.buf);
	kfree(ctx->hold.log);
	kfree(ctx->msgbuf);
	kfree(ctx);
}

/**
 * ckpt_ctx_get - take a reference on a context
 * @ctx: checkpoint context
 */
void ckpt_ctx_get(struct ckpt_ctx *ctx)
{
	kref_get(&ctx->ref);
}

/**
 * ckpt_ctx_put - drop a reference on a context, freeing it at the last
 * @ctx: checkpoint context
 */
void ckpt_ctx_put(struct ckpt_ctx *ctx)
{
	kref_put(&ctx->ref, ckpt_ctx_release);
}

/**
 * sys_checkpoint - save a frozen process tree to a file
 * @pid: root of the tree, in the caller's pid namespace; 0 or the
 *	caller's own pid checkpoints the caller itself
 * @fd: where the image is written: a file, pipe or socket open for writing
 * @flags: CHECKPOINT_* flags of <uapi/linux/checkpoint.h>
 * @logfd: a file open for writing that gets the messages, or -1
 *
 * Every task of the tree but the caller must be frozen, and the caller
 * must be allowed to ptrace each of them. A failure leaves the tree as
 * it was and writes an ERROR record when the image had begun.
 *
 * Return: a positive checkpoint id; 0 in a process restarted from the
 * image of a self-checkpoint; a negative errno on failure.
 */
SYSCALL_DEFINE4(checkpoint, pid_t, pid, int, fd, unsigned long, flags,
		int, logfd)
{
	struct ckpt_ctx *ctx;
	unsigned int kflags = CKPT_CTX_CHECKPOINT;
	long ret;
	u64 t0;

	if (flags & ~CHECKPOINT_USER_FLAGS)
		return -EINVAL;
	/* without soft-dirty bits every page would look clean */
	if ((flags & CHECKPOINT_SOFTDIRTY) && !IS_ENABLED(CONFIG_MEM_SOFT_DIRTY))
		return -EOPNOTSUPP;
	if (pid < 0)
		return -EINVAL;
	if (pid == 0 || pid == task_pid_vnr(current))
		kflags |= CKPT_CTX_SELF;

	ctx = ckpt_ctx_alloc(fd, flags, kflags, logfd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	t0 = ktime_get_ns();
	ret = do_checkpoint(ctx, pid);
	if (ret > 0) {
		ckpt_stat_since(ctx, CKPT_ST_TOTAL, t0);
		ckpt_stats_log(ctx);
	}
	ckpt_ctx_put(ctx);
	return ret;
}

/**
 * sys_restart - restore a process tree from an image
 * @pid: in the coordinator, the pid of its child that becomes the root
 *	of the restored tree; 0 in each task that restores itself
 * @fd: the image, open for reading
 * @flags: RESTART_* flags of <uapi/linux/checkpoint.h>; RESTART_TASKSELF
 *	(with @pid 0) restores the caller alone, without a coordinator
 * @logfd: a file open for writing that gets the messages, or -1
 *
 * The tasks of the tree, made by user space in the image's shape, join
 * the coordinator's restart and each becomes the process it was. The
 * image asks for credentials and resources; it is granted only what the
 * restoring task could get with the ordinary system calls.
 *
 * Return: 0 in the coordinator once the tree is restored; a restored
 * task does not return but goes on as the checkpointed process; a
 * negative errno on failure.
 */
SYSCALL_DEFINE4(restart, pid_t, pid, int, fd, unsigned long, flags,
		int, logfd)
{
	struct ckpt_ctx *ctx;
	unsigned int kflags = CKPT_CTX_RESTART;
	long ret;

	if (flags & ~RESTART_USER_FLAGS)
		return -EINVAL;
	if (pid < 0)
		return -EINVAL;
	if ((flags & RESTART_TASKSELF) && pid)
		return -EINVAL;

	if (!pid && !(flags & RESTART_TASKSELF))
		return ckpt_restart_join(fd, flags, logfd);

	if (flags & RESTART_TASKSELF)
		kflags |= CKPT_CTX_SELF;
	ctx = ckpt_ctx_alloc(fd, flags, kflags, logfd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ret = do_restart(ctx, pid);
	ckpt_ctx_put(ctx);
	return ret;
}
