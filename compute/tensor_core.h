// Which datapath runs a GEMM's multiply-accumulates for a number format on a GPU, at what dense
// peak, with what extra CUDA-core work and energy per MAC: natively on tensor cores (or CUDA cores
// for FP32), via a wider format (INT4 unpacked to INT8 on Hopper; MX/NVFP4 dequantised to FP8 on
// GPUs without block-scaled tensor cores), VS-Quant emulated (integer MMAs per vector plus a
// rescale on CUDA cores) or on the hypothetical VSQ tensor core (Dally, Hot Chips 2023). A format
// no path can run is an error naming the GPU and the format. 2:4 sparsity multiplies the
// tensor-core rate by gpu.sparse_speedup (≤ 2) and is an error where the GPU or path lacks it.
// Units: peaks in FLOP/s (2 FLOP per MAC), energies in J per MAC executed.
#ifndef TRAINSIM_COMPUTE_TENSOR_CORE_H_
#define TRAINSIM_COMPUTE_TENSOR_CORE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "compute/gpu_spec.h"
#include "compute/number_format.h"
#include "sim/status.h"
#include "sim/units.h"

namespace trainsim::compute {

// The hardware datapath that executes the MACs.
enum class MathType : uint8_t { kFp32Vector, kTf32, kBf16, kFp16, kFp8, kInt8, kInt4, kFp6, kFp4 };

enum class Execution : uint8_t {
  kNative,         // the datapath runs the format as stored
  kWiderFormat,    // INT4 unpacked to INT8 in registers; runs at the INT8 rate
  kDequantToFp8,   // MX/NVFP4 tiles dequantised to FP8 (block scale applied) on CUDA cores
  kVsqEmulated,    // per-vector integer MMAs, partial sums rescaled by s_w·s_a on CUDA cores
  kVsqTensorCore,  // the VSQ tensor core rescales in its datapath (gpu.vsq_int4_tensor_cores)
};

struct MathPath {
  MathType math_type = MathType::kBf16;
  Execution execution = Execution::kNative;
  FlopsPerSecond dense_peak{};  // of the datapath for this format, before efficiencies
  // Fraction of each tensor-core MMA doing useful work: < 1 when a VSQ vector is shorter than
  // the MMA's K (the rest is zero padding).
  double mma_utilisation = 1.0;
  // CUDA-core instructions per useful MAC for dequantisation or rescaling; they run concurrently
  // with the tensor cores (warp-specialised kernels), so the slower of the two sets the time.
  double cuda_core_ops_per_mac = 0.0;
  Joules mac_energy{};          // per MAC executed on the datapath (VSQ overhead included)
  double sparse_speedup = 1.0;  // gpu.sparse_speedup for a 2:4-sparse op, else 1
};

// The path for `format` on `gpu`, dense or 2:4-sparse. REQUIRES: ValidateGpuSpec(gpu).ok().
// Errors (InvalidArgument): an invalid format, a format the GPU cannot run, sparsity on a GPU
// without it or on a path without tensor cores.
StatusOr<MathPath> ResolveMathPath(const GpuSpec& gpu, const NumberFormat& format, bool sparse);

namespace internal {
// The allocation-free core of ResolveMathPath, for the roofline's hot path: the Status and its
// message are built only when a call fails. `why` (static text) explains kUnsupported.
enum class PathError : uint8_t {
  kNone,
  kInvalidFormat,
  kUnsupported,
  kNoSparsity,
  kSparseOnCudaCores,
};
struct PathResult {
  MathPath path;
  PathError error = PathError::kNone;
  std::string_view why;
};
PathResult ResolvePath(const GpuSpec& gpu, const NumberFormat& format, bool sparse);
}  // namespace internal

// Formats (with default block parameters) that ResolveMathPath accepts dense on `gpu`.
std::vector<NumberFormat> SupportedFormats(const GpuSpec& gpu);

std::string_view MathTypeName(MathType t);    // "fp32-vector", "tf32", ..., "fp4"
std::string_view ExecutionName(Execution e);  // "native", "wider-format", ...
// One sentence on how the path runs, for tables and --explain output.
std::string_view DescribeExecution(Execution e);

}  // namespace trainsim::compute

#endif  // TRAINSIM_COMPUTE_TENSOR_CORE_H_
