/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel checkpoint/restart: what the subsystems that save and
 * restore their state use (the context, record I/O, the object hash)
 * and the entry points the core calls in them. What only the core uses
 * is in kernel/checkpoint/internal.h.
 *
 * See Documentation/checkpoint/kernel-api.rst.
 */
#ifndef _LINUX_CHECKPOINT_H
#define _LINUX_CHECKPOINT_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/err.h>
#include <linux/xarray.h>
#include <linux/signal_types.h>
#include <linux/atomic.h>
#include <linux/timekeeping.h>
#include <uapi/linux/checkpoint.h>
#include <uapi/linux/checkpoint_hdr.h>

struct file;
struct task_struct;
struct cred;
struct ckpt_task_seen;
struct mm_struct;
struct files_struct;
struct ckpt_objhash;
struct path;
struct inode;
struct pid_namespace;
struct kvec;
struct uts_namespace;
struct k_itimer;
struct ipc_namespace;
struct net;
struct ckpt_ipc_restore;
struct ckpt_par;

/* The flags checkpoint() and restart() know; other bits are refused */
#define CHECKPOINT_USER_FLAGS	(CHECKPOINT_SUBTREE | CHECKPOINT_SOFTDIRTY)
#define RESTART_USER_FLAGS	(RESTART_TASKSELF | RESTART_FROZEN | \
				 RESTART_CONN_RESET)

/* ckpt_ctx.kflags */
#define CKPT_CTX_CHECKPOINT	0x1
#define CKPT_CTX_RESTART	0x2
#define CKPT_CTX_SELF		0x4	/* self-checkpoint / RESTART_TASKSELF */
#define CKPT_CTX_WRITE_FAILED	0x8	/* image stream is broken */
#define CKPT_CTX_CONTAINER	0x10	/* root is init of its pid ns */
#define CKPT_CTX_LEAKCHECK	0x20	/* objects must be private to the tree */

/**
 * struct ckpt_pending - a restored task's pending signals, until sent
 * @mask: the task's (0) and its thread group's (1) pending signals
 * @nr: entries of @info
 * @info: the queued siginfo, in queue order, with the queue it is on and
 *	whether it is a POSIX timer's own entry
 */
struct ckpt_pending {
	u64 mask[2];
	unsigned int nr;
	struct {
		bool shared;
		bool timer;
		kernel_siginfo_t info;
	} *info;
};

/**
 * struct ckpt_timer_restore - a POSIX timer of the process being restored
 * @rec: its record
 * @timr: the timer made from it
 */
struct ckpt_timer_restore {
	struct ckpt_hdr_posix_timer rec;
	struct k_itimer *timr;
};

/**
 * struct ckpt_group_restore - a thread group being restored
 * @pending: the group's pending signals (with its leader's own), from
 *	its leader's restore until its last task's
 * @timers: its POSIX timers, made by the leader, armed by the last task
 *	(sorted by id once all are made)
 * @nr_timers: entries of @timers
 * @left: its tasks that have not finished restoring themselves; the one
 *	that takes it to 0 sends the group's part of @pending and arms
 *	@timers
 */
struct ckpt_group_restore {
	struct ckpt_pending pending;
	struct ckpt_timer_restore *timers;
	unsigned int nr_timers;
	atomic_t left;
};

/**
 * struct ckpt_task_restore - a task restoring itself
 * @idx: its index in ctx->tasks
 * @entry: its tree entry
 * @leader: it leads its thread group
 * @pending: its pending signals, sent at the end of its restore
 */
struct ckpt_task_restore {
	int idx;
	const struct ckpt_hdr_tree_task *entry;
	bool leader;
	struct ckpt_pending pending;
};

/**
 * struct ckpt_hold - output held back while a task is saved
 * @task: the task whose exec_update_lock is held, or NULL
 * @idx: its index in ckpt_ctx.tasks
 * @buf: image bytes not written yet (CKPT_HOLD_SIZE)
 * @len: bytes in @buf
 * @log: log lines not written yet (CKPT_HOLD_LOG)
 * @loglen: bytes in @log
 * @log_lost: lines dropped because @log was full
 *
 * See ckpt_hold_task() in kernel/checkpoint/checkpoint.c.
 */
