// SPDX-License-Identifier: GPL-2.0
/*
 * checkpoint - save the image of a frozen process tree.
 *
 *   checkpoint [options] PID
 *
 * See checkpoint(1).
 */
#include "cr_common.h"
#include "cr_net.h"
#include "cr_precopy.h"

#include <getopt.h>
#include <poll.h>
#include <time.h>

#define FREEZE_TIMEOUT_MS	10000
#define FREEZE_POLL_MS		10

enum {
	OPT_FREEZE_CGROUP = 256,
	OPT_FREEZER,
	OPT_SEND,
	OPT_KILL,
	OPT_PRECOPY,
	OPT_EXEC_FROZEN,
};

/* --precopy: rounds at most; a round that sends fewer pages ends them */
#define PRECOPY_ROUNDS		8
#define PRECOPY_STOP_PAGES	256

static const struct option long_opts[] = {
	{ "output",		required_argument,	NULL, 'o' },
	{ "logfile",		required_argument,	NULL, 'l' },
	{ "subtree",		no_argument,		NULL, 's' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "freeze-cgroup",	required_argument,	NULL,
	  OPT_FREEZE_CGROUP },
	{ "freezer",		required_argument,	NULL, OPT_FREEZER },
	{ "send",		required_argument,	NULL, OPT_SEND },
	{ "kill",		no_argument,		NULL, OPT_KILL },
	{ "precopy",		optional_argument,	NULL, OPT_PRECOPY },
	{ "exec-frozen",	required_argument,	NULL, OPT_EXEC_FROZEN },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void usage(void)
{
	printf(
"Usage: checkpoint [options] PID\n"
"Write the checkpoint image of the frozen process tree rooted at PID.\n"
"\n"
"  -o, --output FILE         write the image to FILE ('-': stdout, default)\n"
"      --send ADDR:PORT      stream the image over TCP to restart --receive\n"
"                            on ADDR (no image file) and wait for its verdict\n"
"  -l, --logfile FILE        write the kernel's log messages to FILE\n"
"                            ('-': stderr); default: shown on failure only\n"
"  -s, --subtree             subtree checkpoint (no container leak checks)\n"
"      --freeze-cgroup DIR   freeze cgroup v2 DIR before, thaw it after\n"
"      --freezer DIR         same with a cgroup v1 freezer directory\n"
"      --precopy[=ROUNDS]    with --send and a freezer: send the memory while\n"
"                            the tree runs, in rounds (default at most %d) of\n"
"                            the pages written since the last one; frozen,\n"
"                            only the pages written since are sent\n"
"      --exec-frozen CMD     run CMD (sh -c) once the tree is frozen, before\n"
"                            it is saved; a failure of CMD fails the checkpoint\n"
"      --kill                after a successful checkpoint (with --send: once\n"
"                            the receiver restored the tree), kill the tasks\n"
"                            of the frozen cgroup instead of thawing them\n"
"  -q, --quiet               on failure, do not print the kernel's log\n"
"  -v, --verbose             print the checkpoint id on stderr\n"
"  -h, --help                display this help and exit\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error. With --send, success\n"
"means that the receiver restored the tree.\n", PRECOPY_ROUNDS);
}

/* Does the kernel's log (a file or the scratch log) say @what? */
static int log_says(int logfd, const char *what)
{
	static char buf[65536];
	ssize_t n;

	if (logfd < 0)
		return 0;
	n = pread(logfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

/*
 * After a refusal with an obvious next step, say it. The log is read
 * back from @logfd (the scratch log) or from @logfile.
 */
static void next_step(int logfd, const char *logfile, unsigned long flags,
		      int nr_freezers)
{
	int fd = logfd, frozen, leak;

	if (logfile && strcmp(logfile, "-"))
		fd = open(logfile, O_RDONLY | O_CLOEXEC);
	else if (logfile)
		return;
	frozen = !nr_freezers && log_says(fd, " is not frozen");
	leak = !(flags & CHECKPOINT_SUBTREE) && log_says(fd, "leak: ");
	if (fd != logfd && fd >= 0)
		close(fd);
	if (frozen)
		cr_error("hint: freeze the tree first, e.g. with --freeze-cgroup DIR (its cgroup v2 directory) or --freezer DIR (cgroup v1)");
	if (leak)
		cr_error("hint: the tree shares that with a process outside it; --subtree checkpoints it without the container checks (after restart it no longer shares it)");
}

/* ---- cgroup freezing -------------------------------------------------- */

/* Terminating signal caught while a cgroup is frozen, see defer_signals(). */
static volatile sig_atomic_t caught_signal;

struct freezer {
	const char *dir;
	int v2;			/* cgroup v2 cgroup.freeze, else v1 freezer */
	int frozen_by_us;	/* thaw afterwards */
	int events_fd;		/* v2: cgroup.events, polled, or -1 */
};

static long now_ms(void)
{
	return cr_now_us() / 1000;
}

static const char *freezer_file(struct freezer *f)
{
	return f->v2 ? "cgroup.freeze" : "freezer.state";
}

/* Current state: 1 frozen, 0 not (yet) frozen, -1 error. */
static int freezer_state(struct freezer *f)
{
	char buf[4096];
	const char *p;

	if (!f->v2) {
		if (cr_read_file(f->dir, "freezer.state", buf,
				 sizeof(buf)) < 0)
			return -1;
		return !strncmp(buf, "FROZEN", 6);
	}
	if (f->events_fd >= 0) {
		/* reading it again is what arms the next poll() */
		ssize_t n = pread(f->events_fd, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			return -1;
		buf[n] = 0;
	} else if (cr_read_file(f->dir, "cgroup.events", buf,
				sizeof(buf)) < 0) {
		return -1;
	}
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, "frozen ", 7))
			return p[7] == '1';
	}
	errno = ENOENT;
	return -1;
}

/* Whether the user asked for the freeze already (then leave it alone). */
static int freezer_requested(struct freezer *f)
{
	char buf[64];

	if (!f->v2)
		return freezer_state(f);
	if (cr_read_file(f->dir, "cgroup.freeze", buf, sizeof(buf)) < 0)
		return -1;
	return buf[0] == '1';
}

static int freezer_freeze(struct freezer *f)
{
	long deadline;
	int ret;

	ret = freezer_requested(f);
	if (ret < 0) {
		cr_perror("%s/%s", f->dir, freezer_file(f));
		return -1;
	}
	if (f->v2) {
		/* cgroup.events changes are notified: no sleeps (v1: polled) */
		char path[4096];

		snprintf(path, sizeof(path), "%s/cgroup.events", f->dir);
		f->events_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (!ret) {
		if (cr_write_file(f->dir, freezer_file(f),
				  f->v2 ? "1" : "FROZEN") < 0) {
			cr_perror("cannot freeze %s", f->dir);
			return -1;
		}
		f->frozen_by_us = 1;
	}

	deadline = now_ms() + FREEZE_TIMEOUT_MS;
	for (;;) {
		struct timespec ts = { 0, FREEZE_POLL_MS * 1000000L };

		ret = freezer_state(f);
		if (ret < 0) {
			cr_perror("cannot read the state of %s", f->dir);
			return -1;
		}
		if (ret)
			return 0;
		if (caught_signal)
			return -1;
		if (now_ms() >= deadline) {
			cr_error("%s did not freeze within %d s", f->dir,
				 FREEZE_TIMEOUT_MS / 1000);
			return -1;
		}
		/* v1: writing FROZEN again retries a stuck FREEZING */
		if (!f->v2 && f->frozen_by_us)
			cr_write_file(f->dir, "freezer.state", "FROZEN");
		if (f->events_fd >= 0) {
			struct pollfd pfd = { f->events_fd, POLLPRI, 0 };

			poll(&pfd, 1, (int)(deadline - now_ms()) + 1);
		} else {
			nanosleep(&ts, NULL);
		}
	}
}

static int freezer_thaw(struct freezer *f)
{
	if (f->events_fd >= 0) {
		close(f->events_fd);
		f->events_fd = -1;
	}
	if (!f->frozen_by_us)
		return 0;
	f->frozen_by_us = 0;
	if (cr_write_file(f->dir, freezer_file(f),
			  f->v2 ? "0" : "THAWED") < 0) {
		cr_perror("cannot thaw %s", f->dir);
		return -1;
	}
	return 0;
}

/*
 * Kill every task of the cgroup (--kill, after a successful checkpoint):
 * v2 with cgroup.kill, v1 by SIGKILL to each task it lists until none is
 * left. Frozen tasks die without running another instruction of theirs.
 */
static int freezer_kill(struct freezer *f)
{
	char buf[65536], *p, *end;
	int round;

	if (f->v2) {
		if (cr_write_file(f->dir, "cgroup.kill", "1") < 0) {
			cr_perror("cannot kill the tasks of %s", f->dir);
			return -1;
		}
		return 0;
	}
	for (round = 0; round < 100; round++) {
		ssize_t n = cr_read_file(f->dir, "tasks", buf, sizeof(buf));
		int left = 0;

		if (n < 0) {
			cr_perror("%s/tasks", f->dir);
			return -1;
		}
		for (p = buf; *p; p = end) {
			long tid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (tid > 0 && !kill(tid, SIGKILL))
				left++;
		}
		if (!left)
			return 0;
		/* v1: the killed tasks leave once thawed */
		cr_write_file(f->dir, "freezer.state", "THAWED");
		usleep(10000);
	}
	cr_error("the tasks of %s do not die", f->dir);
	return -1;
}

/* --precopy: freeze the tree for a round's look at its page tables */
struct freezers {
	struct freezer *f;
	int nr;
};

static int precopy_pause(void *arg, int on)
{
	struct freezers *fs = arg;
	int i, ret = 0;

	for (i = 0; i < fs->nr; i++) {
		if (on && freezer_freeze(&fs->f[i]))
			return -1;
		if (!on && freezer_thaw(&fs->f[i]))
			ret = -1;
	}
	return caught_signal ? -1 : ret;
}

/* ---- --send: the receiver's verdict ----------------------------------- */

/*
 * After the image went out, wait for restart --receive to say whether it
 * restored the tree: a line "ok PID" or "failed: REASON". Returns 0 if it
 * did, -1 if it said it failed, -2 if it never said (the tree may run
 * there: the caller must not thaw ours, unless the image could not all
 * be sent, @failed).
 */
static int await_verdict(int fd, const char *to, int failed)
{
	char line[4096];
	size_t len = 0;
	ssize_t n;

	/* @failed: the image could not all go; only look for a reason */
	if (!failed && shutdown(fd, SHUT_WR)) {
		cr_perror("sending to %s", to);
		return -1;
	}
	while (len < sizeof(line) - 1) {
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR && !caught_signal)
			continue;
		if (n <= 0)
			break;
		len += n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "ok ", 3))
		return 0;
	if (!strncmp(line, "failed: ", 8)) {
		cr_error("%s: %s", to, line + 8);
		return -1;
	}
	if (!failed)
		cr_error("%s closed the connection without saying whether it restored the tree",
			 to);
	return -2;
}

