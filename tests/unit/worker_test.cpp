#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "worker.hpp"

using alliance::Worker;
using namespace std::chrono_literals;

TEST_SUITE("worker") {
  TEST_CASE("work runs on the worker thread in the order it was posted") {
    Worker worker;
    std::vector<int> order;
    std::atomic<bool> on_worker{true};
    for (int index = 0; index < 100; ++index) {
      worker.post([&, index] {
        order.push_back(index);
        on_worker = on_worker && worker.on_worker_thread();
      });
    }
    CHECK(worker.drain_and_stop(5s));
    REQUIRE(order.size() == 100);
    for (int index = 0; index < 100; ++index) CHECK(order[index] == index);
    CHECK(on_worker);
    CHECK_FALSE(worker.on_worker_thread());
  }

  TEST_CASE("draining gives up after its timeout and drops what is still queued") {
    Worker worker;
    std::atomic<int> ran{0};
    worker.post([] { std::this_thread::sleep_for(300ms); });
    for (int index = 0; index < 10; ++index) worker.post([&] { ++ran; });
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(worker.drain_and_stop(50ms));
    // It waits for the job in progress (jobs are short and bounded), not for the queue.
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    CHECK(ran == 0);
  }

  TEST_CASE("after stopping nothing more is accepted") {
    Worker worker;
    CHECK(worker.drain_and_stop(1s));
    CHECK_FALSE(worker.post([] {}));
  }
}
