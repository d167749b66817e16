// SPDX-License-Identifier: GPL-2.0
/*
 * cr_fuzz - a record-aware fuzzer of restart images.
 *
 *   cr_fuzz [--iter N] [--seed S] [--first I | --case I] [--timeout SEC]
 *           [--ops LIST] [--base LIST] [--verbose] [--dry-run] [--no-cr-cap]
 *           [--restart-tool PATH] [--workdir DIR]      (--help: details)
 *
 * Runs in the guest, as root (see "make fuzz" in README.md). It first
 * makes its base images itself: it forks and checkpoints small workloads
 * (this binary again, with WL_FLAG), each frozen with cgroup v2
 * (cgroup.freeze) first:
 *
 *   single-root, single-user  one process with anonymous memory and an
 *                             open regular file (offset not 0)
 *   tree-root, tree-user      three processes (a root and two children,
 *                             one in its own process group) sharing an
 *                             open file, the root with a second thread
 *                             (CHECKPOINT_SUBTREE)
 *   ipc-root                  the tree, its root the init of new pid, IPC
 *                             and network namespaces (a container,
 *                             checkpointed whole: flags 0), with lo up
 *                             and a TCP connection to itself, SysV IPC: a segment of
 *                             3 pages attached in the root and its
 *                             children (one child also read-only), a
 *                             removed one still attached, 4 semaphores
 *                             with SEM_UNDO adjustments of the root (its
 *                             thread shares them), a queue of 3 messages
 *                             (one of 5000 bytes)
 *
 * the -user ones by a process that became uid 1000 (USER_UID) and set
 * PR_SET_DUMPABLE. Each base is restarted once unmutated first (as root
 * and, for -user bases, as uid 1000) to show what a good restart does.
 * --base keeps only some of them (the others are not made).
 *
 * Then case I (from --first, default 0, --iter cases; or only --case I)
 * seeds its own PRNG with (S, I), so any case can be run again alone with
 * --seed S --case I, and picks who restarts (root, or uid 1000 for a
 * -user base: half the cases each), a base image (among those of that
 * user: any for root, ipc-root with twice the share of the others; uid
 * 1000, who may not make a container's namespaces, never restarts
 * ipc-root) and a mutation. The image is walked record by record
 * (struct ckpt_hdr, the constants of checkpoint_hdr.h, no type number
 * written here) and mutated:
 *
 *   field    a 4- or 8-byte value at an aligned offset of a record's
 *            metadata set to 0, 1, all ones, 0x7fffffff, 0x80000000,
 *            1 << 40, 0x7fffffffffffffff, or its old value +-1; page
 *            contents of PAGES records (their addresses are metadata),
 *            the registers in the FPU's XSAVE area (its legacy control
 *            words and XSAVE header are metadata) and the text of IPC_MSG
 *            records are left alone;
 *            one time in four instead a count at an edge (16, 64, 65,
 *            4096, ...), an address (the last user page, TASK_SIZE, a
 *            kernel one) or the old value +-4096
 *   multi    2 to 4 field mutations
 *   len      a record's len made shorter or longer (0, 7, 8, len +-1,
 *            +-4, +-8, +4096, CKPT_RECORD_MAX(+1), 2^31, 2^32-1), the
 *            bytes unchanged: the stream is read out of step
 *   resize   a record really cut or grown (zero or 0xff bytes), len
 *            following: the stream stays in step
 *   type     a record's type changed to another known one, or to an
 *            unknown number next to a known one
 *   trunc    the image cut at a record boundary (or, one time in four,
 *            inside a record)
 *   dup, del, swap   a record duplicated (next to it or elsewhere),
 *            deleted, or swapped with the next one or another one
 *   objref   an OBJREF record pointed at an object of another type (its
 *            objtype kept or changed to the target's), given another
 *            objtype, or a tag never defined or defined later; or an
 *            object record replaced by an OBJREF to an object of another
 *            type, or given the tag of another object
 *   splice   a record of another base image in place of one of its type
 *            or inserted anywhere (a tree's records in a single task's
 *            image, root's credentials in a user's, ...)
 *   path     a STRING naming another path: a root-only file, /proc and
 *            /sys files, devices, a directory, a relative or too long
 *            path
 *
 * A record type the base images have but rtypes[] lacks (one newer than
 * this program) is fuzzed like the others, as "type N".
 *
 * After a structural mutation (dup, del, swap, splice, objref replacing a
 * record) the TAIL's record count is fixed three times in four, so the
 * restart can get to the end.
 *
 * Each case writes its image to WORKDIR/case.img and runs the restart
 * tool (restart -d -i IMG: it rebuilds multi-task trees) in a fresh
 * cgroup v2 child cgroup, as root or as uid 1000 (a tree of uid 1000 as
 * uid 1000 with CAP_CHECKPOINT_RESTORE: the tool needs it to give the
 * tree its pids; not with --no-cr-cap), with a timeout. One case in four
 * skips the tool, whose checks of the tree section would refuse many
 * images before the kernel sees them: a child calls restart(0) and its
 * parent restart(child), as uid 0 or plain uid 1000 (a multi-task image
 * then fails for its missing tasks, after the kernel read its tree; the
 * child of a container image is the init of new pid, IPC and network
 * namespaces, as the tool's would be). One case in six reads the image from a pipe
 * (restart -i -, or restart() on it), fed by another process of the
 * restarting user; one tool case in eight restores the tasks stopped
 * (--frozen). Then:
 *
 *   restored  the restart succeeded. For uid 1000, every thread in the
 *             cgroup must have Uid and Gid 1000 (all four), no group but
 *             1000, no capability the restarter had not (CapInh, CapPrm,
 *             CapEff, CapBnd, CapAmb; all but CapBnd 0 for plain uid
 *             1000), and every process the restarter's root directory
 *             and no file open or mapped that uid 1000 may not open with
 *             the same access mode: otherwise a privilege gain
 *   refused   the restart failed (or the tool was killed by a signal: a
 *             tool crash, shown but not counted as a problem); tasks
 *             still in the cgroup 3 s after the tool exited are "left
 *             behind"
 *   timeout   the restart did not finish in time (the cgroup's tasks and
 *             their kernel stacks are shown)
 *
 * Then the cgroup is killed (cgroup.kill); one that does not empty within
 * 5 s is also left behind. /dev/kmsg is read after every case (from where
 * it was at the start): lines matching BUG:, WARNING:, Oops, general
 * protection (an oops: with "[#"), Call Trace, blocked for more than,
 * stall, UBSAN, KASAN, soft lockup, kernel BUG, Kernel panic are kernel
 * problems, printed with the case id and the case's whole kernel log;
 * reports of user space faults of restored tasks (traps:, segfault at)
 * are not. With kmemleak (debugfs), a scan
 * every 100 cases and at the end adds 'unreferenced object' reports.
 *
 * Normal cases print nothing (--verbose: each case); every problem
 * prints "case I (seed S): ..." with the mutation. The last line is
 *
 *   fuzz: N cases, R restored, F refused, T timeouts, L left behind,
 *   kernel problems: K, privilege gains: P
 *
 * (one line), after the figures of each restarter, base and record type
 * (the cases that mutated, moved, cut at or spliced in a record of that
 * type, and how many of them were restored). Exit status: 0, 1 if K, L
 * or P is not 0 or a base image could not be made, 2 on usage error.
 *
 * Base images differ a little from run to run (pids, addresses, times):
 * a case is the same mutation of the same record, not always of the same
 * bytes; the case line names the record by index, type and offset.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <sys/timerfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/checkpoint.h>
#include <linux/checkpoint_hdr.h>

/* the selftests' helpers (cr_lib.c): files, sleeps, the system call numbers */
#include "cr_lib.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define USER_UID	1000
#define WL_FLAG		"--cr-fuzz-workload"
#define CG_ROOT		"/sys/fs/cgroup"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define WL_MEM		(128 << 10)	/* anonymous memory of a workload */
#define DATA_LEN	(64 << 10)	/* its open file */
#define LEAVE_MS	3000		/* a refused case's cgroup empties */
#define KILL_MS		5000		/* a killed cgroup empties */
#define LEAK_EVERY	100		/* cases between kmemleak scans */
#define KMSG_SHOW	300		/* kernel lines shown per case */

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static struct {
	unsigned long iter;
	uint64_t seed;
	unsigned long first;
	int timeout;
	int verbose;
	bool dry_run;
	bool no_cr_cap;
	const char *tool;
	const char *workdir;
} opt = {
	.iter = 100,
	.seed = 1,
	.timeout = 10,
	.tool = "/usr/bin/restart",
	.workdir = "/tmp/cr-fuzz",
};

static char self_exe[PATH_MAX];
static char cg_top[256];
static int kmsg_fd = -1;

/* ---- small utilities ---------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

/* Become uid, as after a login: no groups, dumpable */
static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1))
		return -1;
	return 0;
}

/*
 * Become uid keeping only CAP_CHECKPOINT_RESTORE, also as an ambient
 * capability so that the restart tool it executes has it: what a user
 * allowed to restore process trees (clone3() with set_tid) has.
 */
static int become_cr(uid_t uid)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int i = CAP_TO_INDEX(CAP_CHECKPOINT_RESTORE);
	__u32 bit = CAP_TO_MASK(CAP_CHECKPOINT_RESTORE);

	if (prctl(PR_SET_KEEPCAPS, 1) || become(uid))
		return -1;
	d[i].permitted = d[i].effective = d[i].inheritable = bit;
	if (syscall(SYS_capset, &h, d))
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
		     CAP_CHECKPOINT_RESTORE, 0, 0);
}

/* ---- PRNG (splitmix64): one stream per case ------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(struct rng *r, uint32_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool one_in(struct rng *r, uint32_t n)
{
	return rnd_below(r, n) == 0;
}

/*
 * The stream of case idx. Not seed * C + idx * the increment of rnd():
 * the stream of case idx + 1 would be that of case idx one number on,
 * and neighbours would often make the same mutation.
 */
static void rng_case(struct rng *r, uint64_t seed, unsigned long idx)
{
	struct rng h = { .s = idx };

	r->s = seed * 0xd1342543de82ef95ULL ^ rnd(&h);
	rnd(r);
	rnd(r);
}

/* ---- image records ----------------------------------------------------- */

struct rtype {
	uint32_t type;
	const char *name;
};

#define RT(x)	{ CKPT_HDR_##x, #x }
static const struct rtype rtypes[] = {
	RT(HEADER), RT(HEADER_ARCH), RT(STRING), RT(OBJREF), RT(TREE),
	RT(TREE_TASK), RT(TASK), RT(CPU), RT(FPU), RT(SIGHAND), RT(SIGMASK),
	RT(SIGINFO),
	RT(CRED), RT(SIGNAL), RT(UTS_NS), RT(MM), RT(VMA), RT(PAGES),
	RT(SHMEM), RT(SHM_ATTACH), RT(FILE_TABLE), RT(FD_ENT), RT(FILE), RT(FS),
	RT(FILE_DATA), RT(FILE_LOCK), RT(PIPE), RT(PIPE_BUF), RT(EVENTFD),
	RT(SIGNALFD), RT(TIMERFD), RT(UNIX_FILE), RT(UNIX_PAIR), RT(UNIX_SOCK),
	RT(UNIX_SKB), RT(UNIX_LONE), RT(UNIX_ADDR), RT(UNIX_LISTEN),
	RT(INET_SOCK), RT(NET_NS), RT(NET_ADDR), RT(TCP_PAIR), RT(TCP_CONN),
	RT(TCP_DATA), RT(EPOLL), RT(EPOLL_WATCH), RT(INOTIFY),
	RT(INOTIFY_WATCH), RT(INOTIFY_EVENT), RT(POSIX_TIMER),
	RT(IPC_NS), RT(IPC_SHM), RT(IPC_SEM), RT(IPC_MSQ), RT(IPC_MSG),
	RT(SYSVSEM), RT(SEM_UNDO), RT(SEM_ADJ),
	RT(TAIL), RT(ERROR),
};
#undef RT

/* Records that define a shared object: where their objref is */
struct otype {
	uint32_t type;
	uint32_t obj;
	uint32_t off;
};

#define OT(h, o, s)	{ CKPT_HDR_##h, CKPT_OBJ_##o, offsetof(s, objref) }
static const struct otype otypes[] = {
	OT(MM, MM, struct ckpt_hdr_mm),
	OT(FILE_TABLE, FILE_TABLE, struct ckpt_hdr_file_table),
	OT(FILE, FILE, struct ckpt_hdr_file),
	OT(FS, FS, struct ckpt_hdr_fs),
	OT(SIGHAND, SIGHAND, struct ckpt_hdr_sighand),
	OT(CRED, CRED, struct ckpt_hdr_cred),
	OT(SIGNAL, SIGNAL, struct ckpt_hdr_signal),
	OT(UTS_NS, UTS_NS, struct ckpt_hdr_uts_ns),
	OT(SHMEM, SHMEM, struct ckpt_hdr_shmem),
	OT(FILE_DATA, FILE_DATA, struct ckpt_hdr_file_data),
	OT(IPC_NS, IPC_NS, struct ckpt_hdr_ipc_ns),
	OT(SEM_UNDO, SEM_UNDO, struct ckpt_hdr_sem_undo),
	OT(SHM_ATTACH, SHM_ATTACH, struct ckpt_hdr_shm_attach),
	OT(PIPE, PIPE, struct ckpt_hdr_pipe),
	OT(UNIX_PAIR, UNIX_PAIR, struct ckpt_hdr_unix_pair),
	OT(NET_NS, NET_NS, struct ckpt_hdr_net_ns),
	OT(TCP_PAIR, TCP_PAIR, struct ckpt_hdr_tcp_pair),
	OT(UNIX_LISTEN, UNIX_LISTEN, struct ckpt_hdr_unix_listen),
};
#undef OT

