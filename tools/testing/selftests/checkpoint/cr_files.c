// SPDX-License-Identifier: GPL-2.0
/*
 * Open regular files across checkpoint/restart: same fd numbers, file
 * offsets, access mode and status flags, close-on-exec, and the sharing
 * of one open file by dup()ed descriptors; memfds and deleted files,
 * whose contents the image carries.
 */
#include "cr_util.h"
#include "cr_tree.h"

#include <libgen.h>
#include <linux/futex.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>

#define DATA_LEN	1000
#define DATA_POS	500
#define DATA2_LEN	10
#define RO_POS		123

/* Descriptor numbers the workload puts its files at. */
#define FD_RW		17	/* data, O_RDWR, offset 500 */
#define FD_RO		18	/* data, O_RDONLY | O_CLOEXEC, offset 123 */
#define FD_DUP		19	/* dup of FD_RW: shares its offset */
#define FD_APPEND	20	/* data2, O_WRONLY | O_APPEND */
#define FD_LAST		63	/* we check nothing else is open up to here */

static unsigned char data_byte(size_t i)
{
	return 'a' + i % 26;
}

static unsigned char data2_byte(size_t i)
{
	return '0' + i % 10;
}

/* Open path with flags and move it to fd number target. */
static int open_at(const char *path, int flags, int target)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return -1;
	if (fd != target) {
		if (dup3(fd, target, flags & O_CLOEXEC) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int wl_files(struct cr_ctx *ctx, void *arg)
{
	unsigned char buf[DATA_LEN];
	struct stat st_rw, st_dup, st_path;
	int fd, fl;
	off_t pos;
	size_t i;

	for (i = 0; i < DATA_LEN; i++)
		buf[i] = data_byte(i);
	if (open_at(ctx->data, O_RDWR | O_CREAT | O_TRUNC, FD_RW) ||
	    cr_write_all(FD_RW, buf, DATA_LEN) ||
	    lseek(FD_RW, DATA_POS, SEEK_SET) != DATA_POS)
		return CR_EXIT_SETUP;
	if (open_at(ctx->data, O_RDONLY | O_CLOEXEC, FD_RO) ||
	    lseek(FD_RO, RO_POS, SEEK_SET) != RO_POS)
		return CR_EXIT_SETUP;
	if (dup2(FD_RW, FD_DUP) != FD_DUP)
		return CR_EXIT_SETUP;
	for (i = 0; i < DATA2_LEN; i++)
		buf[i] = data2_byte(i);
	if (open_at(ctx->data2, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
		    FD_APPEND) ||
	    cr_write_all(FD_APPEND, buf, DATA2_LEN))
		return CR_EXIT_SETUP;

	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* The read/write descriptor: same file, offset and flags. */
	if (fstat(FD_RW, &st_rw) || stat(ctx->data, &st_path))
		return CR_WL_FAIL(1, "fd %d: %m", FD_RW);
	if (st_rw.st_dev != st_path.st_dev || st_rw.st_ino != st_path.st_ino)
		return CR_WL_FAIL(2, "fd %d is not %s", FD_RW, ctx->data);
	pos = lseek(FD_RW, 0, SEEK_CUR);
	if (pos != DATA_POS)
		return CR_WL_FAIL(3, "fd %d offset %lld, expected %d", FD_RW,
				  (long long)pos, DATA_POS);
	fl = fcntl(FD_RW, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR || (fl & O_APPEND))
		return CR_WL_FAIL(4, "fd %d status flags %#x, expected O_RDWR without O_APPEND",
				  FD_RW, fl);
	fl = fcntl(FD_RW, F_GETFD);
	if (fl != 0)
		return CR_WL_FAIL(5, "fd %d descriptor flags %#x, expected 0",
				  FD_RW, fl);

	/* The second, independent open of the same file. */
	pos = lseek(FD_RO, 0, SEEK_CUR);
	if (pos != RO_POS)
		return CR_WL_FAIL(6, "fd %d offset %lld, expected %d", FD_RO,
				  (long long)pos, RO_POS);
	fl = fcntl(FD_RO, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_RDONLY)
		return CR_WL_FAIL(7, "fd %d status flags %#x, expected O_RDONLY",
				  FD_RO, fl);
	fl = fcntl(FD_RO, F_GETFD);
	if (fl != FD_CLOEXEC)
		return CR_WL_FAIL(8, "fd %d descriptor flags %#x, expected FD_CLOEXEC",
				  FD_RO, fl);
	if (pread(FD_RO, buf, DATA_LEN, 0) != DATA_LEN)
		return CR_WL_FAIL(9, "pread fd %d: %m", FD_RO);
	for (i = 0; i < DATA_LEN; i++)
		if (buf[i] != data_byte(i))
			return CR_WL_FAIL(9, "file content differs at %zu", i);

	/* The dup: one open file with FD_RW. */
	if (fstat(FD_DUP, &st_dup) || st_dup.st_ino != st_rw.st_ino)
		return CR_WL_FAIL(10, "fd %d is not the data file", FD_DUP);
	fl = fcntl(FD_DUP, F_GETFD);
	if (fl != 0)
		return CR_WL_FAIL(10, "fd %d descriptor flags %#x, expected 0",
				  FD_DUP, fl);
	pos = lseek(FD_DUP, 0, SEEK_CUR);
	if (pos != DATA_POS)
		return CR_WL_FAIL(11, "fd %d offset %lld, expected %d", FD_DUP,
				  (long long)pos, DATA_POS);
	if (write(FD_RW, "AFTER", 5) != 5)
		return CR_WL_FAIL(12, "write fd %d: %m", FD_RW);
	pos = lseek(FD_DUP, 0, SEEK_CUR);
	if (pos != DATA_POS + 5)
		return CR_WL_FAIL(13, "fd %d offset %lld after a write through fd %d, expected %d: not shared",
				  FD_DUP, (long long)pos, FD_RW, DATA_POS + 5);
	if (lseek(FD_RO, 0, SEEK_CUR) != RO_POS)
		return CR_WL_FAIL(14, "fd %d moved with fd %d", FD_RO, FD_RW);
	if (lseek(FD_RW, 0, SEEK_END) != DATA_LEN)
		return CR_WL_FAIL(15, "data file size changed");

	/* O_APPEND kept: a write lands at the end. */
	fl = fcntl(FD_APPEND, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY || !(fl & O_APPEND))
		return CR_WL_FAIL(16, "fd %d status flags %#x, expected O_WRONLY|O_APPEND",
				  FD_APPEND, fl);
	if (lseek(FD_APPEND, 0, SEEK_SET) != 0 ||
	    write(FD_APPEND, "XY", 2) != 2)
		return CR_WL_FAIL(17, "write fd %d: %m", FD_APPEND);

	/* Nothing else is open: the restore added no descriptor. */
	for (fd = 3; fd <= FD_LAST; fd++) {
		if (fd >= FD_RW && fd <= FD_APPEND)
			continue;
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			return CR_WL_FAIL(18, "unexpected open fd %d", fd);
	}
	return 0;
}

FIXTURE(cr_files) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_files) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_files) { cr_teardown(_metadata, &self->ctx); }

