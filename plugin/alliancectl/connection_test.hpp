// test-connection: reach the FHIR server the way the plugin does (the same TLS
// settings, the same SMART token), read its CapabilityStatement and say, in plain
// words, what works and what the configuration needs that is missing. Nothing is
// written to the server or the store.
#pragma once

#include <iosfwd>
#include <string>

#include "configuration/configuration.hpp"
#include "client/https_client.hpp"
#include "auth/token_source.hpp"

namespace alliance::control {

// Returns the exit status: 0 when everything the settings need is available.
int test_connection(const FhirConfiguration& settings, std::ostream& out);

// A transport failure in words for IT, naming the setting to check.
std::string advice_for(const fhir::HttpResult& result);
// A failure to get a SMART token in words for IT, naming the setting to check.
std::string advice_for(const fhir::auth::TokenResult& result);

// The scopes a token came with, for the report ("as requested" when the answer names none).
std::string describe_granted_scopes(const fhir::auth::GrantedScopes& granted);
// The scopes the settings ask for (fhir.smart.scopes, or its default) that the grant
// leaves out, in words naming what to do; empty when none is missing or the grant does
// not say.
std::string missing_scope_problem(const fhir::auth::GrantedScopes& granted, const FhirConfiguration& settings);

}  // namespace alliance::control
