#include "config/diagnostics.h"

#include <algorithm>

#include "fmt/format.h"

namespace trainsim::config {

SourceLocation SourceMap::Find(std::string_view path) const {
  std::string_view p = path;
  while (true) {
    if (auto it = where_.find(p); it != where_.end()) return it->second;
    if (p.empty()) return {};
    const size_t cut = p.find_last_of(".[");
    p = cut == std::string_view::npos ? std::string_view() : p.substr(0, cut);
  }
}

void Diagnostics::Add(SourceLocation where, std::string path, std::string message) {
  items_.push_back({std::move(where), std::move(path), std::move(message)});
}

std::string Diagnostics::Format() const {
  std::string out;
  for (const Diagnostic& d : items_) {
    if (!out.empty()) out += '\n';
    if (!d.where.file.empty()) {
      out += d.where.line > 0
                 ? fmt::format("{}:{}:{}: ", d.where.file, d.where.line, d.where.column)
                 : fmt::format("{}: ", d.where.file);
    }
    if (!d.path.empty()) out += d.path + ": ";
    out += d.message;
  }
  return out;
}

Status Diagnostics::ToStatus() const {
  return empty() ? OkStatus() : InvalidArgumentError(Format());
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view name, const std::vector<std::string>& candidates) {
  // A shortened name ("h100" for "h100-sxm") is the likeliest intent.
  if (name.size() >= 2) {
    for (const std::string& c : candidates) {
      if (c.size() > name.size() && c.compare(0, name.size(), name) == 0) return c;
    }
  }
  std::string best;
  size_t best_distance = std::max<size_t>(2, name.size() / 3) + 1;  // plausible typos only
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string best = ClosestMatch(name, candidates);
  return best.empty() ? std::string() : fmt::format(", did you mean \"{}\"?", best);
}

}  // namespace trainsim::config
