// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state through checkpoint and restart: handlers with their flags
 * and masks, ignored signals, the blocked mask, the alternate signal
 * stack, and signals pending (for the thread and for the process) when
 * the checkpoint was taken.
 */
#include "cr_util.h"
#include "cr_tree.h"

#include <sys/resource.h>
#include <sys/time.h>

#define ALTSTACK_SIZE	(64 * 1024)

#ifndef SS_AUTODISARM
#define SS_AUTODISARM	(1U << 31)	/* linux/signal.h, not in glibc */
#endif

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
	stack_t ss = { .ss_sp = altstack, .ss_size = ALTSTACK_SIZE,
		       .ss_flags = SS_AUTODISARM }, got_ss;
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
	    got_ss.ss_size != ALTSTACK_SIZE ||
	    got_ss.ss_flags != SS_AUTODISARM)
		return CR_WL_FAIL(4, "alternate stack %p/%zu flags %#x, expected %p/%d flags SS_AUTODISARM",
				  got_ss.ss_sp, got_ss.ss_size, got_ss.ss_flags,
				  altstack, ALTSTACK_SIZE);
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

/*
 * Two threads, each with its own blocked mask and its own pending
 * signals (standard and real-time), and signals pending for the whole
 * process.
 */
#define SIG_MAIN_OWN	37	/* pending for the main thread only */
#define SIG_THR_OWN	39	/* pending for the second thread only */
#define SIG_SHARED_RT	50	/* pending for the process */

static const int main_blocked[] = { SIGUSR1, SIG_MAIN_OWN, 64, SIGWINCH,
				    SIG_SHARED_RT };
static const int thr_blocked[] = { SIGUSR2, SIGHUP, SIG_THR_OWN, SIGWINCH,
				   SIG_SHARED_RT };
static const int main_pending[] = { SIG_MAIN_OWN, SIGWINCH, SIG_SHARED_RT };
static const int thr_pending[] = { SIGUSR2, SIG_THR_OWN, SIGWINCH,
				   SIG_SHARED_RT };

static struct cr_ctx *thr_ctx;
static volatile int thr_stage, thr_result, main_checked;
static volatile pid_t shared_handled_by[2];

static volatile int shared_rt_count;

static void on_shared(int sig)
{
	shared_handled_by[sig == SIGWINCH ? 0 : 1] = gettid();
	if (sig == SIG_SHARED_RT)
		shared_rt_count++;
}

static void make_set(sigset_t *set, const int *sigs, int n)
{
	sigemptyset(set);
	while (n--)
		sigaddset(set, sigs[n]);
}

/* The first 64 signals of a set, as the kernel's mask */
static unsigned long long set_bits(const sigset_t *set)
{
	unsigned long long m = 0;
	int sig;

	for (sig = 1; sig <= 64; sig++)
		if (sigismember(set, sig))
			m |= 1ULL << (sig - 1);
	return m;
}

/* 0 if set holds exactly the n signals of sigs, else the first wrong one */
static int set_differs(const sigset_t *set, const int *sigs, int n)
{
	sigset_t want;
	int sig;

	make_set(&want, sigs, n);
	for (sig = 1; sig <= 64; sig++)
		if (sigismember(set, sig) != sigismember(&want, sig))
			return sig;
	return 0;
}

#define SET_DIFFERS(set, sigs) set_differs(set, sigs, ARRAY_SIZE(sigs))

static void *thr_signals(void *arg)
{
	sigset_t set;
	int sig, i;

	make_set(&set, thr_blocked, ARRAY_SIZE(thr_blocked));
	if (pthread_sigmask(SIG_SETMASK, &set, NULL) ||
	    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2) ||
	    syscall(SYS_tgkill, getpid(), gettid(), SIG_THR_OWN)) {
		thr_result = CR_EXIT_SETUP;
		return NULL;
	}
	thr_stage = 1;
	cr_wl_wait_go(thr_ctx);

	pthread_sigmask(SIG_SETMASK, NULL, &set);
	sig = SET_DIFFERS(&set, thr_blocked);
	if (sig) {
		thr_result = CR_WL_FAIL(10, "second thread: signal %d %sblocked (mask %#llx)",
					sig, sigismember(&set, sig) ? "" : "not ",
					set_bits(&set));
		return NULL;
	}
	sigpending(&set);
	sig = SET_DIFFERS(&set, thr_pending);
	if (sig) {
		thr_result = CR_WL_FAIL(11, "second thread: signal %d %spending (%#llx)",
					sig, sigismember(&set, sig) ? "" : "not ",
					set_bits(&set));
		return NULL;
	}
	/* the process-wide ones are delivered here once we unblock them */
	for (i = 0; i < 3000 && !main_checked; i++)
		cr_sleep_ms(5);
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIG_SHARED_RT);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* queued once for the process, so delivered once */
	if (shared_rt_count != 1) {
		thr_result = CR_WL_FAIL(13, "signal %d delivered %d times",
					SIG_SHARED_RT, shared_rt_count);
		return NULL;
	}
	if (shared_handled_by[0] != gettid() || shared_handled_by[1] != gettid()) {
		thr_result = CR_WL_FAIL(12, "process signals handled by %d and %d, not by the thread that unblocked them (%d)",
					shared_handled_by[0],
					shared_handled_by[1], gettid());
		return NULL;
	}
	thr_stage = 2;
	return NULL;
}

