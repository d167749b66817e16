// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of open files: the files table (fd numbers and
 * close-on-exec) and open file objects (flags, offset, locks). Files
 * shared by dup() or fork() are one object referenced by objref. What
 * follows a FILE record is up to the kind of file (struct ckpt_file_ops):
 * regular files, directories and character devices reopened by path,
 * memfds and deleted files are here; other kinds register from the code
 * they belong to (pipes: fs/pipe_checkpoint.c).
 *
 * Image: FILE_TABLE { FD_ENT (FILE <kind's records> | OBJREF) }*,
 *        FS STRING(root) STRING(cwd) or OBJREF
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <net/sock.h>
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/security.h>
#include <linux/shmem_fs.h>
#include <linux/memfd.h>
#include <linux/pagemap.h>
#include <linux/highmem.h>
#include <linux/task_work.h>
#include <linux/sort.h>
#include <linux/nospec.h>
#include <linux/major.h>

/**
 * ckpt_file_reachable - can a file be found again by its path?
 * @file: the file
 *
 * Files on kernel-internal mounts (pipes, sockets, shared anonymous
 * memory, memfds, anonymous inodes) and deleted files cannot.
 *
 * Return: true when reopening by path gives the same file.
 */
bool ckpt_file_reachable(struct file *file)
{
	return !(file->f_path.mnt->mnt_flags & MNT_INTERNAL) &&
	       !d_unlinked(file->f_path.dentry);
}

/**
 * ckpt_write_fname - write a STRING record with the path of a file
 * @ctx: checkpoint context
 * @path: the file's path
 *
 * Return: 0 or a negative errno (-EBUSY for deleted files).
 */
int ckpt_write_fname(struct ckpt_ctx *ctx, const struct path *path)
{
	char *buf, *name;
	int ret;

	if (d_unlinked(path->dentry) || (path->mnt->mnt_flags & MNT_INTERNAL))
		return ckpt_err(ctx, -EBUSY,
				"file %pd cannot be reached by path: not supported yet",
				path->dentry);
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	name = d_path(path, buf, PATH_MAX);
	if (IS_ERR(name))
		ret = ckpt_err(ctx, PTR_ERR(name), "cannot name file %pd",
			       path->dentry);
	else
		ret = ckpt_write_string(ctx, name);
	kfree(buf);
	return ret;
}

struct ckpt_find_mnt {
	struct inode *inode;
	struct dentry *alias;
	struct vfsmount *found;
};

static int ckpt_find_mnt(struct vfsmount *mnt, void *arg)
{
	struct ckpt_find_mnt *f = arg;

	if (mnt->mnt_sb != f->inode->i_sb ||
	    !is_subdir(f->alias, mnt->mnt_root))
		return 0;
	f->found = mnt;
	return 1;
}

/**
 * ckpt_write_inode_path - write a STRING record with a path to an inode
 * @ctx: checkpoint context
 * @inode: the inode, known without a path (an inotify watch's)
 *
 * The path is one the checkpointer sees: through the first mount of its
 * mount namespace, below its root, that shows the inode.
 *
 * Return: 0 or a negative errno (-EBUSY, logged, for an inode no path
 * reaches: deleted, or on a filesystem not mounted where the
 * checkpointer sees it).
 */
int ckpt_write_inode_path(struct ckpt_ctx *ctx, struct inode *inode)
{
	struct ckpt_find_mnt f = { .inode = inode };
	struct path root, croot, p;
	struct vfsmount *tree;
	char *buf, *name = ERR_PTR(-ENOENT);
	int ret;

	f.alias = d_find_alias(inode);
	if (!f.alias || d_unlinked(f.alias)) {
		dput(f.alias);
		return ckpt_err(ctx, -EBUSY, "inode %lu of %s has no path (deleted): not supported",
				inode->i_ino, inode->i_sb->s_id);
	}
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	get_fs_root(current->fs, &root);
	tree = buf ? collect_mounts(&root) : ERR_PTR(-ENOMEM);
	path_put(&root);
	if (!IS_ERR(tree)) {
		iterate_mounts(ckpt_find_mnt, &f, tree);
		if (f.found) {
			croot.mnt = tree;
			croot.dentry = tree->mnt_root;
			p.mnt = f.found;
			p.dentry = f.alias;
			name = __d_path(&p, &croot, buf, PATH_MAX);
			if (!name)
				name = ERR_PTR(-ENOENT);
		}
		drop_collected_mounts(tree);
	} else {
		name = ERR_CAST(tree);
	}
	/* the path must lead there: not to a mount on top of it */
	if (!IS_ERR(name)) {
		ret = kern_path(name, 0, &p);
		if (ret) {
			name = ERR_PTR(ret);
		} else {
			if (d_inode(p.dentry) != inode)
				name = ERR_PTR(-ENOENT);
			path_put(&p);
		}
	}
	if (IS_ERR(name))
		ret = ckpt_err(ctx, PTR_ERR(name) == -ENOENT ? -EBUSY : PTR_ERR(name),
			       "no path the checkpointer sees leads to %pd (inode %lu of %s)",
			       f.alias, inode->i_ino, inode->i_sb->s_id);
	else
		ret = ckpt_write_string(ctx, name);
	kfree(buf);
	dput(f.alias);
	return ret;
}

/**
 * ckpt_open_fname - read a STRING record with a path and open it
 * @ctx: restart context
 * @flags: open(2) flags
 *
 * The file is opened with the restarting task's credentials, without
 * blocking and without becoming a controlling terminal; whatever is
 * found there must not be a FIFO or a socket (an image names regular
 * files, directories and character devices only). O_NONBLOCK is cleared
 * again unless @flags asked for it.
 *
 * Return: the file or an ERR_PTR.
 */
struct file *ckpt_open_fname(struct ckpt_ctx *ctx, int flags)
{
	struct file *file;
	umode_t mode;
	char *name;

	name = ckpt_read_string(ctx, PATH_MAX);
	if (IS_ERR(name))
		return ERR_CAST(name);
	file = filp_open(name, flags | O_NONBLOCK | O_NOCTTY, 0);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot open %s", name);
		goto out;
	}
	mode = file_inode(file)->i_mode;
	if (S_ISFIFO(mode) || S_ISSOCK(mode)) {
		ckpt_err(ctx, -EINVAL, "%s is a FIFO or socket", name);
		fput(file);
		file = ERR_PTR(-EINVAL);
		goto out;
	}
	if (!(flags & O_NONBLOCK)) {
		spin_lock(&file->f_lock);
		file->f_flags &= ~O_NONBLOCK;
		spin_unlock(&file->f_lock);
	}
out:
	kfree(name);
	return file;
}

/* --- contents of files no path reaches: memfds and deleted files --- */

#define CKPT_MEMFD_PREFIX	"memfd:"
#define CKPT_MEMFD_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
/* A deleted file's contents go into the image: this much at most */
#define CKPT_DELETED_MAX	(256ULL << 20)

/**
 * ckpt_file_data_kind - does the image carry a file's contents?
 * @file: the file
 *
 * Return: CKPT_FDATA_MEMFD for a memfd on shmem, CKPT_FDATA_DELETED for
 * a regular file with no name left (unlinked, or made with O_TMPFILE),
 * else 0.
 */
int ckpt_file_data_kind(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;
	struct inode *inode = file_inode(file);

	if (!S_ISREG(inode->i_mode))
		return 0;
	if (file->f_path.mnt->mnt_flags & MNT_INTERNAL) {
		/* a memfd's name never changes: no lock needed to read it */
		if (shmem_mapping(inode->i_mapping) && !IS_PRIVATE(inode) &&
		    !strncmp(dentry->d_name.name, CKPT_MEMFD_PREFIX,
			     strlen(CKPT_MEMFD_PREFIX)))
			return CKPT_FDATA_MEMFD;
		return 0;
	}
	return d_unlinked(dentry) && !inode->i_nlink ? CKPT_FDATA_DELETED : 0;
}

/**
 * ckpt_collect_file_data - collect pass over a file the image may carry
 * @ctx: checkpoint context
 * @file: an open file, a mapped one or an executable
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_file_data(struct ckpt_ctx *ctx, struct file *file)
{
	if (!ckpt_file_data_kind(file))
		return 0;
	/* the inode has no count to check: open files and mappings do */
	return ckpt_obj_collect(ctx, file_inode(file), CKPT_OBJ_FILE_DATA,
				true);
}

