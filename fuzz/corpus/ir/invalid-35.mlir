func.func @scan_no_inputs() {
  "ssm.scan"() <{dimension = 0 : i64}> ({
  ^bb0:
    "ssm.yield"() : () -> ()
  }) : () -> ()
  return
}
