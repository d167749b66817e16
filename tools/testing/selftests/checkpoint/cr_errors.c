// SPDX-License-Identifier: GPL-2.0
/*
 * Refused checkpoint() and restart() calls: each fails with its errno
 * and leaves the target unharmed (it runs on and finds its state intact).
 */
#include "cr_util.h"

#include <sys/shm.h>
#include <linux/capability.h>

#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>

#define WL_LEN		(4UL << 20)
#define WL_SEED		0xe7707

static int wl_checksum(struct cr_ctx *ctx, void *arg)
{
	unsigned char *buf;
	uint64_t sum;
	ssize_t off;

	buf = mmap(NULL, WL_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(buf, WL_LEN, WL_SEED);
	sum = cr_checksum(buf, WL_LEN);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(buf);
	off = cr_check_fill(buf, WL_LEN, WL_SEED);
	if (off >= 0)
		return CR_WL_FAIL(1, "buffer differs at offset %zd", off);
	if (cr_checksum(buf, WL_LEN) != sum)
		return CR_WL_FAIL(2, "checksum changed");
	return 0;
}

/* checkpoint() is expected to fail with err. */
#define EXPECT_CKPT_ERR(err, pid, fd, flags, logfd) do { \
	long r_ = sys_checkpoint(pid, fd, flags, logfd); \
	int e_ = errno; \
	EXPECT_EQ(-1, r_) { \
		TH_LOG("checkpoint(%d, %d, %#lx, %d) returned %ld, expected %s", \
		       (int)(pid), (int)(fd), (unsigned long)(flags), \
		       (int)(logfd), r_, strerror(err)); \
	} \
	if (r_ == -1) { \
		EXPECT_EQ(err, e_) { \
			TH_LOG("checkpoint(%d, %d, %#lx, %d): %s, expected %s", \
			       (int)(pid), (int)(fd), (unsigned long)(flags), \
			       (int)(logfd), strerror(e_), strerror(err)); \
		} \
	} \
} while (0)

#define EXPECT_RESTART_ERR(err, pid, fd, flags, logfd) do { \
	long r_ = sys_restart(pid, fd, flags, logfd); \
	int e_ = errno; \
	EXPECT_EQ(-1, r_) { \
		TH_LOG("restart(%d, %d, %#lx, %d) returned %ld, expected %s", \
		       (int)(pid), (int)(fd), (unsigned long)(flags), \
		       (int)(logfd), r_, strerror(err)); \
	} \
	if (r_ == -1) { \
		EXPECT_EQ(err, e_) { \
			TH_LOG("restart(%d, %d, %#lx, %d): %s, expected %s", \
			       (int)(pid), (int)(fd), (unsigned long)(flags), \
			       (int)(logfd), strerror(e_), strerror(err)); \
		} \
	} \
} while (0)

/* The workload was not harmed: let it go and expect it to pass. */
static void expect_unharmed(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx)
{
	int status;

	EXPECT_EQ(0, waitpid(ctx->wl_pid, &status, WNOHANG)) {
		TH_LOG("workload ended during the refused calls");
	}
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->wl_pid, 0, "workload");
}

static int open_image(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		      int flags)
{
	int fd = open(ctx->img, flags | O_CREAT | O_CLOEXEC, 0600);

	ASSERT_LE(0, fd) {
		TH_LOG("cannot open %s: %s", ctx->img, strerror(errno));
	}
	return fd;
}

/* Lowest bit outside a mask of valid flags. */
static unsigned long first_unknown_flag(unsigned long valid)
{
	return ~valid & (valid + 1);
}

FIXTURE(cr_errors) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_errors) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_errors) { cr_teardown(_metadata, &self->ctx); }

