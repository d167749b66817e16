/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cr_lib.h - the part of the checkpoint/restart selftests' helpers that
 * needs no test harness: the test context, files, freezers, images, the
 * workload side, tools and logs. cr_lib.c has the code and is linked
 * into every test; cr_util.h adds the helpers that report through the
 * harness (kselftest_harness.h, which a program may include only once).
 */
#ifndef CR_LIB_H
#define CR_LIB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <pthread.h>
#include <linux/sched.h>

#include <linux/checkpoint.h>
#include <linux/checkpoint_hdr.h>

/* the image reader of the tools (user/cr_img.h) */
#include "cr_img.h"

#if !defined(__x86_64__)
#error "the checkpoint/restart selftests are x86_64 only"
#endif
/* as kselftest.h has it, for cr_lib.c, which does not include it */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

/* In the patched kernel's <asm/unistd_64.h>, not yet in the C library's */
#ifndef __NR_checkpoint
#define __NR_checkpoint		451
#endif
#ifndef __NR_restart
#define __NR_restart		452
#endif

/* ---- tunables --------------------------------------------------------- */

#define CR_TEST_TIMEOUT		120	/* harness timeout of every test, s */
#define CR_GO_POLL_NS		10000000L	/* 10 ms between polls */
#define CR_GO_POLLS		6000	/* a workload waits 60 s at most */
#define CR_WAIT_MS		60000	/* the test waits that long for an exit */
#define CR_FREEZE_MS		10000	/* and that long for (un)freezing */

/*
 * Where the freezers are; the environment variables of the same names
 * override them (e.g. CR_CGROUP2_ROOT=/sys/fs/cgroup/unified).
 */
#define CR_CGROUP2_ROOT		"/sys/fs/cgroup"
#define CR_FREEZER_V1_ROOT	"/run/freezer"

/*
 * Exit codes. A workload exits 0 when all its checks pass and with a
 * small distinct code (1..63) for each failed check; codes from 64 up
 * are reserved for the machinery.
 */
#define CR_EXIT_GO_TIMEOUT	64	/* never saw the go file */
#define CR_EXIT_SETUP		65	/* workload could not set itself up */
#define CR_EXIT_RESTART_RETURNED 66	/* restart(0) returned in the child */
#define CR_EXIT_SELF_ORIGINAL	70	/* self-checkpoint: the original */
#define CR_EXIT_HELPER_FAILED	71	/* helper child: its call failed */

/* Highest fd a workload may use; the ready pipe sits just above. */
#define CR_READY_FD		99

/* ---- system calls ----------------------------------------------------- */

long sys_checkpoint(pid_t pid, int fd, unsigned long flags,
		    int logfd);

long sys_restart(pid_t pid, int fd, unsigned long flags,
		 int logfd);

/* ---- context ---------------------------------------------------------- */

enum cr_freezer {
	CR_FREEZER_V2 = 0,	/* cgroup v2 cgroup.freeze */
	CR_FREEZER_V1,		/* cgroup v1 freezer at CR_FREEZER_V1_ROOT */
};

#define CR_PATH_LEN	256

struct cr_ctx {
	bool inited;
	char name[128];			/* "<fixture>-<test>" */
	char img[CR_PATH_LEN];		/* image file */
	char log[CR_PATH_LEN];		/* checkpoint/restart log (logfd) */
	char wlog[CR_PATH_LEN];		/* the workload's stderr */
	char go[CR_PATH_LEN];		/* go marker */
	char data[CR_PATH_LEN];		/* scratch file for the test */
	char data2[CR_PATH_LEN];	/* another one */
	char cg[CR_PATH_LEN];		/* freezer cgroup directory */
	enum cr_freezer freezer;
	bool cg_made;
	int logfd;
	int ready_fd;			/* workload side of the ready pipe */
	pid_t wl_pid;			/* workload (original); 0 once reaped */
	pid_t rs_pid;			/* restarting/restored task */
	pid_t aux_pid;			/* any other helper child */
	long ckpt_id;			/* last id checkpoint() returned */
	/* clone flags of the workload, e.g. CLONE_NEWPID for a container */
	unsigned long spawn_flags;
	/*
	 * fork the restarting task from a thread, so its TLS (FS base)
	 * differs from the workload's
	 */
	bool restart_in_thread;
};

