// SPDX-License-Identifier: GPL-2.0
/*
 * SysV IPC of a container that owns its IPC namespace, through checkpoint
 * and restart (with the restart tool): shared memory segments (attached,
 * inherited, split, moved, read-only, removed while attached, not
 * attached), semaphores with SEM_UNDO adjustments of processes and of
 * threads (which share theirs) and a process waiting in semop(), message
 * queues with their messages and a process waiting in msgrcv(). The
 * restored container finds its objects with their ids, keys, owners,
 * modes, times, pids (of its tasks, and of tasks that exited before the
 * checkpoint) and contents, the limits of its namespace, and new ids go on
 * as they would have. Refused: a locked segment, a POSIX message queue, a
 * segment also attached outside the tree, SEM_UNDO adjustments in an IPC
 * namespace the tree does not own.
 */
#include "cr_tree.h"

#include <mqueue.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define CONTAINER	(CLONE_NEWPID | CLONE_NEWIPC)
#define PG		4096UL	/* x86_64, like the whole suite */
/* Setups sleep that long before the checkpoint: times restored as "now" differ */
#define SETTLE_MS	1100
#define OWNER_UID	1234	/* owner given with IPC_SET */
#define OWNER_GID	5678

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

/* ---- objects of each kind, and the ids a fresh namespace gives out ------ */

enum ipc_kind { KIND_SHM, KIND_SEM, KIND_MSG, KIND_NR };

static int ipc_new(enum ipc_kind kind, key_t key)
{
	switch (kind) {
	case KIND_SHM:
		return shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600);
	case KIND_SEM:
		return semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	default:
		return msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	}
}

static int ipc_rm(enum ipc_kind kind, int id)
{
	switch (kind) {
	case KIND_SHM:
		return shmctl(id, IPC_RMID, NULL);
	case KIND_SEM:
		return semctl(id, 0, IPC_RMID);
	default:
		return msgctl(id, IPC_RMID, NULL);
	}
}

/*
 * Objects created and removed one after the other, more than the 64
 * indexes new ids cycle through at first: the sequence number part of the
 * ids that follow is 1, not 0. 0 or -1.
 */
#define CHURN		70

static int ipc_churn(enum ipc_kind kind)
{
	int i, id;

	for (i = 0; i < CHURN; i++) {
		id = ipc_new(kind, IPC_PRIVATE);
		if (id < 0 || ipc_rm(kind, id))
			return -1;
	}
	return 0;
}

/*
 * ref_ids - the ids a fresh IPC namespace gives out
 * @kind: which objects
 * @nr: how many are created in a row after ipc_churn(): their ids are
 *	@ids[0 .. @nr - 1]
 * @gone: bit i set: the i-th is removed after that
 * @ids: the @nr ids, then the id of one more object created last
 *
 * Played in a child, in a new IPC namespace nothing else uses: after the
 * same steps, the container's namespace must give out the same ids, before
 * the checkpoint and after the restart. 0 or -1.
 */
static int ref_ids(enum ipc_kind kind, int nr, unsigned int gone, int *ids)
{
	size_t size = (nr + 1) * sizeof(*ids), got = 0;
	int p[2], i, status = -1;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWIPC) || ipc_churn(kind))
			_exit(1);
		for (i = 0; i < nr; i++) {
			ids[i] = ipc_new(kind, IPC_PRIVATE);
			if (ids[i] < 0)
				_exit(2);
		}
		for (i = 0; i < nr; i++)
			if ((gone & (1U << i)) && ipc_rm(kind, ids[i]))
				_exit(3);
		ids[nr] = ipc_new(kind, IPC_PRIVATE);
		_exit(ids[nr] < 0 || cr_write_all(p[1], ids, size) ? 4 : 0);
	}
	close(p[1]);
	while (pid > 0 && got < size) {
		n = read(p[0], (char *)ids + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status || got != size) {
		fprintf(stderr, "reference namespace: status %#x, %zu bytes\n",
			status, got);
		return -1;
	}
	return 0;
}

/*
 * The @nr ids the workload got are those of ref_ids(): remove the @gone
 * ones, as the reference did. 0 or -1.
 */
static int ids_as_ref(enum ipc_kind kind, const int *ids, const int *ref,
		      int nr, unsigned int gone)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (ids[i] != ref[i]) {
			fprintf(stderr, "object %d of kind %d has id %d, a fresh namespace gives %d\n",
				i, kind, ids[i], ref[i]);
			return -1;
		}
	}
	for (i = 0; i < nr; i++)
		if ((gone & (1U << i)) && ipc_rm(kind, ids[i]))
			return -1;
	return 0;
}

/* ---- the limits of an IPC namespace -------------------------------------- */

static const char *const limit_names[] = {
	"kernel/shmmax", "kernel/shmall", "kernel/shmmni",
	"kernel/shm_rmid_forced", "kernel/sem", "kernel/msgmax",
	"kernel/msgmnb", "kernel/msgmni", "fs/mqueue/queues_max",
	"fs/mqueue/msg_max", "fs/mqueue/msgsize_max",
	"fs/mqueue/msg_default", "fs/mqueue/msgsize_default",
};

#define NR_LIMITS	ARRAY_SIZE(limit_names)

struct ipc_limits {
	char val[NR_LIMITS][64];
};

/* The limits of our IPC namespace: 0 or -1 */
static int limits_read(struct ipc_limits *l)
{
	char path[64];
	unsigned int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < NR_LIMITS; i++) {
		snprintf(path, sizeof(path), "/proc/sys/%s", limit_names[i]);
		if (cr_read_str(path, l->val[i], sizeof(l->val[i])) <= 0) {
			fprintf(stderr, "cannot read %s\n", path);
			return -1;
		}
	}
	return 0;
}

/* Set "name=value" limits of our IPC namespace (up to NULL): 0 or -1 */
static int limits_set(const char *const *set)
{
	char path[64];
	const char *eq;

	for (; *set; set++) {
		eq = strchr(*set, '=');
		snprintf(path, sizeof(path), "/proc/sys/%.*s",
			 (int)(eq - *set), *set);
		if (cr_write_str(path, eq + 1)) {
			fprintf(stderr, "cannot write %s to %s\n", eq + 1, path);
			return -1;
		}
	}
	return 0;
}

/* Are the limits of our IPC namespace other than @was? */
static bool limits_changed(const struct ipc_limits *was)
{
	struct ipc_limits now;
	bool changed = false;
	unsigned int i;

	if (limits_read(&now))
		return true;
	for (i = 0; i < NR_LIMITS; i++) {
		if (strcmp(was->val[i], now.val[i])) {
			fprintf(stderr, "%s is %.*s, was %.*s\n", limit_names[i],
				(int)strcspn(now.val[i], "\n"), now.val[i],
				(int)strcspn(was->val[i], "\n"), was->val[i]);
			changed = true;
		}
	}
	return changed;
}

/* ---- the table of a kind: XXX_INFO, XXX_STAT ----------------------------- */

#define TABLE_MAX	32

struct ipc_table {
	int max_idx;		/* highest index in use, -1 for none */
	/* objects, then shm: pages; sem: semaphores; msg: messages, bytes */
	long count[3];
	int id[TABLE_MAX];	/* the id at each index, -1 for none */
};

static int ipc_table_read(enum ipc_kind kind, struct ipc_table *t)
{
	struct shm_info si = { 0 };
	struct seminfo sm = { 0 };
	struct msginfo mi = { 0 };
	union semun arg = { .__buf = &sm };
	struct semid_ds semds;
	struct shmid_ds shmds;
	struct msqid_ds msqds;
	int i;

	memset(t, 0, sizeof(*t));
	/* -1 (which the C library takes for EPERM) when there is none */
	switch (kind) {
	case KIND_SHM:
		t->max_idx = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
		t->count[0] = si.used_ids;
		t->count[1] = si.shm_tot;
		break;
	case KIND_SEM:
		t->max_idx = semctl(0, 0, SEM_INFO, arg);
		t->count[0] = sm.semusz;
		t->count[1] = sm.semaem;
		break;
	default:
		t->max_idx = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
		t->count[0] = mi.msgpool;
		t->count[1] = mi.msgmap;
		t->count[2] = mi.msgtql;
		break;
	}
	if (t->max_idx < -1 || t->max_idx >= TABLE_MAX)
		return -1;
	memset(t->id, 0xff, sizeof(t->id));
	arg.buf = &semds;
	for (i = 0; i <= t->max_idx; i++) {
		if (kind == KIND_SHM)
			t->id[i] = shmctl(i, SHM_STAT, &shmds);
		else if (kind == KIND_SEM)
			t->id[i] = semctl(i, 0, SEM_STAT, arg);
		else
			t->id[i] = msgctl(i, MSG_STAT, &msqds);
	}
	return 0;
}

/* Is the table of @kind other than @was? */
static bool table_changed(enum ipc_kind kind, const struct ipc_table *was)
{
	struct ipc_table now;
	int i;

	if (ipc_table_read(kind, &now))
		return true;
	if (!memcmp(was, &now, sizeof(now)))
		return false;
	fprintf(stderr, "kind %d: highest index %d, counts %ld %ld %ld; was %d, %ld %ld %ld\n",
		kind, now.max_idx, now.count[0], now.count[1], now.count[2],
		was->max_idx, was->count[0], was->count[1], was->count[2]);
	for (i = 0; i < TABLE_MAX; i++)
		if (was->id[i] != now.id[i])
			fprintf(stderr, "index %d: id %d, was %d\n", i,
				now.id[i], was->id[i]);
	return true;
}

