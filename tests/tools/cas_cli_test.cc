// `snapstore update --if-version N` and `snapstore delete --if-version N`:
// compare-and-set from the command line. A match writes (exit 0); a stale or
// missing document prints the version found and exits 1, changing nothing; a
// version of 0 is a usage error (exit 2).
#include <gtest/gtest.h>

#include <string>

#include "testutil/temp_dir.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

using testutil::TempDir;
using testutil::ToolRun;
using testutil::ToolRunner;

class CasCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ToolRun inserted = tool_.run({"insert", "--create", dir_, R"({"n":1})"});
    ASSERT_EQ(inserted.exit_code, 0) << inserted.err;
    const std::size_t at = inserted.out.find(R"("_id":")");
    ASSERT_NE(at, std::string::npos) << inserted.out;
    id_ = inserted.out.substr(at + 7, inserted.out.find('"', at + 7) - at - 7);
  }
  std::string get() { return tool_.run({"get", dir_, id_}).out; }

  ToolRunner tool_;
  TempDir root_;
  std::string dir_ = root_ / "store";
  std::string id_;
};

TEST_F(CasCliTest, UpdateIfVersion) {
  ToolRun ok = tool_.run({"update", dir_, id_, R"({"n":2})", "--if-version", "1"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(R"("_version":2)"), std::string::npos) << ok.out;

  ToolRun stale = tool_.run({"update", dir_, id_, R"({"n":3})", "--if-version", "1"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_EQ(stale.out, "");
  EXPECT_EQ(stale.err, "snapstore update: version conflict: id \"" + id_ + "\": expected version 1, found 2\n");
  EXPECT_NE(get().find(R"("n":2)"), std::string::npos) << get();

  ToolRun zero = tool_.run({"update", dir_, id_, R"({"n":3})", "--if-version", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.err.find("versions start at 1"), std::string::npos) << zero.err;
  ToolRun junk = tool_.run({"update", dir_, id_, R"({"n":3})", "--if-version", "two"});
  EXPECT_NE(junk.exit_code, 0);
  EXPECT_NE(junk.err.find("--if-version"), std::string::npos) << junk.err;

  // Without the option the update is unconditional, as before.
  ASSERT_EQ(tool_.run({"update", dir_, id_, R"({"n":4})"}).exit_code, 0);
  EXPECT_NE(get().find(R"("_version":3)"), std::string::npos) << get();
}

TEST_F(CasCliTest, DeleteIfVersion) {
  ToolRun stale = tool_.run({"delete", dir_, id_, "--if-version", "2"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_EQ(stale.err, "snapstore delete: version conflict: id \"" + id_ + "\": expected version 2, found 1\n");
  EXPECT_EQ(tool_.run({"get", dir_, id_}).exit_code, 0);

  ToolRun ok = tool_.run({"delete", dir_, id_, "--if-version", "1"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(R"("_version":1)"), std::string::npos) << ok.out;

  ToolRun gone = tool_.run({"delete", dir_, id_, "--if-version", "1"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.err,
            "snapstore delete: version conflict: id \"" + id_ + "\": expected version 1, the document does not exist\n");
}

TEST_F(CasCliTest, HelpShowsAnExample) {
  ToolRun help = tool_.run({"update", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--if-version 3"), std::string::npos) << help.out;
  help = tool_.run({"delete", "--help"});
  EXPECT_NE(help.out.find("--if-version 2"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace snapstore
