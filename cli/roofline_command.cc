// `trainsim roofline`: time, bound, intensity, achieved rate, energy and power of one op on one
// GPU in one number format, or a sweep of square GEMMs over every format the GPU runs.
//   trainsim roofline --gpu h100-sxm --gemm 8192x8192x8192 --format fp8 [--sparse] [--json]
//   trainsim roofline --gpu h100-sxm --copy 8GiB
//   trainsim roofline --gpu h100-sxm --sweep gemm [--json]
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "compute/roofline.h"
#include "compute/roofline_table.h"
#include "config/scenario_spec.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace trainsim::cli {
namespace {

struct RooflineOptions {
  std::string gpu = "h100-sxm";
  std::string scenario;  // take the GPU from this scenario instead (custom GPUs)
  std::string format = "bf16";
  bool sparse = false;
  std::string gemm;       // MxNxK or MxNxKxBATCH
  std::string attention;  // BATCHxHEADSxKV_HEADSxSEQxHEAD_DIM
  bool causal = false;
  bool backward = false;
  std::string copy;  // a size such as "8GiB"
  std::string sweep;
  bool json = false;
};

// "8192x8192x8192" → {8192, 8192, 8192}; every part a positive integer.
StatusOr<std::vector<int64_t>> ParseDims(const std::string& text, const char* flag, size_t min,
                                         size_t max) {
  std::vector<int64_t> dims;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('x', start), text.size());
    const std::string part = text.substr(start, end - start);
    int64_t v = 0;
    size_t used = 0;
    try {
      v = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || v <= 0) {
      return InvalidArgumentError(fmt::format(
          "{} {}: \"{}\" is not a positive integer; expected {} to {} positive integers joined "
          "by 'x', e.g. 8192x8192x8192",
          flag, text, part, min, max));
    }
    dims.push_back(v);
    start = end + 1;
  }
  if (dims.size() < min || dims.size() > max) {
    return InvalidArgumentError(fmt::format("{} {}: expected {} to {} dimensions joined by 'x'",
                                            flag, text, min, max));
  }
  return dims;
}

StatusOr<compute::GpuSpec> ChooseGpu(const RooflineOptions& o) {
  if (o.scenario.empty()) return config::GpuFromPreset(o.gpu);
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioFile(o.scenario);
  if (!loaded.ok()) return loaded.status();
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  if (!spec.ok()) return spec.status();
  return spec->cluster.node.gpu;
}

// The op the flags describe, run through the model; `label` describes it for the table.
StatusOr<compute::RooflineResult> RunOp(const compute::RooflineModel& model,
                                        const RooflineOptions& o, std::string& label) {
  StatusOr<compute::NumberFormat> format = compute::ParseNumberFormat(o.format);
  if (!format.ok()) return InvalidArgumentError("--format: " + format.status().message());
  const std::string fmt_name = compute::ToString(*format);
  const int ops = !o.gemm.empty() + !o.attention.empty() + !o.copy.empty();
  if (ops != 1) {
    return InvalidArgumentError("give exactly one of --gemm, --attention, --copy or --sweep gemm");
  }
  if (!o.gemm.empty()) {
    StatusOr<std::vector<int64_t>> d = ParseDims(o.gemm, "--gemm", 3, 4);
    if (!d.ok()) return d.status();
    const compute::GemmSpec gemm{.m = (*d)[0], .n = (*d)[1], .k = (*d)[2],
                                 .batch = d->size() == 4 ? (*d)[3] : 1, .format = *format,
                                 .sparse = o.sparse};
    label = fmt::format("GEMM {} {}{}", o.gemm, fmt_name, o.sparse ? " 2:4-sparse" : "");
    return model.Gemm(gemm);
  }
  if (!o.attention.empty()) {
    StatusOr<std::vector<int64_t>> d = ParseDims(o.attention, "--attention", 5, 5);
    if (!d.ok()) return d.status();
    const compute::AttentionSpec attention{
        .batch = (*d)[0], .heads = (*d)[1], .kv_heads = (*d)[2], .seq_q = (*d)[3],
        .seq_kv = (*d)[3], .head_dim = (*d)[4], .causal = o.causal, .format = *format,
        .pass = o.backward ? compute::AttentionPass::kBackward : compute::AttentionPass::kForward};
    label = fmt::format("attention {} {}{}{}", o.attention, fmt_name, o.causal ? " causal" : "",
                        o.backward ? " backward" : "");
    return model.Attention(attention);
  }
  StatusOr<Bytes> bytes = ParseBytes(o.copy);
  if (!bytes.ok()) return InvalidArgumentError("--copy: " + bytes.status().message());
  if (bytes->count() <= 0) return InvalidArgumentError("--copy: the size must be > 0");
  label = fmt::format("copy {}", ToString(*bytes));
  return model.Memory(compute::CopyOp(*bytes));
}

nlohmann::ordered_json ToJson(const compute::RooflineResult& r) {
  nlohmann::ordered_json out;
  for (const compute::ResultField& f : compute::ResultFields(r)) {
    std::visit([&](const auto& v) { out[std::string(f.name)] = v; }, f.value);
  }
  return out;
}

