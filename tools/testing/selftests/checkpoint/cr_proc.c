// SPDX-License-Identifier: GPL-2.0
/*
 * Process identity through checkpoint and restart: what /proc shows of a
 * task (comm, cmdline, environ, exe, auxv, the address space layout of
 * /proc/PID/stat), its brk, personality, robust futex list, rseq
 * registration, the tid addresses cleared at thread exit, a main stack
 * that grows down after the restart, and the exit signal of a child.
 *
 * A task restored by a task forked from the workload's own executable
 * would pass many of these checks with the state not restored at all:
 * the restarter had the same layout. So the workload execs a copy of
 * this binary, with its own argv and environment (its constructor runs
 * the workload: wl_main()), and the image is restarted both by the
 * restart tool (another executable: fixture cr_proc) and by a task
 * forked from the test that first moves every layout field of its own
 * address space with PR_SET_MM (fixture cr_proc_forked). Every check
 * compares the exact value after the restart with the one recorded
 * before the checkpoint; a workload runs all its checks and exits with
 * the code of the first that failed.
 */
#include "cr_tree.h"

#include <sys/auxv.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <linux/futex.h>

#define WL_FLAG		"--cr-proc-workload"
#define WL_ARGV0	"cr-proc-argv0"
#define WL_COMM		"cr-proc-wl"
#define WL_ENV		"CR_PROC_ENV=distinctive value 4711"
#define WL_PERS		(PER_LINUX | ADDR_NO_RANDOMIZE)
#define RSEQ_SIG	0x53053053

static int checks_failed;

/* Count a failed check, keep the first code: every check runs */
#define WL_CHECK(ret, cond, code, fmt, ...) do { \
	if (!(cond)) { \
		int __c = CR_WL_FAIL(code, fmt, ##__VA_ARGS__); \
		if (!(ret)) \
			(ret) = __c; \
		checks_failed++; \
	} \
} while (0)

/* ---- the exec'd workload ------------------------------------------------ */

