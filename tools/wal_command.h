// `snapstore wal`: lists and decodes the records of a store's write-ahead log.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class WalCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::uint64_t from_ = 0;
  std::uint64_t to_ = UINT64_MAX;
  bool json_ = false;
};

}  // namespace snapstore::tools
