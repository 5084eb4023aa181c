/* The scrub's report, shared by "scrub" and "check". */
#pragma once

#include <getopt.h>

#include "common.h"

/* Runs the scrub (or, for "check", the read-only walk) over o's targets
 * and prints the report (text or JSON).  Returns the exit code. */
int scrub_run_and_report(const char *command, const struct cmd_opts *o);
