// SPDX-License-Identifier: GPL-2.0
/*
 * The attacks of the restart security audit, each run for real: every
 * one must now fail cleanly (an errno and a log line, nothing harmed,
 * no kernel report, which make check's VM run catches).
 *
 *   wrong_join_two_uids            finding 1: a user's pending restart
 *                                  captures root's restart below it
 *   stray_and_foreign_joiners      finding 12, and joins by the wrong file
 *                                  or flags
 *   coordinator_may_not_ptrace_root  finding 1's check: ptrace access to
 *                                  every joiner
 *   reaped_root                    finding 2: a reaped root's NULL pid ns
 *   exec_during_checkpoint,
 *   setuid_during_checkpoint,
 *   exec_while_memory_is_written,
 *   setuid_while_memory_is_written,
 *   exec_while_files_are_written   finding 3: thawed and changed while the
 *                                  image pipe stalls the checkpoint (at
 *                                  its header; in the target's memory;
 *                                  in its file records)
 *   root_restores_hostile_image    finding 4: credentials first
 *   setid_exe_needs_privilege      finding 8: the executable link
 *   claimed_parent                 a tree entry whose parent is not real
 *   shared_state_refused           finding 10: state shared outside the
 *                                  restart is not rebuilt in place
 *   huge_sparse_tree               finding 5: memory follows the stream
 *                                  and is charged to the caller
 *   log_pipe_full                  finding 9: no mm lock held on the log
 *
 * Findings 6 (131072 fds) and 7 (auxv without AT_NULL) are tested by
 * cr_files.many_descriptors and cr_image.auxv_without_at_null_refused.
 */
#include "cr_tree.h"

#include <sys/shm.h>

#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#define USER_UID	1000	/* the attacker, or the image's owner */
#define OTHER_UID	1001	/* another user */
#define WL_LEN		(1UL << 20)
#define WL_SEED		0xa77ac

#define WL_FLAG		"--cr-attack-workload"
#define SLEEP_FLAG	"--cr-attack-sleep"

/* Become uid, dumpable as after a login (its parent may ptrace it) */
static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1))
		return -1;
	return 0;
}

/* WL_LEN of private memory with the WL_SEED pattern, or NULL */
static unsigned char *wl_filled(void)
{
	unsigned char *buf = mmap(NULL, WL_LEN, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	cr_fill(buf, WL_LEN, WL_SEED);
	return buf;
}

static int wl_checksum(struct cr_ctx *ctx, void *arg)
{
	unsigned char *buf = wl_filled();
	ssize_t off;

	if (!buf)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(buf);
	off = cr_check_fill(buf, WL_LEN, WL_SEED);
	if (off >= 0)
		return CR_WL_FAIL(1, "buffer differs at offset %zd", off);
	return 0;
}

/* Checkpoint a wl_checksum workload to ctx->img and kill it */
static void make_image(struct __test_metadata *_metadata, struct cr_ctx *ctx)
{
	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
}

/* Read one byte from fd within ms; the byte, or -1 */
static int read_byte_timeout(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char c;

	if (poll(&p, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* Reap every child, and every orphan handed to us (a subreaper) */
static void reap_all(void)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		cr_sleep_ms(10);
	}
}

FIXTURE(cr_attack) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_attack) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_attack) { cr_teardown(_metadata, &self->ctx); }

/*
 * Finding 1. A user's process A forks C, which forks D (still root, as
 * a shell that will run sudo would be) and calls restart(0) as the user;
 * A coordinates C's restart from a pipe it never feeds. Then root's
 * restart runs in D: its task must join D's restart, never A's (which
 * would load the user's image into a root task), and root's workload
 * must come back intact.
 */
CR_TEST(cr_attack, wrong_join_two_uids)
{
	int feed[2], go[2], res[2], r;
	pid_t a;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	make_image(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, pipe(feed));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	fflush(stdout);
	fflush(stderr);
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		pid_t c;

		setpgid(0, 0);
		c = fork();
		if (c == 0) {
			pid_t d = fork();

			if (d == 0) {
				int fd, err, status;
				char st = 1;

				/* root's restart, once A is waiting */
				if (read_byte_timeout(go[0], 30000) < 0)
					_exit(1);
				fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
				if (fd >= 0 && cr_restart_fd(ctx, fd, 0, &err) == 0 &&
				    !cr_wait_timeout(ctx->rs_pid, &status, CR_WAIT_MS) &&
				    WIFEXITED(status) && WEXITSTATUS(status) == 0)
					st = 0;
				if (write(res[1], &st, 1) != 1)
					_exit(1);
				_exit(0);
			}
			if (become(USER_UID))
				_exit(CR_EXIT_SETUP);
			sys_restart(0, feed[0], 0, -1);
			_exit(CR_EXIT_RESTART_RETURNED);
		}
		if (c < 0 || become(USER_UID))
			_exit(CR_EXIT_SETUP);
		/* blocks reading the image from a pipe nobody writes */
		sys_restart(c, feed[0], 0, -1);
		_exit(0);
	}
	ctx->aux_pid = a;
	wait_in_syscall(_metadata, a, __NR_restart);
	cr_sleep_ms(300);	/* C joins A's restart */
	ASSERT_EQ(1, write(go[1], "g", 1));
	r = read_byte_timeout(res[0], 50000);
	EXPECT_EQ(0, r) {
		TH_LOG("root's restart below a user's pending restart %s",
		       r < 0 ? "never finished" : "failed");
		cr_dump_logs(_metadata, ctx);
	}
	kill(-a, SIGKILL);
	ctx->aux_pid = 0;
	reap_all();
}

/*
 * A task of the coordinator's that is not in the image (stray), one with
 * other flags, and one with another open file of the same image: the
 * first two get ESRCH and EINVAL, the third never joins; the restart of
 * the image's own task is not disturbed.
 */
