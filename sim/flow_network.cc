#include "sim/flow_network.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "sim/check.h"

namespace trainsim {
namespace {

// The due-event order: time, then id (Start order).
bool DueBefore(const auto& a, const auto& b) {
  return a.time != b.time ? a.time < b.time : a.id < b.id;
}

// A BundleId is (serial << kSlotBits) | slot: ids sort in Start order, and the slot finds the
// bundle without a map. 24 bits allow 16.7M bundles at once; 40 bits of serial, 1.1e12 Starts.
constexpr int kSlotBits = 24;
constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
constexpr uint64_t kMaxSerial = (uint64_t{1} << (64 - kSlotBits)) - 1;
uint32_t SlotOf(uint64_t id) { return static_cast<uint32_t>(id & kSlotMask); }

constexpr double kPsPerSecond = 1e12;

// Progress is kept in doubles; each update subtracts with a relative error near 1e-16 of the
// bundle's size, so a remainder below this fraction is noise, not data, and counts as sent
// (otherwise it could cost one more picosecond and one more event).
constexpr double kSentFraction = 1e-12;

// Time to send `bytes` at `rate`, rounded up to the next picosecond so a bundle never finishes
// before its bytes are sent. bytes·1e12/rate rather than bytes/rate·1e12: with round operands
// (1 GiB at 50 GB/s) the product and the quotient are exact, so closed forms hold to the ps.
Time TimeToSend(double bytes, double rate) {
  const double ps = std::ceil(bytes * kPsPerSecond / rate);
  TRAINSIM_CHECK(ps < 9.2e18) << "sending " << bytes << " B at " << rate
                              << " B/s takes longer than the range of Time";
  return Time::Picoseconds(static_cast<int64_t>(ps));
}

double BytesIn(double rate, Time elapsed) {
  return rate * static_cast<double>(elapsed.picoseconds()) / kPsPerSecond;
}

}  // namespace

FlowNetwork::FlowNetwork(EventEngine& engine, std::vector<BytesPerSecond> capacities)
    : engine_(engine) {
  const size_t n = capacities.size();
  TRAINSIM_CHECK(n < std::numeric_limits<uint32_t>::max()) << n << " links is over 2^32 - 1";
  links_.resize(n);
  counters_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double c = capacities[i].value();
    TRAINSIM_CHECK(c > 0 && std::isfinite(c))
        << "link " << i << " has capacity " << c << " B/s; capacities must be positive";
    links_[i].capacity = c;
  }
  hop_of_link_.resize(n);
}

FlowNetwork::~FlowNetwork() {
  engine_.Cancel(timer_);
  engine_.Cancel(solve_event_);
}

// ---------------------------------------------------------------------------------------------
// A link's list of users

FlowNetwork::UseList& FlowNetwork::UseList::operator=(UseList&& other) noexcept {
  if (this == &other) return *this;
  if (on_heap()) delete[] heap_;
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, kInline);
  if (on_heap()) {
    heap_ = other.heap_;
  } else {
    std::copy(other.inline_, other.inline_ + kInline, inline_);
  }
  return *this;
}

void FlowNetwork::UseList::push_back(const LinkUse& use) {
  if (size_ == capacity_) {
    TRAINSIM_CHECK(capacity_ <= std::numeric_limits<uint32_t>::max() / 2)
        << "a link has more than 2^31 users";
    auto* grown = new LinkUse[2 * capacity_];
    std::copy(data(), data() + size_, grown);
    if (on_heap()) delete[] heap_;
    heap_ = grown;
    capacity_ *= 2;
  }
  data()[size_++] = use;
}

// ---------------------------------------------------------------------------------------------
// Starting and ending bundles

