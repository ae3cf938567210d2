// `snapstore changes`: prints a store's changes from a revision on, one JSON
// line each (docs/FORMATS.md, "Change events"), on a closed store or one that
// another process has open; --follow keeps printing as the owner writes.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class ChangesCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::uint64_t from_ = 0;
  bool follow_ = false;
  std::uint32_t poll_ms_ = 50;
};

}  // namespace snapstore::tools
