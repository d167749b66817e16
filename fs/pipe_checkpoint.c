// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of pipes and FIFOs.
 *
 * A pipe is one object (CKPT_OBJ_PIPE, found by its inode) for all the
 * open files of it, both ends, in any task: the first FILE of it carries
 * the PIPE record with its size and its unread data, buffer by buffer;
 * later ones refer to it by objref. At restart the object is a file open
 * for reading and writing on a new pipe, or on the FIFO found again by
 * its path, which holds the pipe until the restart is over; each FILE is
 * a new open file of it with its own flags, as open("/proc/self/fd/N")
 * would make.
 *
 * A pipe with an end outside the tree is a leak in a container
 * checkpoint. In a subtree checkpoint its ends in the tree are restored
 * with the data it held, and nothing stands for the ends outside: a
 * reader reads what was saved, then end of file; a writer gets EPIPE.
 * A standard stream of the root leading out of the tree is handed over
 * from the restarter instead (fs/checkpoint.c).
 *
 * Image: FILE(PIPE | FIFO), then PIPE [STRING path] PIPE_BUF* or OBJREF
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/pipe_fs_i.h>
#include <linux/highmem.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/delay.h>
#include "internal.h"

/* open(2) flags a pipe's open file gets back */
#define CKPT_PIPE_OFLAGS	(CKPT_FILE_OFLAGS & \
				 ~(O_DIRECTORY | O_NOFOLLOW | O_PATH))
/* the largest pipe F_SETPIPE_SZ makes, in pages */
#define CKPT_PIPE_SLOTS_MAX	((1U << 31) >> PAGE_SHIFT)

static bool ckpt_pipe_match(struct file *file)
{
	return file->f_op == &pipefifo_fops &&
	       (file->f_path.mnt->mnt_flags & MNT_INTERNAL);
}

static bool ckpt_fifo_match(struct file *file)
{
	return file->f_op == &pipefifo_fops && ckpt_file_reachable(file);
}

static int ckpt_pipe_collect(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_obj_collect(ctx, file_inode(file), CKPT_OBJ_PIPE, false);
}

/*
 * Open files of the pipe of @file outside the tree: all its files
 * (pipe->files) against those the collect pass found in the tree.
 */
static int ckpt_pipe_outside(struct ckpt_ctx *ctx, struct file *file)
{
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	struct inode *inode = file_inode(file);
	int files, inside = ckpt_obj_tree_refs(ctx, inode);

	spin_lock(&inode->i_lock);
	files = pipe->files;
	spin_unlock(&inode->i_lock);
	if (files <= inside)
		return CKPT_FILE_INSIDE;
	return inside > 1 ? CKPT_FILE_OUTSIDE_SHARED : CKPT_FILE_OUTSIDE;
}

static int ckpt_pipe_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_obj_ref *ref)
{
	const char *what = ckpt_pipe_match(file) ? "pipe" : "FIFO";
	struct ckpt_obj_ref pref = *ref;
	int ret;

	if (ckpt_pipe_outside(ctx, file) != CKPT_FILE_INSIDE ||
	    ckpt_obj_outside(ctx, file)) {
		if (ctx->kflags & CKPT_CTX_LEAKCHECK)
			return ckpt_err(ctx, -EBUSY,
					"leak: pid %d fd %d: %s %pD is also open outside the tree",
					task_pid_vnr(ref->task), ref->fd, what,
					file);
		ckpt_msg(ctx, "pid %d fd %d: %s %pD is also open outside the tree: restart restores its data, not what is outside",
			 task_pid_vnr(ref->task), ref->fd, what, file);
	}
	pref.file = file;
	ret = ckpt_obj_checkpoint(ctx, file_inode(file), CKPT_OBJ_PIPE, &pref);
	return ret < 0 ? ret : 0;
}

/*
 * Take @pipe's mutex without waiting on it: the task being saved is held
 * (its exec_update_lock), and a splice from a /proc file into the pipe
 * holds the mutex while it waits for that lock. A frozen tree does not
 * hold the mutex; a process outside may, for a moment.
 */
