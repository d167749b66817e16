/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pre-copy for checkpoint --send --precopy and restart --receive.
 *
 * Sender, while the tree runs: rounds of
 *   1. freeze the tree; for every process of it, read /proc/PID/pagemap:
 *      the private pages that are present and soft-dirty (written since
 *      the last round), or that were never sent; clear the soft-dirty
 *      bits (echo 4 > /proc/PID/clear_refs); thaw;
 *   2. read those pages (process_vm_readv()) and send them.
 * A page written after 1 is soft-dirty again; one written during 1 cannot
 * be, as the tree is frozen. Then, frozen for good, the pages present and
 * never sent go too (a page swapped in or migrated back after a round's
 * look has lost its soft-dirty bit; a process forked during the rounds
 * was never looked at), and checkpoint(CHECKPOINT_SOFTDIRTY) writes the
 * image, where a present page that is not soft-dirty is only listed
 * (PAGES_PRECOPIED): its last contents are among those sent.
 *
 * On the wire, before the image: frames of struct cr_pre_frame, nr u64
 * addresses, then nr pages; a frame with nr == 0 ends the pre-copy.
 *
 * Receiver: keeps the pages by (pid, address), then reads the image and
 * gives restart() the whole image: each PAGES_PRECOPIED record and the
 * PAGES record before it become PAGES records with the kept contents, in
 * ascending order; the TAIL's record count is set again. A listed page
 * that was never sent fails the restart: nothing is restored wrongly.
 */
#ifndef _CR_PRECOPY_H
#define _CR_PRECOPY_H

#include "cr_common.h"
#include "cr_img.h"

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define CR_PRE_MAGIC	0x50504b43	/* "CKPP" */
#define CR_PAGE		4096UL

struct cr_pre_frame {
	uint32_t magic;
	uint32_t nr;		/* pages; 0: end of the pre-copy */
	int32_t pid;		/* the process, as the image numbers it */
	uint32_t pad;
};

#define PM_PRESENT	(1ULL << 63)
#define PM_FILE		(1ULL << 61)	/* file page or shared anonymous */
#define PM_SOFT_DIRTY	(1ULL << 55)

/* ---- a set of page addresses (open addressing) ------------------------ */

struct cr_addr_set {
	uint64_t *key;		/* address + 1; 0: empty */
	uint32_t *val;
	size_t size, used;	/* size: a power of two */
};

static inline size_t cr_set_slot(const struct cr_addr_set *s, uint64_t a)
{
	uint64_t h = (a >> 12) * 0x9e3779b97f4a7c15ULL;

	return (h >> 20) & (s->size - 1);
}

/* The slot of @a, or (with @add) a new one; -1 if not there / no memory */
static inline long cr_set_find(struct cr_addr_set *s, uint64_t a, int add)
{
	size_t i;

	if (add && 2 * (s->used + 1) > s->size) {
		struct cr_addr_set n = { .size = s->size ? 2 * s->size : 1024 };

		n.key = calloc(n.size, sizeof(*n.key));
		n.val = calloc(n.size, sizeof(*n.val));
		if (!n.key || !n.val) {
			free(n.key);
			free(n.val);
			return -1;
		}
		for (i = 0; i < s->size; i++) {
			size_t j;

			if (!s->key[i])
				continue;
			for (j = cr_set_slot(&n, s->key[i] - 1); n.key[j];
			     j = (j + 1) & (n.size - 1))
				;
			n.key[j] = s->key[i];
			n.val[j] = s->val[i];
		}
		n.used = s->used;
		free(s->key);
		free(s->val);
		*s = n;
	}
	if (!s->size)
		return -1;
	for (i = cr_set_slot(s, a); s->key[i]; i = (i + 1) & (s->size - 1))
		if (s->key[i] == a + 1)
			return i;
	if (!add)
		return -1;
	s->key[i] = a + 1;
	s->used++;
	return i;
}

/* ---- sender ------------------------------------------------------------ */

