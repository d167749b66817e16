/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cr_util.h - helpers shared by the checkpoint/restart selftests.
 *
 * What reports through the test harness (ASSERT_*(), TH_LOG(), SKIP())
 * is here, static inline: kselftest_harness.h defines its own globals and
 * can be part of one object file of a program only. The rest is in
 * cr_lib.c, linked into every test, and declared in cr_lib.h.
 *
 * Model of a test:
 *
 *   - the test forks a WORKLOAD (cr_spawn()) that sets up some state,
 *     reports "ready" (cr_wl_ready()), then waits for the go file
 *     (cr_wl_wait_go()) and verifies its own state, exiting 0 when
 *     everything is intact or a distinct non-zero code per failed check
 *     (with a message on its stderr, which is the file ctx->wlog);
 *   - the test freezes the workload (cgroup v2 or the v1 freezer),
 *     checkpoints it to an image file, kills the original, restarts the
 *     image (it forks a task that calls restart(0) while the test itself
 *     coordinates with restart(pid)), creates the go file and expects
 *     the restored workload to exit 0.
 *
 * The go marker is a regular file: a restored workload keeps no pipe to
 * the test, and the original, which is killed while frozen, never sees it.
 * Workloads bound their wait by a number of polls rather than a timer
 * (alarm() would be pending in the image), so a broken restart cannot
 * hang the suite; the harness timeout is the last resort.
 */
#ifndef CR_UTIL_H
#define CR_UTIL_H

#include "cr_lib.h"
#include "kselftest_harness.h"


/*
 * The test needs the program @path: a tool (cr_tool()) or one of the
 * system's (/usr/bin/md5sum). Without it the whole test is skipped, not
 * only the helper that calls this: the harness's jump back, as a failed
 * ASSERT_*() takes it.
 */
static inline void cr_need(struct __test_metadata *_metadata,
			   const char *path)
{
	if (access(path, X_OK))
		SKIP(longjmp(_metadata->env, 1),
		     "needs %s, which is not there (CR_TOOL_DIR: where the tools are)",
		     path);
}

/* Print a text file through TH_LOG, one line at a time. */
static inline void cr_dump(struct __test_metadata *_metadata,
			   const char *title, const char *path)
{
	char *buf, *line, *save = NULL;
	int nr = 0;
	size_t len;

	buf = cr_read_whole(path, &len);
	if (!buf) {
		TH_LOG("%s (%s): cannot read: %s", title, path, strerror(errno));
		return;
	}
	if (!len)
		TH_LOG("%s (%s): empty", title, path);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (++nr > 200) {
			TH_LOG("%s: ... (truncated)", title);
			break;
		}
		TH_LOG("%s: %s", title, line);
	}
	free(buf);
}

static inline void cr_dump_logs(struct __test_metadata *_metadata,
				struct cr_ctx *ctx)
{
	cr_dump(_metadata, "c/r log", ctx->log);
	cr_dump(_metadata, "workload stderr", ctx->wlog);
}

static inline void cr_ctx_init(struct __test_metadata *_metadata,
			       struct cr_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->logfd = -1;
	ctx->ready_fd = -1;
	snprintf(ctx->name, sizeof(ctx->name), "%s-%s",
		 _metadata->fixture->name, _metadata->name);
	cr_ctx_paths(ctx);
	cr_unlink_files(ctx);
	ctx->inited = true;

	ctx->logfd = open(ctx->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
			  0644);
	ASSERT_LE(0, ctx->logfd) {
		TH_LOG("cannot create %s: %s", ctx->log, strerror(errno));
	}
}

