// FlowNetwork: the flow-level network model. Links are directed capacities (bytes per second,
// one direction of a full-duplex cable); traffic is flow bundles. A bundle is `multiplicity`
// identical flows that each move `bytes`; every hop of its path names a link and how many of
// the bundle's flows cross that link (its weight). All flows of a bundle progress at one rate,
// so a ring whose edges are one bundle is paced by its slowest edge, as a real ring is.
//
// Rates are max-min fair (weighted progressive filling): raise every unfrozen bundle's per-flow
// rate together; a link saturates when Σ weight·rate = capacity; freeze the bundles through it;
// repeat. Rates are re-solved only when a bundle starts or ends (all starts and ends at one
// instant share one solve). A bundle completes `latency` after its last byte is sent (the α
// term of the α-β model), and stops using bandwidth once its bytes are sent.
//
// Per-link counters (bytes carried, busy time) feed utilisation reports. Times are integer
// picoseconds on the engine's clock; results are deterministic (ties in bundle id order).
#ifndef TRAINSIM_SIM_FLOW_NETWORK_H_
#define TRAINSIM_SIM_FLOW_NETWORK_H_

#include <cstdint>
#include <span>
#include <vector>

#include "sim/engine.h"
#include "sim/units.h"

namespace trainsim {

// Index of a directed link in the network's capacity table.
struct LinkIndex {
  uint32_t value = 0;
  friend constexpr auto operator<=>(LinkIndex, LinkIndex) = default;
};

struct FlowHop {
  LinkIndex link;
  uint32_t weight = 1;  // flows of the bundle that cross this link
};

struct BundleSpec {
  std::span<const FlowHop> path;  // copied by Start; may repeat a link (weights add up)
  Bytes bytes;                    // per flow
  int64_t multiplicity = 1;       // flows in the bundle (for callers' byte accounting: rates
                                  // and link counters depend on the weights alone)
  Time latency;                   // added after the last byte
  BytesPerSecond rate_cap;        // per-flow cap; zero = none
};

struct BundleId {
  uint64_t value = 0;
  friend constexpr auto operator<=>(BundleId, BundleId) = default;
};

// The network. Where the file comment above is silent:
//  - Batching. A Start, or a bundle's last byte, marks the rates stale and schedules one solve
//    event at the current instant, after the events already scheduled for it. Every start and
//    end that happens before that event runs (in the same callback, in completion callbacks run
//    together, or in earlier-scheduled events at the instant) shares the solve. rate() reports
//    the rates of the last solve, so a bundle started at the current instant reads zero until
//    the solve event has run (EventEngine::RunUntil(now) runs it).
//  - Incremental solves. A solve re-fills only the bundles a change can affect. It fills the new
//    bundles and those on links whose set of bundles changed (all others keep their rates;
//    large bundles only if the changed link is their bottleneck, see Solve), then
//    checks the max-min condition (each bundle has a saturated link on which none is faster, or
//    is at its cap) for every bundle on the links they cross; those that fail join the fill and
//    it repeats, falling back after a few rounds to whole connected components (exact: max-min
//    fairness decomposes over them). Cost per round: O((B + U) log H) for the B bundles filled,
//    their H hops and the U bundle-link uses on those links, never links no bundle uses. Rates
//    match a from-scratch solve to 1e-10 (relative); bundles with equal rates in theory may
//    differ in the last bits and so finish a picosecond apart. Bundles whose rate did not
//    change keep their scheduled finish.
//  - Rounding. Progress is kept in doubles; the time to send the remaining bytes at a rate is
//    rounded up to the next picosecond, so a bundle never finishes before its bytes are sent.
//    A bundle whose remaining bytes fall below 1e-12 of its size counts as sent.
//  - Ordering. Ids increase in Start order. Completion callbacks due at one instant run in id
//    order, one after another inside one engine event; they may call Start.
//  - A bundle with an empty path is limited only by its rate cap; without one its bytes are
//    sent at once and it completes after its latency.
//
// Not thread-safe. The network schedules events that point back to it, so it is neither copied
// nor moved; destroying it cancels those events and drops the callbacks of unfinished bundles.
class FlowNetwork {
 public:
  // REQUIRES: every capacity > 0 and finite; fewer than 2^32 links.
  FlowNetwork(EventEngine& engine, std::vector<BytesPerSecond> capacities);
  ~FlowNetwork();
  FlowNetwork(const FlowNetwork&) = delete;
  FlowNetwork& operator=(const FlowNetwork&) = delete;

