/// Which activation layout a frozen model's fused convolutions use (see ``InferenceLayout``).
///
/// Neither is faster everywhere: on a 2-core AVX-512 machine the blocked layout ran ResNet-50 at
/// batch 8 about 5 % faster and channels-last ran GoogLeNet at batch 1 and ResNet-20 at batch 128
/// about 4 % faster. `fastest` measures instead of guessing.
public enum FrozenLayout: String, Sendable, CaseIterable {
    /// Both layouts are planned and checked on the first batch of each input shape, their passes
    /// timed alternately, and the faster kept (``FrozenForward/notes`` gives the times). Which one
    /// wins can differ between runs when the two are close; their outputs agree to rounding.
    case fastest
    /// Always channels last (NHWC).
    case channelsLast = "channels-last"
    /// Always blocks of 16 channels (nChw16c).
    case blocked

    /// The layouts to plan.
    var candidates: [InferenceLayout] {
        switch self {
        case .fastest: [.channelsLast, .blocked]
        case .channelsLast: [.channelsLast]
        case .blocked: [.blocked]
        }
    }
}
