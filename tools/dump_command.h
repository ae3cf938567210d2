// `snapstore dump`: a consistent snapshot of a store to a dump file (docs/FORMATS.md, "Dump file").
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class DumpCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string output_ = "-";
  std::string format_ = "msgpack";
  std::string index_;
  std::string min_;
  std::string max_;
  std::uint64_t since_revision_ = 0;
  bool force_ = false;
  bool salvage_ = false;
};

}  // namespace snapstore::tools