struct cr_pre_proc {
	pid_t pid;		/* here */
	int32_t image_pid;	/* in the root's pid namespace */
	int pagemap, mem;
	int gone;		/* exited during the rounds */
	struct cr_addr_set sent;
};

struct cr_pre_send {
	int fd;
	struct cr_pre_proc *procs;
	int nr_procs;
	uint64_t *addrs;	/* a frame's worth */
	char *data;
	/* figures for the log */
	int rounds;
	long sent_pages, last_round_pages, frozen_pages;
};

#define CR_PRE_BATCH	256

/* NSpid of @pid: the ids from our pid namespace down; returns how many */
static inline int cr_pre_nspid(pid_t pid, long *ids, int max)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		while (n < max) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			ids[n++] = v;
			p = end;
		}
		break;
	}
	fclose(f);
	return n;
}

static inline int cr_pre_add(struct cr_pre_send *ps, pid_t pid, int level)
{
	struct cr_pre_proc *p;
	long ids[32];
	char path[64];
	int i, n;

	for (i = 0; i < ps->nr_procs; i++)
		if (ps->procs[i].pid == pid)
			return 0;	/* known from a round before */
	n = cr_pre_nspid(pid, ids, 32);
	if (n < 0)
		return 0;	/* exited meanwhile: not in the image */
	if (n <= level) {
		cr_error("pre-copy: pid %d: no id in the tree's pid namespace",
			 pid);
		return -1;
	}
	p = realloc(ps->procs, (ps->nr_procs + 1) * sizeof(*p));
	if (!p)
		return -1;
	ps->procs = p;
	p += ps->nr_procs;
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->image_pid = ids[level];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	p->pagemap = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	p->mem = open(path, O_RDONLY | O_CLOEXEC);
	if (p->pagemap < 0 || p->mem < 0) {
		cr_perror("pre-copy: pid %d", pid);
		if (p->pagemap >= 0)
			close(p->pagemap);
		if (p->mem >= 0)
			close(p->mem);
		return -1;
	}
	ps->nr_procs++;
	return 0;
}

/* The processes of the tree rooted at @pid (children of all threads) */
static inline int cr_pre_collect(struct cr_pre_send *ps, pid_t pid, int level)
{
	static char buf[65536];
	char path[300];
	struct dirent *de;
	int i, ret = cr_pre_add(ps, pid, level);
	DIR *d;

	/* breadth first: ps->procs is the queue */
	for (i = 0; !ret && i < ps->nr_procs; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task", ps->procs[i].pid);
		d = opendir(path);
		if (!d)
			return -1;
		while (!ret && (de = readdir(d))) {
			char *p, *end;
			ssize_t n;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s",
				 ps->procs[i].pid, de->d_name);
			n = cr_read_file(path, "children", buf, sizeof(buf));
			for (p = buf; n > 0 && !ret; p = end) {
				long kid = strtol(p, &end, 10);

				if (end == p)
					break;
				ret = cr_pre_add(ps, kid, level);
			}
		}
		closedir(d);
	}
	return ret;
}

/*
 * Read the @nr pages at ps->addrs from @p and send them: one
 * process_vm_readv() for the batch; from the first page it cannot read
 * on, page by page through /proc/PID/mem (which also reads mappings
 * without PROT_READ). A page that cannot be read at all (unmapped
 * meanwhile) is not sent: if the image lists it, the receiver fails the
 * restart rather than restore anything else in its place.
 */
