import Foundation

/// Elementwise activations with backward from the *output* (all are monotone, so the output
/// determines the local slope): ReLU, LeakyReLU(slope), sigmoid, identity.
///
/// - ReLU:      y = max(0, x),            ∂y/∂x = [y > 0]
/// - LeakyReLU: y = x ≥ 0 ? x : s·x,      ∂y/∂x = y > 0 ? 1 : s   (s > 0; at x = 0 the left slope)
/// - sigmoid:   y = 1/(1 + e^(−x)),       ∂y/∂x = y(1 − y)
public enum Activation: Codable, Equatable, Sendable {
    case identity
    case relu
    case leakyReLU(slope: Float)
    case sigmoid

    /// Applies the activation in place.
    public func apply(_ x: inout [Float]) {
        switch self {
        case .identity: return
        case .relu:
            x.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = p[i] > 0 ? p[i] : 0 } }
        case .leakyReLU(let s):
            x.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = p[i] > 0 ? p[i] : s * p[i] } }
        case .sigmoid:
            x.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] = 1 / (1 + expf(-max(p[i], -60))) }
            }
        }
    }

    /// The activation applied to a copy.
    public func callAsFunction(_ x: [Float]) -> [Float] { var y = x; apply(&y); return y }

    /// Multiplies `gradient` (∂L/∂y) in place by ∂y/∂x, evaluated from the output `y`, giving ∂L/∂x.
    public func backward(output y: [Float], gradient: inout [Float]) {
        precondition(y.count == gradient.count, "Activation.backward: sizes differ")
        y.withUnsafeBufferPointer { yp in
            gradient.withUnsafeMutableBufferPointer { g in
                switch self {
                case .identity: return
                case .relu: for i in g.indices { g[i] = yp[i] > 0 ? g[i] : 0 }
                case .leakyReLU(let s): for i in g.indices { g[i] = yp[i] > 0 ? g[i] : s * g[i] }
                case .sigmoid: for i in g.indices { g[i] *= yp[i] * (1 - yp[i]) }
                }
            }
        }
    }
}
