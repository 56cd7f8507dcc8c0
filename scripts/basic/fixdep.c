// SPDX-License-Identifier: MIT
/*
 * fixdep - turn a gcc dependency file into a Kbuild .cmd file.
 *
 *   fixdep DEPFILE TARGET CMDLINE > DIR/.TARGET.cmd
 *
 * gcc -MD lists every header a file includes, and every file includes the
 * generated autoconf.h, so any configuration change would rebuild
 * everything. fixdep drops autoconf.h and instead scans each dependency for
 * CONFIG_FOO_BAR words, adding a dependency on include/config/foo/bar.h:
 * `genconfig --sync-deps include/config` touches exactly the files of the
 * symbols whose value changed, so only their users are rebuilt.
 *
 * Output (make syntax):
 *   savedcmd_TARGET := CMDLINE
 *   deps_TARGET := file ... $(wildcard include/config/foo/bar.h) ...
 *   TARGET: $(deps_TARGET)
 *   $(deps_TARGET):
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SYMS 4096

static char *seen[MAX_SYMS];
static int nseen;

/* Read a whole file into a NUL-terminated buffer; NULL if it cannot be read. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Print a dependency on the symbol's timestamp file, once per symbol. */
static void use_symbol(const char *name, size_t len)
{
	char *s;
	int i;

	for (i = 0; i < nseen; i++)
		if (strlen(seen[i]) == len && !memcmp(seen[i], name, len))
			return;
	if (nseen == MAX_SYMS)
		return;
	s = strndup(name, len);
	seen[nseen++] = s;
	printf("    $(wildcard include/config/");
	for (i = 0; i < (int)len; i++)
		putchar(s[i] == '_' ? '/' : tolower((unsigned char)s[i]));
	printf(".h) \\\n");
}

/* Find CONFIG_ words in one dependency. */
static void scan_file(const char *path)
{
	size_t len, i;
	char *buf = read_file(path, &len);

	if (!buf)
		return;
	for (i = 0; i + 7 < len; i++) {
		size_t start, end;

		if (memcmp(buf + i, "CONFIG_", 7) != 0)
			continue;
		if (i > 0 && (isalnum((unsigned char)buf[i - 1]) || buf[i - 1] == '_'))
			continue;
		start = i + 7;
		end = start;
		while (end < len && (isalnum((unsigned char)buf[end]) || buf[end] == '_'))
			end++;
		if (end > start)
			use_symbol(buf + start, end - start);
		i = end;
	}
	free(buf);
}

static int is_ignored(const char *dep)
{
	size_t n = strlen(dep);
	const char *autoconf = "include/generated/autoconf.h";
	size_t m = strlen(autoconf);

	return n >= m && !strcmp(dep + n - m, autoconf);
}

int main(int argc, char **argv)
{
	size_t len;
	char *buf, *p, *tok;
	int first_seen = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: fixdep DEPFILE TARGET CMDLINE\n");
		return 2;
	}
	buf = read_file(argv[1], &len);
	if (!buf) {
		fprintf(stderr, "fixdep: cannot read %s\n", argv[1]);
		return 1;
	}
	printf("savedcmd_%s := %s\n\n", argv[2], argv[3]);
	printf("deps_%s := \\\n", argv[2]);

	/* Tokens are separated by blanks and backslash-newlines; the first
	 * token ending in ':' is the target. */
	for (p = buf; *p; p++)
		if (*p == '\\' && p[1] == '\n')
			*p = ' ';
	for (tok = strtok(buf, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		size_t n = strlen(tok);

		if (!first_seen) {
			if (n && tok[n - 1] == ':')
				first_seen = 1;
			continue;
		}
		if (is_ignored(tok))
			continue;
		printf("    %s \\\n", tok);
		scan_file(tok);
	}
	printf("\n%s: $(deps_%s)\n\n$(deps_%s):\n", argv[2], argv[2], argv[2]);
	free(buf);
	return 0;
}
