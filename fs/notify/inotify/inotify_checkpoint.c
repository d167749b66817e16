// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of inotify instances: each watch by the path of the
 * inode it watches (as the checkpointer sees it), its events and flags and
 * its watch descriptor, and the events not read yet, in order. Restart
 * watches the same paths, with the restoring task's rights (read
 * permission, as inotify_add_watch() asks), under the same descriptors,
 * and queues the events again (before the watches can add new ones).
 * Watches are on inodes: a path that names another inode at restart is
 * watched as it is then. Refused: a watch on a deleted inode, or on one no
 * path of the checkpointer's mount namespace leads to, and more events
 * not read than CKPT_INOTIFY_MAX_EVENTS.
 *
 * Image: FILE(INOTIFY) INOTIFY INOTIFY_EVENT* (INOTIFY_WATCH STRING)*
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/fsnotify_backend.h>
#include <linux/inotify.h>
#include <linux/uio.h>
#include "../fsnotify.h"
#include "inotify.h"

/* events saved at most: a queue holds 16384 by default */
#define CKPT_INOTIFY_MAX_EVENTS	BIT(16)
#define CKPT_INOTIFY_MASK	(IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT)

static bool ckpt_inotify_match(struct file *file)
{
	return inotify_ckpt_file(file);
}

struct ckpt_inotify_watch {
	struct ckpt_hdr_inotify_watch h;
	struct inode *inode;
};

/* The watches of @group, each with a reference to its inode */
static struct ckpt_inotify_watch *ckpt_inotify_watches(struct fsnotify_group *group,
						       u32 *nr)
{
	struct ckpt_inotify_watch *w = NULL, *more;
	struct fsnotify_mark *mark;
	u32 n = 0, size = 0;
	int err = 0;

	fsnotify_group_lock(group);
	list_for_each_entry(mark, &group->marks_list, g_list) {
		struct inotify_inode_mark *im;

		/* detached marks are on their way out, not watches */
		if (!(mark->flags & FSNOTIFY_MARK_FLAG_ATTACHED) ||
		    !mark->connector ||
		    mark->connector->type != FSNOTIFY_OBJ_TYPE_INODE)
			continue;
		im = container_of(mark, struct inotify_inode_mark, fsn_mark);
		if (im->wd <= 0)
			continue;
		if (n == size) {
			size = size ? 2 * size : 16;
			more = krealloc_array(w, size, sizeof(*w), GFP_KERNEL);
			if (!more) {
				err = -ENOMEM;
				break;
			}
			w = more;
		}
		w[n].h.h.type = CKPT_HDR_INOTIFY_WATCH;
		w[n].h.h.len = sizeof(w[n].h);
		w[n].h.wd = im->wd;
		w[n].h.mask = inotify_mark_user_mask(mark);
		w[n].inode = igrab(fsnotify_conn_inode(mark->connector));
		/* an inode being evicted: the watch is going, IN_IGNORED next */
		if (w[n].inode)
			n++;
	}
	fsnotify_group_unlock(group);
	if (err) {
		while (n--)
			iput(w[n].inode);
		kfree(w);
		return ERR_PTR(err);
	}
	*nr = n;
	return w;
}

struct ckpt_inotify_event {
	struct ckpt_hdr_inotify_event h;
	char name[NAME_MAX + 1];
};

/* The events not read yet: up to @max, into @ev */
static u32 ckpt_inotify_events(struct fsnotify_group *group,
			       struct ckpt_inotify_event *ev, u32 max)
{
	struct fsnotify_event *fse;
	u32 n = 0;

	spin_lock(&group->notification_lock);
	list_for_each_entry(fse, &group->notification_list, list) {
		struct ckpt_hdr_inotify_event *h = &ev[n].h;

		if (n == max)
			break;
		h->h.type = CKPT_HDR_INOTIFY_EVENT;
		if (fse == group->overflow_event) {
			h->wd = -1;
			h->mask = IN_Q_OVERFLOW;
		} else {
			struct inotify_event_info *e = INOTIFY_E(fse);

			h->wd = e->wd;
			/* as read() gives it: no internal bits */
			h->mask = e->mask & (IN_ALL_EVENTS | IN_ISDIR |
					     IN_UNMOUNT | IN_IGNORED);
			h->cookie = e->sync_cookie;
			h->name_len = min_t(u32, e->name_len, NAME_MAX);
			memcpy(ev[n].name, e->name, h->name_len);
		}
		h->h.len = sizeof(*h) + h->name_len;
		n++;
	}
	spin_unlock(&group->notification_lock);
	return n;
}

