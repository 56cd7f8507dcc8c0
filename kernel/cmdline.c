// SPDX-License-Identifier: MIT
/*
 * The kernel command line: /chosen "bootargs" in the device tree, which QEMU
 * fills from -append. Options are space-separated "key=value" words.
 */
#include <lib/fdt.h>
#include <lib/string.h>
#include <mmlab/kernel.h>

static const char *cmdline = "";	/* the bootargs string, inside the tree */

void cmdline_init(const struct fdt *fdt)
{
	const char *line;
	int chosen;

	if (!fdt)
		return;
	chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen >= 0 && fdt_property_string(fdt, chosen, "bootargs", &line) >= 0)
		cmdline = line;
}

const char *cmdline_get(const char *key, char *buf, size_t size)
{
	const char *p;
	size_t klen = strlen(key);

	if (!size)
		return NULL;
	p = cmdline;
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