static const char *type_name(uint32_t type, char *buf, size_t size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rtypes); i++)
		if (rtypes[i].type == type)
			return rtypes[i].name;
	snprintf(buf, size, "type %u", type);
	return buf;
}

/*
 * The known record types: those of rtypes[], and any other a base image
 * has (a record type newer than this program), added by add_types()
 */
static uint32_t ktypes[128];
static unsigned int nr_ktypes;

static bool known_type(uint32_t type)
{
	unsigned int i;

	for (i = 0; i < nr_ktypes; i++)
		if (ktypes[i] == type)
			return true;
	return false;
}

static void add_type(uint32_t type)
{
	char buf[32];

	if (known_type(type) || nr_ktypes == ARRAY_SIZE(ktypes))
		return;
	ktypes[nr_ktypes++] = type;
	if (strncmp(type_name(type, buf, sizeof(buf)), "type ", 5))
		return;
	printf("cr_fuzz: record %s of a base image is not in this program's table: fuzzed as an unknown record\n",
	       buf);
}

static void init_types(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rtypes); i++)
		add_type(rtypes[i].type);
}

static const struct otype *obj_type_of(uint32_t type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(otypes); i++)
		if (otypes[i].type == type)
			return &otypes[i];
	return NULL;
}

/* A base image, as checkpointed */
struct base {
	const char *name;
	bool tree;
	bool container;		/* init of new pid, IPC and network namespaces, SysV IPC */
	bool skip;		/* not in --base */
	uid_t uid;
	unsigned int weight;	/* its share of the cases of its user: 1 if 0 */
	uint8_t *buf;
	size_t size;
	unsigned int nr;		/* records */
	unsigned int nr_tasks;
	bool ok;
};

static struct base bases[] = {
	{ .name = "single-root", .tree = false, .uid = 0 },
	{ .name = "single-user", .tree = false, .uid = USER_UID },
	{ .name = "tree-root", .tree = true, .uid = 0 },
	{ .name = "tree-user", .tree = true, .uid = USER_UID },
	/* the only one with IPC records: twice the share of the others */
	{ .name = "ipc-root", .tree = true, .container = true, .uid = 0,
	  .weight = 2 },
};

static unsigned int base_weight(const struct base *b)
{
	return b->weight ? b->weight : 1;
}

/*
 * The names of a comma-separated @list as a mask of indexes in a table of
 * @n entries whose names name(i) gives: 0 if one is unknown or none given
 */
static unsigned int name_mask(const char *list, unsigned int n,
			      const char *(*name)(unsigned int i))
{
	char *copy = strdup(list), *word, *save = NULL;
	unsigned int keep = 0, i;

	for (word = strtok_r(copy, ",", &save); word;
	     word = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(name(i), word); i++)
			;
		if (i == n) {
			keep = 0;
			break;
		}
		keep |= 1U << i;
	}
	free(copy);
	return keep;
}

static const char *base_name(unsigned int i)
{
	return bases[i].name;
}

/* --base a,b: only these bases; false if a name is unknown */
static bool keep_bases(const char *list)
{
	unsigned int keep = name_mask(list, ARRAY_SIZE(bases), base_name), i;

	if (!keep)
		return false;
	for (i = 0; i < ARRAY_SIZE(bases); i++)
		bases[i].skip = !(keep & (1U << i));
	return true;
}

/* One record of an image being mutated: its own copy of the bytes */
struct mrec {
	uint8_t *data;
	uint32_t size;
	int orig;		/* index in the base, -1: made up */
};

struct mimg {
	struct mrec *r;
	unsigned int n, cap;
	size_t cut;		/* keep only that many bytes, if cut_set */
	bool cut_set;
	char desc[2048];
	size_t dlen;
	uint32_t touched[16];	/* the types of the records mutated */
	unsigned int nr_touched;
};

#define __printf(a, b)	__attribute__((format(printf, a, b)))

static __printf(2, 3) void describe(struct mimg *m, const char *fmt, ...);

static void describe(struct mimg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->dlen >= sizeof(m->desc) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->desc + m->dlen, sizeof(m->desc) - m->dlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->dlen += n;
	if (m->dlen > sizeof(m->desc) - 1)
		m->dlen = sizeof(m->desc) - 1;
}

static uint32_t rec_type(const struct mrec *r)
{
	uint32_t t = 0;

	if (r->size >= 4)
		memcpy(&t, r->data, 4);
	return t;
}

static uint32_t rec_len(const struct mrec *r)
{
	uint32_t l = 0;

	if (r->size >= 8)
		memcpy(&l, r->data + 4, 4);
	return l;
}

/* A record of this type is mutated (or cut, moved, spliced in, ...) */
static void touch(struct mimg *m, uint32_t type)
{
	unsigned int i;

	for (i = 0; i < m->nr_touched; i++)
		if (m->touched[i] == type)
			return;
	if (m->nr_touched < ARRAY_SIZE(m->touched))
		m->touched[m->nr_touched++] = type;
}

/* ... record i of m */
static void touch_rec(struct mimg *m, unsigned int i)
{
	touch(m, rec_type(&m->r[i]));
}

static void set_u32(struct mrec *r, uint32_t off, uint32_t v)
{
	if (off + 4 <= r->size)
		memcpy(r->data + off, &v, 4);
}

static uint64_t get_val(const struct mrec *r, uint32_t off, int width)
{
	uint64_t v = 0;

	memcpy(&v, r->data + off, width);
	return v;
}

static void put_val(struct mrec *r, uint32_t off, int width, uint64_t v)
{
	memcpy(r->data + off, &v, width);
}

/*
 * Walk the records of an image; returns their number, or -1 if the
 * framing is broken (a base must end with its TAIL).
 */
static int walk_image(const uint8_t *buf, size_t size, struct mimg *m)
{
	size_t off = 0;
	struct ckpt_hdr h;
	int n = 0;

	while (off + sizeof(h) <= size) {
		memcpy(&h, buf + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > CKPT_RECORD_MAX ||
		    off + h.len > size)
			return -1;
		if (m) {
			struct mrec *r;

			if (m->n == m->cap) {
				m->cap = m->cap ? 2 * m->cap : 256;
				m->r = realloc(m->r, m->cap * sizeof(*m->r));
				if (!m->r)
					return -1;
			}
			r = &m->r[m->n++];
			r->size = h.len;
			r->orig = n;
			r->data = malloc(h.len);
			if (!r->data)
				return -1;
			memcpy(r->data, buf + off, h.len);
		}
		n++;
		off += h.len;
		if (h.type == CKPT_HDR_TAIL)
			return off == size ? n : -1;
	}
	return -1;
}

static void mimg_free(struct mimg *m)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		free(m->r[i].data);
	free(m->r);
	memset(m, 0, sizeof(*m));
}

static int mimg_insert(struct mimg *m, unsigned int at, const uint8_t *data,
		       uint32_t size, int orig)
{
	struct mrec r = { .size = size, .orig = orig };

	r.data = malloc(size ? size : 1);
	if (!r.data)
		return -1;
	memcpy(r.data, data, size);
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->r = realloc(m->r, m->cap * sizeof(*m->r));
		if (!m->r)
			return -1;
	}
	memmove(&m->r[at + 1], &m->r[at], (m->n - at) * sizeof(*m->r));
	m->r[at] = r;
	m->n++;
	return 0;
}

static void mimg_delete(struct mimg *m, unsigned int at)
{
	free(m->r[at].data);
	memmove(&m->r[at], &m->r[at + 1], (m->n - at - 1) * sizeof(*m->r));
	m->n--;
}

static size_t mimg_size(const struct mimg *m)
{
	size_t size = 0;
	unsigned int i;

	for (i = 0; i < m->n; i++)
		size += m->r[i].size;
	if (m->cut_set && m->cut < size)
		size = m->cut;
	return size;
}

static int mimg_write(const struct mimg *m, const char *path)
{
	size_t left = mimg_size(m), n;
	unsigned int i;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	fchmod(fd, 0644);
	for (i = 0; i < m->n && left && !ret; i++) {
		n = m->r[i].size < left ? m->r[i].size : left;
		ret = cr_write_all(fd, m->r[i].data, n);
		left -= n;
	}
	if (close(fd))
		ret = -1;
	return ret;
}

/* "#12 VMA[3]@0x1a20": a record by its index, type and place in the base */
static const char *rec_name(const struct mimg *m, unsigned int i, char *buf,
			    size_t size)
{
	uint32_t type = rec_type(&m->r[i]);
	unsigned int k, nth = 0;
	size_t off = 0;
	char tb[32];

	for (k = 0; k < i; k++) {
		off += m->r[k].size;
		if (rec_type(&m->r[k]) == type)
			nth++;
	}
	snprintf(buf, size, "#%u %s[%u]@%#zx", i, type_name(type, tb,
		 sizeof(tb)), nth, off);
	return buf;
}

/*
 * Pick a record: a type uniformly among those in the image, then one
 * record of it. want(): a filter, or NULL. Returns -1 if none.
 */
static int pick_rec(struct rng *g, const struct mimg *m,
		    bool (*want)(const struct mimg *m, unsigned int i))
{
	uint32_t types[64];
	unsigned int nt = 0, i, k, cnt;
	uint32_t t;

	for (i = 0; i < m->n; i++) {
		if (want && !want(m, i))
			continue;
		t = rec_type(&m->r[i]);
		for (k = 0; k < nt && types[k] != t; k++)
			;
		if (k == nt && nt < ARRAY_SIZE(types))
			types[nt++] = t;
	}
	if (!nt)
		return -1;
	t = types[rnd_below(g, nt)];
	for (cnt = 0, i = 0; i < m->n; i++)
		if (rec_type(&m->r[i]) == t && (!want || want(m, i)))
			cnt++;
	k = rnd_below(g, cnt);
	for (i = 0; i < m->n; i++)
		if (rec_type(&m->r[i]) == t && (!want || want(m, i)) &&
		    k-- == 0)
			return i;
	return -1;
}

/* ---- field mutations ----------------------------------------------------- */

struct range {
	uint32_t lo, hi;
};

/*
 * The metadata bytes of a record, after its ckpt_hdr: everything but the
 * page contents of PAGES, the register contents of the XSAVE area and the
 * text of an IPC_MSG.
 */
static int field_ranges(const struct mrec *r, struct range *rg)
{
	uint32_t type = rec_type(r), size = r->size;
	uint32_t h, i, n = 0;

	if (type == CKPT_HDR_PAGES && size >= sizeof(struct ckpt_hdr_pages)) {
		struct ckpt_hdr_pages pg;
		uint64_t end;

		memcpy(&pg, r->data, sizeof(pg));
		end = sizeof(pg) + 8ULL * pg.nr_pages;
		rg[n++] = (struct range){ 8, end < size ? end : size };
	} else if (type == CKPT_HDR_FPU) {
		h = sizeof(struct ckpt_hdr_fpu);
		rg[n++] = (struct range){ 8, h };
		/* FXSAVE control words; sw_reserved; XSAVE header */
		rg[n++] = (struct range){ h, h + 32 };
		rg[n++] = (struct range){ h + 464, h + 576 };
	} else if (type == CKPT_HDR_IPC_MSG) {
		/* the message's text follows its header */
		rg[n++] = (struct range){ 8, sizeof(struct ckpt_hdr_ipc_msg) };
	} else {
		rg[n++] = (struct range){ 8, size };
	}
	for (i = 0; i < n; i++) {
		if (rg[i].hi > size)
			rg[i].hi = size;
		if (rg[i].lo > rg[i].hi)
			rg[i].lo = rg[i].hi;
	}
	return n;
}

static uint32_t slots(const struct range *rg, uint32_t width)
{
	uint32_t first = (rg->lo + width - 1) / width * width;

	if (rg->hi < width || rg->hi - width < first)
		return 0;
	return (rg->hi - width - first) / width + 1;
}

static bool has_fields(const struct mimg *m, unsigned int i)
{
	struct range rg[4];
	int n = field_ranges(&m->r[i], rg), k;

	for (k = 0; k < n; k++)
		if (slots(&rg[k], 4))
			return true;
	return false;
}

static const uint64_t field_vals[] = {
	0, 1, ~0ULL, 0x7fffffff, 0x80000000,
	1ULL << 40, 0x7fffffffffffffffULL,	/* 8-byte fields only */
};