static int wl_thread_signals(struct cr_ctx *ctx, void *arg)
{
	struct sigaction sa = { .sa_handler = on_shared };
	pthread_t th;
	sigset_t set;
	int sig, i;

	thr_ctx = ctx;
	sigemptyset(&sa.sa_mask);
	make_set(&set, main_blocked, ARRAY_SIZE(main_blocked));
	if (sigaction(SIGWINCH, &sa, NULL) ||
	    sigaction(SIG_SHARED_RT, &sa, NULL) ||
	    sigprocmask(SIG_SETMASK, &set, NULL) ||
	    pthread_create(&th, NULL, thr_signals, NULL))
		return CR_EXIT_SETUP;
	while (!thr_stage && !thr_result)
		cr_sleep_ms(1);
	if (thr_result ||
	    syscall(SYS_tgkill, getpid(), gettid(), SIG_MAIN_OWN) ||
	    kill(getpid(), SIGWINCH) || kill(getpid(), SIG_SHARED_RT))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	sigprocmask(SIG_SETMASK, NULL, &set);
	sig = SET_DIFFERS(&set, main_blocked);
	if (sig)
		return CR_WL_FAIL(1, "main thread: signal %d %sblocked (mask %#llx)",
				  sig, sigismember(&set, sig) ? "" : "not ",
				  set_bits(&set));
	sigpending(&set);
	sig = SET_DIFFERS(&set, main_pending);
	if (sig)
		return CR_WL_FAIL(2, "main thread: signal %d %spending (%#llx)",
				  sig, sigismember(&set, sig) ? "" : "not ",
				  set_bits(&set));
	main_checked = 1;
	for (i = 0; i < 3000 && thr_stage < 2 && !thr_result; i++)
		cr_sleep_ms(5);
	pthread_join(th, NULL);
	if (thr_result)
		return thr_result;
	if (thr_stage < 2)
		return CR_WL_FAIL(3, "the second thread did not finish its checks");
	/* they were the process's: gone here too */
	sigpending(&set);
	if (sigismember(&set, SIGWINCH) || sigismember(&set, SIG_SHARED_RT))
		return CR_WL_FAIL(4, "process-wide signals still pending in the main thread");
	if (!sigismember(&set, SIG_MAIN_OWN))
		return CR_WL_FAIL(5, "signal %d no longer pending", SIG_MAIN_OWN);
	return 0;
}

FIXTURE(cr_signals) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_signals) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_signals) { cr_teardown(_metadata, &self->ctx); }

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

/* Each queued signal comes back with its siginfo, in queue order */
#define SIG_RT_QUEUED	35
#define SIG_RT_TKILL	40

static int expect_info(const sigset_t *set, int sig, int code, int value,
		       int check)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* the system call: the C library folds SI_TKILL into SI_USER */
	if (syscall(SYS_rt_sigtimedwait, set, &si, &zero, _NSIG / 8) != sig)
		return CR_WL_FAIL(check, "signal %d is not pending", sig);
	if (si.si_code != code || si.si_pid != getppid() || si.si_uid != 0 ||
	    (code == SI_QUEUE && si.si_value.sival_int != value))
		return CR_WL_FAIL(check + 1,
				  "signal %d: code %d pid %d uid %d value %d, expected code %d pid %d value %d",
				  sig, si.si_code, si.si_pid, si.si_uid,
				  si.si_value.sival_int, code, getppid(), value);
	return 0;
}

static int wl_queued(struct cr_ctx *ctx, void *arg)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIG_RT_QUEUED);
	sigaddset(&set, SIG_RT_TKILL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	/* the thread's own queue is taken first, then the process's */
	ret = expect_info(&set, SIG_RT_TKILL, SI_TKILL, 0, 1);
	if (!ret)
		ret = expect_info(&set, SIGUSR1, SI_USER, 0, 3);
	if (!ret)
		ret = expect_info(&set, SIG_RT_QUEUED, SI_QUEUE, 111, 5);
	if (!ret)
		ret = expect_info(&set, SIG_RT_QUEUED, SI_QUEUE, 222, 7);
	if (!ret && sigtimedwait(&set, NULL, &zero) > 0)
		return CR_WL_FAIL(9, "a signal came back twice");
	return ret;
}

