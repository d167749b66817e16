/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cr_img.h - the image reader of the user-space tools and the selftests:
 * ckptinfo decodes with it, restart reads the tree section with it, the
 * pre-copy receiver merges with it, the selftests scan images with it.
 *
 *   struct cr_img im;
 *   cr_img_open(&im, fd);
 *   while ((ret = cr_img_next(&im)) > 0)
 *           use im.h (the record, header included: im.h->len bytes at
 *           im.off, u64 aligned) and im.type (its name, size, ...);
 *   ret == 0: the image ended after its TAIL record; ret < 0: im.what
 *   ("truncated", "corrupted", "read error"), im.err_off and im.err say
 *   what is wrong where.
 *   cr_img_close(&im);
 *
 * cr_img_next() checks the framing the format promises: HEADER first and
 * only there, every length within [header size, CKPT_RECORD_MAX] and at
 * least the record's struct, a known type, nothing cut short, nothing
 * after the TAIL. What a record says is for its user to check.
 */
#ifndef _CR_IMG_H
#define _CR_IMG_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/checkpoint_hdr.h>

/* What is known of a record type */
struct cr_img_type {
	uint32_t type;
	const char *name;
	size_t size;		/* its struct, header included */
	int variable;		/* a payload follows the struct */
};

#define CR_IMG_TYPE(t, s, v)	{ CKPT_HDR_##t, #t, sizeof(s), v }

