// SPDX-License-Identifier: GPL-2.0
/*
 * CPU state across checkpoint/restart: general purpose registers, flags,
 * SSE/AVX vector registers, x87 stack and control words, MXCSR held live
 * in registers through the checkpoint; TLS and the FS/GS bases.
 */
#include <cpuid.h>
#include <asm/prctl.h>

#include "cr_util.h"

/* ---- registers held across the checkpoint ------------------------------ */

/*
 * In and out of cr_hold_regs(). The layout is used by the assembly
 * below; keep the offsets in sync with the static asserts.
 */
struct cr_regs {
	uint8_t vec[16][32];	/*   0: xmm i = vec[i][0..15], ymm upper 16..31 */
	uint8_t st[2][16];	/* 512: st(0), st(1), 80-bit in the low 10 bytes */
	uint64_t gpr[6];	/* 544: rbx rbp r12 r13 r14 r15 */
	uint64_t rflags;	/* 592: out only */
	uint32_t mxcsr;		/* 600 */
	uint16_t fcw;		/* 604: x87 control word */
	uint16_t pad;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct cr_regs, st) == 512, "st");
_Static_assert(offsetof(struct cr_regs, gpr) == 544, "gpr");
_Static_assert(offsetof(struct cr_regs, rflags) == 592, "rflags");
_Static_assert(offsetof(struct cr_regs, mxcsr) == 600, "mxcsr");
_Static_assert(offsetof(struct cr_regs, fcw) == 604, "fcw");

static const char * const gpr_names[6] = {
	"rbx", "rbp", "r12", "r13", "r14", "r15"
};

/*
 * long cr_hold_regs(const struct cr_regs *in, struct cr_regs *out,
 *		     const char *go_path, long use_avx, long ready_fd);
 *
 * Loads the vector registers (ymm0-15 if use_avx, else xmm0-15), pushes
 * st(1) and st(0), loads MXCSR, the x87 control word, rbx, rbp and
 * r12-r15 from *in and sets the direction flag. Then, with nothing but
 * raw system calls (which preserve all of these), reports ready on
 * ready_fd (one byte, then close) and polls access(go_path) every 10 ms
 * until it exists. Finally it stores all of it into *out, restores the
 * caller's MXCSR/control word, clears DF and returns 0, or 1 when the go
 * file never came.
 *
 * in and out stay in r9/r10 and the poll counter in r8 across the loop:
 * syscalls clobber only rax, rcx and r11.
 */
