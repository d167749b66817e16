/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Checkpoint image format.
 *
 * An image is a stream of records. Every record starts with a struct
 * ckpt_hdr giving its type and its total length (header included).
 * All fields are fixed width, in the byte order of the architecture the
 * header names; structs are laid out with explicit padding so that they
 * are the same for every compiler, and reserved and padding fields are
 * zero (restart refuses anything else, so that they can be given a
 * meaning later). No kernel structure is ever written raw.
 *
 * Image layout:
 *   HEADER, HEADER_ARCH, TREE (+ TREE_TASK records),
 *   then for each task in tree order: TASK, its objects and state,
 *   then TAIL.
 * An ERROR record may appear anywhere if checkpoint failed; nothing
 * follows it.
 *
 * Documented in Documentation/checkpoint/image-format.rst.
 */
#ifndef _UAPI_LINUX_CHECKPOINT_HDR_H
#define _UAPI_LINUX_CHECKPOINT_HDR_H

#include <linux/types.h>

#define CKPT_MAGIC		0x31524378756e694cULL	/* "LinuxCR1" */
#define CKPT_TAIL_MAGIC		0x4c494154524b4350ULL	/* "PCKRTAIL" */
#define CKPT_VERSION		1

/* Largest record the kernel writes or accepts. */
#define CKPT_RECORD_MAX		(4U << 20)
/* Pages per CKPT_HDR_PAGES record. */
#define CKPT_PAGES_BATCH	256
#define CKPT_COMM_LEN		16
#define CKPT_UTS_LEN		65
#define CKPT_AUXV_MAX		64
#define CKPT_NSIG		64
/* CPUs a CPU affinity mask of the image may name */
#define CKPT_CPUS_MAX		1024

struct ckpt_hdr {
	__u32 type;
	__u32 len;		/* header + payload, in bytes */
};

/* CKPT_ARCH_*, HEADER_ARCH, CPU and FPU records of this architecture */
#include <asm/checkpoint_hdr.h>

/*
 * Record types, one range per subsystem. A new record takes the next
 * free number of its range; a number is never given to another record.
 *
 *     1- 99  image framing and the process tree
 *   100-199  task: TASK, credentials, namespaces
 *   200-299  architecture: <asm/checkpoint_hdr.h>
 *   300-399  files, fs
 *   400-499  memory
 *   500-599  SysV IPC
 *   600-699  signals
 *   700-799  (network)
 */
enum ckpt_hdr_type {
	CKPT_HDR_HEADER = 1,
	CKPT_HDR_STRING,	/* NUL terminated string follows */
	CKPT_HDR_OBJREF,	/* reference to an object already saved */
	CKPT_HDR_TREE = 10,
	CKPT_HDR_TREE_TASK,
	CKPT_HDR_TAIL = 98,
	CKPT_HDR_ERROR = 99,

	CKPT_HDR_TASK = 100,
	CKPT_HDR_CRED,
	CKPT_HDR_UTS_NS,

	CKPT_HDR_FILE_TABLE = 300,
	CKPT_HDR_FD_ENT,
	CKPT_HDR_FILE,
	CKPT_HDR_FS,
	CKPT_HDR_FILE_DATA,
	CKPT_HDR_FILE_LOCK,
	CKPT_HDR_PIPE,
	CKPT_HDR_PIPE_BUF,
	CKPT_HDR_EVENTFD,
	CKPT_HDR_SIGNALFD,
	CKPT_HDR_TIMERFD,
	CKPT_HDR_EPOLL,
	CKPT_HDR_EPOLL_WATCH,
	CKPT_HDR_INOTIFY,
	CKPT_HDR_INOTIFY_WATCH,
	CKPT_HDR_INOTIFY_EVENT,

	CKPT_HDR_MM = 400,
	CKPT_HDR_VMA,
	CKPT_HDR_PAGES,
	CKPT_HDR_SHMEM,
	CKPT_HDR_SHM_ATTACH,
	CKPT_HDR_PAGES_PRECOPIED,

	CKPT_HDR_IPC_NS = 500,
	CKPT_HDR_IPC_SHM,
	CKPT_HDR_IPC_SEM,
	CKPT_HDR_IPC_MSQ,
	CKPT_HDR_IPC_MSG,
	CKPT_HDR_SYSVSEM,
	CKPT_HDR_SEM_UNDO,
	CKPT_HDR_SEM_ADJ,

	CKPT_HDR_UNIX_FILE = 700,
	CKPT_HDR_UNIX_PAIR,
	CKPT_HDR_UNIX_SOCK,
	CKPT_HDR_UNIX_SKB,
	CKPT_HDR_INET_SOCK,
	CKPT_HDR_NET_NS,
	CKPT_HDR_NET_ADDR,
	CKPT_HDR_TCP_PAIR,
	CKPT_HDR_TCP_CONN,
	CKPT_HDR_TCP_DATA,
	CKPT_HDR_UNIX_LONE,
	CKPT_HDR_UNIX_ADDR,
	CKPT_HDR_UNIX_LISTEN,

	CKPT_HDR_SIGHAND = 600,
	CKPT_HDR_SIGNAL,
	CKPT_HDR_SIGMASK,
	CKPT_HDR_SIGINFO,
	CKPT_HDR_POSIX_TIMER,
};

/* Object types of the object hash (objref tags). */
enum ckpt_obj_type {
	CKPT_OBJ_NONE = 0,
	CKPT_OBJ_MM,
	CKPT_OBJ_FILE_TABLE,
	CKPT_OBJ_FILE,
	CKPT_OBJ_FS,
	CKPT_OBJ_SIGHAND,
	CKPT_OBJ_CRED,
	CKPT_OBJ_SIGNAL,
	CKPT_OBJ_UTS_NS,
	CKPT_OBJ_SHMEM,
	CKPT_OBJ_FILE_DATA,
	CKPT_OBJ_IPC_NS,
	CKPT_OBJ_SEM_UNDO,
	CKPT_OBJ_SHM_ATTACH,
	CKPT_OBJ_PIPE,
	CKPT_OBJ_UNIX_PAIR,
	CKPT_OBJ_NET_NS,
	CKPT_OBJ_TCP_PAIR,
	CKPT_OBJ_UNIX_LISTEN,
	CKPT_OBJ_MAX
};

