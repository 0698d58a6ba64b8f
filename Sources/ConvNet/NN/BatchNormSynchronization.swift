extension Forwarding where Self: ModuleBase {
    /// Makes every ``BatchNorm`` in the tree normalise, in training mode, with statistics over the
    /// batches of all replicas summed by `sumAcrossReplicas` (PyTorch's
    /// `nn.SyncBatchNorm.convert_sync_batchnorm`); `nil` returns them to per-replica statistics.
    ///
    /// Every replica must convert the same model, so that each calls the allreduce equally often,
    /// in the same order (see ``ReplicaSum``).
    /// - Returns: how many batch norm layers were set (each shared layer once).
    @discardableResult
    public func synchronizeBatchNorm(using sumAcrossReplicas: ReplicaSum?) -> Int {
        var seen = Set<ObjectIdentifier>()  // a module shared by two parents is counted once
        for case (_, let norm as BatchNorm) in namedModules() where seen.insert(ObjectIdentifier(norm)).inserted {
            norm.sumAcrossReplicas = sumAcrossReplicas
        }
        return seen.count
    }
}
