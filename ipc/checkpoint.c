// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of SysV IPC: the IPC namespace of a tree that owns
 * it (a container) with its limits and all its objects (shared memory
 * segments with their contents, semaphore arrays, message queues with
 * their messages), the tasks' SEM_UNDO lists, and the attaches of the
 * segments (the VMAs of mm/checkpoint.c).
 *
 * Image: IPC_NS { IPC_SHM { PAGES }* PAGES(0) }* { IPC_SEM }*
 *        { IPC_MSQ { IPC_MSG }* }*, saved once, OBJREF after that;
 *        per task, after it: SYSVSEM [SEM_UNDO { SEM_ADJ }*, or OBJREF];
 *        per shmat(), after its first VMA: SHM_ATTACH (OBJREF after).
 *
 * Restart makes the objects again in the tree's new IPC namespace, by the
 * system calls' own paths (shmget() and the others, with the limits and
 * permission checks they have), under the ids they had (ipc_ids.next_id,
 * as the kernel.*_next_id sysctls use it), then sets what those paths
 * cannot: owners, times, pids, values, messages, adjustments. Segments
 * are attached again by each task as it restores its mm; a segment that
 * was removed (IPC_RMID) while attached is removed again once the last
 * task is back, and kernel.shm_rmid_forced is set after that.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/sem.h>
#include <linux/shm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <linux/uidgid.h>
#include "util.h"
#include "objs.h"

/* the kernel's ipc_ids index of each CKPT_IPC_* */
static const int ckpt_ipc_kind[CKPT_IPC_NR_IDS] = {
	[CKPT_IPC_SEM] = IPC_SEM_IDS,
	[CKPT_IPC_MSG] = IPC_MSG_IDS,
	[CKPT_IPC_SHM] = IPC_SHM_IDS,
};

static const char * const ckpt_ipc_name[CKPT_IPC_NR_IDS] = {
	[CKPT_IPC_SEM] = "semaphore array",
	[CKPT_IPC_MSG] = "message queue",
	[CKPT_IPC_SHM] = "shm segment",
};

/**
 * struct ckpt_shm_restore - what is left to do for a restored segment
 * @id: its id
 * @creator: the image pid of its creator, or 0
 * @dest: it was removed (IPC_RMID) while attached
 * @atime: shm_atime (attaching again changes it)
 * @dtime: shm_dtime
 * @lpid: shm_lpid
 */
struct ckpt_shm_restore {
	int id;
	pid_t creator;
	bool dest;
	time64_t atime;
	time64_t dtime;
	struct pid *lpid;
};

/**
 * struct ckpt_ipc_restore - the SysV IPC state a restart makes
 * @ns: the restarted tree's IPC namespace (a reference)
 * @own: @ns is the tree's own, filled by this restart
 * @rmid_forced: kernel.shm_rmid_forced, set last
 * @shm: its segments
 * @nr_shm: entries of @shm
 * @undo: the SEM_UNDO lists restored, each with a reference, until every
 *	task that names one has it
 * @nr_undo: entries of @undo
 */
struct ckpt_ipc_restore {
	struct ipc_namespace *ns;
	bool own;
	int rmid_forced;
	struct ckpt_shm_restore *shm;
	unsigned int nr_shm;
	struct sem_undo_list **undo;
	unsigned int nr_undo;
};

/*
 * The caller's ctx->ipc, made for its IPC namespace when first needed,
 * with ctx->ipc_lock held: tasks restoring in parallel make the empty
 * SEM_UNDO lists of their thread groups at once (an image with an IPC
 * namespace of its own is restored in image order)
 */
static struct ckpt_ipc_restore *ckpt_ipc_state(struct ckpt_ctx *ctx)
{
	struct ckpt_ipc_restore *ir = ctx->ipc;

	lockdep_assert_held(&ctx->ipc_lock);
	if (ir)
		return ir;
	ir = kzalloc(sizeof(*ir), GFP_KERNEL_ACCOUNT);
	if (!ir)
		return ERR_PTR(-ENOMEM);
	ir->ns = get_ipc_ns(current->nsproxy->ipc_ns);
	ctx->ipc = ir;
	return ir;
}

/* ---- checkpoint ---------------------------------------------------------- */

static pid_t ckpt_ipc_pid_nr(struct ckpt_ctx *ctx, struct pid *pid)
{
	return pid ? pid_nr_ns(pid, ctx->root_ns) : 0;
}

static void ckpt_fill_perm(struct ckpt_ipc_perm *p, struct kern_ipc_perm *perm)
{
	struct user_namespace *ns = current_user_ns();

	p->id = perm->id;
	p->key = perm->key;
	p->uid = from_kuid_munged(ns, perm->uid);
	p->gid = from_kgid_munged(ns, perm->gid);
	p->cuid = from_kuid_munged(ns, perm->cuid);
	p->cgid = from_kgid_munged(ns, perm->cgid);
	p->mode = perm->mode & 0777;
}

/* Lock a whole semaphore array, as sem_lock(sma, NULL, -1) does */
static void ckpt_sem_lock(struct sem_array *sma)
{
	ipc_lock_object(&sma->sem_perm);
	complexmode_enter(sma);
}

static void ckpt_sem_unlock(struct sem_array *sma)
{
	complexmode_tryleave(sma);
	ipc_unlock_object(&sma->sem_perm);
}

/* Lock an object (a whole array for semaphores), the RCU lock held */
static void ckpt_ipc_lock_object(struct kern_ipc_perm *perm, int kind)
{
	if (kind == CKPT_IPC_SEM)
		ckpt_sem_lock(container_of(perm, struct sem_array, sem_perm));
	else
		ipc_lock_object(perm);
}

static void ckpt_ipc_unlock(struct kern_ipc_perm *perm, int kind)
{
	if (kind == CKPT_IPC_SEM)
		ckpt_sem_unlock(container_of(perm, struct sem_array, sem_perm));
	else
		ipc_unlock_object(perm);
	rcu_read_unlock();
}

/*
 * The object of an id, locked, with the RCU read lock held; an object that
 * went away since its id was listed means a process outside the tree uses
 * the namespace.
 */
static struct kern_ipc_perm *__ckpt_ipc_lock(struct ckpt_ctx *ctx,
					     struct ipc_namespace *ns, int kind,
					     int id, bool save)
{
	struct kern_ipc_perm *perm;

	rcu_read_lock();
	perm = ipc_obtain_object_check(&ns->ids[ckpt_ipc_kind[kind]], id);
	/* the image holds what is in it: the checkpointer may read it */
	if (!IS_ERR(perm) && save && ipcperms(ns, perm, 0444)) {
		rcu_read_unlock();
		return ERR_PTR(ckpt_err(ctx, -EACCES,
					"%s id %d: the checkpointer may not read it",
					ckpt_ipc_name[kind], id));
	}
	if (!IS_ERR(perm)) {
		ckpt_ipc_lock_object(perm, kind);
		if (ipc_valid_object(perm))
			return perm;
		ckpt_ipc_unlock(perm, kind);
	} else {
		rcu_read_unlock();
	}
	return ERR_PTR(ckpt_err(ctx, -EBUSY,
				"%s id %d went away: a process outside the tree uses the IPC namespace",
				ckpt_ipc_name[kind], id));
}

static struct kern_ipc_perm *ckpt_ipc_lock(struct ckpt_ctx *ctx,
					   struct ipc_namespace *ns, int kind,
					   int id)
{
	return __ckpt_ipc_lock(ctx, ns, kind, id, false);
}

/* The same, for an object whose contents go into the image */
static struct kern_ipc_perm *ckpt_ipc_lock_save(struct ckpt_ctx *ctx,
						struct ipc_namespace *ns,
						int kind, int id)
{
	return __ckpt_ipc_lock(ctx, ns, kind, id, true);
}

/* A living task of the tree, or NULL */
static struct task_struct *ckpt_tree_task(struct ckpt_ctx *ctx,
					  struct task_struct *t)
{
	int i;

	for (i = 0; t && i < ctx->nr_tasks; i++)
		if (ctx->tasks[i] == t)
			return t;
	return NULL;
}

