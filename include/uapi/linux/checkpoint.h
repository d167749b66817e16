/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * checkpoint()/restart() system call interface.
 *
 *   long checkpoint(pid_t pid, int fd, unsigned long flags, int logfd);
 *   long restart(pid_t pid, int fd, unsigned long flags, int logfd);
 *
 * The system call numbers are in <asm/unistd.h> (__NR_checkpoint,
 * __NR_restart). Bits not defined here are refused with EINVAL.
 *
 * See Documentation/checkpoint/usage.rst.
 */
#ifndef _UAPI_LINUX_CHECKPOINT_H
#define _UAPI_LINUX_CHECKPOINT_H

/* checkpoint() flags */
#define CHECKPOINT_SUBTREE	0x1	/* not a container: skip leak checks */
/*
 * Pre-copy: a private page that is present and not soft-dirty (not written
 * since the last "echo 4 > /proc/PID/clear_refs") is not written, only its
 * address, in a PAGES_PRECOPIED record: its contents went ahead while the
 * tree ran. The receiver puts them back (restart --receive does).
 */
#define CHECKPOINT_SOFTDIRTY	0x2

/* restart() flags */
#define RESTART_TASKSELF	0x1	/* caller restores itself, no coordinator */
#define RESTART_FROZEN		0x2	/* leave restored tasks stopped */
#define RESTART_CONN_RESET	0x4	/* TCP connections come back reset */

#endif /* _UAPI_LINUX_CHECKPOINT_H */
