// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of address spaces: the mm object (its fields, its
 * VMAs) and the contents of its private pages; shared anonymous memory,
 * an object of its own shared by the mappings of it.
 *
 * Image: MM [STRING exe] { VMA [STRING path | shmem | FILE_DATA |
 *        SHM_ATTACH] }* { PAGES }* PAGES(0)
 *        shmem: SHMEM { PAGES }* PAGES(0), or OBJREF
 *        SHM_ATTACH: a SysV segment, saved with its IPC namespace
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/binfmts.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/highmem.h>
#include <linux/uio.h>
#include <linux/shmem_fs.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/pagewalk.h>
#include <linux/rmap.h>
#include <linux/swap.h>
#include <linux/memcontrol.h>
#include <linux/oom.h>
#include <linux/huge_mm.h>
#include <linux/swapops.h>
#include "internal.h"	/* do_mlock() */

/* What we keep of a VMA between looking at it and writing it out */
struct ckpt_vma_desc {
	unsigned long start, end, pgoff;
	u32 flags;
	u32 type;
	bool has_anon;		/* may hold private (COW or anonymous) pages */
	struct file *file;
};

/* The madvise() state of a VMA: its flag, its record flag, its advice */
static const struct {
	unsigned long vm_flag;
	u32 flag;
	int advice;
} ckpt_vma_advice[] = {
	{ VM_DONTCOPY, CKPT_VMA_DONTFORK, MADV_DONTFORK },
	{ VM_DONTDUMP, CKPT_VMA_DONTDUMP, MADV_DONTDUMP },
	{ VM_WIPEONFORK, CKPT_VMA_WIPEONFORK, MADV_WIPEONFORK },
	{ VM_SEQ_READ, CKPT_VMA_SEQ_READ, MADV_SEQUENTIAL },
	{ VM_RAND_READ, CKPT_VMA_RAND_READ, MADV_RANDOM },
	/* refused by a kernel without THP or KSM: the restart fails */
	{ VM_HUGEPAGE, CKPT_VMA_HUGEPAGE, MADV_HUGEPAGE },
	{ VM_NOHUGEPAGE, CKPT_VMA_NOHUGEPAGE, MADV_NOHUGEPAGE },
	{ VM_MERGEABLE, CKPT_VMA_MERGEABLE, MADV_MERGEABLE },
};

#define CKPT_VMA_ADVICE	(CKPT_VMA_DONTFORK | CKPT_VMA_DONTDUMP | \
			 CKPT_VMA_WIPEONFORK | CKPT_VMA_SEQ_READ | \
			 CKPT_VMA_RAND_READ | CKPT_VMA_HUGEPAGE | \
			 CKPT_VMA_NOHUGEPAGE | CKPT_VMA_MERGEABLE)

static int ckpt_vma_flags(struct vm_area_struct *vma)
{
	u32 flags = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_vma_advice); i++)
		if (vma->vm_flags & ckpt_vma_advice[i].vm_flag)
			flags |= ckpt_vma_advice[i].flag;

	if (vma->vm_flags & VM_READ)
		flags |= CKPT_VMA_READ;
	if (vma->vm_flags & VM_WRITE)
		flags |= CKPT_VMA_WRITE;
	if (vma->vm_flags & VM_EXEC)
		flags |= CKPT_VMA_EXEC;
	/* MAP_SHARED of a file opened read-only has VM_MAYSHARE alone */
	if (vma->vm_flags & VM_MAYSHARE)
		flags |= CKPT_VMA_SHARED;
	if ((vma->vm_flags & (VM_MAYSHARE | VM_MAYWRITE)) ==
	    (VM_MAYSHARE | VM_MAYWRITE))
		flags |= CKPT_VMA_MAYWRITE;
	if (vma->vm_flags & VM_GROWSDOWN)
		flags |= CKPT_VMA_GROWSDOWN;
	if ((vma->vm_flags & VM_NORESERVE) && !(vma->vm_flags & VM_MAYSHARE))
		flags |= CKPT_VMA_NORESERVE;
	if (vma->vm_flags & VM_LOCKED)
		flags |= CKPT_VMA_LOCKED;
	if (vma->vm_flags & VM_LOCKONFAULT)
		flags |= CKPT_VMA_LOCKONFAULT;
	return flags;
}

/*
 * MAP_SHARED | MAP_ANONYMOUS memory (also a shared mapping of /dev/zero):
 * a shmem file of the kernel's own (S_PRIVATE), which no path reaches.
 */
static bool ckpt_vma_shared_anon(struct vm_area_struct *vma)
{
	return vma->vm_file && (vma->vm_flags & VM_SHARED) &&
	       vma_is_shmem(vma) && IS_PRIVATE(file_inode(vma->vm_file));
}

/* Why a mapping cannot be saved, or NULL if it can */
static const char *ckpt_vma_unsupported(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP | VM_HUGETLB))
		return "device or hugetlb memory";
	if (ckpt_vma_shared_anon(vma) || (file && ckpt_file_data_kind(file)) ||
	    (file && ckpt_file_is_sysvshm(file)))
		file = NULL;
	else if (file && !ckpt_file_reachable(file))
		return "a hugetlb memfd, a deleted file linked elsewhere or a kernel-internal file";
	else if (!file && (vma->vm_flags & VM_SHARED))
		return "a shared anonymous mapping without its object";
	return NULL;
}

static void ckpt_describe_vma(struct vm_area_struct *vma,
			      struct ckpt_vma_desc *d)
{
	struct file *file = vma->vm_file;

	d->start = vma->vm_start;
	d->end = vma->vm_end;
	d->pgoff = file ? vma->vm_pgoff : 0;
	d->flags = ckpt_vma_flags(vma);
	d->type = file ? CKPT_VMA_FILE : CKPT_VMA_ANON;
	if (ckpt_vma_shared_anon(vma))
		d->type = CKPT_VMA_SHMEM;
	else if (file && ckpt_file_data_kind(file))
		d->type = CKPT_VMA_FILE_DATA;
	else if (file && ckpt_file_is_sysvshm(file))
		d->type = CKPT_VMA_SYSVSHM;
	/* no anon_vma: never written to, only holes or the zero page */
	d->has_anon = !(vma->vm_flags & VM_SHARED) && vma->anon_vma;
	d->file = file ? get_file(file) : NULL;
}

/*
 * Snapshot the VMA list (without vDSO/vvar) so records can be written
 * unlocked. Called with the mmap lock held: nothing is logged here, a
 * mapping that cannot be saved is described in *@bad and *@why, and
 * -EBUSY returned.
 */
