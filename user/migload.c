// SPDX-License-Identifier: GPL-2.0
/*
 * migload - the workload and the file mover of "make check-migrate"
 * (scripts/check-migrate, scripts/migrate-guest.sh).
 *
 *   migload run DIR MIB RATE   the container: run as its pid 1 (nsexec -p -n)
 *   migload send ADDR:PORT     copy stdin to a TCP connection
 *   migload recv [ADDR:]PORT CMD
 *                              run CMD (sh -c) with one TCP connection as
 *                              its stdin; close it once CMD is done (the
 *                              sender's "send" returns then)
 *
 * "run" brings the container's loopback up and starts three processes:
 *   counter  keeps MIB MiB of memory, rewrites RATE MiB/s of it (in 100 ms
 *            steps), and appends "count N" to DIR/counter.log at every step.
 *            Every 1 MiB block has a checksum; one block is verified at
 *            every step, and all of them on SIGUSR1 and after a pause it
 *            sees on its clock ("verified N MiB at count C" in the log). A wrong block logs
 *            "MEMORY CORRUPTED" and exits 1.
 *   server   a TCP server on 127.0.0.1:5000 of the container: answers every
 *            8-byte number n with n * 3 + 1, and checks that the numbers
 *            come in order.
 *   client   connected to it: sends 1, 2, 3, ... every 50 ms, checks each
 *            answer, and appends "client N" to DIR/client.log every 10th.
 * Every line is one write() to an O_APPEND file. A process that finds a
 * fault logs it in its log and exits 1; pid 1 logs it in DIR/init.log.
 * DIR/ready appears when all three run.
 */
#include "cr_common.h"
#include "cr_net.h"

#include <net/if.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define STEP_MS		100
#define BLOCK		(1UL << 20)
#define WORDS		(BLOCK / sizeof(uint64_t))
#define SERVER_PORT	5000
#define CLIENT_MS	50
#define PAUSE_MS	500	/* a step this late: we were stopped */

static const char *dir;
static volatile sig_atomic_t verify_all;

static int open_log(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		cr_perror("%s", path);
		exit(1);
	}
	return fd;
}

static void __attribute__((format(printf, 2, 3))) logln(int fd,
							const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (n > 0 && write(fd, line, n) != n)
		exit(1);
}

static uint64_t block_sum(const uint64_t *b)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < WORDS; i++)
		s += b[i] * (2 * i + 1);
	return s;
}

static void on_usr1(int sig)
{
	verify_all = 1;
}

static long now_ms(void)
{
	return cr_now_us() / 1000;
}

static void sleep_until(long t_ms)
{
	long d = t_ms - now_ms();

	if (d > 0)
		usleep(d * 1000);
}

