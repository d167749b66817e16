// SPDX-License-Identifier: GPL-2.0
/*
 * Process trees through checkpoint and restart (with the restart tool,
 * which rebuilds the tree): pids, parents, sessions and process groups,
 * zombies, threads, shared file offsets, a container with a dead session
 * leader, and a restart that fails half way.
 */
#include "cr_util.h"

#include <sys/prctl.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#define MAX_NODES	16
#define RESTART_TOOL	"/usr/bin/restart"

enum node_action { NONE, SETSID, NEWPGRP, JOINPGRP };

struct node {
	int parent;		/* index, -1 for the root */
	enum node_action action;
	int pgrp_of;		/* JOINPGRP: the node whose group to join */
};

struct tree {
	int n;
	struct node nodes[MAX_NODES];
};

/* What each process saw before the checkpoint, kept in its memory */
struct ident {
	pid_t pid, ppid, sid, pgid;
};

static void ready_file(struct cr_ctx *ctx, int idx, char *buf, size_t size)
{
	snprintf(buf, size, "%s.ready.%d", ctx->data, idx);
}

static void mark_ready(struct cr_ctx *ctx, int idx)
{
	char path[CR_PATH_LEN + 32];

	ready_file(ctx, idx, path, sizeof(path));
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

static int wait_ready(struct cr_ctx *ctx, int idx)
{
	char path[CR_PATH_LEN + 32];
	int i;

	ready_file(ctx, idx, path, sizeof(path));
	for (i = 0; i < 2000; i++) {
		if (!access(path, F_OK))
			return 0;
		cr_sleep_ms(5);
	}
	return -1;
}

static struct ident me(void)
{
	struct ident id = { getpid(), getppid(), getsid(0), getpgid(0) };

	return id;
}

static int check_ident(const struct ident *was, int idx)
{
	struct ident now = me();

	/* the root's parent is whoever restarted it */
	if (idx == 0)
		now.ppid = was->ppid;

	if (memcmp(was, &now, sizeof(now)))
		return CR_WL_FAIL(10 + idx,
				  "node %d: pid/ppid/sid/pgid %d/%d/%d/%d, before %d/%d/%d/%d",
				  idx, now.pid, now.ppid, now.sid, now.pgid,
				  was->pid, was->ppid, was->sid, was->pgid);
	return 0;
}

/* Wait for children and fold their status into ours */
static int reap_children(pid_t *kids, int nr, int ret)
{
	int i, status;

	for (i = 0; i < nr; i++) {
		if (waitpid(kids[i], &status, 0) != kids[i])
			return CR_WL_FAIL(40, "child %d is not ours: %s", kids[i],
					  strerror(errno));
		if (!ret && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : 41;
	}
	return ret;
}

static pid_t group_leader[MAX_NODES];

/* Runs as node idx of the tree: set up, fork the children, wait, check */
static int run_node(struct cr_ctx *ctx, const struct tree *t, int idx)
{
	const struct node *nd = &t->nodes[idx];
	char dir[CR_PATH_LEN + 8], cwd[CR_PATH_LEN + 8] = "";
	pid_t kids[MAX_NODES];
	struct ident was;
	int i, nr = 0;

	if (nd->action == SETSID && setsid() < 0)
		return CR_EXIT_SETUP;
	if (nd->action == NEWPGRP && setpgid(0, 0) < 0)
		return CR_EXIT_SETUP;
	if (nd->action == JOINPGRP &&
	    setpgid(0, group_leader[nd->pgrp_of]) < 0)
		return CR_EXIT_SETUP;
	group_leader[idx] = getpgid(0);

	for (i = idx + 1; i < t->n; i++) {
		pid_t pid;

		if (t->nodes[i].parent != idx)
			continue;
		pid = fork();
		if (pid < 0)
			return CR_EXIT_SETUP;
		if (pid == 0) {
			if (ctx->ready_fd >= 0)
				close(ctx->ready_fd);
			ctx->ready_fd = -1;
			_exit(run_node(ctx, t, i));
		}
		kids[nr++] = pid;
		/* later siblings may join the group this one makes */
		if (wait_ready(ctx, i))
			return CR_EXIT_SETUP;
		group_leader[i] = getpgid(pid);
	}
	was = me();
	mark_ready(ctx, idx);
	if (idx == 0) {
		for (i = 1; i < t->n; i++)
			if (wait_ready(ctx, i))
				return CR_EXIT_SETUP;
		/* the root also has its own working directory and umask */
		snprintf(dir, sizeof(dir), "%s.dir", ctx->data);
		if ((mkdir(dir, 0755) && errno != EEXIST) || chdir(dir))
			return CR_EXIT_SETUP;
		umask(027);
		cr_wl_ready(ctx);
	}
	cr_wl_wait_go(ctx);
	if (idx == 0) {
		if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, dir))
			return CR_WL_FAIL(30, "cwd %s, expected %s", cwd, dir);
		if (umask(0) != 027)
			return CR_WL_FAIL(31, "umask changed");
	}
	return reap_children(kids, nr, check_ident(&was, idx));
}