static int ckpt_collect_vmas(struct mm_struct *mm, struct ckpt_vma_desc **descs,
			     int *nr, struct ckpt_vma_desc *bad,
			     const char **why)
{
	unsigned long vstart, vend;
	struct vm_area_struct *vma;
	struct ckpt_vma_desc *d;
	int n = 0, ret = 0;

	VMA_ITERATOR(vmi, mm, 0);

	ckpt_arch_vdso(mm, &vstart, &vend);
	d = kvcalloc(mm->map_count, sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	for_each_vma(vmi, vma) {
		if (vma->vm_start >= vstart && vma->vm_end <= vend)
			continue;
		if (n >= mm->map_count) {
			ret = -EAGAIN;
			break;
		}
		*why = ckpt_vma_unsupported(vma);
		if (*why) {
			bad->start = vma->vm_start;
			bad->end = vma->vm_end;
			ret = -EBUSY;
			break;
		}
		ckpt_describe_vma(vma, &d[n++]);
	}
	*descs = d;
	*nr = n;
	return ret;
}

static void ckpt_free_vmas(struct ckpt_vma_desc *d, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		if (d[i].file)
			fput(d[i].file);
	kvfree(d);
}

static void ckpt_fill_mm(struct ckpt_hdr_mm *h, struct mm_struct *mm)
{
	unsigned long unused;
	int i;

	h->start_code = mm->start_code;
	h->end_code = mm->end_code;
	h->start_data = mm->start_data;
	h->end_data = mm->end_data;
	h->start_brk = mm->start_brk;
	h->brk = mm->brk;
	h->start_stack = mm->start_stack;
	spin_lock(&mm->arg_lock);
	h->arg_start = mm->arg_start;
	h->arg_end = mm->arg_end;
	h->env_start = mm->env_start;
	h->env_end = mm->env_end;
	spin_unlock(&mm->arg_lock);
	h->vdso = ckpt_arch_vdso(mm, &unused, &unused);
	h->nr_auxv = min_t(int, AT_VECTOR_SIZE, CKPT_AUXV_MAX);
	for (i = 0; i < h->nr_auxv; i++)
		h->auxv[i] = mm->saved_auxv[i];
}

/* Write the addresses of the pages whose contents went ahead (pre-copy) */
static int ckpt_write_precopied(struct ckpt_ctx *ctx, u64 *addrs, int nr)
{
	struct ckpt_hdr_pages h = {
		.h.type = CKPT_HDR_PAGES_PRECOPIED,
		.nr_pages = nr,
	};
	struct kvec vec = { .iov_base = addrs, .iov_len = nr * sizeof(u64) };
	int ret;

	h.h.len = sizeof(h) + vec.iov_len;
	ret = ckpt_write_hdr(ctx, &h.h, sizeof(h));
	if (!ret)
		ret = ckpt_kwritev(ctx, &vec, 1, vec.iov_len);
	return ret;
}

/* Write the pages gathered in @pages (all present, referenced) */
static int ckpt_write_pages(struct ckpt_ctx *ctx, struct page **pages,
			    u64 *addrs, struct kvec *vec, int nr)
{
	struct ckpt_hdr_pages h = {
		.h.type = CKPT_HDR_PAGES,
		.nr_pages = nr,
	};
	int i, ret;

	h.h.len = sizeof(h) + nr * (sizeof(u64) + PAGE_SIZE);
	ret = ckpt_write_hdr(ctx, &h.h, sizeof(h));
	if (ret || !nr)
		return ret;
	/* x86_64 has no highmem: every page has a kernel address */
	vec[0].iov_base = addrs;
	vec[0].iov_len = nr * sizeof(u64);
	for (i = 0; i < nr; i++) {
		vec[i + 1].iov_base = page_address(pages[i]);
		vec[i + 1].iov_len = PAGE_SIZE;
	}
	return ckpt_write_pinned(ctx, vec, nr + 1, h.h.len - sizeof(h));
}

/* A batch of pages being gathered by the page table walk */
struct ckpt_scan {
	struct ckpt_ctx *ctx;
	struct ckpt_vma_desc *d;
	struct page **pages;
	u64 *addrs;
	int nr;
	unsigned long next;	/* where the walk stopped */
	bool slow;		/* at an entry only GUP can read */
	bool softdirty;		/* CHECKPOINT_SOFTDIRTY: clean pages listed */
	u64 *clean;		/* their addresses */
	int nr_clean;
};

/*
 * Keep @page, the one at @addr, for the batch; false when it is full.
 * With CHECKPOINT_SOFTDIRTY, a page not written since the soft-dirty bits
 * were cleared (@dirty false) is only listed: its contents went ahead.
 */
static bool ckpt_scan_take(struct ckpt_scan *s, struct page *page,
			   unsigned long addr, bool dirty)
{
	/* the zero page, or a page cache page of a file mapping */
	if (!page || (s->d->type != CKPT_VMA_ANON && !PageAnon(page)) ||
	    is_zero_page(page)) {
		ckpt_stat_add(s->ctx, CKPT_ST_PAGES_SCANNED, 1);
		ckpt_stat_add(s->ctx, CKPT_ST_PAGES_SKIPPED, 1);
		return true;
	}
	if (s->softdirty && !dirty) {
		if (s->nr_clean == CKPT_PAGES_BATCH)
			return false;
		ckpt_stat_add(s->ctx, CKPT_ST_PAGES_SCANNED, 1);
		s->clean[s->nr_clean++] = addr;
		return true;
	}
	if (s->nr == CKPT_PAGES_BATCH)
		return false;
	ckpt_stat_add(s->ctx, CKPT_ST_PAGES_SCANNED, 1);
	get_page(page);
	s->pages[s->nr] = page;
	s->addrs[s->nr++] = addr;
	return true;
}

/*
 * Pre-copy: a VMA made (or changed) since the soft-dirty bits were cleared
 * has VM_SOFTDIRTY: all its pages count as written. So do KSM's: merging
 * replaces a written page's PTE by one without the bit.
 */
static bool ckpt_vma_all_dirty(struct vm_area_struct *vma)
{
	return vma->vm_flags & (VM_SOFTDIRTY | VM_MERGEABLE);
}

/*
 * One PMD's worth of the walk, under its page table lock: the present
 * pages go into the batch; holes cost nothing and nothing is faulted
 * in. Stops (returns 1, s->next set) when the batch is full, or at an
 * entry that is not present but not empty either (swap, migration),
 * which is left to GUP (s->slow).
 */
static int ckpt_scan_pmd(pmd_t *pmd, unsigned long addr, unsigned long end,
			 struct mm_walk *walk)
{
	struct ckpt_scan *s = walk->private;
	struct vm_area_struct *vma = walk->vma;
	spinlock_t *ptl;	/* the page table lock */
	pte_t *start, *pte;
	bool dirty;
	int ret = 0;

	ptl = pmd_trans_huge_lock(pmd, vma);
	if (ptl) {
		struct page *head = NULL;

		if (!pmd_present(*pmd)) {
			/* a huge page being migrated: wait, look again */
			spin_unlock(ptl);
			pmd_migration_entry_wait(walk->mm, pmd);
			walk->action = ACTION_AGAIN;
			return 0;
		}
		if (!is_huge_zero_pmd(*pmd))
			head = pmd_page(*pmd);
		dirty = pmd_soft_dirty(*pmd) || ckpt_vma_all_dirty(vma);
		for (; addr < end; addr += PAGE_SIZE) {
			if (head && !ckpt_scan_take(s, head +
					((addr & ~HPAGE_PMD_MASK) >> PAGE_SHIFT),
					addr, dirty))
				break;
		}
		spin_unlock(ptl);
		walk->action = ACTION_CONTINUE;
		goto out;
	}
	if (pmd_trans_unstable(pmd)) {
		walk->action = ACTION_AGAIN;
		return 0;
	}
	start = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	for (pte = start; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t ptent = *pte;

		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent)) {
			s->slow = true;
			break;
		}
		dirty = pte_soft_dirty(ptent) || ckpt_vma_all_dirty(vma);
		if (!ckpt_scan_take(s, vm_normal_page(vma, addr, ptent), addr,
				    dirty))
			break;
	}
	pte_unmap_unlock(start, ptl);
out:
	if (addr < end) {
		s->next = addr;
		ret = 1;
	}
	return ret;
}

static const struct mm_walk_ops ckpt_scan_ops = {
	.pmd_entry = ckpt_scan_pmd,
};

/*
 * The page at s->next, which the walk could not read: as a core dump
 * reads it (FOLL_DUMP), swapped in if need be. Return: 0 or -errno.
 */
static int ckpt_scan_slow(struct ckpt_scan *s, struct mm_struct *mm)
{
	struct page *page;
	long got;

	got = get_user_pages_remote(mm, s->next, 1, FOLL_DUMP | FOLL_FORCE,
				    &page, NULL, NULL);
	if (got == -EFAULT || got == 0)
		return 0;	/* no page after all */
	if (got < 0)
		return got;
	/* the batch has room: the walk stopped before it was full; the page
	 * was swapped or migrating: its soft-dirty bit is not looked at
	 */
	ckpt_scan_take(s, page, s->next, true);
	put_page(page);
	return 0;
}

/*
 * Save the private pages of the mappings: every present anonymous page,
 * and in file mappings only the pages that were copied on write. A walk
 * of the page tables, a batch at a time (across mappings) with the mmap
 * lock held, the pages written with it dropped.
 */
static int ckpt_dump_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
			   struct ckpt_vma_desc *descs, int nr_descs,
			   struct page **pages, u64 *addrs, struct kvec *vec)
{
	struct ckpt_scan s = { .ctx = ctx, .pages = pages, .addrs = addrs };
	unsigned long addr = 0;
	int i = 0, ret = 0;
	u64 t0;

