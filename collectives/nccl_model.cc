#include "collectives/nccl_model.h"

namespace trainsim::collectives::nccl {

double LinkEfficiency(topology::LinkTier tier) {
  switch (tier) {
    case topology::LinkTier::kNvlink:
    case topology::LinkTier::kNvlinkNetwork:
      return 20.6 / 25.0;
    case topology::LinkTier::kPcie:
      return 256.0 / (256.0 + 24.0);
    case topology::LinkTier::kLeaf:
    case topology::LinkTier::kSpine:
    case topology::LinkTier::kCore:
      return 4096.0 / (4096.0 + 26.0);
    case topology::LinkTier::kReduction:
      return 1.0;
  }
  return 1.0;
}

}  // namespace trainsim::collectives::nccl
