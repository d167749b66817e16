// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes and FIFOs through checkpoint and restart (with the restart tool,
 * which rebuilds the tree): unread data byte for byte with its buffer
 * boundaries (a full pipe with its writer blocked, packets of a packet
 * mode pipe), both ends in one process and across processes, several
 * open files and fds of one pipe, sizes set with F_SETPIPE_SZ, status
 * flags; FIFOs found again by path with their data, open at one end or
 * both; pipelines (producer | consumer, cat | md5sum) that finish with
 * the right result; and a pipe with an end outside the tree: a leak for
 * a container checkpoint, restored with its data for a subtree one.
 */
#include "cr_tree.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define PG		4096

FIXTURE(cr_pipes) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_pipes) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_pipes) { cr_teardown(_metadata, &self->ctx); }

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* ---- pipe: data in flight, both ends, across processes ------------------- */

/*
 * The root's pipes, at fixed fds:
 *   A: both ends in the root (and two dups of its read end: one is its
 *      stdin, a stream that does not lead out of the tree), 32 pages big,
 *      its read end O_NONBLOCK, A_LEN bytes written of which A_SKIP read;
 *      the write end also in child K
 *   B: the root writes, child K reads: "hello" in flight
 *   C: child W writes C_LEN bytes into it, blocked because it is full
 *   D: packet mode (O_DIRECT): packets of D_SIZES bytes in flight
 *   E: 2 pages big, both in use: 50 bytes left of a first write of 100,
 *      then E_LEN bytes that did not fit in the first page. Full for a new
 *      page; a small write still goes into the last one.
 */
#define FD_A_R		20
#define FD_A_W		21
#define FD_A_DUP	22
#define FD_B_W		23
#define FD_C_R		24
#define FD_D_R		25
#define FD_D_W		26
#define FD_E_R		27
#define FD_E_W		28
#define E_LEN		4000
#define A_LEN		(3 * PG + 100)
#define A_SKIP		50
#define A_PAGES		32
#define C_LEN		(16 * PG + 5000)
#define C_CHUNK		1000
static const size_t d_sizes[] = { 1, 100, PG, 7, PG - 1 };

/* K: reads "hello" then "world" from B, then writes "K" into A */
static int pipe_kid_k(int b_r)
{
	char buf[16] = "";

	if (cr_read_all(b_r, buf, 10) || memcmp(buf, "helloworld", 10))
		return 10;
	if (write(FD_A_W, "K", 1) != 1)
		return 11;
	return 0;
}

/* W: C_LEN bytes in chunks, blocked once C is full */
static int pipe_kid_w(int c_w)
{
	static char data[C_LEN];
	size_t off;

	cr_fill(data, sizeof(data), 3);
	for (off = 0; off < C_LEN; off += C_CHUNK)
		if (cr_write_all(c_w, data + off,
				 off + C_CHUNK > C_LEN ? C_LEN - off : C_CHUNK))
			return 20;
	return 0;
}

