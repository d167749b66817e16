/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MakeForest: rebuild the process tree of a checkpoint image in user
 * space -- every task with its pid, parent, session and process group,
 * threads, zombies and ghost placeholders for dead session and group
 * leaders -- before the tasks enter restart(0, ...).
 *
 * Each rebuilt process, once it forked its own children and threads,
 * writes one byte to the "ready" pipe; the coordinator counts them. Then
 * it closes the "go" pipe: ghosts exit (after their children inherited
 * their session), the root reaps them and every task calls restart(0).
 * If the tree cannot be built, the coordinator writes bytes into the go
 * pipe instead: whoever reads one exits.
 */
#ifndef _CR_FOREST_H
#define _CR_FOREST_H

#include "cr_common.h"
#include "cr_img.h"

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/sched.h>

#define CR_THREAD_STACK	(64 * 1024)
/*
 * The processes of the forest share the tool's address space (CLONE_VM:
 * nothing is copied, restart gives each a fresh one); each runs on a
 * stack of its own, in a slot of f->stacks above a guard page.
 */
#define CR_TASK_STACK	(64 * 1024)
#define CR_TASK_SLOT	(CR_TASK_STACK + 4096)

struct cr_node {
	struct ckpt_hdr_tree_task e;
	int creator;		/* node that forks this one, -1 for the root */
	bool by_ghost;		/* its creator is a ghost that exits later */
	int kids, nr_kids;	/* what it forks: kid[kids..kids+nr_kids-1] */
	int setup[2];		/* pipe to its creator, which waits, or -1 */
};

/* A pid and its node, for the index sorted by pid */
struct cr_pid_node {
	pid_t pid;
	int node;
};

struct cr_forest {
	int n;
	struct cr_node *nodes;
	uint32_t hdr_flags;
	int nr_procs;		/* nodes that report ready (all but threads) */
	int root_lead;		/* the ghost that makes the root, or 0 */
	unsigned long flags;	/* restart flags */
	int kfd, logfd;
	int feed_fd;		/* the tool's end of kfd's pipe, or -1 */
	int ready[2], go[2];
	char *prefix;		/* the image bytes read to learn the tree */
	size_t prefix_len, prefix_size;
	struct cr_pid_node *by_pid;	/* the nodes sorted by pid */
	int *kid;		/* nodes by creator, in the order they are made */
	char *stacks;		/* a CR_TASK_SLOT for each node */
};

/* The forest being grown, for the tasks made on stacks of their own */
static struct cr_forest *cr_forest_of;

