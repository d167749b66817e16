// SPDX-License-Identifier: GPL-2.0
/*
 * counter - the demo program of "make demo" (scripts/demo.sh).
 *
 *   counter [LOGFILE]          (default /tmp/counter.log)
 *
 * Counts once every 0.2 s and appends "count N" to LOGFILE every second
 * (every 5th count). It keeps a 4 MiB buffer in memory, rewrites 32 KiB of
 * it at every count and keeps a running checksum of the whole buffer; at
 * every count it recomputes the checksum from the buffer and compares. If
 * its memory was not restored exactly after a checkpoint/restart, the two
 * differ: it logs "counter: MEMORY CORRUPTED ..." and exits with status 1.
 * Single-threaded, no children: a one-process tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_BYTES	(4UL << 20)
#define WORDS		(BUF_BYTES / sizeof(uint64_t))
#define STEP		(32768 / sizeof(uint64_t))	/* words rewritten per count */
#define TICK_NS		200000000L			/* 0.2 s */
#define LOG_EVERY	5				/* counts: once a second */
#define SHADOW_KEY	0x5a17c0de5a17c0deULL

static uint64_t *buf;
static uint64_t count;
static uint64_t count_shadow;	/* count ^ SHADOW_KEY, kept apart from count */
static uint64_t sum;		/* running checksum: sum of all buffer words */
static int logfd;

static uint64_t mix(uint64_t x)	/* splitmix64 finalizer */
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* One line to the log file, written with a single write(2). */
static void __attribute__((format(printf, 1, 2))) logmsg(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (n > 0 && write(logfd, line, (size_t)n) < 0) {
		/* nothing sensible to do */
	}
}

static void corrupted(const char *what, uint64_t expected, uint64_t found)
{
	logmsg("counter: MEMORY CORRUPTED at count %llu: %s is %llx, expected %llx\n",
	       (unsigned long long)count, what, (unsigned long long)found,
	       (unsigned long long)expected);
	fprintf(stderr, "counter: MEMORY CORRUPTED at count %llu: %s is %llx, expected %llx\n",
		(unsigned long long)count, what, (unsigned long long)found,
		(unsigned long long)expected);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/counter.log";
	struct timespec tick = { 0, TICK_NS };
	uint64_t j;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: counter [LOGFILE]\n");
		return 2;
	}
	logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		fprintf(stderr, "counter: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	buf = malloc(BUF_BYTES);
	if (!buf) {
		fprintf(stderr, "counter: out of memory\n");
		return 1;
	}
	for (j = 0; j < WORDS; j++) {
		buf[j] = mix(j);
		sum += buf[j];
	}
	count_shadow = count ^ SHADOW_KEY;
	logmsg("counter: started, pid %d, %lu MiB buffer\n", (int)getpid(),
	       BUF_BYTES >> 20);

	for (;;) {
		uint64_t start, check = 0;

		/* A checkpoint or restart may interrupt the sleep: just go on. */
		if (nanosleep(&tick, NULL) < 0 && errno != EINTR) {
			perror("counter: nanosleep");
			return 1;
		}

		if ((count ^ SHADOW_KEY) != count_shadow)
			corrupted("the count", count_shadow ^ SHADOW_KEY, count);
		count++;
		count_shadow = count ^ SHADOW_KEY;

		/* Rewrite the next 32 KiB slice, keeping the checksum current. */
		start = (count * STEP) % WORDS;
		for (j = start; j < start + STEP; j++) {
			uint64_t v = mix(j ^ (count << 32));

			sum += v - buf[j];
			buf[j] = v;
		}

		/* Verify the whole buffer against the running checksum. */
		for (j = 0; j < WORDS; j++)
			check += buf[j];
		if (check != sum)
			corrupted("the buffer checksum", sum, check);

		if (count % LOG_EVERY == 0)
			logmsg("count %llu\n", (unsigned long long)count);
	}
}