BundleId FlowNetwork::Start(const BundleSpec& spec, EventCallback on_done) {
  TRAINSIM_CHECK(on_done) << "FlowNetwork::Start was given an empty completion callback";
  TRAINSIM_CHECK(spec.bytes >= Bytes(0)) << "bundle bytes " << spec.bytes.count() << " < 0";
  TRAINSIM_CHECK(spec.latency >= Time::Zero())
      << "bundle latency " << spec.latency.picoseconds() << " ps < 0";
  TRAINSIM_CHECK(spec.multiplicity >= 1) << "bundle multiplicity " << spec.multiplicity << " < 1";
  const double cap = spec.rate_cap.value();
  TRAINSIM_CHECK(cap >= 0 && std::isfinite(cap)) << "bundle rate cap " << cap << " B/s";
  TRAINSIM_CHECK(next_serial_ <= kMaxSerial) << "more than 2^40 bundles started";

  for (const FlowHop& h : spec.path) {
    if (h.link.value < links_.size()) PrefetchLink(h.link.value);
  }
  const uint32_t slot = AllocateSlot();
  Bundle& b = bundles_[slot];
  CopyPath(b, spec.path);
  const Time now = engine_.now();
  b.id = (next_serial_++ << kSlotBits) | slot;
  b.bytes = spec.bytes.value();
  b.remaining = b.bytes;
  b.rate = 0;
  b.cap = cap;
  b.updated_at = now;
  b.latency = spec.latency;
  b.on_done = std::move(on_done);
  ++active_;
  if (b.bytes == 0 || (b.hops.empty() && cap == 0)) {
    // Nothing to send, or nothing to slow it down: only the latency is left.
    b.remaining = 0;
    b.phase = Phase::kLatency;
    QueueAt(slot, now + b.latency);
  } else if (b.hops.empty()) {
    b.phase = Phase::kSending;
    b.rate = cap;
    QueueAt(slot, now + TimeToSend(b.bytes, cap));
  } else {
    b.phase = Phase::kSending;
    Attach(slot);
    started_.push_back(slot);
    RequestSolve();
  }
  if (!in_timer_) ArmTimer();
  return BundleId{b.id};
}

// A bundle's links are independent loads that miss the cache when the network is large (the
// other replicas' collectives ran in between); asking for all of them before using the first
// overlaps the misses.
void FlowNetwork::PrefetchLink(uint32_t link) const {
  __builtin_prefetch(&links_[link]);
  __builtin_prefetch(&counters_[link]);
}

uint32_t FlowNetwork::AllocateSlot() {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  TRAINSIM_CHECK(bundles_.size() < kSlotMask) << "more than 2^24 bundles active at once";
  bundles_.emplace_back();
  heap_pos_.push_back(kNotQueued);
  return static_cast<uint32_t>(bundles_.size() - 1);
}

// Copies the path with repeated links merged (weights add up), in first-appearance order.
void FlowNetwork::CopyPath(Bundle& b, std::span<const FlowHop> path) {
  b.hops.clear();
  const uint64_t epoch = ++epoch_;
  for (const FlowHop& h : path) {
    const uint32_t l = h.link.value;
    TRAINSIM_CHECK(l < links_.size())
        << "bundle hop names link " << l << " but the network has " << links_.size();
    TRAINSIM_CHECK(h.weight >= 1) << "bundle hop on link " << l << " has weight 0";
    if (links_[l].stamp == epoch) {
      Hop& hop = b.hops[hop_of_link_[l]];
      TRAINSIM_CHECK(hop.weight <= std::numeric_limits<uint32_t>::max() - h.weight)
          << "weights on link " << l << " add up to more than 2^32 - 1";
      hop.weight += h.weight;
    } else {
      links_[l].stamp = epoch;
      hop_of_link_[l] = static_cast<uint32_t>(b.hops.size());
      b.hops.push_back(Hop{.link = l, .weight = h.weight, .use_index = 0});
    }
  }
}

void FlowNetwork::Attach(uint32_t slot) {
  Bundle& b = bundles_[slot];
  const Time now = engine_.now();
  // Where the new entries go: on the heap for a link that others share (Start asked for the
  // links themselves), independent misses that are cheaper asked for together.
  for (const Hop& hop : b.hops) __builtin_prefetch(links_[hop.link].uses.end(), 1);
  for (uint32_t i = 0; i < b.hops.size(); ++i) {
    Hop& hop = b.hops[i];
    Link& link = links_[hop.link];
    if (link.uses.empty()) {
      counters_[hop.link].busy -= now;  // busy from now on: see LinkCounters
    } else {
      MarkStale(hop.link);  // those already there may slow down: re-fill them at once
    }
    TRAINSIM_CHECK(link.weight <= std::numeric_limits<uint32_t>::max() - hop.weight)
        << "flows through link " << hop.link << " add up to more than 2^32 - 1";
    link.weight += hop.weight;
    hop.use_index = static_cast<uint32_t>(link.uses.size());
    link.uses.push_back(LinkUse{.bundle = slot, .hop = i, .weight = hop.weight});
  }
}

