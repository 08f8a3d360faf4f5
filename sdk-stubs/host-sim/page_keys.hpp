#pragma once

// host-sim --serve: each participant's page key. The pages have no login, and any
// process on the machine can reach loopback: what makes a request the therapist's is
// a secret only the therapist was given, the key in their page's URL
// ("/session/<session>/<participant>?key=<key>"). The host asks for it on every page,
// panel document and WebSocket of that participant, and compares it in constant time.
// A real platform would hand each participant such a link (or a session cookie) after
// its own sign-in; the principle is the same.

#include "scenario.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace host_sim {

class PageKeys {
 public:
  // A fresh key for each participant of `session`: 32 bytes from OpenSSL's random
  // generator, as 64 lowercase hex digits. Nothing when the generator fails.
  static std::optional<PageKeys> generate(const ScenarioSession& session);

  // The participant's key; empty for someone not in the session.
  const std::string& key_of(std::string_view participant_id) const;

  // Whether `presented` is `participant_id`'s key. The comparison takes the same time
  // wherever the first difference is (CRYPTO_memcmp); only the length, which is no
  // secret, ends it early.
  bool matches(std::string_view participant_id, std::string_view presented) const;

 private:
  std::map<std::string, std::string, std::less<>> keys_;
};

}  // namespace host_sim
