// `snapstore count`: how many documents a store holds, or an index holds
// (all its members, an exact key, or a range), counted exactly.
// Thread safety: see command.h.
#pragma once

#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class CountCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string index_;
  std::string key_;
  std::string min_;
  std::string max_;
};

}  // namespace snapstore::tools
