/* rt.h — the bare-metal runtime's one API: an instruction counter.
 *
 * Under QEMU with `-icount shift=0` the virtual clock advances exactly 1 ns
 * per guest instruction, so a timer driven by that clock counts
 * instructions, repeatably from run to run.
 *
 *   uint64_t t0 = rt_icount();
 *   m_decode_step(tok, logits);
 *   uint64_t n = rt_icount() - t0;      // instructions, incl. ~rt_overhead
 *
 * Cortex-M: SysTick on the processor clock (mps2: 25 MHz, one tick per
 *   40 instructions; mps3-an547: 32 MHz, one tick per 31.25 instructions).
 *   rt_icount() is ticks * 1e9 / RT_SYSCLK_HZ, so its resolution is one
 *   tick (40 or 31.25 instructions). The 24-bit counter wraps every 2^24
 *   ticks; an interrupt counts the wraps, so the count is 64-bit.
 * RISC-V: the instret CSR, resolution one instruction.
 * Without -icount the numbers follow host time and mean nothing.
 */
#ifndef RT_H
#define RT_H

#include <stdint.h>

/* raw timer ticks since reset (Cortex-M: SysTick ticks; RISC-V: instret) */
uint64_t rt_ticks(void);
/* guest instructions since reset, valid under QEMU -icount shift=0 */
uint64_t rt_icount(void);
/* rt_icount() of an empty interval (two back-to-back calls): subtract it
 * from a measurement of a short call */
uint64_t rt_icount_overhead(void);

#endif