static const struct cr_img_type cr_img_types[] = {
	CR_IMG_TYPE(HEADER, struct ckpt_hdr_header, 0),
	CR_IMG_TYPE(HEADER_ARCH, struct ckpt_hdr_header_arch, 0),
	CR_IMG_TYPE(STRING, struct ckpt_hdr_string, 1),
	CR_IMG_TYPE(OBJREF, struct ckpt_hdr_objref, 0),
	CR_IMG_TYPE(TREE, struct ckpt_hdr_tree, 0),
	CR_IMG_TYPE(TREE_TASK, struct ckpt_hdr_tree_task, 0),
	CR_IMG_TYPE(TASK, struct ckpt_hdr_task, 0),
	CR_IMG_TYPE(CPU, struct ckpt_hdr_cpu, 0),
	CR_IMG_TYPE(FPU, struct ckpt_hdr_fpu, 1),
	CR_IMG_TYPE(SIGHAND, struct ckpt_hdr_sighand, 0),
	CR_IMG_TYPE(SIGMASK, struct ckpt_hdr_sigmask, 0),
	CR_IMG_TYPE(SIGINFO, struct ckpt_hdr_siginfo, 0),
	CR_IMG_TYPE(MM, struct ckpt_hdr_mm, 0),
	CR_IMG_TYPE(VMA, struct ckpt_hdr_vma, 0),
	CR_IMG_TYPE(PAGES, struct ckpt_hdr_pages, 1),
	CR_IMG_TYPE(PAGES_PRECOPIED, struct ckpt_hdr_pages, 1),
	CR_IMG_TYPE(SHMEM, struct ckpt_hdr_shmem, 0),
	CR_IMG_TYPE(SHM_ATTACH, struct ckpt_hdr_shm_attach, 0),
	CR_IMG_TYPE(FILE_TABLE, struct ckpt_hdr_file_table, 0),
	CR_IMG_TYPE(FD_ENT, struct ckpt_hdr_fd_ent, 0),
	CR_IMG_TYPE(FILE, struct ckpt_hdr_file, 0),
	CR_IMG_TYPE(FS, struct ckpt_hdr_fs, 0),
	CR_IMG_TYPE(FILE_DATA, struct ckpt_hdr_file_data, 0),
	CR_IMG_TYPE(FILE_LOCK, struct ckpt_hdr_file_lock, 0),
	CR_IMG_TYPE(PIPE, struct ckpt_hdr_pipe, 0),
	CR_IMG_TYPE(PIPE_BUF, struct ckpt_hdr_pipe_buf, 1),
	CR_IMG_TYPE(EVENTFD, struct ckpt_hdr_eventfd, 0),
	CR_IMG_TYPE(SIGNALFD, struct ckpt_hdr_signalfd, 0),
	CR_IMG_TYPE(TIMERFD, struct ckpt_hdr_timerfd, 0),
	CR_IMG_TYPE(EPOLL, struct ckpt_hdr_epoll, 0),
	CR_IMG_TYPE(EPOLL_WATCH, struct ckpt_hdr_epoll_watch, 0),
	CR_IMG_TYPE(INOTIFY, struct ckpt_hdr_inotify, 0),
	CR_IMG_TYPE(INOTIFY_WATCH, struct ckpt_hdr_inotify_watch, 0),
	CR_IMG_TYPE(INOTIFY_EVENT, struct ckpt_hdr_inotify_event, 1),
	CR_IMG_TYPE(UNIX_FILE, struct ckpt_hdr_unix_file, 0),
	CR_IMG_TYPE(UNIX_PAIR, struct ckpt_hdr_unix_pair, 0),
	CR_IMG_TYPE(UNIX_SOCK, struct ckpt_hdr_unix_sock, 0),
	CR_IMG_TYPE(UNIX_SKB, struct ckpt_hdr_unix_skb, 1),
	CR_IMG_TYPE(UNIX_LONE, struct ckpt_hdr_unix_lone, 0),
	CR_IMG_TYPE(UNIX_ADDR, struct ckpt_hdr_unix_addr, 0),
	CR_IMG_TYPE(UNIX_LISTEN, struct ckpt_hdr_unix_listen, 0),
	CR_IMG_TYPE(INET_SOCK, struct ckpt_hdr_inet_sock, 0),
	CR_IMG_TYPE(TCP_PAIR, struct ckpt_hdr_tcp_pair, 0),
	CR_IMG_TYPE(TCP_CONN, struct ckpt_hdr_tcp_conn, 0),
	CR_IMG_TYPE(TCP_DATA, struct ckpt_hdr_tcp_data, 1),
	CR_IMG_TYPE(CRED, struct ckpt_hdr_cred, 1),
	CR_IMG_TYPE(SIGNAL, struct ckpt_hdr_signal, 0),
	CR_IMG_TYPE(POSIX_TIMER, struct ckpt_hdr_posix_timer, 0),
	CR_IMG_TYPE(UTS_NS, struct ckpt_hdr_uts_ns, 0),
	CR_IMG_TYPE(IPC_NS, struct ckpt_hdr_ipc_ns, 0),
	CR_IMG_TYPE(NET_NS, struct ckpt_hdr_net_ns, 0),
	CR_IMG_TYPE(NET_ADDR, struct ckpt_hdr_net_addr, 0),
	CR_IMG_TYPE(IPC_SHM, struct ckpt_hdr_ipc_shm, 0),
	CR_IMG_TYPE(IPC_SEM, struct ckpt_hdr_ipc_sem, 1),
	CR_IMG_TYPE(IPC_MSQ, struct ckpt_hdr_ipc_msq, 0),
	CR_IMG_TYPE(IPC_MSG, struct ckpt_hdr_ipc_msg, 1),
	CR_IMG_TYPE(SYSVSEM, struct ckpt_hdr_sysvsem, 0),
	CR_IMG_TYPE(SEM_UNDO, struct ckpt_hdr_sem_undo, 0),
	CR_IMG_TYPE(SEM_ADJ, struct ckpt_hdr_sem_adj, 1),
	CR_IMG_TYPE(TAIL, struct ckpt_hdr_tail, 0),
	CR_IMG_TYPE(ERROR, struct ckpt_hdr_error, 1),
};

/* The type @type, or NULL if the format has no such record */
static inline const struct cr_img_type *cr_img_type(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(cr_img_types) / sizeof(cr_img_types[0]); i++)
		if (cr_img_types[i].type == type)
			return &cr_img_types[i];
	return NULL;
}