static int ckpt_checkpoint_shm(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			       int id)
{
	struct ckpt_hdr_ipc_shm h = {
		.h.type = CKPT_HDR_IPC_SHM,
		.h.len = sizeof(h),
	};
	struct task_struct *creator;
	struct kern_ipc_perm *perm;
	struct shmid_kernel *shp;
	const char *why = NULL;
	struct file *file;
	int ret;

	perm = ckpt_ipc_lock_save(ctx, ns, CKPT_IPC_SHM, id);
	if (IS_ERR(perm))
		return PTR_ERR(perm);
	shp = container_of(perm, struct shmid_kernel, shm_perm);
	ckpt_fill_perm(&h.perm, perm);
	h.size = shp->shm_segsz;
	h.atime = shp->shm_atim;
	h.dtime = shp->shm_dtim;
	h.ctime = shp->shm_ctim;
	h.cpid = ckpt_ipc_pid_nr(ctx, shp->shm_cprid);
	h.lpid = ckpt_ipc_pid_nr(ctx, shp->shm_lprid);
	if (perm->mode & SHM_DEST)
		h.flags |= CKPT_SHM_DEST;
	/* "SYSV%08x" of its key when made: IPC_RMID made the key 0 */
	if (sscanf(shp->shm_file->f_path.dentry->d_name.name, "SYSV%08x",
		   &h.name_key) != 1)
		h.name_key = h.perm.key;
	/* its creator, until it exits (shm_clist_rm()'s rule) */
	creator = list_empty(&shp->shm_clist) ? NULL : shp->shm_creator;
	if (ckpt_tree_task(ctx, creator))
		h.creator = task_pid_nr_ns(creator, ctx->root_ns);
	else if (creator)
		why = "was made by a process outside the tree";
	if (perm->mode & SHM_LOCKED)
		why = "is locked in memory (SHM_LOCK): not supported yet";
	if (is_file_hugepages(shp->shm_file))
		why = "is hugetlb memory: not supported yet";
	file = get_file(shp->shm_file);
	ckpt_ipc_unlock(perm, CKPT_IPC_SHM);

	if (!why && READ_ONCE(SHMEM_I(file_inode(file))->swapped))
		why = "is partly swapped out: not supported yet";
	/* restored, it would be the tree's alone: writes no longer seen */
	if (!why && ckpt_file_mapped_outside(ctx, file))
		why = "is attached by a process outside the tree";
	if (why)
		ret = ckpt_err(ctx, -EBUSY, "shm segment id %d (key %#x) %s",
			       id, h.perm.key, why);
	else
		ret = ckpt_write_obj(ctx, &h.h);
	if (!ret)
		ret = ckpt_write_file_pages(ctx, file, h.size);
	fput(file);
	return ret;
}

/* Is a task outside the tree waiting on the array? */
static bool ckpt_sem_waiters(struct sem_array *sma)
{
	int i;

	if (!list_empty(&sma->pending_alter) ||
	    !list_empty(&sma->pending_const))
		return true;
	for (i = 0; i < sma->sem_nsems; i++)
		if (!list_empty(&sma->sems[i].pending_alter) ||
		    !list_empty(&sma->sems[i].pending_const))
			return true;
	return false;
}

static int ckpt_checkpoint_sem(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			       int id)
{
	struct ckpt_hdr_ipc_sem *h;
	struct kern_ipc_perm *perm;
	struct sem_array *sma;
	bool waiters;
	size_t size;
	int i, ret;

	perm = ckpt_ipc_lock_save(ctx, ns, CKPT_IPC_SEM, id);
	if (IS_ERR(perm))
		return PTR_ERR(perm);
	/* the size of an array is set when it is made */
	sma = container_of(perm, struct sem_array, sem_perm);
	size = sizeof(*h) + sma->sem_nsems * sizeof(struct ckpt_sem);
	ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
	if (size > CKPT_RECORD_MAX)
		return ckpt_err(ctx, -EFBIG,
				"semaphore array id %d is larger than an image record holds",
				id);
	h = kvzalloc(size, GFP_KERNEL);
	if (!h)
		return -ENOMEM;

	perm = ckpt_ipc_lock_save(ctx, ns, CKPT_IPC_SEM, id);
	if (IS_ERR(perm)) {
		ret = PTR_ERR(perm);
		goto out;
	}
	sma = container_of(perm, struct sem_array, sem_perm);
	if (sizeof(*h) + sma->sem_nsems * sizeof(struct ckpt_sem) != size) {
		ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
		ret = ckpt_err(ctx, -EBUSY,
			       "semaphore array id %d changed during checkpoint: a process outside the tree uses it",
			       id);
		goto out;
	}
	h->h.type = CKPT_HDR_IPC_SEM;
	h->h.len = size;
	ckpt_fill_perm(&h->perm, perm);
	h->ctime = sma->sem_ctime;
	h->nsems = sma->sem_nsems;
	for (i = 0; i < h->nsems; i++) {
		struct ckpt_sem *s = (struct ckpt_sem *)(h + 1) + i;

		s->otime = sma->sems[i].sem_otime;
		s->semval = sma->sems[i].semval;
		s->sempid = ckpt_ipc_pid_nr(ctx, sma->sems[i].sempid);
	}
	waiters = ckpt_sem_waiters(sma);
	ckpt_ipc_unlock(perm, CKPT_IPC_SEM);

	if (waiters)
		ret = ckpt_err(ctx, -EBUSY,
			       "semaphore array id %d: a process outside the tree waits on it",
			       id);
	else
		ret = ckpt_write_obj(ctx, &h->h);
out:
	kvfree(h);
	return ret;
}

/* The text of a message, copied out of its segments */
static void ckpt_copy_msg(void *dst, struct msg_msg *msg)
{
	size_t len = msg->m_ts, alen = min(len, DATALEN_MSG);
	struct msg_msgseg *seg;

	memcpy(dst, msg + 1, alen);
	for (seg = msg->next; seg; seg = seg->next) {
		dst += alen;
		len -= alen;
		alen = min(len, DATALEN_SEG);
		memcpy(dst, seg + 1, alen);
	}
}