static int counter(unsigned long mib, unsigned long rate)
{
	int fd = open_log("counter.log");
	unsigned long blocks_per_step = rate * STEP_MS / 1000, b, i, next = 0;
	unsigned long check = 0;
	uint64_t *mem, *sums, count = 0;
	long t, last;

	if (!blocks_per_step)
		blocks_per_step = 1;
	mem = mmap(NULL, mib * BLOCK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sums = calloc(mib, sizeof(*sums));
	if (mem == MAP_FAILED || !sums) {
		logln(fd, "counter: out of memory\n");
		return 1;
	}
	for (b = 0; b < mib; b++) {
		for (i = 0; i < WORDS; i++)
			mem[b * WORDS + i] = cr_mix64(b * WORDS + i);
		sums[b] = block_sum(mem + b * WORDS);
	}
	signal(SIGUSR1, on_usr1);
	logln(fd, "counter: %lu MiB, %lu MiB/s\n", mib, rate);
	last = now_ms();
	for (;;) {
		int all = verify_all;

		t = now_ms();
		if (t - last > PAUSE_MS)
			all = 1;
		last = t;
		/* rewrite this step's blocks (a new seed each time) */
		for (i = 0; i < blocks_per_step; i++) {
			uint64_t *p = mem + next * WORDS, seed = cr_mix64(count) + i;
			size_t w;

			for (w = 0; w < WORDS; w++)
				p[w] = cr_mix64(seed + w);
			sums[next] = block_sum(p);
			next = (next + 1) % mib;
		}
		for (b = all ? 0 : check; b < (all ? mib : check + 1); b++)
			if (block_sum(mem + b * WORDS) != sums[b]) {
				logln(fd, "counter: MEMORY CORRUPTED: block %lu at count %llu\n",
				      b, (unsigned long long)count);
				return 1;
			}
		check = (check + 1) % mib;
		if (all) {
			verify_all = 0;
			logln(fd, "verified %lu MiB at count %llu\n", mib,
			      (unsigned long long)count);
		}
		count++;
		logln(fd, "count %llu\n", (unsigned long long)count);
		sleep_until(t + STEP_MS);
	}
}

static int server(int lfd)
{
	int fd = open_log("server.log"), c;
	uint64_t n, expect = 1;

	c = accept(lfd, NULL, NULL);
	if (c < 0) {
		logln(fd, "server: accept: %s\n", strerror(errno));
		return 1;
	}
	logln(fd, "server: client connected\n");
	while (cr_read_full(c, &n, sizeof(n)) == sizeof(n)) {
		if (n != expect) {
			logln(fd, "server: ERROR: got %llu, expected %llu\n",
			      (unsigned long long)n,
			      (unsigned long long)expect);
			return 1;
		}
		expect++;
		n = n * 3 + 1;
		if (cr_write_full(c, &n, sizeof(n)))
			break;
	}
	logln(fd, "server: ERROR: connection lost after %llu: %s\n",
	      (unsigned long long)expect - 1, strerror(errno));
	return 1;
}

static int client(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(SERVER_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = open_log("client.log"), s;
	uint64_t n = 0, r;
	long t;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		logln(fd, "client: connect: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		t = now_ms();
		n++;
		if (cr_write_full(s, &n, sizeof(n)) ||
		    cr_read_full(s, &r, sizeof(r)) != sizeof(r)) {
			logln(fd, "client: ERROR: connection lost at %llu: %s\n",
			      (unsigned long long)n, strerror(errno));
			return 1;
		}
		if (r != n * 3 + 1) {
			logln(fd, "client: ERROR: %llu answered %llu\n",
			      (unsigned long long)n, (unsigned long long)r);
			return 1;
		}
		if (n % 10 == 0)
			logln(fd, "client %llu\n", (unsigned long long)n);
		sleep_until(t + CLIENT_MS);
	}
}

static pid_t start(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (!pid)
		exit(fn(arg));
	return pid;
}

static unsigned long arg_mib, arg_rate;

static int run_counter(void *arg)
{
	return counter(arg_mib, arg_rate);
}

static int run_server(void *arg)
{
	return server(*(int *)arg);
}

static int run_client(void *arg)
{
	return client();
}

static int run(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(SERVER_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = open_log("init.log"), lfd, s, one = 1, status;
	pid_t pid, kids[3];
	char path[4096];

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		logln(fd, "init: lo: %s\n", strerror(errno));
		return 1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		logln(fd, "init: lo up: %s\n", strerror(errno));
		return 1;
	}
	close(s);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1)) {
		logln(fd, "init: server socket: %s\n", strerror(errno));
		return 1;
	}
	kids[0] = start(run_counter, NULL);
	kids[1] = start(run_server, &lfd);
	close(lfd);
	kids[2] = start(run_client, NULL);
	snprintf(path, sizeof(path), "%s/ready", dir);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	logln(fd, "init: counter %d, server %d, client %d\n", kids[0], kids[1],
	      kids[2]);
	for (;;) {
		pid = wait(&status);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			pause();
			continue;
		}
		logln(fd, "init: ERROR: %d exited with status %d\n", pid,
		      cr_exit_code(status));
	}
}

/* Copy @in to @out until EOF; the socket end is shut down after. */
static int copy(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (cr_write_full(out, buf, n)) {
			cr_perror("write");
			return CR_EXIT_FAIL;
		}
	if (n < 0) {
		cr_perror("read");
		return CR_EXIT_FAIL;
	}
	return CR_EXIT_OK;
}

int main(int argc, char **argv)
{
	int fd, ret;

	cr_prog = "migload";
	if (argc == 5 && !strcmp(argv[1], "run")) {
		dir = argv[2];
		arg_mib = strtoul(argv[3], NULL, 10);
		arg_rate = strtoul(argv[4], NULL, 10);
		if (!arg_mib)
			cr_usage_error("MIB must be at least 1");
		return run();
	}
	if (argc == 3 && !strcmp(argv[1], "send")) {
		fd = cr_net_connect(argv[2]);
		if (fd < 0)
			return CR_EXIT_FAIL;
		ret = copy(STDIN_FILENO, fd);
		/* wait for the receiver to have it all: it closes first */
		if (!ret && !shutdown(fd, SHUT_WR)) {
			char c;

			while (read(fd, &c, 1) > 0)
				;
		}
		return ret;
	}
	if (argc == 4 && !strcmp(argv[1], "recv")) {
		int status;
		pid_t pid;

		fd = cr_net_accept(argv[2], NULL, 0);
		if (fd < 0)
			return CR_EXIT_FAIL;
		pid = fork();
		if (!pid) {
			dup2(fd, STDIN_FILENO);
			execl("/bin/sh", "sh", "-c", argv[3], (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || cr_wait(pid, &status) < 0) {
			cr_perror("%s", argv[3]);
			return CR_EXIT_FAIL;
		}
		close(fd);
		if (cr_exit_code(status)) {
			cr_error("'%s' exited %d", argv[3], cr_exit_code(status));
			return CR_EXIT_FAIL;
		}
		return CR_EXIT_OK;
	}
	fprintf(stderr,
		"usage: migload run DIR MIB RATE | send ADDR:PORT | recv [ADDR:]PORT CMD\n");
	return CR_EXIT_USAGE;
}
