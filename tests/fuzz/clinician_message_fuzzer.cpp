// parse_clinician_message (plugin/panels/clinician_message.cpp): what the therapist's
// panel posts, from a web page; and parse_client_graph_message
// (plugin/panels/client_graph_message.cpp): what the client's shared graph posts. The
// same bytes go to both.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "panels/client_graph_message.hpp"
#include "panels/clinician_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const alliance::ParsedClinicianMessage parsed = alliance::parse_clinician_message(text);
  if (const auto* request = std::get_if<alliance::ClinicianMessage>(&parsed)) {
    // A named client, within the ABI's bound: the workflow looks it up as it is.
    FUZZ_CHECK(!request->participant_id.empty());
    FUZZ_CHECK(request->participant_id.size() <= alliance::kMaximumClinicianParticipantIdBytes);
    FUZZ_CHECK(size <= alliance::kMaximumClinicianMessageBytes);
    FUZZ_CHECK(request->request == alliance::ClinicianRequest::share_trend ||
               request->request == alliance::ClinicianRequest::stop_sharing);
  } else {
    // One problem, in words.
    const auto& invalid = std::get<alliance::InvalidMessage>(parsed);
    FUZZ_CHECK(invalid.problems.size() == 1);
    FUZZ_CHECK(!invalid.problems[0].message.empty());
  }
  if (alliance::parse_client_graph_message(text) == alliance::ClientGraphMessage::close) {
    FUZZ_CHECK(size <= alliance::kMaximumClientGraphMessageBytes);
    FUZZ_CHECK(text.find("close") != std::string_view::npos);
  }
  return 0;
}