static ssize_t read_proc(const char *path, void *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < size) {
		n = read(fd, (char *)buf + total, size - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	return total;
}

/* /proc/self/stat fields of the address space layout */
static const int stat_fields[] = { 26, 27, 28, 45, 46, 47, 48, 49, 50, 51 };
static const char *const stat_names[] = {
	"startcode", "endcode", "startstack", "start_data", "end_data",
	"start_brk", "arg_start", "arg_end", "env_start", "env_end",
};
#define NR_STAT		ARRAY_SIZE(stat_fields)

/*
 * Fields nrs[0..n) (numbered from 1, as in proc(5)) of a stat file; the
 * comm field (2) may hold anything but a ')'. 0, or -1.
 */
static int parse_stat(const char *path, const int *nrs, unsigned int n,
		      unsigned long *vals)
{
	char buf[2048], *p, *tok, *save = NULL;
	unsigned int i, field = 2;

	if (read_proc(path, buf, sizeof(buf) - 1) <= 0)
		return -1;
	buf[sizeof(buf) - 1] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (tok = strtok_r(p + 1, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save)) {
		field++;
		for (i = 0; i < n; i++)
			if (nrs[i] == (int)field)
				vals[i] = strtoul(tok, NULL, 10);
	}
	for (i = 0; i < n; i++)
		if (nrs[i] > (int)field)
			return -1;
	return 0;
}

static int read_stat(unsigned long *vals)
{
	return parse_stat("/proc/self/stat", stat_fields, NR_STAT, vals);
}

struct ident {
	char comm[64];
	ssize_t comm_len;
	char cmdline[4096];
	ssize_t cmdline_len;
	char environ[4096];
	ssize_t environ_len;
	char exe[PATH_MAX];
	unsigned long auxv[128];
	ssize_t auxv_len;
	unsigned long stat[NR_STAT];
	unsigned long brk;
	int pers;
	void *robust;
	size_t robust_len;
};

static int snap(struct ident *id)
{
	memset(id, 0, sizeof(*id));
	id->comm_len = read_proc("/proc/self/comm", id->comm,
				 sizeof(id->comm) - 1);
	if (id->comm_len > 0 && id->comm[id->comm_len - 1] == '\n')
		id->comm[--id->comm_len] = 0;
	id->cmdline_len = read_proc("/proc/self/cmdline", id->cmdline,
				    sizeof(id->cmdline));
	id->environ_len = read_proc("/proc/self/environ", id->environ,
				    sizeof(id->environ));
	if (readlink("/proc/self/exe", id->exe, sizeof(id->exe) - 1) < 0)
		return -1;
	id->auxv_len = read_proc("/proc/self/auxv", id->auxv,
				 sizeof(id->auxv));
	if (read_stat(id->stat))
		return -1;
	id->brk = syscall(SYS_brk, 0);
	id->pers = personality(0xffffffff);
	if (syscall(SYS_get_robust_list, 0, &id->robust, &id->robust_len))
		return -1;
	return 0;
}

/* Offset of the first byte that differs, or -1 */
static ssize_t diff_at(const void *a, ssize_t alen, const void *b, ssize_t blen)
{
	const unsigned char *x = a, *y = b;
	ssize_t i;

	for (i = 0; i < alen && i < blen; i++)
		if (x[i] != y[i])
			return i;
	return alen == blen ? -1 : i;
}

static void show_bytes(char *out, size_t size, const char *p, ssize_t len)
{
	size_t o = 0;
	ssize_t i;

	for (i = 0; i < len && o + 5 < size; i++)
		o += snprintf(out + o, size - o, p[i] >= 32 && p[i] < 127 ?
			      "%c" : "\\%o", (unsigned char)p[i]);
	out[o] = 0;
}

static int compare_ident(const struct ident *was, const struct ident *now)
{
	char s1[512] = "", s2[512] = "";
	unsigned int i, ax;
	ssize_t off;
	int ret = 0;

	WL_CHECK(ret, was->comm_len == now->comm_len &&
		 !memcmp(was->comm, now->comm, now->comm_len), 1,
		 "/proc/self/comm \"%.*s\", expected \"%.*s\"",
		 (int)now->comm_len, now->comm, (int)was->comm_len, was->comm);
	off = diff_at(was->cmdline, was->cmdline_len, now->cmdline,
		      now->cmdline_len);
	if (off >= 0) {
		show_bytes(s1, sizeof(s1), now->cmdline, now->cmdline_len);
		show_bytes(s2, sizeof(s2), was->cmdline, was->cmdline_len);
	}
	WL_CHECK(ret, off < 0, 2,
		 "/proc/self/cmdline differs at byte %zd: \"%s\" (%zd bytes), expected \"%s\" (%zd)",
		 off, s1, now->cmdline_len, s2, was->cmdline_len);
	off = diff_at(was->environ, was->environ_len, now->environ,
		      now->environ_len);
	if (off >= 0) {
		show_bytes(s1, sizeof(s1), now->environ, now->environ_len);
		show_bytes(s2, sizeof(s2), was->environ, was->environ_len);
	}
	WL_CHECK(ret, off < 0, 3,
		 "/proc/self/environ differs at byte %zd: \"%s\" (%zd bytes), expected \"%s\" (%zd)",
		 off, s1, now->environ_len, s2, was->environ_len);
	WL_CHECK(ret, !strcmp(was->exe, now->exe), 4,
		 "/proc/self/exe -> %s, expected %s", now->exe, was->exe);
	off = diff_at(was->auxv, was->auxv_len, now->auxv, now->auxv_len);
	ax = off < 0 ? 0 : off / 16 * 2;
	if (ax > ARRAY_SIZE(was->auxv) - 2)
		ax = ARRAY_SIZE(was->auxv) - 2;
	WL_CHECK(ret, off < 0, 5,
		 "/proc/self/auxv (%zd bytes, expected %zd) differs at byte %zd: entry type %lu value %#lx, expected type %lu value %#lx",
		 now->auxv_len, was->auxv_len, off, now->auxv[ax],
		 now->auxv[ax + 1], was->auxv[ax], was->auxv[ax + 1]);
	for (i = 0; i < NR_STAT; i++)
		WL_CHECK(ret, was->stat[i] == now->stat[i], 10 + i,
			 "/proc/self/stat field %d (%s) %#lx, expected %#lx",
			 stat_fields[i], stat_names[i], now->stat[i],
			 was->stat[i]);
	WL_CHECK(ret, was->brk == now->brk, 20,
		 "brk (brk(0)) %#lx, expected %#lx", now->brk, was->brk);
	WL_CHECK(ret, was->pers == now->pers, 22,
		 "personality %#x, expected %#x", now->pers, was->pers);
	WL_CHECK(ret, was->robust == now->robust &&
		 was->robust_len == now->robust_len, 23,
		 "robust list head %p (len %zu), expected %p (len %zu)",
		 now->robust, now->robust_len, was->robust, was->robust_len);
	return ret;
}

static struct robust_list_head wl_robust = {
	.list.next = &wl_robust.list,
};

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	usr1_seen++;
}

static struct rseq *my_rseq(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() +
			       __rseq_offset);
}

/*
 * Registering the area again: EBUSY when it is ours with that signature.
 * Linux 6.1 takes only the full length of struct rseq (32), whatever
 * feature size glibc advertises in __rseq_size (20 in Debian's 2.36).
 */
