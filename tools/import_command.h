// `snapstore import`: bulk-loads JSON lines (one document per line) into an
// existing store, in atomic batches, with a progress bar — mongoimport's job.
// Thread safety: see command.h.
#pragma once

#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class ImportCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string input_;
  bool skip_bad_ = false;
};

}  // namespace snapstore::tools
