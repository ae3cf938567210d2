// `snapstore create-index`: creates an ordered index over one or more fields,
// optionally unique (--unique) or partial (--where FIELD=JSON, --where-exists FIELD).
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/command.h"

namespace snapstore::tools {

class CreateIndexCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string name_;
  std::vector<std::string> fields_;
  bool unique_ = false;
  std::string where_;         // FIELD=JSON
  std::string where_exists_;  // FIELD
};

}  // namespace snapstore::tools