static inline void cr_setup(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx)
{
	struct utsname uts;
	char path[PATH_MAX];
	long ret;
	int err;

	cr_ctx_init(_metadata, ctx);

	/*
	 * Anything but ENOSYS proves the system call is wired up. Without
	 * it the suite skips, as kselftests do, unless CR_REQUIRE_SYSCALLS
	 * is set (the test VM's init sets it: there, it is a failure).
	 */
	/* later kernels gave 451 and 452 to other calls (cachestat()...) */
	if (!getenv("CR_REQUIRE_SYSCALLS") &&
	    (uname(&uts) || strncmp(uts.release, "6.1.", 4)))
		SKIP(return, "kernel %s: system calls 451 and 452 are checkpoint() and restart() only in linux-cr's 6.1 series",
		     uts.release);
	ret = sys_checkpoint(0, -1, 1UL << 40, -1);
	err = ret < 0 ? errno : 0;
	if (err == ENOSYS && !getenv("CR_REQUIRE_SYSCALLS"))
		SKIP(return, "checkpoint() not implemented (ENOSYS): a kernel without CONFIG_CHECKPOINT_SYSCALLS");
	ASSERT_NE(ENOSYS, err) {
		TH_LOG("checkpoint() is not implemented (ENOSYS), and CR_REQUIRE_SYSCALLS is set");
	}
	/* the tests make cgroups, freeze them and take other users' ids */
	if (geteuid())
		SKIP(return, "needs root (cgroups, freezing, other users' ids)");
	snprintf(path, sizeof(path), "%s/cgroup.controllers",
		 cr_freezer_root(CR_FREEZER_V2));
	if (access(path, F_OK) && !cr_freezer_v1_available())
		SKIP(return, "no cgroup v2 at %s (nor a cgroup v1 freezer at %s) to freeze the trees in",
		     cr_freezer_root(CR_FREEZER_V2),
		     cr_freezer_root(CR_FREEZER_V1));
}

static inline void cr_teardown(struct __test_metadata *_metadata,
			       struct cr_ctx *ctx)
{
	pid_t *pids[] = { &ctx->wl_pid, &ctx->rs_pid, &ctx->aux_pid };
	unsigned int i;
	int status;

	if (!ctx->inited)
		return;
	for (i = 0; i < ARRAY_SIZE(pids); i++)
		if (*pids[i] > 0)
			kill(*pids[i], SIGKILL);
	if (ctx->cg_made)
		cr_thaw_quiet(ctx);
	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		if (*pids[i] > 0)
			cr_wait_timeout(*pids[i], &status, 5000);
		*pids[i] = 0;
	}
	/* Anything else a test forked. */
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
	if (ctx->cg_made)
		cr_cgroup_destroy(ctx);
	if (ctx->logfd >= 0)
		close(ctx->logfd);
	ctx->logfd = -1;
	cr_unlink_files(ctx);
	ctx->inited = false;
}

/*
 * A fixture whose data is a struct cr_ctx, set up and torn down by
 * cr_setup() and cr_teardown():
 *
 *   FIXTURE(fx) { struct cr_ctx ctx; };
 *   FIXTURE_SETUP(fx) { cr_setup(_metadata, &self->ctx); }
 *   FIXTURE_TEARDOWN(fx) { cr_teardown(_metadata, &self->ctx); }
 *
 * CR_TEST(fx, name) { ... } defines a test in it, with the suite's
 * timeout, whose body sees `ctx` (and _metadata) and does not run when
 * the setup skipped.
 */
#define CR_TEST(fx, test) \
	static void fx##_##test##_body(struct __test_metadata *_metadata, \
				       struct cr_ctx *ctx); \
	TEST_F_TIMEOUT(fx, test, CR_TEST_TIMEOUT) \
	{ \
		if (!_metadata->skip) \
			fx##_##test##_body(_metadata, &self->ctx); \
	} \
	static void fx##_##test##_body( \
		struct __test_metadata __attribute__((unused)) *_metadata, \
		struct cr_ctx __attribute__((unused)) *ctx)

/*
 * CR_TEST_V(fx, name) { ... }: CR_TEST() in a fixture with variants
 * (FIXTURE_VARIANT(fx), one run of the test a FIXTURE_VARIANT_ADD()); the
 * body also sees `variant`.
 */
#define CR_TEST_V(fx, test) \
	static void fx##_##test##_body(struct __test_metadata *_metadata, \
				       struct cr_ctx *ctx, \
				       const FIXTURE_VARIANT(fx) *variant); \
	TEST_F_TIMEOUT(fx, test, CR_TEST_TIMEOUT) \
	{ \
		if (!_metadata->skip) \
			fx##_##test##_body(_metadata, &self->ctx, variant); \
	} \
	static void fx##_##test##_body( \
		struct __test_metadata __attribute__((unused)) *_metadata, \
		struct cr_ctx __attribute__((unused)) *ctx, \
		const FIXTURE_VARIANT(fx) *variant)