/* ---- comparing what IPC_STAT says ---------------------------------------- */

/* Does a field differ between two structures? Says which, if it does */
#define DIFFERS(what, was, now, field) ({ \
	bool d_ = (was)->field != (now)->field; \
	if (d_) \
		fprintf(stderr, "%s: " #field " is %lld, was %lld\n", (what), \
			(long long)(now)->field, (long long)(was)->field); \
	d_; \
})

static bool perm_differs(const char *what, const struct ipc_perm *was,
			 const struct ipc_perm *now)
{
	bool d = false;

	d |= DIFFERS(what, was, now, __key);
	d |= DIFFERS(what, was, now, uid);
	d |= DIFFERS(what, was, now, gid);
	d |= DIFFERS(what, was, now, cuid);
	d |= DIFFERS(what, was, now, cgid);
	d |= DIFFERS(what, was, now, mode);
	d |= DIFFERS(what, was, now, __seq);
	return d;
}

static bool shm_differs(const char *what, const struct shmid_ds *was,
			const struct shmid_ds *now)
{
	bool d = perm_differs(what, &was->shm_perm, &now->shm_perm);

	d |= DIFFERS(what, was, now, shm_segsz);
	d |= DIFFERS(what, was, now, shm_atime);
	d |= DIFFERS(what, was, now, shm_dtime);
	d |= DIFFERS(what, was, now, shm_ctime);
	d |= DIFFERS(what, was, now, shm_cpid);
	d |= DIFFERS(what, was, now, shm_lpid);
	d |= DIFFERS(what, was, now, shm_nattch);
	return d;
}

static bool msq_differs(const char *what, const struct msqid_ds *was,
			const struct msqid_ds *now)
{
	bool d = perm_differs(what, &was->msg_perm, &now->msg_perm);

	d |= DIFFERS(what, was, now, msg_stime);
	d |= DIFFERS(what, was, now, msg_rtime);
	d |= DIFFERS(what, was, now, msg_ctime);
	d |= DIFFERS(what, was, now, __msg_cbytes);
	d |= DIFFERS(what, was, now, msg_qnum);
	d |= DIFFERS(what, was, now, msg_qbytes);
	d |= DIFFERS(what, was, now, msg_lspid);
	d |= DIFFERS(what, was, now, msg_lrpid);
	return d;
}

/* Give an object another owner and mode (the creator stays) */
static int set_owner(enum ipc_kind kind, int id, mode_t mode)
{
	struct shmid_ds shm;
	struct semid_ds sem;
	struct msqid_ds msq;
	union semun arg = { .buf = &sem };
	struct ipc_perm *perm;

	if (kind == KIND_SHM) {
		if (shmctl(id, IPC_STAT, &shm))
			return -1;
		perm = &shm.shm_perm;
	} else if (kind == KIND_SEM) {
		if (semctl(id, 0, IPC_STAT, arg))
			return -1;
		perm = &sem.sem_perm;
	} else {
		if (msgctl(id, IPC_STAT, &msq))
			return -1;
		perm = &msq.msg_perm;
	}
	perm->uid = OWNER_UID;
	perm->gid = OWNER_GID;
	perm->mode = mode;
	if (kind == KIND_SHM)
		return shmctl(id, IPC_SET, &shm);
	if (kind == KIND_SEM)
		return semctl(id, 0, IPC_SET, arg);
	return msgctl(id, IPC_SET, &msq);
}

/* ---- processes of a workload --------------------------------------------- */

/* fork() in a workload: the child keeps nothing of the ready pipe */
static pid_t wl_fork(struct cr_ctx *ctx)
{
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid == 0 && ctx->ready_fd >= 0) {
		close(ctx->ready_fd);
		ctx->ready_fd = -1;
	}
	return pid;
}

/*
 * Wait (10 s at most) for our child @pid: 0 when it exited 0, its code
 * when it failed a check (it said which), else @code (it is killed).
 */
static int reap_child(pid_t pid, int code)
{
	int i, status;
	pid_t r;

	for (i = 0; i < 1000; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid && WIFEXITED(status))
			return WEXITSTATUS(status);
		if (r == pid)
			return CR_WL_FAIL(code, "child %d: status %#x", pid,
					  status);
		if (r < 0)
			return CR_WL_FAIL(code, "waitpid(%d): %s", pid,
					  strerror(errno));
		cr_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return CR_WL_FAIL(code, "child %d did not exit", pid);
}

/*
 * The pid of our child @kid in the pid namespace of /proc (the host's; we
 * may be in a container), or -1: the child of ours whose NSpid ends with it.
 */
static pid_t proc_pid_of(pid_t kid)
{
	char kids[1024], path[64], status[4096], *p, *end, *ns, *nend;
	long host, last, v;

	if (cr_read_str("/proc/thread-self/children", kids, sizeof(kids)) <= 0)
		return -1;
	for (p = kids; ; p = end) {
		host = strtol(p, &end, 10);
		if (end == p)
			return -1;
		snprintf(path, sizeof(path), "/proc/%ld/status", host);
		if (cr_read_str(path, status, sizeof(status)) <= 0)
			continue;
		ns = strstr(status, "NSpid:");
		if (!ns)
			continue;
		/* "NSpid:\t<host pid>\t...\t<our pid>" */
		last = -1;
		for (ns += 6; ; ns = nend) {
			v = strtol(ns, &nend, 10);
			if (nend == ns)
				break;
			last = v;
		}
		if (last == kid)
			return host;
	}
}