/**
 * ckpt_checkpoint_file_data - save the contents of a file, once an inode
 * @ctx: checkpoint context
 * @file: a file for which ckpt_file_data_kind() is not 0
 * @ref: the task that refers to it
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_file_data(struct ckpt_ctx *ctx, struct file *file,
			      const struct ckpt_obj_ref *ref)
{
	struct ckpt_obj_ref fref = *ref;
	int ret;

	fref.file = file;
	ret = ckpt_obj_checkpoint(ctx, file_inode(file), CKPT_OBJ_FILE_DATA,
				  &fref);
	return ret < 0 ? ret : 0;
}

/* Why the contents of @file cannot be saved, or NULL */
static const char *ckpt_fdata_unsupported(struct ckpt_ctx *ctx,
					  struct file *file,
					  struct ckpt_hdr_file_data *h)
{
	struct inode *inode = file_inode(file);

	/* pages in swap are not in the page cache: they would be lost */
	if (shmem_mapping(inode->i_mapping) &&
	    READ_ONCE(SHMEM_I(inode)->swapped))
		return "is partly swapped out";
	if (h->kind == CKPT_FDATA_DELETED && h->size > CKPT_DELETED_MAX)
		return "is larger than the 256 MiB saved of a deleted file";
	/* a new writable shared mapping of it cannot be made again */
	if ((h->seals & F_SEAL_FUTURE_WRITE) &&
	    mapping_writably_mapped(inode->i_mapping))
		return "is sealed F_SEAL_FUTURE_WRITE and mapped writable";
	if (ckpt_file_mapped_outside(ctx, file))
		return "is also mapped by a process outside the tree";
	return NULL;
}

static int ckpt_fdata_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				 const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_file_data h = {
		.h.type = CKPT_HDR_FILE_DATA,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct user_namespace *ns = current_user_ns();
	struct file *file = ref->file;
	struct inode *inode = ptr;
	struct path dir;
	const char *why;
	long seals;
	int ret;

	h.kind = ckpt_file_data_kind(file);
	h.size = i_size_read(inode);
	h.mode = inode->i_mode & S_IALLUGO;
	h.uid = from_kuid_munged(ns, inode->i_uid);
	h.gid = from_kgid_munged(ns, inode->i_gid);
	if (h.kind == CKPT_FDATA_MEMFD) {
		seals = memfd_fcntl(file, F_GET_SEALS, 0);
		if (seals < 0)
			return ckpt_err(ctx, seals, "pid %d: cannot read the seals of %pD",
					task_pid_vnr(ref->task), file);
		h.seals = seals;
	}
	why = ckpt_fdata_unsupported(ctx, file, &h);
	if (why)
		return ckpt_err(ctx, -EBUSY,
				"pid %d: %s %pD of %llu bytes %s: not supported yet",
				task_pid_vnr(ref->task),
				h.kind == CKPT_FDATA_MEMFD ? "memfd" : "deleted file",
				file, h.size, why);
	ret = ckpt_write_obj(ctx, &h.h);
	if (ret)
		return ret;
	if (h.kind == CKPT_FDATA_MEMFD) {
		ret = ckpt_write_string(ctx, file->f_path.dentry->d_name.name);
	} else {
		/* where it was: the restarted copy is made there */
		dir.mnt = file->f_path.mnt;
		dir.dentry = dget_parent(file->f_path.dentry);
		ret = ckpt_write_fname(ctx, &dir);
		dput(dir.dentry);
	}
	if (!ret)
		ret = ckpt_write_file_pages(ctx, file, h.size);
	return ret;
}

/* A memfd as memfd_create() makes it, with no seal yet */
static struct file *ckpt_make_memfd(struct ckpt_ctx *ctx, const char *name)
{
	struct file *file;

	if (strncmp(name, CKPT_MEMFD_PREFIX, strlen(CKPT_MEMFD_PREFIX)) ||
	    strlen(name) > NAME_MAX)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "bad memfd name \"%s\"",
					name));
	file = shmem_file_setup(name, 0, VM_NORESERVE);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot make memfd %s", name);
		return file;
	}
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	SHMEM_I(file_inode(file))->seals = 0;
	return file;
}

/* An unlinked regular file in directory @dir, with the caller's rights */
static struct file *ckpt_make_tmpfile(struct ckpt_ctx *ctx, const char *dir)
{
	struct file *file;

	/* O_EXCL: as a deleted file, it can never be linked again */
	file = filp_open(dir, O_TMPFILE | O_EXCL | O_RDWR | O_LARGEFILE, 0600);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file),
			 "cannot make an unlinked file in %s for a deleted file",
			 dir);
	return file;
}

static int ckpt_put_file_page(struct ckpt_ctx *ctx, u64 off, void *data,
			      void *arg)
{
	struct file *file = arg;
	loff_t pos = off, size = i_size_read(file_inode(file));
	size_t len = min_t(loff_t, PAGE_SIZE, size - pos);
	struct page *page;
	ssize_t n;

	if (shmem_mapping(file->f_mapping)) {
		/* not through write(): no RLIMIT_FSIZE, no seals yet */
		page = shmem_read_mapping_page(file->f_mapping,
					       off >> PAGE_SHIFT);
		if (IS_ERR(page))
			return ckpt_err(ctx, PTR_ERR(page),
					"cannot restore the page at offset %#llx of %pD",
					off, file);
		memcpy_to_page(page, 0, data, len);
		set_page_dirty(page);
		put_page(page);
		return 0;
	}
	n = kernel_write(file, data, len, &pos);
	if (n == len)
		return 0;
	return ckpt_err(ctx, n < 0 ? n : -EIO,
			"cannot restore the page at offset %#llx of %pD", off,
			file);
}

/* Size, contents, owner, mode and seals of a file just made */
static int ckpt_fill_file(struct ckpt_ctx *ctx, struct file *file,
			  struct ckpt_hdr_file_data *h)
{
	struct user_namespace *ns = current_user_ns();
	struct inode *inode = file_inode(file);
	int ret;

	ret = do_truncate(file_mnt_user_ns(file), file->f_path.dentry, h->size,
			  ATTR_MTIME | ATTR_CTIME, file);
	if (ret)
		return ckpt_err(ctx, ret, "cannot give %pD its size %llu",
				file, h->size);
	ret = ckpt_read_pages(ctx, round_up(h->size, PAGE_SIZE),
			      ckpt_put_file_page, file);
	if (ret)
		return ret;
	/* chown() as the restarting task may: nobody else's files */
	if (!uid_eq(inode->i_uid, make_kuid(ns, h->uid)) ||
	    !gid_eq(inode->i_gid, make_kgid(ns, h->gid))) {
		ret = vfs_fchown(file, h->uid, h->gid);
		if (ret)
			return ckpt_err(ctx, ret, "cannot give %pD owner %u:%u",
					file, h->uid, h->gid);
	}
	ret = vfs_fchmod(file, h->mode);
	/* chmod() drops a set-group-id bit of a group the task is not in */
	if (!ret && (inode->i_mode & S_IALLUGO) != h->mode)
		ret = -EPERM;
	if (ret)
		return ckpt_err(ctx, ret, "cannot give %pD mode %#o", file,
				h->mode);
	if (h->kind != CKPT_FDATA_MEMFD)
		return 0;
	ret = memfd_fcntl(file, F_ADD_SEALS, h->seals);
	if (ret)
		ckpt_err(ctx, ret, "cannot seal %pD with %#x", file, h->seals);
	return ret;
}

