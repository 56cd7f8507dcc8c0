// SPDX-License-Identifier: MIT
/* Memory management bring-up (frames and heap are wired in by their issues). */
#include <mm/mm.h>

void mm_init(void)
{
}
