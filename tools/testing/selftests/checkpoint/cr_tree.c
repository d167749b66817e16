// SPDX-License-Identifier: GPL-2.0
/*
 * Process trees through checkpoint and restart (with the restart tool,
 * which rebuilds the tree): pids, parents, sessions and process groups,
 * zombies, threads, shared file offsets, shared anonymous memory (with a
 * futex in it), a container with a dead session leader, and a restart
 * that fails half way.
 */
#include "cr_tree.h"

#include <linux/futex.h>

#define MAX_NODES	16

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

FIXTURE(cr_tree) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_tree) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_tree) { cr_teardown(_metadata, &self->ctx); }

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
	char name[16], now[16] = "";

	/* each thread has a name of its own (PR_SET_NAME) */
	snprintf(name, sizeof(name), "cr-thread-%ld", idx);
	if (prctl(PR_SET_NAME, name))
		return (void *)3;
	thread_val = 1000 + idx;
	for (i = 0; i < THREAD_ROUNDS; i++)
		v = step(v);
	shared_heap[idx] = v;
	__atomic_add_fetch(&threads_ready, 1, __ATOMIC_SEQ_CST);
	cr_wl_wait_go(thread_ctx);
	if (thread_val != (uint64_t)(1000 + idx) || shared_heap[idx] != v)
		return (void *)1;
	if (prctl(PR_GET_NAME, now) || strcmp(now, name))
		return (void *)4;
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

/*
 * 4 threads with their own TLS, registers and names sharing a heap go on
 * computing
 */
CR_TEST(cr_tree, threads_compute_on)
{
	tree_cycle(_metadata, ctx, wl_threads, NULL, CHECKPOINT_SUBTREE);
}

static volatile int vm_ping, vm_pong;

/* CLONE_VM without CLONE_THREAD: raw system calls only, no TLS of its own */
static int vm_child(void *arg)
{
	struct timespec ts = { 0, 1000000 };
	struct cr_ctx *ctx = arg;

	/* the parent's ready pipe, whose end the test waits for */
	syscall(SYS_close, ctx->ready_fd);
	vm_pong = 1;
	while (!vm_ping)
		syscall(SYS_nanosleep, &ts, NULL);
	vm_pong = vm_ping + 1;
	return 0;
}

static int wl_shared_vm(struct cr_ctx *ctx, void *arg)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int status, i;
	pid_t kid;

	kid = clone(vm_child, stack + sizeof(stack), CLONE_VM | SIGCHLD, ctx);
	if (kid < 0)
		return CR_EXIT_SETUP;
	while (!vm_pong)
		cr_sleep_ms(1);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	vm_ping = 41;
	for (i = 0; i < 10000 && vm_pong != 42; i++)
		cr_sleep_ms(1);
	if (vm_pong != 42)
		return CR_WL_FAIL(1, "the child wrote %d, not 42 where its parent sees it: address space not shared",
				  vm_pong);
	if (cr_wait_timeout(kid, &status, 10000) || status)
		return CR_WL_FAIL(2, "child status %#x", status);
	return 0;
}

/*
 * A process and a child sharing its address space (CLONE_VM, not a
 * thread): restored, they share one again
 */
CR_TEST(cr_tree, shared_address_space)
{
	tree_cycle(_metadata, ctx, wl_shared_vm, NULL, CHECKPOINT_SUBTREE);
}

/*
 * A tree whose tasks restore themselves in parallel: PAR_KIDS processes,
 * each with its own memory, POSIX timer, PAR_THREADS threads with their
 * own TLS and signal masks, and a child sharing an open file (and its
 * offset) with it. The kids share a file the root opened; the root's
 * section makes it after the root's memory, which is larger than the
 * kids': a kid restoring at the same time waits for it.
 */
#define PAR_KIDS	6
#define PAR_THREADS	2
#define PAR_WORDS	((256UL << 10) / sizeof(long))
#define PAR_ROOT_WORDS	((4UL << 20) / sizeof(long))

static __thread long par_tls;
static volatile int par_go, par_up;

static long par_word(int kid, unsigned long i)
{
	return (long)(kid + 1) * 0x9e3779b97f4a7c15L ^ (long)i * 131;
}

static void *par_thread(void *arg)
{
	long id = (long)arg;
	int sig = SIGRTMIN + (int)id;
	sigset_t m;

	par_tls = id * 7919;
	sigemptyset(&m);
	sigaddset(&m, sig);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	__atomic_add_fetch(&par_up, 1, __ATOMIC_SEQ_CST);
	while (!par_go)
		cr_sleep_ms(1);
	if (par_tls != id * 7919)
		return (void *)1L;
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	if (!sigismember(&m, sig) || sigismember(&m, SIGRTMIN + 3 - (int)id))
		return (void *)2L;
	return NULL;
}