static int wl_pipes(struct cr_ctx *ctx, void *arg)
{
	static char a_data[A_LEN], c_data[C_LEN], buf[4 * PG];
	int a[2], b[2], c[2], d[2], i, avail = 0, st, fl;
	pid_t k, w;
	size_t j;

	cr_fill(a_data, sizeof(a_data), 1);
	if (pipe(a) || cr_move_fd(a[0], FD_A_R) || cr_move_fd(a[1], FD_A_W) ||
	    dup2(FD_A_R, FD_A_DUP) != FD_A_DUP || dup2(FD_A_R, 0) ||
	    fcntl(FD_A_W, F_SETPIPE_SZ, A_PAGES * PG) != A_PAGES * PG ||
	    cr_write_all(FD_A_W, a_data, 100) ||
	    cr_write_all(FD_A_W, a_data + 100, A_LEN - 100) ||
	    cr_read_all(FD_A_R, buf, A_SKIP) || set_nonblock(FD_A_R, true))
		return CR_EXIT_SETUP;
	if (pipe(b) || pipe(c) || pipe2(d, O_DIRECT))
		return CR_EXIT_SETUP;
	if (pipe2(a, O_NONBLOCK) || cr_move_fd(a[0], FD_E_R) ||
	    cr_move_fd(a[1], FD_E_W) ||
	    fcntl(FD_E_W, F_SETPIPE_SZ, 2 * PG) != 2 * PG ||
	    write(FD_E_W, a_data, 100) != 100 ||
	    read(FD_E_R, buf, 50) != 50 ||
	    write(FD_E_W, a_data + 100, E_LEN) != E_LEN)
		return CR_EXIT_SETUP;
	k = fork();
	if (k == 0) {
		close(ctx->ready_fd);
		close(b[1]);
		_exit(pipe_kid_k(b[0]));
	}
	w = fork();
	if (w == 0) {
		close(ctx->ready_fd);
		close(c[0]);
		_exit(pipe_kid_w(c[1]));
	}
	close(b[0]);
	close(c[1]);
	if (k < 0 || w < 0 || cr_move_fd(b[1], FD_B_W) || cr_move_fd(c[0], FD_C_R) ||
	    cr_move_fd(d[0], FD_D_R) || cr_move_fd(d[1], FD_D_W))
		return CR_EXIT_SETUP;
	if (write(FD_B_W, "hello", 5) != 5)
		return CR_EXIT_SETUP;
	for (j = 0; j < ARRAY_SIZE(d_sizes); j++)
		if (write(FD_D_W, buf, d_sizes[j]) != (ssize_t)d_sizes[j])
			return CR_EXIT_SETUP;
	/* W is blocked once C's 16 pages hold 4 chunks each */
	for (i = 0; i < 1000 && avail < 16 * 4 * C_CHUNK; i++) {
		if (ioctl(FD_C_R, FIONREAD, &avail))
			return CR_EXIT_SETUP;
		cr_sleep_ms(10);
	}
	if (avail != 16 * 4 * C_CHUNK)
		return CR_WL_FAIL(CR_EXIT_SETUP, "C holds %d bytes", avail);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	/* A: its size, flags, sharing and the rest of its data */
	if (fcntl(FD_A_R, F_GETPIPE_SZ) != A_PAGES * PG)
		return CR_WL_FAIL(1, "A is %d bytes big", fcntl(FD_A_R, F_GETPIPE_SZ));
	fl = fcntl(FD_A_DUP, F_GETFL);
	if (!(fl & O_NONBLOCK) || (fcntl(FD_A_W, F_GETFL) & O_NONBLOCK) ||
	    (fl & O_ACCMODE) != O_RDONLY ||
	    (fcntl(FD_A_W, F_GETFL) & O_ACCMODE) != O_WRONLY)
		return CR_WL_FAIL(2, "A's flags %#x and %#x", fl,
				  fcntl(FD_A_W, F_GETFL));
	if (!same_inode(FD_A_R, FD_A_W) || !same_inode(FD_A_R, FD_A_DUP) ||
	    !same_inode(FD_A_R, 0) || same_inode(FD_A_R, FD_C_R))
		return CR_WL_FAIL(3, "A's ends are not one pipe");
	/* the dup shares the open file: its flags follow */
	if (set_nonblock(FD_A_DUP, false) ||
	    (fcntl(FD_A_R, F_GETFL) & O_NONBLOCK))
		return CR_WL_FAIL(4, "A's read end and its dup are two files");
	if (cr_read_all(FD_A_R, buf, A_LEN - A_SKIP) ||
	    memcmp(buf, a_data + A_SKIP, A_LEN - A_SKIP))
		return CR_WL_FAIL(5, "A's data differs");
	if (set_nonblock(FD_A_R, true) || read(FD_A_R, buf, 1) != -1 ||
	    errno != EAGAIN)
		return CR_WL_FAIL(6, "A holds more than was written");

	/* D: the same packets */
	for (j = 0; j < ARRAY_SIZE(d_sizes); j++)
		if (read(FD_D_R, buf, sizeof(buf)) != (ssize_t)d_sizes[j])
			return CR_WL_FAIL(7, "packet %zu is not %zu bytes", j,
					  d_sizes[j]);
	if (!(fcntl(FD_D_W, F_GETFL) & O_DIRECT))
		return CR_WL_FAIL(8, "D's write end left packet mode");

	/* E: no room for a page, room in the last one */
	if (write(FD_E_W, buf, PG) != -1 || errno != EAGAIN)
		return CR_WL_FAIL(16, "E took another page");
	if (write(FD_E_W, a_data + 100 + E_LEN, 10) != 10)
		return CR_WL_FAIL(17, "E's last page took no more");
	if (read(FD_E_R, buf, sizeof(buf)) != 50 + E_LEN + 10 ||
	    memcmp(buf, a_data + 50, 50 + E_LEN + 10))
		return CR_WL_FAIL(18, "E's data differs");

	/* B: K gets the rest, then writes into A */
	if (write(FD_B_W, "world", 5) != 5)
		return CR_WL_FAIL(9, "B: %s", strerror(errno));
	if (waitpid(k, &st, 0) != k || st)
		return CR_WL_FAIL(10, "K status %#x", st);
	if (read(FD_A_R, buf, 2) != 1 || buf[0] != 'K')
		return CR_WL_FAIL(11, "A does not have K's byte");

	/* C: as full as it was, then all of W's data, in order */
	if (ioctl(FD_C_R, FIONREAD, &avail) || avail < 16 * 4 * C_CHUNK)
		return CR_WL_FAIL(12, "C holds %d bytes", avail);
	cr_fill(c_data, sizeof(c_data), 3);
	for (j = 0; j < C_LEN; j += PG) {
		size_t n = C_LEN - j < PG ? C_LEN - j : PG;

		if (cr_read_all(FD_C_R, buf, n) || memcmp(buf, c_data + j, n))
			return CR_WL_FAIL(13, "C's data differs at %zu", j);
	}
	if (waitpid(w, &st, 0) != w || st)
		return CR_WL_FAIL(14, "W status %#x", st);
	if (read(FD_C_R, buf, 1) != 0)
		return CR_WL_FAIL(15, "C is not at its end");
	return 0;
}