static inline int cr_pre_flush(struct cr_pre_send *ps, struct cr_pre_proc *p,
			       int nr)
{
	static struct iovec local[CR_PRE_BATCH], remote[CR_PRE_BATCH];
	struct cr_pre_frame f = { CR_PRE_MAGIC, 0, p->image_pid, 0 };
	int i, done = 0, kept = 0;
	ssize_t n;

	for (i = 0; i < nr; i++) {
		local[i] = (struct iovec){ ps->data + i * CR_PAGE, CR_PAGE };
		remote[i] = (struct iovec){ (void *)ps->addrs[i], CR_PAGE };
	}
	n = process_vm_readv(p->pid, local, nr, remote, nr, 0);
	if (n > 0)
		done = n / CR_PAGE;
	for (i = 0; i < nr; i++) {
		if (i >= done &&
		    pread(p->mem, local[i].iov_base, CR_PAGE, ps->addrs[i]) !=
		    (ssize_t)CR_PAGE)
			continue;
		if (cr_set_find(&p->sent, ps->addrs[i], 1) < 0) {
			cr_error("pre-copy: out of memory");
			return -1;
		}
		if (kept != i) {
			ps->addrs[kept] = ps->addrs[i];
			memcpy(ps->data + kept * CR_PAGE,
			       ps->data + i * CR_PAGE, CR_PAGE);
		}
		kept++;
	}
	if (!kept)
		return 0;
	f.nr = kept;
	if (cr_write_full(ps->fd, &f, sizeof(f)) ||
	    cr_write_full(ps->fd, ps->addrs, kept * sizeof(uint64_t)) ||
	    cr_write_full(ps->fd, ps->data, kept * CR_PAGE)) {
		cr_perror("pre-copy: sending");
		return -1;
	}
	return 0;
}

/* The pages of one process to send in a round */
struct cr_pre_want {
	uint64_t *addrs;
	size_t nr, cap;
};

/*
 * Look at @p's private mappings: the pages to send now are the present
 * ones that are soft-dirty (@dirty) or were never sent, into @w. With
 * @clear, then clear the soft-dirty bits: the tree must be frozen from
 * the look to the clear, or a page written in between would be lost. A
 * process that exited meanwhile is marked gone (it is not in the image).
 */
static inline int cr_pre_scan(struct cr_pre_proc *p, int dirty, int clear,
			      struct cr_pre_want *w)
{
	static uint64_t pm[4096];
	char line[4096], path[64];
	FILE *maps;

	w->nr = 0;
	if (p->gone)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = fopen(path, "re");
	if (!maps && (errno == ENOENT || errno == ESRCH)) {
		p->gone = 1;
		return 0;
	}
	if (!maps) {
		cr_perror("pre-copy: %s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end, a;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s", &start, &end, perm) != 3 ||
		    perm[3] != 'p')
			continue;
		for (a = start; a < end;) {
			size_t n = (end - a) / CR_PAGE, k;
			ssize_t got;

			if (n > 4096)
				n = 4096;
			got = pread(p->pagemap, pm, n * 8, a / CR_PAGE * 8);
			if (got <= 0)
				break;
			n = got / 8;
			for (k = 0; k < n; k++, a += CR_PAGE) {
				if ((pm[k] & (PM_PRESENT | PM_FILE)) != PM_PRESENT)
					continue;
				if (!(dirty && (pm[k] & PM_SOFT_DIRTY)) &&
				    cr_set_find(&p->sent, a, 0) >= 0)
					continue;
				if (w->nr == w->cap) {
					uint64_t *n2;

					w->cap = w->cap ? 2 * w->cap : 4096;
					n2 = realloc(w->addrs,
						     w->cap * sizeof(*n2));
					if (!n2) {
						fclose(maps);
						cr_error("pre-copy: out of memory");
						return -1;
					}
					w->addrs = n2;
				}
				w->addrs[w->nr++] = a;
			}
		}
	}
	fclose(maps);
	if (!clear)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d", p->pid);
	if (cr_write_file(path, "clear_refs", "4") < 0 && !p->gone) {
		cr_perror("pre-copy: /proc/%d/clear_refs", p->pid);
		return -1;
	}
	return 0;
}

/* Read and send the pages of @w; returns how many, or -1 */
static inline long cr_pre_send_want(struct cr_pre_send *ps,
				    struct cr_pre_proc *p,
				    const struct cr_pre_want *w)
{
	size_t i;

	for (i = 0; i < w->nr; i += CR_PRE_BATCH) {
		size_t nr = w->nr - i < CR_PRE_BATCH ? w->nr - i :
			    CR_PRE_BATCH;

		memcpy(ps->addrs, w->addrs + i, nr * sizeof(uint64_t));
		if (cr_pre_flush(ps, p, nr))
			return -1;
	}
	return w->nr;
}

