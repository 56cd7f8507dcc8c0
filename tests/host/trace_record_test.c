// SPDX-License-Identifier: MIT
/*
 * Host tests of the allocation recorder (scripts/mmtrace/recorder.c and
 * scripts/mmtrace/record): small C programs whose allocations are known
 * exactly are compiled here, run under the shim, and their traces compared
 * line by line; a threaded program's trace must replay (every free names a
 * live ID); output that cannot be written must be said in one line.
 * SRCTREE and HOSTDIR come from tests/host/trace.mk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bench/mmtrace.h>
#include "host_test.h"

#define SHIM	HOSTDIR "/libmmtrace-record.so"
#define WORK	HOSTDIR "/record-test"

/* Write the C program @src to WORK/@name.c and compile it (-O0, no builtins). */
static int program_build(const char *name, const char *src, const char *libs)
{
	char path[512], cmd[1024];
	FILE *f;

	snprintf(path, sizeof(path), WORK "/%s.c", name);
	if (system("mkdir -p " WORK) || !(f = fopen(path, "w")))
		return -1;
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -O0 -fno-builtin -o " WORK "/%s %s %s", name, path, libs);
	return system(cmd);
}

/* Run @cmd (a shell command) with the shim; Return: its exit status. */
static int shim_run(const char *out, const char *cmd)
{
	char line[1024];
	int st;

	/* sh execs env, which execs @cmd: its parent is this process. */
	snprintf(line, sizeof(line), "exec env LD_PRELOAD=" SHIM " MMTRACE_OUT=%s MMTRACE_PARENT=%d %s",
		 out, (int)getpid(), cmd);
	st = system(line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The operation lines of the trace file @path, joined by '\n'; free the result. */
static char *trace_ops(const char *path)
{
	char buf[256], *text = calloc(1, 1 << 20);
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return text;
	while (fgets(buf, sizeof(buf), f) && len + strlen(buf) < (1 << 20) - 1)
		if (buf[0] != '#')
			len += (size_t)sprintf(text + len, "%s", buf);
	fclose(f);
	return text;
}

static const char exact_src[] =
	"#include <stdlib.h>\n#include <malloc.h>\n"
	"int main(void) {\n"
	"	void *a = malloc(10), *b = calloc(3, 8), *c, *d, *e, *z;\n"
	"	a = realloc(a, 100);\n"
	"	free(b);\n"
	"	if (posix_memalign(&c, 64, 200)) return 1;\n"
	"	d = aligned_alloc(256, 512);\n"
	"	e = memalign(32, 40);\n"
	"	free(c); free(d); free(e);\n"
	"	a = realloc(a, 0);\n"
	"	z = malloc(0); free(z);\n"
	"	z = realloc(NULL, 7); free(z);\n"
	"	free(NULL);\n"
	"	return 0;\n}\n";

static const char exact_trace[] =
	"a 1 10\nc 2 3 8\nr 1 3 100\nf 2\na 4 200 64\na 5 512 256\na 6 40 32\n"
	"f 4\nf 5\nf 6\nf 3\na 7 1\nf 7\na 8 7\nf 8\n";

/* Every kind of call, in a program that allocates nothing else. */
HOST_TEST(record_exact_program)
{
	char *ops, head[64] = "";
	FILE *f;

	CHECK_EQ(program_build("exact", exact_src, ""), 0);
	CHECK_EQ(shim_run(WORK "/exact.trace", WORK "/exact"), 0);
	ops = trace_ops(WORK "/exact.trace");
	if (strcmp(ops, exact_trace))
		host_test_fail(__FILE__, __LINE__, "trace:\n%swant:\n%s", ops, exact_trace);
	free(ops);
	f = fopen(WORK "/exact.trace", "r");
	CHECK(f && fgets(head, sizeof(head), f));
	CHECK(!strcmp(head, MMTRACE_VERSION_LINE "\n"));
	if (f)
		fclose(f);
}

/* _exit() skips exit handlers; closing and reusing the trace's fd must not lose lines. */
HOST_TEST(record_survives_exit_and_closed_fds)
{
	static const char src[] =
		"#include <stdlib.h>\n#include <unistd.h>\n#include <fcntl.h>\n"
		"int main(void) {\n"
		"	int fd;\n"
		"	free(malloc(11));\n"
		"	for (fd = 2; fd < 64; fd++) close(fd);\n"
		"	fd = open(\"/dev/null\", O_WRONLY);\n"
		"	free(malloc(12));\n"
		"	(void)fd;\n"
		"	_exit(0);\n}\n";
	char *ops;

	CHECK_EQ(program_build("exiting", src, ""), 0);
	CHECK_EQ(shim_run(WORK "/exiting.trace", WORK "/exiting"), 0);
	ops = trace_ops(WORK "/exiting.trace");
	CHECK(!strcmp(ops, "a 1 11\nf 1\na 2 12\nf 2\n"));
	free(ops);
}

static const char threads_src[] =
	"#include <pthread.h>\n#include <stdlib.h>\n"
	"static void *work(void *arg) {\n"
	"	size_t size = 1000 + 16 * (size_t)arg;\n"
	"	void *keep[8] = { 0 };\n"
	"	for (int i = 0; i < 2000; i++) {\n"
	"		free(keep[i % 8]);\n"
	"		keep[i % 8] = i % 3 ? malloc(size) : calloc(1, size);\n"
	"		if (i % 5 == 0) keep[i % 8] = realloc(keep[i % 8], size + 1);\n"
	"	}\n"
	"	for (int i = 0; i < 8; i++) free(keep[i]);\n"
	"	return NULL;\n}\n"
	"int main(void) {\n"
	"	pthread_t t[4];\n"
	"	for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, (void *)i);\n"
	"	for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);\n"
	"	return 0;\n}\n";

static void *host_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	(void)align;
	return malloc(size);
}

static void host_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static size_t host_largest_free(void *ctx)
{
	(void)ctx;
	return 0;
}

static void *host_table_alloc(void *ctx, size_t bytes)
{
	(void)ctx;
	return malloc(bytes);
}

static void host_table_free(void *ctx, void *mem, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(mem);
}

/* Four threads at once: the trace must replay line by line, with each thread's sizes. */
HOST_TEST(record_threads)
{
	static const struct mmtrace_ops ops = {
		.alloc = host_alloc, .free = host_free, .largest_free = host_largest_free,
		.table_alloc = host_table_alloc, .table_free = host_table_free,
	};
	size_t cap = mmtrace_table_cap(0), n, sized[4] = { 0 };
	char *text, *line, *save;
	struct mmtrace_replay r;
	struct mmtrace_op op;
	const char *why = "";
	unsigned long lineno = 0;

	CHECK_EQ(program_build("threads", threads_src, "-pthread"), 0);
	CHECK_EQ(shim_run(WORK "/threads.trace", WORK "/threads"), 0);
	text = trace_ops(WORK "/threads.trace");
	mmtrace_replay_init(&r, &ops, NULL, malloc(cap * sizeof(*r.slots)), cap);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (mmtrace_parse_line(line, strlen(line), &op, &why) ||
		    mmtrace_replay_op(&r, &op, lineno, &why)) {
			host_test_fail(__FILE__, __LINE__, "line %lu \"%s\": %s",
				       lineno, line, why);
			break;
		}
		for (n = 0; n < 4; n++)
			sized[n] += op.kind != MMTRACE_FREE && op.kind != MMTRACE_SKIP &&
				    (op.size == 1000 + 16 * n || op.size == 1001 + 16 * n);
	}
	/* Each thread: 2000 allocations (a third calloc) and 400 reallocs. */
	for (n = 0; n < 4; n++)
		CHECK_EQ(sized[n], 2400);
	CHECK_EQ(r.st.reallocs, 1600);
	CHECK(r.st.callocs >= 4 * 667);
	mmtrace_replay_drain(&r);
	free(r.slots);
	free(text);
}

/* An output the shim cannot open: one line on stderr, the program still runs. */
HOST_TEST(record_unwritable_output)
{
	char *err;
	int st;

	CHECK_EQ(program_build("exact", exact_src, ""), 0);
	st = shim_run("/nonexistent-dir/x.trace", WORK "/exact 2>" WORK "/unwritable.err");
	CHECK_EQ(st, 0);
	err = trace_ops(WORK "/unwritable.err");
	CHECK(!strcmp(err, "mmtrace-record: cannot write /nonexistent-dir/x.trace: "
			   "No such file or directory\n"));
	free(err);
	st = system(SRCTREE "/scripts/mmtrace/record -o /nonexistent-dir/x.trace -- true 2>"
		    WORK "/record.err");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	err = trace_ops(WORK "/record.err");
	CHECK(!strcmp(err, "record: cannot write /nonexistent-dir/x.trace: "
			   "No such file or directory\n"));
	free(err);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
