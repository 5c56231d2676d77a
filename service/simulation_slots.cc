#include "service/simulation_slots.h"

#include "sim/check.h"

namespace trainsim::service {

SimulationSlots::SimulationSlots(int capacity) : capacity_(capacity) {
  TRAINSIM_CHECK(capacity >= 1) << "a server needs at least one simulation slot";
}

SimulationSlots::Lease::Lease(Lease&& other) noexcept : slots_(other.slots_), count_(other.count_) {
  other.slots_ = nullptr;
}

SimulationSlots::Lease::~Lease() {
  if (slots_ != nullptr) slots_->Release(count_);
}

std::optional<SimulationSlots::Lease> SimulationSlots::TryAcquire(int count) {
  TRAINSIM_CHECK(count >= 1 && count <= capacity_)
      << "slot request " << count << " of " << capacity_;
  std::lock_guard<std::mutex> lock(mu_);
  if (in_use_ + count > capacity_) return std::nullopt;
  in_use_ += count;
  return Lease(this, count);
}

int SimulationSlots::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

void SimulationSlots::Release(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  in_use_ -= count;
}

}  // namespace trainsim::service