/* One time in four: counts and limits at their edges, addresses */
static const uint64_t field_vals4[] = {
	2, 16, 17, 64, 65, 4096, 0xffff, 0x10000,
};

static const uint64_t field_vals8[] = {
	0x100000000ULL,			/* 4 GiB */
	0x7ffffffff000ULL,		/* the last user page */
	0x800000000000ULL,		/* TASK_SIZE (4-level paging) */
	0xffff800000000000ULL,		/* kernel */
	0xffffffff81000000ULL,		/* kernel text */
};

static int mutate_field(struct rng *g, struct mimg *m)
{
	struct range rg[4];
	uint32_t width, total = 0, k, off = 0, nv;
	uint64_t old, val;
	char rn[64];
	int i, n, j;

	i = pick_rec(g, m, has_fields);
	if (i < 0)
		return -1;
	touch_rec(m, i);
	n = field_ranges(&m->r[i], rg);
	width = one_in(g, 2) ? 4 : 8;
	for (j = 0; j < n; j++)
		total += slots(&rg[j], width);
	if (!total) {
		width = 4;
		for (j = 0; j < n; j++)
			total += slots(&rg[j], width);
	}
	k = rnd_below(g, total);
	for (j = 0; j < n; j++) {
		uint32_t s = slots(&rg[j], width);

		if (k < s) {
			off = (rg[j].lo + width - 1) / width * width +
			      k * width;
			break;
		}
		k -= s;
	}
	old = get_val(&m->r[i], off, width);
	nv = width == 8 ? ARRAY_SIZE(field_vals) : ARRAY_SIZE(field_vals) - 2;
	for (j = 0; j < 8; j++) {
		k = rnd_below(g, nv + 2);
		if (k < nv)
			val = field_vals[k];
		else
			val = k == nv ? old + 1 : old - 1;
		if (one_in(g, 4)) {
			if (width == 4)
				val = field_vals4[rnd_below(g,
						ARRAY_SIZE(field_vals4))];
			else if (one_in(g, 3))
				val = one_in(g, 2) ? old + 4096 : old - 4096;
			else
				val = field_vals8[rnd_below(g,
						ARRAY_SIZE(field_vals8))];
		}
		if (width == 4)
			val &= 0xffffffffULL;
		if (val != old)
			break;
	}
	put_val(&m->r[i], off, width, val);
	describe(m, "field %s +%#x u%u %#" PRIx64 " -> %#" PRIx64,
		 rec_name(m, i, rn, sizeof(rn)), off, width * 8, old, val);
	return 0;
}

/* ---- structural mutations ------------------------------------------------- */

/* Set the last TAIL's record count to what precedes it now */
static void fix_tail(struct mimg *m)
{
	int i;

	for (i = m->n - 1; i >= 0; i--) {
		struct mrec *r = &m->r[i];

		if (rec_type(r) == CKPT_HDR_TAIL &&
		    r->size >= sizeof(struct ckpt_hdr_tail)) {
			uint64_t nr = i;

			memcpy(r->data + offsetof(struct ckpt_hdr_tail,
						  nr_records), &nr, 8);
			return;
		}
	}
}

static void maybe_fix_tail(struct rng *g, struct mimg *m)
{
	if (rnd_below(g, 4)) {
		fix_tail(m);
		describe(m, ", tail fixed");
	}
}

static int mutate_len(struct rng *g, struct mimg *m)
{
	uint32_t len, nl;
	char rn[64];
	int i;

	i = pick_rec(g, m, NULL);
	if (i < 0)
		return -1;
	touch_rec(m, i);
	len = rec_len(&m->r[i]);
	{
		uint32_t lens[] = {
			0, 7, 8, len - 1, len - 4, len - 8,
			8 + rnd_below(g, len > 8 ? len - 8 : 1),
			len + 1, len + 4, len + 8, len + 4096,
			CKPT_RECORD_MAX, CKPT_RECORD_MAX + 1,
			0x80000000U, 0xffffffffU,
		};

		nl = lens[rnd_below(g, ARRAY_SIZE(lens))];
	}
	if (nl == len)
		nl = len + 1;
	set_u32(&m->r[i], 4, nl);
	describe(m, "len %s %u -> %u", rec_name(m, i, rn, sizeof(rn)), len, nl);
	return 0;
}

static int mutate_resize(struct rng *g, struct mimg *m)
{
	struct mrec *r;
	uint32_t size, ns;
	uint8_t *p, fill;
	char rn[64];
	int i;

	i = pick_rec(g, m, NULL);
	if (i < 0)
		return -1;
	touch_rec(m, i);
	r = &m->r[i];
	size = r->size;
	{
		uint32_t sizes[] = {
			8, size - 1, size - 4, size - 8,
			8 + rnd_below(g, size > 8 ? size - 8 : 1),
			size + 1, size + 4, size + 8, size + 64, size + 4096,
			one_in(g, 2) ? CKPT_RECORD_MAX : CKPT_RECORD_MAX + 8,
		};

		ns = sizes[rnd_below(g, ARRAY_SIZE(sizes))];
	}
	if (ns < 8 || ns > CKPT_RECORD_MAX + 8)
		ns = 8;
	if (ns == size)
		ns = size + 8;
	fill = one_in(g, 2) ? 0 : 0xff;
	p = realloc(r->data, ns);
	if (!p)
		return -1;
	if (ns > size)
		memset(p + size, fill, ns - size);
	r->data = p;
	r->size = ns;
	set_u32(r, 4, ns);
	describe(m, "resize %s %u -> %u bytes", rec_name(m, i, rn, sizeof(rn)),
		 size, ns);
	if (ns > size)
		describe(m, " (%#x fill)", fill);
	return 0;
}

static int mutate_type(struct rng *g, struct mimg *m)
{
	uint32_t old, nt;
	char rn[64], tb[32];
	int i;

	i = pick_rec(g, m, NULL);
	if (i < 0)
		return -1;
	old = rec_type(&m->r[i]);
	if (!one_in(g, 8)) {
		do
			nt = ktypes[rnd_below(g, nr_ktypes)];
		while (nt == old);
	} else {
		/* a number next to a known type, that is no type */
		nt = ktypes[rnd_below(g, nr_ktypes)];
		nt += one_in(g, 2) ? 1 : -1;
		if (known_type(nt))
			nt = one_in(g, 2) ? 0 : 0xffffffffU;
	}
	rec_name(m, i, rn, sizeof(rn));
	touch_rec(m, i);
	if (known_type(nt))
		touch(m, nt);
	set_u32(&m->r[i], 0, nt);
	describe(m, "type %s -> %s", rn, type_name(nt, tb, sizeof(tb)));
	return 0;
}

static int mutate_trunc(struct rng *g, struct mimg *m)
{
	size_t off = 0;
	unsigned int k, i;

	if (m->n < 2)
		return -1;
	k = rnd_below(g, m->n);		/* keep records 0..k-1 */
	touch_rec(m, k);
	for (i = 0; i < k; i++)
		off += m->r[i].size;
	if (one_in(g, 4) && m->r[k].size > 1) {
		off += 1 + rnd_below(g, m->r[k].size - 1);
		describe(m, "trunc inside record #%u at %zu bytes", k, off);
	} else {
		describe(m, "trunc after %u records at %zu bytes", k, off);
	}
	m->cut = off;
	m->cut_set = true;
	return 0;
}

static int mutate_dup(struct rng *g, struct mimg *m)
{
	unsigned int to;
	char rn[64];
	int i;

	i = pick_rec(g, m, NULL);
	if (i < 0)
		return -1;
	to = rnd_below(g, 3) ? (unsigned int)i + 1 : rnd_below(g, m->n + 1);
	rec_name(m, i, rn, sizeof(rn));
	touch_rec(m, i);
	if (mimg_insert(m, to, m->r[i].data, m->r[i].size, m->r[i].orig))
		return -1;
	describe(m, "dup %s to #%u", rn, to);
	maybe_fix_tail(g, m);
	return 0;
}

static int mutate_del(struct rng *g, struct mimg *m)
{
	char rn[64];
	int i;

	i = pick_rec(g, m, NULL);
	if (i < 0)
		return -1;
	describe(m, "del %s", rec_name(m, i, rn, sizeof(rn)));
	touch_rec(m, i);
	mimg_delete(m, i);
	maybe_fix_tail(g, m);
	return 0;
}

static int mutate_swap(struct rng *g, struct mimg *m)
{
	char rn[64], rn2[64];
	unsigned int j;
	struct mrec t;
	int i;

	i = pick_rec(g, m, NULL);
	if (i < 0 || m->n < 2)
		return -1;
	if (rnd_below(g, 3))
		j = (unsigned int)i + 1 < m->n ? (unsigned int)i + 1 :
		    (unsigned int)i - 1;
	else
		do
			j = rnd_below(g, m->n);
		while (j == (unsigned int)i);
	describe(m, "swap %s with %s", rec_name(m, i, rn, sizeof(rn)),
		 rec_name(m, j, rn2, sizeof(rn2)));
	touch_rec(m, i);
	touch_rec(m, j);
	t = m->r[i];
	m->r[i] = m->r[j];
	m->r[j] = t;
	maybe_fix_tail(g, m);
	return 0;
}

/* ---- OBJREF mutations --------------------------------------------------- */

static bool is_objref(const struct mimg *m, unsigned int i)
{
	return rec_type(&m->r[i]) == CKPT_HDR_OBJREF &&
	       m->r[i].size >= sizeof(struct ckpt_hdr_objref);
}

static bool is_object(const struct mimg *m, unsigned int i)
{
	const struct otype *ot = obj_type_of(rec_type(&m->r[i]));

	return ot && m->r[i].size >= ot->off + 4;
}

struct obj {
	int32_t tag;
	uint32_t obj;
	unsigned int rec;
};

/* The objects the image defines, in order; returns how many */
static unsigned int collect_objs(const struct mimg *m, struct obj *objs,
				 unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < m->n && n < max; i++) {
		const struct otype *ot;

		if (!is_object(m, i))
			continue;
		ot = obj_type_of(rec_type(&m->r[i]));
		memcpy(&objs[n].tag, m->r[i].data + ot->off, 4);
		objs[n].obj = ot->obj;
		objs[n].rec = i;
		n++;
	}
	return n;
}

/*
 * An object of another type than obj, defined before record `before`
 * when there is one (three times in four), else anywhere; NULL if none.
 */
static const struct obj *other_obj(struct rng *g, const struct obj *objs,
				   unsigned int n, uint32_t obj,
				   unsigned int before)
{
	unsigned int i, cnt = 0, k;
	bool early = rnd_below(g, 4) != 0;

again:
	for (i = 0; i < n; i++)
		if (objs[i].obj != obj && (!early || objs[i].rec < before))
			cnt++;
	if (!cnt) {
		if (!early)
			return NULL;
		early = false;
		goto again;
	}
	k = rnd_below(g, cnt);
	for (i = 0; i < n; i++)
		if (objs[i].obj != obj && (!early || objs[i].rec < before) &&
		    k-- == 0)
			return &objs[i];
	return NULL;
}