/* Offset of the first byte of path that differs from want(), or -1. */
static ssize_t check_file(const char *path, size_t want_len,
			  unsigned char (*want)(size_t), size_t *len)
{
	unsigned char *buf;
	ssize_t bad = -1;
	size_t i;

	buf = cr_read_whole(path, len);
	if (!buf)
		return 0;
	for (i = 0; i < *len && i < want_len; i++)
		if (buf[i] != want(i)) {
			bad = i;
			break;
		}
	free(buf);
	return bad;
}

static unsigned char data_after(size_t i)
{
	return i >= DATA_POS && i < DATA_POS + 5 ? "AFTER"[i - DATA_POS] :
						   data_byte(i);
}

static unsigned char data2_after(size_t i)
{
	return i < DATA2_LEN ? data2_byte(i) : "XY"[i - DATA2_LEN];
}

CR_TEST(cr_files, regular_file_offsets_and_flags)
{
	size_t len = 0;

	cr_cycle(_metadata, ctx, wl_files, NULL);

	/* "AFTER" landed at offset 500, nothing else changed. */
	EXPECT_EQ(-1, check_file(ctx->data, DATA_LEN, data_after, &len));
	EXPECT_EQ(DATA_LEN, len);
	/* "XY" went to the end of data2 although the offset was 0. */
	EXPECT_EQ(-1, check_file(ctx->data2, DATA2_LEN + 2, data2_after,
				 &len));
	EXPECT_EQ(DATA2_LEN + 2, len);
}

/* Status flags a regular file keeps, and a 64-bit offset */
struct flag_fd {
	int fd;
	int flags;		/* open(2) flags */
	off_t pos;
};

#define BIG_POS		((5LL << 30) + 4321)	/* beyond 32 bits */

static const struct flag_fd flag_fds[] = {
	{ 30, O_RDWR | O_NONBLOCK, 7 },
	{ 31, O_WRONLY | O_SYNC, 11 },
	{ 32, O_RDONLY | O_NOATIME, 13 },
	{ 33, O_WRONLY | O_DSYNC | O_APPEND, 0 },
	{ 34, O_RDONLY | O_NONBLOCK | O_NOATIME | O_CLOEXEC, BIG_POS },
	{ 35, O_PATH, 0 },
};