__asm__(
"	.text\n"
"	.globl	cr_hold_regs\n"
"	.type	cr_hold_regs, @function\n"
"cr_hold_regs:\n"
"	pushq	%rbx\n"
"	pushq	%rbp\n"
"	pushq	%r12\n"
"	pushq	%r13\n"
"	pushq	%r14\n"
"	pushq	%r15\n"
"	subq	$56, %rsp\n"
	/* 0: timespec, 16: path, 24: use_avx, 32: ready_fd, 40: mxcsr, 44: fcw */
"	movq	$0, 0(%rsp)\n"
"	movq	$10000000, 8(%rsp)\n"
"	movq	%rdx, 16(%rsp)\n"
"	movq	%rcx, 24(%rsp)\n"
"	movq	%r8, 32(%rsp)\n"
"	stmxcsr	40(%rsp)\n"
"	fnstcw	44(%rsp)\n"
"	movq	%rdi, %r9\n"
"	movq	%rsi, %r10\n"

"	cmpq	$0, 24(%rsp)\n"
"	je	1f\n"
"	vmovdqu	0(%r9), %ymm0\n"
"	vmovdqu	32(%r9), %ymm1\n"
"	vmovdqu	64(%r9), %ymm2\n"
"	vmovdqu	96(%r9), %ymm3\n"
"	vmovdqu	128(%r9), %ymm4\n"
"	vmovdqu	160(%r9), %ymm5\n"
"	vmovdqu	192(%r9), %ymm6\n"
"	vmovdqu	224(%r9), %ymm7\n"
"	vmovdqu	256(%r9), %ymm8\n"
"	vmovdqu	288(%r9), %ymm9\n"
"	vmovdqu	320(%r9), %ymm10\n"
"	vmovdqu	352(%r9), %ymm11\n"
"	vmovdqu	384(%r9), %ymm12\n"
"	vmovdqu	416(%r9), %ymm13\n"
"	vmovdqu	448(%r9), %ymm14\n"
"	vmovdqu	480(%r9), %ymm15\n"
"	jmp	2f\n"
"1:\n"
"	movdqu	0(%r9), %xmm0\n"
"	movdqu	32(%r9), %xmm1\n"
"	movdqu	64(%r9), %xmm2\n"
"	movdqu	96(%r9), %xmm3\n"
"	movdqu	128(%r9), %xmm4\n"
"	movdqu	160(%r9), %xmm5\n"
"	movdqu	192(%r9), %xmm6\n"
"	movdqu	224(%r9), %xmm7\n"
"	movdqu	256(%r9), %xmm8\n"
"	movdqu	288(%r9), %xmm9\n"
"	movdqu	320(%r9), %xmm10\n"
"	movdqu	352(%r9), %xmm11\n"
"	movdqu	384(%r9), %xmm12\n"
"	movdqu	416(%r9), %xmm13\n"
"	movdqu	448(%r9), %xmm14\n"
"	movdqu	480(%r9), %xmm15\n"
"2:\n"
"	ldmxcsr	600(%r9)\n"
"	fldcw	604(%r9)\n"
"	fldt	528(%r9)\n"		/* st(1) */
"	fldt	512(%r9)\n"		/* st(0) */
"	movq	544(%r9), %rbx\n"
"	movq	552(%r9), %rbp\n"
"	movq	560(%r9), %r12\n"
"	movq	568(%r9), %r13\n"
"	movq	576(%r9), %r14\n"
"	movq	584(%r9), %r15\n"
"	std\n"

	/* ready: write(ready_fd, path, 1); close(ready_fd) */
"	movl	$1, %eax\n"
"	movq	32(%rsp), %rdi\n"
"	movq	16(%rsp), %rsi\n"
"	movl	$1, %edx\n"
"	syscall\n"
"	movl	$3, %eax\n"
"	movq	32(%rsp), %rdi\n"
"	syscall\n"

"	movq	$6000, %r8\n"		/* CR_GO_POLLS */
"3:\n"
"	movl	$21, %eax\n"		/* access(path, F_OK) */
"	movq	16(%rsp), %rdi\n"
"	xorl	%esi, %esi\n"
"	syscall\n"
"	testq	%rax, %rax\n"
"	jz	4f\n"
"	movl	$35, %eax\n"		/* nanosleep(&ts, NULL) */
"	movq	%rsp, %rdi\n"
"	xorl	%esi, %esi\n"
"	syscall\n"
"	decq	%r8\n"
"	jnz	3b\n"
"4:\n"
"	pushfq\n"
"	popq	592(%r10)\n"
"	cld\n"
"	movq	%rbx, 544(%r10)\n"
"	movq	%rbp, 552(%r10)\n"
"	movq	%r12, 560(%r10)\n"
"	movq	%r13, 568(%r10)\n"
"	movq	%r14, 576(%r10)\n"
"	movq	%r15, 584(%r10)\n"
"	fstpt	512(%r10)\n"
"	fstpt	528(%r10)\n"
"	stmxcsr	600(%r10)\n"
"	fnstcw	604(%r10)\n"
"	cmpq	$0, 24(%rsp)\n"
"	je	5f\n"
"	vmovdqu	%ymm0, 0(%r10)\n"
"	vmovdqu	%ymm1, 32(%r10)\n"
"	vmovdqu	%ymm2, 64(%r10)\n"
"	vmovdqu	%ymm3, 96(%r10)\n"
"	vmovdqu	%ymm4, 128(%r10)\n"
"	vmovdqu	%ymm5, 160(%r10)\n"
"	vmovdqu	%ymm6, 192(%r10)\n"
"	vmovdqu	%ymm7, 224(%r10)\n"
"	vmovdqu	%ymm8, 256(%r10)\n"
"	vmovdqu	%ymm9, 288(%r10)\n"
"	vmovdqu	%ymm10, 320(%r10)\n"
"	vmovdqu	%ymm11, 352(%r10)\n"
"	vmovdqu	%ymm12, 384(%r10)\n"
"	vmovdqu	%ymm13, 416(%r10)\n"
"	vmovdqu	%ymm14, 448(%r10)\n"
"	vmovdqu	%ymm15, 480(%r10)\n"
"	vzeroupper\n"
"	jmp	6f\n"
"5:\n"
"	movdqu	%xmm0, 0(%r10)\n"
"	movdqu	%xmm1, 32(%r10)\n"
"	movdqu	%xmm2, 64(%r10)\n"
"	movdqu	%xmm3, 96(%r10)\n"
"	movdqu	%xmm4, 128(%r10)\n"
"	movdqu	%xmm5, 160(%r10)\n"
"	movdqu	%xmm6, 192(%r10)\n"
"	movdqu	%xmm7, 224(%r10)\n"
"	movdqu	%xmm8, 256(%r10)\n"
"	movdqu	%xmm9, 288(%r10)\n"
"	movdqu	%xmm10, 320(%r10)\n"
"	movdqu	%xmm11, 352(%r10)\n"
"	movdqu	%xmm12, 384(%r10)\n"
"	movdqu	%xmm13, 416(%r10)\n"
"	movdqu	%xmm14, 448(%r10)\n"
"	movdqu	%xmm15, 480(%r10)\n"
"6:\n"
"	ldmxcsr	40(%rsp)\n"
"	fldcw	44(%rsp)\n"
"	xorl	%eax, %eax\n"
"	testq	%r8, %r8\n"
"	jnz	7f\n"
"	movl	$1, %eax\n"
"7:\n"
"	addq	$56, %rsp\n"
"	popq	%r15\n"
"	popq	%r14\n"
"	popq	%r13\n"
"	popq	%r12\n"
"	popq	%rbp\n"
"	popq	%rbx\n"
"	ret\n"
"	.size	cr_hold_regs, .-cr_hold_regs\n"
);

