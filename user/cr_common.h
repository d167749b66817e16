/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cr_common.h - code shared by the linux-cr userspace tools.
 *
 * Each tool is built from a single .c file, so everything here is
 * static inline: a tool only pays for what it uses and unused helpers
 * produce no warnings.
 */
#ifndef _CR_COMMON_H
#define _CR_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/checkpoint.h>
#include <linux/checkpoint_hdr.h>

/*
 * The numbers are in the patched kernel's <asm/unistd_64.h>; the C
 * library's headers may not know them yet.
 */
#if !defined(__x86_64__) || defined(__ILP32__)
#error "checkpoint()/restart() are only wired up for x86_64"
#endif
#ifndef __NR_checkpoint
#define __NR_checkpoint		451
#endif
#ifndef __NR_restart
#define __NR_restart		452
#endif

/* Exit codes of every tool. */
#define CR_EXIT_OK	0
#define CR_EXIT_FAIL	1
#define CR_EXIT_USAGE	2

/* Name used as the prefix of every message; set by main(). */
static const char *cr_prog = "cr";

/* ---- messages --------------------------------------------------------- */

/*
 * One write(2) a message: the lines of processes writing at once do not
 * mix, and the tasks of MakeForest, which share the tool's memory, share
 * no stdio state with it either
 */
static inline void cr_vmsg(int errnum, const char *fmt, va_list ap)
{
	char buf[2048];
	size_t n;

	fflush(stdout);
	n = snprintf(buf, sizeof(buf), "%s: ", cr_prog);
	if (n < sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (errnum && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, ": %s",
			      strerror(errnum));
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;	/* cut, but still a line */
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;		/* nowhere to say it */
}

/* "prog: message" on stderr. */
static inline __attribute__((format(printf, 1, 2)))
void cr_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cr_vmsg(0, fmt, ap);
	va_end(ap);
}

/* "prog: message: strerror(errno)" on stderr; errno is preserved. */
static inline __attribute__((format(printf, 1, 2)))
void cr_perror(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	cr_vmsg(err, fmt, ap);
	va_end(ap);
	errno = err;
}

/* Usage error: message, hint, exit 2. */
static inline __attribute__((format(printf, 1, 2), noreturn))
void cr_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		cr_vmsg(0, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", cr_prog);
	exit(CR_EXIT_USAGE);
}

/* ---- system calls ----------------------------------------------------- */

/* CLOCK_MONOTONIC in microseconds, for the tools' statistics */
static inline long cr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/*
 * The numbers of checkpoint() and restart() are linux-cr's on 6.1; later
 * kernels gave them to other calls (cachestat(), fchmodat2()). Return 0 on
 * a 6.1 kernel, else -1 with the reason said (then nothing may call them).
 */
static inline int cr_check_kernel(void)
{
	struct utsname u = { .release = "unknown" };

	if (!uname(&u) && !strncmp(u.release, "6.1.", 4))
		return 0;
	cr_error("kernel %s: checkpoint() and restart() are system calls %d and %d of linux-cr's Linux 6.1 series only (later kernels use those numbers for other calls)",
		 u.release, __NR_checkpoint, __NR_restart);
	return -1;
}

static inline long sys_checkpoint(pid_t pid, int fd, unsigned long flags,
				  int logfd)
{
	return syscall(__NR_checkpoint, pid, fd, flags, logfd);
}

static inline long sys_restart(pid_t pid, int fd, unsigned long flags,
			       int logfd)
{
	return syscall(__NR_restart, pid, fd, flags, logfd);
}

/* ---- I/O -------------------------------------------------------------- */

/*
 * Read up to @len bytes, retrying on short reads and EINTR.
 * Returns the number of bytes read (less than @len only at EOF),
 * or -1 with errno set.
 */
static inline ssize_t cr_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

/* Write all of @buf. Returns 0, or -1 with errno set. */
static inline int cr_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return 0;
}

/* Write a short string to @dir/@name (e.g. a cgroup control file). */
static inline int cr_write_file(const char *dir, const char *name,
				const char *str)
{
	char path[PATH_MAX];
	int fd, ret, err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = cr_write_full(fd, str, strlen(str));
	err = errno;
	if (close(fd) < 0 && ret == 0)
		return -1;
	errno = err;
	return ret;
}

