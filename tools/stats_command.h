// `snapstore stats`: what a store holds: documents, bytes, indexes, LSNs, WAL, RocksDB.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class StatsCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  bool json_ = false;
  bool rocksdb_ = false;
};

}  // namespace snapstore::tools
