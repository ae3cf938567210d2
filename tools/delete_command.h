// `snapstore delete`: removes a document.
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace snapstore::tools {

class DeleteCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  std::string dir_;
  std::string id_;
  std::uint64_t if_version_ = 0;
  CLI::Option* if_version_option_ = nullptr;  // set: compare-and-set
};

}  // namespace snapstore::tools
