// SPDX-License-Identifier: GPL-2.0
/*
 * x86_64 CPU state for checkpoint/restart: general registers, segment
 * bases (TLS), the XSAVE area in its standard (uabi) format, and the
 * vDSO placement.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include <linux/checkpoint.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/mm.h>
#include <linux/regset.h>
#include <linux/vmalloc.h>
#include <asm/ptrace.h>
#include <asm/proto.h>
#include <asm/prctl.h>
#include <asm/fsgsbase.h>
#include <asm/segment.h>
#include <asm/vdso.h>
#include <asm/syscall.h>
#include <asm/fpu/api.h>
#include <asm/fpu/regset.h>
#include <asm/fpu/types.h>
#include <asm/fpu/signal.h>
#include <asm/fpu/sched.h>

/* eflags bits user space may own; everything else comes from the kernel */
#define CKPT_EFLAGS_USER	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
				 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
				 X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_RF | \
				 X86_EFLAGS_AC | X86_EFLAGS_ID)

/**
 * ckpt_write_arch_header - write the HEADER_ARCH record
 * @ctx: checkpoint context
 *
 * Return: 0 or a negative errno; -EOPNOTSUPP on CPUs without XSAVE.
 */
int ckpt_write_arch_header(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_header_arch h = {
		.h.type = CKPT_HDR_HEADER_ARCH,
		.h.len = sizeof(h),
		.fpu_format = CKPT_FPU_XSAVE,
	};

	if (!cpu_feature_enabled(X86_FEATURE_XSAVE))
		return ckpt_err(ctx, -EOPNOTSUPP, "CPU without XSAVE: not supported");
	h.xstate_size = fpu_user_cfg.max_size;
	h.xfeatures = fpu_user_cfg.max_features;
	ctx->xstate_size = h.xstate_size;
	return ckpt_write_obj(ctx, &h.h);
}

/**
 * ckpt_read_arch_header - read and check the HEADER_ARCH record
 * @ctx: restart context
 *
 * The saved FPU state must fit this CPU: same XSAVE layout size and no
 * feature this CPU lacks.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_read_arch_header(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_header_arch *h;
	int ret = 0;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_HEADER_ARCH, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (!cpu_feature_enabled(X86_FEATURE_XSAVE) ||
	    h->fpu_format != CKPT_FPU_XSAVE)
		ret = ckpt_err(ctx, -EINVAL, "FPU state format %u not usable here",
			       h->fpu_format);
	else if (h->xstate_size != fpu_user_cfg.max_size ||
		 h->xfeatures & ~fpu_user_cfg.max_features)
		ret = ckpt_err(ctx, -EINVAL,
			       "image FPU state (%u bytes, features %#llx) does not fit this CPU (%u bytes, %#llx)",
			       h->xstate_size, h->xfeatures,
			       fpu_user_cfg.max_size, fpu_user_cfg.max_features);
	ctx->xstate_size = h->xstate_size;
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_arch_check_task - can this task's CPU state be saved?
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0, or -EBUSY for 32-bit tasks.
 */
int ckpt_arch_check_task(struct ckpt_ctx *ctx, struct task_struct *t)
{
	if (test_tsk_thread_flag(t, TIF_ADDR32) ||
	    !user_64bit_mode(task_pt_regs(t)))
		return ckpt_err(ctx, -EBUSY, "pid %d is not a 64-bit task",
				task_pid_vnr(t));
	return 0;
}

