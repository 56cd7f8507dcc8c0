// SPDX-License-Identifier: MIT
/*
 * Self-tests of trap handling: breakpoints resume after the instruction with
 * every register intact, the timer ticks, and an unexpected exception is
 * reported by name and panics (panic cases, booted one at a time).
 */
#include <asm/csr.h>
#include <lib/string.h>
#include <mmlab/ktest.h>
#include <mmlab/trap.h>

static void trap_breakpoint_resumes(struct ktest *t)
{
	unsigned long before = trap_breakpoint_count();

	__asm__ volatile("ebreak" ::: "memory");
	KTEST_EXPECT_EQ(t, trap_breakpoint_count(), before + 1);
}

static void trap_compressed_breakpoint_resumes(struct ktest *t)
{
	unsigned long before = trap_breakpoint_count();

	__asm__ volatile(".option push\n.option rvc\nc.ebreak\n.option pop" ::: "memory");
	KTEST_EXPECT_EQ(t, trap_breakpoint_count(), before + 1);
}

/* Load distinct values into caller-saved registers, trap, read them back. */
static void trap_preserves_registers(struct ktest *t)
{
	unsigned long out[8];
	unsigned i;

	__asm__ volatile(
		"li t0, 0x1111\n li t1, 0x2222\n li t2, 0x3333\n li a0, 0x4444\n"
		"li a1, 0x5555\n li a6, 0x6666\n li a7, 0x7777\n li t6, 0x8888\n"
		"ebreak\n"
		"sd t0, 0(%0)\n sd t1, 8(%0)\n sd t2, 16(%0)\n sd a0, 24(%0)\n"
		"sd a1, 32(%0)\n sd a6, 40(%0)\n sd a7, 48(%0)\n sd t6, 56(%0)\n"
		: : "r"(out)
		: "t0", "t1", "t2", "a0", "a1", "a6", "a7", "t6", "memory");
	for (i = 0; i < ARRAY_SIZE(out); i++)
		KTEST_EXPECT_EQ(t, out[i], 0x1111UL * (i + 1));
}

/* The timer must deliver a few ticks within a second of timebase time. */
static void trap_timer_ticks(struct ktest *t)
{
	unsigned long start = timer_ticks();
	unsigned long deadline = rdtime() + 10000000UL;

	while (timer_ticks() < start + 3 && rdtime() < deadline)
		__asm__ volatile("wfi");
	KTEST_EXPECT_GE(t, timer_ticks(), start + 3);
}

static void trap_cause_names(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, strcmp(trap_cause_name(EXC_ILLEGAL_INST), "Illegal instruction"), 0);
	KTEST_EXPECT_EQ(t, strcmp(trap_cause_name(SCAUSE_INTERRUPT | IRQ_S_TIMER),
				  "Supervisor timer interrupt"), 0);
	KTEST_EXPECT_EQ(t, strcmp(trap_cause_name(63), "Unknown exception"), 0);
}

static void trap_illegal_instruction(struct ktest *t)
{
	(void)t;
	__asm__ volatile(".word 0" ::: "memory");
}

/* OpenSBI protects its own memory at 0x80000000 from S-mode (PMP). */
static void trap_load_access_fault(struct ktest *t)
{
	(void)t;
	(void)*(volatile unsigned long *)0x80000000UL;
}

static const struct ktest_case trap_cases[] = {
	KTEST_CASE(trap_breakpoint_resumes),
	KTEST_CASE(trap_compressed_breakpoint_resumes),
	KTEST_CASE(trap_preserves_registers),
	KTEST_CASE(trap_timer_ticks),
	KTEST_CASE(trap_cause_names),
	KTEST_PANIC_CASE(trap_illegal_instruction, "Illegal instruction"),
	KTEST_PANIC_CASE(trap_load_access_fault, "Load access fault"),
	{}
};
KTEST_SUITE(trap, trap_cases);
