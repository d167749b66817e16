// SPDX-License-Identifier: GPL-2.0
/*
 * Other kinds of open files through checkpoint and restart (with the
 * restart tool): eventfds (counter, semaphore mode, flags, a reader in
 * another process), signalfds (the signals they read, a pending one),
 * character devices by path (/dev/null, /dev/zero, /dev/full,
 * /dev/urandom), directories open at a getdents() position, O_PATH
 * fds (of files, directories, a FIFO, a symbolic link, /dev/tty);
 * inotify instances (watches by path, descriptors, events not read
 * yet); and a terminal and a device with state of its own, refused.
 */
#include "cr_tree.h"

#include <dirent.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

FIXTURE(cr_fdkinds) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_fdkinds) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_fdkinds) { cr_teardown(_metadata, &self->ctx); }

/* ---- eventfd ---------------------------------------------------------------- */

#define FD_EV_NB	20	/* counter 15, O_NONBLOCK */
#define FD_EV_SEM	21	/* semaphore, counter 3 */
#define FD_EV_KID	22	/* 0; child K waits on it */
#define FD_EV_MAX	23	/* counter 2^64 - 2 */

static int wl_eventfd(struct cr_ctx *ctx, void *arg)
{
	uint64_t v = 10;
	int status;
	pid_t k;

	if (cr_move_fd(eventfd(5, EFD_NONBLOCK), FD_EV_NB) ||
	    write(FD_EV_NB, &v, 8) != 8 ||
	    cr_move_fd(eventfd(3, EFD_SEMAPHORE), FD_EV_SEM) ||
	    cr_move_fd(eventfd(0, 0), FD_EV_KID) ||
	    cr_move_fd(eventfd(0, 0), FD_EV_MAX))
		return CR_EXIT_SETUP;
	v = UINT64_MAX - 1;
	if (write(FD_EV_MAX, &v, 8) != 8)
		return CR_EXIT_SETUP;
	k = fork();
	if (k == 0) {
		close(ctx->ready_fd);
		/* blocked here through the checkpoint and the restart */
		if (read(FD_EV_KID, &v, 8) != 8)
			_exit(10);
		_exit(v == 7 ? 0 : 11);
	}
	if (k < 0)
		return CR_EXIT_SETUP;
	cr_sleep_ms(100);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (read(FD_EV_NB, &v, 8) != 8 || v != 15)
		return CR_WL_FAIL(1, "counter %llu, not 15", (unsigned long long)v);
	if (read(FD_EV_NB, &v, 8) != -1 || errno != EAGAIN)
		return CR_WL_FAIL(2, "the eventfd is not O_NONBLOCK or not 0");
	if ((fcntl(FD_EV_NB, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) !=
	    (O_RDWR | O_NONBLOCK))
		return CR_WL_FAIL(3, "flags %#x", fcntl(FD_EV_NB, F_GETFL));
	for (int i = 0; i < 3; i++)
		if (read(FD_EV_SEM, &v, 8) != 8 || v != 1)
			return CR_WL_FAIL(4, "semaphore read %d: %llu", i,
					  (unsigned long long)v);
	if (fcntl(FD_EV_SEM, F_SETFL, O_NONBLOCK) ||
	    read(FD_EV_SEM, &v, 8) != -1 || errno != EAGAIN)
		return CR_WL_FAIL(5, "the semaphore is not down to 0");
	if (read(FD_EV_MAX, &v, 8) != 8 || v != UINT64_MAX - 1)
		return CR_WL_FAIL(6, "counter %llu", (unsigned long long)v);
	v = 7;
	if (write(FD_EV_KID, &v, 8) != 8)
		return CR_WL_FAIL(7, "write: %s", strerror(errno));
	if (waitpid(k, &status, 0) != k || status)
		return CR_WL_FAIL(8, "the reader's status %#x", status);
	return 0;
}

CR_TEST(cr_fdkinds, eventfd)
{
	tree_cycle(_metadata, ctx, wl_eventfd, NULL, 0);
}

/* ---- signalfd --------------------------------------------------------------- */

#define FD_SIG		20

static int wl_signalfd(struct cr_ctx *ctx, void *arg)
{
	struct signalfd_siginfo si;
	char path[64], buf[4096];
	sigset_t mask;
	ssize_t n;
	char *l;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return CR_EXIT_SETUP;
	sigdelset(&mask, SIGUSR2);
	sigaddset(&mask, SIGRTMIN + 3);
	if (cr_move_fd(signalfd(-1, &mask, SFD_NONBLOCK), FD_SIG) ||
	    kill(getpid(), SIGUSR1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (read(FD_SIG, &si, sizeof(si)) != sizeof(si) ||
	    si.ssi_signo != SIGUSR1)
		return CR_WL_FAIL(1, "the pending SIGUSR1 is not read");
	if (kill(getpid(), SIGUSR2) ||
	    read(FD_SIG, &si, sizeof(si)) != -1 || errno != EAGAIN)
		return CR_WL_FAIL(2, "SIGUSR2 is read, or the fd blocks");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", FD_SIG);
	n = cr_read_str(path, buf, sizeof(buf));
	l = n > 0 ? strstr(buf, "sigmask:") : NULL;
	/* SIGUSR1 is bit 9, SIGRTMIN + 3 (37) bit 36 */
	if (!l || !strstr(l, "0000001000000200"))
		return CR_WL_FAIL(3, "fdinfo: %s", n > 0 ? buf : "none");
	return 0;
}

CR_TEST(cr_fdkinds, signalfd)
{
	tree_cycle(_metadata, ctx, wl_signalfd, NULL, 0);
}

/* ---- timerfd ---------------------------------------------------------------- */

#define FD_TF_ONE	20	/* CLOCK_MONOTONIC, in 3 s, O_NONBLOCK */
#define FD_TF_PER	21	/* CLOCK_BOOTTIME, every 20 ms, not read */
#define FD_TF_ABS	22	/* CLOCK_REALTIME, absolute: in an hour */
#define FD_TF_FIRED	23	/* fired once, not read */
#define FD_TF_OFF	24	/* never set */
#define NS		1000000000LL

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * NS + t->tv_nsec;
}

static int wl_timerfd(struct cr_ctx *ctx, void *arg)
{
	struct itimerspec one = { .it_value = { 3, 0 } };
	struct itimerspec per = { .it_value = { 0, 20000000 },
				  .it_interval = { 0, 20000000 } };
	struct itimerspec fired = { .it_value = { 0, 1000000 } };
	struct itimerspec abs = { 0 }, cur;
	struct timespec now;
	char path[64], buf[1024];
	uint64_t ticks;
	long long abs_ns;

	clock_gettime(CLOCK_REALTIME, &now);
	abs.it_value.tv_sec = now.tv_sec + 3600;
	abs_ns = ts_ns(&abs.it_value);
	if (cr_move_fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), FD_TF_ONE) ||
	    timerfd_settime(FD_TF_ONE, 0, &one, NULL) ||
	    cr_move_fd(timerfd_create(CLOCK_BOOTTIME, 0), FD_TF_PER) ||
	    timerfd_settime(FD_TF_PER, 0, &per, NULL) ||
	    cr_move_fd(timerfd_create(CLOCK_REALTIME, 0), FD_TF_ABS) ||
	    timerfd_settime(FD_TF_ABS, TFD_TIMER_ABSTIME |
			    TFD_TIMER_CANCEL_ON_SET, &abs, NULL) ||
	    cr_move_fd(timerfd_create(CLOCK_MONOTONIC, 0), FD_TF_FIRED) ||
	    timerfd_settime(FD_TF_FIRED, 0, &fired, NULL) ||
	    cr_move_fd(timerfd_create(CLOCK_MONOTONIC, 0), FD_TF_OFF))
		return CR_EXIT_SETUP;
	cr_sleep_ms(200);	/* the periodic one fires about 10 times */
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* the one-shot: still armed, within its 3 s, nothing to read */
	if (timerfd_gettime(FD_TF_ONE, &cur) || !ts_ns(&cur.it_value) ||
	    ts_ns(&cur.it_value) > 3 * NS || ts_ns(&cur.it_interval))
		return CR_WL_FAIL(1, "one-shot: %lld ns left",
				  ts_ns(&cur.it_value));
	if (read(FD_TF_ONE, &ticks, 8) != -1 || errno != EAGAIN)
		return CR_WL_FAIL(2, "one-shot: fired, or not O_NONBLOCK");
	/*
	 * the periodic one: the expiries before the checkpoint, and on (its
	 * time left may read 0: an expiry due this instant, not yet run)
	 */
	if (timerfd_gettime(FD_TF_PER, &cur) ||
	    ts_ns(&cur.it_interval) != 20000000)
		return CR_WL_FAIL(3, "periodic: every %lld ns",
				  ts_ns(&cur.it_interval));
	if (read(FD_TF_PER, &ticks, 8) != 8 || ticks < 5)
		return CR_WL_FAIL(4, "periodic: %llu expiries",
				  (unsigned long long)ticks);
	if (read(FD_TF_PER, &ticks, 8) != 8 || !ticks)
		return CR_WL_FAIL(5, "periodic: stopped");
	/* the absolute one: the same wall-clock time, flags kept */
	clock_gettime(CLOCK_REALTIME, &now);
	if (timerfd_gettime(FD_TF_ABS, &cur) ||
	    llabs(ts_ns(&now) + ts_ns(&cur.it_value) - abs_ns) > NS)
		return CR_WL_FAIL(6, "absolute: %lld ns left, %lld ns off",
				  ts_ns(&cur.it_value),
				  ts_ns(&now) + ts_ns(&cur.it_value) - abs_ns);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", FD_TF_ABS);
	if (cr_read_str(path, buf, sizeof(buf)) <= 0 ||
	    !strstr(buf, "settime flags: 03") || !strstr(buf, "clockid: 0"))
		return CR_WL_FAIL(7, "absolute: fdinfo %s", buf);
	/* the one that fired: its expiry is there to read, it is disarmed */
	if (read(FD_TF_FIRED, &ticks, 8) != 8 || ticks != 1 ||
	    timerfd_gettime(FD_TF_FIRED, &cur) || ts_ns(&cur.it_value))
		return CR_WL_FAIL(8, "fired: %llu", (unsigned long long)ticks);
	if (timerfd_gettime(FD_TF_OFF, &cur) || ts_ns(&cur.it_value) ||
	    ts_ns(&cur.it_interval))
		return CR_WL_FAIL(9, "never set: armed");
	return 0;
}