void PrintResult(const std::string& gpu, const std::string& label,
                 const compute::RooflineResult& r) {
  std::printf("%s on %s\n", label.c_str(), gpu.c_str());
  std::printf("  time        %s (math %s, memory %s)\n", ToString(r.time).c_str(),
              ToString(r.math_time).c_str(), ToString(r.memory_time).c_str());
  std::printf("  bound       %s\n", std::string(compute::BoundName(r.bound)).c_str());
  std::printf("  intensity   %.1f FLOP/B\n", r.intensity_flop_per_byte);
  std::printf("  achieved    %.1f TFLOP/s\n", r.achieved.value() / 1e12);
  std::printf("  flops       %s\n", ToString(r.flops).c_str());
  std::printf("  bytes       %s\n", ToString(r.bytes).c_str());
  std::printf("  energy      %.4g J\n", r.energy.value());
  std::printf("  power       %.1f W%s\n", r.power.value(),
              r.power_capped ? fmt::format(" (power-capped: clock x{:.3f})", r.clock_scale).c_str()
                             : "");
}

int Sweep(const compute::RooflineModel& model, bool json) {
  const std::vector<compute::GemmSweepRow> rows = compute::SquareGemmSweep(model);
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const compute::GemmSweepRow& row : rows) {
      nlohmann::ordered_json item;
      item["format"] = compute::ToString(row.format);
      item["size"] = row.size;
      item.update(ToJson(row.result));
      out.push_back(std::move(item));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("square GEMMs on %s (M = N = K)\n", model.gpu().name.c_str());
  std::printf("%-10s %6s %12s %9s %7s %10s %10s %8s\n", "format", "size", "time", "TFLOP/s",
              "bound", "FLOP/B", "energy J", "power W");
  for (const compute::GemmSweepRow& row : rows) {
    const compute::RooflineResult& r = row.result;
    std::printf("%-10s %6lld %12s %9.1f %7s %10.1f %10.4g %8.1f\n",
                compute::ToString(row.format).c_str(), static_cast<long long>(row.size),
                ToString(r.time).c_str(), r.achieved.value() / 1e12,
                std::string(compute::BoundName(r.bound)).c_str(), r.intensity_flop_per_byte,
                r.energy.value(), r.power.value());
  }
  return kExitOk;
}

int Roofline(const RooflineOptions& o) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "trainsim roofline: %s\n", s.message().c_str());
    return kExitBadInput;
  };
  StatusOr<compute::GpuSpec> gpu = ChooseGpu(o);
  if (!gpu.ok()) return fail(gpu.status());
  StatusOr<compute::RooflineModel> model = compute::RooflineModel::Create(*gpu);
  if (!model.ok()) return fail(model.status());
  if (!o.sweep.empty()) {
    if (o.sweep != "gemm") return fail(InvalidArgumentError("--sweep: only \"gemm\" is supported"));
    return Sweep(*model, o.json);
  }
  std::string label;
  StatusOr<compute::RooflineResult> result = RunOp(*model, o, label);
  if (!result.ok()) return fail(result.status());
  if (o.json) {
    nlohmann::ordered_json out;
    out["gpu"] = gpu->name;
    out["op"] = label;
    out.update(ToJson(*result));
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    PrintResult(gpu->name, label, *result);
  }
  return kExitOk;
}

}  // namespace

void AddRooflineCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RooflineOptions>();
  CLI::App* sub = app.add_subcommand(
      "roofline", "Time, bound, intensity, energy and power of one op on a GPU (roofline model).");
  sub->add_option("--gpu", o->gpu, "GPU preset (h100-sxm, h200-sxm, a100-sxm-80gb, ...)")
      ->capture_default_str();
  sub->add_option("--scenario", o->scenario, "Take the GPU from this scenario file (custom GPUs).");
  sub->add_option("--format", o->format,
                  "Number format: fp32, tf32, bf16, fp16, fp8 (e4m3), fp8-e5m2, int8, int4, "
                  "int4-vsq, int8-vsq, mxfp8, mxfp6, mxfp4, nvfp4")
      ->capture_default_str();
  sub->add_flag("--sparse", o->sparse, "2:4 structured-sparse weights (GEMM only).");
  sub->add_option("--gemm", o->gemm, "GEMM MxNxK or MxNxKxBATCH, e.g. 8192x8192x8192.");
  sub->add_option("--attention", o->attention,
                  "Fused attention BATCHxHEADSxKV_HEADSxSEQxHEAD_DIM, e.g. 1x96x8x8192x128.");
  sub->add_flag("--causal", o->causal, "Causal attention mask.");
  sub->add_flag("--backward", o->backward, "Attention backward pass.");
  sub->add_option("--copy", o->copy, "A device-to-device copy of SIZE, e.g. 8GiB.");
  sub->add_option("--sweep", o->sweep, "\"gemm\": square GEMMs 256..16384 in every format.");
  sub->add_flag("--json", o->json, "Print JSON (an object, or a list for a sweep).");
  sub->callback([o, &exit_code] { exit_code = Roofline(*o); });
}

}  // namespace trainsim::cli