struct ckpt_hold {
	struct task_struct *task;
	int idx;
	char *buf;
	size_t len;
	char *log;
	size_t loglen;
	unsigned int log_lost;
};

/**
 * enum ckpt_stat - what a checkpoint or restart measures of itself
 * @CKPT_ST_TOTAL: time of the whole system call
 * @CKPT_ST_COLLECT: checkpoint: tree walk and collect pass
 * @CKPT_ST_TREE: checkpoint: header and TREE section
 * @CKPT_ST_NS: a task's namespaces, saved or restored
 * @CKPT_ST_IPC: a task's SysV IPC (namespace, semaphore undo)
 * @CKPT_ST_CRED: a task's credentials
 * @CKPT_ST_MM: a task's address space, pages included
 * @CKPT_ST_FILES: a task's files table and open files
 * @CKPT_ST_FS: a task's root, working directory and umask
 * @CKPT_ST_SIGNALS: a task's signal state and timers
 * @CKPT_ST_CPU: a task's registers and FPU state
 * @CKPT_ST_SCAN: checkpoint: page tables walked, with the mmap lock held
 * @CKPT_ST_PAGES_IO: page contents written or read
 * @CKPT_ST_MM_CLEAR: restart: the restarter's own memory unmapped
 * @CKPT_ST_VMAS: restart: mappings made, with their files
 * @CKPT_ST_PAGES_ALLOC: restart: new pages allocated and charged
 * @CKPT_ST_PAGES_MAP: restart: new pages mapped
 * @CKPT_ST_IO: all image writes or reads
 * @CKPT_ST_PROLOGUE: restart: header and tree read
 * @CKPT_ST_JOIN: restart: the tasks joining the session
 * @CKPT_ST_TASKS: restart: per-task restore, summed over the tasks
 * @CKPT_ST_TASK_MAX: restart: the longest per-task restore
 * @CKPT_ST_HANDOFF: restart: turns passed until taken, summed
 * @CKPT_ST_INDEX: restart: the image's task sections found
 * @CKPT_ST_NR_TIMES: the number of times; counts follow
 * @CKPT_ST_IO_CALLS: count of image write or read calls
 * @CKPT_ST_PAGES_SCANNED: checkpoint: present PTEs looked at
 * @CKPT_ST_PAGES_SAVED: pages written or restored
 * @CKPT_ST_PAGES_SKIPPED: checkpoint: zero pages and file pages skipped
 * @CKPT_ST_VMAS_SKIPPED: checkpoint: mappings that cannot hold a private page
 * @CKPT_ST_PAGES_COPIED: restart: pages copied into a page already there
 * @CKPT_ST_TASKS_PAR: restart: tasks restored in parallel
 * @CKPT_ST_TASKS_SERIAL: restart in parallel: tasks restored alone
 * @CKPT_ST_NR: the number of statistics
 *
 * Printed on the log fd when it succeeds (ckpt_stats_log()), for the
 * benchmark: times in ns up to CKPT_ST_NR_TIMES, counts after.
 * CKPT_ST_NS to CKPT_ST_CPU follow the parts of a task, in their order
 * (ckpt_task_parts[] in kernel/checkpoint/process.c).
 */
enum ckpt_stat {
	CKPT_ST_TOTAL,
	CKPT_ST_COLLECT,
	CKPT_ST_TREE,
	CKPT_ST_NS,
	CKPT_ST_IPC,
	CKPT_ST_CRED,
	CKPT_ST_MM,
	CKPT_ST_FILES,
	CKPT_ST_FS,
	CKPT_ST_SIGNALS,
	CKPT_ST_CPU,
	CKPT_ST_SCAN,
	CKPT_ST_PAGES_IO,
	CKPT_ST_MM_CLEAR,
	CKPT_ST_VMAS,
	CKPT_ST_PAGES_ALLOC,
	CKPT_ST_PAGES_MAP,
	CKPT_ST_IO,
	CKPT_ST_PROLOGUE,
	CKPT_ST_JOIN,
	CKPT_ST_TASKS,
	CKPT_ST_TASK_MAX,
	CKPT_ST_HANDOFF,
	CKPT_ST_INDEX,
	CKPT_ST_NR_TIMES,
	CKPT_ST_IO_CALLS = CKPT_ST_NR_TIMES,
	CKPT_ST_PAGES_SCANNED,
	CKPT_ST_PAGES_SAVED,
	CKPT_ST_PAGES_SKIPPED,
	CKPT_ST_VMAS_SKIPPED,
	CKPT_ST_PAGES_COPIED,
	CKPT_ST_TASKS_PAR,
	CKPT_ST_TASKS_SERIAL,
	CKPT_ST_NR
};

