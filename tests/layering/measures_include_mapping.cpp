// Forbidden: the measures as data reaching up into the mapping.
#include "mapping/administration_bundle.hpp"