// Removes the bundle from its links' lists (swap with the last entry). Links still in use are
// stale: the bundles left on them may now go faster.
void FlowNetwork::Detach(uint32_t slot) {
  const Time now = engine_.now();
  const std::vector<Hop>& hops = bundles_[slot].hops;
  // Filling the gap on each link is a chain of dependent loads (the list's last entry, its
  // bundle, that bundle's hop) that misses the cache on links others share. The chains of
  // different links are independent: asking for each level on every link before going down a
  // level overlaps their misses. (The callers have asked for the links themselves.)
  for (const Hop& hop : hops) __builtin_prefetch(&links_[hop.link].uses.back());
  for (const Hop& hop : hops) __builtin_prefetch(&bundles_[links_[hop.link].uses.back().bundle]);
  for (const Hop& hop : hops) {
    const LinkUse& last = links_[hop.link].uses.back();
    __builtin_prefetch(&bundles_[last.bundle].hops[last.hop]);
  }
  for (const Hop& hop : hops) {
    Link& link = links_[hop.link];
    const uint32_t at = hop.use_index;
    const LinkUse moved = link.uses.back();
    link.uses[at] = moved;
    bundles_[moved.bundle].hops[moved.hop].use_index = at;
    link.uses.pop_back();
    link.weight -= hop.weight;
    if (link.uses.empty()) {
      counters_[hop.link].busy += now;
    } else {
      MarkStale(hop.link);
    }
  }
}

void FlowNetwork::MarkStale(uint32_t link) {
  if (links_[link].stale) return;
  links_[link].stale = true;
  stale_links_.push_back(link);
}

void FlowNetwork::RequestSolve() {
  if (solve_pending_) return;
  solve_pending_ = true;
  solve_event_ = engine_.ScheduleAt(engine_.now(), [this] {
    solve_pending_ = false;
    Solve();
  });
}

// All of the bundle's bytes are through: credit the rest to its links, free its bandwidth and
// wait out its latency.
void FlowNetwork::LastByteSent(uint32_t slot) {
  Bundle& b = bundles_[slot];
  for (const Hop& hop : b.hops) PrefetchLink(hop.link);
  const Time now = engine_.now();
  Credit(b, b.remaining);
  b.remaining = 0;
  b.rate = 0;
  b.updated_at = now;
  Detach(slot);
  b.phase = Phase::kLatency;
  QueueAt(slot, now + b.latency);
  if (!stale_links_.empty()) RequestSolve();
}

void FlowNetwork::OnTimer() {
  timer_ = EventId();
  const Time now = engine_.now();
  in_timer_ = true;
  while (!due_.empty() && due_[0].time <= now) {
    const uint32_t slot = SlotOf(due_[0].id);
    Bundle& b = bundles_[slot];
    if (b.phase == Phase::kSending) {
      LastByteSent(slot);  // requeues it at now + latency: a zero latency comes round again
      continue;
    }
    Unqueue(slot);
    EventCallback done = std::move(b.on_done);
    b.id = 0;
    b.phase = Phase::kFree;
    free_slots_.push_back(slot);
    --active_;
    done();  // may Start bundles, which may reuse the slot and grow bundles_
  }
  in_timer_ = false;
  ArmTimer();
}

void FlowNetwork::ArmTimer() {
  if (due_.empty()) {
    engine_.Cancel(timer_);
    timer_ = EventId();
    return;
  }
  const Time t = due_[0].time;
  if (timer_.valid() && timer_time_ == t) return;
  engine_.Cancel(timer_);
  timer_time_ = t;
  timer_ = engine_.ScheduleAt(t, [this] { OnTimer(); });
}