static int wl_flags(struct cr_ctx *ctx, void *arg)
{
	int fl_was[ARRAY_SIZE(flag_fds)], fd_was[ARRAY_SIZE(flag_fds)];
	unsigned int i;
	int dir_fl, fl;
	off_t pos;

	for (i = 0; i < ARRAY_SIZE(flag_fds); i++) {
		const struct flag_fd *f = &flag_fds[i];

		if (open_at(ctx->data, f->flags | O_CREAT, f->fd))
			return CR_EXIT_SETUP;
		if (f->pos && lseek(f->fd, f->pos, SEEK_SET) != f->pos)
			return CR_EXIT_SETUP;
		fl_was[i] = fcntl(f->fd, F_GETFL);
		fd_was[i] = fcntl(f->fd, F_GETFD);
		if (fl_was[i] < 0 || fd_was[i] < 0)
			return CR_EXIT_SETUP;
	}
	/* a directory opened O_DIRECTORY, as a working tree walker has */
	if (open_at("/tmp", O_RDONLY | O_DIRECTORY, 36))
		return CR_EXIT_SETUP;
	dir_fl = fcntl(36, F_GETFL);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	for (i = 0; i < ARRAY_SIZE(flag_fds); i++) {
		const struct flag_fd *f = &flag_fds[i];

		fl = fcntl(f->fd, F_GETFL);
		if (fl != fl_was[i])
			return CR_WL_FAIL(1, "fd %d status flags %#x, expected %#x",
					  f->fd, fl, fl_was[i]);
		fl = fcntl(f->fd, F_GETFD);
		if (fl != fd_was[i])
			return CR_WL_FAIL(2, "fd %d descriptor flags %#x, expected %#x",
					  f->fd, fl, fd_was[i]);
		if (f->flags & O_PATH)
			continue;
		pos = lseek(f->fd, 0, SEEK_CUR);
		if (pos != f->pos)
			return CR_WL_FAIL(3, "fd %d offset %lld, expected %lld",
					  f->fd, (long long)pos, (long long)f->pos);
	}
	fl = fcntl(36, F_GETFL);
	if (fl != dir_fl)
		return CR_WL_FAIL(4, "directory fd status flags %#x, expected %#x",
				  fl, dir_fl);
	/* O_APPEND still appends through the O_DSYNC descriptor */
	if (write(33, "Z", 1) != 1 || lseek(33, 0, SEEK_CUR) != BIG_POS + 1)
		return CR_WL_FAIL(5, "append landed at %lld, expected %lld",
				  (long long)lseek(33, 0, SEEK_CUR),
				  (long long)BIG_POS + 1);
	return 0;
}

/*
 * O_NONBLOCK, O_SYNC, O_DSYNC, O_NOATIME, O_APPEND, O_PATH and
 * O_DIRECTORY descriptors come back with exactly their status flags, and
 * an offset beyond 4 GiB is kept.
 */
CR_TEST(cr_files, status_flags_exact)
{
	int fd;

	/* a sparse file as long as the largest offset */
	fd = open(ctx->data, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, BIG_POS));
	close(fd);
	cr_cycle(_metadata, ctx, wl_flags, NULL);
}

#define MANY_FDS	131072
#define MANY_BASE	200

/* MANY_FDS descriptors, all dup()s of one open file */
static int wl_many_fds(struct cr_ctx *ctx, void *arg)
{
	int fd, base, n = 0;
	off_t pos;

	base = open(ctx->data, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (base < 0)
		return CR_EXIT_SETUP;
	for (fd = MANY_BASE; fd < MANY_BASE + MANY_FDS; fd++)
		if (dup2(base, fd) != fd)
			return CR_EXIT_SETUP;
	close(base);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	for (fd = 3; fd < MANY_BASE + MANY_FDS + 64; fd++) {
		bool want = fd >= MANY_BASE && fd < MANY_BASE + MANY_FDS;

		if ((fcntl(fd, F_GETFD) >= 0) != want)
			return CR_WL_FAIL(1, "fd %d is %s", fd,
					  want ? "not open" : "open");
		n += want;
	}
	/* one open file: a write through the last moves the first's offset */
	if (write(MANY_BASE + MANY_FDS - 1, "many", 4) != 4)
		return CR_WL_FAIL(2, "write: %m");
	pos = lseek(MANY_BASE, 0, SEEK_CUR);
	if (pos != 4)
		return CR_WL_FAIL(3, "fd %d offset %lld, expected 4: not shared",
				  MANY_BASE, (long long)pos);
	return n == MANY_FDS ? 0 : CR_WL_FAIL(4, "%d fds, expected %d", n,
					      MANY_FDS);
}

/*
 * 131072 descriptors sharing one file come back, all of them and
 * nothing more, in one linear pass (no stall).
 */
CR_TEST(cr_files, many_descriptors)
{
	struct rlimit r = { MANY_BASE + MANY_FDS + 1024,
			    MANY_BASE + MANY_FDS + 1024 };

	/* for the workload and for the task that restarts it */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &r));
	cr_cycle(_metadata, ctx, wl_many_fds, NULL);
}

/* ---- memfds ------------------------------------------------------------ */

#define MFD_FD		40	/* "cr memfd": sealable, offset MFD_POS */
#define MFD_RO_FD	41	/* the same memfd reopened O_RDONLY */
#define MFD_SEALED_FD	42	/* "cr sealed": F_SEAL_WRITE, close-on-exec */
#define MFD_SIZE	(5 * 4096 + 100)	/* the last pages never written */
#define MFD_DATA	(3 * 4096)
#define MFD_POS		777
#define MFD_SEED	0x3e3f
#define MFD_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

/* Shared with the child through the memfd's shared mapping */
struct mfd_page {
	int child_ready;
	int futex;
	unsigned char parent_mark, child_mark;
};

