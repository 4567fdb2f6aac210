/* libhello - the example library soswap's demo inspects and upgrades. */
#include <stdio.h>
const char *hello_version(void) { return "1.0.0"; }
int hello_greet(char *buf, unsigned long n) { return snprintf(buf, n, "hello from libhello 1.0"); }
