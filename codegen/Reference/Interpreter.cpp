//===- Interpreter.cpp - float64 interpreter of ssm-dialect functions -----===//
//
// Values live in one map from SSA value to runtime value; regions (linalg
// bodies, scan combiners) are run per point in the same map, which is sound
// because SSA names are unique and a body's values die with its point. Every
// shape read from the IR at run time is checked before it indexes anything,
// so inconsistent dynamic sizes give an error, not a crash.
//
//===----------------------------------------------------------------------===//

#include "ssmc/Codegen/Reference/Interpreter.h"

#include "ssmc/Dialect/SSM/IR/Recurrence.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>
#include <memory>

using namespace mlir;
using ssmc::InterpreterOptions;
using ssmc::reference::Tensor;
namespace ref = ssmc::reference;

namespace {

/// A runtime value: a tensor (any element type, stored as doubles), a float
/// scalar or an integer/index/i1 scalar, as the SSA value's type says.
struct RtValue {
  std::shared_ptr<const Tensor> tensor;
  double f = 0.0;
  int64_t i = 0;
};

std::string locString(Location loc) {
  if (auto fl = loc->findInstanceOf<FileLineColLoc>())
    return (fl.getFilename().getValue() + ":" + Twine(fl.getLine()) + ":" +
            Twine(fl.getColumn()))
        .str();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << loc;
  return s;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Row-major strides of \p shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Calls \p fn(index, linear) for every index of \p shape in row-major order.
template <typename Fn> void forEachIndex(ArrayRef<int64_t> shape, Fn fn) {
  int64_t total = 1;
  for (int64_t s : shape)
    total *= s;
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t lin = 0; lin < total; ++lin) {
    fn(ArrayRef<int64_t>(idx), lin);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }

/// One scalar op of an ssm.recurrence body (or an ssm activation) on \p x.
double applyRecurrenceOp(Operation *op, ArrayRef<double> x) {
  using namespace ssmc::ssm;
  return llvm::TypeSwitch<Operation *, double>(op)
      .Case([&](arith::AddFOp) { return x[0] + x[1]; })
      .Case([&](arith::SubFOp) { return x[0] - x[1]; })
      .Case([&](arith::MulFOp) { return x[0] * x[1]; })
      .Case([&](arith::DivFOp) { return x[0] / x[1]; })
      .Case([&](arith::NegFOp) { return -x[0]; })
      .Case<arith::MaximumFOp, arith::MaxNumFOp>(
          [&](Operation *) { return std::fmax(x[0], x[1]); })
      .Case<arith::MinimumFOp, arith::MinNumFOp>(
          [&](Operation *) { return std::fmin(x[0], x[1]); })
      .Case([&](math::ExpOp) { return std::exp(x[0]); })
      .Case([&](math::Exp2Op) { return std::exp2(x[0]); })
      .Case([&](math::LogOp) { return std::log(x[0]); })
      .Case([&](math::Log1pOp) { return std::log1p(x[0]); })
      .Case([&](math::SqrtOp) { return std::sqrt(x[0]); })
      .Case([&](math::RsqrtOp) { return 1.0 / std::sqrt(x[0]); })
      .Case([&](math::TanhOp) { return std::tanh(x[0]); })
      .Case([&](math::SinOp) { return std::sin(x[0]); })
      .Case([&](math::CosOp) { return std::cos(x[0]); })
      .Case([&](math::AbsFOp) { return std::fabs(x[0]); })
      .Case([&](SoftplusOp) { return softplus(x[0]); })
      .Case([&](SigmoidOp) { return 1.0 / (1.0 + std::exp(-x[0])); })
      .Case([&](LogSigmoidOp) { return -softplus(-x[0]); })
      .Case([&](SiluOp) { return x[0] / (1.0 + std::exp(-x[0])); })
      .Default([](Operation *) { return std::nan(""); });
}

Tensor reshaped(Tensor t, std::vector<int64_t> shape) {
  t.shape = std::move(shape);
  return t;
}

class Interpreter {
public:
  explicit Interpreter(const InterpreterOptions &options) : options(options) {}

  std::string run(func::FuncOp func, const std::vector<Tensor> &args,
                  std::vector<Tensor> &results);

private:
  //===--- Values ---------------------------------------------------------===//

  const Tensor &tensor(Value v) { return *values[v].tensor; }
  std::optional<Tensor> optTensor(Value v) {
    return v ? std::optional<Tensor>(tensor(v)) : std::nullopt;
  }
  double scalarF(Value v) { return values[v].f; }
  int64_t scalarI(Value v) { return values[v].i; }

  double round(Type type, double v) {
    return options.exact ? v : ssmc::roundToType(type, v);
  }

  /// Binds \p v to the scalar \p x, converted to \p v's type.
  void defineScalar(Value v, double x) {
    RtValue &r = values[v];
    if (isa<FloatType>(v.getType()))
      r.f = round(v.getType(), x);
    else
      r.i = static_cast<int64_t>(x);
  }

  double scalarAsDouble(Value v) {
    return isa<FloatType>(v.getType()) ? scalarF(v)
                                       : static_cast<double>(scalarI(v));
  }

  /// Binds \p v to \p t after checking it against \p v's type and rounding it
  /// to the element type.
  std::string define(Value v, Tensor t) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type)
      return "unsupported";
    bool ok = t.rank() == type.getRank() &&
              static_cast<int64_t>(t.data.size()) == t.numel();
    for (int64_t d = 0; ok && d < t.rank(); ++d)
      ok = type.isDynamicDim(d) || type.getDimSize(d) == t.shape[d];
    if (!ok)
      return "value of shape " + shapeString(t.shape) + " does not fit type " +
             typeString(type);
    Type elem = type.getElementType();
    if (isa<FloatType>(elem) && !elem.isF64() && !options.exact)
      for (double &x : t.data)
        x = ssmc::roundToType(elem, x);
    values[v].tensor = std::make_shared<const Tensor>(std::move(t));
    return "";
  }

  int64_t resolve(OpFoldResult ofr) {
    if (auto attr = dyn_cast<Attribute>(ofr))
      return cast<IntegerAttr>(attr).getInt();
    return scalarI(cast<Value>(ofr));
  }
  SmallVector<int64_t> resolve(ArrayRef<OpFoldResult> ofrs) {
    SmallVector<int64_t> out;
    for (OpFoldResult ofr : ofrs)
      out.push_back(resolve(ofr));
    return out;
  }