	if (ctx->uflags & CHECKPOINT_SOFTDIRTY) {
		s.softdirty = true;
		s.clean = kmalloc_array(CKPT_PAGES_BATCH, sizeof(u64),
					GFP_KERNEL);
		if (!s.clean)
			return -ENOMEM;
	}
	while (i < nr_descs && !ret) {
		s.nr = 0;
		s.nr_clean = 0;
		if (mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		t0 = ktime_get_ns();
		while (i < nr_descs && s.nr < CKPT_PAGES_BATCH &&
		       s.nr_clean < CKPT_PAGES_BATCH) {
			s.d = &descs[i];
			if (!s.d->has_anon || addr >= s.d->end) {
				i++;
				continue;
			}
			addr = max(addr, s.d->start);
			s.slow = false;
			ret = walk_page_range(mm, addr, s.d->end,
					      &ckpt_scan_ops, &s);
			if (ret <= 0) {
				addr = s.d->end;
				if (ret)
					break;
				continue;
			}
			ret = 0;
			addr = s.next;
			if (!s.slow || s.nr == CKPT_PAGES_BATCH)
				break;	/* the batch is full */
			ret = ckpt_scan_slow(&s, mm);
			if (ret)
				break;	/* logged once unlocked */
			addr += PAGE_SIZE;
		}
		ckpt_stat_since(ctx, CKPT_ST_SCAN, t0);
		mmap_read_unlock(mm);
		if (ret)
			ckpt_err(ctx, ret, "cannot read page at %#lx", addr);
		if (!ret && s.nr) {
			t0 = ktime_get_ns();
			ret = ckpt_write_pages(ctx, pages, addrs, vec, s.nr);
			ckpt_stat_since(ctx, CKPT_ST_PAGES_IO, t0);
			ckpt_stat_add(ctx, CKPT_ST_PAGES_SAVED, s.nr);
		}
		if (!ret && s.nr_clean)
			ret = ckpt_write_precopied(ctx, s.clean, s.nr_clean);
		while (s.nr--)
			put_page(pages[s.nr]);
		cond_resched();
	}
	kfree(s.clean);
	return ret;
}

static int ckpt_write_vma(struct ckpt_ctx *ctx, struct ckpt_vma_desc *d,
			  const struct ckpt_obj_ref *ref)
{
	struct ckpt_hdr_vma h = {
		.h.type = CKPT_HDR_VMA,
		.h.len = sizeof(h),
		.start = d->start,
		.end = d->end,
		.pgoff = d->pgoff,
		.flags = d->flags,
		.vma_type = d->type,
	};
	int ret;

	ret = ckpt_write_obj(ctx, &h.h);
	if (ret)
		return ret;
	if (d->type == CKPT_VMA_SHMEM) {
		ret = ckpt_obj_checkpoint(ctx, d->file, CKPT_OBJ_SHMEM, ref);
		return ret < 0 ? ret : 0;
	}
	if (d->type == CKPT_VMA_FILE_DATA)
		return ckpt_checkpoint_file_data(ctx, d->file, ref);
	if (d->type == CKPT_VMA_SYSVSHM) {
		ret = ckpt_obj_checkpoint(ctx, d->file, CKPT_OBJ_SHM_ATTACH, ref);
		return ret < 0 ? ret : 0;
	}
	if (d->file)
		ret = ckpt_write_fname(ctx, &d->file->f_path);
	return ret;
}

static int ckpt_mm_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
			      const struct ckpt_obj_ref *ref)
{
	struct mm_struct *mm = ptr;
	struct ckpt_vma_desc *descs = NULL, bad;
	unsigned long def_flags;
	const char *why = NULL;
	struct ckpt_hdr_mm *h;
	struct file *exe;
	struct page **pages = NULL;
	struct kvec *vec = NULL;
	u64 *addrs = NULL;
	int i, nr = 0, ret;

	h = ckpt_hdr_get(ctx, sizeof(*h), CKPT_HDR_MM);
	if (!h)
		return -ENOMEM;
	if (mmap_read_lock_killable(mm)) {
		ckpt_hdr_put(ctx, h);
		return -EINTR;
	}
	ret = ckpt_collect_vmas(mm, &descs, &nr, &bad, &why);
	ckpt_fill_mm(h, mm);
	def_flags = mm->def_flags;
	mmap_read_unlock(mm);
	/* logged unlocked: the log may be a pipe nobody reads */
	if (ret == -EBUSY)
		ckpt_err(ctx, ret, "mapping %#lx-%#lx is %s: not supported yet",
			 bad.start, bad.end, why);
	else if (!ret && (def_flags & ~(VM_LOCKED | VM_LOCKONFAULT)))
		ret = ckpt_err(ctx, -EBUSY,
			       "the address space has defaults of new mappings %#lx: not supported yet",
			       def_flags);
	if (ret)
		goto out;

	exe = get_mm_exe_file(mm);
	h->objref = objref;
	h->nr_vmas = nr;
	if (def_flags & VM_LOCKED)
		h->def_flags = CKPT_MM_LOCK_FUTURE;
	if (def_flags & VM_LOCKONFAULT)
		h->def_flags |= CKPT_MM_LOCK_ONFAULT;
	if (test_bit(MMF_DISABLE_THP, &mm->flags))
		h->def_flags |= CKPT_MM_THP_DISABLE;
	h->dumpable = get_dumpable(mm);
	h->coredump_filter = (mm->flags & MMF_DUMP_FILTER_MASK) >>
			     MMF_DUMP_FILTER_SHIFT;
	h->has_exe = CKPT_EXE_NONE;
	if (exe)
		h->has_exe = ckpt_file_data_kind(exe) ? CKPT_EXE_DATA :
			     CKPT_EXE_PATH;
	ret = ckpt_write_obj(ctx, &h->h);
	if (!ret && h->has_exe == CKPT_EXE_PATH)
		ret = ckpt_write_fname(ctx, &exe->f_path);
	else if (!ret && h->has_exe == CKPT_EXE_DATA)
		ret = ckpt_checkpoint_file_data(ctx, exe, ref);
	if (exe)
		fput(exe);
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_write_vma(ctx, &descs[i], ref);
	if (ret)
		goto out;

	ret = -ENOMEM;
	pages = kmalloc_array(CKPT_PAGES_BATCH, sizeof(*pages), GFP_KERNEL);
	addrs = kmalloc_array(CKPT_PAGES_BATCH, sizeof(*addrs), GFP_KERNEL);
	vec = kmalloc_array(CKPT_PAGES_BATCH + 1, sizeof(*vec), GFP_KERNEL);
	if (!pages || !addrs || !vec)
		goto out;
	ret = 0;
	for (i = 0; i < nr; i++)
		if (!descs[i].has_anon && !(descs[i].flags & CKPT_VMA_SHARED))
			ckpt_stat_add(ctx, CKPT_ST_VMAS_SKIPPED, 1);
	ret = ckpt_dump_pages(ctx, mm, descs, nr, pages, addrs, vec);
	if (!ret)
		ret = ckpt_write_pages(ctx, NULL, NULL, NULL, 0);
out:
	kfree(vec);
	kfree(pages);
	kfree(addrs);
	ckpt_free_vmas(descs, nr);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_checkpoint_mm - save a task's address space (once per mm)
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_mm(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct ckpt_obj_ref ref = { .task = t, .fd = -1 };
	struct mm_struct *mm = get_task_mm(t);
	int ret;

	if (!mm)
		return ckpt_err(ctx, -EBUSY, "pid %d has no address space",
				task_pid_vnr(t));
	ret = ckpt_obj_checkpoint(ctx, mm, CKPT_OBJ_MM, &ref);
	mmput(mm);
	return ret < 0 ? ret : 0;
}

/**
 * ckpt_collect_mm - collect pass over a task's address space
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0 or a negative errno.
 */
int ckpt_collect_mm(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct mm_struct *mm = get_task_mm(t);
	int ret;

	if (!mm)
		return 0;
	ret = ckpt_obj_collect(ctx, mm, CKPT_OBJ_MM, false);
	mmput(mm);
	return ret;
}

/**
 * ckpt_count_mm_files - count the file references of an address space
 * @ctx: checkpoint context
 * @t: a task, the first of the tree with its mm
 *
 * Mapped files and the executable hold references to open files that
 * the collect pass found in fd tables; they are references from inside.
 */
void ckpt_count_mm_files(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct mm_struct *mm = get_task_mm(t);
	struct vm_area_struct *vma;

	if (!mm)
		return;
	mmap_read_lock(mm);
	{
		VMA_ITERATOR(vmi, mm, 0);

		/* shared anonymous memory: counted by ckpt_mm_collect() */
		for_each_vma(vmi, vma)
			if (vma->vm_file && !ckpt_vma_shared_anon(vma))
				ckpt_obj_count_ref(ctx, vma->vm_file);
	}
	mmap_read_unlock(mm);
	rcu_read_lock();
	ckpt_obj_count_ref(ctx, rcu_dereference(mm->exe_file));
	rcu_read_unlock();
	mmput(mm);
}

/* --- restart --- */

static int ckpt_check_mm_hdr(struct ckpt_ctx *ctx, struct ckpt_hdr_mm *h)
{
	const u64 addrs[] = {
		h->start_code, h->end_code, h->start_data, h->end_data,
		h->start_brk, h->brk, h->start_stack, h->arg_start,
		h->arg_end, h->env_start, h->env_end, h->vdso,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(addrs); i++)
		if (addrs[i] >= TASK_SIZE_MAX)
			return ckpt_err(ctx, -EINVAL,
					"mm field %d (%#llx) out of range",
					i, addrs[i]);
	if (h->start_code > h->end_code || h->start_data > h->end_data ||
	    h->start_brk > h->brk || h->arg_start > h->arg_end ||
	    h->env_start > h->env_end)
		return ckpt_err(ctx, -EINVAL, "inconsistent mm layout");
	if (h->nr_vmas > sysctl_max_map_count)
		return ckpt_err(ctx, -EINVAL, "too many VMAs (%u)", h->nr_vmas);
	/* as a set-id exec with suid_dumpable 2 leaves it: a privilege */
	if (h->dumpable == SUID_DUMP_ROOT && !ckpt_local(ctx)->may_relink_exe)
		return ckpt_err(ctx, -EPERM,
				"dumpable 2 (dumped as root) needs CAP_CHECKPOINT_RESTORE");
	if (h->def_flags & ~(CKPT_MM_LOCK_FUTURE | CKPT_MM_THP_DISABLE |
			     CKPT_MM_LOCK_ONFAULT) ||
	    (h->def_flags & (CKPT_MM_LOCK_FUTURE | CKPT_MM_LOCK_ONFAULT)) ==
	    CKPT_MM_LOCK_ONFAULT ||
	    h->dumpable > SUID_DUMP_ROOT ||
	    h->coredump_filter & ~(MMF_DUMP_FILTER_MASK >> MMF_DUMP_FILTER_SHIFT))
		return ckpt_err(ctx, -EINVAL,
				"bad mm defaults %#x, dumpable %u, coredump filter %#x",
				h->def_flags, h->dumpable, h->coredump_filter);
	if (h->nr_auxv > min_t(int, AT_VECTOR_SIZE, CKPT_AUXV_MAX) ||
	    h->nr_auxv % 2 || h->has_exe >= CKPT_EXE_MAX)
		return ckpt_err(ctx, -EINVAL, "bad auxv size %u", h->nr_auxv);
	/* /proc/PID/auxv reads up to the AT_NULL entry: it must be there */
	for (i = 0; i < h->nr_auxv; i += 2)
		if (h->auxv[i] == AT_NULL)
			return 0;
	return ckpt_err(ctx, -EINVAL, "auxv of %u words has no AT_NULL entry",
			h->nr_auxv);
}

static int ckpt_restore_exe(struct ckpt_ctx *ctx, struct mm_struct *mm,
			    u32 has_exe)
{
	struct file *file;
	umode_t mode;
	int ret;

	if (has_exe == CKPT_EXE_DATA)
		file = ckpt_open_file_data(ctx, O_RDONLY | O_LARGEFILE);
	else
		file = ckpt_open_fname(ctx, O_RDONLY | O_LARGEFILE);
	if (IS_ERR(file))
		return PTR_ERR(file);
	mode = file_inode(file)->i_mode;
	/* what exec would need, with the image's credentials */
	ret = S_ISREG(mode) && !path_noexec(&file->f_path) ? 0 : -EACCES;
	if (!ret)
		ret = file_permission(file, MAY_EXEC);
	/*
	 * Naming a set-id program as one's executable is PR_SET_MM_MAP's
	 * privilege (CAP_CHECKPOINT_RESTORE): audit and LSMs trust it.
	 */
	if (!ret && !ckpt_local(ctx)->may_relink_exe && is_sxid(mode))
		ret = -EPERM;
	if (!ret)
		ret = replace_mm_exe_file(mm, file);
	if (ret)
		ckpt_err(ctx, ret, "cannot set the executable to %pD", file);
	fput(file);
	return ret;
}

/* Give the VMA just mapped from @h its madvise() state */
static int ckpt_restore_advice(struct ckpt_ctx *ctx, struct ckpt_hdr_vma *h)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(ckpt_vma_advice); i++) {
		if (!(h->flags & ckpt_vma_advice[i].flag))
			continue;
		ret = do_madvise(current->mm, h->start, h->end - h->start,
				 ckpt_vma_advice[i].advice);
		if (ret)
			return ckpt_err(ctx, ret,
					"cannot advise %#llx-%#llx (madvise %d)",
					h->start, h->end,
					ckpt_vma_advice[i].advice);
	}
	return 0;
}

