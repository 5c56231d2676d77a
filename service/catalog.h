// The Planner's catalog listings as trainsim.v1 messages: the built-in presets a scenario may
// name (GPUs, models, clusters, from config/catalogs.h), the number formats compute/ knows, and
// every scenario field with the unit, default, bounds and documentation its (field) option gives
// (proto/trainsim/v1/options.proto). Deterministic: catalog order, then schema order.
#ifndef TRAINSIM_SERVICE_CATALOG_H_
#define TRAINSIM_SERVICE_CATALOG_H_

#include "sim/status.h"
#include "trainsim/v1/planner.pb.h"

namespace trainsim::service {

// Each preset loaded as a scenario would load it (defaults filled in). A preset that does not
// load is kInternal: the embedded catalogs are part of trainsim.
StatusOr<v1::ListGpusResponse> ListGpuPresets();
StatusOr<v1::ListModelsResponse> ListModelPresets();
StatusOr<v1::ListClusterPresetsResponse> ListClusterPresets();

v1::ListFormatsResponse ListNumberFormats();

// Depth first over trainsim.v1.Scenario; a message field is listed before its own fields.
v1::ListParametersResponse ListScenarioParameters();

}  // namespace trainsim::service

#endif  // TRAINSIM_SERVICE_CATALOG_H_