  //===--- Ops ------------------------------------------------------------===//

  /// Runs the ops of \p block; its terminator's operands go to \p yielded.
  std::string runBlock(Block &block, SmallVectorImpl<Value> &yielded) {
    for (Operation &op : block.without_terminator())
      if (std::string err = evalOp(&op); !err.empty()) {
        nestedError = true;
        return err;
      }
    yielded.assign(block.getTerminator()->operand_begin(),
                   block.getTerminator()->operand_end());
    return "";
  }

  std::string evalOp(Operation *op);
  std::string evalConstant(arith::ConstantOp op);
  std::string evalFloatMap(Operation *op,
                           llvm::function_ref<double(ArrayRef<double>)> fn);
  std::string evalSlice(Operation *op, bool insert);
  std::string evalLinalg(linalg::LinalgOp op);
  std::string evalScan(ssmc::ssm::ScanOp op);
  std::string evalRecurrence(ssmc::ssm::RecurrenceOp op);
  std::string evalSsm(Operation *op);
  std::string evalMamba2(ssmc::ssm::Mamba2MixerOp op, Tensor &out);

  const InterpreterOptions &options;
  llvm::DenseMap<Value, RtValue> values;
  /// The loop index of the linalg op whose body is running (linalg.index).
  ArrayRef<int64_t> loopIndex;
  /// Set once an op inside a region failed: its message is located already.
  bool nestedError = false;
};

} // namespace

double ssmc::roundToType(Type type, double value) {
  auto ft = dyn_cast<FloatType>(type);
  if (!ft || ft.isF64())
    return value;
  if (ft.isF32())
    return static_cast<double>(static_cast<float>(value));
  llvm::APFloat a(value);
  bool losesInfo;
  a.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
            &losesInfo);
  return a.convertToDouble();
}

std::string Interpreter::run(func::FuncOp func, const std::vector<Tensor> &args,
                             std::vector<Tensor> &results) {
  std::string where = locString(func.getLoc());
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return where + ": @" + func.getName().str() +
           " must have a body of one block";
  Block &entry = func.getBody().front();
  if (args.size() != entry.getNumArguments())
    return where + ": @" + func.getName().str() + " takes " +
           std::to_string(entry.getNumArguments()) + " arguments, got " +
           std::to_string(args.size());
  for (auto [i, arg] : llvm::enumerate(entry.getArguments())) {
    std::string err;
    if (isa<RankedTensorType>(arg.getType()))
      err = define(arg, args[i]);
    else if (arg.getType().isIntOrIndexOrFloat() && args[i].rank() == 0 &&
             args[i].data.size() == 1)
      defineScalar(arg, args[i].data[0]);
    else
      err = "cannot pass a value of shape " + shapeString(args[i].shape) +
            " as " + typeString(arg.getType());
    if (!err.empty())
      return where + ": argument " + std::to_string(i) + ": " + err;
  }
  SmallVector<Value> returned;
  if (std::string err = runBlock(entry, returned); !err.empty())
    return err;
  std::vector<Tensor> out;
  for (Value v : returned) {
    if (isa<RankedTensorType>(v.getType()))
      out.push_back(tensor(v));
    else
      out.push_back(Tensor({}, scalarAsDouble(v)));
  }
  results = std::move(out);
  return "";
}

