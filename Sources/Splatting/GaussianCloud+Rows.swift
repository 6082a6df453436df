/// Row operations used by densification and by optimisers: every parameter array is [N, width].
extension GaussianCloud {
    /// Names of the parameter arrays, in a fixed order (optimiser state uses the same names).
    public static let parameterNames = ["means", "rotations", "logScales", "opacityLogits", "shCoefficients"]

    /// Row width of each named parameter.
    public func parameterWidth(_ name: String) -> Int {
        switch name {
        case "means", "logScales": return 3
        case "rotations": return 4
        case "opacityLogits": return 1
        case "shCoefficients": return 3 * shCoefficientCount
        default: preconditionFailure("unknown Gaussian parameter '\(name)'")
        }
    }

    /// The parameter array called `name` (get/set).
    public subscript(parameter name: String) -> [Float] {
        get {
            switch name {
            case "means": return means
            case "rotations": return rotations
            case "logScales": return logScales
            case "opacityLogits": return opacityLogits
            case "shCoefficients": return shCoefficients
            default: preconditionFailure("unknown Gaussian parameter '\(name)'")
            }
        }
        set {
            switch name {
            case "means": means = newValue
            case "rotations": rotations = newValue
            case "logScales": logScales = newValue
            case "opacityLogits": opacityLogits = newValue
            case "shCoefficients": shCoefficients = newValue
            default: preconditionFailure("unknown Gaussian parameter '\(name)'")
            }
        }
    }

    /// Keeps the Gaussians whose `keep` flag is true, in order.
    public mutating func keepRows(_ keep: [Bool]) {
        precondition(keep.count == count)
        for name in Self.parameterNames {
            let w = parameterWidth(name)
            let old = self[parameter: name]
            var new: [Float] = []
            new.reserveCapacity(old.count)
            for r in 0..<keep.count where keep[r] { new.append(contentsOf: old[(r * w)..<((r + 1) * w)]) }
            self[parameter: name] = new
        }
    }

    /// The Gaussians at `rows` (repeats allowed), as a new cloud.
    public func selectingRows(_ rows: [Int]) -> GaussianCloud {
        var out = GaussianCloud(shDegree: shDegree)
        for name in Self.parameterNames {
            let w = parameterWidth(name)
            let old = self[parameter: name]
            var new: [Float] = []
            new.reserveCapacity(rows.count * w)
            for r in rows { new.append(contentsOf: old[(r * w)..<((r + 1) * w)]) }
            out[parameter: name] = new
        }
        return out
    }

    /// Appends all Gaussians of `other` (same SH degree).
    public mutating func appendRows(_ other: GaussianCloud) {
        precondition(other.shDegree == shDegree)
        for name in Self.parameterNames { self[parameter: name] += other[parameter: name] }
    }
}
