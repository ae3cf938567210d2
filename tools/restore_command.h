// `snapstore restore`: a dump file into a new store directory, atomically.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class RestoreCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string input_;
  std::string dir_;
  bool salvage_ = false;
};

}  // namespace snapstore::tools