std::string Interpreter::evalOp(Operation *op) {
  auto unary = [&](double (*fn)(double)) {
    return evalFloatMap(op, [fn](ArrayRef<double> x) { return fn(x[0]); });
  };
  auto binary = [&](double (*fn)(double, double)) {
    return evalFloatMap(op,
                        [fn](ArrayRef<double> x) { return fn(x[0], x[1]); });
  };
  auto identity = [](double x) { return x; };
  std::string err =
      llvm::TypeSwitch<Operation *, std::string>(op)
          .Case([&](arith::ConstantOp c) { return evalConstant(c); })
          .Case([&](arith::AddFOp) {
            return binary([](double a, double b) { return a + b; });
          })
          .Case([&](arith::SubFOp) {
            return binary([](double a, double b) { return a - b; });
          })
          .Case([&](arith::MulFOp) {
            return binary([](double a, double b) { return a * b; });
          })
          .Case([&](arith::DivFOp) {
            return binary([](double a, double b) { return a / b; });
          })
          .Case([&](arith::MaximumFOp) {
            return binary([](double a, double b) {
              return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
            });
          })
          .Case([&](arith::MinimumFOp) {
            return binary([](double a, double b) {
              return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
            });
          })
          .Case([&](arith::MaxNumFOp) {
            return binary([](double a, double b) { return std::fmax(a, b); });
          })
          .Case([&](arith::MinNumFOp) {
            return binary([](double a, double b) { return std::fmin(a, b); });
          })
          .Case(
              [&](arith::NegFOp) { return unary([](double x) { return -x; }); })
          // The conversions round through the result type in define().
          .Case<arith::ExtFOp, arith::TruncFOp>(
              [&](Operation *) { return unary(identity); })
          .Case([&](math::ExpOp) {
            return unary([](double x) { return std::exp(x); });
          })
          .Case([&](math::Exp2Op) {
            return unary([](double x) { return std::exp2(x); });
          })
          .Case([&](math::LogOp) {
            return unary([](double x) { return std::log(x); });
          })
          .Case([&](math::Log1pOp) {
            return unary([](double x) { return std::log1p(x); });
          })
          .Case([&](math::SqrtOp) {
            return unary([](double x) { return std::sqrt(x); });
          })
          .Case([&](math::RsqrtOp) {
            return unary([](double x) { return 1.0 / std::sqrt(x); });
          })
          .Case([&](math::TanhOp) {
            return unary([](double x) { return std::tanh(x); });
          })
          .Case([&](math::AbsFOp) {
            return unary([](double x) { return std::fabs(x); });
          })
          .Case([&](math::SinOp) {
            return unary([](double x) { return std::sin(x); });
          })
          .Case([&](math::CosOp) {
            return unary([](double x) { return std::cos(x); });
          })
          .Case<ssmc::ssm::SoftplusOp, ssmc::ssm::SigmoidOp,
                ssmc::ssm::LogSigmoidOp, ssmc::ssm::SiluOp>(
              [&](Operation *o) {
                return evalFloatMap(o, [o](ArrayRef<double> x) {
                  return applyRecurrenceOp(o, x);
                });
              })
          .Case([&](arith::CmpFOp c) -> std::string {
            if (!isa<FloatType>(c.getLhs().getType()))
              return "unsupported";
            double a = scalarF(c.getLhs()), b = scalarF(c.getRhs());
            // The outcomes (bit 0 equal, 1 greater, 2 less, 3 unordered)
            // that each predicate accepts, in CmpFPredicate order.
            static const uint8_t accepts[16] = {0x0, 0x1, 0x2, 0x3, 0x4, 0x5,
                                                0x6, 0x7, 0x9, 0xa, 0xb, 0xc,
                                                0xd, 0xe, 0x8, 0xf};
            int outcome = std::isnan(a) || std::isnan(b) ? 3
                          : a > b                        ? 1
                          : a < b                        ? 2
                                                         : 0;
            auto predicate = static_cast<unsigned>(c.getPredicate());
            values[c.getResult()].i = (accepts[predicate & 15] >> outcome) & 1;
            return "";
          })
          .Case([&](arith::SelectOp s) -> std::string {
            if (isa<ShapedType>(s.getCondition().getType()))
              return "unsupported";
            // Copied first: inserting the result may move the map's entries.
            RtValue chosen =
                values[scalarI(s.getCondition()) ? s.getTrueValue()
                                                 : s.getFalseValue()];
            values[s.getResult()] = std::move(chosen);
            return "";
          })
          .Case<arith::AddIOp, arith::SubIOp, arith::MulIOp>(
              [&](Operation *o) -> std::string {
                if (!o->getResult(0).getType().isIntOrIndex())
                  return "unsupported";
                int64_t a = scalarI(o->getOperand(0)),
                        b = scalarI(o->getOperand(1));
                values[o->getResult(0)].i = isa<arith::AddIOp>(o)   ? a + b
                                            : isa<arith::SubIOp>(o) ? a - b
                                                                    : a * b;
                return "";
              })
          .Case<arith::IndexCastOp, arith::SIToFPOp>(
              [&](Operation *o) -> std::string {
                if (!o->getResult(0).getType().isIntOrIndexOrFloat())
                  return "unsupported";
                defineScalar(o->getResult(0),
                             static_cast<double>(scalarI(o->getOperand(0))));
                return "";
              })
          .Case([&](tensor::DimOp d) -> std::string {
            const Tensor &t = tensor(d.getSource());
            int64_t i = scalarI(d.getIndex());
            if (i < 0 || i >= t.rank())
              return "dimension " + std::to_string(i) + " out of range";
            values[d.getResult()].i = t.dim(i);
            return "";
          })
          .Case([&](tensor::EmptyOp e) -> std::string {
            SmallVector<int64_t> sizes = resolve(e.getMixedSizes());
            for (int64_t s : sizes)
              if (s < 0)
                return "negative size " + std::to_string(s);
            return define(e.getResult(), Tensor({sizes.begin(), sizes.end()}));
          })
          .Case([&](tensor::CastOp c) {
            return define(c.getResult(), tensor(c.getSource()));
          })
          .Case<tensor::ExtractSliceOp, tensor::InsertSliceOp>(
              [&](Operation *o) {
                return evalSlice(o, isa<tensor::InsertSliceOp>(o));
              })
          .Case([&](tensor::ExpandShapeOp e) -> std::string {
            SmallVector<int64_t> shape = resolve(e.getMixedOutputShape());
            Tensor t = tensor(e.getSrc());
            int64_t numel = 1;
            for (int64_t s : shape)
              numel = s < 0 ? -1 : numel * s;
            if (numel != t.numel())
              return "cannot expand " + shapeString(t.shape) + " into " +
                     shapeString(shape);
            return define(e.getResult(),
                          reshaped(std::move(t), {shape.begin(), shape.end()}));
          })
          .Case([&](tensor::CollapseShapeOp c) {
            Tensor t = tensor(c.getSrc());
            std::vector<int64_t> shape;
            for (const ReassociationIndices &group :
                 c.getReassociationIndices()) {
              shape.push_back(1);
              for (int64_t d : group)
                shape.back() *= t.dim(d);
            }
            return define(c.getResult(), reshaped(std::move(t), shape));
          })
          .Case([&](tensor::ExtractOp e) -> std::string {
            const Tensor &t = tensor(e.getTensor());
            int64_t off = 0;
            for (auto [d, index] : llvm::enumerate(e.getIndices())) {
              int64_t i = scalarI(index);
              if (i < 0 || i >= t.dim(d))
                return "index " + std::to_string(i) + " out of range for " +
                       shapeString(t.shape);
              off = off * t.dim(d) + i;
            }
            defineScalar(e.getResult(), t.data[off]);
            return "";
          })
          .Case([&](linalg::IndexOp i) {
            values[i.getResult()].i = loopIndex[i.getDim()];
            return "";
          })
          .Case([&](linalg::LinalgOp l) -> std::string {
            if (!l.hasPureTensorSemantics())
              return "unsupported";
            return evalLinalg(l);
          })
          .Case([&](ssmc::ssm::ScanOp s) { return evalScan(s); })
          .Case([&](ssmc::ssm::RecurrenceOp r) { return evalRecurrence(r); })
          .Case<ssmc::ssm::SelectiveScanOp, ssmc::ssm::SSDOp,
                ssmc::ssm::CausalConv1dOp, ssmc::ssm::StateUpdateOp,
                ssmc::ssm::RMSNormOp, ssmc::ssm::GatedRMSNormOp,
                ssmc::ssm::MambaMixerOp, ssmc::ssm::Mamba2MixerOp,
                ssmc::ssm::LinearAttentionOp, ssmc::ssm::LinearOp,
                ssmc::ssm::EmbeddingOp, ssmc::ssm::AllReduceOp,
                ssmc::ssm::AllGatherOp>(
              [&](Operation *o) { return evalSsm(o); })
          .Default([](Operation *) { return "unsupported"; });
  if (err.empty() || nestedError)
    return err;
  std::string name = op->getName().getStringRef().str();
  if (err == "unsupported")
    return "unsupported op '" + name + "' at " + locString(op->getLoc());
  // The reference's messages name the op already.
  if (!isa<ssmc::ssm::SSMDialect>(op->getDialect()))
    err = name + ": " + err;
  return locString(op->getLoc()) + ": " + err;
}

