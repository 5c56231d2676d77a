#include "collectives/series_links.h"

#include <algorithm>
#include <limits>

#include "sim/check.h"

namespace trainsim::collectives {
namespace {

// One bundle crossing a link: which bundle (numbered across all plans) and its weight there.
struct User {
  uint32_t bundle;
  uint32_t weight;
  bool operator==(const User&) const = default;
};

// A link's users, every plan's bundles in order: CSR over the links.
struct UsersByLink {
  std::vector<uint32_t> begin;  // link l's users are users[begin[l] .. begin[l + 1])
  std::vector<User> users;

  std::span<const User> of(size_t link) const {
    return {users.data() + begin[link], users.data() + begin[link + 1]};
  }
};

UsersByLink CollectUsers(std::span<const CollectivePlan> plans, size_t links) {
  UsersByLink out;
  out.begin.assign(links + 1, 0);
  size_t bundles = 0;
  for (const CollectivePlan& plan : plans) {
    for (const PlanPhase& phase : plan.phases) {
      for (const PlannedBundle& b : phase.bundles) {
        ++bundles;
        for (const FlowHop& hop : b.path) {
          TRAINSIM_CHECK(hop.link.value < links)
              << "a plan names link " << hop.link.value << " of a network of " << links;
          ++out.begin[hop.link.value + 1];
        }
      }
    }
  }
  TRAINSIM_CHECK(bundles < std::numeric_limits<uint32_t>::max()) << bundles << " bundles";
  for (size_t l = 0; l < links; ++l) out.begin[l + 1] += out.begin[l];
  out.users.resize(out.begin[links]);
  std::vector<uint32_t> next(out.begin.begin(), out.begin.end() - 1);
  uint32_t bundle = 0;
  for (const CollectivePlan& plan : plans) {
    for (const PlanPhase& phase : plan.phases) {
      for (const PlannedBundle& b : phase.bundles) {
        for (const FlowHop& hop : b.path) {
          const uint32_t l = hop.link.value;
          // A bundle's entries are the last ones written on each of its links so far.
          TRAINSIM_CHECK(next[l] == out.begin[l] || out.users[next[l] - 1].bundle != bundle)
              << "a bundle's path names link " << l << " twice";
          out.users[next[l]++] = User{.bundle = bundle, .weight = hop.weight};
        }
        ++bundle;
      }
    }
  }
  return out;
}

uint64_t Hash(std::span<const User> users) {
  uint64_t h = users.size();
  for (const User& u : users) {
    const uint64_t x = (uint64_t{u.bundle} << 32) | u.weight;
    h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

std::vector<uint32_t> MergeSeriesLinks(std::span<CollectivePlan> plans,
                                       std::span<const BytesPerSecond> capacities) {
  const size_t links = capacities.size();
  const UsersByLink users = CollectUsers(plans, links);
  std::vector<uint32_t> representative(links);
  for (size_t l = 0; l < links; ++l) representative[l] = static_cast<uint32_t>(l);

  // Links with the same users hash alike; sorting by (hash, index) brings each set together,
  // and an exact comparison splits the rare runs of equal hashes that are not one set.
  std::vector<std::pair<uint64_t, uint32_t>> keyed;
  for (size_t l = 0; l < links; ++l) {
    if (!users.of(l).empty()) keyed.emplace_back(Hash(users.of(l)), static_cast<uint32_t>(l));
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<uint32_t> heads;  // within a run: the first link of each distinct set, by index
  for (size_t i = 0; i < keyed.size();) {
    size_t end = i + 1;
    while (end < keyed.size() && keyed[end].first == keyed[i].first) ++end;
    heads.clear();
    for (size_t k = i; k < end; ++k) {
      const uint32_t l = keyed[k].second;
      auto same = std::find_if(heads.begin(), heads.end(), [&](uint32_t h) {
        return std::ranges::equal(users.of(h), users.of(l));
      });
      if (same == heads.end()) {
        heads.push_back(l);
      } else {
        representative[l] = *same;
      }
    }
    // Each set's narrowest link represents it; among equals, the lowest index (the head, as
    // the run is in index order).
    for (const uint32_t h : heads) {
      uint32_t narrowest = h;
      for (size_t k = i; k < end; ++k) {
        const uint32_t l = keyed[k].second;
        if (representative[l] == h && capacities[l].value() < capacities[narrowest].value()) {
          narrowest = l;
        }
      }
      for (size_t k = i; k < end; ++k) {
        uint32_t& r = representative[keyed[k].second];
        if (r == h) r = narrowest;
      }
    }
    i = end;
  }

  // Rewrite the paths: each set once, by its representative, where its first link stood.
  std::vector<uint32_t> seen_in(links, std::numeric_limits<uint32_t>::max());
  uint32_t bundle = 0;
  for (CollectivePlan& plan : plans) {
    for (PlanPhase& phase : plan.phases) {
      for (PlannedBundle& b : phase.bundles) {
        size_t kept = 0;
        for (const FlowHop& hop : b.path) {
          const uint32_t r = representative[hop.link.value];
          if (seen_in[r] == bundle) continue;
          seen_in[r] = bundle;
          b.path[kept++] = FlowHop{.link = LinkIndex{r}, .weight = hop.weight};
        }
        b.path.resize(kept);
        b.flow_ends.clear();
        ++bundle;
      }
    }
  }
  return representative;
}

}  // namespace trainsim::collectives