static int ckpt_restore_vma(struct ckpt_ctx *ctx, unsigned long *prev_end)
{
	struct ckpt_hdr_vma *h;
	struct file *file = NULL;
	unsigned long prot = 0, mflags, addr, len;
	int ret = -EINVAL;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_VMA, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (h->start < *prev_end || h->start >= h->end ||
	    h->end > TASK_SIZE_MAX || !PAGE_ALIGNED(h->start) ||
	    !PAGE_ALIGNED(h->end) || h->pgoff > (ULONG_MAX >> PAGE_SHIFT) ||
	    h->vma_type == 0 || h->vma_type >= CKPT_VMA_TYPE_MAX ||
	    h->flags & ~(CKPT_VMA_READ | CKPT_VMA_WRITE | CKPT_VMA_EXEC |
			 CKPT_VMA_SHARED | CKPT_VMA_GROWSDOWN |
			 CKPT_VMA_NORESERVE | CKPT_VMA_ADVICE |
			 CKPT_VMA_LOCKED | CKPT_VMA_LOCKONFAULT |
			 CKPT_VMA_MAYWRITE) ||
	    ((h->flags & CKPT_VMA_MAYWRITE) && !(h->flags & CKPT_VMA_SHARED)) ||
	    (h->flags & (CKPT_VMA_SHARED | CKPT_VMA_WRITE | CKPT_VMA_MAYWRITE)) ==
	    (CKPT_VMA_SHARED | CKPT_VMA_WRITE) ||
	    (h->flags & (CKPT_VMA_LOCKED | CKPT_VMA_LOCKONFAULT)) ==
	    CKPT_VMA_LOCKONFAULT ||
	    (h->vma_type == CKPT_VMA_ANON && (h->flags & CKPT_VMA_SHARED)) ||
	    ((h->vma_type == CKPT_VMA_SHMEM ||
	      h->vma_type == CKPT_VMA_SYSVSHM) && !(h->flags & CKPT_VMA_SHARED)) ||
	    (h->flags & (CKPT_VMA_SHARED | CKPT_VMA_NORESERVE)) ==
	    (CKPT_VMA_SHARED | CKPT_VMA_NORESERVE) ||
	    (h->flags & (CKPT_VMA_HUGEPAGE | CKPT_VMA_NOHUGEPAGE)) ==
	    (CKPT_VMA_HUGEPAGE | CKPT_VMA_NOHUGEPAGE)) {
		ckpt_err(ctx, ret, "bad VMA record %#llx-%#llx type %u flags %#x",
			 h->start, h->end, h->vma_type, h->flags);
		goto out;
	}
	*prev_end = h->end;

	if (h->flags & CKPT_VMA_READ)
		prot |= PROT_READ;
	if (h->flags & CKPT_VMA_WRITE)
		prot |= PROT_WRITE;
	if (h->flags & CKPT_VMA_EXEC)
		prot |= PROT_EXEC;
	mflags = MAP_FIXED_NOREPLACE;
	mflags |= (h->flags & CKPT_VMA_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	if (h->flags & CKPT_VMA_NORESERVE)
		mflags |= MAP_NORESERVE;
	if (h->flags & CKPT_VMA_GROWSDOWN)
		mflags |= MAP_GROWSDOWN;
	/*
	 * As mmap() locks: RLIMIT_MEMLOCK or CAP_IPC_LOCK, pages faulted in.
	 * MLOCK_ONFAULT: locked below, as mlock2() does, with only the pages
	 * that were there (restored next) resident.
	 */
	if ((h->flags & (CKPT_VMA_LOCKED | CKPT_VMA_LOCKONFAULT)) ==
	    CKPT_VMA_LOCKED)
		mflags |= MAP_LOCKED;

	if (h->vma_type == CKPT_VMA_FILE || h->vma_type == CKPT_VMA_FILE_DATA) {
		int oflags = O_LARGEFILE;

		/* writable, or mprotect() may make it so */
		oflags |= (h->flags & CKPT_VMA_MAYWRITE) ? O_RDWR : O_RDONLY;
		if (h->vma_type == CKPT_VMA_FILE)
			file = ckpt_open_fname(ctx, oflags);
		else
			file = ckpt_open_file_data(ctx, oflags);
		if (IS_ERR(file)) {
			ret = PTR_ERR(file);
			file = NULL;
			goto out;
		}
	} else if (h->vma_type == CKPT_VMA_SHMEM) {
		file = ckpt_obj_restore(ctx, CKPT_OBJ_SHMEM);
		if (IS_ERR(file)) {
			ret = PTR_ERR(file);
			file = NULL;
			goto out;
		}
		get_file(file);
	} else if (h->vma_type == CKPT_VMA_SYSVSHM) {
		file = ckpt_obj_restore(ctx, CKPT_OBJ_SHM_ATTACH);
		if (IS_ERR(file)) {
			ret = PTR_ERR(file);
			file = NULL;
			goto out;
		}
		get_file(file);
	} else {
		mflags |= MAP_ANONYMOUS;
	}

	len = h->end - h->start;
	addr = vm_mmap(file, h->start, len, prot, mflags,
		       file ? h->pgoff << PAGE_SHIFT : 0);
	if (addr != h->start) {
		ret = IS_ERR_VALUE(addr) ? (int)addr : -EBUSY;
		ckpt_err(ctx, ret, "cannot map %#llx-%#llx", h->start, h->end);
		goto out;
	}
	ret = ckpt_restore_advice(ctx, h);
	if (!ret && (h->flags & CKPT_VMA_LOCKONFAULT)) {
		ret = do_mlock(h->start, len, VM_LOCKED | VM_LOCKONFAULT);
		if (ret)
			ckpt_err(ctx, ret, "cannot lock %#llx-%#llx on fault (mlock2)",
				 h->start, h->end);
	}
out:
	if (file)
		fput(file);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/*
 * Whether restart may put a private page of the image at @vma: a
 * private (copy on write) mapping of ordinary memory, not a shared one
 * (also one mapped read-only), device or hugetlb memory
 */
static bool ckpt_vma_takes_pages(struct vm_area_struct *vma)
{
	return vma && is_cow_mapping(vma->vm_flags) &&
	       !(vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP | VM_HUGETLB));
}

/* The private mapping the last restored page fell in */
struct ckpt_vma_cache {
	unsigned long start, end;
	bool writable;
};

/*
 * Put one saved page in place, also in read-only private mappings. The
 * mappings cannot change meanwhile (the restoring task is the only one
 * of its mm that runs), so a lookup serves all the pages of a mapping.
 */
static int ckpt_restore_page(struct ckpt_ctx *ctx, struct mm_struct *mm,
			     unsigned long addr, void *data,
			     struct ckpt_vma_cache *vc)
{
	struct vm_area_struct *vma;
	int ret;

	if (addr < vc->start || addr >= vc->end) {
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		vma = vma_lookup(mm, addr);
		if (!ckpt_vma_takes_pages(vma)) {
			mmap_read_unlock(mm);
			return ckpt_err(ctx, -EINVAL,
					"saved page %#lx is outside any private mapping",
					addr);
		}
		vc->start = vma->vm_start;
		vc->end = vma->vm_end;
		vc->writable = vma->vm_flags & VM_WRITE;
		mmap_read_unlock(mm);
	}

	if (vc->writable)
		ret = copy_to_user((void __user *)addr, data, PAGE_SIZE) ? -EFAULT : 0;
	else
		ret = access_remote_vm(mm, addr, data, PAGE_SIZE,
				       FOLL_FORCE | FOLL_WRITE) == PAGE_SIZE ?
			0 : -EFAULT;
	if (ret)
		ckpt_err(ctx, ret, "cannot restore page %#lx", addr);
	return ret;
}

/*
 * The header and addresses of the next PAGES record, into @addrs:
 * ascending from *@next, page aligned, below @limit (*@next moves past
 * the last). Return: the number of pages, 0 at the end of the list, or
 * a negative errno.
 */
static int ckpt_read_page_addrs(struct ckpt_ctx *ctx, u64 *addrs, u64 limit,
				u64 *next)
{
	struct ckpt_hdr_pages h;
	int i, ret;

	ret = ckpt_read_hdr_type(ctx, &h.h, CKPT_HDR_PAGES, sizeof(h));
	if (ret)
		return ret;
	if (h.nr_pages > CKPT_PAGES_BATCH ||
	    h.h.len != sizeof(h) + h.nr_pages * (sizeof(u64) + PAGE_SIZE))
		return ckpt_err(ctx, -EINVAL,
				"bad PAGES record (%u pages, length %u)",
				h.nr_pages, h.h.len);
	if (!h.nr_pages)
		return 0;
	ret = ckpt_kread(ctx, addrs, h.nr_pages * sizeof(u64));
	if (ret)
		return ret;
	for (i = 0; i < h.nr_pages; i++) {
		if (addrs[i] < *next || !PAGE_ALIGNED(addrs[i]) ||
		    addrs[i] >= limit)
			return ckpt_err(ctx, -EINVAL, "bad page address %#llx",
					addrs[i]);
		*next = addrs[i] + PAGE_SIZE;
	}
	return h.nr_pages;
}

/**
 * ckpt_read_pages - read page contents up to the end of their list
 * @ctx: restart context
 * @limit: addresses must be below this
 * @put: puts one page (page_size bytes at @data), saved at @addr, in place
 * @arg: for @put
 *
 * Reads PAGES records up to the one with no pages. Addresses (or byte
 * offsets) must ascend, page aligned, below @limit.
 *
 * Return: 0 or a negative errno (the first one @put returned).
 */
int ckpt_read_pages(struct ckpt_ctx *ctx, u64 limit, ckpt_put_page_t put,
		    void *arg)
{
	const size_t data_off = CKPT_PAGES_BATCH * sizeof(u64);
	struct ckpt_local *l = ckpt_local(ctx);
	u64 next = 0, *addrs;
	int i, nr, ret;

	if (!l->pgbuf) {
		l->pgbuf = __vmalloc(data_off + CKPT_PAGES_BATCH * PAGE_SIZE,
				     GFP_KERNEL_ACCOUNT);
		if (!l->pgbuf)
			return -ENOMEM;
	}
	addrs = l->pgbuf;

	for (;;) {
		nr = ckpt_read_page_addrs(ctx, addrs, limit, &next);
		if (nr <= 0)
			return nr;
		ret = ckpt_kread(ctx, l->pgbuf + data_off, nr * PAGE_SIZE);
		for (i = 0; !ret && i < nr; i++)
			ret = put(ctx, addrs[i],
				  l->pgbuf + data_off + i * PAGE_SIZE, arg);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

/* A batch of pages of an address space being restored */
struct ckpt_restore_batch {
	u64 addrs[CKPT_PAGES_BATCH];
	struct page *pages[CKPT_PAGES_BATCH];
	struct kvec vec[CKPT_PAGES_BATCH];
	struct ckpt_vma_cache vc;
};

static pmd_t *ckpt_alloc_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	p4d = p4d_alloc(mm, pgd, addr);
	if (!p4d)
		return NULL;
	pud = pud_alloc(mm, p4d, addr);
	if (!pud)
		return NULL;
	return pmd_alloc(mm, pud, addr);
}

/*
 * Map the new page @page at @addr of @vma as a private anonymous page,
 * as a write fault would have left it; @pte is its entry, locked.
 * Return: false when the entry is taken (the page is left alone).
 */
static bool ckpt_set_page(struct mm_struct *mm, struct vm_area_struct *vma,
			  unsigned long addr, pte_t *pte, struct page *page)
{
	pte_t entry;

	if (!pte_none(*pte))
		return false;
	entry = pte_mkdirty(pte_sw_mkyoung(mk_pte(page, vma->vm_page_prot)));
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(entry);
	inc_mm_counter(mm, MM_ANONPAGES);
	page_add_new_anon_rmap(page, vma, addr);
	lru_cache_add_inactive_or_unevictable(page, vma);
	set_pte_at(mm, addr, pte, entry);
	/* no need to flush: the entry was empty */
	update_mmu_cache(vma, addr, pte);
	return true;
}

/*
 * Install the batch's pages (read, charged, up to date) into @mm, one
 * page table lock a PMD. Those that find their entry taken (a mapping
 * populated by MAP_LOCKED, a huge page) stay in b->pages, to be copied.
 */
static int ckpt_install_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
			      struct ckpt_restore_batch *b, int nr)
{
	struct vm_area_struct *vma = NULL;
	unsigned long pmd_start = 1;	/* no PMD */
	pte_t *base = NULL;
	spinlock_t *ptl;	/* the page table lock */
	pmd_t *pmd;
	int i, ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (i = 0; i < nr && !ret; i++) {
		unsigned long addr = b->addrs[i];

		if (!vma || addr >= vma->vm_end) {
			if (base)
				pte_unmap_unlock(base, ptl);
			base = NULL;
			pmd_start = 1;
			vma = vma_lookup(mm, addr);
			if (!ckpt_vma_takes_pages(vma)) {
				ret = -EINVAL;
				break;
			}
			if (anon_vma_prepare(vma)) {
				ret = -ENOMEM;
				break;
			}
		}
		if ((addr & PMD_MASK) != pmd_start) {
			if (base)
				pte_unmap_unlock(base, ptl);
			base = NULL;
			pmd_start = addr & PMD_MASK;
			pmd = ckpt_alloc_pmd(mm, addr);
			if (!pmd || pte_alloc(mm, pmd)) {
				ret = -ENOMEM;
				break;
			}
			if (pmd_devmap_trans_unstable(pmd))
				continue;	/* a huge page: copied */
			if (check_stable_address_space(mm)) {
				ret = -EFAULT;
				break;
			}
			base = pte_offset_map_lock(mm, pmd, pmd_start, &ptl);
		}
		if (base && ckpt_set_page(mm, vma, addr,
					  base + pte_index(addr), b->pages[i]))
			b->pages[i] = NULL;
	}
	if (base)
		pte_unmap_unlock(base, ptl);
	mmap_read_unlock(mm);
	if (ret == -EINVAL)
		ckpt_err(ctx, ret, "saved page %#lx is outside any private mapping",
			 (unsigned long)b->addrs[i]);
	else if (ret)
		ckpt_err(ctx, ret, "cannot map page %#lx",
			 (unsigned long)b->addrs[i]);
	return ret;
}

/*
 * New pages for the batch, not zeroed (the image fills them), charged
 * to @mm's memory cgroup as a fault would. b->pages is all NULL: what
 * the per-CPU lists hold comes in one call, the rest one by one.
 * Return: 0 or -ENOMEM.
 */
static int ckpt_alloc_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
			    struct ckpt_restore_batch *b, int nr)
{
	int i;

