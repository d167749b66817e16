// SPDX-License-Identifier: GPL-2.0
/*
 * crbench - timing helpers of "make bench" (scripts/bench-guest.sh), for
 * a guest whose busybox cannot measure time finer than 10 ms.
 *
 *   crbench time FILE CMD [ARG]...  run CMD; write its wall-clock time in
 *                                    seconds to FILE; exit with its status
 *   crbench memcpy MIB              memcpy of MIB MiB between two buffers
 *                                    already in memory: prints seconds
 *   crbench write FILE MIB          write(2) MIB MiB from a buffer already
 *                                    in memory to FILE (created, truncated)
 *                                    in 1 MiB calls: prints seconds
 *   crbench sink                     read stdin to its end and discard it;
 *                                    a pipe is first grown to 1 MiB (a
 *                                    /dev/null that a pipe can feed)
 *   crbench readfresh FILE           read(2) FILE in 1 MiB calls into fresh
 *                                    anonymous memory (faulted in by the
 *                                    reads): prints seconds
 *   crbench forkexit N               N times fork, _exit in the child and
 *                                    waitpid: prints seconds per process
 *   crbench openfds N                open /dev/null N times: prints seconds
 *   crbench mkvmas N                 make N one-page mappings, each written
 *                                    (every other page made read-only):
 *                                    prints seconds
 *
 * Times use CLOCK_MONOTONIC and are printed with 6 decimals (in the VM,
 * boot with tsc=reliable: the default jiffies clocksource ticks in 4 ms).
 * memcpy and write are single runs, like the checkpoints they are compared
 * with. Exit status of memcpy, write and sink: 0, or 1 on error, 2 on usage
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: crbench time FILE CMD [ARG]...\n"
		"       crbench memcpy MIB\n"
		"       crbench write FILE MIB\n"
		"       crbench sink\n"
		"       crbench readfresh FILE\n"
		"       crbench forkexit N\n"
		"       crbench openfds N\n"
		"       crbench mkvmas N\n");
	exit(2);
}

static size_t parse_mib(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > (1L << 20)) {
		fprintf(stderr, "crbench: invalid size in MiB '%s'\n", s);
		exit(2);
	}
	return (size_t)v << 20;
}

/* A buffer of @bytes, every page written (not the zero page). */
static char *filled(size_t bytes, int c)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("crbench: mmap");
		exit(1);
	}
	memset(p, c, bytes);
	return p;
}

static int cmd_time(int argc, char **argv)
{
	double t0, t1;
	int status;
	FILE *f;
	pid_t pid;

	if (argc < 4)
		usage();
	fflush(NULL);
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("crbench: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		fprintf(stderr, "crbench: %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("crbench: waitpid");
			return 1;
		}
	}
	t1 = now();
	f = fopen(argv[2], "w");
	if (!f || fprintf(f, "%.6f\n", t1 - t0) < 0 || fclose(f) == EOF) {
		fprintf(stderr, "crbench: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int cmd_memcpy(int argc, char **argv)
{
	size_t bytes;
	char *src, *dst;
	double t0, t1;

	if (argc != 3)
		usage();
	bytes = parse_mib(argv[2]);
	src = filled(bytes, 0x5a);
	dst = filled(bytes, 0);
	t0 = now();
	memcpy(dst, src, bytes);
	t1 = now();
	if (memcmp(dst + bytes - 4096, src + bytes - 4096, 4096)) {
		fprintf(stderr, "crbench: memcpy did not copy\n");
		return 1;
	}
	printf("%.6f\n", t1 - t0);
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	size_t bytes, done, chunk = 1 << 20;
	double t0, t1;
	char *src;
	int fd;

	if (argc != 4)
		usage();
	bytes = parse_mib(argv[3]);
	src = filled(bytes, 0xa5);
	t0 = now();
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "crbench: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (done = 0; done < bytes; ) {
		ssize_t n = write(fd, src + done, chunk);

		if (n <= 0) {
			fprintf(stderr, "crbench: write %s: %s\n", argv[2],
				n < 0 ? strerror(errno) : "short write");
			return 1;
		}
		done += n;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "crbench: close %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	t1 = now();
	printf("%.6f\n", t1 - t0);
	return 0;
}

static int cmd_sink(int argc, char **argv)
{
	size_t len = 1 << 20;
	char *buf;
	ssize_t n;

	if (argc != 2)
		usage();
	buf = malloc(len);
	if (!buf) {
		perror("crbench: malloc");
		return 1;
	}
	fcntl(STDIN_FILENO, F_SETPIPE_SZ, (int)len);	/* fails if not a pipe */
	while ((n = read(STDIN_FILENO, buf, len)) != 0) {
		if (n < 0 && errno != EINTR) {
			perror("crbench: read");
			return 1;
		}
	}
	return 0;
}

static long parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 1000000) {
		fprintf(stderr, "crbench: invalid count '%s'\n", s);
		exit(2);
	}
	return v;
}

