/* Interruption by SIGINT, SIGTERM, SIGHUP (signals.c). */
#pragma once

/* Records those signals for the library (vhive_interrupt), unless ignored. */
void signals_install(void);

/* status, or 128 + the signal when one was recorded. */
int signals_exit_status(int status);