std::string Interpreter::evalConstant(arith::ConstantOp op) {
  Attribute attr = op.getValue();
  Value result = op.getResult();
  auto intValue = [](const APInt &v) {
    return v.getBitWidth() == 1 ? static_cast<int64_t>(v.getZExtValue())
                                : v.getSExtValue();
  };
  if (auto f = dyn_cast<FloatAttr>(attr)) {
    defineScalar(result, f.getValueAsDouble());
    return "";
  }
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    values[result].i = intValue(i.getValue());
    return "";
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (!dense || !type || !type.getElementType().isIntOrIndexOrFloat())
    return "unsupported";
  Tensor t({type.getShape().begin(), type.getShape().end()});
  size_t k = 0;
  if (isa<FloatType>(type.getElementType())) {
    for (const APFloat &v : dense.getValues<APFloat>())
      t.data[k++] = v.convertToDouble();
  } else {
    for (const APInt &v : dense.getValues<APInt>())
      t.data[k++] = static_cast<double>(intValue(v));
  }
  return define(result, std::move(t));
}

std::string
Interpreter::evalFloatMap(Operation *op,
                          llvm::function_ref<double(ArrayRef<double>)> fn) {
  Value result = op->getResult(0);
  SmallVector<double, 3> x(op->getNumOperands());
  if (x.empty())
    return "unsupported";
  if (auto type = dyn_cast<RankedTensorType>(result.getType())) {
    SmallVector<const Tensor *, 3> ins;
    for (Value v : op->getOperands())
      if (!isa<RankedTensorType>(v.getType()) ||
          !isa<FloatType>(type.getElementType()))
        return "unsupported";
    Tensor t(tensor(op->getOperand(0)).shape);
    for (Value v : op->getOperands()) {
      ins.push_back(&tensor(v));
      if (ins.back()->shape != t.shape)
        return "operands of shapes " + shapeString(t.shape) + " and " +
               shapeString(ins.back()->shape);
    }
    for (size_t k = 0; k < t.data.size(); ++k) {
      for (size_t j = 0; j < ins.size(); ++j)
        x[j] = ins[j]->data[k];
      t.data[k] = fn(x);
    }
    return define(result, std::move(t));
  }
  if (!isa<FloatType>(result.getType()))
    return "unsupported";
  for (auto [j, v] : llvm::enumerate(op->getOperands()))
    x[j] = scalarF(v);
  values[result].f = round(result.getType(), fn(x));
  return "";
}

std::string Interpreter::evalSlice(Operation *op, bool insert) {
  auto iface = cast<OffsetSizeAndStrideOpInterface>(op);
  SmallVector<int64_t> offsets = resolve(iface.getMixedOffsets()),
                       sizes = resolve(iface.getMixedSizes()),
                       strides = resolve(iface.getMixedStrides());
  const Tensor &big = tensor(op->getOperand(insert ? 1 : 0));
  bool ok = static_cast<int64_t>(offsets.size()) == big.rank();
  for (size_t d = 0; ok && d < offsets.size(); ++d)
    ok = sizes[d] >= 0 && strides[d] >= 1 && offsets[d] >= 0 &&
         (sizes[d] == 0 ||
          offsets[d] + (sizes[d] - 1) * strides[d] < big.dim(d));
  if (!ok)
    return "offsets " + shapeString(offsets) + ", sizes " + shapeString(sizes) +
           " and strides " + shapeString(strides) +
           " are out of bounds for shape " + shapeString(big.shape);
  SmallVector<int64_t> bigStrides = stridesOf(big.shape);
  auto offsetOf = [&](ArrayRef<int64_t> idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      off += (offsets[d] + idx[d] * strides[d]) * bigStrides[d];
    return off;
  };
  if (!insert) {
    Tensor r({sizes.begin(), sizes.end()});
    forEachIndex(sizes, [&](ArrayRef<int64_t> idx, int64_t lin) {
      r.data[lin] = big.data[offsetOf(idx)];
    });
    // A rank-reducing slice drops unit dimensions: the data stays as it is.
    llvm::SmallBitVector dropped =
        cast<tensor::ExtractSliceOp>(op).getDroppedDims();
    r.shape.clear();
    for (size_t d = 0; d < sizes.size(); ++d)
      if (!dropped.test(d))
        r.shape.push_back(sizes[d]);
    return define(op->getResult(0), std::move(r));
  }
  const Tensor &src = tensor(op->getOperand(0));
  Tensor r = big;
  if (src.numel() != Tensor({sizes.begin(), sizes.end()}).numel())
    return "source of shape " + shapeString(src.shape) +
           " does not fill sizes " + shapeString(sizes);
  forEachIndex(sizes, [&](ArrayRef<int64_t> idx, int64_t lin) {
    r.data[offsetOf(idx)] = src.data[lin];
  });
  return define(op->getResult(0), std::move(r));
}