static int ckpt_checkpoint_msq(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			       int id)
{
	struct ckpt_hdr_ipc_msq h = {
		.h.type = CKPT_HDR_IPC_MSQ,
		.h.len = sizeof(h),
	};
	unsigned long qnum = 0, cbytes = 0, largest;
	struct ckpt_hdr_ipc_msg *rec;
	struct kern_ipc_perm *perm;
	struct msg_queue *msq;
	struct msg_msg *msg;
	void *buf = NULL, *p;
	bool waiters;
	int ret, tries = 0;

	for (;;) {
		perm = ckpt_ipc_lock_save(ctx, ns, CKPT_IPC_MSG, id);
		if (IS_ERR(perm)) {
			ret = PTR_ERR(perm);
			goto out;
		}
		msq = container_of(perm, struct msg_queue, q_perm);
		if (buf && msq->q_qnum == qnum && msq->q_cbytes == cbytes)
			break;
		qnum = msq->q_qnum;
		cbytes = msq->q_cbytes;
		largest = 0;
		list_for_each_entry(msg, &msq->q_messages, m_list)
			largest = max(largest, msg->m_ts);
		ckpt_ipc_unlock(perm, CKPT_IPC_MSG);
		kvfree(buf);
		buf = NULL;
		if (largest > CKPT_RECORD_MAX - sizeof(*rec) ||
		    cbytes + qnum * (sizeof(*rec) + 7) >= INT_MAX) {
			ret = ckpt_err(ctx, -EFBIG,
				       "message queue id %d holds a message or messages larger than an image holds",
				       id);
			goto out;
		}
		if (++tries > 3) {
			ret = ckpt_err(ctx, -EBUSY,
				       "message queue id %d keeps changing during checkpoint: a process outside the tree uses it",
				       id);
			goto out;
		}
		/* the queue holds that much already: charged to the caller */
		buf = kvmalloc(cbytes + qnum * (sizeof(*rec) + 7) + 1,
			       GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
	}
	ckpt_fill_perm(&h.perm, perm);
	h.stime = msq->q_stime;
	h.rtime = msq->q_rtime;
	h.ctime = msq->q_ctime;
	h.qbytes = msq->q_qbytes;
	h.lspid = ckpt_ipc_pid_nr(ctx, msq->q_lspid);
	h.lrpid = ckpt_ipc_pid_nr(ctx, msq->q_lrpid);
	h.nr_msgs = qnum;
	p = buf;
	list_for_each_entry(msg, &msq->q_messages, m_list) {
		rec = p;
		rec->mtype = msg->m_type;
		rec->size = msg->m_ts;
		ckpt_copy_msg(rec + 1, msg);
		p += round_up(sizeof(*rec) + msg->m_ts, 8);
	}
	waiters = !list_empty(&msq->q_receivers) ||
		  !list_empty(&msq->q_senders);
	ckpt_ipc_unlock(perm, CKPT_IPC_MSG);

	if (waiters) {
		ret = ckpt_err(ctx, -EBUSY,
			       "message queue id %d: a process outside the tree waits on it",
			       id);
		goto out;
	}
	ret = ckpt_write_obj(ctx, &h.h);
	for (p = buf; !ret && qnum--; p += round_up(rec->h.len, 8)) {
		rec = p;
		if (rec->size > CKPT_RECORD_MAX - sizeof(*rec)) {
			ret = ckpt_err(ctx, -EBUSY,
				       "message queue id %d changed during checkpoint",
				       id);
			break;
		}
		rec->h.type = CKPT_HDR_IPC_MSG;
		rec->h.len = sizeof(*rec) + rec->size;
		ret = ckpt_write_hdr(ctx, &rec->h, rec->h.len);
	}
out:
	kvfree(buf);
	return ret;
}

/* The ids of one kind, in index order, as they are now */
static int ckpt_list_ids(struct ipc_namespace *ns, int kind,
			 struct ckpt_ipc_ids *rec, int **ids)
{
	struct ipc_ids *ids_k = &ns->ids[ckpt_ipc_kind[kind]];
	struct kern_ipc_perm *perm;
	int idx, n = 0;

	down_read(&ids_k->rwsem);
	*ids = kvmalloc_array(ids_k->in_use + 1, sizeof(**ids), GFP_KERNEL);
	if (!*ids) {
		up_read(&ids_k->rwsem);
		return -ENOMEM;
	}
	idr_for_each_entry(&ids_k->ipcs_idr, perm, idx)
		if (n < ids_k->in_use)
			(*ids)[n++] = perm->id;
	rec->nr = n;
	rec->seq = ids_k->seq;
	rec->last_idx = ids_k->last_idx;
	rec->cursor = idr_get_cursor(&ids_k->ipcs_idr);
	up_read(&ids_k->rwsem);
	return 0;
}

/*
 * Segments removed while attached first: each is made again under the
 * key it was made with, which a live segment may have now (restart lets
 * the key go at once, before it makes the next one).
 */
static int ckpt_shm_dest_first(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			       int *ids, u32 nr)
{
	struct kern_ipc_perm *perm;
	u32 i, n = 0;
	bool dest;

	for (i = 0; i < nr; i++) {
		perm = ckpt_ipc_lock(ctx, ns, CKPT_IPC_SHM, ids[i]);
		if (IS_ERR(perm))
			return PTR_ERR(perm);
		dest = perm->mode & SHM_DEST;
		ckpt_ipc_unlock(perm, CKPT_IPC_SHM);
		if (dest) {
			swap(ids[i], ids[n]);
			n++;
		}
	}
	return 0;
}

static int ckpt_ipc_ns_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				  const struct ckpt_obj_ref *ref)
{
	static int (* const save[CKPT_IPC_NR_IDS])(struct ckpt_ctx *ctx,
						   struct ipc_namespace *ns,
						   int id) = {
		[CKPT_IPC_SEM] = ckpt_checkpoint_sem,
		[CKPT_IPC_MSG] = ckpt_checkpoint_msq,
		[CKPT_IPC_SHM] = ckpt_checkpoint_shm,
	};
	/* the order of the objects in the image */
	static const int order[] = { CKPT_IPC_SHM, CKPT_IPC_SEM, CKPT_IPC_MSG };
	struct ipc_namespace *ns = ptr;
	struct ckpt_hdr_ipc_ns h = {
		.h.type = CKPT_HDR_IPC_NS,
		.h.len = sizeof(h),
		.objref = objref,
		.own = ns != current->nsproxy->ipc_ns,
	};
	int *ids[CKPT_IPC_NR_IDS] = {};
	int i, k, ret = 0;

	if (!h.own)
		return ckpt_write_obj(ctx, &h.h);

	for (i = 0; i < ARRAY_SIZE(h.sem_ctls); i++)
		h.sem_ctls[i] = READ_ONCE(ns->sem_ctls[i]);
	h.msg_ctlmax = READ_ONCE(ns->msg_ctlmax);
	h.msg_ctlmnb = READ_ONCE(ns->msg_ctlmnb);
	h.msg_ctlmni = READ_ONCE(ns->msg_ctlmni);
	h.shm_ctlmni = READ_ONCE(ns->shm_ctlmni);
	h.shm_ctlmax = READ_ONCE(ns->shm_ctlmax);
	h.shm_ctlall = READ_ONCE(ns->shm_ctlall);
	h.shm_rmid_forced = READ_ONCE(ns->shm_rmid_forced);
	h.mq_queues_max = READ_ONCE(ns->mq_queues_max);
	h.mq_msg_max = READ_ONCE(ns->mq_msg_max);
	h.mq_msgsize_max = READ_ONCE(ns->mq_msgsize_max);
	h.mq_msg_default = READ_ONCE(ns->mq_msg_default);
	h.mq_msgsize_default = READ_ONCE(ns->mq_msgsize_default);
	for (k = 0; !ret && k < CKPT_IPC_NR_IDS; k++)
		ret = ckpt_list_ids(ns, k, &h.ids[k], &ids[k]);
	if (!ret)
		ret = ckpt_shm_dest_first(ctx, ns, ids[CKPT_IPC_SHM],
					  h.ids[CKPT_IPC_SHM].nr);
	if (!ret)
		ret = ckpt_write_obj(ctx, &h.h);
	for (k = 0; k < ARRAY_SIZE(order); k++)
		for (i = 0; !ret && i < h.ids[order[k]].nr; i++)
			ret = save[order[k]](ctx, ns, ids[order[k]][i]);
	for (k = 0; k < CKPT_IPC_NR_IDS; k++)
		kvfree(ids[k]);
	return ret;
}

/**
 * ckpt_file_is_sysvshm - is a mapped file a SysV shared memory attach?
 * @file: the file of a VMA
 *
 * Return: true for the file shmat() maps.
 */
bool ckpt_file_is_sysvshm(struct file *file)
{
	return file->f_op == &shm_file_operations ||
	       is_file_shm_hugepages(file);
}

/* One shmat() of a segment, first met through one of its VMAs */
static int ckpt_shm_attach_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				      int objref,
				      const struct ckpt_obj_ref *ref)
{
	struct file *file = ptr;
	struct shm_file_data *sfd = file->private_data;
	struct ckpt_hdr_shm_attach h = {
		.h.type = CKPT_HDR_SHM_ATTACH,
		.h.len = sizeof(h),
		.objref = objref,
		.shmid = sfd->id,
	};
	struct task_struct *t = ref->task;
	struct ipc_namespace *ns = NULL;

	if (is_file_shm_hugepages(file))
		return ckpt_err(ctx, -EBUSY,
				"pid %d: hugetlb SysV shared memory id %d: not supported yet",
				task_pid_vnr(t), sfd->id);
	task_lock(t);
	if (t->nsproxy)
		ns = t->nsproxy->ipc_ns;
	task_unlock(t);
	/* the ns of an attach stays while the attach does: no reference */
	if (sfd->ns != ns || !(ctx->ns_flags & CKPT_IMAGE_OWN_IPC))
		return ckpt_err(ctx, -EBUSY,
				"pid %d: SysV shared memory id %d is of an IPC namespace the tree does not own: not supported",
				task_pid_vnr(t), sfd->id);
	if (!(file->f_mode & FMODE_WRITE))
		h.flags |= CKPT_SHM_ATTACH_RDONLY;
	return ckpt_write_obj(ctx, &h.h);
}

/* The SEM_UNDO adjustments of a list on one array, copied, or NULL */
static struct ckpt_hdr_sem_adj *ckpt_copy_sem_adj(struct ckpt_ctx *ctx,
						  struct ipc_namespace *ns,
						  int semid, void *ulp)
{
	struct ckpt_hdr_sem_adj *adj = NULL;
	struct kern_ipc_perm *perm;
	struct sem_array *sma;
	struct sem_undo *un;
	size_t size = 0;

	for (;;) {
		/* one removed meanwhile took its adjustments with it */
		rcu_read_lock();
		perm = ipc_obtain_object_check(&ns->ids[IPC_SEM_IDS], semid);
		if (IS_ERR(perm)) {
			rcu_read_unlock();
			kvfree(adj);
			return NULL;
		}
		ckpt_ipc_lock_object(perm, CKPT_IPC_SEM);
		if (!ipc_valid_object(perm)) {
			ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
			kvfree(adj);
			return NULL;
		}
		sma = container_of(perm, struct sem_array, sem_perm);
		list_for_each_entry(un, &sma->list_id, list_id)
			if (un->ulp == ulp)
				break;
		if (list_entry_is_head(un, &sma->list_id, list_id)) {
			ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
			kvfree(adj);
			return NULL;
		}
		if (adj && adj->nsems == sma->sem_nsems)
			break;
		size = sizeof(*adj) + round_up(sma->sem_nsems * sizeof(s16), 8);
		ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
		if (adj || size > CKPT_RECORD_MAX) {
			kvfree(adj);
			return ERR_PTR(ckpt_err(ctx, -EBUSY,
						"semaphore array id %d is larger than an image record holds or changed during checkpoint",
						semid));
		}
		adj = kvzalloc(size, GFP_KERNEL);
		if (!adj)
			return ERR_PTR(-ENOMEM);
		adj->nsems = sma->sem_nsems;
	}
	adj->h.type = CKPT_HDR_SEM_ADJ;
	adj->h.len = size;
	adj->semid = semid;
	memcpy(adj + 1, un->semadj, adj->nsems * sizeof(s16));
	ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
	return adj;
}

/*
 * A SEM_UNDO list is found through the arrays it adjusts, under their
 * locks: the list itself is never touched, as a frozen task may still be
 * killed and free it (exit_sem() takes no lock the checkpoint could).
 */