/*
 * The pre-copy of the tree rooted at @root, running, to @fd: up to
 * @max_rounds rounds, fewer once a round sends less than @stop_pages or,
 * from the third on, no longer much less than the round before (it writes as
 * fast as we send). @pause(@arg, 1) freezes the tree, @pause(@arg, 0)
 * thaws it: it is frozen only while its page tables are looked at and
 * their soft-dirty bits cleared, not while the pages are copied.
 */
static inline int cr_pre_send_running(struct cr_pre_send *ps, int fd,
				      pid_t root, int max_rounds,
				      long stop_pages,
				      int (*pause)(void *arg, int on),
				      void *arg)
{
	struct cr_pre_want *w;
	long ids[32];
	int level, i, ret;

	memset(ps, 0, sizeof(*ps));
	ps->fd = fd;
	ps->addrs = malloc(CR_PRE_BATCH * sizeof(uint64_t));
	ps->data = malloc(CR_PRE_BATCH * CR_PAGE);
	level = cr_pre_nspid(root, ids, 32) - 1;
	if (!ps->addrs || !ps->data || level < 0 ||
	    cr_pre_collect(ps, root, level))
		return -1;
	w = calloc(ps->nr_procs, sizeof(*w));
	if (!w)
		return -1;
	for (ps->rounds = 0; ps->rounds < max_rounds;) {
		long round = 0, n;

		if (pause(arg, 1))
			return -1;
		for (ret = 0, i = 0; !ret && i < ps->nr_procs; i++)
			ret = cr_pre_scan(&ps->procs[i], ps->rounds > 0, 1,
					  &w[i]);
		if (pause(arg, 0) || ret)
			return -1;
		for (i = 0; i < ps->nr_procs; i++) {
			n = cr_pre_send_want(ps, &ps->procs[i], &w[i]);
			if (n < 0)
				return -1;
			round += n;
		}
		ps->rounds++;
		ps->sent_pages += round;
		if (round < stop_pages || (ps->rounds > 2 &&
					   round > ps->last_round_pages * 3 / 4)) {
			ps->last_round_pages = round;
			break;
		}
		ps->last_round_pages = round;
	}
	for (i = 0; i < ps->nr_procs; i++)
		free(w[i].addrs);
	free(w);
	return 0;
}

/*
 * Frozen for good: the processes forked during the rounds, and the pages
 * present and never sent (forked ones, and those swapped out or being
 * migrated at the last look, which come back without their soft-dirty
 * bit), then the end of the pre-copy; the image follows.
 */
static inline int cr_pre_send_frozen(struct cr_pre_send *ps, pid_t root)
{
	struct cr_pre_frame end = { CR_PRE_MAGIC, 0, 0, 0 };
	long ids[32];
	int i;

	if (cr_pre_collect(ps, root, cr_pre_nspid(root, ids, 32) - 1))
		return -1;
	for (i = 0; i < ps->nr_procs; i++) {
		struct cr_pre_want w = { 0 };
		long n = cr_pre_scan(&ps->procs[i], 0, 0, &w);

		if (!n)
			n = cr_pre_send_want(ps, &ps->procs[i], &w);
		free(w.addrs);
		if (n < 0)
			return -1;
		ps->frozen_pages += n;
	}
	if (cr_write_full(ps->fd, &end, sizeof(end))) {
		cr_perror("pre-copy: sending");
		return -1;
	}
	return 0;
}

/* ---- receiver ---------------------------------------------------------- */

struct cr_pre_mm {
	int32_t pid;
	struct cr_addr_set pages;	/* address -> page number in the store */
};

struct cr_pre_store {
	struct cr_pre_mm *mms;
	int nr_mms;
	char **chunks;			/* 1024 pages each */
	size_t nr_pages;
	char error[512];		/* why the merge failed, for the sender */
};