CR_TEST(cr_attack, stray_and_foreign_joiners)
{
	pid_t stray, flagged, foreign;
	int fd, fd2, err, status;
	long ret;

	make_image(_metadata, ctx);
	cr_go(_metadata, ctx);
	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	fd2 = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	fflush(stdout);
	fflush(stderr);
	stray = fork();
	if (stray == 0) {
		ret = sys_restart(0, fd, 0, ctx->logfd);
		_exit(ret == -1 && errno == ESRCH ? 0 : 1);
	}
	flagged = fork();
	if (flagged == 0) {
		ret = sys_restart(0, fd, RESTART_FROZEN, -1);
		_exit(ret == -1 && errno == EINVAL ? 0 : 1);
	}
	foreign = fork();
	if (foreign == 0) {
		sys_restart(0, fd2, 0, -1);
		_exit(1);
	}
	ASSERT_LT(0, stray);
	ASSERT_LT(0, flagged);
	ASSERT_LT(0, foreign);
	wait_in_syscall(_metadata, stray, __NR_restart);
	wait_in_syscall(_metadata, flagged, __NR_restart);
	wait_in_syscall(_metadata, foreign, __NR_restart);

	ret = cr_restart_fd(ctx, fd, 0, &err);
	EXPECT_EQ(0, ret) {
		TH_LOG("restart with stray joiners: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	if (!ret)
		cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");

	ASSERT_EQ(0, cr_wait_timeout(stray, &status, 10000));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("a task not in the image: status %#x, expected ESRCH",
		       status);
	}
	ASSERT_EQ(0, cr_wait_timeout(flagged, &status, 10000));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("a joiner with other flags: status %#x, expected EINVAL",
		       status);
	}
	/* still waiting for a restart of its own open file */
	cr_sleep_ms(200);
	EXPECT_EQ(0, waitpid(foreign, &status, WNOHANG));
	kill(foreign, SIGKILL);
	ASSERT_EQ(0, cr_wait_timeout(foreign, &status, 5000));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fd);
	close(fd2);
}

/*
 * A user's coordinator whose child is root's (it stayed root, as after
 * the exec of a set-user-id program) may not restart it: EPERM once it
 * joined, and the child is left as it was.
 */
CR_TEST(cr_attack, coordinator_may_not_ptrace_root)
{
	int fd, status;
	pid_t q;

	make_image(_metadata, ctx);
	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	fflush(stdout);
	fflush(stderr);
	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		pid_t c = fork();
		long ret;

		if (c == 0) {
			sys_restart(0, fd, 0, ctx->logfd);
			_exit(errno == EPERM ? CR_EXIT_RESTART_RETURNED : 1);
		}
		if (c < 0 || become(USER_UID))
			_exit(CR_EXIT_SETUP);
		ret = sys_restart(c, fd, 0, ctx->logfd);
		if (ret != -1 || errno != EPERM)
			_exit(1);
		if (waitpid(c, &status, 0) != c || !WIFEXITED(status))
			_exit(2);
		_exit(WEXITSTATUS(status) == CR_EXIT_RESTART_RETURNED ? 0 : 3);
	}
	ctx->aux_pid = q;
	ASSERT_EQ(0, cr_wait_timeout(q, &status, 20000));
	ctx->aux_pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("a user's restart of root's task: status %#x", status);
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_TRUE(cr_log_has(ctx, "no permission to restart pid"));
	close(fd);
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

static int clone_files_child(void *arg)
{
	int fd = *(int *)arg;

	sys_restart(0, fd, 0, -1);
	return errno == EBUSY ? CR_EXIT_RESTART_RETURNED : 1;
}

/*
 * Finding 10. What a restore rebuilds in place (memory, files table, fs,
 * signal handlers) must be the restarting tasks' own: RESTART_TASKSELF
 * by a process with another thread, and a root that shares its files
 * table with its coordinator (CLONE_FILES), are refused with EBUSY
 * before anything is touched; both go on unharmed.
 */
CR_TEST(cr_attack, shared_state_refused)
{
	static char stack[1 << 16] __attribute__((aligned(16)));
	int fd, status;
	pthread_t th;
	pid_t q;
	long ret;

	make_image(_metadata, ctx);
	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);

	fflush(stdout);
	fflush(stderr);
	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		if (pthread_create(&th, NULL, idle_thread, NULL))
			_exit(CR_EXIT_SETUP);
		ret = sys_restart(0, fd, RESTART_TASKSELF, ctx->logfd);
		_exit(ret == -1 && errno == EBUSY ? 0 : 1);
	}
	ASSERT_EQ(0, cr_wait_timeout(q, &status, 20000));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("RESTART_TASKSELF with another thread: status %#x",
		       status);
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_TRUE(cr_log_has(ctx, "address space is shared"));

	/* the refused restart read the header: start again */
	close(fd);
	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	q = clone(clone_files_child, stack + sizeof(stack),
		  CLONE_FILES | SIGCHLD, &fd);
	ASSERT_LT(0, q);
	ctx->rs_pid = q;
	ret = sys_restart(q, fd, 0, ctx->logfd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(cr_log_has(ctx, "files table is shared")) {
		cr_dump_logs(_metadata, ctx);
	}
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, CR_EXIT_RESTART_RETURNED,
		       "root sharing its coordinator's files");
	close(fd);
}