CR_TEST(cr_pipes, pipe)
{
	tree_cycle(_metadata, ctx, wl_pipes, NULL, 0);
}

/* ---- pipelines ----------------------------------------------------------- */

#define PIPE_ROUNDS	400

/* producer | consumer, two children of the root; the root keeps no end */
static int wl_producer_consumer(struct cr_ctx *ctx, void *arg)
{
	int p[2], st1, st2;
	pid_t prod, cons;

	if (pipe(p))
		return CR_EXIT_SETUP;
	prod = fork();
	if (prod == 0) {
		uint32_t i;

		close(ctx->ready_fd);
		close(p[0]);
		for (i = 0; i < PIPE_ROUNDS; i++) {
			if (write(p[1], &i, sizeof(i)) != sizeof(i))
				_exit(1);
			cr_sleep_ms(i < PIPE_ROUNDS / 2 ? 1 : 0);
			if (i == PIPE_ROUNDS / 2)
				cr_wl_wait_go(ctx);
		}
		_exit(0);
	}
	cons = fork();
	if (cons == 0) {
		uint64_t sum = 0;
		uint32_t v;

		close(ctx->ready_fd);
		close(p[1]);
		while (read(p[0], &v, sizeof(v)) == sizeof(v))
			sum += v;
		_exit(sum == (uint64_t)PIPE_ROUNDS * (PIPE_ROUNDS - 1) / 2 ? 0 : 2);
	}
	close(p[0]);
	close(p[1]);
	if (prod < 0 || cons < 0)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	if (waitpid(prod, &st1, 0) != prod || waitpid(cons, &st2, 0) != cons)
		return CR_WL_FAIL(1, "lost a child");
	if (st1 || st2)
		return CR_WL_FAIL(2, "producer %#x, consumer %#x", st1, st2);
	return 0;
}

/*
 * cat | md5sum fed by the root: busybox's applets, the root holding the
 * pipe into cat. The sum must be the one of all the data.
 */
static int run_md5(const char *path, char *out)
{
	int p[2], n = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/usr/bin/md5sum", "md5sum", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (n < 32 && read(p[0], out + n, 1) == 1)
		n++;
	out[n] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return n == 32 ? 0 : -1;
}

