// `snapstore create-index`: creates an ordered index over one or more fields.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/command.h"

namespace snapstore::tools {

class CreateIndexCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string name_;
  std::vector<std::string> fields_;
};

}  // namespace snapstore::tools