/* CKPT_HDR_HEADER flags, beyond the checkpoint() flags in the low bits */
#define CKPT_IMAGE_SELF		(1U << 16)	/* self-checkpoint image */
#define CKPT_IMAGE_CONTAINER	(1U << 17)	/* root is init of its pid ns */
#define CKPT_IMAGE_OWN_UTS	(1U << 18)	/* root has its own UTS ns */
#define CKPT_IMAGE_OWN_IPC	(1U << 19)	/* ... IPC ns */
#define CKPT_IMAGE_OWN_MNT	(1U << 20)	/* ... mount ns */
#define CKPT_IMAGE_OWN_NET	(1U << 21)	/* ... network ns */

struct ckpt_hdr_header {
	struct ckpt_hdr h;
	__u64 magic;
	__u16 version;
	__u16 arch;
	__u32 page_size;
	__u32 flags;
	__u32 nr_tasks;		/* repeated from TREE for quick inspection */
	__u64 id;		/* checkpoint id returned by checkpoint() */
	__s64 time_sec;		/* CLOCK_REALTIME at checkpoint */
	__u32 time_nsec;
	__s32 root_pid;		/* root pid as seen by the checkpointer */
	char sysname[CKPT_UTS_LEN];
	char nodename[CKPT_UTS_LEN];
	char release[CKPT_UTS_LEN];
	char version_str[CKPT_UTS_LEN];
	char machine[CKPT_UTS_LEN];
	char domainname[CKPT_UTS_LEN];
	__u8 pad[2];
};

struct ckpt_hdr_string {
	struct ckpt_hdr h;
	/* followed by the string and its NUL, h.len - 8 bytes in all */
};

struct ckpt_hdr_objref {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 objtype;		/* enum ckpt_obj_type */
};

struct ckpt_hdr_tree {
	struct ckpt_hdr h;
	__u32 nr_tasks;		/* CKPT_HDR_TREE_TASK records that follow */
	__u32 pad;
};

/* ckpt_hdr_tree_task.flags */
#define CKPT_TREE_THREAD	0x1	/* not the thread-group leader */
#define CKPT_TREE_ZOMBIE	0x2	/* dead, not yet reaped: no task state */
#define CKPT_TREE_GHOST		0x4	/* placeholder for a dead sid/pgid */
#define CKPT_TREE_ROOT		0x8
#define CKPT_TREE_SUBREAPER	0x10	/* PR_SET_CHILD_SUBREAPER was set */
#define CKPT_TREE_FLAGS		0x1f

/*
 * One task of the tree. Pids are numbers in the image's pid namespace:
 * the root's own namespace when the root is its init (a container),
 * else the namespace of the root. sid or pgid 0: the session or group
 * is outside the tree (a subtree), the restarted tree keeps the
 * restarter's.
 */
struct ckpt_hdr_tree_task {
	struct ckpt_hdr h;
	__s32 pid;
	__s32 tgid;
	__s32 ppid;		/* 0 for the root */
	__s32 sid;
	__s32 pgid;
	__u32 flags;
	__s32 exit_code;	/* zombies: wait status of the dead task */
	__u32 pad;
};

struct ckpt_hdr_task {
	struct ckpt_hdr h;
	__s32 pid;
	__u32 exit_signal;
	__s32 exit_code;
	__u32 flags;		/* CKPT_TASK_* */
	char comm[CKPT_COMM_LEN];
	__u64 personality;
	__u64 rseq;		/* registered rseq area, 0 if none */
	__u32 rseq_sig;
	__s32 nice;		/* -20..19 */
	__u64 robust_list;	/* set_robust_list() head */
	__u64 clear_child_tid;	/* set_tid_address() */
	/*
	 * A wait the task was frozen in and goes on with after restart: a
	 * relative nanosleep()/clock_nanosleep() (on CLOCK_MONOTONIC,
	 * BOOTTIME or TAI), a poll() (CLOCK_MONOTONIC) or a futex wait with
	 * a timeout (CLOCK_MONOTONIC, or CLOCK_REALTIME: sleep_remaining is
	 * then its deadline, ns since the epoch)
	 */
	__u32 sleep_flags;	/* CKPT_SLEEP_*, 0: not in such a wait */
	__s32 sleep_clockid;	/* the clock of the wait */
	__s64 sleep_remaining;	/* ns it still had to wait */
	__u64 sleep_rmtp;	/* nanosleep: where it wants the time left */
	__u64 sleep_uaddr;	/* poll: its pollfd array; futex: the futex */
	__u32 sleep_val;	/* poll: nfds; futex: the value waited for */
	__u32 sleep_bitset;	/* futex: the bitset of FUTEX_WAIT_BITSET */
	__u32 pdeath_signal;	/* PR_SET_PDEATHSIG, 0: none */
	__u32 nr_cpus;		/* bits of cpus_allowed used */
	__u64 cpus_allowed[CKPT_CPUS_MAX / 64];	/* CPU affinity */
	__u32 policy;		/* SCHED_OTHER, _BATCH, _IDLE, _FIFO or _RR */
	__u32 rt_priority;	/* SCHED_FIFO, SCHED_RR: 1..99; else 0 */
	__u64 timer_slack_ns;	/* PR_SET_TIMERSLACK */
	__u64 default_timer_slack_ns;	/* what PR_SET_TIMERSLACK 0 gives */
};

/* ckpt_hdr_task.flags */
#define CKPT_TASK_NO_NEW_PRIVS	0x1	/* PR_SET_NO_NEW_PRIVS */
#define CKPT_TASK_RESET_ON_FORK	0x2	/* SCHED_RESET_ON_FORK */

/* ckpt_hdr_task.sleep_flags: ACTIVE, and POLL or FUTEX (else nanosleep) */
#define CKPT_SLEEP_ACTIVE	0x1
#define CKPT_SLEEP_RMTP		0x2	/* nanosleep: sleep_rmtp is set */
#define CKPT_SLEEP_POLL		0x4	/* in poll() */
#define CKPT_SLEEP_NO_TIMEOUT	0x8	/* poll() without a timeout */
#define CKPT_SLEEP_FUTEX	0x10	/* in a futex wait with a timeout */
#define CKPT_SLEEP_SHARED	0x20	/* futex: not FUTEX_PRIVATE_FLAG */

