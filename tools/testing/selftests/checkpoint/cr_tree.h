/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cr_tree.h - process trees through checkpoint and the restart tool,
 * shared by the selftests that need a tree, threads, or a restart by an
 * executable other than the workload's (cr_tree.c, cr_proc.c).
 *
 * The workload moves itself into the test's cgroup before it forks
 * anything (wl_in_cgroup()), so that freezing the cgroup freezes the
 * whole tree; the test is a child subreaper, so the tasks of a tree
 * whose restart tool died are handed to it. Like cr_util.h, everything
 * here is static inline.
 */
#ifndef CR_TREE_H
#define CR_TREE_H

#include "cr_util.h"

#include <sys/prctl.h>

#define RESTART_TOOL	cr_tool("restart")

/* ---- the workload side: nodes of a tree report ready by files ------------ */

static inline void ready_file(struct cr_ctx *ctx, int idx, char *buf,
			      size_t size)
{
	snprintf(buf, size, "%s.ready.%d", ctx->data, idx);
}

static inline void mark_ready(struct cr_ctx *ctx, int idx)
{
	char path[CR_PATH_LEN + 32];

	ready_file(ctx, idx, path, sizeof(path));
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

#define CR_READY_MAX	64	/* node indexes that may have a ready file */

/*
 * Remove the ready files of a previous run of the same test (the names
 * depend on the test only): a stale one would let a node go on before
 * the one it waits for is set up.
 */
static inline void clear_ready(struct cr_ctx *ctx)
{
	char path[CR_PATH_LEN + 32];
	int i;

	for (i = 0; i < CR_READY_MAX; i++) {
		ready_file(ctx, i, path, sizeof(path));
		unlink(path);
	}
}

/* Wait (10 s at most) for node idx to be ready; 0 or -1 */
static inline int wait_ready(struct cr_ctx *ctx, int idx)
{
	char path[CR_PATH_LEN + 32];
	int i;

	ready_file(ctx, idx, path, sizeof(path));
	for (i = 0; i < 2000; i++) {
		if (!access(path, F_OK))
			return 0;
		cr_sleep_ms(5);
	}
	return -1;
}

/* ---- the test side ------------------------------------------------------- */

/* Kill every task of the original tree (the cgroup) and reap the root */
static inline void kill_tree(struct __test_metadata *_metadata,
			     struct cr_ctx *ctx)
{
	char path[CR_PATH_LEN + 32], buf[256] = "";
	int i, status;

	ASSERT_EQ(0, cr_cg_write(ctx, "cgroup.kill", "1"));
	cr_thaw(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	cr_cg_file(ctx, "cgroup.procs", path, sizeof(path));
	/*
	 * Until the cgroup is empty and every orphan (handed to us, the
	 * subreaper) is reaped: a zombie would keep its pid, or the session
	 * it belongs to, from the restart.
	 */
	for (i = 0; i < 500; i++) {
		pid_t r;

		while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (r < 0 && errno == ECHILD &&
		    cr_read_str(path, buf, sizeof(buf)) == 0)
			return;
		cr_sleep_ms(10);
	}
	ASSERT_TRUE(false) {
		TH_LOG("the original tree did not die: %s", buf);
	}
}

/* Restart img with the restart tool; return its wait status */
static inline int restart_tool(struct __test_metadata *_metadata,
			       struct cr_ctx *ctx, const char *img)
{
	int status;
	pid_t pid;

	cr_need(_metadata, RESTART_TOOL);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		execl(RESTART_TOOL, "restart", "-i", img, "-l", ctx->log,
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || cr_wait_timeout(pid, &status, CR_WAIT_MS)) {
		TH_LOG("the restart tool did not finish");
		return -1;
	}
	return status;
}

struct wl_call {
	cr_workload_fn fn;
	void *arg;
};

/* Join the test's cgroup (so that all the tree is frozen), then run */
static inline int wl_in_cgroup(struct cr_ctx *ctx, void *arg)
{
	struct wl_call *call = arg;

	if (cr_cg_write(ctx, "cgroup.procs", "0"))
		return CR_EXIT_SETUP;
	return call->fn(ctx, call->arg);
}

/*
 * Wait (10 s at most) until pid sleeps in system call nr, as
 * /proc/PID/syscall tells: its first field is the number of the call a
 * blocked task is in ("running" while it runs).
 */
static inline void wait_in_syscall(struct __test_metadata *_metadata,
				   pid_t pid, long nr)
{
	char path[64], buf[256] = "";
	int i;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (i = 0; i < 1000; i++) {
		if (cr_read_str(path, buf, sizeof(buf)) > 0 &&
		    strtol(buf, NULL, 10) == nr && buf[0] != 'r')
			return;
		cr_sleep_ms(10);
	}
	ASSERT_TRUE(false) {
		TH_LOG("pid %d never blocked in system call %ld: %s", pid, nr,
		       buf);
	}
}

/*
 * checkpoint(@pid, @flags) into ctx->img (created or truncated): the
 * checkpoint id, or -1 with the errno in *@err
 */
static inline long ckpt_to_img(struct cr_ctx *ctx, pid_t pid,
			       unsigned long flags, int *err)
{
	int fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	long ret;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	ret = sys_checkpoint(pid, fd, flags, ctx->logfd);
	*err = errno;
	close(fd);
	return ret;
}

/*
 * tree_cycle_in - the whole cycle of a tree: spawn, freeze, checkpoint,
 * kill, restart with the restart tool, which must exit 0 (the root's
 * status)
 * @fn, @arg: the workload (its root), which calls cr_wl_ready() when its
 *	tree is set up
 * @flags: checkpoint() flags
 * @in_syscall: when not -1, the root is frozen only once it sleeps in
 *	that system call (it entered the call after cr_wl_ready())
 *
 * The go file exists before the restart: the restored tree runs on at
 * once.
 */
static inline void tree_cycle_in(struct __test_metadata *_metadata,
				 struct cr_ctx *ctx, cr_workload_fn fn,
				 void *arg, unsigned long flags,
				 long in_syscall)
{
	struct wl_call call = { fn, arg };
	char st[128];
	long ret;
	int status, err;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	/* the workload moves itself in before it forks anything */
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	if (in_syscall != -1)
		wait_in_syscall(_metadata, ctx->wl_pid, in_syscall);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ret = ckpt_to_img(ctx, ctx->wl_pid, flags, &err);
	ASSERT_LT(0, ret) {
		TH_LOG("checkpoint: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	kill_tree(_metadata, ctx);
	cr_go(_metadata, ctx);
	status = restart_tool(_metadata, ctx, ctx->img);
	clear_ready(ctx);
	cr_status_str(status, st, sizeof(st));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("restored tree: root %s", st);
		cr_dump_logs(_metadata, ctx);
	}
}

static inline void tree_cycle(struct __test_metadata *_metadata,
			      struct cr_ctx *ctx, cr_workload_fn fn, void *arg,
			      unsigned long flags)
{
	tree_cycle_in(_metadata, ctx, fn, arg, flags, -1);
}

/*
 * refused_with - checkpoint of the tree of @call (spawned with
 * @spawn_flags; a container is checkpointed whole, else as a subtree) is
 * refused with EBUSY, @said and @also (if not NULL) in the log; the tree
 * runs on once thawed
 */
static inline void refused_with(struct __test_metadata *_metadata,
				struct cr_ctx *ctx, struct wl_call *call,
				unsigned long spawn_flags, const char *said,
				const char *also)
{
	int err, status;
	size_t len;
	char *log;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ctx->spawn_flags = spawn_flags;
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, call);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	EXPECT_EQ(-1, ckpt_to_img(ctx, ctx->wl_pid,
				  spawn_flags ? 0 : CHECKPOINT_SUBTREE, &err));
	EXPECT_EQ(EBUSY, err);
	log = cr_read_whole(ctx->log, &len);
	EXPECT_TRUE(log && strstr(log, said) && (!also || strstr(log, also))) {
		TH_LOG("\"%s\" or \"%s\" not in the log", said,
		       also ? also : "");
		cr_dump_logs(_metadata, ctx);
	}
	free(log);
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	EXPECT_EQ(0, status);
}

/* ---- bad values in the fields of records ---------------------------------- */

/*
 * One bad value in one field of the first record of a type, or (with
 * @before) of the FILE record right before the first record of type
 * @before
 */
struct cr_bad_field {
	const char *what;
	uint32_t type;
	uint32_t before;
	size_t off;
	int size;
	int64_t val;
	bool add;		/* add @val to the field instead of storing it */
};

#define CR_BAD(t, st, field, v, a) \
	{ #t "." #field, CKPT_HDR_##t, 0, offsetof(struct ckpt_hdr_##st, field), \
	  sizeof(((struct ckpt_hdr_##st *)0)->field), (v), (a) }
/* in the FILE before the first record of type @b */
#define CR_BAD_FILE(b, field, v) \
	{ "FILE before " #b "." #field, CKPT_HDR_FILE, CKPT_HDR_##b, \
	  offsetof(struct ckpt_hdr_file, field), \
	  sizeof(((struct ckpt_hdr_file *)0)->field), (v), false }

static inline const struct cr_rec *cr_bad_rec(const struct cr_image *im,
					      const struct cr_bad_field *b)
{
	const struct cr_rec *r;

	if (!b->before)
		return cr_image_find(im, b->type, 0);
	r = cr_image_find(im, b->before, 0);
	return r && r > im->recs && r[-1].type == CKPT_HDR_FILE ? r - 1 : NULL;
}

/*
 * tree_image - checkpoint the tree of workload @call (checkpoint() @flags)
 * into ctx->img, kill it and give the go: *@im is the image's records,
 * *@img its bytes (malloc()ed, *@len of them; NULL when a step failed)
 */
static inline void tree_image(struct __test_metadata *_metadata,
			      struct cr_ctx *ctx, struct wl_call *call,
			      unsigned long flags, struct cr_image *im,
			      unsigned char **img, size_t *len)
{
	int err;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, call);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ASSERT_LT(0, ckpt_to_img(ctx, ctx->wl_pid, flags, &err)) {
		TH_LOG("checkpoint: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	kill_tree(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_image_scan(ctx->img, im)) {
		TH_LOG("%s", im->err);
	}
	*img = cr_read_whole(ctx->img, len);
}

/*
 * bad_fields_refused - checkpoint workload @call (checkpoint() @flags),
 * then restart the image with each of @bad set in it: every restart must
 * fail (the restart tool exits 1); the intact image then restarts and
 * its tree exits 0
 */
static inline void bad_fields_refused(struct __test_metadata *_metadata,
				      struct cr_ctx *ctx, struct wl_call *call,
				      unsigned long flags,
				      const struct cr_bad_field *bad, int nr)
{
	unsigned char *img = NULL, *buf;
	struct cr_image im = {};
	int i, status;
	char st[128];
	size_t len;

	tree_image(_metadata, ctx, call, flags, &im, &img, &len);
	ASSERT_NE(NULL, img);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < nr; i++) {
		const struct cr_bad_field *b = &bad[i];
		const struct cr_rec *r = cr_bad_rec(&im, b);
		uint64_t v = 0;

		ASSERT_NE(NULL, r) {
			TH_LOG("no record for %s", b->what);
		}
		ASSERT_LE(b->off + b->size, r->len);
		memcpy(buf, img, len);
		memcpy(&v, buf + r->off + b->off, b->size);
		v = b->add ? v + b->val : (uint64_t)b->val;
		memcpy(buf + r->off + b->off, &v, b->size);
		ASSERT_EQ(0, cr_write_whole(ctx->data, buf, len));
		status = restart_tool(_metadata, ctx, ctx->data);
		cr_status_str(status, st, sizeof(st));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
			TH_LOG("%s: the restart tool %s, expected exit 1",
			       b->what, st);
		}
	}
	free(buf);
	free(img);
	cr_image_free(&im);
	status = restart_tool(_metadata, ctx, ctx->img);
	cr_status_str(status, st, sizeof(st));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the intact image: restored tree %s", st);
		cr_dump_logs(_metadata, ctx);
	}
}

#endif /* CR_TREE_H */