CR_TEST(cr_signals, queued_siginfo_exact)
{
	union sigval v;

	cr_spawn(_metadata, ctx, wl_queued, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ASSERT_EQ(0, kill(ctx->wl_pid, SIGUSR1));
	v.sival_int = 111;
	ASSERT_EQ(0, sigqueue(ctx->wl_pid, SIG_RT_QUEUED, v));
	v.sival_int = 222;
	ASSERT_EQ(0, sigqueue(ctx->wl_pid, SIG_RT_QUEUED, v));
	ASSERT_EQ(0, syscall(SYS_tgkill, ctx->wl_pid, ctx->wl_pid,
			     SIG_RT_TKILL));
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_restart_file(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig);

/*
 * An interval timer that expired while SIGALRM was blocked: not armed,
 * its SIGALRM pending; dequeuing the signal arms it again with its
 * interval, after the restart too.
 */
static int wl_expired_timer(struct cr_ctx *ctx, void *arg)
{
	struct itimerval itv = { { 2, 0 }, { 0, 10000 } }, now;
	struct sigaction sa = { .sa_handler = on_alarm };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	if (sigaction(SIGALRM, &sa, NULL) ||
	    sigprocmask(SIG_BLOCK, &set, NULL) ||
	    setitimer(ITIMER_REAL, &itv, NULL))
		return CR_EXIT_SETUP;
	cr_sleep_ms(100);
	if (getitimer(ITIMER_REAL, &now) || now.it_value.tv_sec ||
	    now.it_value.tv_usec || sigpending(&set) ||
	    !sigismember(&set, SIGALRM))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (getitimer(ITIMER_REAL, &now) || now.it_interval.tv_sec != 2)
		return CR_WL_FAIL(1, "interval %ld s before SIGALRM is taken",
				  (long)now.it_interval.tv_sec);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (alarms != 1)
		return CR_WL_FAIL(2, "%d SIGALRM delivered", (int)alarms);
	if (getitimer(ITIMER_REAL, &now) || now.it_interval.tv_sec != 2 ||
	    (!now.it_value.tv_sec && !now.it_value.tv_usec))
		return CR_WL_FAIL(3, "timer %ld.%06ld s, interval %ld s: not armed again",
				  (long)now.it_value.tv_sec,
				  (long)now.it_value.tv_usec,
				  (long)now.it_interval.tv_sec);
	return 0;
}

CR_TEST(cr_signals, expired_timer_keeps_interval)
{
	cr_cycle(_metadata, ctx, wl_expired_timer, NULL);
}

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

/* ITIMER_VIRTUAL and ITIMER_PROF of the workload (cpu_timers) */
static volatile sig_atomic_t vtalrms, profs;

static void on_cpu_timer(int sig)
{
	if (sig == SIGVTALRM)
		vtalrms++;
	else
		profs++;
}

static long tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000L + tv->tv_usec * 1000L;
}

/*
 * Spin until both timers fired @n times more, or @max_ns of CPU time.
 * Mostly in user space: ITIMER_VIRTUAL counts only user time (and a
 * slow kernel would take it all in the clock_gettime() calls).
 */
static bool spin_for_cpu_timers(int n, long max_ns)
{
	int v0 = vtalrms, p0 = profs;
	struct timespec t0, t;
	volatile unsigned long x = 0;
	long k;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (k = 0; k < 1000000; k++)
			x += k;
		if (vtalrms - v0 >= n && profs - p0 >= n)
			return true;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
		 t.tv_nsec - t0.tv_nsec < max_ns);
	return false;
}

