#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

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

  TEST_CASE("work posted from other threads while the worker sleeps or runs always runs in order per thread") {
    // The worker's own wake-up (an eventfd) must lose no post that lands between a
    // drain finding its queue empty and the next wait: pauses of different lengths
    // land posts before, during and after the worker goes back to sleep.
    Worker worker;
    constexpr int kPosts = 3000;
    std::vector<int> seen_by_thread[2];
    std::atomic<bool> order_kept{true};
    const auto producer = [&](int which) {
      for (int index = 0; index < kPosts; ++index) {
        auto ran = std::make_shared<std::promise<void>>();
        std::future<void> done = ran->get_future();
        worker.post([&, which, index, ran] {
          if (!seen_by_thread[which].empty() && seen_by_thread[which].back() != index - 1) order_kept = false;
          seen_by_thread[which].push_back(index);
          ran->set_value();
        });
        if (index % 3 == 0) {
          // Wait for it: the next post finds the worker asleep, or about to be.
          if (done.wait_for(2s) != std::future_status::ready) {
            order_kept = false;
            return;
          }
          std::this_thread::sleep_for(std::chrono::microseconds(index % 7 * 20));
        }
      }
    };
    std::thread other(producer, 1);
    producer(0);
    other.join();
    CHECK(worker.drain_and_stop(5s));
    CHECK(order_kept);
    CHECK(seen_by_thread[0].size() == static_cast<size_t>(kPosts));
    CHECK(seen_by_thread[1].size() == static_cast<size_t>(kPosts));
  }

  TEST_CASE("after stopping nothing more is accepted") {
    Worker worker;
    CHECK(worker.drain_and_stop(1s));
    CHECK_FALSE(worker.post([] {}));
  }
}
