// SPDX-License-Identifier: MIT
/*
 * Starting the other harts and running a function on all of them at once
 * (CONFIG_SMP; see <mmlab/smp.h>).
 *
 * Start-up. OpenSBI enters the kernel on one hart, picked by lottery, and
 * keeps the others in its HSM "stopped" state. smp_init() walks the
 * children of /cpus in the device tree: each "cpu" node's reg is a hart id.
 * Every hart but the boot hart gets the next cpu number (1, 2, ...): its
 * hart id is stored in smp_cpu_hartid[cpu] and it is started with
 * sbi_hart_start(hart, secondary_entry, cpu). head.S finds the cpu number
 * from the hart id in that table (not from the opaque word: see below),
 * gives it stack cpu - 1 and calls smp_secondary_main(), which counts it
 * online. smp_init() waits (a bounded time) until every started hart has.
 *
 * OpenSBI 1.1 may send a started hart to the kernel's boot entry with the
 * firmware's boot argument instead of ours (its hart_start publishes the
 * state change before the new entry address); head.S's _start sends such
 * a hart on to secondary_entry and counts it in smp_boot_entry_redirects,
 * which smp_init() reports. Booting with smp.entry=boot starts every hart
 * that way on purpose, so the path is tested on every make check.
 *
 * Work. A started hart then sleeps in wfi with only the supervisor
 * software interrupt enabled in sie and interrupts off in sstatus, so an
 * IPI wakes it without trapping. smp_call_all() publishes the function
 * with a new generation number (release), sends each hart an IPI, runs the
 * function itself, and waits until every hart has counted itself done
 * (acquire). A hart clears its pending IPI before it looks at the
 * generation, so an IPI that arrives between the look and the wfi only
 * makes the wfi return at once: no wake-up is lost.
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <lib/fdt.h>
#include <lib/string.h>
#include <mmlab/kernel.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>
#include <mmlab/smp.h>

#define SIE_SSIE	(1UL << 1)	/* supervisor software interrupt enable */
#define SIP_SSIP	(1UL << 1)
#define START_WAIT_TICKS 50000000UL	/* rdtime ticks (5 s at QEMU's 10 MHz) */

extern char secondary_entry[];

/* Hart id of each cpu number; head.S reads it (so not static). */
unsigned long smp_cpu_hartid[NR_CPUS];
/* Started harts that arrived at _start instead of secondary_entry (head.S). */
unsigned smp_boot_entry_redirects;
extern char _start[];
static unsigned nr_started = 1;			/* cpus handed to sbi_hart_start */
static unsigned nr_online = 1;			/* cpus running (atomic) */

static struct {
	smp_call_fn fn;
	void *arg;
	unsigned long gen;	/* bumped (release) to publish fn and arg */
	unsigned done;		/* harts other than the caller that returned */
} work;

/* ------------------------------------------------------------------ */
/* Secondary harts                                                     */
/* ------------------------------------------------------------------ */

/* Sleep until the work generation differs from @seen; return the new one. */
static unsigned long work_wait(unsigned long seen)
{
	for (;;) {
		unsigned long gen;

		csr_clear(sip, SIP_SSIP);
		gen = __atomic_load_n(&work.gen, __ATOMIC_ACQUIRE);
		if (gen != seen)
			return gen;
		__asm__ volatile("wfi" ::: "memory");
	}
}

__noreturn void smp_secondary_main(unsigned long hartid, unsigned long cpu);