static int par_kid(struct cr_ctx *ctx, int k, int shared)
{
	struct itimerspec its = { .it_value = { 1000, 0 } };
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	char path[PATH_MAX], buf[8] = "";
	pthread_t th[PAR_THREADS];
	unsigned long i;
	int fd, status;
	timer_t timer;
	long *mem;
	void *res;
	pid_t kid;

	close(ctx->ready_fd);
	ctx->ready_fd = -1;
	mem = malloc(PAR_WORDS * sizeof(long));
	snprintf(path, sizeof(path), "%s.par%d", ctx->data, k);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!mem || fd < 0 || write(fd, "ab", 2) != 2 ||
	    timer_create(CLOCK_MONOTONIC, &none, &timer) ||
	    timer_settime(timer, 0, &its, NULL))
		return CR_EXIT_SETUP;
	for (i = 0; i < PAR_WORDS; i++)
		mem[i] = par_word(k, i);
	kid = fork();
	if (kid == 0) {
		cr_wl_wait_go(ctx);
		_exit(write(fd, "c", 1) == 1 ? 0 : 1);
	}
	for (i = 0; i < PAR_THREADS; i++)
		if (pthread_create(&th[i], NULL, par_thread, (void *)(i + 1)))
			return CR_EXIT_SETUP;
	while (par_up < PAR_THREADS)
		cr_sleep_ms(1);
	mark_ready(ctx, k + 1);
	cr_wl_wait_go(ctx);
	par_go = 1;
	for (i = 0; i < PAR_THREADS; i++)
		if (pthread_join(th[i], &res) || res)
			return CR_WL_FAIL(1, "kid %d thread %lu: %ld", k, i + 1,
					  (long)res);
	for (i = 0; i < PAR_WORDS; i++)
		if (mem[i] != par_word(k, i))
			return CR_WL_FAIL(2, "kid %d: word %lu is %#lx", k, i,
					  mem[i]);
	if (timer_gettime(timer, &its) || !its.it_value.tv_sec ||
	    its.it_value.tv_sec > 1000)
		return CR_WL_FAIL(3, "kid %d: timer at %ld s", k,
				  (long)its.it_value.tv_sec);
	if (waitpid(kid, &status, 0) != kid || status)
		return CR_WL_FAIL(4, "kid %d: its child's status %#x", k,
				  status);
	if (write(fd, "d", 1) != 1 || lseek(fd, 0, SEEK_CUR) != 4 ||
	    pread(fd, buf, sizeof(buf) - 1, 0) != 4 || strcmp(buf, "abcd"))
		return CR_WL_FAIL(5, "kid %d: shared file holds \"%s\"", k,
				  buf);
	if (write(shared, "k", 1) != 1)
		return CR_WL_FAIL(6, "kid %d: write: %s", k, strerror(errno));
	return 0;
}

static int wl_parallel(struct cr_ctx *ctx, void *arg)
{
	pid_t kids[PAR_KIDS];
	int k, status, fd, ret = 0;
	unsigned long i;
	long *mem;

	fd = open(ctx->data2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "R", 1) != 1)
		return CR_EXIT_SETUP;
	for (k = 0; k < PAR_KIDS; k++) {
		kids[k] = fork();
		if (kids[k] == 0)
			_exit(par_kid(ctx, k, fd));
		if (kids[k] < 0 || wait_ready(ctx, k + 1))
			return CR_EXIT_SETUP;
	}
	mem = malloc(PAR_ROOT_WORDS * sizeof(long));
	if (!mem)
		return CR_EXIT_SETUP;
	for (i = 0; i < PAR_ROOT_WORDS; i++)
		mem[i] = par_word(-1, i);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	for (k = 0; k < PAR_KIDS; k++)
		if ((waitpid(kids[k], &status, 0) != kids[k] || status) && !ret)
			ret = CR_WL_FAIL(1, "kid %d: status %#x", k, status);
	for (i = 0; i < PAR_ROOT_WORDS && !ret; i++)
		if (mem[i] != par_word(-1, i))
			ret = CR_WL_FAIL(2, "root: word %lu is %#lx", i, mem[i]);
	if (!ret && lseek(fd, 0, SEEK_CUR) != 1 + PAR_KIDS)
		ret = CR_WL_FAIL(3, "the kids' shared offset is %ld, not %d",
				 (long)lseek(fd, 0, SEEK_CUR), 1 + PAR_KIDS);
	return ret;
}

/* The tasks of the image restored themselves in parallel, and exactly */
CR_TEST(cr_tree, parallel_restore)
{
	char *log, *par, path[PATH_MAX];
	size_t len;
	int k;

	tree_cycle(_metadata, ctx, wl_parallel, NULL, CHECKPOINT_SUBTREE);
	log = cr_read_whole(ctx->log, &len);
	par = log ? strstr(log, " tasks_par=") : NULL;
	/* every task: none has a file only a task restoring alone makes */
	EXPECT_TRUE(par && atoi(par + 11) == 1 + PAR_KIDS * (PAR_THREADS + 2)) {
		TH_LOG("not restored in parallel: %s", par ? par : "no tasks_par");
		cr_dump_logs(_metadata, ctx);
	}
	free(log);
	for (k = 0; k < PAR_KIDS; k++) {
		snprintf(path, sizeof(path), "%s.par%d", ctx->data, k);
		unlink(path);
	}
}

/* Two kids, each with a file of its own open */
static int fwd_kid(struct cr_ctx *ctx, int k)
{
	char path[PATH_MAX];
	int fd;

	close(ctx->ready_fd);
	snprintf(path, sizeof(path), "%s.fwd%d", ctx->data, k);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, k ? "B" : "A", 1) != 1)
		return CR_EXIT_SETUP;
	mark_ready(ctx, k + 1);
	cr_wl_wait_go(ctx);
	/* a restored kid with the other's file would see it here */
	if (pread(fd, path, 1, 0) != 1 || path[0] != (k ? 'B' : 'A'))
		return CR_WL_FAIL(1, "kid %d has the other kid's file", k);
	return 0;
}

/*
 * The root's memory (its section's restore) is larger than the kids': the
 * second kid makes its file while the first waits for the root
 */