long cr_hold_regs(const struct cr_regs *in, struct cr_regs *out,
		  const char *go_path, long use_avx, long ready_fd);

_Static_assert(CR_GO_POLLS == 6000, "keep the poll count in the asm in sync");

#define X86_EFLAGS_DF	0x400
/* Non-default: all exceptions masked, round toward zero, flush to zero. */
#define TEST_MXCSR	0xff80
/* Non-default: exceptions masked, 53-bit precision, round up. */
#define TEST_FCW	0x0a7f

static bool cpu_has_avx(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return false;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	return (lo & 0x6) == 0x6;	/* the OS saves SSE and AVX state */
}

static void regs_fill_in(struct cr_regs *in)
{
	static const long double st0 = 3.14159265358979323846264338327950288L;
	static const long double st1 = -2.71828182845904523536028747135266250L;
	int i, j;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			in->vec[i][j] = (uint8_t)((i * 0x1d + j * 0x07 + 0x31) ^
						  (j < 16 ? 0xa5 : 0x3c));
	memcpy(in->st[0], &st0, 10);
	memcpy(in->st[1], &st1, 10);
	for (i = 0; i < 6; i++)
		in->gpr[i] = 0x0123456789abcdefULL ^
			     (0x1111111111111111ULL * (i + 1)) ^
			     ((uint64_t)i << 60);
	in->mxcsr = TEST_MXCSR;
	in->fcw = TEST_FCW;
}

/* Report every mismatch, exit with the code of the first one. */
#define REG_FAIL(code, fmt, ...) do { \
	int c_ = CR_WL_FAIL(code, fmt, ##__VA_ARGS__); \
	if (!fail) \
		fail = c_; \
} while (0)