CR_TEST(cr_errors, unfrozen_task_ebusy)
{
	char pid[16];
	char *argv[] = { (char *)cr_tool("checkpoint"), "-o", ctx->img, pid,
			 NULL };
	char *log;
	size_t len;
	int fd;

	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	fd = open_image(_metadata, ctx, O_WRONLY | O_TRUNC);
	EXPECT_CKPT_ERR(EBUSY, ctx->wl_pid, fd, 0, ctx->logfd);
	close(fd);

	log = cr_read_whole(ctx->log, &len);
	ASSERT_NE(NULL, log);
	EXPECT_TRUE(cr_text_has_number(log, ctx->wl_pid)) {
		TH_LOG("the log does not name pid %d", ctx->wl_pid);
		cr_dump(_metadata, "c/r log", ctx->log);
	}
	free(log);

	/* the checkpoint tool says what to do about it */
	snprintf(pid, sizeof(pid), "%d", ctx->wl_pid);
	cr_need(_metadata, argv[0]);
	EXPECT_TRUE(cr_tool_said(cr_run_tool(ctx->data2, argv), 1, ctx->data2,
				 "hint: freeze the tree first"));

	/* Frozen, the same task can be checkpointed: only that was wrong. */
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	expect_unharmed(_metadata, ctx);
}

CR_TEST(cr_errors, unknown_flags_einval)
{
	/* every flag the uapi defines does something; the next bit not */
	unsigned long bad_ckpt = first_unknown_flag(CHECKPOINT_SUBTREE |
						    CHECKPOINT_SOFTDIRTY);
	unsigned long bad_rst = first_unknown_flag(RESTART_TASKSELF |
						   RESTART_FROZEN |
						   RESTART_CONN_RESET);
	int fd, status;
	pid_t pid;

	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);

	fd = open_image(_metadata, ctx, O_WRONLY | O_TRUNC);
	EXPECT_CKPT_ERR(EINVAL, ctx->wl_pid, fd, 1UL << 40, -1);
	EXPECT_CKPT_ERR(EINVAL, ctx->wl_pid, fd, bad_ckpt, -1);
	EXPECT_CKPT_ERR(EINVAL, ctx->wl_pid, fd, ~0UL, ctx->logfd);
	close(fd);

	/* A good image, so that only the flags are wrong below. */
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	fd = open_image(_metadata, ctx, O_RDONLY);
	EXPECT_RESTART_ERR(EINVAL, ctx->wl_pid, fd, 1UL << 40, -1);
	EXPECT_RESTART_ERR(EINVAL, ctx->wl_pid, fd, bad_rst, -1);

	/* The restarting side checks its flags too. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long r = sys_restart(0, fd, 1UL << 40, -1);

		_exit(r == -1 && errno == EINVAL ? 0 : CR_EXIT_HELPER_FAILED);
	}
	ctx->aux_pid = pid;
	ASSERT_EQ(0, cr_wait_timeout(pid, &status, 20000)) {
		TH_LOG("restart(0, fd, 1 << 40, -1) blocked instead of failing");
	}
	ctx->aux_pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("restart(0, fd, 1 << 40, -1) did not fail with EINVAL");
	}
	close(fd);

	expect_unharmed(_metadata, ctx);
}

CR_TEST(cr_errors, bad_fd_ebadf)
{
	int fd;

	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);

	EXPECT_CKPT_ERR(EBADF, ctx->wl_pid, -1, 0, -1);
	EXPECT_CKPT_ERR(EBADF, ctx->wl_pid, 1000, 0, -1);	/* not open */
	fd = open_image(_metadata, ctx, O_RDONLY);
	EXPECT_CKPT_ERR(EBADF, ctx->wl_pid, fd, 0, -1);		/* read-only */
	close(fd);
	EXPECT_EQ(0, cr_file_size(ctx->img));

	/* A writable fd works: only the fds were wrong. */
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	expect_unharmed(_metadata, ctx);
}

