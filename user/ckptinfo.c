// SPDX-License-Identifier: GPL-2.0
/*
 * ckptinfo - decode a checkpoint image.
 *
 *   ckptinfo [-v] [-e] [FILE|-]
 *
 * Reads the image sequentially (works on pipes) and prints every record.
 * Damaged images (truncated, corrupted) are reported with the offset of
 * the offending record. See ckptinfo(1).
 */
#include "cr_common.h"
#include "cr_img.h"

#include <arpa/inet.h>
#include <endian.h>
#include <getopt.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>

#if __BYTE_ORDER != __LITTLE_ENDIAN
#error "ckptinfo reads little-endian images in place: port it first"
#endif

/*
 * Records are read in place into an 8-byte aligned buffer: every struct
 * must keep u64 fields aligned (explicit padding, size a multiple of 8).
 */
#define CKPT_ALIGNED(s) \
	_Static_assert(sizeof(struct s) % 8 == 0, #s " is not padded")
CKPT_ALIGNED(ckpt_hdr);
CKPT_ALIGNED(ckpt_hdr_header);
CKPT_ALIGNED(ckpt_hdr_header_arch);
CKPT_ALIGNED(ckpt_hdr_objref);
CKPT_ALIGNED(ckpt_hdr_tree);
CKPT_ALIGNED(ckpt_hdr_tree_task);
CKPT_ALIGNED(ckpt_hdr_task);
CKPT_ALIGNED(ckpt_hdr_cpu);
CKPT_ALIGNED(ckpt_hdr_fpu);
CKPT_ALIGNED(ckpt_hdr_sighand);
CKPT_ALIGNED(ckpt_hdr_sigmask);
CKPT_ALIGNED(ckpt_hdr_mm);
CKPT_ALIGNED(ckpt_hdr_vma);
CKPT_ALIGNED(ckpt_hdr_pages);
CKPT_ALIGNED(ckpt_hdr_file_table);
CKPT_ALIGNED(ckpt_hdr_fd_ent);
CKPT_ALIGNED(ckpt_hdr_file);
CKPT_ALIGNED(ckpt_hdr_pipe);
CKPT_ALIGNED(ckpt_hdr_pipe_buf);
CKPT_ALIGNED(ckpt_hdr_eventfd);
CKPT_ALIGNED(ckpt_hdr_signalfd);
CKPT_ALIGNED(ckpt_hdr_timerfd);
CKPT_ALIGNED(ckpt_hdr_unix_file);
CKPT_ALIGNED(ckpt_hdr_unix_pair);
CKPT_ALIGNED(ckpt_hdr_unix_sock);
CKPT_ALIGNED(ckpt_hdr_unix_skb);
CKPT_ALIGNED(ckpt_hdr_unix_lone);
CKPT_ALIGNED(ckpt_hdr_unix_addr);
CKPT_ALIGNED(ckpt_hdr_unix_listen);
CKPT_ALIGNED(ckpt_hdr_inet_sock);
CKPT_ALIGNED(ckpt_hdr_tcp_pair);
CKPT_ALIGNED(ckpt_hdr_tcp_conn);
CKPT_ALIGNED(ckpt_hdr_tcp_data);
CKPT_ALIGNED(ckpt_hdr_net_ns);
CKPT_ALIGNED(ckpt_hdr_net_addr);
CKPT_ALIGNED(ckpt_hdr_epoll);
CKPT_ALIGNED(ckpt_hdr_epoll_watch);
CKPT_ALIGNED(ckpt_hdr_inotify);
CKPT_ALIGNED(ckpt_hdr_inotify_watch);
CKPT_ALIGNED(ckpt_hdr_inotify_event);
CKPT_ALIGNED(ckpt_hdr_shm_attach);
CKPT_ALIGNED(ckpt_hdr_ipc_ns);
CKPT_ALIGNED(ckpt_hdr_ipc_shm);
CKPT_ALIGNED(ckpt_sem);
CKPT_ALIGNED(ckpt_hdr_ipc_sem);
CKPT_ALIGNED(ckpt_hdr_ipc_msq);
CKPT_ALIGNED(ckpt_hdr_ipc_msg);
CKPT_ALIGNED(ckpt_hdr_sysvsem);
CKPT_ALIGNED(ckpt_hdr_sem_undo);
CKPT_ALIGNED(ckpt_hdr_sem_adj);
CKPT_ALIGNED(ckpt_hdr_tail);
CKPT_ALIGNED(ckpt_hdr_error);

/* Continuation lines of a record line up under its fields. */
#define INDENT	"                                "

struct decoder {
	int verbose;
	int errors_only;
	int check;			/* --check: nothing printed but the verdict */
	int json;			/* --json: one JSON document */
	int json_records;		/* records printed so far */
	char problem[512];		/* --json: why the image is damaged */
	const char *problem_what;	/* "corrupted", "truncated" */
	unsigned long long problem_off;
	__u32 hdr_tasks;		/* HEADER's nr_tasks */
	unsigned long long tree_entries;	/* TREE_TASK records */
	unsigned long long tree_live;	/* those that have a TASK section */
	unsigned long long off;		/* offset of the current record */
	unsigned long long nr_records;	/* records before the current one */
	unsigned long long nr_tasks;
	unsigned long long nr_pages;
	unsigned long long nr_errors;
	int seen_tail;
	__u32 page_size;
	__u32 xstate_size;		/* 0 until HEADER_ARCH */
	const char *string_role;	/* what the next STRING record is */
	const char *next_role;		/* and the one after it */
	__u32 tcp_send_left;		/* TCP_DATA bytes still due: send */
	__u32 tcp_recv_left;		/* and receive queue of TCP_CONN */
	/* the records after a UNIX_PAIR, UNIX_LONE or UNIX_LISTEN */
	int unix_ctx;			/* which of them, or none */
	__u32 unix_type;		/* the sockets' type */
	__u32 unix_lone_state;		/* UNIX_LONE: its state */
	int unix_socks_due;		/* PAIR, LONE: UNIX_SOCK records to come */
	int unix_end;			/* end of the last UNIX_SOCK of a pair */
	int unix_addr_due;		/* a NAMED UNIX_SOCK: its UNIX_ADDR */
	__u32 unix_skbs_left[2];	/* UNIX_SKB records due, per end */
	int unix_role;			/* LISTEN: whose UNIX_SOCK comes next */
	__u32 unix_conns;		/* LISTEN: its connections */
	__u32 unix_conn;		/* the one whose records come now */
	char why[256];			/* what is wrong with the record */
};

struct rec_type {
	__u32 type;
	int (*print)(struct decoder *d, const void *rec, __u32 len);
};

/* ---- output helpers --------------------------------------------------- */

/* Where the decoded text goes: stdout, or (--json) a record's own text */
static FILE *ck_out;

static __attribute__((format(printf, 2, 3)))
void out(struct decoder *d, const char *fmt, ...)
{
	va_list ap;

	if (d->errors_only || d->check)
		return;
	va_start(ap, fmt);
	vfprintf(ck_out, fmt, ap);
	va_end(ap);
}

/* Record the reason a record is corrupt; print functions return this. */
static __attribute__((format(printf, 2, 3)))
int bad(struct decoder *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* One byte of a quoted string, escaped as C would */
static void out_char(unsigned char c)
{
	if (c == '"' || c == '\\')
		fprintf(ck_out, "\\%c", c);
	else if (c >= 0x20 && c < 0x7f)
		fputc(c, ck_out);
	else if (c == '\n')
		fprintf(ck_out, "\\n");
	else
		fprintf(ck_out, "\\x%02x", c);
}

/* Quoted string of at most @max bytes, stopping at a NUL. */
static void out_str(struct decoder *d, const char *s, size_t max)
{
	size_t i;

	if (d->errors_only || d->check)
		return;
	fputc('"', ck_out);
	for (i = 0; i < max && s[i]; i++)
		out_char(s[i]);
	fputc('"', ck_out);
}

/*
 * Quoted bytes, NULs included: the first @max of @n, then "..." and the
 * count of the rest.
 */
static void out_bytes(struct decoder *d, const unsigned char *p,
		      unsigned long long n, unsigned int max)
{
	unsigned long long i;

	if (d->errors_only || d->check)
		return;
	fputc('"', ck_out);
	for (i = 0; i < n && i < max; i++)
		out_char(p[i]);
	fputc('"', ck_out);
	if (n > max)
		fprintf(ck_out, "... (%llu more)", n - max);
}

/*
 * One run of a run-length list of values: "v" once, "v*n" repeated;
 * @sep goes before it.
 */
static void out_run(struct decoder *d, const char *sep, long long v,
		    unsigned int n)
{
	out(d, "%s%lld", sep, v);
	if (n > 1)
		out(d, "*%u", n);
}

/* Names of the bits set in @v, from a table indexed by bit number. */
static void out_bits(struct decoder *d, __u64 v, const char *const *names,
		     unsigned int nr)
{
	const char *sep = "";
	unsigned int i;

	out(d, "0x%llx", (unsigned long long)v);
	if (!v)
		return;
	out(d, " (");
	for (i = 0; i < 64; i++) {
		if (!(v & (1ULL << i)))
			continue;
		if (i < nr && names[i])
			out(d, "%s%s", sep, names[i]);
		else
			out(d, "%sbit%u", sep, i);
		sep = "|";
	}
	out(d, ")");
}

/*
 * A signal set, bit N-1 for signal N: its hex value, then the signals in
 * it, by their abbreviation (USR1) or, without one, their number (37).
 */
static void out_sigset(struct decoder *d, __u64 set)
{
	const char *sep = " (";
	unsigned int i;

	out(d, "0x%llx", (unsigned long long)set);
	if (!set)
		return;
	for (i = 0; i < 64; i++) {
		const char *abbrev = sigabbrev_np(i + 1);

		if (!(set & (1ULL << i)))
			continue;
		out(d, "%s", sep);
		if (abbrev)
			out(d, "%s", abbrev);
		else
			out(d, "%u", i + 1);
		sep = "|";
	}
	out(d, ")");
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static const char *enum_name(__u32 v, const char *const *names,
			     unsigned int nr)
{
	if (v < nr && names[v])
		return names[v];
	return "unknown";
}

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A record restart reads whole into its struct
 * (ckpt_read_obj_type_into()): any other length is a bad image.
 */
static int exact_len(struct decoder *d, __u32 len, size_t size)
{
	if (len != size)
		return bad(d, "%u bytes, not %zu", len, size);
	return 0;
}

/* @ns nanoseconds as seconds: "2.500000000 s", "-0.000000001 s" */
static const char *fmt_ns(char *buf, size_t size, __s64 ns)
{
	unsigned long long m = ns < 0 ? -(unsigned long long)ns : (__u64)ns;

	snprintf(buf, size, "%s%llu.%09llu s", ns < 0 ? "-" : "",
		 m / 1000000000ULL, m % 1000000000ULL);
	return buf;
}

/* A socket timeout (SO_RCVTIMEO, SO_SNDTIMEO) in ns; 0 is none */
static const char *fmt_timeo(char *buf, size_t size, __s64 ns)
{
	if (!ns) {
		snprintf(buf, size, "none");
		return buf;
	}
	return fmt_ns(buf, size, ns);
}

/* ---- record printers -------------------------------------------------- */

static int print_header(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const flag_names[] = {
		[0] = "SUBTREE", [16] = "SELF", [17] = "CONTAINER",
		[18] = "OWN_UTS", [19] = "OWN_IPC", [20] = "OWN_MNT",
		[21] = "OWN_NET",
	};
	const struct ckpt_hdr_header *h = rec;
	time_t t = h->time_sec;
	char tbuf[64] = "?";
	struct tm tm;

	if (h->magic != CKPT_MAGIC)
		return bad(d, "bad magic 0x%016llx (expected 0x%016llx)",
			   (unsigned long long)h->magic,
			   (unsigned long long)CKPT_MAGIC);
	if (h->version != CKPT_VERSION)
		return bad(d, "unsupported image version %u (expected %u)",
			   h->version, CKPT_VERSION);
	if (h->page_size < 4096 || (h->page_size & (h->page_size - 1)))
		return bad(d, "bad page size %u", h->page_size);
	d->page_size = h->page_size;

	d->hdr_tasks = h->nr_tasks;
	out(d, "magic ok, version %u, arch %s(%u), page_size %u\n",
	    h->version, h->arch == CKPT_ARCH_X86_64 ? "x86_64" : "unknown",
	    h->arch, h->page_size);
	out(d, INDENT "flags ");
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	out(d, ", nr_tasks %u, id %llu, root_pid %d\n", h->nr_tasks,
	    (unsigned long long)h->id, h->root_pid);
	if (gmtime_r(&t, &tm))
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
	out(d, INDENT "time %s.%09u UTC (%lld)\n", tbuf, h->time_nsec,
	    (long long)h->time_sec);
	out(d, INDENT "uts ");
	out_str(d, h->sysname, CKPT_UTS_LEN);
	out(d, " ");
	out_str(d, h->nodename, CKPT_UTS_LEN);
	out(d, " ");
	out_str(d, h->release, CKPT_UTS_LEN);
	out(d, " ");
	out_str(d, h->machine, CKPT_UTS_LEN);
	out(d, "\n");
	if (d->verbose) {
		out(d, INDENT "version ");
		out_str(d, h->version_str, CKPT_UTS_LEN);
		out(d, " domainname ");
		out_str(d, h->domainname, CKPT_UTS_LEN);
		out(d, "\n");
	}
	return 0;
}

static int print_header_arch(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_header_arch *h = rec;

	d->xstate_size = h->xstate_size;
	out(d, "fpu_format %s(%u), xstate_size %u, xfeatures 0x%llx\n",
	    h->fpu_format == CKPT_FPU_XSAVE ? "xsave" : "unknown",
	    h->fpu_format, h->xstate_size,
	    (unsigned long long)h->xfeatures);
	return 0;
}

static int print_string(struct decoder *d, const void *rec, __u32 len)
{
	const char *s = (const char *)rec + sizeof(struct ckpt_hdr_string);
	size_t n = len - sizeof(struct ckpt_hdr_string);

	if (!n || s[n - 1])
		return bad(d, "string is not NUL terminated");
	if (strlen(s) != n - 1)
		return bad(d, "string has an embedded NUL");
	if (d->string_role)
		out(d, "%s ", d->string_role);
	out_str(d, s, n);
	out(d, "\n");
	return 0;
}

static const char *const obj_names[] = {
	[CKPT_OBJ_NONE] = "none",
	[CKPT_OBJ_MM] = "mm",
	[CKPT_OBJ_FILE_TABLE] = "file_table",
	[CKPT_OBJ_FILE] = "file",
	[CKPT_OBJ_FS] = "fs",
	[CKPT_OBJ_SIGHAND] = "sighand",
	[CKPT_OBJ_CRED] = "cred",
	[CKPT_OBJ_SIGNAL] = "signal",
	[CKPT_OBJ_UTS_NS] = "uts_ns",
	[CKPT_OBJ_SHMEM] = "shmem",
	[CKPT_OBJ_FILE_DATA] = "file_data",
	[CKPT_OBJ_IPC_NS] = "ipc_ns",
	[CKPT_OBJ_SEM_UNDO] = "sem_undo",
	[CKPT_OBJ_SHM_ATTACH] = "shm_attach",
	[CKPT_OBJ_PIPE] = "pipe",
	[CKPT_OBJ_UNIX_PAIR] = "unix_pair",
	[CKPT_OBJ_NET_NS] = "net_ns",
	[CKPT_OBJ_TCP_PAIR] = "tcp_pair",
	[CKPT_OBJ_UNIX_LISTEN] = "unix_listen",
};

static int print_objref(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_objref *h = rec;

	out(d, "objref %d, objtype %s(%u)\n", h->objref,
	    enum_name(h->objtype, obj_names, ARRAY_SIZE(obj_names)),
	    h->objtype);
	return 0;
}

static int print_tree(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_tree *h = rec;

	out(d, "nr_tasks %u\n", h->nr_tasks);
	return 0;
}

static int print_tree_task(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const flag_names[] = {
		"thread", "zombie", "ghost", "root", "subreaper",
	};
	const struct ckpt_hdr_tree_task *h = rec;

	d->tree_entries++;
	if (!(h->flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST)))
		d->tree_live++;
	out(d, "pid %d, tgid %d, ppid %d, sid %d, pgid %d, flags ",
	    h->pid, h->tgid, h->ppid, h->sid, h->pgid);
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	if (h->flags & CKPT_TREE_ZOMBIE)
		out(d, ", exit status 0x%x", h->exit_code);
	out(d, "\n");
	return 0;
}

static int print_task(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_task *h = rec;

	d->nr_tasks++;
	out(d, "pid %d, comm ", h->pid);
	out_str(d, h->comm, CKPT_COMM_LEN);
	out(d, ", exit_signal %u, exit_code %d, flags 0x%x%s, nice %d, "
	    "personality 0x%llx\n", h->exit_signal, h->exit_code, h->flags,
	    h->flags & CKPT_TASK_NO_NEW_PRIVS ? " (no_new_privs)" : "",
	    h->nice, (unsigned long long)h->personality);
	if (d->verbose)
		out(d, INDENT "rseq 0x%llx sig 0x%x, robust_list 0x%llx, "
		    "clear_child_tid 0x%llx\n", (unsigned long long)h->rseq,
		    h->rseq_sig, (unsigned long long)h->robust_list,
		    (unsigned long long)h->clear_child_tid);
	if (h->pdeath_signal)
		out(d, INDENT "parent-death signal %u\n", h->pdeath_signal);
	if (h->sleep_flags)
		out(d, INDENT "waiting: %s, clock %d, %lld ns, flags 0x%x, rmtp 0x%llx, uaddr 0x%llx, val %u, bitset 0x%x\n",
		    h->sleep_flags & CKPT_SLEEP_POLL ? "poll" :
		    h->sleep_flags & CKPT_SLEEP_FUTEX ? "futex" : "nanosleep",
		    h->sleep_clockid, (long long)h->sleep_remaining,
		    h->sleep_flags, (unsigned long long)h->sleep_rmtp,
		    (unsigned long long)h->sleep_uaddr, h->sleep_val,
		    h->sleep_bitset);
	return 0;
}

static int print_cpu(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_cpu *h = rec;

	out(d, "ip 0x%llx, sp 0x%llx, ax 0x%llx, orig_ax %lld, "
	    "fs_base 0x%llx\n", (unsigned long long)h->ip,
	    (unsigned long long)h->sp, (unsigned long long)h->ax,
	    (long long)h->orig_ax, (unsigned long long)h->fs_base);
	if (!d->verbose)
		return 0;
#define R(r)	((unsigned long long)h->r)
	out(d, INDENT "bx %016llx cx %016llx dx %016llx\n",
	    R(bx), R(cx), R(dx));
	out(d, INDENT "si %016llx di %016llx bp %016llx\n",
	    R(si), R(di), R(bp));
	out(d, INDENT "r8 %016llx r9 %016llx r10 %016llx\n",
	    R(r8), R(r9), R(r10));
	out(d, INDENT "r11 %016llx r12 %016llx r13 %016llx\n",
	    R(r11), R(r12), R(r13));
	out(d, INDENT "r14 %016llx r15 %016llx flags %016llx\n",
	    R(r14), R(r15), R(flags));
	out(d, INDENT "cs 0x%llx ss 0x%llx ds 0x%x es 0x%x fsindex 0x%x "
	    "gsindex 0x%x\n", R(cs), R(ss), h->ds, h->es, h->fsindex,
	    h->gsindex);
	out(d, INDENT "gs_base 0x%llx\n", R(gs_base));
#undef R
	return 0;
}

static int print_fpu(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_fpu *h = rec;

	if (h->size != len - sizeof(*h))
		return bad(d, "FPU size %u does not match record length %u",
			   h->size, len);
	if (d->xstate_size && h->size != d->xstate_size)
		return bad(d, "FPU size %u differs from HEADER_ARCH "
			   "xstate_size %u", h->size, d->xstate_size);
	out(d, "format %s(%u), size %u\n",
	    h->format == CKPT_FPU_XSAVE ? "xsave" : "unknown", h->format,
	    h->size);
	return 0;
}

static int print_sighand(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_sighand *h = rec;
	unsigned int i, nr = 0;

	for (i = 0; i < CKPT_NSIG; i++)
		if (h->action[i].handler)
			nr++;
	out(d, "objref %d, %u signals not SIG_DFL\n", h->objref, nr);
	if (!d->verbose)
		return 0;
	for (i = 0; i < CKPT_NSIG; i++) {
		const struct ckpt_sigaction *a = &h->action[i];
		const char *abbrev = sigabbrev_np(i + 1);

		if (!a->handler)
			continue;
		out(d, INDENT "%2u %-6s ", i + 1, abbrev ? abbrev : "");
		if (a->handler == 1)
			out(d, "SIG_IGN           ");
		else
			out(d, "0x%016llx",
			    (unsigned long long)a->handler);
		out(d, " flags 0x%llx restorer 0x%llx mask 0x%llx\n",
		    (unsigned long long)a->flags,
		    (unsigned long long)a->restorer,
		    (unsigned long long)a->mask);
	}
	return 0;
}

static int print_sigmask(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_sigmask *h = rec;

	out(d, "blocked ");
	if (d->verbose)
		out_sigset(d, h->blocked);
	else
		out(d, "0x%llx", (unsigned long long)h->blocked);
	if (h->sas_ss_size || h->sas_ss_flags || d->verbose)
		out(d, ", sigaltstack 0x%llx size %llu flags 0x%x",
		    (unsigned long long)h->sas_ss_sp,
		    (unsigned long long)h->sas_ss_size, h->sas_ss_flags);
	if (h->pending || h->shared_pending || d->verbose)
		out(d, ", pending 0x%llx, group pending 0x%llx, %u queued",
		    (unsigned long long)h->pending,
		    (unsigned long long)h->shared_pending, h->nr_siginfo);
	out(d, "\n");
	return 0;
}

static int print_siginfo(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_siginfo *h = rec;
	siginfo_t si;

	memcpy(&si, h->info, sizeof(si));
	if (h->flags & CKPT_SIGINFO_TIMER) {
		out(d, "signal %d%s of POSIX timer %d, overrun %d\n",
		    si.si_signo, h->shared ? " (thread group)" : "",
		    si.si_timerid, si.si_overrun);
		return 0;
	}
	out(d, "signal %d%s code %d errno %d pid %d uid %u\n", si.si_signo,
	    h->shared ? " (thread group)" : "", si.si_code, si.si_errno,
	    si.si_pid, si.si_uid);
	return 0;
}

static int print_posix_timer(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const clock_names[] = {
		[CLOCK_REALTIME] = "realtime", [CLOCK_MONOTONIC] = "monotonic",
		[CLOCK_BOOTTIME] = "boottime", [CLOCK_TAI] = "tai",
	};
	const struct ckpt_hdr_posix_timer *h = rec;
	const char *clock;
	char buf[48];

	/* CPU-time clocks: ~pid << 3 | thread (4) | which (0-2) */
	if (h->clock == -6) {	/* CLOCK_PROCESS_CPUTIME_ID, as kept */
		clock = "process CPU time";
	} else if (h->clock < 0 && (h->clock & 3) != 3) {
		snprintf(buf, sizeof(buf), "CPU time of %s %d",
			 h->clock & 4 ? "thread" : "pid", ~(h->clock >> 3));
		clock = buf;
	} else {
		clock = enum_name(h->clock, clock_names,
				  ARRAY_SIZE(clock_names));
	}
	out(d, "id %d, clock %s(%d), notify %d signal %d value %#llx",
	    h->id, clock, h->clock, h->notify, h->signo,
	    (unsigned long long)h->sigval);
	if (h->notify & 4)	/* SIGEV_THREAD_ID */
		out(d, " to thread %d", h->tid);
	if (!h->value)
		out(d, ", disarmed");
	else
		out(d, ", %s %llu ns every %llu ns",
		    h->flags & CKPT_TIMER_ABSTIME ? "at" : "in",
		    (unsigned long long)h->value,
		    (unsigned long long)h->interval);
	out(d, ", overrun %lld/%lld%s\n", (long long)h->overrun,
	    (long long)h->overrun_last,
	    h->flags & CKPT_TIMER_REQUEUE ? ", re-armed when its signal is taken" : "");
	return 0;
}

static int print_mm(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_mm *h = rec;
	unsigned int i;

	if (h->nr_auxv > CKPT_AUXV_MAX)
		return bad(d, "nr_auxv %u > %u", h->nr_auxv, CKPT_AUXV_MAX);
#define A(f)	((unsigned long long)h->f)
	out(d, "objref %d, nr_vmas %u, has_exe %u, nr_auxv %u%s%s%s\n",
	    h->objref, h->nr_vmas, h->has_exe, h->nr_auxv,
	    h->def_flags & CKPT_MM_LOCK_FUTURE ? ", mlockall(MCL_FUTURE)" : "",
	    h->def_flags & CKPT_MM_LOCK_ONFAULT ? " with MCL_ONFAULT" : "",
	    h->def_flags & CKPT_MM_THP_DISABLE ? ", THP disabled" : "");
	out(d, INDENT "code 0x%llx-0x%llx data 0x%llx-0x%llx\n",
	    A(start_code), A(end_code), A(start_data), A(end_data));
	out(d, INDENT "brk 0x%llx-0x%llx stack 0x%llx vdso 0x%llx\n",
	    A(start_brk), A(brk), A(start_stack), A(vdso));
	out(d, INDENT "args 0x%llx-0x%llx env 0x%llx-0x%llx\n",
	    A(arg_start), A(arg_end), A(env_start), A(env_end));
#undef A
	if (d->verbose) {
		for (i = 0; i + 1 < h->nr_auxv; i += 2)
			out(d, INDENT "auxv[%2u] %llu = 0x%llx\n", i / 2,
			    (unsigned long long)h->auxv[i],
			    (unsigned long long)h->auxv[i + 1]);
	}
	if (h->has_exe == CKPT_EXE_PATH)
		d->string_role = "exe";
	return 0;
}

static int print_vma(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const type_names[] = {
		[CKPT_VMA_ANON] = "anon", [CKPT_VMA_FILE] = "file",
		[CKPT_VMA_SHMEM] = "shmem", [CKPT_VMA_FILE_DATA] = "file_data",
		[CKPT_VMA_SYSVSHM] = "sysvshm",
	};
	const struct ckpt_hdr_vma *h = rec;
	__u32 f = h->flags;

	out(d, "%016llx-%016llx %c%c%c%c", (unsigned long long)h->start,
	    (unsigned long long)h->end,
	    f & CKPT_VMA_READ ? 'r' : '-', f & CKPT_VMA_WRITE ? 'w' : '-',
	    f & CKPT_VMA_EXEC ? 'x' : '-', f & CKPT_VMA_SHARED ? 's' : 'p');
	out(d, " flags 0x%x%s%s%s%s%s%s%s %s(%u) pgoff 0x%llx", f,
	    f & CKPT_VMA_MAYWRITE ? " maywrite" : "",
	    f & CKPT_VMA_GROWSDOWN ? " growsdown" : "",
	    f & CKPT_VMA_NORESERVE ? " noreserve" : "",
	    f & CKPT_VMA_HUGEPAGE ? " hugepage" : "",
	    f & CKPT_VMA_NOHUGEPAGE ? " nohugepage" : "",
	    f & CKPT_VMA_MERGEABLE ? " mergeable" : "",
	    f & CKPT_VMA_LOCKONFAULT ? " lockonfault" : "",
	    enum_name(h->vma_type, type_names, ARRAY_SIZE(type_names)),
	    h->vma_type, (unsigned long long)h->pgoff);
	if (h->end <= h->start)
		out(d, " (empty or inverted range)");
	else if (d->verbose)
		out(d, " (%llu KiB)",
		    (unsigned long long)(h->end - h->start) >> 10);
	out(d, "\n");
	if (h->vma_type == CKPT_VMA_FILE)
		d->string_role = "path";
	return 0;
}

static int print_shmem(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_shmem *h = rec;

	out(d, "shared anonymous memory objref %d, %llu bytes\n", h->objref,
	    (unsigned long long)h->size);
	return 0;
}

static int print_shm_attach(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_shm_attach *h = rec;

	out(d, "objref %d, SysV shm id %d, flags 0x%x%s\n", h->objref,
	    h->shmid, h->flags,
	    h->flags & CKPT_SHM_ATTACH_RDONLY ? " (rdonly)" : "");
	return 0;
}

static int print_file_data(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const kind_names[] = {
		[CKPT_FDATA_MEMFD] = "memfd", [CKPT_FDATA_DELETED] = "deleted",
	};
	const struct ckpt_hdr_file_data *h = rec;

	out(d, "%s(%u) objref %d, %llu bytes, mode 0%o, owner %u:%u, seals 0x%x\n",
	    enum_name(h->kind, kind_names, ARRAY_SIZE(kind_names)), h->kind,
	    h->objref, (unsigned long long)h->size, h->mode, h->uid, h->gid,
	    h->seals);
	d->string_role = h->kind == CKPT_FDATA_MEMFD ? "name" : "directory";
	return 0;
}

static int print_file_lock(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const kind_names[] = {
		[CKPT_LOCK_FLOCK] = "flock", [CKPT_LOCK_OFD] = "ofd",
		[CKPT_LOCK_POSIX] = "posix",
	};
	const struct ckpt_hdr_file_lock *h = rec;

	out(d, "%s(%u) %s, bytes %lld+%lld%s", enum_name(h->kind, kind_names,
	    ARRAY_SIZE(kind_names)), h->kind,
	    h->type == F_RDLCK ? "read" : h->type == F_WRLCK ? "write" : "?",
	    (long long)h->start, (long long)h->len,
	    h->len ? "" : " (to the end)");
	if (h->kind == CKPT_LOCK_POSIX)
		out(d, ", fd %d", h->fd);
	out(d, "\n");
	return 0;
}

/* -v: the page addresses of a PAGES or PAGES_PRECOPIED record, 4 a line */
static void out_addrs(struct decoder *d, const __u64 *addr, unsigned int nr)
{
	unsigned int i;

	if (!d->verbose)
		return;
	for (i = 0; i < nr; i++)
		out(d, "%s%016llx%s", i % 4 ? " " : INDENT,
		    (unsigned long long)addr[i],
		    i % 4 == 3 || i + 1 == nr ? "\n" : "");
}

static int print_pages(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_pages *h = rec;
	const __u64 *addr = (const __u64 *)(h + 1);
	unsigned long long want;

	if (h->nr_pages > CKPT_PAGES_BATCH)
		return bad(d, "nr_pages %u > %u", h->nr_pages,
			   CKPT_PAGES_BATCH);
	want = sizeof(*h) + (unsigned long long)h->nr_pages *
	       (sizeof(__u64) + d->page_size);
	if (want != len)
		return bad(d, "%u pages need a record of %llu bytes, not %u",
			   h->nr_pages, want, len);
	d->nr_pages += h->nr_pages;
	if (!h->nr_pages) {
		out(d, "0 pages (end of pages)\n");
		return 0;
	}
	out(d, "%u pages\n", h->nr_pages);
	out_addrs(d, addr, h->nr_pages);
	return 0;
}

/* PAGES_PRECOPIED: addresses only, the contents were sent ahead */
static int print_precopied(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_pages *h = rec;
	const __u64 *addr = (const __u64 *)(h + 1);

	if (h->nr_pages > CKPT_PAGES_BATCH || !h->nr_pages)
		return bad(d, "nr_pages %u: 1 to %u", h->nr_pages,
			   CKPT_PAGES_BATCH);
	if (sizeof(*h) + (unsigned long long)h->nr_pages * sizeof(__u64) !=
	    len)
		return bad(d, "%u addresses need a record of %zu bytes, not %u",
			   h->nr_pages, sizeof(*h) + h->nr_pages * sizeof(__u64),
			   len);
	out(d, "%u pages sent ahead by the pre-copy (not in this image)\n",
	    h->nr_pages);
	out_addrs(d, addr, h->nr_pages);
	return 0;
}

static int print_file_table(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_file_table *h = rec;

	out(d, "objref %d, nr_fds %u, nr_locks %u\n", h->objref, h->nr_fds,
	    h->nr_locks);
	return 0;
}

static int print_fd_ent(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_fd_ent *h = rec;

	out(d, "fd %d, flags 0x%x%s\n", h->fd, h->flags,
	    h->flags & CKPT_FD_CLOEXEC ? " (cloexec)" : "");
	return 0;
}

static int print_file(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const type_names[] = {
		[CKPT_FILE_REG] = "reg", [CKPT_FILE_CHR] = "chr",
		[CKPT_FILE_INHERIT] = "inherit", [CKPT_FILE_DATA] = "data",
		[CKPT_FILE_PIPE] = "pipe", [CKPT_FILE_FIFO] = "fifo",
		[CKPT_FILE_EVENTFD] = "eventfd",
		[CKPT_FILE_SIGNALFD] = "signalfd",
		[CKPT_FILE_TIMERFD] = "timerfd", [CKPT_FILE_UNIX] = "unix",
		[CKPT_FILE_INET] = "inet", [CKPT_FILE_EPOLL] = "epoll",
		[CKPT_FILE_INOTIFY] = "inotify", [CKPT_FILE_OPATH] = "opath",
	};
	static const char *const acc[] = { "rdonly", "wronly", "rdwr", "?" };
	const struct ckpt_hdr_file *h = rec;

	out(d, "objref %d, type %s(%u), f_flags 0x%x (%s%s%s%s), pos %lld, "
	    "mode 0%o", h->objref,
	    enum_name(h->file_type, type_names, ARRAY_SIZE(type_names)),
	    h->file_type, h->f_flags, acc[h->f_flags & O_ACCMODE],
	    h->f_flags & O_APPEND ? "|append" : "",
	    h->f_flags & O_NONBLOCK ? "|nonblock" : "",
	    h->f_flags & O_DIRECT ? "|direct" : "",
	    (long long)h->f_pos, h->i_mode);
	if (h->file_type == CKPT_FILE_INHERIT)
		out(d, ", inherit_fd %d", h->inherit_fd);
	if (h->nr_locks)
		out(d, ", %u locks", h->nr_locks);
	out(d, "\n");
	if (h->file_type == CKPT_FILE_REG || h->file_type == CKPT_FILE_CHR ||
	    h->file_type == CKPT_FILE_OPATH)
		d->string_role = "path";
	return 0;
}

static int print_pipe(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const kind_names[] = {
		[CKPT_PIPE_ANON] = "anon", [CKPT_PIPE_FIFO] = "fifo",
	};
	const struct ckpt_hdr_pipe *h = rec;

	/* nr_slots pages: F_GETPIPE_SZ is nr_slots * page_size bytes */
	out(d, "objref %d, %s(%u), %u slots (%llu bytes), %u buffers%s\n",
	    h->objref, enum_name(h->kind, kind_names, ARRAY_SIZE(kind_names)),
	    h->kind, h->nr_slots,
	    (unsigned long long)h->nr_slots * d->page_size, h->nr_bufs,
	    h->nr_bufs > h->nr_slots ? " (more than its slots)" : "");
	if (h->kind == CKPT_PIPE_FIFO)
		d->string_role = "path";
	return 0;
}

static int print_pipe_buf(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const flag_names[] = { "packet", "merge" };
	const struct ckpt_hdr_pipe_buf *h = rec;

	if (h->len != len - sizeof(*h))
		return bad(d, "buffer of %u bytes in a record of %u", h->len,
			   len);
	out(d, "%u bytes%s, flags ", h->len,
	    !h->len ? " (empty)" :
	    h->len > d->page_size ? " (more than a page)" : "");
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	out(d, " ");
	out_bytes(d, (const unsigned char *)(h + 1), h->len,
		  d->verbose ? 256 : 16);
	out(d, "\n");
	return 0;
}

static int print_eventfd(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const flag_names[] = { "semaphore" };
	const struct ckpt_hdr_eventfd *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	/* 2^64 - 1 cannot be reached by write(): restart refuses it */
	out(d, "count %llu%s, flags ", (unsigned long long)h->count,
	    h->count == ~0ULL ? " (2^64 - 1: out of range)" : "");
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	out(d, "\n");
	return 0;
}

static int print_signalfd(struct decoder *d, const void *rec, __u32 len)
{
	/* SIGKILL and SIGSTOP: no signalfd reads them, restart refuses them */
	const __u64 unreadable = 1ULL << (SIGKILL - 1) | 1ULL << (SIGSTOP - 1);
	const struct ckpt_hdr_signalfd *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "signals ");
	out_sigset(d, h->sigmask);
	if (!h->sigmask)
		out(d, " (none)");
	if (h->sigmask & unreadable)
		out(d, ", KILL or STOP among them (out of range)");
	out(d, "\n");
	return 0;
}

static int print_timerfd(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const clock_names[] = {
		[CLOCK_REALTIME] = "realtime", [CLOCK_MONOTONIC] = "monotonic",
		[CLOCK_BOOTTIME] = "boottime",
		[CLOCK_REALTIME_ALARM] = "realtime_alarm",
		[CLOCK_BOOTTIME_ALARM] = "boottime_alarm",
	};
	static const char *const flag_names[] = { "abstime", "cancel_on_set" };
	const struct ckpt_hdr_timerfd *h = rec;
	__u32 c = (__u32)h->clockid;
	int known = c < ARRAY_SIZE(clock_names) && clock_names[c];
	int realtime = h->clockid == CLOCK_REALTIME ||
		       h->clockid == CLOCK_REALTIME_ALARM;
	char buf[48], tbuf[64];
	struct tm tm;
	time_t t;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "clock %s(%d), flags ", known ? clock_names[c] : "unknown",
	    h->clockid);
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	if (!h->value_ns) {
		out(d, ", disarmed");
	} else if (h->value_ns > 0 && realtime &&
		   (h->flags & CKPT_TIMERFD_ABSTIME)) {
		/* a wall-clock time, kept as such */
		t = h->value_ns / 1000000000LL;
		strcpy(tbuf, "?");
		if (gmtime_r(&t, &tm))
			strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
		out(d, ", at %s.%09lld UTC (%s)", tbuf,
		    (long long)(h->value_ns % 1000000000LL),
		    fmt_ns(buf, sizeof(buf), h->value_ns));
	} else {
		/* the time left to it, also when it was set absolute */
		out(d, ", next in %s", fmt_ns(buf, sizeof(buf), h->value_ns));
	}
	if (h->interval_ns)
		out(d, ", every %s", fmt_ns(buf, sizeof(buf), h->interval_ns));
	else
		out(d, ", one-shot");
	out(d, ", %llu expir%s not read", (unsigned long long)h->ticks,
	    h->ticks == 1 ? "y" : "ies");
	/* what restart refuses */
	if (!known)
		out(d, ", clock out of range");
	if (h->value_ns < 0 || h->interval_ns < 0)
		out(d, ", negative time (out of range)");
	out(d, "\n");
	return 0;
}

