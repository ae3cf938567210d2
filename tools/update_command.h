// `snapstore update`: replaces a document with a JSON document.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class UpdateCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string id_;
  std::uint64_t if_version_ = 0;
  CLI::Option* if_version_option_ = nullptr;  // set: compare-and-set
  std::string document_ = "-";
};

}  // namespace snapstore::tools