static int mutate_objref(struct rng *g, struct mimg *m)
{
	struct obj objs[512];
	const struct obj *o;
	struct ckpt_hdr_objref ref;
	unsigned int n, k;
	int32_t max_tag = 0;
	char rn[64];
	int i;

	n = collect_objs(m, objs, ARRAY_SIZE(objs));
	for (k = 0; k < n; k++)
		if (objs[k].tag > max_tag)
			max_tag = objs[k].tag;

	i = pick_rec(g, m, is_objref);
	if (i >= 0 && rnd_below(g, 4)) {
		struct mrec *r = &m->r[i];

		memcpy(&ref, r->data, sizeof(ref));
		rec_name(m, i, rn, sizeof(rn));
		touch_rec(m, i);
		switch (rnd_below(g, 4)) {
		case 0:
		case 1:
			/* at an object of another type */
			o = other_obj(g, objs, n, ref.objtype, i);
			if (!o)
				return -1;
			describe(m, "objref %s (tag %d type %u) -> tag %d of type %u",
				 rn, ref.objref, ref.objtype, o->tag, o->obj);
			ref.objref = o->tag;
			if (one_in(g, 2)) {
				ref.objtype = o->obj;
				describe(m, ", objtype too");
			}
			break;
		case 2:
			/* another objtype, the same tag */
			k = rnd_below(g, CKPT_OBJ_MAX + 2);
			if (k == ref.objtype)
				k = k ? 0 : 1;
			describe(m, "objref %s (tag %d) objtype %u -> %u",
				 rn, ref.objref, ref.objtype, k);
			ref.objtype = k;
			break;
		default: {
			/* a tag never defined, or defined only later */
			int32_t tags[] = { 0, -1, max_tag + 1, INT_MAX,
					   INT_MIN, ref.objref + 1000 };

			k = rnd_below(g, ARRAY_SIZE(tags) + 1);
			o = NULL;
			if (k == ARRAY_SIZE(tags)) {
				for (k = 0; k < n; k++)
					if (objs[k].rec > (unsigned int)i) {
						o = &objs[k];
						break;
					}
				k = 2;
			}
			describe(m, "objref %s (tag %d type %u) -> %s tag %d",
				 rn, ref.objref, ref.objtype,
				 o ? "later" : "undefined",
				 o ? o->tag : tags[k]);
			ref.objref = o ? o->tag : tags[k];
			break;
		}
		}
		memcpy(r->data, &ref, sizeof(ref));
		return 0;
	}

	/* an object record */
	i = pick_rec(g, m, is_object);
	if (i < 0)
		return -1;
	rec_name(m, i, rn, sizeof(rn));
	touch_rec(m, i);
	{
		const struct otype *ot = obj_type_of(rec_type(&m->r[i]));
		int32_t tag;

		memcpy(&tag, m->r[i].data + ot->off, 4);
		o = other_obj(g, objs, n, ot->obj, i);
		if (!o)
			return -1;
		if (one_in(g, 2)) {
			/* replaced by an OBJREF to another type's object */
			memset(&ref, 0, sizeof(ref));
			ref.h.type = CKPT_HDR_OBJREF;
			ref.h.len = sizeof(ref);
			ref.objref = o->tag;
			ref.objtype = rnd_below(g, 4) ? ot->obj : o->obj;
			describe(m, "objref: %s (tag %d) replaced by OBJREF tag %d objtype %u (an object of type %u)",
				 rn, tag, o->tag, ref.objtype, o->obj);
			mimg_delete(m, i);
			if (mimg_insert(m, i, (uint8_t *)&ref, sizeof(ref), -1))
				return -1;
			maybe_fix_tail(g, m);
		} else {
			/* takes the tag of another object */
			describe(m, "objref: %s tag %d -> %d (the tag of an object of type %u)",
				 rn, tag, o->tag, o->obj);
			memcpy(m->r[i].data + ot->off, &o->tag, 4);
		}
	}
	return 0;
}

/* ---- paths ---------------------------------------------------------------- */

/*
 * Paths a STRING may name instead: files and directories a user may not
 * open so (or not at all), special files, odd forms.
 */
static const char *const paths[] = {
	"/", "/etc", "/etc/passwd", "/init", "/usr/bin/restart",
	"/proc/1/mem", "/proc/self/mem", "/proc/1/environ", "/proc/kcore",
	"/proc/sysrq-trigger", "/dev/kmsg", "/dev/mem", "/dev/null",
	"/dev/tty", "/dev/console", "/sys/fs/cgroup/cgroup.procs",
	"/sys/kernel", "/tmp", "/run", "/nonexistent", "", "relative/path",
	"..", "/tmp/../etc/passwd", "/proc/self/fd/0", "/proc/self/exe",
};

static bool is_string(const struct mimg *m, unsigned int i)
{
	return rec_type(&m->r[i]) == CKPT_HDR_STRING;
}

static int mutate_path(struct rng *g, struct mimg *m)
{
	char old[48], rn[64], *p;
	struct mrec *r;
	size_t len;
	uint8_t *d;
	int i;

	i = pick_rec(g, m, is_string);
	if (i < 0)
		return -1;
	touch_rec(m, i);
	r = &m->r[i];
	if (one_in(g, 8)) {
		/* longer than PATH_MAX, or with a component above NAME_MAX */
		len = one_in(g, 2) ? PATH_MAX + 8 : NAME_MAX + 8;
		p = malloc(len + 1);
		if (!p)
			return -1;
		memset(p, 'a', len);
		for (size_t k = 0; len > NAME_MAX + 8 && k < len; k += 2)
			p[k] = '/';
		p[0] = '/';
		p[len] = 0;
	} else {
		p = strdup(paths[rnd_below(g, ARRAY_SIZE(paths))]);
		if (!p)
			return -1;
		len = strlen(p);
	}
	snprintf(old, sizeof(old), "%.*s", (int)(r->size > 8 ? r->size - 8 : 0),
		 (char *)r->data + 8);
	d = realloc(r->data, 8 + len + 1);
	if (!d) {
		free(p);
		return -1;
	}
	memcpy(d + 8, p, len + 1);
	r->data = d;
	r->size = 8 + len + 1;
	set_u32(r, 4, r->size);
	describe(m, "path %s \"%s\" -> \"%.40s%s\"",
		 rec_name(m, i, rn, sizeof(rn)), old, p, len > 40 ? "..." : "");
	free(p);
	return 0;
}

/* ---- records of another image -------------------------------------------- */

static int mutate_splice(struct rng *g, struct mimg *m);

/* ---- a case's mutation ----------------------------------------------------- */

enum op {
	OP_FIELD, OP_MULTI, OP_LEN, OP_RESIZE, OP_TYPE, OP_TRUNC, OP_DUP,
	OP_DEL, OP_SWAP, OP_OBJREF, OP_SPLICE, OP_PATH, OP_NR
};

/* The mutations and how often each is chosen (--ops keeps some) */
static struct {
	const char *name;
	int (*fn)(struct rng *g, struct mimg *m);
	unsigned int weight;
} ops[OP_NR] = {
	[OP_FIELD]	= { "field", mutate_field, 30 },
	[OP_MULTI]	= { "multi", NULL, 8 },
	[OP_LEN]	= { "len", mutate_len, 8 },
	[OP_RESIZE]	= { "resize", mutate_resize, 8 },
	[OP_TYPE]	= { "type", mutate_type, 8 },
	[OP_TRUNC]	= { "trunc", mutate_trunc, 6 },
	[OP_DUP]	= { "dup", mutate_dup, 6 },
	[OP_DEL]	= { "del", mutate_del, 6 },
	[OP_SWAP]	= { "swap", mutate_swap, 6 },
	[OP_OBJREF]	= { "objref", mutate_objref, 10 },
	[OP_SPLICE]	= { "splice", mutate_splice, 5 },
	[OP_PATH]	= { "path", mutate_path, 6 },
};

static const char *op_name(unsigned int i)
{
	return ops[i].name;
}

/* --ops a,b,c: only these mutations; false if a name is unknown */
static bool keep_ops(const char *list)
{
	unsigned int keep = name_mask(list, OP_NR, op_name), i;

	if (!keep)
		return false;
	for (i = 0; i < OP_NR; i++)
		if (!(keep & (1U << i)))
			ops[i].weight = 0;
	return true;
}

static int mutate(struct rng *g, struct mimg *m)
{
	unsigned int total = 0, k, i, nr;
	int tries;

	for (i = 0; i < OP_NR; i++)
		total += ops[i].weight;
	for (tries = 0; tries < 16; tries++) {
		k = rnd_below(g, total);
		for (i = 0; k >= ops[i].weight; i++)
			k -= ops[i].weight;
		if (i != OP_MULTI) {
			nr = m->nr_touched;
			if (!ops[i].fn(g, m))
				return 0;
			m->nr_touched = nr;	/* nothing mutated */
			continue;
		}
		nr = 2 + rnd_below(g, 3);
		describe(m, "multi %u: ", nr);
		for (k = 0; k < nr; k++) {
			if (k)
				describe(m, "; ");
			if (mutate_field(g, m))
				return -1;
		}
		return 0;
	}
	return -1;
}

/*
 * A record of another base image, in place of one of the same type or
 * inserted anywhere: a tree's records in a single process's image, root's
 * credentials in a user's, objects that do not fit.
 */
static int mutate_splice(struct rng *g, struct mimg *m)
{
	struct mimg o = { 0 };
	const struct base *b;
	unsigned int k, nb = 0, at;
	char rn[64], on[64];
	int i, j = -1;

	for (k = 0; k < ARRAY_SIZE(bases); k++)
		nb += bases[k].ok;
	if (!nb)
		return -1;
	nb = rnd_below(g, nb);
	for (k = 0; k < ARRAY_SIZE(bases); k++)
		if (bases[k].ok && nb-- == 0)
			break;
	b = &bases[k];
	if (walk_image(b->buf, b->size, &o) < 0)
		goto fail;
	i = pick_rec(g, &o, NULL);
	if (i < 0)
		goto fail;
	rec_name(&o, i, on, sizeof(on));
	touch(m, rec_type(&o.r[i]));
	if (one_in(g, 2)) {
		/* in place of a record of its type, if there is one */
		for (k = 0; k < m->n; k++)
			if (rec_type(&m->r[k]) == rec_type(&o.r[i]) &&
			    (j < 0 || one_in(g, 2)))
				j = k;
	}
	if (j >= 0) {
		describe(m, "splice %s of %s in place of %s", on, b->name,
			 rec_name(m, j, rn, sizeof(rn)));
		touch_rec(m, j);
		mimg_delete(m, j);
		at = j;
	} else {
		at = rnd_below(g, m->n + 1);
		describe(m, "splice %s of %s in at #%u", on, b->name, at);
	}
	if (mimg_insert(m, at, o.r[i].data, o.r[i].size, -1))
		goto fail;
	mimg_free(&o);
	maybe_fix_tail(g, m);
	return 0;
fail:
	mimg_free(&o);
	return -1;
}

/* ---- cgroups ------------------------------------------------------------ */

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return cr_write_str(path, val);
}

static bool cg_populated(const char *cg)
{
	char path[PATH_MAX + 32], buf[256];

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	if (cr_read_str(path, buf, sizeof(buf)) <= 0)
		return false;
	return !strstr(buf, "populated 0");
}

/* Wait up to ms until the cgroup has no task left, reaping; true if so */
static bool cg_wait_empty(const char *cg, long ms)
{
	long waited;

	for (waited = 0; ; waited += 10) {
		reap_all();
		if (!cg_populated(cg))
			return true;
		if (waited >= ms)
			return false;
		cr_sleep_ms(10);
	}
}

static int cg_wait_frozen(const char *cg, long ms)
{
	char path[PATH_MAX + 32], buf[256];
	long waited;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	for (waited = 0; waited <= ms; waited += 10) {
		if (cr_read_str(path, buf, sizeof(buf)) > 0 &&
		    strstr(buf, "frozen 1"))
			return 0;
		cr_sleep_ms(10);
	}
	return -1;
}

/* The thread ids in the cgroup; returns how many (at most max) */
static int cg_threads(const char *cg, pid_t *tids, int max)
{
	char path[PATH_MAX + 32], buf[8192], *p, *end;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.threads", cg);
	if (cr_read_str(path, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; *p && n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0)
			tids[n++] = v;
	}
	return n;
}

/* What the tasks of a cgroup are doing (for timeouts and leftovers) */
static void cg_show(const char *prefix, const char *cg)
{
	char path[128], buf[4096], stat[512], *line, *save;
	pid_t tids[64];
	int i, n;

	n = cg_threads(cg, tids, ARRAY_SIZE(tids));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", tids[i]);
		cr_read_str(path, stat, sizeof(stat));
		stat[strcspn(stat, "\n")] = 0;
		snprintf(path, sizeof(path), "/proc/%d/wchan", tids[i]);
		cr_read_str(path, buf, sizeof(buf));
		printf("%s: task %d: %.80s wchan %s\n", prefix, tids[i], stat,
		       buf);
		snprintf(path, sizeof(path), "/proc/%d/stack", tids[i]);
		if (cr_read_str(path, buf, sizeof(buf)) > 0) {
			save = NULL;
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				printf("%s:   %s\n", prefix, line);
		}
	}
	if (n == ARRAY_SIZE(tids))
		printf("%s: ... (more tasks)\n", prefix);
}

/* Kill a cgroup's tasks and remove it; false if it does not empty */
static bool cg_kill(const char *cg)
{
	bool empty;
	int i;

	cg_write(cg, "cgroup.kill", "1");
	cg_write(cg, "cgroup.freeze", "0");
	empty = cg_wait_empty(cg, KILL_MS);
	for (i = 0; i < 100 && empty; i++) {
		if (!rmdir(cg) || errno == ENOENT)
			break;
		cr_sleep_ms(10);
	}
	return empty;
}

/* ---- kernel log ------------------------------------------------------------ */

static const char *const kpatterns[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "Call Trace",
	"blocked for more than", "stall", "UBSAN", "KASAN", "soft lockup",
	"kernel BUG", "Kernel panic", "unreferenced object",
};

/*
 * A line of a kernel problem. Not the reports of user space faults
 * ("traps: prog[pid] general protection fault ip:... sp:...", "prog[pid]:
 * segfault at ...") that a restored task with a mutated image may well
 * cause: a kernel general protection fault is an oops ("... [#1] ...").
 */
static bool kline_bad(const char *line)
{
	unsigned int i;

	if (!strncmp(line, "traps: ", 7) || strstr(line, "]: segfault at "))
		return false;
	for (i = 0; i < ARRAY_SIZE(kpatterns); i++)
		if (strstr(line, kpatterns[i]))
			return strcmp(kpatterns[i], "general protection") ||
			       strstr(line, "[#");
	return false;
}

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		fprintf(stderr, "cr_fuzz: /dev/kmsg: %s: kernel problems will not be seen\n",
			strerror(errno));
	else
		lseek(kmsg_fd, 0, SEEK_END);
}

