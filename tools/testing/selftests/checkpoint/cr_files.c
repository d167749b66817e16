// SPDX-License-Identifier: GPL-2.0
/*
 * Open regular files across checkpoint/restart: same fd numbers, file
 * offsets, access mode and status flags, close-on-exec, and the sharing
 * of one open file by dup()ed descriptors.
 */
#include "cr_util.h"

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

CR_FIXTURE(cr_files);

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

TEST_HARNESS_MAIN
