/// Batch norm statistics over the global batch of a data-parallel run (PyTorch's `SyncBatchNorm`).
enum SynchronizedStatistics {
    /// Makes every batch norm of `model` compute its training statistics over all ranks.
    static func install(in model: Module, communicator: any Communicator) throws {
        throw ConvNetError(op: "--sync-bn", "synchronized batch norm is not built yet")
    }
}
