#include "sim/engine.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include "sim/check.h"

namespace trainsim {
namespace {

// A 4-ary heap is shallower than a binary one (log4 n levels) and its four children share one or
// two cache lines, which matters once the heap outgrows the caches (~1M events).
constexpr size_t kArity = 4;

// Sweeping costs O(heap size); waiting until tombstones are the majority makes it amortised O(1)
// per Cancel and bounds the heap at about twice the live events. The floor avoids sweeping tiny
// heaps over and over.
constexpr size_t kMinTombstonesToSweep = 1024;

// Heap index from which SiftDown prefetches. The first 8192 entries (192 KiB) stay in a 512 KiB
// L2 cache (AMD EPYC Milan, where this was tuned), and prefetching them only costs instructions.
constexpr size_t kPrefetchFrom = 8192;

// Engine tags identify the engine an EventId came from; they never influence the order of events.
uint32_t NextEngineTag() {
  static std::atomic<uint32_t> last_tag{0};
  return ++last_tag;
}

}  // namespace

EventEngine::EventEngine() : tag_(NextEngineTag()) {}

EventId EventEngine::ScheduleAt(Time t, Callback cb) {
  TRAINSIM_CHECK(t >= now_) << "ScheduleAt(" << t.picoseconds()
                            << " ps) is before now() = " << now_.picoseconds()
                            << " ps; events cannot be scheduled in the past";
  return Insert(t, std::move(cb));
}

EventId EventEngine::ScheduleAfter(Time delay, Callback cb) {
  TRAINSIM_CHECK(delay >= Time::Zero())
      << "ScheduleAfter(" << delay.picoseconds() << " ps): the delay must not be negative";
  return Insert(now_ + delay, std::move(cb));
}

EventId EventEngine::Insert(Time t, Callback&& cb) {
  TRAINSIM_CHECK(cb) << "an event was scheduled with an empty callback";
  uint32_t slot;
  if (free_slots_.empty()) {
    TRAINSIM_CHECK(slots_.size() < std::numeric_limits<uint32_t>::max())
        << "more than 2^32 events pending";
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  const uint64_t seq = next_seq_++;
  slots_[slot].cb = std::move(cb);
  slots_[slot].seq = seq;
  heap_.push_back(Entry{t, seq, slot});
  SiftUp(heap_.size() - 1);
  return EventId(seq, slot, tag_);
}

bool EventEngine::Cancel(EventId id) {
  if (!id.valid()) return false;
  TRAINSIM_CHECK(id.engine_ == tag_) << "Cancel was given an EventId from another EventEngine";
  Slot& s = slots_[id.slot_];
  if (s.seq != id.seq_) return false;  // ran, running, cancelled, or the slot holds a newer event
  s.seq = 0;
  ++tombstones_;
  // Release what the callback captured now, not when its entry surfaces; destroyed on return,
  // once the engine is consistent again, because a destructor may call back into the engine.
  const Callback doomed = std::move(s.cb);
  if (tombstones_ >= kMinTombstonesToSweep && tombstones_ * 2 > heap_.size()) SweepTombstones();
  return true;
}

void EventEngine::Run() { RunEventsUpTo(Time::Max()); }

void EventEngine::RunUntil(Time t) {
  if (RunEventsUpTo(t) && t > now_) now_ = t;
}

bool EventEngine::RunEventsUpTo(Time limit) {
  TRAINSIM_CHECK(!running_) << "Run/RunUntil called from inside a callback";
  running_ = true;
  stop_requested_ = false;
  while (!heap_.empty() && heap_[0].time <= limit) {
    const Entry top = heap_[0];
    PopTop();
    // The next event's slot is usually cold in a large heap; start loading it now so the miss
    // overlaps with running this event.
    if (!heap_.empty()) __builtin_prefetch(&slots_[heap_[0].slot]);
    Slot& s = slots_[top.slot];
    if (s.seq != top.seq) {  // a tombstone surfacing: its slot can be reused now
      --tombstones_;
      free_slots_.push_back(top.slot);
      continue;
    }
    // Move the callback out before running it: it may schedule events, which can grow slots_.
    // Clearing seq first makes Cancel of the running event return false.
    Callback cb = std::move(s.cb);
    s.seq = 0;
    free_slots_.push_back(top.slot);
    now_ = top.time;
    ++executed_;
    cb();
    if (stop_requested_) break;
  }
  running_ = false;
  return !stop_requested_;
}

void EventEngine::SiftUp(size_t i) {
  const Entry e = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / kArity;
    if (!Before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

// Moves the hole at i down to where e belongs and puts e there.
void EventEngine::SiftDown(size_t i, Entry e) {
  const size_t n = heap_.size();
  for (size_t first = kArity * i + 1; first < n; first = kArity * i + 1) {
    size_t best = first;
    if (first + kArity <= n) {
      // The tournament below leaves the CPU no branch to speculate down, so in a heap larger
      // than the L2 cache each level would wait for the previous one's loads. Prefetching all
      // sixteen grandchildren (contiguous, 384 bytes) overlaps the next level's misses with this
      // level's work.
      if (const size_t grand = kArity * first + 1; grand >= kPrefetchFrom && grand < n) {
        const char* g = reinterpret_cast<const char*>(&heap_[grand]);
        for (size_t off = 0; off <= kArity * kArity * sizeof(Entry); off += 64) {
          __builtin_prefetch(g + off);
        }
      }
      // Two independent comparisons, then one: conditional moves, not mispredicted branches.
      const Entry* c = &heap_[first];
      const size_t a = Before(c[1], c[0]) ? 1 : 0;
      const size_t b = Before(c[3], c[2]) ? 3 : 2;
      best += Before(c[b], c[a]) ? b : a;
    } else {
      for (size_t c = first + 1; c < n; ++c) {
        if (Before(heap_[c], heap_[best])) best = c;
      }
    }
    if (!Before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

void EventEngine::PopTop() {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0, last);
}

void EventEngine::SweepTombstones() {
  std::erase_if(heap_, [this](const Entry& e) {
    if (slots_[e.slot].seq == e.seq) return false;
    free_slots_.push_back(e.slot);
    return true;
  });
  tombstones_ = 0;
  // Floyd's heapify: sift down every internal node, last first. O(n).
  if (heap_.size() < 2) return;
  for (size_t i = (heap_.size() - 2) / kArity + 1; i-- > 0;) SiftDown(i, heap_[i]);
}

}  // namespace trainsim