std::string Interpreter::evalLinalg(linalg::LinalgOp op) {
  unsigned numLoops = op.getNumLoops();
  int64_t numIns = op.getNumDpsInputs();
  /// Where operand k's element at loop index i is: base + sum i[p] step[p].
  struct Access {
    const Tensor *tensor = nullptr; // null for a scalar operand
    int64_t base = 0;
    SmallVector<int64_t> step;
  };
  SmallVector<Access> access;
  SmallVector<int64_t> bounds(numLoops, -1);
  std::vector<Tensor> outs;
  for (OpOperand &operand : op->getOpOperands()) {
    int64_t k = operand.getOperandNumber();
    AffineMap map = op.getMatchingIndexingMap(&operand);
    Access a;
    a.step.assign(numLoops, 0);
    ArrayRef<int64_t> shape;
    if (isa<RankedTensorType>(operand.get().getType())) {
      a.tensor = &tensor(operand.get());
      shape = a.tensor->shape;
    }
    if (map.getNumResults() != shape.size() || map.getNumDims() != numLoops)
      return "indexing map " + std::to_string(k) + " does not fit operand " +
             std::to_string(k);
    SmallVector<int64_t> strides = stridesOf(shape);
    for (auto [r, expr] : llvm::enumerate(map.getResults())) {
      if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
        int64_t &bound = bounds[dim.getPosition()];
        if (bound >= 0 && bound != shape[r])
          return "operand " + std::to_string(k) + " of shape " +
                 shapeString(shape) + " disagrees with loop " +
                 std::to_string(dim.getPosition()) + " of size " +
                 std::to_string(bound);
        bound = shape[r];
        a.step[dim.getPosition()] += strides[r];
      } else if (auto c = dyn_cast<AffineConstantExpr>(expr);
                 c && c.getValue() >= 0 && c.getValue() < shape[r]) {
        a.base += c.getValue() * strides[r];
      } else {
        return "indexing map " + std::to_string(k) +
               " is not a projected permutation within bounds";
      }
    }
    if (k >= numIns)
      outs.push_back(*a.tensor);
    access.push_back(std::move(a));
  }
  for (int64_t bound : bounds)
    if (bound < 0)
      return "a loop has no operand dimension to take its size from";

  Block &body = *op.getBlock();
  if (body.getNumArguments() != access.size())
    return "unsupported";
  SmallVector<int64_t> idx(numLoops, 0), outOffsets(outs.size());
  SmallVector<Value> yielded;
  int64_t total = 1;
  for (int64_t bound : bounds)
    total *= bound;
  ArrayRef<int64_t> outerIndex = loopIndex;
  loopIndex = idx;
  for (int64_t point = 0; point < total; ++point) {
    for (auto [k, a] : llvm::enumerate(access)) {
      if (!a.tensor) {
        RtValue scalar = values[op->getOperand(k)];
        values[body.getArgument(k)] = std::move(scalar);
        continue;
      }
      int64_t off = a.base;
      for (unsigned p = 0; p < numLoops; ++p)
        off += idx[p] * a.step[p];
      int64_t o = static_cast<int64_t>(k) - numIns;
      if (o >= 0)
        outOffsets[o] = off;
      defineScalar(body.getArgument(k),
                   o >= 0 ? outs[o].data[off] : a.tensor->data[off]);
    }
    if (std::string err = runBlock(body, yielded); !err.empty())
      return err;
    for (auto [o, v] : llvm::enumerate(yielded))
      outs[o].data[outOffsets[o]] = scalarAsDouble(v);
    for (int64_t p = static_cast<int64_t>(numLoops) - 1; p >= 0; --p) {
      if (++idx[p] < bounds[p])
        break;
      idx[p] = 0;
    }
  }
  loopIndex = outerIndex;
  for (auto [o, result] : llvm::enumerate(op->getResults()))
    if (std::string err = define(result, std::move(outs[o])); !err.empty())
      return err;
  return "";
}

std::string Interpreter::evalScan(ssmc::ssm::ScanOp op) {
  size_t n = op.getInputs().size();
  std::vector<Tensor> ins, outs;
  for (Value v : op.getInputs())
    ins.push_back(tensor(v));
  Block &body = op.getCombiner().front();
  std::string bodyErr;
  ref::Combiner combine = [&](const std::vector<double> &acc,
                              const std::vector<double> &next) {
    std::vector<double> out(n, 0.0);
    if (!bodyErr.empty())
      return out;
    for (size_t i = 0; i < n; ++i) {
      defineScalar(body.getArgument(i), acc[i]);
      defineScalar(body.getArgument(n + i), next[i]);
    }
    SmallVector<Value> yielded;
    bodyErr = runBlock(body, yielded);
    for (size_t i = 0; bodyErr.empty() && i < n && i < yielded.size(); ++i)
      out[i] = scalarAsDouble(yielded[i]);
    return out;
  };
  std::string err = ref::scan(ins, static_cast<int64_t>(op.getDimension()),
                              op.getReverse(), combine, outs);
  if (!bodyErr.empty())
    return bodyErr;
  if (!err.empty())
    return err;
  for (size_t i = 0; i < n; ++i)
    if (std::string e = define(op.getResult(i), std::move(outs[i])); !e.empty())
      return e;
  return "";
}