static void *ckpt_fdata_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				int *objref)
{
	struct ckpt_hdr_file_data *h;
	struct file *file, *ro;
	char *name = NULL;
	int ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	if (!h->kind || h->kind >= CKPT_FDATA_KIND_MAX ||
	    h->size > MAX_LFS_FILESIZE || h->mode & ~S_IALLUGO ||
	    h->seals & ~(h->kind == CKPT_FDATA_MEMFD ? CKPT_MEMFD_SEALS : 0)) {
		file = ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad FILE_DATA record: kind %u, size %llu, mode %#o, seals %#x",
					h->kind, h->size, h->mode, h->seals));
		goto out;
	}
	name = ckpt_read_string(ctx, PATH_MAX);
	if (IS_ERR(name)) {
		file = ERR_CAST(name);
		name = NULL;
		goto out;
	}
	if (h->kind == CKPT_FDATA_MEMFD)
		file = ckpt_make_memfd(ctx, name);
	else
		file = ckpt_make_tmpfile(ctx, name);
	if (IS_ERR(file))
		goto out;
	ret = ckpt_fill_file(ctx, file, h);
	/*
	 * Kept open read-only: a writer would keep it from being an
	 * executable again; files and mappings open it as they had it.
	 */
	ro = ret ? ERR_PTR(ret) : dentry_open(&file->f_path,
					      O_RDONLY | O_LARGEFILE,
					      current_cred());
	fput(file);
	/* the last fput() is deferred to here: give its write access back */
	task_work_run();
	file = ro;
	if (IS_ERR(file))
		goto out;
	*objref = h->objref;
out:
	kfree(name);
	ckpt_hdr_put(ctx, h);
	return file;
}

/**
 * ckpt_open_file_data - read a FILE_DATA slot and open the file again
 * @ctx: restart context
 * @flags: open(2) flags
 *
 * The first slot of an inode makes the file again; every later one, an
 * OBJREF, opens the same file. No permission is checked: the restarting
 * task made the file, and the task had it open so.
 *
 * Return: a new open file or an ERR_PTR.
 */
struct file *ckpt_open_file_data(struct ckpt_ctx *ctx, int flags)
{
	struct file *base = ckpt_obj_restore(ctx, CKPT_OBJ_FILE_DATA);
	struct file *file;

	if (IS_ERR(base))
		return base;
	file = dentry_open(&base->f_path, flags, current_cred());
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot open %pD again", base);
	return file;
}

static void ckpt_fdata_grab(void *ptr)
{
	ihold(ptr);
}

static void ckpt_fdata_drop(void *ptr)
{
	iput(ptr);
}

static void ckpt_fdata_restored_grab(void *ptr)
{
	get_file(ptr);
}

static void ckpt_fdata_restored_drop(void *ptr)
{
	fput(ptr);
}

/* saved by inode, restored as a read-only open file of it */
static const struct ckpt_obj_ops ckpt_fdata_ops = {
	.name = "file contents",
	.obj_type = CKPT_OBJ_FILE_DATA,
	.hdr_type = CKPT_HDR_FILE_DATA,
	.ref_grab = ckpt_fdata_grab,
	.ref_drop = ckpt_fdata_drop,
	.checkpoint = ckpt_fdata_checkpoint,
	.restore = ckpt_fdata_restore,
	.restored_grab = ckpt_fdata_restored_grab,
	.restored_drop = ckpt_fdata_restored_drop,
};

/* --- file locks --- */

/* A lock of @kind as a record; records beyond @max are only counted */
static void ckpt_lock_rec(struct file_lock *fl, u32 kind, int fd,
			  struct ckpt_hdr_file_lock *out, int max, int *n)
{
	struct ckpt_hdr_file_lock *l;

	if ((*n)++ >= max)
		return;
	l = &out[*n - 1];
	memset(l, 0, sizeof(*l));
	l->h.type = CKPT_HDR_FILE_LOCK;
	l->h.len = sizeof(*l);
	l->kind = kind;
	l->type = fl->fl_type;
	if (kind == CKPT_LOCK_FLOCK)
		return;
	l->start = fl->fl_start;
	l->len = fl->fl_end == OFFSET_MAX ? 0 : fl->fl_end - fl->fl_start + 1;
	if (kind == CKPT_LOCK_POSIX)
		l->fd = fd;
}

/*
 * The locks @owner holds on @inode: the flock() and OFD locks of an
 * open file (@of_file), or the POSIX record locks of a files table,
 * taken again through @fd. At most @max go to @out; all are counted.
 */
static int ckpt_find_locks(struct inode *inode, void *owner, bool of_file,
			   int fd, struct ckpt_hdr_file_lock *out, int max)
{
	struct file_lock_context *flctx;
	struct file_lock *fl;
	int n = 0;

	/* pairs with the cmpxchg that installs it (fs/locks.c) */
	flctx = smp_load_acquire(&inode->i_flctx);
	if (!flctx)
		return 0;
	spin_lock(&flctx->flc_lock);
	if (of_file)
		list_for_each_entry(fl, &flctx->flc_flock, fl_list)
			if (fl->fl_file == owner)
				ckpt_lock_rec(fl, CKPT_LOCK_FLOCK, 0, out, max,
					      &n);
	list_for_each_entry(fl, &flctx->flc_posix, fl_list) {
		if (fl->fl_owner != owner || !(fl->fl_flags & FL_OFDLCK) != !of_file)
			continue;
		ckpt_lock_rec(fl, of_file ? CKPT_LOCK_OFD : CKPT_LOCK_POSIX,
			      fd, out, max, &n);
	}
	spin_unlock(&flctx->flc_lock);
	return n;
}

/*
 * Append the locks of ckpt_find_locks() to *@recs (*@nr of them so far).
 * The owner is frozen: its locks stay; the lists are only read twice
 * to size the array.
 *
 * Return: 0 or a negative errno (-E2BIG beyond CKPT_LOCKS_MAX).
 */
static int ckpt_get_locks(struct inode *inode, void *owner, bool of_file,
			  int fd, struct ckpt_hdr_file_lock **recs, int *nr)
{
	struct ckpt_hdr_file_lock *more;
	int n, max = 0;

	for (;;) {
		n = ckpt_find_locks(inode, owner, of_file, fd,
				    *recs ? *recs + *nr : NULL, max);
		if (n <= max)
			break;
		if (*nr + n > CKPT_LOCKS_MAX)
			return -E2BIG;
		more = krealloc(*recs, (*nr + n) * sizeof(**recs), GFP_KERNEL);
		if (!more)
			return -ENOMEM;
		*recs = more;
		max = n;
	}
	*nr += n;
	return 0;
}

static int ckpt_write_locks(struct ckpt_ctx *ctx,
			    struct ckpt_hdr_file_lock *recs, int nr)
{
	int i, ret = 0;

	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_write_obj(ctx, &recs[i].h);
	return ret;
}

/* Does @file hold a lease? (not saved yet) */
static bool ckpt_file_lease(struct file *file)
{
	struct file_lock_context *flctx;
	struct file_lock *fl;
	bool lease = false;

	/* pairs with the cmpxchg that installs it (fs/locks.c) */
	flctx = smp_load_acquire(&file_inode(file)->i_flctx);
	if (!flctx)
		return false;
	spin_lock(&flctx->flc_lock);
	list_for_each_entry(fl, &flctx->flc_lease, fl_list)
		if (fl->fl_file == file)
			lease = true;
	spin_unlock(&flctx->flc_lock);
	return lease;
}

static const char *const ckpt_lock_names[] = {
	[CKPT_LOCK_FLOCK] = "flock()",
	[CKPT_LOCK_OFD] = "open file description",
	[CKPT_LOCK_POSIX] = "POSIX record",
};

