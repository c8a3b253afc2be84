// Tests for lib/report/markdown.h.
#include "lib/report/markdown.h"

#include <cmath>
#include <cstdlib>

#include "gtest/gtest.h"
#include "lib/spec/results.pb.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

TEST(MarkdownTest, RendersTable) {
  MarkdownTable t({"a", "b"});
  t.AddRow({"1", "2"});
  EXPECT_EQ(t.Render(), "| a | b |\n|---|---|\n| 1 | 2 |\n");
}

TEST(MarkdownTest, Fixed) {
  EXPECT_EQ(Fixed(3.14159, 2), "3.14");
  EXPECT_EQ(Fixed(std::nan("")), "n/a");
}

TEST(MarkdownTest, WritesMarkdownAndJsonTwin) {
  const std::string dir = TestTmpPath("rep");
  TrainResults results;
  results.mutable_info()->set_task("train");
  auto* m = results.add_models();
  m->set_name("theta_C");
  auto* s = m->add_metrics();
  s->set_set("NC");
  s->set_accuracy(88.5);
  ASSERT_TRUE(WriteReport(dir, "x", "# hi\n", results).ok());
  EXPECT_EQ(*ReadFileToString(JoinPath(dir, "x.md")), "# hi\n");
  const std::string json = *ReadFileToString(JoinPath(dir, "x.json"));
  EXPECT_NE(json.find("\"accuracy\": 88.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"set\": \"NC\""), std::string::npos) << json;
}

}  // namespace
}  // namespace mmc
