/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Checkpoint image records of x86: the architecture header, the general
 * purpose registers and the FPU state. Included by
 * <linux/checkpoint_hdr.h>, after struct ckpt_hdr; see
 * Documentation/checkpoint/image-format.rst.
 */
#ifndef _UAPI_ASM_X86_CHECKPOINT_HDR_H
#define _UAPI_ASM_X86_CHECKPOINT_HDR_H

#include <linux/types.h>

/* ckpt_hdr_header.arch */
#define CKPT_ARCH_X86_64	1

/* Record types 200-299 */
enum ckpt_arch_hdr_type {
	CKPT_HDR_HEADER_ARCH = 200,
	CKPT_HDR_CPU,
	CKPT_HDR_FPU,
};

/* ckpt_hdr_header_arch.fpu_format and ckpt_hdr_fpu.format */
#define CKPT_FPU_XSAVE		1	/* uabi (standard format) XSAVE area */

struct ckpt_hdr_header_arch {
	struct ckpt_hdr h;
	__u32 fpu_format;
	__u32 xstate_size;	/* bytes in every CKPT_HDR_FPU payload */
	__u64 xfeatures;	/* features the checkpointing CPU saved */
};

/* Saved general purpose registers, x86_64 user view */
struct ckpt_hdr_cpu {
	struct ckpt_hdr h;
	__u64 r15, r14, r13, r12, bp, bx, r11, r10;
	__u64 r9, r8, ax, cx, dx, si, di, orig_ax;
	__u64 ip, cs, flags, sp, ss;
	__u64 fs_base, gs_base;
	__u16 ds, es, fsindex, gsindex;
	__u64 pad;
};

struct ckpt_hdr_fpu {
	struct ckpt_hdr h;
	__u32 format;		/* CKPT_FPU_XSAVE */
	__u32 size;		/* bytes of state that follow */
};

#endif /* _UAPI_ASM_X86_CHECKPOINT_HDR_H */