static int rseq_again(void)
{
	if (!syscall(SYS_rseq, my_rseq(), sizeof(struct rseq), 0, RSEQ_SIG))
		return 0;
	return errno;
}

/*
 * comm, cmdline, environ, exe, auxv, the layout fields of stat, brk,
 * personality, robust list and rseq, all exactly as before; and the
 * kernel updates the rseq area.
 */
static int wl_identity(struct cr_ctx *ctx)
{
	static struct ident was, now;
	unsigned long start_brk;
	void *glibc_robust;
	size_t glibc_len;
	int ret = 0, err;
	uint32_t cpu;

	if (prctl(PR_SET_NAME, WL_COMM) || personality(WL_PERS) < 0 ||
	    signal(SIGUSR1, on_usr1) == SIG_ERR)
		return CR_EXIT_SETUP;
	/* brk != start_brk */
	if (sbrk(3 * 4096 + 123) == (void *)-1)
		return CR_EXIT_SETUP;
	if (syscall(SYS_get_robust_list, 0, &glibc_robust, &glibc_len) ||
	    syscall(SYS_set_robust_list, &wl_robust, sizeof(wl_robust)))
		return CR_EXIT_SETUP;
	err = rseq_again();
	if (err != EBUSY) {
		fprintf(stderr, "rseq is not registered by glibc (rseq size %u): %s\n",
			__rseq_size, err ? strerror(err) : "success");
		return CR_EXIT_SETUP;
	}
	if (snap(&was))
		return CR_EXIT_SETUP;
	start_brk = was.stat[5];
	if (!was.stat[0] || !was.stat[3] || !was.stat[6] || !start_brk ||
	    was.brk <= start_brk || was.pers != WL_PERS ||
	    was.robust != &wl_robust || strncmp(was.comm, WL_COMM, 10)) {
		fprintf(stderr, "unexpected state before the checkpoint: start_code %#lx start_brk %#lx brk %#lx personality %#x robust %p comm %s\n",
			was.stat[0], start_brk, was.brk, was.pers, was.robust,
			was.comm);
		return CR_EXIT_SETUP;
	}

	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (snap(&now))
		return CR_WL_FAIL(30, "cannot read the identity after restart: %s",
				  strerror(errno));
	ret = compare_ident(&was, &now);

	/* the kernel updates the area on signal delivery */
	my_rseq()->cpu_id = 0xbad;
	raise(SIGUSR1);
	cpu = __atomic_load_n(&my_rseq()->cpu_id, __ATOMIC_RELAXED);
	WL_CHECK(ret, usr1_seen == 1 && cpu < CPU_SETSIZE, 26,
		 "rseq cpu_id %#x after a signal (handler ran %d times): the kernel does not update the area",
		 cpu, (int)usr1_seen);
	err = rseq_again();
	WL_CHECK(ret, err == EBUSY, 25,
		 "registering rseq area %p (signature %#x) again: %s, expected EBUSY",
		 my_rseq(), RSEQ_SIG, err ? strerror(err) : "success");

	syscall(SYS_set_robust_list, glibc_robust, glibc_len);
	if (checks_failed > 1)
		fprintf(stderr, "%d identity checks failed\n", checks_failed);
	return ret;
}

#define STACK_DEEP	(3 << 20)	/* bytes of stack after the restart */
#define FRAME		4000

/* Use about depth * FRAME bytes of stack, touching every page of it */
static int __attribute__((noinline)) deep(int depth)
{
	volatile char frame[FRAME];

	frame[0] = depth;
	frame[FRAME - 1] = 1;
	if (depth == 0)
		return 0;
	return deep(depth - 1) + (frame[FRAME - 1] != 1) +
	       (frame[0] != (char)depth);
}

static int stack_vma(unsigned long *start, unsigned long *end)
{
	static char maps[65536];
	char *line, *save = NULL;

	if (read_proc("/proc/self/maps", maps, sizeof(maps) - 1) <= 0)
		return -1;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%lx-%lx", start, end) == 2)
			return 0;
	return -1;
}

/*
 * A small main stack at the checkpoint, which grows down by 3 MiB after
 * the restart (in a child, then in the restored task itself).
 */