/* The HEADER and HEADER_ARCH records of ctx->img, copied to buf */
static size_t image_prologue(struct __test_metadata *_metadata,
			     struct cr_ctx *ctx, unsigned char *buf,
			     size_t size)
{
	const struct cr_rec *arch;
	struct cr_image im;
	unsigned char *img;
	size_t len, n;

	ASSERT_EQ(0, cr_image_scan(ctx->img, &im)) {
		TH_LOG("%s", im.err);
	}
	arch = cr_image_find(&im, CKPT_HDR_HEADER_ARCH, 0);
	ASSERT_NE(NULL, arch);
	n = arch->off + arch->len;
	cr_image_free(&im);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	ASSERT_LE(n, size);
	memcpy(buf, img, n);
	free(img);
	return n;
}

static size_t put_tree(unsigned char *p, uint32_t nr)
{
	struct ckpt_hdr_tree t = {
		.h.type = CKPT_HDR_TREE, .h.len = sizeof(t), .nr_tasks = nr,
	};

	memcpy(p, &t, sizeof(t));
	return sizeof(t);
}

static size_t put_entry(unsigned char *p, int32_t pid, int32_t ppid,
			uint32_t flags)
{
	struct ckpt_hdr_tree_task e = {
		.h.type = CKPT_HDR_TREE_TASK, .h.len = sizeof(e),
		.pid = pid, .tgid = pid, .ppid = ppid, .sid = 0, .pgid = 0,
		.flags = flags,
	};

	memcpy(p, &e, sizeof(e));
	return sizeof(e);
}

static void set_nr_tasks(unsigned char *prologue, uint32_t nr)
{
	struct ckpt_hdr_header *h = (void *)prologue;

	h->nr_tasks = nr;
}

/*
 * Finding 2. An unprivileged coordinator that ignores SIGCHLD starts a
 * restart of its child C from a pipe; C is killed and reaped; then the
 * pipe delivers a valid header and a two-task tree. The coordinator gets
 * ESRCH (it oopsed on the reaped root's NULL pid namespace).
 */
CR_TEST(cr_attack, reaped_root)
{
	unsigned char buf[8192];
	int feed[2], cpipe[2], status, i;
	size_t n;
	pid_t q, c = -1;
	char path[64];

	make_image(_metadata, ctx);
	n = image_prologue(_metadata, ctx, buf, sizeof(buf) / 2);
	ASSERT_EQ(0, pipe(feed));
	ASSERT_EQ(0, pipe(cpipe));
	fflush(stdout);
	fflush(stderr);
	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		close(feed[1]);
		if (become(USER_UID))
			_exit(CR_EXIT_SETUP);
		signal(SIGCHLD, SIG_IGN);
		c = fork();
		if (c == 0) {
			sys_restart(0, feed[0], 0, -1);
			_exit(CR_EXIT_RESTART_RETURNED);
		}
		if (write(cpipe[1], &c, sizeof(c)) != sizeof(c))
			_exit(CR_EXIT_SETUP);
		if (sys_restart(c, feed[0], 0, -1) == 0)
			_exit(0);
		_exit(errno);
	}
	ctx->aux_pid = q;
	ASSERT_EQ(sizeof(c), read(cpipe[0], &c, sizeof(c)));
	wait_in_syscall(_metadata, c, __NR_restart);
	wait_in_syscall(_metadata, q, __NR_restart);
	cr_sleep_ms(200);	/* the root joined; Q reads the pipe */
	ASSERT_EQ(0, kill(c, SIGKILL));
	snprintf(path, sizeof(path), "/proc/%d", c);
	for (i = 0; i < 500 && !access(path, F_OK); i++)
		cr_sleep_ms(10);
	ASSERT_NE(0, access(path, F_OK)) {
		TH_LOG("the killed root was not reaped");
	}

	set_nr_tasks(buf, 2);
	n += put_tree(buf + n, 2);
	n += put_entry(buf + n, c, 0, CKPT_TREE_ROOT);
	n += put_entry(buf + n, c + 1, c, 0);
	ASSERT_EQ((ssize_t)n, write(feed[1], buf, n));
	close(feed[1]);
	ASSERT_EQ(0, cr_wait_timeout(q, &status, 10000));
	ctx->aux_pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == ESRCH) {
		TH_LOG("coordinator of a reaped root: status %#x, expected ESRCH",
		       status);
	}
}

/* ---- the exec'd workloads --------------------------------------------- */

/*
 * The hostile image's workload, run from a copy of this binary owned by
 * the user: as root it opens a file of the user O_RDWR, maps another
 * shared and writable, lowers its fd hard limit, then becomes the user.
 */
#define HOSTILE_NOFILE_CUR	200
#define HOSTILE_NOFILE_MAX	3000

static int wl_hostile(struct cr_ctx *ctx)
{
	struct rlimit rl = { HOSTILE_NOFILE_CUR, HOSTILE_NOFILE_MAX };
	char *map, buf[8] = "";
	int fd, mfd;

	fd = open(ctx->data, O_RDWR);
	mfd = open(ctx->data2, O_RDWR);
	if (fd < 0 || mfd < 0)
		return CR_EXIT_SETUP;
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	close(mfd);
	if (map == MAP_FAILED || setrlimit(RLIMIT_NOFILE, &rl) ||
	    become(USER_UID))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (pread(fd, buf, 6, 0) != 6 || memcmp(buf, "secret", 6))
		return CR_WL_FAIL(1, "the user's file is not open");
	if (pwrite(fd, "S", 1, 0) != 1)
		return CR_WL_FAIL(2, "the user's file is not writable");
	map[0] = 'M';
	if (msync(map, 4096, MS_SYNC))
		return CR_WL_FAIL(3, "msync: %s", strerror(errno));
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != HOSTILE_NOFILE_CUR ||
	    rl.rlim_max != HOSTILE_NOFILE_MAX)
		return CR_WL_FAIL(4, "fd limits %lu/%lu", (unsigned long)rl.rlim_cur,
				  (unsigned long)rl.rlim_max);
	if (getuid() != USER_UID || geteuid() != USER_UID)
		return CR_WL_FAIL(5, "uid %d/%d", getuid(), geteuid());
	return 0;
}

