#include "compute/tensor_core.h"

#include "fmt/format.h"

namespace trainsim::compute {
namespace {

// Dally, Hot Chips 2023 (shared/data/hotchips2023-dally.md, test chip): "VSQ support costs 0.8%
// energy at 0.67 V". Applied to every MAC of a VSQ tensor core; its rescale multiplier sits
// behind the V-element dot product and is pipelined, so it adds no time.
constexpr double kVsqEnergyOverhead = 0.008;

// Emulated VS-Quant computes y = (Σ_{i<V} w_q(i)·a_q(i)) · s_w(j) · s_a(j) (Dally, Hot Chips
// 2023) with integer MMAs over one vector, then per vector and output element on CUDA cores:
// convert the INT32 partial sum to FP32 (I2F), multiply the two scales (FMUL), accumulate
// partial × scale into the FP32 accumulator (FFMA). DeepSeek-V3 (arXiv 2412.19437, §3.3.2)
// promotes FP8 partial sums to CUDA cores the same way, every 128 elements.
constexpr double kVsqRescaleOpsPerVector = 3.0;

// K extent of one integer MMA instruction (PTX ISA, mma.sync shapes m16n8k32 for .s8 and
// m16n8k64 for .s4; Hopper wgmma .s8 has K = 32). A vector shorter than K wastes the rest.
constexpr int kMmaKInt8 = 32;
constexpr int kMmaKInt4 = 64;

// CUDA-core instructions per element loaded into a tile. Dequantising MX/NVFP4 to FP8: one
// packed convert and one packed multiply by the block scale per pair of elements (f16x2-style
// instructions handle two lanes' worth each): 1 per element. Unpacking INT4 to INT8: one
// byte-permute/LOP3 yields four INT8 values from packed nibbles: 0.25 per element.
constexpr double kDequantOpsPerElement = 1.0;
constexpr double kUnpackOpsPerElement = 0.25;

struct Datapath {
  FlopsPerSecond peak;
  Joules mac_energy;
};

Datapath DatapathOf(const GpuSpec& gpu, MathType t) {
  switch (t) {
    case MathType::kFp32Vector:
      return {gpu.peak_fp32_vector, gpu.mac_energy_fp32};
    case MathType::kTf32:
      return {gpu.peak_tf32, gpu.mac_energy_tf32};
    case MathType::kBf16:
      return {gpu.peak_bf16, gpu.mac_energy_bf16};
    case MathType::kFp16:
      return {gpu.peak_fp16, gpu.mac_energy_bf16};
    case MathType::kFp8:
      return {gpu.peak_fp8, gpu.mac_energy_fp8};
    case MathType::kInt8:
      return {gpu.peak_int8, gpu.mac_energy_int8};
    case MathType::kInt4:
      return {gpu.peak_int4, gpu.mac_energy_int4};
    case MathType::kFp6:
      return {gpu.peak_fp6, gpu.mac_energy_fp8};
    case MathType::kFp4:
      return {gpu.peak_fp4, gpu.mac_energy_int4};
  }
  TRAINSIM_CHECK(false) << "unknown MathType " << static_cast<int>(t);
  return {};
}

bool Has(const GpuSpec& gpu, MathType t) { return DatapathOf(gpu, t).peak.value() > 0; }

MathPath Path(const GpuSpec& gpu, MathType t, Execution e) {
  const Datapath d = DatapathOf(gpu, t);
  return MathPath{.math_type = t, .execution = e, .dense_peak = d.peak, .mac_energy = d.mac_energy};
}

// Fraction of an MMA with K = `mma_k` that a vector of `v` elements fills.
double MmaUtilisation(int v, int mma_k) {
  const int padded = (v + mma_k - 1) / mma_k * mma_k;
  return static_cast<double>(v) / padded;
}

}  // namespace

namespace internal {

PathResult ResolvePath(const GpuSpec& gpu, const NumberFormat& format, bool sparse) {
  PathResult r;
  if (!IsValidNumberFormat(format)) {
    r.error = PathError::kInvalidFormat;
    return r;
  }
  auto unsupported = [&](std::string_view why) {
    r.error = PathError::kUnsupported;
    r.why = why;
    return r;
  };
  // Elements loaded per MAC: a tile_m × tile_n × K tile loads (tile_m + tile_n)·K elements.
  auto elements_per_mac = [&] { return 1.0 / gpu.tile_m + 1.0 / gpu.tile_n; };
  auto dequant_to_fp8 = [&] {
    r.path = Path(gpu, MathType::kFp8, Execution::kDequantToFp8);
    r.path.cuda_core_ops_per_mac = kDequantOpsPerElement * elements_per_mac();
  };

  switch (format.format) {
    case Format::kFp32:
      if (!Has(gpu, MathType::kFp32Vector)) {
        return unsupported("it has no FP32 units (gpu.peak_fp32_vector = 0)");
      }
      r.path = Path(gpu, MathType::kFp32Vector, Execution::kNative);
      break;
    case Format::kTf32:
      if (!Has(gpu, MathType::kTf32)) {
        return unsupported("it has no TF32 tensor cores (gpu.peak_tf32 = 0)");
      }
      r.path = Path(gpu, MathType::kTf32, Execution::kNative);
      break;
    case Format::kBf16:
      if (!Has(gpu, MathType::kBf16)) {
        return unsupported("it has no BF16 tensor cores (gpu.peak_bf16 = 0)");
      }
      r.path = Path(gpu, MathType::kBf16, Execution::kNative);
      break;
    case Format::kFp16:
      if (!Has(gpu, MathType::kFp16)) {
        return unsupported("it has no FP16 tensor cores (gpu.peak_fp16 = 0)");
      }
      r.path = Path(gpu, MathType::kFp16, Execution::kNative);
      break;
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
      if (!Has(gpu, MathType::kFp8)) {
        return unsupported("it has no FP8 tensor cores (gpu.peak_fp8 = 0)");
      }
      r.path = Path(gpu, MathType::kFp8, Execution::kNative);
      break;
    case Format::kInt8:
      if (!Has(gpu, MathType::kInt8)) {
        return unsupported("it has no INT8 tensor cores (gpu.peak_int8 = 0)");
      }
      r.path = Path(gpu, MathType::kInt8, Execution::kNative);
      break;
    case Format::kInt4:
      if (Has(gpu, MathType::kInt4)) {
        r.path = Path(gpu, MathType::kInt4, Execution::kNative);
      } else if (Has(gpu, MathType::kInt8)) {
        // Hopper dropped INT4 MMA (its datasheet lists no INT4 rate): unpack to INT8.
        r.path = Path(gpu, MathType::kInt8, Execution::kWiderFormat);
        r.path.cuda_core_ops_per_mac = kUnpackOpsPerElement * elements_per_mac();
      } else {
        return unsupported("it has no INT4 or INT8 tensor cores (gpu.peak_int4 = peak_int8 = 0)");
      }
      break;
    case Format::kInt8Vsq:
    case Format::kInt4Vsq: {
      const bool int4 = format.format == Format::kInt4Vsq;
      const double rescale = kVsqRescaleOpsPerVector / format.block_size;
      if (!Has(gpu, MathType::kInt8) && !(int4 && Has(gpu, MathType::kInt4))) {
        return unsupported("it has no integer tensor cores (gpu.peak_int8 = 0)");
      }
      if (gpu.vsq_int4_tensor_cores) {
        // The VSQ tensor core of the what-if: INT4 at twice the INT8 rate (as A100's INT4 MMA
        // ran at twice its INT8 rate), INT8 at the INT8 rate; energy of the element width plus
        // the 0.8% VSQ overhead.
        r.path = Path(gpu, int4 ? MathType::kInt4 : MathType::kInt8, Execution::kVsqTensorCore);
        r.path.dense_peak = gpu.peak_int8 * (int4 ? 2.0 : 1.0);
        r.path.mac_energy =
            (int4 ? gpu.mac_energy_int4 : gpu.mac_energy_int8) * (1 + kVsqEnergyOverhead);
      } else if (int4 && Has(gpu, MathType::kInt4)) {
        r.path = Path(gpu, MathType::kInt4, Execution::kVsqEmulated);
        r.path.mma_utilisation = MmaUtilisation(format.block_size, kMmaKInt4);
        r.path.cuda_core_ops_per_mac = rescale;
      } else {
        r.path = Path(gpu, MathType::kInt8, Execution::kVsqEmulated);
        r.path.mma_utilisation = MmaUtilisation(format.block_size, kMmaKInt8);
        r.path.cuda_core_ops_per_mac =
            rescale + (int4 ? kUnpackOpsPerElement * elements_per_mac() : 0);
      }
      break;
    }
    case Format::kMxfp8:
    case Format::kMxfp6:
    case Format::kMxfp4:
    case Format::kNvfp4: {
      const MathType native = format.format == Format::kMxfp8   ? MathType::kFp8
                              : format.format == Format::kMxfp6 ? MathType::kFp6
                                                                : MathType::kFp4;
      if (gpu.block_scaled_tensor_cores && Has(gpu, native)) {
        r.path = Path(gpu, native, Execution::kNative);
      } else if (Has(gpu, MathType::kFp8)) {
        dequant_to_fp8();
      } else {
        return unsupported(
            "it has neither block-scaled tensor cores for it nor FP8 tensor cores to run it on "
            "after dequantisation (gpu.peak_fp8 = 0)");
      }
      break;
    }
  }
  if (!sparse) return r;
  if (!gpu.sparsity_2_4) {
    r.error = PathError::kNoSparsity;
  } else if (r.path.math_type == MathType::kFp32Vector) {
    r.error = PathError::kSparseOnCudaCores;
  } else {
    r.path.sparse_speedup = gpu.sparse_speedup;
  }
  return r;
}

}  // namespace internal

StatusOr<MathPath> ResolveMathPath(const GpuSpec& gpu, const NumberFormat& format, bool sparse) {
  const internal::PathResult r = internal::ResolvePath(gpu, format, sparse);
  switch (r.error) {
    case internal::PathError::kNone:
      return r.path;
    case internal::PathError::kInvalidFormat:
      return ValidateNumberFormat(format);
    case internal::PathError::kUnsupported:
      return InvalidArgumentError(
          fmt::format("format {} is not supported on {}: {}", ToString(format), gpu.name, r.why));
    case internal::PathError::kNoSparsity:
      return InvalidArgumentError(
          fmt::format("2:4 sparsity is not supported on {} (gpu.sparsity_2_4 = false)", gpu.name));
    case internal::PathError::kSparseOnCudaCores:
      return InvalidArgumentError(
          fmt::format("2:4 sparsity needs tensor cores, but format {} runs on CUDA cores on {}",
                      ToString(format), gpu.name));
  }
  return InternalError("unknown PathError");
}

std::vector<NumberFormat> SupportedFormats(const GpuSpec& gpu) {
  std::vector<NumberFormat> out;
  for (Format f : AllFormats()) {
    const NumberFormat nf = NumberFormat::Of(f);
    if (ResolveMathPath(gpu, nf, /*sparse=*/false).ok()) out.push_back(nf);
  }
  return out;
}

std::string_view MathTypeName(MathType t) {
  switch (t) {
    case MathType::kFp32Vector:
      return "fp32-vector";
    case MathType::kTf32:
      return "tf32";
    case MathType::kBf16:
      return "bf16";
    case MathType::kFp16:
      return "fp16";
    case MathType::kFp8:
      return "fp8";
    case MathType::kInt8:
      return "int8";
    case MathType::kInt4:
      return "int4";
    case MathType::kFp6:
      return "fp6";
    case MathType::kFp4:
      return "fp4";
  }
  return "unknown";
}

std::string_view ExecutionName(Execution e) {
  switch (e) {
    case Execution::kNative:
      return "native";
    case Execution::kWiderFormat:
      return "wider-format";
    case Execution::kDequantToFp8:
      return "dequant-to-fp8";
    case Execution::kVsqEmulated:
      return "vsq-emulated";
    case Execution::kVsqTensorCore:
      return "vsq-tensor-core";
  }
  return "unknown";
}

std::string_view DescribeExecution(Execution e) {
  switch (e) {
    case Execution::kNative:
      return "runs natively on the GPU's datapath for this format";
    case Execution::kWiderFormat:
      return "INT4 unpacked to INT8 in registers, then INT8 tensor cores at the INT8 rate";
    case Execution::kDequantToFp8:
      return "tiles dequantised on CUDA cores (element x block scale -> FP8 E4M3) as they are "
             "loaded, then FP8 tensor cores; HBM traffic stays at the packed size";
    case Execution::kVsqEmulated:
      return "integer MMAs over each V-element vector, partial sums rescaled by s_w*s_a and "
             "accumulated in FP32 on CUDA cores";
    case Execution::kVsqTensorCore:
      return "VSQ tensor core: per-vector rescale in the datapath, INT4 at 2x the INT8 rate, "
             "+0.8% energy";
  }
  return "unknown";
}

}  // namespace trainsim::compute