static int wl_stack(struct cr_ctx *ctx)
{
	unsigned long s0, e0, s1, e1;
	struct rlimit rl;
	int status, ret = 0;
	pid_t kid;

	if (getrlimit(RLIMIT_STACK, &rl) ||
	    rl.rlim_cur < STACK_DEEP + (1 << 20) || stack_vma(&s0, &e0) ||
	    e0 - s0 >= STACK_DEEP / 2)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (stack_vma(&s1, &e1))
		return CR_WL_FAIL(1, "no [stack] in /proc/self/maps");
	WL_CHECK(ret, s1 == s0 && e1 == e0, 2,
		 "[stack] %#lx-%#lx, expected %#lx-%#lx", s1, e1, s0, e0);
	fflush(stderr);
	kid = fork();
	if (kid < 0)
		return CR_WL_FAIL(3, "fork: %s", strerror(errno));
	if (kid == 0)
		_exit(deep(STACK_DEEP / FRAME));
	if (waitpid(kid, &status, 0) != kid)
		return CR_WL_FAIL(4, "waitpid: %s", strerror(errno));
	if (status) {
		WL_CHECK(ret, false, 5,
			 "a child recursing %d KiB deep: status %#x (signal %d): the stack does not grow down",
			 STACK_DEEP >> 10, status,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return ret;
	}
	/* and the restored task itself: a fault would kill it */
	return ret + deep(STACK_DEEP / FRAME);
}

#define JOINED_VAL	42L

static struct cr_ctx *thr_ctx;
static volatile pid_t main_ctid;	/* set_tid_address() of the main thread */
static volatile int thr_result = -1;	/* the main thread's verdict */
static volatile int thr_ready;
static volatile int thr_setup_err;

/* rseq and the robust list of the calling thread, as glibc set them */
struct thr_regs {
	void *robust;
	size_t robust_len;
};

static void thr_regs(struct thr_regs *r)
{
	syscall(SYS_get_robust_list, 0, &r->robust, &r->robust_len);
}

/* Exits after the restart: only the kernel clearing its tid lets join */
static void *joined_thread(void *arg)
{
	struct thr_regs was, now;
	int err;

	thr_regs(&was);
	err = rseq_again();
	if (err != EBUSY)
		thr_setup_err = err ? err : -1;
	__atomic_add_fetch(&thr_ready, 1, __ATOMIC_SEQ_CST);
	cr_wl_wait_go(thr_ctx);
	thr_regs(&now);
	if (now.robust != was.robust || now.robust_len != was.robust_len) {
		CR_WL_FAIL(4, "thread: robust list %p/%zu, expected %p/%zu",
			   now.robust, now.robust_len, was.robust,
			   was.robust_len);
		return (void *)4L;
	}
	err = rseq_again();
	if (err != EBUSY) {
		CR_WL_FAIL(5, "thread: registering its rseq area %p again: %s, expected EBUSY",
			   my_rseq(), err ? strerror(err) : "success");
		return (void *)5L;
	}
	return (void *)JOINED_VAL;
}

/* Waits for the main thread to exit and clear main_ctid; ends the process */
static void *watcher_thread(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	pid_t v;
	int i;

	__atomic_add_fetch(&thr_ready, 1, __ATOMIC_SEQ_CST);
	cr_wl_wait_go(thr_ctx);
	for (i = 0; i < 100; i++) {
		v = main_ctid;
		if (!v)
			break;
		syscall(SYS_futex, &main_ctid, FUTEX_WAIT, v, &ts, NULL, 0);
	}
	if (main_ctid)
		_exit(CR_WL_FAIL(3, "the main thread exited but its clear_child_tid word still holds %d: set_tid_address() not restored",
				 main_ctid));
	_exit(thr_result);
}

/*
 * Threads' clear_child_tid: a thread exits after the restart and is
 * joined (glibc waits for the kernel to clear its tid), and the main
 * thread, with a tid address of its own, exits: the kernel clears that
 * word, which another thread sees.
 */
static int wl_threads(struct cr_ctx *ctx)
{
	struct timespec ts;
	pthread_t joined, watcher;
	void *res = NULL;
	int err;

	thr_ctx = ctx;
	main_ctid = syscall(SYS_set_tid_address, &main_ctid);
	if (pthread_create(&joined, NULL, joined_thread, NULL) ||
	    pthread_create(&watcher, NULL, watcher_thread, NULL))
		return CR_EXIT_SETUP;
	while (thr_ready < 2)
		cr_sleep_ms(1);
	if (thr_setup_err) {
		fprintf(stderr, "thread: rseq not registered: %s\n",
			strerror(thr_setup_err));
		return CR_EXIT_SETUP;
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	err = pthread_timedjoin_np(joined, &res, &ts);
	if (err)
		thr_result = CR_WL_FAIL(1, "joining a thread that exited after the restart: %s: its clear_child_tid not restored",
					strerror(err));
	else	/* the thread's own verdict: 4 or 5 */
		thr_result = res == (void *)JOINED_VAL ? 0 : (long)res;
	/* the main thread alone: the watcher ends the process */
	syscall(SYS_exit, 0);
	return CR_EXIT_SETUP;
}

#define CHILD_CODE	37

/* exit_signal of the caller: /proc/self/stat field 38 */
static long exit_signal_now(void)
{
	static const int nr = 38;
	unsigned long val;

	return parse_stat("/proc/self/stat", &nr, 1, &val) ? -1 : (long)val;
}

/*
 * A child made by clone3() with exit_signal SIGUSR2: after the restart
 * it still has that exit signal (/proc/PID/stat field 38), its parent
 * gets SIGUSR2, not SIGCHLD, when it exits, and only a wait with __WALL
 * (or __WCLONE) reaps it.
 */
static int wl_exit_signal(struct cr_ctx *ctx)
{
	struct clone_args ca = { .exit_signal = SIGUSR2 };
	struct timespec ts = { 10, 0 };
	siginfo_t si = { 0 };
	int sig, status = 0, ret = 0;
	long esig;
	sigset_t set;
	pid_t kid, r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return CR_EXIT_SETUP;
	kid = syscall(__NR_clone3, &ca, sizeof(ca));
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		if (exit_signal_now() != SIGUSR2)
			_exit(CR_EXIT_SETUP);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		esig = exit_signal_now();
		if (esig != SIGUSR2)
			_exit(CR_WL_FAIL(1, "child: exit signal (stat field 38) %ld, expected %d (SIGUSR2)",
					 esig, SIGUSR2));
		_exit(CHILD_CODE);
	}
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	sig = sigtimedwait(&set, &si, &ts);
	WL_CHECK(ret, sig >= 0, 2,
		 "no signal in 10 s after the child was let go: %s",
		 strerror(errno));
	WL_CHECK(ret, sig < 0 || (sig == SIGUSR2 && si.si_pid == kid &&
				  si.si_code == CLD_EXITED &&
				  si.si_status == CHILD_CODE), 3,
		 "parent got signal %d (%s) from pid %d, code %d, status %d; expected SIGUSR2 from the child %d, CLD_EXITED, status %d",
		 sig, strsignal(sig), si.si_pid, si.si_code, si.si_status, kid,
		 CHILD_CODE);
	r = waitpid(kid, &status, WNOHANG);
	WL_CHECK(ret, r == -1 && errno == ECHILD, 4,
		 "waitpid() without __WALL returned %d (status %#x, %s), expected ECHILD: the child exits with SIGCHLD",
		 r, status, r < 0 ? strerror(errno) : "-");
	if (r == kid)
		return ret;
	r = waitpid(kid, &status, __WALL);
	WL_CHECK(ret, r == kid && WIFEXITED(status) &&
		 WEXITSTATUS(status) == CHILD_CODE, 5,
		 "waitpid(__WALL) returned %d status %#x, expected %d exit %d",
		 r, status, kid, CHILD_CODE);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(struct cr_ctx *ctx);
} workloads[] = {
	{ "identity", wl_identity },
	{ "stack", wl_stack },
	{ "threads", wl_threads },
	{ "exitsig", wl_exit_signal },
};

/*
 * The exec'd workload: argv is WL_ARGV0 WL_FLAG <workload> <test name>
 * and more; the ready pipe is at CR_READY_FD, stderr is the workload log.
 * Runs before main() and never returns there.
 */
__attribute__((constructor))
static void wl_main(int argc, char **argv, char **envp)
{
	static struct cr_ctx ctx;
	unsigned int i;

	if (argc < 4 || strcmp(argv[1], WL_FLAG))
		return;
	ctx.logfd = -1;
	ctx.ready_fd = CR_READY_FD;
	snprintf(ctx.name, sizeof(ctx.name), "%s", argv[3]);
	cr_ctx_paths(&ctx);
	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(argv[2], workloads[i].name))
			_exit(workloads[i].fn(&ctx) & 0xff);
	fprintf(stderr, "no workload %s\n", argv[2]);
	_exit(CR_EXIT_SETUP);
}