static int ckpt_sem_undo_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				    int objref, const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_sem_undo h = {
		.h.type = CKPT_HDR_SEM_UNDO,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct ckpt_hdr_sem_adj **adj = NULL, *a;
	struct ipc_namespace *ns = NULL;
	struct ckpt_ipc_ids ids;
	int *semids = NULL;
	u32 i;
	int ret;

	task_lock(ref->task);
	if (ref->task->nsproxy)
		ns = get_ipc_ns(ref->task->nsproxy->ipc_ns);
	task_unlock(ref->task);
	if (!ns)
		return ckpt_err(ctx, -EBUSY, "pid %d has no namespaces",
				task_pid_vnr(ref->task));
	ret = ckpt_list_ids(ns, CKPT_IPC_SEM, &ids, &semids);
	if (!ret) {
		adj = kvcalloc(ids.nr + 1, sizeof(*adj), GFP_KERNEL);
		if (!adj)
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < ids.nr; i++) {
		a = ckpt_copy_sem_adj(ctx, ns, semids[i], ptr);
		if (IS_ERR(a))
			ret = PTR_ERR(a);
		else if (a)
			adj[h.nr++] = a;
		cond_resched();
	}
	if (!ret && h.nr && !(ctx->ns_flags & CKPT_IMAGE_OWN_IPC))
		ret = ckpt_err(ctx, -EBUSY,
			       "pid %d has SEM_UNDO adjustments on semaphores of an IPC namespace the tree does not own: not supported",
			       task_pid_vnr(ref->task));
	if (!ret)
		ret = ckpt_write_obj(ctx, &h.h);
	for (i = 0; !ret && i < h.nr; i++)
		ret = ckpt_write_obj(ctx, &adj[i]->h);
	for (i = 0; adj && i < h.nr; i++)
		kvfree(adj[i]);
	kvfree(adj);
	kvfree(semids);
	put_ipc_ns(ns);
	return ret;
}

/**
 * ckpt_checkpoint_task_ipc - save a task's SysV semaphore state
 * @ctx: checkpoint context
 * @t: the task
 *
 * Its SEM_UNDO list, shared by the tasks that share it (threads do),
 * even empty: an empty list shared is not the same as none.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_task_ipc(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	/* set by the task itself or at its clone(): it is frozen */
	struct sem_undo_list *ulp = READ_ONCE(t->sysvsem.undo_list);
	struct ckpt_hdr_sysvsem h = {
		.h.type = CKPT_HDR_SYSVSEM,
		.h.len = sizeof(h),
		.undo = !!ulp,
	};
	int ret;

	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret && ulp) {
		ret = ckpt_obj_checkpoint(ctx, ulp, CKPT_OBJ_SEM_UNDO, &ref);
		if (ret > 0)
			ret = 0;
	}
	return ret;
}

/**
 * ckpt_collect_task_ipc - collect pass: note a task's SEM_UNDO list
 * @ctx: checkpoint context
 * @t: the task
 *
 * A list shared with a task outside the tree (clone(CLONE_SYSVSEM)) is a
 * leak: its adjustments would be made twice.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_task_ipc(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct sem_undo_list *ulp = READ_ONCE(t->sysvsem.undo_list);

	return ulp ? ckpt_obj_collect(ctx, ulp, CKPT_OBJ_SEM_UNDO, false) : 0;
}

/* ---- restart ------------------------------------------------------------- */

/* A user or group id of the image, as the restarter sees it */
static int ckpt_ipc_ids_of(struct ckpt_ctx *ctx, const struct ckpt_ipc_perm *p,
			   kuid_t *uid, kgid_t *gid, kuid_t *cuid, kgid_t *cgid)
{
	struct user_namespace *uns = current_user_ns();
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;

	*uid = make_kuid(uns, p->uid);
	*gid = make_kgid(uns, p->gid);
	*cuid = make_kuid(uns, p->cuid);
	*cgid = make_kgid(uns, p->cgid);
	if (!uid_valid(*uid) || !gid_valid(*gid) || !uid_valid(*cuid) ||
	    !gid_valid(*cgid) || p->mode & ~0777)
		return ckpt_err(ctx, -EINVAL,
				"IPC id %d: bad owner %u:%u, creator %u:%u or mode %#o",
				p->id, p->uid, p->gid, p->cuid, p->cgid, p->mode);
	/* what the restarter could not make itself, IPC_SET's override */
	if ((!uid_eq(*uid, current_euid()) || !uid_eq(*cuid, current_euid()) ||
	     !gid_eq(*gid, current_egid()) || !gid_eq(*cgid, current_egid())) &&
	    !ns_capable(ns->user_ns, CAP_SYS_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"IPC id %d: no permission to give it owner %u:%u and creator %u:%u",
				p->id, p->uid, p->gid, p->cuid, p->cgid);
	return 0;
}

/* Set the owner, creator and mode of an object, locked */
static void ckpt_ipc_set_perm(struct kern_ipc_perm *perm,
			      const struct ckpt_ipc_perm *p, kuid_t uid,
			      kgid_t gid, kuid_t cuid, kgid_t cgid)
{
	perm->uid = uid;
	perm->gid = gid;
	perm->cuid = cuid;
	perm->cgid = cgid;
	perm->mode = (perm->mode & ~0777) | p->mode;
}

/* The object just made by a get system call, locked */
static struct kern_ipc_perm *ckpt_ipc_made(struct ckpt_ctx *ctx, int kind,
					   const struct ckpt_ipc_perm *p,
					   long made)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct kern_ipc_perm *perm;

	if (made < 0)
		return ERR_PTR(ckpt_err(ctx, made,
					"cannot make %s id %d (key %#x)",
					ckpt_ipc_name[kind], p->id, p->key));
	/* next_id asks for an index at least as high: is it the one? */
	if (made != p->id)
		return ERR_PTR(ckpt_err(ctx, -EBUSY,
					"%s id %d came back as id %ld",
					ckpt_ipc_name[kind], p->id, made));
	rcu_read_lock();
	perm = ipc_obtain_object_check(&ns->ids[ckpt_ipc_kind[kind]], p->id);
	if (IS_ERR(perm)) {
		rcu_read_unlock();
		return ERR_PTR(ckpt_err(ctx, -EBUSY, "%s id %d vanished",
					ckpt_ipc_name[kind], p->id));
	}
	ckpt_ipc_lock_object(perm, kind);
	if (!ipc_valid_object(perm)) {
		ckpt_ipc_unlock(perm, kind);
		return ERR_PTR(ckpt_err(ctx, -EBUSY, "%s id %d vanished",
					ckpt_ipc_name[kind], p->id));
	}
	return perm;
}

/* Ask the next get system call of a kind for an id */
static int ckpt_ipc_next_id(struct ckpt_ctx *ctx, int kind,
			    const struct ckpt_ipc_perm *p)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;

	if (p->id < 0 || ipcid_to_idx(p->id) >= ipc_mni)
		return ckpt_err(ctx, -EINVAL, "bad %s id %d",
				ckpt_ipc_name[kind], p->id);
	WRITE_ONCE(ns->ids[ckpt_ipc_kind[kind]].next_id, p->id);
	return 0;
}

/* Pids of the image, as struct pids (references; NULL on failure) */
static int ckpt_ipc_get_pids(struct ckpt_ctx *ctx, int id, struct pid **pids,
			     const s32 *nrs, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		pids[i] = ckpt_get_pid(ctx, nrs[i]);
		if (!IS_ERR(pids[i]))
			continue;
		ret = ckpt_err(ctx, PTR_ERR(pids[i]),
			       "IPC id %d: cannot keep pid %d", id, nrs[i]);
		for (; i >= 0; i--) {
			if (!IS_ERR(pids[i]))
				put_pid(pids[i]);
			pids[i] = NULL;
		}
		return ret;
	}
	return 0;
}

