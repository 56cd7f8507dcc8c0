// SPDX-License-Identifier: MIT
/*
 * The allocation recorder: an LD_PRELOAD shim that logs every malloc,
 * calloc, realloc, reallocarray, free, memalign, aligned_alloc,
 * posix_memalign, valloc and pvalloc of a dynamically linked program as an
 * mmtrace v2 trace (format: include/bench/mmtrace.h). scripts/mmtrace/record
 * builds it (tests/host/trace.mk) and runs a command under it.
 *
 * Design.
 * - The wrappers call glibc's own entry points (__libc_malloc, __libc_free,
 *   ...), never dlsym(RTLD_NEXT), which may itself allocate.
 * - Re-entry: a thread-local flag (initial-exec TLS, so reading it never
 *   allocates) marks a thread that is inside the shim; a call made while it
 *   is set (glibc allocating on the shim's behalf) goes straight to glibc
 *   and is not logged.
 * - Threads: one mutex is held across the glibc call and the logging, so
 *   the trace is the real order and an address freed by one thread and
 *   handed to another cannot be seen twice. fork() takes the mutex first;
 *   the child starts a trace of its own (FILE.PID) with an empty map, so
 *   blocks it inherited are not in its trace and their frees are not logged.
 * - IDs count up and are never reused: a hash map (open addressing, linear
 *   probing, backward-shift deletion) from live pointer to ID, its table
 *   mmap()ed and doubled at three quarters full. A free or realloc of a
 *   pointer the map does not know (allocated before the shim was loaded)
 *   is not logged; a realloc of one is logged as an allocation.
 * - Output: lines are built in a 64 KiB buffer and written with write(2)
 *   when it fills, at least once a second from the wrappers themselves, at
 *   exit and in _exit()/_Exit() (which skip exit handlers). Before each
 *   write the descriptor is checked to still be the trace file (a program
 *   may close fd 2..N and reuse the number); if it is not, the file is
 *   opened again for appending. A file that cannot be opened or written is
 *   reported once on stderr ("mmtrace-record: cannot write FILE: reason")
 *   and recording stops; the program runs on.
 * - Requests of 0 bytes are logged as 1 byte (a trace size is at least 1);
 *   alignments above 4096 as 4096 (the largest a trace line may give).
 *
 * Environment (set by scripts/mmtrace/record): MMTRACE_OUT, the trace of
 * the process whose parent is MMTRACE_PARENT (other processes write
 * MMTRACE_OUT.PID; without MMTRACE_OUT every process writes
 * mmtrace-PID.trace); MMTRACE_NOTE, a line copied into each header.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

#define REC_BUF_SIZE		(64 * 1024)
#define REC_LINE_MAX		96	/* longest line the shim writes but a header */
#define REC_ALIGN_MAX		4096
#define REC_MAP_FIRST		4096	/* slots of the first map */
#define REC_PATH_MAX		4096
#define REC_FLUSH_CHECK		1024	/* operations between looks at the clock */
#define REC_HEADER_MAX		240	/* header lines are cut here (a trace line is <= 256) */

struct rec_slot {
	uintptr_t ptr;		/* 0: empty */
	uint64_t id;
};

struct recorder {
	pthread_mutex_t lock;
	bool active;		/* false: not started, or the output failed */
	int fd;
	dev_t dev;
	ino_t ino;
	char path[REC_PATH_MAX];
	char buf[REC_BUF_SIZE];
	size_t len;
	uint64_t next_id;
	unsigned long ops;
	time_t last_flush;
	struct rec_slot *map;
	size_t cap, count;	/* cap: a power of two */
};

static struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .next_id = 1 };
static __thread int rec_inside __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Write the C string @s to stderr. */
static void stderr_puts(const char *s)
{
	ssize_t unused = write(2, s, strlen(s));

	(void)unused;
}

/* Report that the trace cannot be written (once) and stop recording. */
static void output_fail(int err)
{
	if (!rec.active)
		return;
	rec.active = false;
	stderr_puts("mmtrace-record: cannot write ");
	stderr_puts(rec.path);
	stderr_puts(": ");
	stderr_puts(strerror(err));
	stderr_puts("\n");
}

