// Forbidden: the FHIR layer reaching into the plugin's store.
#include "store/store.hpp"