static bool ckpt_pipe_trylock(struct pipe_inode_info *pipe)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (mutex_trylock(&pipe->mutex))
			return true;
		if (fatal_signal_pending(current))
			break;
		msleep(20);
	}
	return false;
}

/*
 * The buffers of @pipe as PIPE_BUF records, each followed by its data,
 * one after the other in a new buffer; *@nr of them. Copied with the
 * pipe locked: a process outside the tree may use it meanwhile.
 */
static void *ckpt_pipe_copy(struct ckpt_ctx *ctx, struct pipe_inode_info *pipe,
			    u32 *slots, u32 *nr, size_t *size)
{
	struct ckpt_hdr_pipe_buf *rec;
	struct pipe_buffer *buf;
	unsigned int tail, mask;
	void *copy, *p;
	int ret = 0;

	if (!ckpt_pipe_trylock(pipe))
		return ERR_PTR(-EBUSY);
	if (pipe_has_watch_queue(pipe)) {
		pipe_unlock(pipe);
		return ERR_PTR(-EOPNOTSUPP);
	}
	*slots = pipe->max_usage;
	*nr = 0;
	copy = kvmalloc(pipe_occupancy(pipe->head, pipe->tail) *
			(sizeof(*rec) + PAGE_SIZE) + 1, GFP_KERNEL_ACCOUNT);
	if (!copy) {
		pipe_unlock(pipe);
		return ERR_PTR(-ENOMEM);
	}
	p = copy;
	mask = pipe->ring_size - 1;
	for (tail = pipe->tail; tail != pipe->head; tail++) {
		buf = &pipe->bufs[tail & mask];
		if (!buf->len)
			continue;
		if (buf->offset + buf->len > PAGE_SIZE) {
			ret = -EOPNOTSUPP;
			break;
		}
		ret = pipe_buf_confirm(pipe, buf);
		if (ret)
			break;
		rec = p;
		rec->h.type = CKPT_HDR_PIPE_BUF;
		rec->h.len = sizeof(*rec) + buf->len;
		rec->len = buf->len;
		rec->flags = 0;
		if (buf->flags & PIPE_BUF_FLAG_PACKET)
			rec->flags |= CKPT_PIPE_BUF_PACKET;
		else if (buf->flags & PIPE_BUF_FLAG_CAN_MERGE)
			rec->flags |= CKPT_PIPE_BUF_MERGE;
		memcpy_from_page((void *)(rec + 1), buf->page, buf->offset,
				 buf->len);
		p += rec->h.len;
		(*nr)++;
	}
	pipe_unlock(pipe);
	if (ret) {
		kvfree(copy);
		return ERR_PTR(ret);
	}
	*size = p - copy;
	return copy;
}

static int ckpt_pipe_obj_checkpoint(struct ckpt_ctx *ctx, void *ptr,
				    int objref, const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_pipe h = {
		.h.type = CKPT_HDR_PIPE,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct file *file = ref->file;
	struct ckpt_hdr_pipe_buf *rec;
	size_t size, off;
	void *copy;
	int ret;

	h.kind = ckpt_fifo_match(file) ? CKPT_PIPE_FIFO : CKPT_PIPE_ANON;
	copy = ckpt_pipe_copy(ctx, get_pipe_info(file, false), &h.nr_slots,
			      &h.nr_bufs, &size);
	if (IS_ERR(copy))
		return ckpt_err(ctx, PTR_ERR(copy),
				"pid %d fd %d: cannot save the data in %s %pD%s",
				task_pid_vnr(ref->task), ref->fd,
				h.kind == CKPT_PIPE_FIFO ? "FIFO" : "pipe", file,
				PTR_ERR(copy) == -EOPNOTSUPP ?
				": a notification pipe or a buffer over a page, not supported" :
				PTR_ERR(copy) == -EBUSY ?
				": a process outside the tree holds it" : "");
	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret && h.kind == CKPT_PIPE_FIFO)
		ret = ckpt_write_fname(ctx, &file->f_path);
	for (off = 0; !ret && off < size; off += rec->h.len) {
		rec = copy + off;
		ret = ckpt_write_obj(ctx, &rec->h);
	}
	kvfree(copy);
	return ret;
}

