/* icount_main.c — instructions for one compiled model (prefix b) on a
 * bare-metal target under QEMU -icount shift=0, run as run_model.h says.
 * Counts are deterministic (runtime/rt.h). Prints one JSON object. */
#include <stdio.h>
#include "b.h"
#include "rt.h"

#include "run_model.h"

int main(void)
{
	uint64_t enc, steps;
	if (run_model(&enc, &steps))
		return 1;
	printf("{\"encoder_insns\": %llu, \"steps_insns\": %llu, \"steps\": %d}\n",
	       (unsigned long long)enc, (unsigned long long)steps, T);
	return 0;
}
