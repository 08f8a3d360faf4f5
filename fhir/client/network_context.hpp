// The event loop the FHIR client and token source run on (a boost::asio::io_context),
// for an owner that runs it on a thread of its own: the plugin's worker. Only std
// types here, so that Asio stays inside this layer's transport.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace alliance::fhir {

class NetworkContext {
 public:
  NetworkContext();
  ~NetworkContext();
  NetworkContext(const NetworkContext&) = delete;
  NetworkContext& operator=(const NetworkContext&) = delete;

  // What HttpsClient::create and TokenSource::create take (the io_context).
  void* handle();

  // Owner's thread. Runs the handlers that are ready, without waiting. Returns true
  // while anything is outstanding (a request, a connection's timer, a name lookup), so
  // the owner knows whether it must wait here (run_one_until) or may sleep elsewhere.
  bool poll();
  // Owner's thread. Waits until one handler has run, `deadline` has passed, interrupt()
  // or stop() was called.
  void run_one_until(std::chrono::steady_clock::time_point deadline);
  void run_one();

  // Any thread: run_one_until returns (after running a handler that does nothing).
  void interrupt();
  // Any thread: run_one_until returns now and poll() runs nothing until restarted by it.
  void stop();

  // Called (any thread) after this layer posted work from a thread not the owner's
  // (io_context_wake.hpp), for an owner asleep elsewhere. Set once, before any client.
  void on_work_from_other_threads(std::function<void()> wake);

 private:
  struct Implementation;
  std::unique_ptr<Implementation> implementation_;
};

}  // namespace alliance::fhir
