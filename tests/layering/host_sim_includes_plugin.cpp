// Forbidden: the reference host reaching into the plugin instead of the ABI header.
#include "runtime/worker.hpp"
