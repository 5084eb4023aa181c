/* The watchdog of a helper process (watchdog.c): it stops the helper when
 * vhive dies, however it dies. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct vhive_watchdog_shared; /* one shared page: the helper's pid, a write went out */

struct vhive_watchdog {
        pid_t pid; /* 0: none */
        int fd;    /* the pipe it watches: only vhive holds this end */
        struct vhive_watchdog_shared *shared;
};

/* Starts watching helper; on failure w->pid stays 0 (no watchdog).  helper
 * 0: a child named qemu* that the calling thread is still starting (the
 * appliance's qemu, whose pid libguestfs gives only after its launch); the
 * watchdog looks for it until vhive_watchdog_set_helper names it, and
 * kills every such child of that thread it last saw.  cache:
 * the helper holds a writable image whose format keeps metadata in memory
 * until a flush or an orderly exit (qcow2's L2 tables and refcounts).  Only
 * then, and once vhive_watchdog_writing was called, does the watchdog ask
 * the helper to quit (SIGTERM) before killing it; otherwise SIGKILL at
 * once: the image is free as soon as vhive is gone. */
void vhive_watchdog_start(struct vhive_watchdog *w, pid_t helper, bool cache);

/* The same for a helper about to be forked from vhive, which names itself
 * (vhive_watchdog_name_self) before its exec: no child is looked for. */
void vhive_watchdog_start_unborn(struct vhive_watchdog *w, bool cache);

/* The helper's pid, once known (after a start with helper 0). */
void vhive_watchdog_set_helper(struct vhive_watchdog *w, pid_t helper);

/* In a helper just forked from vhive, before its exec: names itself to the
 * watchdog started for it (vhive_watchdog_start_unborn; async-signal-safe).  The child holds
 * the watched pipe until its exec, so the watchdog, which acts on the
 * pipe's end, always finds the helper named: a vhive killed between its
 * fork and anything after it cannot leave the helper running. */
void vhive_watchdog_name_self(struct vhive_watchdog *w);

/* Before the first write through the helper. */
void vhive_watchdog_writing(struct vhive_watchdog *w);

/* Before a clean shutdown: the watchdog goes quietly. */
void vhive_watchdog_stop(struct vhive_watchdog *w);