/* ---- the test side -------------------------------------------------------- */

/* Runs in the spawned child: exec the copy of this binary (ctx->data2) */
static int wl_exec(struct cr_ctx *ctx, void *arg)
{
	char *const argv[] = {
		WL_ARGV0, WL_FLAG, arg, ctx->name, "two words", "", "last",
		NULL
	};
	char *const envp[] = {
		WL_ENV, "CR_PROC_EMPTY=", "PATH=/usr/bin:/bin", NULL
	};

	execve(ctx->data2, argv, envp);
	fprintf(stderr, "execve %s: %s\n", ctx->data2, strerror(errno));
	return CR_EXIT_SETUP;
}

/* The workload's executable: a copy of this one, named differently */
static void copy_exe(struct __test_metadata *_metadata, struct cr_ctx *ctx)
{
	size_t len;
	void *exe = cr_read_whole("/proc/self/exe", &len);

	ASSERT_NE(NULL, exe);
	ASSERT_EQ(0, cr_write_whole(ctx->data2, exe, len));
	free(exe);
	ASSERT_EQ(0, chmod(ctx->data2, 0755));
}

/* Restarted by the restart tool, a different executable */
static void by_tool(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		    const char *wl)
{
	copy_exe(_metadata, ctx);
	tree_cycle(_metadata, ctx, wl_exec, (void *)wl, CHECKPOINT_SUBTREE);
}

