// `snapstore changes` (see changes_command.h): recovery::ChangeTail polled,
// each change printed with to_json_line and stdout flushed after each poll,
// so that a consumer downstream sees whole lines as soon as they are read.
#include "tools/changes_command.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "recovery/tool_interface.h"
#include "snapstore/change.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* ChangesCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "changes",
      "Print the store's changes from a revision on, one JSON line each, in revision order; works while another "
      "process has the store open");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("--from", from_,
                  "The first revision to print (>= 1); to resume, the last revision a consumer applied + 1")
      ->required();
  sub->add_flag("--follow,-f", follow_,
                "Keep printing changes as the owner writes them (until interrupted); a --from beyond the store's "
                "revision waits for it");
  sub->add_option("--poll-ms", poll_ms_, "With --follow: how often to look for new records (default 50)")
      ->check(CLI::Range(1, 60000));
  sub->footer(
      "Each line: {\"v\":1,\"rev\":R,\"op\":...,\"id\":...,\"version\":...,\"doc\":{...},\"batch\":[first,last]}.\n"
      "A line is printed once its WAL record is complete in the file (docs/GUARANTEES.md). Exit codes: 0 done,\n"
      "2 when --from is retired (the message names the oldest revision available) or in the future (without\n"
      "--follow), 1 when the WAL is damaged.\n" +
      examples({"snapstore changes ./my-data --from 1",
                "snapstore changes ./my-data --from 1042 --follow | kafka-console-producer.sh --topic store "
                "--bootstrap-server localhost:9092"}));
  return sub;
}

int ChangesCommand::run(const GlobalOptions&) {
  auto tail = recovery::ChangeTail::open(dir_, from_, follow_);
  if (!tail) return report_error("changes", tail.status());
  std::vector<Change> changes;
  std::string line;
  for (;;) {
    changes.clear();
    if (Status s = (*tail)->poll(changes); !s) return report_error("changes", s);
    for (const Change& change : changes) {
      line = to_json_line(change);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
        return report_error("changes", Status::io_error(std::string("write to stdout: ") + std::strerror(errno)));
      }
    }
    if (std::fflush(stdout) != 0) {
      return report_error("changes", Status::io_error(std::string("write to stdout: ") + std::strerror(errno)));
    }
    if (!follow_) {
      // Everything up to the store's revision when we looked, and whatever
      // else was complete by then.
      if (changes.empty() || (*tail)->next_revision() > (*tail)->store_revision()) break;
      continue;
    }
    if (changes.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms_));
  }
  return kExitOk;
}

}  // namespace snapstore::tools
