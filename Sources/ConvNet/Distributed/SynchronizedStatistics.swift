/// Batch norm statistics over the global batch of a data-parallel run (PyTorch's `SyncBatchNorm`).
enum SynchronizedStatistics {
    /// Makes every batch norm of `model` compute its training statistics over all ranks of
    /// `communicator` (sums in Double through `MPI_Allreduce`).
    /// - Throws: ``ConvNetError`` if the model has no batch norm (`--sync-bn` would do nothing).
    static func install(in model: Module, communicator: any Communicator) throws {
        let count = model.synchronizeBatchNorm { try communicator.allReduceSum($0) }
        guard count > 0 else {
            throw ConvNetError(op: "`syncBatchNorm`", "the model has no batch norm layer to synchronize")
        }
    }
}
