// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks frozen inside a blocking system call: after restart the call
 * goes on and returns what it would have returned, never -ERESTART*
 * or a spurious EINTR: a read() on a pipe fed only after the restart,
 * a nanosleep(), poll(), select(), ppoll() or futex wait that still
 * waits the time it was asked for, pause() and sigsuspend().
 */
#include "cr_util.h"
#include "cr_tree.h"

#include <linux/futex.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/select.h>

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

FIXTURE(cr_syscalls) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_syscalls) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_syscalls) { cr_teardown(_metadata, &self->ctx); }

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

/* Start fn waiting in call nr, checkpoint it 1 s into it, restart it */
static void waiter_cycle(struct __test_metadata *_metadata, struct cr_ctx *ctx,
			 cr_workload_fn fn, void *arg, long nr, int64_t *away)
{
	cr_spawn(_metadata, ctx, fn, arg);
	wait_in_syscall(_metadata, ctx->wl_pid, nr);
	cr_sleep_ms(SLEEP_BEFORE_NS / 1000000);
	sleep_round(_metadata, ctx, away, 1);
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

/* ---- other waits with a timeout ----------------------------------------- */

enum wait_kind {
	WAIT_POLL,		/* poll() of one pollfd (fd -1: never ready) */
	WAIT_SELECT,		/* select() of no fd */
	WAIT_PPOLL,		/* ppoll() with a signal mask */
	WAIT_FUTEX,		/* FUTEX_WAIT_PRIVATE, relative timeout */
	/* FUTEX_WAIT on shared memory, which the test wakes after restart */
	WAIT_FUTEX_SHARED,
	/* FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, an absolute deadline */
	WAIT_FUTEX_ABS_RT,
};

static const long wait_nr[] = {
	[WAIT_POLL] = SYS_poll, [WAIT_SELECT] = SYS_select,
	[WAIT_PPOLL] = SYS_ppoll, [WAIT_FUTEX] = SYS_futex,
	[WAIT_FUTEX_SHARED] = SYS_futex, [WAIT_FUTEX_ABS_RT] = SYS_futex,
};

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Wait SLEEP_NS in the call of *arg; nothing ends it early but the test's
 * wake of WAIT_FUTEX_SHARED, which finds only a shared waiter
 */
static int wl_wait(struct cr_ctx *ctx, void *arg)
{
	struct timespec ts = { SLEEP_NS / 1000000000LL, SLEEP_NS % 1000000000LL };
	struct timeval tv = { SLEEP_NS / 1000000000LL, 0 };
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	int kind = *(int *)arg, ret, err, *word;
	int64_t t0, rt0, own, slack;
	long long away, rounds;
	sigset_t mask;
	char buf[64];

	/* system calls, not what the C library makes of them */
	word = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    kind == WAIT_FUTEX_SHARED ? MAP_SHARED | MAP_ANONYMOUS :
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED)
		return CR_EXIT_SETUP;
	/* where the test finds the shared futex */
	snprintf(buf, sizeof(buf), "%lx", (unsigned long)word);
	if (kind == WAIT_FUTEX_SHARED &&
	    cr_write_whole(ctx->data2, buf, strlen(buf)))
		return CR_EXIT_SETUP;
	sigemptyset(&mask);
	t0 = mono_ns();
	rt0 = real_ns();
	cr_wl_ready(ctx);
	switch (kind) {
	case WAIT_POLL:
		ret = syscall(SYS_poll, &pfd, 1, SLEEP_NS / 1000000);
		break;
	case WAIT_SELECT:
		ret = syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
		break;
	case WAIT_PPOLL:
		ret = syscall(SYS_ppoll, &pfd, 1, &ts, &mask, 8);
		break;
	case WAIT_FUTEX:
	case WAIT_FUTEX_SHARED:
		ret = syscall(SYS_futex, word, kind == WAIT_FUTEX ?
			      FUTEX_WAIT_PRIVATE : FUTEX_WAIT, 0, &ts, NULL, 0);
		break;
	default:
		ts.tv_sec = (rt0 + SLEEP_NS) / 1000000000LL;
		ts.tv_nsec = (rt0 + SLEEP_NS) % 1000000000LL;
		ret = syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE |
			      FUTEX_CLOCK_REALTIME, 0, &ts, NULL,
			      FUTEX_BITSET_MATCH_ANY);
	}
	err = errno;
	own = mono_ns() - t0;
	if (kind == WAIT_FUTEX_SHARED)
		return ret ? CR_WL_FAIL(5, "the shared futex wait returned %d (%s), not woken by its waker",
					ret, strerror(err)) : 0;
	if (kind >= WAIT_FUTEX ? ret != -1 || err != ETIMEDOUT : ret != 0)
		return CR_WL_FAIL(1, "the wait returned %d (%s), expected a timeout",
				  ret, strerror(err));
	if (kind == WAIT_FUTEX_ABS_RT) {
		/* restarted before its deadline: it ends at the deadline */
		own = real_ns() - rt0;
		if (own < SLEEP_NS || own > SLEEP_NS + SLEEP_SLACK_NS)
			return CR_WL_FAIL(2, "an absolute wait of %lld ms ended after %lld ms",
					  SLEEP_NS / 1000000,
					  (long long)own / 1000000);
		return 0;
	}
	if (cr_read_str(ctx->data, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%lld %lld", &away, &rounds) != 2)
		return CR_WL_FAIL(3, "no times from the test in %s", ctx->data);
	own -= away;
	slack = rounds * SLEEP_SLACK_NS;
	if (own < SLEEP_NS - 10000000LL || own > SLEEP_NS + slack)
		return CR_WL_FAIL(4, "waited %lld ms of its own time for %lld ms asked",
				  (long long)own / 1000000, SLEEP_NS / 1000000);
	return 0;
}

/*
 * Map the restored task's shared futex page through its map_files link
 * (the same memory object, if restart kept it one) and wake the futex
 * as a shared one: only a shared waiter on that object wakes.
 */
static void wake_shared(struct __test_metadata *_metadata, struct cr_ctx *ctx)
{
	char buf[64] = "", path[128];
	unsigned long addr;
	int fd, i, *w;

	ASSERT_LT(0, cr_read_str(ctx->data2, buf, sizeof(buf)));
	addr = strtoul(buf, NULL, 16);
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", ctx->rs_pid,
		 addr, addr + 4096);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, w);
	for (i = 0; i < 200; i++) {
		if (syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0) == 1)
			break;
		cr_sleep_ms(10);
	}
	munmap(w, 4096);
	EXPECT_LT(i, 200) {
		TH_LOG("no shared waiter on the futex after restart");
	}
}