static int wl_two_files(struct cr_ctx *ctx, void *arg)
{
	int k, status, ret = 0;
	pid_t kids[2];
	char *mem;

	for (k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0)
			_exit(fwd_kid(ctx, k));
		if (kids[k] < 0 || wait_ready(ctx, k + 1))
			return CR_EXIT_SETUP;
	}
	mem = malloc(PAR_ROOT_WORDS * sizeof(long));
	if (!mem)
		return CR_EXIT_SETUP;
	memset(mem, 0x5a, PAR_ROOT_WORDS * sizeof(long));
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	for (k = 0; k < 2; k++)
		if (waitpid(kids[k], &status, 0) != kids[k] || status)
			ret = CR_WL_FAIL(1, "kid %d: status %#x", k, status);
	return ret;
}

/* The last FILE record of a regular file in task @task's section */
static const struct cr_rec *fwd_file(const struct cr_image *im,
				     const unsigned char *img, int task)
{
	const struct cr_rec *found = NULL;
	unsigned int i;
	int t = -1;

	for (i = 0; i < im->nr_recs; i++) {
		const struct cr_rec *r = &im->recs[i];

		if (r->type == CKPT_HDR_TASK)
			t++;
		if (t == task && r->type == CKPT_HDR_FILE &&
		    ((const struct ckpt_hdr_file *)(img + r->off))->file_type ==
		    CKPT_FILE_REG && i + 1 < im->nr_recs &&
		    r[1].type == CKPT_HDR_STRING)
			found = r;
	}
	return found;
}

/*
 * An image whose first kid names, by an OBJREF, the file the second kid
 * makes (an object of a later section): refused, as in image order,
 * however the two kids' restores overlap
 */
CR_TEST(cr_tree, forward_objref_refused)
{
	struct wl_call call = { wl_two_files, NULL };
	const struct cr_rec *a, *b, *tail;
	struct ckpt_hdr_objref ref = {
		.h = { CKPT_HDR_OBJREF, sizeof(ref) },
		.objtype = CKPT_OBJ_FILE,
	};
	struct cr_image im = {};
	char path[PATH_MAX];
	unsigned char *img = NULL;
	size_t len, cut;
	int status, k;

	tree_image(_metadata, ctx, &call, CHECKPOINT_SUBTREE, &im, &img,
		   &len);
	ASSERT_NE(NULL, img);
	/* sections in image order: the root, then its two kids */
	a = fwd_file(&im, img, 1);
	b = fwd_file(&im, img, 2);
	tail = cr_image_find(&im, CKPT_HDR_TAIL, 0);
	ASSERT_TRUE(a && b && tail);
	ref.objref = ((const struct ckpt_hdr_file *)(img + b->off))->objref;
	/* the first kid's FILE and path records become that OBJREF */
	cut = a[1].off + a[1].len - a->off;
	memcpy(img + a->off, &ref, sizeof(ref));
	memmove(img + a->off + sizeof(ref), img + a->off + cut,
		len - a->off - cut);
	len -= cut - sizeof(ref);
	((struct ckpt_hdr_tail *)(img + tail->off - cut + sizeof(ref)))->nr_records--;
	cr_image_free(&im);
	ASSERT_EQ(0, cr_write_whole(ctx->img, img, len));
	free(img);

	status = restart_tool(_metadata, ctx, ctx->img);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		TH_LOG("restart of the image with a forward OBJREF: status %#x",
		       status);
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_TRUE(cr_log_has(ctx, " is not a known file")) {
		cr_dump_logs(_metadata, ctx);
	}
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s.fwd%d", ctx->data, k);
		unlink(path);
	}
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
 * Shared anonymous memory: SHA_LEN of it, a futex word and two flags in
 * its first page, a pattern in the rest, mapped by a parent and, at
 * another address (mremap()), by its child; and SHA_SPARSE of it with
 * only its first and last byte written.
 */
#define SHA_LEN		(1UL << 20)
#define SHA_SPARSE	(64UL << 20)
#define SHA_SEED	0x5a5a

struct sha_page {
	int futex;			/* 1: the parent restarted and wrote */
	uint32_t child_ready;	/* the child sleeps (or is about to) */
	uint32_t parent_mark;	/* written by the parent after restart */
	uint32_t child_mark;	/* written by the child after it woke */
};

/* Is the mapping at @addr shared ("rw-s") and of /dev/zero? */
static bool shared_zero_mapping(void *addr)
{
	char line[512], want[32];
	bool ok = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			ok = strstr(line, " rw-s ") && strstr(line, "/dev/zero");
	fclose(f);
	return ok;
}

static int sha_child(unsigned char *s)
{
	void *hole, *m;
	struct sha_page *p;

	/* the child's view is somewhere else */
	hole = mmap(NULL, SHA_LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	m = mremap(s, SHA_LEN, SHA_LEN, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	if (hole == MAP_FAILED || m == MAP_FAILED || m == s)
		return CR_EXIT_SETUP;
	p = m;
	__atomic_store_n(&p->child_ready, 1, __ATOMIC_SEQ_CST);
	/* sleeps here through the checkpoint and the restart */
	cr_futex_wait_set(&p->futex);
	if (p->parent_mark != 0xab)
		return 10;
	if (cr_check_fill((unsigned char *)m + 4096, SHA_LEN - 4096,
			  SHA_SEED) >= 0)
		return 11;
	if (!shared_zero_mapping(m))
		return 12;
	p->child_mark = 0xcd;
	return 0;
}

/* Wait (10 s at most) until the child is about to sleep on p->futex */
static bool sha_child_ready(struct sha_page *p)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (__atomic_load_n(&p->child_ready, __ATOMIC_SEQ_CST))
			return true;
		cr_sleep_ms(10);
	}
	return false;
}

/*
 * After restart: write @mark for the child sleeping on p->futex, wake it
 * and reap it; 0 when it saw the mark and wrote @reply, else the reason
 */
