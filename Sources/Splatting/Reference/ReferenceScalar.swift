import Foundation

/// The arithmetic the reference renderer needs. Implemented by `Double` (plain evaluation) and by
/// `Dual` (forward-mode automatic differentiation), so one obviously-correct forward gives both
/// reference images and exact reference gradients.
public protocol ReferenceScalar {
    init(_ value: Double)
    var value: Double { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    func exp() -> Self
    func log() -> Self
    func sqrt() -> Self
}

extension Double: ReferenceScalar {
    public var value: Double { self }
    public func exp() -> Double { Foundation.exp(self) }
    public func log() -> Double { Foundation.log(self) }
    public func sqrt() -> Double { self.squareRoot() }
}

/// A dual number v + Σ d_i ε_i with 8 independent tangents (8 parameters differentiated per pass).
public struct Dual: ReferenceScalar {
    public var value: Double
    public var tangent: SIMD8<Double>

    public init(_ value: Double) { self.value = value; tangent = .zero }
    public init(_ value: Double, tangent: SIMD8<Double>) { self.value = value; self.tangent = tangent }

    public static func + (a: Dual, b: Dual) -> Dual { Dual(a.value + b.value, tangent: a.tangent + b.tangent) }
    public static func - (a: Dual, b: Dual) -> Dual { Dual(a.value - b.value, tangent: a.tangent - b.tangent) }
    public static func * (a: Dual, b: Dual) -> Dual {
        Dual(a.value * b.value, tangent: a.tangent * b.value + b.tangent * a.value)
    }
    public static func / (a: Dual, b: Dual) -> Dual {
        Dual(a.value / b.value, tangent: (a.tangent * b.value - b.tangent * a.value) / (b.value * b.value))
    }
    public static prefix func - (a: Dual) -> Dual { Dual(-a.value, tangent: -a.tangent) }
    public func exp() -> Dual { let e = Foundation.exp(value); return Dual(e, tangent: tangent * e) }
    public func log() -> Dual { Dual(Foundation.log(value), tangent: tangent / value) }
    public func sqrt() -> Dual { let r = value.squareRoot(); return Dual(r, tangent: tangent / (2 * r)) }
}
