// state_db::for_each: the streaming read behind `bottle-audit smolvm`. It must
// visit exactly the rows list() returns, in the same order, and fail (never
// a silent partial success) past max_rows or on an unreadable database.
#include "bottle/smolvm/state_db.hpp"

#include "support/smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::smolvm::raw_row;
using bottle::smolvm::state_db;
using bottle::test_support::illustrative_record;
using bottle::test_support::raw_connection;

class StateDbStream : public ::testing::Test {
protected:
    void SetUp() override {
        bottle::test_support::create_smolvm_db(db_path);
        raw_connection c(db_path);
        c.must("BEGIN");
        for (int i = 0; i < 50; ++i) c.put("vm" + std::to_string(i), illustrative_record("vm" + std::to_string(i)));
        c.put("broken", "{not json");
        c.put("text", illustrative_record("text"), /*as_blob=*/false);
        c.must("COMMIT");
    }
    bottle::test_support::temp_dir dir;
    std::filesystem::path db_path = dir.path() / "smolvm.db";
};

TEST_F(StateDbStream, VisitsExactlyWhatListReturnsInOrder) {
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value());
    auto listed = db->list();
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 52u);
    std::vector<raw_row> streamed;
    ASSERT_TRUE(db->for_each([&](raw_row&& row) { streamed.push_back(std::move(row)); }).has_value());
    ASSERT_EQ(streamed.size(), listed->size());
    for (std::size_t i = 0; i < streamed.size(); ++i) {
        EXPECT_EQ(streamed[i].name, (*listed)[i].name);
        EXPECT_EQ(streamed[i].data, (*listed)[i].data);
        EXPECT_EQ(streamed[i].size, (*listed)[i].size);
        EXPECT_EQ(streamed[i].stored_as_blob, (*listed)[i].stored_as_blob);
        if (i > 0) {
            EXPECT_LT(streamed[i - 1].name, streamed[i].name);
        }
    }
    const auto text = std::find_if(streamed.begin(), streamed.end(), [](const raw_row& r) { return r.name == "text"; });
    ASSERT_NE(text, streamed.end());
    EXPECT_FALSE(text->stored_as_blob);
}

TEST_F(StateDbStream, MoreRowsThanMaxRowsIsALimitError) {
    auto db = state_db::open_read_only(db_path, {.max_rows = 10});
    ASSERT_TRUE(db.has_value());
    std::size_t visited = 0;
    auto r = db->for_each([&](raw_row&&) { ++visited; });
    ASSERT_TRUE(failed_with(r, errc::limit_exceeded));
    EXPECT_NE(r.error().message.find("max_rows"), std::string::npos) << r.error().message;
    EXPECT_EQ(visited, 10u);
    EXPECT_TRUE(failed_with(db->list(), errc::limit_exceeded));
    auto exact = state_db::open_read_only(db_path, {.max_rows = 52});
    EXPECT_TRUE(exact->for_each([](raw_row&&) {}).has_value()) << "exactly max_rows rows is allowed";
}

TEST_F(StateDbStream, NoVmsTableIsADatabaseError) {
    raw_connection(db_path).must("DROP TABLE vms");
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value());
    std::size_t visited = 0;
    EXPECT_TRUE(failed_with(db->for_each([&](raw_row&&) { ++visited; }), errc::database_error));
    EXPECT_EQ(visited, 0u);
}

TEST_F(StateDbStream, AVisitorExceptionPropagatesAndTheHandleStaysUsable) {
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value());
    EXPECT_THROW((void)db->for_each([](raw_row&&) { throw std::runtime_error("stop"); }), std::runtime_error);
    auto again = db->list();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->size(), 52u);
}

}  // namespace