static int wl_tree(struct cr_ctx *ctx, void *arg)
{
	return run_node(ctx, arg, 0);
}

/* Kill every task of the original tree (the cgroup) and reap the root */
static void kill_tree(struct __test_metadata *_metadata, struct cr_ctx *ctx)
{
	char path[CR_PATH_LEN + 32], buf[256];
	int i, status;

	ASSERT_EQ(0, cr_cg_write(ctx, "cgroup.kill", "1"));
	cr_thaw(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	cr_cg_file(ctx, "cgroup.procs", path, sizeof(path));
	/*
	 * Until the cgroup is empty and every orphan (handed to us, the
	 * subreaper) is reaped: a zombie would keep its pid, or the session
	 * it belongs to, from the restart.
	 */
	for (i = 0; i < 500; i++) {
		pid_t r;

		while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (r < 0 && errno == ECHILD &&
		    cr_read_str(path, buf, sizeof(buf)) == 0)
			return;
		cr_sleep_ms(10);
	}
	ASSERT_TRUE(false) {
		TH_LOG("the original tree did not die: %s", buf);
	}
}

/* Restart ctx->img with the restart tool; return its wait status */
static int restart_tool(struct __test_metadata *_metadata, struct cr_ctx *ctx,
			const char *img)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		execl(RESTART_TOOL, "restart", "-i", img, "-l", ctx->log,
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || cr_wait_timeout(pid, &status, CR_WAIT_MS)) {
		TH_LOG("the restart tool did not finish");
		return -1;
	}
	return status;
}

struct wl_call {
	cr_workload_fn fn;
	void *arg;
};

/* Join the test's cgroup (so that all the tree is frozen), then run */
static int wl_in_cgroup(struct cr_ctx *ctx, void *arg)
{
	struct wl_call *call = arg;

	if (cr_cg_write(ctx, "cgroup.procs", "0"))
		return CR_EXIT_SETUP;
	return call->fn(ctx, call->arg);
}