static const char *const unix_type_names[] = {
	[SOCK_STREAM] = "stream", [SOCK_DGRAM] = "dgram",
	[SOCK_SEQPACKET] = "seqpacket",
};

/* What the unix socket records that follow belong to (decoder.unix_ctx) */
enum { UNIX_CTX_NONE, UNIX_CTX_PAIR, UNIX_CTX_LONE, UNIX_CTX_LISTEN };

/* UNIX_LISTEN: the listener's UNIX_SOCK, then each connection's two */
enum { UNIX_ROLE_LISTENER, UNIX_ROLE_CLIENT, UNIX_ROLE_ACCEPTED };

/* Connections a listener may have waiting (SOMAXCONN), as restart takes */
#define UNIX_MAX_CONNS	4096

static int unix_type_known(__u32 type)
{
	return type < ARRAY_SIZE(unix_type_names) && unix_type_names[type];
}

static int print_unix_file(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_unix_file *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	switch (h->end) {
	case 0:
	case 1:
		out(d, "end %u of its pair", h->end);
		break;
	case CKPT_UNIX_LONE:
		out(d, "end lone(%u): a socket with no peer", h->end);
		break;
	case CKPT_UNIX_LISTENER:
		out(d, "end listener(%u): a listening socket with connections "
		    "waiting", h->end);
		break;
	case CKPT_UNIX_PENDING:
		out(d, "end pending(%u): the client of connection %u waiting "
		    "on its listener", h->end, h->conn);
		break;
	default:
		out(d, "end %u (out of range)", h->end);
	}
	/* only a client not accepted yet says which connection it is */
	if (h->conn && h->end != CKPT_UNIX_PENDING)
		out(d, ", connection %u (out of range)", h->conn);
	out(d, "\n");
	return 0;
}

