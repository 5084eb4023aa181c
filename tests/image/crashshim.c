/* crashshim.so: an LD_PRELOAD library that stops vhive (SIGKILL, as a
 * cancelled CI job would) at the k-th write or flush it sends to the image:
 * nbd_pwrite/nbd_flush to qemu-nbd (direct backend), guestfs_pwrite/
 * guestfs_debug (the fsync of a file, vhive's flush) or guestfs_sync to
 * the appliance.  To test every crash point of a write.
 *
 *   VHIVE_CRASH_AT=k        kill after the k-th such call (1-based)
 *   VHIVE_CRASH_DELAY_US=d  instead: kill d microseconds after the k-th call
 *                           starts (mid-call, or later in the next ones)
 *   VHIVE_CRASH_COUNT=F     at exit, write how many there were to F (a run
 *                           without VHIVE_CRASH_AT tells the loop its range)
 *
 * And a signal vhive is to survive, for the interruption tests:
 *   VHIVE_SIGNAL=N          the signal
 *   VHIVE_SIGNAL_IN=NAME:K  sent when the K-th call of NAME starts (one of
 *                           the calls below, or guestfs_launch,
 *                           guestfs_download, guestfs_pread, nbd_connect_unix,
 *                           nbd_pread)
 *   VHIVE_SIGNAL_DELAY_US=d instead: sent d microseconds later, from
 *                           another thread, to the calling one (a blocking
 *                           call in progress sees EINTR)
 *   VHIVE_SIGNAL_COUNT=F    at exit, write how many calls of NAME there were
 *
 * The libraries are loaded with the backend modules (dlopen, RTLD_LOCAL),
 * so the real calls are looked up in them by name, not with RTLD_NEXT.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long count, crash_at, delay_us;
static bool delayed;
static int sig_no;
static char sig_in[64];
static unsigned long sig_k = 1, sig_seen, sig_delay_us;
static bool sig_delayed;
static pthread_t sig_caller;

static void *real(const char *lib, const char *name)
{
        void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
        void *f = h ? dlsym(h, name) : NULL;

        if (!f) {
                fprintf(stderr, "crashshim: no %s in libnbd\n", name);
                abort();
        }
        return f;
}

static void *killer(void *arg)
{
        struct timespec ts = { delay_us / 1000000, delay_us % 1000000 * 1000 };

        (void)arg;
        nanosleep(&ts, NULL);
        kill(getpid(), SIGKILL);
        return NULL;
}

static void *signaller(void *arg)
{
        struct timespec ts = { sig_delay_us / 1000000, sig_delay_us % 1000000 * 1000 };

        (void)arg;
        nanosleep(&ts, NULL);
        pthread_kill(sig_caller, sig_no);
        return NULL;
}

/* At the start of every interposed call: the signal, at the K-th of NAME. */
static void maybe_signal(const char *name)
{
        pthread_t t;

        if (strcmp(name, sig_in) != 0 || ++sig_seen != sig_k || !sig_no)
                return;
        sig_caller = pthread_self();
        if (!sig_delayed)
                pthread_kill(sig_caller, sig_no);
        else if (pthread_create(&t, NULL, signaller, NULL) == 0)
                pthread_detach(t);
}

/* Before each call: arm the delayed kill at the k-th. */
static void starting(void)
{
        pthread_t t;

        if (delayed && crash_at && count + 1 == crash_at)
                pthread_create(&t, NULL, killer, NULL);
}

static void counted(void)
{
        count++;
        if (!delayed && crash_at && count == crash_at)
                kill(getpid(), SIGKILL);
}

/* The interposed calls, as libnbd and libguestfs declare them. */
int nbd_pwrite(void *h, const void *buf, size_t count_, uint64_t offset, uint32_t flags);
int nbd_flush(void *h, uint32_t flags);
int guestfs_pwrite(void *g, const char *path, const char *content, size_t size, int64_t off);
int guestfs_sync(void *g);
char *guestfs_debug(void *g, const char *subcmd, char *const *extraargs);

int nbd_pwrite(void *h, const void *buf, size_t count_, uint64_t offset, uint32_t flags)
{
        static int (*fn)(void *, const void *, size_t, uint64_t, uint32_t);
        int r;

        if (!fn)
                fn = real("libnbd.so.0", "nbd_pwrite");
        maybe_signal("nbd_pwrite");
        starting();
        r = fn(h, buf, count_, offset, flags);
        counted();
        return r;
}

int nbd_flush(void *h, uint32_t flags)
{
        static int (*fn)(void *, uint32_t);
        int r;

        if (!fn)
                fn = real("libnbd.so.0", "nbd_flush");
        maybe_signal("nbd_flush");
        starting();
        r = fn(h, flags);
        counted();
        return r;
}