/* ---- signals while a cgroup is frozen --------------------------------- */

static void catch_signal(int sig)
{
	caught_signal = sig;
}

/*
 * While we hold a cgroup frozen, a terminating signal must not leave it
 * frozen: note it, thaw, then die of it. SIGPIPE (image reader gone)
 * becomes an EPIPE error from checkpoint().
 */
static void defer_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = catch_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void raise_deferred_signal(void)
{
	int sig = caught_signal;

	if (!sig)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct freezer freezers[2];
	const char *output = NULL, *logfile = NULL, *send_to = NULL;
	unsigned long flags = 0;
	int nr_freezers = 0, quiet = 0, verbose = 0, kill_after = 0;
	int precopy = 0;
	const char *exec_frozen = NULL;
	struct cr_pre_send ps;
	long t_pre = 0;
	const char *keep_frozen = NULL;
	int outfd, logfd, log_scratch, err, ret, i, c;
	int status = CR_EXIT_OK;
	long t_freeze = 0, t_ckpt = 0, t_thaw = 0;
	pid_t pid;
	long id;

	cr_prog = "checkpoint";
	memset(freezers, 0, sizeof(freezers));

	while ((c = getopt_long(argc, argv, "o:l:sqvh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 's':
			flags |= CHECKPOINT_SUBTREE;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_FREEZE_CGROUP:
		case OPT_FREEZER:
			for (i = 0; i < nr_freezers; i++)
				if (freezers[i].v2 == (c == OPT_FREEZE_CGROUP))
					cr_usage_error("--%s given twice",
						       c == OPT_FREEZER ?
						       "freezer" :
						       "freeze-cgroup");
			freezers[nr_freezers].dir = optarg;
			freezers[nr_freezers].v2 = c == OPT_FREEZE_CGROUP;
			freezers[nr_freezers].events_fd = -1;
			nr_freezers++;
			break;
		case OPT_SEND:
			send_to = optarg;
			break;
		case OPT_KILL:
			kill_after = 1;
			break;
		case OPT_PRECOPY:
			precopy = PRECOPY_ROUNDS;
			if (optarg) {
				char *end;

				long v = strtol(optarg, &end, 10);

				if (*end || end == optarg || v < 1 || v > 1000)
					cr_usage_error("--precopy: ROUNDS is 1 to 1000, not '%s'",
						       optarg);
				precopy = v;
			}
			break;
		case OPT_EXEC_FROZEN:
			exec_frozen = optarg;
			break;
		case 'h':
			usage();
			return CR_EXIT_OK;
		default:
			cr_usage_error(NULL);
		}
	}
	if (optind >= argc)
		cr_usage_error("missing PID");
	if (send_to && output)
		cr_usage_error("--send and --output are exclusive");
	if (precopy && (!send_to || !nr_freezers))
		cr_usage_error("--precopy needs --send and --freeze-cgroup or --freezer (it freezes the tree after the rounds)");
	if (kill_after && !nr_freezers)
		cr_usage_error("--kill needs --freeze-cgroup or --freezer (the tasks to kill)");
	if (optind + 1 < argc)
		cr_usage_error("too many arguments");
	pid = cr_parse_pid(argv[optind]);
	if (pid < 0)
		cr_usage_error("invalid PID '%s'", argv[optind]);

	if (cr_check_kernel())
		return CR_EXIT_FAIL;
	if (send_to) {
		logfd = cr_log_open(logfile, &log_scratch);
		if (logfd < 0 && logfile) {
			cr_perror("%s", logfile);
			return CR_EXIT_FAIL;
		}
		outfd = cr_net_connect(send_to);
		if (outfd < 0)
			return CR_EXIT_FAIL;
		/* a receiver gone is an EPIPE error from checkpoint() */
		signal(SIGPIPE, SIG_IGN);
		output = send_to;
	} else {
		outfd = cr_open_image_and_log(output, 1, logfile, &logfd,
					      &log_scratch);
		if (output && !strcmp(output, "-"))
			output = NULL;
	}

	if (nr_freezers)
		defer_signals();
	if (precopy) {
		struct freezers fs = { freezers, nr_freezers };

		t_pre = cr_now_us();
		if (cr_pre_send_running(&ps, outfd, pid, precopy,
					PRECOPY_STOP_PAGES, precopy_pause,
					&fs) || caught_signal) {
			cr_error("pre-copy of pid %d failed", pid);
			status = CR_EXIT_FAIL;
			goto thaw;
		}
		t_pre = cr_now_us() - t_pre;
		flags |= CHECKPOINT_SOFTDIRTY;
	}
	t_freeze = cr_now_us();
	for (i = 0; i < nr_freezers; i++) {
		if (freezer_freeze(&freezers[i]) < 0 || caught_signal) {
			status = CR_EXIT_FAIL;
			goto thaw;
		}
	}

	if (exec_frozen) {
		int st = system(exec_frozen);

		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			cr_error("--exec-frozen command failed (%s): %s",
				 st == -1 ? "not run" : "status",
				 exec_frozen);
			status = CR_EXIT_FAIL;
			goto thaw;
		}
	}
	if (precopy && cr_pre_send_frozen(&ps, pid)) {
		status = CR_EXIT_FAIL;
		goto thaw;
	}
	t_ckpt = cr_now_us();
	id = sys_checkpoint(pid, outfd, flags, logfd);
	err = errno;
	t_thaw = cr_now_us();

	if (id < 0) {
		status = CR_EXIT_FAIL;
		cr_error("%s", strerror(err));
		/* a receiver that gave up may have said why */
		if (send_to && (err == EPIPE || err == ECONNRESET))
			await_verdict(outfd, send_to, 1);
		if (log_scratch && !quiet)
			cr_log_dump(logfd);
		else if (logfile && strcmp(logfile, "-") && !quiet)
			cr_error("kernel log in %s", logfile);
		if (!quiet)
			next_step(logfd, logfile, flags, nr_freezers);
	} else if (verbose) {
		cr_error("pid %d: checkpoint id %ld", pid, id);
	}
	if (send_to && status == CR_EXIT_OK) {
		ret = await_verdict(outfd, send_to, 0);
		if (ret)
			status = CR_EXIT_FAIL;
		/* unknown: it may run there, so ours must not run on here */
		if (ret == -2)
			keep_frozen = "the receiver's outcome is unknown";
	}
	if (kill_after && status == CR_EXIT_OK)
		for (i = 0; i < nr_freezers; i++)
			if (freezer_kill(&freezers[i]) < 0) {
				status = CR_EXIT_FAIL;
				keep_frozen = "its tasks could not all be killed";
			}
	if (keep_frozen)
		for (i = 0; i < nr_freezers; i++) {
			if (freezers[i].frozen_by_us)
				cr_error("%s stays frozen: %s; kill or thaw it yourself",
					 freezers[i].dir, keep_frozen);
			freezers[i].frozen_by_us = 0;
		}

thaw:
	for (i = nr_freezers - 1; i >= 0; i--)
		if (freezer_thaw(&freezers[i]) < 0)
			status = CR_EXIT_FAIL;
	/* after the kernel's statistics, on the log the user asked for */
	if (status == CR_EXIT_OK && !log_scratch && logfd >= 0)
		dprintf(logfd,
			"[%d:checkpoint tool] stats: time (us) freeze=%ld checkpoint=%ld thaw=%ld frozen=%ld\n",
			(int)getpid(), t_ckpt - t_freeze, t_thaw - t_ckpt,
			cr_now_us() - t_thaw,
			nr_freezers ? cr_now_us() - t_freeze : 0);
	if (status == CR_EXIT_OK && !log_scratch && logfd >= 0 && precopy)
		dprintf(logfd,
			"[%d:checkpoint tool] stats: precopy rounds=%d pages=%ld last_round=%ld frozen_pages=%ld time_us=%ld\n",
			(int)getpid(), ps.rounds, ps.sent_pages,
			ps.last_round_pages, ps.frozen_pages, t_pre);

	if (output) {
		ret = close(outfd);
		if (ret < 0 && status == CR_EXIT_OK) {
			cr_perror("%s", output);
			status = CR_EXIT_FAIL;
		}
	}
	raise_deferred_signal();
	return status;
}
