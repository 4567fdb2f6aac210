/* greet-v2.c - libgreet.so.1, second release: same ABI, a politer answer
 * ("greet v2: Hello, NAME!").  Names are capitalised. */
#include <ctype.h>
#include <stdio.h>

#include "greet.h"

const char *greet_version(void)
{
	return "v2";
}

int greet(const char *name, char *buf, size_t n)
{
	char first = name[0] ? (char)toupper((unsigned char)name[0]) : '?';
	return snprintf(buf, n, "greet v2: Hello, %c%s!", first,
			name[0] ? name + 1 : "");
}
