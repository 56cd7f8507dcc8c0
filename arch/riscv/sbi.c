// SPDX-License-Identifier: MIT
/*
 * SBI calls: ecall with the extension id in a7 and the function id in a6.
 * Hart start (HSM) and IPIs serve CONFIG_SMP (kernel/smp.c).
 * The debug console (DBCN) extension is used when the firmware has it; the
 * legacy putchar call otherwise (OpenSBI 1.1, Debian 12's, has only that).
 */
#include <asm/sbi.h>

/* In .data: sbi_init() runs before .bss is cleared (boot_early()). */
static bool have_dbcn __section(".data"), have_time __section(".data"),
	    have_srst __section(".data");

static struct sbiret sbi_ecall(long ext, long fid, unsigned long a0,
			       unsigned long a1, unsigned long a2)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register long r6 __asm__("a6") = fid;
	register long r7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(r0), "+r"(r1)
			 : "r"(r2), "r"(r6), "r"(r7)
			 : "memory");
	return (struct sbiret){ .error = (long)r0, .value = (long)r1 };
}

static bool sbi_probe_extension(long ext)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, 3, (unsigned long)ext, 0, 0);

	return r.error == 0 && r.value != 0;
}

long sbi_spec_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, 0, 0, 0, 0).value;
}

void sbi_init(void)
{
	have_dbcn = sbi_probe_extension(SBI_EXT_DBCN);
	have_time = sbi_probe_extension(SBI_EXT_TIME);
	have_srst = sbi_probe_extension(SBI_EXT_SRST);
}

bool sbi_has_dbcn(void)
{
	return have_dbcn;
}

void sbi_console_putchar(char c)
{
	if (have_dbcn)
		sbi_ecall(SBI_EXT_DBCN, 2, (unsigned char)c, 0, 0);
	else
		sbi_ecall(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)c, 0, 0);
}

void sbi_set_timer(uint64_t stime_value)
{
	if (have_time)
		sbi_ecall(SBI_EXT_TIME, 0, stime_value, 0, 0);
	else
		sbi_ecall(0x00, 0, stime_value, 0, 0);	/* legacy set_timer */
}

void sbi_shutdown(bool failure)
{
	if (have_srst)	/* type 0 = shutdown, reason 1 = system failure */
		sbi_ecall(SBI_EXT_SRST, 0, 0, failure ? 1 : 0, 0);
	sbi_ecall(0x08, 0, 0, 0, 0);	/* legacy shutdown */
}

#ifdef CONFIG_SMP
long sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, 0, hartid, start, opaque).error;
}

long sbi_send_ipi(unsigned long mask, unsigned long base)
{
	return sbi_ecall(SBI_EXT_IPI, 0, mask, base, 0).error;
}
#endif /* CONFIG_SMP */
