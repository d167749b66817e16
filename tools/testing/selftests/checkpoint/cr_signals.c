// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state through checkpoint and restart: handlers with their flags
 * and masks, ignored signals, the blocked mask, the alternate signal
 * stack, and signals pending (for the thread and for the process) when
 * the checkpoint was taken.
 */
#include "cr_util.h"

#include <sys/resource.h>
#include <sys/time.h>

#define ALTSTACK_SIZE	(64 * 1024)

static volatile sig_atomic_t handled;
static volatile uintptr_t handler_sp;
static char altstack[ALTSTACK_SIZE] __attribute__((aligned(16)));

static void on_usr2(int sig)
{
	char here;

	handled++;
	handler_sp = (uintptr_t)&here;
}

static void on_usr1(int sig)
{
	handled += 10;
}

static void on_hup(int sig)
{
	handled += 100;
}

static int wl_signals(struct cr_ctx *ctx, void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr2,
				.sa_flags = SA_RESTART | SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = ALTSTACK_SIZE }, got_ss;
	sigset_t block, now, pend;

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	if (sigaction(SIGUSR2, &sa, NULL) || signal(SIGTERM, SIG_IGN) == SIG_ERR ||
	    signal(SIGUSR1, on_usr1) == SIG_ERR || signal(SIGHUP, on_hup) == SIG_ERR ||
	    sigaltstack(&ss, NULL))
		return CR_EXIT_SETUP;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, NULL))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	memset(&sa, 0, sizeof(sa));
	if (sigaction(SIGUSR2, NULL, &sa) || sa.sa_handler != on_usr2 ||
	    !(sa.sa_flags & SA_RESTART) || !(sa.sa_flags & SA_ONSTACK) ||
	    !sigismember(&sa.sa_mask, SIGINT))
		return CR_WL_FAIL(1, "SIGUSR2 handler %p flags %#x", sa.sa_handler,
				  sa.sa_flags);
	if (sigaction(SIGTERM, NULL, &sa) || sa.sa_handler != SIG_IGN)
		return CR_WL_FAIL(2, "SIGTERM is no longer ignored");
	if (sigprocmask(SIG_BLOCK, NULL, &now) || !sigismember(&now, SIGUSR1) ||
	    !sigismember(&now, SIGHUP) || sigismember(&now, SIGUSR2))
		return CR_WL_FAIL(3, "blocked mask changed");
	if (sigaltstack(NULL, &got_ss) || got_ss.ss_sp != altstack ||
	    got_ss.ss_size != ALTSTACK_SIZE)
		return CR_WL_FAIL(4, "alternate stack %p/%zu", got_ss.ss_sp,
				  got_ss.ss_size);
	if (sigpending(&pend) || !sigismember(&pend, SIGUSR1) ||
	    !sigismember(&pend, SIGHUP))
		return CR_WL_FAIL(5, "the signals pending at checkpoint are gone");

	/* the handler runs, on the alternate stack */
	raise(SIGUSR2);
	if (handled != 1 || handler_sp < (uintptr_t)altstack ||
	    handler_sp >= (uintptr_t)altstack + ALTSTACK_SIZE)
		return CR_WL_FAIL(6, "SIGUSR2 handled %d times, sp %#lx",
				  (int)handled, (unsigned long)handler_sp);
	/* and the pending ones are delivered once unblocked */
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	if (handled != 111)
		return CR_WL_FAIL(7, "pending signals delivered: %d", (int)handled);
	return 0;
}

CR_FIXTURE(cr_signals);

CR_TEST(cr_signals, handlers_mask_altstack_pending)
{
	cr_spawn(_metadata, ctx, wl_signals, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	/* pending while frozen: one for the process, one for the thread */
	ASSERT_EQ(0, kill(ctx->wl_pid, SIGUSR1));
	ASSERT_EQ(0, syscall(SYS_tgkill, ctx->wl_pid, ctx->wl_pid, SIGHUP));
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_restart_file(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/* An interval timer (SIGALRM every 50 ms) and lowered resource limits */
static int wl_timer_limits(struct cr_ctx *ctx, void *arg)
{
	struct itimerval itv = { { 0, 50000 }, { 0, 50000 } }, now;
	struct rlimit nofile = { 64, 128 }, stack, r;
	int before, i;

	if (signal(SIGALRM, on_alarm) == SIG_ERR ||
	    setrlimit(RLIMIT_NOFILE, &nofile) || getrlimit(RLIMIT_STACK, &stack))
		return CR_EXIT_SETUP;
	stack.rlim_cur = 4 << 20;
	if (setrlimit(RLIMIT_STACK, &stack) || setitimer(ITIMER_REAL, &itv, NULL))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur != 64 || r.rlim_max != 128)
		return CR_WL_FAIL(1, "RLIMIT_NOFILE %lu/%lu", (unsigned long)r.rlim_cur,
				  (unsigned long)r.rlim_max);
	if (getrlimit(RLIMIT_STACK, &r) || r.rlim_cur != 4 << 20)
		return CR_WL_FAIL(2, "RLIMIT_STACK %lu", (unsigned long)r.rlim_cur);
	if (getitimer(ITIMER_REAL, &now) || now.it_interval.tv_usec != 50000)
		return CR_WL_FAIL(3, "ITIMER_REAL interval %ld us",
				  (long)now.it_interval.tv_usec);
	/* and it keeps firing */
	before = alarms;
	for (i = 0; i < 200 && alarms < before + 3; i++)
		cr_sleep_ms(10);
	if (alarms < before + 3)
		return CR_WL_FAIL(4, "SIGALRM stopped after restart");
	return 0;
}

CR_TEST(cr_signals, interval_timer_and_limits)
{
	cr_cycle(_metadata, ctx, wl_timer_limits, NULL);
}

TEST_HARNESS_MAIN