/*
 * Read what the kernel logged since the last call; print it all, with
 * prefix, when a line looks like a kernel problem. Returns the number of
 * such lines.
 */
static int kmsg_check(const char *prefix)
{
	static char *lines;
	static size_t cap;
	size_t len = 0;
	char rec[8192], *msg, *line, *save = NULL;
	int bad = 0, shown = 0;
	ssize_t n;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten: go on with the next */
		if (n <= 0)
			break;
		rec[n] = 0;
		/* "prio,seq,time,flags;message\n" + " KEY=value" lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (kline_bad(msg))
			bad++;
		if (len + strlen(msg) + 2 > cap) {
			cap = (len + strlen(msg) + 2) * 2;
			lines = realloc(lines, cap);
			if (!lines)
				return bad;
		}
		len += sprintf(lines + len, "%s\n", msg);
	}
	if (!bad || !len)
		return bad;
	for (line = strtok_r(lines, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (++shown > KMSG_SHOW) {
			printf("%s: kernel: ... (more)\n", prefix);
			break;
		}
		printf("%s: kernel: %s\n", prefix, line);
	}
	return bad;
}

/* With kmemleak, forget what it found before us */
static void kmemleak_init(void)
{
	if (access(KMEMLEAK, F_OK) && !access("/sys/kernel/debug", F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (!access(KMEMLEAK, W_OK))
		cr_write_str(KMEMLEAK, "clear");
}

/* kmemleak: scan, count (and show) the reports, clear. -1 without it */
static int kmemleak_scan(const char *prefix)
{
	char *buf, *line, *save = NULL;
	int bad = 0, shown = 0;
	size_t len;

	if (access(KMEMLEAK, W_OK))
		return -1;
	if (cr_write_str(KMEMLEAK, "scan"))
		return -1;
	buf = cr_read_whole(KMEMLEAK, &len);
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "unreferenced object"))
			bad++;
		if (++shown <= KMSG_SHOW)
			printf("%s: kmemleak: %s\n", prefix, line);
	}
	free(buf);
	cr_write_str(KMEMLEAK, "clear");
	return bad;
}

/* ---- workloads (run by this binary again, with WL_FLAG) ------------------- */

static void sleep_forever(void)
{
	for (;;)
		cr_sleep_ms(1000);
}

static int wl_thread_up;

static void *wl_thread(void *arg)
{
	__atomic_store_n(&wl_thread_up, 1, __ATOMIC_RELEASE);
	sleep_forever();
	return NULL;
}

/* Tell make_base() why the workload could not set itself up */
static int wl_fail(const char *what)
{
	dprintf(3, "E%s: %s", what, strerror(errno));
	return 65;
}

/* A POSIX timer (signal 40), armed: @ns to go, or a time with ABSTIME */
static int fuzz_timer(clockid_t clock, int notify, int flags, long long ns)
{
	struct sigevent ev = { .sigev_notify = notify, .sigev_signo = 40 };
	struct itimerspec it = {
		.it_value = { ns / 1000000000, ns % 1000000000 },
		.it_interval = { 0, notify == SIGEV_NONE ? 0 : ns },
	};
	timer_t t;

	if (syscall(SYS_timer_create, clock, &ev, &t))
		return -1;
	return syscall(SYS_timer_settime, t, flags, &it, NULL);
}

#define IPC_KEY		0x43520f00	/* the keys of the ipc workload's objects */
#define MSG_BIG		5000		/* its largest message: more than a page */

union wl_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/*
 * The SysV IPC of the ipc workload, in its own IPC namespace: a segment
 * of 3 pages with contents, attached (and so in the children, which fork
 * later); a second one attached and removed (IPC_RMID); an array of 4
 * semaphores with values, and SEM_UNDO adjustments of the root (that its
 * thread, created later, shares); a queue holding 3 messages, one of
 * MSG_BIG bytes. The id of the first segment, or -1 (errno set).
 */
/*
 * The container's own network namespace: lo up with another MTU (NET_NS
 * and NET_ADDRs), and a TCP connection to itself over loopback with data
 * unread both ways (INET_SOCKs of state PAIRED, a TCP_PAIR, TCP_CONNs
 * and TCP_DATAs) at fds 34 and 35.
 */
static int wl_net(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_DGRAM, 0), l, ret;

	ret = s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ret = ret || ioctl(s, SIOCSIFFLAGS, &ifr);
	ifr.ifr_mtu = 32768;
	ret = ret || ioctl(s, SIOCSIFMTU, &ifr);
	close(s);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (ret || l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len) ||
	    dup2(socket(AF_INET, SOCK_STREAM, 0), 34) != 34 ||
	    connect(34, (void *)&a, sizeof(a)) ||
	    dup2(accept(l, NULL, NULL), 35) != 35 ||
	    write(34, "to 35", 5) != 5 || write(35, "to 34!", 6) != 6)
		return -1;
	close(l);
	return 0;
}

static int wl_ipc(void)
{
	static const size_t sizes[3] = { 16, 300, MSG_BIG };
	static struct {
		long mtype;
		char mtext[MSG_BIG];
	} msg;
	unsigned short vals[4] = { 3, 5, 7, 9 };
	union wl_semun arg = { .array = vals };
	struct sembuf sops[2] = {
		{ .sem_num = 1, .sem_op = -2, .sem_flg = SEM_UNDO },
		{ .sem_num = 2, .sem_op = 4, .sem_flg = SEM_UNDO },
	};
	int shm, gone, sem, msq, k;
	char *a;

	shm = shmget(IPC_KEY, 3 * 4096, IPC_CREAT | IPC_EXCL | 0640);
	a = shm < 0 ? (void *)-1 : shmat(shm, NULL, 0);
	if (a == (void *)-1)
		return -1;
	for (k = 0; k < 3 * 4096; k++)
		a[k] = 'A' + k % 23;
	gone = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	a = gone < 0 ? (void *)-1 : shmat(gone, NULL, 0);
	if (a == (void *)-1)
		return -1;
	a[100] = 'g';
	if (shmctl(gone, IPC_RMID, NULL))
		return -1;
	sem = semget(IPC_KEY + 1, 4, IPC_CREAT | IPC_EXCL | 0600);
	if (sem < 0 || semctl(sem, 0, SETALL, arg) || semop(sem, sops, 2))
		return -1;
	msq = msgget(IPC_KEY + 2, IPC_CREAT | IPC_EXCL | 0600);
	if (msq < 0)
		return -1;
	for (k = 0; k < 3; k++) {
		msg.mtype = k + 1;
		memset(msg.mtext, 'a' + k, sizes[k]);
		if (msgsnd(msq, &msg, sizes[k], IPC_NOWAIT))
			return -1;
	}
	return shm;
}

/* argv: WL_FLAG single|tree|ipc DATAFILE; fd 3 is the ready pipe */
static int workload(int argc, char **argv)
{
	bool ipc = argc > 2 && !strcmp(argv[2], "ipc");
	bool tree = ipc || (argc > 2 && !strcmp(argv[2], "tree"));
	const char *data = argc > 3 ? argv[3] : "";
	int fd, sync[2], k, shm;
	sigset_t tset;
	pthread_t th;
	char *mem, *shared, c, del[PATH_MAX], ino_name[64];
	struct sockaddr_un un = { 0 };
	/* timerfd, epoll watches, sockets and locks of the tree workload */
	const struct itimerspec tfd_hour = {
		.it_value = { 3600, 0 }, .it_interval = { 1, 0 } };
	struct epoll_event ev_in = { .events = EPOLLIN | EPOLLET, .data.u64 = 25 };
	struct epoll_event ev_out = { .events = EPOLLOUT, .data.u64 = 28 };
	struct sockaddr_in any4 = { .sin_family = AF_INET };
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
	struct flock rdlock = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
				.l_start = 0, .l_len = 4096 };

	if (getuid() && prctl(PR_SET_DUMPABLE, 1))
		return wl_fail("PR_SET_DUMPABLE");
	mem = mmap(NULL, WL_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return wl_fail("mmap");
	for (k = 0; k < WL_MEM; k++)
		mem[k] = k * 7 + 1;
	fd = open(data, O_RDWR);
	if (fd < 0 || lseek(fd, tree ? 4321 : 1234, SEEK_SET) < 0)
		return wl_fail(data);
	if (tree) {
		/* shared anonymous memory: a SHMEM record and OBJREFs to it */
		shared = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shared == MAP_FAILED)
			return wl_fail("mmap shared");
		shared[0] = 's';
		shared[2 * 4096] = 'S';
		/* a sealed memfd, mapped, and a deleted file: FILE_DATA */
		k = memfd_create("cr_fuzz", MFD_ALLOW_SEALING);
		if (k < 0 || dup2(k, 20) != 20 || ftruncate(20, 8192) ||
		    pwrite(20, "memfd", 5, 4096) != 5 ||
		    mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, 20,
			 0) == MAP_FAILED ||
		    fcntl(20, F_ADD_SEALS, F_SEAL_SHRINK))
			return wl_fail("memfd");
		close(k);
		/* in /tmp: a user workload may not write beside its data */
		snprintf(del, sizeof(del), "/tmp/cr_fuzz.deleted.%d", getpid());
		k = open(del, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (k < 0 || dup2(k, 21) != 21 || write(21, "gone", 4) != 4 ||
		    unlink(del))
			return wl_fail("deleted file");
		close(k);
		/*
		 * a packet mode pipe holding two packets, 8 pages big, its
		 * ends inherited by the children: PIPE, PIPE_BUF and OBJREFs;
		 * a FIFO open for reading and writing, holding data: PIPE
		 * with its path; EVENTFD and SIGNALFD
		 */
		if (pipe2(sync, O_DIRECT) || dup2(sync[0], 22) != 22 ||
		    dup2(sync[1], 23) != 23 || write(23, "pkt", 3) != 3 ||
		    write(23, "data", 4) != 4 ||
		    fcntl(23, F_SETPIPE_SZ, 8 * 4096) < 0)
			return wl_fail("pipe");
		close(sync[0]);
		close(sync[1]);
		snprintf(del, sizeof(del), "/tmp/cr_fuzz.fifo.%d", getpid());
		unlink(del);
		k = mkfifo(del, 0600) ? -1 : open(del, O_RDWR);
		if (k < 0 || dup2(k, 24) != 24 || write(24, "fifo", 4) != 4)
			return wl_fail("FIFO");
		close(k);
		if (sigemptyset(&tset) || sigaddset(&tset, SIGUSR1) ||
		    dup2(eventfd(5, EFD_SEMAPHORE), 25) != 25 ||
		    dup2(signalfd(-1, &tset, SFD_NONBLOCK), 26) != 26)
			return wl_fail("eventfd, signalfd");
		/*
		 * TIMERFD; a datagram socketpair with two messages queued
		 * and a stream pair whose other end is closed, with data:
		 * UNIX_FILE, UNIX_PAIR, UNIX_SOCK and UNIX_SKB records
		 */
		k = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
		if (k < 0 || dup2(k, 27) != 27 ||
		    timerfd_settime(27, 0, &tfd_hour, NULL))
			return wl_fail("timerfd");
		close(k);
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sync) ||
		    dup2(sync[0], 28) != 28 || dup2(sync[1], 29) != 29 ||
		    send(28, "dgram", 5, 0) != 5 || send(29, "", 0, 0) != 0)
			return wl_fail("socketpair");
		close(sync[0]);
		close(sync[1]);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sync) ||
		    dup2(sync[0], 30) != 30 || write(sync[1], "bye", 3) != 3)
			return wl_fail("socketpair");
		close(sync[0]);
		close(sync[1]);
		/*
		 * EPOLL and EPOLL_WATCHes (the eventfd, a socket); INET_SOCK:
		 * a UDP socket bound and a TCP listener, on any address
		 */
		k = epoll_create1(0);
		if (k < 0 || dup2(k, 31) != 31 ||
		    epoll_ctl(31, EPOLL_CTL_ADD, 25, &ev_in) ||
		    epoll_ctl(31, EPOLL_CTL_ADD, 28, &ev_out))
			return wl_fail("epoll");
		close(k);
		k = socket(AF_INET, SOCK_DGRAM, 0);
		if (k < 0 || dup2(k, 32) != 32 ||
		    bind(32, (void *)&any4, sizeof(any4)))
			return wl_fail("UDP");
		close(k);
		k = socket(AF_INET6, SOCK_STREAM, 0);
		if (k < 0 || dup2(k, 33) != 33 ||
		    bind(33, (void *)&any6, sizeof(any6)) || listen(33, 5))
			return wl_fail("TCP");
		close(k);
		/*
		 * INOTIFY: watches on the root and on /tmp (INOTIFY_WATCH
		 * and STRING), events not read (INOTIFY_EVENT, with a name)
		 */
		k = inotify_init1(IN_NONBLOCK);
		if (k < 0 || dup2(k, 36) != 36 ||
		    inotify_add_watch(36, "/", IN_ATTRIB | IN_ONESHOT) < 0 ||
		    inotify_add_watch(36, "/tmp", IN_CREATE | IN_DELETE) < 0)
			return wl_fail("inotify");
		close(k);
		snprintf(ino_name, sizeof(ino_name), "/tmp/cr_fuzz_ino.%d",
			 getpid());
		k = open(ino_name, O_CREAT | O_WRONLY, 0600);
		if (k < 0 || close(k) || unlink(ino_name))
			return wl_fail("inotify event");
		/*
		 * UNIX_LISTEN, UNIX_ADDR: a unix listener bound to a path,
		 * a connection accepted from it (a UNIX_PAIR whose accepted
		 * end shows the path) and one waiting
		 */
		un.sun_family = AF_UNIX;
		snprintf(un.sun_path, sizeof(un.sun_path),
			 "/tmp/cr_fuzz_unix.%d", getpid());
		unlink(un.sun_path);
		k = socket(AF_UNIX, SOCK_STREAM, 0);
		if (k < 0 || dup2(k, 37) != 37 ||
		    bind(37, (void *)&un, sizeof(un)) || listen(37, 2))
			return wl_fail("unix listener");
		close(k);
		k = socket(AF_UNIX, SOCK_STREAM, 0);
		if (k < 0 || dup2(k, 38) != 38 ||
		    connect(38, (void *)&un, sizeof(un)))
			return wl_fail("unix connect");
		close(k);
		k = accept(37, NULL, NULL);
		if (k < 0 || dup2(k, 39) != 39 || write(39, "hi", 2) != 2)
			return wl_fail("unix accept");
		close(k);
		/* UNIX_LISTEN: a connection waiting, with data */
		k = socket(AF_UNIX, SOCK_STREAM, 0);
		if (k < 0 || dup2(k, 40) != 40 ||
		    connect(40, (void *)&un, sizeof(un)) ||
		    write(40, "wait", 4) != 4)
			return wl_fail("unix connection waiting");
		close(k);
		/* locks: FILE_LOCK records of a file and of the table */
		if (flock(21, LOCK_EX) || fcntl(20, F_SETLK, &rdlock))
			return wl_fail("locks");
		/*
		 * POSIX_TIMER records: one whose blocked signal is pending
		 * (a SIGINFO of its own), one at a CLOCK_REALTIME time, one
		 * on the process's CPU time; the thread inherits the mask
		 */
		if (sigemptyset(&tset) || sigaddset(&tset, 40) ||
		    sigprocmask(SIG_BLOCK, &tset, NULL) ||
		    fuzz_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, 0, 1000000) ||
		    fuzz_timer(CLOCK_REALTIME, SIGEV_NONE, TIMER_ABSTIME,
			       (long long)time(NULL) * 1000000000LL +
			       3600000000000LL) ||
		    fuzz_timer(CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0,
			       60000000000LL))
			return wl_fail("timers");
		/* SysV IPC, before the thread: it shares the SEM_UNDOs */
		shm = ipc ? wl_ipc() : 0;
		if (shm < 0)
			return wl_fail("SysV IPC");
		if (ipc && wl_net())
			return wl_fail("network namespace");
		usleep(5000);
		if (pipe(sync))
			return wl_fail("pipe");
		errno = pthread_create(&th, NULL, wl_thread, NULL);
		if (errno)
			return wl_fail("pthread_create");
		for (k = 0; k < 2; k++) {
			pid_t pid = fork();

			if (pid < 0)
				return wl_fail("fork");
			if (pid)
				continue;
			close(3);
			close(sync[0]);
			if (k == 1)
				setpgid(0, 0);
			/* a read-only attach of its own, beside the inherited */
			if (k == 0 && ipc &&
			    shmat(shm, NULL, SHM_RDONLY) == (void *)-1)
				_exit(65);
			mem[k * 4096] = 'c';	/* a page of its own */
			if (write(sync[1], "c", 1) != 1)
				_exit(65);
			close(sync[1]);
			sleep_forever();
		}
		close(sync[1]);
		for (k = 0; k < 2; k++)
			if (read(sync[0], &c, 1) != 1)
				return wl_fail("a child died");
		close(sync[0]);
		while (!__atomic_load_n(&wl_thread_up, __ATOMIC_ACQUIRE))
			cr_sleep_ms(1);
	}
	if (write(3, "R", 1) != 1)
		return 65;
	close(3);
	sleep_forever();
	return 0;
}