static int wl_regs(struct cr_ctx *ctx, void *arg)
{
	static struct cr_regs in, out;
	long use_avx = *(int *)arg;
	int i, j, fail = 0;
	long ret;

	regs_fill_in(&in);
	memset(&out, 0, sizeof(out));
	ret = cr_hold_regs(&in, &out, ctx->go, use_avx, ctx->ready_fd);
	ctx->ready_fd = -1;
	if (ret) {
		fprintf(stderr, "timed out waiting for %s\n", ctx->go);
		return CR_EXIT_GO_TIMEOUT;
	}

	for (i = 0; i < 6; i++)
		if (out.gpr[i] != in.gpr[i])
			REG_FAIL(1, "%s = %#llx, expected %#llx", gpr_names[i],
				 (unsigned long long)out.gpr[i],
				 (unsigned long long)in.gpr[i]);
	if (!(out.rflags & X86_EFLAGS_DF))
		REG_FAIL(2, "direction flag lost (rflags %#llx)",
			 (unsigned long long)out.rflags);
	for (i = 0; i < 16; i++) {
		for (j = 0; j < (use_avx ? 32 : 16); j++)
			if (out.vec[i][j] != in.vec[i][j])
				break;
		if (j < 16)
			REG_FAIL(3, "xmm%d byte %d = %#x, expected %#x",
				 i, j, out.vec[i][j], in.vec[i][j]);
		else if (j < (use_avx ? 32 : 16))
			REG_FAIL(4, "ymm%d upper half byte %d = %#x, expected %#x",
				 i, j - 16, out.vec[i][j], in.vec[i][j]);
	}
	for (i = 0; i < 2; i++)
		if (memcmp(out.st[i], in.st[i], 10)) {
			long double got = 0, want = 0;

			memcpy(&got, out.st[i], 10);
			memcpy(&want, in.st[i], 10);
			REG_FAIL(5, "st(%d) = %Lg, expected %Lg", i, got, want);
		}
	if (out.mxcsr != in.mxcsr)
		REG_FAIL(6, "mxcsr = %#x, expected %#x", out.mxcsr, in.mxcsr);
	if (out.fcw != in.fcw)
		REG_FAIL(7, "x87 control word = %#x, expected %#x",
			 out.fcw, in.fcw);
	return fail;
}

FIXTURE(cr_cpu) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_cpu) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_cpu) { cr_teardown(_metadata, &self->ctx); }

CR_TEST(cr_cpu, registers_gpr_sse_avx_x87)
{
	int use_avx = cpu_has_avx();

	if (!use_avx)
		TH_LOG("no AVX: checking xmm0-15 only, not the ymm upper halves");
	cr_cycle(_metadata, ctx, wl_regs, &use_avx);
}

/* ---- TLS, FS and GS base ------------------------------------------------ */

#define TLS_VALUE	0x7415deadbeef0001ULL
#define GS_MAGIC	0x65736162735f6773ULL	/* "gs_bases" */

static __thread uint64_t tls_var = 1;
static __thread unsigned char tls_buf[2048];
static uint64_t gs_area[64] __attribute__((aligned(64)));

static unsigned long get_base(int code)
{
	unsigned long base = 0;

	if (syscall(SYS_arch_prctl, code, &base))
		return (unsigned long)-1;
	return base;
}