static int wl_cpu_timers(struct cr_ctx *ctx, void *arg)
{
	/* intervals of 20 and 30 ms; first expiries after 1 s of CPU time */
	const struct itimerval virt = { { 0, 20000 }, { 1, 0 } };
	const struct itimerval prof = { { 0, 30000 }, { 1, 200000 } };
	struct itimerval v0, p0, v1, p1;
	struct sigaction sa = { .sa_handler = on_cpu_timer };

	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGVTALRM, &sa, NULL) || sigaction(SIGPROF, &sa, NULL) ||
	    setitimer(ITIMER_VIRTUAL, &virt, NULL) ||
	    setitimer(ITIMER_PROF, &prof, NULL))
		return CR_EXIT_SETUP;
	getitimer(ITIMER_VIRTUAL, &v0);
	getitimer(ITIMER_PROF, &p0);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	getitimer(ITIMER_VIRTUAL, &v1);
	getitimer(ITIMER_PROF, &p1);
	/* what was left is left: not restarted from the start, not gone */
	if (tv_ns(&v1.it_interval) != 20000000 ||
	    tv_ns(&p1.it_interval) != 30000000)
		return CR_WL_FAIL(1, "intervals %ld and %ld ns, expected 20 and 30 ms",
				  tv_ns(&v1.it_interval),
				  tv_ns(&p1.it_interval));
	/* setitimer() of a CPU timer adds a tick (up to 10 ms) to its value */
	if (!tv_ns(&v1.it_value) ||
	    tv_ns(&v1.it_value) > tv_ns(&v0.it_value) + 10000000 ||
	    !tv_ns(&p1.it_value) ||
	    tv_ns(&p1.it_value) > tv_ns(&p0.it_value) + 10000000)
		return CR_WL_FAIL(2, "left: ITIMER_VIRTUAL %ld ns (was %ld), ITIMER_PROF %ld ns (was %ld)",
				  tv_ns(&v1.it_value), tv_ns(&v0.it_value),
				  tv_ns(&p1.it_value), tv_ns(&p0.it_value));
	if (tv_ns(&v0.it_value) - tv_ns(&v1.it_value) > 500000000L)
		return CR_WL_FAIL(3, "ITIMER_VIRTUAL lost %ld ns it never ran",
				  tv_ns(&v0.it_value) - tv_ns(&v1.it_value));
	/* and they count on, fire and repeat */
	if (!spin_for_cpu_timers(3, 10000000000L))
		return CR_WL_FAIL(5, "in 10 s of CPU time: %d SIGVTALRM, %d SIGPROF",
				  vtalrms, profs);
	return 0;
}

/*
 * ITIMER_VIRTUAL and ITIMER_PROF come back with what was left of them
 * (CPU time the process never spent is not counted) and their intervals
 */
CR_TEST(cr_signals, cpu_interval_timers)
{
	cr_cycle(_metadata, ctx, wl_cpu_timers, NULL);
}

CR_TEST(cr_signals, interval_timer_and_limits)
{
	cr_cycle(_metadata, ctx, wl_timer_limits, NULL);
}

/* The kernel's view of a signal action (rt_sigaction with an 8-byte mask) */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

#define NSIG_KERNEL	64

static int get_ksigaction(int sig, struct ksigaction *k)
{
	memset(k, 0, sizeof(*k));
	return syscall(SYS_rt_sigaction, sig, NULL, k, 8);
}

static volatile sig_atomic_t hits_a, hits_b;

static void handler_a(int sig)
{
	hits_a++;
}

static void handler_b(int sig, siginfo_t *si, void *uc)
{
	hits_b++;
}

struct action_spec {
	int sig;
	void *handler;		/* SIG_IGN, SIG_DFL, handler_a, handler_b */
	int flags;
	int mask[2];		/* signals in sa_mask, 0 ends */
};

/* distinct handlers, flags and masks, also on real-time signals */
static int set_actions(void)
{
	const struct action_spec spec[] = {
		{ SIGHUP, handler_b, SA_SIGINFO | SA_RESTART, { SIGINT, 38 } },
		{ SIGINT, SIG_IGN, 0, { 0 } },
		{ SIGQUIT, handler_a, SA_NODEFER | SA_RESETHAND, { 0 } },
		{ SIGUSR1, handler_a, SA_ONSTACK, { 64 } },
		{ SIGTERM, SIG_IGN, 0, { 0 } },
		{ SIGCHLD, SIG_DFL, SA_NOCLDSTOP, { 0 } },
		{ 35, handler_b, SA_SIGINFO, { SIGUSR2, 43 } },
		{ 64, handler_a, SA_RESTART, { SIGHUP } },
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(spec); i++) {
		struct sigaction sa = {};

		if (spec[i].flags & SA_SIGINFO)
			sa.sa_sigaction = spec[i].handler;
		else
			sa.sa_handler = spec[i].handler;
		sa.sa_flags = spec[i].flags;
		sigemptyset(&sa.sa_mask);
		for (j = 0; j < 2 && spec[i].mask[j]; j++)
			sigaddset(&sa.sa_mask, spec[i].mask[j]);
		if (sigaction(spec[i].sig, &sa, NULL))
			return -1;
	}
	return 0;
}