static int print_unix_pair(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_unix_pair *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	/* end 0, end 1 (each with its UNIX_ADDR), then end 0's queue, end 1's */
	d->unix_ctx = UNIX_CTX_PAIR;
	d->unix_type = h->type;
	d->unix_socks_due = 2;
	out(d, "objref %d, type %s(%u)\n", h->objref,
	    enum_name(h->type, unix_type_names, ARRAY_SIZE(unix_type_names)),
	    h->type);
	return 0;
}

static int print_unix_listen(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_unix_listen *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	/* the listener's UNIX_SOCK and UNIX_ADDR, then each connection's */
	d->unix_ctx = UNIX_CTX_LISTEN;
	d->unix_type = h->type;
	d->unix_role = UNIX_ROLE_LISTENER;
	d->unix_conns = h->nr_conns;
	d->unix_conn = 0;
	out(d, "objref %d, type %s(%u), backlog %u, mode %#o, %u connection%s "
	    "waiting", h->objref,
	    enum_name(h->type, unix_type_names, ARRAY_SIZE(unix_type_names)),
	    h->type, h->backlog, h->mode, h->nr_conns,
	    h->nr_conns == 1 ? "" : "s");
	/* what restart refuses */
	if (h->type != SOCK_STREAM && h->type != SOCK_SEQPACKET)
		out(d, ", type out of range");
	if (h->backlog > INT_MAX)
		out(d, ", backlog above INT_MAX (out of range)");
	if (h->mode & ~07777U)
		out(d, ", a mode bit other than the permissions (out of range)");
	if (!h->nr_conns || h->nr_conns > UNIX_MAX_CONNS ||
	    h->nr_conns > (__u64)h->backlog + 1)
		out(d, ", connections: none, more than %u or more than the "
		    "backlog takes (out of range)", UNIX_MAX_CONNS);
	out(d, "\n");
	return 0;
}

