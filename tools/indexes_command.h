// `snapstore indexes`: the index definitions of a store, optionally with
// their entry counts.
// Thread safety: see command.h.
#pragma once

#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class IndexesCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  bool entries_ = false;
  bool json_ = false;
};

}  // namespace snapstore::tools