CR_TEST(cr_fdkinds, timerfd)
{
	tree_cycle(_metadata, ctx, wl_timerfd, NULL, 0);
}

/* ---- epoll ------------------------------------------------------------------ */

#define FD_EP		20	/* the epoll instance, shared with child K */
#define FD_EP2		21	/* a nested one, watched by FD_EP */
#define FD_EP_PIPE	22	/* read end of a pipe with data: EPOLLIN */
#define FD_EP_PIPE_W	23
#define FD_EP_EV	24	/* an eventfd at 0: EPOLLIN | EPOLLET, not ready */
#define FD_EP_SOCK	25	/* a socket: EPOLLOUT, ready */
#define FD_EP_ONCE	26	/* an eventfd at 1, EPOLLONESHOT, fired */
#define FD_EP_INNER	27	/* an eventfd at 1, watched by FD_EP2 */

static int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* The data of the watches epoll_wait() reports now, as a bit mask */
static unsigned int ep_ready(int ep, uint32_t *events_of_1)
{
	struct epoll_event e[8];
	unsigned int mask = 0;
	int i, n = epoll_wait(ep, e, 8, 0);

	for (i = 0; i < n; i++) {
		/* the data comes back whole: the pipe's has high bits */
		if (e[i].data.u64 != ((e[i].data.u64 & 31) == 1 ?
				      0x1000000001ULL : (e[i].data.u64 & 31)))
			return ~0U;
		mask |= 1U << (e[i].data.u64 & 31);
		if ((e[i].data.u64 & 31) == 1 && events_of_1)
			*events_of_1 = e[i].events;
	}
	return n < 0 ? ~0U : mask;
}