/* A new program that waits to be killed */
static void sleep_forever(void)
{
	for (;;)
		pause();
}

/*
 * argv: <exe> WL_FLAG <test name>, or <exe> SLEEP_FLAG. Runs before
 * main() and never returns there.
 */
__attribute__((constructor))
static void wl_main(int argc, char **argv, char **envp)
{
	static struct cr_ctx ctx;

	if (argc >= 2 && !strcmp(argv[1], SLEEP_FLAG))
		sleep_forever();
	if (argc < 3 || strcmp(argv[1], WL_FLAG))
		return;
	ctx.logfd = -1;
	ctx.ready_fd = CR_READY_FD;
	snprintf(ctx.name, sizeof(ctx.name), "%s", argv[2]);
	cr_ctx_paths(&ctx);
	_exit(wl_hostile(&ctx) & 0xff);
}

/* The user's copy of this binary */
static void exe_path(struct cr_ctx *ctx, char *buf, size_t size)
{
	snprintf(buf, size, "%s.exe", ctx->data);
}

static int wl_exec_hostile(struct cr_ctx *ctx, void *arg)
{
	char exe[CR_PATH_LEN + 8];
	char *const argv[] = { "cr_attack_wl", WL_FLAG, ctx->name, NULL };

	exe_path(ctx, exe, sizeof(exe));
	execv(exe, argv);
	fprintf(stderr, "execv %s: %s\n", exe, strerror(errno));
	return CR_EXIT_SETUP;
}

/* What wl_exec_later() does: another program or other credentials */
struct change_wl {
	bool exec;
	bool many_files;	/* WL_NR_FILES open files with long names */
};

#define WL_NR_FILES	900

static void wl_files_path(char *path, size_t size, pid_t pid)
{
	snprintf(path, size, "/tmp/cr-attack-files-%d-%0200d", pid, 0);
}

static int wl_exec_later(struct cr_ctx *ctx, void *arg)
{
	char *const argv[] = { "cr_attack_sleep", SLEEP_FLAG, NULL };
	const struct change_wl *w = arg;
	char path[256];
	int i;

	/* memory enough for the image of this task to take many writes */
	if (!wl_filled())
		return CR_EXIT_SETUP;
	/* and records enough after the memory: one file opened many times */
	wl_files_path(path, sizeof(path), getpid());
	for (i = 0; w->many_files && i < WL_NR_FILES; i++)
		if (open(path, O_RDWR | O_CREAT, 0600) < 0)
			return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (w->exec) {
		/* another program: a set-id one could be, with secrets */
		execv("/proc/self/exe", argv);
		return CR_EXIT_SETUP;
	}
	/* other credentials */
	if (become(USER_UID))
		return CR_EXIT_SETUP;
	sleep_forever();
	return 0;
}

/* ---- finding 3 ---------------------------------------------------------- */

struct stalled_ckpt {
	pid_t pid;
	int fd;
	int logfd;
	pid_t tid;
	long ret;
	int err;
	volatile int done;
};

static void *stalled_ckpt_thread(void *p)
{
	struct stalled_ckpt *s = p;

	s->tid = syscall(SYS_gettid);
	s->ret = sys_checkpoint(s->pid, s->fd, CHECKPOINT_SUBTREE, s->logfd);
	s->err = errno;
	s->done = 1;
	return NULL;
}

/* Make pipe end @wfd full: a write to it blocks until it is read */
static void fill_pipe(int wfd)
{
	char buf[4096] = "";

	fcntl(wfd, F_SETPIPE_SZ, 4096);
	fcntl(wfd, F_SETFL, O_NONBLOCK);
	while (write(wfd, buf, sizeof(buf)) > 0 || errno != EAGAIN)
		;
	fcntl(wfd, F_SETFL, 0);
}

static bool proc_has(pid_t pid, const char *file, const char *what)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	/* cmdline has NULs between its words */
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = 0;
	return strstr(buf, what);
}

/* Read exactly @len bytes from pipe end @rfd */
static bool read_exactly(int rfd, size_t len)
{
	char buf[4096];
	ssize_t n;

	while (len) {
		n = read(rfd, buf, len < sizeof(buf) ? len : sizeof(buf));
		if (n <= 0)
			return false;
		len -= n;
	}
	return true;
}

/* Where the checkpoint is when it stalls on the full image pipe */
enum stall_at {
	STALL_HEADER,	/* its first write */
	STALL_MEMORY,	/* halfway through the target's WL_LEN of memory */
	STALL_FILES,	/* in the target's file records, after its memory */
};

/* Checkpoint the frozen workload to ctx->img: the image size, or -1 */
static off_t probe_image_size(struct cr_ctx *ctx)
{
	struct stat st;
	int err;

	if (ckpt_to_img(ctx, ctx->wl_pid, CHECKPOINT_SUBTREE, &err) <= 0 ||
	    stat(ctx->img, &st))
		return -1;
	return st.st_size;
}

/*
 * The checkpoint is stalled writing to a full pipe (@at). The caller
 * thaws the target, which runs another program (or takes other
 * credentials); the caller freezes it again and drains the pipe. The
 * checkpoint must fail with EBUSY naming the target, not save the new
 * program's state; and while it waits for the pipe it holds no lock of
 * the target's: the exec does not wait for it.
 */