struct ckpt_sigaction {
	__u64 handler;
	__u64 flags;
	__u64 restorer;
	__u64 mask;
};

struct ckpt_hdr_sighand {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 pad;
	struct ckpt_sigaction action[CKPT_NSIG];
};

/*
 * A UTS namespace; own: it is not the checkpointer's, so the restarted
 * tree needs a new one where these names are set.
 */
struct ckpt_hdr_uts_ns {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 own;
	char nodename[CKPT_UTS_LEN];
	char domainname[CKPT_UTS_LEN];
	__u8 pad[6];
};

#define CKPT_RLIM_NLIMITS	16

struct ckpt_rlimit {
	__u64 cur;
	__u64 max;		/* ~0ULL: RLIM_INFINITY */
};

/* Process-wide (signal struct) state: resource limits and ITIMER_REAL */
struct ckpt_hdr_signal {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 nr_rlim;		/* entries of rlim used */
	struct ckpt_rlimit rlim[CKPT_RLIM_NLIMITS];
	__u64 it_real_value;	/* ns until it fires, 0: not armed */
	__u64 it_real_interval;	/* ns */
	__u64 it_virt_value;	/* ITIMER_VIRTUAL: ns of user CPU time to go */
	__u64 it_virt_interval;
	__u64 it_prof_value;	/* ITIMER_PROF: ns of CPU time to go */
	__u64 it_prof_interval;
	__u32 nr_timers;	/* CKPT_HDR_POSIX_TIMER records that follow */
	__s32 next_timer_id;	/* the id timer_create() gives next */
};

/* ckpt_hdr_posix_timer.flags */
#define CKPT_TIMER_ABSTIME	0x1	/* value is a time of its clock */
#define CKPT_TIMER_REQUEUE	0x2	/* signal pending: re-armed when taken */
#define CKPT_TIMER_FLAGS	0x3

/*
 * A POSIX timer (timer_create()) of the process, in the order of
 * /proc/PID/timers (newest first). clock is the clockid it counts; a
 * CPU-time clock other than the process's own (CLOCK_PROCESS_CPUTIME_ID)
 * names the pid (process) or tid (thread) it counts, as
 * clock_getcpuclockid() and pthread_getcpuclockid() make them. value: ns
 * until it fires (with CKPT_TIMER_ABSTIME, the clock's time when it
 * fires); 0: disarmed. The timer's own queued signal, if it is pending,
 * is the SIGINFO record with CKPT_SIGINFO_TIMER.
 */
struct ckpt_hdr_posix_timer {
	struct ckpt_hdr h;
	__s32 id;		/* timer_t, as the process knows it */
	__s32 clock;
	__s32 notify;		/* sigev_notify: SIGEV_SIGNAL, NONE, THREAD_ID */
	__s32 signo;		/* sigev_signo */
	__u64 sigval;		/* sigev_value */
	__s32 tid;		/* SIGEV_THREAD_ID: the thread it signals */
	__u32 flags;		/* CKPT_TIMER_* */
	__u64 value;
	__u64 interval;		/* ns */
	__s64 overrun;		/* expirations missed since its last signal */
	__s64 overrun_last;	/* what timer_getoverrun() returns */
};

/*
 * Per-task signal state: blocked mask, alternate signal stack, and the
 * signals pending for the task and (with the thread-group leader only)
 * for its whole thread group. nr_siginfo SIGINFO records follow: the
 * queued siginfo of those signals, in queue order. A pending signal
 * without one is delivered as the kernel does when its queue entry
 * could not be allocated (SI_USER, pid and uid 0).
 */
struct ckpt_hdr_sigmask {
	struct ckpt_hdr h;
	__u64 blocked;
	__u64 sas_ss_sp;
	__u64 sas_ss_size;
	__u32 sas_ss_flags;
	__u32 nr_siginfo;	/* CKPT_HDR_SIGINFO records that follow */
	__u64 pending;
	__u64 shared_pending;
};

#define CKPT_SIGINFO_SIZE	128

/* ckpt_hdr_siginfo.flags */
#define CKPT_SIGINFO_TIMER	0x1	/* the own queue entry of timer si_tid */

/*
 * One queued signal: its siginfo_t as rt_tgsigqueueinfo() takes it and
 * sigwaitinfo() returns it; shared: queued for the thread group.
 */
struct ckpt_hdr_siginfo {
	struct ckpt_hdr h;
	__u32 shared;
	__u32 flags;		/* CKPT_SIGINFO_* */
	__u8 info[CKPT_SIGINFO_SIZE];
};

struct ckpt_hdr_mm {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 nr_vmas;		/* CKPT_HDR_VMA records that follow */
	__u64 start_code, end_code, start_data, end_data;
	__u64 start_brk, brk, start_stack;
	__u64 arg_start, arg_end, env_start, env_end;
	__u64 vdso;		/* vDSO text address, 0 if none */
	__u32 nr_auxv;		/* u64 words used in auxv */
	__u32 has_exe;		/* enum ckpt_mm_exe: what names the executable */
	__u32 def_flags;	/* CKPT_MM_*: defaults of new mappings */
	__u32 dumpable;		/* PR_SET_DUMPABLE: 0, 1 or 2 (root only) */
	__u32 coredump_filter;	/* /proc/PID/coredump_filter bits */
	__u32 pad;
	__u64 auxv[CKPT_AUXV_MAX];
};

/* ckpt_hdr_mm.def_flags */
#define CKPT_MM_LOCK_FUTURE	0x1	/* mlockall(MCL_FUTURE) */
#define CKPT_MM_THP_DISABLE	0x2	/* prctl(PR_SET_THP_DISABLE) */
#define CKPT_MM_LOCK_ONFAULT	0x4	/* with _LOCK_FUTURE: MCL_ONFAULT */

/* ckpt_hdr_mm.has_exe */
enum ckpt_mm_exe {
	CKPT_EXE_NONE = 0,
	CKPT_EXE_PATH,		/* a CKPT_HDR_STRING with its path follows */
	CKPT_EXE_DATA,		/* deleted or a memfd: its FILE_DATA follows */
	CKPT_EXE_MAX
};