	alloc_pages_bulk_array(GFP_HIGHUSER_MOVABLE, nr, b->pages);
	for (i = 0; i < nr; i++) {
		/* x86_64 has no highmem: every page has a kernel address */
		if (!b->pages[i])
			b->pages[i] = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!b->pages[i] ||
		    mem_cgroup_charge(page_folio(b->pages[i]), mm, GFP_KERNEL))
			return ckpt_err(ctx, -ENOMEM,
					"cannot allocate the page at %#llx",
					b->addrs[i]);
		b->vec[i].iov_base = page_address(b->pages[i]);
		b->vec[i].iov_len = PAGE_SIZE;
	}
	return 0;
}

/*
 * The private pages of the address space being restored, the caller's:
 * each read from the image straight into a new page, which is mapped
 * where it was (one copy, no zeroing, no fault).
 */
static int ckpt_restore_pages(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	struct ckpt_restore_batch *b;
	u64 next = 0, t0;
	int i, nr, ret;

	b = kvzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	for (;;) {
		nr = ckpt_read_page_addrs(ctx, b->addrs, TASK_SIZE_MAX, &next);
		ret = nr;
		if (nr <= 0)
			break;
		t0 = ktime_get_ns();
		ret = ckpt_alloc_pages(ctx, mm, b, nr);
		t0 += ckpt_stat_since(ctx, CKPT_ST_PAGES_ALLOC, t0);
		if (!ret)
			ret = ckpt_kreadv(ctx, b->vec, nr, nr * PAGE_SIZE);
		t0 += ckpt_stat_since(ctx, CKPT_ST_PAGES_IO, t0);
		for (i = 0; !ret && i < nr; i++)
			__SetPageUptodate(b->pages[i]);	/* ordered before the PTE */
		if (!ret)
			ret = ckpt_install_pages(ctx, mm, b, nr);
		ckpt_stat_since(ctx, CKPT_ST_PAGES_MAP, t0);
		for (i = 0; !ret && i < nr; i++) {
			if (!b->pages[i])
				continue;
			ckpt_stat_add(ctx, CKPT_ST_PAGES_COPIED, 1);
			ret = ckpt_restore_page(ctx, mm, b->addrs[i],
						page_address(b->pages[i]),
						&b->vc);
		}
		for (i = 0; i < nr; i++)
			if (b->pages[i])
				put_page(b->pages[i]);
		memset(b->pages, 0, sizeof(b->pages));
		if (ret)
			break;
		ckpt_stat_add(ctx, CKPT_ST_PAGES_SAVED, nr);
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(b);
	return ret;
}

static int ckpt_apply_mm(struct mm_struct *mm, struct ckpt_hdr_mm *h)
{
	int i;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	mm->start_code = h->start_code;
	mm->end_code = h->end_code;
	mm->start_data = h->start_data;
	mm->end_data = h->end_data;
	mm->start_brk = h->start_brk;
	mm->brk = h->brk;
	mm->start_stack = h->start_stack;
	spin_lock(&mm->arg_lock);
	mm->arg_start = h->arg_start;
	mm->arg_end = h->arg_end;
	mm->env_start = h->env_start;
	mm->env_end = h->env_end;
	spin_unlock(&mm->arg_lock);
	memset(mm->saved_auxv, 0, sizeof(mm->saved_auxv));
	for (i = 0; i < h->nr_auxv; i++)
		mm->saved_auxv[i] = h->auxv[i];
	/* mappings made from here on are locked: mlockall(MCL_FUTURE) */
	if (h->def_flags & CKPT_MM_LOCK_FUTURE)
		mm->def_flags |= VM_LOCKED;
	if (h->def_flags & CKPT_MM_LOCK_ONFAULT)
		mm->def_flags |= VM_LOCKONFAULT;
	/* prctl(PR_SET_THP_DISABLE) */
	if (h->def_flags & CKPT_MM_THP_DISABLE)
		set_bit(MMF_DISABLE_THP, &mm->flags);
	else
		clear_bit(MMF_DISABLE_THP, &mm->flags);
	/*
	 * After the credentials, whose change made it suid_dumpable: who
	 * may ptrace it and read its /proc files is as before
	 */
	set_dumpable(mm, h->dumpable);
	for (i = 0; i < MMF_DUMP_FILTER_BITS; i++) {
		if (h->coredump_filter & BIT(i))
			set_bit(i + MMF_DUMP_FILTER_SHIFT, &mm->flags);
		else
			clear_bit(i + MMF_DUMP_FILTER_SHIFT, &mm->flags);
	}
	mmap_write_unlock(mm);
	return 0;
}

/*
 * Give the caller a fresh address space, as exec() makes one: the one it
 * has (the restarter's, shared with the other tasks MakeForest made, or
 * a copy) is released, not cleared. The binary format, which writes core
 * dumps, stays the caller's.
 */
static int ckpt_new_mm(void)
{
	struct linux_binfmt *fmt = current->mm->binfmt;
	struct rlimit rlim_stack;
	struct mm_struct *mm;
	int ret;

	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	/* held by the old address space until it is put */
	if (fmt)
		__module_get(fmt->module);
	ret = restart_mmap(mm, false);
	if (ret) {
		mmput(mm);
	} else {
		task_lock(current->group_leader);
		rlim_stack = current->signal->rlim[RLIMIT_STACK];
		task_unlock(current->group_leader);
		arch_pick_mmap_layout(mm, &rlim_stack);
		mm->task_size = TASK_SIZE;
		ckpt_arch_new_mm(mm);
		set_binfmt(fmt);
	}
	if (fmt)
		module_put(fmt->module);
	return ret;
}

static void *ckpt_mm_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
			     int *objref)
{
	struct mm_struct *mm;
	unsigned long prev_end = 0;
	struct ckpt_hdr_mm *h;
	int i, ret;
	u64 t0;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	ret = ckpt_check_mm_hdr(ctx, h);
	if (ret)
		goto out;

	if ((h->def_flags & CKPT_MM_LOCK_FUTURE) && !can_do_mlock()) {
		ret = ckpt_err(ctx, -EPERM,
			       "cannot lock future mappings (mlockall(MCL_FUTURE)) without RLIMIT_MEMLOCK");
		goto out;
	}
	/* from here on the caller's own memory is gone */
	t0 = ktime_get_ns();
	ret = ckpt_new_mm();
	ckpt_stat_since(ctx, CKPT_ST_MM_CLEAR, t0);
	if (ret) {
		ckpt_err(ctx, ret, "cannot make a new address space");
		goto out;
	}
	mm = current->mm;
	if (h->has_exe)
		ret = ckpt_restore_exe(ctx, mm, h->has_exe);
	if (!ret)
		ret = ckpt_arch_restore_vdso(ctx, h->vdso);
	t0 = ktime_get_ns();
	for (i = 0; !ret && i < h->nr_vmas; i++) {
		ret = ckpt_restore_vma(ctx, &prev_end);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	ckpt_stat_since(ctx, CKPT_ST_VMAS, t0);
	if (!ret)
		ret = ckpt_restore_pages(ctx, mm);
	if (!ret)
		ret = ckpt_apply_mm(mm, h);
	if (ret)
		goto out;
	*objref = h->objref;
	mmget(mm);
out:
	ckpt_hdr_put(ctx, h);
	return ret ? ERR_PTR(ret) : mm;
}

/**
 * ckpt_restore_mm - restore the caller's address space
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * The first task of an address space in the image rebuilds it in a
 * fresh mm; the others (its threads) switch to that one.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_mm(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct mm_struct *mm = ckpt_obj_restore(ctx, CKPT_OBJ_MM);
	int ret;

	if (IS_ERR(mm))
		return PTR_ERR(mm);
	if (mm == current->mm)
		return 0;
	/* restored by a task before: a thread joins its group's */
	mmget(mm);
	ret = restart_mmap(mm, true);
	if (ret)
		mmput(mm);
	return ret;
}