/* Restart: bytes read ahead of the image (ckpt_kreadv()) */
#define CKPT_READAHEAD	(16U << 10)

/**
 * struct ckpt_readahead - image bytes read and not used yet
 * @buf: CKPT_READAHEAD bytes, or NULL
 * @off: the next byte to use
 * @len: bytes in @buf
 */
struct ckpt_readahead {
	char *buf;
	size_t off;
	size_t len;
};

/**
 * struct ckpt_local - what one user of a context has to itself
 * @pos: bytes of the image written or read so far (its image offset)
 * @fpos: restart in parallel: the file offset of @pos (positional reads)
 * @end: restart in parallel: where the task's section ends
 * @nr_records: records written or read so far
 * @ra: restart: the image read ahead
 * @pgbuf: page staging buffer (CKPT_PAGES_BATCH pages)
 * @par: restart: a task restoring itself in parallel with others, from
 *	its own section by positional reads
 * @serial: restart in parallel: its section has records that only a
 *	task restoring alone may read (ckpt_par_record_ok())
 * @reissued_nr: restart: the system call the restored task re-issues
 * @may_relink_exe: restart: the task, before it took the image's
 *	credentials, had the right to name any executable
 *	(PR_SET_MM_MAP's CAP_CHECKPOINT_RESTORE)
 * @may_repair_tcp: restart: the task, before it took the image's
 *	credentials, had CAP_NET_ADMIN over its network namespace: the
 *	right to use TCP repair (net/ipv4/checkpoint.c)
 * @epolls: restart: epoll instances of the files table being restored,
 *	whose watches are added once it is installed
 *	(fs/eventpoll_checkpoint.c)
 * @group: restart: the thread group of the task restoring itself
 *
 * A checkpoint, a restart in image order and the coordinator use the
 * context's own (ckpt_ctx.own); a task restoring itself in parallel
 * with others has its own (kernel/checkpoint/parallel.c). Reach it with
 * ckpt_local().
 */
struct ckpt_local {
	loff_t pos;
	loff_t fpos;
	loff_t end;
	u64 nr_records;
	struct ckpt_readahead ra;
	void *pgbuf;
	bool par;
	bool serial;
	long reissued_nr;
	bool may_relink_exe;
	bool may_repair_tcp;
	struct list_head epolls;
	struct ckpt_group_restore *group;
};

