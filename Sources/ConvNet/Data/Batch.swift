/// One mini-batch: images `[B, C, H, W]`, normalised, and their labels.
public struct Batch: @unchecked Sendable {
    public var images: Tensor
    public var labels: [Int]
}

/// How a PyTorch script draws an epoch's order from its generator; ``DataLoader/order(using:)``
/// draws the same.
public enum ShuffleConvention: String, Codable, Sendable, CaseIterable {
    /// `torch.randperm(n)` on the generator itself (a script that indexes in-memory tensors with
    /// a permutation, as `shared/reference/torch_lenet_epoch.py`).
    case randperm
    /// `torch.utils.data.DataLoader`: creating an epoch's iterator draws a 64-bit base seed (for
    /// workers) and, when shuffling, the sampler draws a 63-bit seed for a generator of its own,
    /// which then draws `randperm(n)`. An iterator over an unshuffled loader (a test set) draws
    /// the base seed too.
    case dataLoader = "dataloader"
}