/* ---- base images --------------------------------------------------------------- */

/*
 * fork(), the child the init of new pid, IPC and network namespaces (as the
 * restart tool makes a container's root): it must exec or _exit() soon,
 * the C library not knowing about it
 */
static pid_t fork_ns(void)
{
	return syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET |
		       SIGCHLD, NULL, NULL, NULL, NULL);
}

static int make_base(struct base *b)
{
	char cg[PATH_MAX], img[PATH_MAX], log[PATH_MAX], data[PATH_MAX];
	char *buf, msg[256];
	int p[2], fd, logfd, status, nr;
	size_t len;
	long ret;
	pid_t pid;

	snprintf(cg, sizeof(cg), "%s/base-%s", cg_top, b->name);
	snprintf(img, sizeof(img), "%s/base-%s.img", opt.workdir, b->name);
	snprintf(log, sizeof(log), "%s/base-%s.log", opt.workdir, b->name);
	snprintf(data, sizeof(data), "%s/data-%s", opt.workdir, b->name);
	if (mkdir(cg, 0755) && errno != EEXIST) {
		printf("cr_fuzz: mkdir %s: %s\n", cg, strerror(errno));
		return -1;
	}
	buf = malloc(DATA_LEN);
	if (!buf)
		return -1;
	for (len = 0; len < DATA_LEN; len++)
		buf[len] = 'a' + len % 26;
	fd = open(data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || cr_write_all(fd, buf, DATA_LEN) ||
	    fchown(fd, b->uid, b->uid)) {
		printf("cr_fuzz: %s: %s\n", data, strerror(errno));
		free(buf);
		return -1;
	}
	close(fd);
	free(buf);

	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	/* a container's workload: the init of new pid, IPC and network namespaces */
	pid = b->container ? fork_ns() : fork();
	if (pid < 0) {
		printf("cr_fuzz: base %s: %s: %s\n", b->name,
		       b->container ? "clone" : "fork", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		if (cg_write(cg, "cgroup.procs", "0") || nul < 0 ||
		    dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 ||
		    dup2(p[1], 3) < 0)
			_exit(65);
		if (b->uid && become(b->uid))
			_exit(65);
		execl(self_exe, "cr_fuzz", WL_FLAG, b->container ? "ipc" :
		      b->tree ? "tree" : "single", data, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	ret = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	if (ret != 1 || msg[0] != 'R') {
		msg[ret > 1 ? ret : 1] = 0;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		cg_kill(cg);
		printf("cr_fuzz: base %s: the workload failed (status %#x): %s\n",
		       b->name, status, ret > 1 ? msg + 1 : "died");
		return -1;
	}
	cr_sleep_ms(100);	/* everyone asleep */
	if (cg_write(cg, "cgroup.freeze", "1") || cg_wait_frozen(cg, 10000)) {
		printf("cr_fuzz: base %s: cannot freeze %s\n", b->name, cg);
		cg_kill(cg);
		return -1;
	}
	fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	/* a container is checkpointed whole: it may share nothing outside */
	ret = syscall(__NR_checkpoint, pid, fd,
		      b->tree && !b->container ? CHECKPOINT_SUBTREE : 0, logfd);
	if (ret <= 0)
		printf("cr_fuzz: base %s: checkpoint(%d): %s (log %s)\n",
		       b->name, pid, strerror(errno), log);
	close(fd);
	close(logfd);
	if (!cg_kill(cg))
		printf("cr_fuzz: base %s: the workload does not die\n", b->name);
	waitpid(pid, &status, 0);
	reap_all();
	if (ret <= 0)
		return -1;

	b->buf = cr_read_whole(img, &b->size);
	if (!b->buf)
		return -1;
	nr = walk_image(b->buf, b->size, NULL);
	if (nr < 0) {
		printf("cr_fuzz: base %s: malformed image %s\n", b->name, img);
		return -1;
	}
	b->nr = nr;
	for (len = 0; len + sizeof(struct ckpt_hdr) <= b->size; ) {
		struct ckpt_hdr h;

		memcpy(&h, b->buf + len, sizeof(h));
		add_type(h.type);
		len += h.len;
	}
	if (b->size >= sizeof(struct ckpt_hdr_header)) {
		struct ckpt_hdr_header h;

		memcpy(&h, b->buf, sizeof(h));
		b->nr_tasks = h.nr_tasks;
	}
	b->ok = true;
	return 0;
}

/* ---- running a case ---------------------------------------------------------- */

enum result { RES_RESTORED, RES_REFUSED, RES_TIMEOUT };

struct outcome {
	enum result res;
	bool crashed;		/* the tool died of a signal */
	bool left;		/* tasks left behind */
	int gains;		/* threads with more privilege */
	int kernel;		/* kernel problem lines */
	char why[256];		/* last line of the tool's stderr */
};

/* Who restarts */
enum who { AS_ROOT, AS_USER, AS_USER_CR, WHO_NR };

static const char *const who_names[WHO_NR] = {
	[AS_ROOT] = "uid 0",
	[AS_USER] = "uid 1000",
	[AS_USER_CR] = "uid 1000+CAP_CHECKPOINT_RESTORE",
};

/* The capabilities of an unprivileged restarter, as /proc/PID/status */
struct caps {
	uint64_t inh, prm, eff, bnd, amb;
	bool ok;
};

static struct caps who_caps[WHO_NR];

static int become_who(enum who w)
{
	if (w == AS_USER)
		return become(USER_UID);
	if (w == AS_USER_CR)
		return become_cr(USER_UID);
	return 0;
}

static uint64_t status_hex(const char *st, const char *key)
{
	const char *p = strstr(st, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

/*
 * Check the privileges of one thread restored by w: ids USER_UID, no
 * other group, no capability w did not have. Prints and counts a gain.
 */
static int check_thread(const char *prefix, pid_t tid, enum who w)
{
	const struct caps *c = &who_caps[w];
	char path[64], st[4096], *p, *end;
	unsigned long ids[4];
	bool gain = false;
	int i, k;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (cr_read_str(path, st, sizeof(st)) <= 0)
		return 0;	/* gone */
	for (k = 0; k < 2; k++) {
		p = strstr(st, k ? "\nGid:" : "\nUid:");
		if (!p)
			continue;
		p += 5;
		for (i = 0; i < 4; i++) {
			ids[i] = strtoul(p, &end, 10);
			if (end == p || ids[i] != USER_UID)
				gain = true;
			p = end;
		}
	}
	p = strstr(st, "\nGroups:");
	if (p) {
		p += 8;
		for (;;) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (g != USER_UID)
				gain = true;
			p = end;
		}
	}
	if ((status_hex(st, "\nCapInh:") & ~c->inh) ||
	    (status_hex(st, "\nCapPrm:") & ~c->prm) ||
	    (status_hex(st, "\nCapEff:") & ~c->eff) ||
	    (status_hex(st, "\nCapBnd:") & ~c->bnd) ||
	    (status_hex(st, "\nCapAmb:") & ~c->amb))
		gain = true;
	if (!gain)
		return 0;
	printf("%s: PRIVILEGE GAIN in task %d:\n", prefix, tid);
	for (p = strtok_r(st, "\n", &end); p; p = strtok_r(NULL, "\n", &end))
		if (!strncmp(p, "Name:", 5) || !strncmp(p, "Pid:", 4) ||
		    !strncmp(p, "Uid:", 4) || !strncmp(p, "Gid:", 4) ||
		    !strncmp(p, "Groups:", 7) || !strncmp(p, "Cap", 3))
			printf("%s:   %s\n", prefix, p);
	return 1;
}

/*
 * The reason a restart gave: the last line of its stderr; with the
 * line before when the last is direct_restart()'s errno.
 */
static bool is_leader(pid_t tid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (cr_read_str(path, buf, sizeof(buf)) <= 0)
		return false;
	p = strstr(buf, "\nTgid:");
	return p && strtol(p + 6, NULL, 10) == tid;
}

/* A file a restored task holds: could its user have opened it so? */
struct held {
	char path[PATH_MAX];
	int flags;
	char what[48];
};

#define HELD_MAX	256

/* The files a task holds open or mapped, and its root directory */
static int held_files(pid_t pid, struct held *h, int max, char *root,
		      size_t rsize)
{
	char path[320], buf[PATH_MAX], *line, *save = NULL, *maps;
	struct dirent *de;
	ssize_t n;
	size_t len;
	DIR *dir;
	int nr = 0;

	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	n = readlink(path, root, rsize - 1);
	root[n > 0 ? n : 0] = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && nr < max) {
		char fdinfo[512], *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, de->d_name);
		n = readlink(path, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (buf[0] != '/' || strstr(buf, " (deleted)"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
			 de->d_name);
		if (cr_read_str(path, fdinfo, sizeof(fdinfo)) <= 0)
			continue;
		f = strstr(fdinfo, "flags:");
		if (!f)
			continue;
		strcpy(h[nr].path, buf);
		h[nr].flags = strtol(f + 6, NULL, 8) & O_ACCMODE;
		snprintf(h[nr].what, sizeof(h[nr].what), "fd %.40s", de->d_name);
		nr++;
	}
	if (dir)
		closedir(dir);

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = cr_read_whole(path, &len);
	for (line = maps ? strtok_r(maps, "\n", &save) : NULL;
	     line && nr < max; line = strtok_r(NULL, "\n", &save)) {
		char perms[8], *file = strchr(line, '/');

		if (!file || sscanf(line, "%*s %7s", perms) != 1 ||
		    strstr(file, " (deleted)"))
			continue;
		if (perms[3] == 's' && perms[1] == 'w')
			h[nr].flags = O_RDWR;
		else if (perms[0] == 'r')
			h[nr].flags = O_RDONLY;
		else
			continue;
		snprintf(h[nr].path, sizeof(h[nr].path), "%s", file);
		snprintf(h[nr].what, sizeof(h[nr].what), "mapping %.*s %s",
			 (int)strcspn(line, " "), line, perms);
		nr++;
	}
	free(maps);
	return nr;
}

/*
 * Check what the restored process pid holds against what uid USER_UID may
 * open: every file it has open or mapped must open with the same access
 * mode for a process that became USER_UID (a refusal for EACCES or EPERM
 * is a gain), and its root directory must be the restarter's ("/").
 */
static int check_files(const char *prefix, pid_t pid)
{
	static struct held h[HELD_MAX];
	char root[PATH_MAX], res[HELD_MAX];
	int nr, i, p[2], gains = 0;
	pid_t c;

	nr = held_files(pid, h, HELD_MAX, root, sizeof(root));
	if (root[0] && strcmp(root, "/")) {
		printf("%s: PRIVILEGE GAIN: task %d has root directory %s\n",
		       prefix, pid, root);
		gains++;
	}
	if (!nr || pipe(p))
		return gains;
	c = fork();
	if (c == 0) {
		close(p[0]);
		if (become(USER_UID))
			_exit(1);
		for (i = 0; i < nr; i++) {
			int fd = open(h[i].path, h[i].flags | O_NOCTTY |
				      O_NONBLOCK | O_CLOEXEC);

			res[i] = fd >= 0 ? 0 : errno;
			if (fd >= 0)
				close(fd);
		}
		cr_write_all(p[1], res, nr);
		_exit(0);
	}
	close(p[1]);
	memset(res, 0, sizeof(res));
	if (c < 0 || read(p[0], res, nr) != nr)
		nr = 0;
	close(p[0]);
	if (c > 0)
		waitpid(c, NULL, 0);
	for (i = 0; i < nr; i++) {
		if (res[i] != EACCES && res[i] != EPERM)
			continue;
		printf("%s: PRIVILEGE GAIN: task %d holds %s (%s, %s) that uid %u may not open so: %s\n",
		       prefix, pid, h[i].path, h[i].what,
		       h[i].flags == O_RDONLY ? "read" :
		       h[i].flags == O_WRONLY ? "write" : "read-write",
		       USER_UID, strerror(res[i]));
		gains++;
	}
	return gains;
}

static void last_line(const char *path, char *out, size_t size)
{
	char *buf, *p, *q;
	size_t len;

	out[0] = 0;
	buf = cr_read_whole(path, &len);
	if (!buf)
		return;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	p = strrchr(buf, '\n');
	if (p && !strncmp(p + 1, "restart(", 8)) {
		*p = 0;
		q = strrchr(buf, '\n');
		snprintf(out, size, "%s (%s)", q ? q + 1 : buf, p + 1);
	} else {
		snprintf(out, size, "%s", p ? p + 1 : buf);
	}
	free(buf);
}

static void show_file(const char *prefix, const char *what, const char *path)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int n = 0;

	buf = cr_read_whole(path, &len);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line && n < 40;
	     line = strtok_r(NULL, "\n", &save), n++)
		printf("%s: %s: %s\n", prefix, what, line);
	free(buf);
}

/*
 * Restart img without the tool: a child restores itself (restart(0)),
 * this process coordinates (restart(child)), as the restart tool with
 * --detach does for a single process, but without the tool's checks of
 * the tree section: the kernel alone judges the image. The child of a
 * container image is the init of new pid, IPC and network namespaces, as the
 * tool's would be. The kernel's log goes to stderr. Returns the exit
 * status of the case's restarter.
 */
static int direct_restart(const char *img, bool from_stdin, bool container)
{
	pid_t child;
	long ret;
	int fd;

	fd = from_stdin ? 0 : open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", img, strerror(errno));
		return 1;
	}
	child = container ? fork_ns() : fork();
	if (child < 0) {
		fprintf(stderr, "%s: %s\n", container ? "clone" : "fork",
			strerror(errno));
		return 1;
	}
	if (child == 0) {
		syscall(__NR_restart, 0, fd, 0, 2);
		_exit(66);
	}
	ret = syscall(__NR_restart, child, fd, 0, 2);
	if (ret < 0) {
		fprintf(stderr, "restart(%d): %s\n", child, strerror(errno));
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return 1;
	}
	printf("%d\n", child);
	return 0;
}

/* How a case restarts its image */
struct mode {
	enum who w;
	bool direct;		/* restart() pair, no tool */
	bool pipe;		/* the tool reads the image from a pipe */
	bool frozen;		/* restart --frozen (RESTART_FROZEN) */
	bool container;		/* of a container image (direct: namespaces) */
};

/* The image into a pipe that becomes stdin; 0 or -1 */
static int feed_stdin(const char *img)
{
	char buf[65536];
	int p[2], fd;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		fd = open(img, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (cr_write_all(p[1], buf, n))
				break;
		_exit(0);
	}
	close(p[1]);
	if (dup2(p[0], 0) < 0)
		return -1;
	close(p[0]);
	return 0;
}

static void run_case(const char *img, const char *cg, const struct mode *md,
		     const char *prefix, struct outcome *out)
{
	enum who w = md->w;
	char err[PATH_MAX];
	int status = 0, ret, efd, pfd;
	bool exited = false;
	struct pollfd pl;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	snprintf(err, sizeof(err), "%s/case.err", opt.workdir);
	if (mkdir(cg, 0755) && errno != EEXIST) {
		printf("%s: mkdir %s: %s\n", prefix, cg, strerror(errno));
		out->res = RES_REFUSED;
		return;
	}
	efd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	/*
	 * Anyone may write it: a restored task may inherit it (a standard
	 * stream of the image that cannot be reopened), not a gain.
	 */
	if (efd >= 0)
		fchmod(efd, 0666);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (cg_write(cg, "cgroup.procs", "0") || nul < 0 ||
		    dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(efd, 2) < 0)
			_exit(66);
		/* the feeder too: no root task in the cgroup */
		if (become_who(w) || (md->pipe && feed_stdin(img)))
			_exit(66);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (md->direct)
			_exit(direct_restart(img, md->pipe, md->container));
		execl(opt.tool, "restart", "-d", "-i", md->pipe ? "-" : img,
		      md->frozen ? "-F" : NULL, (char *)NULL);
		_exit(127);
	}
	close(efd);
	if (pid < 0) {
		printf("%s: fork: %s\n", prefix, strerror(errno));
		out->res = RES_REFUSED;
		return;
	}
	pfd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		pl.fd = pfd;
		pl.events = POLLIN;
		do
			ret = poll(&pl, 1, opt.timeout * 1000);
		while (ret < 0 && errno == EINTR);
		close(pfd);
		exited = ret == 1;
	} else {
		long waited;

		for (waited = 0; waited < opt.timeout * 1000L; waited += 5) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = 0;
				exited = true;
				break;
			}
			cr_sleep_ms(5);
		}
	}
	if (exited && pid)
		exited = waitpid(pid, &status, 0) == pid;
	last_line(err, out->why, sizeof(out->why));

	if (!exited) {
		out->res = RES_TIMEOUT;
		printf("%s: TIMEOUT: the restart tool (pid %d) did not finish in %d s\n",
		       prefix, pid, opt.timeout);
		cg_show(prefix, cg);
		show_file(prefix, "restart", err);
		cg_write(cg, "cgroup.kill", "1");
		kill(pid, SIGKILL);
		for (ret = 0; ret < KILL_MS / 10; ret++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			cr_sleep_ms(10);
		}
		if (ret == KILL_MS / 10) {
			printf("%s: the restart tool does not die\n", prefix);
			out->left = true;
		}
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		pid_t tids[256];
		int i, n;

		out->res = RES_RESTORED;
		if (w != AS_ROOT) {
			n = cg_threads(cg, tids, ARRAY_SIZE(tids));
			for (i = 0; i < n; i++) {
				out->gains += check_thread(prefix, tids[i], w);
				if (is_leader(tids[i]))
					out->gains += check_files(prefix,
								  tids[i]);
			}
		}
	} else {
		out->res = RES_REFUSED;
		if (WIFSIGNALED(status)) {
			out->crashed = true;
			printf("%s: the restart tool was killed by signal %d (%s)\n",
			       prefix, WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
			show_file(prefix, "restart", err);
		}
		if (!cg_wait_empty(cg, LEAVE_MS)) {
			out->left = true;
			printf("%s: LEFT BEHIND: tasks still in the cgroup %d ms after a refused restart (%s)\n",
			       prefix, LEAVE_MS, out->why);
			cg_show(prefix, cg);
		}
	}
	if (!cg_kill(cg)) {
		if (!out->left)
			printf("%s: LEFT BEHIND: the cgroup does not empty after cgroup.kill\n",
			       prefix);
		cg_show(prefix, cg);
		out->left = true;
	}
	reap_all();
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: cr_fuzz [options]\n"
"Fuzz restart() with mutated checkpoint images (run as root, in the VM).\n"
"\n"
"  -n, --iter N          number of cases (default %lu)\n"
"  -s, --seed S          PRNG seed (default %" PRIu64 ")\n"
"  -f, --first I         first case (default 0): cases I .. I+N-1\n"
"  -c, --case I          only case I (same as --first I --iter 1)\n"
"  -t, --timeout SEC     restart timeout of a case (default %d)\n"
"  -v, --verbose         every case and its outcome (-vv: with the\n"
"                        restart's last message, the kernel's reason)\n"
"  -D, --dry-run         make the bases and print the mutations only\n"
"  -N, --no-cr-cap       uid 1000 restarts trees without CAP_CHECKPOINT_RESTORE\n"
"                        (the restart tool then cannot rebuild them)\n"
"  -o, --ops LIST        only these mutations (comma separated): field,\n"
"                        multi, len, resize, type, trunc, dup, del, swap,\n"
"                        objref, splice, path (cases differ from a full run)\n"
"  -b, --base LIST       only these base images (comma separated):\n"
"                        single-root, single-user, tree-root, tree-user,\n"
"                        ipc-root (cases differ from a full run)\n"
"  -T, --restart-tool P  the restart tool (default %s)\n"
"  -w, --workdir DIR     scratch directory (default %s)\n"
"  -h, --help            this text\n"
"\n"
"Last line: fuzz: N cases, R restored, F refused, T timeouts, L left\n"
"behind, kernel problems: K, privilege gains: P. Exit status 0, 1 if K,\n"
"L or P is not 0 (or a base image could not be made), 2 on usage error.\n",
		opt.iter, opt.seed, opt.timeout, opt.tool, opt.workdir);
}

