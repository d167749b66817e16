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
#define SLEEP_BEFORE_NS	1000000000LL	/* and is frozen 1 s later */
#define SLEEP_SLACK_NS	500000000LL	/* what a checkpoint and restart may add */

static int wl_nanosleep(struct cr_ctx *ctx, void *arg)
{
	struct timespec req = { SLEEP_NS / 1000000000LL, SLEEP_NS % 1000000000LL };
	int64_t t0, own, slack;
	long long away, rounds;
	struct timespec rem;
	char buf[64];
	int ret;

	t0 = mono_ns();
	cr_wl_ready(ctx);
	ret = nanosleep(&req, &rem);
	own = mono_ns() - t0;
	if (ret)
		return CR_WL_FAIL(1, "nanosleep: %s (errno %d)", strerror(errno),
				  errno);
	/*
	 * The test wrote how long the task was away, from the end of each
	 * checkpoint to the start of the restart after it (less than it
	 * really was away), and how many times.
	 */
	if (cr_read_str(ctx->data, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%lld %lld", &away, &rounds) != 2)
		return CR_WL_FAIL(2, "no times from the test in %s", ctx->data);
	own -= away;
	slack = rounds * SLEEP_SLACK_NS;
	if (own < SLEEP_NS)
		return CR_WL_FAIL(3, "slept %lld ms of its own time, less than the %lld ms it asked for",
				  (long long)own / 1000000, SLEEP_NS / 1000000);
	if (own > SLEEP_NS + slack)
		return CR_WL_FAIL(4, "slept %lld ms of its own time for %lld ms asked: it started over after %lld restart(s)",
				  (long long)own / 1000000, SLEEP_NS / 1000000,
				  rounds);
	return 0;
}

/* Checkpoint the sleeping task, kill it, restart it; add to *away */
static void sleep_round(struct __test_metadata *_metadata, struct cr_ctx *ctx,
			int64_t *away, int round)
{
	char buf[64];
	int64_t ckpt;

	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	ckpt = mono_ns();
	cr_kill_original(_metadata, ctx);
	*away += mono_ns() - ckpt;
	snprintf(buf, sizeof(buf), "%lld %d\n", (long long)*away, round);
	ASSERT_EQ(0, cr_write_whole(ctx->data, buf, strlen(buf)));
	cr_restart_file(_metadata, ctx);
}

/* Start fn sleeping, checkpoint it 1 s into its sleep, restart it */
static void sleeper_cycle(struct __test_metadata *_metadata,
			  struct cr_ctx *ctx, cr_workload_fn fn, int64_t *away)
{
	cr_spawn(_metadata, ctx, fn, NULL);
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_clock_nanosleep);
	cr_sleep_ms(SLEEP_BEFORE_NS / 1000000);
	sleep_round(_metadata, ctx, away, 1);
}

/*
 * A task in nanosleep() when it is frozen: after restart the sleep goes
 * on (no EINTR, no -ERESTART_RESTARTBLOCK leaking out) for the time it
 * had left: in all, the time it is not away sleeping is what it asked
 * for, not less and not its whole request again.
 */
CR_TEST(cr_syscalls, nanosleep_goes_on)
{
	int64_t away = 0;

	sleeper_cycle(_metadata, ctx, wl_nanosleep, &away);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/* The same sleep checkpointed again while it goes on after a restart */
CR_TEST(cr_syscalls, nanosleep_restarted_twice)
{
	int64_t away = 0;

	sleeper_cycle(_metadata, ctx, wl_nanosleep, &away);
	ctx->wl_pid = ctx->rs_pid;
	ctx->rs_pid = 0;
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_restart_syscall);
	cr_sleep_ms(SLEEP_BEFORE_NS / 1000000);
	sleep_round(_metadata, ctx, &away, 2);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

static void on_usr1(int sig)
{
}

/* Like wl_nanosleep, but a signal with a handler cuts the sleep short */
static int wl_nanosleep_eintr(struct cr_ctx *ctx, void *arg)
{
	struct timespec req = { SLEEP_NS / 1000000000LL, SLEEP_NS % 1000000000LL };
	struct sigaction sa = { .sa_handler = on_usr1 };
	int64_t t0, own, left;
	long long away, rounds;
	struct timespec rem;
	char buf[64];
	int ret;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return CR_EXIT_SETUP;
	t0 = mono_ns();
	cr_wl_ready(ctx);
	ret = nanosleep(&req, &rem);
	own = mono_ns() - t0;
	if (ret != -1 || errno != EINTR)
		return CR_WL_FAIL(1, "nanosleep returned %d (%s), expected EINTR",
				  ret, strerror(errno));
	if (cr_read_str(ctx->data, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%lld %lld", &away, &rounds) != 2)
		return CR_WL_FAIL(2, "no times from the test in %s", ctx->data);
	own -= away;
	/* the time left it reports is what it had not slept of its own */
	left = rem.tv_sec * 1000000000LL + rem.tv_nsec;
	if (left < SLEEP_NS - own - SLEEP_SLACK_NS / 5 ||
	    left > SLEEP_NS - own + SLEEP_SLACK_NS)
		return CR_WL_FAIL(3, "interrupted after %lld ms of its own time, it reports %lld ms left of %lld ms",
				  (long long)own / 1000000,
				  (long long)left / 1000000, SLEEP_NS / 1000000);
	return 0;
}

/*
 * A restored sleep cut short by a signal with a handler: EINTR, and the
 * remaining time written where the program asked for it.
 */
CR_TEST(cr_syscalls, nanosleep_interrupted_after_restart)
{
	int64_t away = 0;

	sleeper_cycle(_metadata, ctx, wl_nanosleep_eintr, &away);
	/* the time left it wrote at the freeze is a second stale now */
	cr_sleep_ms(1000);
	ASSERT_EQ(0, kill(ctx->rs_pid, SIGUSR1));
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

TEST_HARNESS_MAIN