static inline void cr_cgroup_create(struct __test_metadata *_metadata,
				    struct cr_ctx *ctx)
{
	const char *root = cr_freezer_root(ctx->freezer);
	char probe[CR_PATH_LEN];

	if (ctx->cg_made)
		return;
	if (ctx->freezer == CR_FREEZER_V2) {
		snprintf(probe, sizeof(probe), "%s/cgroup.controllers", root);
		ASSERT_EQ(0, access(probe, F_OK)) {
			TH_LOG("cgroup v2 is not mounted at %s", root);
		}
	}
	snprintf(ctx->cg, sizeof(ctx->cg), "%s/cr-%s-%d", root, ctx->name,
		 getpid());
	ASSERT_EQ(0, mkdir(ctx->cg, 0755)) {
		TH_LOG("mkdir %s: %s", ctx->cg, strerror(errno));
	}
	ctx->cg_made = true;
}

/* Move pid into the test's freezer cgroup and freeze it. */
static inline void cr_freeze(struct __test_metadata *_metadata,
			     struct cr_ctx *ctx, pid_t pid)
{
	char num[32];
	int ret;

	cr_cgroup_create(_metadata, ctx);
	snprintf(num, sizeof(num), "%d", pid);
	ret = cr_cg_write(ctx, ctx->freezer == CR_FREEZER_V2 ?
			  "cgroup.procs" : "tasks", num);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot move %d into %s: %s", pid, ctx->cg,
		       strerror(-ret));
	}
	ret = cr_cg_write(ctx, ctx->freezer == CR_FREEZER_V2 ?
			  "cgroup.freeze" : "freezer.state",
			  ctx->freezer == CR_FREEZER_V2 ? "1" : "FROZEN");
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot freeze %s: %s", ctx->cg, strerror(-ret));
	}
	ret = cr_cg_wait_state(ctx, true);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s did not freeze: %s", ctx->cg, strerror(-ret));
	}
	ASSERT_EQ(0, kill(pid, 0)) {
		TH_LOG("task %d vanished while freezing", pid);
	}
}

static inline void cr_thaw(struct __test_metadata *_metadata,
			   struct cr_ctx *ctx)
{
	int ret = cr_thaw_ret(ctx);

	ASSERT_EQ(0, ret) {
		TH_LOG("cannot thaw %s: %s", ctx->cg, strerror(-ret));
	}
}

/*
 * Fork the workload and wait until it is ready. On return ctx->wl_pid
 * is running fn(ctx, arg) and has closed the ready pipe.
 */
static inline void cr_spawn(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx, cr_workload_fn fn, void *arg)
{
	char c, st[128];
	int p[2], status;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	unlink(ctx->go);
	fflush(stdout);
	fflush(stderr);
	if (ctx->spawn_flags) {
		struct clone_args ca = {
			.flags = ctx->spawn_flags,
			.exit_signal = SIGCHLD,
		};

		pid = syscall(__NR_clone3, &ca, sizeof(ca));
	} else {
		pid = fork();
	}
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		cr_wl_init(ctx, p[1]);
		_exit(fn(ctx, arg) & 0xff);
	}
	close(p[1]);
	ctx->wl_pid = pid;

	do
		n = read(p[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		/* The workload closes its end right after the byte. */
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		close(p[0]);
		ASSERT_EQ(0, n) {
			TH_LOG("workload wrote more than the ready byte");
		}
		return;
	}
	close(p[0]);
	st[0] = 0;
	if (!cr_wait_timeout(pid, &status, 5000))
		cr_status_str(status, st, sizeof(st));
	ctx->wl_pid = 0;
	TH_LOG("workload died before it was ready: %s", st);
	cr_dump(_metadata, "workload stderr", ctx->wlog);
	ASSERT_EQ(1, n);
}

/*
 * Check the image file of a single-task checkpoint: well framed, and
 * its header names the id checkpoint() returned and the root pid.
 */