static int ckpt_restore_shm(struct ckpt_ctx *ctx, struct ckpt_shm_restore *sr)
{
	struct ckpt_hdr_ipc_shm *h;
	struct kern_ipc_perm *perm;
	struct shmid_kernel *shp;
	struct ipc_ids *ids;
	long made;
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	struct pid *cpid = NULL;
	struct file *file;
	int ret;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_IPC_SHM, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	ret = ckpt_ipc_ids_of(ctx, &h->perm, &uid, &gid, &cuid, &cgid);
	/* its creator a task of the tree that lives */
	if (!ret && h->creator) {
		const struct ckpt_hdr_tree_task *e;

		e = ckpt_tree_find(ctx, h->creator);
		if (!e || e->flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_GHOST))
			ret = ckpt_err(ctx, -EINVAL,
				       "shm segment id %d: its creator %d is no task of the tree",
				       h->perm.id, h->creator);
	}
	if (!ret && (h->flags & ~CKPT_SHM_DEST || !h->size ||
		     h->size > MAX_LFS_FILESIZE || h->creator < 0 ||
		     ((h->flags & CKPT_SHM_DEST) && h->perm.key) ||
		     (!(h->flags & CKPT_SHM_DEST) && h->name_key != h->perm.key)))
		ret = ckpt_err(ctx, -EINVAL,
			       "bad IPC_SHM record: id %d size %llu flags %#x",
			       h->perm.id, h->size, h->flags);
	if (!ret)
		ret = ckpt_ipc_get_pids(ctx, h->perm.id, &cpid, &h->cpid, 1);
	if (!ret)
		ret = ckpt_ipc_get_pids(ctx, h->perm.id, &sr->lpid, &h->lpid, 1);
	if (!ret)
		ret = ckpt_ipc_next_id(ctx, CKPT_IPC_SHM, &h->perm);
	if (ret)
		goto out;
	/*
	 * Made under the key it was made with, which names its file; one
	 * removed since lets its key go at once (it is marked removed once
	 * all are attached again), another segment may have that key now.
	 */
	made = ksys_shmget(h->name_key, h->size,
			   IPC_CREAT | IPC_EXCL | h->perm.mode);
	ids = &current->nsproxy->ipc_ns->ids[IPC_SHM_IDS];
	down_write(&ids->rwsem);
	perm = ckpt_ipc_made(ctx, CKPT_IPC_SHM, &h->perm, made);
	if (IS_ERR(perm)) {
		up_write(&ids->rwsem);
		ret = PTR_ERR(perm);
		goto out;
	}
	if (perm->key != h->perm.key)
		ipc_set_key_private(ids, perm);
	shp = container_of(perm, struct shmid_kernel, shm_perm);
	ckpt_ipc_set_perm(perm, &h->perm, uid, gid, cuid, cgid);
	shp->shm_ctim = h->ctime;
	ipc_update_pid(&shp->shm_cprid, cpid);
	file = get_file(shp->shm_file);
	/* its creator adopts it in its turn; until then it is ours */
	if (!h->creator) {
		task_lock(current);
		list_del_init(&shp->shm_clist);
		task_unlock(current);
	}
	ckpt_ipc_unlock(perm, CKPT_IPC_SHM);
	up_write(&ids->rwsem);

	sr->id = h->perm.id;
	sr->creator = h->creator;
	sr->dest = h->flags & CKPT_SHM_DEST;
	sr->atime = h->atime;
	sr->dtime = h->dtime;
	ret = ckpt_read_shmem_pages(ctx, file, h->size);
	fput(file);
out:
	put_pid(cpid);
	ckpt_hdr_put(ctx, h);
	return ret;
}

static int ckpt_restore_sem(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_ipc_sem *h;
	struct ckpt_sem *s = NULL;
	struct kern_ipc_perm *perm;
	struct pid **pids = NULL;
	struct sem_array *sma;
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	size_t size;
	int i, ret;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	ret = ckpt_read_hdr_type(ctx, &h->h, CKPT_HDR_IPC_SEM, sizeof(*h));
	if (ret)
		goto out;
	ret = ckpt_ipc_ids_of(ctx, &h->perm, &uid, &gid, &cuid, &cgid);
	if (ret)
		goto out;
	size = (size_t)h->nsems * sizeof(*s);
	if (!h->nsems || h->h.len != sizeof(*h) + size) {
		ret = ckpt_err(ctx, -EINVAL,
			       "bad IPC_SEM record: id %d with %u semaphores",
			       h->perm.id, h->nsems);
		goto out;
	}
	s = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	pids = kvcalloc(h->nsems, sizeof(*pids), GFP_KERNEL_ACCOUNT);
	if (!s || !pids) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ckpt_kread(ctx, s, size);
	for (i = 0; !ret && i < h->nsems; i++) {
		if (s[i].semval < 0 || s[i].semval > SEMVMX) {
			ret = ckpt_err(ctx, -EINVAL,
				       "semaphore array id %d: semaphore %d has value %d",
				       h->perm.id, i, s[i].semval);
			break;
		}
		pids[i] = ckpt_get_pid(ctx, s[i].sempid);
		if (IS_ERR(pids[i])) {
			ret = ckpt_err(ctx, PTR_ERR(pids[i]),
				       "semaphore array id %d: cannot keep pid %d",
				       h->perm.id, s[i].sempid);
			pids[i] = NULL;
		}
	}
	if (!ret)
		ret = ckpt_ipc_next_id(ctx, CKPT_IPC_SEM, &h->perm);
	if (ret)
		goto out;
	perm = ckpt_ipc_made(ctx, CKPT_IPC_SEM, &h->perm,
			     ksys_semget(h->perm.key, h->nsems,
					 IPC_CREAT | IPC_EXCL | h->perm.mode));
	if (IS_ERR(perm)) {
		ret = PTR_ERR(perm);
		goto out;
	}
	sma = container_of(perm, struct sem_array, sem_perm);
	ckpt_ipc_set_perm(perm, &h->perm, uid, gid, cuid, cgid);
	sma->sem_ctime = h->ctime;
	for (i = 0; i < h->nsems; i++) {
		sma->sems[i].semval = s[i].semval;
		sma->sems[i].sem_otime = s[i].otime;
		ipc_update_pid(&sma->sems[i].sempid, pids[i]);
	}
	ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
out:
	for (i = 0; pids && i < h->nsems; i++)
		put_pid(pids[i]);
	kvfree(pids);
	kvfree(s);
	kfree(h);
	return ret;
}

/* Read one message of the image into a new struct msg_msg */
static struct msg_msg *ckpt_read_msg(struct ckpt_ctx *ctx, int id)
{
	struct ckpt_hdr_ipc_msg h;
	struct msg_msgseg *seg;
	struct msg_msg *msg;
	size_t len, alen;
	int ret;

	ret = ckpt_read_hdr_type(ctx, &h.h, CKPT_HDR_IPC_MSG, sizeof(h));
	if (ret)
		return ERR_PTR(ret);
	/* not msgmax: it may have been lowered since it was sent */
	if (h.mtype < 1 || h.h.len != sizeof(h) + h.size)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"message queue id %d: bad message of type %lld and %llu bytes",
					id, h.mtype, h.size));
	len = h.size;
	msg = alloc_msg(len);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	msg->m_type = h.mtype;
	msg->m_ts = len;
	alen = min(len, DATALEN_MSG);
	ret = ckpt_kread(ctx, msg + 1, alen);
	for (seg = msg->next; !ret && seg; seg = seg->next) {
		len -= alen;
		alen = min(len, DATALEN_SEG);
		ret = ckpt_kread(ctx, seg + 1, alen);
	}
	if (!ret)
		ret = security_msg_msg_alloc(msg);
	if (ret) {
		free_msg(msg);
		return ERR_PTR(ret);
	}
	return msg;
}

static int ckpt_restore_msq(struct ckpt_ctx *ctx)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct pid *pids[2] = {};
	struct ckpt_hdr_ipc_msq *h;
	struct kern_ipc_perm *perm;
	struct msg_queue *msq;
	struct msg_msg *msg;
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	u32 i;
	int ret;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_IPC_MSQ, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	ret = ckpt_ipc_ids_of(ctx, &h->perm, &uid, &gid, &cuid, &cgid);
	if (!ret && h->qbytes > ULONG_MAX)
		ret = ckpt_err(ctx, -EINVAL,
			       "bad IPC_MSQ record: id %d qbytes %llu",
			       h->perm.id, h->qbytes);
	/* msgctl(IPC_SET)'s rule */
	if (!ret && h->qbytes > READ_ONCE(ns->msg_ctlmnb) &&
	    !capable(CAP_SYS_RESOURCE))
		ret = ckpt_err(ctx, -EPERM,
			       "message queue id %d: no permission to let it hold %llu bytes (msgmnb %u)",
			       h->perm.id, h->qbytes, READ_ONCE(ns->msg_ctlmnb));
	if (!ret)
		ret = ckpt_ipc_get_pids(ctx, h->perm.id, pids, &h->lspid, 2);
	if (!ret)
		ret = ckpt_ipc_next_id(ctx, CKPT_IPC_MSG, &h->perm);
	if (ret)
		goto out;
	perm = ckpt_ipc_made(ctx, CKPT_IPC_MSG, &h->perm,
			     ksys_msgget(h->perm.key,
					 IPC_CREAT | IPC_EXCL | h->perm.mode));
	if (IS_ERR(perm)) {
		ret = PTR_ERR(perm);
		goto out;
	}
	msq = container_of(perm, struct msg_queue, q_perm);
	ckpt_ipc_set_perm(perm, &h->perm, uid, gid, cuid, cgid);
	msq->q_qbytes = h->qbytes;
	ckpt_ipc_unlock(perm, CKPT_IPC_MSG);

	for (i = 0; i < h->nr_msgs; i++) {
		msg = ckpt_read_msg(ctx, h->perm.id);
		if (IS_ERR(msg)) {
			ret = PTR_ERR(msg);
			goto out;
		}
		perm = ckpt_ipc_lock(ctx, ns, CKPT_IPC_MSG, h->perm.id);
		if (IS_ERR(perm)) {
			free_msg(msg);
			ret = PTR_ERR(perm);
			goto out;
		}
		msq = container_of(perm, struct msg_queue, q_perm);
		/*
		 * Not msgsnd()'s limits: msgctl(IPC_SET) may have made the
		 * queue smaller than what it holds. The stream bounds it.
		 */
		ret = security_msg_queue_msgsnd(perm, msg, 0);
		if (ret) {
			ckpt_ipc_unlock(perm, CKPT_IPC_MSG);
			free_msg(msg);
			goto out;
		}
		list_add_tail(&msg->m_list, &msq->q_messages);
		msq->q_cbytes += msg->m_ts;
		msq->q_qnum++;
		percpu_counter_add_local(&ns->percpu_msg_bytes, msg->m_ts);
		percpu_counter_add_local(&ns->percpu_msg_hdrs, 1);
		ckpt_ipc_unlock(perm, CKPT_IPC_MSG);
	}

	perm = ckpt_ipc_lock(ctx, ns, CKPT_IPC_MSG, h->perm.id);
	if (IS_ERR(perm)) {
		ret = PTR_ERR(perm);
		goto out;
	}
	msq = container_of(perm, struct msg_queue, q_perm);
	msq->q_stime = h->stime;
	msq->q_rtime = h->rtime;
	msq->q_ctime = h->ctime;
	ipc_update_pid(&msq->q_lspid, pids[0]);
	ipc_update_pid(&msq->q_lrpid, pids[1]);
	ckpt_ipc_unlock(perm, CKPT_IPC_MSG);
