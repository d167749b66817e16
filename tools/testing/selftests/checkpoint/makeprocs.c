// SPDX-License-Identifier: GPL-2.0
/*
 * makeprocs - the benchmark workload of "make bench" (scripts/bench).
 * Not a test: run_tests.sh skips it, and run without arguments it prints a
 * TAP "skip" plan and exits 4 (KSFT_SKIP).
 *
 *   makeprocs -n N -m MIB [--dirty|--clean] [-r READYFILE] [-v VERIFYFILE]
 *
 * Creates N processes: itself and N-1 children forked from it (a flat
 * tree). Each maps MIB MiB of private anonymous memory and
 *   --dirty  (default) writes a pattern to all of it, distinct for every
 *            8-byte word and every process;
 *   --clean  only reads one byte of every page: the pages are mapped to the
 *            shared zero page, nothing is ever written.
 * When all N are set up, writes its pid to READYFILE (atomically: a
 * temporary file renamed), then every process sleeps until it is killed.
 *
 * SIGUSR1 makes a process check its memory (the pattern, or zeroes) and
 * append one line to VERIFYFILE (stderr without -v):
 *   ok <index> <pid>
 *   BAD <index> <pid> at +<offset>: <found> expected <expected>
 * Process 0 (the parent) forwards the signal to its children. The check
 * only uses the process index, not its pid, so it holds after a restart.
 *
 * The processes hold no pipe, socket or shared memory once they are ready
 * (a checkpoint would refuse them), no threads; stdio is left as inherited.
 * Exit status: 0 never (killed), 1 on error, 2 on usage error, 4 (skip)
 * without arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define MAX_PROCS	4096
#define MAX_MIB		(1L << 20)

static int index_;		/* 0: the parent, 1..N-1: children */
static int nprocs = 1;
static long mib = -1;
static int dirty = 1;
static const char *verifyfile;
static uint64_t *mem;
static size_t bytes;
static pid_t children[MAX_PROCS];
static volatile sig_atomic_t verify_requested;

static void usage(FILE *f)
{
	fprintf(f,
"usage: makeprocs -n N -m MIB [--dirty|--clean] [-r READYFILE] [-v VERIFYFILE]\n"
"Benchmark workload: N processes (this one and N-1 children) with MIB MiB of\n"
"private memory each, dirty (a pattern, default) or clean (zero pages, read\n"
"only). Writes its pid to READYFILE when all are set up, then sleeps until\n"
"killed. SIGUSR1: every process checks its memory and appends \"ok ...\" or\n"
"\"BAD ...\" to VERIFYFILE (default stderr).\n");
}

static uint64_t pattern(int idx, size_t word)
{
	uint64_t x = ((uint64_t)idx << 40) ^ word;

	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29) ^ 0x5a5a000000000000ULL;
}

static void setup_memory(void)
{
	size_t words = bytes / sizeof(uint64_t), i;
	long page = sysconf(_SC_PAGESIZE);
	volatile uint64_t sink = 0;

	if (!bytes)
		return;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "makeprocs: mmap %ld MiB: %s\n", mib,
			strerror(errno));
		exit(1);
	}
	if (dirty) {
		for (i = 0; i < words; i++)
			mem[i] = pattern(index_, i);
	} else {
		for (i = 0; i < bytes; i += page)
			sink += ((volatile char *)mem)[i];
	}
}

static void report(const char *line)
{
	int fd = STDERR_FILENO;

	if (verifyfile) {
		fd = open(verifyfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return;
	}
	if (write(fd, line, strlen(line)) < 0) {
		/* nothing sensible to do */
	}
	if (verifyfile)
		close(fd);
}

static void verify_memory(void)
{
	size_t words = bytes / sizeof(uint64_t), i;
	char line[160];

	for (i = 0; i < words; i++) {
		uint64_t want = dirty ? pattern(index_, i) : 0;

		if (mem[i] != want) {
			snprintf(line, sizeof(line),
				 "BAD %d %d at +%#zx: %#llx expected %#llx\n",
				 index_, (int)getpid(), i * sizeof(uint64_t),
				 (unsigned long long)mem[i],
				 (unsigned long long)want);
			report(line);
			return;
		}
	}
	snprintf(line, sizeof(line), "ok %d %d\n", index_, (int)getpid());
	report(line);
}

static void on_usr1(int sig)
{
	verify_requested = 1;
}

static void write_ready(const char *path)
{
	char tmp[4096], buf[32];
	int fd, n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "makeprocs: %s: name too long\n", path);
		exit(1);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, n) != n || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "makeprocs: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static long parse_num(const char *s, const char *what, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "makeprocs: invalid %s '%s'\n", what, s);
		usage(stderr);
		exit(2);
	}
	return v;
}

static void sleep_forever(void)
{
	sigset_t usr1, old;
	int i;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	for (;;) {
		while (!verify_requested)
			sigsuspend(&old);
		verify_requested = 0;
		if (index_ == 0)
			for (i = 1; i < nprocs; i++)
				kill(children[i], SIGUSR1);
		verify_memory();
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dirty", no_argument, NULL, 'D' },
		{ "clean", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *readyfile = NULL;
	struct sigaction sa;
	int pfd[2], c, i;
	pid_t parent;
	char byte;

	if (argc == 1) {
		/* Run as a kselftest: this is not one. */
		printf("TAP version 13\n");
		printf("1..0 # SKIP makeprocs is a benchmark workload, not a test\n");
		return KSFT_SKIP;
	}
	while ((c = getopt_long(argc, argv, "n:m:r:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nprocs = parse_num(optarg, "number of processes",
					   MAX_PROCS);
			break;
		case 'm':
			mib = parse_num(optarg, "size in MiB", MAX_MIB);
			break;
		case 'D':
			dirty = 1;
			break;
		case 'C':
			dirty = 0;
			break;
		case 'r':
			readyfile = optarg;
			break;
		case 'v':
			verifyfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || nprocs < 1 || mib < 0) {
		usage(stderr);
		return 2;
	}
	bytes = (size_t)mib << 20;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	if (pipe(pfd) < 0) {
		perror("makeprocs: pipe");
		return 1;
	}
	parent = getpid();
	children[0] = parent;
	for (i = 1; i < nprocs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("makeprocs: fork");
			while (--i > 0)
				kill(children[i], SIGKILL);
			return 1;
		}
		if (pid == 0) {
			index_ = i;
			/* Die with the parent (e.g. killed by the benchmark). */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			close(pfd[0]);
			setup_memory();
			byte = 1;
			if (write(pfd[1], &byte, 1) != 1)
				_exit(1);
			close(pfd[1]);
			sleep_forever();
		}
		children[i] = pid;
	}
	close(pfd[1]);
	setup_memory();
	for (i = 1; i < nprocs; i++) {
		ssize_t n = read(pfd[0], &byte, 1);

		if (n != 1) {
			fprintf(stderr, "makeprocs: a child failed to start\n");
			for (i = 1; i < nprocs; i++)
				kill(children[i], SIGKILL);
			return 1;
		}
	}
	close(pfd[0]);
	if (readyfile)
		write_ready(readyfile);
	sleep_forever();
	return 0;
}
