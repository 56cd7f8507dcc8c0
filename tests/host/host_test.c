// SPDX-License-Identifier: MIT
/* Runner and panic capture for host tests: see host_test.h. */
#include <stdarg.h>
#include <stdlib.h>
#include "host_test.h"

extern const struct host_test __start_host_tests[], __stop_host_tests[];

/* A program built with -DHOST_TEST_DEFAULT_FILTER='"a,b"' runs only those cases by default. */
#ifndef HOST_TEST_DEFAULT_FILTER
#define HOST_TEST_DEFAULT_FILTER NULL
#endif

jmp_buf *host_panic_jmp;
char host_panic_msg[512];

static jmp_buf case_jmp;
static char case_msg[1024];

void host_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(case_msg, sizeof(case_msg), "%s:%d: ", file, line);

	va_start(ap, fmt);
	vsnprintf(case_msg + n, sizeof(case_msg) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(case_jmp, 1);
}

/*
 * The kernel's panic() for host builds: inside EXPECT_PANIC it records the
 * message and jumps back; anywhere else it fails the running case.
 */
void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host_panic_msg, sizeof(host_panic_msg), fmt, ap);
	va_end(ap);
	if (host_panic_jmp) {
		jmp_buf *jb = host_panic_jmp;

		host_panic_jmp = NULL;
		longjmp(*jb, 1);
	}
	host_test_fail("panic", 0, "unexpected panic: %s", host_panic_msg);
}

/* Run one case; true when it passed. Kept apart so setjmp clobbers nothing of the caller's. */
static bool case_run(const struct host_test *t)
{
	host_panic_jmp = NULL;
	if (setjmp(case_jmp) == 0) {
		t->fn();
		return true;
	}
	return false;
}

/* True when @filter is NULL or one of its comma-separated words is part of @name. */
static bool name_selected(const char *name, const char *filter)
{
	char word[64];
	size_t len;

	if (!filter)
		return true;
	for (;;) {
		len = strcspn(filter, ",");
		if (len < sizeof(word)) {
			memcpy(word, filter, len);
			word[len] = '\0';
			if (strstr(name, word))
				return true;
		}
		if (!filter[len])
			return false;
		filter += len + 1;
	}
}

/*
 * True when case number @index (counting selected cases from 0) belongs to
 * the shard $HOST_TEST_SHARD ("i/n": every n-th case from the i-th; unset:
 * all), so that run-host-tests can spread a long program over the cores.
 */
static bool shard_selected(unsigned index)
{
	const char *shard = getenv("HOST_TEST_SHARD");
	unsigned i, n;

	if (!shard || sscanf(shard, "%u/%u", &i, &n) != 2 || n == 0)
		return true;
	return index % n == i;
}

int host_test_main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : HOST_TEST_DEFAULT_FILTER;
	const struct host_test *t;
	unsigned passed = 0, failed = 0, n = 0, index = 0;

	for (t = __start_host_tests; t < __stop_host_tests; t++)
		if (name_selected(t->name, filter) && shard_selected(index++))
			n++;
	printf("KTAP version 1\n1..%u\n", n);
	n = 0;
	index = 0;
	for (t = __start_host_tests; t < __stop_host_tests; t++) {
		if (!name_selected(t->name, filter) || !shard_selected(index++))
			continue;
		n++;
		if (case_run(t)) {
			printf("ok %u %s\n", n, t->name);
			passed++;
		} else {
			printf("# %s\nnot ok %u %s\n", case_msg, n, t->name);
			failed++;
		}
		fflush(stdout);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