static int wl_all_actions(struct cr_ctx *ctx, void *arg)
{
	struct ksigaction was[NSIG_KERNEL + 1], now;
	int sig;

	if (set_actions())
		return CR_EXIT_SETUP;
	for (sig = 1; sig <= NSIG_KERNEL; sig++)
		if (sig != SIGKILL && sig != SIGSTOP &&
		    get_ksigaction(sig, &was[sig]))
			return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	for (sig = 1; sig <= NSIG_KERNEL; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (get_ksigaction(sig, &now))
			return CR_WL_FAIL(1, "rt_sigaction(%d): %m", sig);
		if (now.handler != was[sig].handler)
			return CR_WL_FAIL(2, "signal %d: handler %#llx, expected %#llx",
					  sig, (unsigned long long)now.handler,
					  (unsigned long long)was[sig].handler);
		if (now.flags != was[sig].flags)
			return CR_WL_FAIL(3, "signal %d: flags %#llx, expected %#llx",
					  sig, (unsigned long long)now.flags,
					  (unsigned long long)was[sig].flags);
		if (now.restorer != was[sig].restorer)
			return CR_WL_FAIL(4, "signal %d: restorer %#llx, expected %#llx",
					  sig, (unsigned long long)now.restorer,
					  (unsigned long long)was[sig].restorer);
		if (now.mask != was[sig].mask)
			return CR_WL_FAIL(5, "signal %d: mask %#llx, expected %#llx",
					  sig, (unsigned long long)now.mask,
					  (unsigned long long)was[sig].mask);
	}
	/* and they work: through the restorer, SA_RESETHAND honoured */
	raise(64);
	raise(35);
	if (hits_a != 1 || hits_b != 1)
		return CR_WL_FAIL(6, "handlers ran %d and %d times, expected 1 and 1",
				  (int)hits_a, (int)hits_b);
	raise(SIGQUIT);
	if (get_ksigaction(SIGQUIT, &now) || now.handler != (uintptr_t)SIG_DFL)
		return CR_WL_FAIL(7, "SA_RESETHAND did not reset SIGQUIT");
	return 0;
}

/*
 * Every signal's action (handler, flags, restorer, 64-bit mask) is
 * exactly what it was, real-time signals included.
 */
CR_TEST(cr_signals, every_action_exact)
{
	cr_cycle(_metadata, ctx, wl_all_actions, NULL);
}

/* Distinct soft and hard values for every resource limit */
static const struct rlimit limits[RLIMIT_NLIMITS] = {
	[RLIMIT_CPU]		= { 100001, 200002 },
	[RLIMIT_FSIZE]		= { 1ULL << 40, (1ULL << 40) + 4096 },
	[RLIMIT_DATA]		= { 3ULL << 40, RLIM_INFINITY },
	[RLIMIT_STACK]		= { 6 << 20, 1ULL << 30 },
	[RLIMIT_CORE]		= { 12345, 23456 },
	[RLIMIT_RSS]		= { 1ULL << 39, (1ULL << 39) + 1 },
	[RLIMIT_NPROC]		= { 5001, 6002 },
	[RLIMIT_NOFILE]		= { 200, 300 },
	[RLIMIT_MEMLOCK]	= { 1 << 20, 2 << 20 },
	[RLIMIT_AS]		= { 5ULL << 40, 6ULL << 40 },
	[RLIMIT_LOCKS]		= { 1001, 2002 },
	[RLIMIT_SIGPENDING]	= { 3003, 4004 },
	[RLIMIT_MSGQUEUE]	= { 819201, 819302 },
	[RLIMIT_NICE]		= { 5, 6 },
	[RLIMIT_RTPRIO]		= { 1, 2 },
	[RLIMIT_RTTIME]		= { 1000001, 2000002 },
};

#define TIMER_VALUE_S		40	/* first expiry, s */
#define TIMER_INTERVAL_US	2500000	/* then every 2.5 s */

static int wl_limits_values(struct cr_ctx *ctx, void *arg)
{
	struct itimerval itv = {
		.it_value = { TIMER_VALUE_S, 0 },
		.it_interval = { 0, 0 },
	}, now;
	struct rlimit r;
	long long us;
	int i;

	itv.it_interval.tv_sec = TIMER_INTERVAL_US / 1000000;
	itv.it_interval.tv_usec = TIMER_INTERVAL_US % 1000000;
	if (signal(SIGALRM, on_alarm) == SIG_ERR)
		return CR_EXIT_SETUP;
	for (i = 0; i < RLIMIT_NLIMITS; i++)
		if (setrlimit(i, &limits[i]))
			return CR_EXIT_SETUP;
	if (setitimer(ITIMER_REAL, &itv, NULL))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	for (i = 0; i < RLIMIT_NLIMITS; i++) {
		if (getrlimit(i, &r))
			return CR_WL_FAIL(1, "getrlimit(%d): %m", i);
		if (r.rlim_cur != limits[i].rlim_cur ||
		    r.rlim_max != limits[i].rlim_max)
			return CR_WL_FAIL(2, "limit %d: %llu/%llu, expected %llu/%llu",
					  i, (unsigned long long)r.rlim_cur,
					  (unsigned long long)r.rlim_max,
					  (unsigned long long)limits[i].rlim_cur,
					  (unsigned long long)limits[i].rlim_max);
	}
	if (getitimer(ITIMER_REAL, &now))
		return CR_WL_FAIL(3, "getitimer: %m");
	us = now.it_interval.tv_sec * 1000000LL + now.it_interval.tv_usec;
	if (us != TIMER_INTERVAL_US)
		return CR_WL_FAIL(4, "ITIMER_REAL interval %lld us, expected %d",
				  us, TIMER_INTERVAL_US);
	/* still counting down the first, long expiry */
	us = now.it_value.tv_sec * 1000000LL + now.it_value.tv_usec;
	if (us > TIMER_VALUE_S * 1000000LL || us < TIMER_VALUE_S * 1000000LL / 2)
		return CR_WL_FAIL(5, "ITIMER_REAL fires in %lld us, expected under %d s but more than %d s",
				  us, TIMER_VALUE_S, TIMER_VALUE_S / 2);
	if (alarms)
		return CR_WL_FAIL(6, "SIGALRM came %d times already", (int)alarms);
	return 0;
}

