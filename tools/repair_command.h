// `snapstore repair`: opens a store whose WAL is damaged with the library's
// RecoveryPolicy::kRepair and prints what open kept, what it set aside and
// where (docs/RECOVERY.md, "Repair").
// Thread safety: see command.h.
#pragma once

#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class RepairCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  bool json_ = false;
};

}  // namespace snapstore::tools
