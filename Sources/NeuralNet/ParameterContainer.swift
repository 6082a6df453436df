import TensorCore

/// Something that owns named parameter tensors (a layer, an MLP, a whole model).
///
/// Gradients mirror parameters by name (mlx-swift `ModuleParameters`, gsplat's params/optimizer
/// dicts): the gradient of a container is a value of the *same type* (`zerosLike()`), so a visit of
/// the parameters and a visit of the gradients yield the same names in the same order and `Adam`
/// can update them pairwise (`Adam.step(_:gradients:learningRate:)`).
public protocol ParameterContainer {
    /// Calls `body(name, tensor)` for every parameter, in a fixed order, with names prefixed by
    /// `prefix` (`"d1.layer0.weight"`). `body` may modify the tensor's values (not its shape).
    mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void)
}

/// Joins a prefix and a name with a dot (no dot when the prefix is empty).
@inlinable public func parameterName(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}

extension ParameterContainer {
    /// All parameters as an ordered name → tensor set (values are copied on write only).
    public func namedParameters() -> ParameterSet {
        var copy = self
        var set = ParameterSet()
        copy.visitParameters(prefix: "") { name, t in set.append(name, t) }
        return set
    }

    /// Total number of scalar parameters.
    public var parameterCount: Int {
        var copy = self
        var n = 0
        copy.visitParameters(prefix: "") { _, t in n += t.count }
        return n
    }

    /// A value of the same structure with every parameter zeroed: the gradient accumulator.
    public func zerosLike() -> Self {
        var z = self
        z.visitParameters(prefix: "") { _, t in
            t.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        return z
    }

    /// Sets every parameter to zero (reuse a gradient accumulator between iterations).
    public mutating func zeroAll() {
        visitParameters(prefix: "") { _, t in
            t.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Replaces parameter values from `set` by name; every parameter must be present with its shape.
    public mutating func load(_ set: ParameterSet) throws {
        var failure: ParameterSet.Error?
        visitParameters(prefix: "") { name, t in
            guard failure == nil else { return }
            guard let v = set[name] else { failure = .missing(name); return }
            guard v.shape == t.shape else { failure = .shapeMismatch(name, expected: t.shape, found: v.shape); return }
            t = v
        }
        if let failure { throw failure }
    }
}

/// An ordered collection of named tensors (parameters, their gradients, or a checkpoint's contents).
public struct ParameterSet: Equatable, Sendable {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case missing(String)
        case shapeMismatch(String, expected: [Int], found: [Int])
        public var description: String {
            switch self {
            case .missing(let n): return "parameter '\(n)' is missing"
            case .shapeMismatch(let n, let e, let f): return "parameter '\(n)' has shape \(f), expected \(e)"
            }
        }
    }

    public private(set) var names: [String] = []
    public private(set) var tensors: [String: Tensor] = [:]

    public init() {}

    /// Appends (or replaces) `name`.
    public mutating func append(_ name: String, _ tensor: Tensor) {
        if tensors[name] == nil { names.append(name) }
        tensors[name] = tensor
    }

    public subscript(name: String) -> Tensor? { tensors[name] }
    public var count: Int { names.count }
}

extension Adam {
    /// One Adam step on every parameter of `parameters`, with the same-named gradient from
    /// `gradients` (a value of the same container type) and a per-name learning rate. Each tensor's
    /// last dimension is its row width for Adam's row bookkeeping.
    public func step<P: ParameterContainer>(_ parameters: inout P, gradients: P, learningRate: (String) -> Float) {
        let grads = gradients.namedParameters()
        parameters.visitParameters(prefix: "") { name, t in
            guard let g = grads[name] else { preconditionFailure("Adam: no gradient for '\(name)'") }
            step(name, params: &t.data, grads: g.data, lr: learningRate(name), width: t.shape.last ?? 1)
        }
    }
}
