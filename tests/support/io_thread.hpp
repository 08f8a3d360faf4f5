// An io_context run by a thread of its own, as the plugin's worker runs one, for tests
// of the FHIR client and token source on their own. Asio stays in io_thread.cpp.
#pragma once

#include <memory>

namespace alliance::testing {

class IoThread {
 public:
  IoThread();
  ~IoThread();  // stop() if not done yet; the io_context goes last
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // The type-erased boost::asio::io_context, for HttpsClient::create and the like.
  void* io_context();
  // Stops the io_context and joins its thread, as the plugin's shutdown does before it
  // destroys anything else. Once only; later calls do nothing.
  void stop();

 private:
  struct Implementation;
  std::unique_ptr<Implementation> implementation_;
};

}  // namespace alliance::testing