static const char *const unix_lone_state_names[] = {
	[CKPT_UNIX_MADE] = "made", [CKPT_UNIX_BOUND] = "bound",
	[CKPT_UNIX_LISTEN] = "listen",
};

static int print_unix_lone(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_unix_lone *h = rec;
	int state_ok = h->state && h->state < CKPT_UNIX_LONE_STATE_MAX;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	/* its UNIX_SOCK, then its UNIX_ADDR when it is bound */
	d->unix_ctx = UNIX_CTX_LONE;
	d->unix_type = h->type;
	d->unix_lone_state = h->state;
	d->unix_socks_due = 1;
	out(d, "type %s(%u), state %s(%u)",
	    enum_name(h->type, unix_type_names, ARRAY_SIZE(unix_type_names)),
	    h->type,
	    enum_name(h->state, unix_lone_state_names,
		      ARRAY_SIZE(unix_lone_state_names)), h->state);
	if (h->state == CKPT_UNIX_LISTEN || h->backlog)
		out(d, ", backlog %u", h->backlog);
	/* the mode of its socket file; 0 when it has none (abstract name) */
	if (h->state != CKPT_UNIX_MADE || h->mode)
		out(d, ", mode %#o", h->mode);
	/* what restart refuses */
	if (!unix_type_known(h->type))
		out(d, ", type out of range");
	if (!state_ok)
		out(d, ", state out of range");
	else if (h->state == CKPT_UNIX_LISTEN && h->type == SOCK_DGRAM)
		out(d, ", a datagram socket listening (out of range)");
	if (h->backlog > INT_MAX)
		out(d, ", backlog above INT_MAX (out of range)");
	else if (h->backlog && h->state != CKPT_UNIX_LISTEN)
		out(d, ", backlog on a socket not listening (out of range)");
	if (h->mode & ~07777U)
		out(d, ", a mode bit other than the permissions (out of range)");
	out(d, "\n");
	return 0;
}

/* Buffer sizes and timeouts of a socket that restart refuses */
static void out_sock_odd(struct decoder *d, __u32 sndbuf, __u32 rcvbuf,
			 __s64 rcvtimeo_ns, __s64 sndtimeo_ns)
{
	if (sndbuf > INT_MAX || rcvbuf > INT_MAX)
		out(d, ", buffer above INT_MAX (out of range)");
	if (rcvtimeo_ns < 0 || sndtimeo_ns < 0)
		out(d, ", negative timeout (out of range)");
}

static int print_unix_sock(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const flag_names[] = {
		"passcred", "sndbuf_set", "rcvbuf_set", "closed", "named",
	};
	/* RCV_SHUTDOWN, SEND_SHUTDOWN: shutdown(2)'s how plus one */
	static const char *const shut_names[] = { "rcv", "send" };
	const struct ckpt_hdr_unix_sock *h = rec;
	int named = !!(h->flags & CKPT_UNIX_NAMED);
	int closed = !!(h->flags & CKPT_UNIX_CLOSED);
	int addr_missing = d->unix_addr_due;
	char rbuf[48], sbuf[48];
	int role = -1, announced = 0;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	/*
	 * Where it stands: end 0 or 1 of a pair, a socket with no peer, or
	 * of a listener's object the listener, then for each connection its
	 * client and the socket accept() will give.
	 */
	if ((d->unix_ctx == UNIX_CTX_PAIR || d->unix_ctx == UNIX_CTX_LONE) &&
	    d->unix_socks_due > 0) {
		announced = 1;
		if (d->unix_ctx == UNIX_CTX_PAIR) {
			d->unix_end = 2 - d->unix_socks_due;
			d->unix_skbs_left[d->unix_end] = h->nr_skbs;
			out(d, "end %d, ", d->unix_end);
		}
		d->unix_socks_due--;
	} else if (d->unix_ctx == UNIX_CTX_LISTEN &&
		   (d->unix_role == UNIX_ROLE_LISTENER ||
		    d->unix_conn < d->unix_conns)) {
		announced = 1;
		role = d->unix_role;
		if (role == UNIX_ROLE_LISTENER) {
			out(d, "the listener, ");
			d->unix_role = UNIX_ROLE_CLIENT;
		} else if (role == UNIX_ROLE_CLIENT) {
			out(d, "connection %u, its client, ", d->unix_conn);
			d->unix_role = UNIX_ROLE_ACCEPTED;
		} else {
			out(d, "connection %u, the socket accept() gives, ",
			    d->unix_conn);
			d->unix_skbs_left[0] = h->nr_skbs;
			d->unix_conn++;
			d->unix_role = UNIX_ROLE_CLIENT;
		}
	}
	if (!announced)
		d->unix_ctx = UNIX_CTX_NONE;
	/* restart reads a UNIX_ADDR after these only */
	d->unix_addr_due = named && (role < 0 || role == UNIX_ROLE_LISTENER);
	out(d, "flags ");
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	out(d, ", shutdown ");
	out_bits(d, h->shutdown, shut_names, ARRAY_SIZE(shut_names));
	out(d, ", %u message%s queued", h->nr_skbs, h->nr_skbs == 1 ? "" : "s");
	if (h->err)
		out(d, ", error %d (%s)%s", h->err, errno_name(h->err),
		    h->err < 0 || h->err > 4095 ? " (out of range)" : "");
	/* a closed end has nothing queued and no SO_PASSCRED */
	if ((h->flags & CKPT_UNIX_CLOSED) &&
	    (h->nr_skbs || (h->flags & CKPT_UNIX_PASSCRED)))
		out(d, ", closed yet receiving (out of range)");
	if (d->unix_ctx == UNIX_CTX_NONE)
		out(d, ", not announced by a UNIX_PAIR, UNIX_LONE or "
		    "UNIX_LISTEN (out of range)");
	else if (addr_missing)
		out(d, ", after a named UNIX_SOCK without its UNIX_ADDR "
		    "(out of range)");
	if (d->unix_ctx == UNIX_CTX_LONE) {
		__u32 state = d->unix_lone_state;

		/* nothing queued, not shut down, open; named once bound */
		if (h->nr_skbs || h->shutdown || (h->flags & CKPT_UNIX_CLOSED))
			out(d, ", messages, shutdown or closed on a socket "
			    "with no peer (out of range)");
		if (state == CKPT_UNIX_MADE && named)
			out(d, ", named but never bound (out of range)");
		else if (state > CKPT_UNIX_MADE &&
			 state < CKPT_UNIX_LONE_STATE_MAX && !named)
			out(d, ", bound but not named (out of range)");
	}
	if (role == UNIX_ROLE_LISTENER &&
	    (h->nr_skbs || h->shutdown || closed || !named))
		out(d, ", a listener with messages, shut down, closed or "
		    "without its name (out of range)");
	else if (role == UNIX_ROLE_CLIENT && (h->nr_skbs || named))
		out(d, ", a client with messages or a name (out of range)");
	else if (role == UNIX_ROLE_ACCEPTED && (named || closed))
		out(d, ", named or closed before it is accepted "
		    "(out of range)");
	out(d, "\n");
	out(d, INDENT "sndbuf %u, rcvbuf %u, rcvlowat %d, peek_off %d%s, "
	    "rcvtimeo %s, sndtimeo %s", h->sndbuf, h->rcvbuf, h->rcvlowat,
	    h->peek_off, h->peek_off == -1 ? " (off)" :
	    h->peek_off < -1 ? " (out of range)" : "",
	    fmt_timeo(rbuf, sizeof(rbuf), h->rcvtimeo_ns),
	    fmt_timeo(sbuf, sizeof(sbuf), h->sndtimeo_ns));
	out_sock_odd(d, h->sndbuf, h->rcvbuf, h->rcvtimeo_ns, h->sndtimeo_ns);
	if (h->rcvlowat < 0)
		out(d, ", negative rcvlowat (out of range)");
	out(d, "\n");
	return 0;
}