/* head.S's secondary_entry calls this on the hart's own stack. */
void smp_secondary_main(unsigned long hartid, unsigned long cpu)
{
	unsigned long seen = __atomic_load_n(&work.gen, __ATOMIC_ACQUIRE);

	(void)hartid;
	csr_write(sie, SIE_SSIE);
	__atomic_fetch_add(&nr_online, 1, __ATOMIC_RELEASE);
	for (;;) {
		seen = work_wait(seen);
		work.fn(work.arg, (unsigned)cpu);
		__atomic_fetch_add(&work.done, 1, __ATOMIC_RELEASE);
	}
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */
/* ------------------------------------------------------------------ */

/* True when @node of @fdt is a cpu node ("cpu@N", or device_type "cpu"). */
static bool node_is_cpu(const struct fdt *fdt, int node)
{
	const char *name, *type;

	if (fdt_property_string(fdt, node, "device_type", &type) >= 0)
		return strcmp(type, "cpu") == 0;
	return fdt_node_name(fdt, node, &name) >= 0 && strncmp(name, "cpu@", 4) == 0;
}

/*
 * Start hart @hartid as cpu number nr_started at @entry with @opaque in a1;
 * warn when the firmware refuses. The table entry head.S looks the hart up
 * in is stored (release) before the start call.
 */
static void hart_start(unsigned long hartid, unsigned long entry, unsigned long opaque)
{
	long err;

	__atomic_store_n(&smp_cpu_hartid[nr_started], hartid, __ATOMIC_RELEASE);
	err = sbi_hart_start(hartid, entry, opaque);
	if (err) {
		pr_warn("smp: hart %lu did not start (SBI error %ld)\n", hartid, err);
		return;
	}
	nr_started++;
}

/*
 * Start every cpu of @boot's /cpus but the boot hart, at secondary_entry,
 * or with "smp.entry=boot" at _start with the device tree in a1 (what
 * OpenSBI 1.1's start race does). Return: how many were left stopped.
 */
static unsigned harts_start(const struct boot_info *boot)
{
	const struct fdt *fdt = boot->fdt;
	char how[8];
	bool at_boot_entry = cmdline_get("smp.entry", how, sizeof(how)) &&
			     strcmp(how, "boot") == 0;
	unsigned left = 0;
	struct fdt_reg reg;
	int cpus = fdt_path_offset(fdt, "/cpus");
	int node;

	if (cpus < 0)
		return 0;
	for (node = fdt_first_child(fdt, cpus); node >= 0; node = fdt_next_sibling(fdt, node)) {
		if (!node_is_cpu(fdt, node) || fdt_reg(fdt, node, 0, &reg) < 0 ||
		    reg.address == boot->hartid)
			continue;
		if (nr_started == NR_CPUS)
			left++;
		else if (at_boot_entry)
			hart_start(reg.address, (unsigned long)_start, boot->dtb_addr);
		else
			hart_start(reg.address, (unsigned long)secondary_entry, nr_started);
	}
	return left;
}

void smp_init(const struct boot_info *boot)
{
	unsigned long deadline;
	unsigned left;

	smp_cpu_hartid[0] = boot->hartid;
	if (!boot->fdt) {
		pr_warn("smp: no device tree, so no list of harts; running on hart %lu alone\n",
			boot->hartid);
		return;
	}
	left = harts_start(boot);
	if (left)
		pr_warn("smp: %u more harts stay stopped (CONFIG_NR_CPUS=%d)\n", left, NR_CPUS);
	deadline = rdtime() + START_WAIT_TICKS;
	while (__atomic_load_n(&nr_online, __ATOMIC_ACQUIRE) < nr_started && rdtime() < deadline)
		;
	if (smp_online_count() < nr_started)
		panic("smp_init: %u of %u started harts came online",
		      smp_online_count(), nr_started);
	if (smp_boot_entry_redirects)
		pr_info("smp: %u harts entered at _start, not secondary_entry (the firmware's "
			"start race, or smp.entry=boot), and went on as secondaries\n",
			__atomic_load_n(&smp_boot_entry_redirects, __ATOMIC_RELAXED));
	printk("smp: %u harts online (boot hart %lu)\n", smp_online_count(), boot->hartid);
}

unsigned smp_online_count(void)
{
	return __atomic_load_n(&nr_online, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------ */
/* Work on every hart                                                  */
/* ------------------------------------------------------------------ */

void smp_call_all(smp_call_fn fn, void *arg)
{
	unsigned others = smp_online_count() - 1;
	unsigned cpu;

	if (smp_cpu_id() != 0)
		panic("smp_call_all: called on cpu %u, only the boot hart may", smp_cpu_id());
	work.fn = fn;
	work.arg = arg;
	__atomic_store_n(&work.done, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&work.gen, 1, __ATOMIC_RELEASE);
	for (cpu = 1; cpu <= others; cpu++)
		sbi_send_ipi(1, smp_cpu_hartid[cpu]);
	fn(arg, 0);
	while (__atomic_load_n(&work.done, __ATOMIC_ACQUIRE) < others)
		;
}