static int wl_cat_md5sum(struct cr_ctx *ctx, void *arg)
{
	static char data[65536];
	char got[64] = "", want[64] = "";
	int in[2], mid[2], out, st1, st2;
	pid_t cat, sum;

	cr_fill(data, sizeof(data), 5);
	if (cr_write_whole(ctx->data2, data, sizeof(data)) ||
	    pipe(in) || pipe(mid))
		return CR_EXIT_SETUP;
	out = open(ctx->data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return CR_EXIT_SETUP;
	cat = fork();
	if (cat == 0) {
		dup2(in[0], 0);
		dup2(mid[1], 1);
		closefrom(3);
		execl("/bin/cat", "cat", (char *)NULL);
		_exit(127);
	}
	sum = fork();
	if (sum == 0) {
		dup2(mid[0], 0);
		dup2(out, 1);
		closefrom(3);
		execl("/usr/bin/md5sum", "md5sum", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(mid[0]);
	close(mid[1]);
	close(out);
	if (cat < 0 || sum < 0 ||
	    write(in[1], data, sizeof(data) / 2) != sizeof(data) / 2)
		return CR_EXIT_SETUP;
	cr_sleep_ms(100);
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (write(in[1], data + sizeof(data) / 2, sizeof(data) / 2) !=
	    sizeof(data) / 2)
		return CR_WL_FAIL(1, "cat's input went away");
	close(in[1]);
	if (waitpid(cat, &st1, 0) != cat || waitpid(sum, &st2, 0) != sum ||
	    st1 || st2)
		return CR_WL_FAIL(2, "cat %#x, md5sum %#x", st1, st2);
	if (cr_read_str(ctx->data, got, sizeof(got)) < 32 ||
	    run_md5(ctx->data2, want))
		return CR_WL_FAIL(3, "no sum");
	if (strncmp(got, want, 32))
		return CR_WL_FAIL(4, "sum %.32s, expected %s", got, want);
	return 0;
}

/* producer | consumer, restored mid-way, sums all it was sent */
CR_TEST(cr_pipes, pipeline_producer_consumer)
{
	tree_cycle(_metadata, ctx, wl_producer_consumer, NULL, 0);
}

/* cat | md5sum prints the sum of all the data, half sent after restart */
CR_TEST(cr_pipes, pipeline_cat_md5sum)
{
	cr_need(_metadata, "/bin/cat");
	cr_need(_metadata, "/usr/bin/md5sum");
	tree_cycle(_metadata, ctx, wl_cat_md5sum, NULL, 0);
}

/* ---- FIFOs ---------------------------------------------------------------- */

#define FD_F_R		20	/* FIFO 1, read end, O_NONBLOCK */
#define FD_F_W		21	/* FIFO 1, write end */
#define FD_F2_R		22	/* FIFO 2: only its read end is open */
#define F_LEN		(2 * PG + 9)
#define F_PAGES		4

static void fifo_path(struct cr_ctx *ctx, int n, char *buf, size_t size)
{
	snprintf(buf, size, "%s.fifo%d", ctx->data, n);
}

/*
 * FIFO 1: open for reading and for writing in the root, and O_RDWR in
 * child X, F_LEN bytes unread, F_PAGES pages big. FIFO 2: open for
 * reading only, with "left" in it from a writer that is gone.
 */
static int wl_fifo(struct cr_ctx *ctx, void *arg)
{
	static char data[F_LEN], buf[F_LEN + 16];
	char f1[CR_PATH_LEN + 16], f2[CR_PATH_LEN + 16];
	struct stat st1, st;
	int fd, status;
	pid_t x;

	fifo_path(ctx, 1, f1, sizeof(f1));
	fifo_path(ctx, 2, f2, sizeof(f2));
	unlink(f1);
	unlink(f2);
	cr_fill(data, sizeof(data), 7);
	if (mkfifo(f1, 0600) || mkfifo(f2, 0600))
		return CR_EXIT_SETUP;
	fd = open(f1, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || cr_move_fd(fd, FD_F_R))
		return CR_EXIT_SETUP;
	fd = open(f1, O_WRONLY);
	if (fd < 0 || cr_move_fd(fd, FD_F_W) ||
	    fcntl(FD_F_W, F_SETPIPE_SZ, F_PAGES * PG) != F_PAGES * PG ||
	    cr_write_all(FD_F_W, data, F_LEN))
		return CR_EXIT_SETUP;
	fd = open(f2, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || cr_move_fd(fd, FD_F2_R))
		return CR_EXIT_SETUP;
	fd = open(f2, O_WRONLY);
	if (fd < 0 || write(fd, "left", 4) != 4 || close(fd))
		return CR_EXIT_SETUP;
	x = fork();
	if (x == 0) {
		close(ctx->ready_fd);
		fd = open(f1, O_RDWR);
		if (fd < 0)
			_exit(CR_EXIT_SETUP);
		mark_ready(ctx, 1);
		cr_wl_wait_go(ctx);
		/* restarted: still the FIFO, still writable */
		if (wait_ready(ctx, 2))
			_exit(31);
		_exit(write(fd, "x", 1) == 1 ? 0 : 30);
	}
	if (x < 0 || wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (stat(f1, &st1) || fstat(FD_F_R, &st) || st.st_ino != st1.st_ino ||
	    !same_inode(FD_F_R, FD_F_W) || !S_ISFIFO(st.st_mode))
		return CR_WL_FAIL(1, "fd %d is not FIFO %s", FD_F_R, f1);
	if (fcntl(FD_F_R, F_GETPIPE_SZ) != F_PAGES * PG)
		return CR_WL_FAIL(2, "FIFO 1 is %d bytes big",
				  fcntl(FD_F_R, F_GETPIPE_SZ));
	if ((fcntl(FD_F_R, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) !=
	    (O_RDONLY | O_NONBLOCK) ||
	    (fcntl(FD_F_W, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != O_WRONLY)
		return CR_WL_FAIL(3, "flags %#x and %#x", fcntl(FD_F_R, F_GETFL),
				  fcntl(FD_F_W, F_GETFL));
	if (read(FD_F_R, buf, sizeof(buf)) != F_LEN || memcmp(buf, data, F_LEN))
		return CR_WL_FAIL(4, "FIFO 1's data differs");
	mark_ready(ctx, 2);
	if (waitpid(x, &status, 0) != x || status)
		return CR_WL_FAIL(5, "X status %#x", status);
	if (read(FD_F_R, buf, sizeof(buf)) != 1 || buf[0] != 'x')
		return CR_WL_FAIL(6, "X's byte did not come through FIFO 1");
	if (read(FD_F2_R, buf, sizeof(buf)) != 4 || memcmp(buf, "left", 4))
		return CR_WL_FAIL(7, "FIFO 2's data differs");
	/* no writer left: end of file, not "try again" */
	if (read(FD_F2_R, buf, sizeof(buf)) != 0)
		return CR_WL_FAIL(8, "FIFO 2 has a writer: %s", strerror(errno));
	unlink(f1);
	unlink(f2);
	return 0;
}

CR_TEST(cr_pipes, fifo)
{
	tree_cycle(_metadata, ctx, wl_fifo, NULL, 0);
}

/* ---- a pipe with an end outside the tree --------------------------------- */

#define FD_OUT		20	/* read end; the test holds the write end */
#define OUT_DATA	"written before the checkpoint"

/*
 * Reads what is in FD_OUT until its end: all of OUT_DATA (the test
 * writes it before the checkpoint, then closes its end).
 */
static int wl_outside(struct cr_ctx *ctx, void *arg)
{
	char buf[64] = "";
	size_t got = 0;
	ssize_t n;
	int p[2];

	if (pipe(p) || cr_move_fd(p[0], FD_OUT) || cr_move_fd(p[1], FD_OUT + 1))
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	/* the test took the write end: ours goes */
	if (wait_ready(ctx, 1))
		return CR_EXIT_SETUP;
	close(FD_OUT + 1);
	mark_ready(ctx, 2);
	cr_wl_wait_go(ctx);
	while ((n = read(FD_OUT, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	if (n < 0 || strcmp(buf, OUT_DATA))
		return CR_WL_FAIL(1, "read \"%s\" (%s)", buf,
				  n < 0 ? strerror(errno) : "end of file");
	return 0;
}

/* Spawn wl_outside, take its write end, write OUT_DATA, freeze; the fd */
static int outside_setup(struct __test_metadata *_metadata,
			 struct cr_ctx *ctx)
{
	static struct wl_call call = { wl_outside, NULL };
	int pidfd, w;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	clear_ready(ctx);
	cr_cgroup_create(_metadata, ctx);
	cr_spawn(_metadata, ctx, wl_in_cgroup, &call);
	pidfd = syscall(SYS_pidfd_open, ctx->wl_pid, 0);
	w = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, FD_OUT + 1, 0);
	close(pidfd);
	if (w < 0 || write(w, OUT_DATA, strlen(OUT_DATA)) != strlen(OUT_DATA))
		return -1;
	mark_ready(ctx, 1);
	return wait_ready(ctx, 2) ? -1 : w;
}

static bool log_has(struct cr_ctx *ctx, const char *a, const char *b)
{
	size_t len;
	char *log = cr_read_whole(ctx->log, &len);
	bool found = log && strstr(log, a) && strstr(log, b);

	free(log);
	return found;
}

/*
 * A container checkpoint refuses it (EBUSY, "leak", naming the pipe);
 * the tree goes on unharmed.
 */
CR_TEST(cr_pipes, outside_container_refused)
{
	int w, err, status;
	long ret;

	w = outside_setup(_metadata, ctx);
	ASSERT_LE(0, w);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ret = ckpt_to_img(ctx, ctx->wl_pid, 0, &err);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);
	EXPECT_TRUE(log_has(ctx, "leak", "pipe")) {
		cr_dump_logs(_metadata, ctx);
	}
	cr_thaw(_metadata, ctx);
	close(w);
	cr_go(_metadata, ctx);
	ASSERT_EQ(0, cr_wait_timeout(ctx->wl_pid, &status, CR_WAIT_MS));
	ctx->wl_pid = 0;
	EXPECT_EQ(0, status) {
		cr_dump_logs(_metadata, ctx);
	}
}

/*
 * A subtree checkpoint saves its data and says so; the restored reader
 * reads it, then the end of file: nothing stands for the test's end.
 */
CR_TEST(cr_pipes, outside_subtree)
{
	char st[128];
	int w, err, status;
	long ret;

	w = outside_setup(_metadata, ctx);
	ASSERT_LE(0, w);
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	ret = ckpt_to_img(ctx, ctx->wl_pid, CHECKPOINT_SUBTREE, &err);
	ASSERT_LT(0, ret) {
		TH_LOG("checkpoint: %s", strerror(err));
		cr_dump_logs(_metadata, ctx);
	}
	EXPECT_TRUE(log_has(ctx, "also open outside the tree", "pipe")) {
		cr_dump_logs(_metadata, ctx);
	}
	kill_tree(_metadata, ctx);
	cr_go(_metadata, ctx);
	status = restart_tool(_metadata, ctx, ctx->img);
	close(w);
	cr_status_str(status, st, sizeof(st));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("restored tree: root %s", st);
		cr_dump_logs(_metadata, ctx);
	}
}

/* ---- bad values in the records of a pipe -------------------------------- */

#define FD_BAD_R	20
#define FD_BAD_W	21

/* A packet mode pipe holding "ab" and "cde", read after restart */
static int wl_bad(struct cr_ctx *ctx, void *arg)
{
	char buf[8];
	int p[2];

	if (pipe2(p, O_DIRECT) || cr_move_fd(p[0], FD_BAD_R) ||
	    cr_move_fd(p[1], FD_BAD_W) || write(FD_BAD_W, "ab", 2) != 2 ||
	    write(FD_BAD_W, "cde", 3) != 3)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);
	if (read(FD_BAD_R, buf, sizeof(buf)) != 2 ||
	    read(FD_BAD_R, buf + 2, sizeof(buf) - 2) != 3 ||
	    memcmp(buf, "abcde", 5))
		return CR_WL_FAIL(1, "the packets differ");
	return 0;
}

static const struct cr_bad_field bad_pipe[] = {
	CR_BAD(PIPE, pipe, objref, 0, false),
	CR_BAD(PIPE, pipe, kind, 0, false),
	CR_BAD(PIPE, pipe, kind, CKPT_PIPE_KIND_MAX, false),
	CR_BAD(PIPE, pipe, nr_slots, 0, false),
	CR_BAD(PIPE, pipe, nr_slots, 3, false),
	CR_BAD(PIPE, pipe, nr_slots, 1 << 20, false),
	CR_BAD(PIPE, pipe, nr_bufs, 1, true),
	CR_BAD(PIPE, pipe, nr_bufs, 17, false),
	CR_BAD(PIPE_BUF, pipe_buf, len, 1, true),
	CR_BAD(PIPE_BUF, pipe_buf, len, 0, false),
	CR_BAD(PIPE_BUF, pipe_buf, flags,
	       CKPT_PIPE_BUF_PACKET | CKPT_PIPE_BUF_MERGE, false),
	CR_BAD(PIPE_BUF, pipe_buf, flags, 4, false),
	CR_BAD_FILE(PIPE, file_type, CKPT_FILE_FIFO),
	CR_BAD_FILE(PIPE, i_mode, S_IFREG | 0600),
	CR_BAD_FILE(PIPE, f_flags, O_ACCMODE),
};

/*
 * Every field restart validates in the records of a pipe, set to a value
 * it must refuse: the restart fails (the tool exits 1); the intact image
 * then restarts.
 */
CR_TEST(cr_pipes, bad_pipe_fields_refused)
{
	struct wl_call call = { wl_bad, NULL };

	bad_fields_refused(_metadata, ctx, &call, 0, bad_pipe,
			   ARRAY_SIZE(bad_pipe));
}

TEST_HARNESS_MAIN
