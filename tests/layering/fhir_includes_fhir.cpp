// Allowed: the mapping includes the measures and the reading below it.
#include "mapping/administration_bundle.hpp"
#include "measures/administration.hpp"
#include "reading/json_reader.hpp"
