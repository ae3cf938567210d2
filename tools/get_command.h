// `snapstore get`: prints one document as JSON.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class GetCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string id_;
};

}  // namespace snapstore::tools
