// `trainsim validate [--json] [--tolerance X]`: simulates every row of the calibration set
// (Megatron-LM SC'21 Table 1, config/validation.h) and prints published vs predicted TFLOP/s per
// GPU with the relative error of each. Exits 0 when every row is within the tolerance, 1 when
// one is not (the model disagrees with a published figure), 2 on bad input.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "config/validation.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "workloads/step.h"

namespace trainsim::cli {
namespace {

struct ValidateOptions {
  bool json = false;
  double tolerance = 0.10;
};

int Validate(const ValidateOptions& o) {
  StatusOr<std::vector<config::ValidationCase>> cases = config::LoadMegatronSc21();
  if (!cases.ok()) {
    std::fprintf(stderr, "%s\n", cases.status().message().c_str());
    return kExitInternal;
  }
  if (!o.json) {
    std::printf("Megatron-LM SC'21 Table 1 (A100, Selene): TFLOP/s per GPU, Eq. (3) FLOPs\n");
    std::printf("%-10s %6s %4s %4s %10s %10s %8s %9s\n", "model", "GPUs", "tp", "pp",
                "published", "predicted", "error", "step (s)");
  }
  int outside = 0;
  for (const config::ValidationCase& c : *cases) {
    const config::ScenarioSpec& s = c.spec;
    StatusOr<workloads::StepResult> step = workloads::SimulateStep(
        {.cluster = &s.cluster, .model = &s.model, .plan = &s.parallel,
         .training = &s.training, .precision = &s.precision, .options = &s.simulation});
    if (!step.ok() || !step->simulated) {
      std::fprintf(stderr, "%s: %s\n", c.name.c_str(),
                   step.ok() ? "out of memory" : step.status().message().c_str());
      return kExitInternal;
    }
    const double predicted = step->megatron_tflops_per_gpu;
    const double error = predicted / c.published_tflops_per_gpu - 1.0;
    if (std::abs(error) > o.tolerance) ++outside;
    if (o.json) {
      nlohmann::ordered_json row{{"name", c.name},
                                 {"gpus", s.cluster.gpus},
                                 {"published", c.published_tflops_per_gpu},
                                 {"predicted", predicted},
                                 {"error", error},
                                 {"step_time_s", step->step_time.seconds()}};
      std::printf("%s\n", row.dump().c_str());
    } else {
      std::printf("%-10s %6lld %4d %4d %10.1f %10.1f %+7.1f%% %9.2f\n", c.name.c_str() + 4,
                  static_cast<long long>(s.cluster.gpus), s.parallel.tp, s.parallel.pp,
                  c.published_tflops_per_gpu, predicted, 100 * error, step->step_time.seconds());
    }
  }
  if (!o.json) {
    std::printf("%d of %zu rows within ±%.0f%%\n", static_cast<int>(cases->size()) - outside,
                cases->size(), 100 * o.tolerance);
  }
  return outside == 0 ? kExitOk : kExitInternal;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ValidateOptions>();
  CLI::App* sub = app.add_subcommand(
      "validate", "Compare simulated steps with published figures (Megatron-LM SC'21 Table 1).");
  sub->add_flag("--json", o->json, "One JSON object per row: name, published, predicted, error.");
  sub->add_option("--tolerance", o->tolerance, "Relative error allowed per row.")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  sub->callback([o, &exit_code] { exit_code = Validate(*o); });
}

}  // namespace trainsim::cli