/*
 * An abstract name: "@" and its bytes, those that are not printable and
 * spaces as \xNN, so that the name is one word.
 */
static void out_abstract(struct decoder *d, const unsigned char *p, size_t n)
{
	size_t i;

	if (d->errors_only || d->check)
		return;
	fputc('@', ck_out);
	for (i = 0; i < n; i++) {
		if (p[i] == ' ')
			fprintf(ck_out, "\\x20");
		else
			out_char(p[i]);
	}
}

static int print_unix_addr(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_unix_addr *h = rec;
	size_t max = sizeof(h->path), n = h->len < max ? h->len : max;
	const unsigned char *nul = memchr(h->path, '\0', n);
	static const __u8 zero[sizeof(h->path)];
	int path = n && h->path[0];

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "%u bytes, ", h->len);
	if (path) {
		out(d, "path ");
		out_str(d, (const char *)h->path, n);
	} else {
		out(d, "abstract ");
		out_abstract(d, h->path + !!n, n ? n - 1 : 0);
	}
	/* a bound socket holds its name; an end of a pair only shows it */
	if (d->unix_addr_due && (d->unix_ctx == UNIX_CTX_LONE ||
				 d->unix_ctx == UNIX_CTX_LISTEN))
		out(d, ", bound to it");
	else if (d->unix_addr_due && d->unix_ctx == UNIX_CTX_PAIR)
		out(d, ", the name end %d shows, not held (a listener's)",
		    d->unix_end);
	else
		out(d, ", not after a named UNIX_SOCK (out of range)");
	d->unix_addr_due = 0;
	/* what restart refuses */
	if (h->len < 2 || h->len > max)
		out(d, ", length out of range");
	else if (memcmp(h->path + n, zero, max - n))
		out(d, ", bytes after the name (out of range)");
	if (path && h->len <= max && nul != h->path + n - 1)
		out(d, ", a path that does not end with its only NUL "
		    "(out of range)");
	out(d, "\n");
	return 0;
}

static int print_unix_skb(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_unix_skb *h = rec;
	const char *queue;
	char buf[48];

	if (h->len != len - sizeof(*h))
		return bad(d, "message of %u bytes in a record of %u", h->len,
			   len);
	/*
	 * A pair: both ends' UNIX_SOCK come first, then end 0's queue, end
	 * 1's. A listener: each connection's queue after its two UNIX_SOCK.
	 */
	if (d->unix_ctx == UNIX_CTX_LISTEN) {
		if (d->unix_role != UNIX_ROLE_CLIENT || !d->unix_conn) {
			queue = " (not after a connection's two UNIX_SOCK: "
				"out of range)";
		} else if (d->unix_skbs_left[0]) {
			queue = buf;
			snprintf(buf, sizeof(buf), " of connection %u's queue",
				 d->unix_conn - 1);
			d->unix_skbs_left[0]--;
		} else {
			queue = " (beyond the queue its UNIX_SOCK announced: "
				"out of range)";
		}
	} else if (d->unix_ctx != UNIX_CTX_PAIR || d->unix_socks_due ||
		   d->unix_addr_due) {
		queue = " (not after both ends of a UNIX_PAIR: out of range)";
	} else if (d->unix_skbs_left[0]) {
		queue = " of end 0's queue";
		d->unix_skbs_left[0]--;
	} else if (d->unix_skbs_left[1]) {
		queue = " of end 1's queue";
		d->unix_skbs_left[1]--;
	} else {
		queue = " (beyond the queues its UNIX_SOCKs announced: out of "
			"range)";
	}
	out(d, "%u bytes%s%s ", h->len, queue, h->len ? "" :
	    d->unix_type == SOCK_STREAM ? " (empty on a stream: out of range)" :
	    " (empty)");
	out_bytes(d, (const unsigned char *)(h + 1), h->len,
		  d->verbose ? 256 : 16);
	out(d, "\n");
	return 0;
}

static const char *const inet_family_names[] = {
	[AF_INET] = "inet", [AF_INET6] = "inet6",
};

/* address:port, IPv4 from addr[0..3], IPv6 as [addr]:port */
static void out_inet_addr(struct decoder *d, __u16 family, const __u8 *addr,
			  __u16 port)
{
	char buf[INET6_ADDRSTRLEN];

	if (family == AF_INET) {
		if (!inet_ntop(AF_INET, addr, buf, sizeof(buf)))
			strcpy(buf, "?");
		out(d, "%s:%u", buf, ntohs(port));
		return;
	}
	if (!inet_ntop(AF_INET6, addr, buf, sizeof(buf)))
		strcpy(buf, "?");
	out(d, "[%s]:%u", buf, ntohs(port));
}

static int print_inet_sock(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const type_names[] = {
		[SOCK_STREAM] = "tcp", [SOCK_DGRAM] = "udp",
	};
	static const char *const state_names[] = {
		[CKPT_INET_CLOSED] = "closed", [CKPT_INET_LISTEN] = "listen",
		[CKPT_INET_CONNECTED] = "connected",
		[CKPT_INET_ESTABLISHED] = "established",
		[CKPT_INET_PAIRED] = "paired",
	};
	static const char *const flag_names[] = {
		"bound", "reuseaddr", "reuseport", "keepalive", "broadcast",
		"nodelay", "v6only", "sndbuf_set", "rcvbuf_set", "linger",
		"end1",
	};
	static const __u8 zero[16];
	const struct ckpt_hdr_inet_sock *h = rec;
	char rbuf[48], sbuf[48];

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "%s(%u) %s(%u), state %s(%u), flags ",
	    enum_name(h->family, inet_family_names,
		      ARRAY_SIZE(inet_family_names)),
	    h->family,
	    enum_name(h->type, type_names, ARRAY_SIZE(type_names)), h->type,
	    enum_name(h->state, state_names, ARRAY_SIZE(state_names)),
	    h->state);
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	if (h->state == CKPT_INET_LISTEN)
		out(d, ", backlog %u", h->backlog);
	/* end 0 or 1 of its TCP_PAIR, which follows (or an OBJREF to it) */
	if (h->state == CKPT_INET_PAIRED)
		out(d, ", end %u of its connection%s",
		    h->flags & CKPT_INET_END1 ? 1 : 0,
		    h->flags & CKPT_INET_BOUND ? "" :
		    " (not bound: out of range)");
	else if (h->flags & CKPT_INET_END1)
		out(d, ", end1 without paired (out of range)");
	out(d, "\n");
	out(d, INDENT "local ");
	out_inet_addr(d, h->family, h->local_addr, h->local_port);
	out(d, ", remote ");
	out_inet_addr(d, h->family, h->remote_addr, h->remote_port);
	/* the remote address is a connected socket's only */
	if (h->state != CKPT_INET_CONNECTED &&
	    h->state != CKPT_INET_ESTABLISHED &&
	    h->state != CKPT_INET_PAIRED &&
	    (h->remote_port || memcmp(h->remote_addr, zero, 16)))
		out(d, " (not connected: out of range)");
	if (h->family == AF_INET &&
	    (memcmp(h->local_addr + 4, zero, 12) ||
	     memcmp(h->remote_addr + 4, zero, 12)))
		out(d, " (IPv4 address longer than 4 bytes: out of range)");
	out(d, "\n");
	out(d, INDENT "sndbuf %u, rcvbuf %u, rcvtimeo %s, sndtimeo %s, ",
	    h->sndbuf, h->rcvbuf, fmt_timeo(rbuf, sizeof(rbuf), h->rcvtimeo_ns),
	    fmt_timeo(sbuf, sizeof(sbuf), h->sndtimeo_ns));
	if (h->flags & CKPT_INET_LINGER)
		out(d, "linger %u s", h->linger_sec);
	else
		out(d, "linger off%s", h->linger_sec ?
		    " (linger_sec set: out of range)" : "");
	out(d, ", priority %u", h->priority);
	/* SO_BINDTOIFINDEX: loopback (1) is the only index kept */
	if (h->bound_dev)
		out(d, ", bound to device %u%s", h->bound_dev,
		    h->bound_dev == 1 ? " (lo)" : " (not lo: out of range)");
	out_sock_odd(d, h->sndbuf, h->rcvbuf, h->rcvtimeo_ns, h->sndtimeo_ns);
	out(d, "\n");
	return 0;
}

static int print_tcp_pair(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_tcp_pair *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "objref %d, a TCP connection with both ends in the tree\n",
	    h->objref);
	return 0;
}

/* Largest TCP window scale (TCP_MAX_WSCALE) */
#define TCP_WSCALE_MAX	14
/* Bytes of one queue of a TCP_CONN, and of one TCP_DATA record */
#define TCP_QUEUE_MAX	(32U << 20)
#define TCP_DATA_MAX	(64U << 10)

static int print_tcp_conn(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const flag_names[] = { "sack", "tstamp", "wscale" };
	const struct ckpt_hdr_tcp_conn *h = rec;
	__u32 slen = h->write_seq - h->snd_una;
	__u32 rlen = h->rcv_nxt - h->copied_seq;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	/* the TCP_DATA records that follow: send queue, then receive queue */
	d->tcp_send_left = slen;
	d->tcp_recv_left = rlen;
	out(d, "send queue %u bytes (snd_una %u, write_seq %u), receive "
	    "queue %u bytes (copied_seq %u, rcv_nxt %u)", slen, h->snd_una,
	    h->write_seq, rlen, h->copied_seq, h->rcv_nxt);
	if (slen > TCP_QUEUE_MAX || rlen > TCP_QUEUE_MAX)
		out(d, " (queue above 32 MiB: out of range)");
	out(d, "\n");
	out(d, INDENT "flags ");
	out_bits(d, h->flags, flag_names, ARRAY_SIZE(flag_names));
	out(d, ", mss %u", h->mss_clamp);
	if (h->flags & CKPT_TCP_WSCALE)
		out(d, ", wscale snd %u rcv %u", h->snd_wscale, h->rcv_wscale);
	else if (h->snd_wscale || h->rcv_wscale)
		out(d, ", wscale snd %u rcv %u without wscale (out of range)",
		    h->snd_wscale, h->rcv_wscale);
	out(d, ", timestamp %u ms", h->timestamp);
	/* what restart refuses */
	if (h->flags & ~(__u32)(CKPT_TCP_SACK | CKPT_TCP_TSTAMP |
				CKPT_TCP_WSCALE))
		out(d, ", unknown flags (out of range)");
	if (h->snd_wscale > TCP_WSCALE_MAX || h->rcv_wscale > TCP_WSCALE_MAX)
		out(d, ", window scale above %u (out of range)",
		    TCP_WSCALE_MAX);
	if (h->mss_clamp > 0xffff)
		out(d, ", mss above 65535 (out of range)");
	out(d, "\n");
	out(d, INDENT "snd_wl1 %u, snd_wnd %u, max_window %u, rcv_wnd %u, "
	    "rcv_wup %u%s\n", h->snd_wl1, h->snd_wnd, h->max_window,
	    h->rcv_wnd, h->rcv_wup, h->max_window < h->snd_wnd ?
	    " (max_window below snd_wnd: out of range)" : "");
	out(d, INDENT "sndbuf %u, rcvbuf %u", h->sndbuf, h->rcvbuf);
	out_sock_odd(d, h->sndbuf, h->rcvbuf, 0, 0);
	out(d, "\n");
	return 0;
}