static int ckpt_write_fpu(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_hdr_fpu *h;
	struct membuf to;
	u32 size = ctx->xstate_size;
	int ret;

	h = ckpt_hdr_get(ctx, sizeof(*h) + size, CKPT_HDR_FPU);
	if (!h)
		return -ENOMEM;
	h->format = CKPT_FPU_XSAVE;
	h->size = size;
	to.p = h + 1;
	to.left = size;
	/* syncs the live registers first when t is current */
	ret = xstateregs_get(t, NULL, to);
	if (!ret)
		ret = ckpt_write_obj(ctx, &h->h);
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_checkpoint_cpu - save registers, segment bases and FPU state
 * @ctx: checkpoint context
 * @t: a frozen task, or current for a self-checkpoint
 *
 * A self-checkpoint saves its registers as if checkpoint() had just
 * returned 0, which is what the restarted task sees.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_checkpoint_cpu(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct pt_regs *regs = task_pt_regs(t);
	struct ckpt_hdr_cpu h = {
		.h.type = CKPT_HDR_CPU,
		.h.len = sizeof(h),
	};
	int ret;

	h.r15 = regs->r15;
	h.r14 = regs->r14;
	h.r13 = regs->r13;
	h.r12 = regs->r12;
	h.bp = regs->bp;
	h.bx = regs->bx;
	h.r11 = regs->r11;
	h.r10 = regs->r10;
	h.r9 = regs->r9;
	h.r8 = regs->r8;
	h.ax = regs->ax;
	h.cx = regs->cx;
	h.dx = regs->dx;
	h.si = regs->si;
	h.di = regs->di;
	h.orig_ax = regs->orig_ax;
	h.ip = regs->ip;
	h.cs = regs->cs;
	h.flags = regs->flags;
	h.sp = regs->sp;
	h.ss = regs->ss;
	h.fs_base = x86_fsbase_read_task(t);
	h.gs_base = x86_gsbase_read_task(t);
	h.fsindex = t->thread.fsindex;
	h.gsindex = t->thread.gsindex;
	h.ds = t->thread.ds;
	h.es = t->thread.es;
	if (t == current) {
		h.ax = 0;
		h.orig_ax = -1;
	}

	ret = ckpt_write_obj(ctx, &h.h);
	if (!ret)
		ret = ckpt_write_fpu(ctx, t);
	return ret;
}

static bool ckpt_syscall_interrupted(long ax)
{
	switch (ax) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
	case -ENOSYS:	/* frozen inside the syscall, before it returned */
		return true;
	}
	return false;
}

static int ckpt_restore_fpu(struct ckpt_ctx *ctx)
{
	struct ckpt_hdr_fpu *h;
	int ret = 0;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_FPU, sizeof(*h) + ctx->xstate_size);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (h->format != CKPT_FPU_XSAVE || h->size != ctx->xstate_size) {
		ret = ckpt_err(ctx, -EINVAL, "bad FPU record (format %u, %u bytes)",
			       h->format, h->size);
		goto out;
	}
	/* a refused state leaves the init state for the kill that follows */
	if (fpu_restore_uabi_xstate(h + 1))
		ret = ckpt_err(ctx, -EINVAL, "FPU state rejected by this CPU");
out:
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_restore_cpu - restore the caller's registers and FPU state
 * @ctx: restart context
 * @tr: the task restoring itself
 *
 * A task that was stopped inside an interrupted or unfinished system
 * call is set up to issue that call again, as after a signal without a
 * handler.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_restore_cpu(struct ckpt_ctx *ctx, struct ckpt_task_restore *tr)
{
	struct pt_regs *regs = task_pt_regs(current);
	struct ckpt_local *l = ckpt_local(ctx);
	struct ckpt_hdr_cpu *h;
	long ret;

	h = ckpt_read_obj_type(ctx, CKPT_HDR_CPU, sizeof(*h));
	if (IS_ERR(h))
		return PTR_ERR(h);
	ret = -EINVAL;
	/* an interrupted call is re-issued from ip - 2: both in user range */
	if (h->ip < 2 || h->ip >= TASK_SIZE_MAX || h->sp >= TASK_SIZE_MAX ||
	    h->fs_base >= TASK_SIZE_MAX || h->gs_base >= TASK_SIZE_MAX) {
		ckpt_err(ctx, ret, "register values out of user range");
		goto out;
	}
	if (h->cs != __USER_CS || h->ss != __USER_DS) {
		ckpt_err(ctx, ret, "unsupported code/stack segments %#llx/%#llx",
			 h->cs, h->ss);
		goto out;
	}

	regs->r15 = h->r15;
	regs->r14 = h->r14;
	regs->r13 = h->r13;
	regs->r12 = h->r12;
	regs->bp = h->bp;
	regs->bx = h->bx;
	regs->r11 = h->r11;
	regs->r10 = h->r10;
	regs->r9 = h->r9;
	regs->r8 = h->r8;
	regs->ax = h->ax;
	regs->cx = h->cx;
	regs->dx = h->dx;
	regs->si = h->si;
	regs->di = h->di;
	regs->ip = h->ip;
	regs->sp = h->sp;
	regs->cs = __USER_CS;
	regs->ss = __USER_DS;
	regs->flags = (regs->flags & ~CKPT_EFLAGS_USER) |
		      (h->flags & CKPT_EFLAGS_USER) | X86_EFLAGS_IF;
	regs->orig_ax = -1;
	l->reissued_nr = -1;
	if ((long)h->orig_ax >= 0 && ckpt_syscall_interrupted(h->ax)) {
		regs->ax = h->orig_ax;
		regs->ip -= 2;	/* back over the syscall instruction */
		l->reissued_nr = h->orig_ax;
	}

	ret = do_arch_prctl_64(current, ARCH_SET_FS, h->fs_base);
	if (!ret)
		ret = do_arch_prctl_64(current, ARCH_SET_GS, h->gs_base);
	if (ret) {
		ckpt_err(ctx, ret, "cannot restore FS/GS base");
		goto out;
	}
	ret = ckpt_restore_fpu(ctx);
out:
	ckpt_hdr_put(ctx, h);
	return ret;
}

