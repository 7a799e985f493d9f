/* rt.h for the host: bench/profile_main.c's counter as the x86 time-stamp
 * counter (cycles at the nominal clock), where runtime/rt.h counts a
 * bare-metal target's instructions under QEMU. bench/bench.py --profile
 * puts this directory first on the include path for the x86 profile. */
#ifndef RT_H
#define RT_H
#include <stdint.h>
#include <x86intrin.h>

__attribute__((no_instrument_function)) static inline uint64_t rt_icount(void)
{
	return __rdtsc();
}
#endif
