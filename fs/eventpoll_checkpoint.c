// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of epoll instances: their watches, each a file
 * watched through an fd with its events (EPOLLET, EPOLLONESHOT, ...
 * included) and data. The files must be open at those fds in the files
 * table the instance is first saved with: a watch of a file closed at
 * its fd (kept while the file is open elsewhere) is refused.
 *
 * At restart the instance is made when its FILE is read, and its
 * watches are added with epoll_ctl(EPOLL_CTL_ADD) once the files table
 * is installed: the files watched are open at their fds then, and the
 * ready list fills again from their state.
 *
 * Image: FILE(EPOLL) EPOLL EPOLL_WATCH*
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/eventpoll.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/sched.h>
#include <linux/slab.h>

/* the events epoll_ctl() takes */
#define CKPT_EPOLL_EVENTS	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | \
				 EPOLLHUP | EPOLLNVAL | EPOLLRDNORM | \
				 EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | \
				 EPOLLMSG | EPOLLRDHUP | EPOLLEXCLUSIVE | \
				 EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)

/* At most this many watches per instance */
#define CKPT_EPOLL_MAX		BIT(20)

/* An instance restored, until its files table is installed */
struct ckpt_epoll_restore {
	struct list_head list;
	struct file *file;
	u32 nr;
	struct ckpt_hdr_epoll_watch *watches;
};

static int ckpt_epoll_count(void *arg, struct file *tfile, int fd,
			    __poll_t events, u64 data)
{
	(*(u32 *)arg)++;
	return 0;
}

/* Stops the walk at once: only the kind of the file is wanted */
static int ckpt_epoll_stop(void *arg, struct file *tfile, int fd,
			   __poll_t events, u64 data)
{
	return 1;
}

static bool ckpt_epoll_match(struct file *file)
{
	return eventpoll_ckpt_watches(file, ckpt_epoll_stop, NULL) >= 0;
}

/* The watches being saved */
struct ckpt_epoll_save {
	struct ckpt_ctx *ctx;
	const struct ckpt_obj_ref *ref;
	struct ckpt_hdr_epoll_watch *w;
	u32 nr, max;
	int err;
	int bad_fd;
};

static int ckpt_epoll_save_one(void *arg, struct file *tfile, int fd,
			       __poll_t events, u64 data)
{
	struct ckpt_epoll_save *s = arg;
	struct ckpt_hdr_epoll_watch *w;
	struct file *at;

	if (s->nr == s->max)
		return -EAGAIN;
	rcu_read_lock();
	at = task_lookup_fd_rcu(s->ref->task, fd);
	rcu_read_unlock();
	w = &s->w[s->nr];
	w->file = ckpt_obj_objref(s->ctx, tfile);
	/* the pointer is only compared: no reference needed */
	if (at != tfile || !w->file) {
		s->bad_fd = fd;
		return -EBUSY;
	}
	w->h.type = CKPT_HDR_EPOLL_WATCH;
	w->h.len = sizeof(*w);
	w->fd = fd;
	w->events = (__force u32)events;
	w->data = data;
	w->pad = 0;
	s->nr++;
	return 0;
}

static int ckpt_epoll_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				 const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_epoll h = {
		.h.type = CKPT_HDR_EPOLL,
		.h.len = sizeof(h),
	};
	struct ckpt_epoll_save s = { .ctx = ctx, .ref = ref };
	int ret;
	u32 i;

	/* counted, then read; the tree is frozen: the count holds */
	ret = eventpoll_ckpt_watches(file, ckpt_epoll_count, &s.max);
	if (!ret && s.max > CKPT_EPOLL_MAX)
		ret = -E2BIG;
	if (!ret) {
		s.w = kvcalloc(s.max + 1, sizeof(*s.w), GFP_KERNEL_ACCOUNT);
		ret = s.w ? eventpoll_ckpt_watches(file, ckpt_epoll_save_one,
						   &s) : -ENOMEM;
	}
	if (ret == -EBUSY)
		ret = ckpt_err(ctx, ret,
			       "pid %d fd %d: epoll %pD watches a file through fd %d, where it is not open (or not in the tree): not supported",
			       task_pid_vnr(ref->task), ref->fd, file, s.bad_fd);
	else if (ret)
		ret = ckpt_err(ctx, ret, "pid %d fd %d: cannot save the watches of epoll %pD",
			       task_pid_vnr(ref->task), ref->fd, file);
	h.nr_watches = s.nr;
	if (!ret)
		ret = ckpt_write_obj(ctx, &h.h);
	for (i = 0; !ret && i < s.nr; i++)
		ret = ckpt_write_obj(ctx, &s.w[i].h);
	kvfree(s.w);
	return ret;
}

static void ckpt_epoll_restore_free(struct ckpt_epoll_restore *r)
{
	list_del(&r->list);
	fput(r->file);
	kvfree(r->watches);
	kfree(r);
}