/* The whole cycle of a tree: spawn, freeze, checkpoint, kill, restart */
static void tree_cycle(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		       cr_workload_fn fn, void *arg, unsigned long flags)
{
	struct wl_call call = { fn, arg };
	char st[128];
	long ret;
	int status, fd, err;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* the workload moves itself in before it forks anything */
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ret = sys_checkpoint(ctx->wl_pid, fd, flags, ctx->logfd);
	err = errno;
	close(fd);
	ASSERT_LT(0, ret) {
		TH_LOG("checkpoint: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	kill_tree(_metadata, ctx);
	cr_go(_metadata, ctx);
	status = restart_tool(_metadata, ctx, ctx->img);
	cr_status_str(status, st, sizeof(st));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("restored tree: root %s", st);
		cr_dump_logs(_metadata, ctx);
	}
}

static const struct tree ten = {
	.n = 10,
	.nodes = {
		{ -1, SETSID },		/* 0 root */
		{ 0, NEWPGRP },		/* 1 A */
		{ 0, NEWPGRP },		/* 2 B */
		{ 0, NONE },		/* 3 C */
		{ 1, NONE },		/* 4 A1, in A's group */
		{ 1, NONE },		/* 5 A2 */
		{ 2, JOINPGRP, 1 },	/* 6 B1, joins A's group */
		{ 6, NONE },		/* 7 B1a, depth 3 */
		{ 3, SETSID },		/* 8 C1, its own session */
		{ 3, NONE },		/* 9 C2 */
	},
};

CR_FIXTURE(cr_tree);

/* pids, ppids, sids and pgids of a 10-process tree of depth 3 */
CR_TEST(cr_tree, ten_processes_same_ids)
{
	tree_cycle(_metadata, ctx, wl_tree, (void *)&ten, CHECKPOINT_SUBTREE);
}

static int wl_zombies(struct cr_ctx *ctx, void *arg)
{
	pid_t z1, z2;
	char path[64], stat[256];
	int i, status;

	z1 = fork();
	if (z1 == 0)
		_exit(42);
	z2 = fork();
	if (z2 == 0) {
		pause();
		_exit(0);
	}
	kill(z2, SIGTERM);
	/* both dead, neither reaped */
	for (i = 0; i < 1000; i++) {
		int zombies = 0;
		pid_t z[2] = { z1, z2 };
		int k;

		for (k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "/proc/%d/stat", z[k]);
			if (cr_read_str(path, stat, sizeof(stat)) > 0 &&
			    strstr(stat, ") Z "))
				zombies++;
		}
		if (zombies == 2)
			break;
		cr_sleep_ms(5);
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (waitpid(z1, &status, WNOHANG) != z1)
		return CR_WL_FAIL(1, "zombie %d is not there to reap", z1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		return CR_WL_FAIL(2, "zombie %d: status %#x, expected exit 42",
				  z1, status);
	if (waitpid(z2, &status, WNOHANG) != z2)
		return CR_WL_FAIL(3, "zombie %d is not there to reap", z2);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		return CR_WL_FAIL(4, "zombie %d: status %#x, expected SIGTERM",
				  z2, status);
	if (waitpid(-1, &status, WNOHANG) != -1 || errno != ECHILD)
		return CR_WL_FAIL(5, "unexpected children after restart");
	return 0;
}

/* zombie children are still there after restart, with their status */
CR_TEST(cr_tree, zombies_reaped_after_restart)
{
	tree_cycle(_metadata, ctx, wl_zombies, NULL, CHECKPOINT_SUBTREE);
}

#define NR_THREADS	4
#define THREAD_ROUNDS	200000

static __thread uint64_t thread_val;
static uint64_t *shared_heap;
static struct cr_ctx *thread_ctx;
static volatile int threads_ready;

static uint64_t step(uint64_t v)
{
	return v * 6364136223846793005ULL + 1442695040888963407ULL;
}

static void *thread_main(void *arg)
{
	long idx = (long)arg;
	uint64_t v = idx + 1, expect;
	int i;

	thread_val = 1000 + idx;
	for (i = 0; i < THREAD_ROUNDS; i++)
		v = step(v);
	shared_heap[idx] = v;
	__atomic_add_fetch(&threads_ready, 1, __ATOMIC_SEQ_CST);
	cr_wl_wait_go(thread_ctx);
	if (thread_val != (uint64_t)(1000 + idx) || shared_heap[idx] != v)
		return (void *)1;
	for (i = 0; i < THREAD_ROUNDS; i++)
		v = step(v);
	expect = idx + 1;
	for (i = 0; i < 2 * THREAD_ROUNDS; i++)
		expect = step(expect);
	return (void *)(long)(v != expect ? 2 : 0);
}

static int wl_threads(struct cr_ctx *ctx, void *arg)
{
	pthread_t th[NR_THREADS];
	long i;
	void *res;
	int ret = 0;

	thread_ctx = ctx;
	shared_heap = calloc(NR_THREADS, sizeof(*shared_heap));
	if (!shared_heap)
		return CR_EXIT_SETUP;
	for (i = 1; i < NR_THREADS; i++)
		if (pthread_create(&th[i], NULL, thread_main, (void *)i))
			return CR_EXIT_SETUP;
	while (threads_ready < NR_THREADS - 1)
		cr_sleep_ms(1);
	cr_wl_ready(ctx);
	res = thread_main((void *)0);
	if (res)
		ret = CR_WL_FAIL(1, "main thread: %ld", (long)res);
	for (i = 1; i < NR_THREADS; i++) {
		if (pthread_join(th[i], &res))
			return CR_WL_FAIL(2, "cannot join thread %ld", i);
		if (res && !ret)
			ret = CR_WL_FAIL(3, "thread %ld: %ld", i, (long)res);
	}
	return ret;
}

/* 4 threads with their own TLS and registers sharing a heap go on computing */
CR_TEST(cr_tree, threads_compute_on)
{
	tree_cycle(_metadata, ctx, wl_threads, NULL, CHECKPOINT_SUBTREE);
}

static int wl_shared_offset(struct cr_ctx *ctx, void *arg)
{
	char buf[16] = "";
	int fd, status;
	pid_t kid;

	fd = open(ctx->data2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return CR_EXIT_SETUP;
	kid = fork();
	if (kid == 0) {
		close(ctx->ready_fd);
		if (write(fd, "s0", 2) != 2)
			_exit(CR_EXIT_SETUP);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		if (write(fd, "S", 1) != 1)
			_exit(1);
		mark_ready(ctx, 2);
		_exit(0);
	}
	if (wait_ready(ctx, 1) || write(fd, "r0", 2) != 2)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (wait_ready(ctx, 2))
		return CR_WL_FAIL(1, "the child did not write");
	if (write(fd, "R", 1) != 1)
		return CR_WL_FAIL(2, "write: %s", strerror(errno));
	if (lseek(fd, 0, SEEK_CUR) != 6)
		return CR_WL_FAIL(3, "shared offset %ld, expected 6",
				  (long)lseek(fd, 0, SEEK_CUR));
	if (pread(fd, buf, sizeof(buf) - 1, 0) != 6 || strcmp(buf, "s0r0SR"))
		return CR_WL_FAIL(4, "file holds \"%s\", expected \"s0r0SR\"",
				  buf);
	if (waitpid(kid, &status, 0) != kid || status)
		return CR_WL_FAIL(5, "child status %#x", status);
	return 0;
}

/* two processes sharing one open file (and its offset) still share it */
CR_TEST(cr_tree, shared_file_offset)
{
	tree_cycle(_metadata, ctx, wl_shared_offset, NULL, CHECKPOINT_SUBTREE);
}

/*
 * A container: init (pid 1) of a new pid namespace; pid 2 made a session,
 * forked pid 3 into it and died, so 3 was handed to init and its session
 * leader is a ghost; pid 4 is a plain child.
 */
static int wl_container(struct cr_ctx *ctx, void *arg)
{
	struct ident was[2];
	pid_t leader, plain;
	int status, i, ret = 0;

	if (getpid() != 1)
		return CR_EXIT_SETUP;
	leader = fork();
	if (leader == 0) {
		close(ctx->ready_fd);
		setsid();
		if (fork() == 0) {
			was[0] = me();
			mark_ready(ctx, 1);
			/* its parent dies: wait to be init's */
			while (getppid() != 1)
				cr_sleep_ms(1);
			was[0].ppid = 1;
			cr_wl_wait_go(ctx);
			if (was[0].sid != 2 || getsid(0) != 2)
				_exit(CR_WL_FAIL(1, "session %d, expected 2",
						 getsid(0)));
			_exit(check_ident(&was[0], 1));
		}
		wait_ready(ctx, 1);
		_exit(0);
	}
	if (waitpid(leader, &status, 0) != leader || status)
		return CR_EXIT_SETUP;
	plain = fork();
	if (plain == 0) {
		close(ctx->ready_fd);
		was[1] = me();
		mark_ready(ctx, 2);
		cr_wl_wait_go(ctx);
		_exit(check_ident(&was[1], 2));
	}
	if (wait_ready(ctx, 2))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (getpid() != 1)
		return CR_WL_FAIL(3, "init is pid %d", getpid());
	for (i = 0; i < 2; i++) {
		pid_t pid = wait(&status);

		if (pid != 3 && pid != 4)
			return CR_WL_FAIL(4, "waited for %d", pid);
		if (status && !ret)
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : 5;
	}
	return ret;
}

/* a container restarted into a new pid namespace, with a ghost session */
CR_TEST(cr_tree, container_with_ghost_session)
{
	ctx->spawn_flags = CLONE_NEWPID;
	tree_cycle(_metadata, ctx, wl_container, NULL, 0);
}

#define CONTAINER_HOST	"cr-container"

/* Is this task in a namespace of its own, not the host's (init's)? */
static bool own_ns(const char *which)
{
	char mine[64] = "", hosts[64] = "", path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", which);
	if (readlink(path, mine, sizeof(mine) - 1) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/1/ns/%s", which);
	if (readlink(path, hosts, sizeof(hosts) - 1) < 0)
		return false;
	return strcmp(mine, hosts) != 0;
}

static int wl_uts(struct cr_ctx *ctx, void *arg)
{
	const char *const kinds[] = { "uts", "ipc", "mnt", "net" };
	char name[64] = "";
	int i;

	if (sethostname(CONTAINER_HOST, strlen(CONTAINER_HOST)))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (gethostname(name, sizeof(name)) || strcmp(name, CONTAINER_HOST))
		return CR_WL_FAIL(1, "host name \"%s\"", name);
	for (i = 0; i < 4; i++)
		if (!own_ns(kinds[i]))
			return CR_WL_FAIL(2 + i, "restarted in the host's %s namespace",
					  kinds[i]);
	return 0;
}

/*
 * A container with its own UTS, IPC, mount and network namespaces comes
 * back in new ones, with its host name; the host keeps its own.
 */
CR_TEST(cr_tree, container_namespaces)
{
	char before[64] = "", after[64] = "";

	ASSERT_EQ(0, gethostname(before, sizeof(before)));
	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
			   CLONE_NEWNS | CLONE_NEWNET;
	tree_cycle(_metadata, ctx, wl_uts, NULL, 0);
	ASSERT_EQ(0, gethostname(after, sizeof(after)));
	EXPECT_STREQ(before, after) {
		TH_LOG("the restart renamed the host");
	}
}

/*
 * An image damaged inside the second task's state: the restart fails,
 * and no task of the tree is left behind.
 */
CR_TEST(cr_tree, failed_restart_leaves_nothing)
{
	const struct cr_rec *task2, *vma;
	struct cr_image im;
	unsigned char *img;
	size_t len;
	char st[128];
	int status, i, ret;

	tree_cycle(_metadata, ctx, wl_tree, (void *)&ten, CHECKPOINT_SUBTREE);
	ASSERT_EQ(0, cr_image_scan(ctx->img, &im)) {
		TH_LOG("%s", im.err);
	}
	task2 = cr_image_find(&im, CKPT_HDR_TASK, 1);
	ASSERT_NE(NULL, task2);
	vma = NULL;
	for (i = 0; i < (int)im.nr_recs; i++)
		if (im.recs[i].type == CKPT_HDR_VMA &&
		    im.recs[i].off > task2->off) {
			vma = &im.recs[i];
			break;
		}
	ASSERT_NE(NULL, vma);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	/* a VMA type nobody knows */
	img[vma->off + offsetof(struct ckpt_hdr_vma, vma_type)] = 0x77;
	ASSERT_EQ(0, cr_write_whole(ctx->data, img, len));
	free(img);

	unlink(ctx->go);
	cr_go(_metadata, ctx);
	status = restart_tool(_metadata, ctx, ctx->data);
	cr_status_str(status, st, sizeof(st));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		TH_LOG("restart tool %s, expected exit 1", st);
	}
	/* every pid of the tree is gone */
	for (i = 0; i < (int)im.nr_recs; i++) {
		const struct cr_rec *r = &im.recs[i];
		struct ckpt_hdr_tree_task tt;
		int fd = open(ctx->img, O_RDONLY);

		if (r->type != CKPT_HDR_TREE_TASK)
			continue;
		ASSERT_EQ((ssize_t)sizeof(tt), pread(fd, &tt, sizeof(tt), r->off));
		close(fd);
		ret = 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (int k = 0; k < 200 && !kill(tt.pid, 0); k++) {
			cr_sleep_ms(10);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		ret = kill(tt.pid, 0);
		EXPECT_EQ(-1, ret) {
			TH_LOG("pid %d of the failed restart is still there",
			       tt.pid);
		}
	}
	cr_image_free(&im);
}

#define LEAK_FD		5

/* root and a child; the root holds a file at LEAK_FD */
static int wl_leaky(struct cr_ctx *ctx, void *arg)
{
	pid_t kid;
	int fd, status;

	fd = open(ctx->data2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, LEAK_FD) != LEAK_FD)
		return CR_EXIT_SETUP;
	close(fd);
	kid = fork();
	if (kid == 0) {
		close(ctx->ready_fd);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		_exit(0);
	}
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (write(LEAK_FD, "ok", 2) != 2)
		return CR_WL_FAIL(1, "write: %s", strerror(errno));
	if (waitpid(kid, &status, 0) != kid || status)
		return CR_WL_FAIL(2, "child status %#x", status);
	return 0;
}

/*
 * A file of the tree also held by a task outside (here: the test, which
 * took it with pidfd_getfd()) is a leak: a container checkpoint fails
 * with EBUSY naming the file, and the tree carries on unharmed after
 * thaw; as a subtree (the user takes responsibility) it checkpoints.
 */
CR_TEST(cr_tree, leaked_file_refused_unless_subtree)
{
	struct wl_call call = { wl_leaky, NULL };
	int pidfd, stolen, fd, err, status;
	char *log;
	size_t len;
	long ret;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	pidfd = syscall(SYS_pidfd_open, ctx->wl_pid, 0);
	ASSERT_LE(0, pidfd);
	stolen = syscall(SYS_pidfd_getfd, pidfd, LEAK_FD, 0);
	ASSERT_LE(0, stolen) {
		TH_LOG("pidfd_getfd: %s", strerror(errno));
	}
	close(pidfd);
	cr_freeze(_metadata, ctx, ctx->wl_pid);

	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ret = sys_checkpoint(ctx->wl_pid, fd, 0, ctx->logfd);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);
	log = cr_read_whole(ctx->log, &len);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, "leak")) {
		cr_dump(_metadata, "c/r log", ctx->log);
	}
	EXPECT_NE(NULL, strstr(log, strrchr(ctx->data2, '/') + 1)) {
		TH_LOG("the log does not name the shared file");
	}
	free(log);

	/* the same tree as a subtree */
	ASSERT_EQ(0, ftruncate(fd, 0));
	ret = sys_checkpoint(ctx->wl_pid, fd, CHECKPOINT_SUBTREE, ctx->logfd);
	EXPECT_LT(0, ret) {
		TH_LOG("subtree checkpoint: %s", strerror(errno));
		cr_dump_logs(_metadata, ctx);
	}
	close(fd);
	close(stolen);

	/* nothing was harmed: the tree finishes its work */
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("tree status %#x after the refused checkpoint", status);
		cr_dump_logs(_metadata, ctx);
	}
}