/* Wait (10 s at most) until our child @kid sleeps in system call @nr */
static int wait_child_in_syscall(pid_t kid, long nr)
{
	char path[64], buf[256] = "";
	pid_t host = proc_pid_of(kid);
	int i;

	if (host < 0) {
		fprintf(stderr, "child %d not found in /proc\n", kid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/syscall", host);
	for (i = 0; i < 1000; i++) {
		if (cr_read_str(path, buf, sizeof(buf)) > 0 &&
		    buf[0] != 'r' && strtol(buf, NULL, 10) == nr)
			return 0;
		cr_sleep_ms(10);
	}
	fprintf(stderr, "child %d never slept in system call %ld: %s\n", kid,
		nr, buf);
	return -1;
}

static uint64_t get64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put64(char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* ---- sysv_shm ------------------------------------------------------------ */

#define KEY_A		0x5eed
#define KEY_D		0x5eee
#define A_SIZE		(3 * PG + 100)
#define A_MAP		(4 * PG)	/* what an attach of A maps */
#define C_SIZE		(2 * PG)
#define D_SIZE		(2 * PG + 1000)
#define SEED_A		0xa11ce
#define SEED_B		0xb0b
#define SEED_C		0xc0c0a
#define SEED_D		0xd00d
#define D_UID		1001	/* D's creator, a child gone before the checkpoint */
#define D_GID		2002
/* shmget()s: t0 A B C D t5 t6 (t: thrown away), then t0 t5 t6 removed */
#define SHM_NR		7
#define SHM_GONE	(1U << 0 | 1U << 5 | 1U << 6)
/* Marks written into A after the restart, at these offsets */
#define OFF_INIT	(3 * PG + 8)	/* by the init, for the children */
#define OFF_K1		8		/* by K1 through the init's view */
#define OFF_K2		(2 * PG + 8)	/* by K2 through its moved attach */
#define MARK_INIT	0x1111111111111111ULL
#define MARK_K1		0x2222222222222222ULL
#define MARK_K2		0x3333333333333333ULL

static const char *const shm_limits[] = {
	"kernel/shmmax=16777216", "kernel/shmall=65536",
	"kernel/shmmni=1000", NULL
};

static int seg[4];		/* A B C D */
static char *a0;		/* A in the init (and K1, K2): a hole at page 1 */
static char *b0;		/* B, read-only */
static char *c0;		/* C, removed */
static char *a2, *a3;		/* K2: A attached again, then moved there */

/* What a segment holds: @len bytes of @seed's pattern, zeros to the page */
static char *shm_pattern(size_t len, uint64_t seed)
{
	size_t size = (len + PG - 1) & ~(PG - 1);
	char *p = calloc(1, size);

	if (p)
		cr_fill(p, len, seed);
	return p;
}

/* Do bytes [@from, @to) of @view differ from those of @want? Says where */
static bool view_differs(const char *what, const char *view,
			 const char *want, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (view[i] != want[i]) {
			fprintf(stderr, "%s: byte %zu is %#x, expected %#x\n",
				what, i, (unsigned char)view[i],
				(unsigned char)want[i]);
			return true;
		}
	}
	return false;
}

/*
 * Is @addr in a mapping of the segment of @key from @start to @end, at
 * page offset @off, with @perms ("rw-s")? Says why not.
 */
static bool shm_mapped(const void *addr, key_t key, const void *start,
		       const void *end, unsigned long off, const char *perms)
{
	struct cr_map m;
	char name[32];

	snprintf(name, sizeof(name), "SYSV%08x", key);
	if (cr_maps_lookup(addr, &m)) {
		fprintf(stderr, "%p is not mapped\n", addr);
		return false;
	}
	if (!strstr(m.path, name) || m.start != (unsigned long)start ||
	    m.end != (unsigned long)end || m.offset != off ||
	    strncmp(m.perms, perms, 4)) {
		fprintf(stderr, "%p: %lx-%lx %s offset %#lx %s; expected %p-%p %s offset %#lx %s\n",
			addr, m.start, m.end, m.perms, m.offset, m.path, start,
			end, perms, off, name);
		return false;
	}
	return true;
}

/* Is @addr outside any SysV segment? */
static bool not_shm(const void *addr)
{
	struct cr_map m;

	if (cr_maps_lookup(addr, &m) || !strstr(m.path, "SYSV"))
		return true;
	fprintf(stderr, "%p: %lx-%lx maps %s\n", addr, m.start, m.end, m.path);
	return false;
}

/*
 * The views of A, B and C that the init has and the children inherit:
 * A around its hole, B read-only, C. 0, or the code + 0, 1, 2 or 3 of
 * what is wrong.
 */
static int shm_check_inherited(int code)
{
	char *pa = shm_pattern(A_SIZE, SEED_A), *pb = shm_pattern(PG, SEED_B);
	char *pc = shm_pattern(C_SIZE, SEED_C);
	int ret = 0;

	if (!pa || !pb || !pc)
		return CR_WL_FAIL(code, "out of memory");
	if (view_differs("A at a0", a0, pa, 0, PG) ||
	    view_differs("A at a0", a0, pa, 2 * PG, A_MAP))
		ret = CR_WL_FAIL(code, "A's contents differ");
	else if (!shm_mapped(a0, KEY_A, a0, a0 + PG, 0, "rw-s") ||
		 !not_shm(a0 + PG) ||
		 !shm_mapped(a0 + 2 * PG, KEY_A, a0 + 2 * PG, a0 + A_MAP,
			     2 * PG, "rw-s"))
		ret = CR_WL_FAIL(code + 1,
				 "A is not mapped in two pieces around a hole");
	else if (view_differs("B", b0, pb, 0, PG) ||
		 !shm_mapped(b0, IPC_PRIVATE, b0, b0 + PG, 0, "r--s"))
		ret = CR_WL_FAIL(code + 2, "B is not the same, read-only");
	else if (view_differs("C", c0, pc, 0, C_SIZE) ||
		 !shm_mapped(c0, IPC_PRIVATE, c0, c0 + C_SIZE, 0, "rw-s"))
		ret = CR_WL_FAIL(code + 3, "C is not the same");
	free(pa);
	free(pb);
	free(pc);
	return ret;
}

/* The exited child E: D's creator, as another user; it fills D, detaches */
static int shm_make_d(void)
{
	char *p;
	int id;

	if (setegid(D_GID) || seteuid(D_UID))
		return 1;
	id = shmget(KEY_D, D_SIZE, IPC_CREAT | IPC_EXCL | 0644);
	p = id < 0 ? MAP_FAILED : shmat(id, NULL, 0);
	if (p == MAP_FAILED)
		return 2;
	cr_fill(p, D_SIZE, SEED_D);
	return shmdt(p) ? 3 : 0;
}

/* K1: A, B, C as inherited; writes through A for the init and reads */
static int shm_k1(struct cr_ctx *ctx)
{
	int ret;

	mark_ready(ctx, 1);
	cr_wl_wait_go(ctx);
	ret = shm_check_inherited(40);
	if (ret)
		return ret;
	mark_ready(ctx, 12);
	if (wait_ready(ctx, 13))
		return CR_WL_FAIL(44, "K1: the init did not write");
	if (get64(a0 + OFF_INIT) != MARK_INIT)
		return CR_WL_FAIL(45, "K1 does not see the init's write");
	put64(a0 + OFF_K1, MARK_K1);
	return 0;
}

/* K2: A attached again, then moved; A, B, C inherited too */
static int shm_k2(struct cr_ctx *ctx)
{
	char *hole, *pa;
	int ret;

	hole = mmap(NULL, A_MAP, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a2 = shmat(seg[0], NULL, 0);
	if (hole == MAP_FAILED || a2 == MAP_FAILED)
		return CR_EXIT_SETUP;
	a3 = mremap(a2, A_MAP, A_MAP, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	if (a3 != hole)
		return CR_EXIT_SETUP;
	mark_ready(ctx, 2);
	cr_wl_wait_go(ctx);
	ret = shm_check_inherited(50);
	if (ret)
		return ret;
	/* all of A through this one, the page of the others' hole too */
	pa = shm_pattern(A_SIZE, SEED_A);
	if (!pa || view_differs("A at a3", a3, pa, 0, A_MAP))
		return CR_WL_FAIL(54, "A's contents differ at a3");
	free(pa);
	if (!shm_mapped(a3, KEY_A, a3, a3 + A_MAP, 0, "rw-s") || !not_shm(a2))
		return CR_WL_FAIL(55, "A is not where it was moved");
	mark_ready(ctx, 14);
	if (wait_ready(ctx, 13))
		return CR_WL_FAIL(56, "K2: the init did not write");
	if (get64(a3 + OFF_INIT) != MARK_INIT)
		return CR_WL_FAIL(57, "K2 does not see the init's write");
	put64(a3 + OFF_K2, MARK_K2);
	return 0;
}

/* The segments: made in the order of ref_ids(), filled, attached */
static int shm_setup(struct cr_ctx *ctx, const int *ref, pid_t *e)
{
	int ids[SHM_NR], status;
	char *p;

	if (ipc_churn(KIND_SHM))
		return -1;
	ids[0] = ipc_new(KIND_SHM, IPC_PRIVATE);
	ids[1] = shmget(KEY_A, A_SIZE, IPC_CREAT | IPC_EXCL | 0640);
	ids[2] = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	ids[3] = shmget(IPC_PRIVATE, C_SIZE, IPC_CREAT | 0600);
	*e = wl_fork(ctx);
	if (*e == 0)
		_exit(shm_make_d());
	if (*e < 0 || waitpid(*e, &status, 0) != *e || status)
		return -1;
	ids[4] = shmget(KEY_D, 0, 0);
	ids[5] = ipc_new(KIND_SHM, IPC_PRIVATE);
	ids[6] = ipc_new(KIND_SHM, IPC_PRIVATE);
	if (ids_as_ref(KIND_SHM, ids, ref, SHM_NR, SHM_GONE))
		return -1;
	memcpy(seg, ids + 1, sizeof(seg));

	/* B: filled, then attached read-only (it cannot become writable) */
	p = shmat(seg[1], NULL, 0);
	if (p == MAP_FAILED)
		return -1;
	cr_fill(p, PG, SEED_B);
	b0 = shmdt(p) ? MAP_FAILED : shmat(seg[1], NULL, SHM_RDONLY);
	if (b0 == MAP_FAILED ||
	    !mprotect(b0, PG, PROT_READ | PROT_WRITE) || errno != EACCES)
		return -1;
	/* C: attached and removed: it goes at its last detach */
	c0 = shmat(seg[2], NULL, 0);
	if (c0 == MAP_FAILED)
		return -1;
	cr_fill(c0, C_SIZE, SEED_C);
	/*
	 * A: another owner; attached with a hole at page 1, last: nothing
	 * mapped later fits in the hole
	 */
	if (set_owner(KIND_SHM, seg[0], 0660))
		return -1;
	a0 = shmat(seg[0], NULL, 0);
	if (a0 == MAP_FAILED)
		return -1;
	cr_fill(a0, A_SIZE, SEED_A);
	if (munmap(a0 + PG, PG))
		return -1;
	return shmctl(seg[2], IPC_RMID, NULL);
}

static int wl_shm(struct cr_ctx *ctx, void *arg)
{
	struct shmid_ds was[4], now;
	struct ipc_table table;
	struct ipc_limits limits;
	int ref[SHM_NR + 1], i, id, ret;
	char name[16], *pd;
	pid_t e, k1, k2;

	if (limits_set(shm_limits) || ref_ids(KIND_SHM, SHM_NR, SHM_GONE, ref) ||
	    shm_setup(ctx, ref, &e))
		return CR_EXIT_SETUP;
	k1 = wl_fork(ctx);
	if (k1 == 0)
		_exit(shm_k1(ctx));
	k2 = wl_fork(ctx);
	if (k2 == 0)
		_exit(shm_k2(ctx));
	if (k1 < 0 || k2 < 0 || wait_ready(ctx, 1) || wait_ready(ctx, 2))
		return CR_EXIT_SETUP;
	cr_sleep_ms(SETTLE_MS);
	for (i = 0; i < 4; i++)
		if (shmctl(seg[i], IPC_STAT, &was[i]))
			return CR_EXIT_SETUP;
	/* A: 2 VMAs in each of the 3, and K2's own; B, C: 1 in each */
	if (was[0].shm_nattch != 7 || was[2].shm_nattch != 3 ||
	    !(was[2].shm_perm.mode & SHM_DEST) || was[2].shm_perm.__key ||
	    was[3].shm_nattch || was[3].shm_cpid != e || was[3].shm_lpid != e ||
	    was[3].shm_perm.cuid != D_UID || was[0].shm_perm.uid != OWNER_UID)
		return CR_EXIT_SETUP;
	if (ipc_table_read(KIND_SHM, &table) || limits_read(&limits))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* nothing touched the segments since: all as it was */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "segment %c", 'A' + i);
		if (shmctl(seg[i], IPC_STAT, &now))
			return CR_WL_FAIL(1, "%s (id %d): IPC_STAT: %s", name,
					  seg[i], strerror(errno));
		if (shm_differs(name, &was[i], &now))
			return CR_WL_FAIL(2 + i, "%s changed", name);
	}
	if (table_changed(KIND_SHM, &table))
		return CR_WL_FAIL(6, "SHM_INFO or SHM_STAT changed");
	if (limits_changed(&limits))
		return CR_WL_FAIL(7, "the namespace's limits changed");
	if (shmget(KEY_A, 0, 0) != seg[0] || shmget(KEY_D, 0, 0) != seg[3])
		return CR_WL_FAIL(8, "keys %#x, %#x do not find A, D", KEY_A,
				  KEY_D);
	id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	if (id != ref[SHM_NR])
		return CR_WL_FAIL(9, "a new segment has id %d, expected %d", id,
				  ref[SHM_NR]);
	shmctl(id, IPC_RMID, NULL);

	ret = shm_check_inherited(10);
	if (ret)
		return ret;
	if (!mprotect(b0, PG, PROT_READ | PROT_WRITE) || errno != EACCES)
		return CR_WL_FAIL(14, "B attached read-only became writable");
	/* D, attached by nobody, kept its contents */
	pd = shmat(seg[3], NULL, 0);
	if (pd == MAP_FAILED)
		return CR_WL_FAIL(15, "shmat(D): %s", strerror(errno));
	if (cr_check_fill(pd, D_SIZE, SEED_D) >= 0)
		return CR_WL_FAIL(16, "D's contents differ at %zd",
				  cr_check_fill(pd, D_SIZE, SEED_D));
	shmdt(pd);

	/* shared: what the init writes the children see, and the reverse */
	if (wait_ready(ctx, 12) || wait_ready(ctx, 14))
		return CR_WL_FAIL(17, "the children did not check their views");
	put64(a0 + OFF_INIT, MARK_INIT);
	mark_ready(ctx, 13);
	ret = reap_child(k1, 18);
	if (!ret)
		ret = reap_child(k2, 18);
	if (ret)
		return ret;
	if (get64(a0 + OFF_K1) != MARK_K1 || get64(a0 + OFF_K2) != MARK_K2)
		return CR_WL_FAIL(19, "the init does not see the children's writes");

	/* the children's attaches went with them; C goes with the last one */
	if (shmctl(seg[0], IPC_STAT, &now) || now.shm_nattch != 2)
		return CR_WL_FAIL(20, "A: %lu attaches, expected 2",
				  (unsigned long)now.shm_nattch);
	if (shmctl(seg[2], IPC_STAT, &now) || now.shm_nattch != 1)
		return CR_WL_FAIL(21, "C: %lu attaches, expected 1",
				  (unsigned long)now.shm_nattch);
	if (shmdt(c0))
		return CR_WL_FAIL(22, "shmdt(C): %s", strerror(errno));
	if (shmctl(seg[2], IPC_STAT, &now) != -1 || errno != EINVAL)
		return CR_WL_FAIL(23, "C is still there after its last detach");
	/* the init's attach of A, split in two by the hole, is one shmat() */
	if (shmdt(a0))
		return CR_WL_FAIL(24, "shmdt(A): %s", strerror(errno));
	if (shmctl(seg[0], IPC_STAT, &now) || now.shm_nattch != 0)
		return CR_WL_FAIL(25, "A: %lu attaches after shmdt(), expected 0: one attach came back as two",
				  (unsigned long)now.shm_nattch);
	return 0;
}

/* ---- sysv_sem ------------------------------------------------------------ */

#define KEY_S		0x5e3a
#define S_N		5
#define T_N		3
/* semget()s: t0 S T t3 t4, then t0 t3 t4 removed */
#define SEM_NR		5
#define SEM_GONE	(1U << 0 | 1U << 3 | 1U << 4)
#define WAIT_SEM	4	/* the waiter needs 2 of it, which has 1 */

static const char *const sem_limits[] = {
	"kernel/sem=250 64000 100 1000", NULL
};

static unsigned short s_vals[S_N] = { 10, 20, 30, 40, 1 };
static unsigned short t_vals[T_N] = { 100, 0, 7 };
/* after the operations of the setup */
static const int s_set[S_N] = { 8, 23, 36, 41, 1 };
static const int t_set[T_N] = { 104, 0, 7 };

static int sem_s, sem_t;

struct sem_state {
	struct semid_ds ds;
	unsigned short val[S_N];
	int pid[S_N];
	int zcnt[S_N];
};

static int sem_read(int id, int n, struct sem_state *s)
{
	union semun arg = { .buf = &s->ds };
	int i;

	memset(s, 0, sizeof(*s));
	if (semctl(id, 0, IPC_STAT, arg))
		return -1;
	arg.array = s->val;
	if (semctl(id, 0, GETALL, arg))
		return -1;
	for (i = 0; i < n; i++) {
		s->pid[i] = semctl(id, i, GETPID);
		s->zcnt[i] = semctl(id, i, GETZCNT);
		if (s->pid[i] < 0 || s->zcnt[i] < 0)
			return -1;
	}
	return 0;
}

static bool sem_differs(const char *what, const struct sem_state *was,
			const struct sem_state *now, int n)
{
	bool d = perm_differs(what, &was->ds.sem_perm, &now->ds.sem_perm);
	int i;

	d |= DIFFERS(what, &was->ds, &now->ds, sem_otime);
	d |= DIFFERS(what, &was->ds, &now->ds, sem_ctime);
	d |= DIFFERS(what, &was->ds, &now->ds, sem_nsems);
	for (i = 0; i < n; i++) {
		if (was->val[i] == now->val[i] && was->pid[i] == now->pid[i] &&
		    was->zcnt[i] == now->zcnt[i])
			continue;
		fprintf(stderr, "%s: semaphore %d: value %u, pid %d, zcnt %d; was %u, %d, %d\n",
			what, i, now->val[i], now->pid[i], now->zcnt[i],
			was->val[i], was->pid[i], was->zcnt[i]);
		d = true;
	}
	return d;
}

/* Are the values of array @id other than @want? */
static bool vals_differ(int id, const int *want, int n, const char *when)
{
	unsigned short val[S_N];
	union semun arg = { .array = val };
	bool d = false;
	int i;

	if (semctl(id, 0, GETALL, arg)) {
		fprintf(stderr, "%s: GETALL: %s\n", when, strerror(errno));
		return true;
	}
	for (i = 0; i < n; i++) {
		if (val[i] != want[i]) {
			fprintf(stderr, "%s: semaphore %d of %d is %u, expected %d\n",
				when, i, id, val[i], want[i]);
			d = true;
		}
	}
	return d;
}

/* Were semaphores @a and @b of array @id last changed by @pid? */
static bool pids_are(int id, int a, int b, pid_t pid, const char *when)
{
	int pa = semctl(id, a, GETPID), pb = semctl(id, b, GETPID);

	if (pa == pid && pb == pid)
		return true;
	fprintf(stderr, "%s: semaphores %d, %d of %d last changed by %d, %d; expected %d\n",
		when, a, b, id, pa, pb, pid);
	return false;
}

/* P1: SEM_UNDO on 2 semaphores of S; exits when told to */
static int sem_p1(struct cr_ctx *ctx)
{
	struct sembuf ops[] = { { 0, -3, SEM_UNDO }, { 1, 5, SEM_UNDO } };

	if (semop(sem_s, ops, 2))
		return CR_EXIT_SETUP;
	mark_ready(ctx, 1);
	cr_wl_wait_go(ctx);
	return wait_ready(ctx, 21) ? CR_WL_FAIL(40, "P1 not told to exit") : 0;
}

/* P2: SEM_UNDO on S (where P1 has one too) and on T */
static int sem_p2(struct cr_ctx *ctx)
{
	struct sembuf s_op = { 1, -2, SEM_UNDO }, t_op = { 0, 4, SEM_UNDO };

	if (semop(sem_s, &s_op, 1) || semop(sem_t, &t_op, 1))
		return CR_EXIT_SETUP;
	mark_ready(ctx, 2);
	cr_wl_wait_go(ctx);
	return wait_ready(ctx, 25) ? CR_WL_FAIL(41, "P2 not told to exit") : 0;
}

static struct cr_ctx *p3_ctx;
static int p3_thread_did;

/* P3's second thread: its SEM_UNDO goes on the list it shares with P3 */
static void *sem_p3_thread(void *arg)
{
	struct sembuf op = { 2, 6, SEM_UNDO };

	if (semop(sem_s, &op, 1))
		return (void *)1;
	__atomic_store_n(&p3_thread_did, 1, __ATOMIC_SEQ_CST);
	cr_wl_wait_go(p3_ctx);
	return wait_ready(p3_ctx, 22) ? (void *)2 : NULL;
}

/* P3: two threads, each with a SEM_UNDO operation; the thread exits first */
static int sem_p3(struct cr_ctx *ctx)
{
	struct sembuf op = { 0, 1, SEM_UNDO };
	pthread_t th;
	void *res;
	int i;

	p3_ctx = ctx;
	if (pthread_create(&th, NULL, sem_p3_thread, NULL))
		return CR_EXIT_SETUP;
	for (i = 0; i < 1000 && !__atomic_load_n(&p3_thread_did,
						  __ATOMIC_SEQ_CST); i++)
		cr_sleep_ms(10);
	if (!p3_thread_did || semop(sem_s, &op, 1))
		return CR_EXIT_SETUP;
	mark_ready(ctx, 3);
	cr_wl_wait_go(ctx);
	if (pthread_join(th, &res) || res)
		return CR_WL_FAIL(42, "P3's thread failed: %ld", (long)res);
	mark_ready(ctx, 23);
	return wait_ready(ctx, 24) ? CR_WL_FAIL(43, "P3 not told to exit") : 0;
}

/* W: waits in semop() for 2 of WAIT_SEM, through checkpoint and restart */
static int sem_waiter(void)
{
	struct sembuf op = { WAIT_SEM, -2, 0 };
	int r;

	/*
	 * semop() fails with EINTR when its task is frozen (ipc/sem.c
	 * restarts nothing): called again, as any program does.
	 */
	do
		r = semop(sem_s, &op, 1);
	while (r && errno == EINTR);
	return r ? CR_WL_FAIL(44, "waiter: semop: %s", strerror(errno)) : 0;
}

static int sem_setup(struct cr_ctx *ctx, const int *ref, pid_t *x)
{
	union semun s_arg = { .array = s_vals }, t_arg = { .array = t_vals };
	struct sembuf op = { 3, 1, 0 };
	int ids[SEM_NR], status;

	if (ipc_churn(KIND_SEM))
		return -1;
	ids[0] = ipc_new(KIND_SEM, IPC_PRIVATE);
	ids[1] = semget(KEY_S, S_N, IPC_CREAT | IPC_EXCL | 0640);
	ids[2] = semget(IPC_PRIVATE, T_N, IPC_CREAT | 0600);
	ids[3] = ipc_new(KIND_SEM, IPC_PRIVATE);
	ids[4] = ipc_new(KIND_SEM, IPC_PRIVATE);
	if (ids_as_ref(KIND_SEM, ids, ref, SEM_NR, SEM_GONE))
		return -1;
	sem_s = ids[1];
	sem_t = ids[2];
	if (semctl(sem_s, 0, SETALL, s_arg) || semctl(sem_t, 0, SETALL, t_arg) ||
	    set_owner(KIND_SEM, sem_s, 0660))
		return -1;
	/* X changes semaphore 3 (no undo) and exits */
	*x = wl_fork(ctx);
	if (*x == 0)
		_exit(semop(sem_s, &op, 1) ? 1 : 0);
	if (*x < 0 || waitpid(*x, &status, 0) != *x || status)
		return -1;
	return 0;
}

static int wl_sem(struct cr_ctx *ctx, void *arg)
{
	struct sembuf give2 = { WAIT_SEM, 2, 0 };
	struct sem_state s_was, t_was, now;
	struct ipc_table table;
	struct ipc_limits limits;
	int ref[SEM_NR + 1], s_exp[S_N], t_exp[T_N], i, id, ret;
	pid_t x, p1, p2, p3, w;

	if (limits_set(sem_limits) || ref_ids(KIND_SEM, SEM_NR, SEM_GONE, ref) ||
	    sem_setup(ctx, ref, &x))
		return CR_EXIT_SETUP;
	p1 = wl_fork(ctx);
	if (p1 == 0)
		_exit(sem_p1(ctx));
	if (p1 < 0 || wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	p2 = wl_fork(ctx);
	if (p2 == 0)
		_exit(sem_p2(ctx));
	if (p2 < 0 || wait_ready(ctx, 2))
		return CR_EXIT_SETUP;
	p3 = wl_fork(ctx);
	if (p3 == 0)
		_exit(sem_p3(ctx));
	if (p3 < 0 || wait_ready(ctx, 3))
		return CR_EXIT_SETUP;
	w = wl_fork(ctx);
	if (w == 0)
		_exit(sem_waiter());
	for (i = 0; i < 1000 && semctl(sem_s, WAIT_SEM, GETNCNT) != 1; i++)
		cr_sleep_ms(10);
	if (w < 0 || i == 1000)
		return CR_EXIT_SETUP;
	cr_sleep_ms(SETTLE_MS);
	if (sem_read(sem_s, S_N, &s_was) || sem_read(sem_t, T_N, &t_was) ||
	    ipc_table_read(KIND_SEM, &table) || limits_read(&limits))
		return CR_EXIT_SETUP;
	/* the setup is what the checks after the restart assume */
	if (vals_differ(sem_s, s_set, S_N, "setup") ||
	    vals_differ(sem_t, t_set, T_N, "setup") ||
	    s_was.pid[0] != p3 || s_was.pid[1] != p2 || s_was.pid[2] != p3 ||
	    s_was.pid[3] != x || s_was.pid[4] != 1 || t_was.pid[0] != p2)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* all as it was: values, pids (X's too), times, owners */
	if (sem_read(sem_s, S_N, &now) || sem_differs("S", &s_was, &now, S_N))
		return CR_WL_FAIL(1, "S (id %d) changed", sem_s);
	if (sem_read(sem_t, T_N, &now) || sem_differs("T", &t_was, &now, T_N))
		return CR_WL_FAIL(2, "T (id %d) changed", sem_t);
	if (table_changed(KIND_SEM, &table))
		return CR_WL_FAIL(3, "SEM_INFO or SEM_STAT changed");
	if (limits_changed(&limits))
		return CR_WL_FAIL(4, "the namespace's limits changed");
	if (semget(KEY_S, 0, 0) != sem_s)
		return CR_WL_FAIL(5, "key %#x does not find S", KEY_S);
	id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (id != ref[SEM_NR])
		return CR_WL_FAIL(6, "a new array has id %d, expected %d", id,
				  ref[SEM_NR]);
	semctl(id, 0, IPC_RMID);
	/* the waiter waits again */
	for (i = 0; i < 1000 && semctl(sem_s, WAIT_SEM, GETNCNT) != 1; i++)
		cr_sleep_ms(10);
	if (i == 1000)
		return CR_WL_FAIL(7, "GETNCNT of semaphore %d is %d, expected 1",
				  WAIT_SEM, semctl(sem_s, WAIT_SEM, GETNCNT));
	memcpy(s_exp, s_set, sizeof(s_exp));
	memcpy(t_exp, t_set, sizeof(t_exp));

	/* P1 exits: its adjustments are undone */
	mark_ready(ctx, 21);
	ret = reap_child(p1, 8);
	if (ret)
		return ret;
	s_exp[0] += 3;
	s_exp[1] -= 5;
	if (vals_differ(sem_s, s_exp, S_N, "P1 exited"))
		return CR_WL_FAIL(9, "P1's adjustments not undone");
	if (!pids_are(sem_s, 0, 1, p1, "P1 exited"))
		return CR_WL_FAIL(10, "P1 did not undo its adjustments");

	/* P3's thread exits: the adjustments it shares with P3 stay */
	mark_ready(ctx, 22);
	if (wait_ready(ctx, 23))
		return CR_WL_FAIL(11, "P3's thread did not exit");
	if (vals_differ(sem_s, s_exp, S_N, "P3's thread exited"))
		return CR_WL_FAIL(12, "a thread's exit undid what P3 shares");
	/* P3 exits: both threads' adjustments are undone */
	mark_ready(ctx, 24);
	ret = reap_child(p3, 13);
	if (ret)
		return ret;
	s_exp[0] -= 1;
	s_exp[2] -= 6;
	if (vals_differ(sem_s, s_exp, S_N, "P3 exited"))
		return CR_WL_FAIL(14, "P3's adjustments not undone");
	if (!pids_are(sem_s, 0, 2, p3, "P3 exited"))
		return CR_WL_FAIL(15, "P3 did not undo its adjustments");

	/* P2 exits: its adjustments of both arrays are undone */
	mark_ready(ctx, 25);
	ret = reap_child(p2, 16);
	if (ret)
		return ret;
	s_exp[1] += 2;
	t_exp[0] -= 4;
	if (vals_differ(sem_s, s_exp, S_N, "P2 exited") ||
	    vals_differ(sem_t, t_exp, T_N, "P2 exited"))
		return CR_WL_FAIL(17, "P2's adjustments not undone");
	if (!pids_are(sem_s, 1, 1, p2, "P2 exited") ||
	    !pids_are(sem_t, 0, 0, p2, "P2 exited"))
		return CR_WL_FAIL(18, "P2 did not undo its adjustments");

	/* the waiter gets its 2 */
	if (semop(sem_s, &give2, 1))
		return CR_WL_FAIL(19, "semop(+2): %s", strerror(errno));
	ret = reap_child(w, 20);
	if (ret)
		return ret;
	if (vals_differ(sem_s, s_exp, S_N, "the waiter took 2"))
		return CR_WL_FAIL(21, "the waiter did not take 2");
	if (!pids_are(sem_s, WAIT_SEM, WAIT_SEM, w, "the waiter took 2") ||
	    semctl(sem_s, WAIT_SEM, GETNCNT) != 0)
		return CR_WL_FAIL(22, "the waiter did not take 2");
	return 0;
}

/* ---- sysv_msg ------------------------------------------------------------ */

#define KEY_Q		0x5e59
#define Q_QBYTES	20000
/* msgget()s: t0 Q Q2 t3 t4, then t0 t3 t4 removed */
#define MSG_NR		5
#define MSG_GONE	(1U << 0 | 1U << 3 | 1U << 4)
#define GONE_TYPE	9	/* received by a child before the checkpoint */
#define WAKE_TYPE	42	/* what the waiting receiver waits for */
#define WAKE_TEXT	"wake"
#define MSG_MAX		8192

static const char *const msg_limits[] = {
	"kernel/msgmax=8500", "kernel/msgmnb=30000", "kernel/msgmni=500",
	"fs/mqueue/queues_max=77", "fs/mqueue/msg_max=21",
	"fs/mqueue/msgsize_max=4096", "fs/mqueue/msg_default=7",
	"fs/mqueue/msgsize_default=1024", NULL
};

struct qmsg {
	long type;
	size_t len;
};

/* Q's messages, oldest first; the last one is sent by a child that exits */
static const struct qmsg q_msgs[] = {
	{ 1, 0 }, { 2, 5 }, { 3, 17 }, { 2, 100 },
	{ 7, 5000 },	/* longer than a page: the kernel chains segments */
	{ 3, 8000 }, { 1, 1 },
};

/* Q2's; the last one is sent by the receiver that then waits on Q */
static const struct qmsg q2_msgs[] = {
	{ 5, 2 }, { 3, 2 }, { 5, 3 }, { 1, 2 }, { 4, 300 },
};

/* What msgrcv(Q2, type, flags) takes, one after the other */
static const struct {
	long type;
	int flags;
	int idx;
} q2_recvs[] = {
	{ 5, 0, 0 }, { -3, 0, 3 }, { 5, MSG_EXCEPT, 1 }, { 4, 0, 4 },
	{ 0, 0, 2 },
};

static const struct qmsg gone_msg = { GONE_TYPE, 4 };

static struct {
	long mtype;
	char mtext[MSG_MAX];
} sbuf, rbuf;

static uint64_t msg_seed(int queue, int idx)
{
	return 0x3e550000 + 64 * queue + idx;
}

static int msg_send(int q, const struct qmsg *m, uint64_t seed)
{
	sbuf.mtype = m->type;
	cr_fill(sbuf.mtext, m->len, seed);
	return msgsnd(q, &sbuf, m->len, IPC_NOWAIT);
}

/* msgrcv(@q, @type, @flags) takes @m, with its contents: 0, or -1 */
static int msg_recv(int q, long type, int flags, const struct qmsg *m,
		    uint64_t seed)
{
	ssize_t n = msgrcv(q, &rbuf, MSG_MAX, type, flags | IPC_NOWAIT);

	if (n < 0) {
		fprintf(stderr, "msgrcv(%d, type %ld, %#x): %s\n", q, type,
			flags, strerror(errno));
		return -1;
	}
	cr_fill(sbuf.mtext, m->len, seed);
	if (rbuf.mtype != m->type || (size_t)n != m->len ||
	    memcmp(rbuf.mtext, sbuf.mtext, n)) {
		fprintf(stderr, "msgrcv(%d, type %ld, %#x) took type %ld, %zd bytes; expected type %ld, %zu bytes%s\n",
			q, type, flags, rbuf.mtype, n, m->type, m->len,
			rbuf.mtype == m->type && (size_t)n == m->len ?
			" (other contents)" : "");
		return -1;
	}
	return 0;
}

/* Is queue @q empty, for msgrcv() and IPC_STAT? */
static bool msq_empty(int q)
{
	struct msqid_ds ds;

	if (msgrcv(q, &rbuf, MSG_MAX, 0, IPC_NOWAIT) != -1 || errno != ENOMSG) {
		fprintf(stderr, "queue %d: one message too many\n", q);
		return false;
	}
	if (msgctl(q, IPC_STAT, &ds) || ds.msg_qnum || ds.__msg_cbytes) {
		fprintf(stderr, "queue %d: %lu messages, %lu bytes left\n", q,
			(unsigned long)ds.msg_qnum,
			(unsigned long)ds.__msg_cbytes);
		return false;
	}
	return true;
}

/* R: sends Q2's last message, then waits on Q, through the restart */
static int msg_waiter(int q, int q2)
{
	ssize_t n;

	if (msg_send(q2, &q2_msgs[4], msg_seed(2, 4)))
		return CR_EXIT_SETUP;
	n = msgrcv(q, &rbuf, MSG_MAX, WAKE_TYPE, 0);
	if (n != (ssize_t)strlen(WAKE_TEXT) || rbuf.mtype != WAKE_TYPE ||
	    memcmp(rbuf.mtext, WAKE_TEXT, n))
		return CR_WL_FAIL(45, "waiter: msgrcv returned %zd (%s), type %ld",
				  n, n < 0 ? strerror(errno) : "", rbuf.mtype);
	if (msgrcv(q, &rbuf, MSG_MAX, WAKE_TYPE, IPC_NOWAIT) != -1 ||
	    errno != ENOMSG)
		return CR_WL_FAIL(46, "waiter: a second message of type %d",
				  WAKE_TYPE);
	return 0;
}

/* The queues, made in the order of ref_ids(), and their messages */
static int msg_setup(struct cr_ctx *ctx, const int *ref, int *qs,
		     pid_t *x, pid_t *y)
{
	int ids[MSG_NR], status;
	unsigned int i;
	struct msqid_ds ds;

	if (ipc_churn(KIND_MSG))
		return -1;
	ids[0] = ipc_new(KIND_MSG, IPC_PRIVATE);
	ids[1] = msgget(KEY_Q, IPC_CREAT | IPC_EXCL | 0640);
	ids[2] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	ids[3] = ipc_new(KIND_MSG, IPC_PRIVATE);
	ids[4] = ipc_new(KIND_MSG, IPC_PRIVATE);
	if (ids_as_ref(KIND_MSG, ids, ref, MSG_NR, MSG_GONE))
		return -1;
	qs[0] = ids[1];
	qs[1] = ids[2];
	/* Q: another owner, room for Q_QBYTES */
	if (set_owner(KIND_MSG, qs[0], 0660) || msgctl(qs[0], IPC_STAT, &ds))
		return -1;
	ds.msg_qbytes = Q_QBYTES;
	if (msgctl(qs[0], IPC_SET, &ds))
		return -1;
	/* Y receives a message and exits: the last receiver */
	if (msg_send(qs[0], &gone_msg, 0))
		return -1;
	*y = wl_fork(ctx);
	if (*y == 0)
		_exit(msg_recv(qs[0], GONE_TYPE, 0, &gone_msg, 0) ? 1 : 0);
	if (*y < 0 || waitpid(*y, &status, 0) != *y || status)
		return -1;
	for (i = 0; i < ARRAY_SIZE(q_msgs) - 1; i++)
		if (msg_send(qs[0], &q_msgs[i], msg_seed(1, i)))
			return -1;
	/* X sends the last one and exits: the last sender */
	*x = wl_fork(ctx);
	if (*x == 0)
		_exit(msg_send(qs[0], &q_msgs[i], msg_seed(1, i)) ? 1 : 0);
	if (*x < 0 || waitpid(*x, &status, 0) != *x || status)
		return -1;
	for (i = 0; i < ARRAY_SIZE(q2_msgs) - 1; i++)
		if (msg_send(qs[1], &q2_msgs[i], msg_seed(2, i)))
			return -1;
	return 0;
}

static int wl_msg(struct cr_ctx *ctx, void *arg)
{
	struct msqid_ds was[2], now;
	struct ipc_table table;
	struct ipc_limits limits;
	int ref[MSG_NR + 1], qs[2], id, ret;
	size_t bytes = 0;
	unsigned int i;
	pid_t x, y, r;

	if (limits_set(msg_limits) || ref_ids(KIND_MSG, MSG_NR, MSG_GONE, ref) ||
	    msg_setup(ctx, ref, qs, &x, &y))
		return CR_EXIT_SETUP;
	r = wl_fork(ctx);
	if (r == 0)
		_exit(msg_waiter(qs[0], qs[1]));
	if (r < 0 || wait_child_in_syscall(r, SYS_msgrcv))
		return CR_EXIT_SETUP;
	cr_sleep_ms(SETTLE_MS);
	if (msgctl(qs[0], IPC_STAT, &was[0]) || msgctl(qs[1], IPC_STAT, &was[1]) ||
	    ipc_table_read(KIND_MSG, &table) || limits_read(&limits))
		return CR_EXIT_SETUP;
	for (i = 0; i < ARRAY_SIZE(q_msgs); i++)
		bytes += q_msgs[i].len;
	if (was[0].msg_qnum != ARRAY_SIZE(q_msgs) || was[0].__msg_cbytes != bytes ||
	    was[0].msg_qbytes != Q_QBYTES || was[0].msg_lspid != x ||
	    was[0].msg_lrpid != y || was[1].msg_qnum != ARRAY_SIZE(q2_msgs) ||
	    was[1].msg_lspid != r || was[1].msg_lrpid)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* all as it was: counts, bytes, times, pids (X's, Y's too), owners */
	if (msgctl(qs[0], IPC_STAT, &now) || msq_differs("Q", &was[0], &now))
		return CR_WL_FAIL(1, "Q (id %d) changed", qs[0]);
	if (msgctl(qs[1], IPC_STAT, &now) || msq_differs("Q2", &was[1], &now))
		return CR_WL_FAIL(2, "Q2 (id %d) changed", qs[1]);
	if (table_changed(KIND_MSG, &table))
		return CR_WL_FAIL(3, "MSG_INFO or MSG_STAT changed");
	if (limits_changed(&limits))
		return CR_WL_FAIL(4, "the namespace's limits changed");
	if (msgget(KEY_Q, 0) != qs[0])
		return CR_WL_FAIL(5, "key %#x does not find Q", KEY_Q);
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id != ref[MSG_NR])
		return CR_WL_FAIL(6, "a new queue has id %d, expected %d", id,
				  ref[MSG_NR]);
	msgctl(id, IPC_RMID, NULL);

	/* the waiting receiver gets what it waits for, once, and no other */
	sbuf.mtype = WAKE_TYPE;
	memcpy(sbuf.mtext, WAKE_TEXT, strlen(WAKE_TEXT));
	if (msgsnd(qs[0], &sbuf, strlen(WAKE_TEXT), IPC_NOWAIT))
		return CR_WL_FAIL(7, "msgsnd: %s", strerror(errno));
	ret = reap_child(r, 8);
	if (ret)
		return ret;
	if (msgctl(qs[0], IPC_STAT, &now) ||
	    now.msg_qnum != ARRAY_SIZE(q_msgs) || now.msg_lrpid != r)
		return CR_WL_FAIL(9, "Q: %lu messages, last receiver %d; expected %zu, %d",
				  (unsigned long)now.msg_qnum, now.msg_lrpid,
				  ARRAY_SIZE(q_msgs), r);

	/* Q's messages, in order, with their types and contents */
	for (i = 0; i < ARRAY_SIZE(q_msgs); i++)
		if (msg_recv(qs[0], 0, 0, &q_msgs[i], msg_seed(1, i)))
			return CR_WL_FAIL(10, "message %u of Q", i);
	if (!msq_empty(qs[0]))
		return CR_WL_FAIL(11, "Q is not empty");
	/* Q2's, by type */
	for (i = 0; i < ARRAY_SIZE(q2_recvs); i++)
		if (msg_recv(qs[1], q2_recvs[i].type, q2_recvs[i].flags,
			     &q2_msgs[q2_recvs[i].idx],
			     msg_seed(2, q2_recvs[i].idx)))
			return CR_WL_FAIL(12, "receive %u from Q2", i);
	if (!msq_empty(qs[1]))
		return CR_WL_FAIL(13, "Q2 is not empty");
	return 0;
}

/* ---- refusals: workloads --------------------------------------------------- */

#define KEY_LOCKED	0x10c4
#define KEY_OUT		0x0a7e
#define SEED_OUT	0x0a7e0a7e
#define MARK_OUT	0x4f55545349444521ULL	/* written by the test */
#define MQ_NAME		"cr_ipc"		/* mq_open("/cr_ipc") */
#define MQ_TEXT		"queued"
#define MQ_PRIO		3

/* A segment of the container, SHM_LOCKed */
static int wl_shm_locked(struct cr_ctx *ctx, void *arg)
{
	struct shmid_ds was, now;
	int id = shmget(KEY_LOCKED, 2 * PG, IPC_CREAT | 0600);
	char *p = id < 0 ? MAP_FAILED : shmat(id, NULL, 0);

	if (p == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(p, 2 * PG, SEED_A);
	if (shmctl(id, SHM_LOCK, NULL) || shmctl(id, IPC_STAT, &was) ||
	    !(was.shm_perm.mode & SHM_LOCKED))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (shmctl(id, IPC_STAT, &now) || shm_differs("locked", &was, &now))
		return CR_WL_FAIL(1, "the locked segment changed");
	if (cr_check_fill(p, 2 * PG, SEED_A) >= 0)
		return CR_WL_FAIL(2, "the locked segment's contents changed");
	if (shmctl(id, SHM_UNLOCK, NULL))
		return CR_WL_FAIL(3, "SHM_UNLOCK: %s", strerror(errno));
	return 0;
}

/* A POSIX message queue of the container, open in no process */
static int wl_mqueue(struct cr_ctx *ctx, void *arg)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	unsigned int prio = 0;
	char buf[64];
	ssize_t n;
	int fd;

	fd = syscall(SYS_mq_open, MQ_NAME, O_CREAT | O_EXCL | O_RDWR, 0600,
		     &attr);
	if (fd < 0 || syscall(SYS_mq_timedsend, fd, MQ_TEXT, strlen(MQ_TEXT),
			      MQ_PRIO, NULL))
		return CR_EXIT_SETUP;
	close(fd);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	fd = syscall(SYS_mq_open, MQ_NAME, O_RDWR | O_NONBLOCK, 0, NULL);
	if (fd < 0)
		return CR_WL_FAIL(1, "mq_open: %s", strerror(errno));
	n = syscall(SYS_mq_timedreceive, fd, buf, sizeof(buf), &prio, NULL);
	if (n != (ssize_t)strlen(MQ_TEXT) || memcmp(buf, MQ_TEXT, n) || prio != MQ_PRIO)
		return CR_WL_FAIL(2, "mq_timedreceive returned %zd, priority %u",
				  n, prio);
	if (syscall(SYS_mq_unlink, MQ_NAME))
		return CR_WL_FAIL(3, "mq_unlink: %s", strerror(errno));
	return 0;
}

/* A segment of the container, which the test attaches too (MARK_OUT) */
static int wl_shm_out(struct cr_ctx *ctx, void *arg)
{
	struct shmid_ds ds;
	int id = shmget(KEY_OUT, PG, IPC_CREAT | 0600);
	char *p = id < 0 ? MAP_FAILED : shmat(id, NULL, 0), *want;

	if (p == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(p, PG, SEED_OUT);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (get64(p) != MARK_OUT)
		return CR_WL_FAIL(1, "the test's write is not seen");
	want = shm_pattern(PG, SEED_OUT);
	if (!want || view_differs("segment", p, want, sizeof(uint64_t), PG))
		return CR_WL_FAIL(2, "the segment's contents changed");
	free(want);
	if (shmctl(id, IPC_STAT, &ds) || ds.shm_nattch != 1)
		return CR_WL_FAIL(3, "%lu attaches, expected 1 (ours)",
				  (unsigned long)ds.shm_nattch);
	return 0;
}

/* A SEM_UNDO adjustment on the semaphore *arg of the host's namespace */
static int wl_sem_undo_host(struct cr_ctx *ctx, void *arg)
{
	struct sembuf op = { 0, 1, SEM_UNDO };
	int id = *(int *)arg;

	if (semop(id, &op, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (semctl(id, 0, GETVAL) != 1)
		return CR_WL_FAIL(1, "the semaphore is %d, expected 1",
				  semctl(id, 0, GETVAL));
	return 0;
}

/* ---- the test side --------------------------------------------------------- */

/* The host's IPC namespace: the restart of a container leaves it alone */
struct host_ipc {
	struct ipc_limits limits;
	struct ipc_table table[KIND_NR];
};

static void host_ipc_read(struct __test_metadata *_metadata,
			  struct host_ipc *h)
{
	int k;

	ASSERT_EQ(0, limits_read(&h->limits));
	for (k = 0; k < KIND_NR; k++)
		ASSERT_EQ(0, ipc_table_read(k, &h->table[k]));
}

/*
 * The whole cycle of the container running @fn, in a pid and an IPC
 * namespace of its own; the host's IPC namespace is the same afterwards
 */
static void container_cycle(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx, cr_workload_fn fn)
{
	struct host_ipc before, after;

	host_ipc_read(_metadata, &before);
	ctx->spawn_flags = CONTAINER;
	tree_cycle(_metadata, ctx, fn, NULL, 0);
	host_ipc_read(_metadata, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before))) {
		TH_LOG("the restart changed the host's IPC namespace");
	}
}

/* Start the tree of @call (its root joins the test's cgroup) */
static void spawn_tree(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		       struct wl_call *call, unsigned long spawn_flags)
{
	ctx->spawn_flags = spawn_flags;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, call);
}

/* Freeze the tree; checkpoint(@flags) fails with EBUSY, the log says @why */
static void expect_refused(struct __test_metadata *_metadata,
			   struct cr_ctx *ctx, unsigned long flags,
			   const char *why)
{
	int err = 0;

	cr_freeze(_metadata, ctx, ctx->wl_pid);
	EXPECT_EQ(-1, ckpt_to_img(ctx, ctx->wl_pid, flags, &err));
	EXPECT_EQ(EBUSY, err) {
		TH_LOG("checkpoint: %s, expected EBUSY", strerror(err));
	}
	EXPECT_TRUE(cr_log_has(ctx, why)) {
		TH_LOG("the log does not say \"%s\"", why);
		cr_dump_logs(_metadata, ctx);
	}
}

/* Thaw the tree and let it go: it finds its state intact (exits 0) */
static void expect_finishes(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx)
{
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->wl_pid, 0,
		       "the tree after the refused checkpoint");
}

static void container_refused(struct __test_metadata *_metadata,
			      struct cr_ctx *ctx, cr_workload_fn fn,
			      const char *why)
{
	struct wl_call call = { fn, NULL };

	spawn_tree(_metadata, ctx, &call, CONTAINER);
	expect_refused(_metadata, ctx, 0, why);
	expect_finishes(_metadata, ctx);
}

FIXTURE(cr_ipc) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_ipc) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_ipc) { cr_teardown(_metadata, &self->ctx); }

