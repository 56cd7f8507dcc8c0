// SPDX-License-Identifier: MIT
/*
 * Trap handling. entry.S saves a struct trap_frame and calls trap_handle():
 *  - supervisor timer interrupt: count a tick and program the next one;
 *  - breakpoint (ebreak / c.ebreak): count it and resume after it;
 *  - any other exception: report it by name with sepc and stval, then panic
 *    (panic prints the trap registers while a trap is being handled).
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>
#include <mmlab/trap.h>

extern char trap_entry[];

static const struct trap_frame *current_frame;
static unsigned long breakpoints;
static volatile bool probing, probe_faulted;	/* trap_probe_read() */

const char *const trap_reg_names[31] = {
	"ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
	"a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6",
	"s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const exception_names[] = {
	[EXC_INST_MISALIGNED]	= "Instruction address misaligned",
	[EXC_INST_ACCESS]	= "Instruction access fault",
	[EXC_ILLEGAL_INST]	= "Illegal instruction",
	[EXC_BREAKPOINT]	= "Breakpoint",
	[EXC_LOAD_MISALIGNED]	= "Load address misaligned",
	[EXC_LOAD_ACCESS]	= "Load access fault",
	[EXC_STORE_MISALIGNED]	= "Store/AMO address misaligned",
	[EXC_STORE_ACCESS]	= "Store/AMO access fault",
	[EXC_ECALL_U]		= "Environment call from U-mode",
	[EXC_ECALL_S]		= "Environment call from S-mode",
	[EXC_INST_PAGE_FAULT]	= "Instruction page fault",
	[EXC_LOAD_PAGE_FAULT]	= "Load page fault",
	[EXC_STORE_PAGE_FAULT]	= "Store/AMO page fault",
};

const char *trap_cause_name(unsigned long scause)
{
	unsigned long code = scause & ~SCAUSE_INTERRUPT;

	if (scause & SCAUSE_INTERRUPT)
		return code == IRQ_S_TIMER ? "Supervisor timer interrupt" : "Interrupt";
	if (code < ARRAY_SIZE(exception_names) && exception_names[code])
		return exception_names[code];
	return "Unknown exception";
}

void trap_init(void)
{
	csr_write(stvec, (unsigned long)trap_entry);
}

const struct trap_frame *trap_current_frame(void)
{
	return current_frame;
}

unsigned long trap_breakpoint_count(void)
{
	return breakpoints;
}

void trap_frame_print(const struct trap_frame *tf)
{
	unsigned i;

	printk(" sepc: 0x%016lx  scause: 0x%016lx  stval: 0x%016lx\n",
	       tf->sepc, tf->scause, tf->stval);
	printk(" sstatus: 0x%016lx\n", tf->sstatus);
	for (i = 0; i < ARRAY_SIZE(tf->regs); i++)
		printk(" %3s: 0x%016lx%s", trap_reg_names[i], tf->regs[i],
		       i % 4 == 3 || i == ARRAY_SIZE(tf->regs) - 1 ? "\n" : " ");
}

/* Length of the instruction at @pc: 2 for compressed, 4 otherwise. */
static unsigned long insn_length(unsigned long pc)
{
	return (*(const uint16_t *)pc & 3) == 3 ? 4 : 2;
}

bool trap_probe_read(unsigned long addr)
{
	probe_faulted = false;
	probing = true;
	(void)*(volatile const uint8_t *)addr;
	probing = false;
	return !probe_faulted;
}

/*
 * Traps nest only when the handling of one faults (interrupts stay off in
 * the handler): a fault in panic()'s printing, or in the exit. Past this
 * depth nothing more is tried but one line and an SBI shutdown, so a fault
 * that repeats cannot run the stack down through the kernel image.
 */
#define TRAP_NEST_MAX	3

static __noreturn void trap_nest_stop(const struct trap_frame *tf)
{
	static const char msg[] = "trap: faults nested too deep; stopping\n";
	const char *p;

	for (p = msg; *p; p++)
		sbi_console_putchar(*p);
	(void)tf;
	sbi_shutdown(true);
	for (;;)
		__asm__ volatile("wfi");
}

void trap_handle(struct trap_frame *tf)
{
	static unsigned depth;
	const struct trap_frame *outer = current_frame;
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;

	if (++depth > TRAP_NEST_MAX)
		trap_nest_stop(tf);
	current_frame = tf;
	if (tf->scause & SCAUSE_INTERRUPT) {
		if (code != IRQ_S_TIMER)
			panic("trap_handle: unexpected interrupt %lu", code);
		timer_handle();
	} else if (code == EXC_BREAKPOINT) {
		breakpoints++;
		tf->sepc += insn_length(tf->sepc);
	} else if (probing && code == EXC_LOAD_ACCESS) {
		probe_faulted = true;
		tf->sepc += insn_length(tf->sepc);
	} else {
		printk("trap: unexpected exception: %s (scause %lu) at sepc=0x%lx stval=0x%lx\n",
		       trap_cause_name(tf->scause), code, tf->sepc, tf->stval);
		panic("trap_handle: %s at 0x%lx", trap_cause_name(tf->scause), tf->sepc);
	}
	current_frame = outer;
	depth--;
}
