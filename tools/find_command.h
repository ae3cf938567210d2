// `snapstore find`: documents by index, an exact key or a range, as JSON lines in index order.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class FindCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string index_;
  std::string equals_;
  std::string min_;
  std::string max_;
};

}  // namespace snapstore::tools