out:
	put_pid(pids[0]);
	put_pid(pids[1]);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/* The limits of the image, checked against what the sysctls allow */
static int ckpt_ipc_set_limits(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			       const struct ckpt_hdr_ipc_ns *h)
{
	bool same = true;
	int i;

	for (i = 0; i < ARRAY_SIZE(h->sem_ctls); i++) {
		if (h->sem_ctls[i] > INT_MAX)
			goto bad;
		same &= h->sem_ctls[i] == ns->sem_ctls[i];
	}
	if (h->sem_ctls[3] > ipc_mni || h->msg_ctlmni > ipc_mni ||
	    h->shm_ctlmni > ipc_mni || h->msg_ctlmax > INT_MAX ||
	    h->msg_ctlmnb > INT_MAX || h->shm_rmid_forced > 1 ||
	    h->mq_msg_max < MIN_MSGMAX || h->mq_msg_max > HARD_MSGMAX ||
	    h->mq_msg_default < MIN_MSGMAX || h->mq_msg_default > HARD_MSGMAX ||
	    h->mq_msgsize_max < MIN_MSGSIZEMAX ||
	    h->mq_msgsize_max > HARD_MSGSIZEMAX ||
	    h->mq_msgsize_default < MIN_MSGSIZEMAX ||
	    h->mq_msgsize_default > HARD_MSGSIZEMAX ||
	    h->mq_queues_max > INT_MAX || h->shm_ctlmax > ULONG_MAX ||
	    h->shm_ctlall > ULONG_MAX)
		goto bad;
	same &= h->msg_ctlmax == ns->msg_ctlmax &&
		h->msg_ctlmnb == ns->msg_ctlmnb &&
		h->msg_ctlmni == ns->msg_ctlmni &&
		h->shm_ctlmni == ns->shm_ctlmni &&
		h->shm_ctlmax == ns->shm_ctlmax &&
		h->shm_ctlall == ns->shm_ctlall &&
		h->shm_rmid_forced == ns->shm_rmid_forced &&
		h->mq_queues_max == ns->mq_queues_max &&
		h->mq_msg_max == ns->mq_msg_max &&
		h->mq_msgsize_max == ns->mq_msgsize_max &&
		h->mq_msg_default == ns->mq_msg_default &&
		h->mq_msgsize_default == ns->mq_msgsize_default;
	/* the namespace's sysctls are its owner's root's */
	if (!same && !ns_capable(ns->user_ns, CAP_SYS_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"no permission to set the IPC namespace's limits");
	for (i = 0; i < ARRAY_SIZE(h->sem_ctls); i++)
		ns->sem_ctls[i] = h->sem_ctls[i];
	ns->msg_ctlmax = h->msg_ctlmax;
	ns->msg_ctlmnb = h->msg_ctlmnb;
	ns->msg_ctlmni = h->msg_ctlmni;
	ns->shm_ctlmni = h->shm_ctlmni;
	ns->shm_ctlmax = h->shm_ctlmax;
	ns->shm_ctlall = h->shm_ctlall;
	ns->mq_queues_max = h->mq_queues_max;
	ns->mq_msg_max = h->mq_msg_max;
	ns->mq_msgsize_max = h->mq_msgsize_max;
	ns->mq_msg_default = h->mq_msg_default;
	ns->mq_msgsize_default = h->mq_msgsize_default;
	return 0;
bad:
	return ckpt_err(ctx, -EINVAL, "bad IPC_NS record: limits out of range");
}

/* Where new ids go on, once all objects are back */
static int ckpt_ipc_set_ids(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			    const struct ckpt_hdr_ipc_ns *h)
{
	int k;

	for (k = 0; k < CKPT_IPC_NR_IDS; k++) {
		const struct ckpt_ipc_ids *r = &h->ids[k];
		struct ipc_ids *ids = &ns->ids[ckpt_ipc_kind[k]];

		if (r->seq > ipcid_seq_max() || r->last_idx < -1 ||
		    r->last_idx >= ipc_mni || r->cursor > ipc_mni)
			return ckpt_err(ctx, -EINVAL,
					"bad IPC_NS record: %s ids at sequence %u, index %d, cursor %u",
					ckpt_ipc_name[k], r->seq, r->last_idx,
					r->cursor);
		down_write(&ids->rwsem);
		ids->seq = r->seq;
		ids->last_idx = r->last_idx;
		ids->next_id = -1;
		idr_set_cursor(&ids->ipcs_idr, r->cursor);
		up_write(&ids->rwsem);
	}
	return 0;
}

static void *ckpt_ipc_ns_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				 int *objref)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct ckpt_ipc_restore *ir = NULL;
	struct ckpt_hdr_ipc_ns *h;
	u32 nr_sem, nr_msg, i;
	int k, ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if (h->own > 1 ||
	    (!h->own && memchr_inv(&h->sem_ctls, 0,
				   sizeof(*h) - offsetof(typeof(*h), sem_ctls)))) {
		ret = ckpt_err(ctx, -EINVAL, "bad IPC_NS record");
		goto out;
	}
	if (!h->own)
		goto out;
	for (k = 0; k < CKPT_IPC_NR_IDS; k++)
		if (h->ids[k].nr > ipc_mni)
			ret = ckpt_err(ctx, -EINVAL,
				       "bad IPC_NS record: %u %ss",
				       h->ids[k].nr, ckpt_ipc_name[k]);
	if (ret)
		goto out;
	if (ns == ctx->coord_ipc_ns || ns == &init_ipc_ns) {
		ret = ckpt_err(ctx, -EINVAL,
			       "the tree had an IPC namespace of its own: restart it in a new one");
		goto out;
	}
	/* the index sees an IPC namespace of the tree's own */
	if (ckpt_local(ctx)->par) {
		ret = ckpt_err(ctx, -EINVAL,
			       "an IPC namespace of the tree's own in a section restored in parallel");
		goto out;
	}
	mutex_lock(&ctx->ipc_lock);
	ir = ckpt_ipc_state(ctx);
	mutex_unlock(&ctx->ipc_lock);
	if (IS_ERR(ir)) {
		ret = PTR_ERR(ir);
		goto out;
	}
	if (ir->own || ir->ns != ns || ns->ids[IPC_SEM_IDS].in_use ||
	    ns->ids[IPC_MSG_IDS].in_use || ns->ids[IPC_SHM_IDS].in_use) {
		ret = ckpt_err(ctx, -EBUSY,
			       "the IPC namespace to restore into is not empty");
		goto out;
	}
	ret = ckpt_ipc_set_limits(ctx, ns, h);
	if (ret)
		goto out;
	ir->own = true;
	ir->rmid_forced = h->shm_rmid_forced;

	for (i = 0; !ret && i < h->ids[CKPT_IPC_SHM].nr; i++) {
		/* grown as records come: the count is the image's word */
		if (!(i & (i - 1))) {
			struct ckpt_shm_restore *shm;

			shm = kvrealloc(ir->shm, i * sizeof(*shm),
					(i ? 2 * i : 1) * sizeof(*shm),
					GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!shm) {
				ret = -ENOMEM;
				break;
			}
			ir->shm = shm;
		}
		ret = ckpt_restore_shm(ctx, &ir->shm[i]);
		ir->nr_shm = i + 1;
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
	}
	nr_sem = h->ids[CKPT_IPC_SEM].nr;
	for (i = 0; !ret && i < nr_sem; i++) {
		ret = ckpt_restore_sem(ctx);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
	}
	nr_msg = h->ids[CKPT_IPC_MSG].nr;
	for (i = 0; !ret && i < nr_msg; i++) {
		ret = ckpt_restore_msq(ctx);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
	}
	if (!ret)
		ret = ckpt_ipc_set_ids(ctx, ns, h);
