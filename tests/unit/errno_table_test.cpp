// lib9p's one errno table: the client's reading of Rlerror/Rerror and the server's writing of
// them agree, for every errno either side knows, and 9P2000 text finds its errno.
#include <gtest/gtest.h>
#include <cerrno>
#include <string>
#include "p9/errno_table.h"

using namespace p9;

TEST(ErrnoTable, EveryLinuxNumberComesBackAsItself) {
  int known = 0;
  for (uint32_t n = 1; n < 134; ++n) {
    int local = errno_from_linux(n);
    if (local == EIO && n != 5) continue;  // not in the table
    ++known;
    EXPECT_EQ(linux_errno(local), n) << "Linux errno " << n;
    EXPECT_STRNE(errno_text(local), "error") << "Linux errno " << n << " has no text";
  }
  EXPECT_GE(known, 60);
  EXPECT_EQ(errno_from_linux(9999), EIO);
  EXPECT_EQ(linux_errno(-1), 5u);
}

TEST(ErrnoTable, OurOwnTextFindsItsErrnoEvenInsideALongerOne) {
  for (uint32_t n = 1; n < 134; ++n) {
    int local = errno_from_linux(n);
    if (local == EIO && n != 5) continue;
    std::string said = std::string("walk: \"x\": ") + errno_text(local);
    EXPECT_EQ(errno_from_text(said), local) << said;
  }
  // A text that holds another one: the longer wins whatever the table's order.
  EXPECT_EQ(errno_from_text("connect: Already in progress"), EALREADY);
  EXPECT_EQ(errno_from_text("open: text file busy"), ETXTBSY);
  EXPECT_EQ(errno_from_text("too many open files in system"), ENFILE);
  // Plan 9's words, and nothing known.
  EXPECT_EQ(errno_from_text("file does not exist"), ENOENT);
  EXPECT_EQ(errno_from_text("something else entirely"), EIO);
}