// ---------------------------------------------------------------------------------------------
// Solving

// A solve re-fills a set S of bundles by progressive filling while every other bundle keeps its
// rate, then checks the result against the characterisation of max-min fairness (Bertsekas and
// Gallager, "Data Networks", ch. 6): a feasible allocation is max-min fair iff every bundle has a
// bottleneck, a saturated link on which no bundle has a higher per-flow rate (or is at its cap).
// Bundles that lose their bottleneck join S and the round repeats. Only bundles on links that S
// crosses can lose one, so a change ripples no further than it must: one bundle ending in a
// large all-to-all re-fills its neighbourhood, not the whole network. S starts as the new bundles
// and the users of links whose set of bundles changed; after kLocalRounds rounds it takes in
// their whole connected components, whose fill needs no check (nothing outside them can be
// unfair), which bounds a solve at a few times the cost of re-filling the components from
// scratch.
//
// A user of a changed link whose bottleneck lies elsewhere keeps a valid bottleneck unless the
// solve changes that link's other rates (then the check sees it) or makes it the fastest on a
// link where a bundle of S froze (the check sees that too), so it need not join at the start.
// Joining it anyway saves rounds when it is small; a large one (a data-parallel ring over 256
// nodes crosses hundreds of links, shared with every all-to-all and pipeline send of those
// nodes) would drag all its links into every solve that touches any of them. So a changed link
// brings in its users bottlenecked on it, and the others only if they cross at most
// kEagerJoinHops links: pipeline sends (up to 8 links once the executor has merged links in
// series), not all-to-alls (32 links for 16 ranks) or rings. (At 16,384 GPUs with --expand,
// counted with instrumentation not kept in the tree, leaving out the rings cut the links
// visited by solves by 45% and the heap pops by 60%; leaving out the all-to-alls as well saved
// 13% of the run time. A threshold of 4, which leaves out the pipeline sends, needs so many
// more rounds that it costs more than it saves: 25% more time at 4,096 GPUs.) Which bundles a
// solve re-fills changes its rounding, not its rates beyond kFairTolerance, but an expanded
// step amplifies rounding (see the README).
namespace {
constexpr int kLocalRounds = 6;
// FillGroup takes groups of up to this many bundles (a TP group's collectives overlapping).
constexpr size_t kMaxGroup = 4;
constexpr size_t kEagerJoinHops = 16;
// Relative slack under which a link counts as saturated and a rate as the fastest on its link.
// Far above the rounding of a sum of rates (~1e-16 per term), far below anything measurable.
constexpr double kFairTolerance = 1e-10;
}  // namespace

void FlowNetwork::Solve() {
  ++epoch_;
  solve_bundles_.clear();
  solve_links_.clear();
  for (const uint32_t s : started_) Mark(s);
  started_.clear();
  for (const uint32_t l : stale_links_) {
    links_[l].stale = false;
    for (const LinkUse& use : links_[l].uses) {
      const Bundle& user = bundles_[use.bundle];
      if (user.bottleneck == l || user.hops.size() <= kEagerJoinHops) Mark(use.bundle);
    }
  }
  stale_links_.clear();
  if (solve_bundles_.empty()) return;
  ++solve_count_;
  // Groups (see FillGroup) are filled and their rates applied at once; their links never enter
  // the rounds, which re-fill the other bundles of S.
  const Time now = engine_.now();
  size_t kept = 0;
  for (const uint32_t s : solve_bundles_) bundles_[s].frozen = false;
  for (size_t i = 0; i < solve_bundles_.size(); ++i) {
    const uint32_t s = solve_bundles_[i];
    if (bundles_[s].frozen || FillGroup(s, now)) continue;
    solve_bundles_[kept++] = s;
    AddLinks(s);
  }
  solve_bundles_.resize(kept);
  if (solve_bundles_.empty()) {
    ArmTimer();
    return;
  }
  for (int round = 1;; ++round) {
    if (round == kLocalRounds) JoinComponents();
    const bool closed = Refill();
    if (closed || Validate()) break;
  }
  ApplyRates();
  ArmTimer();
}