/* The child: waits on a futex in the memfd, checks, writes its mark */
static int mfd_child(unsigned char *shared, unsigned char *mapped_only)
{
	struct mfd_page *p = (struct mfd_page *)shared;
	char buf[16];

	__atomic_store_n(&p->child_ready, 1, __ATOMIC_SEQ_CST);
	cr_futex_wait_set(&p->futex);
	if (p->parent_mark != 0x5a)
		return 1;
	/* what the parent wrote through its fd after the restart */
	if (pread(MFD_FD, buf, 5, 100) != 5 || memcmp(buf, "AFTER", 5) ||
	    memcmp(shared + 100, "AFTER", 5))
		return 2;
	if (mapped_only[0] != 0x77)
		return 3;
	mapped_only[1] = 0x88;
	p->child_mark = 0xc7;
	return 0;
}

static int memfd_at(const char *name, unsigned int flags, int target)
{
	int fd = memfd_create(name, flags);

	if (fd < 0 || dup3(fd, target, flags & MFD_CLOEXEC ? O_CLOEXEC : 0) !=
	    target)
		return -1;
	close(fd);
	return 0;
}

static int wl_memfd(struct cr_ctx *ctx, void *arg)
{
	unsigned char *shared, *priv, *mapped_only;
	static unsigned char buf[MFD_DATA], want[MFD_DATA];
	struct stat st, st_ro;
	char path[64], link[256];
	int status = -1, i, fd, fl;
	ssize_t off;
	pid_t kid;

	cr_fill(buf, MFD_DATA, MFD_SEED);
	if (memfd_at("cr memfd", MFD_ALLOW_SEALING, MFD_FD) ||
	    cr_write_all(MFD_FD, buf, MFD_DATA) ||
	    ftruncate(MFD_FD, MFD_SIZE) ||
	    fcntl(MFD_FD, F_ADD_SEALS, MFD_SEALS) ||
	    lseek(MFD_FD, MFD_POS, SEEK_SET) != MFD_POS)
		return CR_EXIT_SETUP;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", MFD_FD);
	fd = open(path, O_RDONLY);
	if (fd < 0 || dup2(fd, MFD_RO_FD) != MFD_RO_FD)
		return CR_EXIT_SETUP;
	close(fd);
	if (memfd_at("cr sealed", MFD_ALLOW_SEALING | MFD_CLOEXEC,
		     MFD_SEALED_FD) ||
	    write(MFD_SEALED_FD, "sealed", 6) != 6 ||
	    fcntl(MFD_SEALED_FD, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL))
		return CR_EXIT_SETUP;
	shared = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		      MFD_FD, 0);
	priv = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    MFD_FD, 4096);
	/* a memfd known only by its mapping */
	fd = memfd_create("cr mapped only", 0);
	if (fd < 0 || ftruncate(fd, 4096))
		return CR_EXIT_SETUP;
	mapped_only = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
	close(fd);
	if (shared == MAP_FAILED || priv == MAP_FAILED ||
	    mapped_only == MAP_FAILED)
		return CR_EXIT_SETUP;
	memset(shared, 0, sizeof(struct mfd_page));
	priv[0] = 0xee;		/* a private copy of the file's page 1 */
	mapped_only[0] = 0x77;
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		_exit(mfd_child(shared, mapped_only));
	}
	for (i = 0; i < 1000 && !__atomic_load_n(&((struct mfd_page *)shared)->child_ready,
						  __ATOMIC_SEQ_CST); i++)
		cr_sleep_ms(10);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (fstat(MFD_FD, &st) || fstat(MFD_RO_FD, &st_ro))
		return CR_WL_FAIL(1, "fstat: %m");
	if (st.st_size != MFD_SIZE || st.st_ino != st_ro.st_ino ||
	    st.st_nlink != 0)
		return CR_WL_FAIL(2, "memfd size %lld, nlink %lu, %s inode as its reopened fd",
				  (long long)st.st_size, (unsigned long)st.st_nlink,
				  st.st_ino == st_ro.st_ino ? "same" : "not the same");
	if (readlink(path, link, sizeof(link)) < 0 ||
	    strncmp(link, "/memfd:cr memfd", 15))
		return CR_WL_FAIL(3, "fd %d is %s", MFD_FD, link);
	if (lseek(MFD_FD, 0, SEEK_CUR) != MFD_POS ||
	    lseek(MFD_RO_FD, 0, SEEK_CUR) != 0)
		return CR_WL_FAIL(4, "offsets %lld and %lld",
				  (long long)lseek(MFD_FD, 0, SEEK_CUR),
				  (long long)lseek(MFD_RO_FD, 0, SEEK_CUR));
	fl = fcntl(MFD_RO_FD, F_GETFL);
	if ((fl & O_ACCMODE) != O_RDONLY || (fcntl(MFD_FD, F_GETFL) & O_ACCMODE) != O_RDWR)
		return CR_WL_FAIL(5, "access modes %#x %#x", fcntl(MFD_FD, F_GETFL), fl);
	if (fcntl(MFD_FD, F_GET_SEALS) != MFD_SEALS ||
	    fcntl(MFD_SEALED_FD, F_GET_SEALS) != (F_SEAL_WRITE | F_SEAL_SEAL))
		return CR_WL_FAIL(6, "seals %#x and %#x",
				  fcntl(MFD_FD, F_GET_SEALS),
				  fcntl(MFD_SEALED_FD, F_GET_SEALS));
	if (ftruncate(MFD_FD, MFD_SIZE + 4096) == 0 ||
	    write(MFD_SEALED_FD, "x", 1) != -1 || errno != EPERM)
		return CR_WL_FAIL(7, "seals not enforced");
	if (fcntl(MFD_SEALED_FD, F_GETFD) != FD_CLOEXEC ||
	    pread(MFD_SEALED_FD, link, 6, 0) != 6 || memcmp(link, "sealed", 6))
		return CR_WL_FAIL(8, "sealed memfd: flags or contents");
	/* contents: through the fd, the shared and the private mapping */
	if (pread(MFD_RO_FD, buf, MFD_DATA, 0) != MFD_DATA)
		return CR_WL_FAIL(9, "pread: %m");
	cr_fill(want, MFD_DATA, MFD_SEED);
	for (off = sizeof(struct mfd_page); off < MFD_DATA; off++)
		if (buf[off] != want[off])
			return CR_WL_FAIL(10, "memfd contents differ at %zd", off);
	if (pread(MFD_FD, buf, 4096, MFD_DATA) != 4096 ||
	    cr_check_zero(buf, 4096) >= 0)
		return CR_WL_FAIL(11, "a page never written is not zero");
	if (priv[0] != 0xee || priv[1] != want[4097] || shared[4096] != want[4096])
		return CR_WL_FAIL(12, "private mapping %#x %#x, file %#x",
				  priv[0], priv[1], shared[4096]);
	/* the private mapping's other page still follows the file */
	if (pwrite(MFD_FD, "P", 1, 2 * 4096) != 1 || priv[4096] != 'P')
		return CR_WL_FAIL(13, "private mapping does not follow the file");
	/* shared with the child: the futex wakes it, writes are seen */
	if (pwrite(MFD_FD, "AFTER", 5, 100) != 5)
		return CR_WL_FAIL(14, "pwrite: %m");
	((struct mfd_page *)shared)->parent_mark = 0x5a;
	cr_futex_set_wake(&((struct mfd_page *)shared)->futex);
	if (cr_wait_timeout(kid, &status, CR_WAIT_MS) ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return CR_WL_FAIL(15, "child status %#x", status);
	if (((struct mfd_page *)shared)->child_mark != 0xc7 ||
	    mapped_only[1] != 0x88)
		return CR_WL_FAIL(16, "the child's writes are not seen");
	return 0;
}