/* flock() as the system call takes it, without waiting */
static int ckpt_flock(struct file *file, unsigned int type)
{
	struct file_lock *fl;
	int ret;

	if (!(file->f_mode & (FMODE_READ | FMODE_WRITE)))
		return -EBADF;
	fl = locks_alloc_lock();
	if (!fl)
		return -ENOMEM;
	fl->fl_file = file;
	fl->fl_owner = file;
	fl->fl_pid = current->tgid;
	fl->fl_flags = FL_FLOCK;
	fl->fl_type = type;
	fl->fl_end = OFFSET_MAX;
	ret = security_file_lock(file, type);
	if (!ret && file->f_op->flock)
		ret = file->f_op->flock(file, F_SETLK, fl);
	else if (!ret)
		ret = locks_lock_file_wait(file, fl);
	locks_free_lock(fl);
	return ret;
}

/* Read a FILE_LOCK record of an open file (@of_file) or a files table */
static struct ckpt_hdr_file_lock *ckpt_read_lock(struct ckpt_ctx *ctx,
						 bool of_file)
{
	struct ckpt_hdr_file_lock *h;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_FILE_LOCK, sizeof(*h));
	if (IS_ERR(h))
		return h;
	if ((of_file ? h->kind != CKPT_LOCK_FLOCK && h->kind != CKPT_LOCK_OFD :
		       h->kind != CKPT_LOCK_POSIX) ||
	    (h->type != F_RDLCK && h->type != F_WRLCK) || h->start < 0 ||
	    h->len < 0 || h->len > OFFSET_MAX - h->start ||
	    (h->kind != CKPT_LOCK_POSIX && h->fd) ||
	    (h->kind == CKPT_LOCK_FLOCK && (h->start || h->len))) {
		ckpt_err(ctx, -EINVAL, "bad lock record (kind %u, type %u, %lld+%lld, fd %d)",
			 h->kind, h->type, h->start, h->len, h->fd);
		ckpt_hdr_put(ctx, h);
		return ERR_PTR(-EINVAL);
	}
	return h;
}

/*
 * Take a saved lock again, as flock() or fcntl(F_SETLK, F_OFD_SETLK)
 * would, without waiting: a conflicting lock of another process fails
 * the restart. A POSIX lock goes to the caller's files table, through
 * the fd the record names, which is @file's there.
 */
static int ckpt_apply_lock(struct ckpt_ctx *ctx, struct file *file,
			   struct ckpt_hdr_file_lock *h)
{
	struct flock fl = {
		.l_type = h->type,
		.l_whence = SEEK_SET,
		.l_start = h->start,
		.l_len = h->len,
	};
	int ret;

	if (h->kind == CKPT_LOCK_FLOCK)
		ret = ckpt_flock(file, h->type);
	else
		ret = fcntl_setlk(h->fd, file, h->kind == CKPT_LOCK_OFD ?
				  F_OFD_SETLK : F_SETLK, &fl);
	if (ret)
		ckpt_err(ctx, ret, "pid %d: cannot take back its %s lock on %pD (%lld+%lld)%s",
			 task_pid_vnr(current), ckpt_lock_names[h->kind],
			 file, h->start, h->len,
			 ret == -EAGAIN ? ": another process holds a conflicting one" : "");
	return ret;
}

/* The locks held through an open file just restored */
static int ckpt_restore_file_locks(struct ckpt_ctx *ctx, struct file *file,
				   u32 nr)
{
	struct ckpt_hdr_file_lock *h;
	int ret = 0;
	u32 i;

	if (nr > CKPT_LOCKS_MAX)
		return ckpt_err(ctx, -EINVAL, "%u locks on %pD", nr, file);
	for (i = 0; !ret && i < nr; i++) {
		h = ckpt_read_lock(ctx, true);
		if (IS_ERR(h))
			return PTR_ERR(h);
		ret = ckpt_apply_lock(ctx, file, h);
		ckpt_hdr_put(ctx, h);
	}
	return ret;
}

/* --- kinds of open files --- */

static const struct ckpt_file_ops *ckpt_file_kinds[CKPT_FILE_TYPE_MAX];

/**
 * ckpt_file_register - register the operations of one kind of open file
 * @ops: operations; ops->file_type selects the slot
 *
 * Called at boot by the code that saves the kind.
 *
 * Return: 0, or -EINVAL/-EBUSY for a bad or already taken file type.
 */
int ckpt_file_register(const struct ckpt_file_ops *ops)
{
	if (!ops->file_type || ops->file_type >= CKPT_FILE_TYPE_MAX ||
	    !ops->restore)
		return -EINVAL;
	if (ckpt_file_kinds[ops->file_type])
		return -EBUSY;
	ckpt_file_kinds[ops->file_type] = ops;
	return 0;
}

/* The kind that saves @file, or NULL: the one place a kind is chosen */
static const struct ckpt_file_ops *ckpt_file_kind_of(struct file *file)
{
	const struct ckpt_file_ops *ops;
	int i;

	for (i = 1; i < CKPT_FILE_TYPE_MAX; i++) {
		ops = ckpt_file_kinds[i];
		if (ops && ops->match && ops->match(file))
			return ops;
	}
	return NULL;
}

/* Is @file a terminal: a tty, a pty, the console? */
static bool ckpt_file_tty(struct file *file)
{
	struct inode *inode = file_inode(file);
	unsigned int major = imajor(inode);

	return S_ISCHR(inode->i_mode) &&
	       (major == TTY_MAJOR || major == TTYAUX_MAJOR ||
		major == PTY_MASTER_MAJOR || major == PTY_SLAVE_MAJOR ||
		(major >= UNIX98_PTY_MASTER_MAJOR &&
		 major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT));
}

/* --- files reopened by path: regular files, directories, devices --- */

static bool ckpt_reg_match(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;

	return !ckpt_file_data_kind(file) && ckpt_file_reachable(file) &&
	       (S_ISREG(mode) || S_ISDIR(mode));
}

/*
 * Character devices that open again as they were: the memory devices
 * with no state of their own. Another device opened again would start
 * afresh (a tun device without its interface, a terminal that is another
 * one: see ckpt_file_inherit()).
 */
static bool ckpt_chr_match(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (!ckpt_file_reachable(file) || !S_ISCHR(inode->i_mode) ||
	    imajor(inode) != MEM_MAJOR)
		return false;
	switch (iminor(inode)) {
	case 3:		/* null */
	case 5:		/* zero */
	case 7:		/* full */
	case 8:		/* random */
	case 9:		/* urandom */
		return true;
	}
	return false;
}

static int ckpt_path_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_obj_ref *ref)
{
	return ckpt_write_fname(ctx, &file->f_path);
}

static struct file *ckpt_path_restore(struct ckpt_ctx *ctx,
				      const struct ckpt_hdr_file *h)
{
	struct file *file;
	loff_t pos;

	if (h->f_pos < 0)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "negative file offset"));
	file = ckpt_open_fname(ctx, h->f_flags & CKPT_FILE_OFLAGS);
	if (IS_ERR(file))
		return file;
	if ((file_inode(file)->i_mode ^ h->i_mode) & S_IFMT) {
		ckpt_err(ctx, -EINVAL, "%pD is no longer the same kind of file",
			 file);
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	if (h->f_pos && (file->f_mode & FMODE_LSEEK)) {
		pos = vfs_llseek(file, h->f_pos, SEEK_SET);
		if (pos != h->f_pos) {
			ckpt_err(ctx, pos < 0 ? (int)pos : -EINVAL,
				 "cannot seek %pD to %lld", file, h->f_pos);
			fput(file);
			return ERR_PTR(pos < 0 ? pos : -EINVAL);
		}
	}
	return file;
}

static const struct ckpt_file_ops ckpt_reg_file_ops = {
	.name = "file",
	.file_type = CKPT_FILE_REG,
	.match = ckpt_reg_match,
	.checkpoint = ckpt_path_checkpoint,
	.restore = ckpt_path_restore,
};

