// SimulationSlots: the server's cap on simulations running at once. A request claims the slots
// it needs up front (one per simulation it runs in parallel) and gets none when they are not all
// free: the caller answers RESOURCE_EXHAUSTED rather than queueing work behind a deadline.
// Thread-safe.
#ifndef TRAINSIM_SERVICE_SIMULATION_SLOTS_H_
#define TRAINSIM_SERVICE_SIMULATION_SLOTS_H_

#include <mutex>
#include <optional>

namespace trainsim::service {

class SimulationSlots {
 public:
  // REQUIRES: capacity >= 1.
  explicit SimulationSlots(int capacity);

  // Slots held until destruction; movable, not copyable.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    int count() const { return count_; }

   private:
    friend class SimulationSlots;
    Lease(SimulationSlots* slots, int count) : slots_(slots), count_(count) {}
    SimulationSlots* slots_;  // not owned; null once moved from
    int count_;
  };

  // All `count` slots, or nothing when fewer are free. REQUIRES: 1 <= count <= capacity().
  std::optional<Lease> TryAcquire(int count);

  int capacity() const { return capacity_; }
  int in_use() const;

 private:
  void Release(int count);

  const int capacity_;
  mutable std::mutex mu_;
  int in_use_ = 0;
};

}  // namespace trainsim::service

#endif  // TRAINSIM_SERVICE_SIMULATION_SLOTS_H_