/*
 * Segments: A (a key, another owner) attached by the init with a hole,
 * inherited by two children, attached again and moved by one; B attached
 * read-only; C removed while attached; D created by a child gone since,
 * attached by nobody. All come back with their ids, keys, owners, times,
 * pids, attach counts, contents and mappings, and shared.
 */
CR_TEST(cr_ipc, sysv_shm)
{
	container_cycle(_metadata, ctx, wl_shm);
}

/*
 * Semaphores: adjustments (SEM_UNDO) of three processes, one of them by
 * two threads, on two arrays, and a process waiting in semop(). Values,
 * pids, times, owners as they were; each exit undoes its process's
 * adjustments (not a thread's: its process shares them); the waiter is
 * woken by what it waits for.
 */
CR_TEST(cr_ipc, sysv_sem)
{
	container_cycle(_metadata, ctx, wl_sem);
}

/*
 * Message queues: Q (a key, another owner, 20000 bytes of room) with
 * messages of 0 to 8000 bytes, sent and received by children gone since,
 * and Q2; a process waiting in msgrcv() for a type not queued. Counts,
 * times, pids, owners as they were; the waiter gets its message once;
 * the messages come in order, or by type, with their contents.
 */
CR_TEST(cr_ipc, sysv_msg)
{
	container_cycle(_metadata, ctx, wl_msg);
}