/* Pids of the image's live tasks (not zombies or ghosts) */
static int image_pids(const char *img, pid_t *pids, int max)
{
	struct ckpt_hdr_tree_task tt;
	struct cr_image im;
	unsigned int i;
	int fd, n = 0;

	if (cr_image_scan(img, &im))
		return -1;
	fd = open(img, O_RDONLY | O_CLOEXEC);
	for (i = 0; fd >= 0 && i < im.nr_recs && n < max; i++) {
		if (im.recs[i].type != CKPT_HDR_TREE_TASK ||
		    pread(fd, &tt, sizeof(tt), im.recs[i].off) != sizeof(tt))
			continue;
		if (!(tt.flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST)))
			pids[n++] = tt.pid;
	}
	close(fd);
	cr_image_free(&im);
	return n;
}

static int count_alive(const pid_t *pids, int n)
{
	int i, alive = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (i = 0; i < n; i++)
		if (!kill(pids[i], 0))
			alive++;
	return alive;
}

/*
 * The restart tool (the coordinator) killed at various moments of a
 * restart: afterwards either the whole tree runs, restored (the kill
 * came after the end), or nothing of it is left; never a part of it.
 */
CR_TEST(cr_tree, coordinator_killed_midway)
{
	pid_t pids[MAX_NODES], tool;
	int n, delay, alive, i, status, whole = 0, none = 0;

	tree_cycle(_metadata, ctx, wl_tree, (void *)&ten, CHECKPOINT_SUBTREE);
	n = image_pids(ctx->img, pids, MAX_NODES);
	ASSERT_EQ(10, n);
	unlink(ctx->go);

	for (delay = 0; delay <= 120; delay += 6) {
		fflush(stdout);
		fflush(stderr);
		tool = fork();
		ASSERT_LE(0, tool);
		if (tool == 0) {
			execl(RESTART_TOOL, "restart", "-i", ctx->img, "-l",
			      ctx->log, (char *)NULL);
			_exit(127);
		}
		cr_sleep_ms(delay);
		kill(tool, SIGKILL);
		ASSERT_EQ(0, cr_wait_timeout(tool, &status, CR_WAIT_MS));
		/* let the kernel and the death signals do their work */
		for (i = 0; i < 300; i++) {
			alive = count_alive(pids, n);
			if (alive == 0 || alive == n)
				break;
			cr_sleep_ms(10);
		}
		if (alive == n)
			whole++;
		else
			none++;
		if (alive == n && !kill(pids[0], 0)) {
			/* restored before the kill: it must work */
			cr_go(_metadata, ctx);
			for (i = 0; i < 500 && count_alive(pids, n); i++)
				cr_sleep_ms(10);
			unlink(ctx->go);
		}
		alive = count_alive(pids, n);
		ASSERT_EQ(0, alive) {
			TH_LOG("coordinator killed after %d ms: %d of %d tasks left",
			       delay, alive, n);
			cr_dump_logs(_metadata, ctx);
		}
	}
	TH_LOG("killed %d times: the tree came back whole %d times, not at all %d",
	       whole + none, whole, none);
}

static int wl_sysv(struct cr_ctx *ctx, void *arg)
{
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	if (id < 0)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return semctl(id, 0, IPC_RMID) ? CR_WL_FAIL(1, "semaphore gone") : 0;
}

/* SysV IPC objects in the container's IPC namespace are refused (yet) */
CR_TEST(cr_tree, container_sysv_ipc_refused)
{
	struct wl_call call = { wl_sysv, NULL };
	int fd, err, status;
	char *log;
	size_t len;
	long ret;

	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWIPC;
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ret = sys_checkpoint(ctx->wl_pid, fd, 0, ctx->logfd);
	err = errno;
	close(fd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);
	log = cr_read_whole(ctx->log, &len);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, "SysV IPC"));
	free(log);
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	EXPECT_EQ(0, status);
}

TEST_HARNESS_MAIN