bool FlowNetwork::Mark(uint32_t slot) {
  Bundle& b = bundles_[slot];
  if (b.stamp == epoch_) return false;
  b.stamp = epoch_;
  solve_bundles_.push_back(slot);
  return true;
}

void FlowNetwork::Join(uint32_t slot) {
  if (Mark(slot)) AddLinks(slot);
}

void FlowNetwork::AddLinks(uint32_t slot) {
  for (const Hop& hop : bundles_[slot].hops) {
    if (links_[hop.link].stamp == epoch_) continue;
    links_[hop.link].stamp = epoch_;
    solve_links_.push_back(hop.link);
  }
}

// Grows S to the connected components (bundles linked through shared links) that contain it:
// breadth-first, as Join appends the links of each bundle it takes in.
void FlowNetwork::JoinComponents() {
  for (size_t i = 0; i < solve_links_.size(); ++i) {
    for (const LinkUse& use : links_[solve_links_[i]].uses) Join(use.bundle);
  }
}

double FlowNetwork::RateInSolve(const Bundle& b) const {
  return b.stamp == epoch_ ? b.new_rate : b.rate;
}

// Weighted progressive filling of S with a heap of candidate levels, in the capacity the other
// bundles leave. All unfrozen bundles share the current level λ, so link l saturates at
// λ_l = slack_l / unfrozen weight_l. Freezing a bundle at λ ≤ λ_l can only raise λ_l of its
// other links (it stops growing there), so a heap entry is a lower bound on its link's level:
// Freeze only updates the sums, and an entry that pops below its link's current level goes back
// in at that level. The loop stops once every bundle is frozen. Returns true if no other bundle
// shares a link with S: S is then a union of components, and its fill is the exact answer.
bool FlowNetwork::Refill() {
  fill_.clear();
  size_t unfrozen_bundles = 0;
  for (const uint32_t s : solve_bundles_) bundles_[s].frozen = false;
  for (const uint32_t s : solve_bundles_) {
    Bundle& b = bundles_[s];
    ++unfrozen_bundles;
    b.own = Fill{.level = 0, .key = kNoKey};
    if (b.cap > 0) fill_.push_back(Fill{.level = b.cap, .key = kCapKey | s});
  }
  bool closed = true;
  for (const uint32_t l : solve_links_) {
    Link& link = links_[l];
    if (link.uses.size() == 1) {
      // Its one user is in S (that is how the link got here) and no one else takes any of it,
      // so its level stays capacity / weight until that user freezes: of a bundle's links with
      // no other user, only the lowest can freeze it, and only that one is a candidate.
      link.slack = link.capacity;
      link.unfrozen = link.weight;
      Bundle& user = bundles_[link.uses[0].bundle];
      const Fill f{.level = link.slack / link.unfrozen, .key = l};
      if (user.own.key == kNoKey || FillAfter()(user.own, f)) user.own = f;
      continue;
    }
    double slack = link.capacity;
    double unfrozen = 0;
    for (const LinkUse& use : link.uses) {
      const Bundle& b = bundles_[use.bundle];
      if (b.stamp == epoch_) {
        unfrozen += static_cast<double>(use.weight);
      } else {
        slack -= static_cast<double>(use.weight) * b.rate;
        closed = false;
      }
    }
    // Fixed bundles may hold all of it (then S gets nothing here, and the check that follows
    // makes the faster of them join S).
    link.slack = std::max(slack, 0.0);
    link.unfrozen = unfrozen;
    fill_.push_back(Fill{.level = link.slack / unfrozen, .key = l});
  }
  for (const uint32_t s : solve_bundles_) {
    if (bundles_[s].own.key != kNoKey) fill_.push_back(bundles_[s].own);
  }
  // Keys are unique, so the order of the pops does not depend on the order of the pushes.
  std::make_heap(fill_.begin(), fill_.end(), FillAfter());
  while (unfrozen_bundles > 0) {
    TRAINSIM_CHECK(!fill_.empty()) << "progressive filling ran out of candidates";
    std::pop_heap(fill_.begin(), fill_.end(), FillAfter());
    const Fill f = fill_.back();
    fill_.pop_back();
    const auto index = static_cast<uint32_t>(f.key);
    if ((f.key & kCapKey) != 0) {
      if (!bundles_[index].frozen) {
        Freeze(index, f.level, kAtCap);
        --unfrozen_bundles;
      }
      continue;
    }
    Link& link = links_[index];
    if (link.unfrozen == 0) continue;  // saturated, or all its bundles froze elsewhere
    const double level = link.slack / link.unfrozen;
    if (level > f.level) {  // it rose since this entry was queued
      fill_.push_back(Fill{.level = level, .key = index});
      std::push_heap(fill_.begin(), fill_.end(), FillAfter());
      continue;
    }
    // Saturates now. (Rounding can leave `level` a hair below f.level: levels never fall.)
    link.unfrozen = 0;  // closes the link, so Freeze leaves it alone
    for (const LinkUse& use : link.uses) {
      const Bundle& b = bundles_[use.bundle];
      if (b.stamp != epoch_ || b.frozen) continue;
      Freeze(use.bundle, f.level, index);
      --unfrozen_bundles;
    }
  }
  return closed;
}