static bool parse_num(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end && *s != '-';
}

/* What a process that became w has, to compare restored tasks with */
static void measure_caps(enum who w)
{
	struct caps *c = &who_caps[w];
	char st[4096];
	ssize_t n;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (become_who(w))
			_exit(1);
		if (cr_read_str("/proc/self/status", st, sizeof(st)) > 0)
			cr_write_all(p[1], st, strlen(st));
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], st, sizeof(st) - 1);
	st[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	c->ok = n > 0;
	c->inh = status_hex(st, "\nCapInh:");
	c->prm = status_hex(st, "\nCapPrm:");
	c->eff = status_hex(st, "\nCapEff:");
	c->bnd = status_hex(st, "\nCapBnd:");
	c->amb = status_hex(st, "\nCapAmb:");
}

/*
 * The unprivileged restarter of base b: uid 1000, with
 * CAP_CHECKPOINT_RESTORE for a multi-task image (without it the restart
 * tool cannot give the tree its pids) unless --no-cr-cap
 */
static enum who user_who(const struct base *b)
{
	if (b->nr_tasks > 1 && !opt.no_cr_cap && who_caps[AS_USER_CR].ok)
		return AS_USER_CR;
	return AS_USER;
}

/* Is base b one for a case as uid (0: any base)? */
static bool base_for(const struct base *b, uid_t uid)
{
	return b->ok && (!uid || b->uid == uid);
}

/* The bases of a case as uid: their weights, summed */
static unsigned int bases_weight(uid_t uid)
{
	unsigned int b, total = 0;

	for (b = 0; b < ARRAY_SIZE(bases); b++)
		if (base_for(&bases[b], uid))
			total += base_weight(&bases[b]);
	return total;
}

