// SPDX-License-Identifier: GPL-2.0
/*
 * restart - restore a process tree from a checkpoint image.
 *
 *   restart [options]
 *
 * The tool is the restart coordinator: it reads the tree section of the
 * image and rebuilds the process tree (cr_forest.h); every task of it
 * calls restart(0, fd, ...) and the tool calls restart(root, fd, ...).
 * An image that comes through a pipe is fed to the kernel again, from
 * its first byte, by a thread. See restart(1).
 */
#include "cr_common.h"
#include "cr_forest.h"
#include "cr_net.h"
#include "cr_precopy.h"

#include <sys/resource.h>

#include <getopt.h>
#include <pthread.h>
#include <sys/prctl.h>

struct feeder {
	int in, out;
	const char *prefix;
	size_t prefix_len;
};

/* Give the kernel the image again: the bytes already read, then the rest */
static void *feed(void *arg)
{
	struct feeder *fd = arg;
	char buf[65536];
	ssize_t n;

	if (cr_write_full(fd->out, fd->prefix, fd->prefix_len) == 0)
		while ((n = read(fd->in, buf, sizeof(buf))) > 0)
			if (cr_write_full(fd->out, buf, n))
				break;
	close(fd->out);
	return NULL;
}

static const struct option long_opts[] = {
	{ "input",	required_argument,	NULL, 'i' },
	{ "logfile",	required_argument,	NULL, 'l' },
	{ "frozen",	no_argument,		NULL, 'F' },
	{ "conn-reset",	no_argument,		NULL, 'R' },
	{ "detach",	no_argument,		NULL, 'd' },
	{ "no-wait",	no_argument,		NULL, 'W' },
	{ "self",	no_argument,		NULL, 'S' },
	{ "receive",	required_argument,	NULL, 'r' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void usage(void)
{
	printf(
"Usage: %s [options]\n"
"Restore the process tree saved in a checkpoint image.\n"
"\n"
"  -i, --input FILE     read the image from FILE ('-': stdin, default)\n"
"      --receive [ADDR:]PORT\n"
"                       listen on PORT, take one connection from\n"
"                       checkpoint --send and restore the image it streams;\n"
"                       the sender is told whether the restart succeeded\n"
"  -l, --logfile FILE   write the kernel's log messages to FILE\n"
"                       ('-': stderr); default: shown on failure only\n"
"  -F, --frozen         leave the restored tasks stopped (SIGSTOP)\n"
"  -R, --conn-reset     TCP connections that cannot be restored whole\n"
"                       (a peer outside the tree, or no CAP_NET_ADMIN\n"
"                       for TCP repair) come back reset: the program\n"
"                       sees ECONNRESET; without it, they are refused\n"
"  -d, --detach         do not wait: print the restored root's pid and exit\n"
"  -W, --no-wait        same as --detach\n"
"  -S, --self           become the restored process (single-task image,\n"
"                       RESTART_TASKSELF, no coordinator)\n"
"  -h, --help           display this help and exit\n"
"\n"
"Without --detach, wait for the restored root and exit with its status\n"
"(128 + signal number if it was killed). Exit status 1 if the restart\n"
"failed, 2 on usage error.\n", cr_prog);
}

/* --receive: the connection, told the verdict (see checkpoint --send) */
static int peer_fd = -1;
/* --receive of a pre-copy: the pages sent ahead, merged into the image */
static struct cr_pre_store pre_store;
static struct cr_pre_merge pre_merge;
static long pre_pages, t_merge;

/*
 * After accept: if the sender begins with a pre-copy, keep its pages,
 * then merge them into the image as it comes, into a memory file, and
 * return that (a file: restart() may restore the tasks in parallel).
 * Else return the connection itself. -1 on failure.
 */
static int receive_precopy(int fd)
{
	struct cr_pre_frame f;
	ssize_t n;
	int out;

	do
		n = recv(fd, &f, sizeof(f), MSG_PEEK | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(f) || f.magic != CR_PRE_MAGIC)
		return fd;
	if (cr_read_full(fd, &f, sizeof(f)) != sizeof(f) ||
	    cr_pre_receive(&pre_store, fd, &f))
		return -1;
	pre_pages = pre_store.nr_pages;
	t_merge = cr_now_us();
	out = memfd_create("ckpt-image", MFD_CLOEXEC);
	if (out < 0) {
		cr_perror("memfd_create");
		return -1;
	}
	pre_merge.st = &pre_store;
	pre_merge.in = fd;
	pre_merge.out = out;
	if (cr_pre_merge(&pre_merge) || lseek(out, 0, SEEK_SET)) {
		if (!pre_store.error[0])
			cr_pre_fail(&pre_store, "cannot write the merged image: %s",
				    strerror(errno));
		close(out);
		return -1;
	}
	cr_pre_store_free(&pre_store);
	t_merge = cr_now_us() - t_merge;
	return out;
}

/* --receive: tell the sender the restart failed, and why */
static void fail_verdict(const char *why)
{
	if (peer_fd < 0)
		return;
	dprintf(peer_fd, "failed: %s\n", pre_store.error[0] ? pre_store.error :
		why);
	close(peer_fd);
	peer_fd = -1;
}

static void report_failure(int err, int logfd, int log_scratch,
			   const char *logfile)
{
	char why[128];

	snprintf(why, sizeof(why), "restart: %s (see the receiver's log)",
		 strerror(err));
	fail_verdict(why);
	cr_error("%s", strerror(err));
	if (log_scratch)
		cr_log_dump(logfd);
	else if (logfile && strcmp(logfile, "-"))
		cr_error("kernel log in %s", logfile);
}

/*
 * The restored tasks' fd tables are installed before their resource
 * limits (which come later in the image): let the forest have as many
 * fds as this user may, up to fs.nr_open when privileged. Each task
 * then takes the image's limits, checked as setrlimit() checks them.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	char buf[32];
	long nr_open;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (cr_read_file("/proc/sys/fs", "nr_open", buf, sizeof(buf)) > 0) {
		nr_open = atol(buf);
		if (nr_open > 0 && (rlim_t)nr_open > rl.rlim_max) {
			struct rlimit all = { nr_open, nr_open };

			if (!setrlimit(RLIMIT_NOFILE, &all))
				return;
		}
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int main(int argc, char **argv)
{
	const char *input = NULL, *logfile = NULL, *receive = NULL;
	unsigned long flags = 0;
	int detach = 0, self = 0;
	int fd, logfd, log_scratch, status, err, c;
	long t_load, t_grow, t_restart;
	pid_t child;
	long ret;

	cr_prog = "restart";

	while ((c = getopt_long(argc, argv, "i:l:FRdWSh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'F':
			flags |= RESTART_FROZEN;
			break;
		case 'R':
			flags |= RESTART_CONN_RESET;
			break;
		case 'd':
		case 'W':
			detach = 1;
			break;
		case 'S':
			self = 1;
			break;
		case 'r':
			receive = optarg;
			break;
		case 'h':
			usage();
			return CR_EXIT_OK;
		default:
			cr_usage_error(NULL);
		}
	}
	if (optind < argc)
		cr_usage_error("unexpected argument '%s'", argv[optind]);
	if (self && detach)
		cr_usage_error("--self and --detach are exclusive");
	if (receive && (input || self))
		cr_usage_error("--receive excludes --input and --self");

	if (cr_check_kernel())
		return CR_EXIT_FAIL;
	if (receive) {
		char peer[INET6_ADDRSTRLEN];

		logfd = cr_log_open(logfile, &log_scratch);
		if (logfd < 0 && logfile) {
			cr_perror("%s", logfile);
			return CR_EXIT_FAIL;
		}
		fd = cr_net_accept(receive, peer, sizeof(peer));
		if (fd < 0)
			return CR_EXIT_FAIL;
		/* the sender gone is a read error of the image */
		signal(SIGPIPE, SIG_IGN);
		peer_fd = fd;
		input = receive;
		fd = receive_precopy(fd);
		if (fd < 0) {
			report_failure(EIO, logfd, log_scratch, logfile);
			return CR_EXIT_FAIL;
		}
	} else {
		fd = cr_open_image_and_log(input, 0, logfile, &logfd,
					   &log_scratch);
		if (input && !strcmp(input, "-"))
			input = NULL;
	}

	if (self) {
		/* Only returns on failure. */
		sys_restart(0, fd, flags | RESTART_TASKSELF, logfd);
		report_failure(errno, logfd, log_scratch, logfile);
		return CR_EXIT_FAIL;
	}

	struct cr_forest f = { .flags = flags, .logfd = logfd, .kfd = fd,
				.feed_fd = -1 };
	struct feeder feeder = { .in = fd };
	pthread_t feeder_thread;
	int kpipe[2];
	off_t start;

	t_load = cr_now_us();
	start = lseek(fd, 0, SEEK_CUR);
	if (cr_forest_load(&f, fd)) {
		fail_verdict("restart: the image's tree section is not valid (see the receiver)");
		return CR_EXIT_FAIL;
	}
	t_grow = cr_now_us();
	if (start < 0) {
		/* not seekable: feed the kernel through a pipe of our own */
		if (pipe(kpipe)) {
			cr_perror("pipe");
			fail_verdict("restart: pipe() failed");
			return CR_EXIT_FAIL;
		}
		f.kfd = kpipe[0];
		f.feed_fd = kpipe[1];
	}
	raise_fd_limit();
	child = cr_forest_grow(&f);
	if (child < 0) {
		fail_verdict("restart: the receiver could not make the process tree (see its messages)");
		return CR_EXIT_FAIL;
	}
	if (start >= 0 && lseek(fd, start, SEEK_SET) != start) {
		cr_perror("rewinding the image");
		fail_verdict("restart: cannot rewind the image");
		kill(child, SIGKILL);
		cr_wait(child, &status);
		return CR_EXIT_FAIL;
	}
	cr_forest_go(&f);
	if (start < 0) {
		feeder.out = kpipe[1];
		feeder.prefix = f.prefix;
		feeder.prefix_len = f.prefix_len;
		errno = pthread_create(&feeder_thread, NULL, feed, &feeder);
		if (errno) {
			cr_perror("pthread_create");
			fail_verdict("restart: pthread_create() failed");
			kill(child, SIGKILL);
			cr_wait(child, &status);
			return CR_EXIT_FAIL;
		}
		pthread_detach(feeder_thread);
	}

	t_restart = cr_now_us();
	ret = sys_restart(child, f.kfd, flags, logfd);
	if (ret < 0) {
		err = errno;
		/* The kernel kills the restored tasks; make sure of ours. */
		kill(child, SIGKILL);
		cr_wait(child, &status);
		report_failure(err, logfd, log_scratch, logfile);
		return CR_EXIT_FAIL;
	}

	/* after the kernel's statistics, on the log the user asked for */
	if (!log_scratch && logfd >= 0)
		dprintf(logfd,
			"[%d:restart tool] stats: time (us) load=%ld forest=%ld restart=%ld\n",
			(int)getpid(), t_grow - t_load, t_restart - t_grow,
			cr_now_us() - t_restart);
	if (!log_scratch && logfd >= 0 && pre_pages)
		dprintf(logfd,
			"[%d:restart tool] stats: precopy pages=%ld merge_us=%ld (image with the pages merged in)\n",
			(int)getpid(), pre_pages, t_merge);
	if (peer_fd >= 0) {
		/* the sender kills its copy of the tree on this word */
		if (dprintf(peer_fd, "ok %d\n", child) < 0)
			cr_perror("telling %s the restart succeeded", receive);
		if (peer_fd != fd)
			close(peer_fd);
		peer_fd = -1;
	}
	if (input)
		close(fd);
	if (log_scratch)
		close(logfd);

	if (detach) {
		printf("%d\n", child);
		if (fflush(stdout) == EOF) {
			cr_perror("stdout");
			return CR_EXIT_FAIL;
		}
		return CR_EXIT_OK;
	}

	cr_forward_signals(child);
	if (cr_wait(child, &status) < 0) {
		cr_perror("waitpid %d", child);
		return CR_EXIT_FAIL;
	}
	return cr_exit_code(status);
}