/* ckpt_hdr_vma.prot and .flags */
#define CKPT_VMA_READ		0x1
#define CKPT_VMA_WRITE		0x2
#define CKPT_VMA_EXEC		0x4
#define CKPT_VMA_SHARED		0x8
#define CKPT_VMA_GROWSDOWN	0x10
#define CKPT_VMA_NORESERVE	0x20	/* MAP_NORESERVE: no commit charge */
/* madvise() state */
#define CKPT_VMA_DONTFORK	0x40	/* MADV_DONTFORK */
#define CKPT_VMA_DONTDUMP	0x80	/* MADV_DONTDUMP */
#define CKPT_VMA_WIPEONFORK	0x100	/* MADV_WIPEONFORK */
#define CKPT_VMA_SEQ_READ	0x200	/* MADV_SEQUENTIAL */
#define CKPT_VMA_RAND_READ	0x400	/* MADV_RANDOM */
#define CKPT_VMA_LOCKED		0x800	/* mlock(), MAP_LOCKED */
#define CKPT_VMA_HUGEPAGE	0x1000	/* MADV_HUGEPAGE */
#define CKPT_VMA_NOHUGEPAGE	0x2000	/* MADV_NOHUGEPAGE */
#define CKPT_VMA_MERGEABLE	0x4000	/* MADV_MERGEABLE (KSM) */
#define CKPT_VMA_LOCKONFAULT	0x8000	/* with _LOCKED: MLOCK_ONFAULT */
#define CKPT_VMA_MAYWRITE	0x10000	/* with _SHARED: its file is writable */

/* ckpt_hdr_vma.vma_type */
enum ckpt_vma_type {
	CKPT_VMA_ANON = 1,	/* private anonymous (heap, stack, ...) */
	CKPT_VMA_FILE,		/* file mapping; a CKPT_HDR_STRING path follows */
	CKPT_VMA_SHMEM,		/* shared anonymous memory; its object follows */
	CKPT_VMA_FILE_DATA,	/* memfd or deleted file; its FILE_DATA follows */
	CKPT_VMA_SYSVSHM,	/* SysV shared memory; a SHM_ATTACH follows */
	CKPT_VMA_TYPE_MAX
};

struct ckpt_hdr_vma {
	struct ckpt_hdr h;
	__u64 start;
	__u64 end;
	__u64 pgoff;		/* file offset in pages */
	__u32 flags;		/* CKPT_VMA_* */
	__u32 vma_type;
};

/*
 * Page contents of one mm, after all its VMAs: any number of PAGES
 * records, the last one with nr_pages == 0. Payload: nr_pages u64
 * addresses, then nr_pages pages of page_size bytes.
 */
struct ckpt_hdr_pages {
	struct ckpt_hdr h;
	__u32 nr_pages;
	__u32 pad;
};

/*
 * PAGES_PRECOPIED (struct ckpt_hdr_pages, checkpoint() with
 * CHECKPOINT_SOFTDIRTY): among the PAGES records of an mm, after the
 * PAGES record of the same walk batch if that batch saved any page, and
 * before the list's last (empty) PAGES record: nr_pages u64 addresses of
 * pages whose contents are not in the image, as they were sent before
 * the freeze. The addresses of a batch's two records together ascend,
 * above those of every record before them. Restart refuses the record;
 * the receiver of the pre-copy replaces it with PAGES records.
 */

/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS): one object for
 * all the mappings of it, in every task, found after the VMA record of
 * the first mapping; the others have an OBJREF there. Its contents
 * follow as PAGES records whose addresses are byte offsets into the
 * object, the last one with nr_pages == 0. Pages never written are
 * not saved (they read as zeroes).
 */
struct ckpt_hdr_shmem {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 pad;
	__u64 size;		/* bytes, a multiple of page_size */
};

/* ckpt_hdr_shm_attach.flags */
#define CKPT_SHM_ATTACH_RDONLY	0x1	/* shmat(SHM_RDONLY): never writable */

/*
 * What a CKPT_VMA_SYSVSHM mapping maps: one shmat() of the segment of the
 * tree's IPC namespace with this id (its contents are saved with the
 * namespace). The VMAs of one shmat() (split, moved, inherited by fork())
 * name one object: an OBJREF after the first.
 */
struct ckpt_hdr_shm_attach {
	struct ckpt_hdr h;
	__s32 objref;
	__s32 shmid;
	__u32 flags;		/* CKPT_SHM_ATTACH_* */
	__u32 pad;
};

struct ckpt_hdr_file_table {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 nr_fds;		/* CKPT_HDR_FD_ENT (+ file) pairs follow */
	__u32 nr_locks;		/* then POSIX record locks: CKPT_HDR_FILE_LOCK */
	__u32 pad;
};

#define CKPT_FD_CLOEXEC		0x1

struct ckpt_hdr_fd_ent {
	struct ckpt_hdr h;
	__s32 fd;
	__u32 flags;		/* CKPT_FD_* */
	/* followed by a CKPT_HDR_FILE or a CKPT_HDR_OBJREF */
};

enum ckpt_file_type {
	CKPT_FILE_REG = 1,	/* regular file or directory, reopened by path */
	CKPT_FILE_CHR,		/* character device, reopened by path */
	CKPT_FILE_INHERIT,	/* standard stream kept from the restarter */
	CKPT_FILE_DATA,		/* memfd or deleted file; its FILE_DATA follows */
	CKPT_FILE_PIPE,		/* end of a pipe; its PIPE follows */
	CKPT_FILE_FIFO,		/* open FIFO (named pipe); its PIPE follows */
	CKPT_FILE_EVENTFD,	/* eventfd; an EVENTFD record follows */
	CKPT_FILE_SIGNALFD,	/* signalfd; a SIGNALFD record follows */
	CKPT_FILE_TIMERFD,	/* timerfd; a TIMERFD record follows */
	CKPT_FILE_UNIX,		/* unix socket; UNIX_FILE, then its pair */
	CKPT_FILE_INET,		/* TCP or UDP socket; an INET_SOCK follows */
	CKPT_FILE_EPOLL,	/* epoll instance; EPOLL and its watches follow */
	CKPT_FILE_INOTIFY,	/* inotify instance; INOTIFY and the rest */
	CKPT_FILE_OPATH,	/* O_PATH fd of a FIFO, socket, device, link */
	CKPT_FILE_TYPE_MAX
};