static int ckpt_inotify_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				   const struct ckpt_obj_ref *ref)
{
	struct fsnotify_group *group = inotify_ckpt_file(file);
	struct ckpt_hdr_inotify h = {
		.h.type = CKPT_HDR_INOTIFY,
		.h.len = sizeof(h),
	};
	struct ckpt_inotify_event *ev = NULL;
	struct ckpt_inotify_watch *w;
	u32 i, nr = 0, max;
	int ret = 0;

	w = ckpt_inotify_watches(group, &nr);
	if (IS_ERR(w))
		return ckpt_err(ctx, PTR_ERR(w), "pid %d fd %d: the watches of an inotify instance cannot be read",
				task_pid_vnr(ref->task), ref->fd);
	/*
	 * The events queued now; any that come later (from outside the
	 * tree) are after the checkpoint's instant, as later changes are.
	 */
	max = READ_ONCE(group->q_len);
	if (max > CKPT_INOTIFY_MAX_EVENTS)
		ret = ckpt_err(ctx, -E2BIG, "pid %d fd %d: inotify instance with %u events not read: more than an image takes",
			       task_pid_vnr(ref->task), ref->fd, max);
	else if (max) {
		ev = kvcalloc(max, sizeof(*ev), GFP_KERNEL_ACCOUNT);
		if (!ev)
			ret = -ENOMEM;
	}
	if (!ret) {
		h.nr_watches = nr;
		h.nr_events = ckpt_inotify_events(group, ev, max);
		spin_lock(&group->inotify_data.idr_lock);
		/* past INT_MAX the search starts again from 1 */
		h.next_wd = min_t(unsigned int, INT_MAX,
				  idr_get_cursor(&group->inotify_data.idr));
		spin_unlock(&group->inotify_data.idr_lock);
		ret = ckpt_write_obj(ctx, &h.h);
	}
	/* the events first: restart queues them before new ones can come */
	for (i = 0; !ret && i < h.nr_events; i++) {
		ret = ckpt_write_hdr(ctx, &ev[i].h.h, sizeof(ev[i].h));
		if (!ret && ev[i].h.name_len) {
			struct kvec v = {
				.iov_base = ev[i].name,
				.iov_len = ev[i].h.name_len,
			};

			ret = ckpt_kwritev(ctx, &v, 1, v.iov_len);
		}
	}
	for (i = 0; !ret && i < nr; i++) {
		ret = ckpt_write_obj(ctx, &w[i].h.h);
		if (!ret)
			ret = ckpt_write_inode_path(ctx, w[i].inode);
		if (ret)
			ckpt_err(ctx, ret, "pid %d fd %d: inotify watch %d cannot be saved",
				 task_pid_vnr(ref->task), ref->fd, w[i].h.wd);
	}
	for (i = 0; i < nr; i++)
		iput(w[i].inode);
	kfree(w);
	kvfree(ev);
	return ret;
}

/* Watch @path again as watch @a->wd */
static int ckpt_inotify_rewatch(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_hdr_inotify_watch *a,
				const char *name)
{
	struct path path;
	int ret;

	/* the path is the inode's own: its last part is not followed */
	ret = kern_path(name, 0, &path);
	if (!ret) {
		ret = inotify_ckpt_watch(file, &path, a->mask, a->wd);
		path_put(&path);
	}
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot watch %s again with inotify (watch %d, mask %#x)%s",
			 task_pid_vnr(current), name, a->wd, a->mask,
			 ret == -EEXIST ? ": watched twice in the image" : "");
	return ret;
}