static const struct ckpt_file_ops ckpt_chr_file_ops = {
	.name = "character device",
	.file_type = CKPT_FILE_CHR,
	.match = ckpt_chr_match,
	.checkpoint = ckpt_path_checkpoint,
	.restore = ckpt_path_restore,
};

/*
 * O_PATH fds of anything else (FIFOs, sockets, devices, symbolic links
 * with O_NOFOLLOW): a place in the tree of files, nothing opened. Found
 * again by path as O_PATH, which opens nothing either.
 */
static bool ckpt_opath_match(struct file *file)
{
	return (file->f_mode & FMODE_PATH) && ckpt_file_reachable(file);
}

#define CKPT_OPATH_FLAGS	(O_PATH | O_NOFOLLOW | O_DIRECTORY)

static struct file *ckpt_opath_restore(struct ckpt_ctx *ctx,
				       const struct ckpt_hdr_file *h)
{
	struct file *file;
	char *name;

	if (!(h->f_flags & O_PATH) || h->f_flags & ~CKPT_OPATH_FLAGS)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "bad O_PATH file: flags %#x",
					h->f_flags));
	name = ckpt_read_string(ctx, PATH_MAX);
	if (IS_ERR(name))
		return ERR_CAST(name);
	file = filp_open(name, h->f_flags & CKPT_OPATH_FLAGS, 0);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot find %s again (O_PATH)",
			 name);
	} else if ((file_inode(file)->i_mode ^ h->i_mode) & S_IFMT) {
		ckpt_err(ctx, -EINVAL, "%s is no longer the same kind of file",
			 name);
		fput(file);
		file = ERR_PTR(-EINVAL);
	}
	kfree(name);
	return file;
}

static const struct ckpt_file_ops ckpt_opath_file_ops = {
	.name = "O_PATH file",
	.file_type = CKPT_FILE_OPATH,
	.match = ckpt_opath_match,
	.checkpoint = ckpt_path_checkpoint,
	.restore = ckpt_opath_restore,
};

/* --- memfds and deleted files: FILE_DATA carries their contents --- */

static bool ckpt_data_match(struct file *file)
{
	return ckpt_file_data_kind(file);
}

static int ckpt_data_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				const struct ckpt_obj_ref *ref)
{
	return ckpt_checkpoint_file_data(ctx, file, ref);
}

/* Open what FILE_DATA made, at the file's offset */
static struct file *ckpt_data_restore(struct ckpt_ctx *ctx,
				      const struct ckpt_hdr_file *h)
{
	struct file *file;
	loff_t pos;

	if (h->f_pos < 0 || !S_ISREG(h->i_mode))
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad memfd or deleted file: mode %#o, offset %lld",
					h->i_mode, h->f_pos));
	file = ckpt_open_file_data(ctx, h->f_flags & CKPT_FILE_OFLAGS &
				   ~(O_DIRECTORY | O_NOFOLLOW));
	if (IS_ERR(file) || !h->f_pos)
		return file;
	pos = vfs_llseek(file, h->f_pos, SEEK_SET);
	if (pos == h->f_pos)
		return file;
	ckpt_err(ctx, pos < 0 ? (int)pos : -EINVAL, "cannot seek %pD to %lld",
		 file, h->f_pos);
	fput(file);
	return ERR_PTR(pos < 0 ? pos : -EINVAL);
}

static const struct ckpt_file_ops ckpt_data_file_ops = {
	.name = "memfd or deleted file",
	.file_type = CKPT_FILE_DATA,
	.match = ckpt_data_match,
	.collect = ckpt_collect_file_data,
	.checkpoint = ckpt_data_checkpoint,
	.restore = ckpt_data_restore,
};

/* --- standard streams that lead out of the tree --- */

/* The restarter's own fd 0, 1 or 2, for the root only */
static struct file *ckpt_inherit_restore(struct ckpt_ctx *ctx,
					 const struct ckpt_hdr_file *h)
{
	struct file *file;

	if (h->inherit_fd < 0 || h->inherit_fd > 2 ||
	    current->group_leader != ctx->root_task)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "bad inherited fd %d",
					h->inherit_fd));
	file = fget(h->inherit_fd);
	if (!file)
		return ERR_PTR(ckpt_err(ctx, -EBADF,
					"restarter has no fd %d to hand over",
					h->inherit_fd));
	return file;
}

/* chosen by ckpt_file_inherit(), never by its kind */
static const struct ckpt_file_ops ckpt_inherit_file_ops = {
	.name = "standard stream handed over",
	.file_type = CKPT_FILE_INHERIT,
	.restore = ckpt_inherit_restore,
};

/* --- file objects --- */

/* A few words on what a file of no kind is, for messages */
static const char *ckpt_file_what(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;

	if (d_unlinked(file->f_path.dentry))
		return "deleted file that is not a regular one, or still has another name";
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISBLK(mode))
		return "block device";
	if (ckpt_file_tty(file))
		return "terminal";
	if (S_ISCHR(mode))
		return "character device";
	return "file of a kind not supported yet";
}

/* Signal-driven I/O state, not saved yet: what the file has, or NULL */
static const char *ckpt_file_async(struct file *file)
{
	if (file->f_flags & FASYNC)
		return "O_ASYNC set";
	if (READ_ONCE(file->f_owner.pid))
		return "an owner (F_SETOWN)";
	if (READ_ONCE(file->f_owner.signum))
		return "a signal (F_SETSIG)";
	return NULL;
}

static bool ckpt_file_unix_sock(struct file *file)
{
	struct socket *sock;

	if (!S_ISSOCK(file_inode(file)->i_mode))
		return false;
	sock = sock_from_file(file);
	return sock && sock->sk && sock->sk->sk_family == AF_UNIX;
}

/*
 * Is @file a standard stream of the root that leads out of the tree (a
 * pipe to a shell, a socket to a logger)? Such a stream is not saved:
 * the restarted root gets the restarter's fd instead, and the log says
 * so. A file of no kind can only be such a stream, and only a pipe, a
 * unix socket or a terminal may be one: anything else would come back as
 * something else, silently, and is refused.
 *
 * Return: 1 to hand it over, 0 to save it by its kind, or a negative
 * errno (logged).
 */
static int ckpt_file_inherit(struct ckpt_ctx *ctx, struct file *file,
			     const struct ckpt_file_ops *kind,
			     const struct ckpt_obj_ref *ref)
{
	struct task_struct *t = ref->task;
	umode_t mode = file_inode(file)->i_mode;
	bool stdio = t->group_leader == ctx->root_task && ref->fd >= 0 &&
		     ref->fd <= 2;
	pid_t pid = task_pid_vnr(t);
	int fd = ref->fd, out;
	const char *why = NULL;

	if (kind) {
		if (!stdio || !kind->outside)
			return 0;
		out = kind->outside(ctx, file);
		if (out == CKPT_FILE_INSIDE && ckpt_obj_outside(ctx, file))
			out = CKPT_FILE_OUTSIDE;
		if (out == CKPT_FILE_INSIDE)
			return 0;
		if (out == CKPT_FILE_OUTSIDE_SHARED)
			return ckpt_err(ctx, -EBUSY,
					"pid %d fd %d is a %s (%pD) leading out of the tree and also open inside it: it can neither be handed over nor saved",
					pid, fd, kind->name, file);
	} else if (!S_ISFIFO(mode) && !ckpt_file_unix_sock(file) &&
		   !ckpt_file_tty(file)) {
		return ckpt_err(ctx, -EBUSY, "pid %d fd %d is a %s (%pD): not supported yet",
				pid, fd, ckpt_file_what(file), file);
	} else if (!stdio) {
		why = t->group_leader == ctx->root_task ?
		      "only standard streams may" :
		      "only the root's standard streams may";
	}
	if (why)
		return ckpt_err(ctx, -EBUSY,
				"pid %d fd %d is a %s (%pD): %s lead out of the tree, others are not supported yet",
				pid, fd, ckpt_file_what(file), file, why);
	ckpt_msg(ctx, "pid %d fd %d is a %s leading out of the tree: restart hands over the restarter's fd %d",
		 pid, fd, kind ? kind->name : ckpt_file_what(file), fd);
	return 1;
}

