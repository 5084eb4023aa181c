/* crashshim.so: an LD_PRELOAD library that stops vhive (SIGKILL, as a
 * cancelled CI job or a power cut would) right after the k-th write or
 * flush it sends to qemu-nbd, to test every crash point of an image write.
 *
 *   VHIVE_CRASH_AT=k      kill after the k-th nbd_pwrite/nbd_flush (1-based)
 *   VHIVE_CRASH_COUNT=F   at exit, write how many there were to F (a run
 *                         without VHIVE_CRASH_AT tells the loop its range)
 *
 * libnbd is loaded with the direct backend module (dlopen, RTLD_LOCAL), so
 * the real calls are looked up in it by name rather than with RTLD_NEXT.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long count, crash_at;

static void *real(const char *name)
{
        void *h = dlopen("libnbd.so.0", RTLD_NOW | RTLD_NOLOAD);
        void *f = h ? dlsym(h, name) : NULL;

        if (!f) {
                fprintf(stderr, "crashshim: no %s in libnbd\n", name);
                abort();
        }
        return f;
}

static void counted(void)
{
        count++;
        if (crash_at && count == crash_at)
                kill(getpid(), SIGKILL);
}

int nbd_pwrite(void *h, const void *buf, size_t count_, uint64_t offset, uint32_t flags)
{
        static int (*fn)(void *, const void *, size_t, uint64_t, uint32_t);
        int r;

        if (!fn)
                fn = real("nbd_pwrite");
        r = fn(h, buf, count_, offset, flags);
        counted();
        return r;
}

int nbd_flush(void *h, uint32_t flags)
{
        static int (*fn)(void *, uint32_t);
        int r;

        if (!fn)
                fn = real("nbd_flush");
        r = fn(h, flags);
        counted();
        return r;
}

__attribute__((constructor)) static void init(void)
{
        const char *at = getenv("VHIVE_CRASH_AT");

        crash_at = at ? strtoul(at, NULL, 10) : 0;
}

__attribute__((destructor)) static void report(void)
{
        const char *path = getenv("VHIVE_CRASH_COUNT");
        FILE *f = path ? fopen(path, "w") : NULL;

        if (f) {
                fprintf(f, "%lu\n", count);
                fclose(f);
        }
}