/**
 * struct ckpt_ctx - state of one checkpoint or restart operation
 * @id: checkpoint id (checkpoint) or id found in the image (restart)
 * @uflags: flags given by the caller
 * @kflags: CKPT_CTX_* flags
 * @file: the image stream
 * @logfile: where messages go, or NULL
 * @own: the image position and per-task restore state of the context's
 *	user, unless a task restores itself in parallel with others
 *	(struct ckpt_local; reach it with ckpt_local())
 * @root_task: root of the checkpointed or restarted tree
 * @tasks: tasks in traversal (image) order, each with a reference
 * @nr_tasks: number of entries in @tasks
 * @tree: the tree section (every task, zombies and ghosts included)
 * @nr_tree: entries in @tree
 * @tree_pids: index of each @tree entry by pid
 * @task_entry: restart: @tree entry of each of @tasks
 * @entry_task: restart: index in @tasks of each @tree entry, or -1
 * @hdr_nr_tasks: restart: tree size announced by the header
 * @seen: checkpoint: what each of @tasks was when it was collected
 * @root_ns: pid namespace the image's pids are in (a reference)
 * @objhash: shared objects seen so far
 * @err: first error (negative errno), 0 if none: ckpt_set_error()
 * @log_lock: orders log lines and protects @msgbuf
 * @msgbuf: scratch buffer for log messages
 * @hold: checkpoint: output held back while a task is saved
 * @ref: restart: shared by the coordinator and the restarting tasks
 * @list: restart: entry in the list of restart sessions
 * @lock: restart: protects moves of @stage, and @started
 * @stage: restart: enum ckpt_restart_stage
 * @nr_joined: restart: tasks of @tasks that called restart(0, ...)
 * @active: restart: index of the task whose turn it is to restore
 * @started: restart in image order: tasks[0..started-1] began restoring
 *	themselves
 * @waitq: restart: tasks wait here for the tree and the outcome
 * @coordq: restart: the coordinator waits here for the tasks
 * @coord_uts_ns: restart: the coordinator's UTS namespace (not a reference)
 * @ns_flags: checkpoint: CKPT_IMAGE_OWN_* namespaces of the root
 * @xstate_size: size of each saved FPU state
 * @groups: restart: each task's thread group, once its leader made it
 * @leader_of: restart: index in @tasks of each task's group leader
 * @par: restart: the parallel restore, or NULL (restart in image order)
 * @coord_ipc_ns: restart: the coordinator's IPC namespace (not a reference)
 * @coord_net_ns: restart: the coordinator's network namespace (not a
 *	reference)
 * @ipc: restart: the SysV IPC namespace being restored (ipc/checkpoint.c)
 * @ipc_lock: restart: makes @ipc and grows its list of SEM_UNDO lists
 * @turn_passed: restart: ktime_get_ns() when the turn was last passed
 * @stats: enum ckpt_stat: ns or counts
 */
struct ckpt_ctx {
	u64 id;
	unsigned long uflags;
	unsigned int kflags;
	struct file *file;
	struct file *logfile;
	struct ckpt_local own;

	struct task_struct *root_task;
	struct task_struct **tasks;
	int nr_tasks;
	struct ckpt_hdr_tree_task *tree;
	int nr_tree;
	struct xarray tree_pids;
	int *task_entry;
	int *entry_task;
	u32 hdr_nr_tasks;
	struct ckpt_task_seen *seen;
	struct pid_namespace *root_ns;

	struct ckpt_objhash *objhash;

	int err;
	struct mutex log_lock;		/* log lines, @msgbuf */
	char *msgbuf;
	struct ckpt_hold hold;

	struct kref ref;
	struct list_head list;
	spinlock_t lock;		/* @stage, @started */
	int stage;
	atomic_t nr_joined;
	int active;
	int started;
	wait_queue_head_t waitq;
	wait_queue_head_t coordq;

	struct uts_namespace *coord_uts_ns;
	u32 ns_flags;
	u32 xstate_size;
	struct ckpt_group_restore **groups;
	int *leader_of;
	struct ckpt_par *par;
	struct ipc_namespace *coord_ipc_ns;
	struct net *coord_net_ns;
	struct ckpt_ipc_restore *ipc;
	struct mutex ipc_lock;		/* @ipc */
	u64 turn_passed;
	atomic64_t stats[CKPT_ST_NR];
};

struct ckpt_local *ckpt_par_local(struct ckpt_ctx *ctx);

/**
 * ckpt_local - the image position and per-task state of the caller
 * @ctx: checkpoint context
 *
 * Return: the caller's own when it is a task restoring itself in
 * parallel with others, else the context's.
 */
static inline struct ckpt_local *ckpt_local(struct ckpt_ctx *ctx)
{
	if (likely(!READ_ONCE(ctx->par)))
		return &ctx->own;
	return ckpt_par_local(ctx);
}

/**
 * ckpt_pos - the caller's image offset, for messages
 * @ctx: checkpoint context
 *
 * Return: bytes of the image written or read so far.
 */