typedef int (*cr_workload_fn)(struct cr_ctx *ctx, void *arg);

/* ---- small utilities --------------------------------------------------- */

void cr_sleep_ms(long ms);

/* Make the compiler forget what it knows about memory reachable from p. */
void cr_barrier(const void *p);

uint64_t cr_xorshift64(uint64_t *s);

/* Fill buf with a pseudo-random pattern derived from seed. */
void cr_fill(void *buf, size_t len, uint64_t seed);

/* Offset of the first byte that differs from cr_fill()'s pattern, or -1. */
ssize_t cr_check_fill(const void *buf, size_t len, uint64_t seed);

/* 64-bit FNV-1a over 8-byte words (len is rounded down to 8). */
uint64_t cr_checksum(const void *buf, size_t len);

/* Offset of the first non-zero byte, or -1. */
ssize_t cr_check_zero(const void *buf, size_t len);

int cr_write_str(const char *path, const char *s);

/* Read up to size - 1 bytes of path into buf, NUL-terminated. */
ssize_t cr_read_str(const char *path, char *buf, size_t size);

int cr_write_all(int fd, const void *buf, size_t len);

/* Read exactly @len bytes from @fd (a pipe, a socket); 0 or -1 */
int cr_read_all(int fd, void *buf, size_t len);

/* Move fd @fd (-1: a call that failed) to number @to; 0 or -1 */
int cr_move_fd(int fd, int to);

/*
 * A whole file (also of /proc or debugfs, which say size 0) in a
 * malloc()ed buffer, NUL ended; NULL on error
 */
void *cr_read_whole(const char *path, size_t *lenp);

int cr_write_whole(const char *path, const void *buf, size_t len);

off_t cr_file_size(const char *path);

/* Does text contain the decimal number n, not as part of a longer number? */
bool cr_text_has_number(const char *text, long n);

const char *cr_exit_code_str(int code);

void cr_status_str(int status, char *buf, size_t size);

/*
 * waitpid() with a deadline. Returns 0 with *status set, or -ETIMEDOUT
 * after killing and reaping the task, or -errno.
 */
int cr_wait_timeout(pid_t pid, int *status, long ms);

/* ---- setup and teardown ------------------------------------------------ */

void cr_unlink_files(struct cr_ctx *ctx);

/* Paths and the log file; no check of the kernel. */

/* The files of a test named ctx->name (also an exec'd workload's) */
void cr_ctx_paths(struct cr_ctx *ctx);

/* ---- freezer ----------------------------------------------------------- */

const char *cr_freezer_root(enum cr_freezer f);

/* Is the cgroup v1 freezer hierarchy mounted where we expect it? */
bool cr_freezer_v1_available(void);

int cr_cg_file(const struct cr_ctx *ctx, const char *file,
	       char *buf, size_t size);

int cr_cg_write(const struct cr_ctx *ctx, const char *file,
		const char *val);

/* Poll until the cgroup reports the wanted state; 0 or -ETIMEDOUT. */
int cr_cg_wait_state(const struct cr_ctx *ctx, bool frozen);

int cr_thaw_ret(struct cr_ctx *ctx);

void cr_thaw_quiet(struct cr_ctx *ctx);

void cr_cgroup_destroy(struct cr_ctx *ctx);

/* ---- the workload side ------------------------------------------------- */

/* Unmap every shared mapping (the harness has one; C/R refuses them). */
void cr_wl_drop_shared_mappings(void);