/* The name of @type, or "type N" (in a buffer of the caller's) */
static inline const char *cr_img_name(uint32_t type, char *buf, size_t size)
{
	const struct cr_img_type *t = cr_img_type(type);

	if (t)
		return t->name;
	snprintf(buf, size, "type %u", type);
	return buf;
}

struct cr_img {
	int fd;
	uint64_t off;			/* offset of the current record */
	uint64_t next;			/* of the next one */
	uint64_t nr;			/* records read, the current one too */
	struct ckpt_hdr *h;		/* the current record, whole */
	const struct cr_img_type *type;	/* and its type */
	int seen_header, seen_tail;
	int eof;			/* the failure: the file ended between records */
	/* every byte read goes here too, if set (restart keeps them) */
	int (*tap)(void *arg, const void *p, size_t n);
	void *tap_arg;
	/* the first problem */
	const char *what;
	uint64_t err_off;
	char err[256];
};

static inline __attribute__((format(printf, 4, 5)))
int cr_img_fail(struct cr_img *im, const char *what, uint64_t off,
		const char *fmt, ...)
{
	va_list ap;

	im->what = what;
	im->err_off = off;
	va_start(ap, fmt);
	vsnprintf(im->err, sizeof(im->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Read the image of @fd from its current offset (0 for the image start) */
static inline int cr_img_open(struct cr_img *im, int fd)
{
	memset(im, 0, sizeof(*im));
	im->fd = fd;
	/* u64 aligned, room for the largest record */
	im->h = malloc(CKPT_RECORD_MAX);
	if (!im->h)
		return cr_img_fail(im, "read error", 0, "out of memory");
	return 0;
}

static inline void cr_img_close(struct cr_img *im)
{
	free(im->h);
	im->h = NULL;
}

/* Up to @len bytes: how many were read (less at the end), or -1 */
static inline ssize_t cr_img_read(struct cr_img *im, void *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(im->fd, (char *)p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_img_fail(im, "read error", im->off + got,
					   "%s", strerror(errno));
		if (!n)
			break;
		got += n;
	}
	if (got && im->tap && im->tap(im->tap_arg, p, got))
		return cr_img_fail(im, "read error", im->off, "out of memory");
	return got;
}

/*
 * The next record, into im->h: 1, 0 after the TAIL record (at the end
 * of the file, or, with @stop_at_tail, without reading further), or -1
 * with im->what, im->err_off and im->err set.
 */
static inline int cr_img_next_ex(struct cr_img *im, int stop_at_tail)
{
	struct ckpt_hdr *h = im->h;
	const struct cr_img_type *t;
	ssize_t n;

	im->off = im->next;
	if (im->seen_tail && stop_at_tail)
		return 0;
	n = cr_img_read(im, h, sizeof(*h));
	if (n < 0)
		return -1;
	if (n == 0) {
		if (im->seen_tail)
			return 0;
		im->eof = 1;
		return cr_img_fail(im, "truncated", im->off, "%s",
				   im->seen_header ? "no TAIL record" :
				   "empty image");
	}
	if (im->seen_tail)
		return cr_img_fail(im, "corrupted", im->off,
				   "data after the TAIL record");
	if (n < (ssize_t)sizeof(*h))
		return cr_img_fail(im, "truncated", im->off,
				   "record header cut short after %zd of %zu bytes",
				   n, sizeof(*h));
	t = cr_img_type(h->type);
	if (!im->seen_header && h->type != CKPT_HDR_HEADER)
		return cr_img_fail(im, "corrupted", im->off,
				   "not a checkpoint image (first record type %u, not HEADER)",
				   h->type);
	if (!t)
		return cr_img_fail(im, "corrupted", im->off,
				   "unknown record type %u (len %u)", h->type,
				   h->len);
	if (h->len < sizeof(*h))
		return cr_img_fail(im, "corrupted", im->off,
				   "%s record length %u < %zu", t->name, h->len,
				   sizeof(*h));
	if (h->len > CKPT_RECORD_MAX)
		return cr_img_fail(im, "corrupted", im->off,
				   "%s record length %u > %u", t->name, h->len,
				   CKPT_RECORD_MAX);
	if (h->len < t->size)
		return cr_img_fail(im, "corrupted", im->off,
				   "%s record length %u shorter than its struct (%zu bytes)",
				   t->name, h->len, t->size);
	if (h->type == CKPT_HDR_HEADER && im->seen_header)
		return cr_img_fail(im, "corrupted", im->off,
				   "second HEADER record");
	n = cr_img_read(im, h + 1, h->len - sizeof(*h));
	if (n < 0)
		return -1;
	if (n < (ssize_t)(h->len - sizeof(*h)))
		return cr_img_fail(im, "truncated", im->off,
				   "%s record of %u bytes cut short after %zd bytes",
				   t->name, h->len, n + sizeof(*h));
	im->type = t;
	im->seen_header = 1;
	if (h->type == CKPT_HDR_TAIL)
		im->seen_tail = 1;
	im->nr++;
	im->next = im->off + h->len;
	return 1;
}

static inline int cr_img_next(struct cr_img *im)
{
	return cr_img_next_ex(im, 0);
}

/* The next record, which must be of @type: 1, or -1 (with a message) */
static inline int cr_img_expect(struct cr_img *im, uint32_t type)
{
	char buf[32];
	int ret = cr_img_next_ex(im, 1);

	if (ret <= 0) {
		if (!ret)
			cr_img_fail(im, "truncated", im->off, "no %s record",
				    cr_img_name(type, buf, sizeof(buf)));
		return -1;
	}
	if (im->h->type != type)
		return cr_img_fail(im, "corrupted", im->off,
				   "%s record where %s was due", im->type->name,
				   cr_img_name(type, buf, sizeof(buf)));
	return 1;
}

/* The section every image starts with */
struct cr_img_tree {
	struct ckpt_hdr_header hdr;
	struct ckpt_hdr_tree tree;
	struct ckpt_hdr_tree_task *tasks;	/* tree.nr_tasks of them */
};

/* Most tasks a tree may have (the kernel's PID_MAX_LIMIT) */
#define CR_IMG_MAX_TASKS	(4U * 1024 * 1024)

/*
 * Read HEADER (its magic and version checked), HEADER_ARCH, TREE and its
 * TREE_TASK records into @t (free t->tasks). 0, or -1 with im->err.
 */
static inline int cr_img_read_tree(struct cr_img *im, struct cr_img_tree *t)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (cr_img_expect(im, CKPT_HDR_HEADER) < 0)
		return -1;
	memcpy(&t->hdr, im->h, sizeof(t->hdr));
	if (t->hdr.magic != CKPT_MAGIC || t->hdr.version != CKPT_VERSION)
		return cr_img_fail(im, "corrupted", 0,
				   "not a checkpoint image of version %d",
				   CKPT_VERSION);
	if (cr_img_expect(im, CKPT_HDR_HEADER_ARCH) < 0 ||
	    cr_img_expect(im, CKPT_HDR_TREE) < 0)
		return -1;
	memcpy(&t->tree, im->h, sizeof(t->tree));
	if (!t->tree.nr_tasks || t->tree.nr_tasks > CR_IMG_MAX_TASKS)
		return cr_img_fail(im, "corrupted", im->off,
				   "bad tree size %u", t->tree.nr_tasks);
	t->tasks = calloc(t->tree.nr_tasks, sizeof(*t->tasks));
	if (!t->tasks)
		return cr_img_fail(im, "read error", im->off, "out of memory");
	for (i = 0; i < t->tree.nr_tasks; i++) {
		if (cr_img_expect(im, CKPT_HDR_TREE_TASK) < 0)
			return -1;
		memcpy(&t->tasks[i], im->h, sizeof(t->tasks[i]));
	}
	return 0;
}

#endif /* _CR_IMG_H */