/* --- page cache contents: shared memory, memfds, deleted files --- */

/* Pages gathered for one PAGES record */
struct ckpt_page_batch {
	struct page **pages;
	u64 *offs;
	struct kvec *vec;
	int nr;
};

/* Add a referenced page; a full batch is written (and put) */
static int ckpt_batch_add(struct ckpt_ctx *ctx, struct ckpt_page_batch *b,
			  struct page *page, u64 off)
{
	int ret;

	b->pages[b->nr] = page;
	b->offs[b->nr++] = off;
	if (b->nr < CKPT_PAGES_BATCH)
		return 0;
	ret = ckpt_write_pages(ctx, b->pages, b->offs, b->vec, b->nr);
	while (b->nr)
		put_page(b->pages[--b->nr]);
	return ret;
}

/* Every page of a folio below page @end */
static int ckpt_batch_folio(struct ckpt_ctx *ctx, struct ckpt_page_batch *b,
			    struct folio *folio, pgoff_t end)
{
	long j;
	int ret = 0;

	for (j = 0; !ret && j < folio_nr_pages(folio); j++) {
		if (folio->index + j >= end)
			break;
		get_page(folio_page(folio, j));
		ret = ckpt_batch_add(ctx, b, folio_page(folio, j),
				     (u64)(folio->index + j) << PAGE_SHIFT);
	}
	return ret;
}