/* a locked segment (SHM_LOCK) is refused, the container carries on */
CR_TEST(cr_ipc, sysv_shm_locked_refused)
{
	container_refused(_metadata, ctx, wl_shm_locked, "SHM_LOCK");
}

/* a POSIX message queue in the container's IPC namespace is refused */
CR_TEST(cr_ipc, posix_mqueue_refused)
{
	container_refused(_metadata, ctx, wl_mqueue, "POSIX message queue");
}

/*
 * A segment of the container attached by the test too (from the
 * container's IPC namespace, which it entered and left): refused, as it
 * would not be shared with the test after a restart
 */
CR_TEST(cr_ipc, sysv_shm_attached_outside_refused)
{
	struct wl_call call = { wl_shm_out, NULL };
	int home, there, id;
	char path[64], *p;

	spawn_tree(_metadata, ctx, &call, CONTAINER);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", ctx->wl_pid);
	home = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	there = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	ASSERT_LE(0, there);
	ASSERT_EQ(0, setns(there, CLONE_NEWIPC));
	id = shmget(KEY_OUT, 0, 0);
	p = id < 0 ? MAP_FAILED : shmat(id, NULL, 0);
	ASSERT_EQ(0, setns(home, CLONE_NEWIPC));
	close(home);
	close(there);
	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("cannot attach the container's segment: %s",
		       strerror(errno));
	}
	put64(p, MARK_OUT);

	expect_refused(_metadata, ctx, 0, "attached by a process outside the tree");
	EXPECT_EQ(0, shmdt(p));
	expect_finishes(_metadata, ctx);
}