/*
 * memfds come back with their name, size, contents, seals, offsets and
 * access modes, shared by fds, mappings and a child as before: a futex
 * in one still wakes the child, and each sees the other's writes.
 */
CR_TEST(cr_files, memfd)
{
	tree_cycle(_metadata, ctx, wl_memfd, NULL, CHECKPOINT_SUBTREE);
}

/* ---- deleted files ----------------------------------------------------- */

#define DEL_FD		43	/* O_RDWR, offset DEL_POS, shared with the child */
#define DEL_APPEND_FD	44	/* O_WRONLY | O_APPEND, close-on-exec */
#define DEL_SIZE	(4 * 4096 + 321)
#define DEL_POS		1234
#define DEL_SEED	0xde1e7ed
#define DEL_MODE	0640
#define DEL_UID		1000	/* its owner: not the workload's */
#define DEL_GID		1001

static int wl_deleted_file(struct cr_ctx *ctx, void *arg)
{
	static unsigned char buf[DEL_SIZE], want[DEL_SIZE];
	char path[64], link[CR_PATH_LEN + 32], dir[CR_PATH_LEN], *d;
	struct stat st, st2;
	unsigned char *map;
	int status = -1, fd, *go;
	pid_t kid;

	cr_fill(want, DEL_SIZE, DEL_SEED);
	memset(want + 4096, 0, 4096);		/* a hole */
	fd = open(ctx->data, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, DEL_FD) != DEL_FD ||
	    pwrite(DEL_FD, want, 4096, 0) != 4096 ||
	    pwrite(DEL_FD, want + 8192, DEL_SIZE - 8192, 8192) !=
	    DEL_SIZE - 8192 || fchown(DEL_FD, DEL_UID, DEL_GID) ||
	    fchmod(DEL_FD, DEL_MODE) ||
	    lseek(DEL_FD, DEL_POS, SEEK_SET) != DEL_POS)
		return CR_EXIT_SETUP;
	close(fd);
	fd = open(ctx->data, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || dup2(fd, DEL_APPEND_FD) != DEL_APPEND_FD ||
	    fcntl(DEL_APPEND_FD, F_SETFD, FD_CLOEXEC))
		return CR_EXIT_SETUP;
	close(fd);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, DEL_FD, 0);
	go = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || go == MAP_FAILED || unlink(ctx->data))
		return CR_EXIT_SETUP;
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		/* after the restart: one write through the shared open file */
		cr_futex_wait_set(go);
		_exit(write(DEL_FD, "kid", 3) == 3 ? 0 : 2);
	}
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (fstat(DEL_FD, &st) || fstat(DEL_APPEND_FD, &st2))
		return CR_WL_FAIL(1, "fstat: %m");
	if (st.st_nlink || st.st_size != DEL_SIZE ||
	    (st.st_mode & 07777) != DEL_MODE || st.st_ino != st2.st_ino ||
	    st.st_uid != DEL_UID || st.st_gid != DEL_GID)
		return CR_WL_FAIL(2, "nlink %lu, size %lld, mode %#o, owner %u:%u, %s inode as the append fd",
				  (unsigned long)st.st_nlink, (long long)st.st_size,
				  st.st_mode & 07777, st.st_uid, st.st_gid,
				  st.st_ino == st2.st_ino ? "same" : "not the same");
	/* made again in its directory (as O_TMPFILE names it), deleted */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", DEL_FD);
	memset(link, 0, sizeof(link));
	strcpy(dir, ctx->data);
	d = dirname(dir);
	if (readlink(path, link, sizeof(link) - 1) < 0 ||
	    strncmp(link, d, strlen(d)) || link[strlen(d)] != '/' ||
	    !strstr(link, " (deleted)"))
		return CR_WL_FAIL(3, "fd %d is %s", DEL_FD, link);
	if (access(ctx->data, F_OK) == 0)
		return CR_WL_FAIL(4, "%s exists again", ctx->data);
	if (lseek(DEL_FD, 0, SEEK_CUR) != DEL_POS ||
	    fcntl(DEL_FD, F_GETFD) != 0 ||
	    (fcntl(DEL_FD, F_GETFL) & O_ACCMODE) != O_RDWR)
		return CR_WL_FAIL(5, "fd %d: offset %lld, flags %#x", DEL_FD,
				  (long long)lseek(DEL_FD, 0, SEEK_CUR),
				  fcntl(DEL_FD, F_GETFL));
	if (fcntl(DEL_APPEND_FD, F_GETFD) != FD_CLOEXEC ||
	    (fcntl(DEL_APPEND_FD, F_GETFL) & (O_ACCMODE | O_APPEND)) !=
	    (O_WRONLY | O_APPEND))
		return CR_WL_FAIL(6, "fd %d flags %#x", DEL_APPEND_FD,
				  fcntl(DEL_APPEND_FD, F_GETFL));
	if (pread(DEL_FD, buf, DEL_SIZE, 0) != DEL_SIZE ||
	    memcmp(buf, want, DEL_SIZE))
		return CR_WL_FAIL(7, "contents differ");
	/* the mapping is of the same file */
	map[10] = 'M';
	if (pread(DEL_FD, buf, 1, 10) != 1 || buf[0] != 'M')
		return CR_WL_FAIL(8, "the mapping is not of the file");
	/* the child shares the open file: its write moves our offset */
	cr_futex_set_wake(go);
	if (cr_wait_timeout(kid, &status, CR_WAIT_MS) ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return CR_WL_FAIL(9, "child status %#x", status);
	if (lseek(DEL_FD, 0, SEEK_CUR) != DEL_POS + 3 ||
	    pread(DEL_FD, buf, 3, DEL_POS) != 3 || memcmp(buf, "kid", 3))
		return CR_WL_FAIL(10, "the child's write: offset %lld",
				  (long long)lseek(DEL_FD, 0, SEEK_CUR));
	if (write(DEL_APPEND_FD, "end", 3) != 3 ||
	    fstat(DEL_FD, &st) || st.st_size != DEL_SIZE + 3)
		return CR_WL_FAIL(11, "append: size %lld", (long long)st.st_size);
	return 0;
}

