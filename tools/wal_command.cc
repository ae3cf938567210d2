// `snapstore wal` (see wal_command.h): one line per operation, in LSN order,
// like RocksDB's `ldb dump_wal`. Every record's checksum is verified before
// it is decoded; the last line says how the log ends (clean, a torn tail, or
// corruption with file and offset). Damage in any retained segment, also
// one whose records RocksDB already holds, is named and exits 1.
#include "tools/wal_command.h"

#include <iostream>

#include "recovery/tool_interface.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* WalCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("wal", "List and decode the write-ahead log's records (LSN, type, ids, sizes, checksums)");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_option("--from", from_, "First LSN to list");
  sub->add_option("--to", to_, "Last LSN to list");
  sub->add_flag("--json", json_, "One JSON object per line");
  sub->footer(
      "Exit codes: 0 the log reads cleanly (a torn tail is reported, not an error), 1 damage (named by file\n"
      "and offset, also in segments whose records RocksDB already holds), 2 usage or I/O error.\n"
      "Examples:\n"
      "  snapstore wal /data/store --from 100 --to 200\n"
      "  snapstore wal --json /data/store | jq 'select(.type == \"delete\")'");
  return sub;
}

int WalCommand::run(const GlobalOptions&) {
  if (from_ > to_) {
    return report_error("wal", Status::invalid_argument("--from " + std::to_string(from_) + " is above --to " +
                                                        std::to_string(to_) + ": nothing to list"));
  }
  if (!recovery::is_store(dir_))
    return report_error("wal", Status::invalid_argument("no store at " + dir_));
  auto lock = lock_for_reading(dir_);
  if (!lock) {
    if (lock.code() == StatusCode::kBusy) {
      return report_error("wal", Status::busy("the store at " + dir_ + " is in use by another process (" +
                                              lock.status().detail() + ")"));
    }
    return report_error("wal", lock.status());
  }
  // Gaps and damage below the mirror's applied_lsn are harmless (list_wal);
  // without a readable mirror every gap counts.
  std::uint64_t floor = 0;
  if (auto reader = recovery::StoreReader::open(dir_); reader) floor = (*reader)->applied_lsn();

  auto read = recovery::list_wal(dir_, floor, from_, to_, [&](const recovery::WalEntry& op) {
    if (json_) {
      Object line{{"lsn", op.lsn}, {"batch", op.batch_lsn}, {"type", std::string(op.op)}, {"checksum", "ok"}};
      if (op.on_index) {
        line["index"] = std::string(op.key);
      } else {
        line["id"] = std::string(op.key);
        line["version"] = op.version;
      }
      if (op.op == "create_index") {
        line["fields"] = Array(op.fields->begin(), op.fields->end());
        add_index_options(line, *op.index_options);
      }
      if (op.bytes > 0) line["bytes"] = op.bytes;
      std::cout << to_json(line) << "\n";
    } else {
      std::cout << op.lsn << "\t" << op.op << "\t" << op.key;
      if (!op.on_index) std::cout << "\tversion=" << op.version;
      if (op.bytes > 0) std::cout << "\tbytes=" << op.bytes;
      for (const std::string& field : *op.fields) std::cout << "\t" << field;
      if (op.op == "create_index" && *op.index_options != IndexOptions{}) std::cout << "\t" << describe(*op.index_options);
      std::cout << "\tchecksum=ok\n";
    }
  });
  if (!read) {
    if (json_) std::cout << to_json(Object{{"end", "corruption"}, {"error", read.status().message()}}) << "\n";
    return report_error("wal", read.status());
  }
  const recovery::WalListing& summary = *read;
  const std::vector<std::string>& damage = summary.damage;
  if (json_) {
    Object end{{"end", summary.torn_tail ? "torn_tail" : "clean"},
               {"records", summary.records},
               {"segments", summary.segments},
               {"first_lsn", summary.first_lsn},
               {"last_lsn", summary.last_lsn}};
    if (summary.torn_tail) {
      end["torn_tail"] = Object{{"file", summary.torn_tail->path},
                                {"offset", summary.torn_tail->offset},
                                {"bytes", summary.torn_tail->bytes},
                                {"reason", summary.torn_tail->reason}};
    }
    if (!damage.empty()) {
      end["end"] = "damage";
      end["damage"] = Array(damage.begin(), damage.end());
    }
    std::cout << to_json(end) << "\n";
  } else {
    std::cout << "# " << summary.records << " records in " << summary.segments << " segments, LSN "
              << summary.first_lsn << ".." << summary.last_lsn;
    if (summary.torn_tail) {
      std::cout << "; torn tail in " << summary.torn_tail->path << " at byte " << summary.torn_tail->offset << " ("
                << summary.torn_tail->bytes << " bytes: " << summary.torn_tail->reason << ")";
    }
    std::cout << "\n";
    for (const std::string& d : damage) std::cout << "# damage: " << d << "\n";
  }
  for (const std::string& d : damage) std::cerr << "snapstore wal: damaged WAL segment " << d << "\n";
  return damage.empty() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