/*
 * A process (not a container) with a SEM_UNDO adjustment in the host's
 * IPC namespace, which a restart cannot give it back: refused, even as a
 * subtree; its adjustment is still undone when it exits
 */
CR_TEST(cr_ipc, sem_undo_host_ns_refused)
{
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct wl_call call = { wl_sem_undo_host, &id };

	ASSERT_LE(0, id);
	spawn_tree(_metadata, ctx, &call, 0);
	expect_refused(_metadata, ctx, CHECKPOINT_SUBTREE, "SEM_UNDO");
	expect_finishes(_metadata, ctx);
	EXPECT_EQ(0, semctl(id, 0, GETVAL)) {
		TH_LOG("the adjustment was not undone at exit");
	}
	EXPECT_EQ(0, semctl(id, 0, IPC_RMID));
}

/* ---- every validated field of the SysV IPC records -------------------- */

/*
 * A small container with one of each: a segment attached, another
 * removed while attached, an array with a SEM_UNDO adjustment, a queue
 * with two messages, and a child (its IPC namespace an OBJREF). Restored
 * intact, it finds the first segment's contents.
 */
static int wl_bad(struct cr_ctx *ctx, void *arg)
{
	int shm = shmget(0xbad1, 8192, IPC_CREAT | 0600);
	int gone = shmget(0xbad2, 4096, IPC_CREAT | 0600);
	int sem = semget(0xbad3, 2, IPC_CREAT | 0600);
	int msq = msgget(0xbad4, IPC_CREAT | 0600);
	struct sembuf op = { 1, 1, SEM_UNDO };
	struct { long mtype; char text[64]; } m = { 7, "seven" };
	char *p, *q;
	pid_t kid;
	int st;

	if (shm < 0 || gone < 0 || sem < 0 || msq < 0)
		return CR_EXIT_SETUP;
	p = shmat(shm, NULL, 0);
	q = shmat(gone, NULL, 0);
	if (p == (void *)-1 || q == (void *)-1 ||
	    shmctl(gone, IPC_RMID, NULL) || semop(sem, &op, 1) ||
	    msgsnd(msq, &m, 6, 0) || msgsnd(msq, &m, 0, 0))
		return CR_EXIT_SETUP;
	strcpy(p, "bad fields");
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		/* the test waits for the ready pipe's EOF */
		close(ctx->ready_fd);
		cr_wl_wait_go(ctx);
		_exit(0);
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (waitpid(kid, &st, 0) != kid || st)
		return CR_WL_FAIL(1, "the child failed: %#x", st);
	if (strcmp(p, "bad fields"))
		return CR_WL_FAIL(2, "the segment lost its contents");
	return 0;
}