static int print_tcp_data(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_tcp_data *h = rec;
	const char *queue;

	if (h->len != len - sizeof(*h))
		return bad(d, "data of %u bytes in a record of %u", h->len,
			   len);
	/* a record holds bytes of one queue: the send queue's come first */
	if (d->tcp_send_left) {
		queue = h->len <= d->tcp_send_left ? "of the send queue" :
			"(past the end of the send queue: out of range)";
		d->tcp_send_left -= h->len < d->tcp_send_left ?
				    h->len : d->tcp_send_left;
	} else if (d->tcp_recv_left) {
		queue = h->len <= d->tcp_recv_left ? "of the receive queue" :
			"(past the end of the receive queue: out of range)";
		d->tcp_recv_left -= h->len < d->tcp_recv_left ?
				    h->len : d->tcp_recv_left;
	} else {
		queue = "(beyond the queues of its TCP_CONN: out of range)";
	}
	out(d, "%u bytes %s%s ", h->len, queue,
	    !h->len ? " (empty: out of range)" :
	    h->len > TCP_DATA_MAX ? " (above 64 KiB: out of range)" : "");
	out_bytes(d, (const unsigned char *)(h + 1), h->len,
		  d->verbose ? 256 : 16);
	out(d, "\n");
	return 0;
}

#ifndef EPOLLNVAL
#define EPOLLNVAL	0x020	/* the kernel's, not in the C library's */
#endif

/* At most this many watches per epoll instance (CKPT_EPOLL_MAX) */
#define EPOLL_MAX_WATCHES	(1U << 20)

/* The events epoll_ctl() takes: restart refuses others */
#define EPOLL_EVENTS_OK	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | \
			 EPOLLHUP | EPOLLNVAL | EPOLLRDNORM | EPOLLRDBAND | \
			 EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP | \
			 EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)
/* Those of epoll itself, not of the file (EP_PRIVATE_BITS) */
#define EPOLL_EVENTS_PRIVATE	(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | \
				 EPOLLEXCLUSIVE)
/* Those epoll_ctl() allows with EPOLLEXCLUSIVE */
#define EPOLL_EVENTS_EXCL_OK	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | \
				 EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

static int print_epoll(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_epoll *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "%u watch%s%s\n", h->nr_watches, h->nr_watches == 1 ? "" : "es",
	    h->nr_watches > EPOLL_MAX_WATCHES ?
	    " (more than 2^20: out of range)" : "");
	return 0;
}

static int print_epoll_watch(struct decoder *d, const void *rec, __u32 len)
{
	/* by bit number, as <sys/epoll.h> has them, without EPOLL */
	static const char *const event_names[32] = {
		[0] = "IN", [1] = "PRI", [2] = "OUT", [3] = "ERR",
		[4] = "HUP", [5] = "NVAL", [6] = "RDNORM", [7] = "RDBAND",
		[8] = "WRNORM", [9] = "WRBAND", [10] = "MSG", [13] = "RDHUP",
		[28] = "EXCLUSIVE", [29] = "WAKEUP", [30] = "ONESHOT",
		[31] = "ET",
	};
	const struct ckpt_hdr_epoll_watch *h = rec;
	__u32 ev = h->events;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "fd %d, events ", h->fd);
	out_bits(d, ev, event_names, ARRAY_SIZE(event_names));
	out(d, ", data 0x%llx, file objref %d", (unsigned long long)h->data,
	    h->file);
	/* a one-shot watch that fired keeps only epoll's own flags */
	if (!(ev & ~(__u32)EPOLL_EVENTS_PRIVATE))
		out(d, ", disabled");
	/* what restart refuses */
	if (h->fd < 0)
		out(d, ", negative fd (out of range)");
	if (h->file <= 0)
		out(d, ", objref not positive (out of range)");
	if (ev & ~(__u32)EPOLL_EVENTS_OK)
		out(d, ", unknown events (out of range)");
	else if ((ev & EPOLLEXCLUSIVE) && (ev & ~(__u32)EPOLL_EVENTS_EXCL_OK))
		out(d, ", EXCLUSIVE with events epoll_ctl() refuses with it "
		    "(out of range)");
	out(d, "\n");
	return 0;
}

/* At most this many events per inotify instance (CKPT_INOTIFY_MAX_EVENTS) */
#define INOTIFY_MAX_EVENTS	(1U << 16)

/* What a watch may hold: restart refuses other bits */
#define INOTIFY_WATCH_OK	(IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT)
/* What an event may hold, but for IN_Q_OVERFLOW alone */
#define INOTIFY_EVENT_OK	(IN_ALL_EVENTS | IN_IGNORED | IN_ISDIR | \
				 IN_UNMOUNT)

/* IN_* bits by bit number, as <sys/inotify.h> has them, without IN_ */
static const char *const inotify_bit_names[32] = {
	[0] = "ACCESS", [1] = "MODIFY", [2] = "ATTRIB", [3] = "CLOSE_WRITE",
	[4] = "CLOSE_NOWRITE", [5] = "OPEN", [6] = "MOVED_FROM",
	[7] = "MOVED_TO", [8] = "CREATE", [9] = "DELETE",
	[10] = "DELETE_SELF", [11] = "MOVE_SELF", [13] = "UNMOUNT",
	[14] = "Q_OVERFLOW", [15] = "IGNORED", [24] = "ONLYDIR",
	[25] = "DONT_FOLLOW", [26] = "EXCL_UNLINK", [28] = "MASK_CREATE",
	[29] = "MASK_ADD", [30] = "ISDIR", [31] = "ONESHOT",
};

static int print_inotify(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_inotify *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "%u watch%s, %u event%s not read%s, next wd %d%s\n",
	    h->nr_watches, h->nr_watches == 1 ? "" : "es", h->nr_events,
	    h->nr_events == 1 ? "" : "s",
	    h->nr_events > INOTIFY_MAX_EVENTS ?
	    " (more than 2^20: out of range)" : "",
	    h->next_wd, h->next_wd < 0 ? " (negative: out of range)" : "");
	return 0;
}

static int print_inotify_watch(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_inotify_watch *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "wd %d, mask ", h->wd);
	out_bits(d, h->mask, inotify_bit_names, ARRAY_SIZE(inotify_bit_names));
	/* what restart refuses */
	if (h->wd <= 0)
		out(d, ", wd not positive (out of range)");
	/* a watch with no event (added with IN_EXCL_UNLINK alone) is kept */
	if (!(h->mask & IN_ALL_EVENTS))
		out(d, ", no event");
	if (h->mask & ~(__u32)INOTIFY_WATCH_OK)
		out(d, ", a bit other than the events, EXCL_UNLINK and "
		    "ONESHOT (out of range)");
	out(d, "\n");
	/* the STRING that follows: the path watched */
	d->string_role = "path";
	return 0;
}

static int print_inotify_event(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_inotify_event *h = rec;
	const unsigned char *name = (const unsigned char *)(h + 1);
	int overflow = h->mask == IN_Q_OVERFLOW;

	if (h->name_len != len - sizeof(*h))
		return bad(d, "name of %u bytes in a record of %u", h->name_len,
			   len);
	out(d, "wd %d, mask ", h->wd);
	out_bits(d, h->mask, inotify_bit_names, ARRAY_SIZE(inotify_bit_names));
	out(d, ", cookie %u", h->cookie);
	if (h->name_len) {
		out(d, ", name ");
		out_bytes(d, name, h->name_len, NAME_MAX);
	}
	/* what restart refuses */
	if (h->name_len > NAME_MAX)
		out(d, " (name above NAME_MAX: out of range)");
	else if (memchr(name, '\0', h->name_len))
		out(d, " (NUL in the name: out of range)");
	if (overflow && (h->wd != -1 || h->name_len))
		out(d, ", queue overflow with a wd other than -1 or a name "
		    "(out of range)");
	if (!overflow && h->wd <= 0)
		out(d, ", wd not positive (out of range)");
	if (!overflow && (h->mask & ~(__u32)INOTIFY_EVENT_OK))
		out(d, ", a bit no event carries (out of range)");
	out(d, "\n");
	return 0;
}

static int print_cred(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_cred *h = rec;
	const __u32 *groups = (const __u32 *)(h + 1);
	__u32 i;

	if (len != sizeof(*h) + (__u64)h->ngroups * sizeof(__u32))
		return bad(d, "%u groups do not fit %u bytes", h->ngroups, len);
	out(d, "objref %d, uid %u/%u/%u/%u, gid %u/%u/%u/%u, %u groups",
	    h->objref, h->uid, h->euid, h->suid, h->fsuid, h->gid, h->egid,
	    h->sgid, h->fsgid, h->ngroups);
	for (i = 0; d->verbose && i < h->ngroups; i++)
		out(d, "%s%u", i ? "," : " ", groups[i]);
	out(d, "\n");
	return 0;
}

static int print_signal(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_signal *h = rec;
	__u32 i;

	if (h->nr_rlim > CKPT_RLIM_NLIMITS)
		return bad(d, "%u resource limits", h->nr_rlim);
	out(d, "objref %d, %u rlimits, itimer real %llu ns every %llu ns, %u POSIX timers (next id %d)\n",
	    h->objref, h->nr_rlim, (unsigned long long)h->it_real_value,
	    (unsigned long long)h->it_real_interval, h->nr_timers,
	    h->next_timer_id);
	for (i = 0; d->verbose && i < h->nr_rlim; i++) {
		out(d, INDENT "rlimit %u: ", i);
		if (h->rlim[i].cur == ~0ULL)
			out(d, "unlimited");
		else
			out(d, "%llu", (unsigned long long)h->rlim[i].cur);
		if (h->rlim[i].max == ~0ULL)
			out(d, " / unlimited\n");
		else
			out(d, " / %llu\n", (unsigned long long)h->rlim[i].max);
	}
	return 0;
}

static int print_uts_ns(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_uts_ns *h = rec;

	out(d, "objref %d, %s, nodename ", h->objref,
	    h->own ? "own namespace" : "the checkpointer's");
	out_str(d, h->nodename, CKPT_UTS_LEN);
	out(d, ", domainname ");
	out_str(d, h->domainname, CKPT_UTS_LEN);
	out(d, "\n");
	return 0;
}