static int wl_epoll(struct cr_ctx *ctx, void *arg)
{
	uint64_t one = 1, v;
	struct epoll_event e;
	int p[2], sv[2], status;
	uint32_t ev1 = 0;
	unsigned int got;
	pid_t k;

	if (cr_move_fd(epoll_create1(0), FD_EP) ||
	    cr_move_fd(epoll_create1(0), FD_EP2) ||
	    fcntl(FD_EP2, F_SETFD, FD_CLOEXEC) ||
	    pipe(p) || cr_move_fd(p[0], FD_EP_PIPE) ||
	    cr_move_fd(p[1], FD_EP_PIPE_W) || write(FD_EP_PIPE_W, "x", 1) != 1 ||
	    cr_move_fd(eventfd(0, EFD_NONBLOCK), FD_EP_EV) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    cr_move_fd(sv[0], FD_EP_SOCK) || cr_move_fd(eventfd(1, 0), FD_EP_ONCE) ||
	    cr_move_fd(eventfd(1, 0), FD_EP_INNER))
		return CR_EXIT_SETUP;
	/* data: bit 0x10 marks ours; the low bits tell which watch */
	if (ep_add(FD_EP, FD_EP_PIPE, EPOLLIN, 0x1000000001ULL) ||
	    ep_add(FD_EP, FD_EP_EV, EPOLLIN | EPOLLET, 2) ||
	    ep_add(FD_EP, FD_EP_SOCK, EPOLLOUT, 3) ||
	    ep_add(FD_EP, FD_EP_ONCE, EPOLLIN | EPOLLONESHOT, 4) ||
	    ep_add(FD_EP2, FD_EP_INNER, EPOLLIN, 6) ||
	    ep_add(FD_EP, FD_EP2, EPOLLIN, 5))
		return CR_EXIT_SETUP;
	/* the one-shot fires and is disabled */
	got = ep_ready(FD_EP, NULL);
	if (got != ((1U << 1) | (1U << 3) | (1U << 4) | (1U << 5)) ||
	    ep_ready(FD_EP, NULL) & (1U << 4))
		return CR_WL_FAIL(CR_EXIT_SETUP, "ready before: %#x", got);
	k = fork();
	if (k == 0) {
		close(ctx->ready_fd);
		cr_wl_wait_go(ctx);
		/* the child shares the instance: it sees the pipe ready */
		_exit(ep_ready(FD_EP, NULL) & (1U << 1) ? 0 : 40);
	}
	if (k < 0)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (waitpid(k, &status, 0) != k || status)
		return CR_WL_FAIL(1, "the child's status %#x", status);
	got = ep_ready(FD_EP, &ev1);
	/* pipe, socket, the nested instance; not the eventfd, not the one-shot */
	if (got != ((1U << 1) | (1U << 3) | (1U << 5)) || ev1 != EPOLLIN)
		return CR_WL_FAIL(2, "ready after: %#x (pipe's events %#x)", got, ev1);
	/* edge-triggered: one report when the eventfd goes up */
	if (write(FD_EP_EV, &one, 8) != 8 ||
	    !(ep_ready(FD_EP, NULL) & (1U << 2)) ||
	    ep_ready(FD_EP, NULL) & (1U << 2))
		return CR_WL_FAIL(5, "the edge-triggered eventfd");
	/* the one-shot comes back when armed again */
	e.events = EPOLLIN | EPOLLONESHOT;
	e.data.u64 = 4;
	if (epoll_ctl(FD_EP, EPOLL_CTL_MOD, FD_EP_ONCE, &e) ||
	    !(ep_ready(FD_EP, NULL) & (1U << 4)))
		return CR_WL_FAIL(6, "the one-shot does not fire again");
	/* a watch removed is gone, the others stay */
	if (epoll_ctl(FD_EP, EPOLL_CTL_DEL, FD_EP_PIPE, NULL) ||
	    ep_ready(FD_EP, NULL) & (1U << 1) ||
	    read(FD_EP_INNER, &v, 8) != 8 || ep_ready(FD_EP2, NULL) ||
	    ep_ready(FD_EP, NULL) & (1U << 5))
		return CR_WL_FAIL(7, "removing watches");
	if (!(fcntl(FD_EP2, F_GETFD) & FD_CLOEXEC) ||
	    fcntl(FD_EP, F_GETFD) & FD_CLOEXEC)
		return CR_WL_FAIL(8, "close-on-exec flags");
	return 0;
}