/* shmem: the page cache holds all there is (swap is refused before) */
static int ckpt_batch_shmem(struct ckpt_ctx *ctx, struct ckpt_page_batch *b,
			    struct address_space *mapping, pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	int i, ret = 0;

	folio_batch_init(&fbatch);
	while (!ret && index < end &&
	       filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (i = 0; !ret && i < folio_batch_count(&fbatch); i++)
			/* not uptodate: allocated by fallocate(), reads as 0 */
			if (folio_test_uptodate(fbatch.folios[i]))
				ret = ckpt_batch_folio(ctx, b, fbatch.folios[i],
						       end);
		folio_batch_release(&fbatch);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	return ret;
}

/* Other file systems: read every page; pages of zeroes are not saved */
static int ckpt_batch_read(struct ckpt_ctx *ctx, struct ckpt_page_batch *b,
			   struct file *file, pgoff_t end)
{
	struct page *page;
	pgoff_t index;
	void *kaddr;
	int ret = 0;

	for (index = 0; !ret && index < end; index++) {
		page = read_mapping_page(file->f_mapping, index, file);
		if (IS_ERR(page))
			return ckpt_err(ctx, PTR_ERR(page),
					"cannot read %pD at page %lu", file,
					index);
		kaddr = kmap_local_page(page);
		if (!memchr_inv(kaddr, 0, PAGE_SIZE)) {
			kunmap_local(kaddr);
			put_page(page);
			continue;
		}
		kunmap_local(kaddr);
		ret = ckpt_batch_add(ctx, b, page, (u64)index << PAGE_SHIFT);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	return ret;
}

/**
 * ckpt_write_file_pages - save the contents of a file as PAGES records
 * @ctx: checkpoint context
 * @file: the file (shared anonymous memory, a memfd or a deleted file)
 * @size: bytes to save, from offset 0
 *
 * Writes the pages below @size, addressed by byte offset, and the PAGES
 * record with no pages that ends them. shmem files are saved from their
 * page cache (pages never written are not there); files of other file
 * systems are read, and pages of zeroes left out.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_write_file_pages(struct ckpt_ctx *ctx, struct file *file, u64 size)
{
	pgoff_t end = DIV_ROUND_UP(size, PAGE_SIZE);
	struct ckpt_page_batch b = { .nr = 0 };
	int ret = -ENOMEM;

	b.pages = kmalloc_array(CKPT_PAGES_BATCH, sizeof(*b.pages), GFP_KERNEL);
	b.offs = kmalloc_array(CKPT_PAGES_BATCH, sizeof(*b.offs), GFP_KERNEL);
	b.vec = kmalloc_array(CKPT_PAGES_BATCH + 1, sizeof(*b.vec), GFP_KERNEL);
	if (!b.pages || !b.offs || !b.vec)
		goto out;
	if (shmem_mapping(file->f_mapping))
		ret = ckpt_batch_shmem(ctx, &b, file->f_mapping, end);
	else
		ret = ckpt_batch_read(ctx, &b, file, end);
	if (!ret && b.nr)
		ret = ckpt_write_pages(ctx, b.pages, b.offs, b.vec, b.nr);
	while (b.nr)
		put_page(b.pages[--b.nr]);
	if (!ret)
		ret = ckpt_write_pages(ctx, NULL, NULL, NULL, 0);
out:
	kfree(b.vec);
	kfree(b.offs);
	kfree(b.pages);
	return ret;
}

/**
 * ckpt_file_mapped_outside - does a process outside the tree map a file?
 * @ctx: checkpoint context
 * @file: the file
 *
 * Its restored copy would be the tree's alone: writes through those
 * mappings would no longer be seen.
 *
 * Return: true if some mapping of it belongs to no task of the tree.
 */
bool ckpt_file_mapped_outside(struct ckpt_ctx *ctx, struct file *file)

{
	struct address_space *mapping = file->f_mapping;
	struct vm_area_struct *vma;
	bool outside = false;
	int i;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, 0, ULONG_MAX) {
		/* the tree's tasks are frozen: their mm stays */
		for (i = 0; i < ctx->nr_tasks; i++)
			if (READ_ONCE(ctx->tasks[i]->mm) == vma->vm_mm)
				break;
		if (i == ctx->nr_tasks) {
			outside = true;
			break;
		}
	}
	i_mmap_unlock_read(mapping);
	return outside;
}

static int ckpt_shmem_checkpoint(struct ckpt_ctx *ctx, void *ptr, int objref,
				 const struct ckpt_obj_ref *ref)
{
	struct file *file = ptr;
	struct inode *inode = file_inode(file);
	struct ckpt_hdr_shmem h = {
		.h.type = CKPT_HDR_SHMEM,
		.h.len = sizeof(h),
		.objref = objref,
		.size = i_size_read(inode),
	};
	int ret;

	/* pages in swap are not in the page cache: they would be lost */
	if (READ_ONCE(SHMEM_I(inode)->swapped))
		return ckpt_err(ctx, -EBUSY,
				"pid %d: shared anonymous memory of %llu bytes is partly swapped out: not supported yet",
				task_pid_vnr(ref->task), h.size);
	/* restored, it would be the tree's alone: writes no longer seen */
	if (ckpt_file_mapped_outside(ctx, file))
		return ckpt_err(ctx, -EBUSY,
				"pid %d: shared anonymous memory of %llu bytes is also mapped by a process outside the tree",
				task_pid_vnr(ref->task), h.size);
	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret)
		ret = ckpt_write_file_pages(ctx, file, h.size);
	return ret;
}

