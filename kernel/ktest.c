// SPDX-License-Identifier: MIT
/*
 * ktest runner: KTAP version 1, one subtest per suite. See <mmlab/ktest.h>.
 *
 * Command line (QEMU -append):
 *   ktest.filter=GLOB[,GLOB...]  run only the suites and cases matched, as
 *                        KUnit's filter_glob: "heap", "heap.heap_lab",
 *                        "heap*", "*.frame_*"; a filter that matches no case
 *                        fails the run and lists the suites
 *   ktest.panic=SUITE.CASE  run only that panic case; it must panic with its
 *                        expected message (the runner checks the console)
 */
#include <lib/glob.h>
#include <lib/string.h>
#include <mmlab/kernel.h>
#include <mmlab/ktest.h>
#include <mmlab/printk.h>

REGISTRY_DECLARE(ktest_suites, struct ktest_suite);

#define for_each_suite(s)	registry_for_each(ktest_suites, s)
#define for_each_case(c, s) \
	for (c = (s)->cases; c->name; c++)

struct ktest_totals {
	unsigned passed, failed, skipped;
};

/* Mark @t failed and print the diagnostic @fmt at @file:@line (KTAP "# "). */
void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failed = true;
	printk("        # %s: %s:%d: ", t->name, file, line);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skip_reason = reason;
}

void ktest_printf(const char *fmt, ...)
{
	va_list ap;

	printk("        # ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
}

/*
 * True when one comma-separated term of @filter ("" matches everything)
 * matches suite @suite and case @name: "S" selects every case of the suites
 * S matches, "S.C" the cases C matches in them.
 */
static bool filter_matches(const char *filter, const char *suite, const char *name)
{
	const char *term = filter;

	if (!*filter)
		return true;
	while (*term) {
		size_t len = 0, slen;

		while (term[len] && term[len] != ',')
			len++;
		for (slen = 0; slen < len && term[slen] != '.'; slen++)
			;
		if (glob_match(term, slen, suite) &&
		    (slen == len || glob_match(term + slen + 1, len - slen - 1, name)))
			return true;
		term += len + (term[len] == ',');
	}
	return false;
}

/* Cases of @s that run (not panic cases) and that @filter selects. */
static unsigned suite_case_count(const struct ktest_suite *s, const char *filter)
{
	const struct ktest_case *c;
	unsigned n = 0;

	for_each_case(c, s)
		if (!c->expect_panic && filter_matches(filter, s->name, c->name))
			n++;
	return n;
}

/* Run one suite as a KTAP subtest; true when no case failed. */
static bool suite_run(const struct ktest_suite *s, const char *filter, unsigned index,
		      struct ktest_totals *tot)
{
	const struct ktest_case *c;
	unsigned n = 0, failed = 0, skipped = 0, total = suite_case_count(s, filter);

	printk("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", s->name, total);
	for_each_case(c, s) {
		struct ktest t = { .name = c->name };

		if (c->expect_panic || !filter_matches(filter, s->name, c->name))
			continue;
		n++;
		c->run(&t);
		if (t.failed) {
			printk("    not ok %u %s\n", n, c->name);
			failed++;
			tot->failed++;
		} else if (t.skip_reason) {
			printk("    ok %u %s # SKIP %s\n", n, c->name, t.skip_reason);
			skipped++;
			tot->skipped++;
		} else {
			printk("    ok %u %s\n", n, c->name);
			tot->passed++;
		}
	}
	printk("%s %u %s%s\n", failed ? "not ok" : "ok", index, s->name,
	       !total ? " # SKIP no cases in this configuration" :
	       skipped == total ? " # SKIP all cases skipped" : "");
	return failed == 0;
}

/* Run the single panic case named "suite.case"; returns only if it did not panic. */
static int panic_case_run(const char *which)
{
	const struct ktest_suite *s;
	const struct ktest_case *c;

	for_each_suite(s) {
		size_t len = strlen(s->name);

		if (strncmp(which, s->name, len) || which[len] != '.')
			continue;
		for_each_case(c, s) {
			struct ktest t = { .name = c->name };

			if (!c->expect_panic || strcmp(which + len + 1, c->name))
				continue;
			printk("# ktest: running panic case %s, expecting \"%s\"\n",
			       which, c->expect_panic);
			c->run(&t);
			printk("not ok 1 %s # did not panic\n", which);
			return EXIT_TEST_FAIL;
		}
	}
	printk("# ktest: no panic case named \"%s\"\n", which);
	return EXIT_TEST_FAIL;
}

/* A suite runs when the filter selects a case of it, or names it whole. */
static bool suite_selected(const struct ktest_suite *s, const char *filter)
{
	return suite_case_count(s, filter) || (filter[0] && filter_matches(filter, s->name, ""));
}

/* A filter that selects nothing: say so, list what there is, fail. */
static int filter_unmatched(const char *filter)
{
	const struct ktest_suite *s;

	printk("# ktest: ktest.filter=%s matches no test; suites:", filter);
	for_each_suite(s)
		printk(" %s", s->name);
	printk("\nKTAP version 1\n1..0\n# ktest: 0 passed, 1 failed, 0 skipped\n");
	return EXIT_TEST_FAIL;
}

int ktest_run_all(void)
{
	const struct ktest_suite *s;
	const struct ktest_case *c;
	struct ktest_totals tot = { 0 };
	char filter[128], which[96];
	unsigned nsuites = 0, index = 0;

	if (cmdline_get("ktest.panic", which, sizeof(which)))
		return panic_case_run(which);
	if (!cmdline_get("ktest.filter", filter, sizeof(filter)))
		filter[0] = '\0';

	for_each_suite(s)
		if (suite_selected(s, filter))
			nsuites++;
	if (filter[0] && !nsuites)
		return filter_unmatched(filter);
	printk("KTAP version 1\n1..%u\n", nsuites);
	for_each_suite(s)
		if (suite_selected(s, filter))
			suite_run(s, filter, ++index, &tot);
	for_each_suite(s)
		for_each_case(c, s)
			if (c->expect_panic)
				printk("# panic-case: %s.%s \"%s\"\n", s->name,
				       c->name, c->expect_panic);
	printk("# ktest: %u passed, %u failed, %u skipped\n",
	       tot.passed, tot.failed, tot.skipped);
	return tot.failed ? EXIT_TEST_FAIL : EXIT_OK;
}
