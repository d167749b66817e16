// SPDX-License-Identifier: GPL-2.0
/*
 * Memory across checkpoint/restart: anonymous memory, stack, brk heap,
 * a large dirty buffer, private file mappings and protections; frozen
 * with the cgroup v2 freezer and with the v1 freezer.
 */
#include "cr_util.h"

/* ---- counter, stack, brk and malloc heap ------------------------------ */

#define COUNT_TARGET	1000000ULL
#define STACK_LEN	(128 * 1024)
#define BRK_LEN		(1024 * 1024)
#define SMALL_LEN	1000
#define BIG_LEN		(512 * 1024)	/* above the mmap threshold */

struct counter {
	volatile uint64_t count;
	volatile uint64_t done;
};

static int wl_anon_counter(struct cr_ctx *ctx, void *arg)
{
	unsigned char stackbuf[STACK_LEN];
	unsigned char *brkbuf, *brk_end, *more, *small, *big;
	long page = sysconf(_SC_PAGESIZE);
	struct counter *c;
	ssize_t off;

	c = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return CR_EXIT_SETUP;
	while (c->count < COUNT_TARGET)
		c->count++;
	c->done = 1;

	cr_fill(stackbuf, sizeof(stackbuf), 0x57ac);
	brkbuf = sbrk(BRK_LEN);
	if (brkbuf == (void *)-1)
		return CR_EXIT_SETUP;
	cr_fill(brkbuf, BRK_LEN, 0xb4c);
	brk_end = sbrk(0);
	small = malloc(SMALL_LEN);
	big = malloc(BIG_LEN);
	if (!small || !big)
		return CR_EXIT_SETUP;
	cr_fill(small, SMALL_LEN, 0x5a11);
	cr_fill(big, BIG_LEN, 0xb16);
	cr_barrier(stackbuf);

	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(stackbuf);

	if (!c->done || c->count != COUNT_TARGET)
		return CR_WL_FAIL(1, "counter %llu done %llu, expected %llu done 1",
				  (unsigned long long)c->count,
				  (unsigned long long)c->done, COUNT_TARGET);
	while (c->count < 2 * COUNT_TARGET)
		c->count++;
	if (c->count != 2 * COUNT_TARGET)
		return CR_WL_FAIL(2, "counter went to %llu",
				  (unsigned long long)c->count);
	off = cr_check_fill(stackbuf, sizeof(stackbuf), 0x57ac);
	if (off >= 0)
		return CR_WL_FAIL(3, "stack buffer differs at offset %zd", off);
	off = cr_check_fill(brkbuf, BRK_LEN, 0xb4c);
	if (off >= 0)
		return CR_WL_FAIL(4, "brk heap differs at offset %zd", off);
	if (sbrk(0) != brk_end)
		return CR_WL_FAIL(5, "program break %p, expected %p",
				  sbrk(0), brk_end);
	/* The restored break must still be able to grow. */
	more = sbrk(page);
	if (more != brk_end)
		return CR_WL_FAIL(6, "sbrk(%ld) returned %p, expected %p",
				  page, more, brk_end);
	memset(more, 0x77, page);
	if (more[0] != 0x77 || more[page - 1] != 0x77)
		return CR_WL_FAIL(6, "new brk page not writable");
	off = cr_check_fill(small, SMALL_LEN, 0x5a11);
	if (off >= 0)
		return CR_WL_FAIL(7, "small malloc block differs at %zd", off);
	off = cr_check_fill(big, BIG_LEN, 0xb16);
	if (off >= 0)
		return CR_WL_FAIL(8, "large malloc block differs at %zd", off);
	/* malloc still works on the restored heap. */
	free(small);
	small = malloc(4 * SMALL_LEN);
	if (!small)
		return CR_WL_FAIL(9, "malloc after restart failed");
	memset(small, 1, 4 * SMALL_LEN);
	free(small);
	free(big);
	return 0;
}

FIXTURE(cr_memory) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_memory) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_memory) { cr_teardown(_metadata, &self->ctx); }

