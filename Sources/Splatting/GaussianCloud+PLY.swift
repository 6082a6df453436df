import DataIO
import Foundation

/// The standard 3DGS PLY layout (graphdeco `GaussianModel.save_ply`): one `vertex` element with
/// float properties x y z nx ny nz f_dc_0..2 f_rest_0..(3(K−1)−1) opacity scale_0..2 rot_0..3.
/// `f_rest` is channel-major (all R coefficients k = 1…K−1, then G, then B); opacity is the logit,
/// scales are logs, rot is (w, x, y, z) unnormalised. Viewable in any 3DGS splat viewer.
extension GaussianCloud {
    public enum PLYError: Error, CustomStringConvertible, Equatable {
        case noVertexElement(String)
        case missingProperty(String, String)
        case badSHCount(String, Int)
        case nonFinite(String, String, Int)
        case zeroRotation(String, Int)
        public var description: String {
            switch self {
            case .noVertexElement(let f): return "\(f): PLY has no 'vertex' element"
            case .missingProperty(let f, let p): return "\(f): not a 3DGS PLY: missing property '\(p)'"
            case .badSHCount(let f, let n): return "\(f): \(n) f_rest properties do not match an SH degree 0–3 (0, 9, 24 or 45)"
            case .nonFinite(let f, let p, let row): return "\(f): property '\(p)' is not finite at vertex \(row)"
            case .zeroRotation(let f, let row): return "\(f): rotation quaternion (rot_0..3) is zero at vertex \(row)"
            }
        }
    }

    /// PLY property names in graphdeco order for SH degree `degree`.
    public static func plyPropertyNames(shDegree degree: Int) -> [String] {
        let rest = 3 * (shCoefficientCount(degree: degree) - 1)
        return ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
            + (0..<rest).map { "f_rest_\($0)" }
            + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    }

    /// The cloud as a PLY document in the graphdeco layout.
    public func plyFile() -> PLYFile {
        let n = count, k = shCoefficientCount
        var columns: [[Float]] = []
        for a in 0..<3 { columns.append((0..<n).map { means[3 * $0 + a] }) }
        for _ in 0..<3 { columns.append([Float](repeating: 0, count: n)) }
        for c in 0..<3 { columns.append((0..<n).map { shCoefficients[3 * k * $0 + c] }) }
        for c in 0..<3 { for kk in 1..<max(k, 1) { columns.append((0..<n).map { shCoefficients[3 * k * $0 + 3 * kk + c] }) } }
        columns.append(opacityLogits)
        for a in 0..<3 { columns.append((0..<n).map { logScales[3 * $0 + a] }) }
        for a in 0..<4 { columns.append((0..<n).map { rotations[4 * $0 + a] }) }
        let names = Self.plyPropertyNames(shDegree: shDegree)
        return PLYFile(elements: [PLYFile.Element(name: "vertex", count: n, propertyNames: names, columns: columns)])
    }

    /// Writes the cloud as a binary little-endian 3DGS PLY, atomically.
    public func writePLY(_ url: URL) throws { try plyFile().write(url) }

    /// Reads a 3DGS PLY (SH degree inferred from the number of `f_rest_*` properties).
    public static func readPLY(_ url: URL) throws -> GaussianCloud {
        try fromPLY(try PLYFile.read(url), name: url.path)
    }

    /// Builds a cloud from a parsed PLY; `name` is used in error messages.
    public static func fromPLY(_ ply: PLYFile, name: String) throws -> GaussianCloud {
        guard let v = ply.element("vertex") else { throw PLYError.noVertexElement(name) }
        let restCount = v.propertyNames.filter { $0.hasPrefix("f_rest_") }.count
        guard let degree = (0...3).first(where: { 3 * (shCoefficientCount(degree: $0) - 1) == restCount }) else {
            throw PLYError.badSHCount(name, restCount)
        }
        func col(_ p: String) throws -> [Float] {
            guard let c = v.column(p) else { throw PLYError.missingProperty(name, p) }
            if let bad = c.firstIndex(where: { !$0.isFinite }) { throw PLYError.nonFinite(name, p, bad) }
            return c
        }
        let n = v.count, k = shCoefficientCount(degree: degree)
        let xyz = try ["x", "y", "z"].map(col)
        let dc = try ["f_dc_0", "f_dc_1", "f_dc_2"].map(col)
        let rest = try (0..<restCount).map { try col("f_rest_\($0)") }
        let op = try col("opacity")
        let sc = try ["scale_0", "scale_1", "scale_2"].map(col)
        let rot = try ["rot_0", "rot_1", "rot_2", "rot_3"].map(col)
        var cloud = GaussianCloud(shDegree: degree)
        cloud.means = [Float](repeating: 0, count: 3 * n)
        cloud.logScales = [Float](repeating: 0, count: 3 * n)
        cloud.rotations = [Float](repeating: 0, count: 4 * n)
        cloud.shCoefficients = [Float](repeating: 0, count: 3 * k * n)
        cloud.opacityLogits = op
        for i in 0..<n {
            for a in 0..<3 { cloud.means[3 * i + a] = xyz[a][i]; cloud.logScales[3 * i + a] = sc[a][i] }
            for a in 0..<4 { cloud.rotations[4 * i + a] = rot[a][i] }
            if rot.allSatisfy({ $0[i] == 0 }) { throw PLYError.zeroRotation(name, i) }
            for c in 0..<3 {
                cloud.shCoefficients[3 * k * i + c] = dc[c][i]
                for kk in 1..<max(k, 1) { cloud.shCoefficients[3 * k * i + 3 * kk + c] = rest[c * (k - 1) + kk - 1][i] }
            }
        }
        return cloud
    }
}
