#pragma once

// The ABI's view of a scenario participant, for the hooks that take one.

#include "scenario.hpp"

#include <telehealth/plugin_abi.h>

#include <string>

namespace host_sim {

inline thp_str view(const std::string& text) { return {text.data(), text.size()}; }

// Borrows the strings of `participant`, which must outlive the hook call.
inline thp_participant participant_view(const ScenarioParticipant& participant) {
  thp_participant view_of_participant{};
  view_of_participant.struct_size = sizeof(thp_participant);
  view_of_participant.participant_id = view(participant.participant_id);
  view_of_participant.role = participant.role;
  view_of_participant.display_name = view(participant.display_name);
  view_of_participant.age_years = participant.age_years;
  view_of_participant.birth_date = view(participant.birth_date);
  view_of_participant.preferred_language = view(participant.preferred_language);
  view_of_participant.fhir_reference = view(participant.fhir_reference);
  view_of_participant.rates_participant_id = view(participant.rates_participant_id);
  view_of_participant.relationship = view(participant.relationship);
  return view_of_participant;
}

}  // namespace host_sim
