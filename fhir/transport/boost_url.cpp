// The one translation unit that compiles Boost.URL for the project (the FHIR client
// parses its base URL with it).
#include <boost/url/src.hpp>
