// `snapstore insert`: inserts a JSON document and prints its id, version and revision.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class InsertCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string document_ = "-";
  bool create_ = false;
};

}  // namespace snapstore::tools