static const struct cr_bad_field bad_ipc[] = {
	CR_BAD(IPC_NS, ipc_ns, own, 2, false),
	CR_BAD(IPC_NS, ipc_ns, sem_ctls[3], 1 << 20, false),
	CR_BAD(IPC_NS, ipc_ns, msg_ctlmni, 1 << 20, false),
	CR_BAD(IPC_NS, ipc_ns, shm_ctlmni, 1 << 20, false),
	CR_BAD(IPC_NS, ipc_ns, shm_rmid_forced, 2, false),
	CR_BAD(IPC_NS, ipc_ns, mq_msg_max, 0, false),
	CR_BAD(IPC_NS, ipc_ns, ids[CKPT_IPC_SHM].nr, 1 << 20, false),
	CR_BAD(IPC_NS, ipc_ns, ids[CKPT_IPC_SHM].seq, 1 << 20, false),
	CR_BAD(IPC_NS, ipc_ns, ids[CKPT_IPC_SEM].last_idx, -2, false),
	CR_BAD(IPC_NS, ipc_ns, ids[CKPT_IPC_MSG].cursor, 1 << 20, false),
	CR_BAD(IPC_SHM, ipc_shm, perm.id, -1, false),
	CR_BAD(IPC_SHM, ipc_shm, perm.uid, -1, false),
	CR_BAD(IPC_SHM, ipc_shm, perm.mode, 01000, true),
	CR_BAD(IPC_SHM, ipc_shm, perm.pad, 1, false),
	CR_BAD(IPC_SHM, ipc_shm, size, 0, false),
	CR_BAD(IPC_SHM, ipc_shm, creator, -1, false),
	CR_BAD(IPC_SHM, ipc_shm, cpid, -1, false),
	CR_BAD(IPC_SHM, ipc_shm, lpid, 1 << 30, false),
	CR_BAD(IPC_SHM, ipc_shm, flags, 2, false),
	/* the first segment is the removed one: its key must be 0 */
	CR_BAD(IPC_SHM, ipc_shm, perm.key, 1, true),
	CR_BAD(IPC_SHM, ipc_shm, pad, 1, false),
	CR_BAD(IPC_SEM, ipc_sem, nsems, 1, true),
	CR_BAD(IPC_SEM, ipc_sem, pad, 1, false),
	{ "IPC_SEM semval", CKPT_HDR_IPC_SEM, 0,
	  sizeof(struct ckpt_hdr_ipc_sem) + offsetof(struct ckpt_sem, semval),
	  4, 32768, false },
	{ "IPC_SEM sempid", CKPT_HDR_IPC_SEM, 0,
	  sizeof(struct ckpt_hdr_ipc_sem) + offsetof(struct ckpt_sem, sempid),
	  4, -1, false },
	CR_BAD(IPC_MSQ, ipc_msq, nr_msgs, 1, true),
	CR_BAD(IPC_MSQ, ipc_msq, lspid, INT32_MIN, false),
	CR_BAD(IPC_MSQ, ipc_msq, lrpid, 0x7fffffff, false),
	CR_BAD(IPC_MSQ, ipc_msq, pad, 1, false),
	CR_BAD(IPC_MSG, ipc_msg, mtype, 0, false),
	CR_BAD(IPC_MSG, ipc_msg, size, 1, true),
	CR_BAD(SYSVSEM, sysvsem, undo, 2, false),
	CR_BAD(SYSVSEM, sysvsem, pad, 1, false),
	CR_BAD(SEM_UNDO, sem_undo, nr, 1, true),
	CR_BAD(SEM_ADJ, sem_adj, semid, 1, true),
	CR_BAD(SEM_ADJ, sem_adj, nsems, 1, true),
	/* two semaphores: two values, then padding */
	{ "SEM_ADJ padding", CKPT_HDR_SEM_ADJ, 0,
	  sizeof(struct ckpt_hdr_sem_adj) + 2 * sizeof(int16_t), 2, 1, false },
	CR_BAD(SHM_ATTACH, shm_attach, shmid, -1, false),
	CR_BAD(SHM_ATTACH, shm_attach, flags, 2, false),
	CR_BAD(SHM_ATTACH, shm_attach, pad, 1, false),
};

/*
 * Every field restart validates in the SysV IPC records, set to a value
 * it must refuse: the restart fails (the tool exits 1) and its tree is
 * gone; the intact image then restarts.
 */
CR_TEST(cr_ipc, bad_ipc_fields_refused)
{
	struct wl_call call = { wl_bad, NULL };

	ctx->spawn_flags = CONTAINER;
	bad_fields_refused(_metadata, ctx, &call, 0, bad_ipc,
			   ARRAY_SIZE(bad_ipc));
}

TEST_HARNESS_MAIN
