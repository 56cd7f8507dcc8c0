// SPDX-License-Identifier: MIT
/*
 * Supervisor timer: rdtime counts at the device tree's timebase-frequency
 * (10 MHz on QEMU virt); each interrupt reprograms the next one through SBI,
 * CONFIG_TIMER_HZ times a second.
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <mmlab/trap.h>

static unsigned long ticks;
static unsigned long tick_interval;

void timer_init(unsigned long timebase_hz)
{
	tick_interval = timebase_hz / CONFIG_TIMER_HZ;
	if (!tick_interval)
		tick_interval = 1;
	sbi_set_timer(rdtime() + tick_interval);
	csr_set(sie, SIE_STIE);
	csr_set(sstatus, SSTATUS_SIE);
}

/* Called from trap_handle() on a supervisor timer interrupt. */
void timer_handle(void)
{
	ticks++;
	sbi_set_timer(rdtime() + tick_interval);
}

/* Timer interrupts counted since timer_init() (0 before it). */
unsigned long timer_ticks(void)
{
	return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}