/*
 * A file unlinked while open and mapped comes back unlinked, in the same
 * directory, with its contents (a hole too), mode, offsets and flags; its
 * fds and the mapping are one file again, shared with the child.
 */
CR_TEST(cr_files, deleted_file)
{
	tree_cycle(_metadata, ctx, wl_deleted_file, NULL, CHECKPOINT_SUBTREE);
}

#define RAMFS_DIR	"/run/cr-ramfs"

/*
 * The same on ramfs, which is not shmem: its pages are read through the
 * page cache (and pages of zeroes left out), and written back by write()
 */
CR_TEST(cr_files, deleted_file_ramfs)
{
	mkdir(RAMFS_DIR, 0755);
	ASSERT_EQ(0, mount("ramfs", RAMFS_DIR, "ramfs", 0, "mode=755"));
	snprintf(ctx->data, sizeof(ctx->data), "%s/deleted", RAMFS_DIR);
	tree_cycle(_metadata, ctx, wl_deleted_file, NULL, CHECKPOINT_SUBTREE);
	umount2(RAMFS_DIR, MNT_DETACH);
}

/* ---- a deleted executable --------------------------------------------- */

#define EXE_ARG		"--deleted-exe"
#define EXE_GRANDCHILD	"--deleted-exe-again"
#define EXE_AGAIN_CODE	42