static const char *sha_wake_child(struct sha_page *p, pid_t kid,
				  uint32_t mark, uint32_t reply)
{
	int i, status = -1;

	p->parent_mark = mark;
	cr_futex_set_wake(&p->futex);
	for (i = 0; i < 1000; i++) {
		if (waitpid(kid, &status, WNOHANG) == kid)
			break;
		cr_sleep_ms(10);
	}
	if (i == 1000)
		return "the child never woke from its futex";
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return "the child failed";
	if (p->child_mark != reply)
		return "the child's write is not seen";
	return NULL;
}

static int wl_shared_anon(struct cr_ctx *ctx, void *arg)
{
	unsigned char *s, *t;
	struct sha_page *p;
	const char *why;
	ssize_t off;
	pid_t kid;

	s = mmap(NULL, SHA_LEN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	t = mmap(NULL, SHA_SPARSE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED || t == MAP_FAILED)
		return CR_EXIT_SETUP;
	p = (struct sha_page *)s;
	cr_fill(s + 4096, SHA_LEN - 4096, SHA_SEED);
	t[0] = 0x11;
	t[SHA_SPARSE - 1] = 0x22;
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		_exit(sha_child(s));
	}
	if (!sha_child_ready(p))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	off = cr_check_fill(s + 4096, SHA_LEN - 4096, SHA_SEED);
	if (off >= 0)
		return CR_WL_FAIL(1, "shared memory differs at offset %zd",
				  off + 4096);
	if (!shared_zero_mapping(s) || !shared_zero_mapping(t))
		return CR_WL_FAIL(2, "not shared /dev/zero mappings any more");
	if (t[0] != 0x11 || t[SHA_SPARSE - 1] != 0x22 ||
	    t[SHA_SPARSE / 2] != 0)
		return CR_WL_FAIL(3, "sparse shared memory: %#x %#x %#x",
				  t[0], t[SHA_SPARSE / 2], t[SHA_SPARSE - 1]);
	/* wake the child: it must see this, and we what it writes */
	why = sha_wake_child(p, kid, 0xab, 0xcd);
	return why ? CR_WL_FAIL(4, "%s", why) : 0;
}

/*
 * A /dev/shm (tmpfs) file mapped MAP_SHARED by a parent and its child at
 * different addresses, next to a MAP_PRIVATE mapping of the same file
 * with a copy-on-write page: after restart the shared mappings are the
 * file's again (a write by one is seen by the other and in the file), the
 * private page keeps its own contents and the file never sees it.
 */
#define SHMF_PAGES	4

static char shmf_path[CR_PATH_LEN];

static int shmf_child(unsigned char *m)
{
	struct sha_page *p = (struct sha_page *)m;

	__atomic_store_n(&p->child_ready, 1, __ATOMIC_SEQ_CST);
	cr_futex_wait_set(&p->futex);
	if (p->parent_mark != 0x5eed0001)
		return 1;
	p->child_mark = 0x5eed0002;
	return 0;
}

static int wl_shm_file(struct cr_ctx *ctx, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *s, *priv, buf[64];
	struct sha_page *p;
	const char *why;
	int fd, i;
	pid_t kid;
	ssize_t off;

	fd = open(shmf_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, SHMF_PAGES * page))
		return CR_EXIT_SETUP;
	s = mmap(NULL, SHMF_PAGES * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	priv = mmap(NULL, SHMF_PAGES * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE, fd, 0);
	close(fd);
	if (s == MAP_FAILED || priv == MAP_FAILED)
		return CR_EXIT_SETUP;
	p = (struct sha_page *)s;
	cr_fill(s + page, (SHMF_PAGES - 1) * page, 0x5f11e);
	/* page 2 of the private mapping: a copy of its own */
	memset(priv + 2 * page, 0x77, page);
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		unsigned char *c;

		close(ctx->ready_fd);
		/* its own mapping of the file, elsewhere */
		fd = open(shmf_path, O_RDWR | O_CLOEXEC);
		c = fd < 0 ? MAP_FAILED :
		    mmap(NULL, SHMF_PAGES * page, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (c == MAP_FAILED)
			_exit(CR_EXIT_SETUP);
		close(fd);
		munmap(s, SHMF_PAGES * page);
		_exit(shmf_child(c));
	}
	if (!sha_child_ready(p))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	off = cr_check_fill(s + page, (SHMF_PAGES - 1) * page, 0x5f11e);
	if (off >= 0)
		return CR_WL_FAIL(1, "shared mapping differs at %zd", off);
	for (i = 0; i < page; i++)
		if (priv[2 * page + i] != 0x77)
			return CR_WL_FAIL(2, "the private copy-on-write page lost its contents");
	/* the file has the shared data, not the private page */
	fd = open(shmf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, buf, sizeof(buf), 2 * page) != sizeof(buf) ||
	    memcmp(buf, s + 2 * page, sizeof(buf)))
		return CR_WL_FAIL(3, "the file does not hold what the shared mapping shows");
	close(fd);
	/* still copy-on-write and still shared */
	priv[3 * page] ^= 0xff;
	if (s[3 * page] == priv[3 * page])
		return CR_WL_FAIL(4, "a private write reached the shared mapping");
	why = sha_wake_child(p, kid, 0x5eed0001, 0x5eed0002);
	return why ? CR_WL_FAIL(5, "%s (a futex in the file)", why) : 0;
}

/* A /dev/shm file shared by a parent and its child, and a private copy */
CR_TEST(cr_tree, shm_file)
{
	snprintf(shmf_path, sizeof(shmf_path), "/dev/shm/cr-shm-file-%d",
		 getpid());
	tree_cycle(_metadata, ctx, wl_shm_file, NULL, CHECKPOINT_SUBTREE);
	unlink(shmf_path);
}