/* A new pipe, as a file open for reading and writing */
static struct file *ckpt_pipe_new(struct ckpt_ctx *ctx)
{
	struct file *res[2], *file;
	int ret;

	ret = create_pipe_files(res, 0);
	if (ret)
		return ERR_PTR(ckpt_err(ctx, ret, "cannot make a pipe"));
	file = dentry_open(&res[0]->f_path, O_RDWR | O_NONBLOCK,
			   current_cred());
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot open a new pipe");
	fput(res[0]);
	fput(res[1]);
	return file;
}

/*
 * The FIFO at @name, as a file open for reading and writing: it never
 * blocks, and holds the pipe for the ends opened after it. Not a file
 * the task gets: its own opens check its permissions.
 */
static struct file *ckpt_fifo_open(struct ckpt_ctx *ctx, const char *name)
{
	struct file *file;
	struct path path;
	int ret;

	ret = kern_path(name, LOOKUP_FOLLOW, &path);
	if (ret)
		return ERR_PTR(ckpt_err(ctx, ret, "cannot find FIFO %s", name));
	if (!S_ISFIFO(d_inode(path.dentry)->i_mode) ||
	    (path.mnt->mnt_flags & MNT_INTERNAL)) {
		path_put(&path);
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "%s is not a FIFO", name));
	}
	file = dentry_open(&path, O_RDWR | O_NONBLOCK, current_cred());
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot open FIFO %s", name);
	path_put(&path);
	return file;
}

static void ckpt_pipe_set_flags(struct file *file, unsigned int mask,
				unsigned int flags)
{
	spin_lock(&file->f_lock);
	file->f_flags = (file->f_flags & ~mask) | (flags & mask);
	spin_unlock(&file->f_lock);
}

/* Give the buffer @back from the last one of @pipe the PIPE_BUF @flags */
static void ckpt_pipe_buf_flags(struct pipe_inode_info *pipe,
				unsigned int back, u32 flags)
{
	struct pipe_buffer *buf;

	pipe_lock(pipe);
	buf = &pipe->bufs[(pipe->head - 1 - back) & (pipe->ring_size - 1)];
	buf->flags &= ~(PIPE_BUF_FLAG_PACKET | PIPE_BUF_FLAG_CAN_MERGE);
	if (flags & CKPT_PIPE_BUF_PACKET)
		buf->flags |= PIPE_BUF_FLAG_PACKET;
	if (flags & CKPT_PIPE_BUF_MERGE)
		buf->flags |= PIPE_BUF_FLAG_CAN_MERGE;
	pipe_unlock(pipe);
}

/*
 * One buffer of data, written in packet mode as one new buffer of the
 * pipe: it has the flags of a packet until the next one is written (a
 * write appends to a buffer that may be merged into). *@flags: its
 * PIPE_BUF flags.
 */
static int ckpt_pipe_fill_one(struct ckpt_ctx *ctx, struct file *keeper,
			      void *data, u32 *flags)
{
	struct ckpt_hdr_pipe_buf rec;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	ret = ckpt_read_hdr_type(ctx, &rec.h, CKPT_HDR_PIPE_BUF, sizeof(rec));
	if (ret)
		return ret;
	if (!rec.len || rec.len > PAGE_SIZE ||
	    rec.h.len != sizeof(rec) + rec.len ||
	    rec.flags & ~(CKPT_PIPE_BUF_PACKET | CKPT_PIPE_BUF_MERGE) ||
	    rec.flags == (CKPT_PIPE_BUF_PACKET | CKPT_PIPE_BUF_MERGE))
		return ckpt_err(ctx, -EINVAL, "bad pipe buffer: %u bytes, flags %#x",
				rec.len, rec.flags);
	ret = ckpt_kread(ctx, data, rec.len);
	if (ret)
		return ret;
	n = kernel_write(keeper, data, rec.len, &pos);
	if (n != rec.len)
		return ckpt_err(ctx, n < 0 ? n : -EIO,
				"cannot put %u bytes back in pipe %pD", rec.len,
				keeper);
	*flags = rec.flags;
	return 0;
}