  // Starts a bundle now; `on_done` runs on the engine when it completes. A bundle with zero
  // bytes completes after `latency`. REQUIRES: hops name existing links, weight >= 1 (summed
  // weights of a repeated link < 2^32); bytes, latency, rate_cap >= 0; multiplicity >= 1;
  // on_done non-empty; fewer than 2^24 bundles active at once.
  BundleId Start(const BundleSpec& bundle, EventCallback on_done);

  // Current per-flow rate of an active bundle (zero once its bytes are sent, and for a bundle
  // that has completed). As of the last solve: see "Batching" above.
  BytesPerSecond rate(BundleId id) const;
  // Bundles started and not yet completed (those waiting out their latency included).
  size_t active_bundles() const;

  size_t link_count() const;
  BytesPerSecond capacity(LinkIndex link) const;
  // Bytes that crossed `link` so far (Σ weight × bytes sent), and the time it carried traffic.
  // Both are exact at any instant, not only at solves.
  Bytes link_bytes(LinkIndex link) const;
  Time link_busy_time(LinkIndex link) const;

  // Solves run so far that re-filled at least one bundle (for tests and benchmarks).
  uint64_t solve_count() const { return solve_count_; }

 private:
  // One hop of an active bundle: the link, the bundle's weight on it and where the bundle sits
  // in that link's list of users (so it can leave in O(1)).
  struct Hop {
    uint32_t link;
    uint32_t weight;
    uint32_t use_index;
  };
  // An entry of a link's list of the bundles that are sending through it.
  struct LinkUse {
    uint32_t bundle;  // slot
    uint32_t hop;     // index into that bundle's hops
    uint32_t weight;  // the hop's
  };
  // A link's list of users: a vector that keeps its first entry in place, since most links
  // carry one bundle at a time (a node's NVLink ports its TP collectives, one after another), so
  // that such a bundle joining or leaving the link touches no memory but the link's own. Entries
  // move out to the heap when the list outgrows it and stay there (as a vector keeps its
  // capacity). Order and swap-with-last removal are those of a vector: sums over the list do not
  // depend on where it is stored.
  class UseList {
   public:
    static constexpr uint32_t kInline = 1;
    UseList() : inline_{} {}
    UseList(UseList&& other) noexcept : inline_{} { *this = std::move(other); }
    UseList& operator=(UseList&& other) noexcept;
    ~UseList() {
      if (on_heap()) delete[] heap_;
    }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    LinkUse* begin() { return data(); }
    LinkUse* end() { return data() + size_; }
    const LinkUse* begin() const { return data(); }
    const LinkUse* end() const { return data() + size_; }
    LinkUse& operator[](uint32_t i) { return data()[i]; }
    LinkUse& back() { return data()[size_ - 1]; }
    void push_back(const LinkUse& use);
    void pop_back() { --size_; }

   private:
    bool on_heap() const { return capacity_ > kInline; }
    LinkUse* data() { return on_heap() ? heap_ : inline_; }
    const LinkUse* data() const { return on_heap() ? heap_ : inline_; }

    uint32_t size_ = 0;
    uint32_t capacity_ = kInline;
    union {
      LinkUse inline_[kInline];
      LinkUse* heap_;  // owned, once capacity_ > kInline
    };
  };
  // Everything Attach, Detach and a solve touch per link, in one cache line. slack, unfrozen and
  // max_rate are solve scratch, valid where stamp == epoch_ (the link is in solve_links_).
  struct alignas(64) Link {
    double capacity = 0;  // B/s
    double slack = 0;     // capacity not taken by fixed or frozen bundles
    union {
      double unfrozen = 0;  // while filling: weight of the re-filled bundles not yet frozen
      double max_rate;      // while checking: the fastest per-flow rate through it
    };
    uint64_t stamp = 0;   // == epoch_ once the current solve or Start has visited it
    uint32_t weight = 0;  // Σ weight of `uses`, so a link with one user needs no look at it
    bool stale = false;   // on stale_links_
    UseList uses;         // bundles sending through it
  };
  static_assert(sizeof(Link) == 64);
  // Utilisation counters, apart from the links (four to a cache line, a node's NVLink ports
  // together): touched when bytes are credited and when the link goes busy or idle.
  struct LinkCounters {
    double bytes = 0;  // credited so far
    // The time the link carried traffic: while it has users, minus the instant they came (add
    // the current time to read it); otherwise the total.
    Time busy;
  };
  // A progressive-filling candidate: a link that saturates at `level`, or a bundle whose cap is
  // reached there. Ties break on `key` so the order of a solve never depends on the heap.
  struct Fill {
    double level;
    uint64_t key;  // link index, or kCapKey | bundle slot
  };
  enum class Phase : uint8_t { kFree, kSending, kLatency };
  // What a solve reads comes first.
  struct alignas(64) Bundle {
    std::vector<Hop> hops;  // distinct links; kept when the slot is reused
    uint64_t stamp = 0;     // == epoch_ while the current solve re-fills it
    double cap = 0;         // per flow, B/s; 0 = none
    double new_rate = 0;    // the solve's result, before it is applied
    double rate = 0;        // per flow, B/s
    // Why `rate` is fair: a saturated link on which no bundle goes faster, or kAtCap.
    uint32_t bottleneck = kAtCap;
    bool frozen = false;
    Phase phase = Phase::kFree;
    uint64_t checked = 0;  // == check_round_ once checked in the current validation round
    Fill own;              // while filling: its lowest link no other bundle crosses (or kNoKey)
    uint64_t id = 0;       // BundleId::value; 0 while the slot is free
    double bytes = 0;      // per flow
    double remaining = 0;  // bytes per flow left as of updated_at
    Time updated_at;
    Time latency;
    EventCallback on_done;
  };
  // The pending events, one per queued bundle, ordered by (time, id). 16 bytes, four to a cache
  // line: the bundle's slot is the low bits of its id.
  struct Due {
    Time time;
    uint64_t id;
  };
  static constexpr uint32_t kNotQueued = ~uint32_t{0};
  static constexpr uint32_t kAtCap = ~uint32_t{0};
  static constexpr uint64_t kCapKey = uint64_t{1} << 32;
  static constexpr uint64_t kNoKey = ~uint64_t{0};
  // The fill heap's order: a max-heap under this comparison pops the lowest (level, key). A
  // type rather than a function, so that the heap algorithms inline it.
  struct FillAfter {
    bool operator()(const Fill& a, const Fill& b) const {
      return a.level != b.level ? a.level > b.level : a.key > b.key;
    }
  };