static int ckpt_put_shmem_page(struct ckpt_ctx *ctx, u64 off, void *data,
			       void *arg)
{
	struct file *file = arg;
	struct page *page;

	/* charged to the restarting task's memory cgroup */
	page = shmem_read_mapping_page(file->f_mapping, off >> PAGE_SHIFT);
	if (IS_ERR(page))
		return ckpt_err(ctx, PTR_ERR(page),
				"cannot restore shared memory page at offset %#llx",
				off);
	memcpy_to_page(page, 0, data, PAGE_SIZE);
	set_page_dirty(page);
	put_page(page);
	return 0;
}

/**
 * ckpt_read_shmem_pages - restore the contents of a shmem file
 * @ctx: restart context
 * @file: the file, @size bytes long
 * @size: its size
 *
 * Reads the PAGES records ckpt_write_file_pages() wrote, up to the empty
 * one, into the page cache of @file.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_read_shmem_pages(struct ckpt_ctx *ctx, struct file *file, u64 size)
{
	return ckpt_read_pages(ctx, PAGE_ALIGN(size), ckpt_put_shmem_page, file);
}

static void *ckpt_shmem_restore(struct ckpt_ctx *ctx, struct ckpt_hdr *hdr,
				int *objref)
{
	struct ckpt_hdr_shmem *h;
	struct file *file;
	int ret;

	h = ckpt_read_body_alloc(ctx, hdr, sizeof(*h));
	if (IS_ERR(h))
		return h;
	if (!h->size || !PAGE_ALIGNED(h->size) || h->size > MAX_LFS_FILESIZE) {
		file = ERR_PTR(ckpt_err(ctx, -EINVAL,
					"bad shared memory size %llu", h->size));
		goto out;
	}
	/* as mmap(MAP_SHARED | MAP_ANONYMOUS) makes it, size accounted */
	file = shmem_kernel_file_setup("dev/zero", h->size, 0);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file),
			 "cannot make shared memory of %llu bytes", h->size);
		goto out;
	}
	ret = ckpt_read_shmem_pages(ctx, file, h->size);
	if (ret) {
		fput(file);
		file = ERR_PTR(ret);
		goto out;
	}
	*objref = h->objref;
out:
	ckpt_hdr_put(ctx, h);
	return file;
}

static void ckpt_shmem_grab(void *ptr)
{
	get_file(ptr);
}

static void ckpt_shmem_drop(void *ptr)
{
	fput(ptr);
}

static int ckpt_shmem_users(void *ptr)
{
	return file_count((struct file *)ptr);
}

static const struct ckpt_obj_ops ckpt_shmem_ops = {
	.name = "shared anonymous memory",
	.obj_type = CKPT_OBJ_SHMEM,
	.hdr_type = CKPT_HDR_SHMEM,
	.ref_grab = ckpt_shmem_grab,
	.ref_drop = ckpt_shmem_drop,
	.ref_users = ckpt_shmem_users,
	.checkpoint = ckpt_shmem_checkpoint,
	.restore = ckpt_shmem_restore,
};

/* --- the mm object --- */

/*
 * Collect pass: each mapping of shared anonymous memory is a reference;
 * the contents of memfds and deleted files, mapped or the executable,
 * are objects too.
 */
static int ckpt_mm_collect(struct ckpt_ctx *ctx, void *ptr)
{
	struct mm_struct *mm = ptr;
	struct vm_area_struct *vma;
	struct file *exe;
	int ret = 0;

	VMA_ITERATOR(vmi, mm, 0);

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for_each_vma(vmi, vma) {
		if (ckpt_vma_shared_anon(vma))
			ret = ckpt_obj_collect(ctx, vma->vm_file,
					       CKPT_OBJ_SHMEM, false);
		/* its segment's attaches are counted by ipc/checkpoint.c */
		else if (vma->vm_file && ckpt_file_is_sysvshm(vma->vm_file))
			ret = ckpt_obj_collect(ctx, vma->vm_file,
					       CKPT_OBJ_SHM_ATTACH, true);
		else if (vma->vm_file)
			ret = ckpt_collect_file_data(ctx, vma->vm_file);
		if (ret)
			break;
	}
	mmap_read_unlock(mm);
	exe = get_mm_exe_file(mm);
	if (!ret && exe)
		ret = ckpt_collect_file_data(ctx, exe);
	if (exe)
		fput(exe);
	return ret;
}

static void ckpt_mm_grab(void *ptr)
{
	mmget(ptr);
}

static void ckpt_mm_drop(void *ptr)
{
	mmput(ptr);
}

static int ckpt_mm_users(void *ptr)
{
	return atomic_read(&((struct mm_struct *)ptr)->mm_users);
}

static const struct ckpt_obj_ops ckpt_mm_ops = {
	.name = "mm",
	.obj_type = CKPT_OBJ_MM,
	.hdr_type = CKPT_HDR_MM,
	.ref_grab = ckpt_mm_grab,
	.ref_drop = ckpt_mm_drop,
	.ref_users = ckpt_mm_users,
	.collect = ckpt_mm_collect,
	.checkpoint = ckpt_mm_checkpoint,
	.restore = ckpt_mm_restore,
};

static int __init ckpt_mm_init(void)
{
	int ret = ckpt_obj_register(&ckpt_mm_ops);

	return ret ? ret : ckpt_obj_register(&ckpt_shmem_ops);
}
late_initcall(ckpt_mm_init);
