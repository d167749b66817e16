// SPDX-License-Identifier: GPL-2.0
/*
 * makeprocs - the benchmark workload of "make bench" (scripts/bench).
 * Not a test: run_tests.sh skips it, and run without arguments it prints a
 * TAP "skip" plan and exits 4 (KSFT_SKIP).
 *
 *   makeprocs -n N -m MIB [--dirty|--clean|--sparse|--inherit] [--chain]
 *             [--reserve GIB] [--filecow FILE] [--vmas V] [--fds F]
 *             [--threads T] [-r READYFILE] [-v VERIFYFILE]
 *
 * Creates N processes: itself and N-1 children forked from it (a flat
 * tree), or with --chain each forked by the one before (a chain N deep).
 * Each maps MIB MiB of private anonymous memory and
 *   --dirty  (default) writes a pattern to all of it, distinct for every
 *            8-byte word and every process;
 *   --clean  only reads one byte of every page: the pages are mapped to the
 *            shared zero page, nothing is ever written;
 *   --sparse writes the pattern to one page in 100 only (1%), the others
 *            untouched;
 *   --inherit: process 0 writes the pattern before it forks; the others
 *            inherit its memory (copy on write) and never write to it.
 * Process 0 also, with
 *   --reserve GIB  reserves GIB GiB of address space (PROT_NONE,
 *                  MAP_NORESERVE), as language runtimes do;
 *   --filecow FILE makes FILE a sparse file of MIB MiB, maps it private
 *                  instead of anonymous memory and writes the pattern to
 *                  one page of it (one page copied on write);
 *   --vmas V       makes V mappings of one dirty page each;
 *   --fds F        opens /dev/null F more times;
 *   --threads T    starts T threads that sleep.
 * When all N are set up, writes its pid to READYFILE (atomically: a
 * temporary file renamed), then every process sleeps until it is killed.
 *
 * SIGUSR1 makes a process check its memory (the pattern, or zeroes) and
 * append one line to VERIFYFILE (stderr without -v):
 *   ok <index> <pid>
 *   BAD <index> <pid> at +<offset>: <found> expected <expected>
 * A process forwards the signal to its children. The check only uses the
 * process index, not its pid, so it holds after a restart.
 *
 * The processes hold no pipe, socket or shared memory once they are ready
 * (a checkpoint would refuse them); stdio is left as inherited.
 * Exit status: 0 never (killed), 1 on error, 2 on usage error, 4 (skip)
 * without arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define MAX_PROCS	4096
#define MAX_MIB		(1L << 20)
#define MAX_COUNT	100000
#define SPARSE_STEP	100	/* --sparse: one page in 100 */

enum fill { FILL_DIRTY, FILL_CLEAN, FILL_SPARSE, FILL_INHERIT };

static int index_;		/* 0: the parent, 1..N-1: children */
static int nprocs = 1;
static long mib = -1;
static enum fill fill = FILL_DIRTY;
static int chain;
static long reserve_gib, nvmas, nfds, nthreads;
static const char *filecow;
static const char *verifyfile;
static uint64_t *mem;
static char *vmas;
static size_t bytes;
static long page_size;
static pid_t children[MAX_PROCS];	/* flat: all of them; chain: the next */
static int nchildren;
static volatile sig_atomic_t verify_requested;

static void usage(FILE *f)
{
	fprintf(f,
"usage: makeprocs -n N -m MIB [--dirty|--clean|--sparse|--inherit] [--chain]\n"
"                 [--reserve GIB] [--filecow FILE] [--vmas V] [--fds F]\n"
"                 [--threads T] [-r READYFILE] [-v VERIFYFILE]\n"
"Benchmark workload: N processes (this one and N-1 children, or a chain) with\n"
"MIB MiB of private memory each, dirty (a pattern, default), clean (zero\n"
"pages, read only), sparse (1%% of the pages dirty) or inherited from process\n"
"0 and never written. Process 0 may also reserve GIB GiB of address space,\n"
"map FILE private with one page written instead of anonymous memory, make V\n"
"one-page mappings, open F more fds and start T threads. Writes its pid to\n"
"READYFILE when all are set up, then sleeps until killed. SIGUSR1: every\n"
"process checks its memory and appends \"ok ...\" or \"BAD ...\" to\n"
"VERIFYFILE (default stderr).\n");
}

