/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cr_util.h - helpers shared by the checkpoint/restart selftests.
 *
 * Every test binary is built from one .c file, so this header is
 * self-contained and everything in it is static inline.
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

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <pthread.h>
#include <linux/sched.h>

#include <linux/checkpoint.h>
#include <linux/checkpoint_hdr.h>

/* the image reader of the tools (user/cr_img.h) */
#include "cr_img.h"

#include "kselftest_harness.h"

#if !defined(__x86_64__)
#error "the checkpoint/restart selftests are x86_64 only"
#endif
/* In the patched kernel's <asm/unistd_64.h>, not yet in the C library's */
#ifndef __NR_checkpoint
#define __NR_checkpoint		451
#endif
#ifndef __NR_restart
#define __NR_restart		452
#endif

/* ---- tunables --------------------------------------------------------- */

#define CR_TEST_TIMEOUT		120	/* harness timeout of every test, s */
#define CR_GO_POLL_NS		10000000L	/* 10 ms between polls */
#define CR_GO_POLLS		6000	/* a workload waits 60 s at most */
#define CR_WAIT_MS		60000	/* the test waits that long for an exit */
#define CR_FREEZE_MS		10000	/* and that long for (un)freezing */

/* Where the freezers are; the environment variables of the same names
 * override them (e.g. CR_CGROUP2_ROOT=/sys/fs/cgroup/unified). */
#define CR_CGROUP2_ROOT		"/sys/fs/cgroup"
#define CR_FREEZER_V1_ROOT	"/run/freezer"

/*
 * Exit codes. A workload exits 0 when all its checks pass and with a
 * small distinct code (1..63) for each failed check; codes from 64 up
 * are reserved for the machinery.
 */
#define CR_EXIT_GO_TIMEOUT	64	/* never saw the go file */
#define CR_EXIT_SETUP		65	/* workload could not set itself up */
#define CR_EXIT_RESTART_RETURNED 66	/* restart(0) returned in the child */
#define CR_EXIT_SELF_ORIGINAL	70	/* self-checkpoint: the original */
#define CR_EXIT_HELPER_FAILED	71	/* helper child: its call failed */

/* Highest fd a workload may use; the ready pipe sits just above. */
#define CR_READY_FD		99

/* ---- system calls ----------------------------------------------------- */

static inline long sys_checkpoint(pid_t pid, int fd, unsigned long flags,
				  int logfd)
{
	return syscall(__NR_checkpoint, pid, fd, flags, logfd);
}

static inline long sys_restart(pid_t pid, int fd, unsigned long flags,
			       int logfd)
{
	return syscall(__NR_restart, pid, fd, flags, logfd);
}

/* ---- context ---------------------------------------------------------- */

enum cr_freezer {
	CR_FREEZER_V2 = 0,	/* cgroup v2 cgroup.freeze */
	CR_FREEZER_V1,		/* cgroup v1 freezer at CR_FREEZER_V1_ROOT */
};

#define CR_PATH_LEN	256

struct cr_ctx {
	bool inited;
	char name[128];			/* "<fixture>-<test>" */
	char img[CR_PATH_LEN];		/* image file */
	char log[CR_PATH_LEN];		/* checkpoint/restart log (logfd) */
	char wlog[CR_PATH_LEN];		/* the workload's stderr */
	char go[CR_PATH_LEN];		/* go marker */
	char data[CR_PATH_LEN];		/* scratch file for the test */
	char data2[CR_PATH_LEN];	/* another one */
	char cg[CR_PATH_LEN];		/* freezer cgroup directory */
	enum cr_freezer freezer;
	bool cg_made;
	int logfd;
	int ready_fd;			/* workload side of the ready pipe */
	pid_t wl_pid;			/* workload (original); 0 once reaped */
	pid_t rs_pid;			/* restarting/restored task */
	pid_t aux_pid;			/* any other helper child */
	long ckpt_id;			/* last id checkpoint() returned */
	unsigned long spawn_flags;	/* clone flags of the workload, e.g.
					 * CLONE_NEWPID for a container */
	bool restart_in_thread;		/* fork the restarting task from a
					 * thread, so its TLS (FS base) differs
					 * from the workload's */
};

typedef int (*cr_workload_fn)(struct cr_ctx *ctx, void *arg);

/* ---- small utilities --------------------------------------------------- */