int guestfs_pwrite(void *g, const char *path, const char *content, size_t size, int64_t off)
{
        static int (*fn)(void *, const char *, const char *, size_t, int64_t);
        int r;

        if (!fn)
                fn = real("libguestfs.so.0", "guestfs_pwrite");
        maybe_signal("guestfs_pwrite");
        starting();
        r = fn(g, path, content, size, off);
        counted();
        return r;
}

int guestfs_sync(void *g)
{
        static int (*fn)(void *);
        int r;

        if (!fn)
                fn = real("libguestfs.so.0", "guestfs_sync");
        maybe_signal("guestfs_sync");
        starting();
        r = fn(g);
        counted();
        return r;
}

char *guestfs_debug(void *g, const char *subcmd, char *const *extraargs)
{
        static char *(*fn)(void *, const char *, char *const *);
        char *r;

        if (!fn)
                fn = real("libguestfs.so.0", "guestfs_debug");
        maybe_signal("guestfs_debug");
        starting();
        r = fn(g, subcmd, extraargs);
        counted();
        return r;
}

/* Signal points only: no kill is counted on them. */
int guestfs_launch(void *g);
int guestfs_download(void *g, const char *remote, const char *local);
char *guestfs_pread(void *g, const char *path, int len, int64_t offset, size_t *size_r);
int nbd_connect_unix(void *h, const char *path);
int64_t nbd_pread(void *h, void *buf, size_t count_, uint64_t offset, uint32_t flags);

int guestfs_launch(void *g)
{
        static int (*fn)(void *);

        if (!fn)
                fn = real("libguestfs.so.0", "guestfs_launch");
        maybe_signal("guestfs_launch");
        return fn(g);
}

int guestfs_download(void *g, const char *remote, const char *local)
{
        static int (*fn)(void *, const char *, const char *);

        if (!fn)
                fn = real("libguestfs.so.0", "guestfs_download");
        maybe_signal("guestfs_download");
        return fn(g, remote, local);
}

/* The appliance backend copies a hive out with guestfs_pread. */
char *guestfs_pread(void *g, const char *path, int len, int64_t offset, size_t *size_r)
{
        static char *(*fn)(void *, const char *, int, int64_t, size_t *);

        if (!fn)
                fn = real("libguestfs.so.0", "guestfs_pread");
        maybe_signal("guestfs_pread");
        return fn(g, path, len, offset, size_r);
}

int nbd_connect_unix(void *h, const char *path)
{
        static int (*fn)(void *, const char *);

        if (!fn)
                fn = real("libnbd.so.0", "nbd_connect_unix");
        maybe_signal("nbd_connect_unix");
        return fn(h, path);
}

int64_t nbd_pread(void *h, void *buf, size_t count_, uint64_t offset, uint32_t flags)
{
        static int64_t (*fn)(void *, void *, size_t, uint64_t, uint32_t);

        if (!fn)
                fn = real("libnbd.so.0", "nbd_pread");
        maybe_signal("nbd_pread");
        return fn(h, buf, count_, offset, flags);
}

static void signal_setup(void)
{
        const char *n = getenv("VHIVE_SIGNAL");
        const char *in = getenv("VHIVE_SIGNAL_IN");
        const char *d = getenv("VHIVE_SIGNAL_DELAY_US");
        char *colon;

        sig_no = n ? atoi(n) : 0;
        snprintf(sig_in, sizeof(sig_in), "%s", in ? in : "");
        colon = strchr(sig_in, ':');
        if (colon) {
                *colon = '\0';
                sig_k = strtoul(colon + 1, NULL, 10);
        }
        sig_delayed = d != NULL;
        sig_delay_us = d ? strtoul(d, NULL, 10) : 0;
}

__attribute__((constructor)) static void init(void)
{
        const char *at = getenv("VHIVE_CRASH_AT");

        const char *d = getenv("VHIVE_CRASH_DELAY_US");

        crash_at = at ? strtoul(at, NULL, 10) : 0;
        delayed = d != NULL;
        delay_us = d ? strtoul(d, NULL, 10) : 0;
        signal_setup();
}

__attribute__((destructor)) static void report(void)
{
        const char *path = getenv("VHIVE_CRASH_COUNT");
        FILE *f = path ? fopen(path, "w") : NULL;

        if (f) {
                fprintf(f, "%lu\n", count);
                fclose(f);
        }
        path = getenv("VHIVE_SIGNAL_COUNT");
        f = path ? fopen(path, "w") : NULL;
        if (f) {
                fprintf(f, "%lu\n", sig_seen);
                fclose(f);
        }
}
