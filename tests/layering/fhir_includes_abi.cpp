// Forbidden: the FHIR layer reaching for the host's ABI.
#include "telehealth/plugin_abi.h"
