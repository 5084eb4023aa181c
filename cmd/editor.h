/* What the registry editor commands (ls, get, set, delete, export, merge)
 * share: key arguments, change reports, and running their job.
 */
#pragma once

#include "cmds.h"
#include "common.h"

/* Parses a KEY argument, printing the error. */
int ed_keypath(const char *cmd, const char *text, struct vhive_keypath *kp);

/* Runs the merge job (set, delete, merge) on one target and reports:
 * wildcards that matched nothing, and the changes on a dry run (or -v). */
int ed_run_merge(const char *target, struct vhive_merge_job *j, const struct cmd_opts *o);

/* Runs a read-only op (ls, get, export) on one target, then prints what
 * it produced. */
int ed_run_read(const char *target, const struct vhive_op *op, struct vhive_read_job *c,
                const struct cmd_opts *o);