/* The index of a type in ktypes[], or -1 */
static int ktype_index(uint32_t type)
{
	unsigned int i;

	for (i = 0; i < nr_ktypes; i++)
		if (ktypes[i] == type)
			return i;
	return -1;
}

static const char *res_name(enum result r)
{
	return r == RES_RESTORED ? "restored" :
	       r == RES_REFUSED ? "refused" : "timeout";
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "iter", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "first", required_argument, NULL, 'f' },
		{ "case", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "no-cr-cap", no_argument, NULL, 'N' },
		{ "ops", required_argument, NULL, 'o' },
		{ "base", required_argument, NULL, 'b' },
		{ "restart-tool", required_argument, NULL, 'T' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long nr = 0, restored = 0, refused = 0, timeouts = 0;
	unsigned long left = 0, kernel = 0, gains = 0, crashes = 0;
	unsigned long i, nr_who[WHO_NR] = { 0 }, restored_who[WHO_NR] = { 0 };
	unsigned long nr_direct = 0, restored_direct = 0;
	unsigned long nr_base[ARRAY_SIZE(bases)] = { 0 };
	unsigned long restored_base[ARRAY_SIZE(bases)] = { 0 };
	/* cases that mutated a record of each type of ktypes[] */
	unsigned long nr_type[ARRAY_SIZE(ktypes)] = { 0 };
	unsigned long restored_type[ARRAY_SIZE(ktypes)] = { 0 };
	unsigned long long v;
	char cg[PATH_MAX], img[PATH_MAX], prefix[128], how[128];
	struct outcome out;
	unsigned int b;
	double t0;
	bool failed_bases = false;
	int c, k, nbases = 0, nwanted = 0;

	if (argc > 1 && !strcmp(argv[1], WL_FLAG))
		return workload(argc, argv);

	while ((c = getopt_long(argc, argv, "n:s:f:c:t:vDNo:b:T:w:h", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_num(optarg, &v))
				goto bad;
			opt.iter = v;
			break;
		case 's':
			if (!parse_num(optarg, &v))
				goto bad;
			opt.seed = v;
			break;
		case 'f':
			if (!parse_num(optarg, &v))
				goto bad;
			opt.first = v;
			break;
		case 'c':
			if (!parse_num(optarg, &v))
				goto bad;
			opt.first = v;
			opt.iter = 1;
			break;
		case 't':
			if (!parse_num(optarg, &v) || !v || v > 3600)
				goto bad;
			opt.timeout = v;
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'D':
			opt.dry_run = true;
			break;
		case 'N':
			opt.no_cr_cap = true;
			break;
		case 'o':
			if (!keep_ops(optarg))
				goto bad;
			break;
		case 'b':
			if (!keep_bases(optarg))
				goto bad;
			break;
		case 'T':
			opt.tool = optarg;
			break;
		case 'w':
			opt.workdir = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cr_fuzz: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (geteuid()) {
		fprintf(stderr, "cr_fuzz: must run as root\n");
		return EXIT_FAIL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0) {
		perror("cr_fuzz: /proc/self/exe");
		return EXIT_FAIL;
	}
	/* orphans of the restored trees are ours to reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	mkdir(opt.workdir, 0755);
	chmod(opt.workdir, 0755);
	snprintf(cg_top, sizeof(cg_top), "%s/cr-fuzz.%d", CG_ROOT, getpid());
	if (mkdir(cg_top, 0755)) {
		fprintf(stderr, "cr_fuzz: mkdir %s: %s (cgroup v2 at %s?)\n",
			cg_top, strerror(errno), CG_ROOT);
		return EXIT_FAIL;
	}
	init_types();
	measure_caps(AS_USER);
	measure_caps(AS_USER_CR);
	if (!who_caps[AS_USER].ok) {
		fprintf(stderr, "cr_fuzz: cannot become uid %u\n", USER_UID);
		return EXIT_FAIL;
	}
	if (!who_caps[AS_USER_CR].ok && !opt.no_cr_cap)
		printf("cr_fuzz: cannot become uid %u with CAP_CHECKPOINT_RESTORE: trees restarted as uid %u without it\n",
		       USER_UID, USER_UID);
	kmsg_open();
	kmemleak_init();

	t0 = now_s();
	for (b = 0; b < ARRAY_SIZE(bases); b++) {
		struct base *bs = &bases[b];

		if (bs->skip)
			continue;
		nwanted++;
		if (make_base(bs))
			continue;
		nbases++;
		printf("cr_fuzz: base %s: %zu bytes, %u records, %u tasks\n",
		       bs->name, bs->size, bs->nr, bs->nr_tasks);
		if (opt.dry_run)
			continue;
		/* the unmutated image, as a reference */
		snprintf(img, sizeof(img), "%s/base-%s.img", opt.workdir,
			 bs->name);
		for (k = 0; k < (bs->uid ? 2 : 1); k++) {
			struct mode md = { .w = k ? user_who(bs) : AS_ROOT,
					   .container = bs->container };

			snprintf(cg, sizeof(cg), "%s/ref-%s-%d", cg_top,
				 bs->name, k);
			snprintf(prefix, sizeof(prefix), "base %s", bs->name);
			run_case(img, cg, &md, prefix, &out);
			out.kernel = kmsg_check(prefix);
			kernel += out.kernel;
			left += out.left;
			gains += out.gains;
			printf("cr_fuzz: base %s unmutated, restarted as %s: %s%s%s\n",
			       bs->name, who_names[md.w], res_name(out.res),
			       out.res == RES_RESTORED ? "" : ": ",
			       out.res == RES_RESTORED ? "" : out.why);
		}
	}
	if (kernel)
		printf("cr_fuzz: %lu kernel problem lines before the fuzzing\n",
		       kernel);
	if (nbases < nwanted) {
		printf("cr_fuzz: %d of %d base images could not be made\n",
		       nwanted - nbases, nwanted);
		failed_bases = true;
	}
	if (!nbases) {
		rmdir(cg_top);
		printf("fuzz: 0 cases, 0 restored, 0 refused, 0 timeouts, %lu left behind, kernel problems: %lu, privilege gains: %lu\n",
		       left, kernel, gains);
		return EXIT_FAIL;
	}
	printf("cr_fuzz: bases made in %.1f s; seed %" PRIu64 ", cases %lu..%lu, timeout %d s\n",
	       now_s() - t0, opt.seed, opt.first, opt.first + opt.iter - 1,
	       opt.timeout);

	t0 = now_s();
	snprintf(img, sizeof(img), "%s/case.img", opt.workdir);
	for (i = opt.first; i < opt.first + opt.iter; i++) {
		struct base *bs;
		struct mimg m = { 0 };
		struct rng g;
		struct mode md = { 0 };
		enum who w;
		uid_t uid;
		unsigned int pick;
		int t;

		rng_case(&g, opt.seed, i);
		snprintf(prefix, sizeof(prefix), "case %lu (seed %" PRIu64 ")",
			 i, opt.seed);
		/*
		 * half the cases as uid 1000, on its images; a base by its
		 * weight among those of the user
		 */
		uid = one_in(&g, 2) ? USER_UID : 0;
		if (!bases_weight(uid))
			uid = 0;
		pick = rnd_below(&g, bases_weight(uid));
		for (b = 0; b < ARRAY_SIZE(bases); b++) {
			if (!base_for(&bases[b], uid))
				continue;
			if (pick < base_weight(&bases[b]))
				break;
			pick -= base_weight(&bases[b]);
		}
		bs = &bases[b];
		/*
		 * one time in four without the tool: restart() itself; else
		 * one in six from a pipe, one in eight frozen
		 */
		md.direct = one_in(&g, 4);
		md.pipe = one_in(&g, 6);
		md.frozen = !md.direct && one_in(&g, 8);
		w = !uid ? AS_ROOT : md.direct ? AS_USER : user_who(bs);
		md.w = w;
		md.container = bs->container;
		snprintf(how, sizeof(how), "%s as %s%s%s%s", bs->name,
			 who_names[w], md.direct ? " by restart()" : "",
			 md.pipe ? " from a pipe" : "",
			 md.frozen ? " --frozen" : "");
		if (walk_image(bs->buf, bs->size, &m) < 0 || mutate(&g, &m)) {
			printf("%s: no mutation possible\n", prefix);
			mimg_free(&m);
			continue;
		}
		nr++;
		if (opt.dry_run || opt.verbose)
			printf("%s: %s: %s\n", prefix, how, m.desc);
		if (opt.dry_run) {
			mimg_free(&m);
			continue;
		}
		if (mimg_write(&m, img)) {
			printf("%s: cannot write %s: %s\n", prefix, img,
			       strerror(errno));
			mimg_free(&m);
			break;
		}
		snprintf(cg, sizeof(cg), "%s/case%lu", cg_top, i);
		nr_who[w]++;
		nr_direct += md.direct;
		run_case(img, cg, &md, prefix, &out);
		out.kernel = kmsg_check(prefix);
		restored += out.res == RES_RESTORED;
		restored_who[w] += out.res == RES_RESTORED;
		restored_direct += md.direct && out.res == RES_RESTORED;
		nr_base[b]++;
		restored_base[b] += out.res == RES_RESTORED;
		for (k = 0; k < (int)m.nr_touched; k++) {
			t = ktype_index(m.touched[k]);
			if (t < 0)
				continue;
			nr_type[t]++;
			restored_type[t] += out.res == RES_RESTORED;
		}
		refused += out.res == RES_REFUSED;
		timeouts += out.res == RES_TIMEOUT;
		left += out.left;
		gains += out.gains;
		kernel += out.kernel;
		crashes += out.crashed;
		if (out.kernel || out.left || out.gains || out.crashed ||
		    out.res == RES_TIMEOUT)
			printf("%s: ^ %s: %s -> %s%s%s\n", prefix, how,
			       m.desc, res_name(out.res),
			       out.kernel ? ", KERNEL PROBLEM" : "",
			       out.gains ? ", PRIVILEGE GAIN" : "");
		else if (opt.verbose)
			printf("%s: -> %s%s%s\n", prefix, res_name(out.res),
			       opt.verbose > 1 && out.why[0] ? ": " : "",
			       opt.verbose > 1 ? out.why : "");
		mimg_free(&m);
		if (!((i - opt.first + 1) % LEAK_EVERY)) {
			snprintf(prefix, sizeof(prefix),
				 "cases %lu..%lu (seed %" PRIu64 ")",
				 i + 1 - LEAK_EVERY, i, opt.seed);
			k = kmemleak_scan(prefix);
			if (k > 0)
				kernel += k;
			printf("cr_fuzz: %lu cases, %lu restored, %lu refused, %lu timeouts, %lu left behind, kernel problems: %lu, privilege gains: %lu (%.0f s)\n",
			       nr, restored, refused, timeouts, left, kernel,
			       gains, now_s() - t0);
		}
	}
	k = kmemleak_scan("at the end");
	if (k > 0)
		kernel += k;
	unlink(img);
	for (b = 0; b < ARRAY_SIZE(bases); b++)
		free(bases[b].buf);
	rmdir(cg_top);
	if (nr && !opt.dry_run) {
		printf("cr_fuzz: %.1f s for %lu cases (%.0f ms a case); the restart tool crashed %lu times\n",
		       now_s() - t0, nr, (now_s() - t0) * 1000 / nr, crashes);
		for (k = 0; k < WHO_NR; k++)
			printf("cr_fuzz: as %s: %lu cases, %lu restored\n",
			       who_names[k], nr_who[k], restored_who[k]);
		printf("cr_fuzz: by restart() without the tool: %lu cases, %lu restored\n",
		       nr_direct, restored_direct);
		for (b = 0; b < ARRAY_SIZE(bases); b++)
			if (bases[b].ok)
				printf("cr_fuzz: base %s: %lu cases, %lu restored\n",
				       bases[b].name, nr_base[b],
				       restored_base[b]);
		printf("cr_fuzz: cases that mutated a record of each type (cases/restored):\n");
		for (k = 0; k < (int)nr_ktypes; k += 6) {
			char line[512], tb[32];
			size_t len = 0;
			int j;

			for (j = k; j < (int)nr_ktypes && j < k + 6; j++)
				len += snprintf(line + len, sizeof(line) - len,
						"%s%s %lu/%lu",
						j > k ? ", " : "",
						type_name(ktypes[j], tb,
							  sizeof(tb)),
						nr_type[j], restored_type[j]);
			printf("cr_fuzz: %s\n", line);
		}
	}
	printf("fuzz: %lu cases, %lu restored, %lu refused, %lu timeouts, %lu left behind, kernel problems: %lu, privilege gains: %lu\n",
	       nr, restored, refused, timeouts, left, kernel, gains);
	return kernel || left || gains || failed_bases ? EXIT_FAIL : EXIT_OK;
bad:
	fprintf(stderr, "cr_fuzz: bad value '%s' for -%c\n", optarg, c);
	usage(stderr);
	return EXIT_USAGE;
}