static int cr_pid_node_cmp(const void *a, const void *b)
{
	const struct cr_pid_node *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The node of @pid (binary search of f->by_pid), or -1 */
static inline int cr_forest_index(struct cr_forest *f, pid_t pid)
{
	struct cr_pid_node key = { .pid = pid }, *found;

	found = bsearch(&key, f->by_pid, f->n, sizeof(key), cr_pid_node_cmp);
	return found ? found->node : -1;
}

/*
 * The order a task makes what it forks in: ghosts, then group leaders,
 * then the others, then threads (each in image order)
 */
static inline int cr_forest_pass(const struct ckpt_hdr_tree_task *e)
{
	return (e->flags & CKPT_TREE_THREAD) ? 3 :
	       (e->flags & CKPT_TREE_GHOST) ? 0 :
	       e->pgid == e->pid ? 1 : 2;
}

/* f->kid and each node's kids: one counting sort by (creator, pass) */
static inline int cr_forest_kids(struct cr_forest *f)
{
	int *at, i, pass;

	f->kid = calloc(f->n, sizeof(*f->kid));
	at = calloc(f->n + 1, sizeof(*at));
	if (!f->kid || !at) {
		free(at);
		cr_error("out of memory");
		return -1;
	}
	for (i = 1; i < f->n; i++)
		if (f->nodes[i].creator >= 0)
			f->nodes[f->nodes[i].creator].nr_kids++;
	for (i = 0; i < f->n; i++) {
		f->nodes[i].kids = at[i];
		at[i + 1] = at[i] + f->nodes[i].nr_kids;
		at[i] = f->nodes[i].kids;
	}
	for (pass = 0; pass < 4; pass++)
		for (i = 1; i < f->n; i++)
			if (f->nodes[i].creator >= 0 &&
			    cr_forest_pass(&f->nodes[i].e) == pass)
				f->kid[at[f->nodes[i].creator]++] = i;
	free(at);
	return 0;
}

/*
 * Who forks each task: its parent, except for a task whose session is
 * not its parent's: it is forked by the ghost of that session, which
 * exits so that the task is handed to its real parent, the root (init
 * of the container, or a subreaper).
 */
static inline int cr_forest_plan(struct cr_forest *f)
{
	struct ckpt_hdr_tree_task *root = &f->nodes[0].e;
	int i, lead;

	/*
	 * A root in a session whose leader died (a daemon its launcher left
	 * behind): the ghost of that leader is made first, by the tool, and
	 * makes the root, which is handed to the tool (a subreaper).
	 */
	if (root->sid && root->sid != root->pid &&
	    !(f->hdr_flags & CKPT_IMAGE_CONTAINER)) {
		lead = cr_forest_index(f, root->sid);
		if (lead <= 0 || !(f->nodes[lead].e.flags & CKPT_TREE_GHOST)) {
			cr_error("root %d: session %d cannot be rebuilt",
				 root->pid, root->sid);
			return -1;
		}
		f->root_lead = lead;
		f->nodes[lead].creator = -1;
		f->nodes[0].by_ghost = true;
		f->nodes[0].creator = lead;
	}

	for (i = 1; i < f->n; i++) {
		struct cr_node *nd = &f->nodes[i];
		struct ckpt_hdr_tree_task *e = &nd->e;
		int par;

		if (e->flags & CKPT_TREE_THREAD) {
			nd->creator = cr_forest_index(f, e->tgid);
			continue;
		}
		if (i == f->root_lead)
			continue;
		par = cr_forest_index(f, e->ppid);
		if (par < 0 || (f->nodes[par].e.flags & CKPT_TREE_THREAD)) {
			cr_error("pid %d: parent %d is not in the image",
				 e->pid, e->ppid);
			return -1;
		}
		nd->creator = par;
		if (!e->sid || e->sid == e->pid ||
		    e->sid == f->nodes[par].e.sid)
			continue;
		lead = cr_forest_index(f, e->sid);
		if (par != 0 || lead < 0 ||
		    !(f->nodes[lead].e.flags & CKPT_TREE_GHOST)) {
			cr_error("pid %d: session %d cannot be rebuilt under parent %d",
				 e->pid, e->sid, e->ppid);
			return -1;
		}
		nd->creator = lead;
		nd->by_ghost = true;
	}
	return cr_forest_kids(f);
}

/* Read HEADER, HEADER_ARCH and the TREE section of the image on fd. */
/* cr_img's tap: keep the bytes of the tree section for the kernel */
static inline int cr_forest_keep(void *arg, const void *p, size_t len)
{
	struct cr_forest *f = arg;
	char *buf;

	if (f->prefix_len + len > f->prefix_size) {
		size_t size = 2 * (f->prefix_len + len);

		buf = realloc(f->prefix, size);
		if (!buf)
			return -1;
		f->prefix = buf;
		f->prefix_size = size;
	}
	memcpy(f->prefix + f->prefix_len, p, len);
	f->prefix_len += len;
	return 0;
}

static inline int cr_forest_load(struct cr_forest *f, int fd)
{
	struct cr_img_tree t;
	struct cr_img im;
	int i, ret;

	if (cr_img_open(&im, fd)) {
		cr_error("%s", im.err);
		return -1;
	}
	im.tap = cr_forest_keep;
	im.tap_arg = f;
	ret = cr_img_read_tree(&im, &t);
	cr_img_close(&im);
	if (ret) {
		cr_error("%s image at offset %llu: %s", im.what,
			 (unsigned long long)im.err_off, im.err);
		free(t.tasks);
		return -1;
	}
	f->hdr_flags = t.hdr.flags;
	f->n = t.tree.nr_tasks;
	f->nodes = calloc(f->n, sizeof(*f->nodes));
	if (!f->nodes) {
		free(t.tasks);
		cr_error("out of memory");
		return -1;
	}
	for (i = 0; i < f->n; i++) {
		struct cr_node *nd = &f->nodes[i];

		nd->e = t.tasks[i];
		nd->creator = -1;
		nd->setup[0] = -1;
		nd->setup[1] = -1;
		if (!(nd->e.flags & CKPT_TREE_THREAD))
			f->nr_procs++;
	}
	free(t.tasks);
	if (!(f->nodes[0].e.flags & CKPT_TREE_ROOT)) {
		cr_error("the tree does not start with its root");
		return -1;
	}
	f->by_pid = calloc(f->n, sizeof(*f->by_pid));
	if (!f->by_pid) {
		cr_error("out of memory");
		return -1;
	}
	for (i = 0; i < f->n; i++) {
		f->by_pid[i].pid = f->nodes[i].e.pid;
		f->by_pid[i].node = i;
	}
	qsort(f->by_pid, f->n, sizeof(*f->by_pid), cr_pid_node_cmp);
	for (i = 1; i < f->n; i++)
		if (f->by_pid[i].pid == f->by_pid[i - 1].pid) {
			cr_error("pid %d is twice in the tree", f->by_pid[i].pid);
			return -1;
		}
	return cr_forest_plan(f);
}

static inline long cr_raw4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			     : "rcx", "r11", "memory");
	return ret;
}

