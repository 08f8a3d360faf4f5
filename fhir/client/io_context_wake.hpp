// Waking the thread that runs an io_context when work is posted to it from another
// thread. Asio wakes a thread that sleeps inside the io_context (in epoll); but the
// plugin's worker, when nothing is outstanding, sleeps on its own condition variable
// instead (a hook wakes that at a fraction of the cost: plugin/runtime/worker.hpp), where
// a post from another thread would not reach it. So every entry point of this layer
// that may be called from any thread (HttpsClient::send, cancel_all and its
// destructor, TokenSource::get and invalidate, a name lookup's answer) posts, then
// calls wake_io_context_owner, which calls the function the owner set, if any.
//
// Only std types here, as in every header of this layer.
#pragma once

#include <functional>

namespace alliance::fhir {

// `io_context` is a type-erased boost::asio::io_context. Set once, before any client is
// created on it; `wake` must be callable from any thread and must not throw.
void set_io_context_wake(void* io_context, std::function<void()> wake);

// After a post to `io_context` from a thread that may not be its own. Any thread.
void wake_io_context_owner(void* io_context) noexcept;

}  // namespace alliance::fhir