/* A watch of the image, read and checked: its path in *@name */
static int ckpt_inotify_read_watch(struct ckpt_ctx *ctx,
				   struct ckpt_hdr_inotify_watch *a,
				   char **name)
{
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &a->h, CKPT_HDR_INOTIFY_WATCH,
				      sizeof(*a));
	if (ret)
		return ret;
	*name = ckpt_read_string(ctx, PATH_MAX);
	if (IS_ERR(*name))
		return PTR_ERR(*name);
	if (a->wd <= 0 || a->mask & ~CKPT_INOTIFY_MASK)
		return ckpt_err(ctx, -EINVAL, "bad inotify watch %d: mask %#x",
				a->wd, a->mask);
	return 0;
}

/* Queue event @e (its name follows in the image) again */
static int ckpt_inotify_requeue(struct ckpt_ctx *ctx, struct file *file)
{
	struct ckpt_hdr_inotify_event e;
	char name[NAME_MAX + 1];
	int ret;

	ret = ckpt_read_hdr_type(ctx, &e.h, CKPT_HDR_INOTIFY_EVENT, sizeof(e));
	if (ret)
		return ret;
	if (e.name_len > NAME_MAX || e.h.len != sizeof(e) + e.name_len ||
	    (e.mask == IN_Q_OVERFLOW && (e.wd != -1 || e.name_len)))
		return ckpt_err(ctx, -EINVAL, "bad inotify event: wd %d, mask %#x, name of %u bytes",
				e.wd, e.mask, e.name_len);
	ret = ckpt_kread(ctx, name, e.name_len);
	if (ret)
		return ret;
	name[e.name_len] = '\0';
	if (strlen(name) != e.name_len)
		return ckpt_err(ctx, -EINVAL, "bad inotify event name");
	ret = inotify_ckpt_event(file, e.wd, e.mask, e.cookie,
				 e.name_len ? name : NULL);
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot queue inotify event (wd %d, mask %#x) again",
			 task_pid_vnr(current), e.wd, e.mask);
	return ret;
}

static struct file *ckpt_inotify_restore(struct ckpt_ctx *ctx,
					 const struct ckpt_hdr_file *f)
{
	struct ckpt_hdr_inotify_watch a;
	struct ckpt_hdr_inotify h;
	struct fsnotify_group *group;
	char *name = NULL;
	struct file *file;
	u32 i;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &h.h, CKPT_HDR_INOTIFY, sizeof(h));
	if (ret)
		return ERR_PTR(ret);
	if (f->f_flags & ~(O_ACCMODE | O_NONBLOCK) ||
	    (f->f_flags & O_ACCMODE) != O_RDONLY || h.next_wd < 0 ||
	    h.nr_events > CKPT_INOTIFY_MAX_EVENTS)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad inotify instance: flags %#x, next wd %d, %u events",
					f->f_flags, h.next_wd, h.nr_events));
	file = inotify_file_new(f->f_flags & O_NONBLOCK);
	if (IS_ERR(file))
		return ERR_PTR(ckpt_err(ctx, PTR_ERR(file),
					"cannot make an inotify instance"));
	/* the old events first: new ones, from the watches, come after */
	for (i = 0; !ret && i < h.nr_events; i++)
		ret = ckpt_inotify_requeue(ctx, file);
	for (i = 0; !ret && i < h.nr_watches; i++) {
		ret = ckpt_inotify_read_watch(ctx, &a, &name);
		if (!ret)
			ret = ckpt_inotify_rewatch(ctx, file, &a, name);
		if (!IS_ERR_OR_NULL(name))
			kfree(name);
		name = NULL;
	}
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	/* new watches get descriptors from where they would have */
	group = inotify_ckpt_file(file);
	spin_lock(&group->inotify_data.idr_lock);
	idr_set_cursor(&group->inotify_data.idr, h.next_wd);
	spin_unlock(&group->inotify_data.idr_lock);
	return file;
}

static const struct ckpt_file_ops ckpt_inotify_file_ops = {
	.name = "inotify instance",
	.file_type = CKPT_FILE_INOTIFY,
	.match = ckpt_inotify_match,
	.checkpoint = ckpt_inotify_checkpoint,
	.restore = ckpt_inotify_restore,
};

static int __init ckpt_inotify_init(void)
{
	return ckpt_file_register(&ckpt_inotify_file_ops);
}
late_initcall(ckpt_inotify_init);