CR_TEST(cr_fdkinds, epoll)
{
	tree_cycle(_metadata, ctx, wl_epoll, NULL, 0);
}

static int wl_stale_watch(struct cr_ctx *ctx, void *arg)
{
	int p[2];

	/* the pipe is watched through fd 22, then only open at fd 30 */
	if (pipe(p) || cr_move_fd(p[0], 22) || cr_move_fd(epoll_create1(0), 20) ||
	    ep_add(20, 22, EPOLLIN, 1) || dup2(22, 30) != 30 || close(22))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/*
 * A watch through an fd where its file is no longer open could not be
 * added again: refused with EBUSY naming the epoll and the fd.
 */
CR_TEST(cr_fdkinds, epoll_stale_watch_refused)
{
	struct wl_call call = { wl_stale_watch, NULL };
	int err, status;
	size_t len;
	char *log;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	EXPECT_EQ(-1, ckpt_to_img(ctx, ctx->wl_pid, 0, &err));
	EXPECT_EQ(EBUSY, err);
	log = cr_read_whole(ctx->log, &len);
	EXPECT_TRUE(log && strstr(log, "through fd 22")) {
		cr_dump_logs(_metadata, ctx);
	}
	free(log);
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	EXPECT_EQ(0, status);
}

/* ---- character devices, directories, O_PATH ------------------------------ */

#define FD_NULL		20
#define FD_DEVZERO	21
#define FD_FULL		22
#define FD_URANDOM	23
#define FD_DIR		24	/* a directory, DIR_SEEN entries read */
#define FD_PATH_DIR	25	/* O_PATH of it */
#define FD_PATH_FILE	26	/* O_PATH of a file in it */
#define FD_PATH_FIFO	27	/* O_PATH of a FIFO in it: nothing opened */
#define FD_PATH_LINK	28	/* O_PATH | O_NOFOLLOW of a symbolic link */
#define FD_PATH_TTY	29	/* O_PATH of /dev/tty: no terminal opened */
#define DIR_FILES	40
#define DIR_SEEN	12

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Read one entry of @fd's directory into @name; 1, 0 at the end, -1 */
static int next_entry(int fd, char *name, size_t size)
{
	/*
	 * room for one entry only (24 bytes for the names here, not 48):
	 * getdents64() returns one at a time
	 */
	char buf[40] __attribute__((aligned(8)));
	struct linux_dirent64 *d = (void *)buf;
	long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

	if (n <= 0)
		return n;
	snprintf(name, size, "%s", d->d_name);
	return 1;
}

static int wl_dev_dir(struct cr_ctx *ctx, void *arg)
{
	char dir[CR_PATH_LEN + 16], path[CR_PATH_LEN + 32], name[256];
	char seen[DIR_FILES + 2] = "", buf[64];
	struct stat st;
	int i, n, fd;

	snprintf(dir, sizeof(dir), "%s.dir", ctx->data);
	mkdir(dir, 0755);
	for (i = 0; i < DIR_FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%02d", dir, i);
		close(open(path, O_WRONLY | O_CREAT, 0644));
	}
	if (cr_move_fd(open("/dev/null", O_WRONLY), FD_NULL) ||
	    cr_move_fd(open("/dev/zero", O_RDONLY), FD_DEVZERO) ||
	    cr_move_fd(open("/dev/full", O_WRONLY), FD_FULL) ||
	    cr_move_fd(open("/dev/urandom", O_RDONLY | O_NONBLOCK), FD_URANDOM) ||
	    cr_move_fd(open(dir, O_RDONLY | O_DIRECTORY), FD_DIR) ||
	    cr_move_fd(open(dir, O_PATH | O_DIRECTORY), FD_PATH_DIR) ||
	    cr_move_fd(openat(FD_PATH_DIR, "f07", O_PATH), FD_PATH_FILE))
		return CR_EXIT_SETUP;
	/* beside the directory read: its entries are counted */
	snprintf(path, sizeof(path), "%s.fifo", ctx->data);
	unlink(path);
	if (mkfifo(path, 0600) ||
	    cr_move_fd(open(path, O_PATH), FD_PATH_FIFO))
		return CR_WL_FAIL(CR_EXIT_SETUP, "FIFO: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s.link", ctx->data);
	unlink(path);
	if (symlink("f07", path) ||
	    cr_move_fd(open(path, O_PATH | O_NOFOLLOW), FD_PATH_LINK) ||
	    cr_move_fd(open("/dev/tty", O_PATH), FD_PATH_TTY))
		return CR_WL_FAIL(CR_EXIT_SETUP, "O_PATH fds: %s", strerror(errno));
	/* the first DIR_SEEN entries ("." and ".." among them) */
	for (i = 0; i < DIR_SEEN; i++) {
		if (next_entry(FD_DIR, name, sizeof(name)) != 1)
			return CR_EXIT_SETUP;
		if (name[0] == 'f')
			seen[atoi(name + 1)] = 1;
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (fstat(FD_NULL, &st) || st.st_rdev != makedev(1, 3) ||
	    write(FD_NULL, "x", 1) != 1)
		return CR_WL_FAIL(1, "/dev/null");
	memset(buf, 1, sizeof(buf));
	if (fstat(FD_DEVZERO, &st) || st.st_rdev != makedev(1, 5) ||
	    read(FD_DEVZERO, buf, sizeof(buf)) != sizeof(buf) || buf[0] ||
	    buf[sizeof(buf) - 1])
		return CR_WL_FAIL(2, "/dev/zero");
	if (write(FD_FULL, "x", 1) != -1 || errno != ENOSPC)
		return CR_WL_FAIL(3, "/dev/full");
	if (fstat(FD_URANDOM, &st) || st.st_rdev != makedev(1, 9) ||
	    !(fcntl(FD_URANDOM, F_GETFL) & O_NONBLOCK) ||
	    read(FD_URANDOM, buf, 16) != 16)
		return CR_WL_FAIL(4, "/dev/urandom");
	/* the directory goes on where it was: every entry once */
	for (n = 0; (i = next_entry(FD_DIR, name, sizeof(name))) == 1; n++) {
		if (name[0] != 'f')
			return CR_WL_FAIL(5, "%s again after restart", name);
		if (seen[atoi(name + 1)]++)
			return CR_WL_FAIL(6, "%s twice", name);
	}
	for (i = 0; i < DIR_FILES; i++)
		if (!seen[i])
			return CR_WL_FAIL(7, "f%02d never seen (%d after restart)",
					  i, n);
	if (!(fcntl(FD_PATH_DIR, F_GETFL) & O_PATH) ||
	    !(fcntl(FD_PATH_FILE, F_GETFL) & O_PATH))
		return CR_WL_FAIL(8, "O_PATH lost");
	fd = openat(FD_PATH_DIR, "f08", O_RDONLY);
	if (fd < 0 || fstatat(FD_PATH_FILE, "", &st, AT_EMPTY_PATH) ||
	    !S_ISREG(st.st_mode))
		return CR_WL_FAIL(9, "O_PATH fds do not lead to their files");
	close(fd);
	if (fstatat(FD_PATH_FIFO, "", &st, AT_EMPTY_PATH) ||
	    !S_ISFIFO(st.st_mode) || !(fcntl(FD_PATH_FIFO, F_GETFL) & O_PATH))
		return CR_WL_FAIL(10, "the FIFO's O_PATH fd");
	n = readlinkat(FD_PATH_LINK, "", buf, sizeof(buf));
	if (n != 3 || memcmp(buf, "f07", 3))
		return CR_WL_FAIL(11, "the link's O_PATH fd reads %d bytes", n);
	if (fstatat(FD_PATH_TTY, "", &st, AT_EMPTY_PATH) ||
	    st.st_rdev != makedev(5, 0))
		return CR_WL_FAIL(12, "the O_PATH fd of /dev/tty");
	snprintf(path, sizeof(path), "%s.fifo", ctx->data);
	unlink(path);
	snprintf(path, sizeof(path), "%s.link", ctx->data);
	unlink(path);
	for (i = 0; i < DIR_FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%02d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

CR_TEST(cr_fdkinds, dev_files_and_dir_fd)
{
	tree_cycle(_metadata, ctx, wl_dev_dir, NULL, 0);
}

/* ---- inotify ---------------------------------------------------------------- */

#define FD_INO		20	/* IN_NONBLOCK, events not read yet */
#define INO_EVENTS	4

struct ino_ev {
	int wd;
	uint32_t mask;
	uint32_t cookie;
	char name[16];
};

/* The next event of @fd in @e: 1, 0 when none (EAGAIN), -1 on error */
static int ino_next(int fd, struct ino_ev *e)
{
	static char buf[4096] __attribute__((aligned(8)));
	static size_t have, at;
	struct inotify_event *ie;
	ssize_t n;

	if (at >= have) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		have = n;
		at = 0;
	}
	ie = (struct inotify_event *)(buf + at);
	at += sizeof(*ie) + ie->len;
	e->wd = ie->wd;
	e->mask = ie->mask;
	e->cookie = ie->cookie;
	snprintf(e->name, sizeof(e->name), "%s", ie->len ? ie->name : "");
	return 1;
}

static int ino_expect(int fd, int wd, uint32_t mask, const char *name,
		      uint32_t *cookie)
{
	struct ino_ev e;

	if (ino_next(fd, &e) != 1 || e.wd != wd || e.mask != mask ||
	    strcmp(e.name, name))
		return -1;
	if (cookie && *cookie && e.cookie != *cookie)
		return -1;
	if (cookie)
		*cookie = e.cookie;
	return 0;
}

/*
 * A write to file "f" seen by its directory's watch @wd1 and its own
 * one-shot watch @wd2: three events, @wd2's modify before its IN_IGNORED
 */
static int ino_three(int fd, int wd1, int wd2)
{
	bool dir = false, mod = false, ign = false;
	struct ino_ev e;
	int i;

	for (i = 0; i < 3; i++) {
		if (ino_next(fd, &e) != 1)
			return -1;
		if (e.wd == wd1 && e.mask == IN_MODIFY && !strcmp(e.name, "f"))
			dir = true;
		else if (e.wd == wd2 && e.mask == IN_MODIFY && !e.name[0])
			mod = true;
		else if (e.wd == wd2 && e.mask == IN_IGNORED && mod)
			ign = true;
		else
			return -1;
	}
	return dir && mod && ign ? 0 : -1;
}

/*
 * Watches on a directory (create, delete, moves, modify), a file (modify, one
 * shot) and one removed (its IN_IGNORED queued); a create and a rename
 * not read yet.
 */
static int wl_inotify(struct cr_ctx *ctx, void *arg)
{
	char dir[64], dir2[80], file[80], a[96], b[96], c[96];
	int wd1, wd2, wd3, wd4, fd;
	uint32_t cookie = 0;
	struct ino_ev e;

	snprintf(dir, sizeof(dir), "/tmp/cr_ino.%d", getpid());
	snprintf(dir2, sizeof(dir2), "%s.2", dir);
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	if ((mkdir(dir, 0700) && errno != EEXIST) ||
	    (mkdir(dir2, 0700) && errno != EEXIST))
		return CR_EXIT_SETUP;
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || close(fd) ||
	    cr_move_fd(inotify_init1(IN_NONBLOCK), FD_INO))
		return CR_EXIT_SETUP;
	wd1 = inotify_add_watch(FD_INO, dir, IN_CREATE | IN_DELETE | IN_MOVE |
				IN_MODIFY);
	wd2 = inotify_add_watch(FD_INO, file, IN_MODIFY | IN_ONESHOT);
	wd3 = inotify_add_watch(FD_INO, dir2, IN_ATTRIB);
	if (wd1 < 0 || wd2 < 0 || wd3 < 0 || inotify_rm_watch(FD_INO, wd3))
		return CR_WL_FAIL(CR_EXIT_SETUP, "watches: %s", strerror(errno));
	fd = open(a, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || close(fd) || rename(a, b))
		return CR_EXIT_SETUP;
	/* an event of a file in the watched directory (internal bits) */
	fd = open(b, O_WRONLY);
	if (fd < 0 || write(fd, "y", 1) != 1 || close(fd))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* the events not read, in order, the rename's two with one cookie */
	if (ino_expect(FD_INO, wd3, IN_IGNORED, "", NULL))
		return CR_WL_FAIL(1, "the removed watch's IN_IGNORED lost");
	if (ino_expect(FD_INO, wd1, IN_CREATE, "a", NULL))
		return CR_WL_FAIL(2, "the create lost");
	if (ino_expect(FD_INO, wd1, IN_MOVED_FROM, "a", &cookie) ||
	    ino_expect(FD_INO, wd1, IN_MOVED_TO, "b", &cookie) || !cookie)
		return CR_WL_FAIL(3, "the rename lost, or its cookie");
	if (ino_expect(FD_INO, wd1, IN_MODIFY, "b", NULL))
		return CR_WL_FAIL(11, "the write in the directory lost");
	/* what the watches do not ask for is not seen */
	if (chmod(dir, 0700) || ino_next(FD_INO, &e) != 0)
		return CR_WL_FAIL(4, "an event more (wd %d, mask %#x), or blocking",
				  e.wd, e.mask);
	/* the watches go on, under their descriptors */
	fd = open(c, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || close(fd) || ino_expect(FD_INO, wd1, IN_CREATE, "c", NULL))
		return CR_WL_FAIL(5, "the directory's watch is gone");
	/* the file's own one-shot watch, and its directory's, see a write */
	fd = open(file, O_WRONLY);
	if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) ||
	    ino_three(FD_INO, wd1, wd2))
		return CR_WL_FAIL(6, "the file's one-shot watch is gone");
	if (unlink(b) || unlink(c) ||
	    ino_expect(FD_INO, wd1, IN_DELETE, "b", NULL) ||
	    ino_expect(FD_INO, wd1, IN_DELETE, "c", NULL))
		return CR_WL_FAIL(7, "deletes not seen");
	/* a new watch gets the next descriptor, not a used one */
	wd4 = inotify_add_watch(FD_INO, dir2, IN_ATTRIB);
	if (wd4 != wd3 + 1)
		return CR_WL_FAIL(8, "new watch %d, the last was %d", wd4, wd3);
	if (inotify_rm_watch(FD_INO, wd1))
		return CR_WL_FAIL(9, "inotify_rm_watch(%d): %s", wd1,
				  strerror(errno));
	unlink(file);
	rmdir(dir2);
	rmdir(dir);
	return 0;
}