/*
 * A copy of this program, run as EXE_ARG COPY READY GO SIZE: removes
 * COPY, says READY, waits for GO (after the restart), then checks that
 * its executable is still that deleted file and runs it once more.
 */
static int deleted_exe_child(char **argv)
{
	char link[CR_PATH_LEN + 32] = "", *self[] = { argv[0], EXE_GRANDCHILD, NULL };
	struct stat st;
	int status, i;
	pid_t pid;

	if (unlink(argv[2]))
		return CR_EXIT_SETUP;
	close(open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	for (i = 0; i < CR_GO_POLLS && access(argv[4], F_OK); i++)
		cr_sleep_ms(CR_GO_POLL_NS / 1000000);
	if (readlink("/proc/self/exe", link, sizeof(link) - 1) < 0 ||
	    !strstr(link, " (deleted)"))
		return CR_WL_FAIL(1, "the executable is %s", link);
	if (stat("/proc/self/exe", &st) || st.st_nlink ||
	    st.st_size != atoll(argv[5]))
		return CR_WL_FAIL(2, "the executable: %lld bytes, nlink %lu",
				  (long long)st.st_size,
				  (unsigned long)st.st_nlink);
	/* the restored file runs: exec() takes it as it is */
	pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", self);
		_exit(1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != EXE_AGAIN_CODE)
		return CR_WL_FAIL(3, "running the executable again: status %#x",
				  status);
	return 0;
}

/* glibc hands constructors argc and argv: catch the copies' runs */
static void __attribute__((constructor)) deleted_exe_hook(int argc,
							   char **argv)
{
	if (argc == 2 && !strcmp(argv[1], EXE_GRANDCHILD))
		exit(EXE_AGAIN_CODE);
	if (argc == 6 && !strcmp(argv[1], EXE_ARG))
		exit(deleted_exe_child(argv));
}

static int wl_deleted_exe(struct cr_ctx *ctx, void *arg)
{
	char ready[CR_PATH_LEN + 32], size[32];
	int status = -1;
	size_t len;
	void *exe;
	pid_t kid;

	exe = cr_read_whole("/proc/self/exe", &len);
	if (!exe || cr_write_whole(ctx->data2, exe, len) ||
	    chmod(ctx->data2, 0755))
		return CR_EXIT_SETUP;
	free(exe);
	ready_file(ctx, 1, ready, sizeof(ready));
	snprintf(size, sizeof(size), "%zu", len);
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		close(ctx->ready_fd);
		execl(ctx->data2, "cr-deleted-exe", EXE_ARG, ctx->data2, ready,
		      ctx->go, size, (char *)NULL);
		_exit(CR_EXIT_SETUP);
	}
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (cr_wait_timeout(kid, &status, CR_WAIT_MS) || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return CR_WL_FAIL(1, "the deleted executable's run: status %#x",
				  status);
	return 0;
}

/*
 * A process whose executable was deleted comes back running the same
 * file, deleted: /proc/PID/exe shows it, and it can run it again.
 */
CR_TEST(cr_files, deleted_exe)
{
	tree_cycle(_metadata, ctx, wl_deleted_exe, NULL, CHECKPOINT_SUBTREE);
}

/* ---- file locks --------------------------------------------------------- */

#define LOCK_FLOCK_FD	45	/* data: flock(LOCK_EX), shared with the child */
#define LOCK_OFD_FD	46	/* data2: OFD write lock on [10, 20) */
#define LOCK_SH_FD	47	/* data2 again: flock(LOCK_SH) */

/* From a process of its own, with files of its own: what is locked? */
static int probe_locks(struct cr_ctx *ctx, bool want_locked)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 15, .l_len = 1 };
	int a, b, status = -1;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		a = open(ctx->data, O_RDWR);
		b = open(ctx->data2, O_RDWR);
		if (a < 0 || b < 0)
			_exit(10);
		/* flock: exclusive; OFD lock on 15; a shared flock on data2 */
		if ((flock(a, LOCK_SH | LOCK_NB) == 0) == want_locked)
			_exit(11);
		if ((fcntl(b, F_OFD_SETLK, &fl) == 0) == want_locked)
			_exit(12);
		if ((flock(b, LOCK_EX | LOCK_NB) == 0) == want_locked)
			_exit(13);
		if (flock(b, LOCK_SH | LOCK_NB))
			_exit(14);
		_exit(0);
	}
	if (pid < 0 || cr_wait_timeout(pid, &status, CR_WAIT_MS))
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int wl_flock(struct cr_ctx *ctx, void *arg)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 10, .l_len = 10 };
	int status = -1, ret, *go;
	pid_t kid;

	go = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (go == MAP_FAILED ||
	    open_at(ctx->data, O_RDWR | O_CREAT | O_TRUNC, LOCK_FLOCK_FD) ||
	    open_at(ctx->data2, O_RDWR | O_CREAT | O_TRUNC, LOCK_OFD_FD) ||
	    open_at(ctx->data2, O_RDONLY, LOCK_SH_FD) ||
	    flock(LOCK_FLOCK_FD, LOCK_EX) || fcntl(LOCK_OFD_FD, F_OFD_SETLK, &fl) ||
	    flock(LOCK_SH_FD, LOCK_SH))
		return CR_EXIT_SETUP;
	kid = fork();
	if (kid < 0)
		return CR_EXIT_SETUP;
	if (kid == 0) {
		/* shares the open file, so the flock() too: it drops it */
		close(ctx->ready_fd);
		cr_futex_wait_set(go);
		_exit(flock(LOCK_FLOCK_FD, LOCK_UN) ? 1 : 0);
	}
	ret = probe_locks(ctx, true);
	if (ret)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	ret = probe_locks(ctx, true);
	if (ret)
		return CR_WL_FAIL(ret, "a lock is missing after restart (probe %d)",
				  ret);
	/* the OFD lock is reported as it was */
	fl.l_type = F_WRLCK;
	fl.l_start = 0;
	fl.l_len = 0;
	fl.l_pid = 0;
	ret = open(ctx->data2, O_RDWR);
	if (ret < 0 || fcntl(ret, F_OFD_GETLK, &fl) || fl.l_type != F_WRLCK ||
	    fl.l_start != 10 || fl.l_len != 10 || fl.l_pid != -1)
		return CR_WL_FAIL(20, "F_OFD_GETLK: type %d, %lld+%lld, pid %d",
				  fl.l_type, (long long)fl.l_start,
				  (long long)fl.l_len, fl.l_pid);
	close(ret);
	/* the child's unlock through the shared open file frees it */
	cr_futex_set_wake(go);
	if (cr_wait_timeout(kid, &status, CR_WAIT_MS) || status)
		return CR_WL_FAIL(21, "child status %#x", status);
	ret = open(ctx->data, O_RDWR);
	if (ret < 0 || flock(ret, LOCK_EX | LOCK_NB))
		return CR_WL_FAIL(22, "the flock() lock is still held: not the same open file");
	return 0;
}