/* Read the watches: they are added once the files table is installed */
static struct file *ckpt_epoll_restore(struct ckpt_ctx *ctx,
				       const struct ckpt_hdr_file *f)
{
	struct ckpt_epoll_restore *r;
	struct ckpt_hdr_epoll h;
	struct ckpt_hdr_epoll_watch *w;
	struct file *file;
	u32 cap = 0;
	int ret;

	ret = ckpt_read_obj_type_into(ctx, &h.h, CKPT_HDR_EPOLL, sizeof(h));
	if (ret)
		return ERR_PTR(ret);
	if (h.nr_watches > CKPT_EPOLL_MAX || (f->f_flags & O_ACCMODE) != O_RDWR)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad epoll: %u watches, open flags %#x",
					h.nr_watches, f->f_flags));
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	file = eventpoll_ckpt_file();
	if (IS_ERR(file)) {
		kfree(r);
		return ERR_PTR(ckpt_err(ctx, PTR_ERR(file), "cannot make an epoll instance"));
	}
	r->file = get_file(file);
	list_add_tail(&r->list, &ckpt_local(ctx)->epolls);
	spin_lock(&file->f_lock);
	file->f_flags |= f->f_flags & O_NONBLOCK;
	spin_unlock(&file->f_lock);
	while (r->nr < h.nr_watches) {
		/* memory follows the records that came, not the count */
		if (r->nr == cap) {
			u32 grown = min(max(2 * cap, 16U), h.nr_watches);

			w = kvrealloc(r->watches, cap * sizeof(*w),
				      grown * sizeof(*w), GFP_KERNEL_ACCOUNT);
			if (!w) {
				ret = -ENOMEM;
				break;
			}
			r->watches = w;
			cap = grown;
		}
		w = &r->watches[r->nr];
		ret = ckpt_read_obj_type_into(ctx, &w->h, CKPT_HDR_EPOLL_WATCH,
					      sizeof(*w));
		if (ret)
			break;
		if (w->fd < 0 || w->file <= 0 ||
		    w->events & ~(u32)CKPT_EPOLL_EVENTS) {
			ret = ckpt_err(ctx, -EINVAL,
				       "bad epoll watch: fd %d, file %d, events %#x",
				       w->fd, w->file, w->events);
			break;
		}
		r->nr++;
	}
	if (ret) {
		ckpt_epoll_restore_free(r);
		fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

/* Add the watches of @r, through a temporary fd of the instance */
static int ckpt_epoll_add(struct ckpt_ctx *ctx, struct ckpt_epoll_restore *r)
{
	struct epoll_event ev;
	struct file *tfile, *at;
	int efd, ret = 0;
	u32 i;

	efd = get_unused_fd_flags(O_CLOEXEC);
	if (efd < 0)
		return ckpt_err(ctx, efd, "no fd to add the watches of an epoll instance");
	fd_install(efd, get_file(r->file));
	for (i = 0; !ret && i < r->nr; i++) {
		struct ckpt_hdr_epoll_watch *w = &r->watches[i];

		tfile = ckpt_obj_fetch(ctx, w->file, CKPT_OBJ_FILE);
		if (IS_ERR(tfile)) {
			ret = PTR_ERR(tfile);
			break;
		}
		at = fget_raw(w->fd);
		if (at)
			fput(at);
		if (at != tfile) {
			ret = ckpt_err(ctx, -EINVAL,
				       "epoll watch through fd %d of a file not open there",
				       w->fd);
			break;
		}
		ev.events = w->events;
		ev.data = w->data;
		ret = do_epoll_ctl(efd, EPOLL_CTL_ADD, w->fd, &ev, false);
		if (ret)
			ckpt_err(ctx, ret, "cannot watch %pD through fd %d (events %#x) again",
				 tfile, w->fd, w->events);
	}
	close_fd(efd);
	return ret;
}

/**
 * ckpt_epoll_add_watches - add the watches of the epoll instances restored
 * @ctx: restart context
 *
 * Called once the files table they were read with is installed.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_epoll_add_watches(struct ckpt_ctx *ctx)
{
	struct ckpt_epoll_restore *r, *tmp;
	int ret = 0;

	list_for_each_entry_safe(r, tmp, &ckpt_local(ctx)->epolls, list) {
		if (!ret)
			ret = ckpt_epoll_add(ctx, r);
		ckpt_epoll_restore_free(r);
	}
	return ret;
}

/**
 * ckpt_epoll_free - forget the epoll instances whose watches were not added
 * @l: the state of the task (or context) that restored them, whose
 *	restart failed
 */
void ckpt_epoll_free(struct ckpt_local *l)
{
	struct ckpt_epoll_restore *r, *tmp;

	list_for_each_entry_safe(r, tmp, &l->epolls, list)
		ckpt_epoll_restore_free(r);
}

static const struct ckpt_file_ops ckpt_epoll_file_ops = {
	.name = "epoll",
	.file_type = CKPT_FILE_EPOLL,
	.match = ckpt_epoll_match,
	.checkpoint = ckpt_epoll_checkpoint,
	.restore = ckpt_epoll_restore,
};

static int __init ckpt_epoll_init(void)
{
	return ckpt_file_register(&ckpt_epoll_file_ops);
}
late_initcall(ckpt_epoll_init);
