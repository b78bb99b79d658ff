//===- ssmc.cpp - the ssmc driver -----------------------------------------===//
//
// `ssmc <subcommand> ...`. Subcommands:
//   compile  lower a file to native code for the host CPU and write a
//            .ssmpkg package (or stop earlier with --emit).
//   eval     run a function of an ssm-dialect file on .npy (or random) inputs
//            through a target (the float64 reference interpreter, or the CPU
//            target compiled in-process or from a prebuilt package) and write
//            its results as .npy files.
//
// Every check of the command line and of the inputs happens before anything
// is evaluated or written, so a failed run leaves no output behind.
//
//===----------------------------------------------------------------------===//

#include "ssmc/Codegen/Package/PackageWriter.h"
#include "ssmc/Codegen/Reference/Interpreter.h"
#include "ssmc/Codegen/Target/HostObject.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"
#include "RunCommand.h"
#include "ssmc/Frontend/ModelModule.h"
#include "ssmc/Frontends/DSL/EmitMLIR.h"
#include "ssmc/Frontends/DSL/Parser.h"
#include "ssmc/InitAll.h"
#include "ssmc/model/Config.h"
#include "ssmc/model/Layout.h"
#include "ssmc/model/Weights.h"
#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/Json.h"
#include "ssmc/runtime/Runtime.h"
#include "ssmc/runtime/Npy.h"
#include "ssmc/Codegen/CPU/Pipeline.h"
#include "ssmc/Codegen/GPU/CUDAObject.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

using namespace mlir;
namespace cl = llvm::cl;
namespace npy = ssmc::npy;
using ssmc::reference::Tensor;

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

static cl::OptionCategory evalCategory("ssmc eval options");
static cl::OptionCategory compileCategory("ssmc compile options");
static cl::OptionCategory cpuCategory("CPU target options (compile, eval)");
static cl::SubCommand
    evalCmd("eval",
            "Run a function through the float64 reference interpreter (or "
            "the CPU target) and write its results as .npy files");
