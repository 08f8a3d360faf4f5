// copy_session (plugin/abi/host_copy.cpp): what a host passes at session_started,
// the ABI's borrowed thp_session and thp_participant structs, built from the input.
// Every string is its own heap block of exactly its length and every participant is
// exactly its struct_size long, so that AddressSanitizer sees any read past either.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "abi/host_text.hpp"
#include "abi/host_copy.hpp"
#include "session/session_details.hpp"

namespace {

// Owns what the borrowed structs point to.
struct Borrowed {
  std::vector<std::unique_ptr<char[]>> texts;
  std::vector<std::unique_ptr<unsigned char[]>> participants;
  std::vector<const thp_participant*> pointers;

  thp_str text(FuzzedDataProvider& input) {
    if (input.ConsumeIntegralInRange<int>(0, 31) == 0) {
      // A broken host: a length without characters.
      return thp_str{nullptr, input.ConsumeIntegralInRange<std::size_t>(0, 1 << 20)};
    }
    const std::string bytes = input.ConsumeRandomLengthString(600);
    if (bytes.empty()) return thp_str{nullptr, 0};
    texts.push_back(std::make_unique<char[]>(bytes.size()));
    std::memcpy(texts.back().get(), bytes.data(), bytes.size());
    return thp_str{texts.back().get(), bytes.size()};
  }

  const thp_participant* participant(FuzzedDataProvider& input) {
    thp_participant full{};
    full.struct_size = input.ConsumeBool()
                           ? static_cast<std::uint32_t>(sizeof(thp_participant))
                           : input.ConsumeIntegralInRange<std::uint32_t>(0, sizeof(thp_participant));
    full.participant_id = text(input);
    full.role = input.ConsumeIntegralInRange<std::int32_t>(-1, 3);
    full.display_name = text(input);
    full.age_years = input.ConsumeIntegralInRange<std::int32_t>(-3, 200);
    full.birth_date = text(input);
    full.preferred_language = text(input);
    full.fhir_reference = text(input);
    full.rates_participant_id = text(input);
    full.relationship = text(input);
    // A 1.0 host's struct is shorter: only struct_size bytes exist (and at least
    // struct_size itself, which the host wrote).
    const std::size_t length = std::max<std::size_t>(full.struct_size, sizeof full.struct_size);
    participants.push_back(std::make_unique<unsigned char[]>(length));
    std::memcpy(participants.back().get(), &full, std::min<std::size_t>(length, sizeof full));
    return reinterpret_cast<const thp_participant*>(participants.back().get());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  Borrowed borrowed;
  thp_session session{};
  session.struct_size = input.ConsumeBool() ? static_cast<std::uint32_t>(sizeof(thp_session))
                                            : input.ConsumeIntegral<std::uint32_t>();
  session.session_id = borrowed.text(input);
  session.appointment_kind = input.ConsumeIntegralInRange<std::int32_t>(-1, 4);
  session.medium = input.ConsumeIntegralInRange<std::int32_t>(-1, 3);
  session.start_time = borrowed.text(input);
  session.encounter_reference = borrowed.text(input);
  const std::size_t count = input.ConsumeIntegralInRange<std::size_t>(0, 70);
  for (std::size_t index = 0; index < count && input.remaining_bytes() > 0; ++index) {
    borrowed.pointers.push_back(borrowed.participant(input));
  }
  session.participants = borrowed.pointers.empty() ? nullptr : borrowed.pointers.data();
  session.participant_count = borrowed.pointers.size();

  std::string error;
  const auto copy = alliance::copy_session(&session, error);
  if (!copy) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(!copy->session_id.empty() && copy->session_id.size() <= alliance::kMaximumIdentifierBytes);
  FUZZ_CHECK(copy->participants.size() <= alliance::kMaximumParticipants);
  std::set<std::string> identifiers;
  for (const alliance::Participant& participant : copy->participants) {
    FUZZ_CHECK(identifiers.insert(participant.participant_id).second);  // never two with one id
    // Whatever bytes the host passed, what the plugin keeps is UTF-8 (a name that was not
    // once made every later JSON dump throw and lost the session's panels).
    for (const std::string* text : {&participant.participant_id, &participant.display_name, &participant.birth_date,
                                    &participant.preferred_language, &participant.fhir_reference,
                                    &participant.rates_participant_id, &participant.relationship}) {
      FUZZ_CHECK(alliance::is_valid_utf8(*text));
    }
    const int age = alliance::effective_age(participant, copy->start_time);
    FUZZ_CHECK(age >= -1 && age <= 10000);
  }
  return 0;
}