CR_TEST(cr_memory, anon_counter_stack_brk)
{
	cr_cycle(_metadata, ctx, wl_anon_counter, NULL);
}

CR_TEST(cr_memory, anon_counter_freezer_v1)
{
	if (!cr_freezer_v1_available())
		SKIP(return, "cgroup v1 freezer not mounted at %s",
		     cr_freezer_root(CR_FREEZER_V1));
	ctx->freezer = CR_FREEZER_V1;
	cr_cycle(_metadata, ctx, wl_anon_counter, NULL);
}

/* ---- 64 MiB dirty buffer ---------------------------------------------- */

#define DIRTY_LEN	(64UL << 20)
#define ZERO_LEN	(16UL << 20)
#define DIRTY_SEED	0xd1e7f00dULL

static int wl_dirty(struct cr_ctx *ctx, void *arg)
{
	unsigned char *buf, *zero;
	uint64_t sum;
	ssize_t off;

	buf = mmap(NULL, DIRTY_LEN + ZERO_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return CR_EXIT_SETUP;
	zero = buf + DIRTY_LEN;		/* never touched before checkpoint */
	cr_fill(buf, DIRTY_LEN, DIRTY_SEED);
	sum = cr_checksum(buf, DIRTY_LEN);

	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(buf);

	off = cr_check_fill(buf, DIRTY_LEN, DIRTY_SEED);
	if (off >= 0)
		return CR_WL_FAIL(1, "dirty buffer differs at offset %zd (page %zd)",
				  off, off / 4096);
	if (cr_checksum(buf, DIRTY_LEN) != sum)
		return CR_WL_FAIL(2, "checksum %#llx, expected %#llx",
				  (unsigned long long)cr_checksum(buf, DIRTY_LEN),
				  (unsigned long long)sum);
	off = cr_check_zero(zero, ZERO_LEN);
	if (off >= 0)
		return CR_WL_FAIL(3, "untouched region not zero at offset %zd",
				  off);
	/* And it is still ours to write. */
	zero[0] = 1;
	zero[ZERO_LEN - 1] = 1;
	return 0;
}

CR_TEST(cr_memory, dirty_64mib_checksum)
{
	cr_cycle(_metadata, ctx, wl_dirty, NULL);
}

/* ---- private file mappings and protections ------------------------------ */

#define FM_PAGES	16
#define FM_RO_PGOFF	8		/* read-only mapping: pages 8..11 */
#define FM_RO_PAGES	4
#define FM_ANON_PAGES	3

static const int fm_dirty_pages[] = { 1, 5, 6, 15 };

static unsigned char fm_file_byte(size_t off)
{
	return (unsigned char)(off * 131 + (off >> 12) * 7 + 0x3c);
}

static unsigned char fm_dirty_byte(size_t off)
{
	return (unsigned char)(~fm_file_byte(off) ^ 0x11);
}

static bool fm_is_dirty(int page)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fm_dirty_pages); i++)
		if (fm_dirty_pages[i] == page)
			return true;
	return false;
}

/* Check the file itself still has the original pattern; -1 or offset. */
static ssize_t fm_check_file(const char *path, size_t len)
{
	unsigned char *buf;
	size_t got, i;
	ssize_t ret = -1;

	buf = cr_read_whole(path, &got);
	if (!buf)
		return 0;
	if (got != len)
		ret = got;
	for (i = 0; ret < 0 && i < len; i++)
		if (buf[i] != fm_file_byte(i))
			ret = i;
	free(buf);
	return ret;
}

static int fm_check_map(const void *addr, const char *perms,
			unsigned long offset, const char *path)
{
	struct cr_map m;

	if (cr_maps_lookup(addr, &m)) {
		fprintf(stderr, "no mapping at %p\n", addr);
		return -1;
	}
	if (strcmp(m.perms, perms) || m.offset != offset ||
	    strcmp(m.path, path)) {
		fprintf(stderr, "mapping at %p: %s %lx '%s', expected %s %lx '%s'\n",
			addr, m.perms, m.offset, m.path, perms, offset, path);
		return -1;
	}
	return 0;
}

