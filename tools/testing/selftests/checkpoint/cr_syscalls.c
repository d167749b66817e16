// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks frozen inside a blocking system call: after restart the call
 * goes on and returns what it would have returned, never -ERESTART*
 * or a spurious EINTR: a read() on a pipe fed only after the restart,
 * and a nanosleep() that still sleeps the time it was asked for.
 */
#include "cr_util.h"
#include "cr_tree.h"

#define MSG	"fed-after-restart"

/* CLOCK_MONOTONIC in ns */
static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* arg: the test's read end of a pipe; it becomes the workload's stdin */
static int wl_read_pipe(struct cr_ctx *ctx, void *arg)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getppid(), *(int *)arg);
	fd = open(path, O_RDONLY);
	if (fd < 0 || dup2(fd, 0) != 0)
		return CR_EXIT_SETUP;
	close(fd);
	cr_wl_ready(ctx);

	memset(buf, 0, sizeof(buf));
	n = read(0, buf, sizeof(buf) - 1);
	if (n < 0)
		return CR_WL_FAIL(1, "read: %s (errno %d)", strerror(errno),
				  errno);
	if (n != strlen(MSG) || strcmp(buf, MSG))
		return CR_WL_FAIL(2, "read %zd bytes \"%s\", expected \"%s\"", n,
				  buf, MSG);
	n = read(0, buf, sizeof(buf));
	if (n != 0)
		return CR_WL_FAIL(3, "second read returned %zd, expected EOF", n);
	return 0;
}

CR_FIXTURE(cr_syscalls);

/*
 * A task blocked in read() on its stdin, a pipe: it is restarted with
 * another pipe as stdin (standard streams come from the restarter) and
 * reads what is written there after the restart.
 */
CR_TEST(cr_syscalls, blocked_read_reissued)
{
	int old[2], p[2], saved_stdin;

	ASSERT_EQ(0, pipe2(old, O_CLOEXEC));
	cr_spawn(_metadata, ctx, wl_read_pipe, &old[0]);
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_read);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	close(old[0]);
	close(old[1]);

	/* the restarting task inherits the new pipe as its stdin */
	ASSERT_EQ(0, pipe(p));
	saved_stdin = dup(0);
	ASSERT_LE(0, saved_stdin);
	ASSERT_EQ(0, dup2(p[0], 0));
	cr_restart_file(_metadata, ctx);
	ASSERT_EQ(0, dup2(saved_stdin, 0));
	close(saved_stdin);
	close(p[0]);

	/* still blocked in read(): it was not woken with an error */
	wait_in_syscall(_metadata, ctx->rs_pid, SYS_read);
	ASSERT_EQ((ssize_t)strlen(MSG), write(p[1], MSG, strlen(MSG)));
	close(p[1]);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

#define SLEEP_NS	3000000000LL	/* the workload asks for 3 s */

static int wl_nanosleep(struct cr_ctx *ctx, void *arg)
{
	struct timespec req = { SLEEP_NS / 1000000000LL, SLEEP_NS % 1000000000LL };
	struct timespec rem;
	int64_t t0, t1, slept_before;
	long long ckpt, restart;
	char buf[64];
	int ret;

	t0 = mono_ns();
	cr_wl_ready(ctx);
	ret = nanosleep(&req, &rem);
	t1 = mono_ns();
	if (ret)
		return CR_WL_FAIL(1, "nanosleep: %s (errno %d)", strerror(errno),
				  errno);
	/*
	 * The test wrote when the checkpoint was taken and when the restart
	 * began; the time in between is not the program's. It slept at
	 * least what it asked for.
	 */
	if (cr_read_str(ctx->data, buf, sizeof(buf)) <= 0)
		return CR_WL_FAIL(3, "no times from the test in %s", ctx->data);
	if (sscanf(buf, "%lld %lld", &ckpt, &restart) != 2)
		return CR_WL_FAIL(3, "bad times \"%s\"", buf);
	slept_before = ckpt - t0;
	if (slept_before + (t1 - restart) < SLEEP_NS)
		return CR_WL_FAIL(4, "slept %lld ms before the checkpoint and %lld ms after the restart: less than %lld ms",
				  (long long)slept_before / 1000000,
				  (long long)(t1 - restart) / 1000000,
				  SLEEP_NS / 1000000);
	return 0;
}

/*
 * A task in nanosleep() when it is frozen: after restart the sleep goes
 * on (no EINTR, no -ERESTART_RESTARTBLOCK leaking out) and it lasts at
 * least what was asked for.
 */
CR_TEST(cr_syscalls, nanosleep_goes_on)
{
	char buf[64];
	int64_t ckpt;

	cr_spawn(_metadata, ctx, wl_nanosleep, NULL);
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_clock_nanosleep);
	cr_sleep_ms(500);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	ckpt = mono_ns();
	cr_kill_original(_metadata, ctx);
	snprintf(buf, sizeof(buf), "%lld %lld\n", (long long)ckpt,
		 (long long)mono_ns());
	ASSERT_EQ(0, cr_write_whole(ctx->data, buf, strlen(buf)));
	cr_restart_file(_metadata, ctx);
	wait_in_syscall(_metadata, ctx->rs_pid, SYS_clock_nanosleep);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

TEST_HARNESS_MAIN