static void wait_goes_on(struct __test_metadata *_metadata, struct cr_ctx *ctx,
			 int kind)
{
	int64_t away = 0;

	waiter_cycle(_metadata, ctx, wl_wait, &kind, wait_nr[kind], &away);
	if (kind == WAIT_FUTEX_SHARED)
		wake_shared(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/*
 * Tasks frozen in a wait with a timeout go on after restart with the
 * time they had left (not their whole timeout again, no EINTR): poll()
 * through its restart block, select() and ppoll() with the time the
 * kernel wrote back, futex waits private and shared; a futex wait with
 * an absolute CLOCK_REALTIME deadline (pthread_cond_timedwait()) ends at
 * its deadline.
 */
/* A wait with a timeout, by each call that can be interrupted in it */
FIXTURE(cr_wait) { struct cr_ctx ctx; };
FIXTURE_VARIANT(cr_wait) { int kind; };
FIXTURE_VARIANT_ADD(cr_wait, poll) { .kind = WAIT_POLL };
FIXTURE_VARIANT_ADD(cr_wait, select) { .kind = WAIT_SELECT };
FIXTURE_VARIANT_ADD(cr_wait, ppoll) { .kind = WAIT_PPOLL };
FIXTURE_VARIANT_ADD(cr_wait, futex) { .kind = WAIT_FUTEX };
FIXTURE_VARIANT_ADD(cr_wait, futex_shared) { .kind = WAIT_FUTEX_SHARED };
FIXTURE_VARIANT_ADD(cr_wait, futex_bitset_realtime) {
	.kind = WAIT_FUTEX_ABS_RT };
FIXTURE_SETUP(cr_wait) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_wait) { cr_teardown(_metadata, &self->ctx); }

CR_TEST_V(cr_wait, timeout_goes_on)
{
	wait_goes_on(_metadata, ctx, variant->kind);
}

/* The poll() restored once, checkpointed again while it goes on */
CR_TEST(cr_syscalls, poll_restarted_twice)
{
	int kind = WAIT_POLL;
	int64_t away = 0;

	waiter_cycle(_metadata, ctx, wl_wait, &kind, SYS_poll, &away);
	ctx->wl_pid = ctx->rs_pid;
	ctx->rs_pid = 0;
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_restart_syscall);
	cr_sleep_ms(SLEEP_BEFORE_NS / 1000000);
	sleep_round(_metadata, ctx, &away, 2);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/* ---- waits for a signal ------------------------------------------------- */

static volatile sig_atomic_t got_usr1;

static void count_usr1(int sig)
{
	got_usr1++;
}

/*
 * pause() (arg 0) or sigsuspend() (arg 1) with SIGUSR1 blocked outside
 * it: returns EINTR only for the SIGUSR1 the test sends after restart,
 * and sigsuspend() gives the mask it had before back.
 */
static int wl_wait_signal(struct cr_ctx *ctx, void *arg)
{
	struct sigaction sa = { .sa_handler = count_usr1 };
	bool suspend = *(int *)arg;
	sigset_t block, wait_mask, now;
	int ret;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	if (suspend)
		sigaddset(&block, SIGUSR1);
	sigemptyset(&wait_mask);
	if (sigaction(SIGUSR1, &sa, NULL) ||
	    sigprocmask(SIG_SETMASK, &block, NULL))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	/* the calls themselves, whatever the C library makes of them */
	ret = suspend ? syscall(SYS_rt_sigsuspend, &wait_mask, 8) :
			syscall(SYS_pause);
	if (ret != -1 || errno != EINTR || got_usr1 != 1)
		return CR_WL_FAIL(1, "%s returned %d (%s) after %d SIGUSR1",
				  suspend ? "sigsuspend" : "pause", ret,
				  strerror(errno), (int)got_usr1);
	if (sigprocmask(SIG_SETMASK, NULL, &now) ||
	    sigismember(&now, SIGUSR1) != suspend || !sigismember(&now, SIGUSR2))
		return CR_WL_FAIL(2, "the signal mask is not the one before the wait");
	return 0;
}

static void wait_for_signal(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx, int suspend)
{
	int64_t away = 0;

	waiter_cycle(_metadata, ctx, wl_wait_signal, &suspend,
		     suspend ? SYS_rt_sigsuspend : SYS_pause, &away);
	/* no spurious return meanwhile: it would see no SIGUSR1 */
	cr_sleep_ms(300);
	ASSERT_EQ(0, kill(ctx->rs_pid, SIGUSR1));
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/*
 * A task frozen in pause() or sigsuspend() is still waiting after
 * restart; the signal wakes it, and sigsuspend() restores the mask it
 * had replaced.
 */
/* A wait for a signal: pause(), or sigsuspend() with a mask of its own */
FIXTURE(cr_sigwait) { struct cr_ctx ctx; };
FIXTURE_VARIANT(cr_sigwait) { int suspend; };
FIXTURE_VARIANT_ADD(cr_sigwait, pause) { .suspend = 0 };
FIXTURE_VARIANT_ADD(cr_sigwait, sigsuspend) { .suspend = 1 };
FIXTURE_SETUP(cr_sigwait) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_sigwait) { cr_teardown(_metadata, &self->ctx); }

CR_TEST_V(cr_sigwait, woken_after_restart)
{
	wait_for_signal(_metadata, ctx, variant->suspend);
}

/* ---- a wait that cannot go on ------------------------------------------ */

/* A sleep on the process's CPU clock: it never ends, nothing runs */
static int wl_cpu_sleep(struct cr_ctx *ctx, void *arg)
{
	struct timespec ts = { 1000, 0 };

	cr_wl_ready(ctx);
	syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL);
	return 0;
}

/*
 * A task that was stopped once in a CPU-time sleep goes on through
 * restart_syscall() with a restart block restart cannot rebuild: the
 * checkpoint is refused (it would come back with EINTR), and the task
 * is not harmed.
 */
CR_TEST(cr_syscalls, unknown_restart_refused)
{
	int err;

	cr_spawn(_metadata, ctx, wl_cpu_sleep, NULL);
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_clock_nanosleep);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_thaw(_metadata, ctx);
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_restart_syscall);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	EXPECT_EQ(-1, ckpt_to_img(ctx, ctx->wl_pid, 0, &err));
	EXPECT_EQ(EBUSY, err);
	EXPECT_TRUE(cr_log_has(ctx, "goes on with an interrupted wait")) {
		cr_dump_logs(_metadata, ctx);
	}
	cr_thaw(_metadata, ctx);
	/* still sleeping in it */
	wait_in_syscall(_metadata, ctx->wl_pid, SYS_restart_syscall);
}

TEST_HARNESS_MAIN