static inline loff_t ckpt_pos(struct ckpt_ctx *ctx)
{
	return ckpt_local(ctx)->pos;
}

/**
 * ckpt_stat_add - count for the operation's statistics
 * @ctx: checkpoint context
 * @st: enum ckpt_stat
 * @n: what to add
 */
static inline void ckpt_stat_add(struct ckpt_ctx *ctx, int st, u64 n)
{
	atomic64_add(n, &ctx->stats[st]);
}

/**
 * ckpt_stat_since - add the time since @t0 to a time of the statistics
 * @ctx: checkpoint context
 * @st: enum ckpt_stat, a time
 * @t0: ktime_get_ns() at the start
 *
 * Return: the time added, ns.
 */
static inline u64 ckpt_stat_since(struct ckpt_ctx *ctx, int st, u64 t0)
{
	u64 d = ktime_get_ns() - t0;

	atomic64_add(d, &ctx->stats[st]);
	return d;
}

/**
 * struct ckpt_obj_ref - how a shared object being saved was reached
 * @task: the task whose state refers to it
 * @fd: an open file: the fd it was found at; else -1
 * @file: contents of a file (FILE_DATA): an open file of it; else NULL
 */
struct ckpt_obj_ref {
	struct task_struct *task;
	int fd;
	struct file *file;
};

/**
 * struct ckpt_obj_ops - operations of one shared object type
 * @name: for log messages
 * @obj_type: enum ckpt_obj_type
 * @hdr_type: record type that starts a saved object of this type
 * @ref_grab: take a reference (held while the object is in the hash)
 * @ref_drop: drop that reference
 * @ref_users: kernel reference count, for leak detection
 * @collect: collect pass: count what the object refers to (optional)
 * @checkpoint: write the object's records (reached through @ref); its first
 *	record carries @objref
 * @restore: read the rest of the object whose first record header is @h,
 *	rebuild it and return it with a reference, setting *@objref
 * @restored_grab: like @ref_grab, for objects made by @restore when they
 *	are of another kernel type than the ones saved (optional)
 * @restored_drop: like @ref_drop, for those (with @restored_grab)
 */
struct ckpt_obj_ops {
	const char *name;
	enum ckpt_obj_type obj_type;
	enum ckpt_hdr_type hdr_type;
	void (*ref_grab)(void *ptr);
	void (*ref_drop)(void *ptr);
	int (*ref_users)(void *ptr);
	int (*collect)(struct ckpt_ctx *ctx, void *ptr);
	int (*checkpoint)(struct ckpt_ctx *ctx, void *ptr, int objref,
			  const struct ckpt_obj_ref *ref);
	void *(*restore)(struct ckpt_ctx *ctx, struct ckpt_hdr *h, int *objref);
	void (*restored_grab)(void *ptr);
	void (*restored_drop)(void *ptr);
};

/**
 * struct ckpt_file_ops - checkpoint and restart of one kind of open file
 * @name: what the kind is, for messages ("pipe", "FIFO", ...)
 * @file_type: enum ckpt_file_type: the FILE records of this kind carry it
 * @match: checkpoint: is @file of this kind? Kinds do not overlap. NULL
 *	for a kind only the core chooses (a stream handed over)
 * @outside: checkpoint: does @file lead out of the tree (a pipe with an
 *	end open outside it)? Return CKPT_FILE_INSIDE, CKPT_FILE_OUTSIDE or
 *	CKPT_FILE_OUTSIDE_SHARED (optional: never)
 * @collect: collect pass over what @file refers to (optional)
 * @checkpoint: write what follows the FILE record of @file, reached
 *	through @ref (optional)
 * @restore: read what follows FILE record @h and make the open file
 *
 * Each kind is registered with ckpt_file_register() by the code that
 * saves it, beside the subsystem it belongs to.
 */
struct ckpt_file_ops {
	const char *name;
	u32 file_type;
	bool (*match)(struct file *file);
	int (*outside)(struct ckpt_ctx *ctx, struct file *file);
	int (*collect)(struct ckpt_ctx *ctx, struct file *file);
	int (*checkpoint)(struct ckpt_ctx *ctx, struct file *file,
			  const struct ckpt_obj_ref *ref);
	struct file *(*restore)(struct ckpt_ctx *ctx,
				const struct ckpt_hdr_file *h);
};