// Bundles that cross the same links and share them with no other bundle (a TP collective inside
// a node, alone or overlapping another of its TP group's) form a component of the fill with no
// candidate but their links and caps. Without caps, or with one bundle, the heap would freeze
// them all at their lowest candidate: a link at capacity / Σ weight (no fixed bundle takes any
// of it), or the one bundle's cap, ties to the lower key. Filling them here, before the rounds,
// keeps their links out of the heap and out of the check: nothing else crosses them, so the
// result is final, and the members' rates are applied at once (they are marked frozen so that
// Solve skips the others). Returns false, changing nothing, if `slot`'s links are not so shared.
bool FlowNetwork::FillGroup(uint32_t slot, Time now) {
  Bundle& b = bundles_[slot];
  const UseList& group = links_[b.hops[0].link].uses;
  const size_t k = group.size();
  if (k > kMaxGroup) return false;
  std::array<uint32_t, kMaxGroup> members;
  for (size_t i = 0; i < k; ++i) {
    members[i] = group.begin()[i].bundle;
    const Bundle& member = bundles_[members[i]];
    if (member.stamp != epoch_ || member.hops.size() != b.hops.size()) return false;
    if (k > 1 && member.cap > 0) return false;
  }
  // Each link carries exactly the group, so every member crosses every link of `slot`, and no
  // other (hops are distinct links). With k = 1 the one user is `slot`.
  for (const Hop& hop : b.hops) {
    const UseList& uses = links_[hop.link].uses;
    if (uses.size() != k) return false;
    if (k == 1) continue;
    for (const LinkUse& use : uses) {
      if (std::find(members.begin(), members.begin() + k, use.bundle) == members.begin() + k) {
        return false;
      }
    }
  }
  bool any = b.cap > 0;
  Fill lowest{.level = b.cap, .key = kCapKey | slot};
  for (const Hop& hop : b.hops) {
    const Link& link = links_[hop.link];
    // As Refill computes it: the slack is the whole capacity, the unfrozen weight the sum of
    // the users' (integers, so exact in any order).
    const Fill f{.level = link.capacity / static_cast<double>(link.weight), .key = hop.link};
    if (!any || FillAfter()(lowest, f)) lowest = f;
    any = true;
  }
  const uint32_t bottleneck =
      (lowest.key & kCapKey) != 0 ? kAtCap : static_cast<uint32_t>(lowest.key);
  for (const LinkUse& use : group) {
    Bundle& member = bundles_[use.bundle];
    member.frozen = true;
    member.new_rate = lowest.level;
    member.bottleneck = bottleneck;
    ApplyRate(use.bundle, now);
  }
  return true;
}

void FlowNetwork::Freeze(uint32_t slot, double level, uint32_t bottleneck) {
  Bundle& b = bundles_[slot];
  b.frozen = true;
  b.new_rate = level;
  b.bottleneck = bottleneck;
  for (const Hop& hop : b.hops) {
    Link& link = links_[hop.link];
    if (link.unfrozen == 0) continue;
    const double w = hop.weight;
    link.slack -= w * level;
    link.unfrozen -= w;
  }
}

