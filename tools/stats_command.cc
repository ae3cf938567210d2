// `snapstore stats` (see stats_command.h). Reads the directory's files
// (recovery::StoreReader: RocksDB and the WAL after it) under its lock,
// without loading the store: one scan counts documents, their bytes and each
// index's entries. Sizes print in binary units, counts with separators;
// RocksDB's own statistics only with --rocksdb.
#include "tools/stats_command.h"

#include <iostream>

#include "recovery/store_reader.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"

namespace snapstore::tools {

CLI::App* StatsCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("stats", "Documents, bytes, indexes, LSNs, WAL segments and RocksDB's sizes");
  sub->add_option("dir", dir_, "Store directory")->required();
  sub->add_flag("--json", json_, "One JSON object (exact numbers)");
  sub->add_flag("--rocksdb", rocksdb_, "Also print RocksDB's internal statistics of the docs family");
  sub->footer(examples({"snapstore stats ./my-data", "snapstore stats --json ./my-data | jq .documents"}));
  return sub;
}

int StatsCommand::run(const GlobalOptions&) {
  auto opened = open_reader(dir_);
  if (!opened) return report_error("stats", opened.status());
  const recovery::StoreReader& reader = **opened;
  auto totals = reader.totals();
  if (!totals) return report_error("stats", totals.status());
  const std::vector<recovery::IndexDefinition>& definitions = reader.indexes();
  const wal::ReadSummary& wal = reader.wal_summary();
  const std::uint64_t lsns_after_applied = reader.revision() - reader.applied_lsn();

  Array indexes;
  for (std::size_t i = 0; i < definitions.size(); ++i) {
    Object index{{"name", definitions[i].name},
                  {"fields", Array(definitions[i].fields.begin(), definitions[i].fields.end())},
                  {"entries", totals->index_entries[i]}};
    add_index_options(index, definitions[i].options);
    indexes.push_back(std::move(index));
  }
  Array segments;
  std::uint64_t wal_bytes = 0;
  for (const wal::SegmentInfo& segment : wal.segments) {
    segments.push_back(Object{{"file", segment.path}, {"first_lsn", segment.first_lsn}, {"bytes", segment.size}});
    wal_bytes += segment.size;
  }
  auto number = [&](std::string_view property) -> std::uint64_t {
    const std::string text = reader.docs_property(property);
    return text.empty() ? 0 : std::strtoull(text.c_str(), nullptr, 10);
  };
  const std::uint64_t sst_bytes = number("rocksdb.total-sst-files-size");
  const std::uint64_t live_sst_bytes = number("rocksdb.live-sst-files-size");
  const std::uint64_t estimated_keys = number("rocksdb.estimate-num-keys");
  const std::uint64_t level0_files = number("rocksdb.num-files-at-level0");
  Object stats{{"dir", dir_},
               {"documents", totals->documents},
               {"document_bytes", totals->document_bytes},
               {"revision", reader.revision()},
               {"applied_lsn", reader.applied_lsn()},
               {"wal_lsns_after_applied", lsns_after_applied},
               {"indexes", std::move(indexes)},
               {"wal_segments", std::move(segments)},
               {"wal_bytes", wal_bytes},
               {"rocksdb", Object{{"estimate_num_keys", estimated_keys},
                                  {"total_sst_files_size", sst_bytes},
                                  {"live_sst_files_size", live_sst_bytes},
                                  {"num_files_at_level0", level0_files}}}};
  if (wal.torn_tail) {
    stats["torn_tail"] =
        Object{{"file", wal.torn_tail->path}, {"offset", wal.torn_tail->offset}, {"bytes", wal.torn_tail->bytes}};
  }
  if (json_) {
    if (rocksdb_) stats["rocksdb"].as_object()["stats"] = reader.docs_property("rocksdb.stats");
    std::cout << to_json(stats) << "\n";
    return kExitOk;
  }
  std::cout << "store            " << dir_ << "\n"
            << "documents        " << thousands(totals->documents) << " (" << human_bytes(totals->document_bytes)
            << " of msgpack)\n"
            << "revision         " << thousands(reader.revision()) << " (RocksDB holds "
            << thousands(reader.applied_lsn()) << ", the WAL " << thousands(lsns_after_applied) << " more)\n";
  for (std::size_t i = 0; i < definitions.size(); ++i) {
    std::cout << "index            " << definitions[i].name << " (";
    for (std::size_t f = 0; f < definitions[i].fields.size(); ++f) {
      std::cout << (f ? ", " : "") << definitions[i].fields[f];
    }
    std::cout << ")" << index_options_text(definitions[i].options) << ": " << thousands(totals->index_entries[i])
              << " entries\n";
  }
  std::cout << "WAL              " << wal.segments.size() << (wal.segments.size() == 1 ? " segment, " : " segments, ")
            << human_bytes(wal_bytes) << "\n";
  for (const wal::SegmentInfo& segment : wal.segments) {
    std::cout << "  " << segment.path << "  first LSN " << thousands(segment.first_lsn) << ", "
              << human_bytes(segment.size) << "\n";
  }
  if (wal.torn_tail) {
    std::cout << "torn WAL tail    " << wal.torn_tail->path << " at byte " << wal.torn_tail->offset << " ("
              << human_bytes(wal.torn_tail->bytes) << "; a writable open truncates it)\n";
  }
  std::cout << "RocksDB          " << human_bytes(sst_bytes) << " in table files (live " << human_bytes(live_sst_bytes)
            << "), ~" << thousands(estimated_keys) << " keys, " << level0_files << " level-0 files\n";
  if (rocksdb_) std::cout << "RocksDB (docs)\n" << reader.docs_property("rocksdb.stats");
  return kExitOk;
}

}  // namespace snapstore::tools