#define CR_PRE_CHUNK	1024

static inline char *cr_pre_page(struct cr_pre_store *st, uint32_t n)
{
	return st->chunks[n / CR_PRE_CHUNK] + (n % CR_PRE_CHUNK) * CR_PAGE;
}

static inline struct cr_pre_mm *cr_pre_mm_of(struct cr_pre_store *st,
					     int32_t pid, int add)
{
	struct cr_pre_mm *m;
	int i;

	for (i = 0; i < st->nr_mms; i++)
		if (st->mms[i].pid == pid)
			return &st->mms[i];
	if (!add)
		return NULL;
	m = realloc(st->mms, (st->nr_mms + 1) * sizeof(*m));
	if (!m)
		return NULL;
	st->mms = m;
	m += st->nr_mms++;
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	return m;
}

static inline int __attribute__((format(printf, 2, 3)))
cr_pre_fail(struct cr_pre_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
	cr_error("%s", st->error);
	return -1;
}

/*
 * Read pre-copy frames from @fd up to the end frame (@first: the frame
 * header already read). Returns 0, or -1 with st->error set.
 */
static inline int cr_pre_receive(struct cr_pre_store *st, int fd,
				 const struct cr_pre_frame *first)
{
	static uint64_t addrs[CR_PRE_BATCH];
	struct cr_pre_frame f = *first;
	uint32_t i;

	for (;;) {
		struct cr_pre_mm *m;

		if (f.magic != CR_PRE_MAGIC || f.nr > CR_PRE_BATCH)
			return cr_pre_fail(st, "pre-copy: bad frame");
		if (!f.nr)
			return 0;
		m = cr_pre_mm_of(st, f.pid, 1);
		if (!m || cr_read_full(fd, addrs, f.nr * 8) != f.nr * 8)
			return cr_pre_fail(st, "pre-copy: stream cut");
		for (i = 0; i < f.nr; i++) {
			long slot = cr_set_find(&m->pages, addrs[i], 1);
			uint32_t n;

			if (slot < 0 || addrs[i] % CR_PAGE)
				return cr_pre_fail(st, "pre-copy: bad page %#llx of pid %d",
						   (unsigned long long)addrs[i], f.pid);
			if (m->pages.val[slot]) {
				n = m->pages.val[slot] - 1;	/* sent again */
			} else {
				n = st->nr_pages;
				if (n % CR_PRE_CHUNK == 0) {
					char **c = realloc(st->chunks,
						(n / CR_PRE_CHUNK + 1) * sizeof(*c));

					if (!c)
						return cr_pre_fail(st, "pre-copy: out of memory");
					st->chunks = c;
					c[n / CR_PRE_CHUNK] = malloc(CR_PRE_CHUNK * CR_PAGE);
					if (!c[n / CR_PRE_CHUNK])
						return cr_pre_fail(st, "pre-copy: out of memory");
				}
				st->nr_pages++;
				m->pages.val[slot] = n + 1;
			}
			if (cr_read_full(fd, cr_pre_page(st, n), CR_PAGE) !=
			    (ssize_t)CR_PAGE)
				return cr_pre_fail(st, "pre-copy: stream cut");
		}
		if (cr_read_full(fd, &f, sizeof(f)) != sizeof(f))
			return cr_pre_fail(st, "pre-copy: stream cut");
	}
}

static inline void cr_pre_store_free(struct cr_pre_store *st)
{
	size_t i;
	int j;

	for (i = 0; i < (st->nr_pages + CR_PRE_CHUNK - 1) / CR_PRE_CHUNK; i++)
		free(st->chunks[i]);
	free(st->chunks);
	for (j = 0; j < st->nr_mms; j++) {
		free(st->mms[j].pages.key);
		free(st->mms[j].pages.val);
	}
	free(st->mms);
	st->chunks = NULL;
	st->mms = NULL;
	st->nr_mms = 0;
	st->nr_pages = 0;
}