static int print_ipc_ns(struct decoder *d, const void *rec, __u32 len)
{
	static const char *const kind_names[] = {
		[CKPT_IPC_SEM] = "sem", [CKPT_IPC_MSG] = "msg",
		[CKPT_IPC_SHM] = "shm",
	};
	const struct ckpt_hdr_ipc_ns *h = rec;
	const struct ckpt_ipc_ids *ids = h->ids;
	unsigned int i;

	out(d, "objref %d, %s", h->objref,
	    h->own ? "own namespace" : "the checkpointer's");
	if (!h->own) {
		out(d, "\n");
		return 0;
	}
	out(d, ", %u shm, %u sem, %u msg\n", ids[CKPT_IPC_SHM].nr,
	    ids[CKPT_IPC_SEM].nr, ids[CKPT_IPC_MSG].nr);
	out(d, INDENT "sem %u %u %u %u, msgmax %u msgmnb %u msgmni %u\n",
	    h->sem_ctls[0], h->sem_ctls[1], h->sem_ctls[2], h->sem_ctls[3],
	    h->msg_ctlmax, h->msg_ctlmnb, h->msg_ctlmni);
	out(d, INDENT "shmmax %llu shmall %llu shmmni %u shm_rmid_forced %u\n",
	    (unsigned long long)h->shm_ctlmax,
	    (unsigned long long)h->shm_ctlall, h->shm_ctlmni,
	    h->shm_rmid_forced);
	if (!d->verbose)
		return 0;
	out(d, INDENT "mqueue queues_max %u msg_max %u msgsize_max %u "
	    "msg_default %u msgsize_default %u\n", h->mq_queues_max,
	    h->mq_msg_max, h->mq_msgsize_max, h->mq_msg_default,
	    h->mq_msgsize_default);
	for (i = 0; i < CKPT_IPC_NR_IDS; i++)
		out(d, INDENT "%s ids: seq %u, last index %d, cursor %u\n",
		    kind_names[i], ids[i].seq, ids[i].last_idx,
		    ids[i].cursor);
	return 0;
}

/* NET_ADDR records one NET_NS may have (CKPT_NET_MAX_ADDRS) */
#define NET_MAX_ADDRS	64

static int print_net_ns(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_net_ns *h = rec;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	out(d, "objref %d, %s", h->objref,
	    h->own ? "own namespace" : "the checkpointer's");
	if (h->own > 1)
		out(d, " (own %u: out of range)", h->own);
	if (!h->own) {
		/* nothing is set up in the restarter's namespace */
		if (h->lo_flags || h->lo_mtu || h->nr_addrs)
			out(d, ", loopback state saved (out of range)");
		out(d, "\n");
		return 0;
	}
	out(d, ", loopback %s, mtu %u, %u address%s",
	    h->lo_flags & 0x1 ? "up" : "down", h->lo_mtu, h->nr_addrs,
	    h->nr_addrs == 1 ? "" : "es");
	/* lo_flags: IFF_UP (0x1) only */
	if (h->lo_flags & ~0x1U)
		out(d, ", flags 0x%x (not IFF_UP: out of range)", h->lo_flags);
	if (h->nr_addrs > NET_MAX_ADDRS)
		out(d, " (more than %u: out of range)", NET_MAX_ADDRS);
	out(d, "\n");
	return 0;
}

static int print_net_addr(struct decoder *d, const void *rec, __u32 len)
{
	/* RT_SCOPE_*, as "ip addr" names them */
	static const char *const scope_names[256] = {
		[0] = "global", [200] = "site", [253] = "link", [254] = "host",
		[255] = "nowhere",
	};
	static const __u8 zero[16];
	const struct ckpt_hdr_net_addr *h = rec;
	char buf[INET6_ADDRSTRLEN];
	int v4 = h->family == AF_INET;

	if (exact_len(d, len, sizeof(*h)))
		return -1;
	if (!inet_ntop(v4 ? AF_INET : AF_INET6, h->addr, buf, sizeof(buf)))
		strcpy(buf, "?");
	out(d, "%s(%u) %s/%u, scope %s(%u)",
	    enum_name(h->family, inet_family_names,
		      ARRAY_SIZE(inet_family_names)),
	    h->family, buf, h->prefixlen,
	    enum_name(h->scope, scope_names, ARRAY_SIZE(scope_names)),
	    h->scope);
	if (v4 && h->label[0]) {
		out(d, ", label ");
		out_str(d, h->label, sizeof(h->label));
	}
	/* what restart refuses */
	if (h->family != AF_INET && h->family != AF_INET6)
		out(d, " (family out of range)");
	else if (h->prefixlen > (v4 ? 32 : 128))
		out(d, " (prefix length out of range)");
	if (v4 && memcmp(h->addr + 4, zero, 12))
		out(d, " (IPv4 address longer than 4 bytes: out of range)");
	if (v4 && !memchr(h->label, '\0', sizeof(h->label)))
		out(d, " (label not NUL terminated: out of range)");
	if (!v4 && memcmp(h->label, zero, sizeof(h->label)))
		out(d, " (label on an IPv6 address: out of range)");
	out(d, "\n");
	return 0;
}

/* id, key, owner, creator and mode of a SysV IPC object */
static void out_ipc_perm(struct decoder *d, const struct ckpt_ipc_perm *p)
{
	out(d, "id %d, key 0x%08x, owner %u:%u, creator %u:%u, mode 0%o",
	    p->id, (__u32)p->key, p->uid, p->gid, p->cuid, p->cgid, p->mode);
}

static int print_ipc_shm(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_ipc_shm *h = rec;

	out_ipc_perm(d, &h->perm);
	out(d, ", %llu bytes, cpid %d, lpid %d", (unsigned long long)h->size,
	    h->cpid, h->lpid);
	/* the task of the tree whose exit removes it (shm_rmid_forced) */
	if (h->creator)
		out(d, ", made by task %d", h->creator);
	out(d, ", flags 0x%x%s", h->flags,
	    h->flags & CKPT_SHM_DEST ? " (dest)" : "");
	/* the key it was made with, in its file's name */
	if (h->name_key != h->perm.key)
		out(d, ", made with key 0x%08x", (unsigned int)h->name_key);
	out(d, "\n");
	if (d->verbose)
		out(d, INDENT "atime %lld, dtime %lld, ctime %lld\n",
		    (long long)h->atime, (long long)h->dtime,
		    (long long)h->ctime);
	return 0;
}

/* Runs of semaphore values or adjustments shown without -v */
#define SEM_RUNS_MAX	16

static int print_ipc_sem(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_ipc_sem *h = rec;
	const struct ckpt_sem *sem = (const struct ckpt_sem *)(h + 1);
	unsigned int i, n, runs = 0;

	if (len != sizeof(*h) + (__u64)h->nsems * sizeof(*sem))
		return bad(d, "%u semaphores do not fit %u bytes", h->nsems,
			   len);
	out_ipc_perm(d, &h->perm);
	out(d, ", %u semaphores\n", h->nsems);
	if (d->verbose)
		out(d, INDENT "ctime %lld\n", (long long)h->ctime);
	if (!h->nsems)
		return 0;
	out(d, INDENT "values");
	for (i = 0; i < h->nsems; i += n) {
		for (n = 1; i + n < h->nsems &&
			    sem[i + n].semval == sem[i].semval; n++)
			;
		if (!d->verbose && runs++ == SEM_RUNS_MAX) {
			out(d, " ... (%u more)", h->nsems - i);
			break;
		}
		out_run(d, " ", sem[i].semval, n);
	}
	out(d, "\n");
	for (i = 0; d->verbose && i < h->nsems; i++)
		if (sem[i].sempid || sem[i].otime)
			out(d, INDENT "sem %u: pid %d, otime %lld\n", i,
			    sem[i].sempid, (long long)sem[i].otime);
	return 0;
}

static int print_ipc_msq(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_ipc_msq *h = rec;

	out_ipc_perm(d, &h->perm);
	out(d, ", %u messages, qbytes %llu, lspid %d, lrpid %d\n",
	    h->nr_msgs, (unsigned long long)h->qbytes, h->lspid, h->lrpid);
	if (d->verbose)
		out(d, INDENT "stime %lld, rtime %lld, ctime %lld\n",
		    (long long)h->stime, (long long)h->rtime,
		    (long long)h->ctime);
	return 0;
}

static int print_ipc_msg(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_ipc_msg *h = rec;

	if (h->size != len - sizeof(*h))
		return bad(d, "message of %llu bytes in a record of %u",
			   (unsigned long long)h->size, len);
	out(d, "mtype %lld, %llu bytes ", (long long)h->mtype,
	    (unsigned long long)h->size);
	out_bytes(d, (const unsigned char *)(h + 1), h->size,
		  d->verbose ? 256 : 16);
	out(d, "\n");
	return 0;
}

static int print_sysvsem(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_sysvsem *h = rec;

	out(d, "undo %u (%s)\n", h->undo,
	    h->undo ? "its SEM_UNDO list follows" : "no SEM_UNDO list");
	return 0;
}

static int print_sem_undo(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_sem_undo *h = rec;

	out(d, "objref %d, adjusts %u array%s\n", h->objref, h->nr,
	    h->nr == 1 ? "" : "s");
	return 0;
}

static int print_sem_adj(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_sem_adj *h = rec;
	const __s16 *adj = (const __s16 *)(h + 1);
	unsigned int i, n, runs = 0;

	/* nsems __s16, padded with zeroes to 8 bytes */
	if (len != sizeof(*h) + (((__u64)h->nsems * sizeof(*adj) + 7) & ~7ULL))
		return bad(d, "%u adjustments do not fit %u bytes",
			   h->nsems, len);
	out(d, "semid %d, %u semaphores, adj", h->semid, h->nsems);
	for (i = 0; i < h->nsems; i += n) {
		for (n = 1; i + n < h->nsems && adj[i + n] == adj[i]; n++)
			;
		if (!d->verbose && runs++ == SEM_RUNS_MAX) {
			out(d, " ... (%u more)", h->nsems - i);
			break;
		}
		out_run(d, " ", adj[i], n);
	}
	out(d, "\n");
	return 0;
}

static int print_fs(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_fs *h = rec;

	out(d, "objref %d, umask 0%o\n", h->objref, h->umask);
	d->string_role = "root";
	d->next_role = "cwd";
	return 0;
}

static int print_tail(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_tail *h = rec;

	if (h->magic != CKPT_TAIL_MAGIC)
		return bad(d, "bad TAIL magic 0x%016llx",
			   (unsigned long long)h->magic);
	if (h->nr_records != d->nr_records)
		return bad(d, "TAIL counts %llu records, the image has %llu",
			   (unsigned long long)h->nr_records, d->nr_records);
	d->seen_tail = 1;
	out(d, "magic ok, nr_records %llu\n",
	    (unsigned long long)h->nr_records);
	return 0;
}

static int print_error(struct decoder *d, const void *rec, __u32 len)
{
	const struct ckpt_hdr_error *h = rec;
	const char *msg = (const char *)(h + 1);
	size_t n = len - sizeof(*h);
	int saved = d->errors_only;

	d->nr_errors++;
	/* The one record -e prints, on a line of its own. */
	d->errors_only = 0;
	if (saved)
		out(d, "offset %llu: ", d->off);
	out(d, "error %d (%s: %s): ", h->errno_val,
	    errno_name(h->errno_val), strerror(h->errno_val));
	out_str(d, msg, n);
	out(d, "\n");
	d->errors_only = saved;
	return 0;
}

/* The decoder of each record type (names and sizes: cr_img.h) */
#define PRINTER(t, p)	{ CKPT_HDR_##t, p }