/* open(2) flags a restored file gets back */
#define CKPT_FILE_OFLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | \
				 O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
				 O_NOFOLLOW | O_NOATIME | O_PATH | __O_SYNC)

/*
 * ckpt_file_ops.outside: every user of what the file leads to is in the
 * tree (INSIDE); it leads out of the tree and no other file of the tree
 * leads there (OUTSIDE); it leads out and other files of the tree do too
 * (OUTSIDE_SHARED)
 */
#define CKPT_FILE_INSIDE		0
#define CKPT_FILE_OUTSIDE		1
#define CKPT_FILE_OUTSIDE_SHARED	2

/* kernel/checkpoint/sys.c: messages and errors */
__printf(2, 3) void ckpt_msg(struct ckpt_ctx *ctx, const char *fmt, ...);
__printf(3, 4) int ckpt_err(struct ckpt_ctx *ctx, int err,
			    const char *fmt, ...);

/* kernel/checkpoint/sys.c: record I/O */
void *ckpt_hdr_get(struct ckpt_ctx *ctx, size_t len, int type);
void ckpt_hdr_put(struct ckpt_ctx *ctx, void *h);
int ckpt_kwritev(struct ckpt_ctx *ctx, struct kvec *vec, int nr, size_t len);
/* kernel/checkpoint/checkpoint.c: pages pinned while a task was held */
int ckpt_write_pinned(struct ckpt_ctx *ctx, struct kvec *vec, int nr,
		      size_t len);
int ckpt_kread(struct ckpt_ctx *ctx, void *buf, size_t len);
int ckpt_kreadv(struct ckpt_ctx *ctx, struct kvec *vec, int nr, size_t len);
int ckpt_write_hdr(struct ckpt_ctx *ctx, struct ckpt_hdr *h, size_t size);
int ckpt_write_obj(struct ckpt_ctx *ctx, struct ckpt_hdr *h);
int ckpt_write_string(struct ckpt_ctx *ctx, const char *str);
void *ckpt_read_body_alloc(struct ckpt_ctx *ctx, struct ckpt_hdr *h,
			   size_t size);
void *ckpt_read_obj_type(struct ckpt_ctx *ctx, int type, size_t size);
int ckpt_read_hdr_type(struct ckpt_ctx *ctx, struct ckpt_hdr *h, int type,
		       size_t size);
int ckpt_read_obj_type_into(struct ckpt_ctx *ctx, struct ckpt_hdr *h, int type,
			    size_t size);
char *ckpt_read_string(struct ckpt_ctx *ctx, size_t max);

/* kernel/checkpoint/objhash.c */
int ckpt_obj_register(const struct ckpt_obj_ops *ops);
int ckpt_obj_checkpoint(struct ckpt_ctx *ctx, void *ptr,
			enum ckpt_obj_type type, const struct ckpt_obj_ref *ref);
void *ckpt_obj_restore(struct ckpt_ctx *ctx, enum ckpt_obj_type type);
int ckpt_obj_collect(struct ckpt_ctx *ctx, void *ptr, enum ckpt_obj_type type,
		     bool exempt);
void ckpt_obj_count_ref(struct ckpt_ctx *ctx, void *ptr);
int ckpt_obj_tree_refs(struct ckpt_ctx *ctx, void *ptr);
int ckpt_obj_objref(struct ckpt_ctx *ctx, void *ptr);
void *ckpt_obj_fetch(struct ckpt_ctx *ctx, int objref, enum ckpt_obj_type type);
bool ckpt_obj_outside(struct ckpt_ctx *ctx, void *ptr);