/* The merge: the image from @in, whole, to @out */
struct cr_pre_merge {
	struct cr_pre_store *st;
	int in, out;
	uint64_t records;	/* written before the TAIL */
	int32_t pid;		/* of the TASK section we are in */
	/* the PAGES record held back: nr pages, their addresses and data */
	uint32_t nr;
	uint64_t addrs[CKPT_PAGES_BATCH];
	char *data;
	/* the merged pages waiting to be written */
	uint32_t out_nr;
	uint64_t out_addrs[CKPT_PAGES_BATCH];
	struct iovec out_iov[CKPT_PAGES_BATCH + 2];
	int held;
	/* the TREE section: thread id -> process id */
	int32_t (*tgids)[2];
	size_t nr_tgids;
};

static inline int cr_pre_tgid_add(struct cr_pre_merge *m, const char *body)
{
	int32_t (*t)[2] = realloc(m->tgids, (m->nr_tgids + 1) * sizeof(*t));

	if (!t)
		return -1;
	m->tgids = t;
	/* the pid and tgid fields, past the record header */
	memcpy(&t[m->nr_tgids][0], body, 4);
	memcpy(&t[m->nr_tgids][1], body + 4, 4);
	m->nr_tgids++;
	return 0;
}

static inline int32_t cr_pre_tgid(struct cr_pre_merge *m, int32_t pid)
{
	size_t i;

	for (i = 0; i < m->nr_tgids; i++)
		if (m->tgids[i][0] == pid)
			return m->tgids[i][1];
	return pid;
}