static int wl_tls(struct cr_ctx *ctx, void *arg)
{
	unsigned long fs, gs, fs_self, gs_word;
	uint64_t *var_addr;
	ssize_t off;

	tls_var = TLS_VALUE;
	cr_fill(tls_buf, sizeof(tls_buf), 0x715);
	var_addr = &tls_var;
	fs = get_base(ARCH_GET_FS);
	gs_area[0] = GS_MAGIC;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)gs_area))
		return CR_EXIT_SETUP;
	gs = get_base(ARCH_GET_GS);
	if (fs == (unsigned long)-1 || gs != (unsigned long)gs_area)
		return CR_EXIT_SETUP;

	cr_wl_ready(ctx);
	cr_wl_wait_go(ctx);

	if (get_base(ARCH_GET_FS) != fs)
		return CR_WL_FAIL(1, "FS base %#lx, expected %#lx",
				  get_base(ARCH_GET_FS), fs);
	/* glibc's TCB starts with a pointer to itself, read through %fs. */
	__asm__ __volatile__("movq %%fs:0, %0" : "=r"(fs_self));
	if (fs_self != fs)
		return CR_WL_FAIL(2, "%%fs:0 = %#lx, expected %#lx", fs_self, fs);
	if (&tls_var != var_addr)
		return CR_WL_FAIL(3, "&tls_var = %p, expected %p",
				  (void *)&tls_var, (void *)var_addr);
	if (tls_var != TLS_VALUE)
		return CR_WL_FAIL(4, "tls_var = %#llx, expected %#llx",
				  (unsigned long long)tls_var, TLS_VALUE);
	off = cr_check_fill(tls_buf, sizeof(tls_buf), 0x715);
	if (off >= 0)
		return CR_WL_FAIL(5, "TLS buffer differs at offset %zd", off);
	if (get_base(ARCH_GET_GS) != gs)
		return CR_WL_FAIL(6, "GS base %#lx, expected %#lx",
				  get_base(ARCH_GET_GS), gs);
	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(gs_word));
	if (gs_word != GS_MAGIC)
		return CR_WL_FAIL(7, "%%gs:0 = %#lx, expected %#llx",
				  gs_word, GS_MAGIC);
	return 0;
}

CR_TEST(cr_cpu, tls_fs_gs_base)
{
	/* a restarter with its own FS base: restart must set the saved one */
	ctx->restart_in_thread = true;
	cr_cycle(_metadata, ctx, wl_tls, NULL);
}

/* ---- every general register, frozen while running in user space -------- */

#define NR_SPIN_REGS	15

static const char * const spin_names[NR_SPIN_REGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
	"r11", "r12", "r13", "r14", "r15"
};

/* in and out of cr_spin_regs(); out[NR_SPIN_REGS] is rflags */
uint64_t cr_spin_in[NR_SPIN_REGS], cr_spin_out[NR_SPIN_REGS + 1];
volatile int cr_spin_go;

/*
 * void cr_spin_regs(void): loads all general registers but rsp from
 * cr_spin_in, sets DF, and spins in user space (no system call) until
 * cr_spin_go is set (by a signal handler, which gives every register
 * back on sigreturn); then stores them and rflags in cr_spin_out.
 */
