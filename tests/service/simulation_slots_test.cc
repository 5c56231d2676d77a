#include "service/simulation_slots.h"

#include <optional>
#include <utility>

#include "gtest/gtest.h"

namespace trainsim::service {
namespace {

TEST(SimulationSlots, AClaimBeyondTheFreeSlotsGetsNothing) {
  SimulationSlots slots(3);
  std::optional<SimulationSlots::Lease> two = slots.TryAcquire(2);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(slots.in_use(), 2);
  EXPECT_FALSE(slots.TryAcquire(2).has_value());
  EXPECT_EQ(slots.in_use(), 2);  // a refused claim takes nothing
  EXPECT_TRUE(slots.TryAcquire(1).has_value());
}

TEST(SimulationSlots, ALeaseReturnsItsSlotsWhenDestroyedOnceEvenAfterAMove) {
  SimulationSlots slots(2);
  {
    std::optional<SimulationSlots::Lease> lease = slots.TryAcquire(2);
    ASSERT_TRUE(lease.has_value());
    SimulationSlots::Lease moved = std::move(*lease);
    lease.reset();
    EXPECT_EQ(slots.in_use(), 2);
    EXPECT_EQ(moved.count(), 2);
  }
  EXPECT_EQ(slots.in_use(), 0);
}

}  // namespace
}  // namespace trainsim::service