/*
 * Give the calling task an address space layout of its own: move every
 * field of its mm that /proc shows (PR_SET_MM, needs CAP_SYS_RESOURCE),
 * so that a field the restart leaves alone differs from the image's
 * even where this binary and the workload's have the same layout (code
 * and data of the same static executable). 0, or -1 with a message.
 */
static int scramble_mm(void)
{
	const struct { int opt; int idx; long delta; } moves[] = {
		/* each move keeps start <= end; ends move first */
		{ PR_SET_MM_END_CODE,	 1, 0x1000 },
		{ PR_SET_MM_START_CODE,	 0, 0x1000 },
		{ PR_SET_MM_START_STACK, 2, -0x100 },
		{ PR_SET_MM_END_DATA,	 4, 0x1000 },
		{ PR_SET_MM_START_DATA,	 3, 0x1000 },
		{ PR_SET_MM_BRK,	 -1, 0x3000 },
		{ PR_SET_MM_START_BRK,	 5, 0x1000 },
		{ PR_SET_MM_ARG_START,	 6, 1 },
		{ PR_SET_MM_ARG_END,	 7, -1 },
		{ PR_SET_MM_ENV_START,	 8, 1 },
		{ PR_SET_MM_ENV_END,	 9, -1 },
	};
	unsigned long st[NR_STAT], auxv[128], val;
	unsigned int i;
	ssize_t n;

	if (read_stat(st))
		return -1;
	for (i = 0; i < ARRAY_SIZE(moves); i++) {
		val = moves[i].idx < 0 ? (unsigned long)syscall(SYS_brk, 0) :
		      st[moves[i].idx];
		val += moves[i].delta;
		if (prctl(PR_SET_MM, moves[i].opt, val, 0, 0)) {
			fprintf(stderr, "PR_SET_MM %d to %#lx: %s\n",
				moves[i].opt, val, strerror(errno));
			return -1;
		}
	}
	/* and a clock tick nobody has */
	n = read_proc("/proc/self/auxv", auxv, sizeof(auxv));
	for (i = 0; n > 0 && i + 1 < n / sizeof(long); i += 2)
		if (auxv[i] == AT_CLKTCK)
			auxv[i + 1] = 4711;
	if (n <= 0 || prctl(PR_SET_MM, PR_SET_MM_AUXV, auxv, n, 0)) {
		fprintf(stderr, "PR_SET_MM_AUXV: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Restarted by a task forked from the test (another exec of the same
 * binary as the workload's), its layout scrambled first.
 */
static void by_fork(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		    const char *wl)
{
	char st[128] = "";
	int fd, err, status;
	long ret;

	copy_exe(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_exec, (void *)wl);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);

	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	fflush(stdout);
	fflush(stderr);
	ctx->rs_pid = fork();
	ASSERT_LE(0, ctx->rs_pid);
	if (ctx->rs_pid == 0) {
		if (scramble_mm())
			_exit(CR_EXIT_HELPER_FAILED);
		sys_restart(0, fd, 0, ctx->logfd);
		_exit(CR_EXIT_RESTART_RETURNED);
	}
	ret = sys_restart(ctx->rs_pid, fd, 0, ctx->logfd);
	err = errno;
	close(fd);
	if (ret) {
		if (!cr_wait_timeout(ctx->rs_pid, &status, 5000))
			cr_status_str(status, st, sizeof(st));
		ctx->rs_pid = 0;
	}
	ASSERT_EQ(0, ret) {
		TH_LOG("restart() returned %ld: %s; restarting task %s", ret,
		       strerror(err), st);
		cr_dump_logs(_metadata, ctx);
	}
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

FIXTURE(cr_proc) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_proc) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_proc) { cr_teardown(_metadata, &self->ctx); }

/*
 * Who restarts: the restart tool (a different executable), or a task
 * forked from the test with its layout scrambled first
 */
FIXTURE(cr_proc_restarter) { struct cr_ctx ctx; };
FIXTURE_VARIANT(cr_proc_restarter) { bool fork; };
FIXTURE_VARIANT_ADD(cr_proc_restarter, tool) { .fork = false };
FIXTURE_VARIANT_ADD(cr_proc_restarter, fork) { .fork = true };
FIXTURE_SETUP(cr_proc_restarter) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_proc_restarter) { cr_teardown(_metadata, &self->ctx); }

