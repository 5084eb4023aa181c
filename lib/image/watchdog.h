/* The watchdog of a helper process (watchdog.c): it stops the helper when
 * vhive dies, however it dies. */
#pragma once

#include <sys/types.h>

struct vhive_watchdog {
        pid_t pid; /* 0: none */
        int fd;    /* the pipe it watches: only vhive holds this end */
};

/* Starts watching helper; on failure w->pid stays 0 (no watchdog). */
void vhive_watchdog_start(struct vhive_watchdog *w, pid_t helper);

/* Before a clean shutdown: the watchdog goes quietly. */
void vhive_watchdog_stop(struct vhive_watchdog *w);
