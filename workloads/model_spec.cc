#include "workloads/model_spec.h"

namespace trainsim::workloads {

int64_t DefaultFfnHidden(int64_t hidden, MlpKind mlp) {
  switch (mlp) {
    case MlpKind::kGelu:
      return 4 * hidden;
    case MlpKind::kSwiglu: {
      const int64_t two_thirds = (8 * hidden + 2) / 3;  // ceil(2/3 · 4h)
      return (two_thirds + 255) / 256 * 256;
    }
  }
  return 4 * hidden;
}

}  // namespace trainsim::workloads
