//===- Json.cpp - a small dependency-free JSON reader and writer ----------===//

#include "ssmc/runtime/Json.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace ssmc {
namespace json {

const Value *Value::find(const std::string &key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (const auto &member : objectValue)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

void Value::set(const std::string &key, Value value) {
  for (auto &member : objectValue)
    if (member.first == key) {
      member.second = std::move(value);
      return;
    }
  objectValue.emplace_back(key, std::move(value));
}

namespace {

constexpr unsigned maxDepth = 256;

/// A recursive-descent parser over the whole document.
class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  std::string parseDocument(Value &out) {
    skipSpace();
    if (!parseValue(out, 0))
      return error;
    skipSpace();
    if (pos != text.size()) {
      fail("unexpected text after the document");
      return error;
    }
    return "";
  }

private:
  const std::string &text;
  size_t pos = 0;
  std::string error;

  bool fail(const std::string &msg) {
    if (!error.empty())
      return false;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    error = std::to_string(line) + ":" + std::to_string(col) + ": " + msg;
    return false;
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  void skipSpace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (text.compare(pos, n, word) != 0)
      return fail("invalid literal");
    pos += n;
    return true;
  }

  /// \p depth counts the arrays and objects around the value.
  bool parseValue(Value &out, unsigned depth) {
    if (atEnd())
      return fail("unexpected end of input, expected a value");
    switch (peek()) {
    case 'n':
      out = Value();
      return literal("null");
    case 't':
      out = Value(true);
      return literal("true");
    case 'f':
      out = Value(false);
      return literal("false");
    case '"': {
      std::string s;
      if (!parseString(s))
        return false;
      out = Value(std::move(s));
      return true;
    }
    case '[':
    case '{':
      // The container itself is one more level: maxDepth of them nest, one
      // more is refused (scalars add no level).
      if (depth >= maxDepth)
        return fail("nesting deeper than " + std::to_string(maxDepth));
      return peek() == '[' ? parseArray(out, depth) : parseObject(out, depth);
    default:
      return parseNumber(out);
    }
  }

  bool parseArray(Value &out, unsigned depth) {
    ++pos; // '['
    out = Value::array();
    skipSpace();
    if (peek() == ']') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      Value element;
      if (!parseValue(element, depth + 1))
        return false;
      out.push(std::move(element));
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (peek() == ']') {
        ++pos;
        return true;
      }
      return fail("expected ',' or ']' in array");
    }
  }

  bool parseObject(Value &out, unsigned depth) {
    ++pos; // '{'
    out = Value::object();
    skipSpace();
    if (peek() == '}') {
      ++pos;
      return true;
    }
    // Where each key is, so that a large object (a tokenizer's vocabulary)
    // parses in linear time; a repeated key replaces the earlier value.
    std::unordered_map<std::string, size_t> where;
    while (true) {
      skipSpace();
      if (peek() != '"')
        return fail("expected a string key in object");
      std::string key;
      if (!parseString(key))
        return false;
      skipSpace();
      if (peek() != ':')
        return fail("expected ':' after object key");
      ++pos;
      skipSpace();
      Value member;
      if (!parseValue(member, depth + 1))
        return false;
      auto [it, fresh] = where.emplace(key, out.getObject().size());
      if (fresh)
        out.getObject().emplace_back(std::move(key), std::move(member));
      else
        out.getObject()[it->second].second = std::move(member);
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (peek() == '}') {
        ++pos;
        return true;
      }
      return fail("expected ',' or '}' in object");
    }
  }

  bool parseHex4(uint32_t &code) {
    if (pos + 4 > text.size())
      return fail("truncated \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos++];
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= c - '0';
      else if (c >= 'a' && c <= 'f')
        code |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        code |= c - 'A' + 10;
      else
        return fail("invalid hex digit in \\u escape");
    }
    return true;
  }

  static void appendUtf8(std::string &s, uint32_t code) {
    if (code < 0x80) {
      s += static_cast<char>(code);
    } else if (code < 0x800) {
      s += static_cast<char>(0xC0 | (code >> 6));
      s += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      s += static_cast<char>(0xE0 | (code >> 12));
      s += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (code >> 18));
      s += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool parseString(std::string &out) {
    ++pos; // '"'
    while (true) {
      if (atEnd())
        return fail("unterminated string");
      char c = text[pos++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (atEnd())
        return fail("unterminated string");
      char e = text[pos++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code = 0;
        if (!parseHex4(code))
          return false;
        if (code >= 0xD800 && code < 0xDC00) {
          uint32_t low = 0;
          if (text.compare(pos, 2, "\\u") != 0)
            return fail("unpaired surrogate in \\u escape");
          pos += 2;
          if (!parseHex4(low))
            return false;
          if (low < 0xDC00 || low >= 0xE000)
            return fail("unpaired surrogate in \\u escape");
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code < 0xE000) {
          return fail("unpaired surrogate in \\u escape");
        }
        appendUtf8(out, code);
        break;
      }
      default:
        --pos;
        return fail("invalid escape in string");
      }
    }
  }

  bool parseNumber(Value &out) {
    size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      ++pos;
    if (peek() == '0') {
      ++pos;
    } else if (peek() >= '1' && peek() <= '9') {
      while (std::isdigit(static_cast<unsigned char>(peek())))
        ++pos;
    } else {
      return fail("expected a value");
    }
    if (peek() == '.') {
      integral = false;
      ++pos;
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        return fail("expected a digit after '.'");
      while (std::isdigit(static_cast<unsigned char>(peek())))
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        return fail("expected a digit in exponent");
      while (std::isdigit(static_cast<unsigned char>(peek())))
        ++pos;
    }
    std::string token = text.substr(start, pos - start);
    if (integral) {
      errno = 0;
      long long v = std::strtoll(token.c_str(), nullptr, 10);
      if (errno == 0) {
        out = Value(static_cast<int64_t>(v));
        return true;
      }
    }
    out = Value(std::strtod(token.c_str(), nullptr));
    return true;
  }
};

void writeString(const std::string &s, std::string &out) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x",
                      static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

void writeValue(const Value &v, unsigned indent, unsigned level,
                std::string &out) {
  auto newline = [&](unsigned lvl) {
    if (indent) {
      out += '\n';
      out.append(static_cast<size_t>(indent) * lvl, ' ');
    }
  };
  switch (v.getKind()) {
  case Value::Kind::Null:
    out += "null";
    return;
  case Value::Kind::Bool:
    out += v.getBool() ? "true" : "false";
    return;
  case Value::Kind::Number: {
    if (v.isInteger()) {
      out += std::to_string(v.getInteger());
      return;
    }
    double d = v.getNumber();
    if (!std::isfinite(d)) {
      out += "null";
      return;
    }
    // 17 significant digits round-trip every double.
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    std::string s = buf;
    // Keep it a non-integer on re-read.
    if (s.find_first_of(".eE") == std::string::npos)
      s += ".0";
    out += s;
    return;
  }
  case Value::Kind::String:
    writeString(v.getString(), out);
    return;
  case Value::Kind::Array: {
    const auto &a = v.getArray();
    out += '[';
    for (size_t i = 0; i < a.size(); ++i) {
      if (i)
        out += ',';
      newline(level + 1);
      writeValue(a[i], indent, level + 1, out);
    }
    if (!a.empty())
      newline(level);
    out += ']';
    return;
  }
  case Value::Kind::Object: {
    const auto &o = v.getObject();
    out += '{';
    for (size_t i = 0; i < o.size(); ++i) {
      if (i)
        out += ',';
      newline(level + 1);
      writeString(o[i].first, out);
      out += indent ? ": " : ":";
      writeValue(o[i].second, indent, level + 1, out);
    }
    if (!o.empty())
      newline(level);
    out += '}';
    return;
  }
  }
}

} // namespace

std::string parse(const std::string &text, Value &out) {
  Value result;
  std::string err = Parser(text).parseDocument(result);
  if (err.empty())
    out = std::move(result);
  return err;
}

std::string write(const Value &value, unsigned indent) {
  std::string out;
  writeValue(value, indent, 0, out);
  return out;
}

} // namespace json
} // namespace ssmc
