import DataIO

/// Landmark distance (LMD, Chen et al. 2018, as reported by ER-NeRF and the Audio-Plane paper):
/// the mean Euclidean distance in pixels between corresponding iBUG-68 landmarks of a prediction
/// and its ground truth. `mouth` is over the lips 48–67 (`Landmarks.lips`, 20 points; lip-sync),
/// `all` over the 68 points (pose and expression).
public struct LandmarkDistance: Codable, Equatable, Sendable {
    public var mouth: Double
    public var all: Double
    public init(mouth: Double, all: Double) { self.mouth = mouth; self.all = all }
}

/// LMD between two sets of 68 landmarks in the same image (pixels): (1/|S|) Σ_{i∈S} ‖a_i − b_i‖₂
/// for S = 48–67 (`mouth`) and S = 0–67 (`all`).
public func landmarkDistance(_ a: Landmarks, _ b: Landmarks) -> LandmarkDistance {
    func mean(_ range: Range<Int>) -> Double {
        var total = 0.0
        for i in range {
            let d = SIMD2<Double>(Double(a.points[i].x - b.points[i].x), Double(a.points[i].y - b.points[i].y))
            total += (d * d).sum().squareRoot()
        }
        return total / Double(range.count)
    }
    return LandmarkDistance(mouth: mean(Landmarks.lips), all: mean(0..<Landmarks.count))
}
