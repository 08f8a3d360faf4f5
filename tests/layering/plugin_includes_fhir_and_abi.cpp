// Allowed: the plugin uses both the FHIR layer and the ABI header.
#include "mapping/administration_bundle.hpp"
#include "session/session_workflow.hpp"
#include "store/store.hpp"
#include "telehealth/plugin_abi.h"