/* Write the pages gathered by cr_pre_put() as one PAGES record */
static inline int cr_pre_emit_pages(struct cr_pre_merge *m)
{
	struct ckpt_hdr_pages h = { .h.type = CKPT_HDR_PAGES };
	struct iovec *iov = m->out_iov;
	int nr = m->out_nr + 2, i = 0;

	if (!m->out_nr)
		return 0;
	h.nr_pages = m->out_nr;
	h.h.len = sizeof(h) + m->out_nr * (8 + CR_PAGE);
	iov[0] = (struct iovec){ &h, sizeof(h) };
	iov[1] = (struct iovec){ m->out_addrs, m->out_nr * 8 };
	/* the pages themselves are not copied: they are written from where
	 * they are kept
	 */
	while (i < nr) {
		ssize_t n = writev(m->out, iov + i, nr - i);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		while (i < nr && (size_t)n >= iov[i].iov_len)
			n -= iov[i++].iov_len;
		if (i < nr) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
	m->records++;
	m->out_nr = 0;
	return 0;
}

/* @data stays where it is until the record is written */
static inline int cr_pre_put(struct cr_pre_merge *m, uint64_t a,
			     const char *data)
{
	m->out_addrs[m->out_nr] = a;
	m->out_iov[m->out_nr + 2] = (struct iovec){ (void *)data, CR_PAGE };
	if (++m->out_nr == CKPT_PAGES_BATCH)
		return cr_pre_emit_pages(m);
	return 0;
}

/* Write the held PAGES record as it was */
static inline int cr_pre_release(struct cr_pre_merge *m)
{
	uint32_t i;

	if (!m->held)
		return 0;
	m->held = 0;
	if (!m->nr) {	/* the end of a page list */
		struct ckpt_hdr_pages h = { .h.type = CKPT_HDR_PAGES,
					    .h.len = sizeof(h) };

		m->records++;
		return cr_write_full(m->out, &h, sizeof(h));
	}
	for (i = 0; i < m->nr; i++)
		if (cr_pre_put(m, m->addrs[i], m->data + i * CR_PAGE))
			return -1;
	return cr_pre_emit_pages(m);
}

/*
 * A PAGES_PRECOPIED record of @nr addresses: merge them, with the kept
 * contents, and the held PAGES record, in ascending order.
 */
static inline int cr_pre_fill(struct cr_pre_merge *m, uint32_t nr,
			      const uint64_t *listed)
{
	struct cr_pre_mm *mm = cr_pre_mm_of(m->st, m->pid, 0);
	uint32_t i = 0, j = 0, held = m->held ? m->nr : 0;

	/* the end of a page list is never followed by more of its pages */
	if (m->held && !m->nr)
		return cr_pre_fail(m->st, "PAGES_PRECOPIED record after the end of a page list");
	m->held = 0;
	while (i < held || j < nr) {
		if (j == nr || (i < held && m->addrs[i] < listed[j])) {
			if (cr_pre_put(m, m->addrs[i], m->data + i * CR_PAGE))
				return -1;
			i++;
			continue;
		}
		long slot = mm ? cr_set_find(&mm->pages, listed[j], 0) : -1;

		if (slot < 0)
			return cr_pre_fail(m->st,
					   "pid %d: page %#llx was not sent by the pre-copy",
					   m->pid, (unsigned long long)listed[j]);
		if (cr_pre_put(m, listed[j],
			       cr_pre_page(m->st, mm->pages.val[slot] - 1)))
			return -1;
		j++;
	}
	return cr_pre_emit_pages(m);
}

/*
 * Copy the image from m->in to m->out, merging the pre-copied pages in.
 * Returns 0 at the end of the image, -1 on failure (st->error set when
 * the image or the pre-copy is at fault).
 */
static inline int cr_pre_merge(struct cr_pre_merge *m)
{
	struct ckpt_hdr *h;
	struct cr_img im;
	int ret = -1;

	m->data = malloc(CKPT_PAGES_BATCH * CR_PAGE);
	if (!m->data || cr_img_open(&im, m->in))
		return cr_pre_fail(m->st, "out of memory");
	h = im.h;
	while (cr_img_next_ex(&im, 1) > 0) {
		struct ckpt_hdr_pages *p = (void *)h;

		if (h->type == CKPT_HDR_PAGES_PRECOPIED) {
			if (p->nr_pages > CKPT_PAGES_BATCH ||
			    h->len != sizeof(*p) + (size_t)p->nr_pages * 8) {
				cr_pre_fail(m->st, "bad PAGES_PRECOPIED record at offset %llu",
					    (unsigned long long)im.off);
				goto out;
			}
			if (cr_pre_fill(m, p->nr_pages, (uint64_t *)(p + 1)))
				goto out;
			continue;
		}
		if (cr_pre_release(m))
			goto out;
		if (h->type == CKPT_HDR_PAGES) {
			if (p->nr_pages > CKPT_PAGES_BATCH ||
			    h->len != sizeof(*p) + (size_t)p->nr_pages * (8 + CR_PAGE)) {
				cr_pre_fail(m->st, "bad PAGES record at offset %llu",
					    (unsigned long long)im.off);
				goto out;
			}
			m->nr = p->nr_pages;
			memcpy(m->addrs, p + 1, m->nr * 8);
			memcpy(m->data, (char *)(p + 1) + m->nr * 8,
			       m->nr * CR_PAGE);
			m->held = 1;
			continue;
		}
		if (h->type == CKPT_HDR_TREE_TASK &&
		    cr_pre_tgid_add(m, (char *)(h + 1))) {
			cr_pre_fail(m->st, "out of memory");
			goto out;
		}
		/* an mm is saved in the section of its first task */
		if (h->type == CKPT_HDR_TASK) {
			memcpy(&m->pid, h + 1, 4);
			m->pid = cr_pre_tgid(m, m->pid);
		}
		if (h->type == CKPT_HDR_TAIL)
			((struct ckpt_hdr_tail *)h)->nr_records = m->records;
		if (cr_write_full(m->out, h, h->len))
			goto out;
		if (h->type == CKPT_HDR_TAIL) {
			ret = 0;
			goto out;
		}
		m->records++;
	}
	cr_pre_fail(m->st, "%s image at offset %llu: %s",
		    im.what ? im.what : "truncated",
		    (unsigned long long)im.err_off,
		    im.err[0] ? im.err : "no TAIL record");
out:
	cr_img_close(&im);
	return ret;
}

#endif /* _CR_PRECOPY_H */