/*
 * Read a small file @dir/@name into @buf (NUL terminated, truncated to
 * @size - 1 bytes). Returns the length, or -1 with errno set.
 */
static inline ssize_t cr_read_file(const char *dir, const char *name,
				   char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = cr_read_full(fd, buf, size - 1);
	err = errno;
	close(fd);
	errno = err;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* ---- kernel log fd ---------------------------------------------------- */

/*
 * The log fd passed to checkpoint()/restart().
 *   path given: "-" means stderr, anything else a file (truncated).
 *   no path:    an anonymous memory file (memfd, or an O_TMPFILE in /tmp
 *               if memfd_create() is not available) that the tool prints
 *               only when the system call failed; -1 if neither works.
 * Sets *@scratch when the fd is such an anonymous file.
 */
static inline int cr_log_open(const char *path, int *scratch)
{
	int fd;

	*scratch = 0;
	if (path) {
		if (!strcmp(path, "-"))
			return STDERR_FILENO;
		return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			    0644);
	}
	fd = memfd_create("ckpt-log", MFD_CLOEXEC);
	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		*scratch = 1;
	return fd;
}

/*
 * Open the image and the log of a checkpoint or restart. @image NULL or
 * "-" is stdout (@write) or stdin; an image is never a terminal. *logfd
 * is the log file, or a scratch memfd shown on failure (*scratch set).
 * Returns the image fd, or exits the tool on failure or misuse.
 */
static inline int cr_open_image_and_log(const char *image, int write,
					const char *logfile, int *logfd,
					int *scratch)
{
	int fd;

	if (!image || !strcmp(image, "-")) {
		fd = write ? STDOUT_FILENO : STDIN_FILENO;
	} else {
		fd = write ? open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				  0600) :
			     open(image, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cr_perror("%s", image);
			exit(CR_EXIT_FAIL);
		}
	}
	if (isatty(fd)) {
		cr_error("refusing to %s an image %s a terminal (use %s FILE or redirect %s)",
			 write ? "write" : "read", write ? "to" : "from",
			 write ? "-o" : "-i", write ? "stdout" : "stdin");
		exit(CR_EXIT_USAGE);
	}
	*logfd = cr_log_open(logfile, scratch);
	if (*logfd < 0 && logfile) {
		cr_perror("%s", logfile);
		exit(CR_EXIT_FAIL);
	}
	return fd;
}

/* Copy what the kernel logged into a scratch log fd to stderr. */
static inline void cr_log_dump(int fd)
{
	char buf[4096];
	off_t off = 0;
	int last = '\n';
	ssize_t n;

	if (fd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (cr_write_full(STDERR_FILENO, buf, n) < 0)
			return;
		last = buf[n - 1];
		off += n;
	}
	if (last != '\n')
		cr_write_full(STDERR_FILENO, "\n", 1);
}

/* The splitmix64 finalizer: a well-mixed 64-bit value of @x (test data) */
static inline uint64_t cr_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ---- processes -------------------------------------------------------- */

/* Parse a positive pid; returns -1 if @s is not one. */
static inline pid_t cr_parse_pid(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return -1;
	return v;
}

/* Shell-like exit code for a wait status: status, or 128 + signal. */
static inline int cr_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return CR_EXIT_FAIL;
}

/* waitpid() that retries on EINTR and ignores stops. */
static inline pid_t cr_wait(pid_t pid, int *status)
{
	pid_t ret;

	do {
		ret = waitpid(pid, status, 0);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

/*
 * Signal forwarding to the child a tool waits for. SIGINT and SIGQUIT
 * come from the terminal to the whole foreground process group, so
 * they are only forwarded when the child is not in our group.
 */
static volatile sig_atomic_t cr_fwd_pid;

static inline void cr_fwd_handler(int sig)
{
	int err = errno;
	pid_t pid = cr_fwd_pid;

	if (pid > 0) {
		if ((sig != SIGINT && sig != SIGQUIT) ||
		    getpgid(pid) != getpgrp())
			kill(pid, sig);
	}
	errno = err;
}

static inline void cr_forward_signals(pid_t child)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
	struct sigaction sa;
	unsigned int i;

	cr_fwd_pid = child;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cr_fwd_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

#endif /* _CR_COMMON_H */