static uint64_t pattern(int idx, size_t word)
{
	uint64_t x = ((uint64_t)idx << 40) ^ word;

	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29) ^ 0x5a5a000000000000ULL;
}

static void die(const char *what)
{
	fprintf(stderr, "makeprocs: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Whether word @i of the memory holds the pattern (else zero) */
static int patterned(size_t i)
{
	if (filecow)
		return i < (size_t)page_size / sizeof(uint64_t);
	if (fill == FILL_SPARSE)
		return (i * sizeof(uint64_t) / page_size) % SPARSE_STEP == 0;
	return fill != FILL_CLEAN;
}

/* The process whose pattern this one's memory holds */
static int owner(void)
{
	return fill == FILL_INHERIT ? 0 : index_;
}

static void setup_memory(void)
{
	size_t words = bytes / sizeof(uint64_t), i;
	volatile uint64_t sink = 0;
	int fd;

	if (!bytes)
		return;
	if (filecow) {
		fd = open(filecow, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, bytes) < 0)
			die(filecow);
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			   fd, 0);
		close(fd);
	} else {
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (mem == MAP_FAILED)
		die("mmap");
	if (filecow) {
		for (i = 0; i < (size_t)page_size / sizeof(uint64_t); i++)
			mem[i] = pattern(owner(), i);
	} else if (fill == FILL_CLEAN) {
		for (i = 0; i < bytes; i += page_size)
			sink += ((volatile char *)mem)[i];
	} else if (fill == FILL_SPARSE) {
		for (i = 0; i < words; i++)
			if (patterned(i))
				mem[i] = pattern(owner(), i);
	} else {
		for (i = 0; i < words; i++)
			mem[i] = pattern(owner(), i);
	}
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

/* Process 0's extras: a reservation, mappings, fds, threads */
static void setup_extras(void)
{
	struct rlimit rl;
	sigset_t all, old;
	pthread_t th;
	long i;

	if (reserve_gib &&
	    mmap(NULL, (size_t)reserve_gib << 30, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		die("mmap of the reservation");
	if (nvmas) {
		/* every other page read-only: no two mappings merge */
		vmas = mmap(NULL, 2 * nvmas * page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (vmas == MAP_FAILED)
			die("mmap of the mappings");
		for (i = 0; i < nvmas; i++) {
			memset(vmas + 2 * i * page_size, (int)(i % 251) + 1,
			       page_size);
			if (mprotect(vmas + (2 * i + 1) * page_size, page_size,
				     PROT_READ) < 0)
				die("mprotect");
		}
	}
	if (nfds) {
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("getrlimit");
		if (rl.rlim_cur < (rlim_t)nfds + 64) {
			rl.rlim_cur = nfds + 64;
			if (rl.rlim_max < rl.rlim_cur)
				rl.rlim_max = rl.rlim_cur;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				die("setrlimit RLIMIT_NOFILE");
		}
		for (i = 0; i < nfds; i++)
			if (open("/dev/null", O_RDONLY) < 0)
				die("open /dev/null");
	}
	/* the threads take no signal: SIGUSR1 goes to the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < nthreads; i++) {
		errno = pthread_create(&th, NULL, sleeper, NULL);
		if (errno)
			die("pthread_create");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void report(const char *line)
{
	int fd = STDERR_FILENO;
	ssize_t n;

	if (verifyfile) {
		fd = open(verifyfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return;
	}
	/* a line that cannot be written is lost: nothing sensible to do */
	n = write(fd, line, strlen(line));
	(void)n;
	if (verifyfile)
		close(fd);
}

static void verify_memory(void)
{
	size_t words = bytes / sizeof(uint64_t), i;
	char line[160];
	long v;

	for (i = 0; i < words; i++) {
		uint64_t want = patterned(i) ? pattern(owner(), i) : 0;

		/* a file mapped private: its first page and a sample */
		if (filecow && i >= 2 * page_size / sizeof(uint64_t) &&
		    i % (1 << 20))
			continue;
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
	for (v = 0; v < nvmas; v++) {
		char *p = vmas + 2 * v * page_size;

		if (p[0] != (char)(v % 251 + 1) ||
		    p[page_size - 1] != (char)(v % 251 + 1)) {
			snprintf(line, sizeof(line),
				 "BAD %d %d in mapping %ld\n", index_,
				 (int)getpid(), v);
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
		for (i = 0; i < nchildren; i++)
			kill(children[i], SIGUSR1);
		verify_memory();
	}
}

/* Child @idx, just forked by @parent */
static void child_start(int idx, pid_t parent, int rfd)
{
	index_ = idx;
	nchildren = 0;
	/* Die with the parent (e.g. killed by the benchmark). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	close(rfd);
}

/* Set up, then tell process 0 through @wfd */
static void child_ready(int wfd)
{
	char byte = 1;

	if (fill != FILL_INHERIT)
		setup_memory();
	if (write(wfd, &byte, 1) != 1)
		_exit(1);
	close(wfd);
}

static void kill_children(void)
{
	int i;

	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGKILL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dirty", no_argument, NULL, 'D' },
		{ "clean", no_argument, NULL, 'C' },
		{ "sparse", no_argument, NULL, 'S' },
		{ "inherit", no_argument, NULL, 'I' },
		{ "chain", no_argument, NULL, 'c' },
		{ "reserve", required_argument, NULL, 'R' },
		{ "filecow", required_argument, NULL, 'F' },
		{ "vmas", required_argument, NULL, 'V' },
		{ "fds", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
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
			fill = FILL_DIRTY;
			break;
		case 'C':
			fill = FILL_CLEAN;
			break;
		case 'S':
			fill = FILL_SPARSE;
			break;
		case 'I':
			fill = FILL_INHERIT;
			break;
		case 'c':
			chain = 1;
			break;
		case 'R':
			reserve_gib = parse_num(optarg, "reservation in GiB",
						1 << 16);
			break;
		case 'F':
			filecow = optarg;
			break;
		case 'V':
			nvmas = parse_num(optarg, "number of mappings",
					  MAX_COUNT);
			break;
		case 'f':
			nfds = parse_num(optarg, "number of fds", MAX_COUNT);
			break;
		case 't':
			nthreads = parse_num(optarg, "number of threads",
					     MAX_COUNT);
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
	page_size = sysconf(_SC_PAGESIZE);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	if (pipe(pfd) < 0) {
		perror("makeprocs: pipe");
		return 1;
	}
	if (fill == FILL_INHERIT)
		setup_memory();
	parent = getpid();
	for (i = 1; i < nprocs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("makeprocs: fork");
			kill_children();
			return 1;
		}
		if (pid == 0) {
			child_start(i, parent, pfd[0]);
			if (!chain || i == nprocs - 1) {
				child_ready(pfd[1]);
				sleep_forever();
			}
			/* a chain: this child forks the next one */
			parent = getpid();
			continue;
		}
		children[nchildren++] = pid;
		if (chain) {
			if (i > 1) {	/* a link of the chain: set up, sleep */
				child_ready(pfd[1]);
				sleep_forever();
			}
			break;
		}
	}
	close(pfd[1]);
	if (fill != FILL_INHERIT)
		setup_memory();
	for (i = 1; i < nprocs; i++) {
		ssize_t n = read(pfd[0], &byte, 1);

		if (n != 1) {
			fprintf(stderr, "makeprocs: a child failed to start\n");
			kill_children();
			return 1;
		}
	}
	close(pfd[0]);
	setup_extras();
	if (readyfile)
		write_ready(readyfile);
	sleep_forever();
	return 0;
}