/* A thread of the forest: only raw system calls, it has no TLS of its own */
static void cr_forest_thread(void *arg)
{
	struct cr_forest *f = arg;

	cr_raw4(__NR_restart, 0, f->kfd, f->flags, f->logfd);
	cr_raw4(__NR_exit, 1, 0, 0, 0);
}

/* clone3() a thread running fn(arg) on its own stack; returns its tid */
static inline long cr_clone3_thread(struct clone_args *args,
				    void (*fn)(void *), void *arg)
{
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;
	long ret;

	__asm__ __volatile__("syscall\n\t"
			     "test %%rax, %%rax\n\t"
			     "jnz 1f\n\t"
			     "xor %%ebp, %%ebp\n\t"
			     "mov %%r13, %%rdi\n\t"
			     "call *%%r12\n\t"
			     "ud2\n"
			     "1:"
			     : "=a"(ret)
			     : "0"((long)__NR_clone3), "D"(args),
			       "S"(sizeof(*args)), "r"(r12), "r"(r13)
			     : "rcx", "r11", "memory");
	return ret;
}

static inline pid_t cr_clone_pid(pid_t pid, uint64_t flags)
{
	struct clone_args a = {
		.flags = flags,
		.exit_signal = SIGCHLD,
	};

	if (pid > 0) {
		a.set_tid = (uintptr_t)&pid;
		a.set_tid_size = 1;
	}
	return syscall(__NR_clone3, &a, sizeof(a));
}

