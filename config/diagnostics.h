// Diagnostics: every problem found in a scenario, collected so that a user sees all of them at
// once (STYLE.md point 7). Each names where (file:line:col), what (the field path) and why (the
// bad value and the rule), e.g.
//   scenarios/bad.yaml:7:9: parallelism.tp: 3 does not divide heads = 128
#ifndef TRAINSIM_CONFIG_DIAGNOSTICS_H_
#define TRAINSIM_CONFIG_DIAGNOSTICS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/status.h"

namespace trainsim::config {

// 1-based line and column in a source file; line 0 means "no position" (e.g. a default value).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// Where each field path of a loaded scenario came from ("cluster.node.gpu.tdp" → file:line:col).
// Paths of message-valued fields map to the position of their mapping.
class SourceMap {
 public:
  void Set(const std::string& path, SourceLocation where) { where_[path] = std::move(where); }
  // The location of `path`, or of its nearest ancestor that has one.
  SourceLocation Find(std::string_view path) const;

 private:
  std::map<std::string, SourceLocation, std::less<>> where_;
};

struct Diagnostic {
  SourceLocation where;
  std::string path;  // "parallelism.tp"; empty for file-level problems (syntax)
  std::string message;
};

class Diagnostics {
 public:
  void Add(SourceLocation where, std::string path, std::string message);
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // One line per diagnostic: "file:line:col: path: message".
  std::string Format() const;
  // OK when empty, else kInvalidArgument carrying Format().
  Status ToStatus() const;

 private:
  std::vector<Diagnostic> items_;
};

// The candidate closest to `name` by edit distance, if it is close enough to be a plausible
// typo; empty otherwise.
std::string ClosestMatch(std::string_view name, const std::vector<std::string>& candidates);

// ", did you mean \"x\"?" or "", for appending to a message.
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_DIAGNOSTICS_H_
