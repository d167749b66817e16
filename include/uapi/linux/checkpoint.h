/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * checkpoint()/restart() system call interface.
 *
 *   long checkpoint(pid_t pid, int fd, unsigned long flags, int logfd);
 *   long restart(pid_t pid, int fd, unsigned long flags, int logfd);
 *
 * See Documentation/checkpoint/usage.rst.
 */
#ifndef _UAPI_LINUX_CHECKPOINT_H
#define _UAPI_LINUX_CHECKPOINT_H

#if defined(__x86_64__) && !defined(__ILP32__)
#ifndef __NR_checkpoint
#define __NR_checkpoint		451
#endif
#ifndef __NR_restart
#define __NR_restart		452
#endif
#endif

/* checkpoint() flags */
#define CHECKPOINT_SUBTREE	0x1	/* not a container: skip leak checks */
#define CHECKPOINT_NETNS	0x2	/* also save the network namespace */
#define CHECKPOINT_USER_FLAGS	(CHECKPOINT_SUBTREE | CHECKPOINT_NETNS)

/* restart() flags */
#define RESTART_TASKSELF	0x1	/* caller restores itself, no coordinator */
#define RESTART_FROZEN		0x2	/* leave restored tasks stopped */
#define RESTART_GHOST		0x4	/* caller is a ghost placeholder */
#define RESTART_KEEP_LSM	0x8	/* restore LSM labels from the image */
#define RESTART_CONN_RESET	0x10	/* reset restored network connections */
#define RESTART_USER_FLAGS	(RESTART_TASKSELF | RESTART_FROZEN | \
				 RESTART_GHOST | RESTART_KEEP_LSM | \
				 RESTART_CONN_RESET)

#endif /* _UAPI_LINUX_CHECKPOINT_H */