/* Open rec.path (@flags: O_TRUNC to start, O_APPEND to reopen). Return: false on failure. */
static bool output_open(int flags)
{
	struct stat st;
	int fd = open(rec.path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);

	if (fd < 0 || fstat(fd, &st)) {
		output_fail(errno);
		return false;
	}
	rec.fd = fd;
	rec.dev = st.st_dev;
	rec.ino = st.st_ino;
	return true;
}

/* True when rec.fd is still the trace file (not closed, not reused). */
static bool output_fd_ours(void)
{
	struct stat st;

	return rec.fd >= 0 && !fstat(rec.fd, &st) && st.st_dev == rec.dev && st.st_ino == rec.ino;
}

/* Write the buffer out. Caller holds rec.lock. */
static void output_flush(void)
{
	size_t done = 0;

	if (!rec.active || !rec.len)
		return;
	if (!output_fd_ours() && !output_open(O_APPEND))
		return;
	while (done < rec.len) {
		ssize_t n = write(rec.fd, rec.buf + done, rec.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			output_fail(n < 0 ? errno : ENOSPC);
			return;
		}
		done += (size_t)n;
	}
	rec.len = 0;
	rec.last_flush = time(NULL);
}

/* Append the @n bytes at @s to the buffer, flushing when it would overflow. */
static void output_put(const char *s, size_t n)
{
	while (n) {
		size_t room = REC_BUF_SIZE - rec.len, k = n < room ? n : room;

		memcpy(rec.buf + rec.len, s, k);
		rec.len += k;
		s += k;
		n -= k;
		if (rec.len == REC_BUF_SIZE)
			output_flush();
	}
}

