/* SPDX-License-Identifier: MIT */
/*
 * Harts (CONFIG_SMP). The boot hart starts the others (kernel/smp.c); each
 * hart has two numbers:
 *  - its hart id, the firmware's name for it, in tp (hart_id() in
 *    <mmlab/spinlock.h>): locks record it, panics print it;
 *  - its cpu number, 0 for the boot hart and 1.. for the others in /cpus
 *    order, in sscratch (smp_cpu_id()): it indexes per-hart arrays.
 *
 * Without CONFIG_SMP only the boot hart runs: NR_CPUS is 1, smp_cpu_id()
 * is 0 and smp_call_all() calls the function once, on the caller.
 */
#ifndef MMLAB_SMP_H
#define MMLAB_SMP_H

#include <mmlab/compiler.h>

#ifdef CONFIG_SMP
#define NR_CPUS		CONFIG_NR_CPUS
#else
#define NR_CPUS		1
#endif

struct boot_info;

/* A function smp_call_all() runs on every hart: @cpu is the hart's cpu number. */
typedef void (*smp_call_fn)(void *arg, unsigned cpu);

#if defined(CONFIG_SMP) && !defined(MMLAB_HOST)
/* smp_cpu_id - the calling hart's cpu number, 0 .. smp_online_count() - 1. */
static inline unsigned smp_cpu_id(void)
{
	unsigned long cpu;

	__asm__ volatile("csrr %0, sscratch" : "=r"(cpu));
	return (unsigned)cpu;
}

/*
 * smp_init - start every hart /cpus of @boot's device tree lists (up to
 * NR_CPUS), wait until they run, print "smp: N harts online". Call once,
 * on the boot hart, after .bss is cleared and memory is up. A hart that
 * does not start is named in a warning and left out.
 */
void smp_init(const struct boot_info *boot);

/* smp_online_count - harts running the kernel (1 before smp_init()). */
unsigned smp_online_count(void);

/*
 * smp_call_all - run @fn(@arg, cpu) on every online hart at the same time,
 * the caller's too, and return when all have returned. Only the boot hart
 * may call it, and not from inside @fn. @fn must not print (the console
 * has no lock): it records its findings in @arg for the caller to report.
 */
void smp_call_all(smp_call_fn fn, void *arg);
#else
static inline unsigned smp_cpu_id(void) { return 0; }
static inline void smp_init(const struct boot_info *boot) { (void)boot; }
static inline unsigned smp_online_count(void) { return 1; }
static inline void smp_call_all(smp_call_fn fn, void *arg) { fn(arg, 0); }
#endif

#endif /* MMLAB_SMP_H */
