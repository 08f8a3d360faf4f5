// host-sim-stalled-dns: host-sim whose name lookups of "dns-stall.test" hang for 20 s
// and then fail, as with a DNS server that never answers. This definition in the
// executable (exported, see CMakeLists.txt) wins over the C library's for the plugin
// the host loads; every other name goes on to the C library's getaddrinfo.
#include <dlfcn.h>
#include <netdb.h>

#include <chrono>
#include <cstring>
#include <thread>

// Default visibility: the project compiles with hidden visibility, and a hidden
// definition would not be seen by the plugin.
extern "C" __attribute__((visibility("default"))) int getaddrinfo(const char* node, const char* service,
                                                                   const struct addrinfo* hints,
                                                                   struct addrinfo** result) {
  if (node != nullptr && std::strcmp(node, "dns-stall.test") == 0) {
    std::this_thread::sleep_for(std::chrono::seconds(20));
    return EAI_AGAIN;
  }
  using Function = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  static const auto next = reinterpret_cast<Function>(dlsym(RTLD_NEXT, "getaddrinfo"));
  return next(node, service, hints, result);
}
