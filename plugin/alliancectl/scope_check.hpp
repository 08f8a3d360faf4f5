// Whether the SMART scopes an EHR granted cover the ones Alliance asked for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace alliance::control {

// True when `granted` allows everything `needed` does. The same string does; so does a
// scope of the same context ("system/") for the same resource type, or for "*", whose
// permissions include the needed ones, with SMART v1 names read as v2 letters: "read" is
// "rs", "write" is "cud", "*" is "cruds" (the SMART App Launch 2.0 mapping). So a granted
// "system/Observation.write" covers a needed "system/Observation.c", and
// "system/Questionnaire.cruds" covers "system/Questionnaire.crs". Scopes with a query
// ("?category=...") are compared as whole strings only: what a query narrows is the
// server's business.
bool scope_covers(std::string_view granted, std::string_view needed);

// The needed scopes that no granted scope covers, in the order needed.
std::vector<std::string> missing_scopes(const std::vector<std::string>& needed, const std::vector<std::string>& granted);

}  // namespace alliance::control
