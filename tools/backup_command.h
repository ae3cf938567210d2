// `snapstore backup`: a full or incremental backup of a store no other
// process has open; `snapstore restore-backup`: a new store from a full
// backup and its increments (snapstore/backup.h).
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/command.h"

namespace snapstore::tools {

class BackupCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string source_;
  std::string target_;
  std::optional<std::uint64_t> since_;
};

class RestoreBackupCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string target_;
  std::string full_;
  std::vector<std::string> increments_;
};

}  // namespace snapstore::tools
