// `snapstore explain`: how a find (or count) on an index would run — its
// bounds, the distinct keys and documents it would touch, their order and
// the index's size — read from the files like count, without loading the
// store or decoding a document (Store::explain's LookupPlan).
// Thread safety: see command.h.
#pragma once

#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class ExplainCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string index_;
  std::string equals_;
  std::string min_;
  std::string max_;
  bool json_ = false;
};

}  // namespace snapstore::tools
