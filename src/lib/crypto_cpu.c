// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which of OpenSSL's ChaCha20 and Poly1305 code paths the lanes run.
 *
 * On a CPU with AVX-512, OpenSSL 3 runs ChaCha20 on 512-bit registers, 16
 * blocks at a time, and Poly1305 on AVX-512 (IFMA where the CPU has it).
 * In a loop of nothing else (bench/crypto_bench) that is the fastest
 * code. A lane runs it for 1-2 us per packet between system calls and
 * the kernel's copies, and on Intel CPUs it then costs more than
 * OpenSSL's 256-bit (AVX2) code: the first ordinary instruction after it
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
 * operator's choice and is left alone ("~0" keeps every path). Other
 * vendors' CPUs (AMD's run AVX-512 at full clock) and other
 * architectures are left alone.
 */
#include "crypto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>

/* The second word of the mask is CPUID leaf 7's EBX (and ECX above it):
 * "~" clears the bits given. Bit 16 is AVX512F, which every AVX-512 path
 * of OpenSSL's ChaCha20 and Poly1305 requires. */
#define CRYPTO_CPU_NO_AVX512 ":~0x10000"

static bool crypto_cpu_intel_avx512(void)
{
	unsigned int max, b, c, d;

	/* Leaf 0: the highest leaf, then "GenuineIntel" in EBX, EDX, ECX. */
	if (!__get_cpuid(0, &max, &b, &c, &d) || max < 7 ||
	    b != 0x756e6547 || d != 0x49656e69 || c != 0x6c65746e)
		return false;
	__cpuid_count(7, 0, max, b, c, d);
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
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || setenv("OPENSSL_ia32cap", CRYPTO_CPU_NO_AVX512, 1) < 0)
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
