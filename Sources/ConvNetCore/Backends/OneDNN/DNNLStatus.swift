import CDNNL

/// The name of a oneDNN status, for error messages.
func dnnlStatusName(_ status: dnnl_status_t) -> String {
    switch status {
    case dnnl_success: "dnnl_success"
    case dnnl_out_of_memory: "dnnl_out_of_memory"
    case dnnl_invalid_arguments: "dnnl_invalid_arguments"
    case dnnl_unimplemented: "dnnl_unimplemented"
    case dnnl_iterator_ends: "dnnl_iterator_ends"
    case dnnl_runtime_error: "dnnl_runtime_error"
    case dnnl_not_required: "dnnl_not_required"
    default: "dnnl status \(status.rawValue)"
    }
}

/// Throws `ConvNetError(op: "onednn <what>", …)` unless `status` is `dnnl_success`.
/// - Parameters:
///   - what: the operation, e.g. `convolution forward`.
///   - context: what was being done and on which shapes.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String,
               _ context: @autoclosure () -> String) throws {
    if status != dnnl_success {
        throw ConvNetError(op: "onednn \(what())", "\(dnnlStatusName(status)) \(context())")
    }
}
