//===- ssmc.cpp - the ssmc driver -----------------------------------------===//
//
// `ssmc <subcommand> ...`. Subcommands:
//   eval  run a function of an ssm-dialect file on .npy (or random) inputs
//         through a target (for now the float64 reference interpreter) and
//         write its results as .npy files.
//
// Every check of the command line and of the inputs happens before anything
// is evaluated or written, so a failed run leaves no output behind.
//
//===----------------------------------------------------------------------===//

#include "ssmc/Codegen/Reference/Interpreter.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"
#include "ssmc/InitAll.h"
#include "ssmc/runtime/Npy.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>

using namespace mlir;
namespace cl = llvm::cl;
namespace npy = ssmc::npy;
using ssmc::reference::Tensor;

//===----------------------------------------------------------------------===//
// ssmc eval
//===----------------------------------------------------------------------===//

static cl::OptionCategory evalCategory("ssmc eval options");
static cl::SubCommand
    evalCmd("eval",
            "Run a function through the float64 reference interpreter and "
            "write its results as .npy files");

static cl::opt<std::string> evalFile(cl::Positional, cl::desc("<file.mlir>"),
                                     cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<std::string> entryName("entry", cl::desc("Function to run"),
                                      cl::value_desc("name"), cl::sub(evalCmd),
                                      cl::cat(evalCategory));
static cl::list<std::string>
    inputFiles("input", cl::desc("A .npy file per function argument, in order"),
               cl::value_desc("file.npy"), cl::sub(evalCmd),
               cl::cat(evalCategory));
static cl::opt<uint64_t> randomSeed(
    "random-inputs",
    cl::desc("Fill every argument with deterministic uniform values in "
             "[-1, 1] (integers in [0, 3]) from this seed"),
    cl::value_desc("seed"), cl::sub(evalCmd), cl::cat(evalCategory));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Shape of random argument IDX, which fixes its dynamic sizes"),
    cl::value_desc("IDX=AxBxC"), cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<bool>
    decompose("decompose",
              cl::desc("Run ssm-decompose-mixers before evaluating"),
              cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<bool> compareUndecomposed(
    "compare-undecomposed",
    cl::desc("With --decompose, also evaluate the function without the "
             "decomposition and report the relative L2 difference"),
    cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<double> tolerance(
    "tolerance",
    cl::desc("Largest relative L2 difference --compare-undecomposed accepts "
             "(default 1e-10 with --exact, 1e-5 otherwise)"),
    cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<std::string>
    targetName("target", cl::desc("Where to run: reference (the default)"),
               cl::init("reference"), cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<bool>
    exact("exact",
          cl::desc("Keep every value in float64 instead of rounding to the "
                   "program's f32/f16/bf16 types"),
          cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<std::string>
    outputPrefix("output", cl::desc("Write result i to PREFIXi.npy"),
                 cl::value_desc("prefix"), cl::sub(evalCmd),
                 cl::cat(evalCategory));

namespace {

/// Prints "ssmc eval: <msg>" and returns the exit code of a failed run.
int fail(const llvm::Twine &msg) {
  llvm::errs() << "ssmc eval: " << msg << "\n";
  return 1;
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The shape (dynamic sizes as ShapedType::kDynamic) and the element type of
/// an argument or result; scalars are rank 0.
bool shapeAndElement(Type type, std::vector<int64_t> &shape, Type &elem) {
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    elem = tensor.getElementType();
  } else {
    shape.clear();
    elem = type;
  }
  return elem.isIntOrIndexOrFloat();
}

/// Whether \p shape fits \p pattern, whose dynamic sizes match anything.
bool fits(const std::vector<int64_t> &shape,
          const std::vector<int64_t> &pattern) {
  if (shape.size() != pattern.size())
    return false;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!ShapedType::isDynamic(pattern[d]) && pattern[d] != shape[d])
      return false;
  return true;
}

/// The .npy dtype that holds values of element type \p elem (bf16 travels as
/// f32), or none.
std::optional<npy::DType> dtypeFor(Type elem) {
  if (elem.isF16())
    return npy::DType::F16;
  if (elem.isF64())
    return npy::DType::F64;
  if (isa<FloatType>(elem))
    return npy::DType::F32;
  if (elem.isIndex() || elem.isInteger(64))
    return npy::DType::I64;
  if (elem.isInteger(32))
    return npy::DType::I32;
  return std::nullopt;
}

/// Reads the --input of argument \p i into \p out.
std::string readInput(func::FuncOp func, unsigned i, Tensor &out) {
  const std::string &path = inputFiles[i];
  npy::Array array;
  if (std::string err = npy::readNpy(path, array); !err.empty())
    return err;
  Type argType = func.getArgumentTypes()[i], elem;
  std::vector<int64_t> shape;
  std::string arg = "argument " + std::to_string(i) + " of @" +
                    func.getName().str() + " has type " + typeString(argType);
  std::string in = "input " + std::to_string(i) + " (" + path + ")";
  std::optional<npy::DType> want;
  if (shapeAndElement(argType, shape, elem))
    want = dtypeFor(elem);
  if (!want)
    return arg + ", which cannot be read from .npy";
  if (!fits(array.shape, shape))
    return in + " has shape " + npy::shapeString(array.shape) + " but " + arg;
  if (array.dtype != *want)
    return in + " has dtype '" + npy::descr(array.dtype) + "' but " + arg +
           " (expected '" + npy::descr(*want) + "')";
  out = Tensor(array.shape);
  for (size_t k = 0; k < array.data.size(); ++k)
    out.data[k] = ssmc::roundToType(elem, array.data[k]);
  return "";
}

/// Parses the --input-shape options into \p shapes (argument -> shape).
std::string parseInputShapes(std::map<unsigned, std::vector<int64_t>> &shapes,
                             unsigned numArgs) {
  for (const std::string &spec : inputShapes) {
    auto [idxText, dimsText] = llvm::StringRef(spec).split('=');
    unsigned idx = 0;
    std::vector<int64_t> shape;
    bool ok =
        spec.find('=') != std::string::npos && !idxText.getAsInteger(10, idx);
    llvm::SmallVector<llvm::StringRef> dims;
    if (!dimsText.empty())
      dimsText.split(dims, 'x');
    for (llvm::StringRef dim : dims) {
      int64_t size;
      ok = ok && !dim.getAsInteger(10, size) && size >= 0;
      shape.push_back(ok ? size : 0);
    }
    if (!ok)
      return "bad --input-shape '" + spec +
             "': expected IDX=AxBxC, e.g. 0=2x9x16";
    if (idx >= numArgs)
      return "--input-shape '" + spec + "' names argument " +
             std::to_string(idx) + ", but the function takes " +
             std::to_string(numArgs);
    shapes[idx] = shape;
  }
  return "";
}

/// Fills \p args with random values for every argument of \p func.
std::string randomInputs(func::FuncOp func, std::vector<Tensor> &args) {
  std::map<unsigned, std::vector<int64_t>> shapes;
  if (std::string err = parseInputShapes(shapes, func.getNumArguments());
      !err.empty())
    return err;
  for (auto [i, argType] : llvm::enumerate(func.getArgumentTypes())) {
    std::vector<int64_t> shape;
    Type elem;
    std::string arg = "argument " + std::to_string(i) + " of @" +
                      func.getName().str() + " has type " + typeString(argType);
    if (!shapeAndElement(argType, shape, elem))
      return arg + ", which cannot be filled with random values";
    auto given = shapes.find(i);
    if (given != shapes.end()) {
      if (!fits(given->second, shape))
        return "--input-shape " + std::to_string(i) + "=" +
               llvm::join(
                   llvm::map_range(given->second,
                                   [](int64_t s) { return std::to_string(s); }),
                   "x") +
               " does not fit: " + arg;
      shape = given->second;
    } else if (llvm::any_of(shape, ShapedType::isDynamic)) {
      return arg + " with dynamic sizes: give its shape with --input-shape " +
             std::to_string(i) + "=AxBxC";
    }
    // A distinct, well-mixed seed per argument.
    uint64_t seed = randomSeed + 0x9e3779b97f4a7c15ull * (i + 1);
    Tensor t = ssmc::reference::randomTensor(shape, seed, -1.0, 1.0);
    for (double &v : t.data)
      v = isa<FloatType>(elem) ? ssmc::roundToType(elem, v)
                               : std::floor((v + 1.0) * 2.0);
    args.push_back(std::move(t));
  }
  return "";
}

int runEval() {
  if (targetName != "reference")
    return fail("unknown --target '" + targetName +
                "'; allowed targets: reference");
  if (evalFile.empty())
    return fail("no input file; usage: ssmc eval FILE.mlir --entry NAME "
                "--output PREFIX ...");
  if (entryName.empty())
    return fail("--entry NAME is required");
  if (outputPrefix.empty())
    return fail("--output PREFIX is required");
  bool random = randomSeed.getNumOccurrences() > 0;
  if (random && !inputFiles.empty())
    return fail("give either --input files or --random-inputs, not both");
  if (!random && inputFiles.empty())
    return fail("give one --input per argument or --random-inputs SEED");
  if (!random && !inputShapes.empty())
    return fail("--input-shape is only used with --random-inputs");
  if (compareUndecomposed && !decompose)
    return fail("--compare-undecomposed needs --decompose");

  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
  ssmc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  context.printOpOnDiagnostic(false);

  auto buffer = llvm::MemoryBuffer::getFile(evalFile);
  if (std::error_code ec = buffer.getError())
    return fail("cannot open '" + evalFile + "': " + ec.message());
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // The handler has printed the parse or verifier errors.

  auto func = module->lookupSymbol<func::FuncOp>(entryName);
  if (!func) {
    std::string names;
    for (auto f : module->getOps<func::FuncOp>())
      names += (names.empty() ? "@" : ", @") + f.getName().str();
    return fail(
        "no function @" + entryName + " in " + evalFile +
        "; the functions there are: " + (names.empty() ? "(none)" : names));
  }

  // Inputs, all checked before anything runs.
  std::vector<Tensor> args;
  if (random) {
    if (std::string err = randomInputs(func, args); !err.empty())
      return fail(err);
  } else {
    if (inputFiles.size() != func.getNumArguments())
      return fail("@" + entryName + " takes " +
                  std::to_string(func.getNumArguments()) + " arguments but " +
                  std::to_string(inputFiles.size()) + " --input " +
                  (inputFiles.size() == 1 ? "was" : "were") + " given");
    args.resize(inputFiles.size());
    for (unsigned i = 0; i < inputFiles.size(); ++i)
      if (std::string err = readInput(func, i, args[i]); !err.empty())
        return fail(err);
  }
  for (Type type : func.getResultTypes()) {
    std::vector<int64_t> shape;
    Type elem;
    if (!shapeAndElement(type, shape, elem) || !dtypeFor(elem))
      return fail("@" + entryName + " returns " + typeString(type) +
                  ", which cannot be written as .npy");
  }

  OwningOpRef<ModuleOp> original;
  if (decompose) {
    if (compareUndecomposed)
      original = module->clone();
    PassManager pm(&context);
    pm.addPass(ssmc::ssm::createSSMDecomposeMixers());
    if (failed(pm.run(*module)))
      return 1;
  }

  ssmc::InterpreterOptions options;
  options.exact = exact;
  std::vector<Tensor> results, reference;
  if (std::string err = ssmc::interpretFunction(func, args, options, results);
      !err.empty())
    return fail(err);
  if (original) {
    auto undecomposed = original->lookupSymbol<func::FuncOp>(entryName);
    if (std::string err =
            ssmc::interpretFunction(undecomposed, args, options, reference);
        !err.empty())
      return fail("undecomposed: " + err);
  }

  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    std::vector<int64_t> shape;
    Type elem;
    shapeAndElement(type, shape, elem);
    std::string path = outputPrefix + std::to_string(i) + ".npy";
    if (std::string err = npy::writeNpy(path, results[i].shape, results[i].data,
                                        *dtypeFor(elem));
        !err.empty())
      return fail(err);
    llvm::outs() << "output " << i << ": shape "
                 << npy::shapeString(results[i].shape) << " "
                 << typeString(elem) << " -> " << path << "\n";
  }

  if (!original)
    return 0;
  double tol = tolerance.getNumOccurrences() ? tolerance.getValue()
               : exact                       ? 1e-10
                                             : 1e-5;
  bool ok = true;
  for (size_t i = 0; i < results.size(); ++i) {
    double rel = ssmc::reference::relativeL2(results[i], reference[i]);
    llvm::outs() << "output " << i
                 << ": rel. L2 vs undecomposed = " << llvm::format("%.1e", rel)
                 << "\n";
    if (!(rel <= tol)) {
      llvm::errs() << "ssmc eval: output " << i
                   << " differs from the undecomposed function by "
                   << llvm::format("%.1e", rel) << " > tolerance "
                   << llvm::format("%.1e", tol) << "\n";
      ok = false;
    }
  }
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // libLLVM registers hundreds of options: show only ssmc's.
  cl::HideUnrelatedOptions(llvm::ArrayRef<const cl::OptionCategory *>());
  cl::HideUnrelatedOptions(evalCategory, evalCmd);
  cl::ParseCommandLineOptions(argc, argv,
                              "ssmc: a compiler for state space models\n");
  if (evalCmd)
    return runEval();
  llvm::errs() << "ssmc: no subcommand given; see 'ssmc --help'\n";
  return 1;
}
