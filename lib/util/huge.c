/* Large buffers on transparent huge pages.  On VMs a page fault is dear
 * (one per 4 KiB page: 3000 for a 12 MB hive), and where the system gives
 * huge pages on request (THP "madvise", the usual default) a buffer asks
 * for them before it is first touched, as glibc's glibc.malloc.hugetlb=1
 * does for every large allocation.  The command sets that tunable (a
 * re-exec) only for the commands whose hivex writer copies the hive into
 * memory of its own; the library's own hive-sized buffers ask here. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "macro.h"

#define HUGE_PAGE (2u * 1024 * 1024)

void vhive_huge_hint(void *p, size_t len)
{
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start;

        if (!p || len < HUGE_PAGE || page == 0 || page == (uintptr_t)-1)
                return;
        start = (uintptr_t)p & ~(page - 1);
        /* Only the 2 MiB-aligned part inside gets huge pages; a failure
         * (no THP) only costs the faults it would have saved. */
        (void)madvise((void *)start, len + ((uintptr_t)p - start), MADV_HUGEPAGE);
}

/* Fresh zeroed memory about to be read and written all over (the cells'
 * reference counts): its pages in one call, not a read fault (the zero
 * page) and then a write fault (a copy of it) per page.  Older kernels
 * refuse: the faults happen as before. */
void vhive_populate_hint(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start;

        if (!p || len == 0 || page == 0 || page == (uintptr_t)-1)
                return;
        start = (uintptr_t)p & ~(page - 1);
        (void)madvise((void *)start, len + ((uintptr_t)p - start), MADV_POPULATE_WRITE);
#else
        (void)p;
        (void)len;
#endif
}
