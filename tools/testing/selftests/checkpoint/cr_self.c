// SPDX-License-Identifier: GPL-2.0
/*
 * Self-checkpoint: a task that is not frozen checkpoints itself with
 * checkpoint(0, ...). The call returns the checkpoint id to the original
 * and 0 in the task restarted from that image.
 */
#include "cr_util.h"

#define SELF_LEN	(2UL << 20)
#define SELF_SEED	0x5e1f
#define SELF_MARKER	0x5e1fc4ec4b0147ULL

static int wl_self(struct cr_ctx *ctx, void *arg)
{
	volatile uint64_t marker = SELF_MARKER;
	unsigned char *buf;
	char num[32];
	ssize_t off;
	long id;
	int fd, fl;

	buf = mmap(NULL, SELF_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return CR_EXIT_SETUP;
	cr_fill(buf, SELF_LEN, SELF_SEED);
	fd = open(ctx->img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return CR_EXIT_SETUP;
	cr_wl_ready(ctx);

	id = sys_checkpoint(0, fd, 0, -1);

	if (id < 0)
		return CR_WL_FAIL(20, "checkpoint(0) failed: %m");
	if (id > 0) {
		/* The original: tell the test the id, and stop here. */
		snprintf(num, sizeof(num), "%ld\n", id);
		if (cr_write_whole(ctx->data, num, strlen(num)))
			return CR_EXIT_SETUP;
		return CR_EXIT_SELF_ORIGINAL;
	}

	/* Restarted: checkpoint() returned 0 and everything is as it was. */
	cr_barrier(buf);
	if (marker != SELF_MARKER)
		return CR_WL_FAIL(1, "stack marker %#llx, expected %#llx",
				  (unsigned long long)marker, SELF_MARKER);
	off = cr_check_fill(buf, SELF_LEN, SELF_SEED);
	if (off >= 0)
		return CR_WL_FAIL(2, "buffer differs at offset %zd", off);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY)
		return CR_WL_FAIL(3, "image fd %d status flags %#x: %m", fd, fl);
	close(fd);
	return 0;
}

FIXTURE(cr_self) { struct cr_ctx ctx; };
FIXTURE_SETUP(cr_self) { cr_setup(_metadata, &self->ctx); }
FIXTURE_TEARDOWN(cr_self) { cr_teardown(_metadata, &self->ctx); }

CR_TEST(cr_self, checkpoint_returns_id_then_zero)
{
	struct cr_image im;
	pid_t orig;
	char num[32];
	long id;
	int ret, round;

	cr_spawn(_metadata, ctx, wl_self, NULL);
	orig = ctx->wl_pid;
	cr_expect_exit(_metadata, ctx, &ctx->wl_pid, CR_EXIT_SELF_ORIGINAL,
		       "self-checkpointing workload");

	ASSERT_LT(0, cr_read_str(ctx->data, num, sizeof(num)));
	id = strtol(num, NULL, 10);
	ASSERT_LT(0, id);

	ret = cr_image_scan(ctx->img, &im);
	cr_image_free(&im);
	ASSERT_EQ(0, ret) {
		TH_LOG("malformed self-checkpoint image: %s", im.err);
	}
	EXPECT_EQ(id, (long)im.hdr.id);
	EXPECT_EQ(orig, im.hdr.root_pid);
	EXPECT_EQ(1, im.hdr.nr_tasks);
	EXPECT_TRUE(im.hdr.flags & CKPT_IMAGE_SELF) {
		TH_LOG("header flags %#x lack CKPT_IMAGE_SELF", im.hdr.flags);
	}

	/* The image can be restarted, and more than once. */
	for (round = 0; round < 2; round++) {
		cr_restart_file(_metadata, ctx);
		cr_expect_exit(_metadata, ctx, &ctx->rs_pid, 0,
			       "restarted self-checkpoint");
	}
}

TEST_HARNESS_MAIN
