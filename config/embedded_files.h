// Data files compiled into the binary (catalogs of presets, the default scenario), by their
// repo-relative path. Generated from the list in config/CMakeLists.txt by cmake/embed.cmake.
#ifndef TRAINSIM_CONFIG_EMBEDDED_FILES_H_
#define TRAINSIM_CONFIG_EMBEDDED_FILES_H_

#include <string_view>
#include <vector>

namespace trainsim::config {

struct EmbeddedFile {
  std::string_view path;  // e.g. "compute/catalog/gpus.yaml"
  std::string_view content;
};

const std::vector<EmbeddedFile>& EmbeddedFiles();

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_EMBEDDED_FILES_H_