/* Shared anonymous memory of a parent and its child */
static int wl_share_with_child(struct cr_ctx *ctx, void *arg)
{
	char *m = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status = -1;
	pid_t kid;

	if (m == MAP_FAILED)
		return CR_EXIT_SETUP;
	m[0] = 1;
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		cr_wl_wait_go(ctx);
		_exit(m[0] == 1 ? 0 : 1);
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (waitpid(kid, &status, 0) != kid || status)
		return CR_WL_FAIL(1, "child status %#x", status);
	return 0;
}

/*
 * The child alone, its parent outside the tree: the memory could not be
 * shared with the parent again after a restart, so a checkpoint of the
 * child refuses it (as a leak without CHECKPOINT_SUBTREE, and with it
 * too). Parent and child together are fine.
 */
CR_TEST(cr_tree, shared_anon_outside_refused)
{
	struct wl_call call = { wl_share_with_child, NULL };
	char path[64], buf[64] = "";
	int err = 0, status;
	pid_t kid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", ctx->wl_pid,
		 ctx->wl_pid);
	ASSERT_LT(0, cr_read_str(path, buf, sizeof(buf)));
	kid = atoi(buf);
	ASSERT_LT(0, kid);
	cr_freeze(_metadata, ctx, ctx->wl_pid);

	EXPECT_EQ(-1, ckpt_to_img(ctx, kid, 0, &err));
	EXPECT_EQ(EBUSY, err);
	EXPECT_TRUE(cr_log_has(ctx,
		"shared anonymous memory is shared with a task outside the tree"));
	EXPECT_EQ(-1, ckpt_to_img(ctx, kid, CHECKPOINT_SUBTREE, &err));
	EXPECT_EQ(EBUSY, err);
	EXPECT_TRUE(cr_log_has(ctx, "also mapped by a process outside the tree")) {
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_LT(0, ckpt_to_img(ctx, ctx->wl_pid, CHECKPOINT_SUBTREE, &err)) {
		TH_LOG("parent and child: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}

	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(ctx->wl_pid, waitpid(ctx->wl_pid, &status, 0));
	ctx->wl_pid = 0;
	EXPECT_EQ(0, status);
}

/*
 * MAP_SHARED | MAP_ANONYMOUS memory comes back shared by the same tasks,
 * at their addresses, with its contents; a futex in it still wakes its
 * waiter; untouched pages are not in the image
 */
CR_TEST(cr_tree, shared_anon)
{
	struct stat st;

	tree_cycle(_metadata, ctx, wl_shared_anon, NULL, CHECKPOINT_SUBTREE);
	ASSERT_EQ(0, stat(ctx->img, &st));
	EXPECT_LT(st.st_size, 16L << 20) {
		TH_LOG("image of %lld bytes: untouched shared pages were saved",
		       (long long)st.st_size);
	}
}

/*
 * Node A of root -> A -> B -> C is a child subreaper. After the restart
 * B exits: its orphan C must be handed to A (not to the test, the
 * subreaper above the tree, nor to init), and A reaps it.
 */
static int wl_subreaper(struct cr_ctx *ctx, void *arg)
{
	pid_t a, b, c, r;
	char num[32] = "";
	int status, sub = -1, i, ret = 0;

	a = fork();
	if (a < 0)
		return CR_EXIT_SETUP;
	if (a == 0) {
		close(ctx->ready_fd);
		ctx->ready_fd = -1;
		if (prctl(PR_SET_CHILD_SUBREAPER, 1))
			_exit(CR_EXIT_SETUP);
		a = getpid();
		b = fork();
		if (b < 0)
			_exit(CR_EXIT_SETUP);
		if (b == 0) {
			b = getpid();
			c = fork();
			if (c < 0)
				_exit(CR_EXIT_SETUP);
			if (c == 0) {
				mark_ready(ctx, 3);
				cr_wl_wait_go(ctx);
				/* B exits after the restart: wait to be handed on */
				for (i = 0; i < 1000 && getppid() == b; i++)
					cr_sleep_ms(10);
				if (getppid() != a)
					_exit(CR_WL_FAIL(5, "C: parent %d after B (%d) exited, expected the subreaper A (%d)",
							 getppid(), b, a));
				_exit(0);
			}
			snprintf(num, sizeof(num), "%d", c);
			if (wait_ready(ctx, 3) ||
			    cr_write_whole(ctx->data2, num, strlen(num)))
				_exit(CR_EXIT_SETUP);
			mark_ready(ctx, 2);
			cr_wl_wait_go(ctx);
			_exit(0);	/* C is orphaned */
		}
		if (wait_ready(ctx, 2) ||
		    cr_read_str(ctx->data2, num, sizeof(num)) <= 0)
			_exit(CR_EXIT_SETUP);
		c = atoi(num);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		if (prctl(PR_GET_CHILD_SUBREAPER, &sub) || sub != 1)
			_exit(CR_WL_FAIL(1, "A: PR_GET_CHILD_SUBREAPER %d, expected 1",
					 sub));
		if (waitpid(b, &status, 0) != b || status)
			_exit(CR_WL_FAIL(2, "A: child B %d: status %#x", b,
					 status));
		r = waitpid(-1, &status, 0);
		if (r < 0)
			_exit(CR_WL_FAIL(3, "A: orphan C %d was not handed to A: %s",
					 c, strerror(errno)));
		if (r != c)
			_exit(CR_WL_FAIL(4, "A: reaped %d, expected the orphan C %d",
					 r, c));
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 6);
	}
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (waitpid(a, &status, 0) != a)
		return CR_WL_FAIL(7, "root: cannot reap A %d: %s", a,
				  strerror(errno));
	if (status)
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 8;
	return ret;
}

/* a child subreaper inside the tree (not its root) stays one */
CR_TEST(cr_tree, subreaper_inside_tree)
{
	tree_cycle(_metadata, ctx, wl_subreaper, NULL, CHECKPOINT_SUBTREE);
}

/*
 * root -> A -> B; B asked for SIGUSR1 when its parent dies
 * (PR_SET_PDEATHSIG). After the restart A exits: B gets SIGUSR1 and is
 * handed to the root, a subreaper, which reaps both.
 */
static volatile sig_atomic_t pdeath_got;

static void on_pdeath(int sig)
{
	pdeath_got = sig;
}

static int wl_pdeath(struct cr_ctx *ctx, void *arg)
{
	int status, ret = 0, i, sig = -1;
	pid_t a, b, r;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		return CR_EXIT_SETUP;
	a = fork();
	if (a < 0)
		return CR_EXIT_SETUP;
	if (a == 0) {
		close(ctx->ready_fd);
		b = fork();
		if (b < 0)
			_exit(CR_EXIT_SETUP);
		if (b == 0) {
			if (signal(SIGUSR1, on_pdeath) == SIG_ERR ||
			    prctl(PR_SET_PDEATHSIG, SIGUSR1))
				_exit(CR_EXIT_SETUP);
			mark_ready(ctx, 2);
			cr_wl_wait_go(ctx);
			if (prctl(PR_GET_PDEATHSIG, &sig) || sig != SIGUSR1)
				_exit(CR_WL_FAIL(1, "B: parent-death signal %d, expected SIGUSR1",
						 sig));
			/* A exits now */
			for (i = 0; i < 1000 && !pdeath_got; i++)
				cr_sleep_ms(10);
			if (pdeath_got != SIGUSR1)
				_exit(CR_WL_FAIL(2, "B: no SIGUSR1 when its parent A exited"));
			_exit(0);
		}
		if (wait_ready(ctx, 2))
			_exit(CR_EXIT_SETUP);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		_exit(0);
	}
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	for (i = 0; i < 2; i++) {
		r = waitpid(-1, &status, 0);
		if (r < 0)
			return CR_WL_FAIL(3, "root: %d children reaped: %s", i,
					  strerror(errno));
		if (status && !ret)
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : 4;
	}
	return ret;
}

/* the parent-death signal of a task of the tree is kept */
CR_TEST(cr_tree, parent_death_signal)
{
	tree_cycle(_metadata, ctx, wl_pdeath, NULL, CHECKPOINT_SUBTREE);
}

#define WAITED_CODE	23

/*
 * The root is blocked in waitpid() for its child when checkpointed; the
 * child exits after the restart: the system call, issued again, returns
 * the child and its status (not -ERESTARTSYS, not EINTR).
 */
static int wl_blocked_wait(struct cr_ctx *ctx, void *arg)
{
	int status = -1;
	pid_t kid, r;

	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		_exit(WAITED_CODE);
	}
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	r = waitpid(kid, &status, 0);
	if (r != kid)
		return CR_WL_FAIL(1, "waitpid(%d) returned %d: %s (errno %d)",
				  kid, r, strerror(errno), errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != WAITED_CODE)
		return CR_WL_FAIL(2, "child status %#x, expected exit %d",
				  status, WAITED_CODE);
	return 0;
}