/*
 * Give the pipe of @keeper its size and its data. A FIFO may be open
 * elsewhere already: what the image holds for it must be put in an empty
 * one, and the task must be allowed to write to it.
 */
static int ckpt_pipe_fill(struct ckpt_ctx *ctx, struct file *keeper,
			  const struct ckpt_hdr_pipe *h)
{
	struct pipe_inode_info *pipe = get_pipe_info(keeper, false);
	unsigned int slots;
	bool empty;
	void *data;
	long ret;
	u32 i, flags = 0, prev = 0;

	pipe_lock(pipe);
	slots = pipe->max_usage;
	empty = pipe_empty(pipe->head, pipe->tail);
	pipe_unlock(pipe);
	if (slots == h->nr_slots && !h->nr_bufs)
		return 0;
	if (h->kind == CKPT_PIPE_FIFO) {
		ret = path_permission(&keeper->f_path, MAY_WRITE);
		if (ret)
			return ckpt_err(ctx, ret, "no permission to write to FIFO %pD",
					keeper);
		if (h->nr_bufs && !empty)
			return ckpt_err(ctx, -EBUSY,
					"FIFO %pD holds data already: its saved data cannot go in",
					keeper);
	}
	if (slots != h->nr_slots) {
		ret = pipe_fcntl(keeper, F_SETPIPE_SZ,
				 (unsigned long)h->nr_slots << PAGE_SHIFT);
		if (ret >= 0 && pipe->max_usage != h->nr_slots)
			ret = -EINVAL;
		if (ret < 0)
			return ckpt_err(ctx, ret, "cannot give pipe %pD its size of %u pages",
					keeper, h->nr_slots);
	}
	if (!h->nr_bufs)
		return 0;
	data = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	ckpt_pipe_set_flags(keeper, O_DIRECT, O_DIRECT);
	for (i = 0, ret = 0; !ret && i < h->nr_bufs; i++) {
		ret = ckpt_pipe_fill_one(ctx, keeper, data, &flags);
		if (!ret && i)
			ckpt_pipe_buf_flags(pipe, 1, prev);
		prev = flags;
	}
	if (!ret)
		ckpt_pipe_buf_flags(pipe, 0, prev);
	ckpt_pipe_set_flags(keeper, O_DIRECT, 0);
	kfree(data);
	return ret;
}

static void *ckpt_pipe_obj_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				   int *objref)
{
	struct ckpt_hdr_pipe *h;
	struct file *keeper;
	char *name;
	int ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	if (!h->kind || h->kind >= CKPT_PIPE_KIND_MAX || !h->nr_slots ||
	    h->nr_slots > CKPT_PIPE_SLOTS_MAX ||
	    !is_power_of_2(h->nr_slots) || h->nr_bufs > h->nr_slots) {
		keeper = ERR_PTR(ckpt_err(ctx, -EINVAL,
					  "bad pipe: kind %u, %u pages, %u buffers",
					  h->kind, h->nr_slots, h->nr_bufs));
		goto out;
	}
	if (h->kind == CKPT_PIPE_FIFO) {
		name = ckpt_read_string(ctx, PATH_MAX);
		if (IS_ERR(name)) {
			keeper = ERR_CAST(name);
			goto out;
		}
		keeper = ckpt_fifo_open(ctx, name);
		kfree(name);
	} else {
		keeper = ckpt_pipe_new(ctx);
	}
	if (IS_ERR(keeper))
		goto out;
	ret = ckpt_pipe_fill(ctx, keeper, h);
	if (ret) {
		fput(keeper);
		keeper = ERR_PTR(ret);
		goto out;
	}
	*objref = h->objref;
out:
	ckpt_hdr_put(ctx, h);
	return keeper;
}

