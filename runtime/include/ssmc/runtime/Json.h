//===- Json.h - a small dependency-free JSON reader and writer -*- C++ -*-===//
//
// The JSON of package manifests (and of Hugging Face config.json files): RFC
// 8259 documents parsed into a Value tree and written back. Plain C++17, no
// MLIR or LLVM. Numbers keep their integer value exactly when they are written
// without fraction or exponent and fit in int64; objects keep their key order.
// Malformed input never crashes: parse() returns a message with the line and
// column of the first error.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_JSON_H
#define SSMC_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ssmc {
namespace json {

/// One JSON value.
class Value {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : kind(Kind::Bool), boolValue(b) {}
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(int64_t v)
      : kind(Kind::Number), isInt(true), intValue(v),
        numberValue(static_cast<double>(v)) {}
  Value(double v) : kind(Kind::Number), numberValue(v) {}
  Value(const char *s) : kind(Kind::String), stringValue(s) {}
  Value(std::string s) : kind(Kind::String), stringValue(std::move(s)) {}
  Value(Array a) : kind(Kind::Array), arrayValue(std::move(a)) {}
  Value(Object o) : kind(Kind::Object), objectValue(std::move(o)) {}

  /// An empty array or object.
  static Value array() { return Value(Array()); }
  static Value object() { return Value(Object()); }

  Kind getKind() const { return kind; }
  bool isNull() const { return kind == Kind::Null; }
  bool isBool() const { return kind == Kind::Bool; }
  bool isNumber() const { return kind == Kind::Number; }
  /// A number written (or built) as an integer that fits in int64.
  bool isInteger() const { return kind == Kind::Number && isInt; }
  bool isString() const { return kind == Kind::String; }
  bool isArray() const { return kind == Kind::Array; }
  bool isObject() const { return kind == Kind::Object; }

  bool getBool() const { return boolValue; }
  double getNumber() const { return numberValue; }
  int64_t getInteger() const { return intValue; }
  const std::string &getString() const { return stringValue; }
  const Array &getArray() const { return arrayValue; }
  Array &getArray() { return arrayValue; }
  const Object &getObject() const { return objectValue; }
  Object &getObject() { return objectValue; }

  /// The member \p key of an object, or null when absent or not an object.
  const Value *find(const std::string &key) const;
  Value *find(const std::string &key) {
    return const_cast<Value *>(static_cast<const Value *>(this)->find(key));
  }
  /// Sets member \p key of an object (replacing an existing one).
  void set(const std::string &key, Value value);
  /// Appends to an array.
  void push(Value value) { arrayValue.push_back(std::move(value)); }

private:
  Kind kind = Kind::Null;
  bool boolValue = false;
  bool isInt = false;
  int64_t intValue = 0;
  double numberValue = 0;
  std::string stringValue;
  Array arrayValue;
  Object objectValue;
};

/// Parses the complete document \p text into \p out. Returns "" on success,
/// otherwise "LINE:COL: message". Nesting deeper than 256 levels is refused.
std::string parse(const std::string &text, Value &out);

/// Writes \p value as JSON: compact when \p indent is 0, otherwise one member
/// or element per line indented by \p indent spaces. Non-finite numbers,
/// which JSON cannot hold, are written as null.
std::string write(const Value &value, unsigned indent = 0);

} // namespace json
} // namespace ssmc

#endif // SSMC_RUNTIME_JSON_H