/**
 * ckpt_arch_restart_syscall - go on through restart_syscall() instead
 *
 * For a caller whose restored registers re-issue a system call (see
 * ckpt_restore_cpu()) and whose restart block was set up to go on with
 * it.
 */
void ckpt_arch_restart_syscall(void)
{
	task_pt_regs(current)->ax = __NR_restart_syscall;
}

/**
 * ckpt_arch_vdso - where the vDSO and its data pages are mapped
 * @mm: address space
 * @start: set to the start of the [vvar]+[vdso] range
 * @end: set to its end
 *
 * Return: the vDSO text address, 0 if there is none.
 */
unsigned long ckpt_arch_vdso(struct mm_struct *mm, unsigned long *start,
			     unsigned long *end)
{
	unsigned long vdso = (unsigned long)mm->context.vdso;
	const struct vdso_image *image = mm->context.vdso_image;

	*start = *end = 0;
	if (!vdso || image != &vdso_image_64)
		return 0;
	*start = vdso + image->sym_vvar_start;
	*end = vdso + image->size;
	return vdso;
}

/**
 * ckpt_arch_new_mm - set up a fresh address space for a restored process
 * @mm: the caller's new mm, still empty
 *
 * As a 64-bit exec() does (set_personality_64bit()): the vsyscall page
 * is there. Only 64-bit tasks are checkpointed.
 */
void ckpt_arch_new_mm(struct mm_struct *mm)
{
	mm->context.flags = MM_CONTEXT_HAS_VSYSCALL;
}

/**
 * ckpt_arch_restore_vdso - map the vDSO at its checkpointed address
 * @ctx: restart context
 * @vdso: saved vDSO text address (0: the task had none)
 *
 * Must run while the range is free, before the other mappings return.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_arch_restore_vdso(struct ckpt_ctx *ctx, unsigned long vdso)
{
	const struct vdso_image *image = &vdso_image_64;
	unsigned long vvar;
	int ret;

	if (!vdso) {
		current->mm->context.vdso = NULL;
		return 0;
	}
	vvar = vdso + image->sym_vvar_start;
	if (!PAGE_ALIGNED(vdso) || vvar >= vdso || vdso + image->size > TASK_SIZE_MAX)
		return ckpt_err(ctx, -EINVAL, "bad vDSO address %#lx", vdso);
	ret = map_vdso_once(image, vvar);
	if (ret)
		return ckpt_err(ctx, ret, "cannot map the vDSO at %#lx", vdso);
	if ((unsigned long)current->mm->context.vdso != vdso)
		return ckpt_err(ctx, -EBUSY, "vDSO landed at %p, not %#lx",
				current->mm->context.vdso, vdso);
	return 0;
}
