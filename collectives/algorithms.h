// Factories of the built-in collective algorithms (one small class each, in its own .cc).
// Only collective.cc's registry calls these; everything else finds algorithms by name.
#ifndef TRAINSIM_COLLECTIVES_ALGORITHMS_H_
#define TRAINSIM_COLLECTIVES_ALGORITHMS_H_

#include <memory>

#include "collectives/collective.h"

namespace trainsim::collectives {

std::unique_ptr<CollectiveAlgorithm> MakeRing();          // ring.cc
std::unique_ptr<CollectiveAlgorithm> MakeTree();          // tree.cc
std::unique_ptr<CollectiveAlgorithm> MakeNvls();          // nvls.cc
std::unique_ptr<CollectiveAlgorithm> MakeSharp();         // sharp.cc
std::unique_ptr<CollectiveAlgorithm> MakeHierarchical();  // hierarchical.cc
std::unique_ptr<CollectiveAlgorithm> MakeDirect();        // direct.cc

}  // namespace trainsim::collectives

#endif  // TRAINSIM_COLLECTIVES_ALGORITHMS_H_
