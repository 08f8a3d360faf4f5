// Pushing a transaction's resources one by one, for a server without transactions
// (fhir.transactions false): each create's urn:uuid references to the resources
// created before it become the server's "Type/id", as a server does within a
// transaction; the creates' answers are read back as one transaction-response, so that
// one decision path (transaction_response.hpp) reads both ways of pushing.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace alliance::fhir {

// Rewrites every "reference" in `value` found in `server_references` (fullUrl ->
// "Type/id"), at any depth.
void resolve_references(nlohmann::json& value, const std::map<std::string, std::string>& server_references);

// A Bundle of type transaction-response with one entry per created resource, each an
// object with "status" (a number), "type" and "id".
std::string as_transaction_response(const std::vector<nlohmann::json>& created);

}  // namespace alliance::fhir