CR_TEST(cr_errors, no_such_pid_esrch)
{
	int fd, status;
	pid_t pid;

	/* A pid that just existed, and does no more. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(-1, kill(pid, 0));
	ASSERT_EQ(ESRCH, errno);

	fd = open_image(_metadata, ctx, O_WRONLY | O_TRUNC);
	EXPECT_CKPT_ERR(ESRCH, pid, fd, 0, -1);
	close(fd);
}

enum unsupported_kind {
	UNSUPPORTED_PIDFD,		/* a pidfd at fd 5 */
	UNSUPPORTED_SYSV_SHM,		/* SysV shared memory, attached */
	UNSUPPORTED_POSIX_TIMER,	/* a timer on the parent's CPU clock */
	UNSUPPORTED_SOCKET_STDIN,	/* a netlink socket at fd 0 */
	UNSUPPORTED_LEASE,		/* fcntl(F_SETLEASE) */
	UNSUPPORTED_SECCOMP,		/* a seccomp filter that allows all */
	UNSUPPORTED_SCHED_DEADLINE,	/* sched_setattr(SCHED_DEADLINE) */
	UNSUPPORTED_BIG_DELETED,	/* a deleted file above 256 MiB */
	UNSUPPORTED_FUTURE_WRITE,	/* memfd F_SEAL_FUTURE_WRITE, mapped */
	UNSUPPORTED_OWNER,		/* fcntl(F_SETOWN) on a file */
	UNSUPPORTED_DELETED_FIFO,	/* a deleted FIFO at fd 6 */
	UNSUPPORTED_NR
};

/* What the log and the ERROR record say about each */
static const char *const unsupported_said[UNSUPPORTED_NR] = {
	"fd 5", "SysV shared memory",
	"counts the CPU time of a task not in the tree", "fd 0 is a socket",
	"holds a lease", "runs under seccomp",
	"SCHED_DEADLINE",
	"larger than the 256 MiB saved of a deleted file",
	"is sealed F_SEAL_FUTURE_WRITE and mapped writable",
	"has an owner (F_SETOWN)",
	"fd 6 is a deleted file",
};

/*
 * wl_checksum, holding something checkpoint does not save (yet): each
 * would come back different or not at all, so it is refused.
 */
static int wl_unsupported(struct cr_ctx *ctx, void *arg)
{
	int kind = *(int *)arg;
	clockid_t clock;
	timer_t timer;
	int s;
	char *m;

	switch (kind) {
	case UNSUPPORTED_PIDFD:
		s = syscall(SYS_pidfd_open, getpid(), 0);
		if (s < 0 || dup2(s, 5) != 5)
			return CR_EXIT_SETUP;
		close(s);
		break;
	case UNSUPPORTED_SYSV_SHM:
		/* removed at once: it goes when the workload does */
		s = shmget(IPC_PRIVATE, 1 << 16, IPC_CREAT | 0600);
		m = s < 0 ? MAP_FAILED : shmat(s, NULL, 0);
		if (m == MAP_FAILED || shmctl(s, IPC_RMID, NULL))
			return CR_EXIT_SETUP;
		m[0] = 1;
		break;
	case UNSUPPORTED_POSIX_TIMER:
		/* the test's process is not in the checkpointed tree */
		if (clock_getcpuclockid(getppid(), &clock) ||
		    syscall(SYS_timer_create, clock, NULL, &timer))
			return CR_EXIT_SETUP;
		break;
	case UNSUPPORTED_OWNER:
		s = open(ctx->data, O_RDONLY | O_CREAT, 0600);
		if (s < 0 || fcntl(s, F_SETOWN, getpid()))
			return CR_EXIT_SETUP;
		break;
	case UNSUPPORTED_DELETED_FIFO: {
		char fifo[64];

		snprintf(fifo, sizeof(fifo), "/tmp/cr_errors.fifo.%d", getpid());
		unlink(fifo);
		s = mkfifo(fifo, 0600) ? -1 : open(fifo, O_RDWR);
		if (s < 0 || dup2(s, 6) != 6 || unlink(fifo))
			return CR_EXIT_SETUP;
		close(s);
		break;
	}
	case UNSUPPORTED_LEASE:
		s = open(ctx->data, O_RDONLY | O_CREAT, 0600);
		if (s < 0 || fcntl(s, F_SETLEASE, F_RDLCK))
			return CR_EXIT_SETUP;
		break;
	case UNSUPPORTED_SECCOMP: {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K,
						    SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { .len = 1, .filter = &allow };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			return CR_EXIT_SETUP;
		break;
	}
	case UNSUPPORTED_SCHED_DEADLINE: {
		/* struct sched_attr of sched_setattr(2): 10 ms of 100 ms */
		struct {
			uint32_t size, policy;
			uint64_t flags;
			int32_t nice;
			uint32_t priority;
			uint64_t runtime, deadline, period;
		} attr = { .size = 48, .policy = 6 /* SCHED_DEADLINE */,
			   .runtime = 10000000, .deadline = 100000000,
			   .period = 100000000 };

		if (syscall(SYS_sched_setattr, 0, &attr, 0))
			return CR_EXIT_SETUP;
		break;
	}
	case UNSUPPORTED_BIG_DELETED:
		/* sparse: costs nothing, its size is what counts */
		s = open(ctx->data, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (s < 0 || ftruncate(s, (256 << 20) + 1) || unlink(ctx->data))
			return CR_EXIT_SETUP;
		break;
	case UNSUPPORTED_FUTURE_WRITE:
		s = memfd_create("cr_errors", MFD_ALLOW_SEALING);
		m = s < 0 || ftruncate(s, 4096) ? MAP_FAILED :
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
		if (m == MAP_FAILED || fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE))
			return CR_EXIT_SETUP;
		break;
	case UNSUPPORTED_SOCKET_STDIN:
		s = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */);
		if (s < 0 || dup2(s, 0) != 0)
			return CR_EXIT_SETUP;
		close(s);
		break;
	}
	return wl_checksum(ctx, NULL);
}