__asm__(
"	.text\n"
"	.globl	cr_spin_regs\n"
"	.type	cr_spin_regs, @function\n"
"cr_spin_regs:\n"
"	pushq	%rbx\n"
"	pushq	%rbp\n"
"	pushq	%r12\n"
"	pushq	%r13\n"
"	pushq	%r14\n"
"	pushq	%r15\n"
"	movq	cr_spin_in+0(%rip), %rax\n"
"	movq	cr_spin_in+8(%rip), %rbx\n"
"	movq	cr_spin_in+16(%rip), %rcx\n"
"	movq	cr_spin_in+24(%rip), %rdx\n"
"	movq	cr_spin_in+32(%rip), %rsi\n"
"	movq	cr_spin_in+40(%rip), %rdi\n"
"	movq	cr_spin_in+48(%rip), %rbp\n"
"	movq	cr_spin_in+56(%rip), %r8\n"
"	movq	cr_spin_in+64(%rip), %r9\n"
"	movq	cr_spin_in+72(%rip), %r10\n"
"	movq	cr_spin_in+80(%rip), %r11\n"
"	movq	cr_spin_in+88(%rip), %r12\n"
"	movq	cr_spin_in+96(%rip), %r13\n"
"	movq	cr_spin_in+104(%rip), %r14\n"
"	movq	cr_spin_in+112(%rip), %r15\n"
"	std\n"
"1:\n"
"	pause\n"
"	cmpl	$0, cr_spin_go(%rip)\n"
"	je	1b\n"
"	pushfq\n"
"	popq	cr_spin_out+120(%rip)\n"
"	cld\n"
"	movq	%rax, cr_spin_out+0(%rip)\n"
"	movq	%rbx, cr_spin_out+8(%rip)\n"
"	movq	%rcx, cr_spin_out+16(%rip)\n"
"	movq	%rdx, cr_spin_out+24(%rip)\n"
"	movq	%rsi, cr_spin_out+32(%rip)\n"
"	movq	%rdi, cr_spin_out+40(%rip)\n"
"	movq	%rbp, cr_spin_out+48(%rip)\n"
"	movq	%r8, cr_spin_out+56(%rip)\n"
"	movq	%r9, cr_spin_out+64(%rip)\n"
"	movq	%r10, cr_spin_out+72(%rip)\n"
"	movq	%r11, cr_spin_out+80(%rip)\n"
"	movq	%r12, cr_spin_out+88(%rip)\n"
"	movq	%r13, cr_spin_out+96(%rip)\n"
"	movq	%r14, cr_spin_out+104(%rip)\n"
"	movq	%r15, cr_spin_out+112(%rip)\n"
"	popq	%r15\n"
"	popq	%r14\n"
"	popq	%r13\n"
"	popq	%r12\n"
"	popq	%rbp\n"
"	popq	%rbx\n"
"	ret\n"
"	.size	cr_spin_regs, .-cr_spin_regs\n"
);

void cr_spin_regs(void);

static void on_spin_go(int sig)
{
	cr_spin_go = 1;
}

static int wl_spin(struct cr_ctx *ctx, void *arg)
{
	struct sigaction sa = { .sa_handler = on_spin_go,
				.sa_flags = SA_RESTART };
	int i, fail = 0;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return CR_EXIT_SETUP;
	for (i = 0; i < NR_SPIN_REGS; i++)
		cr_spin_in[i] = 0xfedcba9876543210ULL ^
				(0x0101010101010101ULL * (i + 3)) ^
				((uint64_t)i << 56);
	cr_wl_ready(ctx);
	cr_spin_regs();

	for (i = 0; i < NR_SPIN_REGS; i++)
		if (cr_spin_out[i] != cr_spin_in[i])
			REG_FAIL(1 + i, "%s = %#llx, expected %#llx",
				 spin_names[i],
				 (unsigned long long)cr_spin_out[i],
				 (unsigned long long)cr_spin_in[i]);
	if (!(cr_spin_out[NR_SPIN_REGS] & X86_EFLAGS_DF))
		REG_FAIL(20, "direction flag lost (rflags %#llx)",
			 (unsigned long long)cr_spin_out[NR_SPIN_REGS]);
	return fail;
}

/*
 * A task frozen in the middle of user-space code, not in a system
 * call: every general register (rax, rcx and r11 too, which a system
 * call would clobber) and the instruction pointer come back exactly.
 */
CR_TEST(cr_cpu, all_registers_in_user_code)
{
	char path[64], stat[512], *p;
	int i;

	cr_spawn(_metadata, ctx, wl_spin, NULL);
	/* running, in user space */
	snprintf(path, sizeof(path), "/proc/%d/stat", ctx->wl_pid);
	for (i = 0; i < 200; i++) {
		cr_sleep_ms(10);
		p = cr_read_str(path, stat, sizeof(stat)) > 0 ?
		    strrchr(stat, ')') : NULL;
		if (p && p[2] == 'R')
			break;
	}
	cr_freeze(_metadata, ctx, ctx->wl_pid);
	cr_checkpoint_file(_metadata, ctx, ctx->wl_pid);
	cr_kill_original(_metadata, ctx);
	cr_restart_file(_metadata, ctx);
	cr_sleep_ms(100);
	ASSERT_EQ(0, kill(ctx->rs_pid, SIGUSR1));
	cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0, "restored workload");
}

TEST_HARNESS_MAIN