CR_TEST(cr_tree, parent_blocked_in_waitpid)
{
	tree_cycle_in(_metadata, ctx, wl_blocked_wait, NULL,
		      CHECKPOINT_SUBTREE, __NR_wait4);
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
#define CONTAINER_DOMAIN	"cr-domain"

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
	char name[64] = "", domain[64] = "";
	int i;

	if (sethostname(CONTAINER_HOST, strlen(CONTAINER_HOST)) ||
	    setdomainname(CONTAINER_DOMAIN, strlen(CONTAINER_DOMAIN)))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (gethostname(name, sizeof(name)) || strcmp(name, CONTAINER_HOST))
		return CR_WL_FAIL(1, "host name \"%s\", expected \"%s\"", name,
				  CONTAINER_HOST);
	if (getdomainname(domain, sizeof(domain)) ||
	    strcmp(domain, CONTAINER_DOMAIN))
		return CR_WL_FAIL(6, "domain name \"%s\", expected \"%s\"",
				  domain, CONTAINER_DOMAIN);
	for (i = 0; i < 4; i++)
		if (!own_ns(kinds[i]))
			return CR_WL_FAIL(2 + i, "restarted in the host's %s namespace",
					  kinds[i]);
	return 0;
}

/*
 * A container with its own UTS, IPC, mount and network namespaces comes
 * back in new ones, with its host and domain names; the host keeps its
 * own.
 */
