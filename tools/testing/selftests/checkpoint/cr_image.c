// SPDX-License-Identifier: GPL-2.0
/*
 * The image stream: checkpoint into a pipe read concurrently by restart
 * (the image is never stored), and restart of truncated or corrupted
 * images, which must fail with EINVAL without the restarting task ever
 * running as the workload.
 */
#include "cr_util.h"

#include <sys/file.h>

#include <sys/utsname.h>

#define WL_LEN		(4UL << 20)
#define WL_SEED		0x919e

static int wl_checksum(struct cr_ctx *ctx, void *arg)
{
	size_t len = arg ? *(size_t *)arg : WL_LEN;
	unsigned char *buf;
	uint64_t sum;
	ssize_t off;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(buf, len, WL_SEED);
	sum = cr_checksum(buf, len);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(buf);
	off = cr_check_fill(buf, len, WL_SEED);
	if (off >= 0)
		return CR_WL_FAIL(1, "buffer differs at offset %zd", off);
	if (cr_checksum(buf, len) != sum)
		return CR_WL_FAIL(2, "checksum changed");
	return 0;
}

FIXTURE(cr_image) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_image) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_image) { cr_teardown(_metadata, &self->ctx); }

/* ---- through a pipe ------------------------------------------------------ */

CR_TEST(cr_image, checkpoint_through_pipe)
{
	int p[2], err = 0, kret, status = 0;
	char st[128];
	long ret;
	pid_t pid;

	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);

	ASSERT_EQ(0, pipe(p));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The checkpointer: writes the image into the pipe. */
		close(p[0]);
		ret = sys_checkpoint(ctx->wl_pid, p[1], 0, ctx->logfd);
		if (ret <= 0) {
			fprintf(stderr, "# checkpoint(%d) into a pipe: %ld (%s)\n",
				ctx->wl_pid, ret, strerror(errno));
			_exit(CR_EXIT_HELPER_FAILED);
		}
		_exit(0);
	}
	ctx->aux_pid = pid;
	/* Only the checkpointer may hold the write end: EOF if it dies. */
	close(p[1]);

	ret = cr_restart_fd(ctx, p[0], 0, &err);
	close(p[0]);	/* a checkpointer still writing gets EPIPE */
	kret = cr_wait_timeout(ctx->aux_pid, &status, CR_WAIT_MS);
	ctx->aux_pid = 0;
	cr_status_str(status, st, sizeof(st));
	ASSERT_EQ(0, ret) {
		TH_LOG("restart() from a pipe: %s; checkpointer %s",
		       strerror(err), kret ? "hung" : st);
		cr_dump_logs(_metadata, ctx);
	}
	ASSERT_EQ(0, kret);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("checkpointer %s", st);
		cr_dump_logs(_metadata, ctx);
	}

	/* The original is still frozen: it never sees the go file. */
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/* ---- damaged images ------------------------------------------------------- */

/*
 * Restart from a damaged image file. Expect restart() to fail with
 * EINVAL, a log message, and the restarting task to die (killed by the
 * kernel, or its restart(0) returned an error) without ever running as
 * the workload. The go file exists, so a wrongly restored workload would
 * exit 0 at once.
 */
static void expect_refused(struct __test_metadata *_metadata,
			   struct cr_ctx *ctx, const char *path,
			   const char *what)
{
	off_t log_before = cr_file_size(ctx->log);
	int fd, err = 0, status, ret;
	bool ok = true;
	char st[128];
	long rret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	rret = cr_restart_fd(ctx, fd, 0, &err);
	close(fd);
	ret = cr_wait_timeout(ctx->rs_pid, &status, 5000);
	ctx->rs_pid = 0;

	if (rret != -1) {
		TH_LOG("%s: restart() returned %ld, expected -1/EINVAL",
		       what, rret);
		ok = false;
	} else if (err != EINVAL) {
		TH_LOG("%s: restart() failed with %s, expected EINVAL",
		       what, strerror(err));
		ok = false;
	}
	if (ret) {
		TH_LOG("%s: restarting task did not die", what);
		ok = false;
	} else if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) &&
		   !(WIFEXITED(status) &&
		     WEXITSTATUS(status) == CR_EXIT_RESTART_RETURNED)) {
		cr_status_str(status, st, sizeof(st));
		TH_LOG("%s: restarting task %s; expected SIGKILL or a failed restart(0)",
		       what, st);
		ok = false;
	}
	if (cr_file_size(ctx->log) <= log_before) {
		TH_LOG("%s: nothing logged", what);
		ok = false;
	}
	if (!ok)
		cr_dump_logs(_metadata, ctx);
	EXPECT_TRUE(ok);
}

/* wl_checksum with a dup()ed descriptor: an OBJREF record in the image */
static int wl_checksum_dup(struct cr_ctx *ctx, void *arg)
{
	int fd = memfd_create("cr_image", MFD_ALLOW_SEALING);

	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };

	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = 40 };
	struct itimerspec it = { { 0, 10000000 }, { 0, 1000000 } };
	timer_t timer;
	sigset_t set;

	/* a sealed memfd (FILE_DATA) with a flock() and a POSIX lock */
	if (dup2(1, 5) != 5 || fd < 0 || dup2(fd, 6) != 6 ||
	    write(6, "memfd", 5) != 5 || fcntl(6, F_ADD_SEALS, F_SEAL_GROW) ||
	    flock(6, LOCK_SH) || fcntl(6, F_SETLK, &fl))
		return CR_EXIT_SETUP;
	close(fd);
	/* a POSIX timer whose signal (blocked) is pending: its own entry */
	sigemptyset(&set);
	sigaddset(&set, ev.sigev_signo);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &timer) ||
	    syscall(SYS_timer_settime, timer, 0, &it, NULL))
		return CR_EXIT_SETUP;
	cr_sleep_ms(5);
	return wl_checksum(ctx, arg);
}

