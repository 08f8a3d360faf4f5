// The Janus adapter is a host like host-sim: it knows Alliance only through the ABI
// header. Including the plugin's or the FHIR layer's headers must fail.
#include <telehealth/plugin_abi.h>

#include "room_directory.hpp"
#include "store/store.hpp"
