#include "runtime/fault_injection.hpp"

#include <atomic>
#include <stdexcept>

namespace alliance::fault_injection {

namespace {

constexpr int kPoints = 4;
std::atomic<int> armed[kPoints];

std::atomic<int>& counter_of(Point point) { return armed[static_cast<int>(point)]; }

}  // namespace

void pass(Point point) {
  std::atomic<int>& counter = counter_of(point);
  int left = counter.load(std::memory_order_relaxed);
  while (left > 0) {
    if (counter.compare_exchange_weak(left, left - 1)) throw std::runtime_error("injected fault");
  }
}

void arm(Point point, int times) { counter_of(point).store(times); }

int remaining(Point point) { return counter_of(point).load(); }

}  // namespace alliance::fault_injection