/*
 * An inotify instance comes back with its watches (paths, events, flags,
 * descriptors) and the events it had not read, in order.
 */
CR_TEST(cr_fdkinds, inotify)
{
	tree_cycle(_metadata, ctx, wl_inotify, NULL, CHECKPOINT_SUBTREE);
}

static int wl_ino_deleted(struct cr_ctx *ctx, void *arg)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/cr_ino_del.%d", getpid());
	/* open: the inode outlives its name, and so does the watch */
	if (cr_move_fd(open(path, O_CREAT | O_WRONLY, 0600), 21) ||
	    cr_move_fd(inotify_init1(0), FD_INO) ||
	    inotify_add_watch(FD_INO, path, IN_ATTRIB) < 0 || unlink(path))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/* A watch on a deleted file has no path to come back by: refused */
CR_TEST(cr_fdkinds, inotify_deleted_refused)
{
	struct wl_call call = { wl_ino_deleted, NULL };

	refused_with(_metadata, ctx, &call, 0, "deleted", "inotify watch 1");
}

/* ---- a terminal, a device with state: refused ---------------------------- */

static const char *const refused_dev[] = { "/dev/ptmx", "/dev/kmsg" };
static const char *const refused_said[] = { "terminal", "character device" };

static int wl_dev(struct cr_ctx *ctx, void *arg)
{
	if (cr_move_fd(open(refused_dev[*(int *)arg], O_RDWR | O_NOCTTY), 5))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/*
 * A pty master opened again would be a new pty, /dev/kmsg would read
 * from another place: checkpoint refuses them with EBUSY naming the fd
 * and what it is; the tree runs on.
 */
CR_TEST(cr_fdkinds, terminal_and_device_refused)
{
	int i;
	struct wl_call call = { wl_dev, &i };

	for (i = 0; i < (int)ARRAY_SIZE(refused_dev); i++)
		refused_with(_metadata, ctx, &call, 0, "fd 5", refused_said[i]);
}

/* ---- bad values in the records of an eventfd, a signalfd, a timerfd ----- */

static int wl_bad(struct cr_ctx *ctx, void *arg)
{
	uint64_t v;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    cr_move_fd(eventfd(9, 0), 20) ||
	    cr_move_fd(signalfd(-1, &mask, 0), 21) ||
	    cr_move_fd(timerfd_create(CLOCK_MONOTONIC, 0), 22) ||
	    cr_move_fd(epoll_create1(0), 23) || ep_add(23, 20, EPOLLIN, 7) ||
	    cr_move_fd(inotify_init1(0), 24) ||
	    inotify_add_watch(24, "/tmp", IN_CREATE) != 1 ||
	    inotify_add_watch(24, "/", IN_ATTRIB) != 2 ||
	    inotify_rm_watch(24, 2))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (read(20, &v, 8) != 8 || v != 9)
		return CR_WL_FAIL(1, "counter %llu", (unsigned long long)v);
	return 0;
}

