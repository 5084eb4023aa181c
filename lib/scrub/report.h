/* Reports as JSON documents (jansson), shared by every command. */
#pragma once

#include <jansson.h>

#include "job.h"
#include "vhive.h"

/* {"path", "kind", "status", "error", "written", "dirty", "replay", image...} */
json_t *vhive_json_job_result(const char *target, const struct vhive_job_result *r);
/* {"controlsets": [...], "totals": {...}} merged into obj. */
int vhive_json_add_scrub(json_t *obj, const struct vhive_scrub_report *rep);
json_t *vhive_json_replay(const struct vhive_replay_result *res);
