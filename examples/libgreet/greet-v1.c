/* greet-v1.c - libgreet.so.1, first release: "greet v1: hello NAME". */
#include <stdio.h>

#include "greet.h"

const char *greet_version(void)
{
	return "v1";
}

int greet(const char *name, char *buf, size_t n)
{
	return snprintf(buf, n, "greet v1: hello %s", name);
}