static const struct cr_bad_field bad_kinds[] = {
	CR_BAD(EVENTFD, eventfd, count, -1, false),
	CR_BAD(EVENTFD, eventfd, flags, 2, false),
	CR_BAD(EVENTFD, eventfd, pad, 1, false),
	CR_BAD(SIGNALFD, signalfd, sigmask, 1 << (SIGKILL - 1), false),
	CR_BAD(SIGNALFD, signalfd, sigmask, 1 << (SIGSTOP - 1), false),
	CR_BAD(TIMERFD, timerfd, clockid, CLOCK_PROCESS_CPUTIME_ID, false),
	CR_BAD(TIMERFD, timerfd, flags, 4, false),
	CR_BAD(TIMERFD, timerfd, value_ns, -1, false),
	CR_BAD(TIMERFD, timerfd, interval_ns, -1, false),
	CR_BAD(EPOLL, epoll, nr_watches, 1 << 21, false),
	CR_BAD(EPOLL, epoll, pad, 1, false),
	CR_BAD(EPOLL_WATCH, epoll_watch, fd, -1, false),
	CR_BAD(EPOLL_WATCH, epoll_watch, fd, 500, false),
	CR_BAD(EPOLL_WATCH, epoll_watch, events, 0x100000, false),
	CR_BAD(EPOLL_WATCH, epoll_watch, file, 0, false),
	CR_BAD(EPOLL_WATCH, epoll_watch, file, 99999, false),
	CR_BAD(EPOLL_WATCH, epoll_watch, pad, 1, false),
	CR_BAD(INOTIFY, inotify, nr_watches, 1, true),
	CR_BAD(INOTIFY, inotify, nr_events, 1, true),
	CR_BAD(INOTIFY, inotify, nr_events, 1 << 21, false),
	CR_BAD(INOTIFY, inotify, next_wd, -1, false),
	CR_BAD(INOTIFY, inotify, pad, 1, false),
	CR_BAD(INOTIFY_WATCH, inotify_watch, wd, 0, false),
	CR_BAD(INOTIFY_WATCH, inotify_watch, mask, IN_DONT_FOLLOW, true),
	CR_BAD(INOTIFY_WATCH, inotify_watch, mask, IN_MASK_ADD, true),
	CR_BAD(INOTIFY_EVENT, inotify_event, wd, 0, false),
	CR_BAD(INOTIFY_EVENT, inotify_event, mask, IN_DONT_FOLLOW, true),
	CR_BAD(INOTIFY_EVENT, inotify_event, name_len, 1, true),
	CR_BAD(INOTIFY_EVENT, inotify_event, name_len, 300, false),
	CR_BAD_FILE(INOTIFY, f_flags, O_RDWR),
	CR_BAD_FILE(EVENTFD, f_flags, O_RDONLY),
	CR_BAD_FILE(EVENTFD, file_type, CKPT_FILE_SIGNALFD),
};

/*
 * Every field restart validates in the records of an eventfd, a
 * signalfd, a timerfd and an epoll instance, set to a value it must
 * refuse: the restart fails (the tool
 * exits 1); the intact image then restarts.
 */
CR_TEST(cr_fdkinds, bad_fields_refused)
{
	struct wl_call call = { wl_bad, NULL };

	bad_fields_refused(_metadata, ctx, &call, 0, bad_kinds,
			   ARRAY_SIZE(bad_kinds));
}

TEST_HARNESS_MAIN