/* A small workload checkpointed to ctx->img, original gone, go file set. */
static void make_image(struct __test_metadata *_metadata, struct cr_ctx *ctx,
		       struct cr_image *im)
{
	static size_t len = 1UL << 20;
	int ret;

	cr_spawn(_metadata, ctx, wl_checksum_dup, &len);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);
	ret = cr_image_scan(ctx->img, im);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s", im->err);
	}
	ASSERT_NE(NULL, cr_image_find(im, CKPT_HDR_VMA, 0));
	ASSERT_NE(NULL, cr_image_pages(im));
	ASSERT_NE(NULL, cr_image_find(im, CKPT_HDR_TREE, 0));
	ASSERT_NE(NULL, cr_image_find(im, CKPT_HDR_TAIL, 0));
}

/* The intact image still restarts: the refusals were about the damage. */
static void expect_intact_restarts(struct __test_metadata *_metadata,
				   struct cr_ctx *ctx)
{
	cr_restart_file(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

CR_TEST(cr_image, truncated_image_refused)
{
	const struct cr_rec *vma, *pages, *tail;
	struct {
		const char *what;
		uint64_t len;
	} cuts[6];
	struct cr_image im;
	unsigned int i, n = 0;
	unsigned char *img;
	size_t len;

	make_image(_metadata, ctx, &im);
	vma = cr_image_find(&im, CKPT_HDR_VMA, 0);
	pages = cr_image_pages(&im);
	tail = cr_image_find(&im, CKPT_HDR_TAIL, 0);
	cuts[n].what = "empty image";
	cuts[n++].len = 0;
	cuts[n].what = "cut inside the HEADER record";
	cuts[n++].len = 20;
	cuts[n].what = "cut inside the first VMA record";
	cuts[n++].len = vma->off + sizeof(struct ckpt_hdr) + 4;
	cuts[n].what = "cut in the middle of the memory pages";
	cuts[n++].len = pages->off + pages->len / 2;
	cuts[n].what = "cut just before the TAIL record";
	cuts[n++].len = tail->off;
	cuts[n].what = "cut inside the TAIL record";
	cuts[n++].len = tail->off + tail->len - 4;
	cr_image_free(&im);

	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	for (i = 0; i < n; i++) {
		ASSERT_LT(cuts[i].len, len);
		ASSERT_EQ(0, cr_write_whole(ctx->data, img, cuts[i].len));
		off_t before = cr_file_size(ctx->log);
		size_t loglen;
		char *log;

		TH_LOG("%s (%llu of %zu bytes)", cuts[i].what,
		       (unsigned long long)cuts[i].len, len);
		expect_refused(_metadata, ctx, ctx->data, cuts[i].what);
		/* and said so, not something else found in made-up bytes */
		log = cr_read_whole(ctx->log, &loglen);
		ASSERT_NE(NULL, log);
		EXPECT_NE(NULL, strstr(log + (before > 0 ? before : 0),
				       "image truncated")) {
			TH_LOG("%s: no \"image truncated\" in the log", cuts[i].what);
		}
		free(log);
	}
	free(img);
	expect_intact_restarts(_metadata, ctx);
}

enum corruption {
	BAD_MAGIC,
	BAD_VERSION,
	TREE_NR_TASKS_HUGE,
	VMA_LEN_HUGE,
	VMA_LEN_BELOW_HEADER,
	VMA_LEN_SHORT,
	VMA_WRONG_RECORD_TYPE,
	VMA_BAD_TYPE,
	VMA_UNALIGNED,
	VMA_EMPTY,
	TAIL_BAD_MAGIC,
	TAIL_BAD_COUNT,
	NR_CORRUPTIONS
};

static const char * const corruption_names[NR_CORRUPTIONS] = {
	[BAD_MAGIC] = "HEADER magic flipped",
	[BAD_VERSION] = "HEADER version unknown",
	[TREE_NR_TASKS_HUGE] = "TREE nr_tasks huge",
	[VMA_LEN_HUGE] = "VMA record length huge",
	[VMA_LEN_BELOW_HEADER] = "VMA record length below the header size",
	[VMA_LEN_SHORT] = "VMA record length too short for a VMA",
	[VMA_WRONG_RECORD_TYPE] = "VMA record with an unknown record type",
	[VMA_BAD_TYPE] = "VMA vma_type unknown",
	[VMA_UNALIGNED] = "VMA start not page aligned",
	[VMA_EMPTY] = "VMA end not above start",
	[TAIL_BAD_MAGIC] = "TAIL magic flipped",
	[TAIL_BAD_COUNT] = "TAIL record count wrong",
};

#define AT(img, rec, type, field) \
	((img) + (rec)->off + offsetof(type, field))

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void corrupt(unsigned char *img, const struct cr_image *im,
		    enum corruption c)
{
	const struct cr_rec *tree = cr_image_find(im, CKPT_HDR_TREE, 0);
	const struct cr_rec *vma = cr_image_find(im, CKPT_HDR_VMA, 0);
	const struct cr_rec *tail = cr_image_find(im, CKPT_HDR_TAIL, 0);
	uint64_t start;

	switch (c) {
	case BAD_MAGIC:
		img[offsetof(struct ckpt_hdr_header, magic)] ^= 0xff;
		break;
	case BAD_VERSION:
		img[offsetof(struct ckpt_hdr_header, version)] += 100;
		break;
	case TREE_NR_TASKS_HUGE:
		put32(AT(img, tree, struct ckpt_hdr_tree, nr_tasks), 0xffffffff);
		break;
	case VMA_LEN_HUGE:
		put32(AT(img, vma, struct ckpt_hdr, len), 0xfffffff0);
		break;
	case VMA_LEN_BELOW_HEADER:
		put32(AT(img, vma, struct ckpt_hdr, len), 4);
		break;
	case VMA_LEN_SHORT:
		put32(AT(img, vma, struct ckpt_hdr, len),
		      sizeof(struct ckpt_hdr) + 4);
		break;
	case VMA_WRONG_RECORD_TYPE:
		put32(AT(img, vma, struct ckpt_hdr, type), 0x7ffe);
		break;
	case VMA_BAD_TYPE:
		put32(AT(img, vma, struct ckpt_hdr_vma, vma_type), 0x7777);
		break;
	case VMA_UNALIGNED:
		start = get64(AT(img, vma, struct ckpt_hdr_vma, start));
		put64(AT(img, vma, struct ckpt_hdr_vma, start), start + 1);
		break;
	case VMA_EMPTY:
		start = get64(AT(img, vma, struct ckpt_hdr_vma, start));
		put64(AT(img, vma, struct ckpt_hdr_vma, end), start);
		break;
	case TAIL_BAD_MAGIC:
		img[tail->off + offsetof(struct ckpt_hdr_tail, magic)] ^= 0xff;
		break;
	case TAIL_BAD_COUNT:
		put64(AT(img, tail, struct ckpt_hdr_tail, nr_records),
		      get64(AT(img, tail, struct ckpt_hdr_tail, nr_records)) + 1);
		break;
	default:
		break;
	}
}

CR_TEST(cr_image, corrupted_image_refused)
{
	unsigned char *img, *bad;
	struct cr_image im;
	size_t len;
	int c;

	make_image(_metadata, ctx, &im);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	ASSERT_EQ(im.size, len);
	bad = malloc(len);
	ASSERT_NE(NULL, bad);
	for (c = 0; c < NR_CORRUPTIONS; c++) {
		memcpy(bad, img, len);
		corrupt(bad, &im, c);
		ASSERT_NE(0, memcmp(bad, img, len));
		ASSERT_EQ(0, cr_write_whole(ctx->data, bad, len));
		TH_LOG("%s", corruption_names[c]);
		expect_refused(_metadata, ctx, ctx->data, corruption_names[c]);
	}
	free(bad);
	free(img);
	cr_image_free(&im);
	expect_intact_restarts(_metadata, ctx);
}

/*
 * Random damage to the records that describe the process (everything but
 * page contents): whatever restart() makes of it, it must return 0 or
 * -1/errno, log something when it fails, never hang, and never leave a
 * restarting task behind. A kernel oops or WARN fails the whole run.
 */
#ifndef FUZZ_ROUNDS
#define FUZZ_ROUNDS	200
#endif

static const char *rec_name(uint32_t type)
{
	static char buf[16];

	switch (type) {
	case CKPT_HDR_HEADER: return "HEADER";
	case CKPT_HDR_TREE_TASK: return "TREE_TASK";
	case CKPT_HDR_TASK: return "TASK";
	case CKPT_HDR_CPU: return "CPU";
	case CKPT_HDR_FPU: return "FPU";
	case CKPT_HDR_MM: return "MM";
	case CKPT_HDR_VMA: return "VMA";
	case CKPT_HDR_PAGES: return "PAGES";
	case CKPT_HDR_SHMEM: return "SHMEM";
	case CKPT_HDR_FILE: return "FILE";
	case CKPT_HDR_STRING: return "STRING";
	}
	snprintf(buf, sizeof(buf), "type %u", type);
	return buf;
}

/* A signal that the task's own code raises: it ran */
static bool fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

#ifndef FUZZ_SEED
#define FUZZ_SEED	0xf0221eULL
#endif

CR_TEST(cr_image, random_corruption_no_harm)
{
	uint64_t rng = FUZZ_SEED;
	unsigned char *img, *bad;
	struct cr_image im;
	int round, failed = 0, restored = 0;
	size_t len;

	make_image(_metadata, ctx, &im);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	bad = malloc(len);
	ASSERT_NE(NULL, bad);

	for (round = 0; round < FUZZ_ROUNDS; round++) {
		const struct cr_rec *r;
		uint64_t off, span;
		int i, n, err = 0, status, fd;
		char st[128];
		long ret;

		/* a record, and its metadata part only for PAGES */
		do {
			r = &im.recs[cr_xorshift64(&rng) % im.nr_recs];
		} while (r->type == CKPT_HDR_HEADER &&
			 cr_xorshift64(&rng) % 4);
		span = r->type == CKPT_HDR_PAGES ?
		       sizeof(struct ckpt_hdr_pages) + 8ULL * r->nr_pages :
		       r->len;
		memcpy(bad, img, len);
		n = 1 + cr_xorshift64(&rng) % 4;
		for (i = 0; i < n; i++) {
			off = r->off + cr_xorshift64(&rng) % span;
			bad[off] ^= 1 + cr_xorshift64(&rng) % 255;
		}
		ASSERT_EQ(0, cr_write_whole(ctx->data, bad, len));

		fd = open(ctx->data, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ret = cr_restart_fd(ctx, fd, 0, &err);
		close(fd);
		if (ret == 0) {
			/* it made sense of it: the program decides its fate */
			restored++;
			if (cr_wait_timeout(ctx->rs_pid, &status, 5000)) {
				kill(ctx->rs_pid, SIGKILL);
				cr_wait_timeout(ctx->rs_pid, &status, 5000);
			}
			ctx->rs_pid = 0;
			continue;
		}
		failed++;
		EXPECT_EQ(-1, ret) {
			TH_LOG("round %d (%s at %llu): restart() returned %ld",
			       round, rec_name(r->type),
			       (unsigned long long)r->off, ret);
		}
		ASSERT_EQ(0, cr_wait_timeout(ctx->rs_pid, &status, 5000)) {
			TH_LOG("round %d (%s at %llu): restarting task still there after %s",
			       round, rec_name(r->type),
			       (unsigned long long)r->off, strerror(err));
			kill(ctx->rs_pid, SIGKILL);
		}
		ctx->rs_pid = 0;
		cr_status_str(status, st, sizeof(st));
		/*
		 * Killed, or restart(0) returned. A signal of the image that
		 * was pending (or a restored timer's) and kills by default may
		 * end the group before the SIGKILL does; a fault would mean
		 * that the task ran.
		 */
		EXPECT_TRUE((WIFSIGNALED(status) && !fault_signal(WTERMSIG(status))) ||
			    (WIFEXITED(status) &&
			     WEXITSTATUS(status) == CR_EXIT_RESTART_RETURNED)) {
			TH_LOG("round %d: restarting task %s", round, st);
		}
	}
	TH_LOG("%d damaged images refused, %d restored", failed, restored);
	EXPECT_LT(0, failed);
	free(bad);
	free(img);
	cr_image_free(&im);
	expect_intact_restarts(_metadata, ctx);
}

/* ---- every validated field --------------------------------------------- */

/* One bad value in one field of the first record of a type */
struct bad_field {
	const char *what;
	uint32_t type;		/* record type */
	size_t off;		/* field offset in the record */
	int size;		/* 1, 2, 4 or 8 bytes */
	int64_t val;
	bool add;		/* add val to the field instead of storing it */
};

#define BAD(t, st, field, v, a) \
	{ #t "." #field, CKPT_HDR_##t, offsetof(struct ckpt_hdr_##st, field), \
	  sizeof(((struct ckpt_hdr_##st *)0)->field), (v), (a) }

static const struct bad_field bad_fields[] = {
	BAD(HEADER, header, arch, 7, false),
	BAD(HEADER, header, page_size, 8192, false),
	BAD(HEADER, header, nr_tasks, 1, true),
	BAD(HEADER_ARCH, header_arch, fpu_format, 9, false),
	BAD(HEADER_ARCH, header_arch, xstate_size, 64, true),
	BAD(HEADER_ARCH, header_arch, xfeatures, 1LL << 62, true),
	BAD(TREE_TASK, tree_task, flags, 0x100, true),
	BAD(TREE_TASK, tree_task, pid, -1, false),
	BAD(TASK, task, pid, 1, true),
	BAD(TASK, task, flags, 4, false),
	BAD(TASK, task, pdeath_signal, 99, false),
	BAD(TASK, task, sleep_flags, 4, false),
	BAD(TASK, task, sleep_val, 1, false),
	BAD(TASK, task, sleep_bitset, 1, false),
	BAD(TASK, task, rseq, 0x10000010, false),
	BAD(TASK, task, robust_list, 1LL << 62, false),
	BAD(TASK, task, clear_child_tid, 1LL << 62, false),
	BAD(CPU, cpu, cs, 0x10, false),
	BAD(CPU, cpu, ss, 0x18, false),
	BAD(CPU, cpu, ip, 1LL << 62, false),
	BAD(CPU, cpu, ip, 1, false),
	BAD(CPU, cpu, sp, 1LL << 62, false),
	BAD(CPU, cpu, fs_base, 1LL << 62, false),
	BAD(FPU, fpu, format, 2, false),
	BAD(SIGHAND, sighand, action[1].handler, 1LL << 62, false),
	BAD(SIGNAL, signal, nr_rlim, 17, false),
	BAD(SIGNAL, signal, it_real_value, INT64_MIN, false),
	BAD(SIGMASK, sigmask, sas_ss_flags, 4, false),
	BAD(SIGMASK, sigmask, sas_ss_sp, 1LL << 62, false),
	BAD(SIGMASK, sigmask, nr_siginfo, 1 << 30, false),
	BAD(SIGINFO, siginfo, flags, 2, false),
	BAD(SIGNAL, signal, nr_timers, 1 << 30, false),
	BAD(SIGNAL, signal, next_timer_id, -1, false),
	BAD(POSIX_TIMER, posix_timer, id, -1, false),
	BAD(POSIX_TIMER, posix_timer, clock, 8, false),	/* CLOCK_REALTIME_ALARM */
	BAD(POSIX_TIMER, posix_timer, clock, 99, false),
	BAD(POSIX_TIMER, posix_timer, notify, 77, false),
	BAD(POSIX_TIMER, posix_timer, signo, 65, false),
	BAD(POSIX_TIMER, posix_timer, tid, 1, false),
	BAD(POSIX_TIMER, posix_timer, flags, 4, false),
	BAD(POSIX_TIMER, posix_timer, value, INT64_MIN, false),
	BAD(POSIX_TIMER, posix_timer, interval, INT64_MIN, false),
	BAD(POSIX_TIMER, posix_timer, overrun, -5, false),
	BAD(POSIX_TIMER, posix_timer, overrun_last, -5, false),
	BAD(UTS_NS, uts_ns, own, 2, false),
	BAD(MM, mm, nr_auxv, -1, true),	/* odd: AT_NULL still in it */
	BAD(MM, mm, has_exe, 3, false),
	BAD(MM, mm, def_flags, 4, false),	/* LOCK_ONFAULT, no LOCK_FUTURE */
	BAD(MM, mm, def_flags, 8, false),
	BAD(MM, mm, dumpable, 3, false),
	BAD(MM, mm, coredump_filter, 1 << 9, false),
	BAD(MM, mm, pad, 1, false),
	BAD(MM, mm, start_code, 1LL << 62, false),
	BAD(MM, mm, nr_vmas, 1 << 30, false),
	BAD(VMA, vma, flags, 0x100, true),
	BAD(VMA, vma, flags, 0x3000, true),	/* HUGEPAGE and NOHUGEPAGE */
	BAD(VMA, vma, flags, 0x8000, true),	/* LOCKONFAULT, not LOCKED */
	BAD(VMA, vma, flags, 0x10000, true),	/* MAYWRITE, not SHARED */
	BAD(VMA, vma, flags, 0x20000, true),
	BAD(VMA, vma, pgoff, 1LL << 60, false),
	BAD(FILE_TABLE, file_table, nr_fds, 1 << 30, false),
	BAD(FD_ENT, fd_ent, fd, -1, false),
	BAD(FD_ENT, fd_ent, flags, 2, false),
	BAD(FILE, file, file_type, 9, false),
	BAD(FILE, file, f_pos, -5, false),
	BAD(FILE, file, i_mode, 0010000, true),	/* S_IFCHR -> another type */
	BAD(CRED, cred, ngroups, 1, true),
	BAD(CRED, cred, cap_effective, 1LL << 62, false),
	BAD(CRED, cred, cap_ambient, 1, true),
	BAD(CRED, cred, securebits, 1 << 20, false),
	BAD(CRED, cred, pad, 1, false),
	BAD(OBJREF, objref, objtype, 1, true),
	BAD(OBJREF, objref, objref, 1000, false),
	BAD(FS, fs, umask, 01000, true),
	BAD(FILE_DATA, file_data, kind, 3, false),
	BAD(FILE_DATA, file_data, size, INT64_MIN, false),
	BAD(FILE_DATA, file_data, mode, 010000, true),
	BAD(FILE_DATA, file_data, seals, 0x20, true),
	/* reserved and padding bytes */
	BAD(HEADER, header, pad, 1, false),
	BAD(TREE, tree, pad, 1, false),
	BAD(TREE_TASK, tree_task, pad, 1, false),
	BAD(TASK, task, nice, 20, false),
	BAD(TASK, task, nr_cpus, 1025, false),
	BAD(TASK, task, policy, 4, false),
	BAD(TASK, task, rt_priority, 5, false),
	BAD(TASK, task, default_timer_slack_ns, 0, false),
	BAD(CPU, cpu, pad, 1, false),
	BAD(SIGHAND, sighand, pad, 1, false),
	BAD(UTS_NS, uts_ns, pad[5], 1, false),
	BAD(PAGES, pages, pad, 1, false),
	BAD(FILE, file, nr_locks, 1 << 20, false),
	BAD(FILE_TABLE, file_table, pad, 1, false),
	BAD(FILE_TABLE, file_table, nr_locks, 1 << 20, false),
	BAD(FILE_LOCK, file_lock, kind, 9, false),
	BAD(FILE_LOCK, file_lock, type, 7, false),
	BAD(FILE_LOCK, file_lock, start, -1, false),
	BAD(FILE_LOCK, file_lock, fd, 3, false),
	BAD(FILE_LOCK, file_lock, pad, 1, false),
};

static void set_field(unsigned char *p, int size, int64_t val, bool add)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	v = add ? v + val : (uint64_t)val;
	memcpy(p, &v, size);
}

/*
 * Every field restart validates, set to a value it must refuse: restart
 * fails with EINVAL and a message, and the task never runs.
 */
CR_TEST(cr_image, bad_field_values_refused)
{
	struct cr_image im;
	unsigned char *img, *bad;
	unsigned int i;
	size_t len;

	make_image(_metadata, ctx, &im);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	bad = malloc(len);
	ASSERT_NE(NULL, bad);
	for (i = 0; i < ARRAY_SIZE(bad_fields); i++) {
		const struct bad_field *b = &bad_fields[i];
		const struct cr_rec *r = cr_image_find(&im, b->type, 0);

		ASSERT_NE(NULL, r) {
			TH_LOG("no record of type %u for %s", b->type, b->what);
		}
		ASSERT_LE(b->off + b->size, r->len);
		memcpy(bad, img, len);
		set_field(bad + r->off + b->off, b->size, b->val, b->add);
		ASSERT_EQ(0, cr_write_whole(ctx->data, bad, len));
		expect_refused(_metadata, ctx, ctx->data, b->what);
	}
	free(bad);
	free(img);
	cr_image_free(&im);
	expect_intact_restarts(_metadata, ctx);
}

/*
 * An auxv without its AT_NULL entry: /proc/PID/auxv would read past the
 * end of the kernel's array. Restart refuses it.
 */
CR_TEST(cr_image, auxv_without_at_null_refused)
{
	const struct cr_rec *mm;
	struct ckpt_hdr_mm h;
	struct cr_image im;
	unsigned char *img;
	unsigned int i;
	size_t len;

	make_image(_metadata, ctx, &im);
	mm = cr_image_find(&im, CKPT_HDR_MM, 0);
	ASSERT_NE(NULL, mm);
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	memcpy(&h, img + mm->off, sizeof(h));
	ASSERT_LT(0, h.nr_auxv);
	for (i = 0; i < h.nr_auxv; i++)
		if (!h.auxv[i])
			h.auxv[i] = 0x41 + i;
	memcpy(img + mm->off, &h, sizeof(h));
	ASSERT_EQ(0, cr_write_whole(ctx->data, img, len));
	free(img);
	expect_refused(_metadata, ctx, ctx->data, "auxv without AT_NULL");
	cr_image_free(&im);
	expect_intact_restarts(_metadata, ctx);
}

/*
 * An image followed by other bytes in its file (a stream of records):
 * restart reads ahead, but leaves the file's position just after the
 * image, and the bytes after it alone
 */
CR_TEST(cr_image, position_after_image)
{
	static const char after[] = "bytes after the image";
	off_t size, pos;
	long ret;
	int fd, err;

	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);
	size = cr_file_size(ctx->img);
	ASSERT_LT(0, size);
	fd = open(ctx->img, O_RDWR | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cr_write_all(fd, after, sizeof(after)));
	close(fd);

	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = cr_restart_fd(ctx, fd, 0, &err);
	pos = lseek(fd, 0, SEEK_CUR);
	close(fd);
	ASSERT_EQ(0, ret) {
		TH_LOG("restart: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_EQ(size, pos) {
		TH_LOG("the image is %lld bytes, the file position after restart %lld",
		       (long long)size, (long long)pos);
	}
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

#define NEIGHBOUR_AT	0x7e0000000000UL	/* fixed: the test edits it */
#define NEIGHBOUR_SEED	0x5a1d

/*
 * A private page at NEIGHBOUR_AT, a shared one right above it, and
 * nothing else up to a third page (kept PROT_NONE, no pages)
 */
static int wl_neighbours(struct cr_ctx *ctx, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	bool file = *(bool *)arg;
	unsigned char *r, *a, *b;
	int fd = -1;

	r = mmap((void *)NEIGHBOUR_AT, 3 * page, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != (void *)NEIGHBOUR_AT)
		return CR_EXIT_SETUP;
	a = mmap(r, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	/* shared anonymous memory, or a file opened read-only mapped shared */
	if (file) {
		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		b = mmap(r + page, page, PROT_READ, MAP_SHARED | MAP_FIXED,
			 fd, 0);
		close(fd);
	} else {
		b = mmap(r + page, page, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	if (a != r || b != r + page)
		return CR_EXIT_SETUP;
	cr_fill(a, page, NEIGHBOUR_SEED);
	if (!file)
		cr_fill(b, page, NEIGHBOUR_SEED + 1);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (cr_check_fill(a, page, NEIGHBOUR_SEED) >= 0 ||
	    (file ? memcmp(b, "\177ELF", 4) :
	     cr_check_fill(b, page, NEIGHBOUR_SEED + 1) >= 0))
		return CR_WL_FAIL(1, "the private or the shared page differs");
	return 0;
}

/*
 * A saved page moved (in an image otherwise sound, its address still
 * ascending) into the shared mapping next to its own: restart installs
 * private pages in private mappings only, and says so
 */
static void page_into_shared_refused(struct __test_metadata *_metadata,
				     struct cr_ctx *ctx, bool file)
{
	const uint64_t at = NEIGHBOUR_AT, moved = at + sysconf(_SC_PAGESIZE);
	const struct cr_rec *pages;
	struct cr_image im;
	unsigned char *img;
	uint64_t addr;
	unsigned int i;
	size_t len;
	int found = 0;

	cr_spawn(_metadata, ctx, wl_neighbours, &file);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_image_scan(ctx->img, &im)) {
		TH_LOG("%s", im.err);
	}
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	/* the next saved page is above the PROT_NONE page: still ascending */
	for (i = 0; i < im.nr_recs; i++) {
		unsigned char *a;
		unsigned int k;

		pages = &im.recs[i];
		if (pages->type != CKPT_HDR_PAGES)
			continue;
		a = img + pages->off + sizeof(struct ckpt_hdr_pages);
		for (k = 0; k < pages->nr_pages; k++, a += sizeof(addr)) {
			memcpy(&addr, a, sizeof(addr));
			if (addr != at)
				continue;
			memcpy(a, &moved, sizeof(moved));
			found++;
		}
	}
	cr_image_free(&im);
	ASSERT_EQ(1, found);
	ASSERT_EQ(0, cr_write_whole(ctx->data, img, len));
	free(img);
	expect_refused(_metadata, ctx, ctx->data, "page moved into a shared mapping");
	EXPECT_TRUE(cr_log_has(ctx, "outside any private mapping"));
	expect_intact_restarts(_metadata, ctx);
}

/*
 * The shared mapping next to the private page: anonymous, or a file
 * mapped shared through a read-only fd
 */
FIXTURE(cr_image_shared) { struct cr_ctx ctx; };
FIXTURE_VARIANT(cr_image_shared) { bool file; };
FIXTURE_VARIANT_ADD(cr_image_shared, anon) { .file = false };
FIXTURE_VARIANT_ADD(cr_image_shared, read_only_file) { .file = true };
FIXTURE_SETUP(cr_image_shared) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_image_shared) { cr_teardown(_metadata, &self->ctx); }

CR_TEST_V(cr_image_shared, page_moved_into_it_refused)
{
	page_into_shared_refused(_metadata, ctx, variant->file);
}

/* What the HEADER and HEADER_ARCH records say of the checkpoint */
CR_TEST(cr_image, header_fields)
{
	struct ckpt_hdr_header_arch ha;
	struct timespec before, after;
	struct utsname uts;
	struct cr_image im;
	int fd;

	ASSERT_EQ(0, uname(&uts));
	clock_gettime(CLOCK_REALTIME, &before);
	make_image(_metadata, ctx, &im);
	clock_gettime(CLOCK_REALTIME, &after);
	EXPECT_EQ(CKPT_MAGIC, im.hdr.magic);
	EXPECT_EQ(CKPT_VERSION, im.hdr.version);
	EXPECT_EQ(CKPT_ARCH_X86_64, im.hdr.arch);
	EXPECT_EQ(getpagesize(), im.hdr.page_size);
	/* a plain checkpoint of a task in our namespaces */
	EXPECT_EQ(0, im.hdr.flags);
	EXPECT_EQ(1, im.hdr.nr_tasks);
	EXPECT_EQ(ctx->ckpt_id, (long)im.hdr.id);
	EXPECT_LE(before.tv_sec, im.hdr.time_sec);
	EXPECT_GE(after.tv_sec, im.hdr.time_sec);
	EXPECT_GT(1000000000, im.hdr.time_nsec);
	EXPECT_STREQ(uts.sysname, im.hdr.sysname);
	EXPECT_STREQ(uts.nodename, im.hdr.nodename);
	EXPECT_STREQ(uts.release, im.hdr.release);
	EXPECT_STREQ(uts.version, im.hdr.version_str);
	EXPECT_STREQ(uts.machine, im.hdr.machine);
	EXPECT_STREQ(uts.domainname, im.hdr.domainname);

	fd = open(ctx->img, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(ha), pread(fd, &ha, sizeof(ha), im.recs[1].off));
	close(fd);
	EXPECT_EQ(CKPT_FPU_XSAVE, ha.fpu_format);
	/* the legacy area and the XSAVE header at least */
	EXPECT_LE(576, ha.xstate_size);
	/* x87 and SSE state are always there */
	EXPECT_EQ(3, ha.xfeatures & 3);
	cr_image_free(&im);
	expect_intact_restarts(_metadata, ctx);
}

#define CKPTINFO_TOOL	cr_tool("ckptinfo")

/* ckptinfo @opt @img: exit @code, and @said in its output */
static void expect_ckptinfo(struct __test_metadata *_metadata,
			    struct cr_ctx *ctx, char *opt, char *img, int code,
			    const char *said)
{
	char *argv[] = { (char *)CKPTINFO_TOOL, opt, img, NULL };

	cr_need(_metadata, argv[0]);
	EXPECT_TRUE(cr_tool_said(cr_run_tool(ctx->data2, argv), code,
				 ctx->data2, said));
}

static void expect_check(struct __test_metadata *_metadata,
			 struct cr_ctx *ctx, char *img, int code,
			 const char *said)
{
	expect_ckptinfo(_metadata, ctx, "--check", img, code, said);
}

/*
 * ckptinfo --check: "image ok" for an image restart takes; the first
 * problem, with its offset, for a truncated one and for one whose header
 * and tree disagree
 */
CR_TEST(cr_image, ckptinfo_check)
{
	const struct cr_rec *pages;
	struct cr_image im = {};
	char bad[CR_PATH_LEN + 8], said[128];
	unsigned char *img;
	size_t len;

	make_image(_metadata, ctx, &im);
	expect_check(_metadata, ctx, ctx->img, 0, "image ok: ");
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	pages = cr_image_pages(&im);
	snprintf(bad, sizeof(bad), "%s.bad", ctx->img);

	ASSERT_EQ(0, cr_write_whole(bad, img, pages->off + 100));
	snprintf(said, sizeof(said), "truncated image at offset %llu: PAGES record",
		 (unsigned long long)pages->off);
	expect_check(_metadata, ctx, bad, 1, said);

	((struct ckpt_hdr_header *)img)->nr_tasks++;
	ASSERT_EQ(0, cr_write_whole(bad, img, len));
	expect_check(_metadata, ctx, bad, 1,
		     "corrupted image at offset 0: the header counts 2 tasks, the tree 1");
	/* and restart refuses it too */
	expect_refused(_metadata, ctx, bad, "header counting 2 tasks");

	unlink(bad);
	free(img);
	cr_image_free(&im);
}

/* ckptinfo --json: @what (a fragment of the document) in its output */
static void expect_json(struct __test_metadata *_metadata,
			struct cr_ctx *ctx, char *img, int code,
			const char *what)
{
	expect_ckptinfo(_metadata, ctx, "--json", img, code, what);
}

/*
 * ckptinfo --json: one document with every record (offset, type, length,
 * text) and the verdict; a damaged image says what and where
 */
CR_TEST(cr_image, ckptinfo_json)
{
	const struct cr_rec *pages;
	struct cr_image im = {};
	char bad[CR_PATH_LEN + 8], want[256];
	unsigned char *img;
	size_t len;

	make_image(_metadata, ctx, &im);
	snprintf(want, sizeof(want), "\"records_count\": %u, ",
		 im.nr_recs);
	expect_json(_metadata, ctx, ctx->img, 0, want);
	expect_json(_metadata, ctx, ctx->img, 0, "\"ok\": true, \"problem\": null");
	pages = cr_image_pages(&im);
	snprintf(want, sizeof(want),
		 "{\"offset\": %llu, \"type\": \"PAGES\", \"type_id\": %u, \"len\": %u, \"text\": \"%u pages\"}",
		 (unsigned long long)pages->off, CKPT_HDR_PAGES, pages->len,
		 pages->nr_pages);
	expect_json(_metadata, ctx, ctx->img, 0, want);

	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	snprintf(bad, sizeof(bad), "%s.bad", ctx->img);
	ASSERT_EQ(0, cr_write_whole(bad, img, pages->off + 100));
	snprintf(want, sizeof(want),
		 "\"ok\": false, \"problem\": {\"what\": \"truncated\", \"offset\": %llu, ",
		 (unsigned long long)pages->off);
	expect_json(_metadata, ctx, bad, 1, want);
	unlink(bad);
	free(img);
	cr_image_free(&im);
}

/* ---- pre-copy: CHECKPOINT_SOFTDIRTY --------------------------------------- */

#define SD_ADDR		0x7e0000000000UL
#define SD_PAGES	64
#define SD_PAGE		4096UL

static const int sd_written[] = { 3, 10, 20 };

/*
 * A buffer written in full, then the soft-dirty bits cleared (as a
 * pre-copy round does), then three of its pages written again.
 */
static int wl_softdirty(struct cr_ctx *ctx, void *arg)
{
	unsigned char *buf;
	unsigned int i;

	buf = mmap((void *)SD_ADDR, SD_PAGES * SD_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (buf != (void *)SD_ADDR)
		return CR_WL_FAIL(CR_EXIT_SETUP, "mmap at %#lx: %s", SD_ADDR,
				  strerror(errno));
	memset(buf, 0x5a, SD_PAGES * SD_PAGE);
	if (cr_write_str("/proc/self/clear_refs", "4"))
		return CR_WL_FAIL(CR_EXIT_SETUP, "clear_refs: %s",
				  strerror(errno));
	for (i = 0; i < ARRAY_SIZE(sd_written); i++)
		buf[sd_written[i] * SD_PAGE] = 0xa5;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	return 0;
}

/*
 * checkpoint(CHECKPOINT_SOFTDIRTY) writes the contents of the pages
 * written since the soft-dirty bits were cleared, and only lists the
 * others in PAGES_PRECOPIED records; restart() refuses such an image
 * (the pages are not in it) with EINVAL and a message.
 */
CR_TEST(cr_image, softdirty_lists_clean_pages)
{
	int saved[SD_PAGES] = { 0 }, listed[SD_PAGES] = { 0 };
	struct cr_image im;
	unsigned int i, k;
	char *img;
	size_t len;
	long id;
	int fd;

	cr_spawn(_metadata, ctx, wl_softdirty, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	id = sys_checkpoint(ctx->wl_pid, fd, CHECKPOINT_SOFTDIRTY, ctx->logfd);
	close(fd);
	ASSERT_LT(0, id) {
		TH_LOG("checkpoint(CHECKPOINT_SOFTDIRTY): %s", strerror(errno));
		cr_dump_logs(_metadata, ctx);
	}
	ASSERT_EQ(0, cr_image_scan(ctx->img, &im)) {
		TH_LOG("malformed image: %s", im.err);
	}
	img = cr_read_whole(ctx->img, &len);
	ASSERT_NE(NULL, img);
	for (i = 0; i < im.nr_recs; i++) {
		const struct cr_rec *r = &im.recs[i];
		const struct ckpt_hdr_pages *h = (void *)(img + r->off);
		const uint64_t *addr = (const void *)(h + 1);

		if (r->type != CKPT_HDR_PAGES &&
		    r->type != CKPT_HDR_PAGES_PRECOPIED)
			continue;
		for (k = 0; k < h->nr_pages; k++) {
			uint64_t a = addr[k];
			unsigned int p = (a - SD_ADDR) / SD_PAGE;

			if (a < SD_ADDR || p >= SD_PAGES)
				continue;
			if (r->type == CKPT_HDR_PAGES_PRECOPIED) {
				listed[p]++;
				continue;
			}
			saved[p]++;
			/* the page as it was written last */
			EXPECT_EQ(0xa5, (unsigned char)img[r->off + sizeof(*h) +
				  h->nr_pages * 8 + k * SD_PAGE]);
		}
	}
	free(img);
	cr_image_free(&im);
	for (i = 0; i < SD_PAGES; i++) {
		bool written = false;

		for (k = 0; k < ARRAY_SIZE(sd_written); k++)
			written |= sd_written[k] == (int)i;
		EXPECT_EQ(written ? 1 : 0, saved[i]) {
			TH_LOG("page %u (%s) saved %d times", i,
			       written ? "written" : "clean", saved[i]);
		}
		EXPECT_EQ(written ? 0 : 1, listed[i]) {
			TH_LOG("page %u (%s) listed %d times", i,
			       written ? "written" : "clean", listed[i]);
		}
	}
	expect_refused(_metadata, ctx, ctx->img, "image with PAGES_PRECOPIED");
	EXPECT_TRUE(cr_log_has(ctx, "lacks the pages its pre-copy sent ahead"));
}

TEST_HARNESS_MAIN