/// The body runs pointwise over dense arrays: each value is an array over its
/// named dimensions (increasing order, time excluded), recomputed every step.
std::string Interpreter::evalRecurrence(ssmc::ssm::RecurrenceOp op) {
  using namespace ssmc::ssm;
  FailureOr<RecurrenceShape> analyzed = analyzeRecurrence(op, false);
  if (failed(analyzed))
    return "invalid ssm.recurrence";
  const RecurrenceShape &s = *analyzed;
  size_t numDims = s.dims.size();
  unsigned numInputs = s.inputs.size(), numStates = s.states.size();

  // Sizes, from the input tensors or the static types.
  std::vector<int64_t> size(numDims, -1);
  auto bind = [&](const Tensor &t, ArrayRef<unsigned> dims,
                  const std::string &what) -> std::string {
    if (t.rank() != static_cast<int64_t>(dims.size()))
      return what + " has rank " + std::to_string(t.rank());
    for (auto [axis, d] : llvm::enumerate(dims)) {
      if (size[d] >= 0 && size[d] != t.shape[axis])
        return what + " has " + std::to_string(t.shape[axis]) +
               " along '" + s.dims[d].str() + "', which is " +
               std::to_string(size[d]) + " elsewhere";
      size[d] = t.shape[axis];
    }
    return "";
  };
  for (unsigned i = 0; i < numInputs; ++i)
    if (std::string e = bind(tensor(op.getInputs()[i]), s.inputs[i],
                             "input #" + std::to_string(i));
        !e.empty())
      return e;
  for (auto [i, v] : llvm::enumerate(op.getInitialStates()))
    if (std::string e = bind(tensor(v), s.states[i],
                             "initial state #" + std::to_string(i));
        !e.empty())
      return e;
  for (size_t d = 0; d < numDims; ++d)
    if (size[d] < 0) {
      if (ShapedType::isDynamic(s.staticSizes[d]))
        size[d] = 0;
      else
        size[d] = s.staticSizes[d];
    }

  /// A dense array over a mask; strides per dimension (0 outside the mask).
  struct Array {
    std::vector<int64_t> stride;
    std::vector<double> data;
  };
  auto makeArray = [&](DimMask m) {
    Array a;
    a.stride.assign(numDims, 0);
    int64_t n = 1;
    for (int64_t d = static_cast<int64_t>(numDims) - 1; d >= 0; --d)
      if (m & s.bit(d)) {
        a.stride[d] = n;
        n *= size[d];
      }
    a.data.assign(static_cast<size_t>(n), 0.0);
    return a;
  };
  /// Calls fn(index) for every point of mask m (index holds every dim).
  std::vector<int64_t> index(numDims, 0);
  auto forEachPoint = [&](DimMask m, llvm::function_ref<void()> fn) {
    std::vector<unsigned> dims;
    for (unsigned d = 0; d < numDims; ++d)
      if (m & s.bit(d)) {
        if (size[d] == 0)
          return;
        dims.push_back(d);
        index[d] = 0;
      }
    while (true) {
      fn();
      int64_t k = static_cast<int64_t>(dims.size()) - 1;
      for (; k >= 0; --k) {
        if (++index[dims[k]] < size[dims[k]])
          break;
        index[dims[k]] = 0;
      }
      if (k < 0)
        return;
    }
  };
  auto offsetIn = [&](const Array &a) {
    int64_t off = 0;
    for (size_t d = 0; d < numDims; ++d)
      off += index[d] * a.stride[d];
    return off;
  };
  /// Offset of the current index in a tensor of named dims `dims`.
  auto tensorOffset = [&](ArrayRef<unsigned> dims) {
    int64_t off = 0;
    for (unsigned d : dims)
      off = off * size[d] + index[d];
    return off;
  };

  std::vector<Array> states;
  for (unsigned st = 0; st < numStates; ++st) {
    states.push_back(makeArray(s.stateMasks[st]));
    if (!op.getInitialStates().empty()) {
      const Tensor &init = tensor(op.getInitialStates()[st]);
      forEachPoint(s.stateMasks[st], [&] {
        states[st].data[offsetIn(states[st])] =
            init.data[tensorOffset(s.states[st])];
      });
    }
  }
  std::vector<Tensor> outputs;
  for (unsigned o = 0; o < s.outputs.size(); ++o) {
    std::vector<int64_t> shape;
    for (unsigned d : s.outputs[o])
      shape.push_back(size[d]);
    outputs.emplace_back(shape);
  }
  Block &body = op.getBody().front();
  auto yield = cast<RecYieldOp>(body.getTerminator());
  Type f32 = Float32Type::get(op.getContext());
  llvm::DenseMap<Value, Array> arrays;
  for (int64_t t = 0; t < size[s.time]; ++t) {
    index[s.time] = t;
    arrays.clear();
    for (unsigned i = 0; i < numInputs; ++i) {
      Array a = makeArray(s.inputMasks[i]);
      const Tensor &in = tensor(op.getInputs()[i]);
      forEachPoint(s.inputMasks[i], [&] {
        a.data[offsetIn(a)] = in.data[tensorOffset(s.inputs[i])];
      });
      arrays[body.getArgument(i)] = std::move(a);
    }
    for (unsigned st = 0; st < numStates; ++st)
      arrays[body.getArgument(numInputs + st)] = states[st];
    for (Operation &inner : body.without_terminator()) {
      Value result = inner.getResult(0);
      DimMask m = s.valueDims.lookup(result);
      Array r = makeArray(m);
      if (auto c = dyn_cast<arith::ConstantOp>(inner)) {
        double v = cast<FloatAttr>(c.getValue()).getValueAsDouble();
        r.data.assign(r.data.size(), round(f32, v));
      } else if (auto sum = dyn_cast<RecSumOp>(inner)) {
        const Array &x = arrays[sum.getValue()];
        forEachPoint(s.valueDims.lookup(sum.getValue()),
                     [&] { r.data[offsetIn(r)] += x.data[offsetIn(x)]; });
        for (double &v : r.data)
          v = round(f32, v);
      } else {
        SmallVector<const Array *, 3> ops;
        for (Value v : inner.getOperands())
          ops.push_back(&arrays[v]);
        SmallVector<double, 3> x(ops.size());
        forEachPoint(m, [&] {
          for (auto [j, a] : llvm::enumerate(ops))
            x[j] = a->data[offsetIn(*a)];
          r.data[offsetIn(r)] = round(f32, applyRecurrenceOp(&inner, x));
        });
      }
      arrays[result] = std::move(r);
    }
    for (unsigned o = 0; o < s.outputs.size(); ++o) {
      const Array &a = arrays[yield.getValues()[numStates + o]];
      forEachPoint(s.outputMasks[o], [&] {
        outputs[o].data[tensorOffset(s.outputs[o])] = a.data[offsetIn(a)];
      });
    }
    for (unsigned st = 0; st < numStates; ++st) {
      const Array &a = arrays[yield.getValues()[st]];
      Array next = makeArray(s.stateMasks[st]);
      forEachPoint(s.stateMasks[st],
                   [&] { next.data[offsetIn(next)] = a.data[offsetIn(a)]; });
      states[st] = std::move(next);
    }
  }
  for (unsigned o = 0; o < s.outputs.size(); ++o)
    if (std::string e = define(op.getOutputs()[o], std::move(outputs[o]));
        !e.empty())
      return e;
  for (unsigned st = 0; st < numStates; ++st) {
    std::vector<int64_t> shape;
    for (unsigned d : s.states[st])
      shape.push_back(size[d]);
    Tensor fin(shape);
    forEachPoint(s.stateMasks[st], [&] {
      fin.data[tensorOffset(s.states[st])] =
          states[st].data[offsetIn(states[st])];
    });
    if (std::string e = define(op.getFinalStates()[st], std::move(fin));
        !e.empty())
      return e;
  }
  return "";
}

namespace {

std::pair<ref::Tensor *, ref::Tensor *> fields(ref::SelectiveScanOutputs &o) {
  return {&o.out, &o.finalState};
}
std::pair<ref::Tensor *, ref::Tensor *> fields(ref::SsdOutputs &o) {
  return {&o.out, &o.finalStates};
}
std::pair<ref::Tensor *, ref::Tensor *> fields(ref::CausalConv1dOutputs &o) {
  return {&o.y, &o.newConvState};
}

/// Packed sequences (an op's `cu_seqlens`, batch 1): runs `part(i, t0, t1,
/// outputs)` for each sequence i, steps [t0, t1) along `timeDim` of `input`,
/// and assembles the op's results: the output shaped like `input`, and the
/// states (s, stateDims...), one per sequence. An empty sequence leaves its
/// state as it came in (`initial`, else zero).
template <typename Outputs, typename Part>
std::string packed(const ref::Tensor &cu, const ref::Tensor &input,
                   const std::optional<ref::Tensor> &initial, int64_t timeDim,
                   std::vector<int64_t> stateDims, Part part,
                   std::vector<ref::Tensor> &results) {
  if (input.dim(0) != 1)
    return "packed sequences (cu_seqlens) need the batch size 1, got " +
           std::to_string(input.dim(0));
  std::vector<int64_t> off;
  if (std::string err = ref::packedOffsets(cu, input.dim(timeDim), off);
      !err.empty())
    return err;
  int64_t count = static_cast<int64_t>(off.size()) - 1;
  stateDims.insert(stateDims.begin(), count);
  ref::Tensor out(input.shape), state(stateDims);
  for (int64_t i = 0; i < count; ++i) {
    int64_t t0 = off[static_cast<size_t>(i)],
            t1 = off[static_cast<size_t>(i) + 1];
    if (t0 == t1) {
      if (initial)
        ref::placeDim(state, ref::sliceDim(*initial, 0, i, i + 1), 0, i);
      continue;
    }
    Outputs o;
    if (std::string err = part(i, t0, t1, o); !err.empty())
      return err;
    auto [partOut, partState] = fields(o);
    ref::placeDim(out, *partOut, timeDim, t0);
    if (!partState->data.empty())
      ref::placeDim(state, *partState, 0, i);
  }
  results = {std::move(out), std::move(state)};
  return "";
}

/// The reference runs a mixer as SEMANTICS.md defines it: without the
/// model's caches, packed sequences, a precomputed A or a rank's shard.
std::string modelFormOnly(Operation *op, Value convState, Value ssmState,
                          Value cuSeqlens, ValueRange statesOut, bool aGiven,
                          std::optional<uint64_t> worldSize) {
  if (!convState && !ssmState && !cuSeqlens && statesOut.empty() && !aGiven &&
      !worldSize)
    return "";
  return op->getName().getStringRef().str() +
         ": the reference runs mixers without caches, packed sequences, "
         "a_given or world_size; evaluate this one with --decompose";
}

} // namespace