struct ckpt_hdr_file {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 file_type;	/* enum ckpt_file_type */
	__u32 f_flags;		/* open(2) flags */
	__s32 inherit_fd;	/* INHERIT: the restarter's fd (0, 1 or 2) */
	__s64 f_pos;
	__u32 i_mode;		/* file type and permission bits */
	__u32 nr_locks;		/* flock() and OFD locks held through it */
	/* REG, CHR, OPATH: a CKPT_HDR_STRING path follows; DATA: FILE_DATA */
	/* PIPE, FIFO: its CKPT_HDR_PIPE (or an OBJREF to it) follows */
	/* EVENTFD, SIGNALFD, TIMERFD: its record of that name */
	/* UNIX: UNIX_FILE, then its CKPT_HDR_UNIX_PAIR (or an OBJREF) */
	/* INET: an INET_SOCK record */
	/* EPOLL: an EPOLL record, then nr_watches EPOLL_WATCH records */
	/* INOTIFY: an INOTIFY record, its watches and its events */
	/* then nr_locks CKPT_HDR_FILE_LOCK records */
};

/* ckpt_hdr_pipe.kind */
enum ckpt_pipe_kind {
	CKPT_PIPE_ANON = 1,	/* made by pipe(2) */
	CKPT_PIPE_FIFO,		/* a FIFO: a CKPT_HDR_STRING path follows */
	CKPT_PIPE_KIND_MAX
};

/*
 * A pipe or FIFO: one object for all the open files of it. Then nr_bufs
 * PIPE_BUF records with the unread data, oldest first.
 */
struct ckpt_hdr_pipe {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 kind;		/* enum ckpt_pipe_kind */
	__u32 nr_slots;		/* its size in pages (F_GETPIPE_SZ) */
	__u32 nr_bufs;		/* buffers in use, at most nr_slots */
};

#define CKPT_PIPE_BUF_PACKET	0x1	/* written in packet mode (O_DIRECT) */
#define CKPT_PIPE_BUF_MERGE	0x2	/* a write may append to it */

/* One buffer of unread pipe data: len bytes (1 to a page) follow */
struct ckpt_hdr_pipe_buf {
	struct ckpt_hdr h;
	__u32 len;
	__u32 flags;		/* CKPT_PIPE_BUF_* */
};

#define CKPT_EVENTFD_SEMAPHORE	0x1	/* EFD_SEMAPHORE */

/* An eventfd, after its FILE */
struct ckpt_hdr_eventfd {
	struct ckpt_hdr h;
	__u64 count;		/* its counter, below 2^64 - 1 */
	__u32 flags;		/* CKPT_EVENTFD_* */
	__u32 pad;
};

/* A signalfd, after its FILE */
struct ckpt_hdr_signalfd {
	struct ckpt_hdr h;
	__u64 sigmask;		/* the signals it reads: bit N-1 for signal N */
};

/* An epoll instance, after its FILE */
struct ckpt_hdr_epoll {
	struct ckpt_hdr h;
	__u32 nr_watches;	/* EPOLL_WATCH records that follow */
	__u32 pad;
};

/*
 * A watch of an epoll instance: the open file watched (the objref of its
 * FILE) through fd of the files table the instance is first saved with.
 */
struct ckpt_hdr_epoll_watch {
	struct ckpt_hdr h;
	__s32 fd;
	__u32 events;		/* EPOLLIN, ..., EPOLLET, EPOLLONESHOT, ... */
	__u64 data;
	__s32 file;		/* objref of the FILE watched */
	__u32 pad;
};

/*
 * An inotify instance, after its FILE: nr_events INOTIFY_EVENT records,
 * the events not read yet, oldest first, then nr_watches INOTIFY_WATCH
 * records, each followed by a STRING, the path of what it watches (as the
 * checkpointer sees it). next_wd: where the search for the next free
 * watch descriptor starts.
 */
struct ckpt_hdr_inotify {
	struct ckpt_hdr h;
	__u32 nr_watches;
	__u32 nr_events;
	__s32 next_wd;
	__u32 pad;
};

/* A watch: its descriptor, and its IN_* events and flags */
struct ckpt_hdr_inotify_watch {
	struct ckpt_hdr h;
	__s32 wd;
	__u32 mask;		/* IN_ALL_EVENTS, IN_EXCL_UNLINK, IN_ONESHOT */
};

/* An event not read yet, its name_len bytes of name following (no NUL) */
struct ckpt_hdr_inotify_event {
	struct ckpt_hdr h;
	__s32 wd;		/* -1 for a queue overflow */
	__u32 mask;
	__u32 cookie;
	__u32 name_len;
};

#define CKPT_TIMERFD_ABSTIME		0x1	/* TFD_TIMER_ABSTIME */
#define CKPT_TIMERFD_CANCEL_ON_SET	0x2	/* TFD_TIMER_CANCEL_ON_SET */

/*
 * A timerfd, after its FILE. Its next expiry is the time left to it, but
 * the wall-clock time of it when it was set with an absolute time on a
 * CLOCK_REALTIME clock.
 */
struct ckpt_hdr_timerfd {
	struct ckpt_hdr h;
	__s32 clockid;		/* CLOCK_{MONOTONIC,REALTIME,BOOTTIME}[_ALARM] */
	__u32 flags;		/* CKPT_TIMERFD_*, as it was last set */
	__s64 value_ns;		/* next expiry, 0: disarmed */
	__s64 interval_ns;	/* 0: one-shot */
	__u64 ticks;		/* expiries not read yet */
};

/* ckpt_hdr_file_lock.kind */
enum ckpt_lock_kind {
	CKPT_LOCK_FLOCK = 1,	/* flock(), held by the open file */
	CKPT_LOCK_OFD,		/* F_OFD_SETLK, held by the open file */
	CKPT_LOCK_POSIX,	/* F_SETLK, held by the files table */
	CKPT_LOCK_KIND_MAX
};

/* At most this many locks per open file or files table */
#define CKPT_LOCKS_MAX		1024

/*
 * A file lock: after the FILE it is held through (flock, OFD), or after
 * the FD_ENT records of the files table that holds it (POSIX).
 */
struct ckpt_hdr_file_lock {
	struct ckpt_hdr h;
	__u32 kind;		/* enum ckpt_lock_kind */
	__u32 type;		/* F_RDLCK or F_WRLCK */
	__s64 start;		/* first byte (flock: 0) */
	__s64 len;		/* bytes; 0: to the end of the file, as it grows */
	__s32 fd;		/* POSIX: the fd it is taken again through */
	__u32 pad;
};