static int cmd_readfresh(int argc, char **argv)
{
	size_t done = 0, chunk = 1 << 20;
	double t0, t1;
	struct stat st;
	char *dst;
	int fd;

	if (argc != 3)
		usage();
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "crbench: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	dst = mmap(NULL, st.st_size + chunk, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED) {
		perror("crbench: mmap");
		return 1;
	}
	t0 = now();
	for (;;) {
		ssize_t n = read(fd, dst + done, chunk);

		if (n < 0) {
			fprintf(stderr, "crbench: read %s: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		done += n;
	}
	t1 = now();
	if (done != (size_t)st.st_size) {
		fprintf(stderr, "crbench: %s: read %zu of %lld bytes\n",
			argv[2], done, (long long)st.st_size);
		return 1;
	}
	printf("%.6f\n", t1 - t0);
	return 0;
}

static int cmd_forkexit(int argc, char **argv)
{
	double t0, t1;
	long n, i;
	int status;
	pid_t pid;

	if (argc != 3)
		usage();
	n = parse_count(argv[2]);
	t0 = now();
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			perror("crbench: fork");
			return 1;
		}
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) < 0) {
			perror("crbench: waitpid");
			return 1;
		}
	}
	t1 = now();
	printf("%.6f\n", (t1 - t0) / n);
	return 0;
}

static int cmd_openfds(int argc, char **argv)
{
	struct rlimit rl;
	double t0, t1;
	long n, i;

	if (argc != 3)
		usage();
	n = parse_count(argv[2]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			perror("crbench: setrlimit");
			return 1;
		}
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		if (open("/dev/null", O_RDONLY) < 0) {
			perror("crbench: open /dev/null");
			return 1;
		}
	}
	t1 = now();
	printf("%.6f\n", t1 - t0);
	return 0;
}

static int cmd_mkvmas(int argc, char **argv)
{
	long n, i, page = sysconf(_SC_PAGESIZE);
	double t0, t1;
	char *p;

	if (argc != 3)
		usage();
	n = parse_count(argv[2]);
	t0 = now();
	p = mmap(NULL, 2 * n * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("crbench: mmap");
		return 1;
	}
	for (i = 0; i < n; i++) {
		memset(p + 2 * i * page, 1, page);
		if (mprotect(p + (2 * i + 1) * page, page, PROT_READ) < 0) {
			perror("crbench: mprotect");
			return 1;
		}
	}
	t1 = now();
	printf("%.6f\n", t1 - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "time"))
		return cmd_time(argc, argv);
	if (!strcmp(argv[1], "memcpy"))
		return cmd_memcpy(argc, argv);
	if (!strcmp(argv[1], "write"))
		return cmd_write(argc, argv);
	if (!strcmp(argv[1], "sink"))
		return cmd_sink(argc, argv);
	if (!strcmp(argv[1], "readfresh"))
		return cmd_readfresh(argc, argv);
	if (!strcmp(argv[1], "forkexit"))
		return cmd_forkexit(argc, argv);
	if (!strcmp(argv[1], "openfds"))
		return cmd_openfds(argc, argv);
	if (!strcmp(argv[1], "mkvmas"))
		return cmd_mkvmas(argc, argv);
	usage();
	return 2;
}
