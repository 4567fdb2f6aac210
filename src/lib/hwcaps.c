/* hwcaps.c - the machine as glibc 2.36's x86-64 loader sees it: which
 * glibc-hwcaps levels (x86-64-v2/v3/v4) are active, the legacy hwcap bits
 * and platform, and the legacy subdirectories (tls/, x86_64/, ...) every
 * search directory is tried under.  `ld.so --help` prints the same lists;
 * tests compare the two. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "ldcache.h"

struct cpu {
	unsigned l1c, l1d, l7b, xc, xcr0;
	int intel;
};

static void read_cpu(struct cpu *c)
{
	unsigned a, b, cx, d, max;
	memset(c, 0, sizeof(*c));
	if (!__get_cpuid(0, &max, &b, &cx, &d))
		return;
	c->intel = b == 0x756e6547 && d == 0x49656e69 && cx == 0x6c65746e;
	__cpuid(1, a, b, c->l1c, c->l1d);
	if (max >= 7)
		__cpuid_count(7, 0, a, c->l7b, cx, d);
	if (__get_cpuid(0x80000001, &a, &b, &cx, &d))
		c->xc = cx;
	if (c->l1c & (1u << 27)) {	/* OSXSAVE: XCR0 says what the OS saves */
		unsigned lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		c->xcr0 = lo;
	}
}

#define BIT(r, n) (((r) >> (n)) & 1u)

void soswap__platform_detect(struct soswap__platform *p)
{
	struct cpu c;
	read_cpu(&c);
	memset(p, 0, sizeof(*p));
	/* "Usable" as glibc means it: the OS saves the register state. */
	int avx_ok = (c.xcr0 & 0x6) == 0x6;
	int avx512_ok = avx_ok && (c.xcr0 & 0xe0) == 0xe0;
	int avx = avx_ok && BIT(c.l1c, 28);
	int avx2 = avx && BIT(c.l7b, 5);
	int fma = avx && BIT(c.l1c, 12);
	int f16c = avx && BIT(c.l1c, 29);
	int lzcnt = BIT(c.xc, 5), movbe = BIT(c.l1c, 22), popcnt = BIT(c.l1c, 23);
	int bmi1 = BIT(c.l7b, 3), bmi2 = BIT(c.l7b, 8);
	int a512f = avx512_ok && BIT(c.l7b, 16), a512dq = a512f && BIT(c.l7b, 17);
	int a512cd = a512f && BIT(c.l7b, 28), a512bw = a512f && BIT(c.l7b, 30);
	int a512vl = a512f && BIT(c.l7b, 31), a512er = a512f && BIT(c.l7b, 27);
	int a512pf = a512f && BIT(c.l7b, 26);

	/* CMOV CX8 FPU FXSR MMX SSE SSE2 */
	if ((c.l1d & 0x07808101u) == 0x07808101u) {
		p->isa_1 |= SOSWAP__ISA_BASELINE;
		if (BIT(c.l1c, 13) && BIT(c.xc, 0) && popcnt && BIT(c.l1c, 0) &&
		    BIT(c.l1c, 9) && BIT(c.l1c, 19) && BIT(c.l1c, 20)) {
			p->isa_1 |= SOSWAP__ISA_V2;
			if (avx && avx2 && f16c && fma && lzcnt && movbe) {
				p->isa_1 |= SOSWAP__ISA_V3;
				if (a512f && a512bw && a512cd && a512dq && a512vl)
					p->isa_1 |= SOSWAP__ISA_V4;
			}
		}
	}

	p->hwcap = 1u << 1;	/* HWCAP_X86_64 */
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	snprintf(p->platform, sizeof(p->platform), "%s", plat ? plat : "x86_64");
	/* glibc overrides the platform (and adds avx512_1) on Intel only. */
	if (c.intel) {
		const char *o = NULL;
		if (a512cd) {
			if (a512er) {
				if (a512pf)
					o = "xeon_phi";
			} else if (a512bw && a512dq && a512vl) {
				p->hwcap |= 1u << 2;	/* HWCAP_X86_AVX512_1 */
			}
		}
		if (!o && avx2 && fma && bmi1 && bmi2 && lzcnt && movbe && popcnt)
			o = "haswell";
		if (o)
			snprintf(p->platform, sizeof(p->platform), "%s", o);
	}
	soswap__platform_finish(p);
}

void soswap__platform_finish(struct soswap__platform *p)
{
	static const char *const levels[] = { "x86-64-v4", "x86-64-v3", "x86-64-v2" };
	static const unsigned bits[] = { SOSWAP__ISA_V4, SOSWAP__ISA_V3, SOSWAP__ISA_V2 };
	p->nsubdirs = 0;
	for (size_t i = 0; i < 3; i++)
		if (p->isa_1 & bits[i])
			p->subdirs[p->nsubdirs++] = levels[i];

	/* Legacy subdirectories: every subset of (hwcap names in bit order,
	 * platform, "tls"), largest subset first, each written from the last
	 * component to the first. */
	const char *comp[4];
	size_t n = 0;
	if (p->hwcap & (1u << 1))
		comp[n++] = "x86_64";
	if (p->hwcap & (1u << 2))
		comp[n++] = "avx512_1";
	if (p->platform[0])
		comp[n++] = p->platform;
	comp[n++] = "tls";
	p->nlegacy = 0;
	for (size_t m = (1u << n); m-- > 0;) {
		char *s = p->legacy[p->nlegacy++];
		s[0] = '\0';
		for (size_t k = n; k-- > 0;)
			if (m & (1u << k)) {
				strncat(s, comp[k], 39 - strlen(s));
				strncat(s, "/", 39 - strlen(s));
			}
	}
}
