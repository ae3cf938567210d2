// `snapstore restore` (see restore_command.h). The store is built in a
// temporary directory beside DIR (`.<name>.restore-XXXXXX`), made durable
// file by file, and renamed into place only once every checksum and the
// trailer's count have been checked: a crash or a bad input leaves DIR as it
// was (absent or empty), never a half-restored store. A crash can leave the
// temporary directory behind; it is never opened as a store, and the next
// restore of the same DIR removes it (recovery::BuildDir, which backups use
// too).
#include "tools/restore_command.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "recovery/tool_interface.h"
#include "tools/cli_support.h"
#include "tools/dump_format.h"

namespace snapstore::tools {
namespace fs = std::filesystem;

CLI::App* RestoreCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("restore", "Restore a dump (either format) into a new or empty directory, atomically");
  sub->add_option("input", input_, "Dump file, or - for stdin")->required();
  sub->add_option("dir", dir_, "Directory for the new store: must not exist, or be empty")->required();
  sub->add_flag("--salvage", salvage_,
                "Restore every valid entry of a damaged dump (also one whose header is damaged) and list what "
                "was skipped (exit 1 when anything was)");
  sub->footer(
      "Temporary directories that killed restores of the same DIR left beside it are removed first (and named).\n"
      "Examples:\n"
      "  snapstore restore store.dump /data/copy\n"
      "  snapstore dump /data/store | snapstore restore - /data/copy\n"
      "  snapstore restore --salvage damaged.dump /data/rescued");
  return sub;
}

int RestoreCommand::run(const GlobalOptions& global) {
  // Created before the input is read: a restore waiting on its input holds
  // its directory's lock (a concurrent restore sees it as live).
  std::vector<std::string> leftovers;
  auto build = recovery::BuildDir::create(dir_, recovery::kRestoreTempInfix, &leftovers);
  for (const std::string& line : leftovers) note(global, "snapstore restore: " + line);
  if (!build) return report_error("restore", build.status());
  const std::string& temp = (*build)->path();

  std::FILE* in = stdin;
  const bool from_file = input_ != "-";
  if (from_file) {
    in = std::fopen(input_.c_str(), "rb");
    if (in == nullptr) return report_error("restore", Status::io_error("open " + input_ + ": " + std::strerror(errno)));
  }

  std::uint64_t documents = 0;
  std::vector<SkippedInput> skipped;
  Status status = [&]() -> Status {
    auto reader = DumpReader::open(in, from_file ? input_ : "stdin", salvage_);
    if (!reader) return reader.status();
    const DumpHeader& header = (*reader)->header();
    if (header.since_revision > 0) {
      return Status::invalid_argument("the dump holds only the changes after revision " +
                                      std::to_string(header.since_revision) +
                                      " (an incremental dump); restore needs a full dump");
    }
    if (Status s = recovery::create_directory(recovery::wal_dir_path(temp)); !s) return s;
    auto loader = recovery::BulkLoader::create(recovery::db_dir_path(temp));
    if (!loader) return loader.status();
    std::error_code size_error;
    std::uint64_t input_size = from_file ? fs::file_size(input_, size_error) : 0;
    if (size_error) input_size = 0;
    Progress progress(global, "restore", 0);
    DumpEntry entry;
    std::uint64_t max_revision = 0;
    while (true) {
      auto more = (*reader)->next(entry);
      if (!more) return more.status();
      if (!*more) break;
      if (entry.deleted) {
        return Status::corruption("a full dump lists a deletion (document \"" + entry.id + "\")");
      }
      // A damaged header's revision is unknown: the entries' highest stands in.
      if ((!(*reader)->header_damaged() && entry.revision > header.revision) || entry.version == 0) {
        return Status::corruption("document \"" + entry.id + "\" has version " + std::to_string(entry.version) +
                                  " and revision " + std::to_string(entry.revision) + ", outside the dump's revision " +
                                  std::to_string(header.revision));
      }
      if (Status s = (*loader)->add(entry.id, entry.version, entry.revision, entry.document); !s) return s;
      max_revision = std::max(max_revision, entry.revision);
      progress.add();
      // The count ahead is unknown until the trailer; the bytes read so far
      // predict it from the input's size.
      const std::uint64_t loaded = (*loader)->documents();
      if (progress.enabled() && input_size > 0 && (loaded & 4095) == 0 && (*reader)->bytes_read() > 0) {
        progress.set_total(loaded * input_size / (*reader)->bytes_read());
      }
    }
    progress.finish();
    documents = (*loader)->documents();
    skipped = (*reader)->skipped();
    std::uint64_t revision = header.revision;
    if ((*reader)->header_damaged()) {
      revision = max_revision;
      for (SkippedInput& item : skipped) {
        if (item.where == "header" || item.where == "line 1") {
          item.reason += "; the restored store's revision is " + std::to_string(revision) +
                         ", the highest of the dump's entries";
        }
      }
    }
    if (Status s = (*loader)->finish(revision, header.indexes); !s) return s;
    return (*build)->commit();
  }();
  if (from_file) std::fclose(in);
  if (!status) return report_error("restore", status);
  for (const SkippedInput& s : skipped)
    std::cerr << "snapstore restore: skipped " << s.where << ": " << s.reason << "\n";
  const bool header_skipped = !skipped.empty() && (skipped[0].where == "header" || skipped[0].where == "line 1");
  const std::size_t entries_skipped = skipped.size() - (header_skipped ? 1 : 0);
  std::string skipped_note;
  if (header_skipped) skipped_note = entries_skipped == 0 ? " (the damaged header skipped)" : " (the damaged header and ";
  if (entries_skipped > 0) {
    skipped_note += (header_skipped ? "" : " (") + std::to_string(entries_skipped) + " damaged entries skipped)";
  }
  note(global, "restored " + std::to_string(documents) + " documents into " + dir_ + skipped_note);
  return skipped.empty() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