static void change_during_checkpoint(struct __test_metadata *_metadata,
				     struct cr_ctx *ctx, bool exec,
				     enum stall_at at, const char *changed,
				     const char *msg)
{
	struct change_wl w = { .exec = exec, .many_files = at == STALL_FILES };
	struct stalled_ckpt s = { .logfd = ctx->logfd };
	char buf[65536], pidstr[16], path[256];
	size_t let_through = 0;
	pthread_t th;
	int p[2], i;
	off_t size;

	cr_spawn(_metadata, ctx, wl_exec_later, &w);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	if (at == STALL_MEMORY)
		let_through = WL_LEN / 2;
	if (at == STALL_FILES) {
		/*
		 * The file records are the last ~280 KiB but for a few KiB;
		 * let all but 128 KiB through: the checkpoint is at most the
		 * pipe and its 64 KiB of held back records further.
		 */
		size = probe_image_size(ctx);
		ASSERT_GT(size, 512 << 10) {
			TH_LOG("probe checkpoint: %lld bytes", (long long)size);
			cr_dump_logs(_metadata, ctx);
		}
		let_through = size - (128 << 10);
	}
	ASSERT_EQ(0, pipe(p));
	fill_pipe(p[1]);
	s.pid = ctx->wl_pid;
	s.fd = p[1];
	ASSERT_EQ(0, pthread_create(&th, NULL, stalled_ckpt_thread, &s));
	for (i = 0; i < 1000 && !s.tid; i++)
		cr_sleep_ms(5);
	wait_in_syscall(_metadata, s.tid, __NR_checkpoint);
	if (let_through) {
		ASSERT_TRUE(read_exactly(p[0], let_through));
		wait_in_syscall(_metadata, s.tid, __NR_checkpoint);
		ASSERT_FALSE(s.done) {
			TH_LOG("the image was smaller than %zu bytes",
			       let_through);
		}
	}

	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	for (i = 0; i < 1000 && !proc_has(ctx->wl_pid, exec ? "cmdline" : "status",
					 changed); i++)
		cr_sleep_ms(10);
	EXPECT_TRUE(proc_has(ctx->wl_pid, exec ? "cmdline" : "status", changed)) {
		TH_LOG("the target could not %s while the checkpoint waited",
		       exec ? "exec" : "change its credentials");
	}
	cr_freeze(_metadata, ctx, ctx->wl_pid);

	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 6000 && !s.done; i++)
		if (read(p[0], buf, sizeof(buf)) <= 0)
			cr_sleep_ms(10);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	wl_files_path(path, sizeof(path), ctx->wl_pid);
	unlink(path);
	EXPECT_EQ(-1, s.ret) {
		TH_LOG("checkpoint saved a task that %s meanwhile", msg);
	}
	EXPECT_EQ(EBUSY, s.err);
	snprintf(pidstr, sizeof(pidstr), "pid %d", ctx->wl_pid);
	EXPECT_TRUE(cr_log_has(ctx, pidstr) && cr_log_has(ctx, msg)) {
		cr_dump_logs(_metadata, ctx);
	}
}

/*
 * The target changes while its checkpoint is stalled: it runs another
 * program (exec) or takes other credentials (setuid), while the image
 * header, its memory or its files are written.
 */
FIXTURE(cr_attack_change) { struct cr_ctx ctx; };
FIXTURE_VARIANT(cr_attack_change) {
	bool exec;
	enum stall_at at;
};
FIXTURE_VARIANT_ADD(cr_attack_change, exec_at_header) {
	.exec = true, .at = STALL_HEADER };
FIXTURE_VARIANT_ADD(cr_attack_change, setuid_at_header) {
	.exec = false, .at = STALL_HEADER };
FIXTURE_VARIANT_ADD(cr_attack_change, exec_in_memory) {
	.exec = true, .at = STALL_MEMORY };
FIXTURE_VARIANT_ADD(cr_attack_change, setuid_in_memory) {
	.exec = false, .at = STALL_MEMORY };
FIXTURE_VARIANT_ADD(cr_attack_change, exec_in_files) {
	.exec = true, .at = STALL_FILES };
FIXTURE_SETUP(cr_attack_change) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_attack_change) { cr_teardown(_metadata, &self->ctx); }

CR_TEST_V(cr_attack_change, during_checkpoint_refused)
{
	if (variant->exec)
		change_during_checkpoint(_metadata, ctx, true, variant->at,
					 SLEEP_FLAG, "ran a new program");
	else
		change_during_checkpoint(_metadata, ctx, false, variant->at,
					 "Uid:\t1000", "changed its credentials");
}

/* ---- finding 4: credentials first ----------------------------------------- */

struct restart_prep {
	rlim_t nofile_max;	/* the restarting task's hard fd limit, or 0 */
};

/* restart ctx->img from a task forked (and set up by prep) here */
static long restart_prepped(struct cr_ctx *ctx, const struct restart_prep *prep,
			    int *err)
{
	long ret;
	int fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { HOSTILE_NOFILE_CUR, prep->nofile_max };

		if (prep->nofile_max && setrlimit(RLIMIT_NOFILE, &rl))
			_exit(CR_EXIT_SETUP);
		sys_restart(0, fd, 0, ctx->logfd);
		_exit(CR_EXIT_RESTART_RETURNED);
	}
	ctx->rs_pid = pid;
	ret = sys_restart(pid, fd, 0, ctx->logfd);
	*err = errno;
	close(fd);
	return ret;
}

/* A restart root makes of the user's image: refused, and why */
static void expect_refused_restart(struct __test_metadata *_metadata,
				   struct cr_ctx *ctx,
				   const struct restart_prep *prep,
				   const char *what, const char *msg)
{
	int err, status;
	long ret;

	ftruncate(ctx->logfd, 0);
	lseek(ctx->logfd, 0, SEEK_SET);
	ret = restart_prepped(ctx, prep, &err);
	EXPECT_EQ(-1, ret) {
		TH_LOG("root restored a user's image naming %s", what);
	}
	EXPECT_TRUE(err == EACCES || err == EPERM) {
		TH_LOG("%s: %s, expected EACCES or EPERM", what, strerror(err));
	}
	EXPECT_TRUE(cr_log_has(ctx, msg)) {
		TH_LOG("%s: the log does not say \"%s\"", what, msg);
		cr_dump_logs(_metadata, ctx);
	}
	ASSERT_EQ(0, cr_wait_timeout(ctx->rs_pid, &status, 5000));
	ctx->rs_pid = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		TH_LOG("%s: the restarting task %s instead of being killed",
		       what, WIFEXITED(status) ? "returned" : "died");
	}
}

