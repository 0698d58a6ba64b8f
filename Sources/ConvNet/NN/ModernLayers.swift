/// The activations, channel normalisation and channel shuffle of modern CNN families
/// (MobileNetV3, EfficientNet, ConvNeXt, ShuffleNet), with PyTorch's names.

/// min(max(x, 0), 6) (PyTorch's `nn.ReLU6`; MobileNetV2); see ``Tensor/relu6()``.
public final class ReLU6: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input.relu6() }
}

/// x · relu6(x + 3)/6 (PyTorch's `nn.Hardswish`; MobileNetV3); see ``Tensor/hardswish()``.
public final class Hardswish: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input.hardswish() }
}

/// relu6(x + 3)/6 (PyTorch's `nn.Hardsigmoid`; MobileNetV3's squeeze-and-excitation gate); see ``Tensor/hardsigmoid()``.
public final class Hardsigmoid: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input.hardsigmoid() }
}

/// x · σ(x) (PyTorch's `nn.SiLU`, swish; EfficientNet); see ``Tensor/silu()``.
public final class SiLU: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input.silu() }
}

/// x · Φ(x) (PyTorch's `nn.GELU`; ConvNeXt), exact or by the tanh formula; see ``Tensor/gelu(approximate:)``.
public final class GELU: Module {
    /// How Φ is computed.
    public let approximate: GELUApproximation
    /// `approximate`: `.none` (erf, PyTorch's default) or `.tanh`.
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate }
    public func forward(_ input: Tensor) throws -> Tensor { input.gelu(approximate: approximate) }
}

/// Layer normalisation of the channels at every pixel of `[N, C, H, W]` (ConvNeXt's `LayerNorm2d`:
/// PyTorch's `nn.LayerNorm(C)` applied channels-last), with a learnable per-channel `weight` (γ, ones)
/// and `bias` (β, zeros); see ``layerNorm(_:axis:weight:bias:eps:)``.
public final class LayerNorm2d: Module {
    @Parameter public private(set) var weight: Tensor
    @Parameter public private(set) var bias: Tensor
    /// Added to the variance before its square root.
    public let eps: Float

    /// A layer norm of `channels` channels: γ = 1, β = 0.
    public init(_ channels: Int, eps: Float = 1e-5) {
        weight = Tensor.ones([channels], requiresGrad: true)
        bias = Tensor.zeros([channels], requiresGrad: true)
        self.eps = eps
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        guard input.rank == 4 else { throw ConvNetError(op: "LayerNorm2d", "expects a rank-4 input [N, C, H, W], got \(input.shape)") }
        return try layerNorm(input, axis: 1, weight: weight, bias: bias, eps: eps)
    }
}

/// ShuffleNet's channel shuffle in `groups` groups (PyTorch's `nn.ChannelShuffle`); see ``channelShuffle(_:groups:)``.
public final class ChannelShuffle: Module {
    /// The number of channel groups; it must divide the input's channels.
    public let groups: Int
    /// A shuffle of `groups` groups.
    public init(groups: Int) { self.groups = groups }
    public func forward(_ input: Tensor) throws -> Tensor { try channelShuffle(input, groups: groups) }
}