/* ckpt_hdr_file_data.kind */
enum ckpt_file_data_kind {
	CKPT_FDATA_MEMFD = 1,	/* made by memfd_create() */
	CKPT_FDATA_DELETED,	/* a regular file unlinked while open or mapped */
	CKPT_FDATA_KIND_MAX
};

/*
 * The contents of a file that no path reaches: one object per inode for
 * all its open files, its mappings and an executable. A STRING follows:
 * for a memfd its name as memfd_create() made it ("memfd:..."), for a
 * deleted file the directory it was in (where the restarted copy is
 * made, unlinked, with O_TMPFILE). Then its contents as PAGES records
 * addressed by byte offset, the last one with nr_pages == 0; holes and
 * pages never written are not saved.
 */
struct ckpt_hdr_file_data {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 kind;		/* enum ckpt_file_data_kind */
	__u64 size;		/* bytes */
	__u32 mode;		/* permission bits (07777) */
	__u32 seals;		/* memfd: F_SEAL_* */
	__u32 uid, gid;		/* owner, ids of the checkpointer's user ns */
};

/*
 * Credentials, as ids of the checkpointer's user namespace, with the
 * capability sets and securebits; ngroups supplementary group ids (u32)
 * follow.
 */
struct ckpt_hdr_cred {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 ngroups;
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
	/* capability sets, bit N for capability N */
	__u64 cap_inheritable, cap_permitted, cap_effective, cap_bset;
	__u64 cap_ambient;
	__u32 securebits;	/* SECBIT_* of prctl(PR_SET_SECUREBITS) */
	__u32 pad;
};

/* cwd and root directory: two CKPT_HDR_STRING paths follow, root first */
struct ckpt_hdr_fs {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 umask;
};

/*
 * Unix sockets (700-).
 *
 * A socket of a connected pair (socketpair(), a connection accepted from
 * a listening socket, or one to a socket whose process closed it) is a
 * FILE with UNIX_FILE after it: which end of the pair it is. The pair is
 * one object: UNIX_PAIR, then a UNIX_SOCK record for end 0 and one for
 * end 1 (each followed by a UNIX_ADDR when CKPT_UNIX_NAMED), then the
 * receive queue of end 0 and that of end 1: nr_skbs UNIX_SKB records
 * each (what the other end sent and it did not read yet), oldest first.
 *
 * A socket with no peer (only made, bound, or listening with no
 * connection waiting) is a FILE with UNIX_FILE of end CKPT_UNIX_LONE,
 * then UNIX_LONE, its UNIX_SOCK (no messages) and, when bound, its
 * UNIX_ADDR.
 */
#define CKPT_UNIX_LONE		2	/* ckpt_hdr_unix_file.end: no peer */
#define CKPT_UNIX_LISTENER	3	/* ... listening, connections waiting */
#define CKPT_UNIX_PENDING	4	/* ... a client not accepted yet */

struct ckpt_hdr_unix_file {
	struct ckpt_hdr h;
	__u32 end;		/* 0 or 1, or CKPT_UNIX_LONE, ... */
	__u32 conn;		/* PENDING: which connection of the listener */
};

/*
 * A listening socket with connections waiting to be accepted, whose
 * clients are all in the tree: one object for the listener and its
 * clients, after the FILE of either (UNIX_FILE of end LISTENER or
 * PENDING). UNIX_LISTEN, the listener's UNIX_SOCK and UNIX_ADDR, then
 * for each connection, in the order accept() takes them: the client's
 * UNIX_SOCK (no messages: nothing can be sent to it yet), the UNIX_SOCK
 * of the socket accept() will give (its nr_skbs: what the client sent),
 * and that many UNIX_SKB records.
 */
struct ckpt_hdr_unix_listen {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 type;		/* SOCK_STREAM or SOCK_SEQPACKET */
	__u32 backlog;		/* listen()'s backlog */
	__u32 mode;		/* bound to a path: the socket file's mode */
	__u32 nr_conns;
	__u32 pad;
};

/* ckpt_hdr_unix_lone.state */
enum ckpt_unix_lone_state {
	CKPT_UNIX_MADE = 1,	/* made by socket(), never bound */
	CKPT_UNIX_BOUND,	/* bound to its UNIX_ADDR */
	CKPT_UNIX_LISTEN,	/* bound and listening, no connection waiting */
	CKPT_UNIX_LONE_STATE_MAX
};

struct ckpt_hdr_unix_lone {
	struct ckpt_hdr h;
	__u32 type;		/* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
	__u32 state;		/* enum ckpt_unix_lone_state */
	__u32 backlog;		/* LISTEN: listen()'s backlog */
	__u32 mode;		/* bound to a path: the socket file's mode */
};

/*
 * The address of a socket: len bytes of sun_path, a path (NUL included)
 * or an abstract name (a NUL, then the name). A socket bound to it holds
 * the name; one accepted from a listening socket only shows it.
 */
struct ckpt_hdr_unix_addr {
	struct ckpt_hdr h;
	__u32 len;
	__u32 pad;
	__u8 path[108];
	__u8 pad2[4];
};