static inline void cr_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Make the compiler forget what it knows about memory reachable from p. */
static inline void cr_barrier(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

static inline uint64_t cr_xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Fill buf with a pseudo-random pattern derived from seed. */
static inline void cr_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1, w;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = cr_xorshift64(&s);
		memcpy(p + i, &w, 8);
	}
	if (i < len) {
		w = cr_xorshift64(&s);
		memcpy(p + i, &w, len - i);
	}
}

/* Offset of the first byte that differs from cr_fill()'s pattern, or -1. */
static inline ssize_t cr_check_fill(const void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1, w;
	const unsigned char *p = buf;
	size_t i, j;

	for (i = 0; i < len; i += 8) {
		w = cr_xorshift64(&s);
		for (j = 0; j < 8 && i + j < len; j++)
			if (p[i + j] != (unsigned char)(w >> (8 * j)))
				return i + j;
	}
	return -1;
}

/* 64-bit FNV-1a over 8-byte words (len is rounded down to 8). */
static inline uint64_t cr_checksum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Offset of the first non-zero byte, or -1. */
static inline ssize_t cr_check_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}

static inline int cr_write_str(const char *path, const char *s)
{
	ssize_t len = strlen(s), n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

/* Read up to size - 1 bytes of path into buf, NUL-terminated. */
static inline ssize_t cr_read_str(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			buf[total] = 0;
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = 0;
	close(fd);
	return total;
}

static inline int cr_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly @len bytes from @fd (a pipe, a socket); 0 or -1 */
static inline int cr_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Move fd @fd (-1: a call that failed) to number @to; 0 or -1 */
static inline int cr_move_fd(int fd, int to)
{
	if (fd < 0)
		return -1;
	if (fd == to)
		return 0;
	if (dup2(fd, to) != to)
		return -1;
	close(fd);
	return 0;
}

/* Whole file in a malloc()ed buffer; NULL on error. */
static inline void *cr_read_whole(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		n = pread(fd, buf + got, st.st_size - got, got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = 0;
	*lenp = got;
	return buf;
}

static inline int cr_write_whole(const char *path, const void *buf, size_t len)
{
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ret = cr_write_all(fd, buf, len);
	if (close(fd) < 0)
		ret = -1;
	return ret;
}

static inline off_t cr_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : st.st_size;
}

/* Does text contain the decimal number n, not as part of a longer number? */
static inline bool cr_text_has_number(const char *text, long n)
{
	char num[32];
	const char *p = text;
	size_t len;

	len = snprintf(num, sizeof(num), "%ld", n);
	while ((p = strstr(p, num))) {
		bool before = p > text && p[-1] >= '0' && p[-1] <= '9';
		bool after = p[len] >= '0' && p[len] <= '9';

		if (!before && !after)
			return true;
		p++;
	}
	return false;
}

static inline const char *cr_exit_code_str(int code)
{
	switch (code) {
	case 0:
		return "success";
	case CR_EXIT_GO_TIMEOUT:
		return "workload timed out waiting for the go file";
	case CR_EXIT_SETUP:
		return "workload setup failed";
	case CR_EXIT_RESTART_RETURNED:
		return "restart(0) returned in the restarting task";
	case CR_EXIT_SELF_ORIGINAL:
		return "self-checkpoint original";
	case CR_EXIT_HELPER_FAILED:
		return "helper call failed";
	default:
		return code < 64 ? "workload check failed (see its stderr)" :
				   "unknown";
	}
}

static inline void cr_status_str(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with %d (%s)", WEXITSTATUS(status),
			 cr_exit_code_str(WEXITSTATUS(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "status 0x%x", status);
}

/*
 * waitpid() with a deadline. Returns 0 with *status set, or -ETIMEDOUT
 * after killing and reaping the task, or -errno.
 */
static inline int cr_wait_timeout(pid_t pid, int *status, long ms)
{
	long waited;
	pid_t r;

	for (waited = 0; ; waited += 10) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= ms)
			break;
		cr_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
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

/* ---- setup and teardown ------------------------------------------------ */

static inline void cr_unlink_files(struct cr_ctx *ctx)
{
	unlink(ctx->img);
	unlink(ctx->log);
	unlink(ctx->wlog);
	unlink(ctx->go);
	unlink(ctx->data);
	unlink(ctx->data2);
}

/* Paths and the log file; no check of the kernel. */
/* The files of a test named ctx->name (also an exec'd workload's) */
static inline void cr_ctx_paths(struct cr_ctx *ctx)
{
#define CR_PATH(field, suffix) \
	snprintf(ctx->field, sizeof(ctx->field), "/tmp/cr-%s.%s", \
		 ctx->name, suffix)
	CR_PATH(img, "img");
	CR_PATH(log, "log");
	CR_PATH(wlog, "wlog");
	CR_PATH(go, "go");
	CR_PATH(data, "data");
	CR_PATH(data2, "data2");
#undef CR_PATH
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

static inline const char *cr_freezer_root(enum cr_freezer f);
static inline bool cr_freezer_v1_available(void);

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

static inline void cr_thaw_quiet(struct cr_ctx *ctx);
static inline void cr_cgroup_destroy(struct cr_ctx *ctx);

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
 * CR_FIXTURE(fx) declares fixture fx whose data is a struct cr_ctx;
 * CR_TEST(fx, name) { ... } defines a test in it, with the suite's
 * timeout, whose body sees `ctx` (and _metadata) and does not run when
 * the setup skipped.
 */
#define CR_FIXTURE(fx) \
	FIXTURE(fx) { struct cr_ctx ctx; }; \
	FIXTURE_SETUP(fx) { cr_setup(_metadata, &self->ctx); } \
	FIXTURE_TEARDOWN(fx) { cr_teardown(_metadata, &self->ctx); }

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

/* ---- freezer ----------------------------------------------------------- */

static inline const char *cr_freezer_root(enum cr_freezer f)
{
	const char *env = getenv(f == CR_FREEZER_V2 ? "CR_CGROUP2_ROOT" :
				 "CR_FREEZER_V1_ROOT");

	if (env && *env)
		return env;
	return f == CR_FREEZER_V2 ? CR_CGROUP2_ROOT : CR_FREEZER_V1_ROOT;
}

/* Is the cgroup v1 freezer hierarchy mounted where we expect it? */
static inline bool cr_freezer_v1_available(void)
{
	const char *root = cr_freezer_root(CR_FREEZER_V1);
	char buf[16384], *line, *save = NULL;
	char dev[256], dir[256], type[64], opts[1024], *o, *osave;

	if (cr_read_str("/proc/self/mounts", buf, sizeof(buf)) <= 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %255s %63s %1023s",
			   dev, dir, type, opts) != 4)
			continue;
		if (strcmp(dir, root) || strcmp(type, "cgroup"))
			continue;
		osave = NULL;
		for (o = strtok_r(opts, ",", &osave); o;
		     o = strtok_r(NULL, ",", &osave))
			if (!strcmp(o, "freezer"))
				return true;
	}
	return false;
}

static inline int cr_cg_file(const struct cr_ctx *ctx, const char *file,
			     char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", ctx->cg, file) >= (int)size ?
		-ENAMETOOLONG : 0;
}

static inline int cr_cg_write(const struct cr_ctx *ctx, const char *file,
			      const char *val)
{
	char path[CR_PATH_LEN + 32];

	cr_cg_file(ctx, file, path, sizeof(path));
	return cr_write_str(path, val);
}

/* Poll until the cgroup reports the wanted state; 0 or -ETIMEDOUT. */
static inline int cr_cg_wait_state(const struct cr_ctx *ctx, bool frozen)
{
	char path[CR_PATH_LEN + 32], buf[512];
	long waited;

	cr_cg_file(ctx, ctx->freezer == CR_FREEZER_V2 ? "cgroup.events" :
		   "freezer.state", path, sizeof(path));
	for (waited = 0; waited <= CR_FREEZE_MS; waited += 10) {
		ssize_t n = cr_read_str(path, buf, sizeof(buf));

		if (n < 0)
			return n;
		if (ctx->freezer == CR_FREEZER_V2) {
			if (strstr(buf, frozen ? "frozen 1" : "frozen 0"))
				return 0;
		} else {
			if (!strncmp(buf, frozen ? "FROZEN" : "THAWED", 6))
				return 0;
		}
		cr_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

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

static inline int cr_thaw_ret(struct cr_ctx *ctx)
{
	int ret;

	if (!ctx->cg_made)
		return 0;
	ret = cr_cg_write(ctx, ctx->freezer == CR_FREEZER_V2 ?
			  "cgroup.freeze" : "freezer.state",
			  ctx->freezer == CR_FREEZER_V2 ? "0" : "THAWED");
	if (ret)
		return ret;
	return cr_cg_wait_state(ctx, false);
}

static inline void cr_thaw_quiet(struct cr_ctx *ctx)
{
	cr_thaw_ret(ctx);
}

static inline void cr_thaw(struct __test_metadata *_metadata,
			   struct cr_ctx *ctx)
{
	int ret = cr_thaw_ret(ctx);

	ASSERT_EQ(0, ret) {
		TH_LOG("cannot thaw %s: %s", ctx->cg, strerror(-ret));
	}
}

static inline void cr_cgroup_destroy(struct cr_ctx *ctx)
{
	char path[CR_PATH_LEN + 32], buf[4096], *p, *end;
	int i;

	cr_thaw_quiet(ctx);
	for (i = 0; i < 200; i++) {
		if (!rmdir(ctx->cg) || errno == ENOENT)
			break;
		/* Kill whatever is left in it (only our own tasks can be). */
		cr_cg_file(ctx, ctx->freezer == CR_FREEZER_V2 ?
			   "cgroup.procs" : "tasks", path, sizeof(path));
		if (cr_read_str(path, buf, sizeof(buf)) > 0) {
			for (p = buf; *p; p = end) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				if (pid > 0)
					kill(pid, SIGKILL);
			}
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		cr_sleep_ms(10);
	}
	ctx->cg_made = false;
}

/* ---- the workload side ------------------------------------------------- */

/* Unmap every shared mapping (the harness has one; C/R refuses them). */
static inline void cr_wl_drop_shared_mappings(void)
{
	static char maps[65536];
	char *line, *save = NULL;
	unsigned long start, end;
	char perms[8];

	if (cr_read_str("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3)
			continue;
		if (perms[3] == 's')
			munmap((void *)start, end - start);
	}
}

/*
 * Runs in the workload right after fork(): keep only the ready pipe
 * (moved to CR_READY_FD), make stdin/stdout /dev/null and stderr the
 * append-only file ctx->wlog, drop shared mappings.
 */
static inline void cr_wl_init(struct cr_ctx *ctx, int ready_w)
{
	int fd;

	if (ready_w != CR_READY_FD) {
		if (dup2(ready_w, CR_READY_FD) < 0)
			_exit(CR_EXIT_SETUP);
	}
	close_range(3, CR_READY_FD - 1, 0);
	close_range(CR_READY_FD + 1, ~0U, 0);
	ctx->ready_fd = CR_READY_FD;
	ctx->logfd = -1;

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(CR_EXIT_SETUP);
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(CR_EXIT_SETUP);
	close(fd);
	/*
	 * Workloads may take other ids, and restart reopens their files
	 * with those: anyone may write the workload's stderr.
	 */
	fd = open(ctx->wlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || fchmod(fd, 0666) || dup2(fd, 2) < 0)
		_exit(CR_EXIT_SETUP);
	close(fd);

	cr_wl_drop_shared_mappings();
}

/* Tell the test the workload is ready: one byte, then EOF. */
static inline void cr_wl_ready(struct cr_ctx *ctx)
{
	if (ctx->ready_fd < 0)
		return;
	if (write(ctx->ready_fd, "R", 1) != 1)
		_exit(CR_EXIT_SETUP);
	close(ctx->ready_fd);
	ctx->ready_fd = -1;
}

/* Wait for the go file; exits with CR_EXIT_GO_TIMEOUT when it never comes. */
static inline void cr_wl_wait_go(struct cr_ctx *ctx)
{
	struct timespec ts;
	int i;

	for (i = 0; i < CR_GO_POLLS; i++) {
		if (access(ctx->go, F_OK) == 0)
			return;
		ts.tv_sec = 0;
		ts.tv_nsec = CR_GO_POLL_NS;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "%s: timed out waiting for %s\n", ctx->name, ctx->go);
	_exit(CR_EXIT_GO_TIMEOUT);
}

/* Wait (on a futex) until the int at @w is set, by another task */
static inline void cr_futex_wait_set(int *w)
{
	while (!__atomic_load_n(w, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, w, FUTEX_WAIT, 0, NULL, NULL, 0);
}

/* Set the int at @w and wake one waiter of cr_futex_wait_set() */
static inline void cr_futex_set_wake(int *w)
{
	__atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Report a failed check on the workload's stderr and return its code. */
#define CR_WL_FAIL(code, fmt, ...) ({ \
	fprintf(stderr, "workload check %d failed: " fmt "\n", \
		(code), ##__VA_ARGS__); \
	(code); \
})

/* ---- the test side ----------------------------------------------------- */

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

/* Validated image: what the tests need to know about it. */
struct cr_rec {
	uint32_t type;
	uint32_t len;
	uint64_t off;
	uint32_t nr_pages;		/* CKPT_HDR_PAGES */
};

struct cr_image {
	uint64_t size;
	struct ckpt_hdr_header hdr;
	struct cr_rec *recs;
	unsigned int nr_recs;
	char err[CR_PATH_LEN + 256];
};

static inline void cr_image_free(struct cr_image *im)
{
	free(im->recs);
	im->recs = NULL;
	im->nr_recs = 0;
}

/* Offset of the n-th (from 0) record of a type, or -1. */
static inline const struct cr_rec *cr_image_find(const struct cr_image *im,
						 uint32_t type, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < im->nr_recs; i++)
		if (im->recs[i].type == type && n-- == 0)
			return &im->recs[i];
	return NULL;
}

/* First PAGES record that carries pages. */
static inline const struct cr_rec *cr_image_pages(const struct cr_image *im)
{
	unsigned int i;

	for (i = 0; i < im->nr_recs; i++)
		if (im->recs[i].type == CKPT_HDR_PAGES && im->recs[i].nr_pages)
			return &im->recs[i];
	return NULL;
}

#define CR_IMG_ERR(im, fmt, ...) ({ \
	snprintf((im)->err, sizeof((im)->err), fmt, ##__VA_ARGS__); \
	-1; \
})

/*
 * Walk the records of an image file and check the framing the format
 * promises: HEADER first (magic, version, arch, page size), HEADER_ARCH
 * second, every length within [8, CKPT_RECORD_MAX] and inside the file,
 * no ERROR record, TAIL last with its magic and the record count.
 * Returns 0, or -1 with im->err set.
 */
static inline int cr_image_scan(const char *path, struct cr_image *im)
{
	const struct ckpt_hdr_tail *tail;
	unsigned int cap = 0;
	struct cr_img rd;
	struct stat st;
	int fd, ret = -1, got;

	memset(im, 0, sizeof(*im));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CR_IMG_ERR(im, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || cr_img_open(&rd, fd)) {
		CR_IMG_ERR(im, "fstat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	im->size = st.st_size;
	/* the framing: cr_img.h, the tools' reader */
	while ((got = cr_img_next(&rd)) > 0) {
		const struct ckpt_hdr *h = rd.h;
		struct cr_rec *r;

		if (im->nr_recs == cap) {
			cap = cap ? 2 * cap : 256;
			r = realloc(im->recs, cap * sizeof(*r));
			if (!r) {
				CR_IMG_ERR(im, "out of memory");
				goto out;
			}
			im->recs = r;
		}
		r = &im->recs[im->nr_recs];
		r->type = h->type;
		r->len = h->len;
		r->off = rd.off;
		r->nr_pages = 0;

		if (im->nr_recs == 0) {
			memcpy(&im->hdr, h, sizeof(im->hdr));
			if (im->hdr.magic != CKPT_MAGIC ||
			    im->hdr.version != CKPT_VERSION ||
			    im->hdr.arch != CKPT_ARCH_X86_64 ||
			    im->hdr.page_size != (uint32_t)getpagesize()) {
				CR_IMG_ERR(im, "HEADER: magic %#llx version %u arch %u page_size %u",
					   (unsigned long long)im->hdr.magic,
					   im->hdr.version, im->hdr.arch,
					   im->hdr.page_size);
				goto out;
			}
		} else if (im->nr_recs == 1 && h->type != CKPT_HDR_HEADER_ARCH) {
			CR_IMG_ERR(im, "second record is type %u, not HEADER_ARCH",
				   h->type);
			goto out;
		}
		if (h->type == CKPT_HDR_ERROR) {
			CR_IMG_ERR(im, "ERROR record at %llu",
				   (unsigned long long)rd.off);
			goto out;
		}
		if (h->type == CKPT_HDR_PAGES)
			r->nr_pages = ((const struct ckpt_hdr_pages *)h)->nr_pages;
		im->nr_recs++;
		if (h->type != CKPT_HDR_TAIL)
			continue;
		tail = (const void *)h;
		if (tail->magic != CKPT_TAIL_MAGIC) {
			CR_IMG_ERR(im, "TAIL magic %#llx",
				   (unsigned long long)tail->magic);
			goto out;
		}
		if (tail->nr_records != im->nr_recs - 1) {
			CR_IMG_ERR(im, "TAIL says %llu records, counted %u",
				   (unsigned long long)tail->nr_records,
				   im->nr_recs - 1);
			goto out;
		}
	}
	if (got < 0) {
		CR_IMG_ERR(im, "record %u: %s image at offset %llu: %s",
			   im->nr_recs, rd.what,
			   (unsigned long long)rd.err_off, rd.err);
		goto out;
	}
	ret = 0;
out:
	cr_img_close(&rd);
	close(fd);
	return ret;
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

/*
 * Run a tool (argv[0] its path) with its standard output and error in
 * the file @out: its wait status, or -1 when it did not finish in time
 */
static inline int cr_run_tool(const char *out, char *const argv[])
{
	int fd, status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || cr_wait_timeout(pid, &status, CR_WAIT_MS))
		return -1;
	return status;
}

/* Did a tool exit with @code, having printed @said (cr_run_tool())? */
static inline bool cr_tool_said(int status, int code, const char *out,
				const char *said)
{
	size_t len;
	char *text = cr_read_whole(out, &len);
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == code &&
		  text && strstr(text, said);

	if (!ok)
		fprintf(stderr, "# status %#x, expected exit %d and \"%s\"; the tool printed: %s\n",
			status, code, said, text ? text : "(nothing)");
	free(text);
	return ok;
}

/* Does the c/r log (ctx->log) have @what in it? */
static inline bool cr_log_has(struct cr_ctx *ctx, const char *what)
{
	size_t len;
	char *log = cr_read_whole(ctx->log, &len);
	bool found = log && strstr(log, what);

	free(log);
	return found;
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

/*
 * Restart from fd: fork the task to restore (it calls restart(0, fd)
 * and, on success, never returns from it) and coordinate with
 * restart(child, fd). Returns restart()'s result, errno in *err; the
 * child is ctx->rs_pid.
 */
static inline long cr_restart_fd(struct cr_ctx *ctx, int fd,
				 unsigned long flags, int *err);

struct cr_restart_args {
	struct cr_ctx *ctx;
	int fd;
	unsigned long flags;
	int err;
	long ret;
};

static inline void *cr_restart_thread(void *p)
{
	struct cr_restart_args *a = p;

	a->ctx->restart_in_thread = false;
	a->ret = cr_restart_fd(a->ctx, a->fd, a->flags, &a->err);
	a->ctx->restart_in_thread = true;
	return NULL;
}

static inline long cr_restart_fd(struct cr_ctx *ctx, int fd,
				 unsigned long flags, int *err)
{
	long ret;
	pid_t pid;

	if (ctx->restart_in_thread) {
		struct cr_restart_args a = { ctx, fd, flags, 0, -1 };
		pthread_t th;

		if (pthread_create(&th, NULL, cr_restart_thread, &a)) {
			*err = EAGAIN;
			return -1;
		}
		pthread_join(th, NULL);
		*err = a.err;
		return a.ret;
	}

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		*err = errno;
		return -1;
	}
	if (pid == 0) {
		sys_restart(0, fd, flags, ctx->logfd);
		_exit(CR_EXIT_RESTART_RETURNED);
	}
	ctx->rs_pid = pid;
	ret = sys_restart(pid, fd, flags, ctx->logfd);
	*err = errno;
	return ret;
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

/* ---- /proc/self/maps --------------------------------------------------- */

struct cr_map {
	unsigned long start, end, offset;
	char perms[8];
	char path[CR_PATH_LEN];
};

/* Find the mapping containing addr in /proc/self/maps; 0 or -1. */
static inline int cr_maps_lookup(const void *addr, struct cr_map *m)
{
	static char maps[65536];
	unsigned long a = (unsigned long)addr;
	char *line, *save = NULL;
	int n;

	if (cr_read_str("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return -1;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		m->path[0] = 0;
		n = sscanf(line, "%lx-%lx %7s %lx %*s %*u %255[^\n]",
			   &m->start, &m->end, m->perms, &m->offset, m->path);
		if (n < 4)
			continue;
		if (a >= m->start && a < m->end)
			return 0;
	}
	return -1;
}

#endif /* CR_UTIL_H */
