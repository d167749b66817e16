// SPDX-License-Identifier: GPL-2.0
/*
 * cr_lib.c - helpers of the checkpoint/restart selftests that need no
 * test harness (declared, and described, in cr_lib.h), linked into every
 * test program.
 */
#include "cr_lib.h"

long sys_checkpoint(pid_t pid, int fd, unsigned long flags,
		    int logfd)
{
	return syscall(__NR_checkpoint, pid, fd, flags, logfd);
}

long sys_restart(pid_t pid, int fd, unsigned long flags,
		 int logfd)
{
	return syscall(__NR_restart, pid, fd, flags, logfd);
}

void cr_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void cr_barrier(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

uint64_t cr_xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

void cr_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1, w;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = cr_xorshift64(&s);
		memcpy(p + i, &w, 8);
	}
	if (i < len) {
		w = cr_xorshift64(&s);
		memcpy(p + i, &w, len - i);
	}
}

ssize_t cr_check_fill(const void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1, w;
	const unsigned char *p = buf;
	size_t i, j;

	for (i = 0; i < len; i += 8) {
		w = cr_xorshift64(&s);
		for (j = 0; j < 8 && i + j < len; j++)
			if (p[i + j] != (unsigned char)(w >> (8 * j)))
				return i + j;
	}
	return -1;
}

uint64_t cr_checksum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0x100000001b3ULL;
	}
	return h;
}

ssize_t cr_check_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}

int cr_write_str(const char *path, const char *s)
{
	ssize_t len = strlen(s), n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

ssize_t cr_read_str(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			buf[total] = 0;
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = 0;
	close(fd);
	return total;
}

int cr_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int cr_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int cr_move_fd(int fd, int to)
{
	if (fd < 0)
		return -1;
	if (fd == to)
		return 0;
	if (dup2(fd, to) != to)
		return -1;
	close(fd);
	return 0;
}

void *cr_read_whole(const char *path, size_t *lenp)
{
	size_t got = 0, cap = 65536;
	char *buf, *nb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		if (got == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[got] = 0;
	*lenp = got;
	return buf;
}

int cr_write_whole(const char *path, const void *buf, size_t len)
{
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ret = cr_write_all(fd, buf, len);
	if (close(fd) < 0)
		ret = -1;
	return ret;
}

off_t cr_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : st.st_size;
}

bool cr_text_has_number(const char *text, long n)
{
	char num[32];
	const char *p = text;
	size_t len;

	len = snprintf(num, sizeof(num), "%ld", n);
	while ((p = strstr(p, num))) {
		bool before = p > text && p[-1] >= '0' && p[-1] <= '9';
		bool after = p[len] >= '0' && p[len] <= '9';

		if (!before && !after)
			return true;
		p++;
	}
	return false;
}

const char *cr_exit_code_str(int code)
{
	switch (code) {
	case 0:
		return "success";
	case CR_EXIT_GO_TIMEOUT:
		return "workload timed out waiting for the go file";
	case CR_EXIT_SETUP:
		return "workload setup failed";
	case CR_EXIT_RESTART_RETURNED:
		return "restart(0) returned in the restarting task";
	case CR_EXIT_SELF_ORIGINAL:
		return "self-checkpoint original";
	case CR_EXIT_HELPER_FAILED:
		return "helper call failed";
	default:
		return code < 64 ? "workload check failed (see its stderr)" :
				   "unknown";
	}
}

void cr_status_str(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with %d (%s)", WEXITSTATUS(status),
			 cr_exit_code_str(WEXITSTATUS(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "status 0x%x", status);
}

int cr_wait_timeout(pid_t pid, int *status, long ms)
{
	long waited;
	pid_t r;

	for (waited = 0; ; waited += 10) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= ms)
			break;
		cr_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

void cr_unlink_files(struct cr_ctx *ctx)
{
	unlink(ctx->img);
	unlink(ctx->log);
	unlink(ctx->wlog);
	unlink(ctx->go);
	unlink(ctx->data);
	unlink(ctx->data2);
}

void cr_ctx_paths(struct cr_ctx *ctx)
{
#define CR_PATH(field, suffix) \
	snprintf(ctx->field, sizeof(ctx->field), "/tmp/cr-%s.%s", \
		 ctx->name, suffix)
	CR_PATH(img, "img");
	CR_PATH(log, "log");
	CR_PATH(wlog, "wlog");
	CR_PATH(go, "go");
	CR_PATH(data, "data");
	CR_PATH(data2, "data2");
#undef CR_PATH
}

const char *cr_freezer_root(enum cr_freezer f)
{
	const char *env = getenv(f == CR_FREEZER_V2 ? "CR_CGROUP2_ROOT" :
				 "CR_FREEZER_V1_ROOT");

	if (env && *env)
		return env;
	return f == CR_FREEZER_V2 ? CR_CGROUP2_ROOT : CR_FREEZER_V1_ROOT;
}

bool cr_freezer_v1_available(void)
{
	const char *root = cr_freezer_root(CR_FREEZER_V1);
	char buf[16384], *line, *save = NULL;
	char dev[256], dir[256], type[64], opts[1024], *o, *osave;

	if (cr_read_str("/proc/self/mounts", buf, sizeof(buf)) <= 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %255s %63s %1023s",
			   dev, dir, type, opts) != 4)
			continue;
		if (strcmp(dir, root) || strcmp(type, "cgroup"))
			continue;
		osave = NULL;
		for (o = strtok_r(opts, ",", &osave); o;
		     o = strtok_r(NULL, ",", &osave))
			if (!strcmp(o, "freezer"))
				return true;
	}
	return false;
}