/*
 * All 16 resource limits (soft and hard), and an interval timer whose
 * first expiry is far later than its interval.
 */
CR_TEST(cr_signals, limits_and_timer_values)
{
	cr_cycle(_metadata, ctx, wl_limits_values, NULL);
}

/*
 * Two threads with their own masks and pending signals, RT included,
 * and process-wide pending signals: each comes back where it was (the
 * restart tool makes the threads).
 */
CR_TEST(cr_signals, threads_own_masks_and_pending)
{
	tree_cycle(_metadata, ctx, wl_thread_signals, NULL, CHECKPOINT_SUBTREE);
}

/*
 * POSIX timers of a process with two threads: ids (a deleted timer left
 * a hole, and the next timer_create() gives the id it would have),
 * clocks (monotonic, an absolute CLOCK_REALTIME time, the process's and
 * a thread's CPU time), notification (a signal with its value, none, one
 * thread, and the C library's SIGEV_THREAD with its helper thread), time
 * to go, interval, and the pending signal of a timer that kept expiring
 * while blocked, with its overruns.
 */
#define SIG_TMR_HANDLED	41	/* every 20 ms, to a handler */
#define SIG_TMR_BLOCKED	42	/* every 10 ms, blocked: pending */
#define SIG_TMR_THREAD	43	/* once, to the second thread */
#define TMR_ABS_S	40	/* the absolute timer: this far ahead */
#define TMR_CPU_S	100	/* the CPU-time timers: this much to go */
#define TMR_THREAD_MS	1500	/* the thread's timer: this much to go */
#define TMR_NR		7	/* timers made, the first one deleted */

/* the kernel writes an int: the C library's timer_t is wider, zeroed here */
static timer_t tmr[TMR_NR];
static volatile sig_atomic_t tmr_handled;
static volatile int tmr_thr_tid, tmr_thr_done;
static struct timespec tmr_abs_at;

static void on_tmr(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code == SI_TIMER && si->si_value.sival_int == 0xa1)
		tmr_handled++;
}

/* the C library's SIGEV_THREAD: its helper thread runs this */
static volatile int tmr_notified;

static void on_tmr_thread(union sigval v)
{
	if (v.sival_int == 0xa7)
		__atomic_add_fetch(&tmr_notified, 1, __ATOMIC_RELAXED);
}

static void *thr_timers(void *arg)
{
	tmr_thr_tid = gettid();
	while (!tmr_thr_done)
		cr_sleep_ms(5);
	return NULL;
}

static int make_timer(int i, clockid_t clock, int notify, int sig, int value)
{
	struct sigevent ev = {
		.sigev_notify = notify,
		.sigev_signo = sig,
		.sigev_value.sival_int = value,
	};

	if (notify == SIGEV_THREAD_ID)
		ev._sigev_un._tid = tmr_thr_tid;
	return syscall(SYS_timer_create, clock, &ev, &tmr[i]);
}

static int arm_timer(int i, int flags, long long value_ns, long long every_ns)
{
	struct itimerspec it = {
		.it_value = { value_ns / 1000000000, value_ns % 1000000000 },
		.it_interval = { every_ns / 1000000000, every_ns % 1000000000 },
	};

	return syscall(SYS_timer_settime, tmr[i], flags, &it, NULL);
}

static long long timer_left_ns(int i, long long *every_ns)
{
	struct itimerspec it;

	if (syscall(SYS_timer_gettime, tmr[i], &it))
		return -1;
	if (every_ns)
		*every_ns = it.it_interval.tv_sec * 1000000000LL +
			    it.it_interval.tv_nsec;
	return it.it_value.tv_sec * 1000000000LL + it.it_value.tv_nsec;
}