static int wl_file_mappings(struct cr_ctx *ctx, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = FM_PAGES * page, i;
	unsigned char *buf, *rw, *ro, *anon;
	volatile unsigned char sink;
	int fd, p;
	ssize_t off;

	buf = malloc(len);
	if (!buf)
		return CR_EXIT_SETUP;
	for (i = 0; i < len; i++)
		buf[i] = fm_file_byte(i);
	fd = open(ctx->data, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || cr_write_all(fd, buf, len))
		return CR_EXIT_SETUP;
	free(buf);
	rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ro = mmap(NULL, FM_RO_PAGES * page, PROT_READ, MAP_PRIVATE, fd,
		  FM_RO_PGOFF * page);
	/* The mappings alone keep the file: no fd in the image for it. */
	close(fd);
	if (rw == MAP_FAILED || ro == MAP_FAILED)
		return CR_EXIT_SETUP;
	for (p = 0; p < FM_PAGES; p++) {
		if (!fm_is_dirty(p))
			continue;
		for (i = p * page; i < (p + 1) * page; i++)
			rw[i] = fm_dirty_byte(i);
	}
	sink = rw[3 * page + 100];	/* page 3 faulted in, clean */
	sink = ro[page];
	(void)sink;

	anon = mmap(NULL, FM_ANON_PAGES * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(anon, FM_ANON_PAGES * page, 0xa707);
	if (mprotect(anon, FM_ANON_PAGES * page, PROT_READ))
		return CR_EXIT_SETUP;

	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(rw);

	for (i = 0; i < len; i++) {
		unsigned char want = fm_is_dirty(i / page) ?
				     fm_dirty_byte(i) : fm_file_byte(i);

		if (rw[i] != want)
			return CR_WL_FAIL(1, "rw mapping page %zu offset %zu: %#x, expected %#x (%s page)",
					  i / page, i, rw[i], want,
					  fm_is_dirty(i / page) ? "modified" :
					  "unmodified");
	}
	for (i = 0; i < FM_RO_PAGES * page; i++)
		if (ro[i] != fm_file_byte(FM_RO_PGOFF * page + i))
			return CR_WL_FAIL(2, "ro mapping differs at offset %zu",
					  i);
	off = cr_check_fill(anon, FM_ANON_PAGES * page, 0xa707);
	if (off >= 0)
		return CR_WL_FAIL(3, "read-only anonymous region differs at %zd",
				  off);
	if (fm_check_map(rw, "rw-p", 0, ctx->data))
		return CR_WL_FAIL(4, "rw file mapping attributes");
	if (fm_check_map(ro, "r--p", FM_RO_PGOFF * page, ctx->data))
		return CR_WL_FAIL(5, "ro file mapping attributes");
	if (fm_check_map(anon, "r--p", 0, ""))
		return CR_WL_FAIL(6, "read-only anonymous region attributes");
	off = fm_check_file(ctx->data, len);
	if (off >= 0)
		return CR_WL_FAIL(7, "file changed on disk at offset %zd", off);
	/* Still copy-on-write: writing a clean page leaves the file alone. */
	rw[2 * page] = 0xaa;
	if (rw[2 * page] != 0xaa)
		return CR_WL_FAIL(8, "write to the private mapping lost");
	off = fm_check_file(ctx->data, len);
	if (off >= 0)
		return CR_WL_FAIL(8, "private write reached the file at %zd",
				  off);
	return 0;
}

CR_TEST(cr_memory, private_file_mappings)
{
	long page = sysconf(_SC_PAGESIZE);

	cr_cycle(_metadata, ctx, wl_file_mappings, NULL);
	/* The test's own view of the file: never written through. */
	EXPECT_EQ(-1, fm_check_file(ctx->data, FM_PAGES * page));
}

/* ---- the original is unharmed by a checkpoint ------------------------------ */

#define ORIG_LEN	(4UL << 20)

static int wl_checksum(struct cr_ctx *ctx, void *arg)
{
	unsigned char *buf;
	uint64_t sum;
	ssize_t off;

	buf = mmap(NULL, ORIG_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(buf, ORIG_LEN, 0x0419);
	sum = cr_checksum(buf, ORIG_LEN);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	cr_barrier(buf);
	off = cr_check_fill(buf, ORIG_LEN, 0x0419);
	if (off >= 0)
		return CR_WL_FAIL(1, "buffer differs at offset %zd", off);
	if (cr_checksum(buf, ORIG_LEN) != sum)
		return CR_WL_FAIL(2, "checksum changed");
	return 0;
}

/*
 * A successful checkpoint leaves the original as it was: thawed, it runs
 * on and finds its memory intact; the image then restarts as well.
 */
CR_TEST(cr_memory, original_resumes_after_checkpoint)
{
	cr_spawn(_metadata, ctx, wl_checksum, NULL);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_thaw(_metadata, ctx);
	cr_go(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->wl_pid, 0, "original workload");

	cr_restart_file(_metadata, ctx);
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

/* ---- the whole memory map, exactly ---------------------------------------- */

#define MAPS_LEN	65536

/* This task's /proc/self/maps in buf; its length or -1 */
static ssize_t read_maps(char *buf)
{
	return cr_read_str("/proc/self/maps", buf, MAPS_LEN);
}

/* The first line where a and b differ, for the message */
static void first_diff(const char *a, const char *b, char *out, size_t size)
{
	const char *la = a, *lb = b;

	while (*la && *lb) {
		const char *ea = strchrnul(la, '\n'), *eb = strchrnul(lb, '\n');

		if (ea - la != eb - lb || memcmp(la, lb, ea - la)) {
			snprintf(out, size, "\"%.*s\", expected \"%.*s\"",
				 (int)(eb - lb), lb, (int)(ea - la), la);
			return;
		}
		la = *ea ? ea + 1 : ea;
		lb = *eb ? eb + 1 : eb;
	}
	snprintf(out, size, "\"%.80s\", expected \"%.80s\"", lb, la);
}

#define SH_PAGES	4

/*
 * Mappings of every kind the checkpoint supports, apart from each
 * other: rwx, r-x and PROT_NONE anonymous memory, a private file
 * mapping at a page offset, executable, a shared writable file mapping
 * whose writes go to the file, and two shared read-only ones: one of the
 * file opened read-only, which mprotect() cannot make writable, one of
 * the file opened read-write, which it can.
 */
static int wl_maps(struct cr_ctx *ctx, void *arg)
{
	static char before[MAPS_LEN], after[MAPS_LEN];
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *area, *sh;
	char diff[512];
	int fd, ro;

	/* one reservation, carved up so that nothing merges */
	area = mmap(NULL, 20 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (area == MAP_FAILED)
		return CR_EXIT_SETUP;
	if (mprotect(area + page, page, PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    mprotect(area + 3 * page, 2 * page, PROT_READ | PROT_EXEC) ||
	    mprotect(area + 6 * page, page, PROT_WRITE))
		return CR_EXIT_SETUP;
	area[page] = 0xc3;	/* ret */
	fd = open(ctx->data, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 8 * page))
		return CR_EXIT_SETUP;
	if (mmap(area + 8 * page, 2 * page, PROT_READ | PROT_EXEC,
		 MAP_PRIVATE | MAP_FIXED, fd, 2 * page) == MAP_FAILED)
		return CR_EXIT_SETUP;
	sh = mmap(area + 11 * page, SH_PAGES * page, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, fd, 4 * page);
	ro = open(ctx->data, O_RDONLY);
	if (sh != area + 11 * page || ro < 0 ||
	    mmap(area + 16 * page, page, PROT_READ, MAP_SHARED | MAP_FIXED,
		 ro, 0) == MAP_FAILED ||
	    mmap(area + 18 * page, page, PROT_READ, MAP_SHARED | MAP_FIXED,
		 fd, page) == MAP_FAILED)
		return CR_EXIT_SETUP;
	close(ro);
	close(fd);
	memcpy(sh, "before", 6);
	if (read_maps(before) <= 0)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (read_maps(after) <= 0)
		return CR_WL_FAIL(1, "cannot read /proc/self/maps");
	if (strcmp(before, after)) {
		first_diff(before, after, diff, sizeof(diff));
		return CR_WL_FAIL(2, "memory map differs: %s", diff);
	}
	if (memcmp(sh, "before", 6))
		return CR_WL_FAIL(3, "shared file mapping lost its contents");
	memcpy(sh + page, "after", 5);
	if (!mprotect(area + 16 * page, page, PROT_READ | PROT_WRITE) ||
	    errno != EACCES)
		return CR_WL_FAIL(4, "the mapping of the file opened read-only can be made writable");
	if (mprotect(area + 18 * page, page, PROT_READ | PROT_WRITE))
		return CR_WL_FAIL(5, "the read-only mapping of the file opened read-write cannot be made writable: %s",
				  strerror(errno));
	memcpy(area + 18 * page, "later", 5);
	/* the rwx page still executes */
	((void (*)(void))(area + page))();
	return 0;
}

/*
 * /proc/self/maps is the same line for line after restart: addresses,
 * protections, private or shared, file offsets, files, [heap], [stack]
 * and [vdso]; and a write to a shared file mapping reaches the file.
 */
CR_TEST(cr_memory, maps_exact)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *buf;
	size_t len;

	cr_cycle(_metadata, ctx, wl_maps, NULL);
	buf = cr_read_whole(ctx->data, &len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(8 * page, len);
	EXPECT_EQ(0, memcmp(buf + 4 * page, "before", 6));
	EXPECT_EQ(0, memcmp(buf + 5 * page, "after", 5)) {
		TH_LOG("the write through the restored shared mapping is not in the file");
	}
	EXPECT_EQ(0, memcmp(buf + page, "later", 5)) {
		TH_LOG("the write through the mapping made writable is not in the file");
	}
	free(buf);
}

/* The madvise() states checkpoint saves, one VMA each */
static const struct {
	int advice;
	const char *vmflag;	/* its mnemonic in smaps' VmFlags */
} madv[] = {
	{ MADV_DONTFORK, "dc" }, { MADV_DONTDUMP, "dd" },
	{ MADV_WIPEONFORK, "wf" }, { MADV_SEQUENTIAL, "sr" },
	{ MADV_RANDOM, "rr" }, { MADV_HUGEPAGE, "hg" },
	{ MADV_NOHUGEPAGE, "nh" }, { MADV_MERGEABLE, "mg" },
};

#define THP_SIZE	(2UL << 20)
#define THP_SEED	0x7e9

#define MADV_N		ARRAY_SIZE(madv)
#define MADV_PAGES	4
#define MADV_SEED	0xadc1

/*
 * The "@field:" line of the VMA at @addr in /proc/self/smaps, into @line
 * (@size bytes). Return: 0, or -1 if there is no such VMA or field.
 */
static int vma_field(void *addr, const char *field, char *line, size_t size)
{
	size_t len = strlen(field);
	char want[32];
	bool in = false;
	int ret = -1;
	FILE *fp = fopen("/proc/self/smaps", "r");

	if (!fp)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, size, fp)) {
		/* "start-end perms ..." starts a VMA, "Name: ..." a field */
		if (line[strcspn(line, " ") - 1] != ':') {
			in = !strncmp(line, want, strlen(want));
		} else if (in && !strncmp(line, field, len) && line[len] == ':') {
			ret = 0;
			break;
		}
	}
	fclose(fp);
	return ret;
}

/* Has the VMA at @addr the VmFlags mnemonic @flag? (-1: no such VMA) */
static int vma_has_flag(void *addr, const char *flag)
{
	char line[512], f[8];

	if (vma_field(addr, "VmFlags", line, sizeof(line)))
		return -1;
	snprintf(f, sizeof(f), " %s", flag);
	return strstr(line, f) != NULL;
}

static int wl_madvise(struct cr_ctx *ctx, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = MADV_N * MADV_PAGES * page, i;
	unsigned char *m, *r, *thp;
	int status = -1;
	ssize_t off;
	pid_t kid;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* a huge-page aligned range advised MADV_HUGEPAGE: a THP if any */
	thp = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || thp == MAP_FAILED)
		return CR_EXIT_SETUP;
	thp = (unsigned char *)(((uintptr_t)thp + THP_SIZE - 1) &
				~(THP_SIZE - 1));
	cr_fill(m, len, MADV_SEED);
	for (i = 0; i < MADV_N; i++)
		if (madvise(m + i * MADV_PAGES * page, MADV_PAGES * page,
			    madv[i].advice))
			return CR_EXIT_SETUP;
	if (madvise(thp, THP_SIZE, MADV_HUGEPAGE))
		return CR_EXIT_SETUP;
	cr_fill(thp, THP_SIZE, THP_SEED);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	off = cr_check_fill(m, len, MADV_SEED);
	if (off >= 0)
		return CR_WL_FAIL(1, "advised memory differs at offset %zd", off);
	off = cr_check_fill(thp, THP_SIZE, THP_SEED);
	if (off >= 0 || vma_has_flag(thp, "hg") != 1)
		return CR_WL_FAIL(5, "huge page range: differs at %zd, or lost MADV_HUGEPAGE",
				  off);
	for (i = 0; i < MADV_N; i++) {
		r = m + i * MADV_PAGES * page;
		if (vma_has_flag(r, madv[i].vmflag) != 1)
			return CR_WL_FAIL(2, "%p lost its \"%s\" advice", r,
					  madv[i].vmflag);
	}
	/* and they still do what they say across fork() */
	kid = fork();
	if (kid < 0)
		return CR_WL_FAIL(3, "fork: %s", strerror(errno));
	if (kid == 0) {
		r = m + 2 * MADV_PAGES * page;		/* WIPEONFORK */
		for (i = 0; i < MADV_PAGES * page; i++)
			if (r[i])
				_exit(4);
		_exit(vma_has_flag(m, "dc") == -1 ? 0 : 5);	/* DONTFORK */
	}
	if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return CR_WL_FAIL(4, "child of the restored task: status %#x (4: not wiped, 5: not left out)",
				  status);
	return 0;
}

/*
 * madvise() state (DONTFORK, DONTDUMP, WIPEONFORK, SEQUENTIAL, RANDOM,
 * HUGEPAGE, NOHUGEPAGE, MERGEABLE) comes back on each range, with the
 * contents (a transparent huge page's too), and still acts on fork()
 */
CR_TEST(cr_memory, madvise_state)
{
	cr_cycle(_metadata, ctx, wl_madvise, NULL);
}

#define LOCK_SEED	0x10c4

/* mlock() of one page of four, a MAP_LOCKED mapping, mlockall(MCL_FUTURE) */
static int wl_mlock(struct cr_ctx *ctx, void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *m, *l, *n;
	char status[4096], *vmlck = NULL;
	ssize_t off;

	m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	l = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	if (m == MAP_FAILED || l == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(m, 4 * page, LOCK_SEED);
	l[0] = 0x1c;
	if (mlock(m + page, page) || mlockall(MCL_FUTURE))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	off = cr_check_fill(m, 4 * page, LOCK_SEED);
	if (off >= 0 || l[0] != 0x1c)
		return CR_WL_FAIL(1, "locked memory differs at offset %zd", off);
	/* only the middle page: a VMA of its own (the others may merge) */
	if (vma_has_flag(m + page, "lo") != 1 || vma_has_flag(m, "lo") == 1 ||
	    vma_has_flag(m + 2 * page, "lo") == 1)
		return CR_WL_FAIL(2, "mlock()ed: %d %d %d (want 0 1 0)",
				  vma_has_flag(m, "lo"),
				  vma_has_flag(m + page, "lo"),
				  vma_has_flag(m + 2 * page, "lo"));
	if (vma_has_flag(l, "lo") != 1)
		return CR_WL_FAIL(3, "the MAP_LOCKED mapping is not locked");
	/* MCL_FUTURE: a new mapping is locked */
	n = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED || vma_has_flag(n, "lo") != 1)
		return CR_WL_FAIL(4, "a new mapping is not locked: mlockall(MCL_FUTURE) lost");
	vmlck = cr_read_str("/proc/self/status", status, sizeof(status)) > 0 ?
		strstr(status, "VmLck:") : NULL;
	if (!vmlck || atol(vmlck + 6) < 4 * page / 1024)
		return CR_WL_FAIL(5, "VmLck too small: %.20s", vmlck ? vmlck : "none");
	return 0;
}

/*
 * mlock()ed ranges and MAP_LOCKED mappings come back locked (and only
 * they), with their contents; mlockall(MCL_FUTURE) still locks new
 * mappings
 */
CR_TEST(cr_memory, mlock_state)
{
	cr_cycle(_metadata, ctx, wl_mlock, NULL);
}

/* The "@field:" line of the VMA at @addr in smaps, in kB (-1: none) */
static long vma_kb(void *addr, const char *field)
{
	char line[512];

	return vma_field(addr, field, line, sizeof(line)) ? -1 :
	       atol(line + strlen(field) + 1);
}

#define ONFAULT_PAGES	64

/*
 * mlock2(MLOCK_ONFAULT) of a 64-page mapping with two pages touched, and
 * mlockall(MCL_FUTURE | MCL_ONFAULT): only the touched pages are resident
 * and locked, and each page locks as it faults in, after restart too
 */
static int wl_mlock_onfault(struct cr_ctx *ctx, void *arg)
{
	long page = sysconf(_SC_PAGESIZE), kb = page / 1024;
	unsigned char *o, *n;
	long locked, rss;

	o = mmap(NULL, ONFAULT_PAGES * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (o == MAP_FAILED)
		return CR_EXIT_SETUP;
	o[0] = 0x0f;
	o[10 * page] = 0xa0;
	if (mlock2(o, ONFAULT_PAGES * page, MLOCK_ONFAULT) ||
	    mlockall(MCL_FUTURE | MCL_ONFAULT) ||
	    vma_kb(o, "Locked") != 2 * kb)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (o[0] != 0x0f || o[10 * page] != 0xa0)
		return CR_WL_FAIL(1, "locked pages lost their contents");
	locked = vma_kb(o, "Locked");
	rss = vma_kb(o, "Rss");
	if (locked != 2 * kb || rss != 2 * kb || vma_has_flag(o, "lo") != 1)
		return CR_WL_FAIL(2, "MLOCK_ONFAULT mapping: %ld kB locked, %ld kB resident (want %ld and %ld)",
				  locked, rss, 2 * kb, 2 * kb);
	/* a page touched now locks as it faults in */
	o[20 * page] = 1;
	if (vma_kb(o, "Locked") != 3 * kb)
		return CR_WL_FAIL(3, "a new page is not locked on fault: %ld kB locked",
				  vma_kb(o, "Locked"));
	/*
	 * MCL_ONFAULT: a new mapping is locked, but only what is touched
	 * (shared: it cannot merge with the private one above)
	 */
	n = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED)
		return CR_WL_FAIL(4, "mmap: %s", strerror(errno));
	n[0] = 1;
	locked = vma_kb(n, "Locked");
	if (vma_has_flag(n, "lo") != 1 || locked != kb)
		return CR_WL_FAIL(5, "new mapping: %d locked, %ld kB (want 1, %ld): mlockall(MCL_ONFAULT) lost",
				  vma_has_flag(n, "lo"), locked, kb);
	return 0;
}

CR_TEST(cr_memory, mlock_onfault)
{
	cr_cycle(_metadata, ctx, wl_mlock_onfault, NULL);
}

TEST_HARNESS_MAIN
