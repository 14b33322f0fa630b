/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration-file helpers shared by the appliances' configuration suites: write a text to
 * a fresh temporary file, and check that a loader's error output names a problem.
 * Include after <cmocka.h>.
 */
#ifndef CONF_FILE_H
#define CONF_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Write @p text to a new file made from @p pattern ("/tmp/xyz-XXXXXX"), named in @p path. */
static inline void
conf_file_write(char *path, size_t cap, const char *pattern, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, cap, "%s", pattern);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Fail, showing @p haystack, unless it contains @p needle. */
static inline void
assert_has(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL) {
		print_error("missing \"%s\" in:\n%s", needle, haystack);
		fail();
	}
}

#endif /* CONF_FILE_H */