/*
 * The files of the hostile image's workload, all the user's: the file it
 * opens O_RDWR, the one it maps shared and writable, and its executable
 * (a copy of this binary), whose path is put in @exe.
 */
static void hostile_files(struct __test_metadata *_metadata,
			  struct cr_ctx *ctx, char *exe, size_t size)
{
	char page[4096] = "mapped";
	size_t len;
	void *self;

	ASSERT_EQ(0, cr_write_whole(ctx->data, "secret", 6));
	ASSERT_EQ(0, cr_write_whole(ctx->data2, page, sizeof(page)));
	exe_path(ctx, exe, size);
	self = cr_read_whole("/proc/self/exe", &len);
	ASSERT_NE(NULL, self);
	ASSERT_EQ(0, cr_write_whole(exe, self, len));
	free(self);
	ASSERT_EQ(0, chown(ctx->data, USER_UID, USER_UID));
	ASSERT_EQ(0, chmod(ctx->data, 0600));
	ASSERT_EQ(0, chown(ctx->data2, USER_UID, USER_UID));
	ASSERT_EQ(0, chmod(ctx->data2, 0644));
	ASSERT_EQ(0, chown(exe, USER_UID, USER_UID));
	ASSERT_EQ(0, chmod(exe, 0755));

	cr_spawn(_metadata, ctx, wl_exec_hostile, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);
}

/*
 * Root restarts an image of uid 1000 whose records name a file only
 * root may now open O_RDWR, a writable shared mapping of a root file,
 * an fd hard limit above the restarting task's, and an executable only
 * another user may run: each is refused, with the user's credentials.
 * With the files given back, the same image restarts and runs.
 */
CR_TEST(cr_attack, root_restores_hostile_image)
{
	const struct restart_prep plain = { 0 }, low = { HOSTILE_NOFILE_MAX - 1 };
	char exe[CR_PATH_LEN + 8], msg[CR_PATH_LEN + 32];
	int err;

	hostile_files(_metadata, ctx, exe, sizeof(exe));

	ASSERT_EQ(0, chown(ctx->data, 0, 0));
	snprintf(msg, sizeof(msg), "cannot open %s", ctx->data);
	expect_refused_restart(_metadata, ctx, &plain, "a root-only file", msg);
	ASSERT_EQ(0, chown(ctx->data, USER_UID, USER_UID));

	ASSERT_EQ(0, chown(ctx->data2, 0, 0));
	snprintf(msg, sizeof(msg), "cannot open %s", ctx->data2);
	expect_refused_restart(_metadata, ctx, &plain,
			       "a shared writable mapping of a root file", msg);
	ASSERT_EQ(0, chown(ctx->data2, USER_UID, USER_UID));

	expect_refused_restart(_metadata, ctx, &low,
			       "an fd hard limit above the restarter's",
			       "cannot restore resource limit 7");

	/* the user may read it, not run it */
	ASSERT_EQ(0, chown(exe, OTHER_UID, OTHER_UID));
	ASSERT_EQ(0, chmod(exe, 0744));
	expect_refused_restart(_metadata, ctx, &plain,
			       "another user's executable",
			       "cannot set the executable");
	ASSERT_EQ(0, chown(exe, USER_UID, USER_UID));
	ASSERT_EQ(0, chmod(exe, 0755));

	ASSERT_EQ(0, restart_prepped(ctx, &plain, &err)) {
		TH_LOG("the user's own image: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
	unlink(exe);
}

/*
 * Finding 8. Naming a set-user-id program as one's executable is
 * PR_SET_MM_MAP's privilege: the user may not restart its own image
 * whose executable became set-user-id (EPERM, logged); as a plain
 * program it may.
 */
CR_TEST(cr_attack, setid_exe_needs_privilege)
{
	const struct restart_prep plain = { 0 };
	char exe[CR_PATH_LEN + 8];
	int status, err;
	pid_t u;

	hostile_files(_metadata, ctx, exe, sizeof(exe));
	ASSERT_EQ(0, chmod(ctx->img, 0644));

	ASSERT_EQ(0, chmod(exe, 04755));
	fflush(stdout);
	fflush(stderr);
	u = fork();
	ASSERT_LE(0, u);
	if (u == 0) {
		int st;

		if (become(USER_UID))
			_exit(CR_EXIT_SETUP);
		if (restart_prepped(ctx, &plain, &err) != -1 || err != EPERM)
			_exit(1);
		/* the task had begun: killed */
		if (waitpid(ctx->rs_pid, &st, 0) != ctx->rs_pid ||
		    !WIFSIGNALED(st))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, cr_wait_timeout(u, &status, 30000));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the user restarted its image with a set-user-id executable: %#x",
		       status);
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_TRUE(cr_log_has(ctx, "cannot set the executable"));

	/* a plain program again: the user may */
	ASSERT_EQ(0, chmod(exe, 0755));
	u = fork();
	ASSERT_LE(0, u);
	if (u == 0) {
		int st;

		if (become(USER_UID))
			_exit(CR_EXIT_SETUP);
		if (restart_prepped(ctx, &plain, &err))
			_exit(1);
		if (cr_wait_timeout(ctx->rs_pid, &st, CR_WAIT_MS) ||
		    !WIFEXITED(st) || WEXITSTATUS(st))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, cr_wait_timeout(u, &status, CR_WAIT_MS));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the user's own restart of its image: %#x", status);
		cr_dump_logs(_metadata, ctx);
	}
	unlink(exe);
}