/*
 * comm, cmdline, environ, exe, auxv, stat layout, brk, personality,
 * robust list and rseq
 */
CR_TEST_V(cr_proc_restarter, identity)
{
	if (variant->fork)
		by_fork(_metadata, ctx, "identity");
	else
		by_tool(_metadata, ctx, "identity");
}

/* the main stack grows down by 3 MiB after the restart */
CR_TEST_V(cr_proc_restarter, stack_grows_down)
{
	if (variant->fork)
		by_fork(_metadata, ctx, "stack");
	else
		by_tool(_metadata, ctx, "stack");
}

#define NICE_VALUE	7

static int wl_nice_nnp(struct cr_ctx *ctx, void *arg)
{
	int nice;

	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, NICE_VALUE) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (nice != NICE_VALUE || errno)
		return CR_WL_FAIL(1, "nice %d, expected %d", nice, NICE_VALUE);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return CR_WL_FAIL(2, "no_new_privs was lost");
	return 0;
}

/* the nice value and no_new_privs come back */
CR_TEST(cr_proc, nice_and_no_new_privs)
{
	cr_cycle(_metadata, ctx, wl_nice_nnp, NULL);
}

static int wl_affinity(struct cr_ctx *ctx, void *arg)
{
	int last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(last, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (sched_getaffinity(0, sizeof(set), &set))
		return CR_WL_FAIL(1, "sched_getaffinity: %s", strerror(errno));
	if (CPU_COUNT(&set) != 1 || !CPU_ISSET(last, &set))
		return CR_WL_FAIL(2, "affinity of %d CPUs, expected CPU %d alone",
				  CPU_COUNT(&set), last);
	if (sched_getcpu() != last)
		return CR_WL_FAIL(3, "running on CPU %d, not %d", sched_getcpu(),
				  last);
	return 0;
}

/* a task bound to one CPU (the last) is bound to it again */
CR_TEST(cr_proc, cpu_affinity)
{
	cr_cycle(_metadata, ctx, wl_affinity, NULL);
}

/* The Cap* lines of /proc/self/status and the securebits, as one string */
static int caps_now(char *buf, size_t size)
{
	char status[4096], *line, *save = NULL;
	size_t n = 0;

	if (cr_read_str("/proc/self/status", status, sizeof(status)) <= 0)
		return -1;
	for (line = strtok_r(status, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "Cap", 3))
			n += snprintf(buf + n, size - n, "%s ", line);
	snprintf(buf + n, size - n, "securebits %d",
		 prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	return 0;
}

#define CAPBIT(c)	(1U << (c))

/*
 * Root with reduced capabilities: a smaller bounding set, chosen
 * permitted, effective and inheritable sets, an ambient capability,
 * securebits
 */
static int wl_caps(struct cr_ctx *ctx, void *arg)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .permitted = CAPBIT(CAP_CHOWN) | CAPBIT(CAP_NET_RAW) |
			       CAPBIT(CAP_KILL),
		  .effective = CAPBIT(CAP_CHOWN),
		  .inheritable = CAPBIT(CAP_NET_RAW) },
		{ .permitted = 1U << (CAP_CHECKPOINT_RESTORE - 32) },
	};
	char before[1024], after[1024];

	if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_NOROOT, 0, 0, 0) ||
	    prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0) ||
	    prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) ||
	    syscall(SYS_capset, &hdr, data) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) ||
	    caps_now(before, sizeof(before)))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (caps_now(after, sizeof(after)))
		return CR_WL_FAIL(1, "cannot read the capabilities");
	if (strcmp(before, after))
		return CR_WL_FAIL(2, "capabilities were: %s; now: %s", before,
				  after);
	return 0;
}

/*
 * A root task that gave up capabilities gets back exactly its sets and
 * securebits, not the restarter's full set
 */
CR_TEST(cr_proc, capabilities)
{
	cr_cycle(_metadata, ctx, wl_caps, NULL);
}

/* Not dumpable, with a coredump filter of its own */
static int wl_dumpable(struct cr_ctx *ctx, void *arg)
{
	/* only with core dumps in the kernel (CONFIG_ELF_CORE) */
	bool filter_file = !access("/proc/self/coredump_filter", F_OK);
	char filter[32] = "";

	if ((filter_file &&
	     cr_write_str("/proc/self/coredump_filter", "0x7f")) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CR_WL_FAIL(1, "dumpable again after restart");
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1)
		return CR_WL_FAIL(3, "PR_SET_THP_DISABLE lost");
	if (filter_file &&
	    (cr_read_str("/proc/self/coredump_filter", filter, sizeof(filter)) <= 0 ||
	     strtoul(filter, NULL, 16) != 0x7f))
		return CR_WL_FAIL(2, "coredump_filter %s, expected 0x7f", filter);
	return 0;
}

