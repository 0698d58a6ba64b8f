/// PyTorch-named functional forms of the structural operations.

/// Elementwise sum (a residual connection): gradients flow unchanged to both inputs.
public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try a + b }

/// `[N, d1, d2, …]` → `[N, d1·d2·…]`.
public func flatten(_ x: Tensor, startDim: Int = 1) throws -> Tensor { try x.flattened(startDim: startDim) }

/// ReLU. See ``Tensor/relu()``.
public func relu(_ x: Tensor) throws -> Tensor { try x.relu() }
