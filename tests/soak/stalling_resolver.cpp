#include "stalling_resolver.hpp"

#include <dlfcn.h>
#include <netdb.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace soak {
namespace {

std::atomic<bool> stalled{false};
std::atomic<std::uint64_t> stalled_count{0};

using GetaddrinfoFunction = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

GetaddrinfoFunction c_library_getaddrinfo() {
  static const auto function = reinterpret_cast<GetaddrinfoFunction>(dlsym(RTLD_NEXT, "getaddrinfo"));
  return function;
}

}  // namespace

void set_resolver_stalled(bool value) { stalled.store(value, std::memory_order_release); }

std::uint64_t stalled_lookups() { return stalled_count.load(std::memory_order_relaxed); }

}  // namespace soak

// Exported from the executable (see CMakeLists.txt) so that the plugin's calls land here.
extern "C" __attribute__((visibility("default"))) int getaddrinfo(const char* node, const char* service,
                                                                  const addrinfo* hints, addrinfo** result) {
  if (soak::stalled.load(std::memory_order_acquire)) {
    soak::stalled_count.fetch_add(1, std::memory_order_relaxed);
    // A resolver that does not answer: the caller waits as long as the stall lasts.
    while (soak::stalled.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const soak::GetaddrinfoFunction real = soak::c_library_getaddrinfo();
  if (real == nullptr) return EAI_SYSTEM;
  return real(node, service, hints, result);
}
