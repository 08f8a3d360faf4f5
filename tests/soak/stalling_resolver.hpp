// A getaddrinfo that stalls on command, for the soak: DNS that stops answering.
//
// stalling_resolver.cpp defines getaddrinfo in the soak host executable, which exports
// it; a plugin loaded later with dlopen resolves getaddrinfo to this definition (the
// executable comes first in the global lookup scope), so every name lookup the plugin
// makes passes through here. While a stall is on, each call waits until it is turned
// off, then asks the C library's getaddrinfo (found with dlsym(RTLD_NEXT)).
#pragma once

#include <cstdint>

namespace soak {

// Turns the stall on or off. Any thread.
void set_resolver_stalled(bool stalled);

// How many lookups began while a stall was on (since the process started).
std::uint64_t stalled_lookups();

}  // namespace soak
