// SPDX-License-Identifier: MIT
/*
 * The kernel command line: /chosen "bootargs" in the device tree, which QEMU
 * fills from -append. Options are space-separated "key=value" words.
 */
#include <lib/fdt.h>
#include <lib/string.h>
#include <mmlab/kernel.h>

/* Point *@line at the bootargs string; false when there is none. */
static bool cmdline_string(const char **line)
{
	int chosen;

	if (!boot_fdt)
		return false;
	chosen = fdt_path_offset(boot_fdt, "/chosen");
	return chosen >= 0 && fdt_property_string(boot_fdt, chosen, "bootargs", line) >= 0;
}

const char *cmdline_get(const char *key, char *buf, size_t size)
{
	const char *p;
	size_t klen = strlen(key);

	if (!size || !cmdline_string(&p))
		return NULL;
	while (*p) {
		size_t n = 0;
		const char *word;

		while (*p == ' ')
			p++;
		word = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - word) > klen && !strncmp(word, key, klen) &&
		    word[klen] == '=') {
			const char *v = word + klen + 1;

			while (v + n < p && n + 1 < size) {
				buf[n] = v[n];
				n++;
			}
			buf[n] = '\0';
			return buf;
		}
	}
	return NULL;
}