/*
 * A task that made itself not dumpable (no ptrace, /proc files root's)
 * stays so; its coredump_filter and PR_SET_THP_DISABLE are kept
 */
CR_TEST(cr_proc, dumpable_and_coredump_filter)
{
	cr_cycle(_metadata, ctx, wl_dumpable, NULL);
}

/*
 * arg: the policy (SCHED_BATCH or SCHED_FIFO | SCHED_RESET_ON_FORK); a
 * timer slack of its own (a real-time task has none: PR_SET_TIMERSLACK
 * leaves it 0)
 */
static int wl_sched(struct cr_ctx *ctx, void *arg)
{
	int policy = *(int *)arg, now, slack;
	bool rt = (policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO;
	struct sched_param sp = { .sched_priority = rt ? 10 : 0 };
	int want_prio = sp.sched_priority;

	if (sched_setscheduler(0, policy, &sp) ||
	    prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0))
		return CR_EXIT_SETUP;
	slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (slack != (rt ? 0 : 123456))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	now = sched_getscheduler(0);
	if (now != policy || sched_getparam(0, &sp) ||
	    sp.sched_priority != want_prio)
		return CR_WL_FAIL(1, "policy %#x priority %d, expected %#x %d",
				  now, sp.sched_priority, policy, want_prio);
	if (prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != slack)
		return CR_WL_FAIL(2, "timer slack %d, expected %d",
				  prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), slack);
	/* the default it had comes back too: not the one just set */
	if (!rt && (prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0) ||
		    prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 123456))
		return CR_WL_FAIL(3, "default timer slack lost");
	return 0;
}

/*
 * The scheduling policy comes back, with a timer slack of its own:
 * SCHED_BATCH, or SCHED_FIFO with its priority and SCHED_RESET_ON_FORK
 */
FIXTURE(cr_sched) { struct cr_ctx ctx; };
FIXTURE_VARIANT(cr_sched) { int policy; };
FIXTURE_VARIANT_ADD(cr_sched, batch) { .policy = SCHED_BATCH };
FIXTURE_VARIANT_ADD(cr_sched, fifo_reset_on_fork) {
	.policy = SCHED_FIFO | SCHED_RESET_ON_FORK };
FIXTURE_SETUP(cr_sched) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_sched) { cr_teardown(_metadata, &self->ctx); }

CR_TEST_V(cr_sched, policy_kept)
{
	int policy = variant->policy;

	cr_cycle(_metadata, ctx, wl_sched, &policy);
}

/* threads are joined, the main thread's tid word is cleared at its exit */
CR_TEST(cr_proc, clear_child_tid)
{
	by_tool(_metadata, ctx, "threads");
}

/* a child with exit signal SIGUSR2 keeps it */
CR_TEST(cr_proc, exit_signal)
{
	by_tool(_metadata, ctx, "exitsig");
}

/*
 * Restart a copy of the image (in ctx->data) whose n-th TASK record has
 * exit_signal sig: the restart tool must fail, and the log say why.
 */
static void refuse_exit_signal(struct __test_metadata *_metadata,
			       struct cr_ctx *ctx, unsigned int n, uint32_t sig,
			       const char *what)
{
	const struct cr_rec *task;
	struct cr_image im;
	char st[128], *log;
	unsigned char *img;
	size_t len;
	int status;

	ASSERT_EQ(0, cr_image_scan(ctx->img, &im)) {
		TH_LOG("%s", im.err);
	}
	task = cr_image_find(&im, CKPT_HDR_TASK, n);
	ASSERT_NE(NULL, task);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	memcpy(img + task->off + offsetof(struct ckpt_hdr_task, exit_signal),
	       &sig, sizeof(sig));
	cr_image_free(&im);
	ASSERT_EQ(0, cr_write_whole(ctx->data, img, len));
	free(img);

	status = restart_tool(_metadata, ctx, ctx->data);
	cr_status_str(status, st, sizeof(st));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		TH_LOG("exit signal %d for %s: restart tool %s, expected exit 1",
		       (int)sig, what, st);
	}
	log = cr_read_whole(ctx->log, &len);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, "bad exit signal")) {
		cr_dump(_metadata, "c/r log", ctx->log);
	}
	free(log);
}

/*
 * An image whose process has an exit signal that is no signal, or whose
 * thread has one (threads have none), is refused.
 */
CR_TEST(cr_proc, bad_exit_signal_refused)
{
	by_tool(_metadata, ctx, "threads");
	refuse_exit_signal(_metadata, ctx, 0, 99, "the process");
	refuse_exit_signal(_metadata, ctx, 1, SIGCHLD, "a thread");
}

TEST_HARNESS_MAIN