static inline void cr_forest_die(const struct ckpt_hdr_tree_task *e)
{
	int st = e->exit_code;
	struct rlimit none = { 0, 0 };
	sigset_t all;

	if (WIFSIGNALED(st)) {
		setrlimit(RLIMIT_CORE, &none);
		signal(WTERMSIG(st), SIG_DFL);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		syscall(SYS_kill, syscall(SYS_getpid), WTERMSIG(st));
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

static void cr_forest_task(struct cr_forest *f, int i)
	__attribute__((noreturn));

static void cr_forest_child(void *arg)
{
	struct cr_node *nd = arg;

	cr_forest_task(cr_forest_of, nd - cr_forest_of->nodes);
}

/*
 * Make the task of node i (as pid, or any pid if 0; with the namespace
 * flags ns) running cr_forest_task(). It shares our address space and
 * runs on its stack slot; without room for one (a tree too large for a
 * mapping per stack) it gets a copy of it instead. Returns its pid, 0 in
 * the task if copied, or -1.
 */
static inline pid_t cr_forest_make(struct cr_forest *f, int i, pid_t pid,
				   uint64_t ns)
{
	struct clone_args a = {
		.flags = CLONE_VM | ns,
		.exit_signal = SIGCHLD,
		.stack_size = CR_TASK_STACK,
	};
	char *stack;
	long ret;

	/* out of address space or of mappings (vm.max_map_count) */
	if (!f->stacks)
		return cr_clone_pid(pid, ns);
	stack = f->stacks + (size_t)i * CR_TASK_SLOT + 4096;
	if (mprotect(stack, CR_TASK_STACK, PROT_READ | PROT_WRITE))
		return cr_clone_pid(pid, ns);
	a.stack = (uintptr_t)stack;
	if (pid > 0) {
		a.set_tid = (uintptr_t)&pid;
		a.set_tid_size = 1;
	}
	ret = cr_clone3_thread(&a, cr_forest_child, &f->nodes[i]);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static inline int cr_forest_spawn(struct cr_forest *f, int i)
{
	struct cr_node *nd = &f->nodes[i];
	struct ckpt_hdr_tree_task *e = &nd->e;
	bool ok;
	pid_t pid;
	char c;

	if (e->flags & CKPT_TREE_THREAD) {
		struct clone_args a = {
			.flags = CLONE_VM | CLONE_FS | CLONE_FILES |
				 CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
		};
		void *stack = mmap(NULL, CR_THREAD_STACK, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (stack == MAP_FAILED)
			return -1;
		a.stack = (uintptr_t)stack;
		a.stack_size = CR_THREAD_STACK;
		a.set_tid = (uintptr_t)&e->pid;
		a.set_tid_size = 1;
		if (cr_clone3_thread(&a, cr_forest_thread, f) < 0) {
			cr_error("cannot create thread %d", e->pid);
			return -1;
		}
		return 0;
	}
	/*
	 * A session or group leader: wait until it made its session or
	 * group, which a task created next may join. Any other task joins
	 * a group that exists already; no need to wait for it.
	 */
	if (e->sid != e->pid && e->pgid != e->pid) {
		pid = cr_forest_make(f, i, e->pid, 0);
		if (pid == 0)
			cr_forest_task(f, i);
		if (pid < 0)
			cr_perror("cannot create pid %d", e->pid);
		return pid < 0 ? -1 : 0;
	}
	if (pipe(nd->setup))
		return -1;
	pid = cr_forest_make(f, i, e->pid, 0);
	if (pid == 0)
		cr_forest_task(f, i);
	if (pid < 0)
		cr_perror("cannot create pid %d", e->pid);
	close(nd->setup[1]);
	ok = pid > 0 && read(nd->setup[0], &c, 1) == 1;
	close(nd->setup[0]);
	return ok ? 0 : -1;
}

/*
 * Set up node i in the task just created for it (a byte to its creator
 * on nd->setup when its session and group are in place), make its own
 * nodes. It shares the address space of its creator (unless made by a
 * ghost or without room for a stack): it writes nothing there but its
 * own stack, and errno (one for all, read only for an error message).
 */
static void cr_forest_task(struct cr_forest *f, int i)
{
	struct cr_node *nd = &f->nodes[i];
	struct ckpt_hdr_tree_task *e = &nd->e;
	int setup_fd = nd->setup[1];
	char c = 1;
	int k;

	if (nd->setup[0] >= 0)
		close(nd->setup[0]);
	/*
	 * The tool's, not ours to keep: the root closes them, the tasks it
	 * makes never have them. Holding the write end of the image pipe,
	 * the tasks would never see it end.
	 */
	if (i == 0) {
		if (f->feed_fd >= 0)
			close(f->feed_fd);
		close(f->go[1]);
		close(f->ready[0]);
	}
	if (!nd->by_ghost) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* its creator did not wait: it may be gone already */
		if (nd->creator >= 0 &&
		    getppid() != f->nodes[nd->creator].e.pid) {
			cr_error("rebuilding pid %d: pid %d that made it is gone",
				 e->pid, f->nodes[nd->creator].e.pid);
			_exit(CR_EXIT_FAIL);
		}
	}
	if (e->sid == e->pid) {
		if (setsid() < 0)
			goto fail;
	} else if (e->pgid == e->pid) {
		if (setpgid(0, 0) < 0)
			goto fail;
	} else if (e->pgid && getpgid(0) != e->pgid) {
		if (setpgid(0, e->pgid) < 0)
			goto fail;
	}
	if ((e->flags & CKPT_TREE_SUBREAPER) &&
	    prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		goto fail;
	if (setup_fd >= 0) {
		if (write(setup_fd, &c, 1) != 1)
			goto fail;
		close(setup_fd);
	}

	/* ghosts first, then group leaders, then the others, then threads */
	for (k = nd->kids; k < nd->kids + nd->nr_kids; k++)
		if (cr_forest_spawn(f, f->kid[k]))
			goto fail;
	if (write(f->ready[1], &c, 1) != 1)
		goto fail;
	close(f->ready[1]);

	if (e->flags & CKPT_TREE_ZOMBIE)
		cr_forest_die(e);
	if (read(f->go[0], &c, 1) != 0)
		_exit(CR_EXIT_FAIL);	/* the tree could not be built */
	close(f->go[0]);
	if (e->flags & CKPT_TREE_GHOST)
		_exit(0);
	if (nd->by_ghost) {
		/* wait to be handed to the root, then die with it */
		while (getppid() == f->nodes[nd->creator].e.pid)
			usleep(1000);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	for (k = nd->kids; k < nd->kids + nd->nr_kids; k++) {
		struct ckpt_hdr_tree_task *ke = &f->nodes[f->kid[k]].e;
		siginfo_t si;

		/* the root reaps the ghosts it forked */
		if (i == 0 && (ke->flags & CKPT_TREE_GHOST))
			waitpid(ke->pid, NULL, __WALL);
		/*
		 * Our zombies must be dead before we are restored: the
		 * restored task may reap them at once (WNOHANG). WNOWAIT
		 * leaves them zombies.
		 */
		if (ke->flags & CKPT_TREE_ZOMBIE)
			waitid(P_PID, ke->pid, &si, WEXITED | WNOWAIT | __WALL);
	}
	/*
	 * On success this task becomes the restored one. On failure, its
	 * error (errno is shared by the tasks).
	 */
	k = cr_raw4(__NR_restart, 0, f->kfd, f->flags, f->logfd);
	cr_error("pid %d: restart(0): %s", e->pid, strerror(-k));
	_exit(CR_EXIT_FAIL);
fail:
	cr_perror("rebuilding pid %d", e->pid);
	_exit(CR_EXIT_FAIL);
}

/*
 * The root's session leader is dead: its ghost, our child, takes the
 * session and makes the root, then exits at once; the root, handed to
 * us as we are a subreaper, waits for that before it goes on (by_ghost).
 * Returns the root's pid (0 in the root), or -1.
 */
static inline pid_t cr_forest_root_by_ghost(struct cr_forest *f, uint64_t ns)
{
	struct ckpt_hdr_tree_task *g = &f->nodes[f->root_lead].e;
	int status;
	pid_t pid;
	char c = 1;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -1;
	pid = cr_clone_pid(g->pid, ns);
	if (pid < 0) {
		cr_perror("cannot create the session leader %d of the root",
			  g->pid);
		return -1;
	}
	if (pid == 0) {
		if (setsid() < 0)
			_exit(CR_EXIT_FAIL);
		pid = cr_forest_make(f, 0, f->nodes[0].e.pid, 0);
		if (pid == 0)
			cr_forest_task(f, 0);
		if (pid < 0 || write(f->ready[1], &c, 1) != 1)
			_exit(CR_EXIT_FAIL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || status) {
		cr_error("the session leader %d of the root failed (status %#x)",
			 g->pid, status);
		return -1;
	}
	return f->nodes[0].e.pid;
}

/*
 * Fork the root (in a new pid namespace for a container image) and let
 * the forest grow from it; wait until every task reported ready.
 * Returns the root's pid, or -1 (with the forest killed).
 */
static inline pid_t cr_forest_grow(struct cr_forest *f)
{
	struct ckpt_hdr_tree_task *root = &f->nodes[0].e;
	bool container = f->hdr_flags & CKPT_IMAGE_CONTAINER;
	uint64_t ns = 0;
	int got = 0;
	pid_t pid;
	char c;

	/* the namespaces the tree had of its own come back new */
	if (f->hdr_flags & CKPT_IMAGE_OWN_UTS)
		ns |= CLONE_NEWUTS;
	if (f->hdr_flags & CKPT_IMAGE_OWN_IPC)
		ns |= CLONE_NEWIPC;
	if (f->hdr_flags & CKPT_IMAGE_OWN_MNT)
		ns |= CLONE_NEWNS;
	if (f->hdr_flags & CKPT_IMAGE_OWN_NET)
		ns |= CLONE_NEWNET;
	if (pipe(f->ready) || pipe(f->go)) {
		cr_perror("pipe");
		return -1;
	}
	/* without room for them (RLIMIT_AS), the tasks get copies */
	f->stacks = mmap(NULL, (size_t)f->n * CR_TASK_SLOT, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f->stacks == MAP_FAILED)
		f->stacks = NULL;
	cr_forest_of = f;
	fflush(NULL);
	if (f->root_lead) {
		pid = cr_forest_root_by_ghost(f, ns);
	} else if (container) {
		pid = cr_forest_make(f, 0, 0, CLONE_NEWPID | ns);
	} else {
		pid = cr_forest_make(f, 0, root->pid, ns);
		/* a lone process may come back under any pid */
		if (pid < 0 && f->n == 1 && (errno == EEXIST || errno == EPERM))
			pid = cr_forest_make(f, 0, 0, ns);
	}
	if (pid < 0) {
		cr_perror("cannot create the root (pid %d)", root->pid);
		return -1;
	}
	if (pid == 0)
		cr_forest_task(f, 0);

	close(f->ready[1]);
	close(f->go[0]);
	while (got < f->nr_procs) {
		char buf[4096];
		ssize_t r = read(f->ready[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	close(f->ready[0]);
	if (got < f->nr_procs) {
		cr_error("could not rebuild the process tree (%d of %d tasks)",
			 got, f->nr_procs);
		/* the tasks may all be gone: a write must fail, not kill us */
		signal(SIGPIPE, SIG_IGN);
		for (got = 0; got < f->nr_procs; got++)
			if (write(f->go[1], &c, 1) != 1)
				break;
		close(f->go[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Let ghosts go and the tasks enter restart(0) */
static inline void cr_forest_go(struct cr_forest *f)
{
	close(f->go[1]);
}

#endif /* _CR_FOREST_H */