static inline void cr_check_image(struct __test_metadata *_metadata,
				  const char *path, long id, pid_t pid)
{
	struct cr_image im;
	bool has_tree;
	int ret;

	ret = cr_image_scan(path, &im);
	has_tree = cr_image_find(&im, CKPT_HDR_TREE, 0) != NULL;
	cr_image_free(&im);
	ASSERT_EQ(0, ret) {
		TH_LOG("malformed image %s: %s", path, im.err);
	}
	EXPECT_EQ(id, (long)im.hdr.id);
	EXPECT_EQ(pid, im.hdr.root_pid);
	EXPECT_EQ(1, im.hdr.nr_tasks);
	EXPECT_TRUE(has_tree) {
		TH_LOG("image %s has no TREE record", path);
	}
}

/* Checkpoint pid into ctx->img; asserts success and a sane image. */
static inline long cr_checkpoint_file(struct __test_metadata *_metadata,
				      struct cr_ctx *ctx, pid_t pid)
{
	long ret;
	int fd, err;

	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) {
		TH_LOG("cannot create %s: %s", ctx->img, strerror(errno));
	}
	ret = sys_checkpoint(pid, fd, 0, ctx->logfd);
	err = errno;
	close(fd);
	ASSERT_LT(0, ret) {
		TH_LOG("checkpoint(%d) returned %ld: %s", pid, ret,
		       ret < 0 ? strerror(err) : "not a positive id");
		cr_dump_logs(_metadata, ctx);
	}
	ctx->ckpt_id = ret;
	cr_check_image(_metadata, ctx->img, ret, pid);
	return ret;
}

/* Kill the frozen original, thaw it so it dies, reap it. */
static inline void cr_kill_original(struct __test_metadata *_metadata,
				    struct cr_ctx *ctx)
{
	char st[128];
	int status, ret;

	ASSERT_EQ(0, kill(ctx->wl_pid, SIGKILL));
	cr_thaw(_metadata, ctx);
	ret = cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS);
	ctx->wl_pid = 0;
	ASSERT_EQ(0, ret);
	cr_status_str(status, st, sizeof(st));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		TH_LOG("original workload %s instead of being killed", st);
		cr_dump_logs(_metadata, ctx);
	}
}

/* Restart ctx->img; asserts that restart() succeeded. */
static inline void cr_restart_file(struct __test_metadata *_metadata,
				   struct cr_ctx *ctx)
{
	char st[128] = "";
	int fd, err, status;
	long ret;

	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) {
		TH_LOG("cannot open %s: %s", ctx->img, strerror(errno));
	}
	ret = cr_restart_fd(ctx, fd, 0, &err);
	close(fd);
	if (ret != 0 && ctx->rs_pid > 0) {
		if (!cr_wait_timeout(ctx->rs_pid, &status, 5000))
			cr_status_str(status, st, sizeof(st));
		ctx->rs_pid = 0;
	}
	ASSERT_EQ(0, ret) {
		TH_LOG("restart() returned %ld: %s; restarting task %s", ret,
		       ret < 0 ? strerror(err) : "?", st);
		cr_dump_logs(_metadata, ctx);
	}
}

static inline void cr_go(struct __test_metadata *_metadata,
			 struct cr_ctx *ctx)
{
	int fd = open(ctx->go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ASSERT_LE(0, fd) {
		TH_LOG("cannot create %s: %s", ctx->go, strerror(errno));
	}
	close(fd);
}

/* Wait for *pidp (clearing it) and assert it exited with code. */
static inline void cr_expect_exit(struct __test_metadata *_metadata,
				  struct cr_ctx *ctx, pid_t *pidp, int code,
				  const char *what)
{
	char st[128];
	int status, ret;

	ret = cr_wait_timeout(*pidp, &status, CR_WAIT_MS);
	*pidp = 0;
	ASSERT_EQ(0, ret) {
		TH_LOG("%s did not exit in time: %s", what, strerror(-ret));
		cr_dump_logs(_metadata, ctx);
	}
	cr_status_str(status, st, sizeof(st));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == code) {
		TH_LOG("%s %s, expected exit %d", what, st, code);
		cr_dump_logs(_metadata, ctx);
	}
}

/*
 * The whole cycle: spawn fn, freeze it, checkpoint it to a file, kill
 * the original, restart the image, let the restored workload go and
 * expect it to find its state intact (exit 0).
 */
static inline void cr_cycle(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx, cr_workload_fn fn, void *arg)
{
	cr_spawn(_metadata, ctx, fn, arg);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_restart_file(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

#endif /* CR_UTIL_H */