struct ckpt_hdr_unix_pair {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 type;		/* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
};

#define CKPT_UNIX_PASSCRED	0x1	/* SO_PASSCRED */
#define CKPT_UNIX_SNDBUF_SET	0x2	/* SO_SNDBUF was set: sndbuf is kept */
#define CKPT_UNIX_RCVBUF_SET	0x4	/* SO_RCVBUF was set: rcvbuf is kept */
#define CKPT_UNIX_CLOSED	0x8	/* closed by its process (the peer is open) */
#define CKPT_UNIX_NAMED		0x10	/* has an address: a UNIX_ADDR follows */

struct ckpt_hdr_unix_sock {
	struct ckpt_hdr h;
	__u32 flags;		/* CKPT_UNIX_* */
	__u32 shutdown;		/* 1: no more receptions, 2: no more sends */
	__u32 sndbuf;		/* bytes, as SO_SNDBUF reads it */
	__u32 rcvbuf;		/* bytes, as SO_RCVBUF reads it */
	__s32 rcvlowat;		/* SO_RCVLOWAT */
	__s32 peek_off;		/* SO_PEEK_OFF, -1: off */
	__s64 rcvtimeo_ns;	/* SO_RCVTIMEO, 0: none */
	__s64 sndtimeo_ns;	/* SO_SNDTIMEO, 0: none */
	__s32 err;		/* pending error (SO_ERROR), a positive errno */
	__u32 nr_skbs;		/* UNIX_SKB records that follow */
};

/* A message, or stream data, queued for a socket: len bytes follow */
struct ckpt_hdr_unix_skb {
	struct ckpt_hdr h;
	__u32 len;
	__u32 pad;
};

/* ckpt_hdr_inet_sock.state */
enum ckpt_inet_state {
	CKPT_INET_CLOSED = 1,	/* made, perhaps bound; never connected */
	CKPT_INET_LISTEN,	/* TCP, listening, no connection pending */
	CKPT_INET_CONNECTED,	/* UDP, connected */
	CKPT_INET_ESTABLISHED,	/* TCP connection; restored reset or refused */
	CKPT_INET_PAIRED,	/* TCP connection, both ends in the tree */
	CKPT_INET_STATE_MAX
};

#define CKPT_INET_BOUND		0x1	/* bound to its local address */
#define CKPT_INET_REUSEADDR	0x2	/* SO_REUSEADDR */
#define CKPT_INET_REUSEPORT	0x4	/* SO_REUSEPORT */
#define CKPT_INET_KEEPALIVE	0x8	/* SO_KEEPALIVE */
#define CKPT_INET_BROADCAST	0x10	/* SO_BROADCAST */
#define CKPT_INET_NODELAY	0x20	/* TCP_NODELAY */
#define CKPT_INET_V6ONLY	0x40	/* IPV6_V6ONLY */
#define CKPT_INET_SNDBUF_SET	0x80	/* SO_SNDBUF was set: sndbuf is kept */
#define CKPT_INET_RCVBUF_SET	0x100	/* SO_RCVBUF was set: rcvbuf is kept */
#define CKPT_INET_LINGER	0x200	/* SO_LINGER on, for linger_sec */
#define CKPT_INET_END1		0x400	/* PAIRED: end 1 of its TCP_PAIR */

/*
 * A TCP or UDP socket, IPv4 or IPv6, that has no connection nor data:
 * made again with socket(), its options, bind() and listen() or
 * connect(); or a TCP connection, which restart makes again reset
 * (RESTART_CONN_RESET) or refuses; or one end of a TCP connection whose
 * other end is in the tree too (PAIRED): its TCP_PAIR (or an OBJREF to
 * it) follows. Addresses in network byte order, IPv4 ones in addr[0..3].
 */
struct ckpt_hdr_inet_sock {
	struct ckpt_hdr h;
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 type;		/* SOCK_STREAM (TCP) or SOCK_DGRAM (UDP) */
	__u32 state;		/* enum ckpt_inet_state */
	__u32 flags;		/* CKPT_INET_* */
	__u32 backlog;		/* LISTEN: listen()'s backlog */
	__u32 sndbuf;		/* bytes, as SO_SNDBUF reads it */
	__u32 rcvbuf;		/* bytes, as SO_RCVBUF reads it */
	__s64 rcvtimeo_ns;	/* SO_RCVTIMEO, 0: none */
	__s64 sndtimeo_ns;	/* SO_SNDTIMEO, 0: none */
	__u32 linger_sec;	/* SO_LINGER, with CKPT_INET_LINGER */
	__u32 priority;		/* SO_PRIORITY */
	__u8 local_addr[16];
	__u8 remote_addr[16];	/* CONNECTED */
	__u16 local_port;
	__u16 remote_port;	/* CONNECTED */
	__u32 bound_dev;	/* SO_BINDTOIFINDEX: 0 or 1 (loopback) */
};

/*
 * A TCP connection both ends of which are in the tree, saved once (by the
 * end with the lower address) as both ends were at one instant: a
 * TCP_CONN record for end 0, then end 1, each followed by its TCP_DATA
 * records: first the send queue (write_seq - snd_una bytes: sent and not
 * acknowledged, then not sent yet), then the receive queue (rcv_nxt -
 * copied_seq bytes, not read yet).
 */
struct ckpt_hdr_tcp_pair {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 pad;
};

#define CKPT_TCP_SACK		0x1	/* SACK permitted */
#define CKPT_TCP_TSTAMP		0x2	/* timestamps */
#define CKPT_TCP_WSCALE		0x4	/* window scaling: the scales below */

/*
 * One end of a TCP connection, as TCP repair (TCP_REPAIR, TCP_QUEUE_SEQ,
 * TCP_REPAIR_OPTIONS, TCP_REPAIR_WINDOW, TCP_TIMESTAMP) sets it. Sequence
 * numbers as the end counts them.
 */
struct ckpt_hdr_tcp_conn {
	struct ckpt_hdr h;
	__u32 snd_una;		/* first byte of the send queue */
	__u32 write_seq;	/* its end */
	__u32 copied_seq;	/* first byte of the receive queue */
	__u32 rcv_nxt;		/* its end */
	__u32 snd_wl1;
	__u32 snd_wnd;
	__u32 max_window;
	__u32 rcv_wnd;
	__u32 rcv_wup;
	__u32 mss_clamp;	/* the MSS the peer announced */
	__u32 flags;		/* CKPT_TCP_* */
	__u8 snd_wscale;
	__u8 rcv_wscale;
	__u8 pad[6];
	__u32 timestamp;	/* the timestamp clock, ms */
	__u32 sndbuf;		/* the buffer sizes, as autotuned */
	__u32 rcvbuf;
};

/* Bytes of a queue of a TCP_CONN; the data follows the record */
struct ckpt_hdr_tcp_data {
	struct ckpt_hdr h;
	__u32 len;
	__u32 pad;
};

/*
 * A network namespace, saved once after the IPC namespace of every task.
 * own: it is not the checkpointer's, so the restarted tree needs a new one
 * (the restart tool makes it), set up as follows: the loopback device, up
 * or down (lo_flags: IFF_UP only), its MTU, then nr_addrs NET_ADDR records,
 * its addresses. A namespace with other devices is refused. Not own: the
 * tree runs in the restarter's namespace and nothing is set up.
 */
struct ckpt_hdr_net_ns {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 own;
	__u32 lo_flags;		/* IFF_UP or 0 */
	__u32 lo_mtu;
	__u32 nr_addrs;
	__u32 pad;
};

/*
 * An address of the loopback device, as "ip addr add" gives it: the
 * address in network byte order (IPv4 in addr[0..3]), its prefix length,
 * scope (RT_SCOPE_*) and, IPv4 only, its label (NUL-terminated).
 */
struct ckpt_hdr_net_addr {
	struct ckpt_hdr h;
	__u16 family;		/* AF_INET or AF_INET6 */
	__u8 prefixlen;
	__u8 scope;
	__u32 pad;
	__u8 addr[16];
	char label[16];
};

/*
 * SysV IPC (500-599). The IPC namespace is an object of every task, after
 * its UTS namespace; a namespace the tree owns is saved with its limits and
 * all its objects: IPC_NS, then ids[CKPT_IPC_SHM].nr IPC_SHM records (each
 * followed by its pages: PAGES records, the last one empty), then
 * ids[CKPT_IPC_SEM].nr IPC_SEM records, then ids[CKPT_IPC_MSG].nr IPC_MSQ
 * records, each followed by its nr_msgs IPC_MSG records. Pids are in the
 * image's pid namespace, 0 for none; user and group ids as the
 * checkpointer sees them.
 */
#define CKPT_IPC_SEM		0
#define CKPT_IPC_MSG		1
#define CKPT_IPC_SHM		2
#define CKPT_IPC_NR_IDS		3

/* The ids of one kind of object: the objects and where new ids go on */
struct ckpt_ipc_ids {
	__u32 nr;		/* objects of this kind that follow */
	__u32 seq;		/* sequence number part of the next new id */
	__s32 last_idx;		/* index of the last id given out, or -1 */
	__u32 cursor;		/* where the search for a free index starts */
};

struct ckpt_hdr_ipc_ns {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 own;		/* 0: the checkpointer's; nothing else is saved */
	__u32 sem_ctls[4];	/* kernel.sem: SEMMSL, SEMMNS, SEMOPM, SEMMNI */
	__u32 msg_ctlmax;	/* kernel.msgmax */
	__u32 msg_ctlmnb;	/* kernel.msgmnb */
	__u32 msg_ctlmni;	/* kernel.msgmni */
	__u32 shm_ctlmni;	/* kernel.shmmni */
	__u64 shm_ctlmax;	/* kernel.shmmax */
	__u64 shm_ctlall;	/* kernel.shmall */
	__u32 shm_rmid_forced;	/* kernel.shm_rmid_forced */
	__u32 mq_queues_max;	/* fs.mqueue.* */
	__u32 mq_msg_max;
	__u32 mq_msgsize_max;
	__u32 mq_msg_default;
	__u32 mq_msgsize_default;
	struct ckpt_ipc_ids ids[CKPT_IPC_NR_IDS];
};

/* Owner and permissions of a SysV IPC object */
struct ckpt_ipc_perm {
	__s32 id;
	__s32 key;		/* 0: IPC_PRIVATE */
	__u32 uid, gid;		/* owner */
	__u32 cuid, cgid;	/* creator */
	__u32 mode;		/* the nine permission bits */
	__u32 pad;
};

/* ckpt_hdr_ipc_shm.flags */
#define CKPT_SHM_DEST		0x1	/* IPC_RMID'd: gone at the last detach */

/* A shared memory segment; its pages follow (swapped pages refused) */
struct ckpt_hdr_ipc_shm {
	struct ckpt_hdr h;
	struct ckpt_ipc_perm perm;
	__u64 size;		/* shm_segsz, bytes */
	__s64 atime;		/* shm_atime, ... seconds */
	__s64 dtime;
	__s64 ctime;
	__s32 cpid;		/* shm_cpid */
	__s32 lpid;		/* shm_lpid */
	__s32 creator;		/* its creator, a living task of the tree, or 0 */
	__u32 flags;		/* CKPT_SHM_* */
	__s32 name_key;		/* the key it was made with (its file's name) */
	__u32 pad;
};

/* One semaphore of an array */
struct ckpt_sem {
	__s64 otime;		/* last semop() on it, seconds */
	__s32 semval;
	__s32 sempid;		/* last process that changed it */
};

/* A semaphore array; nsems struct ckpt_sem follow */
struct ckpt_hdr_ipc_sem {
	struct ckpt_hdr h;
	struct ckpt_ipc_perm perm;
	__s64 ctime;
	__u32 nsems;
	__u32 pad;
};

/* A message queue; its nr_msgs messages follow, oldest first */
struct ckpt_hdr_ipc_msq {
	struct ckpt_hdr h;
	struct ckpt_ipc_perm perm;
	__s64 stime;		/* last msgsnd() */
	__s64 rtime;		/* last msgrcv() */
	__s64 ctime;
	__u64 qbytes;		/* msg_qbytes: bytes the queue may hold */
	__s32 lspid;		/* last sender */
	__s32 lrpid;		/* last receiver */
	__u32 nr_msgs;
	__u32 pad;
};

/* A queued message; its size bytes of text follow */
struct ckpt_hdr_ipc_msg {
	struct ckpt_hdr h;
	__s64 mtype;
	__u64 size;
};

/*
 * A task's SysV semaphore state, after its IPC namespace: with undo set,
 * its SEM_UNDO object follows (tasks that share one, as threads do, name
 * the same object); without, the task has none.
 */
struct ckpt_hdr_sysvsem {
	struct ckpt_hdr h;
	__u32 undo;
	__u32 pad;
};

/* The SEM_UNDO adjustments of a task; nr SEM_ADJ records follow */
struct ckpt_hdr_sem_undo {
	struct ckpt_hdr h;
	__s32 objref;
	__u32 nr;
};

/* The adjustments of one array; nsems __s16 follow (then zeros to 8) */
struct ckpt_hdr_sem_adj {
	struct ckpt_hdr h;
	__s32 semid;
	__u32 nsems;
};

struct ckpt_hdr_tail {
	struct ckpt_hdr h;
	__u64 magic;
	__u64 nr_records;	/* records before this one */
};

struct ckpt_hdr_error {
	struct ckpt_hdr h;
	__s32 errno_val;	/* positive errno */
	__u32 pad;
	/* followed by the NUL terminated message */
};

#endif /* _UAPI_LINUX_CHECKPOINT_HDR_H */
