/*
 * plan.h - the plan of an alert when the catalog does not know its type.
 *
 * From productComponentName (e.g. "Storage", "KeyVaults", "SqlServers"), and
 * from the alertType prefix (VM_ Servers, ARM_/RM_ ResourceManager, Storage.
 * Storage, KV_ KeyVault, SQL./Synapse. SQL, CosmosDB_ CosmosDB, AzureDNS_ DNS,
 * K8S Containers, AppServices_ AppService, API_ APIs, AI. AI, Network_/NETWORK_
 * Network), and the catalog's first column ("Defender for Servers - ...").
 */
#ifndef CORRAL_CLASSIFY_PLAN_H
#define CORRAL_CLASSIFY_PLAN_H

#include <stddef.h>

#include "model/alert.h"

enum corral_plan corral_plan_from_component(const char *s, size_t len); /* UNKNOWN when not known */
enum corral_plan corral_plan_from_prefix(const char *alert_type, size_t len);
enum corral_plan corral_plan_from_catalog_column(const char *s, size_t len);

#endif