/* ---- a claimed parent ----------------------------------------------------- */

static int wl_chain(struct cr_ctx *ctx, void *arg)
{
	pid_t a, b;

	a = fork();
	if (a == 0) {
		close(ctx->ready_fd);
		b = fork();
		if (b == 0) {
			mark_ready(ctx, 2);
			cr_wl_wait_go(ctx);
			_exit(0);
		}
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		_exit(waitpid(b, NULL, 0) == b ? 0 : 1);
	}
	if (wait_ready(ctx, 1) || wait_ready(ctx, 2))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return waitpid(a, NULL, 0) == a ? 0 : 1;
}

static pid_t clone_pid(pid_t pid)
{
	struct clone_args ca = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};

	return syscall(__NR_clone3, &ca, sizeof(ca));
}

/* Enter restart(0) on fd; exit with what it returned */
static void join_or_exit(int fd)
{
	sys_restart(0, fd, 0, -1);
	_exit(errno == EINVAL ? CR_EXIT_RESTART_RETURNED : 1);
}

/*
 * The image says root P -> A -> B. The tree handed to restart has the
 * right pids, but B is P's child: the coordinator must refuse (EINVAL,
 * naming B and A) before any task is touched, and each task gets the
 * error back.
 */
CR_TEST(cr_attack, claimed_parent)
{
	struct wl_call call = { wl_chain, NULL };
	pid_t p, a, b, root;
	struct cr_image im;
	const struct cr_rec *rec;
	struct ckpt_hdr_tree_task e[3];
	char msg[96];
	int fd, i, status, err;
	long ret;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, sys_checkpoint(ctx->wl_pid, fd, CHECKPOINT_SUBTREE,
				    ctx->logfd));
	close(fd);
	kill_tree(_metadata, ctx);
	clear_ready(ctx);

	ASSERT_EQ(0, cr_image_scan(ctx->img, &im));
	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		rec = cr_image_find(&im, CKPT_HDR_TREE_TASK, i);
		ASSERT_NE(NULL, rec);
		ASSERT_EQ(sizeof(e[i]), pread(fd, &e[i], sizeof(e[i]), rec->off));
	}
	cr_image_free(&im);
	ASSERT_EQ(e[0].pid, e[1].ppid);
	ASSERT_EQ(e[1].pid, e[2].ppid);
	p = e[0].pid;
	a = e[1].pid;
	b = e[2].pid;

	fflush(stdout);
	fflush(stderr);
	root = clone_pid(p);
	ASSERT_LE(0, root);
	if (root == 0) {
		pid_t ka, kb;

		ka = clone_pid(a);
		if (ka == 0)
			join_or_exit(fd);
		kb = clone_pid(b);	/* P's child, not A's */
		if (kb == 0)
			join_or_exit(fd);
		if (ka < 0 || kb < 0)
			_exit(CR_EXIT_SETUP);
		sys_restart(0, fd, 0, -1);
		err = errno;
		if (waitpid(ka, &status, 0) != ka || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != CR_EXIT_RESTART_RETURNED ||
		    waitpid(kb, &status, 0) != kb || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != CR_EXIT_RESTART_RETURNED)
			_exit(2);
		_exit(err == EINVAL ? CR_EXIT_RESTART_RETURNED : 1);
	}
	ctx->rs_pid = root;
	ret = sys_restart(root, fd, 0, ctx->logfd);
	err = errno;
	close(fd);
	EXPECT_EQ(-1, ret) {
		TH_LOG("restarted B under P while the image has it under A");
	}
	EXPECT_EQ(EINVAL, err);
	snprintf(msg, sizeof(msg), "pid %d is not a child of pid %d", b, a);
	EXPECT_TRUE(cr_log_has(ctx, msg)) {
		cr_dump_logs(_metadata, ctx);
	}
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, CR_EXIT_RESTART_RETURNED,
		       "tasks of the refused tree");
	reap_all();
}

/* ---- finding 5: a huge sparse tree ---------------------------------------- */

