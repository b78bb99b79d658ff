// RUN: ssmc-opt --ssm-emit-cpu-entry-points --verify-diagnostics %s

// expected-error @+1 {{entry point without its C interface @_mlir_ciface_lost}}
llvm.func @lost() attributes {ssmc.entry} {
  llvm.return
}