/*
 * flock() locks (one shared by a child through its open file) and OFD
 * locks come back held through the same open files: other open files
 * of the same files conflict with them, and an unlock through the
 * child's descriptor frees the flock() lock for everyone.
 */
CR_TEST(cr_files, flock)
{
	tree_cycle(_metadata, ctx, wl_flock, NULL, CHECKPOINT_SUBTREE);
}

#define POSIX_FD	48	/* data: read lock on [0, 100), write on [200, EOF) */
#define POSIX_DUP	49	/* a dup: closing it drops them all */

static int wl_posix_lock(struct cr_ctx *ctx, void *arg)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 100 };
	int status = -1, fd;
	pid_t kid, me = getpid();

	if (open_at(ctx->data, O_RDWR | O_CREAT | O_TRUNC, POSIX_FD) ||
	    fcntl(POSIX_FD, F_SETLK, &fl))
		return CR_EXIT_SETUP;
	fl.l_type = F_WRLCK;
	fl.l_start = 200;
	fl.l_len = 0;
	if (fcntl(POSIX_FD, F_SETLK, &fl) || dup2(POSIX_FD, POSIX_DUP) != POSIX_DUP)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* another process sees both, held by this pid */
	kid = fork();
	if (kid == 0) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				   .l_start = 50, .l_len = 1 };

		fd = open(ctx->data, O_RDWR);
		if (fd < 0 || fcntl(fd, F_GETLK, &q) || q.l_type != F_RDLCK ||
		    q.l_start != 0 || q.l_len != 100 || q.l_pid != me)
			_exit(1);
		q.l_type = F_RDLCK;
		q.l_start = 1000000;
		q.l_len = 1;
		if (fcntl(fd, F_GETLK, &q) || q.l_type != F_WRLCK ||
		    q.l_start != 200 || q.l_len != 0 || q.l_pid != me)
			_exit(2);
		/* a read lock where it holds one for reading is fine */
		q.l_type = F_RDLCK;
		q.l_start = 10;
		q.l_len = 10;
		_exit(fcntl(fd, F_SETLK, &q) ? 3 : 0);
	}
	if (kid < 0 || cr_wait_timeout(kid, &status, CR_WAIT_MS) || status)
		return CR_WL_FAIL(1, "the locks seen from another process: status %#x",
				  status);
	/* POSIX semantics kept: closing any fd of the file drops them */
	close(POSIX_DUP);
	kid = fork();
	if (kid == 0) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		fd = open(ctx->data, O_RDWR);
		_exit(fd < 0 || fcntl(fd, F_SETLK, &q) ? 1 : 0);
	}
	if (kid < 0 || cr_wait_timeout(kid, &status, CR_WAIT_MS) || status)
		return CR_WL_FAIL(2, "the locks outlived the close of a dup: status %#x",
				  status);
	return 0;
}

/*
 * POSIX record locks come back owned by the process, with their ranges
 * and types: another process sees them (F_GETLK, with the pid), and
 * closing any fd of the file drops them.
 */
CR_TEST(cr_files, posix_lock)
{
	tree_cycle(_metadata, ctx, wl_posix_lock, NULL, CHECKPOINT_SUBTREE);
}

TEST_HARNESS_MAIN