CR_TEST(cr_tree, container_namespaces)
{
	char before[64] = "", after[64] = "", dbefore[64] = "", dafter[64] = "";

	ASSERT_EQ(0, gethostname(before, sizeof(before)));
	ASSERT_EQ(0, getdomainname(dbefore, sizeof(dbefore)));
	ASSERT_STRNE(CONTAINER_DOMAIN, dbefore);
	ctx->spawn_flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
			   CLONE_NEWNS | CLONE_NEWNET;
	tree_cycle(_metadata, ctx, wl_uts, NULL, 0);
	ASSERT_EQ(0, gethostname(after, sizeof(after)));
	EXPECT_STREQ(before, after) {
		TH_LOG("the restart renamed the host");
	}
	ASSERT_EQ(0, getdomainname(dafter, sizeof(dafter)));
	EXPECT_STREQ(dbefore, dafter) {
		TH_LOG("the restart changed the host's domain name");
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
	char pid[16], out[CR_PATH_LEN + 8];
	char *argv[] = { (char *)cr_tool("checkpoint"), "-o", ctx->img, pid,
			 NULL };
	int pidfd, stolen, fd, err, status;
	char *log;
	size_t len;
	long ret;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
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
	snprintf(out, sizeof(out), "%s.out", ctx->img);

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
	/* the checkpoint tool suggests a subtree checkpoint */
	snprintf(pid, sizeof(pid), "%d", ctx->wl_pid);
	cr_need(_metadata, argv[0]);
	EXPECT_TRUE(cr_tool_said(cr_run_tool(out, argv), 1, out,
		"hint: the tree shares that with a process outside it; --subtree"));
	unlink(out);

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

/* Start the restart tool on ctx->img, its log in ctx->log (emptied) */
static pid_t start_tool(struct __test_metadata *_metadata, struct cr_ctx *ctx)
{
	pid_t tool;

	cr_need(_metadata, RESTART_TOOL);
	ASSERT_EQ(0, truncate(ctx->log, 0));
	fflush(stdout);
	fflush(stderr);
	tool = fork();
	ASSERT_LE(0, tool);
	if (tool == 0) {
		execl(RESTART_TOOL, "restart", "-i", ctx->img, "-l", ctx->log,
		      (char *)NULL);
		_exit(127);
	}
	return tool;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define DONE_MSG	"restart of image"	/* "... %llu done: ..." */
#define RESTORED_MSG	"restored pid"
#define KILL_STEPS	12	/* kills spread over 1.5 times a restart */
#define KILL_MORE	16	/* more, aimed where none has landed yet */

enum kill_outcome {
	KILLED_EARLY,		/* nothing left: no task of the tree existed yet */
	KILLED_MID,		/* nothing left: some existed or were restored */
	KILLED_LATE,		/* the whole tree restored, and it works */
};

/*
 * The restored tree (the restart tool is gone, so the root is ours, the
 * subreaper's): let it go and expect it to find its state intact.
 */
static void expect_tree_ok(struct __test_metadata *_metadata,
			   struct cr_ctx *ctx, pid_t root, long delay)
{
	char st[128];
	int status;

	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(root, &status, CR_WAIT_MS)) {
		TH_LOG("coordinator killed after %ld ms: the restored root %d did not exit",
		       delay, root);
	}
	unlink(ctx->go);
	cr_status_str(status, st, sizeof(st));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("coordinator killed after %ld ms: the tree came back whole but its root %s",
		       delay, st);
		cr_dump_logs(_metadata, ctx);
	}
}

/* Start a restart, kill the restart tool after delay ms, judge what is left */
static enum kill_outcome kill_tool_after(struct __test_metadata *_metadata,
					 struct cr_ctx *ctx, const pid_t *pids,
					 int n, long delay)
{
	int i, alive, before, status;
	bool restored, done, whole;
	pid_t tool;

	tool = start_tool(_metadata, ctx);
	cr_sleep_ms(delay);
	before = count_alive(pids, n);
	kill(tool, SIGKILL);
	ASSERT_EQ(0, cr_wait_timeout(tool, &status, CR_WAIT_MS));
	restored = cr_log_has(ctx, RESTORED_MSG);
	done = cr_log_has(ctx, DONE_MSG);
	/* let the kernel and the death signals do their work */
	for (i = 0; i < 300; i++) {
		alive = count_alive(pids, n);
		if (alive == 0 || (alive == n && done))
			break;
		cr_sleep_ms(10);
	}
	whole = alive == n;
	ASSERT_TRUE(whole || !done) {
		TH_LOG("coordinator killed after %ld ms: the restart was done, yet %d of %d tasks are left",
		       delay, alive, n);
		cr_dump_logs(_metadata, ctx);
	}
	if (whole) {
		expect_tree_ok(_metadata, ctx, pids[0], delay);
		alive = count_alive(pids, n);
	}
	ASSERT_EQ(0, alive) {
		TH_LOG("coordinator killed after %ld ms: %d of %d tasks left",
		       delay, alive, n);
		cr_dump_logs(_metadata, ctx);
	}
	if (whole)
		return KILLED_LATE;
	return before || restored ? KILLED_MID : KILLED_EARLY;
}

/*
 * The restart tool (the coordinator) killed at various moments of a
 * restart: afterwards either the whole tree runs, restored (the kill
 * came after the end), and works (its root exits 0), or nothing of it
 * is left; never a part of it. The kills are spread over the time a
 * whole restart takes here, then aimed between the latest that came too
 * early and the earliest that came too late, so that some land while
 * the tasks of the tree exist and restore themselves, and some after
 * the end: the test insists on both.
 */
CR_TEST(cr_tree, coordinator_killed_midway)
{
	int n, k, i, status, nr[KILLED_LATE + 1] = { 0 };
	long t0, full, delay, early = 0, late = -1, longest = 0;
	enum kill_outcome out;
	pid_t pids[MAX_NODES], tool;

	tree_cycle(_metadata, ctx, wl_tree, (void *)&ten, CHECKPOINT_SUBTREE);
	n = image_pids(ctx->img, pids, MAX_NODES);
	ASSERT_EQ(10, n);
	unlink(ctx->go);

	/* how long a whole restart takes, up to the kernel's last word */
	t0 = now_ms();
	tool = start_tool(_metadata, ctx);
	for (i = 0; i < 3000 && !cr_log_has(ctx, DONE_MSG); i++)
		cr_sleep_ms(2);
	full = now_ms() - t0;
	ASSERT_TRUE(cr_log_has(ctx, DONE_MSG)) {
		TH_LOG("the uninterrupted restart did not finish");
		cr_dump_logs(_metadata, ctx);
	}
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(tool, &status, CR_WAIT_MS));
	unlink(ctx->go);
	ASSERT_EQ(0, status) {
		TH_LOG("uninterrupted restart: tool status %#x", status);
		cr_dump_logs(_metadata, ctx);
	}

	for (k = 0; k <= KILL_STEPS + KILL_MORE; k++) {
		if (k <= KILL_STEPS)
			delay = full * 3 * k / (2 * KILL_STEPS);
		else if (!nr[KILLED_LATE])
			delay = 2 * longest + 10;
		else if (!nr[KILLED_MID] && late - early > 1)
			delay = (early + late) / 2;
		else
			break;
		if (delay > 10000)
			delay = 10000;
		out = kill_tool_after(_metadata, ctx, pids, n, delay);
		nr[out]++;
		if (delay > longest)
			longest = delay;
		if (out == KILLED_EARLY && delay > early)
			early = delay;
		if (out == KILLED_LATE && (late < 0 || delay < late))
			late = delay;
	}
	TH_LOG("a restart takes %ld ms; killed %d times: the tree came back whole %d times, not at all %d (%d of them mid-restart)",
	       full, nr[KILLED_EARLY] + nr[KILLED_MID] + nr[KILLED_LATE],
	       nr[KILLED_LATE], nr[KILLED_EARLY] + nr[KILLED_MID],
	       nr[KILLED_MID]);
	EXPECT_LT(0, nr[KILLED_LATE]) {
		TH_LOG("no kill came after the end of a restart");
	}
	EXPECT_LT(0, nr[KILLED_MID]) {
		TH_LOG("no kill landed while the tree was being rebuilt or restored (latest too early %ld ms, earliest too late %ld ms)",
		       early, late);
	}
}