/* /proc/self/timers: every timer's id, signal, value, notify and clock */
static int read_timers(char *buf, size_t size)
{
	int fd = open("/proc/self/timers", O_RDONLY), n;

	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* bit @sig of the "@field:" line of /proc/self/task/@tid/status */
static int task_sig_bit(int tid, const char *field, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	size_t len = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			mask = strtoull(line + len + 1, NULL, 16);
	fclose(f);
	return !!(mask & (1ULL << (sig - 1)));
}

static int wl_posix_timers(struct cr_ctx *ctx, void *arg)
{
	struct sigaction sa = { .sa_sigaction = on_tmr, .sa_flags = SA_SIGINFO };
	static char before[4096], after[4096];
	struct timespec zero = { 0, 0 }, wait = { 2, 0 }, now;
	clockid_t thr_clock;
	long long left, every;
	int next = -1;		/* the kernel's timer_t is an int */
	struct itimerspec every20ms = { { 0, 20000000 }, { 0, 20000000 } };
	struct sigevent ev = {};
	timer_t gtimer;
	pthread_t th;
	int i, n, overrun_last;
	siginfo_t si;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_TMR_BLOCKED);
	sigaddset(&set, SIG_TMR_THREAD);
	if (sigaction(SIG_TMR_HANDLED, &sa, NULL) ||
	    sigprocmask(SIG_BLOCK, &set, NULL) ||
	    pthread_create(&th, NULL, thr_timers, NULL))
		return CR_EXIT_SETUP;
	while (!tmr_thr_tid)
		cr_sleep_ms(1);
	clock_gettime(CLOCK_REALTIME, &tmr_abs_at);
	tmr_abs_at.tv_sec += TMR_ABS_S;
	if (pthread_getcpuclockid(th, &thr_clock) ||
	    make_timer(0, CLOCK_MONOTONIC, SIGEV_NONE, 0, 0) ||
	    make_timer(1, CLOCK_MONOTONIC, SIGEV_SIGNAL, SIG_TMR_HANDLED, 0xa1) ||
	    make_timer(2, CLOCK_REALTIME, SIGEV_NONE, 0, 0xa2) ||
	    make_timer(3, CLOCK_BOOTTIME, SIGEV_SIGNAL, SIG_TMR_BLOCKED, 0xa3) ||
	    make_timer(4, CLOCK_MONOTONIC, SIGEV_THREAD_ID, SIG_TMR_THREAD, 0xa4) ||
	    make_timer(5, CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0, 0) ||
	    make_timer(6, thr_clock, SIGEV_NONE, 0, 0) ||
	    syscall(SYS_timer_delete, tmr[0]) ||
	    arm_timer(1, 0, 20000000, 20000000) ||
	    arm_timer(2, TIMER_ABSTIME, tmr_abs_at.tv_sec * 1000000000LL +
		      tmr_abs_at.tv_nsec, 0) ||
	    arm_timer(3, 0, 10000000, 10000000) ||
	    arm_timer(4, 0, TMR_THREAD_MS * 1000000LL, 0) ||
	    arm_timer(5, 0, TMR_CPU_S * 1000000000LL, 0) ||
	    arm_timer(6, 0, TMR_CPU_S * 1000000000LL, 1000000000))
		return CR_EXIT_SETUP;
	/* a SIGEV_THREAD timer (the C library's, a helper thread) last */
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = on_tmr_thread;
	ev.sigev_value.sival_int = 0xa7;
	if (timer_create(CLOCK_MONOTONIC, &ev, &gtimer) ||
	    timer_settime(gtimer, 0, &every20ms, NULL))
		return CR_EXIT_SETUP;
	/*
	 * timer 3's signal, taken once after some expiries (its overrun
	 * count), then pending again while it expires some ten times more
	 */
	cr_sleep_ms(60);
	if (sigtimedwait(&set, &si, &zero) != SIG_TMR_BLOCKED)
		return CR_EXIT_SETUP;
	overrun_last = syscall(SYS_timer_getoverrun, tmr[3]);
	cr_sleep_ms(120);
	if (tmr_handled < 2 || overrun_last < 2 ||
	    read_timers(before, sizeof(before)))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* the same timers, ids, signals, values, notification and clocks */
	if (read_timers(after, sizeof(after)))
		return CR_WL_FAIL(1, "/proc/self/timers: %m");
	if (strcmp(before, after))
		return CR_WL_FAIL(2, "/proc/self/timers was\n%s\nand is now\n%s",
				  before, after);
	/* the absolute timer keeps its time */
	clock_gettime(CLOCK_REALTIME, &now);
	left = timer_left_ns(2, &every);
	n = (tmr_abs_at.tv_sec - now.tv_sec) * 1000 +
	    (tmr_abs_at.tv_nsec - now.tv_nsec) / 1000000 - left / 1000000;
	if (left <= 0 || every || n < -50 || n > 50)
		return CR_WL_FAIL(3, "absolute timer: %lld ns to go, %d ms off its time",
				  left, n);
	/* the CPU-time timers count on from what they had */
	for (i = 5; i <= 6; i++) {
		left = timer_left_ns(i, &every);
		if (left <= (TMR_CPU_S - 10) * 1000000000LL ||
		    left > TMR_CPU_S * 1000000000LL ||
		    every != (i == 6 ? 1000000000 : 0))
			return CR_WL_FAIL(4, "CPU-time timer %d: %lld ns to go, every %lld ns",
					  i, left, every);
	}
	/* the thread's timer has not fired yet, and will: at that thread */
	left = timer_left_ns(4, NULL);
	if (left <= 0 || left > TMR_THREAD_MS * 1000000LL)
		return CR_WL_FAIL(5, "thread's timer: %lld ns to go", left);
	/* the blocked one: its overrun count, until its signal is taken */
	n = syscall(SYS_timer_getoverrun, tmr[3]);
	if (n != overrun_last)
		return CR_WL_FAIL(13, "blocked timer: timer_getoverrun() %d, expected %d",
				  n, overrun_last);
	/* its own signal pending, with the overruns so far */
	memset(&si, 0, sizeof(si));
	if (sigtimedwait(&set, &si, &zero) != SIG_TMR_BLOCKED)
		return CR_WL_FAIL(6, "signal %d of the blocked timer not pending",
				  SIG_TMR_BLOCKED);
	if (si.si_code != SI_TIMER || si.si_timerid != (long)tmr[3] ||
	    si.si_value.sival_int != 0xa3 || si.si_overrun < 8)
		return CR_WL_FAIL(7, "blocked timer's signal: code %d timer %d value %#x overrun %d",
				  si.si_code, si.si_timerid,
				  si.si_value.sival_int, si.si_overrun);
	/* and it goes on expiring (timer 1's handler may interrupt the wait) */
	sigdelset(&set, SIG_TMR_THREAD);
	for (i = 0; i < 100; i++) {
		n = sigtimedwait(&set, &si, &wait);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n != SIG_TMR_BLOCKED)
		return CR_WL_FAIL(8, "the blocked timer stopped: %s",
				  n < 0 ? strerror(errno) : "another signal");
	/* the C library's thread timer goes on */
	n = tmr_notified;
	for (i = 0; i < 300 && tmr_notified < n + 3; i++)
		cr_sleep_ms(10);
	if (tmr_notified < n + 3)
		return CR_WL_FAIL(14, "SIGEV_THREAD timer: %d calls in 3 s",
				  tmr_notified - n);
	/* the handled one goes on too */
	n = tmr_handled;
	for (i = 0; i < 300 && tmr_handled < n + 3; i++)
		cr_sleep_ms(10);
	if (tmr_handled < n + 3 || timer_left_ns(1, &every) < 0 ||
	    every != 20000000)
		return CR_WL_FAIL(9, "periodic timer: %d signals in 3 s, every %lld ns",
				  tmr_handled - n, every);
	/* the thread's timer signals that thread only */
	for (i = 0; i < 500 && task_sig_bit(tmr_thr_tid, "SigPnd",
					   SIG_TMR_THREAD) != 1; i++)
		cr_sleep_ms(10);
	if (task_sig_bit(tmr_thr_tid, "SigPnd", SIG_TMR_THREAD) != 1 ||
	    task_sig_bit(tmr_thr_tid, "ShdPnd", SIG_TMR_THREAD) != 0 ||
	    task_sig_bit(gettid(), "SigPnd", SIG_TMR_THREAD) != 0)
		return CR_WL_FAIL(10, "signal %d of the thread's timer is not pending for that thread alone",
				  SIG_TMR_THREAD);
	/* every id works, and the next one is the one it would have been */
	for (i = 1; i < TMR_NR; i++)
		if (arm_timer(i, 0, 0, 0))
			return CR_WL_FAIL(11, "timer_settime(timer %d): %m", i);
	/* (the SIGEV_THREAD timer took the id after the last of tmr[]) */
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &next) ||
	    next != (long)tmr[TMR_NR - 1] + 2)
		return CR_WL_FAIL(12, "next timer id %d, expected %ld", next,
				  (long)tmr[TMR_NR - 1] + 2);
	tmr_thr_done = 1;
	pthread_join(th, NULL);
	return 0;
}

CR_TEST(cr_signals, posix_timer)
{
	tree_cycle(_metadata, ctx, wl_posix_timers, NULL, CHECKPOINT_SUBTREE);
}

TEST_HARNESS_MAIN