std::string Interpreter::evalSsm(Operation *op) {
  using namespace ssmc::ssm;
  auto limit = [](std::optional<ArrayRef<double>> l) {
    return l && l->size() == 2
               ? std::optional<ref::DtLimit>(ref::DtLimit{(*l)[0], (*l)[1]})
               : std::nullopt;
  };
  std::vector<Tensor> results(2);
  std::string err =
      llvm::TypeSwitch<Operation *, std::string>(op)
          .Case([&](SelectiveScanOp s) {
            ref::SelectiveScanInputs in{tensor(s.getU()),
                                        tensor(s.getDelta()),
                                        tensor(s.getA()),
                                        tensor(s.getB()),
                                        tensor(s.getC()),
                                        optTensor(s.getD()),
                                        optTensor(s.getZ()),
                                        optTensor(s.getDeltaBias()),
                                        optTensor(s.getInitialState()),
                                        s.getDeltaSoftplus()};
            ref::SelectiveScanOutputs out;
            if (s.getCuSeqlens()) {
              auto part = [&](int64_t i, int64_t t0, int64_t t1,
                              ref::SelectiveScanOutputs &o) {
                ref::SelectiveScanInputs p = in;
                p.u = ref::sliceDim(in.u, 2, t0, t1);
                p.delta = ref::sliceDim(in.delta, 2, t0, t1);
                p.B = ref::sliceDim(in.B, 3, t0, t1);
                p.C = ref::sliceDim(in.C, 3, t0, t1);
                if (in.z)
                  p.z = ref::sliceDim(*in.z, 2, t0, t1);
                if (in.h0)
                  p.h0 = ref::sliceDim(*in.h0, 0, i, i + 1);
                return ref::selectiveScan(p, o);
              };
              return packed<ref::SelectiveScanOutputs>(
                  tensor(s.getCuSeqlens()), in.u, in.h0, /*timeDim=*/2,
                  {in.u.dim(1), in.A.dim(1)}, part, results);
            }
            std::string e = ref::selectiveScan(in, out);
            results = {std::move(out.out), std::move(out.finalState)};
            return e;
          })
          .Case([&](SSDOp s) {
            ref::SsdInputs in{tensor(s.getX()),
                              tensor(s.getDt()),
                              tensor(s.getA()),
                              tensor(s.getB()),
                              tensor(s.getC()),
                              optTensor(s.getD()),
                              optTensor(s.getZ()),
                              optTensor(s.getDtBias()),
                              optTensor(s.getInitialStates()),
                              optTensor(s.getSeqIdx()),
                              s.getDtSoftplus(),
                              limit(s.getDtLimit())};
            in.unscaledInput = s.getUnscaledInput();
            ref::SsdOutputs out;
            int64_t chunk = static_cast<int64_t>(s.getChunkSize());
            if (s.getCuSeqlens()) {
              auto part = [&](int64_t i, int64_t t0, int64_t t1,
                              ref::SsdOutputs &o) {
                ref::SsdInputs p = in;
                p.x = ref::sliceDim(in.x, 1, t0, t1);
                p.dt = ref::sliceDim(in.dt, 1, t0, t1);
                p.B = ref::sliceDim(in.B, 1, t0, t1);
                p.C = ref::sliceDim(in.C, 1, t0, t1);
                if (in.z)
                  p.z = ref::sliceDim(*in.z, 1, t0, t1);
                if (in.initialStates)
                  p.initialStates =
                      ref::sliceDim(*in.initialStates, 0, i, i + 1);
                return ref::ssdChunked(p, chunk, o);
              };
              return packed<ref::SsdOutputs>(
                  tensor(s.getCuSeqlens()), in.x, in.initialStates,
                  /*timeDim=*/1, {in.x.dim(2), in.x.dim(3), in.B.dim(3)}, part,
                  results);
            }
            // The chunked form, as compiled code computes it.
            std::string e = ref::ssdChunked(in, chunk, out);
            results = {std::move(out.out), std::move(out.finalStates)};
            return e;
          })
          .Case([&](CausalConv1dOp c) {
            ref::CausalConv1dInputs in{
                tensor(c.getX()), tensor(c.getWeight()), optTensor(c.getBias()),
                optTensor(c.getConvState()), c.getSilu()};
            ref::CausalConv1dOutputs out;
            if (c.getCuSeqlens()) {
              auto part = [&](int64_t i, int64_t t0, int64_t t1,
                              ref::CausalConv1dOutputs &o) {
                ref::CausalConv1dInputs p = in;
                p.x = ref::sliceDim(in.x, 2, t0, t1);
                if (in.convState)
                  p.convState = ref::sliceDim(*in.convState, 0, i, i + 1);
                return ref::causalConv1d(p, o);
              };
              return packed<ref::CausalConv1dOutputs>(
                  tensor(c.getCuSeqlens()), in.x, in.convState, /*timeDim=*/2,
                  {in.x.dim(1), in.w.dim(1) - 1}, part, results);
            }
            std::string e = ref::causalConv1d(in, out);
            results = {std::move(out.y), std::move(out.newConvState)};
            return e;
          })
          .Case([&](StateUpdateOp s) {
            ref::StateUpdateInputs in{
                tensor(s.getState()),     tensor(s.getX()),
                tensor(s.getDt()),        tensor(s.getA()),
                tensor(s.getB()),         tensor(s.getC()),
                optTensor(s.getD()),      optTensor(s.getZ()),
                optTensor(s.getDtBias()), s.getDtSoftplus(),
                limit(s.getDtLimit())};
            ref::StateUpdateOutputs out;
            std::string e = ref::stateUpdate(in, out);
            results = {std::move(out.y), std::move(out.newState)};
            return e;
          })
          .Case([&](RMSNormOp r) {
            return ref::rmsNorm(tensor(r.getX()), tensor(r.getWeight()),
                                r.getEps().convertToDouble(), results[0]);
          })
          .Case([&](GatedRMSNormOp r) {
            return ref::gatedRmsNorm(
                tensor(r.getX()), tensor(r.getZ()), tensor(r.getWeight()),
                r.getEps().convertToDouble(),
                static_cast<int64_t>(r.getGroupSize()), results[0]);
          })
          .Case([&](MambaMixerOp m) {
            if (std::string e = modelFormOnly(m, m.getConvState(),
                                              m.getSsmState(), m.getCuSeqlens(),
                                              m.getStatesOut(), m.getAGiven(),
                                              m.getWorldSize());
                !e.empty())
              return e;
            ref::MambaMixerWeights w{tensor(m.getInProjWeight()),
                                     tensor(m.getConvWeight()),
                                     tensor(m.getXProjWeight()),
                                     tensor(m.getDtProjWeight()),
                                     tensor(m.getDtProjBias()),
                                     tensor(m.getALog()),
                                     tensor(m.getD()),
                                     tensor(m.getOutProjWeight()),
                                     optTensor(m.getInProjBias()),
                                     optTensor(m.getConvBias()),
                                     optTensor(m.getOutProjBias())};
            return ref::mambaMixer(w, tensor(m.getHidden()), results[0]);
          })
          .Case([&](Mamba2MixerOp m) {
            if (std::string e = modelFormOnly(m, m.getConvState(),
                                              m.getSsmState(), m.getCuSeqlens(),
                                              m.getStatesOut(), m.getAGiven(),
                                              m.getWorldSize());
                !e.empty())
              return e;
            return evalMamba2(m, results[0]);
          })
          .Case([&](LinearOp m) -> std::string {
            const Tensor &x = tensor(m.getX()), &w = tensor(m.getWeight());
            std::optional<Tensor> bias = optTensor(m.getBias());
            int64_t rows = x.dim(0) * x.dim(1), in = x.dim(2), outs = w.dim(0);
            results[0] = Tensor({x.dim(0), x.dim(1), outs});
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t o = 0; o < outs; ++o) {
                double acc = bias ? bias->data[o] : 0.0;
                for (int64_t i = 0; i < in; ++i)
                  acc += x.data[r * in + i] * w.data[o * in + i];
                results[0].data[r * outs + o] = acc;
              }
            return "";
          })
          .Case([&](EmbeddingOp m) -> std::string {
            if (m.getWorldSize())
              return "ssm.embedding: a table split over ranks (world_size) "
                     "runs only compiled (ssmc run --tp)";
            const Tensor &t = tensor(m.getTokens()),
                         &table = tensor(m.getTable());
            int64_t vocab = table.dim(0), dm = table.dim(1);
            results[0] = Tensor({t.dim(0), t.dim(1), dm});
            for (int64_t r = 0; r < t.numel(); ++r) {
              int64_t id = std::clamp<int64_t>(static_cast<int64_t>(t.data[r]),
                                               0, vocab - 1);
              std::copy_n(table.data.begin() + id * dm, dm,
                          results[0].data.begin() + r * dm);
            }
            return "";
          })
          .Case<AllReduceOp, AllGatherOp>([&](auto c) -> std::string {
            if (c.getWorldSize() != 1)
              return c->getName().getStringRef().str() +
                     ": collectives over more than one rank run only "
                     "compiled (ssmc run --tp)";
            results[0] = tensor(c.getX());
            return "";
          })
          .Case([&](LinearAttentionOp a) {
            ref::LinearAttentionInputs in{
                tensor(a.getQ()), tensor(a.getK()), tensor(a.getV()),
                tensor(a.getLogDecay()), optTensor(a.getInitialState())};
            ref::LinearAttentionOutputs out;
            std::string e = ref::linearAttention(in, out);
            results = {std::move(out.out), std::move(out.finalState)};
            return e;
          })
          .Default([](Operation *) { return "unsupported"; });
  if (!err.empty())
    return err;
  for (auto [i, result] : llvm::enumerate(op->getResults()))
    if (std::string e = define(result, std::move(results[i])); !e.empty())
      return e;
  return "";
}

