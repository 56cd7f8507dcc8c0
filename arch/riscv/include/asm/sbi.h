/* SPDX-License-Identifier: MIT */
/*
 * Calls into the SBI firmware (OpenSBI): console output, the timer and
 * system reset. See the RISC-V SBI specification.
 */
#ifndef ASM_SBI_H
#define ASM_SBI_H

#define SBI_EXT_LEGACY_PUTCHAR	0x01
#define SBI_EXT_BASE		0x10
#define SBI_EXT_TIME		0x54494d45	/* "TIME" */
#define SBI_EXT_SRST		0x53525354	/* "SRST" */
#define SBI_EXT_DBCN		0x4442434e	/* "DBCN" */
#define SBI_EXT_HSM		0x48534d	/* "HSM": hart state management */
#define SBI_EXT_IPI		0x735049	/* "sPI": inter-processor interrupts */

#ifndef __ASSEMBLY__
#include <mmlab/compiler.h>

struct sbiret {
	long error;
	long value;
};

/* sbi_init - probe the optional extensions once at boot. */
void sbi_init(void);

/* sbi_console_putchar - one byte to the firmware console (DBCN if present, legacy otherwise). */
void sbi_console_putchar(char c);

/* sbi_set_timer - next timer interrupt at absolute time @stime_value. */
void sbi_set_timer(uint64_t stime_value);

/* sbi_shutdown - ask the firmware to power off; returns only if it refuses. */
void sbi_shutdown(bool failure);

/* sbi_spec_version - "major.minor" packed as the base extension returns it. */
long sbi_spec_version(void);

/* sbi_has_dbcn - whether the debug-console extension is in use. */
bool sbi_has_dbcn(void);

/*
 * sbi_hart_start - start the stopped hart @hartid in S-mode at physical
 * address @start with a0 = @hartid and a1 = @opaque, MMU off (HSM, FID 0).
 * Return: 0, or the SBI error (negative: the hart does not exist, is not
 * stopped, or the firmware lacks HSM).
 */
long sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque);

/*
 * sbi_send_ipi - raise a supervisor software interrupt on the harts whose
 * bits are set in @mask, bit 0 being hart @base (IPI extension, FID 0).
 * Return: 0 or the SBI error.
 */
long sbi_send_ipi(unsigned long mask, unsigned long base);
#endif /* !__ASSEMBLY__ */

#endif /* ASM_SBI_H */