// Returns true if the filled S together with the fixed bundles is max-min fair; otherwise the
// bundles that break it have joined S. Links outside S's links are unchanged, and so is every
// fixed bundle whose bottleneck lies outside them.
bool FlowNetwork::Validate() {
  // A link of S with one user is skipped throughout: that user is in S (it brought the link in),
  // is the fastest there whatever its rate, and no fixed bundle crosses the link.
  for (const uint32_t l : solve_links_) {
    Link& link = links_[l];
    if (link.uses.size() == 1) continue;
    double load = 0;
    double fastest = 0;
    for (const LinkUse& use : link.uses) {
      const double rate = RateInSolve(bundles_[use.bundle]);
      load += static_cast<double>(use.weight) * rate;
      fastest = std::max(fastest, rate);
    }
    link.slack = link.capacity - load;
    link.max_rate = fastest;
  }
  joining_.clear();
  // A bundle of S froze on a link where a fixed bundle goes faster: that one takes more than its
  // share there and must be re-filled too.
  for (const uint32_t s : solve_bundles_) {
    const Bundle& b = bundles_[s];
    if (b.bottleneck == kAtCap) continue;
    const Link& link = links_[b.bottleneck];
    if (link.uses.size() == 1 || b.new_rate >= link.max_rate * (1 - kFairTolerance)) continue;
    for (const LinkUse& use : link.uses) {
      const Bundle& other = bundles_[use.bundle];
      if (other.stamp != epoch_ && other.rate > b.new_rate) joining_.push_back(use.bundle);
    }
  }
  // A fixed bundle on a link of S must still have a bottleneck.
  const uint64_t round = ++check_round_;
  for (const uint32_t l : solve_links_) {
    if (links_[l].uses.size() == 1) continue;
    for (const LinkUse& use : links_[l].uses) {
      Bundle& b = bundles_[use.bundle];
      if (b.stamp == epoch_ || b.checked == round) continue;
      b.checked = round;
      if (!HasBottleneck(b)) joining_.push_back(use.bundle);
    }
  }
  for (const uint32_t s : joining_) Join(s);
  return joining_.empty();
}

// For a fixed bundle: keeps or finds a link that is saturated and on which it is the fastest.
bool FlowNetwork::HasBottleneck(Bundle& b) {
  if (b.bottleneck == kAtCap || links_[b.bottleneck].stamp != epoch_) return true;
  const double slow_enough = b.rate * (1 + kFairTolerance);
  for (const Hop& hop : b.hops) {
    const Link& link = links_[hop.link];
    double slack = link.slack;
    double fastest = link.max_rate;
    if (link.stamp != epoch_) {  // untouched by S: its state is that of the last solve
      slack = link.capacity;
      fastest = 0;
      for (const LinkUse& use : link.uses) {
        const double rate = bundles_[use.bundle].rate;
        slack -= static_cast<double>(use.weight) * rate;
        fastest = std::max(fastest, rate);
      }
    }
    if (slack <= link.capacity * kFairTolerance && fastest <= slow_enough) {
      b.bottleneck = hop.link;
      return true;
    }
  }
  return false;
}

// Bundles whose rate changed bank their progress at the old rate and get a new finish time;
// the others keep theirs, so an unrelated start never perturbs a finish by rounding.
void FlowNetwork::ApplyRates() {
  const Time now = engine_.now();
  for (const uint32_t s : solve_bundles_) ApplyRate(s, now);
}

void FlowNetwork::ApplyRate(uint32_t slot, Time now) {
  Bundle& b = bundles_[slot];
  if (b.new_rate == b.rate) return;
  TRAINSIM_CHECK(b.new_rate > 0) << "a solve left bundle " << b.id << " without bandwidth";
  Advance(b, now);
  b.rate = b.new_rate;
  QueueAt(slot, b.remaining == 0 ? now : now + TimeToSend(b.remaining, b.rate));
}

void FlowNetwork::Advance(Bundle& b, Time now) {
  double sent = BytesSentSince(b, now);
  b.remaining -= sent;
  if (b.remaining <= b.bytes * kSentFraction) {
    sent += b.remaining;
    b.remaining = 0;
  }
  b.updated_at = now;
  Credit(b, sent);
}