/* mm/checkpoint.c */
int ckpt_checkpoint_mm(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_mm(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_collect_mm(struct ckpt_ctx *ctx, struct task_struct *t);
void ckpt_count_mm_files(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_write_file_pages(struct ckpt_ctx *ctx, struct file *file, u64 size);
bool ckpt_file_mapped_outside(struct ckpt_ctx *ctx, struct file *file);
typedef int (*ckpt_put_page_t)(struct ckpt_ctx *ctx, u64 addr, void *data,
			       void *arg);
int ckpt_read_pages(struct ckpt_ctx *ctx, u64 limit, ckpt_put_page_t put,
		    void *arg);
int ckpt_read_shmem_pages(struct ckpt_ctx *ctx, struct file *file, u64 size);

/* net/core/checkpoint.c: ref_grab/ref_drop of objects keyed by a socket */
void ckpt_sock_grab(void *ptr);
void ckpt_sock_drop(void *ptr);

/* fs/checkpoint.c */
int ckpt_file_register(const struct ckpt_file_ops *ops);
bool ckpt_file_reachable(struct file *file);
int ckpt_write_fname(struct ckpt_ctx *ctx, const struct path *path);
int ckpt_write_inode_path(struct ckpt_ctx *ctx, struct inode *inode);
struct file *ckpt_open_fname(struct ckpt_ctx *ctx, int flags);
int ckpt_file_data_kind(struct file *file);
int ckpt_collect_file_data(struct ckpt_ctx *ctx, struct file *file);
int ckpt_checkpoint_file_data(struct ckpt_ctx *ctx, struct file *file,
			      const struct ckpt_obj_ref *ref);
struct file *ckpt_open_file_data(struct ckpt_ctx *ctx, int flags);
int ckpt_checkpoint_files(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_files(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_collect_files(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_checkpoint_fs(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_fs(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_collect_fs(struct ckpt_ctx *ctx, struct task_struct *t);

/* fs/eventpoll_checkpoint.c */
int ckpt_epoll_add_watches(struct ckpt_ctx *ctx);
void ckpt_epoll_free(struct ckpt_local *l);

/* ipc/checkpoint.c */
bool ckpt_file_is_sysvshm(struct file *file);
int ckpt_checkpoint_task_ipc(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_collect_task_ipc(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_task_ipc(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_ipc_finish(struct ckpt_ctx *ctx);
void ckpt_ipc_free(struct ckpt_ctx *ctx);

/* kernel/time/checkpoint.c */
int ckpt_save_posix_timers(struct ckpt_ctx *ctx, struct task_struct *t,
			   struct ckpt_hdr_posix_timer **recs, s32 *next_id);
int ckpt_restore_posix_timers(struct ckpt_ctx *ctx, u32 nr, s32 next_id);
int ckpt_queue_timer_signal(struct ckpt_ctx *ctx, kernel_siginfo_t *info,
			    bool shared);
int ckpt_arm_posix_timers(struct ckpt_ctx *ctx, struct ckpt_group_restore *g);
void ckpt_free_posix_timers(struct ckpt_group_restore *g);

/* kernel/checkpoint/parallel.c */
int ckpt_par_file_check(struct ckpt_ctx *ctx, const struct ckpt_hdr_file *h);

/* kernel/checkpoint/tree.c */
const struct ckpt_hdr_tree_task *ckpt_tree_find(struct ckpt_ctx *ctx,
						pid_t pid);
struct pid *ckpt_get_pid(struct ckpt_ctx *ctx, pid_t nr);

/* arch/x86/kernel/checkpoint.c */
int ckpt_write_arch_header(struct ckpt_ctx *ctx);
int ckpt_read_arch_header(struct ckpt_ctx *ctx);
int ckpt_checkpoint_cpu(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restore_cpu(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr);
int ckpt_arch_check_task(struct ckpt_ctx *ctx, struct task_struct *t);
unsigned long ckpt_arch_vdso(struct mm_struct *mm, unsigned long *start,
			     unsigned long *end);
int ckpt_arch_restore_vdso(struct ckpt_ctx *ctx, unsigned long vdso);
void ckpt_arch_new_mm(struct mm_struct *mm);
void ckpt_arch_restart_syscall(void);

static inline bool ckpt_is_restart(struct ckpt_ctx *ctx)
{
	return ctx->kflags & CKPT_CTX_RESTART;
}

#endif /* _LINUX_CHECKPOINT_H */