/* Append @v in decimal to the line at *@p. */
static char *decimal_put(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * Log one line: operation @op and up to three numbers (@nargs of @a).
 * Flushes when the buffer is full or a second has passed. Caller holds rec.lock.
 */
static void output_line(char op, int nargs, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t args[3] = { a0, a1, a2 };
	char line[REC_LINE_MAX], *p = line;
	int i;

	*p++ = op;
	for (i = 0; i < nargs; i++) {
		*p++ = ' ';
		p = decimal_put(p, args[i]);
	}
	*p++ = '\n';
	if (rec.len + (size_t)(p - line) > REC_BUF_SIZE)
		output_flush();
	output_put(line, (size_t)(p - line));
	if (++rec.ops % REC_FLUSH_CHECK == 0 && time(NULL) != rec.last_flush)
		output_flush();
}

/* ------------------------------------------------------------------ */
/* Pointer map                                                         */
/* ------------------------------------------------------------------ */

static size_t map_home(uintptr_t ptr, size_t cap)
{
	return (size_t)(((uint64_t)ptr * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

/* The slot of @ptr, or NULL. */
static struct rec_slot *map_find(uintptr_t ptr)
{
	size_t i;

	if (!rec.map)
		return NULL;
	for (i = map_home(ptr, rec.cap); rec.map[i].ptr; i = (i + 1) & (rec.cap - 1))
		if (rec.map[i].ptr == ptr)
			return &rec.map[i];
	return NULL;
}

static void map_place(struct rec_slot *map, size_t cap, uintptr_t ptr, uint64_t id)
{
	size_t i = map_home(ptr, cap);

	while (map[i].ptr)
		i = (i + 1) & (cap - 1);
	map[i] = (struct rec_slot){ .ptr = ptr, .id = id };
}

/* Room for one more pointer, doubling the table. Return: false when mmap fails. */
static bool map_reserve(void)
{
	size_t cap = rec.cap ? 2 * rec.cap : REC_MAP_FIRST, i;
	struct rec_slot *map;

	if (rec.map && rec.count + 1 <= rec.cap / 4 * 3)
		return true;
	map = mmap(NULL, cap * sizeof(*map), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED)
		return false;
	for (i = 0; i < rec.cap; i++)
		if (rec.map[i].ptr)
			map_place(map, cap, rec.map[i].ptr, rec.map[i].id);
	if (rec.map)
		munmap(rec.map, rec.cap * sizeof(*map));
	rec.map = map;
	rec.cap = cap;
	return true;
}

/* Empty @s, shifting later members of its cluster back (no tombstones). */
static void map_remove(struct rec_slot *s)
{
	size_t hole = (size_t)(s - rec.map), i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & (rec.cap - 1);
		if (!rec.map[i].ptr)
			break;
		home = map_home(rec.map[i].ptr, rec.cap);
		if (((i - home) & (rec.cap - 1)) >= ((i - hole) & (rec.cap - 1))) {
			rec.map[hole] = rec.map[i];
			hole = i;
		}
	}
	rec.map[hole].ptr = 0;
	rec.count--;
}

/* A new ID for the block at @p (kept in the map). Return: 0 when it cannot be kept. */
static uint64_t map_add(void *p)
{
	if (!map_reserve()) {
		output_fail(ENOMEM);
		return 0;
	}
	map_place(rec.map, rec.cap, (uintptr_t)p, rec.next_id);
	rec.count++;
	return rec.next_id++;
}

/* Forget @p. Return: its ID, or 0 when the map does not know it. */
static uint64_t map_take(void *p)
{
	struct rec_slot *s = map_find((uintptr_t)p);
	uint64_t id;

	if (!s)
		return 0;
	id = s->id;
	map_remove(s);
	return id;
}

/* ------------------------------------------------------------------ */
/* Start, fork and exit                                                */
/* ------------------------------------------------------------------ */

/* Write the header line "# @prefix@text" (@len bytes), cut to REC_HEADER_MAX with "...". */
static void header_line(const char *prefix, const char *text, size_t len)
{
	size_t room = REC_HEADER_MAX - 2 - strlen(prefix);

	output_put("# ", 2);
	output_put(prefix, strlen(prefix));
	output_put(text, len <= room ? len : room - 3);
	if (len > room)
		output_put("...", 3);
	output_put("\n", 1);
}

/* Copy /proc/self/cmdline into the header as "# command: ARG ARG ...". */
static void header_command(void)
{
	char cmd[2048];
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, cmd, sizeof(cmd) - 1) : -1;
	ssize_t i;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	if (cmd[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (cmd[i] == '\0' || cmd[i] == '\n')
			cmd[i] = ' ';
	header_line("command: ", cmd, (size_t)n);
}

/* Set rec.path for this process: MMTRACE_OUT, MMTRACE_OUT.PID or mmtrace-PID.trace. */
static void path_choose(bool forked)
{
	const char *out = getenv("MMTRACE_OUT"), *parent = getenv("MMTRACE_PARENT");
	char pid[24], *end = decimal_put(pid, (uint64_t)getpid());
	size_t n;

	*end = '\0';
	if (!out || !*out) {
		n = strlen("mmtrace-");
		memcpy(rec.path, "mmtrace-", n);
		memcpy(rec.path + n, pid, (size_t)(end - pid));
		memcpy(rec.path + n + (end - pid), ".trace", sizeof(".trace"));
		return;
	}
	n = strlen(out);
	if (n + sizeof(pid) + 2 > sizeof(rec.path))
		n = sizeof(rec.path) - sizeof(pid) - 2;
	memcpy(rec.path, out, n);
	rec.path[n] = '\0';
	if (forked || !parent || strtoul(parent, NULL, 10) != (unsigned long)getppid()) {
		rec.path[n] = '.';
		memcpy(rec.path + n + 1, pid, (size_t)(end - pid) + 1);
	}
}

/* Open this process's trace and write its header. Caller holds rec.lock. */
static void recorder_start(bool forked)
{
	const char *note = getenv("MMTRACE_NOTE");
	static const char version[] = "# mmtrace v2\n";

	rec.len = 0;
	rec.active = true;
	path_choose(forked);
	if (!output_open(O_TRUNC))
		return;
	output_put(version, sizeof(version) - 1);
	if (note && *note)
		header_line("", note, strnlen(note, 1024));
	header_command();
	rec.last_flush = time(NULL);
}

static void fork_prepare(void)
{
	pthread_mutex_lock(&rec.lock);
	output_flush();
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&rec.lock);
}

/* The child: a fresh mutex, an empty map, a trace of its own. */
static void fork_child(void)
{
	pthread_mutex_init(&rec.lock, NULL);
	if (rec.map)
		memset(rec.map, 0, rec.cap * sizeof(*rec.map));
	rec.count = 0;
	if (rec.fd >= 0)
		close(rec.fd);
	rec.fd = -1;
	if (rec.active)
		recorder_start(true);
}

static void recorder_stop(void)
{
	rec_inside++;
	pthread_mutex_lock(&rec.lock);
	output_flush();
	pthread_mutex_unlock(&rec.lock);
	rec_inside--;
}

__attribute__((constructor)) static void recorder_init(void)
{
	rec_inside++;
	pthread_mutex_lock(&rec.lock);
	recorder_start(false);
	pthread_mutex_unlock(&rec.lock);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atexit(recorder_stop);
	rec_inside--;
}

__attribute__((destructor)) static void recorder_fini(void)
{
	recorder_stop();
}

/* _exit and _Exit skip exit handlers: flush, then leave as they do. */
void _exit(int status)
{
	recorder_stop();
	for (;;)
		syscall(SYS_exit_group, status);
}

void _Exit(int status)
{
	_exit(status);
}

/* ------------------------------------------------------------------ */
/* The wrapped functions                                               */
/* ------------------------------------------------------------------ */

/* Enter the shim. Return: false when this thread is already inside (do not log). */
static bool shim_enter(void)
{
	if (rec_inside)
		return false;
	rec_inside = 1;
	pthread_mutex_lock(&rec.lock);
	return true;
}

static void shim_leave(void)
{
	pthread_mutex_unlock(&rec.lock);
	rec_inside = 0;
}

/* Log a new block @p of @size bytes at @align (0: default). */
static void log_alloc(void *p, size_t size, size_t align)
{
	uint64_t id;

	if (!p || !rec.active || !(id = map_add(p)))
		return;
	size = size ? size : 1;
	if (align)
		output_line('a', 3, id, size, align < REC_ALIGN_MAX ? align : REC_ALIGN_MAX);
	else
		output_line('a', 2, id, size, 0);
}

void *malloc(size_t size)
{
	void *p;

	if (!shim_enter())
		return __libc_malloc(size);
	p = __libc_malloc(size);
	log_alloc(p, size, 0);
	shim_leave();
	return p;
}

void *calloc(size_t n, size_t size)
{
	uint64_t id;
	void *p;

	if (!shim_enter())
		return __libc_calloc(n, size);
	p = __libc_calloc(n, size);
	if (p && (!n || !size))
		log_alloc(p, 1, 0);
	else if (p && rec.active && (id = map_add(p)))
		output_line('c', 3, id, n, size);
	shim_leave();
	return p;
}

void free(void *p)
{
	uint64_t id;

	if (!shim_enter()) {
		__libc_free(p);
		return;
	}
	if (p && rec.active && (id = map_take(p)))
		output_line('f', 1, id, 0, 0);
	__libc_free(p);
	shim_leave();
}

void *realloc(void *p, size_t size)
{
	uint64_t old, id;
	void *q;

	if (!shim_enter())
		return __libc_realloc(p, size);
	q = __libc_realloc(p, size);
	if (!p) {
		log_alloc(q, size, 0);
	} else if (q || !size) {
		/* Moved, resized in place, or freed by realloc(p, 0). */
		old = rec.active ? map_take(p) : 0;
		if (!q && old)
			output_line('f', 1, old, 0, 0);
		else if (q && !old)
			log_alloc(q, size, 0);
		else if (q && (id = map_add(q)))
			output_line('r', 3, old, id, size ? size : 1);
	}
	shim_leave();
	return q;
}

void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

/* The aligned allocators: one glibc call, logged with the alignment. */
static void *aligned_log(size_t align, size_t size)
{
	void *p;

	if (!shim_enter())
		return __libc_memalign(align, size);
	p = __libc_memalign(align, size);
	log_alloc(p, size, align);
	shim_leave();
	return p;
}

void *memalign(size_t align, size_t size)
{
	return aligned_log(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return aligned_log(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = aligned_log(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return aligned_log((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (size > SIZE_MAX - page) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned_log(page, size ? (size + page - 1) & ~(page - 1) : page);
}