void FlowNetwork::Credit(const Bundle& b, double bytes) {
  if (bytes == 0) return;
  for (const Hop& hop : b.hops) counters_[hop.link].bytes += hop.weight * bytes;
}

double FlowNetwork::BytesSentSince(const Bundle& b, Time now) const {
  if (b.phase != Phase::kSending) return 0;
  return std::min(b.remaining, BytesIn(b.rate, now - b.updated_at));
}

// ---------------------------------------------------------------------------------------------
// The due-event heap

void FlowNetwork::QueueAt(uint32_t slot, Time t) {
  const Due d{.time = t, .id = bundles_[slot].id};
  uint32_t& pos = heap_pos_[slot];
  if (pos == kNotQueued) {
    due_.push_back(d);
    pos = static_cast<uint32_t>(due_.size() - 1);
    SiftUp(pos);
    return;
  }
  due_[pos] = d;
  SiftUp(pos);
  SiftDown(pos);  // where SiftUp left it
}

void FlowNetwork::Unqueue(uint32_t slot) {
  const uint32_t i = heap_pos_[slot];
  heap_pos_[slot] = kNotQueued;
  const Due last = due_.back();
  due_.pop_back();
  if (i == due_.size()) return;
  Place(i, last);
  SiftUp(i);
  SiftDown(heap_pos_[SlotOf(last.id)]);
}

void FlowNetwork::SiftUp(uint32_t i) {
  const Due d = due_[i];
  while (i > 0) {
    const uint32_t parent = (i - 1) / 2;
    if (!DueBefore(d, due_[parent])) break;
    Place(i, due_[parent]);
    i = parent;
  }
  Place(i, d);
}

void FlowNetwork::SiftDown(uint32_t i) {
  const Due d = due_[i];
  const auto n = static_cast<uint32_t>(due_.size());
  for (uint32_t child = 2 * i + 1; child < n; child = 2 * i + 1) {
    if (child + 1 < n && DueBefore(due_[child + 1], due_[child])) ++child;
    if (!DueBefore(due_[child], d)) break;
    Place(i, due_[child]);
    i = child;
  }
  Place(i, d);
}

void FlowNetwork::Place(uint32_t i, const Due& d) {
  due_[i] = d;
  heap_pos_[SlotOf(d.id)] = i;
}

// ---------------------------------------------------------------------------------------------
// Queries

BytesPerSecond FlowNetwork::rate(BundleId id) const {
  const uint64_t serial = id.value >> kSlotBits;
  TRAINSIM_CHECK(serial >= 1 && serial < next_serial_)
      << "BundleId " << id.value << " was not issued by this FlowNetwork";
  const uint64_t slot = id.value & kSlotMask;
  if (slot >= bundles_.size() || bundles_[slot].id != id.value) return BytesPerSecond(0);
  const Bundle& b = bundles_[slot];
  return BytesPerSecond(b.phase == Phase::kSending ? b.rate : 0.0);
}

size_t FlowNetwork::active_bundles() const { return active_; }

size_t FlowNetwork::link_count() const { return links_.size(); }

void FlowNetwork::CheckLink(LinkIndex link) const {
  TRAINSIM_CHECK(link.value < links_.size())
      << "no link " << link.value << " in a network of " << links_.size();
}

BytesPerSecond FlowNetwork::capacity(LinkIndex link) const {
  CheckLink(link);
  return BytesPerSecond(links_[link.value].capacity);
}

Bytes FlowNetwork::link_bytes(LinkIndex link) const {
  CheckLink(link);
  const Time now = engine_.now();
  double bytes = counters_[link.value].bytes;
  for (const LinkUse& use : links_[link.value].uses) {
    bytes += static_cast<double>(use.weight) * BytesSentSince(bundles_[use.bundle], now);
  }
  return Bytes::FromDouble(bytes);
}

Time FlowNetwork::link_busy_time(LinkIndex link) const {
  CheckLink(link);
  const Time busy = counters_[link.value].busy;
  return links_[link.value].uses.empty() ? busy : busy + engine_.now();
}

}  // namespace trainsim
