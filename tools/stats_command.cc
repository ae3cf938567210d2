// `snapstore stats` (see stats_command.h). Opens the store read-only (which
// holds the directory's lock), and reads the files beside it for what an
// open store does not say: document bytes, WAL segments, RocksDB's figures.
#include "tools/stats_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* StatsCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("stats", "Documents, bytes, indexes, LSNs, WAL segments and RocksDB's statistics");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_flag("--json", json_, "One JSON object");
  return sub;
}

int StatsCommand::run(const GlobalOptions&) {
  auto store = open_store(dir_, false);
  if (!store) return report_error("stats", store.status());
  auto reader = recovery::StoreReader::open(dir_);
  if (!reader) return report_error("stats", reader.status());
  std::uint64_t documents = 0;
  std::uint64_t document_bytes = 0;
  Status scanned = (*reader)->scan([&](const recovery::StoredDocument& doc) {
    ++documents;
    document_bytes += doc.document.size();
    return Status::ok();
  });
  if (!scanned) return report_error("stats", scanned);
  const OpenReport report = store->open_report();

  Array indexes;
  for (const IndexInfo& info : store->indexes()) {
    indexes.push_back(Object{{"name", info.name},
                             {"fields", Array(info.fields.begin(), info.fields.end())},
                             {"entries", info.entries}});
  }
  Array segments;
  std::uint64_t wal_bytes = 0;
  for (const wal::SegmentInfo& segment : (*reader)->wal_summary().segments) {
    segments.push_back(Object{{"file", segment.path}, {"first_lsn", segment.first_lsn}, {"bytes", segment.size}});
    wal_bytes += segment.size;
  }
  auto number = [&](std::string_view property) -> Value {
    const std::string text = (*reader)->docs_property(property);
    return text.empty() ? Value() : Value(std::strtoull(text.c_str(), nullptr, 10));
  };
  Object stats{{"dir", dir_},
               {"documents", documents},
               {"document_bytes", document_bytes},
               {"revision", store->revision()},
               {"durable_lsn", store->durable_revision()},
               {"applied_lsn", report.applied_lsn},
               {"wal_records_after_applied", report.records_replayed},
               {"indexes", std::move(indexes)},
               {"wal_segments", std::move(segments)},
               {"wal_bytes", wal_bytes},
               {"rocksdb",
                Object{{"estimate_num_keys", number("rocksdb.estimate-num-keys")},
                       {"total_sst_files_size", number("rocksdb.total-sst-files-size")},
                       {"live_sst_files_size", number("rocksdb.live-sst-files-size")},
                       {"num_files_at_level0", number("rocksdb.num-files-at-level0")}}}};
  if (!report.torn_tail_file.empty()) {
    stats["torn_tail"] = Object{{"file", report.torn_tail_file},
                                {"offset", report.torn_tail_offset},
                                {"bytes", report.torn_tail_bytes}};
  }
  if (json_) {
    std::cout << to_json(stats) << "\n";
    return kExitOk;
  }
  std::cout << "store            " << dir_ << "\n"
            << "documents        " << documents << " (" << document_bytes << " bytes of msgpack)\n"
            << "revision         " << store->revision() << " (durable " << store->durable_revision()
            << ", RocksDB applied " << report.applied_lsn << ", " << report.records_replayed
            << " WAL batches after it)\n";
  for (const IndexInfo& info : store->indexes()) {
    std::cout << "index            " << info.name << " (";
    for (std::size_t i = 0; i < info.fields.size(); ++i) std::cout << (i ? ", " : "") << info.fields[i];
    std::cout << "): " << info.entries << " entries\n";
  }
  std::cout << "WAL              " << (*reader)->wal_summary().segments.size() << " segments, " << wal_bytes << " bytes\n";
  for (const wal::SegmentInfo& segment : (*reader)->wal_summary().segments) {
    std::cout << "  " << segment.path << "  first LSN " << segment.first_lsn << ", " << segment.size << " bytes\n";
  }
  if (!report.torn_tail_file.empty()) {
    std::cout << "torn WAL tail    " << report.torn_tail_file << " at byte " << report.torn_tail_offset << " ("
              << report.torn_tail_bytes << " bytes; a writable open truncates it)\n";
  }
  std::cout << "RocksDB (docs)\n" << (*reader)->docs_property("rocksdb.stats");
  return kExitOk;
}

}  // namespace snapstore::tools
