// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which of OpenSSL's ChaCha20 and Poly1305 code paths the lanes run.
 *
 * On a CPU with AVX-512, OpenSSL 3 runs ChaCha20 on 512-bit registers, 16
 * blocks at a time, and Poly1305 on AVX-512 (IFMA where the CPU has it).
 * In a loop of nothing else (bench/crypto_bench) that is the fastest
 * code. A lane runs it for 1-2 us per packet between system calls and
 * the kernel's copies, and on Intel CPUs it then costs more than
 * OpenSSL's 256-bit code (AVX-512VL on ymm registers for ChaCha20, AVX2
 * for Poly1305): the first ordinary instruction after it
 * stalls (perf charges 5-8% of a lane's time to one such instruction),
 * and the core runs it at a lower clock. Measured with bench/run --ref,
 * one stream, 7 runs of 5 s, the two alternating: 3.86 against 3.32
 * Gbit/s and 3.53 against 4.15 CPU s/GB for the 256-bit code, and in a
 * run of 9, 3.84 against 2.49 and 3.59 against 5.75 (docs/design.md
 * section 4, "The AEAD per packet"). Linux's own x86 ChaCha20 uses at
 * most 256-bit registers too.
 *
 * OpenSSL reads its capability mask, OPENSSL_ia32cap, only when libcrypto
 * is loaded (its x86-64 .init code calls OPENSSL_cpuid_setup), so the
 * choice takes one exec of ourselves with the variable set, before
 * anything else. An OPENSSL_ia32cap already in the environment is the
 * operator's choice and is left alone ("~0:~0:~0:~0:~0" keeps every
 * path; "~0" alone would zero the second word, AVX2 with it). Other
 * vendors' CPUs (AMD's run AVX-512 at full clock) and other
 * architectures are left alone.
 */
#include "crypto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>

/*
 * The mask's words, ':'-separated: "~X" keeps the CPU's bits but X, an
 * empty first word keeps them all, and a word not given is zero (its
 * features off). The second word is CPUID leaf 7's EBX (ECX above it);
 * its bit 16 is AVX512F, which every AVX-512 path of OpenSSL's ChaCha20
 * and Poly1305 requires. OpenSSL 3.0-3.3 read two words, 3.4 and later
 * five: the three "~0" keep the newer ones.
 */
#define CRYPTO_CPU_NO_AVX512 ":~0x10000:~0:~0:~0"

/* XCR0: the register state that the kernel saves, and so lets us use. */
static uint64_t crypto_cpu_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* An Intel CPU whose AVX-512 OpenSSL would use: the CPU has AVX512F and
 * the kernel saves the AVX-512 state (XCR0 bits 1, 2 and 5-7), which is
 * what OpenSSL checks too, and what /proc/cpuinfo's avx512f flag says. */
static bool crypto_cpu_intel_avx512(void)
{
	unsigned int max, a, b, c, d;

	/* Leaf 0: the highest leaf, then "GenuineIntel" in EBX, EDX, ECX. */
	if (!__get_cpuid(0, &max, &b, &c, &d) || max < 7 ||
	    b != 0x756e6547 || d != 0x49656e69 || c != 0x6c65746e)
		return false;
	__cpuid(1, a, b, c, d);
	if (!(c & bit_OSXSAVE) || (crypto_cpu_xcr0() & 0xe6) != 0xe6)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return b & bit_AVX512F;
}

/*
 * The exec is of our own file by its name, which /proc/self/exe gives:
 * executing /proc/self/exe itself would rename the process "exe" for ps,
 * top and the logs.
 */
void crypto_cpu_select(char *const argv[])
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("OPENSSL_ia32cap") || !crypto_cpu_intel_avx512())
		return;
	n = readlink("/proc/self/exe", self, sizeof(self));
	if (n <= 0 || (size_t)n >= sizeof(self) ||	/* none, or cut short */
	    setenv("OPENSSL_ia32cap", CRYPTO_CPU_NO_AVX512, 1) < 0)
		return;
	self[n] = '\0';
	execv(self, argv);
	/* Still here (no /proc, or the file was replaced since: its link
	 * then ends in " (deleted)"): run on with the paths as loaded. The
	 * variable stays set, so a later exec does not try again. */
}
#else
void crypto_cpu_select(char *const argv[])
{
	(void)argv;
}
#endif