static int ckpt_file_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				const struct ckpt_obj_ref *ref)
{
	const struct ckpt_file_ops *kind;
	struct file *file = ptr;
	struct ckpt_hdr_file h = {
		.h.type = CKPT_HDR_FILE,
		.h.len = sizeof(h),
		.objref = objref,
		.f_flags = file->f_flags,
		.f_pos = file->f_pos,
		.i_mode = file_inode(file)->i_mode,
	};
	struct ckpt_hdr_file_lock *locks = NULL;
	int ret, nr = 0;

	kind = ckpt_file_kind_of(file);
	ret = ckpt_file_inherit(ctx, file, kind, ref);
	if (ret < 0)
		return ret;
	if (ret) {
		kind = &ckpt_inherit_file_ops;
		h.inherit_fd = ref->fd;
	} else if (ckpt_file_async(file)) {
		/* restored without it, F_GETOWN and SIGIO would differ */
		return ckpt_err(ctx, -EBUSY,
				"pid %d fd %d (%pD) has %s: not supported yet",
				task_pid_vnr(ref->task), ref->fd, file,
				ckpt_file_async(file));
	}
	h.file_type = kind->file_type;
	ret = ckpt_get_locks(file_inode(file), file, true, 0, &locks, &nr);
	if (ret) {
		kfree(locks);
		return ckpt_err(ctx, ret, "pid %d fd %d: cannot save the locks held through %pD",
				task_pid_vnr(ref->task), ref->fd, file);
	}
	h.nr_locks = nr;
	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret && kind->checkpoint)
		ret = kind->checkpoint(ctx, file, ref);
	if (!ret)
		ret = ckpt_write_locks(ctx, locks, nr);
	kfree(locks);
	return ret;
}

static void *ckpt_file_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
			       int *objref)
{
	const struct ckpt_file_ops *kind = NULL;
	struct ckpt_hdr_file *h;
	struct file *file;
	int ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if (h->file_type < CKPT_FILE_TYPE_MAX)
		kind = ckpt_file_kinds[array_index_nospec(h->file_type,
							  CKPT_FILE_TYPE_MAX)];
	ret = ckpt_par_file_check(ctx, h);
	if (ret)
		file = ERR_PTR(ret);
	else if (kind)
		file = kind->restore(ctx, h);
	else
		file = ERR_PTR(ckpt_err(ctx, -EINVAL, "unknown file type %u",
					h->file_type));
	ret = IS_ERR(file) ? 0 : ckpt_restore_file_locks(ctx, file, h->nr_locks);
	if (ret) {
		fput(file);
		file = ERR_PTR(ret);
	}
	ckpt_hdr_put(ctx, h);
	return file;
}

static void ckpt_file_grab(void *ptr)
{
	get_file(ptr);
}

static void ckpt_file_drop(void *ptr)
{
	fput(ptr);
}

static int ckpt_file_users(void *ptr)
{
	return file_count((struct file *)ptr);
}

static int ckpt_file_collect(struct ckpt_ctx *ctx, void *ptr)
{
	const struct ckpt_file_ops *kind = ckpt_file_kind_of(ptr);

	return kind && kind->collect ? kind->collect(ctx, ptr) : 0;
}

static const struct ckpt_obj_ops ckpt_file_ops = {
	.name = "file",
	.obj_type = CKPT_OBJ_FILE,
	.hdr_type = CKPT_HDR_FILE,
	.ref_grab = ckpt_file_grab,
	.ref_drop = ckpt_file_drop,
	.ref_users = ckpt_file_users,
	.collect = ckpt_file_collect,
	.checkpoint = ckpt_file_checkpoint,
	.restore = ckpt_file_restore,
};

/* --- files table --- */

struct ckpt_fd {
	int fd;
	u32 flags;
	struct file *file;
};

/* Is @file a stream: a pipe, a FIFO, a socket, or no file a path reaches? */
static bool ckpt_file_stream(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;

	return S_ISFIFO(mode) || S_ISSOCK(mode) ||
	       (!ckpt_file_reachable(file) && !ckpt_file_data_kind(file));
}

/*
 * Snapshot the open fds. A self-checkpoint leaves out its own image fd
 * when that is a stream (its data is the image being written).
 */
static int ckpt_collect_fds(struct ckpt_ctx *ctx, struct files_struct *files,
			    struct ckpt_fd **fds)
{
	struct fdtable *fdt;
	struct ckpt_fd *f;
	unsigned int fd;
	int n = 0, max;

	spin_lock(&files->file_lock);
	fdt = files_fdtable(files);
	max = fdt->max_fds;
	spin_unlock(&files->file_lock);

	f = kvcalloc(max, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	spin_lock(&files->file_lock);
	fdt = files_fdtable(files);
	for (fd = 0; fd < fdt->max_fds && n < max; fd++) {
		struct file *file = rcu_dereference_check_fdtable(files, fdt->fd[fd]);

		if (!file || (file == ctx->file && (ctx->kflags & CKPT_CTX_SELF) &&
			      ckpt_file_stream(file)))
			continue;
		f[n].fd = fd;
		f[n].flags = close_on_exec(fd, fdt) ? CKPT_FD_CLOEXEC : 0;
		f[n].file = get_file(file);
		n++;
	}
	spin_unlock(&files->file_lock);
	*fds = f;
	return n;
}

static void ckpt_free_fds(struct ckpt_fd *fds, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		if (fds[i].file)
			fput(fds[i].file);
	kvfree(fds);
}

/* An fd (its index in the snapshot) whose file has POSIX locks */
struct ckpt_locked_fd {
	struct inode *inode;
	int i;
};

static int ckpt_locked_fd_cmp(const void *a, const void *b)
{
	const struct ckpt_locked_fd *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->i - y->i;
}

/*
 * The POSIX record locks of files table @files, each file once, taken
 * again through its first fd: the fds of files with POSIX locks, sorted
 * by inode, give each inode's first fd.
 */
static int ckpt_table_locks(struct ckpt_ctx *ctx, struct files_struct *files,
			    struct ckpt_fd *fds, int nr,
			    struct ckpt_hdr_file_lock **locks, int *nr_locks)
{
	struct file_lock_context *flctx;
	struct ckpt_locked_fd *lf = NULL;
	struct inode *inode;
	int i, n = 0, ret = 0;