out:
	ckpt_hdr_put(ctx, h);
	if (ret)
		return ERR_PTR(ret);
	return get_ipc_ns(ns);
}

/*
 * The segments the calling task made before it was checkpointed: moved
 * from the task that made them all to it, as newseg() would have linked
 * them (kernel.shm_rmid_forced removes a creator's unattached segments
 * when it exits).
 */
static int ckpt_adopt_shm(struct ckpt_ctx *ctx, pid_t self)
{
	struct ckpt_ipc_restore *ir;
	struct kern_ipc_perm *perm;
	struct shmid_kernel *shp;
	struct task_struct *maker;
	unsigned int i;
	int ret = 0;

	mutex_lock(&ctx->ipc_lock);
	ir = ctx->ipc;
	for (i = 0; ir && i < ir->nr_shm; i++) {
		if (ir->shm[i].creator != self)
			continue;
		perm = ckpt_ipc_lock(ctx, ir->ns, CKPT_IPC_SHM, ir->shm[i].id);
		if (IS_ERR(perm)) {
			ret = PTR_ERR(perm);
			break;
		}
		shp = container_of(perm, struct shmid_kernel, shm_perm);
		maker = list_empty(&shp->shm_clist) ? NULL : shp->shm_creator;
		if (maker && maker != current) {
			task_lock(maker);
			list_del_init(&shp->shm_clist);
			task_unlock(maker);
			task_lock(current);
			list_add(&shp->shm_clist, &current->sysvshm.shm_clist);
			shp->shm_creator = current;
			task_unlock(current);
		}
		ckpt_ipc_unlock(perm, CKPT_IPC_SHM);
		ir->shm[i].creator = 0;
	}
	mutex_unlock(&ctx->ipc_lock);
	return ret;
}

/* Make the caller's SEM_UNDO list @ulp (NULL: none) */
static void ckpt_set_undo_list(struct sem_undo_list *ulp)
{
	if (current->sysvsem.undo_list == ulp)
		return;
	/* the list clone() gave it: empty, nothing is undone */
	exit_sem(current);
	if (ulp)
		refcount_inc(&ulp->refcnt);
	current->sysvsem.undo_list = ulp;
}

/*
 * Free a SEM_UNDO list whose tasks all died in the restart, without
 * undoing its adjustments: the restart fails, its tree is killed. As
 * exit_sem() unlinks its entries, in the namespace of the restart.
 */
static void ckpt_sem_undo_free(struct ipc_namespace *ns,
			       struct sem_undo_list *ulp)
{
	struct kern_ipc_perm *perm;
	struct sem_undo *un, *u;
	int semid;

	for (;;) {
		cond_resched();
		rcu_read_lock();
		spin_lock(&ulp->lock);
		un = list_first_entry_or_null(&ulp->list_proc, struct sem_undo,
					      list_proc);
		semid = un ? un->semid : -1;
		spin_unlock(&ulp->lock);
		if (!un) {
			rcu_read_unlock();
			break;
		}
		/* an array being removed: freeary() unlinks the entry */
		perm = ipc_obtain_object_check(&ns->ids[IPC_SEM_IDS], semid);
		if (IS_ERR(perm)) {
			rcu_read_unlock();
			continue;
		}
		ckpt_ipc_lock_object(perm, CKPT_IPC_SEM);
		list_for_each_entry(u, &container_of(perm, struct sem_array,
						     sem_perm)->list_id, list_id) {
			if (u != un || !ipc_valid_object(perm))
				continue;
			list_del(&un->list_id);
			spin_lock(&ulp->lock);
			list_del_rcu(&un->list_proc);
			spin_unlock(&ulp->lock);
			kvfree_rcu(un, rcu);
			break;
		}
		ckpt_ipc_unlock(perm, CKPT_IPC_SEM);
	}
	/* a freeary() that unlinked the last entry may still hold the lock */
	spin_lock(&ulp->lock);
	spin_unlock(&ulp->lock);
	kfree(ulp);
}

/*
 * Drop the restart's references on the SEM_UNDO lists it made. With
 * @last_ok false a list nobody else holds any more is an error: the
 * tasks that had it died before the restart was done.
 */
static int ckpt_put_undo_lists(struct ckpt_ctx *ctx, bool last_ok)
{
	struct ckpt_ipc_restore *ir = ctx->ipc;
	int ret = 0;

	while (ir && ir->nr_undo) {
		struct sem_undo_list *ulp = ir->undo[--ir->nr_undo];

		if (refcount_dec_and_test(&ulp->refcnt)) {
			ckpt_sem_undo_free(ir->ns, ulp);
			if (!last_ok && !ret)
				ret = -ESRCH;
		}
	}
	return ret;
}

/* One array's adjustments of the caller's new SEM_UNDO list */
static int ckpt_restore_sem_adj(struct ckpt_ctx *ctx,
				struct sem_undo_list *ulp)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct ckpt_hdr_sem_adj h;
	struct kern_ipc_perm *perm;
	struct sem_undo *un, *old;
	struct sem_array *sma;
	size_t size;
	int i, ret;

	ret = ckpt_read_hdr_type(ctx, &h.h, CKPT_HDR_SEM_ADJ, sizeof(h));
	if (ret)
		return ret;
	size = round_up((size_t)h.nsems * sizeof(s16), 8);
	if (!h.nsems || h.h.len != sizeof(h) + size)
		return ckpt_err(ctx, -EINVAL,
				"bad SEM_ADJ record: id %d, %u semaphores",
				h.semid, h.nsems);
	un = kvzalloc(sizeof(*un) + size, GFP_KERNEL_ACCOUNT);
	if (!un)
		return -ENOMEM;
	un->semadj = (short *)&un[1];
	ret = ckpt_kread(ctx, un->semadj, size);
	/* any value is one semop() may leave; the padding is zero */
	for (i = h.nsems; !ret && i < size / sizeof(s16); i++)
		if (un->semadj[i])
			ret = ckpt_err(ctx, -EINVAL,
				       "SEM_ADJ of semaphore array id %d: padding not zero",
				       h.semid);
	if (ret)
		goto err;

	rcu_read_lock();
	perm = ipc_obtain_object_check(&ns->ids[IPC_SEM_IDS], h.semid);
	if (IS_ERR(perm)) {
		rcu_read_unlock();
		ret = ckpt_err(ctx, -EINVAL,
			       "SEM_ADJ of semaphore array id %d, which there is not",
			       h.semid);
		goto err;
	}
	sma = container_of(perm, struct sem_array, sem_perm);
	ckpt_sem_lock(sma);
	if (!ipc_valid_object(perm) || sma->sem_nsems != h.nsems) {
		ret = -EINVAL;
	} else {
		list_for_each_entry(old, &sma->list_id, list_id)
			if (old->ulp == ulp)
				ret = -EEXIST;
	}
	if (!ret) {
		spin_lock(&ulp->lock);
		un->ulp = ulp;
		un->semid = h.semid;
		list_add(&un->list_id, &sma->list_id);
		list_add_rcu(&un->list_proc, &ulp->list_proc);
		spin_unlock(&ulp->lock);
	}
	ckpt_sem_unlock(sma);
	rcu_read_unlock();
	if (!ret)
		return 0;
	ret = ckpt_err(ctx, ret,
		       "SEM_ADJ of semaphore array id %d: %u semaphores or twice",
		       h.semid, h.nsems);
err:
	kvfree(un);
	return ret;
}

static void *ckpt_sem_undo_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				   int *objref)
{
	struct sem_undo_list *ulp, **undo;
	struct ckpt_ipc_restore *ir;
	struct ckpt_hdr_sem_undo *h;
	u32 i;
	int ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	mutex_lock(&ctx->ipc_lock);
	ir = ckpt_ipc_state(ctx);
	if (IS_ERR(ir)) {
		ret = PTR_ERR(ir);
		goto unlock;
	}
	/* adjustments only on arrays this restart made */
	if (h->nr && (!ir->own || ir->ns != current->nsproxy->ipc_ns)) {
		ret = ckpt_err(ctx, -EINVAL,
			       "SEM_UNDO adjustments outside an IPC namespace of the tree's own");
		goto unlock;
	}
	ret = -ENOMEM;
	undo = krealloc_array(ir->undo, ir->nr_undo + 1, sizeof(*undo),
			      GFP_KERNEL_ACCOUNT);
	if (!undo)
		goto unlock;
	ir->undo = undo;
	ulp = kzalloc(sizeof(*ulp), GFP_KERNEL_ACCOUNT);
	if (!ulp)
		goto unlock;
	spin_lock_init(&ulp->lock);
	refcount_set(&ulp->refcnt, 1);
	INIT_LIST_HEAD(&ulp->list_proc);
	/* the restart's reference, until every task that names it has it */
	ir->undo[ir->nr_undo++] = ulp;
	mutex_unlock(&ctx->ipc_lock);
	ckpt_set_undo_list(ulp);
	ret = 0;
	for (i = 0; !ret && i < h->nr; i++)
		ret = ckpt_restore_sem_adj(ctx, ulp);
	goto out;
unlock:
	mutex_unlock(&ctx->ipc_lock);
out:
	ckpt_hdr_put(ctx, h);
	return ret ? ERR_PTR(ret) : ulp;
}