/*
 * How test harnesses start their programs: a launcher maps one shared
 * page, forks, the child daemonizes (setsid(), fork, exit) and the
 * launcher exits once the daemon said it runs, through a futex in that
 * page. The daemon (its session leader gone) and its own child, which
 * waits on a futex in the page, are what is checkpointed.
 */
struct launch_page {
	int daemon_pid;		/* set by the daemon: it is up */
	int kid_ready;
	int futex;		/* the daemon wakes its child through it */
	int kid_mark;
};

static int launched_daemon(struct cr_ctx *ctx, struct launch_page *p)
{
	int status = -1, i;
	pid_t kid;

	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		__atomic_store_n(&p->kid_ready, 1, __ATOMIC_SEQ_CST);
		cr_futex_wait_set(&p->futex);
		p->kid_mark = getpid();
		_exit(0);
	}
	for (i = 0; i < 1000 && !__atomic_load_n(&p->kid_ready,
						  __ATOMIC_SEQ_CST); i++)
		cr_sleep_ms(10);
	__atomic_store_n(&p->daemon_pid, getpid(), __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &p->daemon_pid, FUTEX_WAKE, 1, NULL, NULL, 0);
	cr_wl_wait_go(ctx);

	/* restarted: the futex still wakes the child, its write is seen */
	cr_futex_set_wake(&p->futex);
	if (cr_wait_timeout(kid, &status, CR_WAIT_MS) || status)
		return CR_WL_FAIL(1, "the daemon's child: status %#x", status);
	if (p->kid_mark != kid)
		return CR_WL_FAIL(2, "the child's write is not seen");
	if (getsid(0) == getpid() || getppid() == 1)
		return CR_WL_FAIL(3, "session %d, parent %d", getsid(0),
				  getppid());
	return 0;
}

static int wl_launcher(struct cr_ctx *ctx, void *arg)
{
	struct launch_page *p;
	pid_t mid;
	int fd;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return CR_EXIT_SETUP;
	mid = fork();
	if (mid < 0)
		return CR_EXIT_SETUP;
	if (mid == 0) {
		close(ctx->ready_fd);
		ctx->ready_fd = -1;
		if (setsid() < 0)
			_exit(CR_EXIT_SETUP);
		if (fork() == 0)
			_exit(launched_daemon(ctx, p));
		_exit(0);
	}
	while (!__atomic_load_n(&p->daemon_pid, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &p->daemon_pid, FUTEX_WAIT, 0, NULL, NULL,
			0);
	if (waitpid(mid, NULL, 0) != mid)
		return CR_EXIT_SETUP;
	fd = open(ctx->data2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dprintf(fd, "%d\n", p->daemon_pid) < 0 || close(fd))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	return 0;
}

CR_TEST(cr_tree, launcher_daemon)
{
	struct wl_call call = { wl_launcher, NULL };
	char buf[32] = "", st[128];
	int status, err;
	pid_t daemon;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	/* the launcher is gone: the daemon, orphaned, is our child now */
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ASSERT_EQ(0, status);
	ASSERT_LT(0, cr_read_str(ctx->data2, buf, sizeof(buf)));
	daemon = atoi(buf);
	ASSERT_LT(1, daemon);
	ctx->wl_pid = daemon;
	cr_freeze(_metadata, ctx, daemon);
	ASSERT_LT(0, ckpt_to_img(ctx, daemon, CHECKPOINT_SUBTREE, &err)) {
		TH_LOG("checkpoint: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	kill_tree(_metadata, ctx);
	cr_go(_metadata, ctx);
	status = restart_tool(_metadata, ctx, ctx->img);
	cr_status_str(status, st, sizeof(st));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("restored daemon: %s", st);
		cr_dump_logs(_metadata, ctx);
	}
}

TEST_HARNESS_MAIN
