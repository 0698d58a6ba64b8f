/// A (height, width) pair for kernel sizes, strides and padding; an integer literal means both.
public struct Size2: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    /// Different sizes along height and width.
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same size along both axes.
    public init(_ both: Int) { self.init(both, both) }
    public init(integerLiteral value: Int) { self.init(value) }

    public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }
}
