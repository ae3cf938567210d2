// wal::check_segments (verify's and wal's view of the log): every segment on
// its own, damage found where read_log passes over it because the LSNs lie
// below the floor, preallocated zeros not taken for damage.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace snapstore::wal {
namespace {

using testutil::read_bytes;
using testutil::write_bytes;

class SegmentCheckTest : public ::testing::Test {
 protected:
  // `count` single-insert batches in segments of about `segment_bytes`.
  void write_log(int count, std::uint64_t segment_bytes) {
    WriterOptions options;
    options.segment_bytes = segment_bytes;
    auto writer = LogWriter::open(Env::posix(), dir_.path(), 1, options, nullptr);
    ASSERT_TRUE(writer.is_ok()) << writer.status().message();
    for (int i = 0; i < count; ++i) {
      std::vector<Operation> ops{Operation{OpType::kInsert, "doc-" + std::to_string(i), 1, std::string(40, 'd'), {}}};
      ASSERT_TRUE((*writer)->append(encode_operations(ops), ops.size()).is_ok());
    }
    ASSERT_TRUE((*writer)->close().is_ok());
  }

  std::vector<SegmentInfo> segments() {
    auto listed = list_segments(Env::posix(), dir_.path());
    EXPECT_TRUE(listed.is_ok());
    return listed.is_ok() ? *listed : std::vector<SegmentInfo>{};
  }

  testutil::TempDir dir_;
};

TEST_F(SegmentCheckTest, ACleanLogChecksEveryRecordOfEverySegment) {
  write_log(30, 300);
  auto checks = check_segments(Env::posix(), dir_.path());
  ASSERT_TRUE(checks.is_ok()) << checks.status().message();
  ASSERT_GT(checks->size(), 2U);
  std::uint64_t records = 0;
  for (const SegmentCheck& c : *checks) {
    EXPECT_TRUE(c.damage.empty()) << c.path << ": " << c.damage;
    records += c.records;
  }
  EXPECT_EQ(records, 30U);
}

TEST_F(SegmentCheckTest, DamageBelowTheFloorIsFoundThoughReadLogPassesOverIt) {
  write_log(30, 300);
  const std::vector<SegmentInfo> all = segments();
  ASSERT_GT(all.size(), 2U);
  std::string bytes = read_bytes(all[0].path);
  bytes[bytes.size() - 3] ^= 0x01;  // the first segment's last record
  write_bytes(all[0].path, bytes);

  // With the mirror holding everything, read_log tolerates it.
  auto read = read_log(Env::posix(), dir_.path(), 30, [](const Batch&) { return Status::ok(); });
  ASSERT_TRUE(read.is_ok()) << read.status().message();

  auto checks = check_segments(Env::posix(), dir_.path());
  ASSERT_TRUE(checks.is_ok());
  EXPECT_EQ((*checks)[0].damage, "record checksum mismatch");
  EXPECT_GT((*checks)[0].damage_offset, kSegmentHeaderSize);
  EXPECT_LT((*checks)[0].damage_offset, bytes.size());
  for (std::size_t i = 1; i < checks->size(); ++i) EXPECT_TRUE((*checks)[i].damage.empty()) << (*checks)[i].damage;
}

TEST_F(SegmentCheckTest, ADamagedHeaderIsDamageAtOffsetZero) {
  write_log(10, 300);
  const std::vector<SegmentInfo> all = segments();
  std::string bytes = read_bytes(all[1].path);
  bytes[3] ^= 0x01;
  write_bytes(all[1].path, bytes);
  auto checks = check_segments(Env::posix(), dir_.path());
  ASSERT_TRUE(checks.is_ok());
  EXPECT_NE((*checks)[1].damage.find("bad magic"), std::string::npos) << (*checks)[1].damage;
  EXPECT_EQ((*checks)[1].damage_offset, 0U);
  EXPECT_EQ((*checks)[1].records, 0U);
}

TEST_F(SegmentCheckTest, ZeroedSpaceAtTheEndIsNotDamageButBetweenRecordsItIs) {
  write_log(5, 64 << 20);
  const std::string path = segments().at(0).path;
  const std::string bytes = read_bytes(path);
  write_bytes(path, bytes + std::string(4096, '\0'));  // preallocated space
  auto checks = check_segments(Env::posix(), dir_.path());
  ASSERT_TRUE(checks.is_ok());
  EXPECT_TRUE((*checks)[0].damage.empty()) << (*checks)[0].damage;
  EXPECT_EQ((*checks)[0].records, 5U);

  write_bytes(path, bytes + std::string(100, '\0') + bytes.substr(kSegmentHeaderSize));
  checks = check_segments(Env::posix(), dir_.path());
  ASSERT_TRUE(checks.is_ok());
  EXPECT_EQ((*checks)[0].damage, "zeroed space between records");
  EXPECT_EQ((*checks)[0].damage_offset, bytes.size());
  EXPECT_EQ((*checks)[0].records, 5U);
}

}  // namespace
}  // namespace snapstore::wal