  uint32_t AllocateSlot();
  void PrefetchLink(uint32_t link) const;
  void CopyPath(Bundle& b, std::span<const FlowHop> path);
  void Attach(uint32_t slot);
  void Detach(uint32_t slot);
  void MarkStale(uint32_t link);
  void RequestSolve();
  void Solve();
  bool Mark(uint32_t slot);
  void Join(uint32_t slot);
  void AddLinks(uint32_t slot);
  void JoinComponents();
  bool Refill();
  bool FillGroup(uint32_t slot, Time now);
  void Freeze(uint32_t slot, double level, uint32_t bottleneck);
  bool Validate();
  bool HasBottleneck(Bundle& b);
  double RateInSolve(const Bundle& b) const;
  void ApplyRates();
  void ApplyRate(uint32_t slot, Time now);
  void Advance(Bundle& b, Time now);
  void Credit(const Bundle& b, double bytes);
  void LastByteSent(uint32_t slot);
  void OnTimer();
  void ArmTimer();
  double BytesSentSince(const Bundle& b, Time now) const;
  void CheckLink(LinkIndex link) const;

  // The due-event heap: a binary heap of Due with each slot's position in heap_pos_.
  void QueueAt(uint32_t slot, Time t);
  void Unqueue(uint32_t slot);
  void SiftUp(uint32_t i);
  void SiftDown(uint32_t i);
  void Place(uint32_t i, const Due& d);

  EventEngine& engine_;
  std::vector<Link> links_;
  std::vector<LinkCounters> counters_;  // by link
  std::vector<uint32_t> hop_of_link_;  // Start's scratch: where a link sits in the new path

  std::vector<Bundle> bundles_;
  std::vector<uint32_t> free_slots_;
  size_t active_ = 0;
  uint64_t next_serial_ = 1;
  uint64_t epoch_ = 0;
  uint64_t solve_count_ = 0;

  std::vector<Due> due_;
  // By slot: where its Due sits in due_, or kNotQueued. Apart from the bundles, so that sifting
  // an entry touches a small array rather than a bundle per level.
  std::vector<uint32_t> heap_pos_;
  EventId timer_;
  Time timer_time_;
  bool in_timer_ = false;

  // What changed since the last solve: bundles started, and links whose set of bundles changed
  // (other than by gaining their first one).
  std::vector<uint32_t> started_;
  std::vector<uint32_t> stale_links_;
  bool solve_pending_ = false;
  EventId solve_event_;
  uint64_t check_round_ = 0;
  // Reused by every solve so that steady state does not allocate.
  std::vector<uint32_t> solve_bundles_;  // the bundles being re-filled (the set S)
  std::vector<uint32_t> solve_links_;    // the links they cross
  std::vector<uint32_t> joining_;        // bundles found unfair, to re-fill in the next round
  std::vector<Fill> fill_;
};

}  // namespace trainsim

#endif  // TRAINSIM_SIM_FLOW_NETWORK_H_