static const struct rec_type rec_types[] = {
	PRINTER(HEADER, print_header),
	PRINTER(HEADER_ARCH, print_header_arch),
	PRINTER(STRING, print_string),
	PRINTER(OBJREF, print_objref),
	PRINTER(TREE, print_tree),
	PRINTER(TREE_TASK, print_tree_task),
	PRINTER(TASK, print_task),
	PRINTER(CPU, print_cpu),
	PRINTER(FPU, print_fpu),
	PRINTER(SIGHAND, print_sighand),
	PRINTER(SIGMASK, print_sigmask),
	PRINTER(SIGINFO, print_siginfo),
	PRINTER(MM, print_mm),
	PRINTER(VMA, print_vma),
	PRINTER(PAGES, print_pages),
	PRINTER(PAGES_PRECOPIED, print_precopied),
	PRINTER(SHMEM, print_shmem),
	PRINTER(SHM_ATTACH, print_shm_attach),
	PRINTER(FILE_TABLE, print_file_table),
	PRINTER(FD_ENT, print_fd_ent),
	PRINTER(FILE, print_file),
	PRINTER(FS, print_fs),
	PRINTER(FILE_DATA, print_file_data),
	PRINTER(FILE_LOCK, print_file_lock),
	PRINTER(PIPE, print_pipe),
	PRINTER(PIPE_BUF, print_pipe_buf),
	PRINTER(EVENTFD, print_eventfd),
	PRINTER(SIGNALFD, print_signalfd),
	PRINTER(TIMERFD, print_timerfd),
	PRINTER(EPOLL, print_epoll),
	PRINTER(EPOLL_WATCH, print_epoll_watch),
	PRINTER(INOTIFY, print_inotify),
	PRINTER(INOTIFY_WATCH, print_inotify_watch),
	PRINTER(INOTIFY_EVENT, print_inotify_event),
	PRINTER(UNIX_FILE, print_unix_file),
	PRINTER(UNIX_PAIR, print_unix_pair),
	PRINTER(UNIX_SOCK, print_unix_sock),
	PRINTER(UNIX_SKB, print_unix_skb),
	PRINTER(UNIX_LONE, print_unix_lone),
	PRINTER(UNIX_ADDR, print_unix_addr),
	PRINTER(UNIX_LISTEN, print_unix_listen),
	PRINTER(INET_SOCK, print_inet_sock),
	PRINTER(TCP_PAIR, print_tcp_pair),
	PRINTER(TCP_CONN, print_tcp_conn),
	PRINTER(TCP_DATA, print_tcp_data),
	PRINTER(CRED, print_cred),
	PRINTER(SIGNAL, print_signal),
	PRINTER(POSIX_TIMER, print_posix_timer),
	PRINTER(UTS_NS, print_uts_ns),
	PRINTER(IPC_NS, print_ipc_ns),
	PRINTER(NET_NS, print_net_ns),
	PRINTER(NET_ADDR, print_net_addr),
	PRINTER(IPC_SHM, print_ipc_shm),
	PRINTER(IPC_SEM, print_ipc_sem),
	PRINTER(IPC_MSQ, print_ipc_msq),
	PRINTER(IPC_MSG, print_ipc_msg),
	PRINTER(SYSVSEM, print_sysvsem),
	PRINTER(SEM_UNDO, print_sem_undo),
	PRINTER(SEM_ADJ, print_sem_adj),
	PRINTER(TAIL, print_tail),
	PRINTER(ERROR, print_error),
};

static const struct rec_type *rec_type_lookup(__u32 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rec_types); i++)
		if (rec_types[i].type == type)
			return &rec_types[i];
	return NULL;
}

/* ---- --json ----------------------------------------------------------- */

/* @n bytes of @s as a JSON string */
static void json_str(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* One element of "records": where, what, and the decoded text */
static void json_record(struct decoder *d, const char *name, __u32 type,
			__u32 len, const char *text, size_t text_len)
{
	while (text_len && (text[text_len - 1] == '\n' ||
			    text[text_len - 1] == ' '))
		text_len--;
	printf("%s\n    {\"offset\": %llu, \"type\": \"%s\", \"type_id\": %u, \"len\": %u, \"text\": ",
	       d->json_records++ ? "," : "", d->off, name, type, len);
	json_str(text, text_len);
	putchar('}');
}

/* The end of the document: the totals and the verdict */
static void json_end(struct decoder *d, int ret)
{
	printf("\n  ],\n  \"records_count\": %llu, \"tasks\": %llu, \"pages\": %llu, \"bytes\": %llu,\n",
	       d->nr_records, d->nr_tasks, d->nr_pages, d->off);
	printf("  \"errors\": %llu, \"ok\": %s, \"problem\": ", d->nr_errors,
	       ret == CR_EXIT_OK ? "true" : "false");
	if (d->problem_what) {
		printf("{\"what\": \"%s\", \"offset\": %llu, \"message\": ",
		       d->problem_what, d->problem_off);
		json_str(d->problem, strlen(d->problem));
		putchar('}');
	} else if (ret != CR_EXIT_OK && d->nr_errors) {
		printf("{\"what\": \"failed checkpoint\", \"offset\": %llu, \"message\": \"the image holds ERROR records\"}",
		       d->off);
	} else {
		printf("null");
	}
	printf("\n}\n");
}

/* ---- main loop -------------------------------------------------------- */

/* Report a damaged image; returns the exit code. */
static __attribute__((format(printf, 4, 5)))
int damaged(struct decoder *d, const char *what, unsigned long long off,
	    const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: %s image at offset %llu: ", cr_prog, what, off);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(d->problem, sizeof(d->problem), fmt, ap);
	va_end(ap);
	d->problem_what = what;
	d->problem_off = off;
	fputc('\n', stderr);
	return CR_EXIT_FAIL;
}

/* --json: the record's text is complete: print it as a JSON element */
static void json_flush(struct decoder *d, const char *name, __u32 type,
		       __u32 len, char **text, size_t *text_len)
{
	fclose(ck_out);
	ck_out = stdout;
	json_record(d, name, type, len, *text, *text_len);
	free(*text);
	*text = NULL;
}

static int decode(struct decoder *d, int fd)
{
	const struct cr_img_type *t;
	const struct rec_type *rt;
	struct ckpt_hdr *h;
	__u32 last_type = 0;
	size_t text_len = 0;
	char *text = NULL;
	struct cr_img im;
	int ret;

	if (cr_img_open(&im, fd)) {
		cr_error("%s", im.err);
		return CR_EXIT_FAIL;
	}
	h = im.h;
	while ((ret = cr_img_next(&im)) > 0) {
		t = im.type;
		rt = rec_type_lookup(h->type);
		d->off = im.off;
		if (h->type != CKPT_HDR_STRING && h->type != CKPT_HDR_ERROR)
			d->string_role = NULL;
		if (h->type != CKPT_HDR_TCP_DATA)
			d->tcp_send_left = d->tcp_recv_left = 0;
		/* UNIX_PAIR and UNIX_LONE start what these records follow */
		if (h->type != CKPT_HDR_UNIX_SOCK &&
		    h->type != CKPT_HDR_UNIX_ADDR &&
		    h->type != CKPT_HDR_UNIX_SKB) {
			d->unix_ctx = UNIX_CTX_NONE;
			d->unix_socks_due = d->unix_addr_due = 0;
			d->unix_skbs_left[0] = d->unix_skbs_left[1] = 0;
		}

		if (d->json) {
			ck_out = open_memstream(&text, &text_len);
			if (!ck_out) {
				cr_perror("open_memstream");
				return CR_EXIT_FAIL;
			}
		} else {
			out(d, "%10llu  %-13s %7u  ", d->off, t->name, h->len);
		}
		if (!rt || rt->print(d, h, h->len) < 0) {
			out(d, "<corrupted>\n");
			if (d->json)
				json_flush(d, t->name, h->type, h->len, &text,
					   &text_len);
			if (!rt)
				snprintf(d->why, sizeof(d->why),
					 "no decoder for it");
			ret = damaged(d, "corrupted", d->off, "%s record: %s",
				      t->name, d->why);
			cr_img_close(&im);
			return ret;
		}
		if (!t->variable && h->len > t->size)
			out(d, INDENT "(%zu bytes after the struct ignored)\n",
			    h->len - t->size);
		if (d->json)
			json_flush(d, t->name, h->type, h->len, &text,
				   &text_len);
		if (h->type == CKPT_HDR_STRING) {
			d->string_role = d->next_role;
			d->next_role = NULL;
		}

		last_type = h->type;
		d->nr_records++;
		d->off += h->len;
	}
	d->off = im.next;
	if (ret < 0 && !(last_type == CKPT_HDR_ERROR && im.eof)) {
		/* a read error, or damage (an image of a failed checkpoint
		 * ends with its ERROR record: said below)
		 */
		if (!strcmp(im.what, "read error")) {
			fflush(stdout);
			cr_error("read error at offset %llu: %s",
				 (unsigned long long)im.err_off, im.err);
			cr_img_close(&im);
			return CR_EXIT_FAIL;
		}
		ret = damaged(d, im.what, im.err_off, "%s", im.err);
		cr_img_close(&im);
		return ret;
	}
	cr_img_close(&im);

	if (d->seen_tail && d->check && d->tree_entries != d->hdr_tasks)
		return damaged(d, "corrupted", 0,
			       "the header counts %u tasks, the tree %llu",
			       d->hdr_tasks, d->tree_entries);
	if (d->seen_tail && d->check && d->tree_live != d->nr_tasks)
		return damaged(d, "corrupted", d->off,
			       "the tree has %llu living tasks, the image %llu TASK sections",
			       d->tree_live, d->nr_tasks);
	if (d->seen_tail && d->check && !d->nr_errors) {
		printf("image ok: %llu records, %llu tasks, %llu pages, %llu bytes\n",
		       d->nr_records, d->nr_tasks, d->nr_pages, d->off);
		return CR_EXIT_OK;
	}
	if (d->seen_tail) {
		if (!d->json)
			out(d, "%llu records, %llu tasks, %llu pages, %llu bytes\n",
			    d->nr_records, d->nr_tasks, d->nr_pages, d->off);
		if (!d->nr_errors)
			return CR_EXIT_OK;
		if (!d->errors_only)
			cr_error("image contains %llu ERROR record%s",
				 d->nr_errors, d->nr_errors > 1 ? "s" : "");
		return CR_EXIT_FAIL;
	}
	if (last_type == CKPT_HDR_ERROR) {
		/* A failed checkpoint: the error record says why. */
		if (!d->errors_only)
			cr_error("image of a failed checkpoint "
				 "(ends with an ERROR record)");
		return CR_EXIT_FAIL;
	}
	return damaged(d, "truncated", d->off, "%s",
		       d->nr_records ? "no TAIL record" : "empty image");
}

static const struct option long_opts[] = {
	{ "verbose",	no_argument,	NULL, 'v' },
	{ "errors",	no_argument,	NULL, 'e' },
	{ "check",	no_argument,	NULL, 'c' },
	{ "json",	no_argument,	NULL, 'j' },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void usage(void)
{
	printf(
"Usage: %s [-v] [-e] [-c] [-j] [FILE|-]\n"
"Decode a checkpoint image (default: from stdin) and print its records.\n"
"\n"
"  -v, --verbose   print every field (all registers, page addresses,\n"
"                  signal handlers, auxv, ...)\n"
"  -e, --errors    print only ERROR records; exit 1 if there is one\n"
"  -c, --check     validate without printing the records: \"image ok\"\n"
"                  and exit 0, or the first problem with its offset\n"
"                  and exit 1 (framing, record sizes and fields, the\n"
"                  TAIL's count, the tree against the header and the\n"
"                  tasks' sections)\n"
"  -j, --json      print one JSON document instead: \"records\" (each\n"
"                  with offset, type, type_id, len and the decoded\n"
"                  text), the totals, \"ok\" and the \"problem\" (what,\n"
"                  offset, message) or null; same exit status\n"
"  -h, --help      display this help and exit\n"
"\n"
"Exit status: 0 good image, 1 damaged image, failed checkpoint or I/O\n"
"error, 2 usage error.\n", cr_prog);
}

int main(int argc, char **argv)
{
	struct decoder d;
	const char *path = NULL;
	int fd, ret, c;

	cr_prog = "ckptinfo";
	memset(&d, 0, sizeof(d));

	ck_out = stdout;
	while ((c = getopt_long(argc, argv, "vecjh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			d.verbose = 1;
			break;
		case 'e':
			d.errors_only = 1;
			break;
		case 'c':
			d.check = 1;
			break;
		case 'j':
			d.json = 1;
			break;
		case 'h':
			usage();
			return CR_EXIT_OK;
		default:
			cr_usage_error(NULL);
		}
	}
	if (optind + 1 < argc)
		cr_usage_error("too many arguments");
	if (d.json && (d.check || d.errors_only))
		cr_usage_error("--json excludes --check and --errors");
	if (optind < argc && strcmp(argv[optind], "-"))
		path = argv[optind];

	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cr_perror("%s", path);
			return CR_EXIT_FAIL;
		}
	} else {
		fd = STDIN_FILENO;
		if (isatty(fd)) {
			cr_error("refusing to read an image from a terminal");
			cr_usage_error(NULL);
		}
	}

	if (d.json) {
		printf("{\n  \"image\": ");
		json_str(path ? path : "-", strlen(path ? path : "-"));
		printf(",\n  \"records\": [");
	}
	ret = decode(&d, fd);
	if (d.json)
		json_end(&d, ret);
	if (fflush(stdout) == EOF && ret == CR_EXIT_OK) {
		cr_perror("stdout");
		ret = CR_EXIT_FAIL;
	}
	return ret;
}