static void expect_log_has(struct __test_metadata *_metadata,
			   struct cr_ctx *ctx, const char *what)
{
	char *log;
	size_t len;

	log = cr_read_whole(ctx->log, &len);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, what)) {
		TH_LOG("the log does not mention \"%s\"", what);
		cr_dump(_metadata, "c/r log", ctx->log);
	}
	free(log);
}

/*
 * The image of a checkpoint that failed once the image had begun ends
 * with an ERROR record: its errno and message, in *err and msg.
 */
static int image_error(const char *path, int *err, char *msg, size_t size)
{
	struct ckpt_hdr_error e;
	struct ckpt_hdr h;
	off_t off = 0;
	int fd, ret = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (pread(fd, &h, sizeof(h), off) == sizeof(h) && h.len >= sizeof(h)) {
		if (h.type == CKPT_HDR_ERROR) {
			if (h.len <= sizeof(e) || h.len - sizeof(e) > size ||
			    pread(fd, &e, sizeof(e), off) != sizeof(e))
				break;
			n = pread(fd, msg, h.len - sizeof(e), off + sizeof(e));
			if (n != h.len - sizeof(e) || msg[n - 1])
				break;
			*err = e.errno_val;
			ret = 0;
			break;
		}
		off += h.len;
	}
	close(fd);
	return ret;
}

CR_TEST(cr_errors, unsupported_resource_ebusy)
{
	char msg[512];
	int errno_val = 0;
	const char *const *said = unsupported_said;
	int i, fd;

	for (i = 0; i < UNSUPPORTED_NR; i++) {
		cr_spawn(_metadata, ctx, wl_unsupported, &i);
		cr_freeze(_metadata, ctx, ctx->wl_pid);
		fd = open_image(_metadata, ctx, O_WRONLY | O_TRUNC);
		EXPECT_CKPT_ERR(EBUSY, ctx->wl_pid, fd, 0, ctx->logfd);
		close(fd);
		expect_log_has(_metadata, ctx, said[i]);
		/* the image ends with the error, for ckptinfo and restart */
		ASSERT_EQ(0, image_error(ctx->img, &errno_val, msg, sizeof(msg))) {
			TH_LOG("no ERROR record in the image of the failed checkpoint");
		}
		EXPECT_EQ(EBUSY, errno_val);
		EXPECT_NE(NULL, strstr(msg, said[i])) {
			TH_LOG("ERROR record says \"%s\"", msg);
		}
		expect_unharmed(_metadata, ctx);
		unlink(ctx->go);
	}
}

#define OTHER_UID	1000
#define INTRUDER_UID	1001

static int wl_other_user(struct cr_ctx *ctx, void *arg)
{
	if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
		return CR_EXIT_SETUP;
	return wl_checksum(ctx, NULL);
}

