#pragma once

#include <telehealth/plugin_abi.h>

#include <cstdint>
#include <string>

namespace host_sim {

// One call of a plugin hook, as the record lists it: hooks must return within
// microseconds, so every call's duration is kept.
struct HookCall {
  std::string hook;
  thp_status status = THP_OK;
  std::int64_t micros = 0;
};

}  // namespace host_sim