/*
 * The object hash keeps no reference on a SEM_UNDO list: the last
 * reference of a list in use must be dropped by exit_sem(), which undoes
 * its adjustments. At checkpoint the list is only compared, never
 * touched (see ckpt_sem_undo_checkpoint()); at restart ctx->ipc holds a
 * reference until every task is restored.
 */
static void ckpt_sem_undo_grab(void *ptr)
{
}

static void ckpt_sem_undo_drop(void *ptr)
{
}

/**
 * ckpt_restore_task_ipc - restore the caller's SysV IPC state
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * Takes over the segments it had made and sets its SEM_UNDO list.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_task_ipc(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct sem_undo_list *ulp = NULL;
	struct ckpt_hdr_sysvsem *h;
	int ret;

	ret = ckpt_adopt_shm(ctx, tr->entry->pid);
	if (ret)
		return ret;
	h = ckpt_read_obj_type(ctx, CKPT_HDR_SYSVSEM, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (h->undo > 1)
		ret = ckpt_err(ctx, -EINVAL, "bad SYSVSEM record");
	else if (h->undo)
		ulp = ckpt_obj_restore(ctx, CKPT_OBJ_SEM_UNDO);
	if (IS_ERR(ulp))
		ret = PTR_ERR(ulp);
	else if (!ret)
		ckpt_set_undo_list(ulp);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_ipc_finish - last steps of an IPC namespace's restore
 * @ctx: restart context, every task restored
 *
 * Every attach is back: removed segments are removed again, the attach
 * times and pids set, and kernel.shm_rmid_forced (which removes segments
 * detached by all) set last.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_ipc_finish(struct ckpt_ctx *ctx)
{
	struct ckpt_ipc_restore *ir = ctx->ipc;
	int ret = 0, unattached = -1;
	struct ipc_ids *ids;
	unsigned int i;

	if (!ir)
		return 0;
	if (ckpt_put_undo_lists(ctx, false))
		return ckpt_err(ctx, -ESRCH,
				"the tasks of a SEM_UNDO list died during the restart");
	if (!ir->own)
		return 0;
	ids = &ir->ns->ids[IPC_SHM_IDS];
	down_write(&ids->rwsem);
	for (i = 0; unattached < 0 && i < ir->nr_shm; i++) {
		struct ckpt_shm_restore *sr = &ir->shm[i];
		struct kern_ipc_perm *perm;
		struct shmid_kernel *shp;

		perm = ckpt_ipc_lock(ctx, ir->ns, CKPT_IPC_SHM, sr->id);
		if (IS_ERR(perm)) {
			ret = PTR_ERR(perm);
			break;
		}
		shp = container_of(perm, struct shmid_kernel, shm_perm);
		shp->shm_atim = sr->atime;
		shp->shm_dtim = sr->dtime;
		ipc_update_pid(&shp->shm_lprid, sr->lpid);
		if (sr->dest && !shp->shm_nattch) {
			unattached = sr->id;
		} else if (sr->dest) {
			/* as do_shm_rmid() with attaches */
			perm->mode |= SHM_DEST;
			ipc_set_key_private(ids, perm);
		}
		ckpt_ipc_unlock(perm, CKPT_IPC_SHM);
	}
	up_write(&ids->rwsem);
	if (unattached >= 0)
		ret = ckpt_err(ctx, -EINVAL,
			       "shm segment id %d was removed, yet no task attaches it",
			       unattached);
	if (!ret)
		WRITE_ONCE(ir->ns->shm_rmid_forced, ir->rmid_forced);
	return ret;
}

/*
 * A restored segment attached as shmat() does, with the caller's (the
 * image task's) permission, to take the file of that attach, which maps
 * any part of the segment anywhere: each VMA of the attach maps it.
 */
static void *ckpt_shm_attach_restore(struct ckpt_ctx *ctx,
				     struct ckpt_hdr *hdr, int *objref)
{
	struct ckpt_ipc_restore *ir = ctx->ipc;
	struct ckpt_hdr_shm_attach *h;
	struct vm_area_struct *vma;
	struct file *file = NULL;
	unsigned long addr, end = 0;
	long ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if (h->flags & ~CKPT_SHM_ATTACH_RDONLY || !ir || !ir->own) {
		file = ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad SHM_ATTACH record: id %d flags %#x%s",
					h->shmid, h->flags,
					ir && ir->own ? "" :
					" without an IPC namespace of the tree's"));
		goto out;
	}
	/* mprotect() may add PROT_EXEC to any attach: no SHM_EXEC */
	ret = do_shmat(h->shmid, NULL,
		       h->flags & CKPT_SHM_ATTACH_RDONLY ? SHM_RDONLY : 0,
		       &addr, SHMLBA);
	if (ret) {
		file = ERR_PTR(ckpt_err(ctx, ret,
					"cannot attach shm segment id %d again",
					h->shmid));
		goto out;
	}
	mmap_read_lock(current->mm);
	vma = find_vma(current->mm, addr);
	if (vma && vma->vm_start == addr && vma->vm_file) {
		file = get_file(vma->vm_file);
		end = vma->vm_end;
	}
	mmap_read_unlock(current->mm);
	vm_munmap(addr, end ? end - addr : PAGE_SIZE);
	if (!file)
		file = ERR_PTR(ckpt_err(ctx, -EBUSY,
					"shm segment id %d: its attach vanished",
					h->shmid));
out:
	ckpt_hdr_put(ctx, h);
	return file;
}

/**
 * ckpt_ipc_free - free what a restart kept of an IPC namespace
 * @ctx: checkpoint context
 */
void ckpt_ipc_free(struct ckpt_ctx *ctx)
{
	struct ckpt_ipc_restore *ir = ctx->ipc;
	unsigned int i;

	if (!ir)
		return;
	ckpt_put_undo_lists(ctx, true);
	kfree(ir->undo);
	for (i = 0; i < ir->nr_shm; i++)
		put_pid(ir->shm[i].lpid);
	kvfree(ir->shm);
	put_ipc_ns(ir->ns);
	kfree(ir);
	ctx->ipc = NULL;
}

/* ---- object types -------------------------------------------------------- */

static void ckpt_ipc_ns_grab(void *ptr)
{
	get_ipc_ns(ptr);
}

static void ckpt_ipc_ns_drop(void *ptr)
{
	put_ipc_ns(ptr);
}

static const struct ckpt_obj_ops ckpt_ipc_ns_ops = {
	.name = "IPC namespace",
	.obj_type = CKPT_OBJ_IPC_NS,
	.hdr_type = CKPT_HDR_IPC_NS,
	.ref_grab = ckpt_ipc_ns_grab,
	.ref_drop = ckpt_ipc_ns_drop,
	.checkpoint = ckpt_ipc_ns_checkpoint,
	.restore = ckpt_ipc_ns_restore,
};

static void ckpt_shm_attach_grab(void *ptr)
{
	get_file(ptr);
}

static void ckpt_shm_attach_drop(void *ptr)
{
	fput(ptr);
}

static const struct ckpt_obj_ops ckpt_shm_attach_ops = {
	.name = "SysV shm attach",
	.obj_type = CKPT_OBJ_SHM_ATTACH,
	.hdr_type = CKPT_HDR_SHM_ATTACH,
	.ref_grab = ckpt_shm_attach_grab,
	.ref_drop = ckpt_shm_attach_drop,
	.checkpoint = ckpt_shm_attach_checkpoint,
	.restore = ckpt_shm_attach_restore,
};

static const struct ckpt_obj_ops ckpt_sem_undo_ops = {
	.name = "SEM_UNDO list",
	.obj_type = CKPT_OBJ_SEM_UNDO,
	.hdr_type = CKPT_HDR_SEM_UNDO,
	.ref_grab = ckpt_sem_undo_grab,
	.ref_drop = ckpt_sem_undo_drop,
	.checkpoint = ckpt_sem_undo_checkpoint,
	.restore = ckpt_sem_undo_restore,
};

static int __init ckpt_ipc_init(void)
{
	int ret = ckpt_obj_register(&ckpt_ipc_ns_ops);

	if (!ret)
		ret = ckpt_obj_register(&ckpt_sem_undo_ops);
	return ret ? ret : ckpt_obj_register(&ckpt_shm_attach_ops);
}
late_initcall(ckpt_ipc_init);