/* Another (unprivileged) user may not checkpoint it; root may. */
CR_TEST(cr_errors, other_user_eperm)
{
	int fd, status;
	pid_t pid;

	cr_spawn(_metadata, ctx, wl_other_user, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	fd = open_image(_metadata, ctx, O_WRONLY | O_TRUNC);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long r;

		if (setresgid(INTRUDER_UID, INTRUDER_UID, INTRUDER_UID) ||
		    setresuid(INTRUDER_UID, INTRUDER_UID, INTRUDER_UID))
			_exit(CR_EXIT_SETUP);
		r = sys_checkpoint(ctx->wl_pid, fd, 0, ctx->logfd);
		_exit(r == -1 && errno == EPERM ? 0 : CR_EXIT_HELPER_FAILED);
	}
	ctx->aux_pid = pid;
	ASSERT_EQ(0, cr_wait_timeout(pid, &status, 20000));
	ctx->aux_pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("uid %d could checkpoint uid %d's process (or not with EPERM)",
		       INTRUDER_UID, OTHER_UID);
	}
	close(fd);
	EXPECT_EQ(0, cr_file_size(ctx->img));
	expect_log_has(_metadata, ctx, "no permission");

	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	expect_unharmed(_metadata, ctx);
}

static int wl_ids(struct cr_ctx *ctx, void *arg)
{
	gid_t groups[] = { 2000, OTHER_UID }, got[8];
	uid_t r, e, s;
	int n;

	if (setgroups(2, groups) || setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
		return CR_EXIT_SETUP;
	n = wl_checksum(ctx, NULL);
	if (n)
		return n;
	if (getresuid(&r, &e, &s) || r != OTHER_UID || e != OTHER_UID ||
	    s != OTHER_UID)
		return CR_WL_FAIL(20, "uids %u/%u/%u", r, e, s);
	if (getresgid(&r, &e, &s) || r != OTHER_UID || e != OTHER_UID ||
	    s != OTHER_UID)
		return CR_WL_FAIL(21, "gids %u/%u/%u", r, e, s);
	n = getgroups(8, got);
	if (n != 2 || got[0] + got[1] != 2000 + OTHER_UID)
		return CR_WL_FAIL(22, "%d supplementary groups", n);
	return 0;
}

/*
 * Restart ctx->img as @uid (dumpable, as after a login: it may ptrace its
 * own child): it must fail with @err1 or @err2, its restarting task
 * killed, not restored. The helper's wait status (0: as expected).
 */
static int restart_as(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		      uid_t uid, int err1, int err2)
{
	int fd, err, status = -1, status2;
	pid_t pid;
	long ret;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		fd = open(ctx->img, O_RDONLY);
		if (fd < 0 || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1))
			_exit(CR_EXIT_SETUP);
		ret = cr_restart_fd(ctx, fd, 0, &err);
		if (ret != -1 || (err != err1 && err != err2))
			_exit(CR_EXIT_HELPER_FAILED);
		if (cr_wait_timeout(ctx->rs_pid, &status2, 5000) ||
		    WIFEXITED(status2))
			_exit(CR_EXIT_HELPER_FAILED + 1);
		_exit(0);
	}
	if (pid < 0)
		return -1;
	ctx->aux_pid = pid;
	if (cr_wait_timeout(pid, &status, 20000))
		status = -1;
	ctx->aux_pid = 0;
	return status;
}

/*
 * A process of another user comes back with its ids when root restarts
 * it; a restarter of a third user may not take them (EPERM, or EACCES
 * for the files it may not open) and leaves nothing behind.
 */
CR_TEST(cr_errors, credentials_restored_or_refused)
{
	int status;

	cr_spawn(_metadata, ctx, wl_ids, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);

	/* uid 1001 restarting uid 1000's image: refused */
	status = restart_as(_metadata, ctx, INTRUDER_UID, EPERM, EACCES);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("unprivileged restart of another user's image: status %#x",
		       status);
		cr_dump_logs(_metadata, ctx);
	}

	/* root may */
	cr_restart_file(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/*
 * uid 1000 keeping CAP_CHOWN (permitted and effective; nothing
 * inheritable, securebits as a plain process has them): only its
 * permitted set is beyond a plain uid 1000
 */
static int wl_user_with_cap(struct cr_ctx *ctx, void *arg)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .permitted = 1U << CAP_CHOWN, .effective = 1U << CAP_CHOWN },
	};
	int ret;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    syscall(SYS_capset, &hdr, data) ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return CR_EXIT_SETUP;
	ret = wl_checksum(ctx, NULL);
	/* root took its ids for it, which made it not dumpable for a while */
	if (!ret && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
		return CR_WL_FAIL(20, "not dumpable after restart");
	return ret;
}