std::string Interpreter::evalMamba2(ssmc::ssm::Mamba2MixerOp op, Tensor &out) {
  const Tensor &hidden = tensor(op.getHidden()),
               &convW = tensor(op.getConvWeight());
  ref::Mamba2MixerConfig cfg{static_cast<int64_t>(op.getNGroups()),
                             static_cast<int64_t>(op.getHeadDim()),
                             static_cast<int64_t>(op.getChunkSize()),
                             op.getEps().convertToDouble(), std::nullopt};
  if (std::optional<ArrayRef<double>> l = op.getDtLimit(); l && l->size() == 2)
    cfg.dtLimit = ref::DtLimit{(*l)[0], (*l)[1]};
  cfg.normGroupSize = static_cast<int64_t>(op.getNormGroupSize().value_or(0));
  ref::Mamba2MixerWeights w{tensor(op.getInProjWeight()),
                            convW,
                            optTensor(op.getConvBias()),
                            tensor(op.getDtBias()),
                            tensor(op.getALog()),
                            tensor(op.getD()),
                            tensor(op.getNormWeight()),
                            tensor(op.getOutProjWeight()),
                            optTensor(op.getInProjBias()),
                            optTensor(op.getOutProjBias())};
  return ref::mamba2Mixer(w, cfg, hidden, out);
}

std::string ssmc::interpretFunction(func::FuncOp func,
                                    const std::vector<Tensor> &args,
                                    const InterpreterOptions &options,
                                    std::vector<Tensor> &results) {
  return Interpreter(options).run(func, args, results);
}