static cl::SubCommand
    compileCmd("compile", "Compile a file to a .ssmpkg package of native "
                          "code for the host CPU");

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
static cl::opt<bool> compareReference(
    "compare-reference",
    cl::desc("With --target cpu, also run the reference interpreter on the "
             "same inputs and report the relative L2 difference"),
    cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<double> tolerance(
    "tolerance",
    cl::desc("Largest relative L2 difference --compare-undecomposed and "
             "--compare-reference accept (default 1e-10 with --exact, 1e-5 "
             "otherwise)"),
    cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<bool> runBf16(
    "bf16",
    cl::desc("With --target cpu: store the function's f32 tensor arguments and "
             "results in bf16 (inputs rounded to bf16, arithmetic in f32 as "
             "in the bf16 kernels, outputs written as f32 .npy); the default "
             "tolerance of --compare-reference becomes 1e-2"),
    cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<std::string> targetName(
    "target",
    cl::desc("Where to run: reference (the default), cpu, or cuda[:sm_XX] "
             "(compiled for the GPU; run on the CPU, with one message, where "
             "no GPU or driver is)"),
    cl::init("reference"), cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<std::string> packageFile(
    "package",
    cl::desc("With --target cpu, run this prebuilt package instead of "
             "compiling the file (which may then be omitted)"),
    cl::value_desc("file.ssmpkg"), cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<bool>
    exact("exact",
          cl::desc("Keep every value in float64 instead of rounding to the "
                   "program's f32/f16/bf16 types"),
          cl::sub(evalCmd), cl::cat(evalCategory));
static cl::opt<std::string>
    outputPrefix("output",
                 cl::desc("Write result i to PREFIXi.npy (all results, or none "
                          "on an error)"),
                 cl::value_desc("prefix"), cl::sub(evalCmd),
                 cl::cat(evalCategory));

static cl::opt<std::string> compileFile(cl::Positional,
                                        cl::desc("<file.mlir | MODEL_DIR>"),
                                        cl::sub(compileCmd),
                                        cl::cat(compileCategory));
static cl::opt<std::string>
    compileOutput("o", cl::desc("Output file ('-' for stdout, text only)"),
                  cl::value_desc("file"), cl::sub(compileCmd),
                  cl::cat(compileCategory));
static cl::opt<std::string> compileDType(
    "dtype",
    cl::desc("For a model directory: the element type of the weight matrices "
             "in the package, f32, bf16 or f16 (default: the checkpoint's); "
             "for a .ssm file: the element type of its inputs and outputs "
             "(default: as declared)"),
    cl::sub(compileCmd), cl::sub(evalCmd), cl::cat(compileCategory));
static cl::opt<int64_t> compileTP(
    "tp",
    cl::desc("For a model directory: split the model over N tensor-parallel "
             "ranks (ssm-shard-tensor-parallel; run it with ssmc run --tp N)"),
    cl::init(1), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<std::string> compileTarget(
    "target",
    cl::desc("Target to compile for: cpu, or cuda[:sm_XX] (default sm_90; "
             "the package also holds the CPU code, run where no GPU is)"),
    cl::init("cpu"), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<std::string> gpuFormat(
    "gpu-format",
    cl::desc("With --target cuda, the embedded GPU binary: auto (fatbin when "
             "the CUDA toolkit's ptxas is found, else isa), isa (PTX, "
             "compiled by the driver at load), bin (cubin), fatbin (both)"),
    cl::init("auto"), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<int64_t> gpuScanChannels(
    "gpu-scan-channels",
    cl::desc("With --target cuda, selective scan channels per block (0: the "
             "tiling heuristic)"),
    cl::init(0), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<int64_t> gpuScanTimeChunk(
    "gpu-scan-time-chunk",
    cl::desc("With --target cuda, selective scan steps staged per chunk (0: "
             "the tiling heuristic)"),
    cl::init(0), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<int64_t> gpuScanPolyExps(
    "gpu-scan-poly-exps",
    cl::desc("With --target cuda, selective scan decays per step computed by "
             "a polynomial on the FMA pipes instead of ex2.approx (-1: the "
             "heuristic)"),
    cl::init(-1), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<int64_t> gpuScanStateSplit(
    "gpu-scan-state-split",
    cl::desc("With --target cuda, selective scan threads per channel, each "
             "with n / this many states (0: the tiling heuristic)"),
    cl::init(0), cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<int64_t> gpuScanSegments(
    "gpu-scan-segments",
    cl::desc("With --target cuda, selective scan sequence segments (-1: the "
             "heuristic, 0: chosen at run time from the shapes, >= 1: fixed)"),
    cl::init(-1), cl::sub(compileCmd), cl::cat(compileCategory));

/// Where `ssmc compile` stops.
enum class Emit { AST, MLIR, Gpu, LLVMDialect, Ptx, LLVM, Obj, Package };
static cl::opt<Emit> emitKind(
    "emit", cl::desc("What to write"), cl::init(Emit::Package),
    cl::values(clEnumValN(Emit::AST, "ast",
                          "a .ssm file: the checked syntax tree, with the "
                          "dimensions of every expression"),
               clEnumValN(Emit::MLIR, "mlir",
                          "the parsed input (a .ssm file: its ssm module)"),
               clEnumValN(Emit::Gpu, "gpu",
                          "cuda: host code around the tiled gpu.launch "
                          "kernels"),
               clEnumValN(Emit::LLVMDialect, "llvm-dialect",
                          "the module lowered to the LLVM dialect"),
               clEnumValN(Emit::Ptx, "ptx", "cuda: the kernels' PTX"),
               clEnumValN(Emit::LLVM, "llvm",
                          "LLVM IR optimized for the CPU (cuda: the host "
                          "code)"),
               clEnumValN(Emit::Obj, "obj", "the object file"),
               clEnumValN(Emit::Package, "package",
                          "the .ssmpkg package (the default)")),
    cl::sub(compileCmd), cl::cat(compileCategory));
static cl::opt<std::string> recurrenceForm(
    "recurrence-form",
    cl::desc("How recurrences of a .ssm file are computed: auto (the "
             "compiler's analysis picks a built-in op, the chunked or the "
             "sequential form), generic (the same without the built-in ops) "
             "or sequential"),
    cl::init("auto"), cl::sub(compileCmd), cl::sub(evalCmd));
static cl::opt<int64_t> recurrenceSegment(
    "recurrence-segment",
    cl::desc("Steps per segment when a scalar diagonal recurrence (HGRN-like) "
             "is split along time into independent segments and their "
             "carries (-1: the target's default, 64 on cuda and no split on "
             "the cpu; 0: no split)"),
    cl::init(-1), cl::sub(compileCmd), cl::sub(evalCmd));
static cl::opt<bool> showRemarks(
    "remarks",
    cl::desc("Print the compiler's remarks, such as the form it derives for "
             "each recurrence of a .ssm file and why"),
    cl::sub(compileCmd), cl::sub(evalCmd));
static cl::opt<std::string> cpuName(
    "cpu", cl::desc("LLVM CPU to compile for (default: the host's)"),
    cl::value_desc("name"), cl::sub(compileCmd), cl::sub(evalCmd),
    cl::cat(cpuCategory));
static cl::opt<std::string> cpuFeatures(
    "cpu-features",
    cl::desc("LLVM feature string, e.g. +avx2,-avx512f (default: the host's "
             "features, or those --cpu implies)"),
    cl::value_desc("features"), cl::sub(compileCmd), cl::sub(evalCmd),
    cl::cat(cpuCategory));

namespace {

/// Prints "ssmc eval: <msg>" and returns the exit code of a failed run.
int fail(const llvm::Twine &msg) {
  llvm::errs() << "ssmc eval: " << msg << "\n";
  return 1;
}

/// Prints "ssmc compile: <msg>" and returns the exit code of a failed run.
int failCompile(const llvm::Twine &msg) {
  llvm::errs() << "ssmc compile: " << msg << "\n";
  return 1;
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The name and types of the function to run, from its func.func or from a
/// package's manifest.
struct Signature {
  std::string name;
  SmallVector<Type> arguments, results;
};

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
std::string readInput(const Signature &sig, unsigned i, Tensor &out) {
  const std::string &path = inputFiles[i];
  npy::Array array;
  if (std::string err = npy::readNpy(path, array); !err.empty())
    return err;
  Type argType = sig.arguments[i], elem;
  std::vector<int64_t> shape;
  std::string arg = "argument " + std::to_string(i) + " of @" + sig.name +
                    " has type " + typeString(argType);
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

/// Fills \p args with random values for every argument of \p sig.
std::string randomInputs(const Signature &sig, std::vector<Tensor> &args) {
  std::map<unsigned, std::vector<int64_t>> shapes;
  if (std::string err = parseInputShapes(shapes, sig.arguments.size());
      !err.empty())
    return err;
  for (auto [i, argType] : llvm::enumerate(sig.arguments)) {
    std::vector<int64_t> shape;
    Type elem;
    std::string arg = "argument " + std::to_string(i) + " of @" + sig.name +
                      " has type " + typeString(argType);
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

//===----------------------------------------------------------------------===//
// Compilation for the CPU
//===----------------------------------------------------------------------===//

/// Every dialect, interface and pass the CPU pipeline may need.
void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  ssmc::registerAllDialects(registry);
}

/// Parses \p path into \p context; diagnostics go through \p sourceMgr.
/// Drops the passes' remarks (such as the form each recurrence takes) unless
/// --remarks asks for them; registered after the printing handler, so it
/// sees each diagnostic first.
class RemarkFilter {
public:
  explicit RemarkFilter(MLIRContext &context) : context(context) {
    id = context.getDiagEngine().registerHandler([this](Diagnostic &d) {
      if (d.getSeverity() != DiagnosticSeverity::Remark)
        return failure();
      if (!showRemarks)
        return success();
      // The entry functions of a .ssm file share their recurrence: one
      // remark each is enough.
      std::string key;
      llvm::raw_string_ostream os(key);
      os << d.getLocation() << d.str();
      return success(!seen.insert(key).second);
    });
  }
  ~RemarkFilter() { context.getDiagEngine().eraseHandler(id); }

private:
  MLIRContext &context;
  DiagnosticEngine::HandlerID id;
  std::set<std::string> seen;
};

/// Writes `ssmc compile`'s output to -o, through a temporary that is renamed
/// into place on success.
int writeOutput(const std::string &text, bool binary) {
  std::error_code ec;
  auto file = std::make_unique<llvm::ToolOutputFile>(
      compileOutput, ec,
      binary ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text);
  if (ec)
    return failCompile("cannot write '" + compileOutput + "': " +
                       ec.message());
  file->os() << text;
  file->os().flush();
  if (file->os().has_error())
    return failCompile("cannot write '" + compileOutput + "'");
  file->keep();
  return 0;
}

/// Whether \p path is a DSL file.
bool isDSLFile(llvm::StringRef path) { return path.ends_with(".ssm"); }

/// The element type that --dtype asks for the activations of a .ssm file.
std::optional<ssmc::dsl::ElemType> dslActivationType(std::string &error) {
  if (compileDType.empty())
    return std::nullopt;
  if (compileDType == "f32")
    return ssmc::dsl::ElemType::F32;
  if (compileDType == "bf16")
    return ssmc::dsl::ElemType::BF16;
  if (compileDType == "f16")
    return ssmc::dsl::ElemType::F16;
  error = "--dtype must be f32, bf16 or f16, got '" + compileDType + "'";
  return std::nullopt;
}

/// Reads \p path: MLIR, or a .ssm file built into its module (with the
/// activation type of \p dsl). Diagnostics go through \p sourceMgr;
/// \p error is set for I/O errors only.
OwningOpRef<ModuleOp> parseFile(const std::string &path,
                                llvm::SourceMgr &sourceMgr,
                                MLIRContext &context, std::string &error,
                                const ssmc::dsl::EmitOptions &dsl = {}) {
  if (isDSLFile(path)) {
    std::unique_ptr<ssmc::dsl::Recurrence> rec =
        ssmc::dsl::parseRecurrenceFile(path, sourceMgr, error);
    if (!rec)
      return nullptr;
    return ssmc::dsl::emitModule(*rec, sourceMgr, context, dsl);
  }
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (std::error_code ec = buffer.getError()) {
    error = "cannot open '" + path + "': " + ec.message();
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// The product of compileModule: text (mlir, llvm-dialect, llvm) or bytes
/// (obj, package).
struct CompileOutput {
  std::string text;
  bool binary = false;
  /// For Emit::Package: the manifest and the objects' bytes in its order.
  ssmc::package::Manifest manifest;
  std::vector<std::string> objects;
};

ssmc::HostTargetOptions hostOptions() {
  ssmc::HostTargetOptions options;
  options.cpu = cpuName;
  options.features = cpuFeatures;
  return options;
}

/// Lowers \p module (in place) as far as \p stopAt. Errors are printed
/// (diagnostics, or "ssmc <tool>: ..." through \p failFn) and yield failure.
LogicalResult compileModule(ModuleOp module, Emit stopAt, CompileOutput &out,
                            int (*failFn)(const llvm::Twine &),
                            const std::string &modelJson = "") {
  llvm::raw_string_ostream os(out.text);
  if (stopAt == Emit::MLIR) {
    module.print(os);
    return success();
  }
  ssmc::package::Manifest manifest;
  manifest.model = modelJson;
  if (failed(ssmc::collectEntries(module, manifest.entries)))
    return failure();
  // The weights' slices of a tensor-parallel model are in the model
  // description now; LLVM has no use for the attribute.
  for (auto fn : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      fn.removeArgAttr(i, "ssm.shard");

  PassManager pm(module.getContext());
  ssmc::CPUPipelineOptions cpuOptions;
  cpuOptions.recurrenceForm = recurrenceForm;
  cpuOptions.recurrenceSegment = std::max<int64_t>(recurrenceSegment, 0);
  ssmc::buildCPULoweringPipeline(pm, cpuOptions);
  if (failed(pm.run(module)))
    return failure();
  if (stopAt == Emit::LLVMDialect) {
    module.print(os);
    return success();
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      ssmc::translateToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return failure();
  auto machine = ssmc::createHostTargetMachine(hostOptions());
  if (!machine) {
    failFn(llvm::toString(machine.takeError()));
    return failure();
  }
  if (llvm::Error err =
          ssmc::optimizeModule(*llvmModule, **machine, /*optLevel=*/3)) {
    failFn(llvm::toString(std::move(err)));
    return failure();
  }
  if (stopAt == Emit::LLVM) {
    llvmModule->print(os, nullptr);
    return success();
  }
  llvm::Expected<std::string> object = ssmc::emitObject(*llvmModule, **machine);
  if (!object) {
    failFn(llvm::toString(object.takeError()));
    return failure();
  }
  out.binary = true;
  if (stopAt == Emit::Obj) {
    out.text = std::move(*object);
    return success();
  }
  llvm::Expected<std::string> so = ssmc::linkSharedObject(*object);
  if (!so) {
    failFn(llvm::toString(so.takeError()));
    return failure();
  }
  ssmc::package::Object cpuObject;
  cpuObject.target = ssmc::package::cpuTarget;
  cpuObject.arch = ssmc::package::hostArch();
  cpuObject.cpu = (*machine)->getTargetCPU().str();
  cpuObject.cpuFeatures = ssmc::enabledFeatures(**machine);
  manifest.objects.push_back(std::move(cpuObject));
  out.text = ssmc::package::serialize(manifest, {*so});
  out.manifest = std::move(manifest);
  out.objects = {std::move(*so)};
  return success();
}

/// Splits the model module over `tp` ranks (ssm-shard-tensor-parallel) and
/// records in the model description the ranks and, per entry argument, the
/// slice each rank loads (the pass's `ssm.shard` argument attributes).
LogicalResult shardModel(ModuleOp module, int64_t tp, std::string &modelJson,
                         std::string &error) {
  if (tp < 1) {
    error = "--tp must be positive, got " + std::to_string(tp);
    return failure();
  }
  PassManager pm(module.getContext());
  ssmc::ssm::SSMShardTensorParallelOptions options;
  options.worldSize = tp;
  pm.addPass(ssmc::ssm::createSSMShardTensorParallel(options));
  if (failed(pm.run(module))) {
    // The pass said why (a world size that does not divide the heads...).
    error.clear();
    return failure();
  }
  ssmc::json::Value desc;
  if (!ssmc::json::parse(modelJson, desc).empty() || !desc.isObject()) {
    error = "the model description does not parse (a bug of ssmc)";
    return failure();
  }
  desc.set("tp", tp);
  ssmc::json::Value *entries = desc.find("entries");
  for (auto fn : module.getOps<func::FuncOp>()) {
    ssmc::json::Value *entry = entries ? entries->find(fn.getSymName().str())
                                       : nullptr;
    if (!entry)
      continue;
    ssmc::json::Value list = ssmc::json::Value::array();
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      auto shard = fn.getArgAttrOfType<DictionaryAttr>(i, "ssm.shard");
      if (!shard) {
        list.push(ssmc::json::Value());
        continue;
      }
      ssmc::json::Value item = ssmc::json::Value::object();
      item.set("dim", cast<IntegerAttr>(shard.get("dim")).getInt());
      for (const char *key : {"full", "pieces"}) {
        ssmc::json::Value values = ssmc::json::Value::array();
        for (int64_t v : cast<DenseI64ArrayAttr>(shard.get(key)).asArrayRef())
          values.push(ssmc::json::Value(v));
        item.set(key, std::move(values));
      }
      list.push(std::move(item));
    }
    entry->set("shards", std::move(list));
  }
  modelJson = ssmc::json::write(desc);
  return success();
}

/// The module of the model in directory `dir` (config.json and its
/// safetensors, checked against each other), for the compile dtype.
OwningOpRef<ModuleOp> buildModelFromDirectory(const std::string &dir,
                                              MLIRContext &context,
                                              std::string &modelJson,
                                              std::string &error,
                                              bool packedEntry = true) {
  ssmc::model::ModelConfig cfg;
  if (error = ssmc::model::readConfig(dir, cfg); !error.empty())
    return nullptr;
  std::unique_ptr<ssmc::model::WeightStore> store =
      ssmc::model::WeightStore::open(dir, error);
  if (!store)
    return nullptr;
  ssmc::model::ModelWeights weights;
  if (error = ssmc::model::resolveWeights(cfg, *store, dir, weights);
      !error.empty())
    return nullptr;
  std::string dtype = compileDType;
  if (dtype.empty()) {
    // The checkpoint's matrices decide (their dtype as stored).
    const ssmc::model::TensorInfo *emb = weights.embeddings;
    dtype = !emb ? "f32" : ssmc::package::dtypeName(emb->dtype);
  }
  llvm::errs() << "ssmc compile: " << dir << ": "
               << (cfg.kind == ssmc::model::ModelKind::Mamba ? "mamba"
                                                              : "mamba2")
               << ", " << cfg.nLayer << " layers, d_model " << cfg.dModel
               << ", vocab " << cfg.vocabSize << ", weights " << dtype
               << "\n";
  OwningOpRef<ModuleOp> module =
      ssmc::frontend::buildModelModule(context, cfg, dtype, modelJson, error,
                                       dir + "/config.json", packedEntry);
  if (!module || compileTP == 1)
    return module;
  if (failed(shardModel(*module, compileTP, modelJson, error)))
    return nullptr;
  return module;
}

/// The host CPU of cuda objects: their host code only launches kernels, and
/// it must run on whatever x86-64 drives the GPU.
ssmc::HostTargetOptions cudaHostOptions() {
  ssmc::HostTargetOptions options;
  options.cpu = "x86-64";
  options.features = "";
  return options;
}

/// Compiles \p module into the bytes of a package with a cpu object and a
/// cuda object for \p gpu (the cpu object is where a machine without a GPU
/// runs it).
LogicalResult compileCUDAPackage(ModuleOp module,
                                 const ssmc::GPUPipelineOptions &gpu,
                                 std::string &bytes,
                                 int (*failFn)(const llvm::Twine &),
                                 const std::string &modelJson = "") {
  OwningOpRef<ModuleOp> forCPU = module.clone();
  CompileOutput cpuOut;
  if (failed(compileModule(*forCPU, Emit::Package, cpuOut, failFn, modelJson)))
    return failure();
  for (auto fn : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      fn.removeArgAttr(i, "ssm.shard");
  llvm::Expected<std::string> so = ssmc::compileForCUDA(
      module, ssmc::CUDAStage::SharedObject, gpu, cudaHostOptions());
  if (!so) {
    failFn(llvm::toString(so.takeError()));
    return failure();
  }
  ssmc::package::Object cudaObject;
  cudaObject.target = ssmc::package::cudaTarget;
  cudaObject.arch = ssmc::package::hostArch();
  cudaObject.cpu = "x86-64";
  cudaObject.gpuArch = gpu.chip;
  ssmc::package::Manifest manifest = cpuOut.manifest;
  manifest.objects.push_back(std::move(cudaObject));
  std::vector<std::string> objects = std::move(cpuOut.objects);
  objects.push_back(std::move(*so));
  bytes = ssmc::package::serialize(manifest, objects);
  return success();
}

/// The GPU options of `--target cuda[:sm_XX]` and the --gpu-* flags; false
/// (after printing why) when the target is not a cuda one or is malformed.
bool parseCudaTarget(llvm::StringRef target, ssmc::GPUPipelineOptions &gpu,
                     std::string &error) {
  if (!target.consume_front("cuda"))
    return false;
  if (target.consume_front(":")) {
    unsigned version = 0;
    if (!target.starts_with("sm_") || target.drop_front(3).getAsInteger(10, version) ||
        version < 50) {
      error = "malformed --target 'cuda:" + target.str() +
              "'; expected cuda:sm_XX, e.g. cuda:sm_90";
      return false;
    }
    gpu.chip = target.str();
  } else if (!target.empty()) {
    error = "unknown --target 'cuda" + target.str() + "'";
    return false;
  }
  // Hopper needs PTX ISA 8.0; older chips take what the backend defaults to.
  unsigned version = 0;
  llvm::StringRef(gpu.chip).drop_front(3).getAsInteger(10, version);
  gpu.features = version >= 90 ? "+ptx80" : "+ptx70";
  gpu.format = gpuFormat;
  gpu.scanChannels = gpuScanChannels;
  gpu.scanTimeChunk = gpuScanTimeChunk;
  gpu.scanSegments = gpuScanSegments;
  gpu.scanPolyExps = gpuScanPolyExps;
  gpu.scanStateSplit = gpuScanStateSplit;
  gpu.recurrenceForm = recurrenceForm;
  gpu.recurrenceSegment = recurrenceSegment;
  return true;
}

/// `ssmc compile --target cuda`: the stages up to the cuda object.
int runCompileCUDA(const ssmc::GPUPipelineOptions &gpu) {
  bool modelDir = llvm::sys::fs::is_directory(compileFile);
  DialectRegistry registry;
  registerCompilerDialects(registry);
  ssmc::registerGPUCompilerExtensions(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  RemarkFilter remarkFilter(context);
  std::string error, modelJson;
  OwningOpRef<ModuleOp> module;
  if (modelDir) {
    // The whole model on the GPU: every entry but the packed prefill (the
    // runtime then prefills prompt by prompt).
    module = buildModelFromDirectory(compileFile, context, modelJson, error,
                                     /*packedEntry=*/false);
  } else {
    ssmc::dsl::EmitOptions dsl;
    dsl.activationType = dslActivationType(error);
    if (!error.empty())
      return failCompile(error);
    module = parseFile(compileFile, sourceMgr, context, error, dsl);
  }
  if (!error.empty())
    return failCompile(error);
  if (!module)
    return 1;
  std::string text;
  if (emitKind == Emit::MLIR) {
    llvm::raw_string_ostream os(text);
    module->print(os);
  } else if (emitKind == Emit::Package) {
    if (failed(compileCUDAPackage(*module, gpu, text, failCompile, modelJson)))
      return 1;
  } else {
    ssmc::CUDAStage stage = ssmc::CUDAStage::Kernels;
    switch (emitKind) {
    case Emit::Gpu:
      stage = ssmc::CUDAStage::Kernels;
      break;
    case Emit::LLVMDialect:
      stage = ssmc::CUDAStage::LLVMDialect;
      break;
    case Emit::Ptx:
      stage = ssmc::CUDAStage::PTX;
      break;
    case Emit::LLVM:
      stage = ssmc::CUDAStage::LLVM;
      break;
    default:
      stage = ssmc::CUDAStage::Object;
      break;
    }
    llvm::Expected<std::string> out =
        ssmc::compileForCUDA(*module, stage, gpu, cudaHostOptions());
    if (!out)
      return failCompile(llvm::toString(out.takeError()));
    text = std::move(*out);
  }
  return writeOutput(text, emitKind == Emit::Obj || emitKind == Emit::Package);
}

int runCompile() {
  ssmc::GPUPipelineOptions gpu;
  std::string targetError;
  bool cuda = parseCudaTarget(compileTarget, gpu, targetError);
  if (!targetError.empty())
    return failCompile(targetError);
  if (recurrenceForm != "auto" && recurrenceForm != "generic" &&
      recurrenceForm != "sequential")
    return failCompile("--recurrence-form must be auto, generic or "
                       "sequential, got '" +
                       recurrenceForm + "'");
  if (recurrenceSegment < -1)
    return failCompile("--recurrence-segment must be -1 (the target's "
                       "default), 0 (no split) or a number of steps, got " +
                       std::to_string(recurrenceSegment));
  if (compileTarget != "cpu" && !cuda)
    return failCompile("unknown --target '" + compileTarget +
                       "'; allowed targets: cpu, cuda, cuda:sm_XX");
  if (!cuda && (emitKind == Emit::Gpu || emitKind == Emit::Ptx))
    return failCompile("--emit=gpu and --emit=ptx need --target cuda");
  if (compileFile.empty())
    return failCompile("no input file; usage: ssmc compile FILE.mlir -o "
                       "FILE.ssmpkg");
  bool binary = emitKind == Emit::Obj || emitKind == Emit::Package;
  if (compileOutput.empty() && binary)
    return failCompile("-o FILE is required for --emit=obj and "
                       "--emit=package");
  if (compileOutput.empty())
    compileOutput = "-";
  if (compileOutput == "-" && binary)
    return failCompile("will not write binary output to stdout; give -o FILE");
  if (emitKind == Emit::AST) {
    if (!isDSLFile(compileFile))
      return failCompile("--emit=ast needs a .ssm file");
    llvm::SourceMgr sourceMgr;
    std::string error;
    std::unique_ptr<ssmc::dsl::Recurrence> rec =
        ssmc::dsl::parseRecurrenceFile(compileFile, sourceMgr, error);
    if (!rec)
      return error.empty() ? 1 : failCompile(error);
    std::string text;
    llvm::raw_string_ostream os(text);
    rec->print(os);
    return writeOutput(text, /*binary=*/false);
  }
  if (cuda)
    return runCompileCUDA(gpu);

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  RemarkFilter remarkFilter(context);
  std::string error, modelJson;
  OwningOpRef<ModuleOp> module;
  if (llvm::sys::fs::is_directory(compileFile)) {
    module = buildModelFromDirectory(compileFile, context, modelJson, error);
  } else {
    if (!compileDType.empty() && !isDSLFile(compileFile))
      return failCompile("--dtype applies to a model directory or a .ssm "
                         "file, and '" + compileFile + "' is neither");
    ssmc::dsl::EmitOptions dsl;
    dsl.activationType = dslActivationType(error);
    if (error.empty())
      module = parseFile(compileFile, sourceMgr, context, error, dsl);
  }
  if (!error.empty())
    return failCompile(error);
  if (!module)
    return 1;

  CompileOutput out;
  if (failed(compileModule(*module, emitKind, out, failCompile, modelJson)))
    return 1;
  return writeOutput(out.text, out.binary);
}

//===----------------------------------------------------------------------===//
// Host tensors of the CPU runtime
//===----------------------------------------------------------------------===//

using ssmc::package::DType;
using ssmc::runtime::HostTensor;

/// The MLIR type of a manifest tensor.
Type typeOf(MLIRContext &ctx, const ssmc::package::TensorSpec &spec) {
  Builder b(&ctx);
  Type elem;
  switch (spec.dtype) {
  case DType::F32:
    elem = b.getF32Type();
    break;
  case DType::F16:
    elem = b.getF16Type();
    break;
  case DType::BF16:
    elem = b.getBF16Type();
    break;
  case DType::F64:
    elem = b.getF64Type();
    break;
  case DType::I32:
    elem = b.getI32Type();
    break;
  case DType::I64:
    elem = b.getI64Type();
    break;
  }
  SmallVector<int64_t> shape;
  for (int64_t s : spec.shape)
    shape.push_back(s < 0 ? ShapedType::kDynamic : s);
  return RankedTensorType::get(shape, elem);
}

/// \p v rounded to the nearest bf16 (ties to even), as a double.
double roundToBf16(double v) {
  float f = static_cast<float>(v);
  if (std::isnan(f))
    return v;
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Whether \p type is a ranked tensor of f32.
bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

/// Makes @\p name of \p module take and return bf16 where it took and
/// returned f32 tensors: the original becomes the private @NAME__f32, called
/// by a new @NAME that widens its bf16 arguments and narrows the results.
LogicalResult makeBf16Entry(ModuleOp module, StringRef name) {
  auto func = module.lookupSymbol<func::FuncOp>(name);
  if (!func)
    return failure();
  MLIRContext *ctx = module.getContext();
  auto toBf16 = [&](Type t) -> Type {
    if (!isF32Tensor(t))
      return t;
    auto tensor = cast<RankedTensorType>(t);
    return RankedTensorType::get(tensor.getShape(), BFloat16Type::get(ctx));
  };
  FunctionType type = func.getFunctionType();
  SmallVector<Type> inputs, results;
  for (Type t : type.getInputs())
    inputs.push_back(toBf16(t));
  for (Type t : type.getResults())
    results.push_back(toBf16(t));
  std::string inner = (name + "__f32").str();
  func.setName(inner);
  func.setPrivate();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(func);
  Location loc = func.getLoc();
  auto wrapper = func::FuncOp::create(b, loc, name,
                                      FunctionType::get(ctx, inputs, results));
  Block *body = wrapper.addEntryBlock();
  b.setInsertionPointToStart(body);
  SmallVector<Value> args;
  for (auto [arg, t] : llvm::zip_equal(body->getArguments(), type.getInputs()))
    args.push_back(isF32Tensor(t)
                       ? arith::ExtFOp::create(b, loc, t, arg).getResult()
                       : Value(arg));
  auto call = func::CallOp::create(b, loc, func, args);
  SmallVector<Value> outs;
  for (auto [v, t] : llvm::zip_equal(call.getResults(), results))
    outs.push_back(v.getType() == t
                       ? v
                       : arith::TruncFOp::create(b, loc, t, v).getResult());
  func::ReturnOp::create(b, loc, outs);
  return success();
}

/// \p t (values already rounded to the element type) in \p dtype.
HostTensor toHost(const Tensor &t, DType dtype) {
  HostTensor h(dtype, t.shape);
  for (size_t k = 0; k < t.data.size(); ++k)
    h.set(static_cast<int64_t>(k), t.data[k]);
  return h;
}

Tensor fromHost(const HostTensor &h) {
  Tensor t(h.shape);
  for (size_t k = 0; k < t.data.size(); ++k)
    t.data[k] = h.get(static_cast<int64_t>(k));
  return t;
}

//===----------------------------------------------------------------------===//
// ssmc eval
//===----------------------------------------------------------------------===//

int runEval() {
  // `cpu` below means "a compiled target": the CPU, or CUDA (which runs on
  // the CPU, with one message, where no GPU is).
  ssmc::GPUPipelineOptions gpu;
  std::string targetError;
  bool cuda = parseCudaTarget(targetName, gpu, targetError);
  if (!targetError.empty())
    return fail(targetError);
  bool cpu = targetName == "cpu" || cuda;
  if (targetName != "reference" && !cpu)
    return fail("unknown --target '" + targetName +
                "'; allowed targets: reference, cpu, cuda, cuda:sm_XX");
  bool usePackage = !packageFile.empty();
  if (usePackage && !cpu)
    return fail("--package needs --target cpu or cuda");
  if (compareReference && !cpu)
    return fail("--compare-reference needs --target cpu or cuda");
  if (evalFile.empty() && !usePackage)
    return fail("no input file; usage: ssmc eval FILE.mlir --entry NAME "
                "--output PREFIX ...");
  if (evalFile.empty() && compareReference)
    return fail("--compare-reference needs the FILE.mlir to interpret");
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
  if (runBf16 && (!cpu || usePackage))
    return fail("--bf16 compiles the function for --target cpu or cuda (not "
                "with --package: a package's entry types are fixed)");
  if (cpu && (decompose || exact))
    return fail("--decompose and --exact only apply to --target reference");

  DialectRegistry registry;
  if (cpu) {
    registerCompilerDialects(registry);
    if (cuda)
      ssmc::registerGPUCompilerExtensions(registry);
  } else {
    registry.insert<arith::ArithDialect, func::FuncDialect,
                    linalg::LinalgDialect, math::MathDialect,
                    tensor::TensorDialect>();
    ssmc::registerAllDialects(registry);
  }
  MLIRContext context(registry);
  context.disableMultithreading();
  context.printOpOnDiagnostic(false);

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  RemarkFilter remarkFilter(context);
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  if (!evalFile.empty()) {
    std::string error;
    if (!compileDType.empty() && !isDSLFile(evalFile))
      return fail("--dtype applies to a .ssm file, and '" + evalFile +
                  "' is not one");
    ssmc::dsl::EmitOptions dsl;
    dsl.activationType = dslActivationType(error);
    if (!error.empty())
      return fail(error);
    module = parseFile(evalFile, sourceMgr, context, error, dsl);
    if (!error.empty())
      return fail(error);
    if (!module)
      return 1; // The handler has printed the parse or verifier errors.
    func = module->lookupSymbol<func::FuncOp>(entryName);
    if (!func) {
      std::string names;
      for (auto f : module->getOps<func::FuncOp>())
        names += (names.empty() ? "@" : ", @") + f.getName().str();
      return fail(
          "no function @" + entryName + " in " + evalFile +
          "; the functions there are: " + (names.empty() ? "(none)" : names));
    }
  }

  // A prebuilt package is loaded (and checked against the host) first.
  std::unique_ptr<ssmc::runtime::DevicePackage> package;
  const ssmc::package::EntrySpec *entry = nullptr;
  ssmc::runtime::DeviceOptions deviceOptions;
  deviceOptions.device =
      cuda ? ssmc::package::cudaTarget : ssmc::package::cpuTarget;
  // Loads a package for the target, printing the CPU fallback notice.
  auto loadPackage = [&](const std::string &path, std::string &error) {
    auto loaded =
        ssmc::runtime::DevicePackage::load(path, error, deviceOptions);
    if (loaded && !loaded->notice().empty())
      llvm::errs() << "ssmc eval: " << loaded->notice() << "\n";
    return loaded;
  };
  Signature sig;
  sig.name = entryName;
  if (usePackage) {
    std::string error;
    package = loadPackage(packageFile, error);
    if (!package)
      return fail(error);
    entry = package->findEntry(entryName);
    if (!entry) {
      std::string names;
      for (const auto &e : package->entries())
        names += (names.empty() ? "@" : ", @") + e.name;
      return fail("no entry @" + entryName + " in package " + packageFile +
                  "; its entries are: " + (names.empty() ? "(none)" : names));
    }
    for (const auto &spec : entry->arguments)
      sig.arguments.push_back(typeOf(context, spec));
    for (const auto &spec : entry->results)
      sig.results.push_back(typeOf(context, spec));
  } else {
    sig.arguments.assign(func.getArgumentTypes().begin(),
                         func.getArgumentTypes().end());
    sig.results.assign(func.getResultTypes().begin(),
                       func.getResultTypes().end());
    if (cpu) {
      FailureOr<ssmc::package::EntrySpec> spec = ssmc::entrySpecFor(func);
      if (failed(spec))
        return 1;
    }
  }

  // Inputs, all checked before anything runs.
  std::vector<Tensor> args;
  if (random) {
    if (std::string err = randomInputs(sig, args); !err.empty())
      return fail(err);
  } else {
    if (inputFiles.size() != sig.arguments.size())
      return fail("@" + entryName + " takes " +
                  std::to_string(sig.arguments.size()) + " arguments but " +
                  std::to_string(inputFiles.size()) + " --input " +
                  (inputFiles.size() == 1 ? "was" : "were") + " given");
    args.resize(inputFiles.size());
    for (unsigned i = 0; i < inputFiles.size(); ++i)
      if (std::string err = readInput(sig, i, args[i]); !err.empty())
        return fail(err);
  }
  for (Type type : sig.results) {
    std::vector<int64_t> shape;
    Type elem;
    if (!shapeAndElement(type, shape, elem) || !dtypeFor(elem))
      return fail("@" + entryName + " returns " + typeString(type) +
                  ", which cannot be written as .npy");
  }

  // bf16 storage: inputs rounded as the bf16 entry will read them, for the
  // reference too.
  if (runBf16) {
    for (auto [i, t] : llvm::enumerate(sig.arguments))
      if (isF32Tensor(t))
        for (double &v : args[i].data)
          v = roundToBf16(v);
  }

  OwningOpRef<ModuleOp> original;
  if ((decompose && compareUndecomposed) || compareReference)
    original = module->clone();
  if (runBf16 && failed(makeBf16Entry(*module, entryName)))
    return fail("cannot make a bf16 entry of @" + entryName);
  if (decompose) {
    PassManager pm(&context);
    pm.addPass(ssmc::ssm::createSSMDecomposeMixers());
    if (failed(pm.run(*module)))
      return 1;
  }

  ssmc::InterpreterOptions options;
  options.exact = exact;
  std::vector<Tensor> results, reference;
  if (cpu) {
    llvm::SmallString<128> tmpPath;
    std::optional<llvm::FileRemover> remover;
    if (!usePackage) {
      // Compile in-process into a temporary package and load that, so that
      // eval runs exactly what `ssmc compile` writes.
      CompileOutput out;
      if (cuda ? failed(compileCUDAPackage(*module, gpu, out.text, fail))
               : failed(compileModule(*module, Emit::Package, out, fail)))
        return 1;
      int fd;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
              "ssmc-eval", "ssmpkg", fd, tmpPath))
        return fail("cannot create a temporary package: " + ec.message());
      remover.emplace(tmpPath);
      llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
      os << out.text;
      os.close();
      if (os.has_error())
        return fail("cannot write the temporary package '" + tmpPath + "'");
      std::string error;
      package = loadPackage(tmpPath.str().str(), error);
      if (!package)
        return fail(error);
      entry = package->findEntry(entryName);
      if (!entry)
        return fail("@" + entryName +
                    " is not an entry of the compiled package: entries are "
                    "public functions whose arguments and results are all "
                    "ranked tensors");
    }
    std::vector<HostTensor> inputs, outputs;
    for (size_t i = 0; i < args.size(); ++i)
      inputs.push_back(toHost(args[i], entry->arguments[i].dtype));
    if (std::string err = package->run(entryName, inputs, outputs);
        !err.empty())
      return fail(err);
    for (const HostTensor &h : outputs)
      results.push_back(fromHost(h));
    if (compareReference) {
      auto refFunc = original->lookupSymbol<func::FuncOp>(entryName);
      if (std::string err =
              ssmc::interpretFunction(refFunc, args, options, reference);
          !err.empty())
        return fail("reference: " + err);
      if (reference.size() != results.size())
        return fail("the package's entry has " +
                    std::to_string(results.size()) +
                    " results but the function has " +
                    std::to_string(reference.size()));
    }
  } else {
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
  }

  // The outputs belong together: all of them are written or none.
  std::vector<npy::NpyFile> files;
  std::vector<Type> elements;
  for (auto [i, type] : llvm::enumerate(sig.results)) {
    std::vector<int64_t> shape;
    Type elem;
    shapeAndElement(type, shape, elem);
    files.push_back({outputPrefix + std::to_string(i) + ".npy",
                     results[i].shape, results[i].data, *dtypeFor(elem)});
    elements.push_back(elem);
  }
  if (std::string err = npy::writeNpyFiles(files); !err.empty())
    return fail(err);
  for (auto [i, file] : llvm::enumerate(files))
    llvm::outs() << "output " << i << ": shape " << npy::shapeString(file.shape)
                 << " " << typeString(elements[i]) << " -> " << file.path
                 << "\n";

  if (!original)
    return 0;
  const char *against = cpu ? "reference" : "undecomposed";
  const char *against2 =
      cpu ? "the reference interpreter" : "the undecomposed function";
  double tol = tolerance.getNumOccurrences() ? tolerance.getValue()
               : exact                       ? 1e-10
               : runBf16                     ? 1e-2
                                             : 1e-5;
  bool ok = true;
  for (size_t i = 0; i < results.size(); ++i) {
    double rel = results[i].shape == reference[i].shape
                     ? ssmc::reference::relativeL2(results[i], reference[i])
                     : INFINITY;
    llvm::outs() << "output " << i << ": rel. L2 vs " << against << " = "
                 << llvm::format("%.1e", rel) << "\n";
    if (!(rel <= tol)) {
      llvm::errs() << "ssmc eval: output " << i << " differs from "
                   << against2 << " by " << llvm::format("%.1e", rel)
                   << " > tolerance " << llvm::format("%.1e", tol) << "\n";
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
  cl::HideUnrelatedOptions({&evalCategory, &cpuCategory}, evalCmd);
  cl::HideUnrelatedOptions({&compileCategory, &cpuCategory}, compileCmd);
  cl::HideUnrelatedOptions({&ssmcRunCategory()}, ssmcRunCmd);
  cl::ParseCommandLineOptions(argc, argv,
                              "ssmc: a compiler for state space models\n");
  if (evalCmd)
    return runEval();
  if (compileCmd)
    return runCompile();
  if (ssmcRunCmd)
    return runModelCommand();
  llvm::errs() << "ssmc: no subcommand given; see 'ssmc --help'\n";
  return 1;
}
