/* What the registry editor commands (ls, get, set, delete, export, merge)
 * share: key arguments, change reports, and running their job.
 */
#pragma once

#include "cmds.h"
#include "common.h"

/* Parses a KEY argument, printing the error. */
int ed_keypath(const char *cmd, const char *text, struct vhive_keypath *kp);

/* Runs the merge job (set, delete, merge) on every target, each with its
 * own copy of proto, and reports: wildcards that matched nothing, the
 * changes on a dry run (or -v), or with --json one document. */
int ed_run_merge(const char *cmd, const struct vhive_merge_job *proto, const struct cmd_opts *o);

/* Runs a read-only op (ls, get, export) on every target, each with its own
 * copy of proto, then prints what it produced (a "==> TARGET <==" line
 * before each when there are several), or with --json one document. */
int ed_run_read(const char *cmd, const struct vhive_op *op, const struct vhive_read_job *proto,
                const struct cmd_opts *o);