/*
 * A process of uid 1000 with a capability: uid 1000 without it may not
 * restart it (EPERM, the log says so); root gives it back its capability.
 */
CR_TEST(cr_errors, capabilities_beyond_restarter_refused)
{
	int status;

	cr_spawn(_metadata, ctx, wl_user_with_cap, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);

	status = restart_as(_metadata, ctx, OTHER_UID, EPERM, EPERM);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("restart by uid %d without the capability: status %#x",
		       OTHER_UID, status);
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_TRUE(cr_log_has(ctx, "capabilities beyond the restarter's"));

	/* root may */
	cr_restart_file(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/*
 * Ids that all differ: real, effective, saved and filesystem user and
 * group ids and three supplementary groups. The effective uid stays 0
 * (the workload keeps its capabilities, so a filesystem uid of its own
 * is allowed, and root may restart it).
 */
static const uid_t ids_uid[4] = { 1011, 0, 1013, 1014 };
static const gid_t ids_gid[4] = { 1001, 1002, 1003, 1004 };
static const gid_t ids_groups[3] = { 2001, 2002, 2003 };

static int wl_distinct_ids(struct cr_ctx *ctx, void *arg)
{
	gid_t got[8];
	uid_t r, e, s;
	gid_t gr, ge, gs;
	int n, i;

	if (setgroups(3, ids_groups) ||
	    setresgid(ids_gid[0], ids_gid[1], ids_gid[2]))
		return CR_EXIT_SETUP;
	setfsgid(ids_gid[3]);
	if (setresuid(ids_uid[0], ids_uid[1], ids_uid[2]))
		return CR_EXIT_SETUP;
	setfsuid(ids_uid[3]);
	if (setfsuid(-1) != (int)ids_uid[3] || setfsgid(-1) != (int)ids_gid[3])
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (getresuid(&r, &e, &s))
		return CR_WL_FAIL(1, "getresuid: %m");
	if (r != ids_uid[0] || e != ids_uid[1] || s != ids_uid[2])
		return CR_WL_FAIL(2, "uids %u/%u/%u, expected %u/%u/%u", r, e, s,
				  ids_uid[0], ids_uid[1], ids_uid[2]);
	n = setfsuid(-1);
	if (n != (int)ids_uid[3])
		return CR_WL_FAIL(3, "fsuid %d, expected %u", n, ids_uid[3]);
	if (getresgid(&gr, &ge, &gs))
		return CR_WL_FAIL(4, "getresgid: %m");
	if (gr != ids_gid[0] || ge != ids_gid[1] || gs != ids_gid[2])
		return CR_WL_FAIL(5, "gids %u/%u/%u, expected %u/%u/%u", gr, ge,
				  gs, ids_gid[0], ids_gid[1], ids_gid[2]);
	n = setfsgid(-1);
	if (n != (int)ids_gid[3])
		return CR_WL_FAIL(6, "fsgid %d, expected %u", n, ids_gid[3]);
	n = getgroups(8, got);
	if (n != 3)
		return CR_WL_FAIL(7, "%d supplementary groups, expected 3", n);
	for (i = 0; i < 3; i++)
		if (got[i] != ids_groups[i])
			return CR_WL_FAIL(8, "supplementary group %d is %u, expected %u",
					  i, got[i], ids_groups[i]);
	return 0;
}

/* Every id and group comes back in its own place */
CR_TEST(cr_errors, credentials_distinct_ids)
{
	cr_cycle(_metadata, ctx, wl_distinct_ids, NULL);
}

TEST_HARNESS_MAIN