	for (i = 0; i < nr; i++) {
		inode = file_inode(fds[i].file);
		/* as in ckpt_find_locks(); the owner's list does not change */
		flctx = smp_load_acquire(&inode->i_flctx);
		if (!flctx || list_empty_careful(&flctx->flc_posix))
			continue;
		if (!lf) {
			lf = kvmalloc_array(nr - i, sizeof(*lf), GFP_KERNEL);
			if (!lf)
				return -ENOMEM;
		}
		lf[n].inode = inode;
		lf[n++].i = i;
	}
	sort(lf, n, sizeof(*lf), ckpt_locked_fd_cmp, NULL);
	for (i = 0; !ret && i < n; i++) {
		if (i && lf[i].inode == lf[i - 1].inode)
			continue;
		ret = ckpt_get_locks(lf[i].inode, files, false,
				     fds[lf[i].i].fd, locks, nr_locks);
		if (ret)
			ckpt_err(ctx, ret, "fd %d: cannot save the POSIX record locks on %pD",
				 fds[lf[i].i].fd, fds[lf[i].i].file);
	}
	kvfree(lf);
	return ret;
}

static int ckpt_files_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				 const struct ckpt_obj_ref *ref)
{
	struct ckpt_obj_ref fref = { .task = ref->task };
	struct ckpt_hdr_file_table h = {
		.h.type = CKPT_HDR_FILE_TABLE,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct ckpt_hdr_file_lock *locks = NULL;
	struct ckpt_fd *fds;
	int i, nr, ret, nr_locks = 0;

	nr = ckpt_collect_fds(ctx, ptr, &fds);
	if (nr < 0)
		return nr;
	ret = ckpt_table_locks(ctx, ptr, fds, nr, &locks, &nr_locks);
	if (ret) {
		ckpt_free_fds(fds, nr);
		return ret;
	}
	h.nr_fds = nr;
	h.nr_locks = nr_locks;
	ret = ckpt_write_obj(ctx, &h.h);
	for (i = 0; !ret && i < nr; i++) {
		struct ckpt_hdr_fd_ent e = {
			.h.type = CKPT_HDR_FD_ENT,
			.h.len = sizeof(e),
			.fd = fds[i].fd,
			.flags = fds[i].flags,
		};

		if (ckpt_file_lease(fds[i].file))
			ret = ckpt_err(ctx, -EBUSY,
				       "pid %d fd %d (%pd) holds a lease: not supported yet",
				       task_pid_vnr(ref->task), fds[i].fd,
				       fds[i].file->f_path.dentry);
		if (!ret)
			ret = ckpt_write_obj(ctx, &e.h);
		if (ret)
			break;
		fref.fd = fds[i].fd;
		ret = ckpt_obj_checkpoint(ctx, fds[i].file, CKPT_OBJ_FILE, &fref);
		if (ret > 0)
			ret = 0;
		if (!(i % 1024))
			cond_resched();
	}
	if (!ret)
		ret = ckpt_write_locks(ctx, locks, nr_locks);
	kfree(locks);
	ckpt_free_fds(fds, nr);
	return ret;
}

/*
 * Collect pass: every open file of the table; the standard streams of the
 * root's table are exempt from the leak check (ckpt_file_inherit())
 */
static int ckpt_files_collect(struct ckpt_ctx *ctx, void *ptr)
{
	bool root = ptr == READ_ONCE(ctx->root_task->files);
	struct ckpt_fd *fds;
	int i, nr, ret = 0;

	nr = ckpt_collect_fds(ctx, ptr, &fds);
	if (nr < 0)
		return nr;
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_obj_collect(ctx, fds[i].file, CKPT_OBJ_FILE,
				       root && fds[i].fd <= 2);
	ckpt_free_fds(fds, nr);
	return ret;
}

static struct files_struct *ckpt_get_files(struct task_struct *t)
{
	struct files_struct *files;

	task_lock(t);
	files = t->files;
	if (files)
		atomic_inc(&files->count);
	task_unlock(t);
	return files;
}

/**
 * ckpt_collect_files - collect pass over a task's files table
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_files(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct files_struct *files = ckpt_get_files(t);
	int ret;

	if (!files)
		return 0;
	ret = ckpt_obj_collect(ctx, files, CKPT_OBJ_FILE_TABLE, false);
	put_files_struct(files);
	return ret;
}

/**
 * ckpt_checkpoint_files - save a task's files table (once per table)
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_files(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	struct files_struct *files = ckpt_get_files(t);
	int ret;

	if (!files)
		return ckpt_err(ctx, -EBUSY, "pid %d has no files table",
				task_pid_vnr(t));
	ret = ckpt_obj_checkpoint(ctx, files, CKPT_OBJ_FILE_TABLE, &ref);
	put_files_struct(files);
	return ret < 0 ? ret : 0;
}

/*
 * Make the caller's fd table exactly @fds (sorted by fd, as restart
 * checked): one pass over the table and one over @fds.
 */
static int ckpt_install_fds(struct ckpt_ctx *ctx, struct ckpt_fd *fds, int nr)
{
	unsigned int fd, max;
	int i = 0, ret;

	spin_lock(&current->files->file_lock);
	max = files_fdtable(current->files)->max_fds;
	spin_unlock(&current->files->file_lock);
	for (fd = 0; fd < max; fd++) {
		while (i < nr && fds[i].fd < fd)
			i++;
		if (i == nr || fds[i].fd != fd)
			close_fd(fd);
		if (!(fd % 1024))
			cond_resched();
	}
	for (i = 0; i < nr; i++) {
		ret = replace_fd(fds[i].fd, fds[i].file,
				 fds[i].flags & CKPT_FD_CLOEXEC ? O_CLOEXEC : 0);
		if (ret < 0)
			return ckpt_err(ctx, ret, "cannot install fd %d",
					fds[i].fd);
		if (!(i % 1024)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/*
 * One POSIX lock of the table: its record names the fd it was taken
 * through, which must be open here (@fds, ascending).
 */
static int ckpt_restore_table_lock(struct ckpt_ctx *ctx, struct ckpt_fd *fds,
				   int nr)
{
	struct ckpt_hdr_file_lock *h;
	int lo = 0, hi = nr, ret;

	h = ckpt_read_lock(ctx, false);
	if (IS_ERR(h))
		return PTR_ERR(h);
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (fds[mid].fd < h->fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nr || fds[lo].fd != h->fd)
		ret = ckpt_err(ctx, -EINVAL, "POSIX lock through fd %d, which is not open",
			       h->fd);
	else
		ret = ckpt_apply_lock(ctx, fds[lo].file, h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

static void *ckpt_files_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				int *objref)
{
	struct ckpt_hdr_file_table *h;
	struct ckpt_fd *fds = NULL;
	int i, ret = 0, nr, cap = 0;
	u32 nr_locks;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	nr = h->nr_fds;
	nr_locks = h->nr_locks;
	ckpt_hdr_put(ctx, h);
	if (nr < 0 || nr > rlimit(RLIMIT_NOFILE))
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "%d fds exceed the fd limit",
					nr));
	if (nr_locks > CKPT_LOCKS_MAX)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "%u POSIX locks", nr_locks));

	for (i = 0; i < nr; i++) {
		struct ckpt_hdr_fd_ent *e;
		struct file *file;

		/* memory follows the entries that came, not the count */
		if (i == cap) {
			struct ckpt_fd *more;
			int grown = min(max(2 * cap, 64), nr);

			more = kvrealloc(fds, cap * sizeof(*fds),
					 grown * sizeof(*fds), GFP_KERNEL_ACCOUNT);
			if (!more) {
				ret = -ENOMEM;
				break;
			}
			fds = more;
			cap = grown;
		}
		e = ckpt_read_obj_type(ctx, CKPT_HDR_FD_ENT, sizeof(*e));
		if (IS_ERR(e)) {
			ret = PTR_ERR(e);
			break;
		}
		if (e->fd < 0 || e->fd >= rlimit(RLIMIT_NOFILE) ||
		    (i && e->fd <= fds[i - 1].fd) ||
		    e->flags & ~CKPT_FD_CLOEXEC)
			ret = ckpt_err(ctx, -EINVAL, "bad fd entry %d (flags %#x)",
				       e->fd, e->flags);
		fds[i].fd = e->fd;
		fds[i].flags = e->flags;
		ckpt_hdr_put(ctx, e);
		if (ret)
			break;
		file = ckpt_obj_restore(ctx, CKPT_OBJ_FILE);
		if (IS_ERR(file)) {
			ret = PTR_ERR(file);
			break;
		}
		/* the object hash holds the reference */
		fds[i].file = file;
		if (!(i % 1024)) {
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	if (!ret)
		ret = ckpt_install_fds(ctx, fds, nr);
	/* POSIX locks: owned by the table just installed */
	for (i = 0; !ret && i < nr_locks; i++)
		ret = ckpt_restore_table_lock(ctx, fds, nr);
	/* epoll watches: through the fds just installed */
	if (!ret)
		ret = ckpt_epoll_add_watches(ctx);
	kvfree(fds);
	if (ret)
		return ERR_PTR(ret);
	atomic_inc(&current->files->count);
	return current->files;
}

/**
 * ckpt_restore_files - restore the caller's files table
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_files(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct files_struct *files = ckpt_obj_restore(ctx, CKPT_OBJ_FILE_TABLE);

	if (IS_ERR(files))
		return PTR_ERR(files);
	if (files != current->files)
		return ckpt_err(ctx, -EINVAL,
				"files table shared with a task of another table");
	return 0;
}

static void ckpt_files_grab(void *ptr)
{
	atomic_inc(&((struct files_struct *)ptr)->count);
}

static void ckpt_files_drop(void *ptr)
{
	put_files_struct(ptr);
}

static int ckpt_files_users(void *ptr)
{
	return atomic_read(&((struct files_struct *)ptr)->count);
}

static const struct ckpt_obj_ops ckpt_files_ops = {
	.name = "files table",
	.obj_type = CKPT_OBJ_FILE_TABLE,
	.hdr_type = CKPT_HDR_FILE_TABLE,
	.ref_grab = ckpt_files_grab,
	.ref_drop = ckpt_files_drop,
	.ref_users = ckpt_files_users,
	.collect = ckpt_files_collect,
	.checkpoint = ckpt_files_checkpoint,
	.restore = ckpt_files_restore,
};

/* --- fs: working and root directory, umask --- */

static int ckpt_fs_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
			      const struct ckpt_obj_ref *ref)
{
	struct fs_struct *fs = ptr;
	struct ckpt_hdr_fs h = {
		.h.type = CKPT_HDR_FS,
		.h.len = sizeof(h),
		.objref = objref,
	};
	struct path root, pwd;
	int ret;

	spin_lock(&fs->lock);
	h.umask = fs->umask;
	spin_unlock(&fs->lock);
	get_fs_root(fs, &root);
	get_fs_pwd(fs, &pwd);
	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret)
		ret = ckpt_write_fname(ctx, &root);
	if (!ret)
		ret = ckpt_write_fname(ctx, &pwd);
	path_put(&root);
	path_put(&pwd);
	return ret;
}

/* Open a saved directory; it must be one, and we must be allowed in */
static struct file *ckpt_open_dir(struct ckpt_ctx *ctx, const char *what)
{
	struct file *dir = ckpt_open_fname(ctx, O_PATH | O_DIRECTORY);
	int ret;

	if (IS_ERR(dir))
		return dir;
	ret = path_permission(&dir->f_path, MAY_EXEC | MAY_CHDIR);
	if (ret) {
		ckpt_err(ctx, ret, "no permission to enter %s directory %pD",
			 what, dir);
		fput(dir);
		return ERR_PTR(ret);
	}
	return dir;
}

static void *ckpt_fs_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
			     int *objref)
{
	struct fs_struct *fs = current->fs;
	struct file *root = NULL, *pwd = NULL;
	struct ckpt_hdr_fs *h;
	struct path cur;
	int ret = 0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	*objref = h->objref;
	if (h->umask & ~0777)
		ret = ckpt_err(ctx, -EINVAL, "bad umask %#o", h->umask);
	if (!ret) {
		root = ckpt_open_dir(ctx, "root");
		if (IS_ERR(root))
			ret = PTR_ERR(root);
	}
	if (!ret) {
		pwd = ckpt_open_dir(ctx, "working");
		if (IS_ERR(pwd))
			ret = PTR_ERR(pwd);
	}
	if (!ret) {
		/* a different root is a chroot(): same rules, LSM included */
		get_fs_root(fs, &cur);
		if (!path_equal(&cur, &root->f_path)) {
			if (!ns_capable(current_user_ns(), CAP_SYS_CHROOT))
				ret = -EPERM;
			else
				ret = security_path_chroot(&root->f_path);
			if (ret)
				ckpt_err(ctx, ret, "no permission to chroot to %pD",
					 root);
		}
		path_put(&cur);
	}
	if (!ret) {
		set_fs_root(fs, &root->f_path);
		set_fs_pwd(fs, &pwd->f_path);
		spin_lock(&fs->lock);
		fs->umask = h->umask;
		fs->users++;
		spin_unlock(&fs->lock);
	}
	if (!IS_ERR_OR_NULL(root))
		fput(root);
	if (!IS_ERR_OR_NULL(pwd))
		fput(pwd);
	ckpt_hdr_put(ctx, h);
	return ret ? ERR_PTR(ret) : fs;
}

