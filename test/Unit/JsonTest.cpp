//===- JsonTest.cpp - tests of the runtime's JSON reader and writer -------===//

#include "ssmc/runtime/Json.h"

#include <gtest/gtest.h>

using ssmc::json::Value;

namespace {

Value parseOk(const std::string &text) {
  Value v;
  std::string err = ssmc::json::parse(text, v);
  EXPECT_EQ(err, "") << "parsing " << text;
  return v;
}

std::string parseError(const std::string &text) {
  Value v;
  return ssmc::json::parse(text, v);
}

TEST(JsonTest, ParsesScalars) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk(" true ").getBool());
  EXPECT_FALSE(parseOk("false").getBool());
  Value i = parseOk("-42");
  ASSERT_TRUE(i.isInteger());
  EXPECT_EQ(i.getInteger(), -42);
  Value big = parseOk("9007199254740993");
  ASSERT_TRUE(big.isInteger());
  EXPECT_EQ(big.getInteger(), 9007199254740993LL);
  Value d = parseOk("1.5e-3");
  EXPECT_FALSE(d.isInteger());
  EXPECT_DOUBLE_EQ(d.getNumber(), 1.5e-3);
  // Integers past int64 fall back to double.
  Value huge = parseOk("123456789012345678901234567890");
  EXPECT_FALSE(huge.isInteger());
  EXPECT_DOUBLE_EQ(huge.getNumber(), 1.2345678901234568e29);
}

TEST(JsonTest, ParsesStringsAndEscapes) {
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\n\t")").getString(), "a\"b\\c/d\n\t");
  EXPECT_EQ(parseOk(R"("\u00e9")").getString(), "\xC3\xA9");
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").getString(), "\xF0\x9F\x98\x80");
}

TEST(JsonTest, ParsesNestedDocumentsInOrder) {
  Value v = parseOk(R"({"b": [1, 2.5, {"c": null}], "a": "x", "d": {}})");
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.getObject().size(), 3u);
  EXPECT_EQ(v.getObject()[0].first, "b");
  EXPECT_EQ(v.getObject()[1].first, "a");
  const Value *b = v.find("b");
  ASSERT_TRUE(b && b->isArray());
  EXPECT_EQ(b->getArray()[0].getInteger(), 1);
  EXPECT_TRUE(b->getArray()[2].find("c")->isNull());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_TRUE(v.find("d")->isObject());
}

TEST(JsonTest, RejectsMalformedInputWithPosition) {
  EXPECT_EQ(parseError(""), "1:1: unexpected end of input, expected a value");
  EXPECT_EQ(parseError("{\"a\": 1,\n }"),
            "2:2: expected a string key in object");
  EXPECT_NE(parseError("[1, 2"), "");
  EXPECT_NE(parseError("[1 2]"), "");
  EXPECT_NE(parseError("01"), "");
  EXPECT_NE(parseError("1."), "");
  EXPECT_NE(parseError("-"), "");
  EXPECT_NE(parseError("tru"), "");
  EXPECT_NE(parseError("\"abc"), "");
  EXPECT_NE(parseError("\"a\x01\""), "");
  EXPECT_NE(parseError(R"("\x")"), "");
  EXPECT_NE(parseError(R"("\ud800")"), "");
  EXPECT_NE(parseError(R"("\u12")"), "");
  EXPECT_NE(parseError("{} {}"), "");
  EXPECT_NE(parseError("{\"a\" 1}"), "");
  EXPECT_NE(parseError(std::string(1000, '[')), "");
}

TEST(JsonTest, FailedParseLeavesOutputUntouched) {
  Value v = 7;
  EXPECT_NE(ssmc::json::parse("[1,", v), "");
  EXPECT_EQ(v.getInteger(), 7);
}

TEST(JsonTest, WritesAndRoundTrips) {
  Value v = Value::object();
  v.set("name", "a\"b\n");
  v.set("n", int64_t(-1));
  v.set("x", 0.1);
  v.set("whole", 2.0);
  Value list = Value::array();
  list.push(true);
  list.push(nullptr);
  v.set("list", list);
  v.set("empty", Value::array());
  std::string compact = ssmc::json::write(v);
  EXPECT_EQ(compact, R"({"name":"a\"b\n","n":-1,"x":0.10000000000000001,)"
                     R"("whole":2.0,"list":[true,null],"empty":[]})");
  for (unsigned indent : {0u, 2u}) {
    Value back = parseOk(ssmc::json::write(v, indent));
    EXPECT_EQ(ssmc::json::write(back), compact);
    EXPECT_DOUBLE_EQ(back.find("x")->getNumber(), 0.1);
    EXPECT_FALSE(back.find("whole")->isInteger());
  }
  EXPECT_EQ(ssmc::json::write(Value(1.0 / 0.0)), "null");
}

} // namespace

TEST(JsonTest, NestingLimitIs256Containers) {
  ssmc::json::Value v;
  std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_EQ(ssmc::json::parse(ok, v), "");
  std::string deep = std::string(257, '[') + std::string(257, ']');
  EXPECT_NE(ssmc::json::parse(deep, v).find("nesting deeper than 256"),
            std::string::npos);
}