static long meminfo_kb(const char *key)
{
	char buf[8192], *p;

	if (cr_read_str("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key) + 1, NULL, 10) : -1;
}

static long cg_memory(struct cr_ctx *ctx)
{
	char path[CR_PATH_LEN + 32], buf[64];

	cr_cg_file(ctx, "memory.current", path, sizeof(path));
	if (cr_read_str(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

#define SPARSE_MAX_PID	4194304
#define SPARSE_ENTRIES	20000
#define SPARSE_STEP	192	/* pids apart: a tree index node each */

/*
 * A tree section announcing 4M tasks, of which 20000 with sparse pids
 * arrive before the stream stalls: the kernel memory the coordinator
 * holds follows what arrived (not 160 MB for what was announced) and is
 * charged to its memory cgroup. RESTART_TASKSELF refuses such a header
 * at once.
 */
CR_TEST(cr_attack, huge_sparse_tree)
{
	unsigned char *buf;
	char old_max[32] = "", path[] = "/proc/sys/kernel/pid_max";
	long vm0, vm1, cg0, cg1, ret;
	int feed[2], cpipe[2], status, i;
	size_t n, len;
	pid_t q, c;

	make_image(_metadata, ctx);
	len = 65536 + (size_t)SPARSE_ENTRIES * sizeof(struct ckpt_hdr_tree_task);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	n = image_prologue(_metadata, ctx, buf, 65536);

	/* RESTART_TASKSELF: refused at the header */
	set_nr_tasks(buf, SPARSE_MAX_PID - 1);
	ASSERT_EQ(0, cr_write_whole(ctx->data, buf, n));
	i = open(ctx->data, O_RDONLY);
	ASSERT_LE(0, i);
	ret = sys_restart(0, i, RESTART_TASKSELF, ctx->logfd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, errno);
	close(i);
	EXPECT_TRUE(cr_log_has(ctx, "RESTART_TASKSELF restores one"));

	ASSERT_LT(0, cr_read_str(path, old_max, sizeof(old_max)));
	ASSERT_EQ(0, cr_write_str(path, "4194304"));
	ASSERT_EQ(0, cr_write_str("/sys/fs/cgroup/cgroup.subtree_control",
				  "+memory"));
	cr_cgroup_create(_metadata, ctx);
	ASSERT_EQ(0, pipe(feed));
	ASSERT_EQ(0, pipe(cpipe));
	fflush(stdout);
	fflush(stderr);
	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		close(feed[1]);
		if (cr_cg_write(ctx, "cgroup.procs", "0") || become(USER_UID))
			_exit(CR_EXIT_SETUP);
		c = fork();
		if (c == 0) {
			sys_restart(0, feed[0], 0, ctx->logfd);
			_exit(CR_EXIT_RESTART_RETURNED);
		}
		if (write(cpipe[1], &c, sizeof(c)) != sizeof(c))
			_exit(CR_EXIT_SETUP);
		sys_restart(c, feed[0], 0, ctx->logfd);
		_exit(0);
	}
	ctx->aux_pid = q;
	ASSERT_EQ(sizeof(c), read(cpipe[0], &c, sizeof(c)));
	wait_in_syscall(_metadata, c, __NR_restart);
	wait_in_syscall(_metadata, q, __NR_restart);
	cr_sleep_ms(200);
	vm0 = meminfo_kb("VmallocUsed:");
	cg0 = cg_memory(ctx);

	n += put_tree(buf + n, SPARSE_MAX_PID - 1);
	n += put_entry(buf + n, c, 0, CKPT_TREE_ROOT);
	for (i = 1; i < SPARSE_ENTRIES; i++)
		n += put_entry(buf + n, c + i * SPARSE_STEP, c, 0);
	ASSERT_EQ((ssize_t)n, write(feed[1], buf, n));
	/* all of it read: the coordinator waits for the next entry */
	for (i = 0; i < 500; i++) {
		int queued = 0;

		if (!ioctl(feed[1], FIONREAD, &queued) && !queued)
			break;
		cr_sleep_ms(20);
	}
	cr_sleep_ms(300);
	vm1 = meminfo_kb("VmallocUsed:");
	cg1 = cg_memory(ctx);
	TH_LOG("stalled after %d of %d entries: vmalloc +%ld kB, cgroup +%ld kB",
	       SPARSE_ENTRIES, SPARSE_MAX_PID - 1, vm1 - vm0,
	       (cg1 - cg0) / 1024);
	EXPECT_GT(32 * 1024, vm1 - vm0) {
		TH_LOG("the announced size was allocated up front");
	}
	/* the entries and their pid index (a node each), charged */
	EXPECT_LT(4L << 20, cg1 - cg0) {
		TH_LOG("the tree's memory is not charged to the coordinator (%ld -> %ld)",
		       cg0, cg1);
	}

	close(feed[1]);
	ASSERT_EQ(0, cr_wait_timeout(q, &status, 10000)) {
		cr_dump_logs(_metadata, ctx);
	}
	ctx->aux_pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_write_str(path, old_max);
	free(buf);
	reap_all();
}

/* ---- finding 9: the log is a full pipe ------------------------------------ */

/* SysV shared memory, attached (not saved yet) */
static int wl_sysv_shm_attached(struct cr_ctx *ctx, void *arg)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	void *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);

	/* removed at once: it goes when the workload does */
	if (p == (void *)-1 || shmctl(id, IPC_RMID, NULL))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/*
 * The checkpoint of an unsupported mapping logs its refusal to a pipe
 * nobody reads: it blocks, but not with the target's mmap lock held, so
 * a writer of that mm (clear_refs) goes through meanwhile.
 */
CR_TEST(cr_attack, log_pipe_full)
{
	struct stalled_ckpt s = { 0 };
	char buf[65536], path[64];
	pthread_t th;
	int p[2], fd, img, i;
	pid_t w;

	cr_spawn(_metadata, ctx, wl_sysv_shm_attached, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ASSERT_EQ(0, pipe(p));
	fill_pipe(p[1]);
	img = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, img);
	s.pid = ctx->wl_pid;
	s.fd = img;
	s.logfd = p[1];
	ASSERT_EQ(0, pthread_create(&th, NULL, stalled_ckpt_thread, &s));
	for (i = 0; i < 1000 && !s.tid; i++)
		cr_sleep_ms(5);
	wait_in_syscall(_metadata, s.tid, __NR_checkpoint);

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", ctx->wl_pid);
	fflush(stdout);
	fflush(stderr);
	w = fork();
	if (w == 0) {
		fd = open(path, O_WRONLY);
		_exit(fd >= 0 && write(fd, "4", 1) == 1 ? 0 : 1);
	}
	ASSERT_LT(0, w);
	EXPECT_EQ(0, cr_wait_timeout(w, &i, 5000)) {
		TH_LOG("the target's mm stayed locked while the log was full");
		kill(w, SIGKILL);
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 6000 && !s.done; i++)
		if (read(p[0], buf, sizeof(buf)) <= 0)
			cr_sleep_ms(10);
	pthread_join(th, NULL);
	EXPECT_EQ(-1, s.ret);
	EXPECT_EQ(EBUSY, s.err);
	close(p[0]);
	close(p[1]);
	close(img);
	reap_all();
}

TEST_HARNESS_MAIN