static void ckpt_fs_grab(void *ptr)
{
	struct fs_struct *fs = ptr;

	spin_lock(&fs->lock);
	fs->users++;
	spin_unlock(&fs->lock);
}

static void ckpt_fs_drop(void *ptr)
{
	struct fs_struct *fs = ptr;
	bool last;

	spin_lock(&fs->lock);
	last = !--fs->users;
	spin_unlock(&fs->lock);
	if (last)
		free_fs_struct(fs);
}

static int ckpt_fs_users(void *ptr)
{
	return ((struct fs_struct *)ptr)->users;
}

static const struct ckpt_obj_ops ckpt_fs_ops = {
	.name = "fs (cwd and root)",
	.obj_type = CKPT_OBJ_FS,
	.hdr_type = CKPT_HDR_FS,
	.ref_grab = ckpt_fs_grab,
	.ref_drop = ckpt_fs_drop,
	.ref_users = ckpt_fs_users,
	.checkpoint = ckpt_fs_checkpoint,
	.restore = ckpt_fs_restore,
};

static struct fs_struct *ckpt_get_fs(struct task_struct *t)
{
	struct fs_struct *fs;

	task_lock(t);
	fs = t->fs;
	if (fs)
		ckpt_fs_grab(fs);
	task_unlock(t);
	return fs;
}

/**
 * ckpt_checkpoint_fs - save a task's cwd, root and umask (once per fs)
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_fs(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	struct fs_struct *fs = ckpt_get_fs(t);
	int ret;

	if (!fs)
		return ckpt_err(ctx, -EBUSY, "pid %d has no fs", task_pid_vnr(t));
	ret = ckpt_obj_checkpoint(ctx, fs, CKPT_OBJ_FS, &ref);
	ckpt_fs_drop(fs);
	return ret < 0 ? ret : 0;
}

/**
 * ckpt_collect_fs - collect pass over a task's fs
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_fs(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct fs_struct *fs = ckpt_get_fs(t);
	int ret;

	if (!fs)
		return 0;
	ret = ckpt_obj_collect(ctx, fs, CKPT_OBJ_FS, false);
	ckpt_fs_drop(fs);
	return ret;
}

/**
 * ckpt_restore_fs - restore the caller's cwd, root and umask
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_fs(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct fs_struct *fs = ckpt_obj_restore(ctx, CKPT_OBJ_FS);

	if (IS_ERR(fs))
		return PTR_ERR(fs);
	if (fs != current->fs)
		return ckpt_err(ctx, -EINVAL,
				"fs shared with a task of another fs");
	return 0;
}

static int __init ckpt_files_init(void)
{
	int ret = ckpt_obj_register(&ckpt_file_ops);

	if (!ret)
		ret = ckpt_file_register(&ckpt_reg_file_ops);
	if (!ret)
		ret = ckpt_file_register(&ckpt_chr_file_ops);
	if (!ret)
		ret = ckpt_file_register(&ckpt_data_file_ops);
	if (!ret)
		ret = ckpt_file_register(&ckpt_opath_file_ops);
	if (!ret)
		ret = ckpt_file_register(&ckpt_inherit_file_ops);
	if (!ret)
		ret = ckpt_obj_register(&ckpt_fdata_ops);
	if (!ret)
		ret = ckpt_obj_register(&ckpt_files_ops);
	return ret ? ret : ckpt_obj_register(&ckpt_fs_ops);
}
late_initcall(ckpt_files_init);