/* An end of the pipe restored as object PIPE, opened as @h says */
static struct file *ckpt_pipe_restore(struct ckpt_ctx *ctx,
				      const struct ckpt_hdr_file *h)
{
	unsigned int flags = h->f_flags & CKPT_PIPE_OFLAGS;
	bool fifo = h->file_type == CKPT_FILE_FIFO;
	struct file *keeper, *file;
	int may = 0, ret;

	if (!S_ISFIFO(h->i_mode) || (flags & O_ACCMODE) == O_ACCMODE)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad pipe or FIFO: mode %#o, flags %#x",
					h->i_mode, h->f_flags));
	keeper = ckpt_obj_restore(ctx, CKPT_OBJ_PIPE);
	if (IS_ERR(keeper))
		return keeper;
	if (fifo == !!(keeper->f_path.mnt->mnt_flags & MNT_INTERNAL))
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"a %s refers to a %s", fifo ? "FIFO" : "pipe",
					fifo ? "pipe" : "FIFO"));
	if (fifo) {
		if ((flags & O_ACCMODE) != O_WRONLY)
			may |= MAY_READ;
		if ((flags & O_ACCMODE) != O_RDONLY)
			may |= MAY_WRITE;
		ret = path_permission(&keeper->f_path, may);
		if (ret)
			return ERR_PTR(ckpt_err(ctx, ret, "no permission to open FIFO %pD",
						keeper));
	}
	/* the keeper is a reader and a writer: the open never waits */
	file = dentry_open(&keeper->f_path, flags & ~O_DIRECT, current_cred());
	if (IS_ERR(file))
		return ERR_PTR(ckpt_err(ctx, PTR_ERR(file), "cannot open %pD again",
					keeper));
	/* packet mode is set as fcntl(F_SETFL) sets it */
	ckpt_pipe_set_flags(file, O_DIRECT, flags);
	return file;
}

static const struct ckpt_file_ops ckpt_pipe_file_ops = {
	.name = "pipe",
	.file_type = CKPT_FILE_PIPE,
	.match = ckpt_pipe_match,
	.outside = ckpt_pipe_outside,
	.collect = ckpt_pipe_collect,
	.checkpoint = ckpt_pipe_checkpoint,
	.restore = ckpt_pipe_restore,
};

static const struct ckpt_file_ops ckpt_fifo_file_ops = {
	.name = "FIFO",
	.file_type = CKPT_FILE_FIFO,
	.match = ckpt_fifo_match,
	.outside = ckpt_pipe_outside,
	.collect = ckpt_pipe_collect,
	.checkpoint = ckpt_pipe_checkpoint,
	.restore = ckpt_pipe_restore,
};

static void ckpt_pipe_grab(void *ptr)
{
	ihold(ptr);
}

static void ckpt_pipe_drop(void *ptr)
{
	iput(ptr);
}

static void ckpt_pipe_restored_grab(void *ptr)
{
	get_file(ptr);
}

static void ckpt_pipe_restored_drop(void *ptr)
{
	fput(ptr);
}

/* saved by inode, restored as a file open for reading and writing */
static const struct ckpt_obj_ops ckpt_pipe_obj_ops = {
	.name = "pipe",
	.obj_type = CKPT_OBJ_PIPE,
	.hdr_type = CKPT_HDR_PIPE,
	.ref_grab = ckpt_pipe_grab,
	.ref_drop = ckpt_pipe_drop,
	.checkpoint = ckpt_pipe_obj_checkpoint,
	.restore = ckpt_pipe_obj_restore,
	.restored_grab = ckpt_pipe_restored_grab,
	.restored_drop = ckpt_pipe_restored_drop,
};

static int __init ckpt_pipe_init(void)
{
	int ret = ckpt_obj_register(&ckpt_pipe_obj_ops);

	if (!ret)
		ret = ckpt_file_register(&ckpt_pipe_file_ops);
	return ret ? ret : ckpt_file_register(&ckpt_fifo_file_ops);
}
late_initcall(ckpt_pipe_init);
