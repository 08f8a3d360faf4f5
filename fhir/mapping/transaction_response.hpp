// Reading what a FHIR server answers to a transaction: the ids of the resources it
// created (or found, for a repeated conditional create), or the OperationOutcome that
// says why it refused. Server bodies are untrusted: every one is read by read_json
// (json_reader.hpp) with kServerAnswerLimits, which refuses deep nesting at once,
// duplicate keys, a NUL byte and text after the value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace alliance::fhir {

struct ServerResource {
  std::string type;  // "QuestionnaireResponse"
  std::string id;    // the server's id
  int status = 0;    // 201 created, 200 already there
};

struct TransactionResult {
  std::vector<ServerResource> resources;  // one per request entry, in order
  std::string error;                      // why the body is not a usable transaction-response
};

// `expected_entries` is the number of entries the transaction sent.
TransactionResult read_transaction_response(std::string_view body, size_t expected_entries);

// The server id of a created (or, for a conditional create, found) resource of `type`
// from the body of the answer to a create: {"resourceType": type, "id": ...}. "" when
// the body is not such a resource (refused as read_json refuses) or the id is no FHIR
// id (1 to 64 of A-Z a-z 0-9 - .).
std::string read_created_id(std::string_view body, std::string_view type);

// The server ids of the resources of `type` in a searchset Bundle (entries in search
// mode "match" or without a mode; "include" and OperationOutcome entries are not
// matches), or why the body is no searchset. For finding an earlier attempt's write.
struct SearchMatches {
  std::vector<std::string> ids;
  std::string error;
};
SearchMatches read_search_matches(std::string_view body, std::string_view type);

// Whether the answer to a refused create says the resource is already there (an EHR
// refuses a repeated reading rather than storing it twice): a 4xx whose
// OperationOutcome has an issue with code "duplicate" (FHIR IssueType), or HTTP 409
// with an OperationOutcome. Then the earlier attempt arrived: nothing is lost.
bool says_already_exists(int status, std::string_view body);

// The issues of an OperationOutcome in one line ("error invalid: Patient/x not found
// (QuestionnaireResponse.subject)"), at most `maximum_bytes` long; a short description
// of the body when it is not an OperationOutcome. For IT and the store: it may quote
// what the server quoted, so it is never written to the log.
std::string describe_operation_outcome(std::string_view body, size_t maximum_bytes = 2000);

}  // namespace alliance::fhir