/*
 * Runs in the workload right after fork(): keep only the ready pipe
 * (moved to CR_READY_FD), make stdin/stdout /dev/null and stderr the
 * append-only file ctx->wlog, drop shared mappings.
 */
void cr_wl_init(struct cr_ctx *ctx, int ready_w);

/* Tell the test the workload is ready: one byte, then EOF. */
void cr_wl_ready(struct cr_ctx *ctx);

/* Wait for the go file; exits with CR_EXIT_GO_TIMEOUT when it never comes. */
void cr_wl_wait_go(struct cr_ctx *ctx);

/* Wait (on a futex) until the int at @w is set, by another task */
void cr_futex_wait_set(int *w);

/* Set the int at @w and wake one waiter of cr_futex_wait_set() */
void cr_futex_set_wake(int *w);

/* Report a failed check on the workload's stderr and return its code. */
#define CR_WL_FAIL(code, fmt, ...) ({ \
	fprintf(stderr, "workload check %d failed: " fmt "\n", \
		(code), ##__VA_ARGS__); \
	(code); \
})

/* ---- the test side ----------------------------------------------------- */

/* Validated image: what the tests need to know about it. */
struct cr_rec {
	uint32_t type;
	uint32_t len;
	uint64_t off;
	uint32_t nr_pages;		/* CKPT_HDR_PAGES */
};

struct cr_image {
	uint64_t size;
	struct ckpt_hdr_header hdr;
	struct cr_rec *recs;
	unsigned int nr_recs;
	char err[CR_PATH_LEN + 256];
};

void cr_image_free(struct cr_image *im);

/* Offset of the n-th (from 0) record of a type, or -1. */
const struct cr_rec *cr_image_find(const struct cr_image *im,
				   uint32_t type, unsigned int n);

/* First PAGES record that carries pages. */
const struct cr_rec *cr_image_pages(const struct cr_image *im);

#define CR_IMG_ERR(im, fmt, ...) ({ \
	snprintf((im)->err, sizeof((im)->err), fmt, ##__VA_ARGS__); \
	-1; \
})

/*
 * Walk the records of an image file and check the framing the format
 * promises: HEADER first (magic, version, arch, page size), HEADER_ARCH
 * second, every length within [8, CKPT_RECORD_MAX] and inside the file,
 * no ERROR record, TAIL last with its magic and the record count.
 * Returns 0, or -1 with im->err set.
 */
int cr_image_scan(const char *path, struct cr_image *im);

/*
 * The path of the linux-cr tool @name (checkpoint, restart, ckptinfo,
 * nsexec): $CR_TOOL_DIR/@name, /usr/bin/@name by default. The string
 * lasts as long as the program; a test checks that it is there with
 * cr_need() (cr_util.h) and skips without it.
 */
const char *cr_tool(const char *name);

/*
 * Run a tool (argv[0] its path) with its standard output and error in
 * the file @out: its wait status, or -1 when it did not finish in time
 */
int cr_run_tool(const char *out, char *const argv[]);

/* Did a tool exit with @code, having printed @said (cr_run_tool())? */
bool cr_tool_said(int status, int code, const char *out,
		  const char *said);

/* Does the c/r log (ctx->log) have @what in it? */
bool cr_log_has(struct cr_ctx *ctx, const char *what);

/*
 * Restart from fd: fork the task to restore (it calls restart(0, fd)
 * and, on success, never returns from it) and coordinate with
 * restart(child, fd). Returns restart()'s result, errno in *err; the
 * child is ctx->rs_pid.
 */
long cr_restart_fd(struct cr_ctx *ctx, int fd,
		   unsigned long flags, int *err);

/* ---- /proc/self/maps --------------------------------------------------- */

struct cr_map {
	unsigned long start, end, offset;
	char perms[8];
	char path[CR_PATH_LEN];
};

/* Find the mapping containing addr in /proc/self/maps; 0 or -1. */
int cr_maps_lookup(const void *addr, struct cr_map *m);

#endif /* CR_LIB_H */
