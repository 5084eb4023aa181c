/* Rule packs (internal): see vhive.h for the public face. */
#pragma once

#include "vhive.h"

/* Whether name is a pack or rule id: [a-z0-9-]+. */
bool vhive_rules_name_ok(const char *name, size_t len);
/* Whether a SYSTEM rule's key goes through CurrentControlSet. */
bool vhive_rule_key_in_cs(const struct vhive_rule *r, const char *key);