int cr_cg_file(const struct cr_ctx *ctx, const char *file,
	       char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", ctx->cg, file) >= (int)size ?
		-ENAMETOOLONG : 0;
}

int cr_cg_write(const struct cr_ctx *ctx, const char *file,
		const char *val)
{
	char path[CR_PATH_LEN + 32];

	cr_cg_file(ctx, file, path, sizeof(path));
	return cr_write_str(path, val);
}

int cr_cg_wait_state(const struct cr_ctx *ctx, bool frozen)
{
	char path[CR_PATH_LEN + 32], buf[512];
	long waited;

	cr_cg_file(ctx, ctx->freezer == CR_FREEZER_V2 ? "cgroup.events" :
		   "freezer.state", path, sizeof(path));
	for (waited = 0; waited <= CR_FREEZE_MS; waited += 10) {
		ssize_t n = cr_read_str(path, buf, sizeof(buf));

		if (n < 0)
			return n;
		if (ctx->freezer == CR_FREEZER_V2) {
			if (strstr(buf, frozen ? "frozen 1" : "frozen 0"))
				return 0;
		} else {
			if (!strncmp(buf, frozen ? "FROZEN" : "THAWED", 6))
				return 0;
		}
		cr_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

int cr_thaw_ret(struct cr_ctx *ctx)
{
	int ret;

	if (!ctx->cg_made)
		return 0;
	ret = cr_cg_write(ctx, ctx->freezer == CR_FREEZER_V2 ?
			  "cgroup.freeze" : "freezer.state",
			  ctx->freezer == CR_FREEZER_V2 ? "0" : "THAWED");
	if (ret)
		return ret;
	return cr_cg_wait_state(ctx, false);
}

void cr_thaw_quiet(struct cr_ctx *ctx)
{
	cr_thaw_ret(ctx);
}

void cr_cgroup_destroy(struct cr_ctx *ctx)
{
	char path[CR_PATH_LEN + 32], buf[4096], *p, *end;
	int i;

	cr_thaw_quiet(ctx);
	for (i = 0; i < 200; i++) {
		if (!rmdir(ctx->cg) || errno == ENOENT)
			break;
		/* Kill whatever is left in it (only our own tasks can be). */
		cr_cg_file(ctx, ctx->freezer == CR_FREEZER_V2 ?
			   "cgroup.procs" : "tasks", path, sizeof(path));
		if (cr_read_str(path, buf, sizeof(buf)) > 0) {
			for (p = buf; *p; p = end) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				if (pid > 0)
					kill(pid, SIGKILL);
			}
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		cr_sleep_ms(10);
	}
	ctx->cg_made = false;
}

void cr_wl_drop_shared_mappings(void)
{
	static char maps[65536];
	char *line, *save = NULL;
	unsigned long start, end;
	char perms[8];

	if (cr_read_str("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3)
			continue;
		if (perms[3] == 's')
			munmap((void *)start, end - start);
	}
}

void cr_wl_init(struct cr_ctx *ctx, int ready_w)
{
	int fd;

	if (ready_w != CR_READY_FD) {
		if (dup2(ready_w, CR_READY_FD) < 0)
			_exit(CR_EXIT_SETUP);
	}
	close_range(3, CR_READY_FD - 1, 0);
	close_range(CR_READY_FD + 1, ~0U, 0);
	ctx->ready_fd = CR_READY_FD;
	ctx->logfd = -1;

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(CR_EXIT_SETUP);
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(CR_EXIT_SETUP);
	close(fd);
	/*
	 * Workloads may take other ids, and restart reopens their files
	 * with those: anyone may write the workload's stderr.
	 */
	fd = open(ctx->wlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || fchmod(fd, 0666) || dup2(fd, 2) < 0)
		_exit(CR_EXIT_SETUP);
	close(fd);

	cr_wl_drop_shared_mappings();
}

void cr_wl_ready(struct cr_ctx *ctx)
{
	if (ctx->ready_fd < 0)
		return;
	if (write(ctx->ready_fd, "R", 1) != 1)
		_exit(CR_EXIT_SETUP);
	close(ctx->ready_fd);
	ctx->ready_fd = -1;
}

void cr_wl_wait_go(struct cr_ctx *ctx)
{
	struct timespec ts;
	int i;

	for (i = 0; i < CR_GO_POLLS; i++) {
		if (access(ctx->go, F_OK) == 0)
			return;
		ts.tv_sec = 0;
		ts.tv_nsec = CR_GO_POLL_NS;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "%s: timed out waiting for %s\n", ctx->name, ctx->go);
	_exit(CR_EXIT_GO_TIMEOUT);
}

void cr_futex_wait_set(int *w)
{
	while (!__atomic_load_n(w, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, w, FUTEX_WAIT, 0, NULL, NULL, 0);
}

void cr_futex_set_wake(int *w)
{
	__atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void cr_image_free(struct cr_image *im)
{
	free(im->recs);
	im->recs = NULL;
	im->nr_recs = 0;
}

const struct cr_rec *cr_image_find(const struct cr_image *im,
				   uint32_t type, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < im->nr_recs; i++)
		if (im->recs[i].type == type && n-- == 0)
			return &im->recs[i];
	return NULL;
}

const struct cr_rec *cr_image_pages(const struct cr_image *im)
{
	unsigned int i;

	for (i = 0; i < im->nr_recs; i++)
		if (im->recs[i].type == CKPT_HDR_PAGES && im->recs[i].nr_pages)
			return &im->recs[i];
	return NULL;
}

int cr_image_scan(const char *path, struct cr_image *im)
{
	const struct ckpt_hdr_tail *tail;
	unsigned int cap = 0;
	struct cr_img rd;
	struct stat st;
	int fd, ret = -1, got;

	memset(im, 0, sizeof(*im));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CR_IMG_ERR(im, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || cr_img_open(&rd, fd)) {
		CR_IMG_ERR(im, "fstat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	im->size = st.st_size;
	/* the framing: cr_img.h, the tools' reader */
	while ((got = cr_img_next(&rd)) > 0) {
		const struct ckpt_hdr *h = rd.h;
		struct cr_rec *r;

		if (im->nr_recs == cap) {
			cap = cap ? 2 * cap : 256;
			r = realloc(im->recs, cap * sizeof(*r));
			if (!r) {
				CR_IMG_ERR(im, "out of memory");
				goto out;
			}
			im->recs = r;
		}
		r = &im->recs[im->nr_recs];
		r->type = h->type;
		r->len = h->len;
		r->off = rd.off;
		r->nr_pages = 0;

		if (im->nr_recs == 0) {
			memcpy(&im->hdr, h, sizeof(im->hdr));
			if (im->hdr.magic != CKPT_MAGIC ||
			    im->hdr.version != CKPT_VERSION ||
			    im->hdr.arch != CKPT_ARCH_X86_64 ||
			    im->hdr.page_size != (uint32_t)getpagesize()) {
				CR_IMG_ERR(im, "HEADER: magic %#llx version %u arch %u page_size %u",
					   (unsigned long long)im->hdr.magic,
					   im->hdr.version, im->hdr.arch,
					   im->hdr.page_size);
				goto out;
			}
		} else if (im->nr_recs == 1 && h->type != CKPT_HDR_HEADER_ARCH) {
			CR_IMG_ERR(im, "second record is type %u, not HEADER_ARCH",
				   h->type);
			goto out;
		}
		if (h->type == CKPT_HDR_ERROR) {
			CR_IMG_ERR(im, "ERROR record at %llu",
				   (unsigned long long)rd.off);
			goto out;
		}
		if (h->type == CKPT_HDR_PAGES)
			r->nr_pages = ((const struct ckpt_hdr_pages *)h)->nr_pages;
		im->nr_recs++;
		if (h->type != CKPT_HDR_TAIL)
			continue;
		tail = (const void *)h;
		if (tail->magic != CKPT_TAIL_MAGIC) {
			CR_IMG_ERR(im, "TAIL magic %#llx",
				   (unsigned long long)tail->magic);
			goto out;
		}
		if (tail->nr_records != im->nr_recs - 1) {
			CR_IMG_ERR(im, "TAIL says %llu records, counted %u",
				   (unsigned long long)tail->nr_records,
				   im->nr_recs - 1);
			goto out;
		}
	}
	if (got < 0) {
		CR_IMG_ERR(im, "record %u: %s image at offset %llu: %s",
			   im->nr_recs, rd.what,
			   (unsigned long long)rd.err_off, rd.err);
		goto out;
	}
	ret = 0;
out:
	cr_img_close(&rd);
	close(fd);
	return ret;
}

const char *cr_tool(const char *name)
{
	static struct {
		char name[16];
		char path[PATH_MAX];
	} tools[8];
	const char *dir = getenv("CR_TOOL_DIR");
	size_t i, n = ARRAY_SIZE(tools);

	for (i = 0; i < n && tools[i].name[0]; i++)
		if (!strcmp(tools[i].name, name))
			return tools[i].path;
	/* more tools than the table holds, or a long name: not ours */
	if (i == n || strlen(name) >= sizeof(tools[i].name))
		return name;
	snprintf(tools[i].path, sizeof(tools[i].path), "%s/%s",
		 dir && *dir ? dir : "/usr/bin", name);
	strcpy(tools[i].name, name);
	return tools[i].path;
}

int cr_run_tool(const char *out, char *const argv[])
{
	int fd, status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || cr_wait_timeout(pid, &status, CR_WAIT_MS))
		return -1;
	return status;
}

bool cr_tool_said(int status, int code, const char *out,
		  const char *said)
{
	size_t len;
	char *text = cr_read_whole(out, &len);
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == code &&
		  text && strstr(text, said);

	if (!ok)
		fprintf(stderr, "# status %#x, expected exit %d and \"%s\"; the tool printed: %s\n",
			status, code, said, text ? text : "(nothing)");
	free(text);
	return ok;
}

bool cr_log_has(struct cr_ctx *ctx, const char *what)
{
	size_t len;
	char *log = cr_read_whole(ctx->log, &len);
	bool found = log && strstr(log, what);

	free(log);
	return found;
}

struct cr_restart_args {
	struct cr_ctx *ctx;
	int fd;
	unsigned long flags;
	int err;
	long ret;
};

static void *cr_restart_thread(void *p)
{
	struct cr_restart_args *a = p;

	a->ctx->restart_in_thread = false;
	a->ret = cr_restart_fd(a->ctx, a->fd, a->flags, &a->err);
	a->ctx->restart_in_thread = true;
	return NULL;
}

long cr_restart_fd(struct cr_ctx *ctx, int fd,
		   unsigned long flags, int *err)
{
	long ret;
	pid_t pid;

	if (ctx->restart_in_thread) {
		struct cr_restart_args a = { ctx, fd, flags, 0, -1 };
		pthread_t th;

		if (pthread_create(&th, NULL, cr_restart_thread, &a)) {
			*err = EAGAIN;
			return -1;
		}
		pthread_join(th, NULL);
		*err = a.err;
		return a.ret;
	}

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		*err = errno;
		return -1;
	}
	if (pid == 0) {
		sys_restart(0, fd, flags, ctx->logfd);
		_exit(CR_EXIT_RESTART_RETURNED);
	}
	ctx->rs_pid = pid;
	ret = sys_restart(pid, fd, flags, ctx->logfd);
	*err = errno;
	return ret;
}

int cr_maps_lookup(const void *addr, struct cr_map *m)
{
	static char maps[65536];
	unsigned long a = (unsigned long)addr;
	char *line, *save = NULL;
	int n;

	if (cr_read_str("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return -1;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		m->path[0] = 0;
		n = sscanf(line, "%lx-%lx %7s %lx %*s %*u %255[^\n]",
			   &m->start, &m->end, m->perms, &m->offset, m->path);
		if (n < 4)
			continue;
		if (a >= m->start && a < m->end)
			return 0;
	}
	return -1;
}
