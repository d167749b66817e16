// SPDX-License-Identifier: GPL-2.0
/*
 * nsexec - run a program in new namespaces (a container to checkpoint).
 *
 *   nsexec [options] [--] PROG [ARGS...]
 *
 * The program is started with clone3() (clone() on older kernels) and
 * the namespace flags, so with -p it is pid 1 of the new pid namespace.
 * See nsexec(1).
 */
#include "cr_common.h"

#include <getopt.h>
#include <sched.h>
#include <sys/mount.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP		0x02000000
#endif

static const struct option long_opts[] = {
	{ "cgroup",	no_argument,		NULL, 'c' },
	{ "mount",	no_argument,		NULL, 'm' },
	{ "uts",	no_argument,		NULL, 'u' },
	{ "ipc",	no_argument,		NULL, 'i' },
	{ "net",	no_argument,		NULL, 'n' },
	{ "pid",	no_argument,		NULL, 'p' },
	{ "user",	no_argument,		NULL, 'U' },
	{ "pidfile",	required_argument,	NULL, 'P' },
	{ "detach",	no_argument,		NULL, 'd' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void usage(void)
{
	printf(
"Usage: %s [options] [--] PROG [ARGS...]\n"
"Run PROG in new namespaces.\n"
"\n"
"  -c, --cgroup         new cgroup namespace\n"
"  -m, --mount          new mount namespace (mounts made private)\n"
"  -u, --uts            new UTS namespace (hostname)\n"
"  -i, --ipc            new IPC namespace\n"
"  -n, --net            new network namespace\n"
"  -p, --pid            new pid namespace, PROG is its pid 1\n"
"                       (with -m, a new /proc is mounted)\n"
"  -U, --user           new user namespace, root inside mapped to the\n"
"                       caller's uid and gid\n"
"  -P, --pidfile FILE   write PROG's pid (as seen from here) to FILE\n"
"  -d, --detach         do not wait for PROG\n"
"  -h, --help           display this help and exit\n"
"\n"
"Without --detach, wait for PROG and exit with its status (128 + signal\n"
"number if it was killed). Exit status 1 if PROG could not be started,\n"
"2 on usage error.\n", cr_prog);
}

/* clone3() arguments, version 0 layout (64 bytes). */
struct clone_args_v0 {
	__u64 flags;
	__u64 pidfd;
	__u64 child_tid;
	__u64 parent_tid;
	__u64 exit_signal;
	__u64 stack;
	__u64 stack_size;
	__u64 tls;
};

/* fork() into new namespaces; returns like fork(). */
static pid_t clone_ns(unsigned long flags)
{
	struct clone_args_v0 args;
	pid_t pid;

	memset(&args, 0, sizeof(args));
	args.flags = flags;
	args.exit_signal = SIGCHLD;
	fflush(NULL);
#ifdef SYS_clone3
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid >= 0 || errno != ENOSYS)
		return pid;
#endif
	/* x86_64 clone(flags, stack, parent_tid, child_tid, tls) */
	return syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
}

/* Child side: report a setup failure to the parent and exit. */
static void __attribute__((noreturn)) child_fail(int errfd, const char *what)
{
	int err = errno;

	fprintf(stderr, "%s: %s: %s\n", cr_prog, what, strerror(err));
	cr_write_full(errfd, &err, sizeof(err));
	_exit(CR_EXIT_FAIL);
}

static void write_id_maps(int errfd, uid_t uid, gid_t gid)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
	if (cr_write_file("/proc/self", "uid_map", map) < 0)
		child_fail(errfd, "writing /proc/self/uid_map");
	/* unprivileged gid_map needs setgroups denied (kernel >= 3.19) */
	if (cr_write_file("/proc/self", "setgroups", "deny") < 0 &&
	    errno != ENOENT)
		child_fail(errfd, "writing /proc/self/setgroups");
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
	if (cr_write_file("/proc/self", "gid_map", map) < 0)
		child_fail(errfd, "writing /proc/self/gid_map");
}

static void __attribute__((noreturn))
child_main(int errfd, unsigned long flags, uid_t uid, gid_t gid, char **argv)
{
	if (flags & CLONE_NEWUSER)
		write_id_maps(errfd, uid, gid);
	if (flags & CLONE_NEWNS) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(errfd, "making / private");
		if ((flags & CLONE_NEWPID) &&
		    mount("proc", "/proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			child_fail(errfd, "mounting /proc");
	}
	execvp(argv[0], argv);
	child_fail(errfd, argv[0]);
}

/* The pid file is opened before anything starts, written once PROG runs. */
static int write_pidfile(int fd, pid_t pid)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%d\n", pid);
	if (cr_write_full(fd, buf, len) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	unsigned long flags = 0;
	int detach = 0, pidfd = -1, status, pipefd[2], err, c;
	uid_t uid = getuid();
	gid_t gid = getgid();
	ssize_t n;
	pid_t pid;

	cr_prog = "nsexec";

	/* '+': stop at PROG, its options are its own */
	while ((c = getopt_long(argc, argv, "+cmuinpUP:dh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			flags |= CLONE_NEWCGROUP;
			break;
		case 'm':
			flags |= CLONE_NEWNS;
			break;
		case 'u':
			flags |= CLONE_NEWUTS;
			break;
		case 'i':
			flags |= CLONE_NEWIPC;
			break;
		case 'n':
			flags |= CLONE_NEWNET;
			break;
		case 'p':
			flags |= CLONE_NEWPID;
			break;
		case 'U':
			flags |= CLONE_NEWUSER;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'd':
			detach = 1;
			break;
		case 'h':
			usage();
			return CR_EXIT_OK;
		default:
			cr_usage_error(NULL);
		}
	}
	if (optind >= argc)
		cr_usage_error("missing PROG");

	if (pidfile) {
		pidfd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (pidfd < 0) {
			cr_perror("%s", pidfile);
			return CR_EXIT_FAIL;
		}
	}

	/* Setup errors come back as an errno; EOF means exec worked. */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		cr_perror("pipe");
		return CR_EXIT_FAIL;
	}
	pid = clone_ns(flags);
	if (pid < 0) {
		cr_perror("clone");
		if (pidfile)
			unlink(pidfile);
		return CR_EXIT_FAIL;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child_main(pipefd[1], flags, uid, gid, argv + optind);
	}
	close(pipefd[1]);
	do {
		n = read(pipefd[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n != 0) {
		/* the child printed why */
		cr_wait(pid, &status);
		if (pidfile)
			unlink(pidfile);
		return CR_EXIT_FAIL;
	}

	if (pidfile && write_pidfile(pidfd, pid) < 0) {
		cr_perror("%s", pidfile);
		unlink(pidfile);
		kill(pid, SIGKILL);
		cr_wait(pid, &status);
		return CR_EXIT_FAIL;
	}
	if (detach)
		return CR_EXIT_OK;

	cr_forward_signals(pid);
	if (cr_wait(pid, &status) < 0) {
		cr_perror("waitpid %d", pid);
		return CR_EXIT_FAIL;
	}
	return cr_exit_code(status);
}
