// SPDX-License-Identifier: MIT
/*
 * The benchmark runner: which benchmarks the command line asks for, and the
 * run over every registered one. A benchmark registers itself with
 * BENCH_REGISTER (a name, a group, a function); "bench=all" runs every one,
 * "bench=heap" a group, and any other value is a comma-separated list of
 * names. The runner names no benchmark: the workload files sit below it and
 * measure with bench/series.c.
 */
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/heap.h>
#include <bench/bench.h>
#include <mmlab/kernel.h>
#include <mmlab/printk.h>

#define BENCH_ARG_MAX		128

REGISTRY_DECLARE(benches, struct bench_entry);

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

bool bench_requested(void)
{
	char buf[BENCH_ARG_MAX];

	return cmdline_get("bench", buf, sizeof(buf)) != NULL;
}

/* True when the comma-separated @list names @word. */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		if (!strncmp(list, word, n) && (list[n] == ',' || list[n] == '\0'))
			return true;
		while (*list && *list != ',')
			list++;
		if (*list == ',')
			list++;
	}
	return false;
}

static bool entry_wanted(const struct bench_entry *e, const char *list)
{
	return list_has(list, "all") || list_has(list, e->group) || list_has(list, e->name);
}

/* ------------------------------------------------------------------ */
/* Runner                                                              */
/* ------------------------------------------------------------------ */

/* The configuration line: what was built and how much memory there is. */
static void config_print(const char *list)
{
	printk("bench: {\"config\":{\"heap\":\"%s\",\"heap_size\":%u,\"frames\":\"%s\","
	       "\"frames_total\":%llu,\"frames_free\":%llu,\"debug_heap\":%s,"
	       "\"debug_frames\":%s},\"request\":\"%s\"}\n",
	       heap_algo_active()->name, CONFIG_HEAP_SIZE, frame_algo_name(),
	       (unsigned long long)frame_total(), (unsigned long long)frame_free_count(),
	       IS_ENABLED(CONFIG_DEBUG_HEAP) ? "true" : "false",
	       IS_ENABLED(CONFIG_DEBUG_FRAMES) ? "true" : "false", list);
}

int bench_run(void)
{
	static const char *const status_names[] = { "ok", "failed", "skipped" };
	unsigned counts[3] = { 0 };
	char list[BENCH_ARG_MAX];
	const struct bench_entry *e;

	cmdline_get("bench", list, sizeof(list));
	config_print(list);
	bench_overhead_measure();
	registry_for_each(benches, e) {
		enum bench_status st;

		if (!entry_wanted(e, list))
			continue;
		printk("bench: {\"start\":\"%s\"}\n", e->name);
		st = e->run();
		counts[st]++;
		printk("bench: {\"end\":\"%s\",\"status\":\"%s\"}\n", e->name, status_names[st]);
	}
	printk("bench: {\"done\":true,\"ok\":%u,\"failed\":%u,\"skipped\":%u}\n",
	       counts[BENCH_OK], counts[BENCH_FAILED], counts[BENCH_SKIPPED]);
	return counts[BENCH_FAILED] || !(counts[BENCH_OK] + counts[BENCH_SKIPPED]) ?
	       EXIT_TEST_FAIL : EXIT_OK;
}
