/* Progress on stderr while a run works (cmd/progress.c). */
#pragma once

#include "options.h"

/* When progress is wanted (a terminal, or --progress), sets the run's
 * callback in o and starts drawing; targets name the lines. */
void progress_begin(struct cmd_opts *o, char *const *targets, size_t n);
/* Clears the line and stops; o's callback is unset. */
void progress_end(struct cmd_opts *o);
